#!/usr/bin/env bash
# Conformance: upstream libssh2 1.11.1's own test programs (tests/*.c), built
# with gcc against OUR include/ and linked against OUR libssh2.so, run against a
# local sshd set up as upstream's tests/openssh_server/Dockerfile describes.
#
#   scripts/conformance/upstream-tests.sh                    # test our library
#   scripts/conformance/upstream-tests.sh --against-upstream # same binaries,
#       run against upstream's real library built from the same source (proves
#       the harness: all but test_hostkey pass there)
#
# Run as root. Prints TAP-ish lines and a closing "N passed, M failed" line.
# Exits non-zero on failures only with CONFORMANCE_STRICT=1. Per-test time
# limit: CONFORMANCE_TIMEOUT seconds (default 60).
#
# CONFORMANCE_VALGRIND=1 runs every test program under valgrind (memcheck,
# --leak-check=full; scripts/valgrind.sh does this for issue 9). A test then
# also fails when valgrind reports an invalid access, a use of uninitialised
# memory or a definite/indirect leak whose stack passes through the library
# (a libssh2.so frame or a Rust source frame). Reports whose stacks never reach
# the library (the test program's own code, libc) are shown on the test's line
# as the test program's own and do not fail it. The per-test limit defaults to
# 300 s and the budget to 1800 s in that mode; valgrind's logs are kept in
# $CONFORMANCE_CACHE/tests-logs-valgrind-ours/vg.
#
# The lists of tests come from upstream's tests/Makefile.inc (DOCKER_TESTS,
# DOCKER_TESTS_STATIC, SSHD_TESTS) and tests/test_read_algos.txt at run time.
set -uo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Tests that exercise upstream's private internals (struct members, static
# linking); they cannot apply to another implementation.
NOT_APPLICABLE="test_simple test_auth_keyboard_info_request"
NA_REASON="tests upstream's private internals (needs upstream's static library and private headers)"

# mk_list VAR: the words of VAR's (backslash-continued) assignment in Makefile.inc.
mk_list() {
    tr -d '\r' <"$T/Makefile.inc" | awk -v var="$1" '
        $1 == var && $2 == "=" { on = 1; sub(/^[^=]*=/, ""); }
        on { line = $0; cont = sub(/\\[[:space:]]*$/, "", line); printf "%s ", line; if (!cont) exit }
    ' | xargs
}

# ---- valgrind (CONFORMANCE_VALGRIND=1) ------------------------------------------

VG_ON=0
if [ "${CONFORMANCE_VALGRIND:-0}" = 1 ]; then
    VG_ON=1
    # Valgrind slows the crypto down some 20-50 times: a handshake takes seconds.
    CF_TIMEOUT="${CONFORMANCE_TIMEOUT:-300}"
    CF_BUDGET="${CONFORMANCE_BUDGET:-1800}"
fi
# test_read moves 140 MB per run (and runs 19 times), minutes each under
# valgrind; upstream's FIXTURE_XFER_COUNT shrinks it. 2500 blocks of 997
# bytes still outgrow the 2 MB channel window, so window adjustments and
# every packet path are exercised.
VG_XFER_COUNT="${CONFORMANCE_VALGRIND_XFER_COUNT:-2500}"
# A frame in the library under test: a libssh2_* function (the test programs
# define none), a Rust function or source file (only the library is Rust
# here), the library's shared object (shown when it has no debug info), or
# upstream's own library sources (--against-upstream).
VG_LIB_RE=': _?libssh2_|ssh2::|libssh2\.so|\.rs:[0-9]+\)|/upstream-lib/|/libssh2-[0-9.]+/src/'

# vg_cmd NAME: print, one word a line, the valgrind command that prefixes
# test NAME (nothing when valgrind is off). No --error-exitcode: the program's
# own exit status stays the test's verdict, and vg_verdict reads the log.
vg_cmd() {
    [ "$VG_ON" = 1 ] || return 0
    printf '%s\n' valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect --num-callers=40 --fullpath-after= \
        --trace-children=no "--suppressions=$S/valgrind.supp" "--log-file=$S/logs/vg/$1.%p"
}

