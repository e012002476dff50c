/*
 * sftp_download: copy a remote file to a local file over SFTP (blocking).
 *
 *   sftp_download HOST PORT USER (-k KEY | -p PASSWORD) REMOTE LOCAL
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
    LIBSSH2_SFTP_ATTRIBUTES attrs;
    FILE *out;
    char buf[32768];
    long long total = 0;
    ssize_t n;
    int fd;

    if(argc != 8) {
        fprintf(stderr, "usage: %s HOST PORT USER (-k KEY | -p PASSWORD) REMOTE LOCAL\n",
                argv[0]);
        return 1;
    }
    session = ex_connect(argc, argv, &fd);

    sftp = libssh2_sftp_init(session);
    if(!sftp)
        ex_die(session, "sftp init");

    file = libssh2_sftp_open(sftp, argv[6], LIBSSH2_FXF_READ, 0);
    if(!file) {
        /* The server's reason (no such file, permission...) is separate. */
        fprintf(stderr, "open %s: SFTP status %lu\n", argv[6],
                libssh2_sftp_last_error(sftp));
        return 2;
    }
    if(libssh2_sftp_fstat(file, &attrs) == 0 &&
       (attrs.flags & LIBSSH2_SFTP_ATTR_SIZE))
        fprintf(stderr, "remote size %llu bytes\n",
                (unsigned long long)attrs.filesize);

    out = fopen(argv[7], "wb");
    if(!out) {
        perror(argv[7]);
        return 2;
    }
    /* Large reads let the library keep several requests in flight. */
    while((n = libssh2_sftp_read(file, buf, sizeof(buf))) > 0) {
        fwrite(buf, 1, (size_t)n, out);
        total += n;
    }
    if(n < 0)
        ex_die(session, "sftp read");
    fclose(out);
    printf("downloaded %lld bytes\n", total);

    libssh2_sftp_close(file);
    libssh2_sftp_shutdown(sftp);
    ex_disconnect(session, fd);
    return 0;
}
