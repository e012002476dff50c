#!/usr/bin/env bash
# Conformance: curl over our libssh2.
#
# (a) Debian's prebuilt curl (it links libssh2.so.1), run with LD_LIBRARY_PATH
#     pointing at a directory whose libssh2.so.1 is our build: SFTP and SCP
#     downloads, uploads, listings, -Q quote commands, ranges, resume, password
#     and key authentication, known_hosts and host key fingerprints, each
#     checked by checksums, listings or the files on disk; LD_DEBUG=libs proves
#     that our library is the one loaded.
# (b) curl 8.14.1 from Debian's source package, configured --with-libssh2
#     through our libssh2.pc, built once into .cache/, and its own SFTP and SCP
#     test cases (tests/data files whose <keywords> name SFTP or SCP) run with
#     its runtests.pl as an unprivileged user (its sshd refuses root), under
#     valgrind as curl's CI runs them: runtests.pl finds valgrind on PATH and
#     runs every curl and libtest command under memcheck with --leak-check=yes
#     and curl's tests/valgrind.supp (plus curl-valgrind.supp: curl's own
#     leaks); any report fails the test.
#
#   scripts/conformance/curl.sh                    # our library
#   scripts/conformance/curl.sh --against-upstream # upstream's real library
#   scripts/conformance/curl.sh --only-a | --only-b
#
# Run as root. Prints TAP-ish lines and a closing "N passed, M failed" line;
# exits non-zero on failures only with CONFORMANCE_STRICT=1.
# shellcheck disable=SC2016 # the eval'd checks expand their variables when run
set -uo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CURL_VERSION=8.14.1
# The unprivileged user that runs curl's runtests.pl.
CURL_TEST_USER=curltests
PORT=4711
# A second sshd with only the ed25519 host key, so fingerprints are certain.
PORT_ONEKEY=4712
U="$CF_TEST_USER"
PW="$CF_TEST_PASSWORD"

# ---- part (a), run inside the private network namespace ------------------------

# dcurl LABEL ARGS...: Debian's curl on our library; output in $OUT, stderr in
# $ERR, exit status in $RC.
dcurl() {
    local label="$1"
    shift
    OUT="$S/logs/a-$label.out"
    ERR="$S/logs/a-$label.err"
    if [ "$(cf_budget_left)" -le 0 ]; then
        RC=125
        echo "not run: the time budget of ${CF_BUDGET}s (CONFORMANCE_BUDGET) is used up" >"$ERR"
        : >"$OUT"
        return
    fi
    env HOME="$S/home" LD_LIBRARY_PATH="$LIBDIR" timeout -k 5 "$(cf_limit)" \
        curl -sS --connect-timeout 10 "$@" >"$OUT" 2>"$ERR" </dev/null
    RC=$?
}

why() {
    local r="curl exit $RC"
    [ "$RC" = 124 ] && r="timed out (limit ${CF_TIMEOUT}s, less near the end of the budget)"
    [ "$RC" = 125 ] && r="not run (time budget used up)"
    echo "$r; $*; stderr: $(tail -n 2 "$ERR" | tr '\n' ' ' | cut -c1-160)"
}
# shellcheck disable=SC2317 # called through check
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
# shellcheck disable=SC2317
same() { [ -f "$2" ] && [ "$(sha "$1")" = "$(sha "$2")" ]; }
# check LABEL REASON CONDITION...
check() {
    local label="$1" reason="$2"
    shift 2
    if "$@"; then cf_ok "curl: $label"; else cf_notok "curl: $label" "$(why "$reason")"; fi
}

