#!/usr/bin/env bash
# Run the conformance scripts in order (upstream tests, upstream examples,
# curl, then the peer suites: the ssh2 crate, Net::SSH2, libgit2), then print
# their summary lines and a total.
#
#   scripts/conformance/run-all.sh [--against-upstream]
#
# Run as root. Exits non-zero only with CONFORMANCE_STRICT=1 and a failure (or
# when a script itself could not run).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
summaries=()
status=0
start=$SECONDS
for script in upstream-tests upstream-examples curl ssh2-rs net-ssh2 libgit2; do
    t0=$SECONDS
    echo "# ==== $script.sh $*"
    out="$(mktemp)"
    "$here/$script.sh" "$@" 2>&1 | tee "$out"
    rc="${PIPESTATUS[0]}"
    line="$(grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)"
    rm -f "$out"
    [ -n "$line" ] || line="$script: did not finish (exit $rc)"
    summaries+=("$line ($((SECONDS - t0))s)")
    [ "$rc" = 0 ] || status=1
done

echo "# ==== summary ($((SECONDS - start))s)"
passed=0
failed=0
skipped=0
for s in "${summaries[@]}"; do
    echo "# $s"
    if [[ "$s" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        skipped=$((skipped + BASH_REMATCH[3]))
    fi
done
printf '%s\n' "${summaries[@]%% (*}"
echo "conformance: $passed passed, $failed failed, $skipped skipped"
exit "$status"
