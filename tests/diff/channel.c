/*
 * Differential scenarios: session channels. Commands, shells and requests;
 * a started channel used again; reads and writes after EOF and close;
 * windows, extended data, flushing; the peer going away mid-channel;
 * NULL channels; blocking and non-blocking.
 */
#include "conn.h"

/* Bytes a command streams for the window scenarios. */
#define STREAM_BYTES 100000
/* A window smaller than one server packet. */
#define SMALL_WINDOW 1024
/* Bytes pushed through `cat` in the non-blocking echo. */
#define ECHO_BYTES 65536
/* Bytes written in the bulk upload. */
#define BULK_BYTES (1024 * 1024)
/* Chunk for bulk reads and writes. */
#define CHUNK 16384
/* Channels open at once. */
#define PARALLEL_CHANNELS 3

static void exit_signal(const char *step, LIBSSH2_CHANNEL *ch, LIBSSH2_SESSION *s)
{
    char *sig = NULL, *msg = NULL, *lang = NULL;
    size_t siglen = 0, msglen = 0, langlen = 0;
    RI(step, libssh2_channel_get_exit_signal(ch, &sig, &siglen, &msg, &msglen, &lang, &langlen));
    rec_bytes("signal", sig, siglen);
    rec_bytes("errmsg", msg, msglen);
    rec_bytes("lang", lang, langlen);
    libssh2_free(s, sig);
    libssh2_free(s, msg);
    libssh2_free(s, lang);
}

static void exec_basic(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "printf out; printf err >&2; exit 3");
    chan_drain("stdout", ch, 0);
    chan_drain("stderr", ch, SSH_EXTENDED_DATA_STDERR);
    RI("eof", libssh2_channel_eof(ch));
    RI("wait_eof", libssh2_channel_wait_eof(ch));
    exit_signal("exit_signal", ch, s);
    RI("send_eof", libssh2_channel_send_eof(ch));
    RI("close", libssh2_channel_close(ch));
    RI("wait_closed", libssh2_channel_wait_closed(ch));
    RI("exit_status", libssh2_channel_get_exit_status(ch));
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

/* process_startup on a channel that already runs a command (issue 15). */
static void exec_twice(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "sleep 1; echo one");
    libssh2_session_set_timeout(s, WAIT_CAP_MS * 2);
    RI("exec_again", libssh2_channel_exec(ch, "echo two"));
    RI("shell_after_exec", libssh2_channel_shell(ch));
    RI("subsystem_after_exec", libssh2_channel_subsystem(ch, "sftp"));
    RI("startup_null_request", libssh2_channel_process_startup(ch, "exec", 4, NULL, 0));
    chan_drain("read", ch, 0);
    RI("exec_after_eof", libssh2_channel_exec(ch, "echo three"));
    chan_status("status", ch);
    RI("exec_after_close", libssh2_channel_exec(ch, "echo four"));
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

/* wait_closed after wait_eof, without close (issue 15): libssh2 waits for the peer. */
static void wait_closed_no_close(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "echo x");
    libssh2_session_set_timeout(s, WAIT_CAP_MS * 2);
    chan_drain("read", ch, 0);
    RI("wait_eof", libssh2_channel_wait_eof(ch));
    RI("wait_closed", libssh2_channel_wait_closed(ch));
    RI("exit_status", libssh2_channel_get_exit_status(ch));
    RI("close_after", libssh2_channel_close(ch));
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

