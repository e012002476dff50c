/*
 * sftp_list: list a remote directory, like "ls -l".
 *
 *   sftp_list HOST PORT USER (-k KEY | -p PASSWORD) [DIRECTORY]
 *
 * Without DIRECTORY the login directory is listed; its absolute name comes
 * from libssh2_sftp_realpath(".").
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

#include <libssh2_sftp.h>

int main(int argc, char **argv)
{
    LIBSSH2_SESSION *session;
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *dir;
    char path[1024], name[512], longentry[1024];
    int fd, n, count = 0;

    if(argc != 6 && argc != 7) {
        fprintf(stderr, "usage: %s HOST PORT USER (-k KEY | -p PASSWORD) [DIRECTORY]\n",
                argv[0]);
        return 1;
    }
    session = ex_connect(argc, argv, &fd);
    sftp = libssh2_sftp_init(session);
    if(!sftp)
        ex_die(session, "sftp init");

    n = libssh2_sftp_realpath(sftp, argc == 7 ? argv[6] : ".", path,
                              sizeof(path) - 1);
    if(n < 0)
        ex_die(session, "realpath");
    path[n] = '\0';
    printf("%s:\n", path);

    dir = libssh2_sftp_opendir(sftp, path);
    if(!dir)
        ex_die(session, "opendir");
    for(;;) {
        LIBSSH2_SFTP_ATTRIBUTES attrs;
        n = libssh2_sftp_readdir_ex(dir, name, sizeof(name), longentry,
                                    sizeof(longentry), &attrs);
        if(n < 0)
            ex_die(session, "readdir");
        if(n == 0)
            break; /* no more entries */
        count++;
        /* Servers format the long entry themselves; fall back to our own
         * line from the attributes when there is none. */
        if(longentry[0])
            printf("%s\n", longentry);
        else
            printf("%c %10llu %s\n",
                   LIBSSH2_SFTP_S_ISDIR(attrs.permissions) ? 'd' : '-',
                   (unsigned long long)attrs.filesize, name);
    }
    printf("%d entries\n", count);

    libssh2_sftp_closedir(dir);
    libssh2_sftp_shutdown(sftp);
    ex_disconnect(session, fd);
    return 0;
}
