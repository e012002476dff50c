# shellcheck shell=bash
# Shared by the dropbear, tinysshd and ProFTPD launchers
# (scripts/interop/server-{dropbear,tinysshd,proftpd}.sh). Sourced, never run.
# The launcher contract (start DIR / stop DIR, DIR/env) is documented in
# scripts/interop/lib.sh; this file only holds what those three launchers do
# alike: package installs that start no daemon, the system test user, the
# test user's authorized_keys shared between servers, free ports, the banner
# wait, killing a process tree and writing DIR/env.

# The user scripts/setup.sh and scripts/sshd-fixture.sh create (same password).
SC_TEST_USER=libssh2rs
SC_TEST_PASSWORD=Libssh2rs-Test-Pw1
SC_HOST=127.0.0.1
# shellcheck disable=SC2034 # used by the launchers
SC_STARTUP_TRIES=5      # fresh ports to try when one is taken meanwhile
SC_BANNER_TIMEOUT=30    # seconds for a started server to send its SSH banner
SC_POLL_INTERVAL=0.1    # seconds between readiness probes
SC_STOP_GRACE_POLLS=30  # x SC_POLL_INTERVAL after SIGTERM before SIGKILL
SC_LOCK_TIMEOUT=30      # seconds to wait for another launcher's authorized_keys edit

# A failed start undoes itself (keys added, directory made, server started)
# through the launcher's stop, once the launcher has set SC_DIR.
sc_die() {
    echo "$SC_NAME: $*" >&2
    if [[ -n ${SC_DIR:-} ]] && declare -F stop >/dev/null; then
        local d=$SC_DIR
        SC_DIR=""
        stop "$d" >/dev/null 2>&1
    fi
    exit 1
}
sc_log() { echo "$SC_NAME: $*" >&2; }

sc_need_root() {
    [[ $(id -u) -eq 0 ]] || sc_die "must run as root (it logs in the system user $SC_TEST_USER)"
}

sc_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# sc_apt_install PACKAGE...: install whichever are missing, without letting
# their maintainer scripts start the system daemon (proftpd on port 21,
# tinysshd's socket on port 22): a policy-rc.d that denies every start is put
# in place for the install when there is none, and a daemon systemd started
# anyway is stopped and disabled.
sc_apt_install() {
    local p missing=() policy=/usr/sbin/policy-rc.d own_policy=0 rc=0
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    sc_log "installing: ${missing[*]}"
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\n# temporary, from %s\nexit 101\n' "$SC_NAME" >"$policy"
        chmod 755 "$policy"
        own_policy=1
    fi
    local log
    log=$(mktemp -t "$SC_NAME-apt.XXXXXX")
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
        >"$log" 2>&1 || rc=$?
    ((own_policy)) && rm -f "$policy"
    if ((rc != 0)); then
        tail -n 20 "$log" >&2
        rm -f "$log"
        sc_die "apt-get install ${missing[*]} failed"
    fi
    rm -f "$log"
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
        systemctl disable --now "${SC_SYSTEM_UNITS[@]}" >/dev/null 2>&1 || true
    fi
}

# Create (or repair) the test user exactly as scripts/sshd-fixture.sh does,
# so a launcher works without scripts/setup.sh having run.
sc_ensure_test_user() {
    if ! id "$SC_TEST_USER" >/dev/null 2>&1; then
        useradd -m -s /bin/sh "$SC_TEST_USER" 2>/dev/null || id "$SC_TEST_USER" >/dev/null ||
            sc_die "cannot create user $SC_TEST_USER"
    fi
    echo "$SC_TEST_USER:$SC_TEST_PASSWORD" | chpasswd || sc_die "chpasswd failed for $SC_TEST_USER"
    SC_HOME=$(getent passwd "$SC_TEST_USER" | cut -d: -f6)
    mkdir -p "$SC_HOME/.ssh"
    chown "$SC_TEST_USER:" "$SC_HOME" "$SC_HOME/.ssh"
    # dropbear and tinysshd refuse keys in a group- or world-writable path.
    chmod go-w "$SC_HOME"
    chmod 700 "$SC_HOME/.ssh"
}

# dropbear and tinysshd read only ~user/.ssh/authorized_keys, which several
# servers (and other tests) may share: each launcher adds its keys as lines
# tagged with a marker naming its DIR and removes exactly those lines on stop,
# under a lock.
sc_marker() { # dir
    printf 'libssh2rs-interop-%s-%s' "$SC_NAME" "$(printf '%s' "$1" | sha256sum | cut -c1-16)"
}