part_a() {
    local d="$S/data" url="sftp://127.0.0.1:$PORT" surl="scp://127.0.0.1:$PORT"
    local auth=(-u "$U:$PW") src="$S/data/src.bin" up="$S/local/upload.bin"
    cf_sshd_config "$S/tests" "$S/sshd" || cf_die "cannot write the sshd configuration"
    if ! cf_sshd_start "$S/sshd" "$PORT"; then
        cf_notok "start sshd on 127.0.0.1:$PORT" "$(tail -n 3 "$S/sshd/sshd.log" 2>/dev/null)"
    fi
    mkdir -p "$S/sshd1"
    cp "$S/sshd"/ssh_host_ed25519_key "$S/sshd"/ca_user_keys.pub "$S/sshd1/"
    sed -e "/ssh_host_rsa_key\|ssh_host_ecdsa_key/d" -e "s|$S/sshd/|$S/sshd1/|g" \
        "$S/sshd/sshd_config" >"$S/sshd1/sshd_config"
    cf_sshd_start "$S/sshd1" "$PORT_ONEKEY" ||
        cf_notok "start the ed25519-only sshd on 127.0.0.1:$PORT_ONEKEY" "$(tail -n 3 "$S/sshd1/sshd.log")"

    # Which libssh2 the dynamic linker loads into curl.
    dcurl version --version
    check "--version reports libssh2/$CF_LIBSSH2_VERSION" "want libssh2/$CF_LIBSSH2_VERSION" \
        grep -q "libssh2/$CF_LIBSSH2_VERSION" "$OUT"
    OUT="$S/logs/a-ld-debug.out"
    ERR="$S/logs/a-ld-debug.err"
    env HOME="$S/home" LD_LIBRARY_PATH="$LIBDIR" LD_DEBUG=libs timeout -k 5 "$(cf_limit)" \
        curl -sS "${auth[@]}" "$url$d/small.txt" -o /dev/null >"$OUT" 2>"$ERR" </dev/null
    RC=$?
    check "LD_DEBUG=libs: libssh2.so.1 is loaded from $LIBDIR" "not loaded from there" \
        grep -q "calling init: $LIBDIR/libssh2.so.1" "$ERR"

    # Downloads and uploads.
    dcurl sftp-get "${auth[@]}" "$url$src" -o "$S/out/sftp-get.bin"
    check "SFTP download (password auth), sha256" "content differs" same "$src" "$S/out/sftp-get.bin"
    dcurl scp-get "${auth[@]}" "$surl$src" -o "$S/out/scp-get.bin"
    check "SCP download (password auth), sha256" "content differs" same "$src" "$S/out/scp-get.bin"
    dcurl sftp-put "${auth[@]}" -T "$up" "$url$d/sftp-put.bin"
    check "SFTP upload, sha256" "remote file differs" same "$up" "$d/sftp-put.bin"
    dcurl scp-put "${auth[@]}" -T "$up" "$surl$d/scp-put.bin"
    check "SCP upload, sha256" "remote file differs" same "$up" "$d/scp-put.bin"
    dcurl sftp-mkdirs "${auth[@]}" --ftp-create-dirs -T "$S/local/small.txt" "$url$d/made/deeper/small.txt"
    check "SFTP upload with --ftp-create-dirs" "file not created" same "$S/local/small.txt" "$d/made/deeper/small.txt"
    dcurl sftp-home "${auth[@]}" "$url/~/sandbox/home.txt"
    check "SFTP path relative to the home directory (/~/)" "want the file" \
        [ "$(cat "$OUT")" = conformance-home ]
    dcurl sftp-empty "${auth[@]}" "$url$d/empty.txt" -o "$S/out/empty.txt"
    check "SFTP download of an empty file" "want an empty file" [ "$RC" = 0 -a -f "$S/out/empty.txt" -a ! -s "$S/out/empty.txt" ]
    dcurl sftp-missing "${auth[@]}" "$url$d/no-such-file"
    check "SFTP download of a missing file fails with 78 (REMOTE_FILE_NOT_FOUND)" "want exit 78" [ "$RC" = 78 ]
    dcurl scp-missing "${auth[@]}" "$surl$d/no-such-file"
    check "SCP download of a missing file fails with 78 (REMOTE_FILE_NOT_FOUND)" "want exit 78" [ "$RC" = 78 ]

    # Listings.
    dcurl sftp-list "${auth[@]}" "$url$d/listing/"
    check "SFTP directory listing (long form)" "want alpha.txt, beta.bin with size 1234, gamma" \
        eval 'grep -q "alpha\.txt$" "$OUT" && grep -q " 1234 .*beta\.bin$" "$OUT" && grep -q "^d.* gamma$" "$OUT"'
    dcurl sftp-list-only "${auth[@]}" -l "$url$d/listing/"
    check "SFTP directory listing (--list-only names)" "want exactly alpha.txt beta.bin gamma" \
        [ "$(grep -vx '\.\|\.\.' "$OUT" | sort | xargs)" = "alpha.txt beta.bin gamma" ]

    # Quote commands. Each makes its own precondition and needs curl to
    # succeed, so none passes merely because nothing ran.
    mk() { install -o "$U" -g "$U" "$@"; }
    dcurl q-mkdir "${auth[@]}" -Q "mkdir $d/q-dir" "$url$d/"
    check "-Q mkdir" "directory not made" [ "$RC" = 0 -a -d "$d/q-dir" ]
    mk -m 644 /dev/null "$d/q-file"
    dcurl q-rename "${auth[@]}" -Q "rename $d/q-file $d/q-renamed" "$url$d/"
    check "-Q rename" "file not renamed" [ "$RC" = 0 -a -f "$d/q-renamed" -a ! -e "$d/q-file" ]
    mk -m 644 /dev/null "$d/q-chmod"
    dcurl q-chmod "${auth[@]}" -Q "chmod 640 $d/q-chmod" "$url$d/"
    check "-Q chmod" "mode is not 640" [ "$RC" = 0 -a "$(stat -c %a "$d/q-chmod")" = 640 ]
    dcurl q-symlink "${auth[@]}" -Q "symlink $d/q-chmod $d/q-link" "$url$d/"
    # Not the exit status: upstream 1.11.1 takes the request id of the SFTP
    # status reply for its status code, so a symlink that was made is still
    # reported as failed (curl exits 21). The link itself shows the work done.
    check "-Q symlink" "no link to q-chmod" [ "$(readlink "$d/q-link" 2>/dev/null)" = "$d/q-chmod" ]
    mk -m 644 /dev/null "$d/q-rm1"
    mk -m 644 /dev/null "$d/q-rm2"
    dcurl q-rm "${auth[@]}" -Q "rm $d/q-rm1" -Q "rm $d/q-rm2" "$url$d/"
    check "-Q rm (twice)" "files not removed" [ "$RC" = 0 -a ! -e "$d/q-rm1" -a ! -e "$d/q-rm2" ]
    mk -d -m 755 "$d/q-rmdir"
    dcurl q-rmdir "${auth[@]}" -Q "rmdir $d/q-rmdir" "$url$d/"
    check "-Q rmdir" "directory not removed" [ "$RC" = 0 -a ! -e "$d/q-rmdir" ]
    dcurl q-post "${auth[@]}" -Q "-mkdir $d/q-post" "$url$d/small.txt" -o /dev/null
    check "-Q -mkdir (after the transfer)" "directory not made" [ "$RC" = 0 -a -d "$d/q-post" ]
    dcurl q-fail "${auth[@]}" -Q "rmdir $d/no-such-dir" "$url$d/"
    check "-Q of a failing command fails the transfer (21 QUOTE_ERROR)" "want exit 21" [ "$RC" = 21 ]

    # Ranges and resume.
    dcurl range "${auth[@]}" -r 1000-1999 "$url$src" -o "$S/out/range.bin"
    check "SFTP range 1000-1999" "bytes differ" \
        cmp -s "$S/out/range.bin" <(tail -c +1001 "$src" | head -c 1000)
    dcurl range-tail "${auth[@]}" -r -500 "$url$src" -o "$S/out/range-tail.bin"
    check "SFTP range -500 (last 500 bytes)" "bytes differ" cmp -s "$S/out/range-tail.bin" <(tail -c 500 "$src")
    dcurl range-open "${auth[@]}" -r 1048000- "$url$src" -o "$S/out/range-open.bin"
    check "SFTP range 1048000- (to the end)" "bytes differ" cmp -s "$S/out/range-open.bin" <(tail -c +1048001 "$src")
    head -c 300000 "$src" >"$S/out/resume.bin"
    dcurl resume-get "${auth[@]}" -C - "$url$src" -o "$S/out/resume.bin"
    check "SFTP download resume (-C -)" "resumed file differs" same "$src" "$S/out/resume.bin"
    head -c 100000 "$up" >"$d/resume-put.bin"
    chown "$U:$U" "$d/resume-put.bin"
    dcurl resume-put "${auth[@]}" -C - -T "$up" "$url$d/resume-put.bin"
    check "SFTP upload resume (-C -)" "remote file differs" same "$up" "$d/resume-put.bin"
    printf 'first\n' >"$d/append.txt"
    chown "$U:$U" "$d/append.txt"
    dcurl append "${auth[@]}" --append -T "$S/local/small.txt" "$url$d/append.txt"
    check "SFTP upload --append" "remote file is not first + upload" \
        cmp -s "$d/append.txt" <(printf 'first\n'; cat "$S/local/small.txt")

    # Authentication.
    local k="$S/tests"
    dcurl key-rsa -u "$U:" --key "$k/key_rsa" --pubkey "$k/key_rsa.pub" "$url$d/small.txt"
    check "publickey auth (RSA key file)" "want the file" same "$d/small.txt" "$OUT"
    dcurl key-ed25519 -u "$U:" --key "$k/key_ed25519" --pubkey "$k/key_ed25519.pub" "$url$d/small.txt"
    check "publickey auth (ed25519 key file)" "want the file" same "$d/small.txt" "$OUT"
    dcurl key-ecdsa -u "$U:" --key "$k/key_ecdsa" --pubkey "$k/key_ecdsa.pub" "$surl$d/small.txt"
    check "publickey auth over SCP (ECDSA key file)" "want the file" same "$d/small.txt" "$OUT"
    dcurl key-enc -u "$U:" --key "$k/key_rsa_encrypted" --pubkey "$k/key_rsa_encrypted.pub" --pass libssh2 \
        "$url$d/small.txt"
    check "publickey auth (encrypted RSA key, --pass)" "want the file" same "$d/small.txt" "$OUT"
    dcurl key-nopub -u "$U:" --key "$k/key_ed25519" "$url$d/small.txt"
    check "publickey auth (private key only, public key derived)" "want the file" same "$d/small.txt" "$OUT"
    dcurl key-wrong -u "$U:" --key "$k/key_dsa_wrong" --pubkey "$k/key_dsa_wrong.pub" "$url$d/small.txt"
    check "publickey auth with a key the server refuses fails (67 LOGIN_DENIED)" "want exit 67" [ "$RC" = 67 ]
    dcurl pw-wrong -u "$U:wrong password" "$url$d/small.txt"
    check "password auth with a wrong password fails (67 LOGIN_DENIED)" "want exit 67" [ "$RC" = 67 ]

    # Host keys: known_hosts and fingerprints (the one-key server).
    local one="sftp://127.0.0.1:$PORT_ONEKEY" hk="$S/sshd1/ssh_host_ed25519_key"
    local pub sha256 md5
    pub="$(ssh-keygen -y -f "$hk")"
    sha256="$(ssh-keygen -E sha256 -lf <(echo "$pub") | awk '{print $2}' | sed 's/^SHA256://')"
    md5="$(ssh-keygen -E md5 -lf <(echo "$pub") | awk '{print $2}' | sed 's/^MD5://; s/://g')"
    echo "[127.0.0.1]:$PORT_ONEKEY $pub" >"$S/home/.ssh/known_hosts"
    dcurl kh-match "${auth[@]}" "$one$d/small.txt"
    check "known_hosts entry that matches" "want the file" same "$d/small.txt" "$OUT"
    echo "[127.0.0.1]:$PORT_ONEKEY $(cut -d' ' -f1,2 "$k/key_ed25519.pub")" >"$S/home/.ssh/known_hosts"
    dcurl kh-mismatch "${auth[@]}" "$one$d/small.txt"
    check "known_hosts entry that does not match fails (60 PEER_FAILED_VERIFICATION)" "want exit 60" [ "$RC" = 60 ]
    rm -f "$S/home/.ssh/known_hosts"
    dcurl fp-sha256 "${auth[@]}" --hostpubsha256 "$sha256" "$one$d/small.txt"
    check "--hostpubsha256 that matches" "want the file" same "$d/small.txt" "$OUT"
    dcurl fp-sha256-wrong "${auth[@]}" --hostpubsha256 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$one$d/small.txt"
    check "--hostpubsha256 that does not match fails (60)" "want exit 60" [ "$RC" = 60 ]
    dcurl fp-md5 "${auth[@]}" --hostpubmd5 "$md5" "$one$d/small.txt"
    check "--hostpubmd5 that matches" "want the file" same "$d/small.txt" "$OUT"
    dcurl fp-md5-wrong "${auth[@]}" --hostpubmd5 00000000000000000000000000000000 "$one$d/small.txt"
    check "--hostpubmd5 that does not match fails (60)" "want exit 60" [ "$RC" = 60 ]

    # Several transfers on one connection, and two connections at once.
    dcurl reuse "${auth[@]}" "$url$d/small.txt" -o "$S/out/r1" "$url$src" -o "$S/out/r2" "$surl$d/small.txt" -o "$S/out/r3"
    check "three transfers in one invocation (SFTP connection reuse, then SCP)" "a file differs" \
        eval 'same "$d/small.txt" "$S/out/r1" && same "$src" "$S/out/r2" && same "$d/small.txt" "$S/out/r3"'
    dcurl parallel "${auth[@]}" -Z "$url$src" -o "$S/out/p1" "$surl$src" -o "$S/out/p2"
    check "two transfers in parallel (-Z)" "a file differs" eval 'same "$src" "$S/out/p1" && same "$src" "$S/out/p2"'

    cf_sshd_stop "$S/sshd"
    cf_sshd_stop "$S/sshd1"
    cp "$S/sshd/sshd.log" "$S/logs/a-sshd.log" 2>/dev/null
}

