#!/usr/bin/env bash
# The benchmark command (not part of scripts/test.sh): our libssh2 vs the
# reference libssh2 1.11.1 vs OpenSSH's ssh/sftp/scp, against one private sshd.
#
#   bench/run.sh [--quick] [--runs N] [--links loopback,20ms,100ms] [--only REGEX]
#
# Builds or reuses, in .cache/bench/ (git-ignored):
#   - our library: cargo build --release (target/release/libssh2.so)
#   - the reference: Debian's libssh2 1.11.1 source (scripts/fetch-upstream.sh),
#     CMake Release build with the OpenSSL backend
#   - bench/bench.c (one binary for both libraries), bench/delayproxy.c and
#     bench/runwait.c (wall, CPU and peak RSS of each client process)
# then runs bench/run.py, which writes docs/benchmarks.md and docs/benchmarks.png
# (raw samples go to .cache/bench/results-*.json). Run it as root: the sshd
# fixture logs in its dedicated test user, and missing packages get installed.
# --quick: 1 run, 256 MiB instead of 1 GiB, for checking the harness.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=$ROOT/.cache/bench
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
bench_packages
mkdir -p "$CACHE/bin" "$CACHE/lib-ours"

log "building our library (cargo build --release)"
cargo build --release -q
# The loader looks for the soname, libssh2.so.1.
ln -sf "$ROOT/target/release/libssh2.so" "$CACHE/lib-ours/libssh2.so.1"

bench_build_ref

# One binary for both libraries: our headers, linked against the reference
# (which has every export) with lazy binding, so a library that lacks an
# export still loads and bench.c reports the missing symbol itself.
if [[ ! -x $CACHE/bin/bench || bench/bench.c -nt $CACHE/bin/bench || include/libssh2.h -nt $CACHE/bin/bench ]]; then
    log "compiling bench/bench.c"
    gcc -O2 -Wall -Wextra -Iinclude -o "$CACHE/bin/bench" bench/bench.c \
        -L"$REF_LIB" -lssh2 -Wl,-z,lazy -ldl
fi
if [[ ! -x $CACHE/bin/runwait || bench/runwait.c -nt $CACHE/bin/runwait ]]; then
    gcc -O2 -Wall -Wextra -o "$CACHE/bin/runwait" bench/runwait.c
fi
if [[ ! -x $CACHE/bin/delayproxy || bench/delayproxy.c -nt $CACHE/bin/delayproxy ]]; then
    log "compiling bench/delayproxy.c"
    gcc -O2 -Wall -Wextra -pthread -o "$CACHE/bin/delayproxy" bench/delayproxy.c
fi

export BENCH_ROOT=$ROOT BENCH_BIN=$CACHE/bin/bench BENCH_PROXY=$CACHE/bin/delayproxy
export BENCH_RUNWAIT=$CACHE/bin/runwait
export BENCH_LIB_OURS=$CACHE/lib-ours BENCH_LIB_REF=$REF_LIB
exec python3 "bench/${BENCH_SCRIPT:-run.py}" "$@"