sc_edit_authorized_keys() { # add|remove dir pubfile...
    local op=$1 dir=$2 marker file tmp
    shift 2
    [[ -n ${SC_HOME:-} ]] || SC_HOME=$(getent passwd "$SC_TEST_USER" | cut -d: -f6)
    [[ -n $SC_HOME && -d $SC_HOME/.ssh ]] || return 0
    marker=$(sc_marker "$dir")
    file=$SC_HOME/.ssh/authorized_keys
    (
        # (not sc_die: this is a subshell, holding the lock stop would take)
        flock -w "$SC_LOCK_TIMEOUT" 9 || { sc_log "timed out waiting for the lock on $file"; exit 1; }
        tmp=$(mktemp "$SC_HOME/.ssh/.authorized_keys.XXXXXX")
        [[ -f $file ]] && grep -vF -- " $marker" "$file" >"$tmp"
        if [[ $op == add ]]; then
            local pub type blob
            for pub in "$@"; do
                read -r type blob _ <"$pub"
                [[ -n $blob ]] || { sc_log "$pub is no OpenSSH public key"; rm -f "$tmp"; exit 1; }
                echo "$type $blob $marker" >>"$tmp"
            done
        fi
        chown "$SC_TEST_USER:" "$tmp"
        chmod 600 "$tmp"
        mv -f "$tmp" "$file"
    ) 9>"$SC_HOME/.ssh/.authorized_keys.lock"
}

# sc_wait_banner PORT PID: wait until PORT accepts and sends an SSH banner
# while PID lives. Fails on timeout or when PID died (port taken, bad config).
sc_wait_banner() {
    python3 - "$SC_HOST" "$1" "$2" "$SC_BANNER_TIMEOUT" "$SC_POLL_INTERVAL" <<'EOF'
import os, socket, sys, time
host, port, pid, timeout, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(2)
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(max(deadline - time.monotonic(), 0.1))
            # Our own banner first, so a server does not log a bad client.
            s.sendall(b"SSH-2.0-libssh2rs_probe\r\n")
            line = s.makefile("rb").readline(255)
            sys.exit(0 if line.startswith(b"SSH-2.0-") else 3)
    except (ConnectionRefusedError, ConnectionResetError):
        time.sleep(interval)
    except socket.timeout:
        sys.exit(4)
sys.exit(4)
EOF
}

# The children of PID, from /proc (a minimal machine may lack procps):
# the parent pid is the second field after the ")" closing the command name.
sc_children() { # pid
    local f rest
    for f in /proc/[0-9]*/stat; do
        rest=$(cat "$f" 2>/dev/null) || continue
        rest=${rest##*) }
        read -r _ ppid _ <<<"$rest"
        [[ $ppid == "$1" ]] && { f=${f#/proc/}; echo "${f%/stat}"; }
    done
}

# Every descendant of PID, parents before their children.
sc_descendants() { # pid
    local child
    for child in $(sc_children "$1"); do
        echo "$child"
        sc_descendants "$child"
    done
}

# sc_kill_tree PID: SIGTERM PID and all its descendants (per-connection
# children, their shells, sftp-servers), then SIGKILL what is left.
sc_kill_tree() {
    local pid=$1 pids i
    kill -0 "$pid" 2>/dev/null || return 0
    pids="$pid $(sc_descendants "$pid")"
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null
    for ((i = 0; i < SC_STOP_GRACE_POLLS; i++)); do
        local alive=""
        for p in $pids; do kill -0 "$p" 2>/dev/null && alive+=" $p"; done
        [[ -z $alive ]] && return 0
        sleep "$SC_POLL_INTERVAL"
    done
    # shellcheck disable=SC2086
    kill -KILL $alive 2>/dev/null
    return 0
}

# sc_stop_pidfile FILE: kill the tree of the pid recorded in FILE.
sc_stop_pidfile() {
    local pidfile=$1 pid
    [[ -s $pidfile ]] || return 0
    pid=$(cat "$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] && sc_kill_tree "$pid"
    rm -f "$pidfile"
}

sc_quote() { # value -> single-quoted for the shell
    printf "'%s'" "${1//\'/\'\\\'\'}"
}

# sc_write_env DIR NAME=VALUE...: DIR/env in shell syntax, written atomically.
sc_write_env() {
    local dir=$1 kv
    shift
    {
        echo "# written by scripts/interop/server-$SC_NAME.sh"
        for kv in "$@"; do echo "${kv%%=*}=$(sc_quote "${kv#*=}")"; done
    } >"$dir/env.tmp" && mv -f "$dir/env.tmp" "$dir/env"
}

sc_check_user_keys() { # dir
    local k
    for k in user_ed25519 user_ed25519.pub user_rsa user_rsa.pub; do
        [[ -f $1/$k ]] || sc_die "$1/$k is missing (the caller makes the user keys)"
    done
}

# A directory the test user owns for the client's files, outside DIR (which
# the user may not be able to traverse, e.g. a root-owned mktemp -d). Its
# path is kept in DIR/writable_dir so that stop can remove it.
sc_make_writable_dir() { # dir -> prints the path
    local d
    sc_remove_writable_dir "$1"
    d=$(mktemp -d -t "libssh2rs-$SC_NAME.XXXXXX") || return 1
    chown "$SC_TEST_USER:" "$d" && chmod 755 "$d" || return 1
    echo "$d" >"$1/writable_dir"
    echo "$d"
}

sc_remove_writable_dir() { # dir
    local d
    [[ -s $1/writable_dir ]] || return 0
    d=$(cat "$1/writable_dir")
    [[ $d == "${TMPDIR:-/tmp}"/libssh2rs-"$SC_NAME".* ]] && rm -rf "$d"
    rm -f "$1/writable_dir"
}
