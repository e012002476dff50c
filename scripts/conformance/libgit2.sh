#!/usr/bin/env bash
# Conformance: libgit2's online SSH tests on our libssh2.
#
# libgit2 1.9.0 from Debian's source package, configured with USE_SSH=libssh2
# through our `make install`ed libssh2.pc and built once into the cache (only
# its libgit2_tests target, without RPATH so LD_LIBRARY_PATH decides which
# libssh2.so.1 it loads; with --against-upstream the same binary runs on the
# reference library, as the other conformance scripts do). Its tests run the
# way its ci/test.sh runs its "ssh" tests: an sshd on port 2222 with that
# script's sshd_config and an ECDSA host key, a fresh ECDSA user key in $HOME/.ssh,
# known_hosts, and GITTEST_REMOTE_URL / _USER / _SSH_KEY / _SSH_PUBKEY /
# _SSH_PASSPHRASE / _SSH_FINGERPRINT; the "ssh" selection runs with an ssh://
# URL and again with an scp-style one. Two more selections use the same
# server: online::clone::ssh_memory_auth (its CI reaches it only without a
# URL, where it skips) and online::clone::credentials with a password
# (GITTEST_REMOTE_PASS). The tests run as the unprivileged test user, as in
# its CI. One line per test and selection; a test that fails on the reference
# too (the ones that need github.com) is reported as not applicable.
#
#   scripts/conformance/libgit2.sh                    # our library
#   scripts/conformance/libgit2.sh --against-upstream # the reference libssh2
#
# Run as root. Prints TAP-ish lines and a closing "N passed, M failed" line;
# exits non-zero on failures only with CONFORMANCE_STRICT=1.
set -uo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=peer-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/peer-lib.sh"

LIBGIT2_VERSION=1.9.0
# The port and key type of its ci/test.sh.
PORT=2222
KEYTYPE=ecdsa
# The "ssh" test of its tests/libgit2/CMakeLists.txt.
SSH_SELECTION=(-sonline::push -sonline::clone::ssh_cert -sonline::clone::ssh_with_paths
    -sonline::clone::path_whitespace_ssh -sonline::clone::ssh_auth_methods)
# One selection may take this many per-test limits.
SELECTION_LIMITS=3
# cmake options beyond USE_SSH: no HTTPS (no TLS library needed, nothing here
# goes beyond loopback), the system's http-parser and regcomp (Debian's source
# drops the bundled ones), only what the tests need.
CMAKE_OPTS=(-DCMAKE_BUILD_TYPE=Debug -DUSE_SSH=libssh2 -DUSE_HTTPS=OFF -DUSE_HTTP_PARSER=http-parser
    -DREGEX_BACKEND=regcomp -DUSE_NTLMCLIENT=OFF -DUSE_GSSAPI=OFF -DBUILD_CLI=OFF -DBUILD_EXAMPLES=OFF
    -DBUILD_FUZZERS=OFF -DBUILD_TESTS=ON -DCMAKE_SKIP_BUILD_RPATH=ON)

# ---- run phase (inside the private network namespace) ----------------------

# skip_reason TEST: why clar skips TEST here (the precondition it checks).
skip_reason() {
    case "$1" in
        online::clone::ssh_certcheck_* | online::clone::ssh_github*)
            echo "needs GITTEST_GITHUB_SSH_KEY and friends: a key for github.com, beyond this machine" ;;
        online::clone::ssh_with_paths | online::clone::ssh_memory_auth)
            echo "needs an ssh:// GITTEST_REMOTE_URL (this selection uses an scp-style one)" ;;
        *) echo "clar_skip: a precondition the test checks is not met" ;;
    esac
}