# vg_verdict NAME: after test NAME ran under valgrind, print
# "LIB<TAB>OWN<TAB>TEXT": how many error records touch the library, how many
# are the test program's own, and a short description.
vg_verdict() {
    local files=("$S/logs/vg/$1".*)
    if [ ! -f "${files[0]}" ]; then
        printf '1\t0\tno valgrind log (the program did not run under valgrind)\n'
        return
    fi
    awk -v libre="$VG_LIB_RE" '
        function flush(  i, frames, lib) {
            for (i = 1; i < n; i++) {
                if (blk[i] ~ /^ +(at|by) 0x/) frames++
                if (blk[i] ~ /^ +(at|by) 0x/ && blk[i] ~ libre) lib = 1
            }
            if (frames > 0 && blk[0] !~ /^(HEAP|LEAK) SUMMARY/) {
                if (lib) { nlib++; if (libfirst == "") libfirst = blk[0] }
                else { nown++; if (ownfirst == "") ownfirst = blk[0] }
            }
            n = 0
        }
        FNR == 1 { flush() }
        { sub(/^==[0-9]+== ?/, "") }
        /ERROR SUMMARY: [0-9]+ errors/ { split($0, w, " "); errs += w[3] }
        /definitely lost: [0-9,]+ bytes/ { v = $3; gsub(",", "", v); lost += v }
        /^$/ { flush(); next }
        { blk[n++] = $0 }
        END {
            flush()
            # Errors valgrind counted that no record explains count against the library.
            if (errs > nlib + nown) nlib += errs - nlib - nown
            text = errs " errors, " lost + 0 " bytes definitely lost"
            if (nlib) text = text "; library: " libfirst
            if (nown) text = text "; test program own (" nown "): " ownfirst
            printf "%d\t%d\t%s\n", nlib, nown, text
        }' "${files[@]}"
}

# report NAME RC VGNAME REASON: the result line of test NAME (exit status RC,
# valgrind logs named VGNAME, REASON when RC is not 0); under valgrind its
# report decides too.
report() {
    local name="$1" rc="$2" vgname="$3" reason="$4" lib=0 text=""
    if [ "$VG_ON" = 1 ]; then
        IFS=$'\t' read -r lib _ text < <(vg_verdict "$vgname")
    fi
    if [ "$rc" != 0 ]; then
        cf_notok "$name" "$reason${text:+; valgrind: $text}"
    elif [ "$lib" -gt 0 ]; then
        cf_notok "$name" "valgrind: $text (logs: $S/logs/vg/$vgname.*)"
    else
        cf_ok "$name" "${text:+valgrind: $text}"
    fi
}

# ---- run phase (inside the private network namespace) -------------------------

# last_words FILE: a short failure reason from a test's output.
last_words() {
    grep -v '^[[:space:]]*$' "$1" | tail -n 2 | tr '\n' ' ' | cut -c1-200
}

# reason_for NAME LOG RC: why a test failed (timeout, missing symbols, output).
reason_for() {
    local name="$1" log="$2" rc="$3" r=""
    [ "$rc" = 124 ] || [ "$rc" = 137 ] && r="timed out (limit ${CF_TIMEOUT}s, less near the end of the budget); "
    [ "$rc" -gt 128 ] && [ "$rc" != 137 ] && r="killed by signal $((rc - 128)); "
    if [ -s "$S/missing/$name" ]; then
        r+="library lacks: $(cat "$S/missing/$name"); "
    fi
    echo "${r}exit $rc: $(last_words "$log")"
}

