/*
 * Recorder for the differential harness (scripts/diff.sh). A scenario
 * program is built once against include/ and run on the reference libssh2
 * and on ours; every call it makes through one of the macros below prints
 * one line, and the two outputs are compared line by line:
 *
 *   scenario/step rc=N [err=E msg=0|1] [dirs=D] [key=value ...]
 *
 * err/msg (libssh2_session_last_errno, and whether last_error has a
 * message) are printed only when the call failed: after a success upstream
 * leaves whatever an earlier internal EAGAIN stored, which depends on
 * timing. For the same reason the error is cleared before each call
 * (libssh2_session_set_last_error(s, 0, NULL)), so err shows what that
 * call stored, not what an earlier one left. dirs (libssh2_session_block_directions) is printed only with
 * EAGAIN, for the same reason. Nothing printed may vary between runs on
 * one library: no pointers, timings, ports or times.
 *
 * Each scenario runs in a forked process with an alarm, so a crash or a
 * hang ends that scenario only and shows as its END line. Calls that may
 * crash one library run under RFORK, in a process of their own.
 *
 * Header-only; GCC statement expressions are used for the loops.
 */
#ifndef LIBSSH2_DIFF_REC_H
#define LIBSSH2_DIFF_REC_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_publickey.h>
#include <libssh2_sftp.h>

#include "../c/fixture.h"

/* One output line, and the longest string value printed in full. */
#define REC_LINE_MAX 8192
#define REC_STR_MAX 512
/* Seconds a scenario may run before it counts as hung. */
#define REC_SCENARIO_SECONDS 20
/* Non-blocking loops: one poll(2) wait, and the whole loop. */
#define REC_NB_POLL_MS 1000
#define REC_NB_DEADLINE_MS 8000

struct rec_scenario {
    const char *name;
    void (*run)(void);
    const char *arg; /* rec_arg while it runs: one function, many cases */
};

static char rec_line[REC_LINE_MAX];
static size_t rec_len;
static const char *rec_scn = "-";
static const char *rec_arg;
/* The session whose errno and directions a call line reports. */
static LIBSSH2_SESSION *rec_s;
/* The socket that non-blocking loops wait on (-1: just sleep). */
static int rec_fd = -1;
static struct fixture fx;
/* Non-blocking loop state: an EAGAIN came with no direction set. */
static int rec_nb_nodirs, rec_nb_stuck;

static void rec_write_all(const char *p, size_t n)
{
    while(n) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if(w < 0 && errno == EINTR)
            continue;
        if(w <= 0)
            _exit(99);
        p += w;
        n -= (size_t)w;
    }
}

/* Ends the pending line: written at once, so a crash loses nothing. */
static void rec_flush(void)
{
    if(!rec_len)
        return;
    rec_line[rec_len++] = '\n';
    rec_write_all(rec_line, rec_len);
    rec_len = 0;
}

static void rec_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rec_add(const char *fmt, ...)
{
    va_list ap;
    int n;
    size_t room = REC_LINE_MAX - 1 - rec_len;
    va_start(ap, fmt);
    n = vsnprintf(rec_line + rec_len, room, fmt, ap);
    va_end(ap);
    if(n < 0)
        return;
    rec_len += (size_t)n < room ? (size_t)n : room - 1;
}

/* Appends " key=value" to the current line. */
#define KV(...) (rec_add(" "), rec_add(__VA_ARGS__))

/* " key=len:"escaped"": bytes shown C-escaped, cut at REC_STR_MAX. */
static void rec_bytes(const char *key, const char *p, size_t n)
{
    size_t i;
    if(!p) {
        rec_add(" %s=NULL", key);
        return;
    }
    rec_add(" %s=%zu:\"", key, n);
    for(i = 0; i < n && i < REC_STR_MAX; i++) {
        unsigned char c = (unsigned char)p[i];
        if(c == '"' || c == '\\')
            rec_add("\\%c", c);
        else if(c >= 0x20 && c < 0x7f)
            rec_add("%c", c);
        else
            rec_add("\\x%02x", c);
    }
    rec_add(i < n ? "\"..." : "\"");
}

static void rec_str(const char *key, const char *s)
{
    rec_bytes(key, s, s ? strlen(s) : 0);
}

/* " key=hex" of n bytes. */
static void rec_hex(const char *key, const void *p, size_t n)
{
    size_t i;
    if(!p) {
        rec_add(" %s=NULL", key);
        return;
    }
    rec_add(" %s=", key);
    for(i = 0; i < n; i++)
        rec_add("%02x", ((const unsigned char *)p)[i]);
}

