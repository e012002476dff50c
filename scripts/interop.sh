#!/usr/bin/env bash
# Issue 16: interoperability with the SSH servers people run.
#
#   scripts/interop.sh [SERVER...]     # default: every server below
#
# Starts each server with its launcher (scripts/interop/server-<name>.sh,
# contract in scripts/interop/lib.sh) and runs tests/interop/interop_client.c
# on our libssh2.so.1 and on the reference libssh2 1.11.1 (OpenSSL build):
#   defaults     handshake with default preferences, auth, a transfer; the
#                negotiated kex, host key, cipher and MAC are reported
#   hostkey      the host key's SHA256 (libssh2_hostkey_hash) is one of the
#                server's host key files
#   pq-default   mlkem768x25519-sha256 chosen by default (OpenSSH 10, AsyncSSH)
#   auth-*       ed25519 key, RSA key, password, where the server has them
#   exec         4 MiB through `cat`, checksummed
#   sftp-16k/1m  SFTP put and get of 4 MiB with 16 KiB and 1 MiB caller buffers
#   sftp-nb      the 1 MiB one in non-blocking mode (EAGAIN, call again)
#   scp          SCP put (scp_send64) and get (scp_recv2) of 4 MiB
#   teardown     libssh2_sftp_shutdown and libssh2_session_free return promptly
#   methods      every kex, host key, cipher, MAC and compression method the
#                server offers (its first KEXINIT, scripts/interop/kexinit.py)
#                and we implement, forced one at a time, each with a transfer;
#                one it offers that we do not implement is listed by name
# A check failing on ours is a failure; one failing on the reference only is
# listed ("# reference: ...") and is not. Prints TAP-ish lines, a matrix
# server x check, and "interop: N passed, M failed"; exits non-zero on any
# failure. CONFORMANCE_NO_CARGO=1 tests the built library as is;
# INTEROP_OURS=FILE tests that libssh2.so.1 instead of target/release's.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/conformance/lib.sh
. scripts/conformance/lib.sh
# shellcheck source=scripts/interop/lib.sh
. scripts/interop/lib.sh

ALL_SERVERS=(openssh10 asyncssh dropbear tinysshd proftpd)
# The issue requires post-quantum kex by default against these.
PQ_SERVERS=" openssh10 asyncssh "
PQ_KEX=mlkem768x25519-sha256
BIG_BYTES=$((4 * 1024 * 1024))    # exec, SFTP and SCP checks
METHOD_BYTES=$((1024 * 1024))     # the transfer of each forced-method run
TEARDOWN_BYTES=$((64 * 1024))     # the teardown check's transfer
SFTP_SMALL_BUF=$((16 * 1024))
SFTP_LARGE_BUF=$((1024 * 1024))
# With a MAC forced the cipher must take a MAC (an AEAD one ignores it):
# the first of these both the server and the library have.
MAC_CIPHERS="aes128-ctr aes256-ctr aes192-ctr aes128-cbc aes256-cbc 3des-cbc"
# KEXINIT pseudo-algorithms: signals, not methods (RFC 8308's ext-info,
# OpenSSH's strict kex, dropbear's first-kex-packet guessing).
PSEUDO_RE='^(ext-info-[cs]|kex-strict-[cs]-v00@openssh\.com|kexguess2@matt\.ucc\.asn\.au)$'
METHOD_TYPES="kex hostkey cipher mac comp"
SERVER_START_TIMEOUT=900 # seconds: a first start builds (OpenSSH 10: ~3 min)
CLIENT_TIMEOUT=60        # seconds for one client run (about 1 s when fine)
TEST_BUDGET=420          # seconds for all the client runs; then the rest fail unrun
LOG_TAIL_LINES=8         # of a failed run's stderr, shown under it

n=0 pass=0 fail=0
declare -A OURS=() REF=() # "server|check" -> ok, FAIL, n/a or a count
declare -A MISSING=()     # server -> offered methods we do not implement
# The matrix columns, in this order (a server without a feature shows "-").
CHECKS=(defaults hostkey pq-default auth-ed25519 auth-rsa auth-password exec sftp-16k sftp-1m
    sftp-nb scp teardown methods)
NOTES=()                  # reference failures, defaults, not-implemented

result() { # ok|notok name [reason]
    n=$((n + 1))
    if [[ $1 == ok ]]; then
        pass=$((pass + 1))
        echo "ok $n - $2${3:+ # $3}"
    else
        fail=$((fail + 1))
        echo "not ok $n - $2${3:+ # $3}"
    fi
}

