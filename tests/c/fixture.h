/*
 * Access to the private sshd that scripts/sshd-fixture.sh starts, for C
 * tests and examples. Run the program with DIR/env in its environment:
 *
 *   scripts/sshd-fixture.sh start "$dir"
 *   (set -a; . "$dir/env"; ./test_program)
 *   scripts/sshd-fixture.sh stop "$dir"
 *
 * Header-only: every function is static.
 */
#ifndef LIBSSH2_RS_TEST_FIXTURE_H
#define LIBSSH2_RS_TEST_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct fixture {
    const char *host;       /* SSHD_HOST, "127.0.0.1" */
    int port;               /* SSHD_PORT */
    const char *user;       /* SSHD_USER */
    const char *key;        /* SSHD_KEY: ed25519 private key, no passphrase */
    const char *pubkey;     /* SSHD_PUBKEY */
    const char *password;   /* SSHD_PASSWORD: "" when not run as root */
    const char *passphrase; /* SSHD_KEY_PASSPHRASE of the *_enc keys */
    const char *dir;        /* SSHD_DIR: config, keys, sshd.log */
};

static const char *fixture_env(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v ? v : fallback;
}

/* Fills *f from the environment; returns 0, or -1 with a message on stderr. */
static int fixture_load(struct fixture *f)
{
    const char *port = getenv("SSHD_PORT");
    if(!port || !getenv("SSHD_USER") || !getenv("SSHD_KEY")) {
        fprintf(stderr, "fixture: SSHD_PORT/SSHD_USER/SSHD_KEY not set; start "
                "scripts/sshd-fixture.sh and load its DIR/env\n");
        return -1;
    }
    f->host = fixture_env("SSHD_HOST", "127.0.0.1");
    f->port = atoi(port);
    f->user = getenv("SSHD_USER");
    f->key = getenv("SSHD_KEY");
    f->pubkey = fixture_env("SSHD_PUBKEY", "");
    f->password = fixture_env("SSHD_PASSWORD", "");
    f->passphrase = fixture_env("SSHD_KEY_PASSPHRASE", "");
    f->dir = fixture_env("SSHD_DIR", "");
    if(f->port <= 0 || f->port > 65535) {
        fprintf(stderr, "fixture: bad SSHD_PORT '%s'\n", port);
        return -1;
    }
    return 0;
}

/* A connected TCP socket to the fixture's sshd, or -1. */
static int fixture_connect(const struct fixture *f)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if(fd < 0) {
        perror("fixture: socket");
        return -1;
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)f->port);
    if(inet_pton(AF_INET, f->host, &sin.sin_addr) != 1 ||
       connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        perror("fixture: connect");
        close(fd);
        return -1;
    }
    return fd;
}

#endif /* LIBSSH2_RS_TEST_FIXTURE_H */
