#!/usr/bin/env bash
# Checks `make install` end to end: files and symlinks, soname, exported
# symbols, pkg-config (shared and static links of a C program) and a CMake
# consumer, then `make uninstall`. Prints "install-test: N passed, M failed".
#
# Until the library exports libssh2_version the C program only proves that
# it links (and records libssh2.so.1 as NEEDED); once the symbol is there,
# it also calls it and checks "1.11.1". Likewise it includes <libssh2.h>
# only when include/libssh2.h exists and otherwise declares the prototype.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

VERSION=1.11.1
pass=0 fail=0
check() { # description command...
    local what=$1; shift
    if "$@" >>"$LOG" 2>&1; then
        pass=$((pass + 1)); echo "  ok   $what"
    else
        fail=$((fail + 1)); echo "  FAIL $what (see $LOG)"
    fi
}

WORK=$(mktemp -d -t libssh2-install-test.XXXXXX)
PREFIX=$WORK/prefix
LOG=$WORK/log
trap 'if ((fail == 0)); then rm -rf "$WORK"; fi' EXIT
: >"$LOG"
LIBDIR=$PREFIX/lib
echo "install-test: make install PREFIX=$PREFIX"

check "make install" make -s install PREFIX="$PREFIX"
check "libssh2.so.1.0.1 is a file" test -f "$LIBDIR/libssh2.so.1.0.1" -a ! -L "$LIBDIR/libssh2.so.1.0.1"
check "libssh2.so.1 -> libssh2.so.1.0.1" test "$(readlink "$LIBDIR/libssh2.so.1")" = libssh2.so.1.0.1
check "libssh2.so -> libssh2.so.1" test "$(readlink "$LIBDIR/libssh2.so")" = libssh2.so.1
check "libssh2.a" test -f "$LIBDIR/libssh2.a"
check "libssh2.pc" test -f "$LIBDIR/pkgconfig/libssh2.pc"
check "cmake config files" test -f "$LIBDIR/cmake/libssh2/libssh2-config.cmake" \
    -a -f "$LIBDIR/cmake/libssh2/libssh2-config-version.cmake"
for h in include/*.h; do
    [[ -e $h ]] && check "header $(basename "$h")" cmp "$h" "$PREFIX/include/$(basename "$h")"
done
for m in docs/man/*.3; do
    [[ -e $m ]] && check "man page $(basename "$m")" test -f "$PREFIX/share/man/man3/$(basename "$m")"
done
check "SONAME is libssh2.so.1" sh -c "objdump -p '$LIBDIR/libssh2.so.1.0.1' | grep -q 'SONAME *libssh2.so.1\$'"

# Only libssh2's API may be exported (plus the one helper upstream's tests use).
nm -D --defined-only "$LIBDIR/libssh2.so.1.0.1" | awk '{print $NF}' | sort >"$WORK/exports"
foreign=$(grep -v -E '^(libssh2_|_libssh2_base64_decode$)' "$WORK/exports" || true)
check "exports only libssh2_* ($(wc -l <"$WORK/exports") symbols)" test -z "$foreign"
[[ -z $foreign ]] || { echo "foreign exports:"; echo "$foreign" | head -20; } >>"$LOG"

export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
check "pkg-config --modversion = $VERSION" test "$(pkg-config --modversion libssh2)" = "$VERSION"
check "pkg-config --cflags --libs" sh -c "pkg-config --cflags --libs libssh2 | grep -q -- '-lssh2'"
check "pkg-config --static lists the private libs" \
    sh -c "pkg-config --static --libs libssh2 | grep -q -- '-lpthread'"

# The C consumer.
CFLAGS_EXTRA=()
[[ -f include/libssh2.h ]] && CFLAGS_EXTRA+=(-DHAVE_LIBSSH2_H)
grep -qx libssh2_version "$WORK/exports" && CFLAGS_EXTRA+=(-DHAVE_LIBSSH2_VERSION)
echo "  note: C test built with: ${CFLAGS_EXTRA[*]:-(no header, no libssh2_version yet: link-only)}"
cat >"$WORK/version.c" <<'C'
#include <stdio.h>
#include <string.h>
#ifdef HAVE_LIBSSH2_H
#include <libssh2.h>
#else
/* include/libssh2.h is not there yet: declare the one function we call. */
const char *libssh2_version(int req_version_num);
#endif