# run_selection LABEL ENV... -- CLAR-ARGS...: run libgit2_tests (TAP output)
# as the test user and report each test as "LABEL: suite::test".
run_selection() {
    local label="$1" envs=() log
    shift
    while [ "$1" != -- ]; do
        envs+=("$1")
        shift
    done
    shift
    log="$S/logs/$label.log"
    local t0=$SECONDS
    cf_over_budget "libgit2 $label: (the selection)" && return
    (cd "$S/work" && CF_TIMEOUT=$(($(cf_limit) * SELECTION_LIMITS)) cf_as_user "${COMMON_ENV[@]}" "${envs[@]}" -- \
        "$S/bin/libgit2_tests" -t "$@") >"$log" 2>&1
    local rc=$?
    cf_log "$label: libgit2_tests exit status $rc in $((SECONDS - t0))s (log: $CF_CACHE/libgit2-logs-$PEER_AGAINST/$label.log)"
    # clar's TAP: "ok N - suite::test", "ok N - # SKIP suite::test", and
    # "not ok N - suite::test" followed by a "reason: |" block.
    awk -v SEP=$'\x1f' '
        function flush() { if (name != "") print name SEP st SEP why; name = "" }
        /^ok [0-9]+ - # SKIP / { flush(); name = $6; st = "skip"; why = "clar skip (a precondition the test checks is not met)"; next }
        /^ok [0-9]+ - / { flush(); name = $4; st = "pass"; why = ""; next }
        /^not ok [0-9]+ - / { flush(); name = $5; st = "fail"; why = ""; inr = 0; next }
        name != "" && st == "fail" && /^    reason: \|/ { inr = 1; next }
        name != "" && st == "fail" && /^    at:/ { inr = 0; next }
        name != "" && st == "fail" && /^      (line|file):/ { l = $0; sub(/^ +/, "", l); why = why " [" l "]"; next }
        name != "" && st == "fail" && inr { l = $0; sub(/^ +/, "", l); why = why (why == "" ? "" : " ") l; next }
        /^Bail out!/ { flush(); print "(bail out)" SEP "fail" SEP $0 }
        END { flush() }
    ' "$log" >"$S/$label.tsv"
    local name st why
    while IFS=$'\x1f' read -r name st why; do
        [ "$st" = skip ] && why="$(skip_reason "$name")"
        peer_report "libgit2 $label: $name" "$st" "$why"
    done <"$S/$label.tsv"
    grep -q '^1\.\.[0-9]' "$log" ||
        peer_report "libgit2 $label: libgit2_tests finishes" fail \
            "exit $rc$([ "$rc" = 124 ] && echo ' (timed out)'); last lines: $(tail -n 3 "$log" | tr '\n' ' ' | cut -c1-200)"
}

run_phase() {
    local d="$S/sshd" home="$S/home" fp
    # As ci/test.sh does: the pushoptions repository as the remote, its
    # sshd_config (ListenAddress 127.0.0.1, not 0.0.0.0: loopback only), a host
    # key that is also named as its certificate, and the user's key.
    mkdir -p "$d" "$home/.ssh"
    cp -R "$GSRC/tests/resources/pushoptions.git" "$d/test.git"
    cat >"$d/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $d/id_$KEYTYPE
PidFile $d/sshd.pid
AuthorizedKeysFile $home/.ssh/authorized_keys
LogLevel DEBUG
PasswordAuthentication yes
PubkeyAuthentication yes
KbdInteractiveAuthentication no
StrictModes no
HostCertificate $d/id_$KEYTYPE.pub
HostKey $d/id_$KEYTYPE
UsePAM no
EOF
    ssh-keygen -t "$KEYTYPE" -f "$d/id_$KEYTYPE" -N "" -q
    ssh-keygen -t "$KEYTYPE" -f "$home/.ssh/id_$KEYTYPE" -N "" -q
    cat "$home/.ssh/id_$KEYTYPE.pub" >>"$home/.ssh/authorized_keys"
    local algorithm key
    while read -r algorithm key _; do
        echo "[localhost]:$PORT $algorithm $key"
    done <"$d/id_$KEYTYPE.pub" >>"$home/.ssh/known_hosts"
    fp="$(ssh-keygen -E md5 -F "[localhost]:$PORT" -f "$home/.ssh/known_hosts" -l | tail -n 1 |
        cut -d ' ' -f 3 | cut -d : -f2- | tr -d :)"
    chown -R "$CF_TEST_USER:" "$d/test.git" "$home" "$S/work"
    if ! cf_sshd_start "$d" "$PORT"; then
        cf_notok "start sshd on 127.0.0.1:$PORT" "$(tail -n 3 "$d/sshd.log" 2>/dev/null)"
    fi

    COMMON_ENV=(HOME="$home" CLAR_HOMEDIR="$home" TMPDIR="$S/tmp" LD_LIBRARY_PATH="$S/lib"
        GITTEST_PUSH_OPTIONS=true GITTEST_REMOTE_USER="$CF_TEST_USER"
        GITTEST_REMOTE_SSH_KEY="$home/.ssh/id_$KEYTYPE" GITTEST_REMOTE_SSH_PUBKEY="$home/.ssh/id_$KEYTYPE.pub"
        GITTEST_REMOTE_SSH_PASSPHRASE="" GITTEST_REMOTE_SSH_FINGERPRINT="$fp"
        GITTEST_SSH_CMD="ssh -i $home/.ssh/id_$KEYTYPE -o UserKnownHostsFile=$home/.ssh/known_hosts")

    # Which libssh2 the test binary really loads.
    cf_as_user "${COMMON_ENV[@]}" LD_DEBUG=libs -- "$S/bin/libgit2_tests" -l >"$S/logs/ld-debug.out" 2>"$S/logs/ld-debug.log"
    peer_check_loaded "libgit2: libgit2_tests loads libssh2.so.1 from the directory under test" "$S/lib" "$S/logs/ld-debug.log"

    local url="ssh://localhost:$PORT/$d/test.git"
    run_selection ssh GITTEST_REMOTE_URL="$url" -- "${SSH_SELECTION[@]}"
    run_selection ssh-scp-path GITTEST_REMOTE_URL="[localhost:$PORT]:$d/test.git" -- "${SSH_SELECTION[@]}"
    run_selection ssh-memory-key GITTEST_REMOTE_URL="$url" -- -sonline::clone::ssh_memory_auth
    run_selection ssh-password GITTEST_REMOTE_URL="$url" GITTEST_REMOTE_PASS="$CF_TEST_PASSWORD" -- \
        -sonline::clone::credentials
    peer_report_unreached "libgit2" "its selection stopped before it"

    cf_sshd_stop "$d"
    cp "$d/sshd.log" "$S/logs/sshd.log" 2>/dev/null
}

