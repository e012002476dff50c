/*
 * Stand-in for upstream libssh2's private "libssh2_setup.h", used only to
 * compile upstream's test programs against this project's public headers
 * (scripts/conformance/upstream-tests.sh). It provides the platform macros
 * that upstream's build configuration gives those programs on Linux.
 */
#ifndef CONFORMANCE_LIBSSH2_SETUP_H
#define CONFORMANCE_LIBSSH2_SETUP_H

#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#define HAVE_UNISTD_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_STDLIB_H 1
#define HAVE_SYS_SELECT_H 1
#define HAVE_SYS_SOCKET_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_UIO_H 1
#define HAVE_SYS_UN_H 1
#define HAVE_SYS_IOCTL_H 1
#define HAVE_ARPA_INET_H 1
#define HAVE_NETINET_IN_H 1
#define HAVE_FCNTL_H 1
#define HAVE_GETTIMEOFDAY 1
#define HAVE_POLL 1
#define HAVE_SELECT 1
#define HAVE_SNPRINTF 1
#define HAVE_STRTOLL 1
#define HAVE_O_NONBLOCK 1

#endif
