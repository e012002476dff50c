/*
 * sftp_upload: copy a local file to the server over SFTP (blocking).
 *
 *   sftp_upload HOST PORT USER (-k KEY | -p PASSWORD) LOCAL REMOTE
 *
 * The remote file is created with mode 0644 or truncated if it exists.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

#include <libssh2_sftp.h>

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *file;
    FILE *in;
    char buf[32768];
    long long total = 0;
    size_t got;
    int fd;

    if(argc != 8) {
        fprintf(stderr, "usage: %s HOST PORT USER (-k KEY | -p PASSWORD) LOCAL REMOTE\n",
                argv[0]);
        return 1;
    }
    in = fopen(argv[6], "rb");
    if(!in) {
        perror(argv[6]);
        return 2;
    }
    session = ex_connect(argc, argv, &fd);

    sftp = libssh2_sftp_init(session);
    if(!sftp)
        ex_die(session, "sftp init");
    file = libssh2_sftp_open(sftp, argv[7],
                             LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
                             LIBSSH2_FXF_TRUNC,
                             LIBSSH2_SFTP_S_IRUSR | LIBSSH2_SFTP_S_IWUSR |
                             LIBSSH2_SFTP_S_IRGRP | LIBSSH2_SFTP_S_IROTH);
    if(!file) {
        fprintf(stderr, "open %s: SFTP status %lu\n", argv[7],
                libssh2_sftp_last_error(sftp));
        return 2;
    }

    while((got = fread(buf, 1, sizeof(buf), in)) > 0) {
        /* sftp_write may accept less than offered: send the rest again. */
        size_t off = 0;
        while(off < got) {
            ssize_t n = libssh2_sftp_write(file, buf + off, got - off);
            if(n < 0)
                ex_die(session, "sftp write");
            off += (size_t)n;
        }
        total += (long long)got;
    }
    fclose(in);
    printf("uploaded %lld bytes\n", total);

    libssh2_sftp_close(file);
    libssh2_sftp_shutdown(sftp);
    ex_disconnect(session, fd);
    return 0;
}
