#!/usr/bin/env bash
# Conformance: Perl's Net::SSH2 test suite (t/) on our libssh2.
#
# Net::SSH2 0.74 from Debian's source package libnet-ssh2-perl: its XS is built
# (perl Makefile.PL lib=... inc=...; make) against the headers and library of
# our `make install`, or of the reference build with --against-upstream, and
# its t/Net-SSH2.t runs against the conformance sshd (scripts/conformance/lib.sh)
# through its TEST_NET_SSH2_* variables: host, port, user and password, a
# known_hosts file with the server's keys and the strict policy, and $HOME/.ssh/id_rsa
# (upstream libssh2's tests/key_rsa, which the server accepts). One line per
# TAP test; a test that fails on the reference too is reported as not
# applicable.
#
#   scripts/conformance/net-ssh2.sh                    # our library
#   scripts/conformance/net-ssh2.sh --against-upstream # the reference libssh2
#
# Run as root. Prints TAP-ish lines and a closing "N passed, M failed" line;
# exits non-zero on failures only with CONFORMANCE_STRICT=1.
set -uo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=peer-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/peer-lib.sh"

NET_SSH2_VERSION=0.74
PORT=4721
# Seconds for one libssh2 call in the test script (TEST_NET_SSH2_TIMEOUT);
# the whole script gets the per-test limit times WHOLE_RUN_LIMITS.
CALL_TIMEOUT=30
WHOLE_RUN_LIMITS=3

# ---- run phase (inside the private network namespace) ----------------------

