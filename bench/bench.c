/*
 * One benchmark client for libssh2-compatible libraries.
 *
 * Compiled once against the project's include/ headers; bench/run.sh runs the
 * same binary on our library and on the reference libssh2 by switching
 * LD_LIBRARY_PATH. It measures wall time itself (CLOCK_MONOTONIC); CPU time
 * and peak RSS are measured from outside by the harness (wait4 rusage).
 *
 *   bench MODE -h HOST -P PORT -u USER -k PRIVKEY [options]
 *
 * MODE:
 *   handshake  connect + handshake + public key auth + disconnect, -n times
 *   exec       read the stdout of `cat REMOTE` until EOF
 *   sftp-get   read REMOTE over SFTP, -b bytes per libssh2_sftp_read call
 *   sftp-put   write -s bytes of LOCAL to REMOTE over SFTP, -b bytes a call
 *   scp-get    receive REMOTE over SCP
 *   scp-put    send -s bytes of LOCAL to REMOTE over SCP
 *
 * Options:
 *   -c CIPHER  -m MAC  -x KEX   method preferences (both directions)
 *   -r REMOTE  -l LOCAL  -s SIZE  -b BUFSIZE  -n ITERATIONS
 *   -t SECONDS stop a transfer after this long and report what was moved
 *
 * Output: one line on stdout, `ok key=value ...` or `fail error=...`; the exit
 * status is 0 only for `ok`. Data read is discarded (no local file write), so
 * the figures are those of the library, not of the local disk.
 */
#define _GNU_SOURCE
#include <libssh2.h>
#include <libssh2_sftp.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Default caller buffer for libssh2_*_read/write calls. */
#define DEFAULT_BUFSIZE (1024 * 1024)
/* Default handshake iterations per process. */
#define DEFAULT_ITERATIONS 10
/* Upper bound on -n so the per-iteration array stays small. */
#define MAX_ITERATIONS 1000
/* Upper bound on -b. */
#define MAX_BUFSIZE (64 * 1024 * 1024)

struct opts {
    const char *mode, *host, *user, *key, *cipher, *mac, *kex, *remote, *local;
    int port, iterations;
    long long size;
    size_t bufsize;
    double max_seconds;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(LIBSSH2_SESSION *s, const char *what, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, what);
    vsnprintf(msg, sizeof msg, what, ap);
    va_end(ap);
    if(s) {
        char *err = NULL;
        int code = libssh2_session_last_error(s, &err, NULL, 0);
        printf("fail error=\"%s: %d %s\"\n", msg, code, err ? err : "");
    }
    else {
        printf("fail error=\"%s\"\n", msg);
    }
    fflush(stdout);
    exit(1);
}

/* A library that lacks an export fails cleanly instead of dying in the
   dynamic linker (the binary is linked with -z lazy). */
static void need(const char *symbol)
{
    if(!dlsym(RTLD_DEFAULT, symbol))
        fail(NULL, "library lacks %s", symbol);
}

static int tcp_connect(const char *host, int port)
{
    struct sockaddr_in sin;
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    if(sock < 0)
        fail(NULL, "socket: %s", strerror(errno));
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)port);
    if(inet_pton(AF_INET, host, &sin.sin_addr) != 1)
        fail(NULL, "bad IPv4 address %s", host);
    if(connect(sock, (struct sockaddr *)&sin, sizeof sin) != 0)
        fail(NULL, "connect %s:%d: %s", host, port, strerror(errno));
    return sock;
}

struct conn {
    int sock;
    LIBSSH2_SESSION *s;
};

static void pref(LIBSSH2_SESSION *s, int type, const char *value)
{
    if(value && libssh2_session_method_pref(s, type, value) != 0)
        fail(s, "method_pref %d %s", type, value);
}

