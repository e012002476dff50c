/*
 * SFTP throughput with the libssh2 API, so the same program measures this
 * library and upstream libssh2 (link it against either):
 *
 *   sftp_bench put|get REMOTE_PATH MIB BUFSIZE
 *
 * Uses the fixture environment (tests/c/fixture.h). put uploads MIB MiB of
 * a repeating pattern written BUFSIZE bytes per libssh2_sftp_write call;
 * get reads the file BUFSIZE bytes per libssh2_sftp_read call. Prints MB/s
 * and a checksum of every 4096th byte, so runs can be compared for equality.
 */
#include "fixture.h"

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <stdint.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct fixture f;
    LIBSSH2_SESSION *s;
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *h;
    size_t bufsize, total, done = 0;
    char *buf;
    uint64_t sum = 0;
    double t0, dt;
    int fd, put;

    if(argc != 5 || fixture_load(&f))
        return 2;
    put = !strcmp(argv[1], "put");
    total = (size_t)atol(argv[3]) << 20;
    bufsize = (size_t)atol(argv[4]);
    buf = malloc(bufsize);
    if(!buf)
        return 2;
    if(libssh2_init(0))
        return 1;
    fd = fixture_connect(&f);
    s = libssh2_session_init();
    if(fd < 0 || !s || libssh2_session_handshake(s, fd) ||
       libssh2_userauth_publickey_fromfile(s, f.user, NULL, f.key, NULL)) {
        fprintf(stderr, "login failed\n");
        return 1;
    }
    sftp = libssh2_sftp_init(s);
    if(!sftp)
        return 1;
    h = libssh2_sftp_open(sftp, argv[2],
                          put ? (LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
                                 LIBSSH2_FXF_TRUNC) : LIBSSH2_FXF_READ,
                          0644);
    if(!h) {
        fprintf(stderr, "open failed: %lu\n", libssh2_sftp_last_error(sftp));
        return 1;
    }
    t0 = now();
    if(put) {
        size_t i;
        for(i = 0; i < bufsize; i++)
            buf[i] = (char)(i * 131 + 7);
        while(done < total) {
            size_t want = total - done < bufsize ? total - done : bufsize;
            size_t off = 0;
            while(off < want) {
                ssize_t n = libssh2_sftp_write(h, buf + off, want - off);
                if(n <= 0) {
                    fprintf(stderr, "write: %zd\n", n);
                    return 1;
                }
                off += (size_t)n;
            }
            done += want;
        }
    }
    else {
        for(;;) {
            ssize_t n = libssh2_sftp_read(h, buf, bufsize);
            ssize_t i;
            if(n < 0) {
                fprintf(stderr, "read: %zd\n", n);
                return 1;
            }
            if(n == 0)
                break;
            /* sample the bytes at absolute offsets 0, 4096, ... */
            for(i = (ssize_t)((4096 - done % 4096) % 4096); i < n; i += 4096)
                sum = sum * 31 + (unsigned char)buf[i];
            done += (size_t)n;
        }
    }
    libssh2_sftp_close(h);
    dt = now() - t0;
    printf("%s %zu MiB buf %zu: %.1f MB/s (%.2f s) sum %llu\n", argv[1],
           done >> 20, bufsize, (double)done / 1e6 / dt, dt,
           (unsigned long long)sum);
    libssh2_sftp_shutdown(sftp);
    libssh2_session_disconnect(s, "bye");
    libssh2_session_free(s);
    close(fd);
    libssh2_exit();
    return 0;
}
