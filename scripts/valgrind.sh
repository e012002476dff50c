#!/usr/bin/env bash
# Memory errors and leaks under valgrind (issue 9): zero invalid accesses and
# zero definite/indirect leaks from the library, over
#   1. the C test programs in tests/c/ (those with a main), built against
#      include/ and target/$PROFILE/libssh2.so and run against the fixture sshd
#      and an ssh-agent;
#   2. a representative set of the Rust integration tests that drive the C API
#      (the test binaries themselves under valgrind; sshd and the other child
#      processes are not traced);
#   3. upstream libssh2's own test suite, when scripts/conformance/upstream-tests.sh
#      exists and understands CONFORMANCE_VALGRIND=1 (see its header).
#
#   scripts/valgrind.sh              # all of it (a few minutes)
#   VALGRIND_PROFILE=debug scripts/valgrind.sh
#
# Prints one line per program and a closing "valgrind: N passed, M failed".
set -uo pipefail

cd "$(dirname "$0")/.."
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
        tail -40 "$log"
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

echo "== valgrind: C test programs"
for src in tests/c/*.c; do
    grep -q '^int main' "$src" || continue
    name=$(basename "$src" .c)
    cc -std=c99 -Wall -Wextra -Werror -g -Iinclude "$src" -o "$work/$name" -L"$LIB" -lssh2 || {
        failed=$((failed + 1)); summary+=("FAILED  $name: does not compile"); continue; }
    LD_LIBRARY_PATH="$work/soname" vg_run "tests/c/$name" "$work/$name.log" "$work/$name"
done

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

upstream=scripts/conformance/upstream-tests.sh
if [ -x "$upstream" ] && grep -q CONFORMANCE_VALGRIND "$upstream"; then
    echo "== valgrind: upstream libssh2 test suite"
    CONFORMANCE_VALGRIND=1 CONFORMANCE_STRICT=1 "$upstream" >"$work/upstream.log" 2>&1
    rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/upstream.log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1)); summary+=("ok      upstream test suite: $line")
    else
        failed=$((failed + 1)); summary+=("FAILED  upstream test suite: $line"); tail -40 "$work/upstream.log"
    fi
else
    summary+=("skip    upstream test suite (no CONFORMANCE_VALGRIND mode in $upstream)")
fi

echo "== valgrind summary"
printf '%s\n' "${summary[@]}"
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
