/*
 * ssh2_exec: run one command on an SSH server and print its output.
 *
 *   ssh2_exec HOST PORT USER (-k PRIVATE_KEY | -p PASSWORD) COMMAND
 *
 * Connects, performs the handshake, prints the server's SHA-256 host key
 * fingerprint, authenticates, runs COMMAND, copies its stdout and stderr,
 * and exits with the remote exit status.
 */
#include <libssh2.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_to(const char *host, const char *port)
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

static void fail(LIBSSH2_SESSION *session, const char *what)
{
    char *msg = NULL;
    int rc = libssh2_session_last_error(session, &msg, NULL, 0);
    fprintf(stderr, "%s failed: %s (%d)\n", what, msg ? msg : "", rc);
    exit(2);
}

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
    if(libssh2_init(0) != 0) {
        fprintf(stderr, "libssh2_init failed\n");
        return 2;
    }
    fd = connect_to(argv[1], argv[2]);
    if(fd < 0) {
        perror("connect");
        return 2;
    }
    session = libssh2_session_init();
    if(!session)
        return 2;
    if(libssh2_session_handshake(session, fd))
        fail(session, "handshake");

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
        fail(session, "authentication");

    channel = libssh2_channel_open_session(session);
    if(!channel)
        fail(session, "channel open");
    if(libssh2_channel_exec(channel, argv[6]))
        fail(session, "exec");

    for(;;) {
        ssize_t n = libssh2_channel_read(channel, buf, sizeof(buf));
        if(n < 0)
            fail(session, "read");
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
    libssh2_session_disconnect(session, "done");
    libssh2_session_free(session);
    close(fd);
    libssh2_exit();
    printf("exit status %d\n", status);
    return status;
}