# ---- part (b), run inside the private network namespace ------------------------

part_b() {
    local log="$S/logs/runtests.log" n line limit
    # runtests.pl gets what is left of the budget (at least a minute); each
    # curl call also has the per-test limit through the valgrind shim (under
    # valgrind on 2 cores a test takes 1-6 s, all 53 about 110 s).
    cf_budget_start
    limit="$(cf_budget_left)"
    [ "$limit" -lt 60 ] && limit=60
    # Flags as in curl's CI (tests/Makefile.am: ci-test) without its retries,
    # parallel runners and ~keyword filters; -p shows a failed test's logs.
    # No -n, so runtests.pl uses the valgrind it finds on PATH: $S/bin's shim.
    # curl is src/curl itself (static libcurl, an ELF file), so runtests.pl
    # puts valgrind straight in front of it; a -c shell script would put
    # valgrind in front of /bin/sh, and the curl it execs would run unchecked.
    # shellcheck disable=SC2086 # one argument per test number
    (cd "$S/curl/tests" && runuser -u "$CURL_TEST_USER" -- env -i PATH="$S/bin:/usr/local/bin:/usr/bin:/bin" \
        HOME="$(getent passwd "$CURL_TEST_USER" | cut -d: -f6)" USER="$CURL_TEST_USER" \
        LOGNAME="$CURL_TEST_USER" LD_LIBRARY_PATH="$S/lib" \
        timeout -k 10 "$limit" perl ./runtests.pl -a -p $CURL_TESTS) \
        >"$log" 2>&1
    cf_log "runtests.pl exit status $? (log: $CF_CACHE/curl-logs-$AGAINST/runtests.log)"
    grep -E '^\* (curl|libcurl|Protocols|Features|Env|Args)' "$log" | head -n 8 | sed 's/^/#   /'
    # runtests.pl drops valgrind silently when it cannot run it.
    grep -q '^\* Env: .*Valgrind' "$log" ||
        cf_notok "runtests.pl runs curl under valgrind" "its log has no '* Env: Valgrind' line"
    # runtests.pl prints "test 0600...[title]", then a line of result flags
    # ending in "OK (...)" (the last flag but one is "v" when valgrind checked
    # the test), a "600: <part> FAILED" report or " valgrind ERROR " followed by
    # valgrind's log; skips print "test 0600 SKIPPED".
    awk '
        /^test [0-9]+\.\.\.\[/ { n = $2; sub(/\.\.\..*/, "", n); n += 0;
            t = $0; sub(/^[^[]*\[/, "", t); sub(/\][^]]*$/, "", t); title[n] = t; cur = n; vg = 0; next }
        /^test [0-9]+ SKIPPED/ { n = $2 + 0; st[n] = "skip"; why[n] = $0; next }
        # A valgrind failure: its first line, the libssh2 function it
        # reached and the caller of that function.
        cur != "" && / valgrind ERROR / { st[cur] = "fail"; vg = 1; api = ""; l = $0
            sub(/.*valgrind ERROR ==[0-9]+== /, "", l); why[cur] = "valgrind: " l; next }
        vg && /^==[0-9]+== +(at|by) / { if (api == "" && $4 ~ /^_?libssh2_/) { api = $4; why[cur] = why[cur] " in " $4 }
            else if (api != "" && api != "-") { why[cur] = why[cur] " from " $4; api = "-" } next }
        cur != "" && / OK \(/ { if (!(cur in st)) { if ($1 ~ /v.$/) st[cur] = "ok";
            else { st[cur] = "fail"; why[cur] = "passed, but valgrind did not check it (flags " $1 ")" } }
            cur = ""; next }
        /^ *[0-9]+: .*FAILED/ { n = $1; sub(/:/, "", n); n += 0; if (st[n] != "fail") { st[n] = "fail"; why[n] = $0 } next }
        END { for (n in title) print n "\t" (n in st ? st[n] : "none") "\t" title[n] "\t" why[n];
              for (n in st) if (!(n in title)) print n "\t" st[n] "\t\t" why[n] }
    ' "$log" >"$S/logs/runtests.results"
    for n in $CURL_TESTS; do
        line="$(awk -F'\t' -v n="$n" '$1 == n' "$S/logs/runtests.results" | head -n 1)"
        title="$(echo "$line" | cut -f3)"
        case "$(echo "$line" | cut -f2)" in
            ok) cf_ok "curl test $n${title:+ - $title}" ;;
            skip) cf_notok "curl test $n${title:+ - $title}" "skipped by runtests.pl: $(echo "$line" | cut -f4 | cut -c1-150)" ;;
            fail) cf_notok "curl test $n${title:+ - $title}" "$(echo "$line" | cut -f4 | sed 's/^ *//' | cut -c1-150)" ;;
            *) cf_notok "curl test $n${title:+ - $title}" "no result (runtests.pl ended or timed out first)" ;;
        esac
    done
    grep -E '^TESTDONE|^TESTFAIL|^TESTINFO' "$log" | sed 's/^/# /'
}

