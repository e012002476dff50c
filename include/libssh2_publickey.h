/*
 * libssh2_publickey.h - client of the "publickey" subsystem (RFC 4819),
 * which manages the keys a server accepts. Public key *authentication*
 * needs only libssh2.h. Part of the libssh2-rs drop-in library;
 * source- and ABI-compatible with libssh2 1.11.1.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */

#ifndef LIBSSH2_PUBLICKEY_H
#define LIBSSH2_PUBLICKEY_H 1

#include "libssh2.h"

typedef struct _LIBSSH2_PUBLICKEY LIBSSH2_PUBLICKEY;

/* One key attribute (name/value pair). */
typedef struct _libssh2_publickey_attribute {
    const char *name;
    unsigned long name_len;
    const char *value;
    unsigned long value_len;
    char mandatory;             /* nonzero: the server must understand it */
} libssh2_publickey_attribute;

/* One key as listed by libssh2_publickey_list_fetch(). */
typedef struct _libssh2_publickey_list {
    unsigned char *packet;      /* internal: the buffer the fields point into */
    const unsigned char *name;  /* algorithm name */
    unsigned long name_len;
    const unsigned char *blob;
    unsigned long blob_len;
    unsigned long num_attrs;
    libssh2_publickey_attribute *attrs;
} libssh2_publickey_list;

/* Initializers for a libssh2_publickey_attribute array element (they
 * include the trailing comma). The _fast form takes string literals and
 * measures them at compile time. */
#define libssh2_publickey_attribute(name, value, mandatory) \
    { (name), strlen(name), (value), strlen(value), (mandatory) },
#define libssh2_publickey_attribute_fast(name, value, mandatory) \
    { (name), sizeof(name) - 1, (value), sizeof(value) - 1, (mandatory) },

#ifdef __cplusplus
extern "C" {
#endif

LIBSSH2_API LIBSSH2_PUBLICKEY *libssh2_publickey_init(LIBSSH2_SESSION *session);

LIBSSH2_API int
libssh2_publickey_add_ex(LIBSSH2_PUBLICKEY *pkey, const unsigned char *name,
                         unsigned long name_len, const unsigned char *blob,
                         unsigned long blob_len, char overwrite,
                         unsigned long num_attrs,
                         const libssh2_publickey_attribute attrs[]);
#define libssh2_publickey_add(pkey, name, blob, blob_len, overwrite, \
                              num_attrs, attrs) \
    libssh2_publickey_add_ex((pkey), (name), strlen(name), \
                             (blob), (blob_len), (overwrite), \
                             (num_attrs), (attrs))

LIBSSH2_API int
libssh2_publickey_remove_ex(LIBSSH2_PUBLICKEY *pkey, const unsigned char *name,
                            unsigned long name_len, const unsigned char *blob,
                            unsigned long blob_len);
#define libssh2_publickey_remove(pkey, name, blob, blob_len) \
    libssh2_publickey_remove_ex((pkey), (name), strlen(name), \
                                (blob), (blob_len))

LIBSSH2_API int
libssh2_publickey_list_fetch(LIBSSH2_PUBLICKEY *pkey,
                             unsigned long *num_keys,
                             libssh2_publickey_list **pkey_list);
LIBSSH2_API void
libssh2_publickey_list_free(LIBSSH2_PUBLICKEY *pkey,
                            libssh2_publickey_list *pkey_list);

LIBSSH2_API int libssh2_publickey_shutdown(LIBSSH2_PUBLICKEY *pkey);

#ifdef __cplusplus
}
#endif

#endif /* LIBSSH2_PUBLICKEY_H */
