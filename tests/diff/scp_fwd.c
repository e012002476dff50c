/*
 * Differential scenarios: SCP upload and download, and port forwarding
 * (direct-tcpip, direct-streamlocal, remote listeners), with missing files,
 * odd paths and arguments, non-blocking use, and the peer going away.
 */
#include "conn.h" /* first: it defines _GNU_SOURCE */

#include <sys/stat.h>
#include <sys/un.h>

/* An SCP payload bigger than one channel packet. */
#define SCP_BIG 100000
/* A time set on uploaded files, so downloads can record it. */
#define SCP_MTIME 1000000000L
#define SCP_ATIME 1100000000L

static void remote_cmd(LIBSSH2_SESSION *s, const char *step, const char *cmd)
{
    LIBSSH2_CHANNEL *ch = libssh2_channel_open_session(s);
    if(!ch)
        return;
    libssh2_channel_exec(ch, cmd);
    chan_drain(step, ch, 0);
    libssh2_channel_free(ch);
}

static void mkdir_remote(LIBSSH2_SESSION *s)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && echo made", remote_dir());
    remote_cmd(s, "setup.mkdir", cmd);
}

static void scp_write_all(const char *step, LIBSSH2_CHANNEL *ch, const char *data, size_t n)
{
    size_t off = 0;
    ssize_t w = 0;
    while(off < n) {
        w = libssh2_channel_write(ch, data + off, n - off);
        if(w <= 0)
            break;
        off += (size_t)w;
    }
    rec_int(step, w);
    KV("written=%zu", off);
}

static void scp_finish(const char *prefix, LIBSSH2_CHANNEL *ch)
{
    char step[64];
    snprintf(step, sizeof(step), "%s.send_eof", prefix);
    RI(step, libssh2_channel_send_eof(ch));
    snprintf(step, sizeof(step), "%s.wait_eof", prefix);
    RI(step, libssh2_channel_wait_eof(ch));
    snprintf(step, sizeof(step), "%s.wait_closed", prefix);
    RI(step, libssh2_channel_wait_closed(ch));
    snprintf(step, sizeof(step), "%s.exit_status", prefix);
    RI(step, libssh2_channel_get_exit_status(ch));
    snprintf(step, sizeof(step), "%s.free", prefix);
    RI(step, libssh2_channel_free(ch));
}

/* Reads an SCP download of expected bytes, recording what came. */
static void scp_read_all(const char *step, LIBSSH2_CHANNEL *ch, long long expect)
{
    char buf[8192], head[64];
    long long got = 0;
    size_t have = 0;
    ssize_t n = 0;
    while(got < expect) {
        size_t want = expect - got < (long long)sizeof(buf) ? (size_t)(expect - got) : sizeof(buf);
        n = libssh2_channel_read(ch, buf, want);
        if(n <= 0)
            break;
        if(have < sizeof(head)) {
            size_t k = (size_t)n < sizeof(head) - have ? (size_t)n : sizeof(head) - have;
            memcpy(head + have, buf, k);
            have += k;
        }
        got += n;
    }
    rec_int(step, n);
    KV("got=%lld", got);
    rec_bytes("head", head, have);
}

static void rec_sb(const libssh2_struct_stat *sb)
{
    rec_add(" size=%lld mode=0%o", (long long)sb->st_size, (unsigned)sb->st_mode);
}

