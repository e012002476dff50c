#!/usr/bin/env bash
# The load benchmark (issue 19; not part of scripts/test.sh): many sessions at
# once on our libssh2 and on the reference libssh2 1.11.1, one private sshd.
#
#   bench/load.sh [--sessions 50,200,400] [--threads 8] [--size 10M] [--bufsize 1M]
#                 [--channels 16] [--soak 2000] [--soak-every 100] [--soak-size 64K]
#                 [--runs 1] [--only sessions,channels,soak] [--nodelay] [--note TEXT]
#                 [--ours PATH] [--from-json FILE]
#
# Scenarios (bench/load.c): N sessions at once over T threads, each connect +
# handshake + pubkey auth + SFTP get and put of SIZE with every byte checked;
# one session with 16 SFTP channels at once; a soak of sequential sessions
# with the client's RSS sampled every 100. Reports per library: wall time,
# client CPU and peak RSS, sshd CPU, connect+kex+auth p50/p99.
#
# Builds or reuses, in .cache/bench/ (git-ignored): our library (cargo build
# --release, copied to .cache/bench/load/ours; --ours PATH takes that
# libssh2.so.1 instead, e.g. .cache/snapshot/libssh2.so.1), the reference
# (bench/common.sh, as bench/run.sh builds it), bench/load.c and
# bench/subreaper.c (sshd's CPU, orphaned processes included). Then
# bench/load.py writes its section of docs/benchmarks.md (bench/run.py keeps
# it) and docs/benchmarks-load.png; raw samples go to .cache/bench/load-*.json.
# --from-json FILE rewrites the section from saved samples, measuring nothing.
# Run it as root (the sshd fixture logs in its test user). A full run (the
# defaults) takes about 15 minutes; for trying the harness:
#   bench/load.sh --sessions 20 --size 1M --soak 200 --soak-every 20
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=$ROOT/.cache/bench
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"

ours=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
    --ours) ours=${args[i + 1]:-} ;;
    --ours=*) ours=${args[i]#--ours=} ;;
    --from-json | --from-json=*) export BENCH_ROOT=$ROOT; exec python3 bench/load.py "$@" ;;
    esac
done

bench_packages
mkdir -p "$CACHE/bin" "$CACHE/load/ours"
if [[ -z $ours ]]; then
    log "building our library (cargo build --release)"
    cargo build --release -q ||
        { log "cargo build failed; --ours .cache/snapshot/libssh2.so.1 takes a prebuilt library"; exit 1; }
    ours=$ROOT/target/release/libssh2.so
else
    # Named in the report, as the commit of the library sources is unknown.
    export LOAD_OURS_NOTE="a prebuilt $(basename "$ours") ($ours), not the working tree"
fi
[[ -f $ours ]] || { log "no library at $ours"; exit 1; }
# A copy: a rebuild during the run cannot swap the library under it.
cp -L "$ours" "$CACHE/load/ours/libssh2.so.1.tmp"
mv -f "$CACHE/load/ours/libssh2.so.1.tmp" "$CACHE/load/ours/libssh2.so.1"
bench_build_ref

# One binary for both libraries, as bench.c: our headers, linked against the
# reference with lazy binding.
if [[ ! -x $CACHE/bin/load || bench/load.c -nt $CACHE/bin/load || include/libssh2.h -nt $CACHE/bin/load ||
    tests/c/fixture.h -nt $CACHE/bin/load ]]; then
    log "compiling bench/load.c"
    gcc -O2 -Wall -Wextra -Iinclude -Itests/c -o "$CACHE/bin/load" bench/load.c \
        -L"$REF_LIB" -lssh2 -pthread -Wl,-z,lazy -ldl
fi

if [[ ! -x $CACHE/bin/subreaper || bench/subreaper.c -nt $CACHE/bin/subreaper ]]; then
    gcc -O2 -Wall -Wextra -o "$CACHE/bin/subreaper" bench/subreaper.c
fi

export BENCH_ROOT=$ROOT LOAD_BIN=$CACHE/bin/load LOAD_SUBREAPER=$CACHE/bin/subreaper
export LOAD_LIB_OURS=$CACHE/load/ours LOAD_LIB_REF=$REF_LIB
exec python3 bench/load.py "$@"