if [ "${CF_PHASE:-}" = run ]; then
    [ "$DO_A" = 1 ] && part_a
    [ "$DO_B" = 1 ] && [ -n "${CURL_TESTS:-}" ] && part_b
    exit 0
fi

# ---- setup phase ---------------------------------------------------------------------

AGAINST=ours
DO_A=1
DO_B=1
for arg in "$@"; do
    case "$arg" in
        --against-upstream) AGAINST=upstream ;;
        --only-a) DO_B=0 ;;
        --only-b) DO_A=0 ;;
        -h | --help)
            sed -n '2,24p' "$0"
            exit 0
            ;;
        *) cf_die "unknown argument: $arg" ;;
    esac
done

cf_need_root
cf_results_init
START=$SECONDS
cf_log "curl over libssh2: $AGAINST library"
cf_apt_install build-essential make pkg-config openssh-server openssh-client openssh-sftp-server curl perl \
    iproute2 binutils || cf_die "cannot install the needed packages"
LSRC="$(cf_upstream_src libssh2)" || cf_die "cannot fetch the upstream libssh2 source"

OURS="$(cf_build_ours)" || {
    if [ "$AGAINST" = upstream ]; then
        cf_log "our libssh2.so is not built (see $CF_CACHE/cargo-release.log)"
    else
        cf_notok "build our libssh2.so (cargo build --release)" "see $CF_CACHE/cargo-release.log"
    fi
    OURS=""
}
# The directory whose libssh2.so.1 curl loads: a link to target/release/libssh2.so.
LIBDIR="$CF_CACHE/lib/ours"
[ -n "$OURS" ] && cf_libdir_for "$OURS" "$LIBDIR"
if [ "$AGAINST" = upstream ]; then
    UPDIR="$(cf_build_upstream_lib "$LSRC")" || cf_die "cannot build upstream's library"
    LIBDIR="$CF_CACHE/lib/upstream"
    cf_libdir_for "$UPDIR/libssh2.so.1" "$LIBDIR"