WORK=$(mktemp -d -t interop.XXXXXX)
chmod 755 "$WORK"
CURRENT_DIR="" CURRENT_SERVER=""
cleanup() {
    [[ -n $CURRENT_DIR ]] && "scripts/interop/server-$CURRENT_SERVER.sh" stop "$CURRENT_DIR" >/dev/null 2>&1
    if ((fail == 0)); then rm -rf "$WORK"; else echo "# logs kept in $WORK"; fi
}
trap cleanup EXIT

# ---- set-up ------------------------------------------------------------------
setup() {
    local ours
    if [[ -n ${INTEROP_OURS:-} ]]; then
        ours=$INTEROP_OURS
    else
        ours=$(cf_build_ours) || {
            echo "our library is not built (see $CF_CACHE/cargo-release.log)"
            return 1
        }
    fi
    # The lead may rebuild target/release at any time: test a copy.
    mkdir -p "$WORK/ours"
    cp "$ours" "$WORK/ours/libssh2.so.1" || return 1
    REF_DIR=$(cf_build_upstream_lib "$(cf_upstream_src libssh2)") || {
        echo "cannot build the reference (see $CF_CACHE/upstream-lib.log)"
        return 1
    }
    gcc -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 -Iinclude \
        -o "$WORK/interop_client" tests/interop/interop_client.c -L"$WORK/ours" -l:libssh2.so.1 ||
        return 1
    ssh-keygen -q -t ed25519 -N '' -C interop-ed25519 -f "$WORK/user_ed25519" </dev/null &&
        ssh-keygen -q -t rsa -b 3072 -N '' -C interop-rsa -f "$WORK/user_rsa" </dev/null || return 1
    chmod 644 "$WORK"/user_*.pub
    # Upstream on OpenSSL 3 takes Blowfish, CAST5 and RC4 from the legacy
    # provider but never loads it (as in scripts/interop-legacy.sh): only the
    # reference gets this; ours does not use OpenSSL.
    cat >"$WORK/openssl-legacy.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
EOF
    LD_LIBRARY_PATH=$WORK/ours "$WORK/interop_client" --supported >"$WORK/supported.ours" &&
        LD_LIBRARY_PATH=$REF_DIR "$WORK/interop_client" --supported >"$WORK/supported.ref"
}

# names FILE TYPE: the comma list on FILE's "TYPE ..." line (kexinit.py's or
# the client's "supported TYPE ..."), one name a line, pseudo-algorithms out.
names() {
    awk -v t="$2" '($1 == "supported" && $2 == t) { print $3 } ($1 == t) { print $2 }' "$1" |
        tr ',' '\n' | grep -Ev "$PSEUDO_RE" | grep -v '^$'
}
has() { names "$1" "$2" | grep -qxF "$3"; } # FILE TYPE NAME

# run_client ours|ref TAG ARGS...: one client run; output in $WORK/$S/TAG.LIB.{out,err}.
# Fails unless it exits 0 and the host key is one of the server's.
run_client() {
    local lib=$1 tag=$2 fp
    shift 2
    if ((BUDGET_SPENT > TEST_BUDGET)); then
        echo "not run: the time budget of ${TEST_BUDGET}s is used up" >"$SD/$tag.$lib.err"
        return 1
    fi
    local env=(LD_LIBRARY_PATH="$WORK/ours")
    [[ $lib == ref ]] && env=(LD_LIBRARY_PATH="$REF_DIR" OPENSSL_CONF="$WORK/openssl-legacy.cnf")
    local t0=$SECONDS rc
    env "${env[@]}" timeout -k 5 "$CLIENT_TIMEOUT" "$WORK/interop_client" \
        "$IOP_HOST" "$SERVER_PORT" "$SERVER_USER" "$@" \
        >"$SD/$tag.$lib.out" 2>"$SD/$tag.$lib.err"
    rc=$?
    BUDGET_SPENT=$((BUDGET_SPENT + SECONDS - t0))
    if ((rc != 0)); then
        ((rc == 124)) && echo "timed out after ${CLIENT_TIMEOUT}s" >>"$SD/$tag.$lib.err"
        ((rc > 128 && rc != 124)) &&
            echo "killed by signal $((rc - 128)) (SIG$(kill -l $((rc - 128))))" >>"$SD/$tag.$lib.err"
        return 1
    fi
    fp=$(awk '$1 == "hostkey" { print $3 }' "$SD/$tag.$lib.out")
    if ! grep -qxF "$fp" "$SD/hostkey-fingerprints"; then
        echo "host key $fp is none of the server's host keys" >>"$SD/$tag.$lib.err"
        return 1
    fi
}

