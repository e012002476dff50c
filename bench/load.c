/*
 * Many sessions at once: the load client of bench/load.sh and of
 * scripts/load-test.sh (issue 19), for any libssh2-compatible library.
 *
 * Compiled once against include/; the runners select the library with
 * LD_LIBRARY_PATH, as bench/run.sh does for bench.c. The sshd comes from
 * scripts/sshd-fixture.sh: its DIR/env must be in the environment.
 *
 *   load MODE [options]
 *
 * MODE:
 *   sessions  -n sessions spread over -T threads, all started at once; each
 *             connects, handshakes, authenticates by public key, then SFTP
 *             gets a -s byte file and puts -s bytes back, every byte checked
 *   channels  one session, -c SFTP channels on it at once (one sftp_init
 *             each), each doing the same get + put, all driven by one thread
 *   soak      -n sessions one after another (connect, handshake, auth, a
 *             -s byte get + put, disconnect, free) on one thread, sampling
 *             the resident set every -i sessions
 *   stall     two threads sharing nothing: A's sshd processes are stopped
 *             (SIGSTOP) while A is in an SFTP transfer; B must then connect,
 *             move -s bytes each way and do -r round trips while A is still
 *             blocked in its libssh2 call; then A is resumed and must finish
 *
 * Options:
 *   -n N  -T THREADS  -c CHANNELS  -s SIZE  -b BUFSIZE (K/M/G suffixes)
 *   -d DIR      server directory for the source file and the uploads; the
 *               sshd is on this machine, so DIR is also read here to create
 *               the source file and to check every upload (default /dev/shm)
 *   -i EVERY    soak: RSS sample interval in sessions
 *   -r N        stall: SFTP round trips B does while A is blocked
 *   -K SECONDS  no kicks: a session is stepped only when poll() wakes it, and
 *               one left waiting this long fails ("stuck"), as a program that
 *               trusts libssh2_session_block_directions() would hang
 *   -N          set TCP_NODELAY on the client sockets: for tests that count
 *               sessions, not time (Nagle would add up to ~40 ms a round trip)
 *   -x KEX  -C CIPHER   method preferences (default curve25519-sha256 and
 *               aes128-gcm@openssh.com, so both libraries do the same work)
 *
 * sessions, channels and soak drive every session in non-blocking mode from
 * a poll() loop (libssh2 sessions are not thread-safe: each belongs to one
 * thread), so a thread holds many sessions at once.
 *
 * Output: one line on stdout, `ok key=value ...` or `fail key=value ...`
 * (exit status 0 only for ok); errors of single sessions go to stderr.
 * wall_s is the measured phase; user_s and sys_s are this process's
 * getrusage() and hwm_kib its peak RSS (VmHWM) at its end (uploads are checked afterwards, outside
 * those figures). lat_* are connect + kex + auth times per session.
 */
#define _GNU_SOURCE
#include <libssh2.h>
#include <libssh2_sftp.h>

#include "fixture.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define KIB 1024L
#define MIB (1024L * 1024)

#define DEFAULT_SESSIONS 20
#define DEFAULT_THREADS 8
#define DEFAULT_CHANNELS 16
#define DEFAULT_SIZE MIB
/* Caller buffer per libssh2_sftp_read/write call, as bench.c's default. */
#define DEFAULT_BUFSIZE MIB
#define DEFAULT_SAMPLE_EVERY 100
#define DEFAULT_ROUND_TRIPS 50
#define DEFAULT_DIR "/dev/shm"
#define DEFAULT_KEX "curve25519-sha256"
#define DEFAULT_CIPHER "aes128-gcm@openssh.com"
#define MAX_SESSIONS 100000
#define MAX_THREADS 256
#define MAX_CHANNELS 256
#define MAX_SIZE (4096L * MIB)
#define MAX_BUFSIZE (64 * MIB)
/* poll() timeout: a session not woken for this long is stepped anyway, in
   case a library returned EAGAIN with data already in hand (counted as a
   "kick"; a correct library never needs one). Short, so that a library that
   needs kicks loses little wall time to them. */
#define POLL_MS 100
/* libssh2 calls one session may make per turn before the others get theirs. */
#define MAX_CALLS_PER_TURN 64
/* A session that makes no progress for this long fails. */
#define NO_PROGRESS_S 300.0
/* libssh2's own timeout for blocking calls (cleanup and the stall test's B). */
#define BLOCKING_TIMEOUT_MS 120000
/* Session errors printed on stderr; the rest are only counted. */
#define MAX_ERRORS_SHOWN 10
#define ERRLEN 256
/* stall: A counts as blocked once it has sat in one call this long. */
#define STUCK_MS 500
/* stall: bounds on the waits, so a broken library fails instead of hanging. */
#define READY_TIMEOUT_S 60.0
#define B_TIMEOUT_S 60.0
#define A_FINISH_TIMEOUT_S 120.0
/* stall: sshd processes of A's connection that may be stopped. */
#define MAX_STOPPED 16
#define SEED 0x9e3779b97f4a7c15ULL

struct cfg {
    const char *mode, *dir, *kex, *cipher;
    struct fixture fx;
    char pubkey[PATH_MAX], src[PATH_MAX];
    long sessions, threads, channels, every, round_trips;
    double stuck_s; /* -K: 0, or kicks off and this long without a wake-up fails */
    long size, bufsize;
    int soak, nodelay;
};

