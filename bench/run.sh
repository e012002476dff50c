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
REF_VERSION=1.11.1-1+deb13u2

log() { echo "bench: $*" >&2; }

if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

# Debian packages the build and the chart need.
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v gcc >/dev/null || missing+=(gcc)
command -v sshd >/dev/null || [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
command -v sftp >/dev/null || missing+=(openssh-client)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
dpkg -s zlib1g-dev >/dev/null 2>&1 || missing+=(zlib1g-dev)
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        log "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
            { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-install-recommends "${missing[@]}" >&2; }
    else
        log "missing packages: ${missing[*]} (run as root to install them)"
    fi
fi
mkdir -p "$CACHE/bin" "$CACHE/lib-ours"

log "building our library (cargo build --release)"
cargo build --release -q
# The loader looks for the soname, libssh2.so.1.
ln -sf "$ROOT/target/release/libssh2.so" "$CACHE/lib-ours/libssh2.so.1"

REF=$CACHE/ref
if [[ ! -f $REF/.built-$REF_VERSION ]]; then
    src=$(scripts/fetch-upstream.sh libssh2)
    log "building the reference libssh2 from $src"
    rm -rf "$REF" "$CACHE/ref-build"
    cmake -S "$src" -B "$CACHE/ref-build" -DCMAKE_BUILD_TYPE=Release -DCRYPTO_BACKEND=OpenSSL \
        -DENABLE_ZLIB_COMPRESSION=ON -DBUILD_SHARED_LIBS=ON -DBUILD_STATIC_LIBS=OFF \
        -DBUILD_EXAMPLES=OFF -DBUILD_TESTING=OFF -DCMAKE_INSTALL_PREFIX="$REF" >"$CACHE/ref-build.log" 2>&1 ||
        { tail -20 "$CACHE/ref-build.log" >&2; exit 1; }
    cmake --build "$CACHE/ref-build" -j"$(nproc)" >>"$CACHE/ref-build.log" 2>&1 ||
        { tail -20 "$CACHE/ref-build.log" >&2; exit 1; }
    cmake --install "$CACHE/ref-build" >>"$CACHE/ref-build.log" 2>&1
    touch "$REF/.built-$REF_VERSION"
fi
REF_LIB=$(dirname "$(find "$REF" -name libssh2.so.1 | head -n1)")

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
exec python3 bench/run.py "$@"
