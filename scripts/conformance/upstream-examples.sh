#!/usr/bin/env bash
# Conformance: upstream libssh2 1.11.1's example programs (example/*.c),
# compiled with gcc -Wall against OUR include/ and linked against OUR
# libssh2.so, then the ones that can run without a person run against a private
# sshd, each checked by its exit status and its output or the files it made.
#
#   scripts/conformance/upstream-examples.sh                    # our library
#   scripts/conformance/upstream-examples.sh --against-upstream # upstream's
#       real library built from the same source (proves the checks)
#
# Run as root. The examples hard-code port 22 (830 for netconf) and the key
# /home/username/.ssh/id_rsa: they run in a private network namespace where our
# sshd listens on those ports, and the script installs upstream's test key
# key_rsa at that path. Prints TAP-ish lines and a closing "N passed, M failed"
# line; exits non-zero on failures only with CONFORMANCE_STRICT=1.
set -uo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
HELPER="$(dirname "${BASH_SOURCE[0]}")/tcp-helper.pl"

NOT_APPLICABLE_x11="runs an interactive shell on a terminal in raw mode and needs an X display"

HOST=127.0.0.1
U="$CF_TEST_USER"
PW="$CF_TEST_PASSWORD"

# ---- run phase (inside the private network namespace) -------------------------

# ex NAME LABEL ARGS...: run example NAME (output in $S/logs/LABEL.{out,err},
# exit status in $RC).
ex() {
    local name="$1" label="$2"
    shift 2
    OUT="$S/logs/$label.out"
    ERR="$S/logs/$label.err"
    if [ "$(cf_budget_left)" -le 0 ]; then
        RC=125
        echo "not run: the time budget of ${CF_BUDGET}s (CONFORMANCE_BUDGET) is used up" >"$ERR"
        : >"$OUT"
        return
    fi
    if [ ! -x "$S/bin/$name" ]; then
        RC=255
        echo "not built" >"$ERR"
        : >"$OUT"
        return
    fi
    (cd "$S/work" && env LD_LIBRARY_PATH="$S/lib" HOME="$S/home" ${AGENT_ENV:+"$AGENT_ENV"} \
        timeout -k 5 "$(cf_limit)" "$S/bin/$name" "$@") >"$OUT" 2>"$ERR" </dev/null
    RC=$?
    # The status too, for callers that run `ex ... &` and `wait` for it.
    return "$RC"
}

# why: a short reason from the last run (exit status, missing symbols, stderr).
why() {
    local r="exit $RC"
    [ "$RC" = 124 ] && r="timed out (limit ${CF_TIMEOUT}s, less near the end of the budget)"
    [ "$RC" = 125 ] && r="not run (time budget used up)"
    [ "$RC" = 255 ] && [ "$(cat "$ERR")" = "not built" ] && r="did not build"
    [ -s "$S/missing/${CUR:-x}" ] && r+="; library lacks: $(cat "$S/missing/$CUR")"
    echo "$r; $*; stderr: $(grep -av '^[[:space:]]*$' "$ERR" | tail -n 2 | tr -cd '[:print:]\n' | tr '\n' ' ' | cut -c1-160)"
}

sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

# result LABEL CONDITION-OK REASON
result() {
    if [ "$2" = 1 ]; then cf_ok "$1"; else cf_notok "$1" "$(why "$3")"; fi
}

same_file() { [ -f "$2" ] && [ "$(sha "$1")" = "$(sha "$2")" ] && echo 1 || echo 0; }

