#!/usr/bin/env bash
# The Rust test suite under AddressSanitizer + LeakSanitizer (issue 9): the
# library's unit tests and the integration tests that drive the library
# in-process (through the safe Rust API and the exported C functions), built
# with -Zsanitizer=address into target/asan so the normal build cache stays
# untouched. Any invalid access, use after free, overflow or leak fails it.
#
#   scripts/asan.sh                  # all of it
#   scripts/asan.sh --test channels  # arguments replace the target list
#
# Left out, because they load libssh2.so into C programs (an ASan-built .so
# needs the ASan runtime in the executable; these run under valgrind in
# scripts/valgrind.sh and in cargo test instead) or only inspect the .so file:
ASAN_SKIP_TARGETS=(capi examples exports)
# and, by name, the tests of other targets that do the same:
ASAN_SKIP_TESTS=(failing_allocator_every_allocation_of_every_flow
# and the close-after-byte-N sweeps of tests/faults.rs: hundreds of sessions
# through code the EAGAIN/one-byte flows there already take under ASan; at
# the sanitizer's speed they were half this stage's time and, on a loaded
# machine, reached the 30 s session timeout they treat as a hang. They run
# unsanitized in the cargo-test stage.
    closes_after_every_received_byte_n closes_after_every_sent_byte_n
    sftp_closes_after_received_byte_n sftp_closes_after_sent_byte_n)
#
# Prints cargo's output and a closing "asan: N passed, M failed" line (each
# sanitizer report counts as one more failure). Needs a toolchain that ships
# the ASan runtime (rustup's x86_64-unknown-linux-gnu does); RUSTC_BOOTSTRAP
# unlocks -Z on stable.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

host=$(rustc -vV | sed -n 's/^host: //p')
case "$host" in
    x86_64-unknown-linux-gnu | aarch64-unknown-linux-gnu) ;;
    *)
        echo "asan.sh: no ASan runtime for $host"
        echo "asan: 0 passed, 1 failed"
        exit 1
        ;;
esac

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(--lib)
    for f in tests/*.rs; do
        t=$(basename "$f" .rs)
        case " ${ASAN_SKIP_TARGETS[*]} " in *" $t "*) continue ;; esac
        # fuzz_regressions needs --features fuzzing (scripts/fuzz.sh replays it).
        [ "$t" = fuzz_regressions ] && continue
        targets+=(--test "$t")
    done
fi
skips=()
for t in "${ASAN_SKIP_TESTS[@]}"; do skips+=(--skip "$t"); done

# An explicit --target keeps the sanitizer off build scripts and proc macros.
export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Zsanitizer=address ${RUSTFLAGS:-}"
# The test profile of scripts/test.sh (no LTO), with line tables so that the
# sanitizer's stack traces name files and lines.
export CARGO_PROFILE_RELEASE_LTO=false
export CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
# detect_leaks: LeakSanitizer at exit (on by default on x86_64 Linux; said
# here so it cannot be lost). detect_stack_use_after_return catches a
# pointer into a returned frame. The tests spawn sshd, ssh-keygen and the
# like: those are not instrumented and ignore these options.
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:${ASAN_OPTIONS:-}"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
echo "== asan: building (target/asan)"
if ! cargo test --release --target "$host" --target-dir target/asan --no-run "${targets[@]}" >"$log" 2>&1; then
    sed 's/^/    /' "$log" | tail -40
    echo "asan: 0 passed, 1 failed"
    exit 1
fi
echo "== asan: built in $((SECONDS - start))s; running ${targets[*]}"
start=$SECONDS
cargo test --release --target "$host" --target-dir target/asan --no-fail-fast "${targets[@]}" -- "${skips[@]}" \
    >"$log" 2>&1
rc=$?
echo "== asan: ran in $((SECONDS - start))s (exit $rc)"

# Each binary's result, indented so that scripts/test.sh counts the closing
# line only.
grep -E '^     Running|^test result:' "$log" | sed 's/^/    /'
reports=$(grep -cE '^==[0-9]+==ERROR: (Address|Leak)Sanitizer' "$log")
if [ "$reports" -gt 0 ]; then
    echo "== asan: $reports sanitizer report(s)"
    # Each report from its ERROR line to its SUMMARY line.
    awk '/^==[0-9]+==ERROR: (Address|Leak)Sanitizer/ { on = 1 } on { print "    " $0 } /^SUMMARY: AddressSanitizer/ { on = 0 }' "$log"
fi
if grep -q '^failures:' "$log"; then
    echo "== asan: failed tests"
    grep -A2 'panicked at' "$log" | sed 's/^/    /' | head -60
fi
read -r p f < <(grep -E '^test result: ' "$log" |
    sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' | awk '{p += $1; f += $2} END {print p + 0, f + 0}')
f=$((f + reports))
# A failing run that counted no failure (a crash, a build error) still fails.
((rc != 0 && f == 0)) && f=1
echo "asan: $p passed, $f failed"
((rc == 0 && f == 0))