fi
cf_log "LD_LIBRARY_PATH=$LIBDIR: libssh2.so.1 -> $(readlink -f "$LIBDIR/libssh2.so.1" 2>/dev/null || echo missing)"

S="$(cf_stage_dir)"
[ "${CONFORMANCE_KEEP_STAGE:-0}" = 1 ] || trap 'rm -rf "$S"' EXIT
mkdir -p "$S/logs" "$S/out" "$S/local" "$S/home/.ssh" "$S/data/listing/gamma" "$S/lib"
cp -r "$LSRC/tests" "$S/tests"
cp -L "$LIBDIR/libssh2.so.1" "$S/lib/libssh2.so.1" 2>/dev/null

# ---- part (b) build: curl from Debian's source package, against our libssh2.pc -------------

CURL_TESTS=""
if [ "$DO_B" = 1 ]; then
    cf_apt_install valgrind || cf_die "cannot install valgrind"
    CSRC="$(cf_upstream_src curl)" || cf_die "cannot fetch the curl source"
    PREFIX="$CF_CACHE/prefix"
    CB="$CF_CACHE/curl-build"
    # Our libssh2.pc: from the project's `make install` when there is one,
    # otherwise a minimal one pointing at target/release and include/.
    rm -rf "$PREFIX"
    make_cargo=()
    [ "${CONFORMANCE_NO_CARGO:-0}" = 1 ] && make_cargo=(CARGO=true)
    if [ -f "$CF_ROOT/Makefile" ] && grep -q '^install:' "$CF_ROOT/Makefile" &&
        make -C "$CF_ROOT" install PREFIX="$PREFIX" "${make_cargo[@]}" >"$CF_CACHE/make-install.log" 2>&1 &&
        [ -f "$PREFIX/lib/pkgconfig/libssh2.pc" ]; then
        cf_log "libssh2.pc from the project's make install PREFIX=$PREFIX"
    else
        mkdir -p "$PREFIX/lib/pkgconfig"
        cat >"$PREFIX/lib/pkgconfig/libssh2.pc" <<EOF