/* Opens the line of one call. */
static void rec_begin(const char *step)
{
    rec_flush();
    rec_add("%s/%s", rec_scn, step);
}

/* Not a call: a note of what the scenario did (killed the peer...). */
#define NOTE(step, ...) (rec_begin(step), rec_add(" "), rec_add(__VA_ARGS__), rec_flush())

static void rec_err(int eagain)
{
    char *msg = NULL;
    int len = 0;
    if(!rec_s)
        return;
    rec_add(" err=%d", libssh2_session_last_errno(rec_s));
    libssh2_session_last_error(rec_s, &msg, &len, 0);
    rec_add(" msg=%d", msg && msg[0] ? 1 : 0);
    if(eagain)
        rec_add(" dirs=%d", libssh2_session_block_directions(rec_s));
}

static long long rec_int(const char *step, long long rc)
{
    rec_begin(step);
    rec_add(" rc=%lld", rc);
    if(rc < 0)
        rec_err(rc == LIBSSH2_ERROR_EAGAIN);
    return rc;
}

static void *rec_ptr(const char *step, const void *p)
{
    rec_begin(step);
    if(p) {
        rec_add(" ptr=ok");
    }
    else {
        rec_add(" ptr=NULL");
        rec_err(rec_s && libssh2_session_last_errno(rec_s) == LIBSSH2_ERROR_EAGAIN);
    }
    return (void *)(uintptr_t)p;
}

static const char *rec_cstr(const char *step, const char *s)
{
    rec_begin(step);
    rec_str("str", s);
    return s;
}

static void rec_void(const char *step)
{
    rec_begin(step);
    rec_add(" void");
}

/* Ends the pending line and clears the session's error before a call. */
static void rec_pre(void)
{
    rec_flush();
    if(rec_s)
        libssh2_session_set_last_error(rec_s, 0, NULL);
}

/*
 * The call macros. The comma operator flushes the previous line before the
 * call is evaluated, so if the call crashes the output ends at the last
 * completed call.
 */
#define RI(step, expr) (rec_pre(), rec_int((step), (long long)(expr)))
#define RP(step, expr) (rec_pre(), rec_ptr((step), (const void *)(expr)))
#define RS(step, expr) (rec_pre(), rec_cstr((step), (expr)))
#define RV(step, expr) (rec_flush(), (void)(expr), rec_void(step))

static void rec_nb_reset(void)
{
    rec_nb_nodirs = 0;
    rec_nb_stuck = 0;
}

/* Waits for what the session blocks on; 0 when the deadline passed. */
static int rec_nb_wait(const struct timespec *t0)
{
    struct timespec now;
    struct pollfd pfd;
    int dirs = rec_s ? libssh2_session_block_directions(rec_s) : 0;
    long ms;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
    if(ms > REC_NB_DEADLINE_MS) {
        rec_nb_stuck = 1;
        return 0;
    }
    if(!dirs)
        rec_nb_nodirs = 1;
    pfd.fd = rec_fd;
    pfd.events = (short)(((dirs & LIBSSH2_SESSION_BLOCK_INBOUND) ? POLLIN : 0) |
                         ((dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND) ? POLLOUT : 0));
    if(rec_fd < 0 || !pfd.events)
        pfd.fd = -1, pfd.events = 0;
    /* No direction: wait a little anyway rather than spin. */
    poll(&pfd, 1, pfd.events ? REC_NB_POLL_MS : REC_NB_POLL_MS / 10);
    return 1;
}

static void rec_nb_note(void)
{
    if(rec_nb_nodirs)
        rec_add(" eagain_without_dirs");
    if(rec_nb_stuck)
        rec_add(" nb_stuck");
}

/*
 * Non-blocking forms: call again while EAGAIN, waiting on the socket as a
 * program would; only the final result is recorded (how many EAGAINs came
 * first depends on timing).
 */
#define NBI(step, expr) ({                                                  \
    long long nb_rc_;                                                      \
    struct timespec nb_t0_;                                                \
    rec_flush();                                                           \
    rec_nb_reset();                                                        \
    clock_gettime(CLOCK_MONOTONIC, &nb_t0_);                               \
    while((rec_pre(), nb_rc_ = (long long)(expr)) == LIBSSH2_ERROR_EAGAIN && \
          rec_nb_wait(&nb_t0_))                                            \
        ;                                                                  \
    rec_int((step), nb_rc_);                                               \
    rec_nb_note();                                                         \
    nb_rc_;                                                                \
})

