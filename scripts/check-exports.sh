#!/usr/bin/env bash
# Check the dynamic symbol table and SONAME of a built libssh2.so.
#
#   scripts/check-exports.sh [--allow-missing] path/to/libssh2.so
#
# The expected exports are the functions our headers declare with
# LIBSSH2_API (libssh2 1.11.1's 137). Reported:
#   missing  expected exports the library does not define
#   extra    defined dynamic symbols other than libssh2_* and
#            _libssh2_base64_decode (which upstream's tests call)
#   SONAME   must be libssh2.so.1
# Exits non-zero on a wrong SONAME, on any extra, and on any missing export
# unless --allow-missing is given (for while the library is being built up).
# libssh2_* symbols beyond the expected ones are listed as a note only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
expected_count=137
want_soname=libssh2.so.1

allow_missing=0
lib=""
for arg in "$@"; do
    case "$arg" in
        --allow-missing) allow_missing=1 ;;
        -h | --help)
            sed -n '2,15p' "$0"
            exit 0
            ;;
        *) lib="$arg" ;;
    esac
done
if [ -z "$lib" ] || [ ! -f "$lib" ]; then
    echo "usage: $0 [--allow-missing] path/to/libssh2.so" >&2
    exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Expected names: the first libssh2_* identifier followed by '(' in each
# declaration that carries LIBSSH2_API (declarations end at ';').
cat "$root"/include/libssh2.h "$root"/include/libssh2_sftp.h \
    "$root"/include/libssh2_publickey.h |
    sed -e 's,/\*.*\*/,,g' -e '/^[[:space:]]*#/d' | tr '\n' ' ' | tr ';' '\n' |
    grep 'LIBSSH2_API' | sed 's/.*LIBSSH2_API//' |
    grep -oE '\blibssh2_[A-Za-z0-9_]+[[:space:]]*\(' | sed 's/[[:space:]]*($//' |
    sort -u >"$work/expected"
n_expected=$(wc -l <"$work/expected")
if [ "$n_expected" -ne "$expected_count" ]; then
    echo "check-exports: the headers declare $n_expected LIBSSH2_API functions, expected $expected_count" >&2
    exit 2
fi

# Defined dynamic symbols, without symbol-version suffixes.
nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' |
    sort -u >"$work/defined"

comm -23 "$work/expected" "$work/defined" >"$work/missing"
grep -v -E '^(libssh2_.*|_libssh2_base64_decode)$' "$work/defined" >"$work/extra" || true
grep -E '^libssh2_' "$work/defined" | comm -13 "$work/expected" - >"$work/other" || true

soname="$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')"

n_missing=$(wc -l <"$work/missing")
n_extra=$(wc -l <"$work/extra")
n_other=$(wc -l <"$work/other")

if [ "$n_missing" -gt 0 ]; then
    echo "missing exports ($n_missing):"
    sed 's/^/  /' "$work/missing"
fi
if [ "$n_extra" -gt 0 ]; then
    echo "extra dynamic symbols ($n_extra):"
    sed 's/^/  /' "$work/extra"
fi
if [ "$n_other" -gt 0 ]; then
    echo "note: libssh2_* symbols libssh2 1.11.1 does not export ($n_other):"
    sed 's/^/  /' "$work/other"
fi

status=0
if [ "$soname" != "$want_soname" ]; then
    echo "SONAME: '${soname:-<none>}', expected $want_soname"
    status=1
else
    echo "SONAME: $soname"
fi
echo "exports: $((n_expected - n_missing))/$n_expected present, $n_missing missing, $n_extra extra"
[ "$n_extra" -gt 0 ] && status=1
[ "$n_missing" -gt 0 ] && [ "$allow_missing" -eq 0 ] && status=1
exit "$status"
