#!/usr/bin/env bash
# Issue 15: the legacy ciphers and MACs against real servers that offer them
# (OpenSSH 9.2 offers none of them any more).
#
#   scripts/interop-legacy.sh
#
# Each algorithm runs tests/interop/algo_client.c (forced algorithm, public
# key auth, 1 MiB echoed through an exec channel) once on our libssh2.so.1
# and once on the reference libssh2 1.11.1 (OpenSSL build), which proves the
# set-up. Servers:
#   - AsyncSSH (PyPI, in .cache/interop-venv): blowfish-cbc, cast128-cbc,
#     arcfour, arcfour128, all its own (cryptography's decrepit module);
#   - the ssh2 npm package (in .cache/interop-node): hmac-ripemd160, which
#     AsyncSSH lacks;
#   - AsyncSSH with a RIPEMD-160 HMAC registered in its MAC table for
#     hmac-ripemd160@openssh.com, which no server we can install offers
#     (OpenSSH dropped it in 7.6; see tests/interop/asyncssh_server.py).
# Prints TAP-ish lines and "legacy-algos: N passed, M failed"; exits non-zero
# on any failure. A reference failure is one too: the set-up is broken, so
# the stage tested nothing. CONFORMANCE_NO_CARGO=1 tests the built library
# as is (see scripts/conformance/lib.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/conformance/lib.sh
. scripts/conformance/lib.sh

ASYNCSSH_VERSION=2.24.1
# 43 and later have the decrepit module AsyncSSH takes the legacy ciphers from.
CRYPTOGRAPHY_VERSION=50.0.2
SSH2_NPM_VERSION=1.17.0
VENV=.cache/interop-venv
NODE_DIR=.cache/interop-node
INTEROP=tests/interop
TEST_USER=interop
SERVER_START_TIMEOUT=20 # seconds until a server prints its port
CLIENT_TIMEOUT=60       # seconds for one client run (about 1 s when fine)
LOG_TAIL_LINES=15       # of each log, shown under a failure

# server kind algorithm
MATRIX=(
    "asyncssh cipher blowfish-cbc"
    "asyncssh cipher cast128-cbc"
    "asyncssh cipher arcfour"
    "asyncssh cipher arcfour128"
    "ssh2 mac hmac-ripemd160"
    "asyncssh mac hmac-ripemd160@openssh.com"
)

n=0 pass=0 fail=0
result() { # ok|notok name [reason]
    n=$((n + 1))
    if [[ $1 == ok ]]; then
        pass=$((pass + 1)); echo "ok $n - $2${3:+ # $3}"
    else
        fail=$((fail + 1)); echo "not ok $n - $2${3:+ # $3}"
    fi
}
finish() {
    echo "1..$n"
    echo "legacy-algos: $pass passed, $fail failed"
    ((fail == 0))
    exit
}
show_log() { # file
    tail -n "$LOG_TAIL_LINES" "$1" | sed "s|^|#   $(basename "$1"): |"
}

WORK=$(mktemp -d -t interop-legacy.XXXXXX)
SERVER_PID=""
stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=""
    fi
}
trap 'stop_server; if ((fail == 0)); then rm -rf "$WORK"; else echo "# logs kept in $WORK"; fi' EXIT

# ---- set-up ----------------------------------------------------------------
setup() {
    command -v node >/dev/null && command -v npm >/dev/null ||
        cf_apt_install nodejs npm || return 1
    python3 -c 'import ensurepip' 2>/dev/null || cf_apt_install python3-venv || return 1

    if ! "$VENV/bin/python" -c "import asyncssh, cryptography, sys
sys.exit(asyncssh.__version__ != '$ASYNCSSH_VERSION' or cryptography.__version__ != '$CRYPTOGRAPHY_VERSION')" 2>/dev/null; then
        cf_log "creating $VENV (asyncssh $ASYNCSSH_VERSION, cryptography $CRYPTOGRAPHY_VERSION)"
        rm -rf "$VENV"
        python3 -m venv "$VENV" &&
            "$VENV/bin/pip" install -q --disable-pip-version-check \
                "asyncssh==$ASYNCSSH_VERSION" "cryptography==$CRYPTOGRAPHY_VERSION" || return 1
    fi
    if [[ $(node -p "require('./$NODE_DIR/node_modules/ssh2/package.json').version" 2>/dev/null) != "$SSH2_NPM_VERSION" ]]; then
        cf_log "installing ssh2@$SSH2_NPM_VERSION into $NODE_DIR"
        # Pure JavaScript: the optional native add-ons only speed up ciphers
        # not tested here.
        mkdir -p "$NODE_DIR" &&
            npm install --prefix "$NODE_DIR" --no-audit --no-fund --no-save --silent \
                --ignore-scripts --omit=optional "ssh2@$SSH2_NPM_VERSION" || return 1
    fi

    # The lead may rebuild target/release at any time: test a copy.
    local ours
    ours=$(cf_build_ours) || { cf_log "our library is not built (see $CF_CACHE/cargo-release.log)"; return 1; }
    mkdir -p "$WORK/ours"
    cp "$ours" "$WORK/ours/libssh2.so.1"
    REF_DIR=$(cf_build_upstream_lib "$(cf_upstream_src libssh2)") ||
        { cf_log "cannot build the reference (see $CF_CACHE/upstream-lib.log)"; return 1; }

    gcc -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 -Iinclude \
        -o "$WORK/algo_client" "$INTEROP/algo_client.c" -L"$WORK/ours" -l:libssh2.so.1 || return 1
    ssh-keygen -q -t ed25519 -N '' -C "$TEST_USER" -f "$WORK/user_key" || return 1

    # Upstream on OpenSSL 3 gets Blowfish, CAST5 and RC4 from the legacy
    # provider but never loads it: without this config its handshake fails
    # with "Unable to exchange encryption keys". Only the reference gets it;
    # ours does not use OpenSSL.
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
}

