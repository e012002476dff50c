/* A failing allocator (issue 9): for every flow that hands memory to the
 * caller through the session's allocator, count its allocations, then run it
 * again once per N with the N-th allocation failing. Each run must report
 * LIBSSH2_ERROR_ALLOC (or NULL with last_errno ALLOC, or what libssh2
 * documents for that call), never crash, and leave nothing allocated once
 * the caller has freed what it was given and the session is gone.
 *
 * Flows without a server always run. With the fixture's environment
 * (scripts/sshd-fixture.sh DIR/env) the exit-signal flow runs against sshd,
 * and so does the SFTP flow (init, realpath, opendir/readdir_ex, stat, a
 * failing open and readlink whose messages are fetched with want_buf, and
 * shutdown; SSHD_DIR names the directory it lists), and with SSH_AUTH_SOCK
 * (an agent holding a key) the agent-sign flow too.
 * Prints "alloc_fail: N passed, 0 failed". */
#include <libssh2.h>
#include <libssh2_sftp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

/* Not in the public header: upstream's own tests declare it themselves. */
int _libssh2_base64_decode(LIBSSH2_SESSION *session, char **dest, size_t *dest_len, const char *src, size_t src_len);

#define FLOW_OK 0        /* the flow completed */
#define FLOW_ALLOC 1     /* the flow stopped at the failed allocation, cleanly */
#define FLOW_BROKEN (-1) /* wrong behaviour: the test fails */

static long fail_at;  /* fail the fail_at-th allocation of the flow; 0 = never */
static long made;     /* allocations the flow made (failed ones included) */
static long live;     /* allocations not yet freed */
static int passed, failed;

static LIBSSH2_ALLOC_FUNC(t_alloc)
{
    (void)abstract;
    made++;
    if(made == fail_at)
        return NULL;
    live++;
    return malloc(count ? count : 1);
}

static LIBSSH2_FREE_FUNC(t_free)
{
    (void)abstract;
    if(!ptr)
        return;
    live--;
    free(ptr);
}

static LIBSSH2_REALLOC_FUNC(t_realloc)
{
    void *p;
    (void)abstract;
    made++;
    if(made == fail_at)
        return NULL;
    p = realloc(ptr, count ? count : 1);
    if(p && !ptr)
        live++;
    return p;
}

#define EXPECT(c) do { if(!(c)) { fprintf(stderr, "  %s:%d: %s (fail_at %ld)\n", \
    __FILE__, __LINE__, #c, fail_at); return FLOW_BROKEN; } } while(0)

/* The outcome of a call that allocates: ok, or ALLOC exactly when this run's
 * failing allocation has happened. */
static int alloc_outcome(int rc)
{
    if(rc == LIBSSH2_ERROR_ALLOC && fail_at && made >= fail_at)
        return FLOW_ALLOC;
    return rc >= 0 ? FLOW_OK : FLOW_BROKEN;
}

/* ---- flows without a server ------------------------------------------- */

static int flow_last_error(LIBSSH2_SESSION *s, void *ctx)
{
    char *msg = (char *)"unchanged";
    int len = -1;
    (void)ctx;
    EXPECT(libssh2_session_set_last_error(s, LIBSSH2_ERROR_FILE, "file trouble") == LIBSSH2_ERROR_FILE);
    /* libssh2 returns the error code either way and a NULL buffer when the copy fails. */
    EXPECT(libssh2_session_last_error(s, &msg, &len, 1) == LIBSSH2_ERROR_FILE);
    if(!msg) {
        EXPECT(fail_at && made >= fail_at);
        return FLOW_ALLOC;
    }
    EXPECT(len == 12 && strcmp(msg, "file trouble") == 0);
    libssh2_free(s, msg);
    return FLOW_OK;
}