static void scp_roundtrip(void)
{
    int fd;
    static char big[SCP_BIG];
    libssh2_struct_stat sb;
    struct stat old;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch;
    const char *small = remote_path("small"), *large = remote_path("large");
    mkdir_remote(s);
    memset(big, 'S', sizeof(big));

    ch = RP("send64", libssh2_scp_send64(s, small, 0640, 5, 0, 0));
    scp_write_all("write", ch, "hello", 5);
    scp_finish("send64", ch);
    ch = RP("send_ex_times", libssh2_scp_send_ex(s, large, 0600, SCP_BIG, SCP_MTIME, SCP_ATIME));
    scp_write_all("write_big", ch, big, sizeof(big));
    scp_finish("send_ex", ch);
    ch = RP("send_macro", libssh2_scp_send(s, remote_path("m"), 0644, 1));
    scp_write_all("write_m", ch, "m", 1);
    scp_finish("send_macro", ch);

    memset(&sb, 0, sizeof(sb));
    ch = RP("recv2", libssh2_scp_recv2(s, small, &sb));
    rec_sb(&sb);
    scp_read_all("read", ch, (long long)sb.st_size);
    scp_finish("recv2", ch);
    memset(&sb, 0, sizeof(sb));
    ch = RP("recv2_large", libssh2_scp_recv2(s, large, &sb));
    rec_sb(&sb);
    KV("mtime_kept=%d", (long long)sb.st_mtime == SCP_MTIME);
    scp_read_all("read_large", ch, (long long)sb.st_size);
    scp_finish("recv2_large", ch);
    memset(&old, 0, sizeof(old));
    ch = RP("recv_old", libssh2_scp_recv(s, small, &old));
    KV("size=%lld mode=0%o", (long long)old.st_size, (unsigned)old.st_mode);
    scp_read_all("read_old", ch, (long long)old.st_size);
    scp_finish("recv_old", ch);
    ch = RP("recv2_null_stat", libssh2_scp_recv2(s, small, NULL));
    if(ch) {
        scp_read_all("read_null_stat", ch, 5);
        scp_finish("recv2_null_stat", ch);
    }
    sess_done(s, fd);
}

static void scp_errors(void)
{
    int fd;
    libssh2_struct_stat sb;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch;
    mkdir_remote(s);
    libssh2_session_set_timeout(s, WAIT_CAP_MS * 2);
    RP("recv2_missing", libssh2_scp_recv2(s, remote_path("missing"), &sb));
    RP("recv2_dir", libssh2_scp_recv2(s, remote_dir(), &sb));
    RP("recv2_denied", libssh2_scp_recv2(s, "/etc/shadow", &sb));
    RP("recv2_empty_path", libssh2_scp_recv2(s, "", &sb));
    ch = RP("send_missing_dir", libssh2_scp_send(s, remote_path("no/such/dir/f"), 0644, 3));
    if(ch) {
        scp_write_all("write_missing_dir", ch, "abc", 3);
        scp_finish("send_missing_dir", ch);
    }
    ch = RP("send_denied", libssh2_scp_send(s, "/etc/diff-denied", 0644, 3));
    if(ch) {
        scp_write_all("write_denied", ch, "abc", 3);
        scp_finish("send_denied", ch);
    }
    /* Fewer bytes than announced, then EOF. */
    ch = RP("send_short", libssh2_scp_send(s, remote_path("short"), 0644, 10));
    if(ch) {
        scp_write_all("write_short", ch, "abc", 3);
        scp_finish("send_short", ch);
    }
    /* More bytes than announced. */
    ch = RP("send_long", libssh2_scp_send(s, remote_path("long"), 0644, 2));
    if(ch) {
        scp_write_all("write_long", ch, "abcdef", 6);
        scp_finish("send_long", ch);
    }
    ch = RP("send_size0", libssh2_scp_send(s, remote_path("zero"), 0644, 0));
    if(ch)
        scp_finish("send_size0", ch);
    memset(&sb, 0, sizeof(sb));
    ch = RP("recv2_zero", libssh2_scp_recv2(s, remote_path("zero"), &sb));
    rec_sb(&sb);
    if(ch)
        scp_finish("recv2_zero", ch);
    sess_done(s, fd);
}