#define NBP(step, expr) ({                                                  \
    void *nb_p_;                                                           \
    struct timespec nb_t0_;                                                \
    rec_flush();                                                           \
    rec_nb_reset();                                                        \
    clock_gettime(CLOCK_MONOTONIC, &nb_t0_);                               \
    while((rec_pre(), !(nb_p_ = (void *)(expr))) && rec_s &&               \
          libssh2_session_last_errno(rec_s) == LIBSSH2_ERROR_EAGAIN &&     \
          rec_nb_wait(&nb_t0_))                                            \
        ;                                                                  \
    rec_ptr((step), nb_p_);                                                \
    rec_nb_note();                                                         \
    nb_p_;                                                                 \
})

/*
 * RFORK(step, body): runs body (which records its own lines) in a child
 * process, so that a crash there is recorded as "step signal=N" and the
 * scenario goes on. State the body changes is lost with the child, and a
 * session the body used on the network is out of step with the server
 * afterwards (the child sent packets the parent does not know of): such a
 * session is not used again after its RFORK.
 */
#define RFORK(step, ...) do {                                              \
    pid_t rf_pid_;                                                         \
    int rf_st_ = 0;                                                        \
    rec_flush();                                                           \
    rf_pid_ = fork();                                                      \
    if(rf_pid_ == 0) {                                                     \
        __VA_ARGS__;                                                       \
        rec_flush();                                                       \
        _exit(0);                                                          \
    }                                                                      \
    while(waitpid(rf_pid_, &rf_st_, 0) < 0 && errno == EINTR)              \
        ;                                                                  \
    if(WIFSIGNALED(rf_st_))                                                \
        NOTE(step, "signal=%d", WTERMSIG(rf_st_));                         \
    else if(WEXITSTATUS(rf_st_))                                           \
        NOTE(step, "exit=%d", WEXITSTATUS(rf_st_));                        \
} while(0)

/* ---- memory that must not be read ---------------------------------- */

/* A pointer into a PROT_NONE page: any read of it faults. */
static const char *rec_poison(void)
{
    static void *page;
    if(!page) {
        page = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if(page == MAP_FAILED) {
            perror("mmap");
            _exit(98);
        }
    }
    return (const char *)page;
}

/* ---- the runner ------------------------------------------------------ */

static int rec_wanted(int argc, char **argv, const char *name)
{
    int i;
    if(argc < 2)
        return 1;
    for(i = 1; i < argc; i++)
        if(!strcmp(argv[i], name))
            return 1;
    return 0;
}

static int rec_main(int argc, char **argv, const struct rec_scenario *scn, size_t n)
{
    size_t i;
    if(fixture_load(&fx))
        return 2;
    for(i = 0; i < n; i++) {
        pid_t pid;
        int st = 0;
        struct timespec t0, t1;
        if(!rec_wanted(argc, argv, scn[i].name))
            continue;
        rec_scn = scn[i].name;
        rec_arg = scn[i].arg;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid = fork();
        if(pid < 0) {
            perror("fork");
            return 2;
        }
        if(pid == 0) {
            alarm(REC_SCENARIO_SECONDS);
            scn[i].run();
            rec_flush();
            _exit(0);
        }
        while(waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        /* Time goes to stderr: it differs run to run, so is never compared. */
        clock_gettime(CLOCK_MONOTONIC, &t1);
        fprintf(stderr, "time %s %ld ms\n", rec_scn,
                (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
        if(WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
            NOTE("END", "timeout");
        else if(WIFSIGNALED(st))
            NOTE("END", "signal=%d", WTERMSIG(st));
        else
            NOTE("END", "exit=%d", WEXITSTATUS(st));
    }
    return 0;
}

#define REC_MAIN(...)                                                       \
    int main(int argc, char **argv)                                        \
    {                                                                      \
        static const struct rec_scenario scn_[] = {__VA_ARGS__};           \
        return rec_main(argc, argv, scn_, sizeof(scn_) / sizeof(scn_[0])); \
    }
#define SCN(fn) {#fn, fn, NULL}
/* fn run with rec_arg = arg, as scenario "fn.arg" (arg a string literal). */
#define SCNA(fn, arg) {#fn "." arg, fn, arg}

#endif /* LIBSSH2_DIFF_REC_H */