static int flow_base64(LIBSSH2_SESSION *s, void *ctx)
{
    char *dec = NULL;
    unsigned int len = 0;
    size_t len2 = 0;
    int r;
    (void)ctx;
    r = alloc_outcome(libssh2_base64_decode(s, &dec, &len, "aGVsbG8=", 8));
    if(r != FLOW_OK)
        return r;
    EXPECT(len == 5 && memcmp(dec, "hello", 5) == 0);
    libssh2_free(s, dec);
    r = alloc_outcome(_libssh2_base64_decode(s, &dec, &len2, "d29ybGQ", 7));
    if(r != FLOW_OK)
        return r;
    EXPECT(len2 == 5 && memcmp(dec, "world", 5) == 0);
    libssh2_free(s, dec);
    return FLOW_OK;
}

static int flow_supported_algs(LIBSSH2_SESSION *s, void *ctx)
{
    static const int methods[] = { LIBSSH2_METHOD_KEX, LIBSSH2_METHOD_HOSTKEY, LIBSSH2_METHOD_CRYPT_CS,
                                   LIBSSH2_METHOD_MAC_SC, LIBSSH2_METHOD_COMP_CS };
    size_t i;
    (void)ctx;
    for(i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        const char **algs = NULL;
        int n = libssh2_session_supported_algs(s, methods[i], &algs);
        int r = alloc_outcome(n);
        if(r != FLOW_OK)
            return r;
        EXPECT(n > 0 && algs && algs[0]);
        libssh2_free(s, (void *)algs);
    }
    return FLOW_OK;
}

static const char *KH_LINES[] = {
    "example.com,10.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBTQjFNvBJv3RzmEaG0ZYGTCSXN3TXnR0xEG8Uf6mEPT\n",
    "|1|qUTkLPAgGRHmgmZSu4ZD1i7q5X0=|hhY1HxhWsCP4kYEgnyHmCc8HyZM= ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIBTQjFNvBJv3RzmEaG0ZYGTCSXN3TXnR0xEG8Uf6mEPT\n",
    "[example.org]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBTQjFNvBJv3RzmEaG0ZYGTCSXN3TXnR0xEG8Uf6mEPT c\n",
};