int main(void)
{
#ifdef LIBSSH2_VERSION
    if(strcmp(LIBSSH2_VERSION, "1.11.1") != 0) {
        fprintf(stderr, "header says %s\n", LIBSSH2_VERSION);
        return 1;
    }
#endif
#ifdef HAVE_LIBSSH2_VERSION
    const char *v = libssh2_version(0);
    if(!v || strcmp(v, "1.11.1") != 0) {
        fprintf(stderr, "libssh2_version(0) = %s\n", v ? v : "(null)");
        return 1;
    }
    printf("libssh2_version(0) = %s\n", v);
#else
    printf("linked against libssh2 (libssh2_version not exported yet)\n");
#endif
    return 0;
}
C
cd "$WORK"
# --no-as-needed keeps the NEEDED entry even while no symbol is referenced.
check "cc shared via pkg-config" sh -c "cc -Wall -Werror ${CFLAGS_EXTRA[*]:-} \$(pkg-config --cflags libssh2) \
    version.c -o version_shared -Wl,--no-as-needed \$(pkg-config --libs libssh2)"
check "shared binary NEEDs libssh2.so.1" sh -c "readelf -d version_shared | grep -q 'NEEDED.*\[libssh2.so.1\]'"
check "loader resolves libssh2.so.1 from the prefix" \
    sh -c "LD_LIBRARY_PATH='$LIBDIR' ldd version_shared | grep -q '$LIBDIR/libssh2.so.1'"
check "shared binary runs" env LD_LIBRARY_PATH="$LIBDIR" ./version_shared
static_libs=$(pkg-config --static --libs libssh2 | sed 's/-lssh2\b/-l:libssh2.a/')
check "cc static via pkg-config --static" sh -c "cc -Wall -Werror ${CFLAGS_EXTRA[*]:-} \
    \$(pkg-config --cflags libssh2) version.c -o version_static $static_libs"
check "static binary has no libssh2.so NEEDED" sh -c "! readelf -d version_static | grep -q libssh2"
check "static binary runs" ./version_static

# The CMake consumer.
mkdir -p cmake-consumer
cp version.c cmake-consumer/
cat >cmake-consumer/CMakeLists.txt <<CMAKE
cmake_minimum_required(VERSION 3.10)
project(consumer C)
find_package(libssh2 1.10 CONFIG REQUIRED)
if(NOT LIBSSH2_VERSION STREQUAL "$VERSION")
  message(FATAL_ERROR "LIBSSH2_VERSION is '\${LIBSSH2_VERSION}'")
endif()
foreach(t libssh2::libssh2 libssh2::libssh2_shared libssh2::libssh2_static Libssh2::libssh2)
  if(NOT TARGET \${t})
    message(FATAL_ERROR "missing target \${t}")
  endif()
endforeach()
add_compile_definitions(${CFLAGS_EXTRA[*]/-D/})
add_executable(x version.c)
target_link_options(x PRIVATE -Wl,--no-as-needed)
target_link_libraries(x libssh2::libssh2)
add_executable(x_static version.c)
target_link_libraries(x_static libssh2::libssh2_static)
CMAKE
check "cmake configure (find_package CONFIG)" cmake -S cmake-consumer -B cmake-build \
    -DCMAKE_PREFIX_PATH="$PREFIX"
check "cmake build" cmake --build cmake-build
check "cmake shared binary NEEDs libssh2.so.1" \
    sh -c "readelf -d cmake-build/x | grep -q 'NEEDED.*\[libssh2.so.1\]'"
check "cmake shared binary runs" env LD_LIBRARY_PATH="$LIBDIR" cmake-build/x
check "cmake static binary runs" cmake-build/x_static
mkdir -p cmake-too-new
cat >cmake-too-new/CMakeLists.txt <<'CMAKE'
cmake_minimum_required(VERSION 3.10)
project(too_new C)
find_package(libssh2 2.0 CONFIG REQUIRED)
CMAKE
check "find_package(libssh2 2.0) is refused" sh -c "! cmake -S cmake-too-new -B cmake-too-new/build \
    -DCMAKE_PREFIX_PATH='$PREFIX'"

cd "$ROOT"
check "make uninstall" make -s uninstall PREFIX="$PREFIX"
check "uninstall removed everything" sh -c "test -z \"\$(find '$PREFIX' -type f -o -type l)\""

STAGE=$WORK/stage
check "make install DESTDIR (staged)" make -s install PREFIX=/usr/local DESTDIR="$STAGE"
check "staged files keep the final paths" sh -c "test -L '$STAGE/usr/local/lib/libssh2.so.1' && \
    grep -qx 'prefix=/usr/local' '$STAGE/usr/local/lib/pkgconfig/libssh2.pc'"

echo "install-test: $pass passed, $fail failed"
((fail == 0))