# why ours|ref TAG: a one-line reason from a failed run.
why() {
    local f=$SD/$2.$1.err line
    line=$(grep -E 'FAILED|timed out|killed by|not run|host key|negotiated' "$f" 2>/dev/null | tail -n 1)
    [[ -n $line ]] || line=$(tail -n 1 "$f" 2>/dev/null)
    echo "${line#interop_client: }"
}

# check CHECK TAG ARGS...: run on ours and on the reference, report.
check() {
    local name=$1 tag=$2
    shift 2
    local r=ok o=ok
    run_client ref "$tag" "$@" || r=FAIL
    run_client ours "$tag" "$@" || o=FAIL
    record "$name" "$tag" "$o" "$r"
}

# scp_check AUTH PATH: SCP put, then get in a second connection (some servers
# allow one channel a connection); the reasons of both runs go to scp.LIB.err.
scp_check() {
    local lib res=() spec
    for lib in ref ours; do
        spec=$2-$lib:$BIG_BYTES
        if run_client "$lib" scp-put "$1" "scp-put:$spec" && run_client "$lib" scp-get "$1" "scp-get:$spec"; then
            res+=(ok)
        else
            res+=(FAIL)
        fi
        cat "$SD/scp-put.$lib.out" "$SD/scp-get.$lib.out" >"$SD/scp.$lib.out" 2>/dev/null
        cat "$SD/scp-put.$lib.err" "$SD/scp-get.$lib.err" >"$SD/scp.$lib.err" 2>/dev/null
    done
    record scp scp "${res[1]}" "${res[0]}"
}

# record CHECK TAG ours-result ref-result: the TAP line and the matrix cells.
record() {
    local name=$1 tag=$2 o=$3 r=$4 label="$S $1"
    OURS[$S|$name]=$o REF[$S|$name]=$r
    if [[ $r == FAIL ]]; then
        NOTES+=("reference: $label failed: $(why ref "$tag")")
        echo "# reference: $label failed: $(why ref "$tag")"
    fi
    if [[ $o == ok ]]; then
        result ok "$label" "reference $r"
    else
        result notok "$label" "$(why ours "$tag"); reference $r"
        tail -n "$LOG_TAIL_LINES" "$SD/$tag.ours.err" | sed 's/^/#   /'
        echo "#   logs: $SD/$tag.ours.{out,err}"
    fi
}

# derived CHECK OURS REF REASON-OURS REASON-REF: a check read from an
# earlier run; OURS and REF are ok, FAIL or n/a.
derived() {
    OURS[$S|$1]=$2 REF[$S|$1]=$3
    if [[ $3 == FAIL ]]; then
        NOTES+=("reference: $S $1 failed: $5")
        echo "# reference: $S $1 failed: $5"
    fi
    if [[ $2 == ok ]]; then result ok "$S $1" "reference $3"; else result notok "$S $1" "$4"; fi
}

method() { # LIB TAG TYPE: the negotiated TYPE in a run's output
    awk -v t="$3" '$1 == "method" && $2 == t { print $3 }' "$SD/$2.$1.out" 2>/dev/null
}

has_feature() { [[ " $SERVER_FEATURES " == *" $1 "* ]]; }

