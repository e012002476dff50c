/*
 * remote_forward: the server listens, we serve (like "ssh -R").
 *
 *   remote_forward HOST PORT USER (-k KEY | -p PASSWORD) LOCAL_HOST LOCAL_PORT
 *
 * Asks the server to listen on a port of its loopback interface (it picks
 * the number; we print it), accepts ONE connection forwarded from there,
 * connects it to LOCAL_HOST:LOCAL_PORT on our side and relays both ways
 * until either end closes.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

#include <errno.h>

/* Connections the server may queue for us before we accept. */
#define QUEUE 4

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_LISTENER *listener;
    LIBSSH2_CHANNEL *channel;
    char buf[16384];
    int fd, local, bound_port = 0, local_open = 1;

    if(argc != 8) {
        fprintf(stderr, "usage: %s HOST PORT USER (-k KEY | -p PASSWORD) "
                "LOCAL_HOST LOCAL_PORT\n", argv[0]);
        return 1;
    }
    session = ex_connect(argc, argv, &fd);

    /* Port 0: let the server choose a free port and tell us which. */
    listener = libssh2_channel_forward_listen_ex(session, "127.0.0.1", 0,
                                                 &bound_port, QUEUE);
    if(!listener)
        ex_die(session, "tcpip-forward");
    printf("server listening on 127.0.0.1:%d\n", bound_port);
    fflush(stdout);

    channel = libssh2_channel_forward_accept(listener);
    if(!channel)
        ex_die(session, "accept");
    local = ex_tcp_connect(argv[6], argv[7]);
    if(local < 0) {
        perror("connect to local target");
        return 2;
    }
    fprintf(stderr, "relaying a forwarded connection to %s:%s\n", argv[6], argv[7]);

    libssh2_session_set_blocking(session, 0);
    for(;;) {
        struct pollfd p[2];
        ssize_t n;

        /* Channel to local socket. */
        while((n = libssh2_channel_read(channel, buf, sizeof(buf))) > 0) {
            if(write(local, buf, (size_t)n) != n)
                goto done;
        }
        if(n < 0 && n != LIBSSH2_ERROR_EAGAIN)
            ex_die(session, "read");
        if(libssh2_channel_eof(channel))
            break;

        p[0].fd = fd;
        p[0].events = POLLIN;
        p[1].fd = local_open ? local : -1;
        p[1].events = POLLIN;
        if(poll(p, 2, -1) < 0 && errno != EINTR)
            break;

        /* Local socket to channel. */
        if(local_open && (p[1].revents & (POLLIN | POLLHUP))) {
            ssize_t got = read(local, buf, sizeof(buf)), off = 0;
            if(got <= 0) {
                local_open = 0;
                while(libssh2_channel_send_eof(channel) == LIBSSH2_ERROR_EAGAIN)
                    ex_wait_socket(fd, session, 1000);
            }
            while(off < got) {
                n = libssh2_channel_write(channel, buf + off, (size_t)(got - off));
                if(n == LIBSSH2_ERROR_EAGAIN) {
                    ex_wait_socket(fd, session, 1000);
                    continue;
                }
                if(n < 0)
                    ex_die(session, "write");
                off += n;
            }
        }
    }
done:
    close(local);
    libssh2_session_set_blocking(session, 1);
    libssh2_channel_free(channel);
    libssh2_channel_forward_cancel(listener);
    ex_disconnect(session, fd);
    return 0;
}
