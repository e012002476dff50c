/*
 * direct_tcpip: a TCP connection made by the server, relayed to our
 * standard input and output (like "ssh -W TARGET_HOST:TARGET_PORT").
 *
 *   direct_tcpip HOST PORT USER (-k KEY | -p PASSWORD) TARGET_HOST TARGET_PORT
 *
 * The target is resolved and reached from the server, so it may be a
 * host only the server can see. Try it with the server's own SSH port:
 *
 *   echo | direct_tcpip 127.0.0.1 22 me -k key 127.0.0.1 22
 *
 * prints the server's SSH banner, fetched through the tunnel.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_CHANNEL *channel;
    int fd;

    if(argc != 8) {
        fprintf(stderr, "usage: %s HOST PORT USER (-k KEY | -p PASSWORD) "
                "TARGET_HOST TARGET_PORT\n", argv[0]);
        return 1;
    }
    session = ex_connect(argc, argv, &fd);

    /* The last two arguments only tell the server where the connection
     * comes from; it may log them. */
    channel = libssh2_channel_direct_tcpip_ex(session, argv[6], atoi(argv[7]),
                                              "127.0.0.1", 0);
    if(!channel)
        ex_die(session, "direct-tcpip");

    /* The tunnel is an ordinary channel: relay it to stdin/stdout until
     * the target closes its side. */
    ex_relay(session, fd, channel, STDIN_FILENO, STDOUT_FILENO);
    libssh2_channel_free(channel);
    ex_disconnect(session, fd);
    return 0;
}