# ---- one server --------------------------------------------------------------
test_server() {
    S=$1 SD=$WORK/$1
    mkdir -p "$SD"
    chmod 755 "$SD"
    cp "$WORK"/user_ed25519{,.pub} "$WORK"/user_rsa{,.pub} "$SD/"
    chmod 600 "$SD/user_ed25519" "$SD/user_rsa"
    local launcher=scripts/interop/server-$S.sh
    if [[ ! -x $launcher ]]; then
        result notok "$S start" "no launcher $launcher"
        return
    fi
    unset SERVER_NAME SERVER_PORT SERVER_USER SERVER_PASSWORD SERVER_HOSTKEYS \
        SERVER_FEATURES SERVER_WRITABLE_DIR SERVER_PID_FILE
    CURRENT_SERVER=$S CURRENT_DIR=$SD
    local t0=$SECONDS
    if ! timeout "$SERVER_START_TIMEOUT" "$launcher" start "$SD" >"$SD/launcher.log" 2>&1 ||
        [[ ! -f $SD/env ]]; then
        result notok "$S start" "the launcher failed"
        tail -n "$LOG_TAIL_LINES" "$SD/launcher.log" | sed 's/^/#   /'
        "$launcher" stop "$SD" >/dev/null 2>&1
        CURRENT_DIR=""
        return
    fi
    # shellcheck disable=SC1091 # written by the launcher
    . "$SD/env"
    grep '^#' "$SD/launcher.log"
    echo "# $S: started in $((SECONDS - t0))s on port $SERVER_PORT; features: $SERVER_FEATURES"
    local k
    for k in $SERVER_HOSTKEYS; do ssh-keygen -E sha256 -lf "$k" | awk '{ print $2 }'; done \
        >"$SD/hostkey-fingerprints"
    if ! python3 scripts/interop/kexinit.py "$SERVER_PORT" >"$SD/offered" 2>"$SD/kexinit.err"; then
        result notok "$S offered algorithms" "$(cat "$SD/kexinit.err")"
    fi
    echo "# $S: $(grep '^banner' "$SD/offered"); signals in its KEXINIT:" \
        "$(awk '$1 == "kex" { print $2 }' "$SD/offered" | tr ',' '\n' | grep -E "$PSEUDO_RE" | tr '\n' ' ')"

    # The credentials and transfer every run without its own uses.
    local auth transfer
    if has_feature pubkey-ed25519; then auth=key:$SD/user_ed25519
    elif has_feature pubkey-rsa; then auth=key:$SD/user_rsa
    else auth=password:$SERVER_PASSWORD; fi
    local wd=$SERVER_WRITABLE_DIR
    sftp_path() { echo "$wd/interop-$1-$$"; }
    if has_feature exec; then transfer=exec:$METHOD_BYTES
    else transfer=sftp:$(sftp_path method):$METHOD_BYTES:$SFTP_LARGE_BUF; fi

    # defaults, host key, post-quantum default
    check defaults defaults "$auth" "$transfer"
    local lib
    for lib in ref ours; do
        local line
        line=$(printf 'kex=%s hostkey=%s cipher=%s mac=%s comp=%s' "$(method "$lib" defaults kex)" \
            "$(method "$lib" defaults hostkey)" "$(method "$lib" defaults cipher_cs)" \
            "$(method "$lib" defaults mac_cs)" "$(method "$lib" defaults comp_cs)")
        NOTES+=("defaults $S ($lib): $line")
        echo "# defaults ($lib): $line"
    done
    local why_hk="the handshake failed or the host key is not the server's"
    derived hostkey "${OURS[$S|defaults]}" "${REF[$S|defaults]}" "$why_hk" "$why_hk"
    if [[ $PQ_SERVERS == *" $S "* ]]; then
        local ko=FAIL kr=FAIL
        [[ $(method ours defaults kex) == "$PQ_KEX" ]] && ko=${OURS[$S|defaults]}
        [[ $(method ref defaults kex) == "$PQ_KEX" ]] && kr=${REF[$S|defaults]}
        has "$WORK/supported.ref" kex "$PQ_KEX" || kr=n/a
        derived pq-default "$ko" "$kr" "default kex is $(method ours defaults kex), not $PQ_KEX" \
            "default kex is $(method ref defaults kex), not $PQ_KEX"
    fi

    # authentication
    if has_feature pubkey-ed25519; then check auth-ed25519 auth-ed25519 "key:$SD/user_ed25519"; fi
    if has_feature pubkey-rsa; then check auth-rsa auth-rsa "key:$SD/user_rsa"; fi
    if has_feature password; then check auth-password auth-password "password:$SERVER_PASSWORD"; fi

    # transfers
    if has_feature exec; then check exec exec "$auth" "exec:$BIG_BYTES"; fi
    if has_feature sftp; then
        check sftp-16k sftp-16k "$auth" "sftp:$(sftp_path 16k):$BIG_BYTES:$SFTP_SMALL_BUF"
        check sftp-1m sftp-1m "$auth" "sftp:$(sftp_path 1m):$BIG_BYTES:$SFTP_LARGE_BUF"
        check sftp-nb sftp-nb "$auth" "sftp-nb:$(sftp_path nb):$BIG_BYTES:$SFTP_LARGE_BUF"
    fi
    if has_feature scp; then scp_check "$auth" "$(sftp_path scp)"; fi
    if has_feature sftp; then
        check teardown teardown "$auth" "sftp:$(sftp_path td):$TEARDOWN_BYTES:$SFTP_SMALL_BUF"
    else
        check teardown teardown "$auth" "$transfer"
    fi
    for lib in ref ours; do
        echo "# teardown ($lib): $(grep '^timing' "$SD/teardown.$lib.out" 2>/dev/null | tr '\n' ' ')"
    done

    # every offered method, one at a time
    local type alg po=0 pr=0 to=0 tr=0 mac_cipher=""
    for c in $MAC_CIPHERS; do
        if has "$SD/offered" cipher "$c" && has "$WORK/supported.ours" cipher "$c"; then
            mac_cipher=$c
            break
        fi
    done
    for type in $METHOD_TYPES; do
        while read -r alg; do
            [[ -n $alg ]] || continue
            if ! has "$WORK/supported.ours" "$type" "$alg"; then
                MISSING[$S]+=" $alg"
                echo "# not implemented: $alg ($S $type)"
                continue
            fi
            local extra=() tag="m-$type-${alg//[^A-Za-z0-9.-]/_}"
            if [[ $type == mac ]]; then
                if [[ -z $mac_cipher ]]; then
                    echo "# $S mac $alg: not run: no cipher that takes a MAC in common"
                    continue
                fi
                extra=(--pref "cipher=$mac_cipher")
            fi
            local args=("$auth" --pref "$type=$alg" "${extra[@]}" --expect "$type=$alg" "$transfer")
            local o=ok r=ok
            if has "$WORK/supported.ref" "$type" "$alg"; then
                run_client ref "$tag" "${args[@]}" || r=FAIL
                tr=$((tr + 1))
                [[ $r == ok ]] && pr=$((pr + 1))
            else
                r=n/a
            fi
            run_client ours "$tag" "${args[@]}" || o=FAIL
            to=$((to + 1))
            [[ $o == ok ]] && po=$((po + 1))
            record_method "$S $type $alg" "$tag" "$o" "$r"
        done < <(names "$SD/offered" "$type")
    done
    OURS[$S|methods]="$po/$to" REF[$S|methods]="$pr/$tr"

    "$launcher" stop "$SD" >>"$SD/launcher.log" 2>&1
    CURRENT_DIR=""
}

