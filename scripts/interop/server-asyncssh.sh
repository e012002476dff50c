#!/usr/bin/env bash
# AsyncSSH for the interop stage (issue 16): tests/interop/asyncssh_full_server.py
# with AsyncSSH's default algorithms, exec (cat), SFTP and SCP.
#
#   scripts/interop/server-asyncssh.sh start DIR
#   scripts/interop/server-asyncssh.sh stop DIR
#
# Follows the launcher contract in scripts/interop/lib.sh. Uses the venv of
# scripts/interop-legacy.sh (.cache/interop-venv), with the same pins, so the
# two stages never rebuild it for each other. The cryptography release pinned
# there has ML-KEM, which gives AsyncSSH mlkem768x25519-sha256 (its default
# first key exchange) without liboqs. Needs no root.
set -uo pipefail
# shellcheck source=scripts/interop/lib.sh
. "$(dirname "$0")/lib.sh"

NAME=asyncssh
# Must match scripts/interop-legacy.sh: both use this venv.
ASYNCSSH_VERSION=2.24.1
CRYPTOGRAPHY_VERSION=50.0.2
VENV=$IOP_ROOT/.cache/interop-venv
SERVER_PY=$IOP_ROOT/tests/interop/asyncssh_full_server.py
START_TIMEOUT=20 # seconds until the server prints its port
SFTP_ROOT_NAME=sftproot
WRITABLE_SUBDIR=upload # inside the SFTP/SCP root

venv() {
    "$VENV/bin/python" -c "import asyncssh, cryptography, sys
sys.exit(asyncssh.__version__ != '$ASYNCSSH_VERSION' or cryptography.__version__ != '$CRYPTOGRAPHY_VERSION')" \
        2>/dev/null && return 0
    python3 -c 'import ensurepip' 2>/dev/null || iop_apt_install python3-venv || return 1
    iop_log "creating $VENV (asyncssh $ASYNCSSH_VERSION, cryptography $CRYPTOGRAPHY_VERSION)"
    rm -rf "$VENV"
    python3 -m venv "$VENV" &&
        "$VENV/bin/pip" install -q --disable-pip-version-check \
            "asyncssh==$ASYNCSSH_VERSION" "cryptography==$CRYPTOGRAPHY_VERSION"
}

start() {
    local dir=$1 hostkeys root pid port="" deadline
    mkdir -p "$dir" || iop_die "cannot make $dir"
    dir=$(cd "$dir" && pwd) || iop_die "no directory $1"
    venv || iop_die "cannot set up $VENV"
    hostkeys=$(iop_hostkeys "$dir" ed25519 ecdsa rsa) || iop_die "ssh-keygen failed"
    iop_authorized_keys "$dir" "$dir/authorized_keys"
    root=$dir/$SFTP_ROOT_NAME
    mkdir -p "$root/$WRITABLE_SUBDIR"
    local keyargs=() k
    for k in $hostkeys; do keyargs+=(--host-key "${k%.pub}"); done

    : >"$dir/asyncssh.port"
    "$VENV/bin/python" "$SERVER_PY" "${keyargs[@]}" --authorized-keys "$dir/authorized_keys" \
        --user "$IOP_TEST_USER" --password "$IOP_TEST_PASSWORD" --root "$root" \
        </dev/null >"$dir/asyncssh.port" 2>"$dir/asyncssh.log" &
    pid=$!
    echo "$pid" >"$dir/server.pid"
    deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)) && kill -0 "$pid" 2>/dev/null; do
        port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$dir/asyncssh.port")
        [[ -n $port ]] && break
        sleep 0.1
    done
    if [[ -z $port ]] || ! iop_wait_banner "$port" "$pid"; then
        iop_stop_pidfile "$dir/server.pid"
        tail -n 20 "$dir/asyncssh.log" >&2
        iop_die "the AsyncSSH server did not start (log: $dir/asyncssh.log)"
    fi
    iop_write_env "$dir" "$NAME" "$port" "$IOP_TEST_USER" "$IOP_TEST_PASSWORD" "$hostkeys" \
        "exec sftp scp password pubkey-ed25519 pubkey-rsa" "/$WRITABLE_SUBDIR" "$dir/server.pid"
    iop_log "$NAME: asyncssh $ASYNCSSH_VERSION pid $pid on $IOP_HOST:$port"
}

stop() {
    iop_stop_pidfile "$1/server.pid"
}

case "${1:-}:$#" in
start:2) start "$2" ;;
stop:2) stop "$2" ;;
*) iop_die "usage: $0 start|stop DIR" ;;
esac