/* Paths that need quoting on the remote shell. */
static void scp_quoting(void)
{
    int fd;
    libssh2_struct_stat sb;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch;
    const char *names[] = {"a b", "q'uote", "d\"q", "semi;colon", "dollar$x", "!bang"};
    size_t i;
    mkdir_remote(s);
    for(i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char step[64];
        snprintf(step, sizeof(step), "send.%zu", i);
        ch = RP(step, libssh2_scp_send(s, remote_path(names[i]), 0644, 1));
        if(ch) {
            scp_write_all("write", ch, "q", 1);
            scp_finish(step, ch);
        }
        snprintf(step, sizeof(step), "recv.%zu", i);
        memset(&sb, 0, sizeof(sb));
        ch = RP(step, libssh2_scp_recv2(s, remote_path(names[i]), &sb));
        rec_sb(&sb);
        if(ch)
            scp_finish(step, ch);
    }
    /* Quoting off: the remote shell sees the name as it is. */
    RI("flag_quote_off", libssh2_session_flag(s, LIBSSH2_FLAG_QUOTE_PATHS, 0));
    memset(&sb, 0, sizeof(sb));
    ch = RP("recv_unquoted_space", libssh2_scp_recv2(s, remote_path("a b"), &sb));
    if(ch)
        scp_finish("recv_unquoted", ch);
    sess_done(s, fd);
}

static void scp_nb(void)
{
    int fd;
    libssh2_struct_stat sb;
    char buf[64];
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch;
    mkdir_remote(s);
    libssh2_session_set_blocking(s, 0);
    ch = NBP("send64", libssh2_scp_send64(s, remote_path("nb"), 0644, 4, 0, 0));
    NBI("write", libssh2_channel_write(ch, "nbnb", 4));
    NBI("send_eof", libssh2_channel_send_eof(ch));
    NBI("wait_eof", libssh2_channel_wait_eof(ch));
    NBI("wait_closed", libssh2_channel_wait_closed(ch));
    NBI("free", libssh2_channel_free(ch));
    memset(&sb, 0, sizeof(sb));
    ch = NBP("recv2", libssh2_scp_recv2(s, remote_path("nb"), &sb));
    rec_sb(&sb);
    {
        long long n = NBI("read", libssh2_channel_read(ch, buf, 4));
        rec_bytes("data", buf, n > 0 ? (size_t)n : 0);
    }
    NBI("free_recv", libssh2_channel_free(ch));
    NBP("recv2_missing", libssh2_scp_recv2(s, remote_path("missing"), &sb));
    sess_done(s, fd);
}

static void scp_peer_gone(void)
{
    struct relay r;
    libssh2_struct_stat sb;
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    LIBSSH2_CHANNEL *ch;
    auth_key(s);
    ch = RP("send", libssh2_scp_send(s, "/tmp/diff-scp-gone", 0644, 10));
    relay_kill(&r, "kill_sending");
    RI("write", libssh2_channel_write(ch, "0123456789", 10));
    RI("send_eof", libssh2_channel_send_eof(ch));
    RI("free", libssh2_channel_free(ch));
    RP("recv2_after", libssh2_scp_recv2(s, "/etc/hostname", &sb));
    RP("send_after", libssh2_scp_send(s, "/tmp/x", 0644, 1));
    sess_done(s, r.fd);
}

static void scp_null(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    RFORK("send_null_path", RP("send_null_path", libssh2_scp_send64(s, NULL, 0644, 1, 0, 0)));
    RFORK("recv2_null_path", RP("recv2_null_path", libssh2_scp_recv2(s, NULL, NULL)));
    RFORK("send64_null_session", RP("send64_null_session", libssh2_scp_send64(NULL, "x", 0644, 1, 0, 0)));
    RFORK("send_ex_null_session", RP("send_ex_null_session", libssh2_scp_send_ex(NULL, "x", 0644, 1, 0, 0)));
    RFORK("recv_null_session", RP("recv_null_session", libssh2_scp_recv(NULL, "x", NULL)));
    sess_done(s, fd);
}

/* ---- forwarding ------------------------------------------------------------ */

