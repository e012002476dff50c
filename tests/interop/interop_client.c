/*
 * The one client of the interop stage (scripts/interop.sh, issue 16).
 * Built against include/ and run on whichever libssh2.so.1 LD_LIBRARY_PATH
 * selects, so the same binary tests ours and the reference libssh2 1.11.1.
 *
 *   interop_client --supported
 *       prints "supported TYPE NAME,NAME,..." for kex hostkey cipher mac comp
 *       (libssh2_session_supported_algs, compression enabled)
 *   interop_client HOST PORT USER AUTH [--pref TYPE=NAMES]... \
 *                  [--expect TYPE=NAME]... [ACTION]...
 *       AUTH    none | password:PASSWORD | key:PRIVATE_KEY_FILE (its .pub
 *               next to it)
 *       TYPE    kex hostkey cipher mac comp (cipher, mac and comp set both
 *               directions; comp also sets LIBSSH2_FLAG_COMPRESS)
 *       ACTION  exec:SIZE            SIZE bytes through `cat`, compared
 *               sftp:PATH:SIZE:BUF   SFTP put then get of SIZE bytes with
 *                                    BUF-byte caller buffers, compared,
 *                                    the file removed, sftp_shutdown timed
 *               sftp-nb:PATH:SIZE:BUF the same in non-blocking mode (every
 *                                    call repeated on EAGAIN after a wait)
 *               scp-put:PATH:SIZE    SCP put (scp_send64) of SIZE bytes
 *               scp-get:PATH:SIZE    SCP get (scp_recv2) of what scp-put
 *                                    wrote, compared (a separate run: some
 *                                    servers allow one channel a connection)
 *
 * Every run handshakes (blocking), prints the negotiated methods
 * ("method TYPE NAME", both directions) and the host key ("hostkey TYPE
 * SHA256-BASE64"), checks each --expect, authenticates unless AUTH is none,
 * runs the actions in order, disconnects and times libssh2_session_free.
 * Results go to stdout as "key value" lines; exit 0 when every step worked,
 * else 1 with the failed step and libssh2's last error on stderr.
 */
#include <libssh2.h>
#include <libssh2_sftp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 30000     /* libssh2's blocking timeout per call */
#define WAIT_TIMEOUT_SECONDS 30 /* per socket wait in the exec loop */
#define PROMPT_LIMIT_MS 3000    /* sftp_shutdown, session_free: "promptly" */
#define MAX_PAYLOAD (64L * 1024 * 1024)
#define EXEC_CHUNK 32768
#define EXEC_COMMAND "cat"
#define SCP_MODE 0644
#define SFTP_MODE 0644
#define SHA256_LEN 32
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define MAX_PREFS 16
/* libssh2 1.11.1's blocking sftp_write returns 0 while none of what it sent
   is acknowledged yet (a small window): call again, up to this many times
   in a row. */
#define MAX_ZERO_WRITES 100000

static LIBSSH2_SESSION *session;
static int sock = -1;

static void fail(const char *what)
{
    char *msg = NULL;
    int err = session ? libssh2_session_last_error(session, &msg, NULL, 0) : 0;
    fprintf(stderr, "interop_client: FAILED %s (libssh2 error %d: %s)\n", what,
            err, msg && *msg ? msg : "-");
    printf("failed %s error %d\n", what, err);
    exit(1);
}

