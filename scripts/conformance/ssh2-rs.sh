#!/usr/bin/env bash
# Conformance: the Rust ssh2 crate's own tests on our libssh2.
#
# ssh2 0.9.5 from crates.io (its .crate holds tests/ and a Cargo.lock), its
# libssh2-sys linked through pkg-config (LIBSSH2_SYS_USE_PKG_CONFIG=1) to our
# `make install`ed libssh2.pc, or to a libssh2.pc of the reference build with
# --against-upstream. Its tests run the way its CI's
# tests/run_integration_tests.sh runs them: a private sshd on port 8022 with
# that script's sshd_config, an ssh-agent holding a fresh RSA key, and
# RUST_SSH2_FIXTURE_PORT. One line per test of tests/all; a test that fails on
# the reference too is reported as not applicable.
#
#   scripts/conformance/ssh2-rs.sh                    # our library
#   scripts/conformance/ssh2-rs.sh --against-upstream # the reference libssh2
#
# Run as root. Prints TAP-ish lines and a closing "N passed, M failed" line;
# exits non-zero on failures only with CONFORMANCE_STRICT=1.
set -uo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=peer-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/peer-lib.sh"

SSH2_VERSION=0.9.5
# The crate's Cargo.lock pins openssl-sys 0.9.58, which cannot build against
# OpenSSL 3; this is the one entry moved (libssh2-sys stays at its 0.3.1).
OPENSSL_SYS_VERSION=0.9.118
# The port its run_integration_tests.sh uses.
PORT=8022
# A whole-binary run may take this many per-test limits (31 tests, two at a
# time); a test with no outcome then (hang, crash) is run again on its own.
WHOLE_RUN_LIMITS=3

# ---- run phase (inside the private network namespace) ----------------------

# failure_reason LOG TEST: the panic message of TEST from libtest's output.
failure_reason() {
    awk -v t="---- $2 stdout ----" '
        $0 == t { on = 1; next }
        on && /^---- .* stdout ----$/ { exit }
        on && /^(stack backtrace:|note: )/ { exit }
        on && NF { sub(/^thread .* panicked at /, "panicked at "); print }
    ' "$1" | head -n 6 | tr '\n' ' '
}

