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

#include <errno.h>

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_CHANNEL *channel;
    char buf[16384];
    int fd, stdin_open = 1;

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

    /* One loop, two directions: non-blocking session plus poll(2). */
    libssh2_session_set_blocking(session, 0);
    for(;;) {
        struct pollfd p[2];
        ssize_t n;
        int nfds = 1;

        while((n = libssh2_channel_read(channel, buf, sizeof(buf))) > 0)
            fwrite(buf, 1, (size_t)n, stdout);
        fflush(stdout);
        if(n < 0 && n != LIBSSH2_ERROR_EAGAIN)
            ex_die(session, "read");
        if(libssh2_channel_eof(channel))
            break; /* the target closed its side */

        p[0].fd = fd;
        p[0].events = POLLIN;
        if(stdin_open) {
            p[1].fd = STDIN_FILENO;
            p[1].events = POLLIN;
            nfds = 2;
        }
        if(poll(p, (nfds_t)nfds, -1) < 0 && errno != EINTR)
            break;
        if(stdin_open && (p[1].revents & (POLLIN | POLLHUP))) {
            ssize_t got = read(STDIN_FILENO, buf, sizeof(buf)), off = 0;
            if(got <= 0) {
                stdin_open = 0;
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

    libssh2_session_set_blocking(session, 1);
    libssh2_channel_free(channel);
    ex_disconnect(session, fd);
    return 0;
}
