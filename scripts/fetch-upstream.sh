#!/usr/bin/env bash
# Fetch a pinned upstream source package from Debian (trixie) into .cache/upstream/
# so that checks can compare our facts against it. The fetched source is never
# committed (.cache is gitignored).
#
#   scripts/fetch-upstream.sh            # libssh2 1.11.1-1+deb13u2
#   scripts/fetch-upstream.sh curl       # curl 8.14.1-2+deb13u5
#   scripts/fetch-upstream.sh libnet-ssh2-perl   # Perl Net::SSH2 0.74-1
#   scripts/fetch-upstream.sh libgit2    # libgit2 1.9.0+ds-2+deb13u1
#
# Prints the path of the extracted source directory on stdout (and nothing else
# on stdout), so callers can do: SRC=$(scripts/fetch-upstream.sh).
# Needs root the first time (it adds a deb-src entry and runs apt-get update);
# later runs only print the path.
set -euo pipefail

what="${1:-libssh2}"
case "$what" in
    libssh2) pkg=libssh2; ver=1.11.1-1+deb13u2; upver=1.11.1 ;;
    curl) pkg=curl; ver=8.14.1-2+deb13u5; upver=8.14.1 ;;
    libnet-ssh2-perl) pkg=libnet-ssh2-perl; ver=0.74-1; upver=0.74 ;;
    libgit2) pkg=libgit2; ver=1.9.0+ds-2+deb13u1; upver=1.9.0 ;;
    *)
        echo "usage: $0 [libssh2|curl|libnet-ssh2-perl|libgit2]" >&2
        exit 2
        ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache/upstream"
dest="$cache/$pkg-$upver"
stamp="$dest/.fetched-$ver"

log() { echo "fetch-upstream: $*" >&2; }

if [ -f "$stamp" ]; then
    echo "$dest"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    log "the $pkg source is not in $cache yet, and fetching it needs root"
    log "(it adds a Debian trixie deb-src entry and runs apt-get update)."
    log "Run this script as root once; later runs need no privileges."
    exit 1
fi

# Our deb-src entry is derived from the machine's own Debian sources, so the
# repository names no archive host itself.
system_sources=/etc/apt/sources.list.d/debian.sources
src_list=/etc/apt/sources.list.d/trixie-src.sources

# Print "URIs|Signed-By" for each deb822 stanza of $1 whose suites name the
# main archive (a suite without a -security suffix) or, with $2=security, the
# security archive.
stanza_uris() {
    awk -v want="$2" '
        function flush() {
            if (uris != "" && ((want == "security") == sec) && types ~ /deb/)
                print uris "|" signed
            uris = ""; signed = ""; types = ""; sec = 0
        }
        /^[[:space:]]*$/ { flush(); next }
        /^[[:space:]]*#/ { next }
        /^Types:/ { sub(/^Types:[[:space:]]*/, ""); types = $0 }
        /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
        /^Signed-By:/ { sub(/^Signed-By:[[:space:]]*/, ""); signed = $0 }
        /^Suites:/ { sec = ($0 ~ /-security/) }
        END { flush() }
    ' "$1"
}

if [ ! -f "$src_list" ]; then
    if [ ! -f "$system_sources" ]; then
        log "cannot derive a deb-src entry: $system_sources does not exist"
        exit 1
    fi
    main_line="$(stanza_uris "$system_sources" main | head -n1)"
    sec_line="$(stanza_uris "$system_sources" security | head -n1)"
    if [ -z "$main_line" ]; then
        log "no main-archive URIs found in $system_sources"
        exit 1
    fi
    {
        echo "# Added by scripts/fetch-upstream.sh: source packages only."
        echo "Types: deb-src"
        echo "URIs: ${main_line%%|*}"
        echo "Suites: trixie trixie-updates"
        echo "Components: main"
        [ -n "${main_line#*|}" ] && echo "Signed-By: ${main_line#*|}"
        if [ -n "$sec_line" ]; then
            echo
            echo "Types: deb-src"
            echo "URIs: ${sec_line%%|*}"
            echo "Suites: trixie-security"
            echo "Components: main"
            [ -n "${sec_line#*|}" ] && echo "Signed-By: ${sec_line#*|}"
        fi
    } >"$src_list"
    log "wrote $src_list"
fi

if ! command -v dpkg-source >/dev/null 2>&1; then
    log "installing dpkg-dev (for dpkg-source)"
    apt-get install -y -q dpkg-dev >&2
fi

mkdir -p "$cache"
cd "$cache"

# Refresh only our list, leaving the machine's other lists as they are.
full=1
if ! apt-get source --download-only -q "$pkg=$ver" >&2 2>/dev/null; then
    log "updating the package lists for $src_list"
    apt-get update -q \
        -o Dir::Etc::sourcelist="$src_list" \
        -o Dir::Etc::sourceparts=- \
        -o APT::Get::List-Cleanup=0 >&2
    if ! apt-get source --download-only -q "$pkg=$ver" >&2; then
        # The archive mirror here lacks some .dsc and .debian.tar.xz files
        # (libnet-ssh2-perl 0.74-1); the orig tarball, checked by apt against
        # the signed Sources index, is upstream's release, all the tests need.
        log "no full source package: fetching the orig tarball only"
        apt-get source --download-only --tar-only -q "$pkg=$ver" >&2
        full=0
    fi
fi

rm -rf "$dest"
if [ "$full" = 1 ]; then
    dsc="$(ls -1 "${pkg}_${ver#*:}.dsc" 2>/dev/null || ls -1 "${pkg}"_*.dsc | tail -n1)"
    dpkg-source --no-check -x "$dsc" "$dest" >&2
else
    origs=("${pkg}_${upver}".orig.tar.*)
    orig="${origs[0]}"
    mkdir -p "$dest"
    tar -xf "$orig" -C "$dest" --strip-components=1
fi
touch "$stamp"
echo "$dest"
