# shellcheck shell=bash
# Shared helpers for the interop stage (scripts/interop.sh, issue 16) and its
# server launchers. Sourced, never run.
#
# Server launcher contract (every scripts/interop/server-<name>.sh follows it):
#
#   scripts/interop/server-<name>.sh start DIR
#   scripts/interop/server-<name>.sh stop DIR
#
# DIR already holds user_ed25519{,.pub} and user_rsa{,.pub} (OpenSSH format,
# no passphrase, made by the caller). `start` installs what it needs if
# missing (apt-get, quiet, non-interactive), builds into .cache/interop/<name>/
# if needed, generates host keys in DIR, authorizes both user public keys,
# starts the server in the background on a free 127.0.0.1 port, waits until
# it accepts connections, and writes DIR/env (shell syntax) with:
#   SERVER_NAME         the <name>
#   SERVER_PORT         its port on 127.0.0.1
#   SERVER_USER         the user to log in as
#   SERVER_PASSWORD     that user's password (empty: no password auth)
#   SERVER_HOSTKEYS     space-separated paths of the host PUBLIC key files
#                       (OpenSSH .pub format)
#   SERVER_FEATURES     space-separated subset of:
#                       exec shell sftp scp password pubkey-ed25519 pubkey-rsa
#   SERVER_WRITABLE_DIR absolute path, as the client must name it, where SFTP
#                       and SCP may write test files (for a chrooted or
#                       virtual-root server, the path inside that root)
#   SERVER_PID_FILE     the file holding the server's pid
# `stop` kills it and its children. Either exits non-zero with a message on
# stderr if it cannot do its job. `exec` means an exec request of `cat`
# echoes stdin to stdout and exits 0.

# shellcheck disable=SC2034 # the constants are for the scripts that source this
IOP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Builds and venvs live here (git-ignored through /.cache).
IOP_CACHE="${INTEROP_CACHE:-$IOP_ROOT/.cache/interop}"
IOP_HOST=127.0.0.1
# The test user scripts/sshd-fixture.sh and scripts/setup.sh also use.
IOP_TEST_USER=libssh2rs
IOP_TEST_PASSWORD=Libssh2rs-Test-Pw1
IOP_READY_TIMEOUT=30 # seconds for a server to answer with its banner
IOP_STOP_TIMEOUT=5   # seconds for a server to exit before SIGKILL
IOP_PORT_TRIES=5     # fresh ports to try when one is taken meanwhile

mkdir -p "$IOP_CACHE"

iop_log() { echo "# $*" >&2; }
iop_die() {
    echo "${0##*/}: $*" >&2
    exit 1
}

IOP_APT_UPDATED=0
# iop_apt_install PACKAGE...: install whichever are missing (quietly; the
# log is $IOP_CACHE/apt.log).
iop_apt_install() {
    local p missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    iop_log "installing: ${missing[*]}"
    if ((IOP_APT_UPDATED == 0)); then
        apt-get update -q >>"$IOP_CACHE/apt.log" 2>&1 || true
        IOP_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
        >>"$IOP_CACHE/apt.log" 2>&1 || {
        tail -n 20 "$IOP_CACHE/apt.log" >&2
        return 1
    }
}