run_phase() {
    local d="$S/data" up="$S/local/upload.bin" src="$S/data/src.bin" ok label
    cf_log "sshd: $(/usr/sbin/sshd -V 2>&1 | head -n1)"
    cf_sshd_config "$S/tests" "$S/sshd" || cf_die "cannot write the sshd configuration"
    echo "Subsystem netconf $S/netconf-responder.sh" >>"$S/sshd/sshd_config"
    if ! cf_sshd_start "$S/sshd" 22 830; then
        cf_notok "start sshd on 127.0.0.1:22 and :830" "$(tail -n 3 "$S/sshd/sshd.log" 2>/dev/null)"
    fi

    # ssh2: each authentication method, then a command and its output. Its
    # exit status is not checked: the example asks for it as soon as it sees
    # EOF, before the server's exit-status message may have come (upstream
    # returns 0 then too). The delay keeps the output from arriving together
    # with the exec reply, which the example would miss (it tests EOF first).
    CUR=ssh2
    for m in p:password i:keyboard-interactive k:publickey; do
        label="ssh2 ${m#*:} auth, exec output"
        ex ssh2 "ssh2-${m%%:*}" "$HOST" "$U" "$PW" "-${m%%:*}" 'sleep 0.2; echo conformance-ssh2'
        ok=0
        [ "$(cat "$OUT")" = conformance-ssh2 ] && ok=1
        result "$label" "$ok" "want stdout conformance-ssh2"
    done

    CUR=ssh2_exec
    ex ssh2_exec ssh2_exec "$HOST" "$U" "$PW" 'echo conformance-exec; exit 7'
    ok=0
    [ "$RC" = 0 ] && grep -q '^conformance-exec$' "$ERR" && grep -q 'EXIT: 7 bytecount: 17' "$ERR" && ok=1
    result "ssh2_exec non-blocking exec, output, exit status" "$ok" "want the output and 'EXIT: 7 bytecount: 17'"

    CUR=ssh2_echo
    ex ssh2_echo ssh2_echo "$HOST" "$U" "$PW"
    ok=0
    [ "$RC" = 0 ] && grep -q 'totwritten 1500000' "$ERR" && ! grep -q FAIL "$ERR" && ok=1
    result "ssh2_echo 1500000 bytes through cat with libssh2_poll" "$ok" "want exit 0 and all bytes echoed"

    # SFTP downloads print the file on stdout.
    CUR=sftp
    ex sftp sftp "$HOST" "$U" "$PW" "$src"
    result "sftp download (password auth)" "$(same_file "$src" "$OUT")" "stdout differs from the file"
    ex sftp sftp-k "$HOST" "$U" "$PW" "$src" -k
    result "sftp download (publickey auth, /home/username/.ssh/id_rsa)" "$(same_file "$src" "$OUT")" \
        "stdout differs from the file"
    CUR=sftp_nonblock
    ex sftp_nonblock sftp_nonblock "$HOST" "$U" "$PW" "$src"
    result "sftp_nonblock download" "$(same_file "$src" "$OUT")" "stdout differs from the file"

    # SFTP uploads.
    for name in sftp_write sftp_write_nonblock sftp_write_sliding; do
        CUR=$name
        ex "$name" "$name" "$HOST" "$U" "$PW" "$up" "$d/up-$name.bin"
        result "$name upload" "$(same_file "$up" "$d/up-$name.bin")" "remote file differs from the upload"
    done

    # Only the download half runs: the destination cannot be opened, so the
    # example stops after "SFTP failed to open destination path". Its upload
    # loop does not keep to libssh2's EAGAIN contract (it spins on zero-length
    # writes after a complete one) and hangs with upstream's library too.
    CUR=sftp_RW_nonblock
    rm -f /tmp/sftp-storage
    ex sftp_RW_nonblock sftp_RW_nonblock "$U" "$PW" "$src" /nonexistent-dir/rw-copy.bin
    ok=0
    [ "$RC" = 0 ] && [ "$(same_file "$src" /tmp/sftp-storage)" = 1 ] &&
        grep -aq 'SFTP failed to open destination path' "$ERR" && ok=1
    result "sftp_RW_nonblock non-blocking download (to /tmp/sftp-storage)" "$ok" \
        "want exit 0, the file stored and the open of the destination refused"
    rm -f /tmp/sftp-storage

    CUR=sftp_append
    ex sftp_append sftp_append "$HOST" "$U" "$PW" "$S/local/append-part.txt" "$d/append.txt"
    ok=0
    [ "$(cat "$d/append.txt")" = "$(printf 'first part\nsecond part')" ] && ok=1
    result "sftp_append fstat, seek to the end and write" "$ok" "remote file is not the two parts"

    for name in sftp_mkdir sftp_mkdir_nonblock; do
        CUR=$name
        ex "$name" "$name" "$HOST" "$U" "$PW" "$d/newdir-$name"
        ok=0
        [ -d "$d/newdir-$name" ] && ok=1
        result "$name" "$ok" "directory not created"
    done

    for name in sftpdir sftpdir_nonblock; do
        CUR=$name
        ex "$name" "$name" "$HOST" "$U" "$PW" "$d/listing"
        ok=0
        grep -q 'alpha\.txt' "$OUT" && grep -q 'gamma' "$OUT" && grep -q '1234.*beta\.bin' "$OUT" && ok=1
        result "$name listing" "$ok" "listing lacks alpha.txt, gamma or '1234 ... beta.bin'"
    done

    # SCP.
    for name in scp scp_nonblock; do
        CUR=$name
        ex "$name" "$name" "$HOST" "$U" "$PW" "$src"
        result "$name download" "$(same_file "$src" "$OUT")" "stdout differs from the file"
    done
    for name in scp_write scp_write_nonblock; do
        CUR=$name
        ex "$name" "$name" "$HOST" "$U" "$PW" "$up" "$d/up-$name.bin"
        result "$name upload" "$(same_file "$up" "$d/up-$name.bin")" "remote file differs from the upload"
    done

    # Port forwarding: an echo server behind the forward, a client in front.
    local echo_pid ex_pid reply
    CUR=direct_tcpip
    perl "$HELPER" echo 4713 2>/dev/null &
    echo_pid=$!
    ex direct_tcpip direct_tcpip "$HOST" "$U" "$PW" 127.0.0.1 2222 127.0.0.1 4713 -p &
    ex_pid=$!
    reply="$(perl "$HELPER" client 2222 conformance-direct-tcpip 2>/dev/null)"
    wait "$ex_pid"
    RC=$?
    kill "$echo_pid" 2>/dev/null
    wait "$echo_pid" 2>/dev/null
    ERR="$S/logs/direct_tcpip.err"
    ok=0
    [ "$reply" = conformance-direct-tcpip ] && ok=1
    result "direct_tcpip local forward to an echo server" "$ok" "echo reply '$reply'"

    CUR=tcpip-forward
    perl "$HELPER" echo 4714 2>/dev/null &
    echo_pid=$!
    ex tcpip-forward tcpip-forward "$HOST" "$U" "$PW" 127.0.0.1 2223 127.0.0.1 4714 -p &
    ex_pid=$!
    reply="$(perl "$HELPER" client 2223 conformance-tcpip-forward 2>/dev/null)"
    wait "$ex_pid"
    RC=$?
    kill "$echo_pid" 2>/dev/null
    wait "$echo_pid" 2>/dev/null
    ERR="$S/logs/tcpip-forward.err"
    ok=0
    [ "$reply" = conformance-tcpip-forward ] && ok=1
    result "tcpip-forward remote forward to an echo server" "$ok" "echo reply '$reply'"

    # Agent: an ssh-agent of our own holding upstream's test key.
    local agent_out
    agent_out="$(ssh-agent -s -a "$S/agent.sock" 2>/dev/null)"
    eval "$agent_out" >/dev/null
    ssh-add "$S/home/.ssh/id_rsa" >/dev/null 2>&1
    AGENT_ENV="SSH_AUTH_SOCK=$S/agent.sock"
    CUR=ssh2_agent
    ex ssh2_agent ssh2_agent "$HOST" "$U"
    ok=0
    [ "$RC" = 0 ] && grep -q "Authentication with username $U and public key .* succeeded" "$ERR" && ok=1
    result "ssh2_agent publickey auth through ssh-agent" "$ok" "want agent authentication to succeed"
    # The remote command shows the agent socket sshd made for the forwarding.
    CUR=ssh2_agent_forwarding
    # shellcheck disable=SC2016 # expanded by the remote shell
    ex ssh2_agent_forwarding ssh2_agent_forwarding "$HOST" "$U" 'echo "agent:$SSH_AUTH_SOCK"'
    ok=0
    grep -q 'Agent forwarding request succeeded' "$OUT" && grep -q '^agent:/.*agent\.' "$ERR" &&
        grep -q 'EXIT: 0' "$ERR" && ok=1
    result "ssh2_agent_forwarding: agent auth, auth-agent request, remote SSH_AUTH_SOCK set" "$ok" \
        "want the forwarding to succeed and the remote SSH_AUTH_SOCK set"
    AGENT_ENV=""
    [ -n "${SSH_AGENT_PID:-}" ] && kill "$SSH_AGENT_PID" 2>/dev/null

    CUR=subsystem_netconf
    ex subsystem_netconf subsystem_netconf "$HOST" "$U" "$PW" -p
    ok=0
    grep -q 'conformance-netconf-ok' "$ERR" && ok=1
    result "subsystem_netconf hello and rpc through the netconf subsystem" "$ok" "no rpc-reply"

    cf_sshd_stop "$S/sshd"
    cp "$S/sshd/sshd.log" "$S/logs/sshd.log" 2>/dev/null
}