run_phase() {
    local d="$S/sshd" bin="$S/bin/all" log="$S/logs/tests.log" t status rc limit
    mkdir -p "$d"
    # As run_integration_tests.sh does: a fresh user key in an agent, which
    # authorized_keys lists, an RSA host key, the banner and its sshd_config.
    eval "$(ssh-agent -s)" >/dev/null
    ssh-keygen -t rsa -f "$d/id_rsa" -N "" -q
    ssh-add -q "$d/id_rsa" 2>/dev/null
    cp "$d/id_rsa.pub" "$d/authorized_keys"
    ssh-keygen -f "$d/ssh_host_rsa_key" -N '' -t rsa -q
    echo -n "Authorized access only!" >"$d/banner"
    cat >"$d/sshd_config" <<EOF
# Its run_integration_tests.sh's configuration, less the deprecated
# UsePrivilegeSeparation; ListenAddress keeps it on loopback when there is no
# private network namespace.
ListenAddress 127.0.0.1
AuthorizedKeysFile=$d/authorized_keys
HostKey=$d/ssh_host_rsa_key
PidFile=$d/sshd.pid
Banner $d/banner
Subsystem sftp internal-sftp
UsePAM yes
X11Forwarding yes
PrintMotd yes
PermitTunnel yes
KbdInteractiveAuthentication yes
AllowTcpForwarding yes
MaxStartups 500
StrictModes no
EOF
    if ! cf_sshd_start "$d" "$PORT"; then
        cf_notok "start sshd on 127.0.0.1:$PORT" "$(tail -n 3 "$d/sshd.log" 2>/dev/null)"
    fi
    trap 'cf_sshd_stop_all; kill "$SSH_AGENT_PID" 2>/dev/null' EXIT

    # The tests read $USER (the login name) and connect to the fixture port.
    local envs=(PATH=/usr/local/bin:/usr/bin:/bin HOME="$S/home" USER=root
        SSH_AUTH_SOCK="$SSH_AUTH_SOCK" RUST_SSH2_FIXTURE_PORT="$PORT" RUST_BACKTRACE=1
        LD_LIBRARY_PATH="$S/lib")

    # Which libssh2 the test binary really loads.
    (cd "$SRC" && env -i "${envs[@]}" LD_DEBUG=libs "$bin" --list) >"$S/logs/ld-debug.out" 2>"$S/logs/ld-debug.log"
    peer_check_loaded "ssh2-rs: the test binary loads libssh2.so.1 from the directory under test" \
        "$S/lib" "$S/logs/ld-debug.log"
    grep ': test$' "$S/logs/ld-debug.out" | sed 's/: test$//' >"$S/tests.list"
    cf_log "tests: $(wc -l <"$S/tests.list") (tests/all)"

    # One run of the whole binary, as cargo test runs it (threads in parallel).
    limit=$(($(cf_limit) * WHOLE_RUN_LIMITS))
    (cd "$SRC" && env -i "${envs[@]}" timeout -k 5 "$limit" "$bin") >"$log" 2>&1
    rc=$?
    cf_log "test binary exit status $rc (log: $CF_CACHE/ssh2-rs-logs-$PEER_AGAINST/tests.log)"
    while read -r t; do
        cf_over_budget "ssh2-rs: $t" && continue
        status="$(sed -n "s/^test $t \.\.\. \(ok\|FAILED\|ignored\).*/\1/p" "$log" | head -n 1)"
        if [ -z "$status" ]; then
            # No outcome in the whole run (it hung or crashed): alone, once.
            (cd "$SRC" && env -i "${envs[@]}" timeout -k 5 "$(cf_limit)" "$bin" --exact "$t") \
                >"$S/logs/alone-$t.log" 2>&1
            rc=$?
            status="$(sed -n "s/^test $t \.\.\. \(ok\|FAILED\|ignored\).*/\1/p" "$S/logs/alone-$t.log" | head -n 1)"
            if [ -z "$status" ]; then
                peer_report "ssh2-rs: $t" fail "no outcome (exit $rc$([ "$rc" = 124 ] && echo ', timed out'); alone too): $(tail -n 2 "$S/logs/alone-$t.log" | tr '\n' ' ' | cut -c1-150)"
                continue
            fi
            log="$S/logs/alone-$t.log"
        fi
        case "$status" in
            ok) peer_report "ssh2-rs: $t" pass ;;
            ignored) peer_report "ssh2-rs: $t" skip "#[ignore]" ;;
            FAILED) peer_report "ssh2-rs: $t" fail "$(failure_reason "$log" "$t")" ;;
        esac
        log="$S/logs/tests.log"
    done <"$S/tests.list"

    cf_sshd_stop "$d"
    cp "$d/sshd.log" "$S/logs/sshd.log" 2>/dev/null
}

if [ "${CF_PHASE:-}" = run ]; then
    run_phase
    exit 0
fi

# ---- setup phase -----------------------------------------------------------------

cf_setup_phase 18 "$@"
cf_log "ssh2 $SSH2_VERSION (Rust crate) tests on $([ "$AGAINST" = ours ] && echo our library || echo the reference libssh2)"
peer_ref_init ssh2-rs "$SSH2_VERSION" "$AGAINST" "$0"
peer_ref_ensure "$0"
cf_apt_install build-essential pkg-config libssl-dev zlib1g-dev openssh-server openssh-client \
    iproute2 binutils || cf_die "cannot install the needed packages"
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null || cf_die "cargo is not installed"
LSRC="$(cf_upstream_src libssh2)" || cf_die "cannot fetch the upstream libssh2 source"
if [ "$AGAINST" = upstream ]; then
    peer_prefix_upstream "$LSRC" || cf_die "cannot build the reference libssh2"
else
    peer_prefix_ours || cf_die "cannot build and install our libssh2 (see $CF_CACHE/cargo-release.log)"
fi
PREFIX="$(peer_prefix "$AGAINST")"

# ---- the crate's source: from crates.io through cargo, into the cache -------------

