# shellcheck shell=bash
# Helpers for the peer suites (ssh2-rs.sh, net-ssh2.sh, libgit2.sh): other
# projects' own test suites run on our library and, once, on the reference
# libssh2 1.11.1. Sourced after lib.sh, never run.
#
# A run on the reference records each test's outcome in a cache file keyed by
# the suite's version and a hash of the calling script. A run on ours then
# reports a test that fails on both libraries as not applicable (with the
# reference's reason), and only a test that passes on the reference and fails
# on ours as a failure. When no recorded outcome exists, the run on ours first
# runs the suite on the reference (once; later runs read the cache).

# Installed prefixes (copies, so that a run sees one library even while the
# lead rebuilds target/release).
PEER_PREFIX_OURS="$CF_CACHE/peer-prefix/ours"
PEER_PREFIX_UPSTREAM="$CF_CACHE/peer-prefix/upstream"

# peer_prefix_ours: install our freshly built library (cf_build_ours) into
# $PEER_PREFIX_OURS with the project's `make install`, without building again.
peer_prefix_ours() {
    local log="$CF_CACHE/peer-make-install.log"
    cf_build_ours >/dev/null || return 1
    rm -rf "$PEER_PREFIX_OURS"
    make -C "$CF_ROOT" install PREFIX="$PEER_PREFIX_OURS" CARGO=true >"$log" 2>&1 || {
        tail -n 20 "$log" | sed 's/^/#   /' >&2
        return 1
    }
    [ -f "$PEER_PREFIX_OURS/lib/pkgconfig/libssh2.pc" ]
}

# peer_prefix_upstream LIBSSH2_SRC: a prefix like `make install`'s for the
# reference library (cf_build_upstream_lib): its libssh2.so.1, its headers
# and a libssh2.pc pointing at them.
peer_prefix_upstream() {
    local src="$1" updir p="$PEER_PREFIX_UPSTREAM"
    updir="$(cf_build_upstream_lib "$src")" || return 1
    rm -rf "$p"
    mkdir -p "$p/lib/pkgconfig" "$p/include"
    cp -L "$updir/libssh2.so.1" "$p/lib/libssh2.so.1"
    ln -s libssh2.so.1 "$p/lib/libssh2.so"
    cp "$src"/include/*.h "$p/include/"
    cat >"$p/lib/pkgconfig/libssh2.pc" <<EOF
# The reference libssh2 $CF_LIBSSH2_VERSION (OpenSSL backend), written by
# scripts/conformance/peer-lib.sh.
prefix=$p
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: libssh2
Description: The SSH library (reference build)
Version: $CF_LIBSSH2_VERSION
Libs: -L\${libdir} -lssh2
Libs.private: -lssl -lcrypto -lz
Cflags: -I\${includedir}
EOF
}

# peer_prefix AGAINST: the prefix for ours|upstream (set up by the functions
# above).
peer_prefix() {
    if [ "$1" = upstream ]; then echo "$PEER_PREFIX_UPSTREAM"; else echo "$PEER_PREFIX_OURS"; fi
}

# ---- the reference's outcomes ------------------------------------------------

# peer_ref_init SUITE VERSION AGAINST SCRIPT: where this suite's reference
# outcomes live (PEER_REF), and whether this run records (upstream) or
# consults (ours) them.
peer_ref_init() {
    local hash
    # Keyed by both scripts: either may change how outcomes are recorded.
    hash="$(cat "$4" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)"
    mkdir -p "$CF_CACHE/reference-results"
    PEER_REF="$CF_CACHE/reference-results/$1-$2-$CF_LIBSSH2_VERSION-$hash.tsv"
    PEER_AGAINST="$3"
    export PEER_REF PEER_AGAINST
    [ "$PEER_AGAINST" = upstream ] && : >"$PEER_REF.new"
    return 0
}

# peer_ref_ensure SCRIPT ARGS...: on ours, make sure the reference outcomes
# exist, running SCRIPT --against-upstream once when they do not.
peer_ref_ensure() {
    local script="$1" log="$CF_CACHE/reference-results/${1##*/}.log"
    shift
    [ "$PEER_AGAINST" = ours ] || return 0
    [ -f "$PEER_REF" ] && return 0
    cf_log "no recorded outcomes on the reference libssh2 yet: running ${script##*/} --against-upstream first (log: $log)"
    env -u CF_RESULTS -u CF_PHASE CONFORMANCE_STRICT=0 "$script" --against-upstream "$@" >"$log" 2>&1
    cf_log "reference: $(grep -E '^[a-z0-9-]+: [0-9]+ passed' "$log" | tail -n 1)"
    [ -f "$PEER_REF" ] || cf_log "the reference run recorded nothing: every failure on ours counts"
}

