#!/usr/bin/env bash
# THE test command: everything CI checks, in order, with a summary.
#
#   scripts/test.sh
#
# Stages: setup, rustfmt, clippy, release build, cargo test (unit tests and
# the sshd-backed integration tests), the install test, the differential
# stage, the legacy algorithms and the interop servers, the load checks, the
# fuzz replay, Miri over the socket-free unit tests, then each
# the conformance scripts (upstream tests, upstream examples, curl, and the
# peer suites: the ssh2 crate's tests, Net::SSH2's t/, libgit2's SSH tests), whose
# "N passed, M failed" counts are also reported on a line of their own, and
# last the sanitizers (ASan/LSan over the Rust tests, valgrind over the C
# tests and upstream's test suite).
# Every stage runs even after a failure, so one run shows all problems.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

# Tests check behaviour, not speed: build the release profile without LTO
# and debug info so the ~25 test binaries link in a fraction of the time
# (bench/run.sh builds the real release profile).
export CARGO_PROFILE_RELEASE_LTO=${CARGO_PROFILE_RELEASE_LTO:-false}
export CARGO_PROFILE_RELEASE_DEBUG=${CARGO_PROFILE_RELEASE_DEBUG:-0}
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-16}

LOGDIR=${TEST_LOG_DIR:-target/test-logs}
mkdir -p "$LOGDIR"
stages=() results=()
total_pass=0 total_fail=0

# Adds the "N passed; M failed" (cargo) or "N passed, M failed" counts of a
# log to the totals, and leaves this log's own in $counted.
count_tests() { # log rc
    local p f
    if ! grep -qE '^test result: |^[A-Za-z0-9-]+: [0-9]+ passed, [0-9]+ failed' "$1"; then
        # No counts printed: the stage itself is one check.
        if (($2 == 0)); then p=1 f=0; else p=0 f=1; fi
    else
        read -r p f < <(grep -E '^test result: |^[A-Za-z0-9-]+: [0-9]+ passed, [0-9]+ failed' "$1" |
            sed -E 's/.* ([0-9]+) passed[;,] ([0-9]+) failed.*/\1 \2/' |
            awk '{p += $1; f += $2} END {print p + 0, f + 0}')
        # A failing run that counted no failure (crash, build error) still fails.
        (($2 != 0 && f == 0)) && f=1
    fi
    total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
    counted="$p passed, $f failed"
}

stage() { # name counts(yes|no) command...
    local name=$1 counts=$2; shift 2
    local log="$LOGDIR/${name//[^A-Za-z0-9_-]/_}.log" start=$SECONDS rc detail=""
    echo "==> $name: $*"
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    if [[ $counts == yes ]]; then
        count_tests "$log" "$rc"
        detail=" ($counted)"
    elif ((rc != 0)); then
        total_fail=$((total_fail + 1))
    fi
    stages+=("$name")
    if ((rc == 0)); then
        results+=("ok     $name$detail [$((SECONDS - start))s]")
    else
        results+=("FAILED $name$detail [$((SECONDS - start))s] exit $rc, log $log")
    fi
    return 0
}

stage setup no scripts/setup.sh
stage rustfmt no cargo fmt --check
stage clippy no cargo clippy --all-targets -- -D warnings
stage build no cargo build --release
stage cargo-test yes cargo test --release --no-fail-fast
stage install yes scripts/install-test.sh
# Issue 15: the reference libssh2 1.11.1 as an oracle (scripts/diff.sh).
stage differential yes scripts/diff.sh
# Issue 15: the legacy ciphers and MACs against real servers that offer them
# (AsyncSSH, the ssh2 npm package), on ours and on the reference libssh2.
stage legacy-algos yes scripts/interop-legacy.sh
# Issue 16: OpenSSH 10, dropbear, tinysshd, ProFTPD mod_sftp and AsyncSSH, every
# check and every algorithm each offers, on ours and on the reference libssh2.
stage interop yes scripts/interop.sh
# Issue 19: 200 sessions at once, a 500-session soak, a stalled session on one
# thread not holding up another (no timing asserted; bench/load.sh measures).
stage load yes scripts/load-test.sh
# Issue 9: replay the fuzz corpus and reproducers, then a bounded run of every
# cargo-fuzz target for about a minute each (FUZZ_SECONDS, default 60).
stage fuzz yes env FUZZ_SECONDS="${FUZZ_SECONDS:-60}" scripts/fuzz.sh
# Issue 17: Miri (Stacked Borrows) over the unit tests that need no socket,
# the FFI's among them; any undefined behaviour reported fails the stage.
stage miri yes scripts/miri.sh

# Upstream's test suite and examples, and curl, on our library (issue 8).
# They all pass, so they gate the run like every other test (strict mode:
# each script exits non-zero on any failure). Their counts are also
# reported on a line of their own.
export CONFORMANCE_STRICT=${CONFORMANCE_STRICT:-1}
conf_pass=0 conf_fail=0
for script in upstream-tests upstream-examples curl ssh2-rs net-ssh2 libgit2; do
    before_pass=$total_pass before_fail=$total_fail
    stage "conformance/$script" yes "scripts/conformance/$script.sh"
    conf_pass=$((conf_pass + total_pass - before_pass))
    conf_fail=$((conf_fail + total_fail - before_fail))
done

# Issue 9: memory errors and leaks, gating like the rest (scripts/sanitizers.sh:
# its "asan: ..." and "valgrind: ..." counts add to the totals). Last, so the
# conformance stages have built the release library it checks under valgrind.
stage sanitizers yes scripts/sanitizers.sh

echo
echo "==> summary"
for r in "${results[@]}"; do echo "  $r"; done
failed_stages=$(printf '%s\n' "${results[@]}" | grep -c '^FAILED' || true)
echo "stages: $((${#stages[@]} - failed_stages)) ok, $failed_stages failed"
echo "conformance: $conf_pass passed, $conf_fail failed"
echo "summary: $total_pass passed, $total_fail failed"
((failed_stages == 0 && total_fail == 0))