run_phase() {
    local d="$S/sshd" log="$S/logs/Net-SSH2.t.log" rc limit n st desc why
    cf_sshd_config "$S/tests" "$d" || cf_die "cannot write the sshd configuration"
    if ! cf_sshd_start "$d" "$PORT"; then
        cf_notok "start sshd on 127.0.0.1:$PORT" "$(tail -n 3 "$d/sshd.log" 2>/dev/null)"
    fi
    # known_hosts as ssh-keyscan would write it: every host key of the server.
    local k
    for k in "$d"/ssh_host_*_key; do
        echo "[127.0.0.1]:$PORT $(ssh-keygen -y -f "$k")"
    done >"$S/home/.ssh/known_hosts"
    chown -R "$CF_TEST_USER:" "$S/home"

    local envs=(HOME="$S/home" LD_LIBRARY_PATH="$S/lib"
        TEST_NET_SSH2_HOST=127.0.0.1 TEST_NET_SSH2_PORT="$PORT"
        TEST_NET_SSH2_USER="$CF_TEST_USER" TEST_NET_SSH2_PASSWORD="$CF_TEST_PASSWORD"
        TEST_NET_SSH2_KNOWN_HOSTS="$S/home/.ssh/known_hosts" TEST_NET_SSH2_POLICY=strict
        TEST_NET_SSH2_TIMEOUT="$CALL_TIMEOUT")
    local inc=(-I"$S/perl/blib/lib" -I"$S/perl/blib/arch")

    # Which libssh2 the XS module really loads.
    cf_as_user "${envs[@]}" LD_DEBUG=libs -- perl "${inc[@]}" -MNet::SSH2 -e 'print Net::SSH2->version, "\n"' \
        >"$S/logs/ld-debug.out" 2>"$S/logs/ld-debug.log"
    peer_check_loaded "Net::SSH2: SSH2.so loads libssh2.so.1 from the directory under test" "$S/lib" "$S/logs/ld-debug.log"

    limit=$(($(cf_limit) * WHOLE_RUN_LIMITS))
    (cd "$S/perl" && CF_TIMEOUT="$limit" cf_as_user "${envs[@]}" -- perl "${inc[@]}" t/Net-SSH2.t) >"$log" 2>&1
    rc=$?
    cf_log "t/Net-SSH2.t exit status $rc (log: $CF_CACHE/net-ssh2-logs-$PEER_AGAINST/Net-SSH2.t.log)"
    grep -m1 '^# libssh2 version' "$log"

    # TAP: "ok N - desc", "not ok N - desc", "ok N # skip why"; the "# " diag
    # lines after a failure say why.
    # Fields split by \x1f: a tab is IFS white space, and read would merge the
    # empty description of a skip with the next field.
    awk -v SEP=$'\x1f' '
        function flush() { if (n != "") print n SEP st SEP desc SEP why; n = "" }
        /^(not )?ok [0-9]+/ {
            flush()
            st = ($1 == "not") ? "fail" : "pass"; n = ($1 == "not") ? $3 : $2
            desc = $0; sub(/^(not )?ok [0-9]+ *(- )?/, "", desc); why = ""
            if (desc ~ /^# (skip|SKIP)/) { st = "skip"; why = desc; sub(/^# (skip|SKIP) */, "", why); desc = "" }
            next
        }
        n != "" && st == "fail" && /^# / { line = $0; sub(/^# +/, "", line); why = why (why == "" ? "" : "; ") line; next }
        END { flush() }
    ' "$log" >"$S/tap.tsv"
    while IFS=$'\x1f' read -r n st desc why; do
        peer_report "Net-SSH2.t $n${desc:+ - $desc}" "$st" "$why" "#$n"
    done <"$S/tap.tsv"

    # The script ends with done_testing, which prints the plan; Test::More's
    # exit status is then the number of failed tests (255 after a die).
    local failed
    failed="$(awk -F $'\x1f' '$2 == "fail"' "$S/tap.tsv" | wc -l)"
    if grep -q '^1\.\.[0-9]' "$log" && [ "$rc" = "$failed" ]; then
        peer_report "Net-SSH2.t: the script runs to done_testing" pass
    else
        peer_report "Net-SSH2.t: the script runs to done_testing" fail \
            "exit $rc$([ "$rc" = 124 ] && echo ' (timed out)'), $failed failed; last lines: $(grep -v '^#' "$log" | tail -n 3 | tr '\n' ' ' | cut -c1-200)"
    fi
    peer_report_unreached "Net-SSH2.t" "t/Net-SSH2.t stopped before it (exit $rc)"

    cf_sshd_stop "$d"
    cp "$d/sshd.log" "$S/logs/sshd.log" 2>/dev/null
}

if [ "${CF_PHASE:-}" = run ]; then
    run_phase
    exit 0
fi

# ---- setup phase -----------------------------------------------------------------

cf_setup_phase 19 "$@"
cf_log "Net::SSH2 $NET_SSH2_VERSION t/ on $([ "$AGAINST" = ours ] && echo our library || echo the reference libssh2)"
peer_ref_init net-ssh2 "$NET_SSH2_VERSION" "$AGAINST" "$0"
peer_ref_ensure "$0"
# IO::Scalar (libio-stringy-perl): without it two SCP tests are skipped.
cf_apt_install build-essential make perl libio-stringy-perl openssh-server openssh-client \
    openssh-sftp-server iproute2 binutils || cf_die "cannot install the needed packages"
LSRC="$(cf_upstream_src libssh2)" || cf_die "cannot fetch the upstream libssh2 source"
PSRC="$(cf_upstream_src libnet-ssh2-perl)" || cf_die "cannot fetch the libnet-ssh2-perl source"
if [ "$AGAINST" = upstream ]; then
    peer_prefix_upstream "$LSRC" || cf_die "cannot build the reference libssh2"
else
    peer_prefix_ours || cf_die "cannot build and install our libssh2 (see $CF_CACHE/cargo-release.log)"
fi
PREFIX="$(peer_prefix "$AGAINST")"

# ---- build the XS against the library's headers and libssh2.so ----------------------

B="$CF_CACHE/net-ssh2-$NET_SSH2_VERSION/build-$AGAINST"
blog="$B.log"
T0=$SECONDS
# Rebuilt when the headers change (ours are edited; the XS compiles against them).
hkey="$(cat "$PREFIX"/include/*.h | sha256sum | cut -c1-12)"
if [ ! -f "$B/.built-$hkey" ]; then
    rm -rf "$B"
    mkdir -p "${B%/*}"
    cp -a "$PSRC" "$B"
    # lib= and inc= skip Makefile.PL's library probe and use these paths only.
    if (cd "$B" && perl Makefile.PL lib="$PREFIX/lib" inc="$PREFIX/include" && make -j2) >"$blog" 2>&1; then
        touch "$B/.built-$hkey"
    else
        tail -n 20 "$blog" | sed 's/^/#   /'
        cf_notok "Net::SSH2: build the XS against $AGAINST libssh2" "see $blog"
        cf_finish "net-ssh2"
    fi
    cf_log "built in $((SECONDS - T0))s (log: $blog)"
fi
XS="$B/blib/arch/auto/Net/SSH2/SSH2.so"
if readelf -d "$XS" | grep -q 'NEEDED.*\[libssh2\.so\.1\]'; then
    cf_ok "Net::SSH2: the XS module links libssh2.so.1"
else
    cf_notok "Net::SSH2: the XS module links libssh2.so.1" "no NEEDED libssh2.so.1 in $XS"
fi
warnings="$(grep -c 'warning:' "$blog" || true)"
cf_log "compiler warnings in the XS build: $warnings"

S="$(cf_stage_dir)"
[ "${CONFORMANCE_KEEP_STAGE:-0}" = 1 ] || trap 'rm -rf "$S"' EXIT
mkdir -p "$S/logs" "$S/lib" "$S/home/.ssh" "$S/perl"
# The test user runs the suite: a copy it can read (t/ reads ../ppport.h).
cp -a "$B/blib" "$B/t" "$B/ppport.h" "$S/perl/"
cp -L "$PREFIX/lib/libssh2.so.1" "$S/lib/libssh2.so.1"
cp -r "$LSRC/tests" "$S/tests"
install -m 600 "$S/tests/key_rsa" "$S/home/.ssh/id_rsa"
install -m 644 "$S/tests/key_rsa.pub" "$S/home/.ssh/id_rsa.pub"
chmod -R a+rX "$S"
chmod 700 "$S/home/.ssh"
cf_test_user_setup "$S/tests" || cf_notok "set up the $CF_TEST_USER test user"
# The key and known_hosts are the test user's.
chown -R "$CF_TEST_USER:" "$S/home" "$S/perl"

export CF_PHASE=run S CF_RESULTS
cf_budget_start
peer_seen_init "$S/seen"
cf_in_netns bash "$0"

peer_ref_save
rm -rf "$CF_CACHE/net-ssh2-logs-$AGAINST"
cp -r "$S/logs" "$CF_CACHE/net-ssh2-logs-$AGAINST"
cf_log "logs: $CF_CACHE/net-ssh2-logs-$AGAINST"
cf_log "net-ssh2 took $((SECONDS - START))s"
cf_finish "net-ssh2"
