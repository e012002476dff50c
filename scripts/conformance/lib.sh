# shellcheck shell=bash
# Shared helpers for the conformance scripts in this directory. Sourced, never
# run. Provides: TAP-ish result lines and the closing summary, package installs,
# our library's build, the upstream sources, upstream's own library (for
# --against-upstream), a private network namespace, and the test sshd set up
# the way upstream's tests/openssh_server/Dockerfile describes.

CF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Builds are cached here; CONFORMANCE_CACHE may name a directory that outlives
# the clone (CI starts from a fresh clone each run).
CF_CACHE="${CONFORMANCE_CACHE:-$CF_ROOT/.cache/conformance}"
CF_TARGET_DIR="${CARGO_TARGET_DIR:-$CF_ROOT/target}"
# Per-test time limit in seconds: a hang in the library under test must not
# stall CI.
CF_TIMEOUT="${CONFORMANCE_TIMEOUT:-60}"
# Time budget in seconds for one script's tests (for each part of curl.sh),
# builds not counted: once it is used up, the tests
# not yet run are reported as failed without running, so that a library that
# hangs everywhere cannot take CI's whole time.
CF_BUDGET="${CONFORMANCE_BUDGET:-600}"
# The user and password that upstream's Dockerfile creates for its tests.
CF_TEST_USER=libssh2
CF_TEST_PASSWORD='my test password'
# Upstream versions that the scripts pin (see scripts/fetch-upstream.sh).
CF_LIBSSH2_VERSION=1.11.1

mkdir -p "$CF_CACHE"

cf_log() { echo "# $*"; }

cf_die() {
    echo "# FATAL: $*" >&2
    [ -z "${CF_PHASE:-}" ] && [ -n "${CF_RESULTS:-}" ] && rm -f "$CF_RESULTS"
    exit 3
}

# ---- results --------------------------------------------------------------
# Results go to a file so that a child phase (run inside a network namespace)
# and its parent share the numbering and the summary.

cf_results_init() {
    if [ -z "${CF_RESULTS:-}" ]; then
        CF_RESULTS="$(mktemp /tmp/conformance-results.XXXXXX)"
        CF_T0="$(date +%s)"
        export CF_RESULTS CF_T0
    fi
}

# cf_result ok|notok|na NAME [REASON]
cf_result() {
    local status="$1" name="$2" reason="${3:-}"
    reason="$(printf '%s' "$reason" | tr '\n\t' '  ' | cut -c1-300)"
    printf '%s\t%s\t%s\n' "$status" "$name" "$reason" >>"$CF_RESULTS"
    local n
    n="$(wc -l <"$CF_RESULTS")"
    case "$status" in
        ok) echo "ok $n - $name${reason:+ # $reason}" ;;
        notok) echo "not ok $n - $name${reason:+ # $reason}" ;;
        na) echo "ok $n - $name # SKIP not applicable: $reason" ;;
    esac
}
cf_ok() { cf_result ok "$@"; }
cf_notok() { cf_result notok "$@"; }
cf_na() { cf_result na "$@"; }

# cf_budget_start: start the budget clock (after the builds, before the tests).
cf_budget_start() {
    CF_T0="$(date +%s)"
    export CF_T0
}

# cf_budget_left: seconds left of this script's time budget.
cf_budget_left() {
    echo $((CF_T0 + CF_BUDGET - $(date +%s)))
}

# cf_over_budget NAME: when the budget is used up, report NAME as failed
# without running it (and succeed, so callers can `cf_over_budget X && continue`).
cf_over_budget() {
    [ "$(cf_budget_left)" -gt 0 ] && return 1
    cf_notok "$1" "not run: the time budget of ${CF_BUDGET}s (CONFORMANCE_BUDGET) is used up"
}

# cf_limit: the time limit for the next test: the per-test limit, or less when
# the budget is nearly used up.
cf_limit() {
    local left
    left="$(cf_budget_left)"
    if [ "$left" -lt "$CF_TIMEOUT" ]; then echo $((left > 5 ? left : 5)); else echo "$CF_TIMEOUT"; fi
}

# cf_check NAME REASON-IF-FAILED COMMAND...: ok when COMMAND succeeds.
cf_check() {
    local name="$1" reason="$2"
    shift 2
    if "$@"; then cf_ok "$name"; else cf_notok "$name" "$reason"; fi
}

