# Build and install the Rust libssh2 as a drop-in for libssh2 1.11.1.
#
#   make                                   # cargo build --release
#   make install PREFIX=/usr/local [DESTDIR=/tmp/stage] [LIBDIR=...]
#   make uninstall PREFIX=/usr/local
#
# Why make and not cargo-c: nothing extra to fetch, and the two things
# cargo-c would add are small: the soname comes from build.rs, and these
# rules install the files with libssh2's own names.

VERSION      := 1.11.1
# libssh2 1.11.x ships libssh2.so.1.0.1; keep the same real file name.
SO_VERSION   := 1.0.1
SO_MAJOR     := 1
# What the Rust staticlib needs from the system, as printed by
# `make native-static-libs` (rustc --print native-static-libs).
LIBS_PRIVATE := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

PREFIX       ?= /usr/local
EXEC_PREFIX  ?= $(PREFIX)
LIBDIR       ?= $(EXEC_PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
DATAROOTDIR  ?= $(PREFIX)/share
MANDIR       ?= $(DATAROOTDIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR     ?= $(LIBDIR)/cmake/libssh2
DESTDIR      ?=

CARGO        ?= cargo
INSTALL      ?= install
BUILD_DIR    ?= $(or $(CARGO_TARGET_DIR),target)/release

HEADERS      := $(wildcard include/*.h)
MANPAGES     := $(wildcard docs/man/*.3)
# The same private libs as CMake list items (no -l, no libc).
CMAKE_LIBS   := $(subst $(eval) ,;,$(filter-out c,$(patsubst -l%,%,$(LIBS_PRIVATE))))

SUBST = sed -e 's|@PREFIX@|$(PREFIX)|g' \
	    -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' \
	    -e 's|@SO_VERSION@|$(SO_VERSION)|g' \
	    -e 's|@SO_MAJOR@|$(SO_MAJOR)|g' \
	    -e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|g' \
	    -e 's|@CMAKE_LIBS@|$(CMAKE_LIBS)|g'

.PHONY: all build install uninstall native-static-libs clean

all: build

build:
	$(CARGO) build --release

install: build
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(CMAKEDIR)
	$(INSTALL) -m 755 $(BUILD_DIR)/libssh2.so $(DESTDIR)$(LIBDIR)/libssh2.so.$(SO_VERSION)
	ln -sf libssh2.so.$(SO_VERSION) $(DESTDIR)$(LIBDIR)/libssh2.so.$(SO_MAJOR)
	ln -sf libssh2.so.$(SO_MAJOR) $(DESTDIR)$(LIBDIR)/libssh2.so
	$(INSTALL) -m 644 $(BUILD_DIR)/libssh2.a $(DESTDIR)$(LIBDIR)/libssh2.a
ifneq ($(HEADERS),)
	$(INSTALL) -m 644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/
endif
	$(SUBST) libssh2.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libssh2.pc
	$(SUBST) cmake/libssh2-config.cmake.in > $(DESTDIR)$(CMAKEDIR)/libssh2-config.cmake
	$(SUBST) cmake/libssh2-config-version.cmake.in \
		> $(DESTDIR)$(CMAKEDIR)/libssh2-config-version.cmake
ifneq ($(MANPAGES),)
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man3
	$(INSTALL) -m 644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man3/
endif

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libssh2.so.$(SO_VERSION) \
	      $(DESTDIR)$(LIBDIR)/libssh2.so.$(SO_MAJOR) \
	      $(DESTDIR)$(LIBDIR)/libssh2.so \
	      $(DESTDIR)$(LIBDIR)/libssh2.a \
	      $(DESTDIR)$(PKGCONFIGDIR)/libssh2.pc \
	      $(DESTDIR)$(CMAKEDIR)/libssh2-config.cmake \
	      $(DESTDIR)$(CMAKEDIR)/libssh2-config-version.cmake \
	      $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(notdir $(HEADERS))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MANPAGES)))
	-rmdir $(DESTDIR)$(CMAKEDIR) 2>/dev/null

# Prints the system libraries a C program needs beside libssh2.a; compare
# with LIBS_PRIVATE above after adding dependencies with native code.
native-static-libs:
	$(CARGO) rustc --release --lib -- --print native-static-libs 2>&1 | grep native-static-libs

clean:
	$(CARGO) clean
