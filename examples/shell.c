/*
 * shell: an interactive shell on a pseudo-terminal.
 *
 *   shell HOST PORT USER (-k KEY | -p PASSWORD)
 *
 * Requests a pty and a login shell, then copies our standard input to the
 * shell and the shell's output to our standard output until the shell
 * exits (ex_relay() in example_common.h does the copying, with a
 * non-blocking session and poll(2)). Works from a script too:
 *
 *   printf 'echo hello\nexit\n' | shell 127.0.0.1 22 me -k ~/.ssh/id_ed25519
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_CHANNEL *channel;
    int fd, status;

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

    /* Our stdin to the shell, its output to our stdout, until it exits. */
    ex_relay(session, fd, channel, STDIN_FILENO, STDOUT_FILENO);

    libssh2_channel_close(channel);
    libssh2_channel_wait_closed(channel);
    status = libssh2_channel_get_exit_status(channel);
    libssh2_channel_free(channel);
    ex_disconnect(session, fd);
    fprintf(stderr, "shell exited with status %d\n", status);
    return status;
}