static void direct_tcpip(void)
{
    int fd;
    char buf[256];
    ssize_t n;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = RP("to_sshd", libssh2_channel_direct_tcpip_ex(s, "127.0.0.1", fx.port,
                                                                        "127.0.0.1", 4242));
    n = RI("read_banner", libssh2_channel_read(ch, buf, 8));
    rec_bytes("data", buf, n > 0 ? (size_t)n : 0);
    RI("write", libssh2_channel_write(ch, "SSH-2.0-x\r\n", 11));
    RI("send_eof", libssh2_channel_send_eof(ch));
    RI("free", libssh2_channel_free(ch));
    ch = RP("macro", libssh2_channel_direct_tcpip(s, "localhost", fx.port));
    RI("free_macro", libssh2_channel_free(ch));
    RP("closed_port", libssh2_channel_direct_tcpip(s, "127.0.0.1", 1));
    RP("bad_host", libssh2_channel_direct_tcpip(s, "no-such-host.invalid", 22));
    RP("empty_host", libssh2_channel_direct_tcpip(s, "", 22));
    RP("port_neg", libssh2_channel_direct_tcpip_ex(s, "127.0.0.1", -1, "127.0.0.1", -1));
    RP("port_big", libssh2_channel_direct_tcpip_ex(s, "127.0.0.1", 70000, "127.0.0.1", 0));
    RFORK("null_host", RP("null_host", libssh2_channel_direct_tcpip_ex(s, NULL, 22, NULL, 0)));
    sess_done(s, fd);
}

static void direct_streamlocal(void)
{
    int fd, lfd;
    char buf[64], path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct sockaddr_un sun;
    pid_t pid;
    ssize_t n;
    LIBSSH2_SESSION *s;
    LIBSSH2_CHANNEL *ch;
    const char *work = getenv("DIFF_WORK");
    const char *tag = getenv("DIFF_TAG");
    /* Recorded nowhere: the path may differ per library (DIFF_TAG). */
    snprintf(path, sizeof(path), "%s/%s.sock", work ? work : "/tmp", tag ? tag : "x");
    unlink(path);
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, sizeof(path));
    if(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) || listen(lfd, 1))
        _exit(93);
    chmod(path, 0777);
    pid = fork();
    if(pid == 0) {
        int c = accept(lfd, NULL, NULL);
        if(c >= 0 && write(c, "unix hello", 10) == 10)
            sleep(1);
        _exit(0);
    }
    close(lfd);
    s = sess_auth(&fd);
    ch = RP("open", libssh2_channel_direct_streamlocal_ex(s, path, "127.0.0.1", 0));
    n = RI("read", libssh2_channel_read(ch, buf, sizeof(buf)));
    rec_bytes("data", buf, n > 0 ? (size_t)n : 0);
    RI("free", libssh2_channel_free(ch));
    RP("missing_socket", libssh2_channel_direct_streamlocal_ex(s, "/nonexistent/diff.sock",
                                                               "127.0.0.1", 0));
    RP("empty_path", libssh2_channel_direct_streamlocal_ex(s, "", "127.0.0.1", 0));
    RFORK("null_shost", RP("null_shost", libssh2_channel_direct_streamlocal_ex(
                                             s, "/nonexistent/diff.sock", NULL, 0)));
    sess_done(s, fd);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(path);
}

/* A client of a forwarded port, in a child: connects, writes, waits. */
static pid_t connect_later(int port, const char *msg)
{
    pid_t pid = fork();
    if(pid == 0) {
        struct sockaddr_in sin;
        int c = socket(AF_INET, SOCK_STREAM, 0);
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons((unsigned short)port);
        inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
        if(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
           write(c, msg, strlen(msg)) > 0)
            sleep(2);
        _exit(0);
    }
    return pid;
}