# Minimal pkg-config file written by scripts/conformance/curl.sh.
prefix=$PREFIX
libdir=$CF_CACHE/lib/ours
includedir=$CF_ROOT/include

Name: libssh2
Description: SSH2 client library (Rust drop-in)
Version: $CF_LIBSSH2_VERSION
Libs: -L\${libdir} -lssh2
Cflags: -I\${includedir}
EOF
        cf_log "libssh2.pc written by this script (no make install yet): $PREFIX/lib/pkgconfig/libssh2.pc"
    fi

    # build_curl PKG_CONFIG_DIR: configure and build curl into $CB.
    build_curl() {
        rm -rf "$CB"
        mkdir -p "$CB"
        cp -a "$CSRC" "$CB/src"
        local libdir
        libdir="$(PKG_CONFIG_PATH="$1" pkg-config --variable=libdir libssh2)"
        (
            # configure runs a program linked with -lssh2, so the run-time
            # linker must find the library too.
            export LD_LIBRARY_PATH="$libdir"
            cd "$CB/src" &&
                PKG_CONFIG_PATH="$1" ./configure --with-libssh2 --without-ssl --disable-shared \
                    --without-libpsl --without-zlib --without-brotli --without-zstd --without-nghttp2 \
                    --without-libidn2 --without-librtmp --without-gssapi --disable-ldap --disable-ldaps \
                    --disable-docs --disable-manual &&
                grep -q '^#define USE_LIBSSH2 1' lib/curl_config.h &&
                make -j2 && make -C tests/server -j2 && make -C tests/libtest -j2
        ) >"$CF_CACHE/curl-build.log" 2>&1
    }
    stamp="$CB/.built-$CURL_VERSION"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = stub ] && [ -n "$OURS" ] &&
        [ -z "$(cf_missing_for "$OURS" "$CB/src/src/curl")" ]; then
        cf_log "our library now has every symbol curl uses: rebuilding curl against it"
        rm -f "$stamp"
    fi
    if [ ! -f "$stamp" ]; then
        cf_log "building curl $CURL_VERSION (configure + make -j2; cached in $CB)"
        if build_curl "$PREFIX/lib/pkgconfig"; then
            echo ours >"$stamp"
        else
            # Our library cannot link curl yet: use a same-SONAME stub that
            # defines every libssh2_ name in our headers. curl still runs on
            # our library at run time (LD_LIBRARY_PATH).
            cf_log "curl does not build against our libssh2.so yet ($(grep -m1 -E 'configure: error|error:|USE_LIBSSH2' \
                "$CF_CACHE/curl-build.log" | cut -c1-120)); building against a same-SONAME stub"
            mkdir -p "$CF_CACHE/curl-stub/pkgconfig"
            cat "$CF_ROOT"/include/*.h | grep -oE '\b_?libssh2_[a-z0-9_]+\b' | sort -u |
                sed 's/.*/void &(void) {}/' >"$CF_CACHE/curl-stub/stub.c"
            gcc -shared -fPIC -Wl,-soname,libssh2.so.1 -o "$CF_CACHE/curl-stub/libssh2.so.1" \
                "$CF_CACHE/curl-stub/stub.c"
            ln -sfn libssh2.so.1 "$CF_CACHE/curl-stub/libssh2.so"
            sed "s|^libdir=.*|libdir=$CF_CACHE/curl-stub|" "$PREFIX/lib/pkgconfig/libssh2.pc" \
                >"$CF_CACHE/curl-stub/pkgconfig/libssh2.pc"
            cp "$CF_CACHE/curl-build.log" "$CF_CACHE/curl-build-ours.log"
            if build_curl "$CF_CACHE/curl-stub/pkgconfig"; then
                echo stub >"$stamp"
            fi
        fi
    fi
    if [ -f "$stamp" ]; then
        cf_log "curl built against: $(cat "$stamp") ($(LD_LIBRARY_PATH="$S/lib" "$CB/src/src/curl" --version | head -n1))"
        for f in "$CB/src/tests/data"/test*; do
            awk '/<keywords>/ {k = 1; next} /<\/keywords>/ {k = 0} k' "$f" | grep -qx 'SFTP\|SCP' &&
                CURL_TESTS+="${f##*/test} "
        done
        CURL_TESTS="$(echo "$CURL_TESTS" | tr ' ' '\n' | grep . | sort -n | xargs)"
        cf_log "curl's SFTP/SCP test cases: $(echo "$CURL_TESTS" | wc -w)"
        # runtests.pl runs as an unprivileged user on a copy it may write to.
        id "$CURL_TEST_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$CURL_TEST_USER"
        cp -a "$CB/src" "$S/curl"
        chown -R "$CURL_TEST_USER:" "$S/curl"
        # The valgrind that runtests.pl finds first on PATH: the real one
        # under the per-command limit, so one hanging curl cannot use up
        # the budget of every test after it, and with curl's leaks
        # suppressed (runtests.pl passes only its own valgrind.supp).
        mkdir -p "$S/bin"
        cp "$CF_ROOT/scripts/conformance/curl-valgrind.supp" "$S/curl-valgrind.supp"
        cat >"$S/bin/valgrind" <<EOF