run_phase() {
    local name rc log algo var
    cf_log "sshd: $(/usr/sbin/sshd -V 2>&1 | head -n1)"
    cf_sshd_config "$S/tests" "$S/sshd" || cf_die "cannot write the sshd configuration"
    if ! cf_sshd_start "$S/sshd" 4711; then
        cf_notok "start sshd on 127.0.0.1:4711" "$(tail -n 3 "$S/sshd/sshd.log" 2>/dev/null)"
    fi
    local envs=(OPENSSH_NO_DOCKER=1 "srcdir=$S/tests" "LD_LIBRARY_PATH=$S/lib") vg
    # Only test_read reads it.
    [ "$VG_ON" = 1 ] && envs+=("FIXTURE_XFER_COUNT=$VG_XFER_COUNT")

    # Docker-style tests: as the Dockerfile's user, against the sshd above.
    for name in $DOCKER_LIST; do
        cf_over_budget "$name" && continue
        log="$S/logs/$name.log"
        if [ ! -x "$S/bin/$name" ]; then
            cf_notok "$name" "did not build: $(cat "$S/build-errors/$name" 2>/dev/null)"
            continue
        fi
        mapfile -t vg < <(vg_cmd "$name")
        (cd "$S" && cf_as_user "${envs[@]}" -- "${vg[@]}" "$S/bin/$name") >"$log" 2>&1
        rc=$?
        report "$name" "$rc" "$name" "$(reason_for "$name" "$log" "$rc")"
    done

    # test_read once per algorithm, as upstream's CMakeLists.txt does.
    while read -r algo; do
        [ -n "$algo" ] || continue
        name="test_read-$algo"
        cf_over_budget "$name" && continue
        log="$S/logs/$name.log"
        if [ ! -x "$S/bin/test_read" ]; then
            cf_notok "$name" "test_read did not build"
            continue
        fi
        case "$algo" in *mac-*) var=FIXTURE_TEST_MAC ;; *) var=FIXTURE_TEST_CRYPT ;; esac
        mapfile -t vg < <(vg_cmd "$name")
        (cd "$S" && cf_as_user "${envs[@]}" "$var=$algo" -- "${vg[@]}" "$S/bin/test_read") >"$log" 2>&1
        rc=$?
        report "$name" "$rc" "$name" "$(reason_for test_read "$log" "$rc")"
    done < <(tr -d '\r' <"$S/tests/test_read_algos.txt")

    cf_sshd_stop "$S/sshd"
    cp "$S/sshd/sshd.log" "$S/logs/sshd-docker-style.log" 2>/dev/null

    # SSHD tests through upstream's test_sshd.test (it starts its own sshd on
    # 4711), as root. Each program is wrapped in the per-test time limit; the
    # wrapper keeps the program's name, which test_sshd.test reports.
    local wrappers=() total=0
    mkdir -p "$S/wrap"
    for name in $SSHD_LIST; do
        total=$((total + 1))
        mapfile -t vg < <(vg_cmd "sshd-$name")
        cat >"$S/wrap/$name" <<EOF
#!/bin/sh
exec timeout -k 5 $(cf_limit) ${vg[*]} "$S/bin/$name" "\$@"
EOF
        chmod 755 "$S/wrap/$name"
        wrappers+=("$S/wrap/$name")
    done
    log="$S/logs/test_sshd.log"
    if [ "$(cf_budget_left)" -le 0 ]; then
        for name in $SSHD_LIST; do cf_over_budget "sshd-$name"; done
        return
    fi
    (cd "$S/run-sshd" && env SSHD=/usr/sbin/sshd USER=root LOGNAME=root "srcdir=$S/tests" \
        "LD_LIBRARY_PATH=$S/lib" timeout -k 10 $((CF_TIMEOUT * total + 60)) \
        bash "$S/tests/test_sshd.test" "${wrappers[@]}") >"$log" 2>&1
    rc=$?
    for name in $SSHD_LIST; do
        if grep -q "^ok [0-9]* - sshd-$name\$" "$log"; then
            report "sshd-$name" 0 "sshd-$name" ""
        elif [ ! -x "$S/bin/$name" ]; then
            cf_notok "sshd-$name" "did not build"
        elif grep -q "^not ok [0-9]* - sshd-$name\$" "$log"; then
            # The program's own output is what precedes its result line.
            awk -v want="sshd-$name" '/^(not )?ok [0-9]+ - / { if ($NF == want) exit; buf = ""; next }
                { buf = buf $0 "\n" } END { printf "%s", buf }' "$log" >"$S/logs/sshd-$name.log"
            report "sshd-$name" 1 "sshd-$name" "$(reason_for "$name" "$S/logs/sshd-$name.log" 1)"
        else
            cf_notok "sshd-$name" "test_sshd.test ended (exit $rc) before reporting it: $(last_words "$log")"
        fi
    done
    # test_sshd.test kills its sshd on exit; make sure of it if it was cut short.
    if [ -f "$S/run-sshd/sshd.pid" ]; then
        kill "$(cat "$S/run-sshd/sshd.pid")" 2>/dev/null
    fi
}

