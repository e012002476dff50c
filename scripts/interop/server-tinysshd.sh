#!/usr/bin/env bash
# tinysshd (Debian package tinysshd), the minimal SSH server, for the interop
# stage (scripts/interop.sh).
#
#   scripts/interop/server-tinysshd.sh start DIR   # contract: scripts/interop/lib.sh
#   scripts/interop/server-tinysshd.sh stop DIR
#
# Supports: exec, shell, SFTP (the subsystem is a -x flag: the system
# sftp-server), SCP (exec of `scp -t`, so openssh-client's scp must be
# installed); public key auth with ssh-ed25519 only (no RSA, no password, no
# keyboard-interactive); host key ssh-ed25519 only.
# Algorithms: kex curve25519-sha256 (and @libssh.org) and
# sntrup761x25519-sha512@openssh.com, cipher chacha20-poly1305@openssh.com
# alone (so no separate MAC), no compression.
# Quirks: it does not listen: one process serves one connection on
# stdin/stdout, started here by ucspi-tcp's tcpserver (stop kills tcpserver
# and every tinysshd under it). One channel per connection: the connection
# ends when its first channel closes, so an SCP put and get (or exec then
# SFTP) need a session each; OpenSSH's client meets the same (a second
# command over a ControlMaster connection fails). DIR/env says so in the
# extra SERVER_CHANNELS_PER_SESSION=1, beyond the contract. It has no
# configuration file and logs in system users only, reading keys from
# ~user/.ssh/authorized_keys alone, so it logs in the system test user
# libssh2rs, whose authorized_keys the launcher edits with marked lines
# (scripts/interop/server-common.sh). Its host keys are raw files in a key
# directory (tinysshd-makekey); tinysshd-printkey gives the OpenSSH .pub line.
set -uo pipefail
SC_NAME=tinysshd
SC_SYSTEM_UNITS=(tinysshd.socket)
# shellcheck source=scripts/interop/server-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/server-common.sh"

PACKAGES=(tinysshd ucspi-tcp openssh-client openssh-sftp-server python3)
SFTP_CANDIDATES="/usr/lib/openssh/sftp-server /usr/libexec/openssh/sftp-server /usr/lib/sftp-server"
MAX_CONNECTIONS=40 # tcpserver -c: concurrent connections (its default)

start() {
    local dir=$1
    sc_need_root
    [[ -d $dir ]] || sc_die "no directory $dir"
    dir=$(cd "$dir" && pwd)
    sc_check_user_keys "$dir"
    stop "$dir"
    SC_DIR=$dir
    sc_apt_install "${PACKAGES[@]}"
    sc_ensure_test_user

    local sftp="" p
    for p in $SFTP_CANDIDATES; do [[ -x $p ]] && { sftp=$p; break; }; done
    [[ -n $sftp ]] || sc_die "no sftp-server found"

    local keydir=$dir/tinyssh_keys
    [[ -s $keydir/ed25519.pk ]] || tinysshd-makekey -q "$keydir" || sc_die "tinysshd-makekey failed"
    { tinysshd-printkey "$keydir" >"$dir/tinysshd_ed25519_host_key.pub" 2>/dev/null &&
        grep -q '^ssh-ed25519 ' "$dir/tinysshd_ed25519_host_key.pub"; } ||
        sc_die "tinysshd-printkey $keydir failed"
    # RSA is left out: tinysshd would refuse it anyway.
    sc_edit_authorized_keys add "$dir" "$dir/user_ed25519.pub" ||
        sc_die "cannot authorize the user key"
    local files
    files=$(sc_make_writable_dir "$dir") || sc_die "cannot make a writable directory"

    local try port pid="" rc
    for ((try = 0; try < SC_STARTUP_TRIES; try++)); do
        port=$(sc_free_port)
        : >"$dir/tinysshd.log"
        # tcpserver: -H -R -l0 no DNS or ident lookups, -D TCP_NODELAY,
        # -c connections at once. tinysshd: -v verbose log to stderr.
        setsid tcpserver -HRDl0 -c "$MAX_CONNECTIONS" "$SC_HOST" "$port" \
            tinysshd -v -x "sftp=$sftp" "$keydir" \
            </dev/null >>"$dir/tinysshd.log" 2>&1 &
        pid=$!
        echo "$pid" >"$dir/server.pid"
        sc_wait_banner "$port" "$pid"
        rc=$?
        ((rc == 0)) && break
        sc_stop_pidfile "$dir/server.pid"
        pid=""
        grep -qi "unable to bind" "$dir/tinysshd.log" && continue
        cat "$dir/tinysshd.log" >&2
        sc_die "tcpserver/tinysshd did not start (probe status $rc; log above: $dir/tinysshd.log)"
    done
    [[ -n $pid ]] || sc_die "no free port after $SC_STARTUP_TRIES tries"

    sc_write_env "$dir" \
        SERVER_NAME=tinysshd \
        SERVER_PORT="$port" \
        SERVER_USER="$SC_TEST_USER" \
        SERVER_PASSWORD="" \
        SERVER_HOSTKEYS="$dir/tinysshd_ed25519_host_key.pub" \
        SERVER_FEATURES="exec shell sftp scp pubkey-ed25519" \
        SERVER_WRITABLE_DIR="$files" \
        SERVER_PID_FILE="$dir/server.pid" \
        SERVER_CHANNELS_PER_SESSION=1
    sc_log "tcpserver pid $pid on $SC_HOST:$port; env in $dir/env"
}

stop() {
    local dir=$1
    [[ -d $dir ]] || return 0
    dir=$(cd "$dir" && pwd)
    sc_stop_pidfile "$dir/server.pid"
    sc_edit_authorized_keys remove "$dir"
    sc_remove_writable_dir "$dir"
    return 0
}

case "${1:-}:${2:-}" in
    start:?*) start "$2" ;;
    stop:?*) stop "$2" ;;
    *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