/* wait_closed straight after exec, before any read. */
static void wait_closed_first(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    /* The EOF must not be in yet when wait_closed is called: how many packets
       the exec call took in with its reply is the libraries' own business. */
    LIBSSH2_CHANNEL *ch = chan_exec(s, "sleep 1; echo early");
    libssh2_session_set_timeout(s, WAIT_CAP_MS * 2);
    RI("wait_closed", libssh2_channel_wait_closed(ch));
    RI("wait_eof", libssh2_channel_wait_eof(ch));
    chan_drain("read_after", ch, 0);
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

static void after_eof(void)
{
    int fd;
    char buf[64];
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "cat; echo done");
    libssh2_session_set_timeout(s, WAIT_CAP_MS * 2);
    RI("write", libssh2_channel_write(ch, "abc\n", 4));
    RI("send_eof", libssh2_channel_send_eof(ch));
    RI("send_eof_again", libssh2_channel_send_eof(ch));
    RI("write_after_eof", libssh2_channel_write(ch, "def\n", 4));
    RI("write_stderr_after_eof", libssh2_channel_write_stderr(ch, "x", 1));
    chan_drain("read", ch, 0);
    RI("read_after_eof", libssh2_channel_read(ch, buf, sizeof(buf)));
    RI("read_stderr_after_eof", libssh2_channel_read_stderr(ch, buf, sizeof(buf)));
    RI("eof", libssh2_channel_eof(ch));
    RI("close", libssh2_channel_close(ch));
    RI("close_again", libssh2_channel_close(ch));
    RI("write_after_close", libssh2_channel_write(ch, "x", 1));
    RI("read_after_close", libssh2_channel_read(ch, buf, sizeof(buf)));
    RI("send_eof_after_close", libssh2_channel_send_eof(ch));
    RI("setenv_after_close", libssh2_channel_setenv(ch, "LANG", "C"));
    RI("pty_after_close", libssh2_channel_request_pty(ch, "xterm"));
    RI("wait_closed", libssh2_channel_wait_closed(ch));
    RI("wait_closed_again", libssh2_channel_wait_closed(ch));
    RI("wait_eof_after_close", libssh2_channel_wait_eof(ch));
    RI("exit_status", libssh2_channel_get_exit_status(ch));
    RI("flush_after_close", libssh2_channel_flush(ch));
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

static void requests(void)
{
    int fd;
    unsigned char modes[] = {0}; /* TTY_OP_END */
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = RP("open", libssh2_channel_open_session(s));
    libssh2_session_set_timeout(s, WAIT_CAP_MS * 2);
    RI("setenv_accepted", libssh2_channel_setenv(ch, "LANG", "C"));
    RI("setenv_denied", libssh2_channel_setenv(ch, "DIFF_FOO", "bar"));
    RI("setenv_ex_empty_value", libssh2_channel_setenv_ex(ch, "LC_DIFF", 7, "", 0));
    RI("setenv_ex_len", libssh2_channel_setenv_ex(ch, "LC_ALLX", 6, "POSIXX", 5));
    RI("pty_ex_modes", libssh2_channel_request_pty_ex(ch, "xterm", 5, (const char *)modes, 1,
                                                      100, 40, 0, 0));
    RI("pty_size", libssh2_channel_request_pty_size(ch, 120, 50));
    RI("pty_size_ex", libssh2_channel_request_pty_size_ex(ch, 80, 24, 640, 480));
    RI("x11", libssh2_channel_x11_req(ch, 0));
    RI("x11_ex", libssh2_channel_x11_req_ex(ch, 1, "MIT-MAGIC-COOKIE-1",
                                            "0123456789abcdef0123456789abcdef", 2));
    RI("auth_agent", libssh2_channel_request_auth_agent(ch));
    RI("auth_agent_again", libssh2_channel_request_auth_agent(ch));
    RI("shell", libssh2_channel_shell(ch));
    RI("pty_size_running", libssh2_channel_request_pty_size(ch, 90, 30));
    RI("setenv_running", libssh2_channel_setenv(ch, "LANG", "C"));
    RI("write", libssh2_channel_write(ch, "stty size; echo \"L=$LANG\"; exit 5\n", 34));
    {
        /* A pty echoes and uses \r\n: record only whether the output made it. */
        char buf[4096], all[8192];
        size_t have = 0;
        ssize_t n;
        while((n = libssh2_channel_read(ch, buf, sizeof(buf))) > 0 && have + (size_t)n < sizeof(all)) {
            memcpy(all + have, buf, (size_t)n);
            have += (size_t)n;
        }
        all[have] = 0;
        rec_int("read", n);
        KV("saw_size=%d saw_lang=%d", strstr(all, "30 90") != NULL, strstr(all, "L=C") != NULL);
    }
    chan_status("status", ch);
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

/* One odd request per session (rec_arg): sshd disconnects on some. */
static void request_odd(void)
{
    struct relay r;
    char longterm[300];
    const char *a = rec_arg;
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    LIBSSH2_CHANNEL *ch;
    auth_key(s);
    ch = RP("open", libssh2_channel_open_session(s));
    libssh2_session_set_timeout(s, WAIT_CAP_MS * 2);
    memset(longterm, 't', sizeof(longterm));
    if(!strcmp(a, "pty_long_term"))
        RI(a, libssh2_channel_request_pty_ex(ch, longterm, sizeof(longterm), NULL, 0, 80, 24, 0, 0));
    else if(!strcmp(a, "pty_empty_term"))
        RI(a, libssh2_channel_request_pty_ex(ch, "", 0, NULL, 0, 80, 24, 0, 0));
    else if(!strcmp(a, "pty_twice")) {
        RI("pty", libssh2_channel_request_pty(ch, "vt100"));
        RI(a, libssh2_channel_request_pty(ch, "vt100"));
        /* sshd disconnects: wait for that before going on. */
        relay_wait_exit(&r, "relay");
    }
    else if(!strcmp(a, "pty_size_negative"))
        RI(a, libssh2_channel_request_pty_size(ch, -1, -1));
    else if(!strcmp(a, "pty_size_no_pty"))
        RI(a, libssh2_channel_request_pty_size_ex(ch, 80, 24, 640, 480));
    else if(!strcmp(a, "setenv_empty_name"))
        RI(a, libssh2_channel_setenv_ex(ch, "", 0, "x", 1));
    else if(!strcmp(a, "signal_before_start"))
        RI(a, libssh2_channel_signal(ch, "TERM"));
    else if(!strcmp(a, "startup_bogus"))
        RI(a, libssh2_channel_process_startup(ch, "bogus-request", 13, NULL, 0));
    else if(!strcmp(a, "subsystem_unknown"))
        RI(a, libssh2_channel_subsystem(ch, "no-such-subsystem"));
    else if(!strcmp(a, "exec_empty"))
        RI(a, libssh2_channel_process_startup(ch, "exec", 4, "", 0));
    else if(!strcmp(a, "auth_agent_twice")) {
        RI("auth_agent", libssh2_channel_request_auth_agent(ch));
        RI(a, libssh2_channel_request_auth_agent(ch));
    }
    RI("exec_after", libssh2_channel_exec(ch, "echo after"));
    chan_drain("read", ch, 0);
    chan_status("status", ch);
    RI("free", libssh2_channel_free(ch));
    relay_kill(&r, "kill");
    sess_done(s, r.fd);
}

static void signals(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "echo started; exec sleep 10");
    char buf[16];
    libssh2_session_set_timeout(s, WAIT_CAP_MS * 2);
    /* The command runs (sshd knows its pid) before the signal goes. */
    RI("read_started", libssh2_channel_read(ch, buf, 8));
    RI("signal_term", libssh2_channel_signal(ch, "TERM"));
    chan_drain("read", ch, 0);
    RI("wait_eof", libssh2_channel_wait_eof(ch));
    RI("close", libssh2_channel_close(ch));
    RI("wait_closed", libssh2_channel_wait_closed(ch));
    exit_signal("exit_signal", ch, s);
    RI("exit_status", libssh2_channel_get_exit_status(ch));
    RI("signal_after_close", libssh2_channel_signal(ch, "KILL"));
    RI("signal_ex_empty", libssh2_channel_signal_ex(ch, "", 0));
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

static void killed_by_signal(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "echo before; kill -USR1 $$");
    chan_drain("read", ch, 0);
    RI("close", libssh2_channel_close(ch));
    RI("wait_closed", libssh2_channel_wait_closed(ch));
    exit_signal("exit_signal", ch, s);
    RFORK("exit_signal_nulls", RI("exit_signal_nulls", libssh2_channel_get_exit_signal(
                                                           ch, NULL, NULL, NULL, NULL, NULL, NULL)));
    RI("exit_status", libssh2_channel_get_exit_status(ch));
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

/*
 * Window calls while no data flows (the command waits for a line first), so
 * the values do not depend on timing; then the stream, counted in total.
 */
static void windows(void)
{
    int fd;
    char buf[CHUNK];
    unsigned long avail = 7, initial = 7;
    unsigned int stored = 7;
    ssize_t n;
    long long total = 0;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    char cmd[64];
    LIBSSH2_CHANNEL *ch = RP("open_small", libssh2_channel_open_ex(s, "session", 7, SMALL_WINDOW,
                                                                   SMALL_WINDOW, NULL, 0));
    snprintf(cmd, sizeof(cmd), "read x; head -c %d /dev/zero", STREAM_BYTES);
    RI("exec", libssh2_channel_exec(ch, cmd));
    RI("window_read", libssh2_channel_window_read_ex(ch, &avail, &initial));
    KV("avail=%lu initial=%lu", avail, initial);
    RI("window_write", libssh2_channel_window_write_ex(ch, &initial));
    KV("initial_positive=%d", initial > 0);
    RI("window_write_null", libssh2_channel_window_write_ex(ch, NULL));
    RI("adjust", libssh2_channel_receive_window_adjust(ch, 10000, 0));
    RI("adjust2", libssh2_channel_receive_window_adjust2(ch, 20000, 0, &stored));
    KV("stored=%u", stored);
    RI("adjust2_force", libssh2_channel_receive_window_adjust2(ch, 100, 1, &stored));
    KV("stored=%u", stored);
    RI("adjust2_small", libssh2_channel_receive_window_adjust2(ch, 1, 0, &stored));
    KV("stored=%u", stored);
    RI("adjust2_null_store", libssh2_channel_receive_window_adjust2(ch, 1, 1, NULL));
    RI("window_read_after", libssh2_channel_window_read_ex(ch, &avail, &initial));
    KV("avail=%lu initial=%lu", avail, initial);
    RI("go", libssh2_channel_write(ch, "go\n", 3));
    while((n = libssh2_channel_read(ch, buf, sizeof(buf))) > 0)
        total += n;
    rec_int("read", n);
    KV("total=%lld", total);
    RI("free", libssh2_channel_free(ch));
    /* Zero window and packet sizes. */
    ch = RP("open_zero", libssh2_channel_open_ex(s, "session", 7, 0, 0, NULL, 0));
    if(ch) {
        libssh2_session_set_timeout(s, WAIT_CAP_MS);
        RI("exec_zero", libssh2_channel_exec(ch, "echo z"));
        RI("read_zero_window", libssh2_channel_read(ch, buf, sizeof(buf)));
        RI("free_zero", libssh2_channel_free(ch));
    }
    sess_done(s, fd);
}

static void extended_data(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = RP("open", libssh2_channel_open_session(s));
    RI("merge", libssh2_channel_handle_extended_data2(ch, LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE));
    RI("exec", libssh2_channel_exec(ch, "printf a; sleep 0.2; printf b >&2; sleep 0.2; printf c"));
    chan_drain("merged", ch, 0);
    chan_drain("stderr_empty", ch, SSH_EXTENDED_DATA_STDERR);
    libssh2_channel_free(ch);
    ch = RP("open2", libssh2_channel_open_session(s));
    RV("ignore_old", libssh2_channel_handle_extended_data(ch, 1));
    RI("exec2", libssh2_channel_exec(ch, "printf a; printf b >&2; printf c"));
    chan_drain("ignored", ch, 0);
    chan_drain("ignored_stderr", ch, SSH_EXTENDED_DATA_STDERR);
    libssh2_channel_free(ch);
    ch = RP("open3", libssh2_channel_open_session(s));
    RI("mode_bad", libssh2_channel_handle_extended_data2(ch, 99));
    RV("ignore_macro", libssh2_channel_ignore_extended_data(ch, 0));
    RI("exec3", libssh2_channel_exec(ch, "printf a; printf b >&2"));
    chan_drain("normal", ch, 0);
    chan_drain("normal_stderr", ch, SSH_EXTENDED_DATA_STDERR);
    libssh2_channel_free(ch);
    sess_done(s, fd);
}

static void flush(void)
{
    int fd;
    char buf[16];
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "printf abc >&2; sleep 0.3; printf def; sleep 0.3; "
                                       "printf ghi >&2; printf jkl");
    RI("read_def", libssh2_channel_read(ch, buf, 3));
    rec_bytes("data", buf, 3);
    RI("flush_stderr", libssh2_channel_flush_stderr(ch));
    RI("flush_stdout_empty", libssh2_channel_flush(ch));
    chan_drain("rest_stdout", ch, 0);
    RI("flush_all", libssh2_channel_flush_ex(ch, LIBSSH2_CHANNEL_FLUSH_ALL));
    RI("flush_extended", libssh2_channel_flush_ex(ch, LIBSSH2_CHANNEL_FLUSH_EXTENDED_DATA));
    RI("flush_bad_stream", libssh2_channel_flush_ex(ch, 7));
    chan_drain("rest_stderr", ch, SSH_EXTENDED_DATA_STDERR);
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

static void streams(void)
{
    int fd;
    char buf[16];
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "cat; echo end");
    libssh2_session_set_timeout(s, WAIT_CAP_MS);
    RI("read_stream_bad", libssh2_channel_read_ex(ch, 5, buf, sizeof(buf)));
    RI("write_len0", libssh2_channel_write(ch, "", 0));
    RI("write_null_len0", libssh2_channel_write(ch, NULL, 0));
    RI("write_stderr", libssh2_channel_write_stderr(ch, "e", 1));
    RI("write_stream_bad", libssh2_channel_write_ex(ch, 9, "x", 1));
    RI("write", libssh2_channel_write(ch, "in\n", 3));
    RI("read_len0", libssh2_channel_read(ch, buf, 0));
    RI("send_eof", libssh2_channel_send_eof(ch));
    chan_drain("read", ch, 0);
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

static void bulk_write(void)
{
    int fd;
    static char data[CHUNK];
    long long total = 0;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "wc -c");
    memset(data, 'w', sizeof(data));
    while(total < BULK_BYTES) {
        ssize_t n = libssh2_channel_write(ch, data, sizeof(data));
        if(n <= 0) {
            rec_int("write_failed", n);
            break;
        }
        total += n;
    }
    NOTE("written", "total=%lld", total);
    RI("send_eof", libssh2_channel_send_eof(ch));
    chan_drain("read", ch, 0);
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

/* Non-blocking: write ECHO_BYTES through cat while reading them back. */
static void echo_nb(void)
{
    int fd, eagain_w = 0;
    static char out[CHUNK], in[CHUNK];
    long long sent = 0, got = 0, bad = 0;
    struct timespec t0;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch;
    libssh2_session_set_blocking(s, 0);
    ch = NBP("open", libssh2_channel_open_session(s));
    NBI("exec", libssh2_channel_exec(ch, "cat"));
    memset(out, 'e', sizeof(out));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while(got < ECHO_BYTES) {
        ssize_t n;
        int progressed = 0;
        if(sent < ECHO_BYTES) {
            size_t want = (size_t)(ECHO_BYTES - sent) < sizeof(out) ? (size_t)(ECHO_BYTES - sent)
                                                                     : sizeof(out);
            n = libssh2_channel_write(ch, out, want);
            if(n > 0)
                sent += n, progressed = 1;
            else if(n == LIBSSH2_ERROR_EAGAIN)
                eagain_w = 1;
            else {
                rec_int("write", n);
                break;
            }
        }
        n = libssh2_channel_read(ch, in, sizeof(in));
        if(n > 0) {
            ssize_t i;
            for(i = 0; i < n; i++)
                bad += in[i] != 'e';
            got += n, progressed = 1;
        }
        else if(n != LIBSSH2_ERROR_EAGAIN) {
            rec_int("read", n);
            break;
        }
        if(!progressed && !rec_nb_wait(&t0))
            break;
    }
    (void)eagain_w;
    NOTE("echoed", "sent=%lld got=%lld bad=%lld", sent, got, bad);
    NBI("send_eof", libssh2_channel_send_eof(ch));
    NBI("read_eof", libssh2_channel_read(ch, in, sizeof(in)));
    NBI("eof", libssh2_channel_eof(ch));
    NBI("close", libssh2_channel_close(ch));
    NBI("wait_closed", libssh2_channel_wait_closed(ch));
    RI("exit_status", libssh2_channel_get_exit_status(ch));
    NBI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

static void exec_nb(void)
{
    int fd;
    char buf[256];
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch;
    libssh2_session_set_blocking(s, 0);
    ch = NBP("open", libssh2_channel_open_session(s));
    NBI("setenv", libssh2_channel_setenv(ch, "LANG", "C"));
    NBI("pty", libssh2_channel_request_pty(ch, "vt100"));
    NBI("exec", libssh2_channel_exec(ch, "echo nb; exit 4"));
    NBI("exec_again", libssh2_channel_exec(ch, "echo again"));
    {
        long long n = NBI("read", libssh2_channel_read(ch, buf, sizeof(buf)));
        rec_bytes("data", buf, n > 0 ? (size_t)n : 0);
    }
    NBI("read_eof", libssh2_channel_read(ch, buf, sizeof(buf)));
    NBI("wait_eof", libssh2_channel_wait_eof(ch));
    NBI("close", libssh2_channel_close(ch));
    NBI("wait_closed", libssh2_channel_wait_closed(ch));
    RI("exit_status", libssh2_channel_get_exit_status(ch));
    NBI("free", libssh2_channel_free(ch));
    /* Channel-level blocking switch on a non-blocking session. */
    libssh2_session_set_blocking(s, 1);
    ch = chan_exec(s, "echo cb");
    RV("channel_set_blocking0", libssh2_channel_set_blocking(ch, 0));
    RI("session_blocking_after", libssh2_session_get_blocking(s));
    NBI("read_ch_nb", libssh2_channel_read(ch, buf, sizeof(buf)));
    RV("channel_set_blocking1", libssh2_channel_set_blocking(ch, 1));
    RI("free2", libssh2_channel_free(ch));
    sess_done(s, fd);
}

static void parallel_channels(void)
{
    int fd, i;
    char cmd[64], step[32];
    LIBSSH2_CHANNEL *ch[PARALLEL_CHANNELS];
    LIBSSH2_SESSION *s = sess_auth(&fd);
    for(i = 0; i < PARALLEL_CHANNELS; i++) {
        snprintf(cmd, sizeof(cmd), "sleep 0.%d; echo channel%d", PARALLEL_CHANNELS - i, i);
        ch[i] = chan_exec(s, cmd);
    }
    for(i = PARALLEL_CHANNELS - 1; i >= 0; i--) {
        snprintf(step, sizeof(step), "read%d", i);
        chan_drain(step, ch[i], 0);
    }
    for(i = 0; i < PARALLEL_CHANNELS; i++) {
        snprintf(step, sizeof(step), "status%d", i);
        chan_status(step, ch[i]);
        snprintf(step, sizeof(step), "free%d", i);
        RI(step, libssh2_channel_free(ch[i]));
    }
    sess_done(s, fd);
}

/* Channel freed while its command still runs, then the session is reused. */
static void free_running(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "sleep 5");
    libssh2_session_set_timeout(s, WAIT_CAP_MS * 2);
    RI("free_running", libssh2_channel_free(ch));
    ch = chan_exec(s, "echo next");
    chan_drain("read_next", ch, 0);
    RI("close_only", libssh2_channel_close(ch));
    /* Session freed with a channel still open. */
    ch = chan_exec(s, "sleep 5");
    RI("session_free_with_channel", libssh2_session_free(s));
    rec_s = NULL;
    close(fd);
}

static void bad_open(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    RP("type_bogus", libssh2_channel_open_ex(s, "bogus-type", 10, LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                             LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0));
    RP("type_len_shorter", libssh2_channel_open_ex(s, "sessionX", 7,
                                                   LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                                   LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0));
    RP("type_empty", libssh2_channel_open_ex(s, "", 0, LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                             LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0));
    RP("with_message", libssh2_channel_open_ex(s, "session", 7, LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                               LIBSSH2_CHANNEL_PACKET_DEFAULT, "extra", 5));
    RP("huge_packet", libssh2_channel_open_ex(s, "session", 7, LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                              0x7fffffff, NULL, 0));
    RFORK("type_null", RP("type_null", libssh2_channel_open_ex(
                                           s, NULL, 0, LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                           LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0)));
    sess_done(s, fd);
}

static void null_channel(void)
{
    char buf[8];
    unsigned long a, b;
    unsigned int st;
    char *sig;
    size_t len;
    rec_s = NULL;
#define NC(step, call) RFORK(step, RI(step, call))
#define NCV(step, call) RFORK(step, RV(step, call))
    NC("read", libssh2_channel_read(NULL, buf, sizeof(buf)));
    NC("write", libssh2_channel_write(NULL, "x", 1));
    NC("eof", libssh2_channel_eof(NULL));
    NC("send_eof", libssh2_channel_send_eof(NULL));
    NC("wait_eof", libssh2_channel_wait_eof(NULL));
    NC("close", libssh2_channel_close(NULL));
    NC("wait_closed", libssh2_channel_wait_closed(NULL));
    NC("free", libssh2_channel_free(NULL));
    NC("setenv", libssh2_channel_setenv(NULL, "A", "B"));
    NC("pty", libssh2_channel_request_pty(NULL, "vt100"));
    NC("pty_size", libssh2_channel_request_pty_size(NULL, 80, 24));
    NC("x11", libssh2_channel_x11_req(NULL, 0));
    NC("signal", libssh2_channel_signal(NULL, "TERM"));
    NC("auth_agent", libssh2_channel_request_auth_agent(NULL));
    NC("exec", libssh2_channel_exec(NULL, "true"));
    NC("window_read", libssh2_channel_window_read_ex(NULL, &a, &b));
    NC("window_write", libssh2_channel_window_write_ex(NULL, &a));
    NC("adjust", libssh2_channel_receive_window_adjust(NULL, 1, 0));
    NC("adjust2", libssh2_channel_receive_window_adjust2(NULL, 1, 0, &st));
    NCV("set_blocking", libssh2_channel_set_blocking(NULL, 0));
    NCV("handle_extended_data", libssh2_channel_handle_extended_data(NULL, 1));
    NC("handle_extended_data2", libssh2_channel_handle_extended_data2(NULL, 1));
    NC("flush", libssh2_channel_flush(NULL));
    NC("exit_status", libssh2_channel_get_exit_status(NULL));
    NC("exit_signal", libssh2_channel_get_exit_signal(NULL, &sig, &len, NULL, NULL, NULL, NULL));
    NC("poll_channel_read", libssh2_poll_channel_read(NULL, 0));
#undef NC
#undef NCV
}

/* The peer vanishes with a channel open, at several points. */
static void peer_gone(void)
{
    struct relay r;
    char buf[64];
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    LIBSSH2_CHANNEL *ch;
    auth_key(s);
    ch = chan_exec(s, "cat");
    RI("write_before", libssh2_channel_write(ch, "x\n", 2));
    RI("read_before", libssh2_channel_read(ch, buf, sizeof(buf)));
    relay_kill(&r, "kill_running");
    RI("read", libssh2_channel_read(ch, buf, sizeof(buf)));
    RI("read_again", libssh2_channel_read(ch, buf, sizeof(buf)));
    RI("write", libssh2_channel_write(ch, "y\n", 2));
    RI("eof", libssh2_channel_eof(ch));
    RI("send_eof", libssh2_channel_send_eof(ch));
    RI("wait_eof", libssh2_channel_wait_eof(ch));
    RI("close", libssh2_channel_close(ch));
    RI("wait_closed", libssh2_channel_wait_closed(ch));
    RI("exit_status", libssh2_channel_get_exit_status(ch));
    RI("free", libssh2_channel_free(ch));
    sess_done(s, r.fd);

    /* Between open and exec. */
    s = sess_on(relay_start(&r));
    auth_key(s);
    ch = RP("open2", libssh2_channel_open_session(s));
    relay_kill(&r, "kill_opened");
    RI("exec2", libssh2_channel_exec(ch, "true"));
    RI("pty2", libssh2_channel_request_pty(ch, "vt100"));
    RI("free2", libssh2_channel_free(ch));
    sess_done(s, r.fd);

    /* Non-blocking read when it goes. */
    s = sess_on(relay_start(&r));
    auth_key(s);
    ch = chan_exec(s, "sleep 5");
    libssh2_session_set_blocking(s, 0);
    RI("read_nb_pending", libssh2_channel_read(ch, buf, sizeof(buf)));
    relay_kill(&r, "kill_nb");
    NBI("read_nb", libssh2_channel_read(ch, buf, sizeof(buf)));
    NBI("write_nb", libssh2_channel_write(ch, "z", 1));
    NBI("free_nb", libssh2_channel_free(ch));
    sess_done(s, r.fd);
}

/*
 * The peer stops answering (the relay is stopped) with a channel or SFTP
 * session open: close, free and shutdown must give up at the session
 * timeout instead of waiting for a CHANNEL_CLOSE that never comes.
 */
static void peer_stalled(void)
{
    struct relay r;
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    LIBSSH2_CHANNEL *ch, *ch2;
    LIBSSH2_SFTP *sftp;
    char buf[16];
    auth_key(s);
    ch = chan_exec(s, "sleep 10");
    ch2 = chan_exec(s, "sleep 10");
    sftp = RP("sftp_init", libssh2_sftp_init(s));
    relay_stop(&r, "stop");
    RV("set_timeout", libssh2_session_set_timeout(s, WAIT_CAP_MS));
    RI("read", libssh2_channel_read(ch, buf, sizeof(buf)));
    RI("close", libssh2_channel_close(ch));
    RI("wait_closed", libssh2_channel_wait_closed(ch));
    RI("free", libssh2_channel_free(ch));
    RI("free_unclosed", libssh2_channel_free(ch2));
    RI("sftp_shutdown", libssh2_sftp_shutdown(sftp));
    RI("disconnect", libssh2_session_disconnect(s, "bye"));
    relay_kill(&r, "kill");
    sess_done(s, r.fd);
}

REC_MAIN(SCN(exec_basic), SCN(exec_twice), SCN(wait_closed_no_close), SCN(wait_closed_first),
         SCN(after_eof), SCN(requests),
         SCNA(request_odd, "pty_long_term"), SCNA(request_odd, "pty_empty_term"),
         SCNA(request_odd, "pty_twice"), SCNA(request_odd, "pty_size_negative"),
         SCNA(request_odd, "pty_size_no_pty"), SCNA(request_odd, "setenv_empty_name"),
         SCNA(request_odd, "signal_before_start"), SCNA(request_odd, "startup_bogus"),
         SCNA(request_odd, "subsystem_unknown"), SCNA(request_odd, "exec_empty"),
         SCNA(request_odd, "auth_agent_twice"), SCN(signals), SCN(killed_by_signal),
         SCN(windows), SCN(extended_data), SCN(flush), SCN(streams), SCN(bulk_write),
         SCN(echo_nb), SCN(exec_nb), SCN(parallel_channels), SCN(free_running), SCN(bad_open),
         SCN(null_channel), SCN(peer_gone), SCN(peer_stalled))
