#!/usr/bin/env bash
# The differential harness (issue 15): the reference libssh2 1.11.1 as an
# oracle. Builds the scenario programs of tests/diff/ once against include/,
# runs each on the reference library and on ours against one private sshd,
# and compares the two records line by line (tests/diff/compare.py). A
# difference fails unless docs/compat.md lists it as deliberate.
#
#   scripts/diff.sh                    # everything; ends "diff: N passed, M failed"
#   scripts/diff.sh --coverage-write   # regenerate tests/diff/COVERAGE.md, then run
#   DIFF_ONLY="session auth" scripts/diff.sh   # some programs only
#
# DIFF_NO_CARGO=1 uses target/release/libssh2.so as it is (no cargo build).
# DIFF_OURS_SO=PATH runs PATH in ours' place: with the reference library
# there, every difference is a scenario that varies run to run.
# Each run copies both libraries into .cache/diff/ first, so a rebuild in
# the middle of a run cannot mix two versions of ours.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/conformance/lib.sh
. scripts/conformance/lib.sh

DIFF_DIR=${DIFF_CACHE:-$ROOT/.cache/diff}
# Seconds one scenario program may run on one library (each scenario in it
# also has its own alarm, REC_SCENARIO_SECONDS in tests/diff/rec.h).
PROGRAM_TIMEOUT=240
EXPORTS=${DIFF_EXPORTS:-$ROOT/../shared/reference/libssh2-1.11.1-exports.txt}
[[ -f $EXPORTS ]] || EXPORTS=/work/shared/reference/libssh2-1.11.1-exports.txt
COMPAT=docs/compat.md
CFLAGS=(-std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-deprecated-declarations
    -Wno-unused-function -Iinclude)

die() { echo "diff: $*" >&2; echo "diff: 0 passed, 1 failed"; exit 1; }

coverage_args=()
[[ ${1:-} == --coverage-write ]] && coverage_args=(--write)

mkdir -p "$DIFF_DIR"/{bin,ref,ours,out/ref,out/ours}

# ---- the two libraries ----------------------------------------------------
if [[ ${DIFF_NO_CARGO:-0} != 1 ]]; then
    cargo build --release >"$DIFF_DIR/cargo.log" 2>&1 ||
        { tail -n 20 "$DIFF_DIR/cargo.log" >&2; die "cargo build failed"; }
fi
ours_so=${DIFF_OURS_SO:-target/release/libssh2.so}
[[ -f $ours_so ]] || die "no $ours_so"
cp -L "$ours_so" "$DIFF_DIR/ours/libssh2.so.1.tmp"
mv -f "$DIFF_DIR/ours/libssh2.so.1.tmp" "$DIFF_DIR/ours/libssh2.so.1"
src=$(cf_upstream_src libssh2) || die "cannot fetch the upstream source"
refdir=$(cf_build_upstream_lib "$src") || die "cannot build the reference library"
cp -L "$refdir/libssh2.so.1" "$DIFF_DIR/ref/libssh2.so.1"

# ---- coverage: every exported function reached by some scenario ---------------
# (one more check in the final count: compare.py --coverage-ok).
coverage_ok=1
python3 tests/diff/coverage.py "$EXPORTS" "$DIFF_DIR/coverage.txt" tests/diff/COVERAGE.md \
    "${coverage_args[@]}" || coverage_ok=0

