/*
 * Connections for the differential scenarios: to the fixture's sshd, through
 * a relay process that can be killed (the peer vanishing at a chosen
 * stage), or to a scripted plaintext server in a child process (a peer that
 * stops during the banner or key exchange). Session helpers record their
 * steps like any call, under "setup.*" labels.
 */
#ifndef LIBSSH2_DIFF_CONN_H
#define LIBSSH2_DIFF_CONN_H

#include "rec.h"

/* Relay buffer, and the highest descriptor a forked helper closes. */
#define CONN_RELAY_BUF 65536
#define CONN_MAX_FD 1024
/* Session timeout (ms) for a call that may wait forever on both libraries
 * (a request the server never answers): each then reports, not hangs. */
#define WAIT_CAP_MS 1500
/* How long a scripted server waits for the client. */
#define CONN_FAKE_WAIT_MS 10000

/* Closes every descriptor above stderr but keep_a and keep_b. */
static void conn_close_others(int keep_a, int keep_b)
{
    int fd;
    for(fd = 3; fd < CONN_MAX_FD; fd++)
        if(fd != keep_a && fd != keep_b)
            close(fd);
}

static int conn_tcp(void)
{
    int fd = fixture_connect(&fx);
    if(fd < 0)
        _exit(97);
    return fd;
}

/* ---- relay: the peer that can vanish -------------------------------- */

struct relay {
    pid_t pid;
    int fd; /* the client's end */
};

static void relay_run(int a, int b)
{
    char buf[CONN_RELAY_BUF];
    struct pollfd p[2];
    for(;;) {
        int i;
        p[0].fd = a, p[0].events = POLLIN;
        p[1].fd = b, p[1].events = POLLIN;
        if(poll(p, 2, -1) < 0 && errno != EINTR)
            _exit(1);
        for(i = 0; i < 2; i++) {
            if(p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t n = read(p[i].fd, buf, sizeof(buf));
                ssize_t off = 0;
                if(n <= 0)
                    _exit(0);
                while(off < n) {
                    ssize_t w = write(p[1 - i].fd, buf + off, (size_t)(n - off));
                    if(w <= 0)
                        _exit(0);
                    off += w;
                }
            }
        }
    }
}

