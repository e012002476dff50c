#!/usr/bin/env bash
# Memory errors and leaks under valgrind (issue 9): zero invalid accesses and
# zero definite/indirect leaks from the library, over
#   1. the C test programs in tests/c/ (those with a main), built against
#      include/ and target/$PROFILE/libssh2.so and run against the fixture sshd
#      and an ssh-agent;
#   2. a representative set of the Rust integration tests that drive the C API
#      (the test binaries themselves under valgrind; sshd and the other child
#      processes are not traced);
#   3. upstream libssh2's own test suite (scripts/conformance/upstream-tests.sh
#      with CONFORMANCE_VALGRIND=1, see its header), each of its programs
#      under valgrind; its tests count one each in the totals.
#
#   scripts/valgrind.sh              # all of it (a few minutes)
#   VALGRIND_PROFILE=debug scripts/valgrind.sh
#
# Prints one line per program and a closing "valgrind: N passed, M failed".
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
PROFILE=${VALGRIND_PROFILE:-release}
# The Rust tests run under valgrind: file and test-name filter (the whole flow
# through the C API in non-blocking one-byte mode, SCP, channels with exit
# signals and stderr, known_hosts and its allocator bookkeeping through C).
RUST_TESTS=(
    "faults eagain_and_one_byte_moves_at_every_boundary_nonblocking"
    "scp old_apis_without_times"
    "scp remote_errors_carry_the_message"
    "channels exec_reports_exit_status_and_signal"
    "channels stderr_apart_ignored_and_merged"
    "knownhost memory_comes_from_and_returns_to_the_session_allocator"
    "knownhost get_iterates_and_del_removes"
)
# tests/c programs that are not tests: sftp_bench is bench/'s throughput
# program (it needs arguments and moves megabytes).
C_SKIP=(sftp_bench)
# shellcheck disable=SC2054 # the commas belong to the options
VG=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --trace-children=no --num-callers=30)

command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (scripts/setup.sh)"; exit 1; }

profile_flag=()
[ "$PROFILE" = release ] && profile_flag=(--release)
echo "== valgrind: building libssh2.so ($PROFILE)"
cargo build "${profile_flag[@]}" --lib || exit 1
LIB="$ROOT/target/$PROFILE"