# peer_ref_save: on the reference, keep this run's outcomes for runs on ours.
peer_ref_save() {
    [ "$PEER_AGAINST" = upstream ] && [ -f "$PEER_REF.new" ] && mv "$PEER_REF.new" "$PEER_REF"
    return 0
}

# peer_report NAME pass|fail|skip [REASON [KEY]]: one test's outcome. On the
# reference it is recorded and reported as it is; on ours a failure is
# compared with the reference's outcome for the same KEY (default: NAME; a
# suite whose names hold run-dependent values passes a stable key).
peer_report() {
    local name="$1" status="$2" reason="${3:-}" key="${4:-$1}" ref refwhy
    reason="$(printf '%s' "$reason" | tr '\n\t' '  ')"
    if [ "$PEER_AGAINST" = upstream ]; then
        printf '%s\t%s\t%s\n' "$key" "$status" "$reason" >>"$PEER_REF.new"
    fi
    [ -n "${PEER_SEEN:-}" ] && printf '%s\n' "$key" >>"$PEER_SEEN"
    case "$status" in
        pass) cf_ok "$name" ;;
        skip) cf_na "$name" "skipped by the suite: $reason" ;;
        fail)
            if [ "$PEER_AGAINST" = ours ] && [ -f "$PEER_REF" ]; then
                ref="$(awk -F'\t' -v k="$key" '$1 == k {print $2 "\t" $3; exit}' "$PEER_REF")"
                refwhy="$(printf '%s' "$ref" | cut -f2 | cut -c1-150)"
                if [ "$(printf '%s' "$ref" | cut -f1)" = fail ]; then
                    if [ "${reason:0:${#refwhy}}" = "$refwhy" ]; then
                        cf_na "$name" "fails the same way on the reference libssh2: $reason"
                    else
                        cf_na "$name" "fails on the reference libssh2 too (there: $refwhy); here: $reason"
                    fi
                    return
                fi
            fi
            cf_notok "$name" "$reason"
            ;;
    esac
}

# peer_seen_init FILE: start tracking the keys reported (for peer_report_unreached).
peer_seen_init() {
    PEER_SEEN="$1"
    : >"$PEER_SEEN"
    export PEER_SEEN
}

# peer_report_unreached PREFIX WHY: on ours, report every test that ran on the
# reference but got no outcome here (the suite stopped early) as NAME
# "PREFIX KEY"; a test that failed on the reference too is not applicable.
peer_report_unreached() {
    local prefix="$1" why="$2" key status reason
    [ "$PEER_AGAINST" = ours ] && [ -f "$PEER_REF" ] || return 0
    while IFS=$'\t' read -r key status reason; do
        grep -qxF "$key" "$PEER_SEEN" && continue
        case "$status" in
            pass) cf_notok "$prefix $key" "no outcome on ours: $why" ;;
            *) cf_na "$prefix $key" "no outcome on ours ($why); on the reference: $status ${reason:0:120}" ;;
        esac
    done <"$PEER_REF"
}

# peer_check_loaded NAME LIBDIR LDDEBUG_LOG: ok when LD_DEBUG=libs output shows
# libssh2.so.1 initialised from LIBDIR.
peer_check_loaded() {
    local name="$1" dir="$2" log="$3"
    if grep -q "calling init: $dir/libssh2.so.1" "$log"; then
        cf_ok "$name"
    else
        cf_notok "$name" "libssh2.so.1 not loaded from $dir: $(grep -m1 'calling init: .*libssh2' "$log")"
    fi
}