static void forward_listen(void)
{
    int fd, bound = -1, bound2 = -1;
    char buf[64];
    ssize_t n;
    pid_t pid;
    LIBSSH2_POLLFD p;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_LISTENER *l = RP("listen", libssh2_channel_forward_listen_ex(s, "127.0.0.1", 0, &bound, 2));
    LIBSSH2_LISTENER *l2;
    LIBSSH2_CHANNEL *ch;
    KV("bound_positive=%d", bound > 0);
    l2 = RP("listen_same_port", libssh2_channel_forward_listen_ex(s, "127.0.0.1", bound, &bound2, 2));
    if(l2)
        RI("cancel_same_port", libssh2_channel_forward_cancel(l2));
    pid = connect_later(bound, "through the tunnel");
    memset(&p, 0, sizeof(p));
    p.type = LIBSSH2_POLLFD_LISTENER;
    p.fd.listener = l;
    p.events = LIBSSH2_POLLFD_POLLIN;
    RI("poll_listener", libssh2_poll(&p, 1, 5000));
    KV("revents_in=%lu", p.revents & LIBSSH2_POLLFD_POLLIN);
    ch = RP("accept", libssh2_channel_forward_accept(l));
    n = RI("read", libssh2_channel_read(ch, buf, sizeof(buf)));
    rec_bytes("data", buf, n > 0 ? (size_t)n : 0);
    RI("write_back", libssh2_channel_write(ch, "back", 4));
    RI("free_channel", libssh2_channel_free(ch));
    libssh2_session_set_blocking(s, 0);
    RP("accept_none_nb", libssh2_channel_forward_accept(l));
    libssh2_session_set_blocking(s, 1);
    RI("cancel", libssh2_channel_forward_cancel(l));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    l = RP("listen_macro", libssh2_channel_forward_listen(s, 0));
    if(l)
        RI("cancel_macro", libssh2_channel_forward_cancel(l));
    l = RP("listen_null_host", libssh2_channel_forward_listen_ex(s, NULL, 0, NULL, 1));
    if(l)
        RI("cancel_null_host", libssh2_channel_forward_cancel(l));
    RP("listen_privileged", libssh2_channel_forward_listen_ex(s, "127.0.0.1", 1, &bound, 1));
    RP("listen_bad_host", libssh2_channel_forward_listen_ex(s, "203.0.113.1", 0, &bound, 1));
    sess_done(s, fd);
}

static void forward_states(void)
{
    int fd, bound = 0;
    LIBSSH2_SESSION *s = sess_up(&fd);
    libssh2_session_set_timeout(s, WAIT_CAP_MS);
    RP("listen_before_auth", libssh2_channel_forward_listen_ex(s, "127.0.0.1", 0, &bound, 1));
    RP("direct_before_auth", libssh2_channel_direct_tcpip(s, "127.0.0.1", fx.port));
    RP("streamlocal_before_auth", libssh2_channel_direct_streamlocal_ex(s, "/x", "127.0.0.1", 0));
    sess_done(s, fd);
    rec_s = NULL;
    RFORK("accept_null", RP("accept_null", libssh2_channel_forward_accept(NULL)));
    RFORK("cancel_null", RI("cancel_null", libssh2_channel_forward_cancel(NULL)));
    RFORK("listen_null", RP("listen_null", libssh2_channel_forward_listen_ex(NULL, "x", 0, NULL, 1)));
    RFORK("direct_null", RP("direct_null", libssh2_channel_direct_tcpip_ex(NULL, "x", 1, "y", 2)));
    RFORK("streamlocal_null", RP("streamlocal_null", libssh2_channel_direct_streamlocal_ex(NULL, "x", "y", 2)));
}

static void forward_peer_gone(void)
{
    struct relay r;
    int bound = 0;
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    LIBSSH2_LISTENER *l;
    auth_key(s);
    l = RP("listen", libssh2_channel_forward_listen_ex(s, "127.0.0.1", 0, &bound, 1));
    relay_kill(&r, "kill_listening");
    RP("accept", libssh2_channel_forward_accept(l));
    RI("cancel", libssh2_channel_forward_cancel(l));
    RP("direct", libssh2_channel_direct_tcpip(s, "127.0.0.1", fx.port));
    sess_done(s, r.fd);
}

REC_MAIN(SCN(scp_roundtrip), SCN(scp_errors), SCN(scp_quoting), SCN(scp_nb), SCN(scp_peer_gone),
         SCN(scp_null), SCN(direct_tcpip), SCN(direct_streamlocal), SCN(forward_listen),
         SCN(forward_states), SCN(forward_peer_gone))