#!/bin/sh
exec timeout -k 5 $CF_TIMEOUT $(command -v valgrind) --suppressions=$S/curl-valgrind.supp "\$@"
EOF
        chmod 755 "$S/bin/valgrind"
    else
        cf_notok "build curl $CURL_VERSION with libssh2" "see $CF_CACHE/curl-build.log"
    fi
fi

# ---- data for part (a) -----------------------------------------------------------------

head -c 1048579 /dev/urandom >"$S/data/src.bin"
head -c 300001 /dev/urandom >"$S/local/upload.bin"
seq 1 150 >"$S/data/small.txt"
cp "$S/data/small.txt" "$S/local/small.txt"
: >"$S/data/empty.txt"
echo alpha >"$S/data/listing/alpha.txt"
head -c 1234 /dev/zero >"$S/data/listing/beta.bin"
chmod -R a+rX "$S"
cf_test_user_setup "$S/tests" || cf_notok "set up the $CF_TEST_USER test user"
chown -R "$U:$U" "$S/data"
home="$(getent passwd "$U" | cut -d: -f6)"
echo conformance-home >"$home/sandbox/home.txt"
chown "$U:$U" "$home/sandbox/home.txt"

export CF_PHASE=run S CF_RESULTS LIBDIR DO_A DO_B CURL_TESTS AGAINST
cf_budget_start
cf_in_netns bash "$0"

rm -rf "$CF_CACHE/curl-logs-$AGAINST"
cp -r "$S/logs" "$CF_CACHE/curl-logs-$AGAINST"
[ -d "$S/curl/tests/log" ] && cp -r "$S/curl/tests/log" "$CF_CACHE/curl-logs-$AGAINST/runtests-log"
cf_log "logs: $CF_CACHE/curl-logs-$AGAINST"
cf_log "curl took $((SECONDS - START))s"
cf_finish "curl"
