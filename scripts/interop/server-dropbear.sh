#!/usr/bin/env bash
# dropbear (Debian package dropbear-bin), the small SSH server of routers and
# embedded boxes, for the interop stage (scripts/interop.sh).
#
#   scripts/interop/server-dropbear.sh start DIR   # contract: scripts/interop/lib.sh
#   scripts/interop/server-dropbear.sh stop DIR
#
# Supports: exec, shell, SFTP (it runs /usr/lib/sftp-server, from
# openssh-sftp-server), SCP (exec of `scp -t`, so openssh-client's scp must be
# installed), password and public key auth (ed25519, RSA with rsa-sha2-*;
# ECDSA too, not used here); host keys ed25519, RSA and ECDSA P-256.
# Quirks: it has no configuration file, only flags, and it authenticates
# system users only: /etc/passwd and /etc/shadow, the user's shell must be in
# /etc/shells, and keys come from ~user/.ssh/authorized_keys alone (which must
# not be group/world writable, nor ~user/.ssh nor ~user). So it logs in the
# system test user libssh2rs, whose authorized_keys the launcher edits with
# marked lines (scripts/interop/server-common.sh). Host keys are in its own
# format (dropbearkey); the OpenSSH .pub files come from `dropbearkey -y`.
# Its per-channel receive window is small (24 KiB by default in 2022.83).
# 2022.83 has a race (mkj/dropbear#321, fixed in 2024.86 by PR #326): when a
# channel's child exits while the client opens the next channel, the new one
# may be closed at once or the server dies ("Failed assertion
# (common-channel.c:705): `!channel->sent_close'" in DIR/dropbear.log). A
# client that frees a channel without waiting for its close and opens another
# at once meets it on any library; waiting for the close (as SCP put then get
# does) avoids it.
set -uo pipefail
SC_NAME=dropbear
SC_SYSTEM_UNITS=(dropbear.service)
# shellcheck source=scripts/interop/server-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/server-common.sh"

PACKAGES=(dropbear-bin openssh-client openssh-sftp-server python3)
HOSTKEY_TYPES="ed25519 rsa ecdsa"
RSA_BITS=3072
ECDSA_BITS=256

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

    local t key pubs=()
    for t in $HOSTKEY_TYPES; do
        key=$dir/dropbear_${t}_host_key
        if [[ ! -s $key ]]; then
            case $t in
                rsa) dropbearkey -t rsa -s "$RSA_BITS" -f "$key" ;;
                ecdsa) dropbearkey -t ecdsa -s "$ECDSA_BITS" -f "$key" ;;
                *) dropbearkey -t "$t" -f "$key" ;;
            esac >/dev/null 2>&1 || sc_die "dropbearkey -t $t failed"
        fi
        dropbearkey -y -f "$key" 2>/dev/null | grep -E '^(ssh-|ecdsa-)' >"$key.pub" ||
            sc_die "cannot read the public half of $key"
        pubs+=("$key.pub")
    done
    local files
    files=$(sc_make_writable_dir "$dir") || sc_die "cannot make a writable directory"
    sc_edit_authorized_keys add "$dir" "$dir/user_ed25519.pub" "$dir/user_rsa.pub" ||
        sc_die "cannot authorize the user keys"

    local try port pid="" rc
    for ((try = 0; try < SC_STARTUP_TRIES; try++)); do
        port=$(sc_free_port)
        : >"$dir/dropbear.log"
        # -F foreground (we keep its pid), -E log to stderr, -m no motd,
        # -w no root login, -r only these host keys (no /etc/dropbear).
        setsid dropbear -F -E -m -w -p "$SC_HOST:$port" -P "$dir/dropbear.pid" \
            -r "$dir/dropbear_ed25519_host_key" -r "$dir/dropbear_rsa_host_key" \
            -r "$dir/dropbear_ecdsa_host_key" \
            </dev/null >>"$dir/dropbear.log" 2>&1 &
        pid=$!
        echo "$pid" >"$dir/server.pid"
        sc_wait_banner "$port" "$pid"
        rc=$?
        ((rc == 0)) && break
        sc_stop_pidfile "$dir/server.pid"
        pid=""
        grep -qi "address already in use\|Failed listening" "$dir/dropbear.log" && continue
        cat "$dir/dropbear.log" >&2
        sc_die "dropbear did not start (probe status $rc; log above: $dir/dropbear.log)"
    done
    [[ -n $pid ]] || sc_die "no free port after $SC_STARTUP_TRIES tries"

    sc_write_env "$dir" \
        SERVER_NAME=dropbear \
        SERVER_PORT="$port" \
        SERVER_USER="$SC_TEST_USER" \
        SERVER_PASSWORD="$SC_TEST_PASSWORD" \
        SERVER_HOSTKEYS="${pubs[*]}" \
        SERVER_FEATURES="exec shell sftp scp password pubkey-ed25519 pubkey-rsa" \
        SERVER_WRITABLE_DIR="$files" \
        SERVER_PID_FILE="$dir/server.pid"
    sc_log "pid $pid on $SC_HOST:$port; env in $dir/env"
}

stop() {
    local dir=$1
    [[ -d $dir ]] || return 0
    dir=$(cd "$dir" && pwd)
    sc_stop_pidfile "$dir/server.pid"
    rm -f "$dir/dropbear.pid"
    sc_edit_authorized_keys remove "$dir"
    sc_remove_writable_dir "$dir"
    return 0
}

case "${1:-}:${2:-}" in
    start:?*) start "$2" ;;
    stop:?*) stop "$2" ;;
    *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