# iop_free_port: a port on 127.0.0.1 nobody listens on right now.
iop_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# iop_wait_banner PORT PID: wait until PORT answers with an SSH banner, while
# PID (the server) lives. Fails after IOP_READY_TIMEOUT seconds.
iop_wait_banner() {
    local port=$1 pid=$2 deadline=$((SECONDS + IOP_READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        kill -0 "$pid" 2>/dev/null || return 1
        python3 - "$port" <<'EOF' 2>/dev/null && return 0
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"SSH-2.0-interop_probe\r\n")
line = s.makefile("rb").readline(255)
sys.exit(0 if line.startswith(b"SSH-") else 1)
EOF
        sleep 0.1
    done
    return 1
}

# iop_test_user: make sure the test user exists with its known password
# (as scripts/sshd-fixture.sh does) and print its home directory.
iop_test_user() {
    if ! id "$IOP_TEST_USER" >/dev/null 2>&1; then
        useradd -m -s /bin/sh "$IOP_TEST_USER" 2>/dev/null || id "$IOP_TEST_USER" >/dev/null || return 1
    fi
    echo "$IOP_TEST_USER:$IOP_TEST_PASSWORD" | chpasswd || return 1
    getent passwd "$IOP_TEST_USER" | cut -d: -f6
}

# iop_traversable DIR: let other users (the test user, a server dropping
# privileges) reach DIR: mktemp makes directories 0700.
iop_traversable() {
    local up
    up=$(cd "$1" && pwd) || return 1
    while [[ $up != / ]]; do
        chmod o+x "$up" 2>/dev/null
        up=$(dirname "$up")
    done
}

# iop_authorized_keys DIR FILE: write both user public keys of DIR to FILE.
iop_authorized_keys() {
    cat "$1/user_ed25519.pub" "$1/user_rsa.pub" >"$2"
}

# iop_hostkeys DIR TYPE...: generate DIR/ssh_host_TYPE_key{,.pub} for each of
# ed25519, ecdsa, rsa (unless present) and print the .pub paths.
iop_hostkeys() {
    local dir=$1 t out=()
    shift
    for t in "$@"; do
        local args=(-t "$t")
        [[ $t == ecdsa ]] && args+=(-b 256)
        [[ $t == rsa ]] && args+=(-b 3072)
        [[ -e $dir/ssh_host_${t}_key ]] ||
            ssh-keygen -q "${args[@]}" -N '' -C "interop-host-$t" -f "$dir/ssh_host_${t}_key" </dev/null || return 1
        out+=("$dir/ssh_host_${t}_key.pub")
    done
    echo "${out[*]}"
}

# iop_write_env DIR NAME PORT USER PASSWORD HOSTKEYS FEATURES WRITABLE PIDFILE
iop_write_env() {
    local dir=$1
    {
        printf 'SERVER_NAME=%q\n' "$2"
        printf 'SERVER_PORT=%q\n' "$3"
        printf 'SERVER_USER=%q\n' "$4"
        printf 'SERVER_PASSWORD=%q\n' "$5"
        printf 'SERVER_HOSTKEYS=%q\n' "$6"
        printf 'SERVER_FEATURES=%q\n' "$7"
        printf 'SERVER_WRITABLE_DIR=%q\n' "$8"
        printf 'SERVER_PID_FILE=%q\n' "$9"
    } >"$dir/env"
}

# iop_kill_tree PID: SIGTERM PID and its descendants, then SIGKILL whatever
# is left after IOP_STOP_TIMEOUT seconds.
iop_kill_tree() {
    local pid=$1 all=() kids i
    [[ -n $pid ]] || return 0
    # Collect the tree first: children are re-parented once their parent dies.
    local queue=("$pid")
    while ((${#queue[@]})); do
        all+=("${queue[0]}")
        kids=$(pgrep -P "${queue[0]}" 2>/dev/null | tr '\n' ' ')
        queue=("${queue[@]:1}")
        # shellcheck disable=SC2206 # pids are words
        queue+=($kids)
    done
    kill "${all[@]}" 2>/dev/null
    for ((i = 0; i < IOP_STOP_TIMEOUT * 10; i++)); do
        kill -0 "${all[@]}" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "${all[@]}" 2>/dev/null
    return 0
}

# iop_stop_pidfile FILE: iop_kill_tree the pid in FILE and remove FILE.
iop_stop_pidfile() {
    [[ -s $1 ]] || return 0
    iop_kill_tree "$(cat "$1")"
    rm -f "$1"
}

# iop_trixie_sources: make sure the Debian 13 deb-src entry exists, by the
# mechanism the conformance stage uses (scripts/fetch-upstream.sh derives it
# from the machine's own sources; fetching libssh2's source is what the stage
# needs anyway for the reference library).
iop_trixie_sources() {
    [[ -f /etc/apt/sources.list.d/trixie-src.sources ]] && return 0
    "$IOP_ROOT/scripts/fetch-upstream.sh" libssh2 >/dev/null
}
