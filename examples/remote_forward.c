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

/* Connections the server may queue for us before we accept. */
#define QUEUE 4

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_LISTENER *listener;
    LIBSSH2_CHANNEL *channel;
    int fd, local, bound_port = 0;

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

    /* Both directions over the one local socket. */
    ex_relay(session, fd, channel, local, local);
    close(local);
    libssh2_channel_free(channel);
    libssh2_channel_forward_cancel(listener);
    ex_disconnect(session, fd);
    return 0;
}
