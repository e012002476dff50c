#!/usr/bin/env bash
# The SFTP upload benchmark of issue 18 (not part of scripts/test.sh): curl -T
# and bench/bench.c sftp-put, default writes against write-behind, beside
# libssh2 1.11.1 and OpenSSH's sftp, at loopback, 20 ms and 100 ms.
#
#   bench/upload.sh [--quick] [--links loopback,20ms,100ms]
#
# Builds through bench/run.sh (same cache, same binaries) and runs
# bench/upload.py, which writes the "upload" section of docs/benchmarks.md.
# Run it as root, alone on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q curl >&2
BENCH_SCRIPT=upload.py exec bench/run.sh "$@"