/* A known_hosts collection: read, add, enumerate, check, write, delete. */
static int flow_knownhost(LIBSSH2_SESSION *s, void *ctx)
{
    LIBSSH2_KNOWNHOSTS *kh;
    struct libssh2_knownhost *e = NULL, *found = NULL;
    char line[1024];
    size_t i, outlen = 0;
    int rc, r = FLOW_OK, n = 0;
    static const char key[] = "0123456789abcdef0123456789abcdef";
    (void)ctx;
    kh = libssh2_knownhost_init(s);
    if(!kh) {
        EXPECT(libssh2_session_last_errno(s) == LIBSSH2_ERROR_ALLOC && fail_at && made >= fail_at);
        return FLOW_ALLOC;
    }
    for(i = 0; i < sizeof(KH_LINES) / sizeof(KH_LINES[0]) && r == FLOW_OK; i++)
        r = alloc_outcome(libssh2_knownhost_readline(kh, KH_LINES[i], strlen(KH_LINES[i]),
                                                     LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    if(r == FLOW_OK)
        r = alloc_outcome(libssh2_knownhost_addc(kh, "added.example", NULL, key, sizeof(key) - 1, "comment", 7,
                                                 LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                                 LIBSSH2_KNOWNHOST_KEY_SSHRSA, &e));
    while(r == FLOW_OK) {
        rc = libssh2_knownhost_get(kh, &e, n ? e : NULL);
        if(rc == 1)
            break;
        r = alloc_outcome(rc);
        if(r != FLOW_OK)
            break;
        n++;
        r = alloc_outcome(libssh2_knownhost_writeline(kh, e, line, sizeof(line), &outlen,
                                                      LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    }
    if(r == FLOW_OK && n != 5) {
        fprintf(stderr, "  %d known hosts listed, expected 5\n", n);
        r = FLOW_BROKEN;
    }
    if(r == FLOW_OK) {
        rc = libssh2_knownhost_checkp(kh, "added.example", 22, key, sizeof(key) - 1,
                                      LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, &found);
        if(rc == LIBSSH2_KNOWNHOST_CHECK_FAILURE)
            r = libssh2_session_last_errno(s) == LIBSSH2_ERROR_ALLOC && fail_at && made >= fail_at ?
                FLOW_ALLOC : FLOW_BROKEN;
        else if(rc == LIBSSH2_KNOWNHOST_CHECK_MATCH && found)
            r = alloc_outcome(libssh2_knownhost_del(kh, found));
        else {
            fprintf(stderr, "  checkp gave %d\n", rc);
            r = FLOW_BROKEN;
        }
    }
    libssh2_knownhost_free(kh);
    return r;
}

/* ---- flows against the fixture sshd ----------------------------------- */

struct conn {
    struct fixture f;
    int sock;
    LIBSSH2_CHANNEL *ch;
};

/* Connects and logs in (before the allocation counting starts: this part
 * is not under test here). */
static int conn_login(LIBSSH2_SESSION *s, struct conn *c)
{
    c->sock = fixture_connect(&c->f);
    if(c->sock < 0 || libssh2_session_handshake(s, c->sock) ||
       libssh2_userauth_publickey_fromfile(s, c->f.user, c->f.pubkey, c->f.key, NULL)) {
        fprintf(stderr, "  setup failed: %d\n", libssh2_session_last_errno(s));
        return -1;
    }
    return 0;
}

/* Logs in and runs a command that dies of SIGTERM. */
static int conn_setup(LIBSSH2_SESSION *s, struct conn *c)
{
    if(conn_login(s, c))
        return -1;
    c->ch = libssh2_channel_open_session(s);
    if(!c->ch || libssh2_channel_exec(c->ch, "kill -TERM $$") || libssh2_channel_wait_eof(c->ch) ||
       libssh2_channel_close(c->ch) || libssh2_channel_wait_closed(c->ch)) {
        fprintf(stderr, "  exec failed: %d\n", libssh2_session_last_errno(s));
        return -1;
    }
    return 0;
}

static int flow_exit_signal(LIBSSH2_SESSION *s, void *ctx)
{
    struct conn *c = ctx;
    char *sig = NULL, *msg = NULL, *lang = NULL;
    size_t siglen = 0, msglen = 0, langlen = 0;
    int r = alloc_outcome(libssh2_channel_get_exit_signal(c->ch, &sig, &siglen, &msg, &msglen, &lang, &langlen));
    if(r == FLOW_OK) {
        EXPECT(sig && siglen == 4 && strcmp(sig, "TERM") == 0);
    }
    else if(r == FLOW_ALLOC) {
        /* A failed call hands out nothing the caller would have to free. */
        EXPECT(!sig && !msg && !lang);
    }
    libssh2_free(s, sig);
    libssh2_free(s, msg);
    libssh2_free(s, lang);
    return r;
}

static int flow_agent_sign(LIBSSH2_SESSION *s, void *ctx)
{
    LIBSSH2_AGENT *agent;
    struct libssh2_agent_publickey *id = NULL;
    unsigned char *sig = NULL;
    size_t slen = 0;
    int r = FLOW_OK;
    (void)ctx;
    agent = libssh2_agent_init(s);
    if(!agent) {
        EXPECT(libssh2_session_last_errno(s) == LIBSSH2_ERROR_ALLOC && fail_at && made >= fail_at);
        return FLOW_ALLOC;
    }
    r = alloc_outcome(libssh2_agent_connect(agent));
    if(r == FLOW_OK)
        r = alloc_outcome(libssh2_agent_list_identities(agent));
    if(r == FLOW_OK) {
        EXPECT(libssh2_agent_get_identity(agent, &id, NULL) == 0 && id);
        r = alloc_outcome(libssh2_agent_sign(agent, id, &sig, &slen, (const unsigned char *)"data", 4,
                                             "ssh-ed25519", 11));
        if(r == FLOW_OK)
            EXPECT(sig && slen == 64);
        libssh2_free(s, sig);
    }
    libssh2_agent_disconnect(agent);
    libssh2_agent_free(agent);
    return r;
}

/* The outcome of a call that returned NULL (or failed) because of the failing
 * allocation, judged by the session's last error. */
static int null_outcome(LIBSSH2_SESSION *s)
{
    return libssh2_session_last_errno(s) == LIBSSH2_ERROR_ALLOC && fail_at && made >= fail_at ?
        FLOW_ALLOC : FLOW_BROKEN;
}

/* The last error after a failed SFTP request, copied with the session
 * allocator (want_buf): the code must survive a failed copy. */
static int sftp_error_message(LIBSSH2_SESSION *s, LIBSSH2_SFTP *sftp, int want_code, unsigned long want_fx)
{
    char *msg = (char *)"unchanged";
    int len = -1;
    EXPECT(libssh2_session_last_error(s, &msg, &len, 1) == want_code);
    EXPECT(libssh2_sftp_last_error(sftp) == want_fx);
    if(!msg) {
        EXPECT(fail_at && made >= fail_at);
        return FLOW_ALLOC;
    }
    EXPECT(len > 0 && (size_t)len == strlen(msg));
    libssh2_free(s, msg);
    return FLOW_OK;
}

static int flow_sftp_steps(LIBSSH2_SESSION *s, LIBSSH2_SFTP *sftp, const char *dir)
{
    LIBSSH2_SFTP_HANDLE *h;
    LIBSSH2_SFTP_ATTRIBUTES a;
    char name[512], longent[1024], target[1024], missing[1024];
    int n, entries = 0, r = FLOW_OK;

    n = libssh2_sftp_realpath(sftp, dir, target, sizeof(target));
    if(n < 0)
        return alloc_outcome(n);
    EXPECT(n > 0 && target[0] == '/');

    h = libssh2_sftp_opendir(sftp, dir);
    if(!h)
        return null_outcome(s);
    for(;;) {
        memset(&a, 0, sizeof(a));
        n = libssh2_sftp_readdir_ex(h, name, sizeof(name), longent, sizeof(longent), &a);
        if(n <= 0)
            break;
        entries++;
    }
    if(n < 0)
        r = alloc_outcome(n);
    else if(entries < 3) {
        fprintf(stderr, "  readdir listed %d entries\n", entries);
        r = FLOW_BROKEN;
    }
    n = libssh2_sftp_closedir(h);
    if(r != FLOW_OK)
        return r;
    r = alloc_outcome(n);
    if(r != FLOW_OK)
        return r;

    memset(&a, 0, sizeof(a));
    r = alloc_outcome(libssh2_sftp_stat(sftp, dir, &a));
    if(r != FLOW_OK)
        return r;
    EXPECT((a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && LIBSSH2_SFTP_S_ISDIR(a.permissions));

    /* A failing open: NULL with SFTP_PROTOCOL and NO_SUCH_FILE, then its message. */
    snprintf(missing, sizeof(missing), "%s/no-such-file", dir);
    h = libssh2_sftp_open(sftp, missing, LIBSSH2_FXF_READ, 0);
    if(h) {
        libssh2_sftp_close(h);
        fprintf(stderr, "  opened a file that does not exist\n");
        return FLOW_BROKEN;
    }
    if(libssh2_session_last_errno(s) == LIBSSH2_ERROR_ALLOC)
        return null_outcome(s);
    r = sftp_error_message(s, sftp, LIBSSH2_ERROR_SFTP_PROTOCOL, LIBSSH2_FX_NO_SUCH_FILE);
    if(r != FLOW_OK)
        return r;

    /* readlink of a directory fails at the server: its message too. */
    n = libssh2_sftp_readlink(sftp, dir, target, sizeof(target));
    EXPECT(n < 0);
    if(n == LIBSSH2_ERROR_ALLOC)
        return alloc_outcome(n);
    EXPECT(n == LIBSSH2_ERROR_SFTP_PROTOCOL);
    return sftp_error_message(s, sftp, LIBSSH2_ERROR_SFTP_PROTOCOL, libssh2_sftp_last_error(sftp));
}

/* Every call is judged generically (NULL or a negative code must be the
 * failed allocation), so the flow holds whichever of its calls allocate from
 * the session allocator; in this library only the want_buf message copies
 * do (SFTP instances and handles are library-internal objects). */
static int flow_sftp(LIBSSH2_SESSION *s, void *ctx)
{
    struct conn *c = ctx;
    LIBSSH2_SFTP *sftp = libssh2_sftp_init(s);
    int r;
    if(!sftp)
        return null_outcome(s);
    r = flow_sftp_steps(s, sftp, c->f.dir);
    if(libssh2_sftp_shutdown(sftp) && r == FLOW_OK)
        r = alloc_outcome(libssh2_session_last_errno(s));
    return r;
}

/* ---- driver ----------------------------------------------------------- */

typedef int (*flow_fn)(LIBSSH2_SESSION *s, void *ctx);

/* What a flow needs before the counting starts. */
#define NO_SERVER 0  /* nothing */
#define EXITED 1     /* logged in, a channel whose command died of SIGTERM */
#define LOGGED_IN 2  /* logged in */

/* Runs `fn` once on a fresh session with allocation `at` failing (0: none). */
static int run_once(flow_fn fn, int connected, long at, long *allocs)
{
    struct conn c;
    LIBSSH2_SESSION *s;
    int r;
    fail_at = 0;
    made = 0;
    s = libssh2_session_init_ex(t_alloc, t_free, t_realloc, NULL);
    if(!s)
        return FLOW_BROKEN;
    memset(&c, 0, sizeof(c));
    c.sock = -1;
    if(connected && (fixture_load(&c.f) || (connected == EXITED ? conn_setup(s, &c) : conn_login(s, &c)))) {
        libssh2_session_free(s);
        return FLOW_BROKEN;
    }
    made = 0;
    fail_at = at;
    r = fn(s, &c);
    *allocs = made;
    fail_at = 0;
    if(c.ch)
        libssh2_channel_free(c.ch);
    libssh2_session_free(s);
    if(c.sock >= 0)
        close(c.sock);
    if(live != 0) {
        fprintf(stderr, "  %ld allocations leaked (fail_at %ld)\n", live, at);
        live = 0;
        return FLOW_BROKEN;
    }
    return r;
}

static void run_flow(const char *name, flow_fn fn, int connected)
{
    long total = 0, allocs = 0, n, clean = 0;
    int first = run_once(fn, connected, 0, &total);
    if(first != FLOW_OK || total == 0) {
        fprintf(stderr, "FAIL %s: does not complete with a working allocator (%d, %ld allocations)\n", name, first,
                total);
        failed++;
        return;
    }
    for(n = 1; n <= total; n++) {
        int r = run_once(fn, connected, n, &allocs);
        if(r == FLOW_BROKEN) {
            fprintf(stderr, "FAIL %s: allocation %ld of %ld failing\n", name, n, total);
            failed++;
            return;
        }
        if(r == FLOW_ALLOC)
            clean++;
    }
    printf("ok %s: %ld allocations, each failed once: %ld reported ALLOC\n", name, total, clean);
    passed++;
}

int main(void)
{
    libssh2_init(0);
    run_flow("last_error want_buf", flow_last_error, 0);
    run_flow("base64_decode", flow_base64, 0);
    run_flow("supported_algs", flow_supported_algs, 0);
    run_flow("knownhost", flow_knownhost, 0);
    if(getenv("SSHD_PORT"))
        run_flow("get_exit_signal", flow_exit_signal, EXITED);
    else
        printf("skip get_exit_signal: no fixture environment\n");
    if(getenv("SSHD_PORT") && getenv("SSHD_DIR"))
        run_flow("sftp", flow_sftp, LOGGED_IN);
    else
        printf("skip sftp: no fixture environment\n");
    if(getenv("SSH_AUTH_SOCK"))
        run_flow("agent_sign", flow_agent_sign, 0);
    else
        printf("skip agent_sign: no SSH_AUTH_SOCK\n");
    libssh2_exit();
    printf("alloc_fail: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