static struct cfg C;
/* The content of the source file, and of every upload. */
static unsigned char *expected;

static void set_nodelay(int sock)
{
    int one = 1;
    if(C.nodelay)
        setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void die(const char *fmt, ...)
{
    va_list ap;
    printf("fail mode=%s error=\"", C.mode ? C.mode : "?");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\"\n");
    fflush(stdout);
    exit(1);
}

static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if(!f)
        return -1;
    if(fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / KIB);
}

/* The peak resident set. Not getrusage's ru_maxrss: Linux carries the
   exec()ing parent's peak into it (a Python harness's ~20 MiB). */
static long hwm_kib(void)
{
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if(!f)
        return -1;
    while(fgets(line, sizeof line, f))
        if(sscanf(line, "VmHWM: %ld", &v) == 1)
            break;
    fclose(f);
    return v;
}

static long parse_size(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if(*end == 'K' || *end == 'k')
        v *= KIB, end++;
    else if(*end == 'M' || *end == 'm')
        v *= MIB, end++;
    else if(*end == 'G' || *end == 'g')
        v *= 1024 * MIB, end++;
    if(*end || v < 0)
        die("bad size %s", s);
    return v;
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += SEED);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The expected content, and the source file on the (local) server with it. */
static void make_source(void)
{
    uint64_t x = 1;
    long i;
    int fd;
    expected = malloc((size_t)C.size);
    if(!expected)
        die("malloc %ld", C.size);
    for(i = 0; i + 8 <= C.size; i += 8) {
        uint64_t v = splitmix(&x);
        memcpy(expected + i, &v, 8);
    }
    for(; i < C.size; i++)
        expected[i] = (unsigned char)splitmix(&x);
    snprintf(C.src, sizeof C.src, "%s/load-src-%ld", C.dir, C.size);
    fd = open(C.src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if(fd < 0 || write(fd, expected, (size_t)C.size) != C.size || close(fd) != 0)
        die("writing %s: %s", C.src, strerror(errno));
}

/* An upload is checked byte for byte here (the server's disk is ours). */
static int check_upload(const char *path, char *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY), ok;
    if(fd < 0) {
        snprintf(err, ERRLEN, "upload %s: %s", path, strerror(errno));
        return -1;
    }
    ok = fstat(fd, &st) == 0 && st.st_size == C.size;
    if(ok) {
        void *m = C.size ? mmap(NULL, (size_t)C.size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
        ok = C.size == 0 || (m != MAP_FAILED && memcmp(m, expected, (size_t)C.size) == 0);
        if(m && m != MAP_FAILED)
            munmap(m, (size_t)C.size);
    }
    close(fd);
    if(!ok)
        snprintf(err, ERRLEN, "upload %s differs from what was sent", path);
    unlink(path);
    return ok ? 0 : -1;
}

/* ---- non-blocking sessions (sessions, channels, soak) ------------------- */

enum { S_CONNECT, S_HANDSHAKE, S_AUTH, S_STREAMS, S_DISCONNECT, S_DONE };
enum { ST_INIT, ST_GET_OPEN, ST_GET_READ, ST_GET_CLOSE, ST_PUT_OPEN, ST_PUT_WRITE, ST_PUT_CLOSE,
       ST_SHUTDOWN, ST_DONE };

/* One SFTP channel: get the source, put it back. */
struct stream {
    int state;
    long off;
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *h;
};

struct sess {
    long id;
    int state, sock, failed, in_use;
    LIBSSH2_SESSION *s;
    double t0, last_progress, last_step;
    struct stream *st;
    char err[ERRLEN];
};

struct worker {
    pthread_t tid;
    long first, count, concurrency;
    unsigned char *buf;
    /* results */
    double *lat; /* connect + kex + auth per session, seconds */
    long nlat, done, failed, kicks, errors_shown;
    long *ok_ids; /* sessions whose uploads are left to check */
    long *rss_samples;
};

static atomic_long total_done;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static void put_path(char *out, long id, long channel)
{
    snprintf(out, PATH_MAX, "%s/load-put-%ld-%ld", C.dir, id, channel);
}

/* Records why session x failed; sftp, when given, explains an SFTP status. */
static void sess_fail(struct worker *w, struct sess *x, const char *what, LIBSSH2_SFTP *sftp)
{
    char *msg = NULL;
    int code = x->s ? libssh2_session_last_error(x->s, &msg, NULL, 0) : 0;
    if(sftp && code == LIBSSH2_ERROR_SFTP_PROTOCOL)
        snprintf(x->err, ERRLEN, "%s: sftp status %lu", what, libssh2_sftp_last_error(sftp));
    else
        snprintf(x->err, ERRLEN, "%s: %d %s", what, code, msg ? msg : "");
    x->failed = 1;
    pthread_mutex_lock(&print_lock);
    if(w->errors_shown++ < MAX_ERRORS_SHOWN)
        fprintf(stderr, "load: session %ld failed: %s\n", x->id, x->err);
    pthread_mutex_unlock(&print_lock);
}

/* One call on a stream: 1 progress, 0 would block, -1 failed. */
static int stream_call(struct worker *w, struct sess *x, struct stream *t, long channel)
{
    char path[PATH_MAX], what[ERRLEN];
    long n;
    int rc;
    switch(t->state) {
    case ST_INIT:
        t->sftp = libssh2_sftp_init(x->s);
        if(!t->sftp) {
            if(libssh2_session_last_errno(x->s) == LIBSSH2_ERROR_EAGAIN)
                return 0;
            sess_fail(w, x, "sftp_init", NULL);
            return -1;
        }
        t->state = ST_GET_OPEN;
        return 1;
    case ST_GET_OPEN:
    case ST_PUT_OPEN: {
        int get = t->state == ST_GET_OPEN;
        if(get)
            snprintf(path, sizeof path, "%s", C.src);
        else
            put_path(path, x->id, channel);
        t->h = libssh2_sftp_open_ex(t->sftp, path, (unsigned int)strlen(path),
                                    get ? LIBSSH2_FXF_READ
                                        : LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
                                    0644, LIBSSH2_SFTP_OPENFILE);
        if(!t->h) {
            if(libssh2_session_last_errno(x->s) == LIBSSH2_ERROR_EAGAIN)
                return 0;
            sess_fail(w, x, get ? "open for get" : "open for put", t->sftp);
            return -1;
        }
        t->off = 0;
        t->state = get ? ST_GET_READ : ST_PUT_WRITE;
        return 1;
    }
    case ST_GET_READ:
        n = (long)libssh2_sftp_read(t->h, (char *)w->buf, (size_t)C.bufsize);
        if(n == LIBSSH2_ERROR_EAGAIN)
            return 0;
        if(n < 0) {
            sess_fail(w, x, "sftp_read", t->sftp);
            return -1;
        }
        if(n == 0) {
            if(t->off != C.size) {
                snprintf(what, sizeof what, "get ended at %ld of %ld bytes", t->off, C.size);
                sess_fail(w, x, what, NULL);
                return -1;
            }
            t->state = ST_GET_CLOSE;
            return 1;
        }
        if(t->off + n > C.size || memcmp(w->buf, expected + t->off, (size_t)n) != 0) {
            snprintf(what, sizeof what, "get: wrong data in bytes %ld-%ld", t->off, t->off + n);
            sess_fail(w, x, what, NULL);
            return -1;
        }
        t->off += n;
        return 1;
    case ST_PUT_WRITE: {
        long len = C.size - t->off < C.bufsize ? C.size - t->off : C.bufsize;
        if(len == 0) {
            t->state = ST_PUT_CLOSE;
            return 1;
        }
        n = (long)libssh2_sftp_write(t->h, (const char *)expected + t->off, (size_t)len);
        if(n == LIBSSH2_ERROR_EAGAIN)
            return 0;
        if(n <= 0) {
            sess_fail(w, x, "sftp_write", t->sftp);
            return -1;
        }
        t->off += n;
        return 1;
    }
    case ST_GET_CLOSE:
    case ST_PUT_CLOSE:
        rc = libssh2_sftp_close_handle(t->h);
        if(rc == LIBSSH2_ERROR_EAGAIN)
            return 0;
        if(rc) {
            sess_fail(w, x, "sftp_close", t->sftp);
            return -1;
        }
        t->h = NULL;
        t->state = t->state == ST_GET_CLOSE ? ST_PUT_OPEN : ST_SHUTDOWN;
        return 1;
    case ST_SHUTDOWN:
        rc = libssh2_sftp_shutdown(t->sftp);
        if(rc == LIBSSH2_ERROR_EAGAIN)
            return 0;
        t->sftp = NULL;
        if(rc) {
            sess_fail(w, x, "sftp_shutdown", NULL);
            return -1;
        }
        t->state = ST_DONE;
        return 1;
    }
    return 0;
}

/* One call on a session: 1 progress, 0 would block, -1 failed. */
static int sess_call(struct worker *w, struct sess *x)
{
    int rc;
    char what[64];
    switch(x->state) {
    case S_CONNECT: {
        struct pollfd p = { x->sock, POLLOUT, 0 };
        int err = 0;
        socklen_t len = sizeof err;
        if(poll(&p, 1, 0) == 0)
            return 0;
        if(getsockopt(x->sock, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
            snprintf(what, sizeof what, "connect: %s", strerror(err ? err : errno));
            sess_fail(w, x, what, NULL);
            return -1;
        }
        x->state = S_HANDSHAKE;
        return 1;
    }
    case S_HANDSHAKE:
        rc = libssh2_session_handshake(x->s, x->sock);
        if(rc == LIBSSH2_ERROR_EAGAIN)
            return 0;
        if(rc) {
            sess_fail(w, x, "handshake", NULL);
            return -1;
        }
        x->state = S_AUTH;
        return 1;
    case S_AUTH:
        rc = libssh2_userauth_publickey_fromfile(x->s, C.fx.user, C.pubkey, C.fx.key, NULL);
        if(rc == LIBSSH2_ERROR_EAGAIN)
            return 0;
        if(rc) {
            sess_fail(w, x, "publickey auth", NULL);
            return -1;
        }
        w->lat[w->nlat++] = now() - x->t0;
        x->state = S_STREAMS;
        return 1;
    case S_STREAMS: {
        /* Channels share the socket: one may read what another waits for,
           so every stream gets a call each round. */
        int progress = 0, all_done = 1;
        long i;
        for(i = 0; i < C.channels; i++) {
            struct stream *t = &x->st[i];
            if(t->state == ST_DONE)
                continue;
            rc = stream_call(w, x, t, i);
            if(rc < 0)
                return -1;
            progress |= rc;
            if(t->state != ST_DONE)
                all_done = 0;
        }
        if(all_done) {
            x->state = S_DISCONNECT;
            return 1;
        }
        return progress;
    }
    case S_DISCONNECT:
        rc = libssh2_session_disconnect(x->s, "load done");
        if(rc == LIBSSH2_ERROR_EAGAIN)
            return 0;
        if(rc) {
            sess_fail(w, x, "disconnect", NULL);
            return -1;
        }
        x->state = S_DONE;
        return 1;
    }
    return 0;
}

static void sess_start(struct worker *w, struct sess *x, long id)
{
    struct sockaddr_in sin;
    memset(x->st, 0, sizeof(*x->st) * (size_t)C.channels);
    x->id = id;
    x->state = S_CONNECT;
    x->failed = 0;
    x->in_use = 1;
    x->err[0] = 0;
    x->t0 = x->last_progress = x->last_step = now();
    x->s = libssh2_session_init();
    x->sock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if(!x->s || x->sock < 0) {
        sess_fail(w, x, "session_init or socket", NULL);
        return;
    }
    set_nodelay(x->sock);
    libssh2_session_method_pref(x->s, LIBSSH2_METHOD_KEX, C.kex);
    libssh2_session_method_pref(x->s, LIBSSH2_METHOD_CRYPT_CS, C.cipher);
    libssh2_session_method_pref(x->s, LIBSSH2_METHOD_CRYPT_SC, C.cipher);
    libssh2_session_set_blocking(x->s, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)C.fx.port);
    inet_pton(AF_INET, C.fx.host, &sin.sin_addr);
    if(connect(x->sock, (struct sockaddr *)&sin, sizeof sin) != 0 && errno != EINPROGRESS) {
        char what[64];
        snprintf(what, sizeof what, "connect: %s", strerror(errno));
        sess_fail(w, x, what, NULL);
    }
}

/* Session over (done or failed): free it and record the outcome. */
static void sess_end(struct worker *w, struct sess *x)
{
    long i;
    if(x->s) {
        /* After a failure channels may be open: free them with a bounded
           blocking wait rather than leaving the session half freed. */
        libssh2_session_set_timeout(x->s, BLOCKING_TIMEOUT_MS);
        libssh2_session_set_blocking(x->s, 1);
        if(x->failed) {
            for(i = 0; i < C.channels; i++) {
                if(x->st[i].h)
                    libssh2_sftp_close_handle(x->st[i].h);
                if(x->st[i].sftp)
                    libssh2_sftp_shutdown(x->st[i].sftp);
            }
        }
        libssh2_session_free(x->s);
        x->s = NULL;
    }
    if(x->sock >= 0)
        close(x->sock);
    x->sock = -1;
    x->in_use = 0;
    if(x->failed) {
        w->failed++;
    }
    else if(C.soak) {
        /* Checked at once: a soak would otherwise pile up uploads. */
        char path[PATH_MAX];
        for(i = 0; i < C.channels && !x->failed; i++) {
            put_path(path, x->id, i);
            if(check_upload(path, x->err)) {
                x->failed = 1;
                fprintf(stderr, "load: session %ld: %s\n", x->id, x->err);
            }
        }
        if(x->failed)
            w->failed++;
        else
            w->done++;
    }
    else {
        w->ok_ids[w->done++] = x->id;
    }
    if(C.soak && C.every > 0) {
        long n = atomic_fetch_add(&total_done, 1) + 1;
        if(n % C.every == 0)
            w->rss_samples[n / C.every - 1] = rss_kib();
    }
}

static short events_of(struct sess *x)
{
    int dirs;
    short ev = 0;
    if(x->state == S_CONNECT)
        return POLLOUT;
    dirs = libssh2_session_block_directions(x->s);
    if(dirs & LIBSSH2_SESSION_BLOCK_INBOUND)
        ev |= POLLIN;
    if(dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        ev |= POLLOUT;
    return ev ? ev : POLLIN;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct sess *xs = calloc((size_t)w->concurrency, sizeof *xs);
    struct pollfd *pf = calloc((size_t)w->concurrency, sizeof *pf);
    int *ready = calloc((size_t)w->concurrency, sizeof *ready);
    long next = 0, active = 0, i;
    if(!xs || !pf || !ready)
        die("out of memory");
    for(i = 0; i < w->concurrency; i++) {
        xs[i].st = calloc((size_t)C.channels, sizeof(struct stream));
        xs[i].sock = -1;
        if(!xs[i].st)
            die("out of memory");
    }
    while(w->done + w->failed < w->count) {
        int timeout = POLL_MS;
        double t;
        for(i = 0; i < w->concurrency && next < w->count; i++) {
            if(!xs[i].in_use) {
                sess_start(w, &xs[i], w->first + next++);
                active++;
                ready[i] = 1;
            }
        }
        for(i = 0; i < w->concurrency; i++) {
            pf[i].fd = xs[i].in_use && !xs[i].failed ? xs[i].sock : -1;
            pf[i].events = pf[i].fd >= 0 ? events_of(&xs[i]) : 0;
            pf[i].revents = 0;
            if(xs[i].in_use && (ready[i] || xs[i].failed))
                timeout = 0;
        }
        if(poll(pf, (nfds_t)w->concurrency, timeout) < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        t = now();
        for(i = 0; i < w->concurrency; i++) {
            struct sess *x = &xs[i];
            int calls = 0, rc = 0, kicked;
            if(!x->in_use)
                continue;
            kicked = !C.stuck_s && !pf[i].revents && !ready[i] && t - x->last_step >= POLL_MS / 1000.0;
            if(kicked && pf[i].fd >= 0) {
                /* Not a kick if the socket has just become ready (after this
                   loop's poll() returned for another session). */
                struct pollfd p = { pf[i].fd, pf[i].events, 0 };
                if(poll(&p, 1, 0) > 0) {
                    pf[i].revents = p.revents;
                    kicked = 0;
                }
            }
            if(!x->failed && (pf[i].revents || ready[i] || kicked)) {
                int state_before = x->state, stream_before = x->st[0].state;
                x->last_step = t;
                while(calls < MAX_CALLS_PER_TURN && (rc = sess_call(w, x)) > 0 && x->state != S_DONE)
                    calls++;
                if(rc > 0 || calls > 0) {
                    x->last_progress = t;
                    if(kicked && w->kicks++ < MAX_ERRORS_SHOWN)
                        fprintf(stderr, "load: session %ld kicked in state %d (stream state %d, "
                                "poll events %d): progress without poll() waking it\n", x->id,
                                state_before, stream_before, pf[i].events);
                }
                ready[i] = calls >= MAX_CALLS_PER_TURN;
            }
            if(!x->failed && x->state != S_DONE && t - x->last_progress > NO_PROGRESS_S)
                sess_fail(w, x, "no progress", NULL);
            if(C.stuck_s && !x->failed && x->state != S_DONE && x->state != S_CONNECT &&
               t - x->last_step > C.stuck_s) {
                char what[ERRLEN];
                snprintf(what, sizeof what, "stuck: EAGAIN, waiting for poll events %d that never came, "
                         "in state %d (stream state %d)", pf[i].events, x->state, x->st[0].state);
                sess_fail(w, x, what, NULL);
            }
            if(x->failed || x->state == S_DONE) {
                sess_end(w, x);
                active--;
            }
        }
    }
    for(i = 0; i < w->concurrency; i++)
        free(xs[i].st);
    free(xs);
    free(pf);
    free(ready);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *v, long n, double p)
{
    long k;
    if(n == 0)
        return 0;
    k = (long)(p / 100.0 * (double)n + 0.999999) - 1;
    return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

static int run_pool(void)
{
    long nthreads = C.threads, i, j, per, rest, first = 0;
    long done = 0, failed = 0, kicks = 0, nlat = 0, base_rss = rss_kib(), nsamples = 0;
    struct worker *ws;
    struct rusage ru;
    double t0, wall, *lat;
    char err[ERRLEN], path[PATH_MAX];
    if(nthreads > C.sessions)
        nthreads = C.sessions;
    ws = calloc((size_t)nthreads, sizeof *ws);
    lat = calloc((size_t)C.sessions, sizeof *lat);
    if(!ws || !lat)
        die("out of memory");
    if(C.soak)
        nsamples = C.sessions / C.every;
    per = C.sessions / nthreads;
    rest = C.sessions % nthreads;
    for(i = 0; i < nthreads; i++) {
        struct worker *w = &ws[i];
        w->first = first;
        w->count = per + (i < rest);
        first += w->count;
        w->concurrency = C.soak ? 1 : w->count;
        w->buf = malloc((size_t)C.bufsize);
        w->lat = calloc((size_t)w->count, sizeof(double));
        w->ok_ids = calloc((size_t)w->count, sizeof(long));
        w->rss_samples = ws[0].rss_samples ? ws[0].rss_samples
                                           : calloc((size_t)nsamples + 1, sizeof(long));
        if(!w->buf || !w->lat || !w->ok_ids || !w->rss_samples)
            die("out of memory");
    }
    t0 = now();
    for(i = 0; i < nthreads; i++)
        if(pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]))
            die("pthread_create");
    for(i = 0; i < nthreads; i++)
        pthread_join(ws[i].tid, NULL);
    wall = now() - t0;
    getrusage(RUSAGE_SELF, &ru);
    /* Outside the measured figures: check every upload. */
    for(i = 0; i < nthreads; i++) {
        struct worker *w = &ws[i];
        for(j = 0; !C.soak && j < w->done * C.channels; j++) {
            put_path(path, w->ok_ids[j / C.channels], j % C.channels);
            if(check_upload(path, err)) {
                fprintf(stderr, "load: %s\n", err);
                failed++;
            }
        }
        done += w->done;
        failed += w->failed;
        kicks += w->kicks;
        memcpy(lat + nlat, w->lat, sizeof(double) * (size_t)w->nlat);
        nlat += w->nlat;
    }
    qsort(lat, (size_t)nlat, sizeof *lat, cmp_double);
    printf("%s mode=%s sessions=%ld threads=%ld channels=%ld size=%ld bufsize=%ld ok_sessions=%ld "
           "failures=%ld wall_s=%.3f user_s=%ld.%06ld sys_s=%ld.%06ld hwm_kib=%ld base_rss_kib=%ld "
           "end_rss_kib=%ld lat_p50_ms=%.1f lat_p99_ms=%.1f lat_max_ms=%.1f kicks=%ld",
           failed ? "fail" : "ok", C.mode, C.sessions, nthreads, C.channels, C.size, C.bufsize, done,
           failed, wall, (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec,
           (long)ru.ru_stime.tv_usec, hwm_kib(), base_rss, rss_kib(), pct(lat, nlat, 50) * 1000,
           pct(lat, nlat, 99) * 1000, nlat ? lat[nlat - 1] * 1000 : 0.0, kicks);
    if(C.soak) {
        printf(" every=%ld rss_kib=", C.every);
        for(i = 0; i < nsamples; i++)
            printf("%s%ld", i ? "," : "", ws[0].rss_samples[i]);
    }
    printf("\n");
    return failed ? 1 : 0;
}

/* ---- stall: one thread's stopped server must not hold up another -------- */

struct blocking {
    int sock;
    LIBSSH2_SESSION *s;
    LIBSSH2_SFTP *sftp;
    char err[ERRLEN];
};

/* A's progress, watched by the main thread. */
static atomic_int a_ready, a_go, a_stop, a_done, a_in_call, b_done;
static atomic_long a_calls, a_bytes;
static pid_t stopped[MAX_STOPPED];
static int nstopped;

static void resume_stopped(void)
{
    int i;
    for(i = 0; i < nstopped; i++)
        kill(stopped[i], SIGCONT);
    nstopped = 0;
}

static void on_signal(int sig)
{
    resume_stopped();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int blk_fail(struct blocking *b, const char *what)
{
    char *msg = NULL;
    int code = b->s ? libssh2_session_last_error(b->s, &msg, NULL, 0) : 0;
    snprintf(b->err, ERRLEN, "%s: %d %s", what, code, msg ? msg : "");
    return -1;
}

static int blk_open(struct blocking *b)
{
    memset(b, 0, sizeof *b);
    b->sock = fixture_connect(&C.fx);
    if(b->sock < 0)
        return blk_fail(b, "connect");
    set_nodelay(b->sock);
    b->s = libssh2_session_init();
    if(!b->s)
        return blk_fail(b, "session_init");
    libssh2_session_method_pref(b->s, LIBSSH2_METHOD_KEX, C.kex);
    libssh2_session_method_pref(b->s, LIBSSH2_METHOD_CRYPT_CS, C.cipher);
    libssh2_session_method_pref(b->s, LIBSSH2_METHOD_CRYPT_SC, C.cipher);
    if(libssh2_session_handshake(b->s, b->sock))
        return blk_fail(b, "handshake");
    if(libssh2_userauth_publickey_fromfile(b->s, C.fx.user, C.pubkey, C.fx.key, NULL))
        return blk_fail(b, "auth");
    b->sftp = libssh2_sftp_init(b->s);
    if(!b->sftp)
        return blk_fail(b, "sftp_init");
    return 0;
}

static void blk_close(struct blocking *b)
{
    if(b->sftp)
        libssh2_sftp_shutdown(b->sftp);
    if(b->s) {
        libssh2_session_disconnect(b->s, "load done");
        libssh2_session_free(b->s);
    }
    if(b->sock >= 0)
        close(b->sock);
}

/* A get of the source file, every byte checked; A marks each call. */
static int blk_get(struct blocking *b, unsigned char *buf, int mark)
{
    LIBSSH2_SFTP_HANDLE *h;
    long off = 0, n;
    if(mark)
        atomic_store(&a_in_call, 1);
    h = libssh2_sftp_open(b->sftp, C.src, LIBSSH2_FXF_READ, 0);
    if(mark) {
        atomic_store(&a_in_call, 0);
        atomic_fetch_add(&a_calls, 1);
    }
    if(!h)
        return blk_fail(b, "open for get");
    for(;;) {
        if(mark)
            atomic_store(&a_in_call, 1);
        n = (long)libssh2_sftp_read(h, (char *)buf, (size_t)C.bufsize);
        if(mark) {
            atomic_store(&a_in_call, 0);
            atomic_fetch_add(&a_calls, 1);
        }
        if(n <= 0)
            break;
        if(off + n > C.size || memcmp(buf, expected + off, (size_t)n)) {
            libssh2_sftp_close(h);
            return blk_fail(b, "get: wrong data");
        }
        off += n;
        if(mark)
            atomic_fetch_add(&a_bytes, n);
    }
    if(mark)
        atomic_store(&a_in_call, 1);
    libssh2_sftp_close(h);
    if(mark) {
        atomic_store(&a_in_call, 0);
        atomic_fetch_add(&a_calls, 1);
    }
    if(n < 0)
        return blk_fail(b, "sftp_read");
    if(off != C.size)
        return blk_fail(b, "get: short");
    return 0;
}

static int blk_put(struct blocking *b, const char *path)
{
    LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open(b->sftp, path,
                                               LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
                                               0644);
    long off = 0, n;
    if(!h)
        return blk_fail(b, "open for put");
    while(off < C.size) {
        long len = C.size - off < C.bufsize ? C.size - off : C.bufsize;
        n = (long)libssh2_sftp_write(h, (const char *)expected + off, (size_t)len);
        if(n <= 0) {
            libssh2_sftp_close(h);
            return blk_fail(b, "sftp_write");
        }
        off += n;
    }
    if(libssh2_sftp_close(h))
        return blk_fail(b, "close after put");
    return check_upload(path, b->err);
}

static struct blocking A, B;
static long b_round_trips;

/* A: gets the source again and again until told to stop. */
static void *thread_a(void *arg)
{
    unsigned char *buf = arg;
    if(blk_open(&A) == 0) {
        atomic_store(&a_ready, 1);
        while(!atomic_load(&a_go))
            sleep_ms(1);
        while(!atomic_load(&a_stop))
            if(blk_get(&A, buf, 1))
                break;
    }
    atomic_store(&a_ready, 1);
    blk_close(&A);
    atomic_store(&a_done, 1);
    return NULL;
}

/* B: a whole session of its own while A is blocked. */
static void *thread_b(void *arg)
{
    unsigned char *buf = arg;
    char put[PATH_MAX];
    LIBSSH2_SFTP_ATTRIBUTES attrs;
    snprintf(put, sizeof put, "%s/load-put-stall-b", C.dir);
    if(blk_open(&B) == 0 && blk_get(&B, buf, 0) == 0 && blk_put(&B, put) == 0) {
        for(b_round_trips = 0; b_round_trips < C.round_trips; b_round_trips++) {
            if(libssh2_sftp_stat(B.sftp, C.src, &attrs)) {
                blk_fail(&B, "stat");
                break;
            }
        }
    }
    blk_close(&B);
    atomic_store(&b_done, 1);
    return NULL;
}

/* The server side of our connection `sock`: the processes holding the
   socket whose remote end is our local port. */
static int find_server_pids(int sock, pid_t *pids, int max)
{
    struct sockaddr_in me;
    socklen_t len = sizeof me;
    char line[512], path[PATH_MAX], link[128], want[64];
    unsigned long inode = 0;
    unsigned lport, rport;
    FILE *f;
    DIR *proc;
    struct dirent *de;
    int n = 0;
    if(getsockname(sock, (struct sockaddr *)&me, &len))
        return 0;
    f = fopen("/proc/net/tcp", "r");
    if(!f)
        return 0;
    while(fgets(line, sizeof line, f)) {
        unsigned long ino;
        if(sscanf(line, " %*d: %*x:%x %*x:%x %*x %*s %*s %*s %*u %*u %lu", &lport, &rport, &ino) == 3 &&
           lport == (unsigned)C.fx.port && rport == ntohs(me.sin_port))
            inode = ino;
    }
    fclose(f);
    if(!inode)
        return 0;
    snprintf(want, sizeof want, "socket:[%lu]", inode);
    proc = opendir("/proc");
    while(proc && (de = readdir(proc)) && n < max) {
        DIR *fds;
        struct dirent *fe;
        if(de->d_name[0] < '0' || de->d_name[0] > '9' || atoi(de->d_name) == getpid())
            continue;
        snprintf(path, sizeof path, "/proc/%s/fd", de->d_name);
        fds = opendir(path);
        while(fds && (fe = readdir(fds))) {
            ssize_t l;
            snprintf(path, sizeof path, "/proc/%s/fd/%s", de->d_name, fe->d_name);
            l = readlink(path, link, sizeof link - 1);
            if(l > 0) {
                link[l] = 0;
                if(!strcmp(link, want)) {
                    pids[n++] = atoi(de->d_name);
                    break;
                }
            }
        }
        if(fds)
            closedir(fds);
    }
    if(proc)
        closedir(proc);
    return n;
}

static int wait_flag(atomic_int *flag, double timeout_s)
{
    double end = now() + timeout_s;
    while(!atomic_load(flag)) {
        if(now() > end)
            return -1;
        sleep_ms(1);
    }
    return 0;
}

static int run_stall(void)
{
    pthread_t ta, tb;
    unsigned char *abuf = malloc((size_t)C.bufsize), *bbuf = malloc((size_t)C.bufsize);
    double t, stuck_since = 0, end;
    long calls_at_stop, seen = -1;
    int i, b_finished, a_still_blocked, ok;
    const char *why = "";
    if(!abuf || !bbuf)
        die("out of memory");
    atexit(resume_stopped);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    pthread_create(&ta, NULL, thread_a, abuf);
    if(wait_flag(&a_ready, READY_TIMEOUT_S) || A.err[0])
        die("session A did not start: %s", A.err[0] ? A.err : "timeout");
    atomic_store(&a_go, 1);
    /* Stopped mid-transfer: once A has data flowing. */
    end = now() + READY_TIMEOUT_S;
    while(atomic_load(&a_bytes) < C.size && !atomic_load(&a_done) && now() < end)
        sleep_ms(1);
    nstopped = find_server_pids(A.sock, stopped, MAX_STOPPED);
    if(!nstopped)
        die("no sshd process found for session A's connection");
    for(i = 0; i < nstopped; i++)
        kill(stopped[i], SIGSTOP);
    /* A drains what was already sent, then sits in one call. */
    end = now() + READY_TIMEOUT_S;
    for(;;) {
        long c = atomic_load(&a_calls);
        t = now();
        if(atomic_load(&a_done))
            die("session A ended while its server was stopped: %s", A.err[0] ? A.err : "no error");
        if(atomic_load(&a_in_call) && c == seen) {
            if(t - stuck_since >= STUCK_MS / 1000.0)
                break;
        }
        else {
            seen = c;
            stuck_since = t;
        }
        if(t > end)
            die("session A never blocked with its server stopped (%ld calls)", c);
        sleep_ms(10);
    }
    calls_at_stop = atomic_load(&a_calls);
    t = now();
    pthread_create(&tb, NULL, thread_b, bbuf);
    b_finished = wait_flag(&b_done, B_TIMEOUT_S) == 0;
    a_still_blocked = atomic_load(&a_in_call) && atomic_load(&a_calls) == calls_at_stop;
    ok = b_finished && !B.err[0] && b_round_trips == C.round_trips && a_still_blocked;
    if(!b_finished)
        why = "session B did not finish while A was blocked";
    else if(B.err[0])
        why = B.err;
    else if(!a_still_blocked)
        why = "session A's call returned before B finished (the stall did not hold)";
    /* Let A go: its call must return and its transfer complete intact. */
    resume_stopped();
    atomic_store(&a_stop, 1);
    if(wait_flag(&a_done, A_FINISH_TIMEOUT_S))
        die("session A did not finish after its server resumed (B %s)", b_finished ? "done" : "stuck");
    pthread_join(ta, NULL);
    if(!b_finished && wait_flag(&b_done, B_TIMEOUT_S))
        die("session B never finished, even after A's server resumed");
    pthread_join(tb, NULL);
    if(ok && A.err[0]) {
        ok = 0;
        why = A.err;
    }
    printf("%s mode=stall size=%ld a_bytes=%ld a_blocked_calls=%ld b_round_trips=%ld b_s=%.3f",
           ok ? "ok" : "fail", C.size, atomic_load(&a_bytes), calls_at_stop, b_round_trips, now() - t);
    if(!ok)
        printf(" error=\"%s\"", why);
    printf("\n");
    return ok ? 0 : 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: load sessions|channels|soak|stall [-n N] [-T THREADS] [-c CHANNELS] "
                    "[-s SIZE] [-b BUFSIZE] [-d DIR] [-i EVERY] [-r ROUNDTRIPS] [-x KEX] [-C CIPHER] [-N] [-K SECONDS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int opt, rc;
    Dl_info info;
    if(argc < 2)
        usage();
    memset(&C, 0, sizeof C);
    C.mode = argv[1];
    C.sessions = DEFAULT_SESSIONS;
    C.threads = DEFAULT_THREADS;
    C.channels = 1;
    C.size = DEFAULT_SIZE;
    C.bufsize = DEFAULT_BUFSIZE;
    C.every = DEFAULT_SAMPLE_EVERY;
    C.round_trips = DEFAULT_ROUND_TRIPS;
    C.dir = DEFAULT_DIR;
    C.kex = DEFAULT_KEX;
    C.cipher = DEFAULT_CIPHER;
    if(!strcmp(C.mode, "channels"))
        C.channels = DEFAULT_CHANNELS;
    optind = 2;
    while((opt = getopt(argc, argv, "n:T:c:s:b:d:i:r:x:C:NK:")) != -1) {
        switch(opt) {
        case 'n': C.sessions = atol(optarg); break;
        case 'T': C.threads = atol(optarg); break;
        case 'c': C.channels = atol(optarg); break;
        case 's': C.size = parse_size(optarg); break;
        case 'b': C.bufsize = parse_size(optarg); break;
        case 'd': C.dir = optarg; break;
        case 'i': C.every = atol(optarg); break;
        case 'r': C.round_trips = atol(optarg); break;
        case 'x': C.kex = optarg; break;
        case 'C': C.cipher = optarg; break;
        case 'N': C.nodelay = 1; break;
        case 'K': C.stuck_s = atof(optarg); break;
        default: usage();
        }
    }
    if(C.sessions < 1 || C.sessions > MAX_SESSIONS || C.threads < 1 || C.threads > MAX_THREADS ||
       C.channels < 1 || C.channels > MAX_CHANNELS || C.size < 1 || C.size > MAX_SIZE ||
       C.bufsize < 1 || C.bufsize > MAX_BUFSIZE || C.every < 1 || C.round_trips < 0)
        die("option out of range");
    if(fixture_load(&C.fx))
        die("no sshd fixture in the environment");
    snprintf(C.pubkey, sizeof C.pubkey, "%s.pub", C.fx.key);
    if(dladdr((void *)libssh2_init, &info) && info.dli_fname)
        fprintf(stderr, "load: library %s\n", info.dli_fname);
    if(libssh2_init(0))
        die("libssh2_init");
    make_source();
    if(!strcmp(C.mode, "sessions") || !strcmp(C.mode, "channels") || !strcmp(C.mode, "soak")) {
        if(!strcmp(C.mode, "channels"))
            C.sessions = C.threads = 1;
        if(!strcmp(C.mode, "soak")) {
            C.soak = 1;
            C.threads = 1;
        }
        rc = run_pool();
    }
    else if(!strcmp(C.mode, "stall")) {
        rc = run_stall();
    }
    else {
        usage();
        rc = 2;
    }
    unlink(C.src);
    libssh2_exit();
    return rc;
}
