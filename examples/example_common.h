/*
 * example_common.h: the few helpers every example needs, kept in one place
 * so that each example shows only what it is about.
 *
 * Each example takes the same first arguments as ssh2_exec:
 *
 *     PROGRAM HOST PORT USER (-k PRIVATE_KEY | -p PASSWORD) ...
 *
 * and calls ex_connect() to get an authenticated session. Examples about
 * authentication itself (agent, keyboard-interactive, known hosts) do that
 * part by hand instead.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef EXAMPLE_COMMON_H
#define EXAMPLE_COMMON_H

#include <libssh2.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Number of arguments ex_connect() consumes after the program name. */
#define EX_CONNECT_ARGS 5

/* Print the session's last error and exit. */
static inline void ex_die(LIBSSH2_SESSION *session, const char *what)
{
    char *msg = NULL;
    int rc = session ? libssh2_session_last_error(session, &msg, NULL, 0) : 0;
    fprintf(stderr, "%s failed: %s (%d)\n", what, msg ? msg : "", rc);
    exit(2);
}

/* Open a TCP connection to host:port (any address family). */
static inline int ex_tcp_connect(const char *host, const char *port)
{
    struct addrinfo hints, *res, *ai;
    int fd = -1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if(getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    for(ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if(fd < 0)
            continue;
        if(connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/*
 * In non-blocking mode a call that returns LIBSSH2_ERROR_EAGAIN must be
 * repeated once the socket is ready. libssh2_session_block_directions()
 * says which way the library was waiting; poll(2) for exactly that.
 */
static inline int ex_wait_socket(int fd, LIBSSH2_SESSION *session, int timeout_ms)
{
    struct pollfd p;
    int dir = libssh2_session_block_directions(session);

    p.fd = fd;
    p.events = 0;
    p.revents = 0;
    if(dir & LIBSSH2_SESSION_BLOCK_INBOUND)
        p.events |= POLLIN;
    if(dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        p.events |= POLLOUT;
    if(!p.events)
        p.events = POLLIN;
    return poll(&p, 1, timeout_ms);
}

/* libssh2_init, TCP connect and SSH handshake; exits on failure. The host
 * key is NOT checked here: see known_hosts.c for that. */
static inline LIBSSH2_SESSION *ex_handshake(const char *host, const char *port,
                                            int *fd)
{
    LIBSSH2_SESSION *session;

    if(libssh2_init(0) != 0) {
        fprintf(stderr, "libssh2_init failed\n");
        exit(2);
    }
    *fd = ex_tcp_connect(host, port);
    if(*fd < 0) {
        perror("connect");
        exit(2);
    }
    session = libssh2_session_init();
    if(!session)
        ex_die(NULL, "libssh2_session_init");
    if(libssh2_session_handshake(session, *fd))
        ex_die(session, "handshake");
    return session;
}

/* Write all of buf to the channel, waiting whenever it would block. */
static inline void ex_channel_write_all(LIBSSH2_SESSION *session, int sock,
                                        LIBSSH2_CHANNEL *channel,
                                        const char *buf, size_t len)
{
    size_t off = 0;
    while(off < len) {
        ssize_t n = libssh2_channel_write(channel, buf + off, len - off);
        if(n == LIBSSH2_ERROR_EAGAIN) {
            ex_wait_socket(sock, session, 1000);
            continue;
        }
        if(n < 0)
            ex_die(session, "channel write");
        off += (size_t)n;
    }
}

/*
 * Copy data both ways between a channel and local descriptors until the
 * remote side ends the channel: infd -> channel, channel -> outfd. End of
 * input on infd becomes an EOF on the channel. The session is switched to
 * non-blocking mode so that one loop, waiting in poll(2) on both the SSH
 * socket and infd, can serve both directions; it is blocking again after.
 */
static inline void ex_relay(LIBSSH2_SESSION *session, int sock,
                            LIBSSH2_CHANNEL *channel, int infd, int outfd)
{
    char buf[16384];
    int in_open = 1;

    libssh2_session_set_blocking(session, 0);
    for(;;) {
        struct pollfd p[2];
        ssize_t n;

        /* Everything the remote side has sent so far. */
        while((n = libssh2_channel_read(channel, buf, sizeof(buf))) > 0) {
            if(write(outfd, buf, (size_t)n) != n)
                goto out;
        }
        if(n < 0 && n != LIBSSH2_ERROR_EAGAIN)
            ex_die(session, "channel read");
        if(libssh2_channel_eof(channel))
            break;

        p[0].fd = sock;
        p[0].events = POLLIN;
        if(libssh2_session_block_directions(session) &
           LIBSSH2_SESSION_BLOCK_OUTBOUND)
            p[0].events |= POLLOUT;
        p[1].fd = in_open ? infd : -1; /* poll ignores negative fds */
        p[1].events = POLLIN;
        if(poll(p, 2, -1) < 0 && errno != EINTR)
            break;

        if(in_open && (p[1].revents & (POLLIN | POLLHUP))) {
            ssize_t got = read(infd, buf, sizeof(buf));
            if(got <= 0) {
                in_open = 0;
                while(libssh2_channel_send_eof(channel) == LIBSSH2_ERROR_EAGAIN)
                    ex_wait_socket(sock, session, 1000);
            }
            else
                ex_channel_write_all(session, sock, channel, buf, (size_t)got);
        }
    }
out:
    libssh2_session_set_blocking(session, 1);
}

/*
 * Connect, handshake and authenticate with a key file (-k) or a password
 * (-p), using argv[1..5]. Exits on failure. The socket is returned in *fd.
 */
static inline LIBSSH2_SESSION *ex_connect(int argc, char **argv, int *fd)
{
    LIBSSH2_SESSION *session;
    int rc;

    if(argc < 1 + EX_CONNECT_ARGS ||
       (strcmp(argv[4], "-k") && strcmp(argv[4], "-p"))) {
        fprintf(stderr, "usage: %s HOST PORT USER (-k KEY | -p PASSWORD) ...\n",
                argv[0]);
        exit(1);
    }
    session = ex_handshake(argv[1], argv[2], fd);
    /* A real client verifies the host key here: see known_hosts.c. */
    if(!strcmp(argv[4], "-k"))
        rc = libssh2_userauth_publickey_fromfile(session, argv[3], NULL,
                                                 argv[5], NULL);
    else
        rc = libssh2_userauth_password(session, argv[3], argv[5]);
    if(rc)
        ex_die(session, "authentication");
    return session;
}

/* Say goodbye politely and release everything. */
static inline void ex_disconnect(LIBSSH2_SESSION *session, int fd)
{
    libssh2_session_disconnect(session, "done");
    libssh2_session_free(session);
    close(fd);
    libssh2_exit();
}

#endif /* EXAMPLE_COMMON_H */