# cf_finish LABEL: print the summary and exit (non-zero on failures only when
# CONFORMANCE_STRICT=1).
cf_finish() {
    local label="$1" passed failed na
    passed="$(grep -c '^ok	' "$CF_RESULTS" || true)"
    failed="$(grep -c '^notok	' "$CF_RESULTS" || true)"
    na="$(grep -c '^na	' "$CF_RESULTS" || true)"
    rm -f "$CF_RESULTS"
    echo "1..$((passed + failed + na))"
    if [ "${CONFORMANCE_STRICT:-0}" = 1 ]; then
        echo "# strict mode (CONFORMANCE_STRICT=1): any failure makes the exit status non-zero"
    else
        echo "# non-strict mode: failures are reported but the exit status stays 0;"
        echo "# set CONFORMANCE_STRICT=1 to make failures fail the run"
    fi
    echo "# $label: $na not applicable"
    echo "$label: $passed passed, $failed failed, $na skipped"
    if [ "${CONFORMANCE_STRICT:-0}" = 1 ] && [ "$failed" -gt 0 ]; then
        exit 1
    fi
    exit 0
}

# cf_setup_phase LAST_HELP_LINE ARGS...: the setup phase's start in every script
# with only --against-upstream: sets AGAINST (ours, or upstream with that flag),
# answers -h/--help with the script's header (lines 2..LAST_HELP_LINE), then
# needs root, opens the results file and starts the clock (START).
cf_setup_phase() {
    local help_end=$1 arg
    shift
    AGAINST=ours
    for arg in "$@"; do
        case "$arg" in
            --against-upstream) AGAINST=upstream ;;
            -h | --help)
                sed -n "2,${help_end}p" "$0"
                exit 0
                ;;
            *) cf_die "unknown argument: $arg" ;;
        esac
    done
    cf_need_root
    cf_results_init
    START=$SECONDS
}

# ---- packages ---------------------------------------------------------------

cf_need_root() {
    [ "$(id -u)" -eq 0 ] || cf_die "run as root (it installs packages, adds a test user and starts sshd)"
}

CF_APT_UPDATED=0
# cf_apt_install PACKAGE...: install whichever are missing.
cf_apt_install() {
    local p missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    cf_log "installing: ${missing[*]}"
    if [ "$CF_APT_UPDATED" = 0 ]; then
        apt-get update -q >"$CF_CACHE/apt.log" 2>&1 || true
        CF_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
        >>"$CF_CACHE/apt.log" 2>&1 || {
        tail -n 20 "$CF_CACHE/apt.log" | sed 's/^/#   /'
        return 1
    }
}

# ---- our library ----------------------------------------------------------------

# Print the path of our freshly built libssh2.so (cargo build --release is a
# no-op when it is up to date; CONFORMANCE_NO_CARGO=1 uses the built one as is).
cf_build_ours() {
    local log="$CF_CACHE/cargo-release.log"
    if [ "${CONFORMANCE_NO_CARGO:-0}" = 1 ]; then
        echo "cargo build skipped (CONFORMANCE_NO_CARGO=1)" >"$log"
    elif ! (cd "$CF_ROOT" && cargo build --release) >"$log" 2>&1; then
        tail -n 30 "$log" | sed 's/^/#   /' >&2
        return 1
    fi
    [ -f "$CF_TARGET_DIR/release/libssh2.so" ] || return 1
    echo "$CF_TARGET_DIR/release/libssh2.so"
}

# cf_libdir_for SO DIR: make DIR hold libssh2.so.1 (and libssh2.so) links to SO,
# so that LD_LIBRARY_PATH=DIR selects that library.
cf_libdir_for() {
    local so="$1" dir="$2"
    mkdir -p "$dir"
    ln -sfn "$so" "$dir/libssh2.so.1"
    ln -sfn libssh2.so.1 "$dir/libssh2.so"
}

# ---- upstream sources and library --------------------------------------------------

cf_upstream_src() {
    "$CF_ROOT/scripts/fetch-upstream.sh" "$1"
}

# Build upstream libssh2 (OpenSSL backend, shared, default options) into the
# cache and print the directory holding its libssh2.so.1. Only used to prove
# the harness with --against-upstream; nothing of it is committed.
cf_build_upstream_lib() {
    local src="$1" b="$CF_CACHE/upstream-lib"
    local stamp="$b/.built-$CF_LIBSSH2_VERSION"
    if [ ! -f "$stamp" ] || [ ! -e "$b/build/src/libssh2.so.1" ]; then
        cf_apt_install cmake libssl-dev zlib1g-dev >&2 || return 1
        rm -rf "$b"
        mkdir -p "$b"
        if ! {
            cmake -S "$src" -B "$b/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
                -DBUILD_SHARED_LIBS=ON -DBUILD_STATIC_LIBS=OFF -DBUILD_EXAMPLES=OFF \
                -DBUILD_TESTING=OFF -DCRYPTO_BACKEND=OpenSSL -DENABLE_ZLIB_COMPRESSION=ON &&
                cmake --build "$b/build" -j2
        } >"$CF_CACHE/upstream-lib.log" 2>&1; then
            tail -n 30 "$CF_CACHE/upstream-lib.log" | sed 's/^/#   /' >&2
            return 1
        fi
        touch "$stamp"
    fi
    echo "$b/build/src"
}