static struct conn open_session(const struct opts *o)
{
    struct conn c;
    char pub[4096];
    c.sock = tcp_connect(o->host, o->port);
    c.s = libssh2_session_init();
    if(!c.s)
        fail(NULL, "session_init");
    pref(c.s, LIBSSH2_METHOD_CRYPT_CS, o->cipher);
    pref(c.s, LIBSSH2_METHOD_CRYPT_SC, o->cipher);
    pref(c.s, LIBSSH2_METHOD_MAC_CS, o->mac);
    pref(c.s, LIBSSH2_METHOD_MAC_SC, o->mac);
    pref(c.s, LIBSSH2_METHOD_KEX, o->kex);
    libssh2_session_set_blocking(c.s, 1);
    if(libssh2_session_handshake(c.s, c.sock) != 0)
        fail(c.s, "handshake");
    snprintf(pub, sizeof pub, "%s.pub", o->key);
    if(libssh2_userauth_publickey_fromfile(c.s, o->user, pub, o->key, NULL))
        fail(c.s, "publickey auth as %s with %s", o->user, o->key);
    return c;
}

static void close_session(struct conn *c)
{
    libssh2_session_disconnect(c->s, "bench done");
    libssh2_session_free(c->s);
    close(c->sock);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run_handshake(const struct opts *o)
{
    static double t[MAX_ITERATIONS];
    double start = now(), total;
    int i;
    for(i = 0; i < o->iterations; i++) {
        double t0 = now();
        struct conn c = open_session(o);
        close_session(&c);
        t[i] = now() - t0;
    }
    total = now() - start;
    qsort(t, (size_t)o->iterations, sizeof t[0], cmp_double);
    printf("ok iterations=%d median_s=%.6f min_s=%.6f total_s=%.6f\n",
           o->iterations, t[o->iterations / 2], t[0], total);
    return 0;
}

/* The data source of the put modes: LOCAL, opened and checked. */
static int open_local(const struct opts *o)
{
    struct stat st;
    int fd;
    if(!o->local)
        fail(NULL, "put needs -l LOCAL");
    fd = open(o->local, O_RDONLY);
    if(fd < 0 || fstat(fd, &st) != 0)
        fail(NULL, "open %s: %s", o->local, strerror(errno));
    if(st.st_size < o->size)
        fail(NULL, "%s is smaller than -s %lld", o->local, o->size);
    return fd;
}

static void report(long long bytes, double t_transfer, double t_total, int capped)
{
    printf("ok bytes=%lld transfer_s=%.6f total_s=%.6f capped=%d\n", bytes,
           t_transfer, t_total, capped);
}

static int run_exec(const struct opts *o, char *buf)
{
    double t0 = now(), t1, t2;
    struct conn c = open_session(o);
    LIBSSH2_CHANNEL *ch;
    char cmd[4200];
    long long got = 0;
    int capped = 0;
    snprintf(cmd, sizeof cmd, "cat '%s'", o->remote);
    t1 = now();
    ch = libssh2_channel_open_session(c.s);
    if(!ch)
        fail(c.s, "channel_open_session");
    if(libssh2_channel_exec(ch, cmd) != 0)
        fail(c.s, "exec");
    for(;;) {
        ssize_t n = libssh2_channel_read(ch, buf, o->bufsize);
        if(n < 0)
            fail(c.s, "channel_read after %lld bytes", got);
        if(n == 0)
            break;
        got += n;
        if(o->max_seconds > 0 && now() - t1 > o->max_seconds) {
            capped = 1;
            break;
        }
    }
    if(!capped) {
        libssh2_channel_close(ch);
        libssh2_channel_wait_closed(ch);
        if(libssh2_channel_get_exit_status(ch) != 0)
            fail(c.s, "cat exited %d", libssh2_channel_get_exit_status(ch));
    }
    libssh2_channel_free(ch);
    t2 = now();
    close_session(&c);
    report(got, t2 - t1, now() - t0, capped);
    return 0;
}

static int run_sftp(const struct opts *o, char *buf, int put)
{
    double t0 = now(), t1, t2;
    struct conn c;
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *h;
    long long moved = 0;
    int capped = 0, fd = -1;
    need("libssh2_sftp_init");
    need(put ? "libssh2_sftp_write" : "libssh2_sftp_read");
    if(put)
        fd = open_local(o);
    c = open_session(o);
    t1 = now();
    sftp = libssh2_sftp_init(c.s);
    if(!sftp)
        fail(c.s, "sftp_init");
    h = libssh2_sftp_open(sftp, o->remote,
                          put ? LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
                                    LIBSSH2_FXF_TRUNC
                              : LIBSSH2_FXF_READ,
                          0644);
    if(!h)
        fail(c.s, "sftp_open %s", o->remote);
    for(;;) {
        if(put) {
            size_t want = o->bufsize, off = 0;
            ssize_t r;
            if((long long)want > o->size - moved)
                want = (size_t)(o->size - moved);
            if(want == 0)
                break;
            r = read(fd, buf, want);
            if(r <= 0)
                fail(NULL, "read %s: %s", o->local, strerror(errno));
            while(off < (size_t)r) {
                ssize_t n = libssh2_sftp_write(h, buf + off, (size_t)r - off);
                if(n < 0)
                    fail(c.s, "sftp_write after %lld bytes", moved);
                off += (size_t)n;
            }
            moved += r;
        }
        else {
            ssize_t n = libssh2_sftp_read(h, buf, o->bufsize);
            if(n < 0)
                fail(c.s, "sftp_read after %lld bytes", moved);
            if(n == 0)
                break;
            moved += n;
        }
        if(o->max_seconds > 0 && now() - t1 > o->max_seconds) {
            capped = 1;
            break;
        }
    }
    if(libssh2_sftp_close(h) != 0)
        fail(c.s, "sftp_close");
    libssh2_sftp_shutdown(sftp);
    t2 = now();
    close_session(&c);
    if(fd >= 0)
        close(fd);
    report(moved, t2 - t1, now() - t0, capped);
    return 0;
}

static int run_scp_get(const struct opts *o, char *buf)
{
    double t0 = now(), t1, t2;
    struct conn c;
    LIBSSH2_CHANNEL *ch;
    libssh2_struct_stat sb;
    long long got = 0;
    int capped = 0;
    need("libssh2_scp_recv2");
    c = open_session(o);
    t1 = now();
    memset(&sb, 0, sizeof sb);
    ch = libssh2_scp_recv2(c.s, o->remote, &sb);
    if(!ch)
        fail(c.s, "scp_recv2 %s", o->remote);
    while(got < (long long)sb.st_size) {
        size_t want = o->bufsize;
        ssize_t n;
        if((long long)want > (long long)sb.st_size - got)
            want = (size_t)((long long)sb.st_size - got);
        n = libssh2_channel_read(ch, buf, want);
        if(n < 0)
            fail(c.s, "scp read after %lld bytes", got);
        if(n == 0)
            fail(c.s, "scp: early EOF after %lld of %lld bytes", got,
                 (long long)sb.st_size);
        got += n;
        if(o->max_seconds > 0 && now() - t1 > o->max_seconds) {
            capped = 1;
            break;
        }
    }
    libssh2_channel_free(ch);
    t2 = now();
    close_session(&c);
    report(got, t2 - t1, now() - t0, capped);
    return 0;
}

static int run_scp_put(const struct opts *o, char *buf)
{
    double t0 = now(), t1, t2;
    struct conn c;
    LIBSSH2_CHANNEL *ch;
    long long sent = 0;
    int capped = 0, fd;
    need("libssh2_scp_send64");
    fd = open_local(o);
    c = open_session(o);
    t1 = now();
    ch = libssh2_scp_send64(c.s, o->remote, 0644, (libssh2_int64_t)o->size, 0,
                            0);
    if(!ch)
        fail(c.s, "scp_send64 %s", o->remote);
    while(sent < o->size) {
        size_t want = o->bufsize, off = 0;
        ssize_t r;
        if((long long)want > o->size - sent)
            want = (size_t)(o->size - sent);
        r = read(fd, buf, want);
        if(r <= 0)
            fail(NULL, "read %s: %s", o->local, strerror(errno));
        while(off < (size_t)r) {
            ssize_t n = libssh2_channel_write(ch, buf + off, (size_t)r - off);
            if(n < 0)
                fail(c.s, "scp write after %lld bytes", sent);
            off += (size_t)n;
        }
        sent += r;
        if(o->max_seconds > 0 && now() - t1 > o->max_seconds) {
            capped = 1;
            break;
        }
    }
    if(!capped) {
        libssh2_channel_send_eof(ch);
        libssh2_channel_wait_eof(ch);
        libssh2_channel_wait_closed(ch);
    }
    libssh2_channel_free(ch);
    t2 = now();
    close_session(&c);
    close(fd);
    report(sent, t2 - t1, now() - t0, capped);
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench handshake|exec|sftp-get|sftp-put|scp-get|scp-put\n"
            "  -h HOST -P PORT -u USER -k PRIVKEY [-c CIPHER] [-m MAC] [-x KEX]\n"
            "  [-r REMOTE] [-l LOCAL] [-s SIZE] [-b BUFSIZE] [-n N] [-t SECONDS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct opts o;
    char *buf;
    int opt, rc;
    memset(&o, 0, sizeof o);
    o.host = "127.0.0.1";
    o.bufsize = DEFAULT_BUFSIZE;
    o.iterations = DEFAULT_ITERATIONS;
    if(argc < 2)
        usage();
    o.mode = argv[1];
    optind = 2;
    while((opt = getopt(argc, argv, "h:P:u:k:c:m:x:r:l:s:b:n:t:")) != -1) {
        switch(opt) {
        case 'h': o.host = optarg; break;
        case 'P': o.port = atoi(optarg); break;
        case 'u': o.user = optarg; break;
        case 'k': o.key = optarg; break;
        case 'c': o.cipher = optarg; break;
        case 'm': o.mac = optarg; break;
        case 'x': o.kex = optarg; break;
        case 'r': o.remote = optarg; break;
        case 'l': o.local = optarg; break;
        case 's': o.size = atoll(optarg); break;
        case 'b': o.bufsize = (size_t)atol(optarg); break;
        case 'n': o.iterations = atoi(optarg); break;
        case 't': o.max_seconds = atof(optarg); break;
        default: usage();
        }
    }
    if(!o.port || !o.user || !o.key || o.bufsize == 0 ||
       o.bufsize > MAX_BUFSIZE || o.iterations < 1 ||
       o.iterations > MAX_ITERATIONS)
        usage();
    if(strcmp(o.mode, "handshake") && !o.remote)
        usage();
    if(libssh2_init(0) != 0)
        fail(NULL, "libssh2_init");
    {
        /* Which library the loader picked: the harness checks it. */
        Dl_info info;
        if(dladdr((void *)libssh2_init, &info) && info.dli_fname)
            fprintf(stderr, "bench: library %s\n", info.dli_fname);
    }
    buf = malloc(o.bufsize);
    if(!buf)
        fail(NULL, "malloc");
    if(!strcmp(o.mode, "handshake"))
        rc = run_handshake(&o);
    else if(!strcmp(o.mode, "exec"))
        rc = run_exec(&o, buf);
    else if(!strcmp(o.mode, "sftp-get"))
        rc = run_sftp(&o, buf, 0);
    else if(!strcmp(o.mode, "sftp-put"))
        rc = run_sftp(&o, buf, 1);
    else if(!strcmp(o.mode, "scp-get"))
        rc = run_scp_get(&o, buf);
    else if(!strcmp(o.mode, "scp-put"))
        rc = run_scp_put(&o, buf);
    else
        usage();
    free(buf);
    libssh2_exit();
    fflush(stdout);
    return rc;
}