if [ "${CF_PHASE:-}" = run ]; then
    run_phase
    exit 0
fi

# ---- setup phase -----------------------------------------------------------------

cf_setup_phase 25 "$@"
cf_log "libgit2 $LIBGIT2_VERSION online SSH tests on $([ "$AGAINST" = ours ] && echo our library || echo the reference libssh2)"
peer_ref_init libgit2 "$LIBGIT2_VERSION" "$AGAINST" "$0"
peer_ref_ensure "$0"
# git: the server side (git-upload-pack, git-receive-pack) of the SSH remote.
cf_apt_install build-essential cmake pkg-config python3 zlib1g-dev libhttp-parser-dev git \
    openssh-server openssh-client iproute2 binutils || cf_die "cannot install the needed packages"
LSRC="$(cf_upstream_src libssh2)" || cf_die "cannot fetch the upstream libssh2 source"
GSRC="$(cf_upstream_src libgit2)" || cf_die "cannot fetch the libgit2 source"
# The build is against our libssh2.pc in both modes; the reference only runs.
peer_prefix_ours || cf_die "cannot build and install our libssh2 (see $CF_CACHE/cargo-release.log)"
[ "$AGAINST" = upstream ] && { peer_prefix_upstream "$LSRC" || cf_die "cannot build the reference libssh2"; }
PREFIX="$(peer_prefix "$AGAINST")"

# ---- build libgit2_tests once, against our libssh2.pc -------------------------------

B="$CF_CACHE/libgit2-$LIBGIT2_VERSION"
okey="$(printf '%s\n' "${CMAKE_OPTS[@]}" | sha256sum | cut -c1-12)"
if [ ! -f "$B/.built-$okey" ] || [ ! -x "$B/build/libgit2_tests" ]; then
    rm -rf "$B"
    mkdir -p "$B"
    T0=$SECONDS
    cf_log "building libgit2 $LIBGIT2_VERSION's libgit2_tests (cmake, -j2; cached in $B)"
    if PKG_CONFIG_PATH="$PEER_PREFIX_OURS/lib/pkgconfig" cmake -S "$GSRC" -B "$B/build" "${CMAKE_OPTS[@]}" \
        >"$B/cmake.log" 2>&1 && grep -q 'SSH, using libssh2' "$B/cmake.log" &&
        cmake --build "$B/build" --target libgit2_tests -j2 >"$B/build.log" 2>&1; then
        touch "$B/.built-$okey"
        cf_log "built in $((SECONDS - T0))s"
    else
        tail -n 20 "$B/cmake.log" "$B/build.log" 2>/dev/null | sed 's/^/#   /'
        cf_notok "libgit2: build libgit2_tests with USE_SSH=libssh2 against our libssh2.pc" "see $B/cmake.log, $B/build.log"
        cf_finish "libgit2"
    fi
fi
if readelf -d "$B/build/libgit2_tests" | grep -q 'NEEDED.*\[libssh2\.so\.1\]'; then
    cf_ok "libgit2: libgit2_tests links libssh2.so.1 (USE_SSH=libssh2, pkg-config)"
else
    cf_notok "libgit2: libgit2_tests links libssh2.so.1 (USE_SSH=libssh2, pkg-config)" "no NEEDED libssh2.so.1"
fi

S="$(cf_stage_dir)"
[ "${CONFORMANCE_KEEP_STAGE:-0}" = 1 ] || trap 'rm -rf "$S"' EXIT
mkdir -p "$S/logs" "$S/lib" "$S/bin" "$S/work" "$S/tmp"
chmod 1777 "$S/tmp"
cp "$B/build/libgit2_tests" "$S/bin/"
cp -L "$PREFIX/lib/libssh2.so.1" "$S/lib/libssh2.so.1"
cf_test_user_setup "$LSRC/tests" || cf_notok "set up the $CF_TEST_USER test user"

export CF_PHASE=run S GSRC CF_RESULTS
cf_budget_start
peer_seen_init "$S/seen"
cf_in_netns bash "$0"

peer_ref_save
rm -rf "$CF_CACHE/libgit2-logs-$AGAINST"
cp -r "$S/logs" "$CF_CACHE/libgit2-logs-$AGAINST"
cf_log "logs: $CF_CACHE/libgit2-logs-$AGAINST"
cf_log "libgit2 took $((SECONDS - START))s"
cf_finish "libgit2"