if [ "${CF_PHASE:-}" = run ]; then
    run_phase
    exit 0
fi

# ---- setup phase ---------------------------------------------------------------------

cf_setup_phase 16 "$@"
cf_log "upstream libssh2 $CF_LIBSSH2_VERSION test programs against: $AGAINST library"

cf_apt_install build-essential openssh-server openssh-client pkg-config iproute2 binutils ||
    cf_die "cannot install the needed packages"
if [ "$VG_ON" = 1 ]; then
    cf_apt_install valgrind || cf_die "cannot install valgrind"
fi
SRC="$(cf_upstream_src libssh2)" || cf_die "cannot fetch the upstream libssh2 source"
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
if [ "$AGAINST" = upstream ]; then
    UPDIR="$(cf_build_upstream_lib "$SRC")" || cf_die "cannot build upstream's library (see $CF_CACHE/upstream-lib.log)"
    RUNLIB="$UPDIR/libssh2.so.1"
    # Without our library to link against, link against upstream's.
    [ -n "$OURS" ] || LINKDIR="$UPDIR"
else
    RUNLIB="$OURS"
fi

DOCKER_TESTS="$(mk_list DOCKER_TESTS)"
DOCKER_TESTS_STATIC="$(mk_list DOCKER_TESTS_STATIC)"
STANDALONE_TESTS_STATIC="$(mk_list STANDALONE_TESTS_STATIC)"
SSHD_LIST="$(mk_list SSHD_TESTS)"
RUNNER_SOURCES="$(mk_list librunner_la_SOURCES | tr ' ' '\n' | grep '\.c$' | xargs)"
if [ -z "$DOCKER_TESTS" ] || [ -z "$SSHD_LIST" ] || [ -z "$RUNNER_SOURCES" ]; then
    cf_die "cannot read the test lists from $T/Makefile.inc"
fi
DOCKER_LIST=""
for name in $DOCKER_TESTS $DOCKER_TESTS_STATIC; do
    case " $NOT_APPLICABLE " in *" $name "*) continue ;; esac
    DOCKER_LIST+="$name "
done
cf_log "tests from Makefile.inc: $(echo "$DOCKER_LIST" | wc -w) docker-style, $(echo "$SSHD_LIST" | wc -w) sshd," \
    "$(grep -c . "$T/test_read_algos.txt") test_read algorithms"

# ---- build the programs -------------------------------------------------------------

B="$CF_CACHE/tests-build"
rm -rf "$B"
mkdir -p "$B/obj" "$B/bin" "$B/errors" "$B/stub"
CFLAGS=(-g -O1 -Wall -Wno-unused-parameter -I"$CF_ROOT/tests/conformance" -I"$CF_ROOT/include" -I"$T")
runner_ok=1
for f in $RUNNER_SOURCES; do
    gcc "${CFLAGS[@]}" -c "$T/$f" -o "$B/obj/${f%.c}.o" >"$B/errors/$f.log" 2>&1 || runner_ok=0
