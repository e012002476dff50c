/*
 * scp_download: fetch a remote file with SCP.
 *
 *   scp_download HOST PORT USER (-k KEY | -p PASSWORD) REMOTE LOCAL
 *
 * libssh2_scp_recv2() runs "scp -f" remotely and returns a channel that
 * delivers exactly the file's bytes; the size comes in the stat buffer.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_CHANNEL *channel;
    libssh2_struct_stat sb;
    libssh2_struct_stat_size got = 0;
    char buf[32768];
    FILE *out;
    int fd;

    if(argc != 8) {
        fprintf(stderr, "usage: %s HOST PORT USER (-k KEY | -p PASSWORD) REMOTE LOCAL\n",
                argv[0]);
        return 1;
    }
    session = ex_connect(argc, argv, &fd);

    memset(&sb, 0, sizeof(sb));
    channel = libssh2_scp_recv2(session, argv[6], &sb);
    if(!channel)
        ex_die(session, "scp recv");
    out = fopen(argv[7], "wb");
    if(!out) {
        perror(argv[7]);
        return 2;
    }
    /* Read exactly st_size bytes: what follows is SCP protocol, not data. */
    while(got < sb.st_size) {
        size_t want = sizeof(buf);
        ssize_t n;
        if((libssh2_struct_stat_size)want > sb.st_size - got)
            want = (size_t)(sb.st_size - got);
        n = libssh2_channel_read(channel, buf, want);
        if(n < 0)
            ex_die(session, "read");
        if(n == 0)
            break;
        fwrite(buf, 1, (size_t)n, out);
        got += n;
    }
    fclose(out);
    printf("received %lld of %lld bytes, mode %o\n", (long long)got,
           (long long)sb.st_size, (unsigned)(sb.st_mode & 0777));

    libssh2_channel_free(channel);
    ex_disconnect(session, fd);
    return got == sb.st_size ? 0 : 2;
}
