/*
 * scp_upload: send a local file to the server with SCP.
 *
 *   scp_upload HOST PORT USER (-k KEY | -p PASSWORD) LOCAL REMOTE
 *
 * SCP needs the exact size up front; libssh2_scp_send64() runs "scp -t"
 * remotely and returns a channel that takes exactly that many bytes.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

#include <sys/stat.h>

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_CHANNEL *channel;
    struct stat st;
    char buf[32768];
    size_t got;
    FILE *in;
    int fd;

    if(argc != 8) {
        fprintf(stderr, "usage: %s HOST PORT USER (-k KEY | -p PASSWORD) LOCAL REMOTE\n",
                argv[0]);
        return 1;
    }
    in = fopen(argv[6], "rb");
    if(!in || fstat(fileno(in), &st) != 0) {
        perror(argv[6]);
        return 2;
    }
    session = ex_connect(argc, argv, &fd);

    /* Keep the permission bits and times of the local file. */
    channel = libssh2_scp_send64(session, argv[7], (int)(st.st_mode & 0777),
                                 (libssh2_int64_t)st.st_size, st.st_mtime,
                                 st.st_atime);
    if(!channel)
        ex_die(session, "scp send");

    while((got = fread(buf, 1, sizeof(buf), in)) > 0) {
        size_t off = 0;
        while(off < got) {
            ssize_t n = libssh2_channel_write(channel, buf + off, got - off);
            if(n < 0)
                ex_die(session, "write");
            off += (size_t)n;
        }
    }
    fclose(in);

    /* End of data; wait until scp has acknowledged it, then close. */
    libssh2_channel_send_eof(channel);
    libssh2_channel_wait_eof(channel);
    libssh2_channel_wait_closed(channel);
    libssh2_channel_free(channel);
    printf("sent %lld bytes\n", (long long)st.st_size);

    ex_disconnect(session, fd);
    return 0;
}