if [ "${CF_PHASE:-}" = run ]; then
    run_phase
    exit 0
fi

# ---- setup phase ---------------------------------------------------------------------

cf_setup_phase 16 "$@"
cf_log "upstream libssh2 $CF_LIBSSH2_VERSION examples against: $AGAINST library"
cf_apt_install build-essential openssh-server openssh-client iproute2 binutils perl-base ||
    cf_die "cannot install the needed packages"
SRC="$(cf_upstream_src libssh2)" || cf_die "cannot fetch the upstream libssh2 source"
E="$SRC/example"
T="$SRC/tests"

OURS="$(cf_build_ours)" || {
    if [ "$AGAINST" = upstream ]; then
        cf_log "our libssh2.so is not built (see $CF_CACHE/cargo-release.log); linking against upstream's"
    else
        cf_notok "build our libssh2.so (cargo build --release)" "see $CF_CACHE/cargo-release.log"
    fi
    OURS=""
}
LINKDIR="$CF_CACHE/lib/ours"
[ -n "$OURS" ] && cf_libdir_for "$OURS" "$LINKDIR"
RUNLIB="$OURS"
if [ "$AGAINST" = upstream ]; then
    UPDIR="$(cf_build_upstream_lib "$SRC")" || cf_die "cannot build upstream's library (see $CF_CACHE/upstream-lib.log)"
    RUNLIB="$UPDIR/libssh2.so.1"
    [ -n "$OURS" ] || LINKDIR="$UPDIR"
