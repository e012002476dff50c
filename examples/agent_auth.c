/*
 * agent_auth: log in with a key held by ssh-agent, then run a command.
 *
 *   agent_auth HOST PORT USER COMMAND
 *
 * The agent is found through SSH_AUTH_SOCK, as ssh(1) finds it. Each of
 * its identities is tried in turn; the private keys never enter this
 * process: the agent makes the signature.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_AGENT *agent;
    struct libssh2_agent_publickey *identity = NULL, *prev = NULL;
    LIBSSH2_CHANNEL *channel;
    char buf[4096];
    ssize_t n;
    int fd, rc, status;

    if(argc != 5) {
        fprintf(stderr, "usage: %s HOST PORT USER COMMAND\n", argv[0]);
        return 1;
    }
    session = ex_handshake(argv[1], argv[2], &fd);

    agent = libssh2_agent_init(session);
    if(!agent)
        ex_die(session, "agent init");
    if(libssh2_agent_connect(agent))
        ex_die(session, "agent connect (is SSH_AUTH_SOCK set?)");
    if(libssh2_agent_list_identities(agent))
        ex_die(session, "agent list");

    for(;;) {
        rc = libssh2_agent_get_identity(agent, &identity, prev);
        if(rc == 1) {
            fprintf(stderr, "no agent key was accepted\n");
            return 2;
        }
        if(rc < 0)
            ex_die(session, "agent get identity");
        if(libssh2_agent_userauth(agent, argv[3], identity) == 0) {
            printf("authenticated with agent key \"%s\"\n", identity->comment);
            break;
        }
        fprintf(stderr, "key \"%s\" refused\n", identity->comment);
        prev = identity;
    }
    libssh2_agent_disconnect(agent);
    libssh2_agent_free(agent);

    channel = libssh2_channel_open_session(session);
    if(!channel || libssh2_channel_exec(channel, argv[4]))
        ex_die(session, "exec");
    while((n = libssh2_channel_read(channel, buf, sizeof(buf))) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    libssh2_channel_close(channel);
    status = libssh2_channel_get_exit_status(channel);
    libssh2_channel_free(channel);
    ex_disconnect(session, fd);
    return status;
}