# record_method LABEL TAG ours ref: like record, without a matrix cell.
record_method() {
    local label=$1
    if [[ $4 == FAIL ]]; then
        NOTES+=("reference: $label failed: $(why ref "$2")")
        echo "# reference: $label failed: $(why ref "$2")"
    fi
    if [[ $3 == ok ]]; then
        result ok "$label" "reference $4"
    else
        result notok "$label" "$(why ours "$2"); reference $4"
        tail -n "$LOG_TAIL_LINES" "$SD/$2.ours.err" | sed 's/^/#   /'
        echo "#   logs: $SD/$2.ours.{out,err}"
    fi
}

print_matrix() {
    local s c cell
    echo "#"
    echo "# matrix: ours/reference; methods: forced-method runs passed/run on ours, then"
    echo "# (r) on the reference, which runs only the methods it has"
    printf '# %-10s' server
    for c in "${CHECKS[@]}"; do printf ' %-13s' "$c"; done
    echo
    for s in "${SERVERS[@]}"; do
        printf '# %-10s' "$s"
        for c in "${CHECKS[@]}"; do
            cell=-
            if [[ $c == methods && -n ${OURS[$s|$c]:-} ]]; then
                cell="${OURS[$s|$c]},r${REF[$s|$c]}"
            elif [[ -n ${OURS[$s|$c]:-} ]]; then
                cell="${OURS[$s|$c]}/${REF[$s|$c]}"
            fi
            printf ' %-13s' "$cell"
        done
        echo
    done
    echo "#"
    local note
    for note in "${NOTES[@]}"; do echo "# $note"; done
    for s in "${SERVERS[@]}"; do
        [[ -n ${MISSING[$s]:-} ]] && echo "# not implemented ($s):${MISSING[$s]}"
    done
}

# ---- main ----------------------------------------------------------------------
if (($#)); then SERVERS=("$@"); else SERVERS=("${ALL_SERVERS[@]}"); fi
T0=$SECONDS
if ! setup >"$WORK/setup.log" 2>&1; then
    result notok "set-up (libraries, client, keys)" "see below"
    tail -n 20 "$WORK/setup.log" | sed 's/^/#   /'
    echo "1..$n"
    echo "interop: $pass passed, $fail failed"
    exit 1
fi
grep '^#' "$WORK/setup.log"
echo "# ours: $WORK/ours/libssh2.so.1; reference: $REF_DIR/libssh2.so.1"
# The budget counts client runs only: server builds are not the library's time.
BUDGET_SPENT=0
for s in "${SERVERS[@]}"; do
    start=$SECONDS
    echo "# ---- $s"
    test_server "$s"
    echo "# $s: $((SECONDS - start))s"
done
print_matrix
echo "# interop stage: $((SECONDS - T0))s"
echo "1..$n"
echo "interop: $pass passed, $fail failed"
((fail == 0))