/* A socket to sshd through a relay process. */
static int relay_start(struct relay *r)
{
    int sv[2], t;
    if(socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        _exit(97);
    t = conn_tcp();
    r->pid = fork();
    if(r->pid == 0) {
        conn_close_others(sv[1], t);
        relay_run(sv[1], t);
    }
    close(sv[1]);
    close(t);
    r->fd = sv[0];
    return r->fd;
}

/* The peer vanishes: both of its sockets close at once. */
static void relay_kill(struct relay *r, const char *step)
{
    if(r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
    NOTE(step, "peer killed");
}

/* The peer stalls: nothing flows either way, the connection stays open. */
static void relay_stop(struct relay *r, const char *step)
{
    kill(r->pid, SIGSTOP);
    NOTE(step, "peer stalled");
}

/* Waits (bounded) until the relay ended by itself (sshd closed its side):
 * the client's socket then reports the hang-up. Works in RFORK children too. */
static void relay_wait_exit(struct relay *r, const char *step)
{
    struct pollfd p;
    p.fd = r->fd;
    p.events = POLLRDHUP;
    p.revents = 0;
    while(poll(&p, 1, CONN_FAKE_WAIT_MS) < 0 && errno == EINTR)
        ;
    NOTE(step, "peer gone=%d", (p.revents & (POLLHUP | POLLRDHUP)) != 0);
}

/* ---- scripted plaintext servers --------------------------------------- */

/* Reads until '\n' (the client's banner); 0 when one arrived. */
static int fake_read_line(int fd)
{
    char c;
    struct pollfd p;
    p.fd = fd, p.events = POLLIN;
    for(;;) {
        if(poll(&p, 1, CONN_FAKE_WAIT_MS) <= 0)
            return -1;
        if(read(fd, &c, 1) != 1)
            return -1;
        if(c == '\n')
            return 0;
    }
}

/* Reads one binary packet (unencrypted, contents ignored); 0 or -1. */
static int fake_read_packet(int fd)
{
    unsigned char hdr[4], c;
    uint32_t len, got;
    struct pollfd p;
    size_t have = 0;
    p.fd = fd, p.events = POLLIN;
    while(have < sizeof(hdr)) {
        ssize_t n;
        if(poll(&p, 1, CONN_FAKE_WAIT_MS) <= 0)
            return -1;
        n = read(fd, hdr + have, sizeof(hdr) - have);
        if(n <= 0)
            return -1;
        have += (size_t)n;
    }
    len = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
    for(got = 0; got < len; got++)
        if(poll(&p, 1, CONN_FAKE_WAIT_MS) <= 0 || read(fd, &c, 1) != 1)
            return -1;
    return 0;
}

static void fake_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* Writes a plaintext binary packet holding payload. */
static void fake_send_packet(int fd, const unsigned char *payload, size_t n)
{
    unsigned char buf[4096];
    size_t pad = 8 - ((5 + n) % 8);
    if(pad < 4)
        pad += 8;
    if(5 + n + pad > sizeof(buf))
        _exit(96);
    fake_put32(buf, (uint32_t)(1 + n + pad));
    buf[4] = (unsigned char)pad;
    memcpy(buf + 5, payload, n);
    memset(buf + 5 + n, 0, pad);
    if(write(fd, buf, 5 + n + pad) < 0)
        _exit(0);
}

/* A server KEXINIT offering what both libraries support. */
static void fake_send_kexinit(int fd)
{
    static const char *lists[10] = {
        "curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256",
        "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-256",
        "aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256",
        "none", "none", "", ""};
    unsigned char p[2048];
    size_t n = 0;
    int i;
    p[n++] = 20; /* SSH_MSG_KEXINIT */
    memset(p + n, 0x5a, 16); /* cookie */
    n += 16;
    for(i = 0; i < 10; i++) {
        size_t l = strlen(lists[i]);
        fake_put32(p + n, (uint32_t)l);
        memcpy(p + n + 4, lists[i], l);
        n += 4 + l;
    }
    p[n++] = 0; /* first_kex_packet_follows */
    fake_put32(p + n, 0);
    n += 4;
    fake_send_packet(fd, p, n);
}

#define FAKE_BANNER "SSH-2.0-DiffFake_1.0\r\n"

/*
 * Where a scripted server stops. Each stage closes only while the client
 * waits for it (never while the client may still be sending), so the
 * client's error does not depend on timing.
 */
enum fake_stage {
    FAKE_CLOSE_AT_ONCE,      /* closed before the client starts */
    FAKE_BANNER_THEN_CLOSE,  /* our banner; the client's KEXINIT read; close */
    FAKE_NO_BANNER,          /* the client's banner read, none sent; close */
    FAKE_AFTER_KEX_INIT,     /* KEXINITs exchanged, the client's ECDH init read; close */
    FAKE_GARBAGE_BANNER,     /* a non-SSH line, the client's banner read; close */
    FAKE_SILENT,             /* never say anything, keep the socket open */
    FAKE_DISCONNECT_MSG      /* banner, SSH_MSG_DISCONNECT; close once the client does */
};

/* Reads until the client closes (or the wait ends). */
static void fake_read_to_eof(int fd)
{
    char c;
    struct pollfd p;
    p.fd = fd, p.events = POLLIN;
    while(poll(&p, 1, CONN_FAKE_WAIT_MS) > 0 && read(fd, &c, 1) == 1)
        ;
}

static void fake_serve(int fd, enum fake_stage stage)
{
    switch(stage) {
    case FAKE_CLOSE_AT_ONCE:
        return;
    case FAKE_GARBAGE_BANNER:
        if(write(fd, "HTTP/1.0 400 Bad Request\r\n\r\n", 28) < 0)
            return;
        fake_read_line(fd);
        return;
    case FAKE_NO_BANNER:
        fake_read_line(fd);
        return;
    case FAKE_SILENT:
        sleep(REC_SCENARIO_SECONDS);
        return;
    default:
        break;
    }
    if(write(fd, FAKE_BANNER, strlen(FAKE_BANNER)) < 0)
        return;
    if(fake_read_line(fd) || fake_read_packet(fd) < 0) /* banner, KEXINIT */
        return;
    if(stage == FAKE_BANNER_THEN_CLOSE)
        return;
    if(stage == FAKE_DISCONNECT_MSG) {
        static const unsigned char d[] = {1, 0, 0, 0, 11, 0, 0, 0, 3, 'b', 'y', 'e', 0, 0, 0, 0};
        fake_send_packet(fd, d, sizeof(d));
        fake_read_to_eof(fd);
        return;
    }
    fake_send_kexinit(fd);
    fake_read_packet(fd); /* its ECDH/DH init */
}

/* A socket whose peer is a scripted server in a child process. */
static int fake_start(enum fake_stage stage, pid_t *pid)
{
    int sv[2];
    if(socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        _exit(97);
    *pid = fork();
    if(*pid == 0) {
        conn_close_others(sv[1], -1);
        fake_serve(sv[1], stage);
        close(sv[1]);
        _exit(0);
    }
    close(sv[1]);
    if(stage == FAKE_CLOSE_AT_ONCE) {
        waitpid(*pid, NULL, 0);
        *pid = 0;
    }
    return sv[0];
}

static void fake_reap(pid_t pid)
{
    if(pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

/* ---- sessions --------------------------------------------------------- */

/* A fresh session, recorded as setup.init; it becomes the recorded one. */
static LIBSSH2_SESSION *sess_new(void)
{
    LIBSSH2_SESSION *s;
    /* The previous session may be freed: rec_pre must not touch it. */
    rec_s = NULL;
    s = RP("setup.init", libssh2_session_init());
    rec_s = s;
    return s;
}

/* A session handshaken on fd (blocking). */
static LIBSSH2_SESSION *sess_on(int fd)
{
    LIBSSH2_SESSION *s = sess_new();
    rec_fd = fd;
    RI("setup.handshake", libssh2_session_handshake(s, (libssh2_socket_t)fd));
    return s;
}

static LIBSSH2_SESSION *sess_up(int *fdp)
{
    int fd = conn_tcp();
    if(fdp)
        *fdp = fd;
    return sess_on(fd);
}

static int auth_key(LIBSSH2_SESSION *s)
{
    return (int)RI("setup.auth", libssh2_userauth_publickey_fromfile_ex(
                       s, fx.user, (unsigned int)strlen(fx.user), NULL, fx.key, NULL));
}

/* Handshaken and authenticated (by key), blocking. */
static LIBSSH2_SESSION *sess_auth(int *fdp)
{
    LIBSSH2_SESSION *s = sess_up(fdp);
    auth_key(s);
    return s;
}

/* Frees s (blocking, so the result does not depend on timing) and closes fd. */
static void sess_done(LIBSSH2_SESSION *s, int fd)
{
    libssh2_session_set_blocking(s, 1);
    RI("setup.free", libssh2_session_free(s));
    rec_s = NULL;
    if(fd >= 0)
        close(fd);
}

/* A session channel running cmd (blocking). */
static LIBSSH2_CHANNEL *chan_exec(LIBSSH2_SESSION *s, const char *cmd)
{
    LIBSSH2_CHANNEL *ch = RP("setup.open", libssh2_channel_open_session(s));
    if(ch)
        RI("setup.exec", libssh2_channel_exec(ch, cmd));
    return ch;
}

/* Reads a stream to EOF (blocking), recording the bytes and the last rc. */
static void chan_drain(const char *step, LIBSSH2_CHANNEL *ch, int stream)
{
    char buf[4096], all[REC_STR_MAX];
    size_t have = 0;
    ssize_t n;
    long long total = 0;
    for(;;) {
        n = libssh2_channel_read_ex(ch, stream, buf, sizeof(buf));
        if(n <= 0)
            break;
        if(have < sizeof(all)) {
            size_t k = (size_t)n < sizeof(all) - have ? (size_t)n : sizeof(all) - have;
            memcpy(all + have, buf, k);
            have += k;
        }
        total += n;
    }
    rec_int(step, n);
    KV("total=%lld", total);
    rec_bytes("data", all, have);
}

/*
 * The exit status, after close and wait_closed: sshd sends it after the
 * EOF, so reading it any earlier depends on timing.
 */
static void chan_status(const char *prefix, LIBSSH2_CHANNEL *ch)
{
    char step[64];
    snprintf(step, sizeof(step), "%s.close", prefix);
    RI(step, libssh2_channel_close(ch));
    snprintf(step, sizeof(step), "%s.wait_closed", prefix);
    RI(step, libssh2_channel_wait_closed(ch));
    snprintf(step, sizeof(step), "%s.exit_status", prefix);
    RI(step, libssh2_channel_get_exit_status(ch));
}

/*
 * This scenario's remote directory, relative to the sshd user's home:
 * diff-TAG-SCENARIO, TAG (DIFF_TAG) naming the library, so that the two runs
 * can go at once (scripts/diff.sh empties them before a run). Only names
 * relative to it are ever recorded.
 */
static const char *remote_dir(void)
{
    static char d[256];
    const char *tag = getenv("DIFF_TAG");
    snprintf(d, sizeof(d), "diff-%s-%s", tag ? tag : "x", rec_scn);
    return d;
}

/* remote_dir()/name. */
static char *remote_path(const char *name)
{
    static char p[4][512];
    static int next;
    char *b = p[next++ % 4];
    snprintf(b, sizeof(p[0]), "%s/%s", remote_dir(), name);
    return b;
}

#endif /* LIBSSH2_DIFF_CONN_H */