# ---- build the scenarios once, against our headers ------------------------------
programs=()
for c in tests/diff/*.c; do
    p=$(basename "$c" .c)
    if [[ -n ${DIFF_ONLY:-} && " $DIFF_ONLY " != *" $p "* ]]; then continue; fi
    gcc "${CFLAGS[@]}" -o "$DIFF_DIR/bin/$p" "$c" -L"$DIFF_DIR/ours" -l:libssh2.so.1 ||
        die "cannot compile $c"
    programs+=("$p")
done

# ---- two sshds (one per library, same keys), an agent, a publickey subsystem ----
# Each library gets its own sshd so that the two runs can go at once without
# sharing the publickey subsystem's key store; the second fixture directory
# gets the first one's keys before it starts, so host keys (and so the
# fingerprints the scenarios record) are the same for both.
LIBS=(ref ours)
cleanup() {
    local lib
    for lib in "${LIBS[@]}"; do
        scripts/sshd-fixture.sh stop "$DIFF_DIR/sshd-$lib" >/dev/null 2>&1 || true
    done
    [[ -n ${SSH_AGENT_PID:-} ]] && kill "$SSH_AGENT_PID" 2>/dev/null
    return 0
}
trap cleanup EXIT
printf 'diff harness banner\n' >"$DIFF_DIR/banner.txt"
chmod 644 "$DIFF_DIR/banner.txt"
for lib in "${LIBS[@]}"; do
    dir="$DIFF_DIR/sshd-$lib"
    scripts/sshd-fixture.sh stop "$dir" >/dev/null 2>&1 || true
    mkdir -p "$dir/pk-store"
    chmod 777 "$dir/pk-store"
    if [[ $lib != "${LIBS[0]}" ]]; then
        cp -p "$DIFF_DIR/sshd-${LIBS[0]}"/id_* "$DIFF_DIR/sshd-${LIBS[0]}"/ssh_host_* "$dir/"
    fi
    SSHD_EXTRA_CONFIG="Subsystem publickey python3 $ROOT/tests/publickey_server/server.py $dir/pk-store/keys.json
Banner $DIFF_DIR/banner.txt
AllowStreamLocalForwarding yes
X11Forwarding yes" scripts/sshd-fixture.sh start "$dir" >"$DIFF_DIR/sshd-$lib.log" 2>&1 ||
        { cat "$DIFF_DIR/sshd-$lib.log" >&2; die "sshd did not start"; }
done
eval "$(ssh-agent -s)" >/dev/null
ssh-add "$DIFF_DIR/sshd-${LIBS[0]}/id_ed25519" 2>/dev/null

# Puts the remote and local state back as a fresh run expects it.
test_home=$(getent passwd libssh2rs | cut -d: -f6)
rm -rf "${test_home:?}"/diff-* "$DIFF_DIR/work"
rm -f "$DIFF_DIR"/sshd-*/pk-store/keys.json
mkdir -p "$DIFF_DIR/work"
chmod 777 "$DIFF_DIR/work"

run_one() { # lib program
    local lib=$1 p=$2 rc=0
    (
        set -a
        # shellcheck source=/dev/null
        . "$DIFF_DIR/sshd-$lib/env"
        set +a
        # Tags of one length ("ref", "our"): remote paths the scenarios
        # record (realpath lengths) then match.
        export DIFF_WORK="$DIFF_DIR/work" DIFF_TAG="${lib:0:3}"
        cd "$DIFF_DIR/work"
        LD_LIBRARY_PATH="$DIFF_DIR/$lib" timeout -k 5 "$PROGRAM_TIMEOUT" "$DIFF_DIR/bin/$p"
    ) >"$DIFF_DIR/out/$lib/$p.out" 2>"$DIFF_DIR/out/$lib/$p.err" || rc=$?
    if ((rc != 0)); then
        echo "$p/PROGRAM exit=$rc" >>"$DIFF_DIR/out/$lib/$p.out"
    fi
}

# Every program on both libraries at once: most of the time is spent
# waiting (timeouts, sleeps, PAM's delay after a wrong password).
start=$SECONDS
pids=()
for lib in "${LIBS[@]}"; do
    for p in "${programs[@]}"; do
        run_one "$lib" "$p" &
        pids+=($!)
    done
done
wait "${pids[@]}"
echo "# ran ${#programs[@]} programs on both libraries in $((SECONDS - start))s"

stale=(--stale)
[[ -n ${DIFF_ONLY:-} ]] && stale=()
python3 tests/diff/compare.py --coverage-ok "$coverage_ok" "${stale[@]}" "$COMPAT" "$DIFF_DIR/out/ref" "$DIFF_DIR/out/ours" "${programs[@]}"
