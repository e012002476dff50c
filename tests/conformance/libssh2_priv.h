/*
 * Stand-in for upstream libssh2's private "libssh2_priv.h", used only to
 * compile upstream's test fixtures (runner.c, session_fixture.c,
 * openssh_fixture.c) and test programs against this project's public headers
 * (scripts/conformance/upstream-tests.sh). It is not upstream's header: it
 * includes our public headers and states the feature macros that the tests
 * consult, with the values of upstream's default build on its OpenSSL backend.
 */
#ifndef CONFORMANCE_LIBSSH2_PRIV_H
#define CONFORMANCE_LIBSSH2_PRIV_H

#include "libssh2_setup.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh2.h>
#include <libssh2_publickey.h>
#include <libssh2_sftp.h>

/* Which crypto backend the tests should assume: some tests only run their
 * checks (OpenSSH-format and certificate keys) on the OpenSSL backend. */
#define LIBSSH2_OPENSSL 1

/* Algorithm support, as upstream's OpenSSL backend has it by default.
 * DSA is off: upstream 1.11.1 builds it only with LIBSSH2_DSA_ENABLE. */
#define LIBSSH2_RSA 1
#define LIBSSH2_RSA_SHA1 1
#define LIBSSH2_RSA_SHA2 1
#define LIBSSH2_DSA 0
#define LIBSSH2_ECDSA 1
#define LIBSSH2_ED25519 1
#define LIBSSH2_MD5 1
#define LIBSSH2_MD5_PEM 1
#define LIBSSH2_HMAC_SHA256 1
#define LIBSSH2_HMAC_SHA512 1
#define LIBSSH2_AES_CTR 1
#define LIBSSH2_AES_CBC 1
#define LIBSSH2_AES_GCM 1
#define LIBSSH2_3DES 1

/* printf-style format checking for the fixtures' logging helpers. */
#if defined(__GNUC__) || defined(__clang__)
#define LIBSSH2_PRINTF(fmt, arg) __attribute__((format(printf, fmt, arg)))
#else
#define LIBSSH2_PRINTF(fmt, arg)
#endif

/* The one non-public function upstream's tests call (test_hostkey); this
 * project's library exports it for that reason. Decodes base64 SRC into a
 * buffer from the session's allocator; returns 0 or -1. */
int _libssh2_base64_decode(LIBSSH2_SESSION *session, char **data,
                           size_t *datalen, const char *src, size_t src_len);

#endif