# ---- network namespace ----------------------------------------------------------
# The tests run in a private network namespace when the kernel allows it: the
# upstream examples hard-code port 22, other work on the machine may hold 4711,
# and nothing then reaches beyond this machine's loopback.

# cf_in_netns COMMAND...: run COMMAND in a fresh network namespace with lo up,
# or directly (with a note) when namespaces are unavailable.
cf_in_netns() {
    if [ "${CONFORMANCE_NO_NETNS:-0}" != 1 ] && unshare -n true 2>/dev/null; then
        unshare -n -- bash -c 'ip link set lo up 2>/dev/null || ifconfig lo up; exec "$@"' cf "$@"
    else
        cf_log "no private network namespace: using the host's loopback"
        "$@"
    fi
}

# ---- the test sshd --------------------------------------------------------------

# cf_test_user_setup TESTS_DIR: create the libssh2 user of upstream's Dockerfile
# with its password, authorized_keys and sandbox directory.
cf_test_user_setup() {
    local t="$1" home
    if ! id "$CF_TEST_USER" >/dev/null 2>&1; then
        useradd -m -s /bin/bash -c 'Test user for libssh2 integration tests' "$CF_TEST_USER" || return 1
    fi
    echo "$CF_TEST_USER:$CF_TEST_PASSWORD" | chpasswd || return 1
    home="$(getent passwd "$CF_TEST_USER" | cut -d: -f6)"
    install -d -o "$CF_TEST_USER" -g "$CF_TEST_USER" -m 700 "$home/.ssh"
    install -d -o "$CF_TEST_USER" -g "$CF_TEST_USER" -m 755 "$home/sandbox"
    install -o "$CF_TEST_USER" -g "$CF_TEST_USER" -m 600 \
        "$t/openssh_server/authorized_keys" "$home/.ssh/authorized_keys"
    # As in the Dockerfile: a container (or a machine without audit support)
    # cannot set the login uid, and a required pam_loginuid ends the session.
    if [ -f /etc/pam.d/sshd ] && grep -Eq '^session[[:space:]]+required[[:space:]]+pam_loginuid.so' /etc/pam.d/sshd; then
        sed -i -E 's/^session([[:space:]]+)required([[:space:]]+)pam_loginuid.so/session\1optional\2pam_loginuid.so/' /etc/pam.d/sshd
    fi
}

# cf_sshd_config TESTS_DIR DIR: write DIR/sshd_config (plus host keys) for an
# sshd like the one in upstream's Docker image: Debian's defaults with
# keyboard-interactive on, upstream's extra algorithm lines and the user CA.
cf_sshd_config() {
    local t="$1" d="$2" k
    mkdir -p "$d"
    for k in ssh_host_rsa_key ssh_host_ecdsa_key ssh_host_ed25519_key ca_user_keys.pub; do
        install -m 600 "$t/openssh_server/$k" "$d/$k"
    done
    {
        echo "# Written by scripts/conformance/lib.sh for the conformance tests."
        echo "ListenAddress 127.0.0.1"
        echo "HostKey $d/ssh_host_rsa_key"
        echo "HostKey $d/ssh_host_ecdsa_key"
        echo "HostKey $d/ssh_host_ed25519_key"
        echo "PidFile $d/sshd.pid"
        echo "UsePAM yes"
        echo "KbdInteractiveAuthentication yes"
        echo "PasswordAuthentication yes"
        echo "PubkeyAuthentication yes"
        echo "AllowAgentForwarding yes"
        echo "AllowTcpForwarding yes"
        echo "X11Forwarding yes"
        echo "PrintMotd no"
        echo "AcceptEnv LANG LC_*"
        echo "MaxStartups 100"
        echo "MaxSessions 100"
        echo "LogLevel VERBOSE"
        echo "Subsystem sftp /usr/lib/openssh/sftp-server"
        echo "TrustedUserCAKeys $d/ca_user_keys.pub"
        # Upstream's own additions (algorithms its tests exercise).
        tr -d '\r' <"$t/openssh_server/sshd_config"
    } >"$d/sshd_config"
}