done
if [ "$runner_ok" = 1 ]; then
    ar rcs "$B/librunner.a" "$B"/obj/*.o
    cf_log "compiled the test fixtures ($RUNNER_SOURCES) against our headers"
else
    cf_notok "compile the test fixtures ($RUNNER_SOURCES) against our headers" \
        "$(grep -h 'error' "$B"/errors/*.log | head -n 3)"
fi
all_programs="$(echo "$DOCKER_LIST $SSHD_LIST" | tr ' ' '\n' | sort -u | grep .)"
n_programs="$(echo "$all_programs" | wc -l)"
for name in $all_programs; do
    if ! gcc "${CFLAGS[@]}" -c "$T/$name.c" -o "$B/obj/$name.o" >"$B/errors/$name.log" 2>&1; then
        grep -m 3 'error' "$B/errors/$name.log" | tr '\n' ' ' >"$B/errors/$name"
    fi
done

LINKDIR="$(cf_pick_linkdir "$LINKDIR" "$B/link" "$B"/obj/*.o)" || cf_die "cannot build the link stub"
# shellcheck disable=SC2054 # the commas belong to -Wl options
LDFLAGS=(-L"$LINKDIR" -Wl,--no-as-needed -l:libssh2.so.1 -Wl,-z,lazy)
built=0
for name in $all_programs; do
    [ -f "$B/errors/$name" ] && continue
    if [ "$runner_ok" = 1 ] && gcc "$B/obj/$name.o" "$B/librunner.a" "${LDFLAGS[@]}" \
        -o "$B/bin/$name" >>"$B/errors/$name.log" 2>&1; then
        built=$((built + 1))
    else
        grep -m 3 'error' "$B/errors/$name.log" | tr '\n' ' ' >"$B/errors/$name"
    fi
done
warnings="$(cat "$B"/errors/*.log 2>/dev/null | grep -c 'warning:' || true)"
cf_log "compiled $built/$n_programs test programs ($warnings compiler warnings; logs in $B/errors)"

# ---- stage and run ---------------------------------------------------------------------

S="$(cf_stage_dir)"
cleanup() { rm -rf "$S"; }
trap cleanup EXIT
mkdir -p "$S/bin" "$S/lib" "$S/missing" "$S/logs" "$S/run-sshd" "$S/build-errors"
if [ "$VG_ON" = 1 ]; then
    # The programs run as the test user and write their valgrind logs here.
    mkdir -p "$S/logs/vg"
    chmod 1777 "$S/logs/vg"
    cp "$CF_ROOT/scripts/conformance/valgrind.supp" "$S/valgrind.supp"
    cf_log "valgrind mode: $(valgrind --version), per-test limit ${CF_TIMEOUT}s, budget ${CF_BUDGET}s"
fi
cp -r "$T" "$S/tests"
cp "$B"/bin/* "$S/bin/" 2>/dev/null
for name in $all_programs; do
    [ -f "$B/errors/$name" ] && cp "$B/errors/$name" "$S/build-errors/$name"
done
chmod -R a+rX "$S"
if [ -n "$RUNLIB" ] && [ -f "$RUNLIB" ]; then
    cp -L "$RUNLIB" "$S/lib/libssh2.so.1"
    chmod 755 "$S/lib/libssh2.so.1"
    cf_log "library under test: $(readlink -f "$RUNLIB")"
    # Which libssh2 symbols each program needs that the library does not define.
    for name in $all_programs; do
        [ -x "$S/bin/$name" ] && cf_missing_for "$S/lib/libssh2.so.1" "$S/bin/$name" >"$S/missing/$name"
    done
    # Prove which library the dynamic linker picks for the programs.
    resolved="$(LD_LIBRARY_PATH="$S/lib" ldd "$S/bin/test_aa_warmup" 2>/dev/null | awk '/libssh2/ {print $3}')"
    cf_log "programs resolve libssh2.so.1 to: ${resolved:-?}"
fi
chmod -R a+rX "$S"

cf_test_user_setup "$S/tests" || cf_notok "set up the $CF_TEST_USER test user"

export CF_PHASE=run S DOCKER_LIST SSHD_LIST CF_RESULTS CONFORMANCE_VALGRIND
cf_budget_start
cf_in_netns bash "$0"

for name in $NOT_APPLICABLE; do
    case " $DOCKER_TESTS_STATIC $STANDALONE_TESTS_STATIC " in
        *" $name "*) cf_na "$name" "$NA_REASON" ;;
    esac
done
logs="$CF_CACHE/tests-logs$([ "$VG_ON" = 1 ] && echo -valgrind)-$AGAINST"
rm -rf "$logs"
cp -r "$S/logs" "$logs"
cf_log "test logs: $logs"
cf_log "upstream-tests took $((SECONDS - START))s"
cf_finish "upstream-tests"
