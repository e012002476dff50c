/*
 * shell: an interactive shell on a pseudo-terminal.
 *
 *   shell HOST PORT USER (-k KEY | -p PASSWORD)
 *
 * Requests a pty and a login shell, then copies our standard input to the
 * shell and the shell's output to our standard output until the shell
 * exits. The session is non-blocking so one loop can serve both
 * directions; poll(2) waits for either side. Works from a script too:
 *
 *   printf 'echo hello\nexit\n' | shell 127.0.0.1 22 me -k ~/.ssh/id_ed25519
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

#include <errno.h>

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_CHANNEL *channel;
    char buf[4096];
    int fd, stdin_open = 1, status;

    session = ex_connect(argc, argv, &fd);

    channel = libssh2_channel_open_session(session);
    if(!channel)
        ex_die(session, "channel open");
    /* A terminal makes the remote side behave as for a person: prompts,
     * echo, line editing. "vt100" is understood everywhere. */
    if(libssh2_channel_request_pty(channel, "vt100"))
        ex_die(session, "pty request");
    if(libssh2_channel_shell(channel))
        ex_die(session, "shell");

    libssh2_session_set_blocking(session, 0);
    for(;;) {
        struct pollfd p[2];
        ssize_t n;
        int nfds = 1;

        /* Drain everything the shell has sent so far. */
        while((n = libssh2_channel_read(channel, buf, sizeof(buf))) > 0)
            fwrite(buf, 1, (size_t)n, stdout);
        fflush(stdout);
        if(n < 0 && n != LIBSSH2_ERROR_EAGAIN)
            ex_die(session, "read");
        if(libssh2_channel_eof(channel))
            break;

        p[0].fd = fd;
        p[0].events = POLLIN;
        if(libssh2_session_block_directions(session) &
           LIBSSH2_SESSION_BLOCK_OUTBOUND)
            p[0].events |= POLLOUT;
        if(stdin_open) {
            p[1].fd = STDIN_FILENO;
            p[1].events = POLLIN;
            nfds = 2;
        }
        if(poll(p, (nfds_t)nfds, -1) < 0 && errno != EINTR)
            break;

        if(stdin_open && (p[1].revents & (POLLIN | POLLHUP))) {
            ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
            ssize_t off = 0;
            if(got <= 0) {
                /* End of our input: tell the shell, which then exits. */
                stdin_open = 0;
                while(libssh2_channel_send_eof(channel) == LIBSSH2_ERROR_EAGAIN)
                    ex_wait_socket(fd, session, 1000);
            }
            /* A write may take only part of the data, or none yet. */
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
    libssh2_channel_close(channel);
    libssh2_channel_wait_closed(channel);
    status = libssh2_channel_get_exit_status(channel);
    libssh2_channel_free(channel);
    ex_disconnect(session, fd);
    fprintf(stderr, "shell exited with status %d\n", status);
    return status;
}
