#!/usr/bin/env bash
# Installs what building and testing this project needs, only when missing.
# Quick and silent-ish when everything is already there; safe to run often.
set -euo pipefail

# Debian package -> a file whose presence proves the package is usable.
# A file check is much faster than asking dpkg, and also accepts tools that
# were installed some other way.
declare -A PROBE=(
    [openssh-server]=/usr/sbin/sshd
    [openssh-client]=/usr/bin/ssh
    [openssh-sftp-server]=/usr/lib/openssh/sftp-server
    [gcc]=/usr/bin/gcc
    [make]=/usr/bin/make
    [pkg-config]=/usr/bin/pkg-config
    [cmake]=/usr/bin/cmake
    [valgrind]=/usr/bin/valgrind
    [dpkg-dev]=/usr/bin/dpkg-architecture
    [curl]=/usr/bin/curl
    [python3]=/usr/bin/python3
    [passwd]=/usr/sbin/chpasswd
    [binutils]=/usr/bin/nm
    [man-db]=/usr/bin/man
    [groff-base]=/usr/bin/groff
    [xauth]=/usr/bin/xauth
)

missing=()
for pkg in "${!PROBE[@]}"; do
    [[ -e "${PROBE[$pkg]}" ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "setup: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: missing packages: ${missing[*]}" >&2
        echo "setup: run as root, or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

# keyboard-interactive tests go through PAM; its sshd service file comes with
# openssh-server.
if [[ ! -e /etc/pam.d/sshd ]]; then
    echo "setup: /etc/pam.d/sshd is missing (reinstall openssh-server)" >&2
    exit 1
fi

# The Rust toolchain is not a Debian package here: rustup's lives in ~/.cargo.
if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    echo "setup: cargo is in $HOME/.cargo/bin but not on PATH;" \
        "run: export PATH=\"\$HOME/.cargo/bin:\$PATH\"" >&2
    exit 1
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: no Rust toolchain (cargo) on PATH; install one with rustup" \
        "(https://rustup.rs), Rust 1.80 or newer" >&2
    exit 1
fi
for comp in rustfmt clippy; do
    if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
        if command -v rustup >/dev/null 2>&1; then
            echo "setup: adding Rust component $comp"
            rustup component add "$comp" >/dev/null
        else
            echo "setup: cargo $comp is missing (rustup component add $comp)" >&2
            exit 1
        fi
    fi
done
echo "setup: all tools present"