C="$CF_CACHE/ssh2-rs-$SSH2_VERSION"
SRC="$C/src"
if [ ! -f "$SRC/.prepared-$OPENSSL_SYS_VERSION" ]; then
    cf_log "fetching ssh2 $SSH2_VERSION from crates.io (a throwaway project's cargo fetch)"
    rm -rf "$C/fetch" "$SRC"
    mkdir -p "$C/fetch/src"
    cat >"$C/fetch/Cargo.toml" <<EOF
[package]
name = "fetch-ssh2"
version = "0.0.0"
edition = "2021"

[dependencies]
ssh2 = "=$SSH2_VERSION"
EOF
    echo 'fn main() {}' >"$C/fetch/src/main.rs"
    (cd "$C/fetch" && cargo fetch -q) >"$C/fetch.log" 2>&1 || cf_die "cargo fetch failed (see $C/fetch.log)"
    crate="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "ssh2-$SSH2_VERSION.crate" | head -n 1)"
    [ -n "$crate" ] || cf_die "ssh2-$SSH2_VERSION.crate is not in cargo's registry cache"
    mkdir -p "$SRC"
    tar -xzf "$crate" -C "$SRC" --strip-components=1
    (cd "$SRC" && cargo update -q -p openssl-sys --precise "$OPENSSL_SYS_VERSION") >>"$C/fetch.log" 2>&1 ||
        cf_die "cannot move openssl-sys to $OPENSSL_SYS_VERSION (see $C/fetch.log)"
    touch "$SRC/.prepared-$OPENSSL_SYS_VERSION"
fi

# ---- build: cargo test --no-run, one target directory per library -------------------

T0=$SECONDS
blog="$C/build-$AGAINST.log"
# Only tests/all: the library has no unit tests and its doctests are all
# no_run (compiled, never run). --cap-lints: its tests say #![deny(warnings)], and today's rustc warns about
# things the 2020 code does; lints are not what is tested here.
if ! (cd "$SRC" && env LIBSSH2_SYS_USE_PKG_CONFIG=1 PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" \
    CARGO_TARGET_DIR="$C/target-$AGAINST" RUSTFLAGS="--cap-lints=warn" \
    cargo test --locked --no-run -j2 --test all --message-format=json) >"$blog" 2>"$blog.err"; then
    tail -n 20 "$blog.err" | sed 's/^/#   /'
    cf_notok "ssh2-rs: build the crate's tests against $AGAINST libssh2.pc" "see $blog.err"
    cf_finish "ssh2-rs"
fi
BIN="$(grep -o '"executable":"[^"]*/all-[^"]*"' "$blog" | tail -n 1 | sed 's/^"executable":"//; s/"$//')"
[ -x "$BIN" ] || cf_die "no test executable in $blog"
cf_log "built in $((SECONDS - T0))s: $BIN"
if readelf -d "$BIN" | grep -q 'NEEDED.*\[libssh2\.so\.1\]'; then
    cf_ok "ssh2-rs: libssh2-sys links libssh2.so.1 through pkg-config"
else
    cf_notok "ssh2-rs: libssh2-sys links libssh2.so.1 through pkg-config" "no NEEDED libssh2.so.1 (a vendored build?)"
fi

S="$(cf_stage_dir)"
[ "${CONFORMANCE_KEEP_STAGE:-0}" = 1 ] || trap 'rm -rf "$S"' EXIT
mkdir -p "$S/logs" "$S/bin" "$S/lib" "$S/home"
cp "$BIN" "$S/bin/all"
cp -L "$PREFIX/lib/libssh2.so.1" "$S/lib/libssh2.so.1"

export CF_PHASE=run S SRC CF_RESULTS
cf_budget_start
cf_in_netns bash "$0"

peer_ref_save
rm -rf "$CF_CACHE/ssh2-rs-logs-$AGAINST"
cp -r "$S/logs" "$CF_CACHE/ssh2-rs-logs-$AGAINST"
cf_log "logs: $CF_CACHE/ssh2-rs-logs-$AGAINST"
cf_log "ssh2-rs took $((SECONDS - START))s"
cf_finish "ssh2-rs"
