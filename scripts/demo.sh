#!/usr/bin/env bash
# The main job, end to end: build the library, install it into a private
# prefix, start a private OpenSSH sshd, build the C example
# examples/ssh2_exec.c against the installed headers and library, and run
# it against that sshd.
#
#   scripts/demo.sh ["remote command"]
#
# The example is called as
#   ssh2_exec HOST PORT USER (-k KEY | -p PASSWORD) COMMAND
# once with the fixture's ed25519 key and, when the fixture has a password
# user (root), once more with the password.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

EXAMPLE=examples/ssh2_exec.c
COMMAND=${1:-'echo "hello from $(id -un) on $(uname -n)"; uname -sr'}

scripts/setup.sh
if [[ ! -f $EXAMPLE ]]; then
    echo "demo: $EXAMPLE is missing: the C example has not been written yet" >&2
    exit 1
fi

WORK=$(mktemp -d -t libssh2-demo.XXXXXX)
cleanup() {
    [[ -f $WORK/sshd/fixture.pid ]] && scripts/sshd-fixture.sh stop "$WORK/sshd" >/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "demo: building and installing into $WORK/prefix"
make -s install PREFIX="$WORK/prefix"
export PKG_CONFIG_PATH=$WORK/prefix/lib/pkgconfig
cc -Wall -o "$WORK/ssh2_exec" "$EXAMPLE" $(pkg-config --cflags --libs libssh2)

scripts/sshd-fixture.sh start "$WORK/sshd"
set -a
# shellcheck source=/dev/null
. "$WORK/sshd/env"
set +a

echo "demo: running $EXAMPLE against sshd on $SSHD_HOST:$SSHD_PORT as $SSHD_USER"
echo "demo: library: $(LD_LIBRARY_PATH=$WORK/prefix/lib ldd "$WORK/ssh2_exec" | grep libssh2 || echo "(libssh2 not linked)")"
echo "demo: -- public key ($SSHD_KEY)"
LD_LIBRARY_PATH=$WORK/prefix/lib "$WORK/ssh2_exec" \
    "$SSHD_HOST" "$SSHD_PORT" "$SSHD_USER" -k "$SSHD_KEY" "$COMMAND"
if [[ -n $SSHD_PASSWORD ]]; then
    echo "demo: -- password"
    LD_LIBRARY_PATH=$WORK/prefix/lib "$WORK/ssh2_exec" \
        "$SSHD_HOST" "$SSHD_PORT" "$SSHD_USER" -p "$SSHD_PASSWORD" "$COMMAND"
fi
echo "demo: done"
