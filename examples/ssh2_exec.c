/*
 * ssh2_exec: run one command on an SSH server and print its output.
 *
 *   ssh2_exec HOST PORT USER (-k PRIVATE_KEY | -p PASSWORD) COMMAND
 *
 * Connects, performs the handshake, prints the server's SHA-256 host key
 * fingerprint, authenticates, runs COMMAND, copies its stdout and stderr,
 * and exits with the remote exit status.
 */
#include "example_common.h"

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_CHANNEL *channel;
    const unsigned char *fp;
    char buf[16384];
    int fd, i, rc, status;

    if(argc != 7 || (strcmp(argv[4], "-k") && strcmp(argv[4], "-p"))) {
        fprintf(stderr, "usage: %s HOST PORT USER (-k KEY | -p PASSWORD) COMMAND\n", argv[0]);
        return 1;
    }
    session = ex_handshake(argv[1], argv[2], &fd);

    /* What a careful client checks before authenticating (known_hosts.c
     * shows the check; here we only print it). */
    fp = (const unsigned char *)libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
    printf("server: %s\nhost key SHA256:", libssh2_session_banner_get(session));
    for(i = 0; fp && i < 32; i++)
        printf("%02x", fp[i]);
    printf("\nkex %s, cipher %s\n",
           libssh2_session_methods(session, LIBSSH2_METHOD_KEX),
           libssh2_session_methods(session, LIBSSH2_METHOD_CRYPT_CS));

    if(!strcmp(argv[4], "-k"))
        rc = libssh2_userauth_publickey_fromfile(session, argv[3], NULL, argv[5], NULL);
    else
        rc = libssh2_userauth_password(session, argv[3], argv[5]);
    if(rc)
        ex_die(session, "authentication");

    channel = libssh2_channel_open_session(session);
    if(!channel)
        ex_die(session, "channel open");
    if(libssh2_channel_exec(channel, argv[6]))
        ex_die(session, "exec");

    for(;;) {
        ssize_t n = libssh2_channel_read(channel, buf, sizeof(buf));
        if(n < 0)
            ex_die(session, "read");
        if(n == 0)
            break;
        fwrite(buf, 1, (size_t)n, stdout);
    }
    for(;;) {
        ssize_t n = libssh2_channel_read_stderr(channel, buf, sizeof(buf));
        if(n <= 0)
            break;
        fwrite(buf, 1, (size_t)n, stderr);
    }
    libssh2_channel_close(channel);
    status = libssh2_channel_get_exit_status(channel);
    libssh2_channel_free(channel);
    ex_disconnect(session, fd);
    printf("exit status %d\n", status);
    return status;
}
