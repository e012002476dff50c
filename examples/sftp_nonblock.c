/*
 * sftp_nonblock: SFTP download or upload in non-blocking mode.
 *
 *   sftp_nonblock HOST PORT USER (-k KEY | -p PASSWORD) get REMOTE LOCAL
 *   sftp_nonblock HOST PORT USER (-k KEY | -p PASSWORD) put LOCAL REMOTE
 *
 * Every call may return LIBSSH2_ERROR_EAGAIN (or NULL with that error
 * recorded). The rule: wait until the socket is ready in the direction
 * libssh2_session_block_directions() names, then make the SAME call with
 * the SAME arguments again; the library continues where it stopped. An
 * event loop would do other work instead of waiting here.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "example_common.h"

#include <libssh2_sftp.h>

/* Poll timeout per wait; the session has no timeout in non-blocking mode. */
#define WAIT_MS 10000

static int sock;
static LIBSSH2_SESSION *session;

/* Wait for the socket; count the waits to show they happen. */
static long waits;
static void wait_ready(void)
{
    waits++;
    if(ex_wait_socket(sock, session, WAIT_MS) == 0) {
        fprintf(stderr, "timed out waiting for the server\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *file;
    char buf[32768];
    long long total = 0;
    int put;

    if(argc != 9 || (strcmp(argv[6], "get") && strcmp(argv[6], "put"))) {
        fprintf(stderr, "usage: %s HOST PORT USER (-k KEY | -p PASSWORD) "
                "(get REMOTE LOCAL | put LOCAL REMOTE)\n", argv[0]);
        return 1;
    }
    put = !strcmp(argv[6], "put");
    /* Connect and authenticate in blocking mode, then switch. */
    session = ex_connect(argc, argv, &sock);
    libssh2_session_set_blocking(session, 0);

    while(!(sftp = libssh2_sftp_init(session))) {
        if(libssh2_session_last_errno(session) != LIBSSH2_ERROR_EAGAIN)
            ex_die(session, "sftp init");
        wait_ready();
    }

    if(put) {
        FILE *in = fopen(argv[7], "rb");
        size_t got;
        if(!in) {
            perror(argv[7]);
            return 2;
        }
        while(!(file = libssh2_sftp_open(sftp, argv[8],
                                         LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
                                         LIBSSH2_FXF_TRUNC, 0644))) {
            if(libssh2_session_last_errno(session) != LIBSSH2_ERROR_EAGAIN)
                ex_die(session, "sftp open");
            wait_ready();
        }
        while((got = fread(buf, 1, sizeof(buf), in)) > 0) {
            size_t off = 0;
            while(off < got) {
                ssize_t n = libssh2_sftp_write(file, buf + off, got - off);
                if(n == LIBSSH2_ERROR_EAGAIN) {
                    wait_ready();
                    continue;
                }
                if(n < 0)
                    ex_die(session, "sftp write");
                off += (size_t)n;
            }
            total += (long long)got;
        }
        fclose(in);
    }
    else {
        FILE *out;
        ssize_t n;
        while(!(file = libssh2_sftp_open(sftp, argv[7], LIBSSH2_FXF_READ, 0))) {
            if(libssh2_session_last_errno(session) != LIBSSH2_ERROR_EAGAIN)
                ex_die(session, "sftp open");
            wait_ready();
        }
        out = fopen(argv[8], "wb");
        if(!out) {
            perror(argv[8]);
            return 2;
        }
        for(;;) {
            n = libssh2_sftp_read(file, buf, sizeof(buf));
            if(n == LIBSSH2_ERROR_EAGAIN) {
                wait_ready();
                continue;
            }
            if(n < 0)
                ex_die(session, "sftp read");
            if(n == 0)
                break;
            fwrite(buf, 1, (size_t)n, out);
            total += n;
        }
        fclose(out);
    }

    while(libssh2_sftp_close(file) == LIBSSH2_ERROR_EAGAIN)
        wait_ready();
    while(libssh2_sftp_shutdown(sftp) == LIBSSH2_ERROR_EAGAIN)
        wait_ready();
    printf("%s %lld bytes (waited for the socket %ld times)\n",
           put ? "uploaded" : "downloaded", total, waits);

    libssh2_session_set_blocking(session, 1);
    ex_disconnect(session, sock);
    return 0;
}
