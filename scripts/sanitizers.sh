#!/usr/bin/env bash
# Issue 9's memory checks in one command (scripts/test.sh's "sanitizers"
# stage): zero invalid accesses and zero leaks in the library over
#   1. scripts/asan.sh: the Rust test suite (unit tests and the in-process
#      integration tests) under AddressSanitizer + LeakSanitizer;
#   2. scripts/valgrind.sh: the C test programs, Rust tests that drive the C
#      API, and upstream libssh2's test suite, under valgrind.
# Each part prints its own "asan: N passed, M failed" / "valgrind: N passed,
# M failed" line (scripts/test.sh adds them up) and the time it took. Exits
# non-zero when either part finds anything or fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

rc=0
for part in asan valgrind; do
    start=$SECONDS
    "scripts/$part.sh" || rc=1
    echo "== sanitizers: $part took $((SECONDS - start))s"
done
exit "$rc"
