# shellcheck shell=bash
# Shared by bench/run.sh and bench/load.sh (sourced, never run): the packages
# the benchmarks need, our library's release build and the reference libssh2
# 1.11.1 build, all cached in .cache/bench/ (git-ignored).
# Expects ROOT (the repository) and CACHE (.cache/bench); sets REF_LIB.
REF_VERSION=1.11.1-1+deb13u2

log() { echo "bench: $*" >&2; }

if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

# Debian packages the build and the chart need.
bench_packages() {
    local missing=()
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
}

# The reference: Debian's libssh2 1.11.1 source (scripts/fetch-upstream.sh),
# CMake Release build with the OpenSSL backend, into $CACHE/ref.
bench_build_ref() {
    local REF=$CACHE/ref src
    if [[ ! -f $REF/.built-$REF_VERSION ]]; then
        src=$("$ROOT/scripts/fetch-upstream.sh" libssh2)
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
}