fi

# ---- compile every example with -Wall ----------------------------------------------------

B="$CF_CACHE/examples-build"
rm -rf "$B"
mkdir -p "$B/obj" "$B/bin" "$B/logs"
CFLAGS=(-g -O1 -Wall -I"$CF_ROOT/tests/conformance" -I"$CF_ROOT/include")
total=0
compiled=0
for f in "$E"/*.c; do
    name="$(basename "$f" .c)"
    total=$((total + 1))
    if gcc "${CFLAGS[@]}" -c "$f" -o "$B/obj/$name.o" >"$B/logs/$name.log" 2>&1; then
        compiled=$((compiled + 1))
        w="$(grep -c 'warning:' "$B/logs/$name.log" || true)"
        if [ "$w" -gt 0 ]; then
            cf_ok "compile example/$name.c -Wall" "$w warnings: $(grep -m1 'warning:' "$B/logs/$name.log")"
        else
            cf_ok "compile example/$name.c -Wall"
        fi
    else
        cf_notok "compile example/$name.c -Wall" "$(grep -m2 'error' "$B/logs/$name.log")"
    fi
done
cf_log "compiled $compiled/$total examples against our headers"
LINKDIR="$(cf_pick_linkdir "$LINKDIR" "$B/link" "$B"/obj/*.o)" || cf_die "cannot build the link stub"
for o in "$B"/obj/*.o; do
    name="$(basename "$o" .o)"
    gcc "$o" -L"$LINKDIR" -Wl,--no-as-needed -l:libssh2.so.1 -Wl,-z,lazy -o "$B/bin/$name" \
        >>"$B/logs/$name.log" 2>&1 || cf_log "cannot link $name: $(grep -m1 error "$B/logs/$name.log")"
done

# ---- stage and run ---------------------------------------------------------------------

S="$(cf_stage_dir)"
[ "${CONFORMANCE_KEEP_STAGE:-0}" = 1 ] || trap 'rm -rf "$S"' EXIT
mkdir -p "$S/bin" "$S/lib" "$S/missing" "$S/logs" "$S/work" "$S/local" "$S/home/.ssh" "$S/data/listing/gamma"
cp -r "$T" "$S/tests"
cp "$B"/bin/* "$S/bin/" 2>/dev/null
if [ -n "$RUNLIB" ] && [ -f "$RUNLIB" ]; then
    cp -L "$RUNLIB" "$S/lib/libssh2.so.1"
    cf_log "library under test: $(readlink -f "$RUNLIB")"
    for p in "$S"/bin/*; do
        cf_missing_for "$S/lib/libssh2.so.1" "$p" >"$S/missing/$(basename "$p")"
    done
    cf_log "examples resolve libssh2.so.1 to:" \
        "$(LD_LIBRARY_PATH="$S/lib" ldd "$S/bin/ssh2" 2>/dev/null | awk '/libssh2/ {print $3}')"
fi
# The key the examples hard-code, and the one ssh2.c takes from $HOME/.ssh.
install -d -m 755 /home/username/.ssh
for k in id_rsa id_rsa.pub; do
    src_key="$T/key_rsa${k#id_rsa}"
    install -m 600 "$src_key" "/home/username/.ssh/$k"
    install -m 600 "$src_key" "$S/home/.ssh/$k"
done
# Files for the transfers, owned by the sshd's user.
head -c 1048579 /dev/urandom >"$S/data/src.bin"
head -c 300001 /dev/urandom >"$S/local/upload.bin"
printf 'first part\n' >"$S/data/append.txt"
printf 'second part' >"$S/local/append-part.txt"
echo alpha >"$S/data/listing/alpha.txt"
head -c 1234 /dev/zero >"$S/data/listing/beta.bin"
cat >"$S/netconf-responder.sh" <<'EOF'
#!/bin/sh
# A minimal NETCONF peer: answer the client's hello, then one rpc.
while IFS= read -r l; do case "$l" in *']]>]]>'*) break ;; esac; done
printf '<?xml version="1.0" encoding="UTF-8"?>\n<hello><capabilities><capability>urn:ietf:params:xml:ns:netconf:base:1.0</capability></capabilities><session-id>1</session-id></hello>\n]]>]]>\n'
while IFS= read -r l; do case "$l" in *']]>]]>'*) break ;; esac; done
printf '<rpc-reply><interface-information>conformance-netconf-ok</interface-information></rpc-reply>\n]]>]]>\n'
EOF
chmod -R a+rX "$S"
chmod 755 "$S/netconf-responder.sh"
chmod 600 "$S/home/.ssh/id_rsa"  # ssh-add refuses a private key others can read
cf_test_user_setup "$S/tests" || cf_notok "set up the $CF_TEST_USER test user"
chown -R "$U:$U" "$S/data"

export CF_PHASE=run S CF_RESULTS
cf_budget_start
cf_in_netns bash "$0"

cf_na "x11" "$NOT_APPLICABLE_x11"
rm -rf "$CF_CACHE/examples-logs-$AGAINST"
cp -r "$S/logs" "$CF_CACHE/examples-logs-$AGAINST"
cf_log "example logs: $CF_CACHE/examples-logs-$AGAINST"
cf_log "upstream-examples took $((SECONDS - START))s"
cf_finish "upstream-examples"
