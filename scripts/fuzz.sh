#!/usr/bin/env bash
# Bounded fuzzing run for CI (issue 9): replays the committed corpus and crash
# reproducers, then runs every cargo-fuzz target for a fixed time and prints
# the executions per target. Fails on any crash, hang or leak found.
#
#   scripts/fuzz.sh                 # every target, FUZZ_SECONDS (default 60) each
#   scripts/fuzz.sh 10 packet kex   # 10 s each, two targets
#   FUZZ_SANITIZER=none scripts/fuzz.sh   # without AddressSanitizer (faster)
#
# New inputs go to a scratch directory, never into fuzz/corpus; a crash input
# is kept under fuzz/artifacts/<target>/ (copy it to fuzz/regressions/<target>/
# once fixed: tests/fuzz_regressions.rs replays that folder).
# The machine has a stable toolchain only: RUSTC_BOOTSTRAP=1 lets cargo-fuzz
# pass its nightly flags (-Zsanitizer, -Cpasses=sancov-module) to it.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_EACH=${1:-${FUZZ_SECONDS:-60}}
shift || true
ALL_TARGETS="packet conn kex kexinit session scp privkey pubkey knownhost agent sftp"
TARGETS=${*:-$ALL_TARGETS}
SANITIZER=${FUZZ_SANITIZER:-address}
RSS_LIMIT_MB=2048       # per fuzz process; the machine has 24 GiB shared with others
INPUT_TIMEOUT_S=20      # one input taking longer is a hang (the slowest: DH group18 in kex)
MAX_LEN=8192            # largest input the fuzzer builds (the hybrid kex replies need ~1.2 KiB)

export RUSTC_BOOTSTRAP=1
export PATH="$HOME/.cargo/bin:$PATH"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz"
    cargo install cargo-fuzz
fi

echo "== fuzz: replaying fuzz/corpus and fuzz/regressions"
# Without RUSTC_BOOTSTRAP: it is part of cargo's fingerprint, and setting it
# would rebuild the whole main target directory.
env -u RUSTC_BOOTSTRAP cargo test --features fuzzing --test fuzz_regressions

echo "== fuzz: building targets (sanitizer: $SANITIZER)"
cargo fuzz build --fuzz-dir fuzz --sanitizer "$SANITIZER"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Targets run side by side, one per core: the same seconds of fuzzing each,
# in about half the wall time on the 2-core CI machine.
JOBS=${FUZZ_JOBS:-$(nproc)}
run_target() {
    local t=$1 log="$scratch/$1.log" rc=0 execs cov
    cargo fuzz run --fuzz-dir fuzz --sanitizer "$SANITIZER" "$t" "$scratch/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=$RSS_LIMIT_MB -timeout=$INPUT_TIMEOUT_S \
        -max_len=$MAX_LEN -print_final_stats=1 -artifact_prefix="$ROOT/fuzz/artifacts/$t/" \
        >"$log" 2>&1 || rc=$?
    # A crashed run may print no stats: that must not end the job before its result.
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1) || true
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2) || true
    if [ "$rc" -ne 0 ]; then
        printf '%-10s FAILED (exit %d) execs=%s\n' "$t" "$rc" "${execs:-?}" >"$scratch/$t.result"
    else
        printf '%-10s ok  execs=%-10s cov=%s\n' "$t" "${execs:-?}" "${cov:-?}" >"$scratch/$t.result"
    fi
}
running=0
for t in $TARGETS; do
    mkdir -p "$scratch/$t" "fuzz/artifacts/$t"
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
    echo "== fuzz: $t for ${SECONDS_EACH}s"
    run_target "$t" &
    running=$((running + 1))
done
wait
summary=()
failed=0
for t in $TARGETS; do
    line=$(cat "$scratch/$t.result" 2>/dev/null || printf '%-10s FAILED (no result)' "$t")
    summary+=("$line")
    case $line in
        *FAILED*)
            failed=1
            tail -60 "$scratch/$t.log" || true
            ls -1 "fuzz/artifacts/$t/" || true
            ;;
    esac
done

echo "== fuzz summary (${SECONDS_EACH}s per target)"
printf '%s\n' "${summary[@]}"
ok=$(printf '%s\n' "${summary[@]}" | grep -c ' ok ' || true)
bad=$(printf '%s\n' "${summary[@]}" | grep -c 'FAILED' || true)
echo "fuzz: $ok passed, $bad failed"
exit $failed