# cf_sshd_start DIR PORT...: start sshd on 127.0.0.1 with DIR/sshd_config and
# wait until it accepts connections.
cf_sshd_start() {
    local d="$1" p args=()
    shift
    mkdir -p /run/sshd
    chmod 755 /run/sshd
    for p in "$@"; do args+=(-p "$p"); done
    /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log" "${args[@]}" || return 1
    # Stop it however this shell ends (a CI time limit, an interrupt).
    CF_SSHD_DIRS+=("$d")
    trap cf_sshd_stop_all EXIT
    for _ in $(seq 1 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

CF_SSHD_DIRS=()
cf_sshd_stop_all() {
    local d
    for d in "${CF_SSHD_DIRS[@]}"; do cf_sshd_stop "$d"; done
}

# cf_sshd_stop DIR: stop the sshd we started (by its pid file).
cf_sshd_stop() {
    local d="$1" pid
    [ -f "$d/sshd.pid" ] || return 0
    pid="$(cat "$d/sshd.pid")"
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -f "$d/sshd.pid"
}

# cf_as_user ENV... -- COMMAND...: run COMMAND as the test user with a clean
# login-like environment plus ENV assignments, under the per-test timeout.
cf_as_user() {
    local envs=()
    while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
        envs+=("$1")
        shift
    done
    shift
    local home
    home="$(getent passwd "$CF_TEST_USER" | cut -d: -f6)"
    runuser -u "$CF_TEST_USER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin \
        HOME="$home" USER="$CF_TEST_USER" LOGNAME="$CF_TEST_USER" "${envs[@]}" \
        timeout -k 5 "$(cf_limit)" "$@"
}

# cf_stage_dir: a fresh world-readable scratch directory (removed at exit), so
# that the test user can read binaries, libraries and keys wherever the
# repository lives.
cf_stage_dir() {
    local d
    d="$(mktemp -d /tmp/libssh2-conformance.XXXXXX)"
    chmod 755 "$d"
    echo "$d"
}

# ---- linking ------------------------------------------------------------------------

# cf_pick_linkdir LINKDIR WORKDIR OBJECT...: print the directory to link the
# OBJECTs against. That is LINKDIR (our library) when its libssh2.so.1 defines
# every libssh2 symbol the objects use. While it does not (yet), it is
# WORKDIR/stub: a stub with the same SONAME that defines the union, so every
# program still links with ordinary lazy PLT bindings. At run time the real
# library comes from LD_LIBRARY_PATH, and a program that calls a function the
# library lacks stops there with "undefined symbol". WORKDIR/missing lists them.
cf_pick_linkdir() {
    local linkdir="$1" w="$2"
    shift 2
    mkdir -p "$w"
    nm -u "$@" 2>/dev/null | awk '$1 == "U" {print $2}' | grep -E '^_?libssh2_' | sort -u >"$w/referenced"
    : >"$w/exports"
    [ -f "$linkdir/libssh2.so.1" ] && nm -D --defined-only "$linkdir/libssh2.so.1" | awk '{print $3}' |
        grep -E '^_?libssh2_' | sort -u >"$w/exports"
    comm -23 "$w/referenced" "$w/exports" >"$w/missing"
    if [ ! -s "$w/missing" ]; then
        echo "$linkdir"
        return 0
    fi
    echo "# the library lacks $(wc -l <"$w/missing") of the $(wc -l <"$w/referenced") libssh2 symbols" \
        "used: linking against a same-SONAME stub (list: $w/missing)" >&2
    mkdir -p "$w/stub"
    sort -u "$w/referenced" "$w/exports" | sed 's/.*/void &(void) {}/' >"$w/stub/stub.c"
    gcc -shared -fPIC -Wl,-soname,libssh2.so.1 -o "$w/stub/libssh2.so.1" "$w/stub/stub.c" || return 1
    ln -sfn libssh2.so.1 "$w/stub/libssh2.so"
    echo "$w/stub"
}

# cf_missing_for LIB PROGRAM: the libssh2 symbols PROGRAM needs that LIB lacks.
cf_missing_for() {
    comm -23 <(nm -D -u "$2" 2>/dev/null | awk '{print $2}' | grep -E '^_?libssh2_' | sort -u) \
        <(nm -D --defined-only "$1" 2>/dev/null | awk '{print $3}' | sort -u) | tr '\n' ' '
}