# start_server server kind alg log: starts it in the background, sets
# SERVER_PID and PORT.
start_server() {
    local server=$1 kind=$2 alg=$3 log=$4 out=$4.port
    : >"$out"
    case $server in
        asyncssh)
            "$VENV/bin/python" "$INTEROP/asyncssh_server.py" "--$kind" "$alg" \
                --authorized-key "$WORK/user_key.pub" >"$out" 2>"$log" &
            ;;
        ssh2)
            NODE_PATH=$NODE_DIR/node_modules node "$INTEROP/ssh2_server.js" "--$kind" "$alg" \
                --authorized-key "$WORK/user_key.pub" >"$out" 2>"$log" &
            ;;
    esac
    SERVER_PID=$!
    local deadline=$((SECONDS + SERVER_START_TIMEOUT))
    PORT=""
    while ((SECONDS < deadline)) && kill -0 "$SERVER_PID" 2>/dev/null; do
        PORT=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$out")
        [[ -n $PORT ]] && return 0
        sleep 0.1
    done
    return 1
}

# run_client which kind alg log: one round trip on ours or the reference.
run_client() {
    local which=$1 kind=$2 alg=$3 log=$4 env=()
    if [[ $which == ours ]]; then
        env=(LD_LIBRARY_PATH="$WORK/ours")
    else
        env=(LD_LIBRARY_PATH="$REF_DIR" OPENSSL_CONF="$WORK/openssl-legacy.cnf")
    fi
    env "${env[@]}" timeout "$CLIENT_TIMEOUT" "$WORK/algo_client" 127.0.0.1 "$PORT" \
        "$TEST_USER" "$WORK/user_key.pub" "$WORK/user_key" "$kind" "$alg" 2>"$log"
}

# server_saw kind alg log: how many connections the server log says used alg
# in both directions (the client's own report is checked by the client).
server_saw() {
    awk -v want="$1=$2/$2" '$2 == "negotiated" { for (i = 3; i <= NF; i++) if ($i == want) c++ }
        END { print c + 0 }' "$3"
}

if ! setup >"$WORK/setup.log" 2>&1; then
    result notok "set-up (venv, npm, libraries, client)" "see below"
    show_log "$WORK/setup.log"
    finish
fi
grep '^#' "$WORK/setup.log"

# ---- the tests ---------------------------------------------------------------
for entry in "${MATRIX[@]}"; do
    read -r server kind alg <<<"$entry"
    tag=${alg//[^A-Za-z0-9-]/_}
    slog="$WORK/$tag.server.log"
    if ! start_server "$server" "$kind" "$alg" "$slog"; then
        result notok "reference $kind $alg ($server)" "server did not start"
        result notok "ours $kind $alg ($server)" "server did not start"
        show_log "$slog"
        stop_server
        continue
    fi
    ref_ok=1 runs=0
    for which in reference ours; do
        clog="$WORK/$tag.$which.log"
        runs=$((runs + 1))
        run_client "$which" "$kind" "$alg" "$clog"
        rc=$?
        if ((rc == 0)) && (($(server_saw "$kind" "$alg" "$slog") < runs)); then
            rc="0 but the server log does not show $alg"
        fi
        if [[ $rc == 0 ]]; then
            result ok "$which $kind $alg ($server)"
        else
            if [[ $which == reference ]]; then
                ref_ok=0
                why="exit $rc; the set-up is broken"
            elif ((ref_ok)); then
                why="exit $rc where the reference passes"
            else
                why="exit $rc; the reference fails too"
            fi
            result notok "$which $kind $alg ($server)" "$why"
            show_log "$clog"
            show_log "$slog"
        fi
    done
    stop_server
done
finish
