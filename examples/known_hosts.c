/*
 * known_hosts: the safe way to connect. Verify the server's host key
 * against a known_hosts file BEFORE sending any credentials.
 *
 *   known_hosts HOST PORT USER (-k KEY | -p PASSWORD) KNOWN_HOSTS [--add]
 *
 * Exit status 0: the key matched (or was added) and we logged in.
 * Exit status 3: the key is unknown (use --add to trust it on first use
 *                and append it to the file, as ssh's "accept-new" does).
 * Exit status 4: the key DIFFERS from the one recorded: possibly a man in
 *                the middle. Nothing was sent; do not continue.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

/* Map the session's host key type to the known-hosts key type bits. */
static int knownhost_keybits(int hostkey_type)
{
    switch(hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:       return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS:       return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519:   return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default:                             return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
    }
}

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_KNOWNHOSTS *hosts;
    struct libssh2_knownhost *entry = NULL;
    const char *key;
    size_t keylen;
    int fd, type, check, rc, add = 0;

    if(argc == 8 && !strcmp(argv[7], "--add"))
        add = 1;
    else if(argc != 7) {
        fprintf(stderr, "usage: %s HOST PORT USER (-k KEY | -p PASSWORD) "
                "KNOWN_HOSTS [--add]\n", argv[0]);
        return 1;
    }
    session = ex_handshake(argv[1], argv[2], &fd);

    /* 1. The key the server proved it holds during the handshake. */
    key = libssh2_session_hostkey(session, &keylen, &type);
    if(!key)
        ex_die(session, "hostkey");

    /* 2. What we recorded earlier. A missing file is just an empty list. */
    hosts = libssh2_knownhost_init(session);
    if(!hosts)
        ex_die(session, "knownhost init");
    rc = libssh2_knownhost_readfile(hosts, argv[6], LIBSSH2_KNOWNHOST_FILE_OPENSSH);
    if(rc < 0 && access(argv[6], F_OK) == 0)
        ex_die(session, "reading known_hosts");

    /* 3. Compare. checkp knows OpenSSH's "[host]:port" form for ports
     *    other than 22. */
    check = libssh2_knownhost_checkp(hosts, argv[1], atoi(argv[2]), key, keylen,
                                     LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                     LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                     knownhost_keybits(type), &entry);
    switch(check) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
        printf("host key verified\n");
        break;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
        fprintf(stderr, "HOST KEY MISMATCH for %s: refusing to continue\n", argv[1]);
        return 4;
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
        if(!add) {
            fprintf(stderr, "host %s is not in %s\n", argv[1], argv[6]);
            return 3;
        }
        {
            /* Record it under the name checkp looks for. */
            char name[300];
            if(atoi(argv[2]) == 22)
                snprintf(name, sizeof(name), "%s", argv[1]);
            else
                snprintf(name, sizeof(name), "[%s]:%s", argv[1], argv[2]);
            if(libssh2_knownhost_addc(hosts, name, NULL, key, keylen, NULL, 0,
                                      LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                      LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                      knownhost_keybits(type), NULL) ||
               libssh2_knownhost_writefile(hosts, argv[6],
                                           LIBSSH2_KNOWNHOST_FILE_OPENSSH))
                ex_die(session, "saving known_hosts");
            printf("host key added to %s\n", argv[6]);
        }
        break;
    default:
        ex_die(session, "host key check");
    }
    libssh2_knownhost_free(hosts);

    /* 4. Only now is it safe to authenticate. */
    if(!strcmp(argv[4], "-k"))
        rc = libssh2_userauth_publickey_fromfile(session, argv[3], NULL, argv[5], NULL);
    else
        rc = libssh2_userauth_password(session, argv[3], argv[5]);
    if(rc)
        ex_die(session, "authentication");
    printf("authenticated as %s\n", argv[3]);
    ex_disconnect(session, fd);
    return 0;
}