static void failf(const char *what, const char *detail)
{
    fprintf(stderr, "interop_client: FAILED %s: %s\n", what, detail);
    printf("failed %s\n", what);
    exit(1);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
    for(size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

/* SIZE bytes of xorshift64: every byte value, no pattern a bug could
   cancel out. The same seed everywhere, so a get can be checked against a
   fresh copy. */
static unsigned char *payload(size_t size)
{
    unsigned char *p = malloc(size ? size : 1);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    if(!p)
        failf("payload", "out of memory");
    for(size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)x;
    }
    return p;
}

static size_t parse_size(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if(*s == '\0' || (*end != '\0' && *end != ':') || v < 0 || v > MAX_PAYLOAD)
        failf(what, "bad size");
    return (size_t)v;
}

static void base64(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for(size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if(i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if(i + 2 < n)
            v |= in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        if(i + 1 < n)
            out[o++] = tab[(v >> 6) & 63];
        if(i + 2 < n)
            out[o++] = tab[v & 63];
    }
    out[o] = '\0'; /* unpadded, as ssh-keygen -l prints SHA256 */
}

/* ---- method types ------------------------------------------------------ */

struct mtype {
    const char *name;
    int cs, sc; /* sc is -1 for kex and hostkey */
};

static const struct mtype MTYPES[] = {
    { "kex", LIBSSH2_METHOD_KEX, -1 },
    { "hostkey", LIBSSH2_METHOD_HOSTKEY, -1 },
    { "cipher", LIBSSH2_METHOD_CRYPT_CS, LIBSSH2_METHOD_CRYPT_SC },
    { "mac", LIBSSH2_METHOD_MAC_CS, LIBSSH2_METHOD_MAC_SC },
    { "comp", LIBSSH2_METHOD_COMP_CS, LIBSSH2_METHOD_COMP_SC },
};
#define N_MTYPES (sizeof(MTYPES) / sizeof(MTYPES[0]))

static const struct mtype *mtype_of(const char *name, size_t len)
{
    for(size_t i = 0; i < N_MTYPES; i++)
        if(strlen(MTYPES[i].name) == len && !strncmp(MTYPES[i].name, name, len))
            return &MTYPES[i];
    return NULL;
}

static int supported(void)
{
    if(libssh2_init(0))
        failf("libssh2_init", "failed");
    session = libssh2_session_init();
    if(!session)
        failf("libssh2_session_init", "failed");
    libssh2_session_flag(session, LIBSSH2_FLAG_COMPRESS, 1);
    for(size_t i = 0; i < N_MTYPES; i++) {
        const char **algs = NULL;
        int n = libssh2_session_supported_algs(session, MTYPES[i].cs, &algs);
        if(n < 0)
            fail("libssh2_session_supported_algs");
        printf("supported %s ", MTYPES[i].name);
        for(int j = 0; j < n; j++)
            printf("%s%s", j ? "," : "", algs[j]);
        printf("\n");
        if(algs)
            libssh2_free(session, (void *)algs);
    }
    libssh2_session_free(session);
    libssh2_exit();
    return 0;
}

/* ---- the session -------------------------------------------------------- */

static void wait_socket(void)
{
    fd_set rd, wr;
    struct timeval tv = { WAIT_TIMEOUT_SECONDS, 0 };
    int dir = libssh2_session_block_directions(session);
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    if(dir & LIBSSH2_SESSION_BLOCK_INBOUND)
        FD_SET(sock, &rd);
    if(dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        FD_SET(sock, &wr);
    if(select(sock + 1, &rd, &wr, NULL, &tv) <= 0)
        failf("wait", "timed out waiting for the socket");
}

static void print_methods(void)
{
    static const struct { const char *label; int type; } slots[] = {
        { "kex", LIBSSH2_METHOD_KEX },
        { "hostkey", LIBSSH2_METHOD_HOSTKEY },
        { "cipher_cs", LIBSSH2_METHOD_CRYPT_CS },
        { "cipher_sc", LIBSSH2_METHOD_CRYPT_SC },
        { "mac_cs", LIBSSH2_METHOD_MAC_CS },
        { "mac_sc", LIBSSH2_METHOD_MAC_SC },
        { "comp_cs", LIBSSH2_METHOD_COMP_CS },
        { "comp_sc", LIBSSH2_METHOD_COMP_SC },
    };
    for(size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
        const char *m = libssh2_session_methods(session, slots[i].type);
        printf("method %s %s\n", slots[i].label, m ? m : "(null)");
    }

    size_t len = 0;
    int type = 0;
    const char *key = libssh2_session_hostkey(session, &len, &type);
    const unsigned char *hash = (const unsigned char *)
        libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
    if(!key || !hash)
        fail("host key or its SHA256 hash");
    char b64[2 * SHA256_LEN];
    base64(hash, SHA256_LEN, b64);
    printf("hostkey %d SHA256:%s\n", type, b64);
}

static void expect(const char *spec)
{
    const char *eq = strchr(spec, '=');
    const struct mtype *t = eq ? mtype_of(spec, (size_t)(eq - spec)) : NULL;
    if(!t)
        failf("--expect", spec);
    int types[2] = { t->cs, t->sc };
    for(int i = 0; i < 2 && types[i] >= 0; i++) {
        const char *got = libssh2_session_methods(session, types[i]);
        if(!got || strcmp(got, eq + 1)) {
            fprintf(stderr, "interop_client: negotiated %s is %s, not %s\n",
                    t->name, got ? got : "(null)", eq + 1);
            failf("expect", spec);
        }
    }
    printf("expected %s\n", spec);
}

static void prefer(const char *spec)
{
    const char *eq = strchr(spec, '=');
    const struct mtype *t = eq ? mtype_of(spec, (size_t)(eq - spec)) : NULL;
    if(!t)
        failf("--pref", spec);
    if(t->cs == LIBSSH2_METHOD_COMP_CS)
        libssh2_session_flag(session, LIBSSH2_FLAG_COMPRESS, 1);
    if(libssh2_session_method_pref(session, t->cs, eq + 1) ||
       (t->sc >= 0 && libssh2_session_method_pref(session, t->sc, eq + 1)))
        fail("libssh2_session_method_pref");
}

static void authenticate(const char *user, const char *auth)
{
    int rc;
    if(!strncmp(auth, "password:", 9)) {
        rc = libssh2_userauth_password(session, user, auth + 9);
    }
    else if(!strncmp(auth, "key:", 4)) {
        size_t n = strlen(auth + 4);
        char *pub = malloc(n + 5);
        if(!pub)
            failf("auth", "out of memory");
        memcpy(pub, auth + 4, n);
        memcpy(pub + n, ".pub", 5);
        rc = libssh2_userauth_publickey_fromfile(session, user, pub,
                                                 auth + 4, NULL);
        free(pub);
    }
    else {
        failf("auth", "AUTH must be none, password:PW or key:FILE");
        return;
    }
    if(rc || !libssh2_userauth_authenticated(session))
        fail("authentication");
    printf("authenticated %.*s\n", (int)strcspn(auth, ":"), auth);
}

/* ---- actions ------------------------------------------------------------ */

/* SIZE bytes through `cat`, non-blocking so that writing and reading
   interleave: blocking writes would stall once the echo fills our window. */
static void do_exec(size_t size)
{
    LIBSSH2_CHANNEL *ch = libssh2_channel_open_session(session);
    if(!ch)
        fail("exec: channel open");
    if(libssh2_channel_exec(ch, EXEC_COMMAND))
        fail("exec: exec request");
    unsigned char *out = payload(size);
    static unsigned char buf[EXEC_CHUNK];
    uint64_t sent_sum = fnv1a(FNV_OFFSET, out, size), got_sum = FNV_OFFSET;
    size_t sent = 0, got = 0;
    int eof_sent = 0, rc;

    libssh2_session_set_blocking(session, 0);
    while(!libssh2_channel_eof(ch)) {
        int progress = 0;
        if(sent < size) {
            size_t n = size - sent < EXEC_CHUNK ? size - sent : EXEC_CHUNK;
            ssize_t w = libssh2_channel_write(ch, (char *)out + sent, n);
            if(w > 0) {
                sent += (size_t)w;
                progress = 1;
            }
            else if(w != LIBSSH2_ERROR_EAGAIN)
                fail("exec: channel write");
        }
        else if(!eof_sent) {
            rc = libssh2_channel_send_eof(ch);
            if(rc == 0)
                eof_sent = progress = 1;
            else if(rc != LIBSSH2_ERROR_EAGAIN)
                fail("exec: send eof");
        }
        ssize_t r = libssh2_channel_read(ch, (char *)buf, sizeof(buf));
        if(r > 0) {
            if(got + (size_t)r > size)
                failf("exec", "more bytes came back than were sent");
            got_sum = fnv1a(got_sum, buf, (size_t)r);
            got += (size_t)r;
            progress = 1;
        }
        else if(r != LIBSSH2_ERROR_EAGAIN && r != 0)
            fail("exec: channel read");
        /* A read that took the EOF off the socket returns 0: nothing more
           will wake a wait. */
        if(!progress && !libssh2_channel_eof(ch))
            wait_socket();
    }
    while((rc = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN)
        wait_socket();
    if(rc)
        fail("exec: channel close");
    while((rc = libssh2_channel_wait_closed(ch)) == LIBSSH2_ERROR_EAGAIN)
        wait_socket();
    if(rc)
        fail("exec: wait closed");
    int status = libssh2_channel_get_exit_status(ch);
    libssh2_channel_free(ch);
    libssh2_session_set_blocking(session, 1);
    free(out);
    printf("exec sent %zu fnv1a %016llx got %zu fnv1a %016llx status %d\n",
           sent, (unsigned long long)sent_sum, got,
           (unsigned long long)got_sum, status);
    if(!eof_sent || got != size || got_sum != sent_sum)
        failf("exec", "the echo differs from what was sent");
    if(status != 0)
        failf("exec", "cat's exit status is not 0");
}

/* The EAGAIN contract: the same call again once the socket is ready. In
   blocking mode these loops never turn. */
#define AGAIN_INT(var, call) \
    while(((var) = (call)) == LIBSSH2_ERROR_EAGAIN) \
        wait_socket()
#define AGAIN_PTR(var, call) \
    while(!((var) = (call)) && \
          libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN) \
        wait_socket()

static void do_sftp(const char *spec, int nonblocking)
{
    const char *c1 = strrchr(spec, ':');
    if(!c1 || c1 == spec)
        failf("sftp", "want sftp:PATH:SIZE:BUF");
    const char *c2 = c1 - 1;
    while(c2 > spec && *c2 != ':')
        c2--;
    if(c2 == spec)
        failf("sftp", "want sftp:PATH:SIZE:BUF");
    char *path = strndup(spec, (size_t)(c2 - spec));
    size_t size = parse_size(c2 + 1, "sftp size");
    size_t bufsize = parse_size(c1 + 1, "sftp buffer");
    if(!path || bufsize == 0)
        failf("sftp", "bad PATH or BUF");
    unsigned char *out = payload(size), *buf = malloc(bufsize);
    if(!buf)
        failf("sftp", "out of memory");

    libssh2_session_set_blocking(session, !nonblocking);
    LIBSSH2_SFTP *sftp;
    AGAIN_PTR(sftp, libssh2_sftp_init(session));
    if(!sftp)
        fail("sftp: init");
    LIBSSH2_SFTP_HANDLE *h;
    AGAIN_PTR(h, libssh2_sftp_open(sftp, path,
        LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, SFTP_MODE));
    if(!h)
        fail("sftp: open for writing");
    size_t sent = 0;
    while(sent < size) {
        size_t n = size - sent < bufsize ? size - sent : bufsize;
        memcpy(buf, out + sent, n); /* from the caller's buffer, as an app does */
        size_t done = 0;
        long zeros = 0;
        while(done < n) {
            ssize_t w;
            AGAIN_INT(w, libssh2_sftp_write(h, (char *)buf + done, n - done));
            if(w < 0 || (w == 0 && ++zeros > MAX_ZERO_WRITES))
                fail("sftp: write");
            if(w > 0)
                zeros = 0;
            done += (size_t)w;
        }
        sent += n;
    }
    int rc;
    AGAIN_INT(rc, libssh2_sftp_close(h));
    if(rc)
        fail("sftp: close after writing");

    AGAIN_PTR(h, libssh2_sftp_open(sftp, path, LIBSSH2_FXF_READ, 0));
    if(!h)
        fail("sftp: open for reading");
    uint64_t sum = FNV_OFFSET;
    size_t got = 0;
    for(;;) {
        ssize_t r;
        AGAIN_INT(r, libssh2_sftp_read(h, (char *)buf, bufsize));
        if(r < 0)
            fail("sftp: read");
        if(r == 0)
            break;
        if(got + (size_t)r > size)
            failf("sftp", "the file read back is longer than written");
        sum = fnv1a(sum, buf, (size_t)r);
        got += (size_t)r;
    }
    AGAIN_INT(rc, libssh2_sftp_close(h));
    if(rc)
        fail("sftp: close after reading");
    AGAIN_INT(rc, libssh2_sftp_unlink(sftp, path));
    if(rc)
        fail("sftp: unlink");
    double t0 = now_ms();
    AGAIN_INT(rc, libssh2_sftp_shutdown(sftp));
    double ms = now_ms() - t0;
    libssh2_session_set_blocking(session, 1);
    uint64_t want = fnv1a(FNV_OFFSET, out, size);
    printf("sftp put %zu get %zu fnv1a %016llx want %016llx buffer %zu%s\n",
           sent, got, (unsigned long long)sum, (unsigned long long)want,
           bufsize, nonblocking ? " non-blocking" : "");
    printf("timing sftp_shutdown_ms %.1f\n", ms);
    if(rc)
        fail("sftp: shutdown");
    if(got != size || sum != want)
        failf("sftp", "the file read back differs from what was written");
    if(ms > PROMPT_LIMIT_MS)
        failf("sftp", "libssh2_sftp_shutdown took longer than the limit");
    free(out);
    free(buf);
    free(path);
}

/* PATH:SIZE of an scp-put or scp-get action */
static char *scp_spec(const char *spec, size_t *size)
{
    const char *c = strrchr(spec, ':');
    if(!c || c == spec)
        failf("scp", "want scp-put:PATH:SIZE or scp-get:PATH:SIZE");
    char *path = strndup(spec, (size_t)(c - spec));
    if(!path)
        failf("scp", "out of memory");
    *size = parse_size(c + 1, "scp size");
    return path;
}

static void do_scp_put(const char *spec)
{
    size_t size;
    char *path = scp_spec(spec, &size);
    unsigned char *out = payload(size);
    LIBSSH2_CHANNEL *ch = libssh2_scp_send64(session, path, SCP_MODE,
                                             (libssh2_int64_t)size, 0, 0);
    if(!ch)
        fail("scp: send64");
    size_t sent = 0;
    long zeros = 0;
    while(sent < size) {
        size_t n = size - sent < EXEC_CHUNK ? size - sent : EXEC_CHUNK;
        ssize_t w = libssh2_channel_write(ch, (char *)out + sent, n);
        if(w < 0 || (w == 0 && ++zeros > MAX_ZERO_WRITES))
            fail("scp: write");
        if(w > 0)
            zeros = 0;
        sent += (size_t)w;
    }
    if(libssh2_channel_send_eof(ch))
        fail("scp: send eof");
    if(libssh2_channel_wait_eof(ch))
        fail("scp: wait eof");
    if(libssh2_channel_wait_closed(ch))
        fail("scp: wait closed");
    int status = libssh2_channel_get_exit_status(ch);
    libssh2_channel_free(ch);
    printf("scp put %zu fnv1a %016llx status %d\n", sent,
           (unsigned long long)fnv1a(FNV_OFFSET, out, size), status);
    free(out);
    free(path);
}

static void do_scp_get(const char *spec)
{
    size_t size;
    char *path = scp_spec(spec, &size);
    unsigned char *out = payload(size);
    static unsigned char buf[EXEC_CHUNK];
    libssh2_struct_stat st;
    memset(&st, 0, sizeof(st));
    LIBSSH2_CHANNEL *ch = libssh2_scp_recv2(session, path, &st);
    if(!ch)
        fail("scp: recv2");
    if((size_t)st.st_size != size) {
        fprintf(stderr, "interop_client: scp_recv2 says %lld bytes, not %zu\n",
                (long long)st.st_size, size);
        failf("scp", "wrong size from scp_recv2");
    }
    uint64_t sum = FNV_OFFSET;
    size_t got = 0;
    while(got < size) {
        size_t want = size - got < sizeof(buf) ? size - got : sizeof(buf);
        ssize_t r = libssh2_channel_read(ch, (char *)buf, want);
        if(r < 0)
            fail("scp: read");
        if(r == 0)
            failf("scp", "the file ended early");
        sum = fnv1a(sum, buf, (size_t)r);
        got += (size_t)r;
    }
    libssh2_channel_free(ch);
    uint64_t want = fnv1a(FNV_OFFSET, out, size);
    printf("scp get %zu fnv1a %016llx want %016llx\n", got,
           (unsigned long long)sum, (unsigned long long)want);
    if(sum != want)
        failf("scp", "the file read back differs from what was written");
    free(out);
    free(path);
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if(argc == 2 && !strcmp(argv[1], "--supported"))
        return supported();
    if(argc < 5) {
        fprintf(stderr, "usage: interop_client --supported\n"
                "       interop_client HOST PORT USER AUTH [--pref TYPE=NAMES]..."
                " [--expect TYPE=NAME]... [ACTION]...\n");
        return 2;
    }
    const char *host = argv[1], *user = argv[3], *auth = argv[4];
    const char *prefs[MAX_PREFS], *expects[MAX_PREFS];
    int nprefs = 0, nexpects = 0, first_action = argc;
    for(int i = 5; i < argc; i++) {
        if(!strcmp(argv[i], "--pref") && i + 1 < argc && nprefs < MAX_PREFS)
            prefs[nprefs++] = argv[++i];
        else if(!strcmp(argv[i], "--expect") && i + 1 < argc &&
                nexpects < MAX_PREFS)
            expects[nexpects++] = argv[++i];
        else {
            first_action = i;
            break;
        }
    }

    if(libssh2_init(0))
        failf("libssh2_init", "failed");
    printf("library %s\n", libssh2_version(0));
    fflush(stdout);

    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons((uint16_t)atoi(argv[2])) };
    if(inet_pton(AF_INET, host, &sin.sin_addr) != 1)
        failf("connect", "HOST must be an IPv4 address");
    sock = socket(AF_INET, SOCK_STREAM, 0);
    if(sock < 0 || connect(sock, (struct sockaddr *)&sin, sizeof(sin)))
        failf("connect", strerror(errno));

    session = libssh2_session_init();
    if(!session)
        failf("libssh2_session_init", "failed");
    libssh2_session_set_timeout(session, IO_TIMEOUT_MS);
    for(int i = 0; i < nprefs; i++)
        prefer(prefs[i]);
    if(libssh2_session_handshake(session, sock))
        fail("handshake");
    print_methods();
    for(int i = 0; i < nexpects; i++)
        expect(expects[i]);
    if(strcmp(auth, "none"))
        authenticate(user, auth);
    fflush(stdout);

    for(int i = first_action; i < argc; i++) {
        const char *a = argv[i];
        if(!strncmp(a, "exec:", 5))
            do_exec(parse_size(a + 5, "exec size"));
        else if(!strncmp(a, "sftp:", 5))
            do_sftp(a + 5, 0);
        else if(!strncmp(a, "sftp-nb:", 8))
            do_sftp(a + 8, 1);
        else if(!strncmp(a, "scp-put:", 8))
            do_scp_put(a + 8);
        else if(!strncmp(a, "scp-get:", 8))
            do_scp_get(a + 8);
        else
            failf("action", a);
        fflush(stdout);
    }

    libssh2_session_disconnect(session, "interop_client done");
    double t0 = now_ms();
    libssh2_session_free(session);
    double ms = now_ms() - t0;
    session = NULL;
    close(sock);
    libssh2_exit();
    printf("timing session_free_ms %.1f\n", ms);
    if(ms > PROMPT_LIMIT_MS)
        failf("session_free", "took longer than the limit");
    printf("done\n");
    return 0;
}