work=$(mktemp -d)
fixture="$work/fixture"
agent_pid=""
cleanup() {
    [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
    scripts/sshd-fixture.sh stop "$fixture" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

# The binaries ask the loader for libssh2.so.1: a directory holding only that
# name keeps the system's libssh2 from being picked up instead.
mkdir -p "$work/soname"
ln -s "$LIB/libssh2.so" "$work/soname/libssh2.so.1"

passed=0
failed=0
summary=()

# vg_run NAME LOG CMD...: runs CMD under valgrind, records the verdict.
vg_run() {
    local name="$1" log="$2" rc errors lost
    shift 2
    "${VG[@]}" --log-file="$log.vg" "$@" >"$log" 2>&1
    rc=$?
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log.vg" | tail -1)
    lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log.vg" | tail -1)
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        summary+=("$(printf 'ok      %-60s errors=%s definitely-lost=%s' "$name" "${errors:-0}" "${lost:-0}")")
    else
        failed=$((failed + 1))
        summary+=("$(printf 'FAILED  %-60s exit=%s errors=%s definitely-lost=%s' "$name" "$rc" "${errors:-?}" "${lost:-?}")")
        echo "---- $name (exit $rc)"
        # Indented: a "test result:" line must not reach scripts/test.sh's counts.
        tail -40 "$log" | sed 's/^/    /'
        grep -v '^==[0-9]*== *$' "$log.vg" | tail -60
    fi
}

echo "== valgrind: starting the fixture sshd and an ssh-agent"
scripts/sshd-fixture.sh start "$fixture" >/dev/null || exit 1
set -a
# shellcheck disable=SC1091
. "$fixture/env"
set +a
eval "$(ssh-agent -s -a "$work/agent.sock")" >/dev/null
ssh-add -q "$SSHD_KEY" 2>/dev/null

part_start=$SECONDS
# part_done WHAT: the time since the previous part.
part_done() {
    summary+=("$(printf 'time    %s: %ss' "$1" $((SECONDS - part_start)))")
    part_start=$SECONDS
}

echo "== valgrind: C test programs"
for src in tests/c/*.c; do
    grep -q '^int main' "$src" || continue
    name=$(basename "$src" .c)
    case " ${C_SKIP[*]} " in *" $name "*) continue ;; esac
    cc -std=c99 -Wall -Wextra -Werror -g -Iinclude "$src" -o "$work/$name" -L"$LIB" -lssh2 || {
        failed=$((failed + 1)); summary+=("FAILED  $name: does not compile"); continue; }
    LD_LIBRARY_PATH="$work/soname" vg_run "tests/c/$name" "$work/$name.log" "$work/$name"
done

part_done "C test programs"
echo "== valgrind: Rust integration tests through the C API"
for entry in "${RUST_TESTS[@]}"; do
    read -r file filter <<<"$entry"
    exe=$(cargo test "${profile_flag[@]}" --test "$file" --no-run --message-format=json 2>/dev/null |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
    if [ -z "$exe" ]; then
        failed=$((failed + 1)); summary+=("FAILED  tests/$file.rs: does not build"); continue
    fi
    log="$work/$file-$filter.log"
    LD_LIBRARY_PATH="$work/soname" vg_run "tests/$file.rs ${filter}" "$log" "$exe" "$filter" --test-threads=1
    if ! grep -q 'test result: ok\. [1-9]' "$log"; then
        echo "valgrind.sh: tests/$file.rs '$filter' ran no test"
    fi
done

part_done "Rust integration tests (including their build)"
upstream=scripts/conformance/upstream-tests.sh
if [ "${VALGRIND_UPSTREAM:-1}" = 1 ]; then
    echo "== valgrind: upstream libssh2 test suite"
    # It tests the release library (built above unless VALGRIND_PROFILE=debug).
    no_cargo=0
    [ "$PROFILE" = release ] && no_cargo=1
    CONFORMANCE_VALGRIND=1 CONFORMANCE_STRICT=1 CONFORMANCE_NO_CARGO=$no_cargo CARGO_TARGET_DIR="$ROOT/target" \
        "$upstream" >"$work/upstream.log" 2>&1
    rc=$?
    # Its TAP lines, indented so that scripts/test.sh counts only the closing
    # "valgrind:" line.
    sed 's/^/    /' "$work/upstream.log"
    line=$(grep -E '^upstream-tests: [0-9]+ passed, [0-9]+ failed' "$work/upstream.log" | tail -1)
    read -r up_pass up_fail < <(echo "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
    up_pass=${up_pass:-0} up_fail=${up_fail:-0}
    # A failing run that counted no failure (setup error) still fails.
    ((rc != 0 && up_fail == 0)) && up_fail=1
    passed=$((passed + up_pass)) failed=$((failed + up_fail))
    if [ "$rc" -eq 0 ]; then
        summary+=("ok      upstream test suite: ${line#upstream-tests: }")
    else
        summary+=("FAILED  upstream test suite (exit $rc): ${line#upstream-tests: }")
        grep -E '^not ok|FATAL' "$work/upstream.log" | sed 's/^/    upstream: /'
    fi
    # Reports about the test programs' own code (not failures; see upstream-tests.sh).
    grep -E '^ok .*test program own' "$work/upstream.log" | sed 's/^/    upstream: /'
    part_done "upstream test suite"
else
    summary+=("skip    upstream test suite (VALGRIND_UPSTREAM=0)")
fi

echo "== valgrind summary"
printf '%s\n' "${summary[@]}"
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
