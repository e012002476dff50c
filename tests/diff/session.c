/*
 * Differential scenarios: library and session life cycle, handshake,
 * method negotiation, session options, and the peer going away before or
 * during the key exchange.
 */
#include "conn.h"

/* Longest disconnect description libssh2 accepts, and the case. */
#define DESC_MAX 256
#define DESC_LONG 300
/* A banner longer than any SSH identification line may be. */
#define BANNER_LONG 300
/* method types 0..LIBSSH2_METHOD_SIGN_ALGO */
#define METHOD_TYPES 11

static const char *method_names[METHOD_TYPES] = {
    "kex", "hostkey", "crypt_cs", "crypt_sc", "mac_cs", "mac_sc",
    "comp_cs", "comp_sc", "lang_cs", "lang_sc", "sign_algo"};

static void record_methods(LIBSSH2_SESSION *s, const char *prefix)
{
    int t;
    char step[64];
    for(t = 0; t < METHOD_TYPES; t++) {
        snprintf(step, sizeof(step), "%s.methods.%s", prefix, method_names[t]);
        RS(step, libssh2_session_methods(s, t));
    }
}

static void record_hostkey(LIBSSH2_SESSION *s, const char *prefix)
{
    size_t len = 0;
    int type = -1;
    const char *k;
    char step[64];
    snprintf(step, sizeof(step), "%s.hostkey", prefix);
    k = RP(step, libssh2_session_hostkey(s, &len, &type));
    if(k)
        KV("len=%zu type=%d", len, type);
    snprintf(step, sizeof(step), "%s.hash_md5", prefix);
    rec_hex("md5", RP(step, libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_MD5)), 16);
    snprintf(step, sizeof(step), "%s.hash_sha1", prefix);
    rec_hex("sha1", RP(step, libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA1)), 20);
    snprintf(step, sizeof(step), "%s.hash_sha256", prefix);
    rec_hex("sha256", RP(step, libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA256)), 32);
    snprintf(step, sizeof(step), "%s.hash_bad", prefix);
    RP(step, libssh2_hostkey_hash(s, 99));
}

/* ---- library ----------------------------------------------------------- */

static void version_init(void)
{
    RS("version_any", libssh2_version(0));
    RS("version_this", libssh2_version(LIBSSH2_VERSION_NUM));
    RS("version_newer", libssh2_version(LIBSSH2_VERSION_NUM + 1));
    RI("crypto_engine", libssh2_crypto_engine());
    RI("init", libssh2_init(0));
    RI("init_again", libssh2_init(0));
    RV("exit", libssh2_exit());
    RV("exit_again", libssh2_exit());
    /* More exits than inits, then a session after that. */
    RV("exit_extra", libssh2_exit());
    RI("init_no_crypto", libssh2_init(LIBSSH2_INIT_NO_CRYPTO));
    {
        int fd;
        LIBSSH2_SESSION *s = sess_up(&fd);
        RS("kex", libssh2_session_methods(s, LIBSSH2_METHOD_KEX));
        sess_done(s, fd);
    }
    RV("exit_last", libssh2_exit());
}

/* A session without libssh2_init first: session_init does it. */
static void no_init(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    auth_key(s);
    sess_done(s, fd);
}

/* ---- before the handshake ----------------------------------------------- */

static int abstract_marker;

static void *count_alloc(size_t n, void **abstract)
{
    (void)abstract;
    return malloc(n);
}
static void count_free(void *p, void **abstract)
{
    (void)abstract;
    free(p);
}
static void *count_realloc(void *p, size_t n, void **abstract)
{
    (void)abstract;
    return realloc(p, n);
}

static void pre_handshake(void)
{
    LIBSSH2_SESSION *s;
    void **abs;
    size_t len = 7;
    int type = 7, t, i;
    char longbanner[BANNER_LONG + 1];
    char *msg = NULL;
    int msglen = -1;

    libssh2_init(0);
    s = RP("init_ex", libssh2_session_init_ex(count_alloc, count_free, count_realloc,
                                              &abstract_marker));
    rec_s = s;
    abs = RP("abstract", libssh2_session_abstract(s));
    if(abs)
        KV("is_ours=%d", *abs == &abstract_marker);
    RP("banner_get", libssh2_session_banner_get(s));
    for(t = 0; t < METHOD_TYPES; t++) {
        char step[64];
        snprintf(step, sizeof(step), "methods.%s", method_names[t]);
        RS(step, libssh2_session_methods(s, t));
    }
    RP("hostkey", libssh2_session_hostkey(s, &len, &type));
    KV("len=%zu type=%d", len, type);
    RP("hash_sha1", libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA1));
    RI("authenticated", libssh2_userauth_authenticated(s));
    RI("block_directions", libssh2_session_block_directions(s));
    RI("last_errno", libssh2_session_last_errno(s));
    RI("last_error", libssh2_session_last_error(s, &msg, &msglen, 1));
    rec_str("text", msg);
    KV("len=%d", msglen);
    libssh2_free(s, msg);
    RI("last_error_nobuf", libssh2_session_last_error(s, NULL, NULL, 0));
    RI("set_last_error", libssh2_session_set_last_error(s, LIBSSH2_ERROR_INVAL, "custom"));
    RI("last_errno_set", libssh2_session_last_errno(s));
    msg = NULL;
    RI("last_error_set", libssh2_session_last_error(s, &msg, &msglen, 0));
    rec_str("text", msg);
    RI("set_last_error_null", libssh2_session_set_last_error(s, 0, NULL));
    RI("last_errno_cleared", libssh2_session_last_errno(s));

    RI("get_blocking", libssh2_session_get_blocking(s));
    RV("set_blocking0", libssh2_session_set_blocking(s, 0));
    RI("get_blocking0", libssh2_session_get_blocking(s));
    RV("set_blocking7", libssh2_session_set_blocking(s, 7));
    RI("get_blocking7", libssh2_session_get_blocking(s));
    RI("get_timeout", libssh2_session_get_timeout(s));
    RV("set_timeout", libssh2_session_set_timeout(s, 1234));
    RI("get_timeout_set", libssh2_session_get_timeout(s));
    RV("set_timeout_neg", libssh2_session_set_timeout(s, -5));
    RI("get_timeout_neg", libssh2_session_get_timeout(s));
    RI("get_read_timeout", libssh2_session_get_read_timeout(s));
    RV("set_read_timeout", libssh2_session_set_read_timeout(s, 7));
    RI("get_read_timeout_set", libssh2_session_get_read_timeout(s));
    RV("set_read_timeout0", libssh2_session_set_read_timeout(s, 0));
    RI("get_read_timeout0", libssh2_session_get_read_timeout(s));

    RI("flag_sigpipe", libssh2_session_flag(s, LIBSSH2_FLAG_SIGPIPE, 1));
    RI("flag_sigpipe_off", libssh2_session_flag(s, LIBSSH2_FLAG_SIGPIPE, 0));
    RI("flag_compress", libssh2_session_flag(s, LIBSSH2_FLAG_COMPRESS, 1));
    RI("flag_quote", libssh2_session_flag(s, LIBSSH2_FLAG_QUOTE_PATHS, 1));
    RI("flag_bad", libssh2_session_flag(s, 99, 1));

    RI("banner_set", libssh2_session_banner_set(s, "SSH-2.0-DiffTest"));
    RI("banner_set_plain", libssh2_session_banner_set(s, "DiffTest"));
    RI("banner_set_null", libssh2_session_banner_set(s, NULL));
    memset(longbanner, 'b', BANNER_LONG);
    longbanner[BANNER_LONG] = 0;
    RI("banner_set_long", libssh2_session_banner_set(s, longbanner));
    RI("banner_set_empty", libssh2_session_banner_set(s, ""));
    RI("banner_set_old", libssh2_banner_set(s, "SSH-2.0-DiffOld"));

    RI("pref_kex", libssh2_session_method_pref(s, LIBSSH2_METHOD_KEX, "curve25519-sha256"));
    RI("pref_kex_unknown", libssh2_session_method_pref(s, LIBSSH2_METHOD_KEX, "bogus-kex"));
    RI("pref_kex_mixed", libssh2_session_method_pref(s, LIBSSH2_METHOD_KEX,
                                                      "bogus,ecdh-sha2-nistp256,,x"));
    RI("pref_kex_empty", libssh2_session_method_pref(s, LIBSSH2_METHOD_KEX, ""));
    RI("pref_kex_commas", libssh2_session_method_pref(s, LIBSSH2_METHOD_KEX, ",,,"));
    RI("pref_crypt", libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_CS, "aes128-ctr"));
    RI("pref_mac", libssh2_session_method_pref(s, LIBSSH2_METHOD_MAC_SC, "hmac-sha2-256"));
    RI("pref_comp", libssh2_session_method_pref(s, LIBSSH2_METHOD_COMP_CS, "zlib,none"));
    RI("pref_lang", libssh2_session_method_pref(s, LIBSSH2_METHOD_LANG_CS, "en"));
    RI("pref_sign", libssh2_session_method_pref(s, LIBSSH2_METHOD_SIGN_ALGO, "rsa-sha2-256"));
    RI("pref_type_bad", libssh2_session_method_pref(s, 99, "aes128-ctr"));
    RI("pref_type_neg", libssh2_session_method_pref(s, -1, "aes128-ctr"));
    RFORK("pref_null", RI("pref_null", libssh2_session_method_pref(s, LIBSSH2_METHOD_KEX, NULL)));

    for(t = -1; t <= METHOD_TYPES; t++) {
        const char **algs = NULL;
        char step[64];
        int n;
        snprintf(step, sizeof(step), "supported_algs.%d", t);
        n = (int)RI(step, libssh2_session_supported_algs(s, t, &algs));
        for(i = 0; i < n && algs; i++)
            rec_str("alg", algs[i]);
        if(n > 0)
            libssh2_free(s, (void *)algs);
    }
    RFORK("supported_algs_null",
          RI("supported_algs_null", libssh2_session_supported_algs(s, 0, NULL)));

    RV("keepalive_config", libssh2_keepalive_config(s, 1, 5));
    RFORK("keepalive_send", {
        int next = -1;
        RI("keepalive_send", libssh2_keepalive_send(s, &next));
        KV("next=%d", next);
    });
    RFORK("disconnect", RI("disconnect", libssh2_session_disconnect(s, "early")));
    RFORK("userauth_list", RP("userauth_list", libssh2_userauth_list(s, "x", 1)));
    RFORK("channel_open", RP("channel_open", libssh2_channel_open_session(s)));
    RFORK("sftp_init", RP("sftp_init", libssh2_sftp_init(s)));
    RI("free", libssh2_session_free(s));
    rec_s = NULL;
}

/* ---- handshake ----------------------------------------------------------- */

static void handshake_ok(void)
{
    struct relay r;
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    record_methods(s, "first");
    record_hostkey(s, "first");
    RS("banner_get", libssh2_session_banner_get(s));
    RI("authenticated", libssh2_userauth_authenticated(s));
    RI("block_directions", libssh2_session_block_directions(s));
    /* A handshake repeated after it succeeded (bounded: it may wait). */
    RV("set_timeout", libssh2_session_set_timeout(s, WAIT_CAP_MS));
    RI("handshake_again", libssh2_session_handshake(s, (libssh2_socket_t)r.fd));
    relay_wait_exit(&r, "relay");
    RS("after.kex", libssh2_session_methods(s, LIBSSH2_METHOD_KEX));
    RP("after.open", libssh2_channel_open_session(s));
    auth_key(s);
    relay_kill(&r, "kill");
    sess_done(s, r.fd);
}

/* A round trip, so packets sshd sends after auth (hostkeys-00) are in. */
static void settle(LIBSSH2_SESSION *s)
{
    LIBSSH2_CHANNEL *ch = chan_exec(s, "true");
    if(ch) {
        chan_drain("setup.settle", ch, 0);
        libssh2_channel_free(ch);
    }
}

static void handshake_again_nb(void)
{
    struct relay r;
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    auth_key(s);
    settle(s);
    RV("set_blocking0", libssh2_session_set_blocking(s, 0));
    /* One call: libssh2 starts the handshake over and waits for a banner. */
    RI("handshake_again", libssh2_session_handshake(s, (libssh2_socket_t)r.fd));
    RI("block_directions", libssh2_session_block_directions(s));
    /* sshd takes our banner for a broken packet and hangs up. */
    relay_wait_exit(&r, "relay");
    RV("set_blocking1", libssh2_session_set_blocking(s, 1));
    RV("set_timeout", libssh2_session_set_timeout(s, WAIT_CAP_MS));
    RP("after.open", libssh2_channel_open_session(s));
    relay_kill(&r, "kill");
    sess_done(s, r.fd);
}

static void handshake_nb(void)
{
    int fd = conn_tcp();
    LIBSSH2_SESSION *s = sess_new();
    rec_fd = fd;
    RV("set_blocking0", libssh2_session_set_blocking(s, 0));
    NBI("handshake", libssh2_session_handshake(s, (libssh2_socket_t)fd));
    record_methods(s, "nb");
    NBP("userauth_list", libssh2_userauth_list(s, fx.user, (unsigned int)strlen(fx.user)));
    NBI("auth", libssh2_userauth_publickey_fromfile_ex(s, fx.user, (unsigned int)strlen(fx.user),
                                                       NULL, fx.key, NULL));
    NBI("disconnect", libssh2_session_disconnect(s, "bye"));
    NBI("free", libssh2_session_free(s));
    rec_s = NULL;
    close(fd);
}

static void handshake_bad_fd(void)
{
    int p[2];
    LIBSSH2_SESSION *s;
    s = sess_new();
    libssh2_session_set_timeout(s, WAIT_CAP_MS);
    RI("fd_minus1", libssh2_session_handshake(s, (libssh2_socket_t)-1));
    libssh2_session_free(s);
    rec_s = NULL;
    s = sess_new();
    libssh2_session_set_timeout(s, WAIT_CAP_MS);
    RI("fd_not_open", libssh2_session_handshake(s, (libssh2_socket_t)(CONN_MAX_FD - 1)));
    libssh2_session_free(s);
    rec_s = NULL;
    if(pipe(p))
        _exit(97);
    s = sess_new();
    libssh2_session_set_timeout(s, WAIT_CAP_MS);
    RI("fd_pipe", libssh2_session_handshake(s, (libssh2_socket_t)p[0]));
    libssh2_session_free(s);
    rec_s = NULL;
    s = sess_new();
    libssh2_session_set_timeout(s, WAIT_CAP_MS);
    RI("fd_pipe_write", libssh2_session_handshake(s, (libssh2_socket_t)p[1]));
    libssh2_session_free(s);
    rec_s = NULL;
}

static void startup_old(void)
{
    int fd = conn_tcp();
    LIBSSH2_SESSION *s = sess_new();
    RI("startup", libssh2_session_startup(s, fd));
    RS("kex", libssh2_session_methods(s, LIBSSH2_METHOD_KEX));
    auth_key(s);
    sess_done(s, fd);
}

/* ---- disconnect ------------------------------------------------------------- */

static void disconnect_args(void)
{
    int fd;
    char desc[DESC_LONG + 1];
    LIBSSH2_SESSION *s = sess_auth(&fd);
    memset(desc, 'd', DESC_LONG);
    desc[DESC_LONG] = 0;
    RI("desc_300", libssh2_session_disconnect_ex(s, SSH_DISCONNECT_BY_APPLICATION, desc, ""));
    desc[DESC_MAX + 1] = 0;
    RI("desc_257", libssh2_session_disconnect_ex(s, SSH_DISCONNECT_BY_APPLICATION, desc, ""));
    RI("still_up", libssh2_userauth_authenticated(s));
    /* Exactly the limit, and an over-long language tag. */
    memset(desc, 'l', DESC_LONG);
    RI("lang_300", libssh2_session_disconnect_ex(s, SSH_DISCONNECT_BY_APPLICATION, "x", desc));
    memset(desc, 'd', DESC_LONG);
    desc[DESC_MAX] = 0;
    RI("desc_256", libssh2_session_disconnect_ex(s, SSH_DISCONNECT_BY_APPLICATION, desc, NULL));
    RI("again", libssh2_session_disconnect_ex(s, SSH_DISCONNECT_BY_APPLICATION, "again", ""));
    RI("authenticated", libssh2_userauth_authenticated(s));
    RV("set_timeout", libssh2_session_set_timeout(s, WAIT_CAP_MS));
    RP("open_after", libssh2_channel_open_session(s));
    RI("keepalive_after", ({ int n = -1; int r = libssh2_keepalive_send(s, &n); r; }));
    sess_done(s, fd);
}

static void disconnect_null_desc(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RI("desc_null", libssh2_session_disconnect_ex(s, SSH_DISCONNECT_BY_APPLICATION, NULL, NULL));
    RI("reason_bad", libssh2_session_disconnect_ex(s, 9999, "odd reason", "en"));
    sess_done(s, fd);
}

static void disconnect_empty(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RI("desc_empty", libssh2_session_disconnect_ex(s, SSH_DISCONNECT_BY_APPLICATION, "", ""));
    RI("free", libssh2_session_free(s));
    rec_s = NULL;
    close(fd);
}

/* ---- negotiation ---------------------------------------------------------- */

/* Session timeout for a negotiation: libssh2 1.11.1 hangs on some pairs. */
#define NEGOTIATE_TIMEOUT_MS 5000
#define NEGOTIATE_MAX_PREFS 4

struct pref {
    int type;
    const char *value;
};

/* A handshake with prefs set (up to NEGOTIATE_MAX_PREFS), then a command. */
static void negotiate_all(const char *label, const struct pref *prefs, int compress)
{
    int fd = conn_tcp(), i;
    char step[96];
    LIBSSH2_SESSION *s;
    s = RP("setup.init", libssh2_session_init());
    rec_s = s;
    rec_fd = fd;
    libssh2_session_set_timeout(s, NEGOTIATE_TIMEOUT_MS);
    if(compress)
        libssh2_session_flag(s, LIBSSH2_FLAG_COMPRESS, 1);
    for(i = 0; i < NEGOTIATE_MAX_PREFS && prefs[i].value; i++) {
        snprintf(step, sizeof(step), "%s.pref.%s", label, method_names[prefs[i].type]);
        RI(step, libssh2_session_method_pref(s, prefs[i].type, prefs[i].value));
    }
    snprintf(step, sizeof(step), "%s.handshake", label);
    if(RI(step, libssh2_session_handshake(s, (libssh2_socket_t)fd)) == 0) {
        int t;
        for(t = 0; t < METHOD_TYPES; t++) {
            snprintf(step, sizeof(step), "%s.%s", label, method_names[t]);
            RS(step, libssh2_session_methods(s, t));
        }
        if(prefs[0].type == LIBSSH2_METHOD_HOSTKEY)
            record_hostkey(s, label);
        if(auth_key(s) == 0) {
            LIBSSH2_CHANNEL *ch = chan_exec(s, "echo ok");
            if(ch) {
                snprintf(step, sizeof(step), "%s.read", label);
                chan_drain(step, ch, 0);
                libssh2_channel_free(ch);
            }
        }
    }
    sess_done(s, fd);
}

static void negotiate(const char *label, int type, const char *pref, int compress)
{
    struct pref p[2] = {{type, pref}, {0, NULL}};
    negotiate_all(label, p, compress);
}

static void default_methods(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    record_methods(s, "default");
    record_hostkey(s, "default");
    sess_done(s, fd);
}

/* One method preference per scenario (rec_arg), so a hang ends one case. */
static void kex(void)
{
    negotiate("kex", LIBSSH2_METHOD_KEX, rec_arg, 0);
}

static void hostkey(void)
{
    negotiate("hostkey", LIBSSH2_METHOD_HOSTKEY, rec_arg, 0);
}

/* A cipher both ways, as programs set it. */
static void cipher(void)
{
    struct pref p[3] = {{LIBSSH2_METHOD_CRYPT_CS, rec_arg}, {LIBSSH2_METHOD_CRYPT_SC, rec_arg},
                        {0, NULL}};
    negotiate_all("crypt", p, 0);
}

/* Only client to server: the other way stays on the default (chacha20). */
static void crypt_cs_only(void)
{
    negotiate("crypt", LIBSSH2_METHOD_CRYPT_CS, rec_arg, 0);
}

/* A MAC both ways, with a cipher that uses one. */
static void mac(void)
{
    struct pref p[5] = {{LIBSSH2_METHOD_CRYPT_CS, "aes128-ctr"},
                        {LIBSSH2_METHOD_CRYPT_SC, "aes128-ctr"},
                        {LIBSSH2_METHOD_MAC_CS, rec_arg}, {LIBSSH2_METHOD_MAC_SC, rec_arg},
                        {0, NULL}};
    negotiate_all("mac", p, 0);
}

static void comp_each(void)
{
    negotiate("zlib_flag", LIBSSH2_METHOD_COMP_CS, "zlib@openssh.com,zlib,none", 1);
    negotiate("zlib_noflag", LIBSSH2_METHOD_COMP_CS, "zlib@openssh.com,zlib,none", 0);
    negotiate("none", LIBSSH2_METHOD_COMP_SC, "none", 1);
    negotiate("sign_rsa", LIBSSH2_METHOD_SIGN_ALGO, "rsa-sha2-256", 0);
}

/* ---- callbacks and tracing -------------------------------------------------- */

static int cb_sends, cb_recvs, cb_traces, cb_ignores, cb_debugs, cb_disconnects;

static ssize_t my_send(libssh2_socket_t fd, const void *b, size_t n, int flags, void **abstract)
{
    ssize_t r;
    (void)abstract;
    cb_sends++;
    r = send(fd, b, n, flags);
    return r < 0 ? -errno : r;
}

static ssize_t my_recv(libssh2_socket_t fd, void *b, size_t n, int flags, void **abstract)
{
    ssize_t r;
    (void)abstract;
    cb_recvs++;
    r = recv(fd, b, n, flags);
    return r < 0 ? -errno : r;
}

static void my_ignore(LIBSSH2_SESSION *s, const char *m, int len, void **abstract)
{
    (void)s, (void)m, (void)len, (void)abstract;
    cb_ignores++;
}

static void my_debug(LIBSSH2_SESSION *s, int always, const char *m, int ml, const char *l,
                     int ll, void **abstract)
{
    (void)s, (void)always, (void)m, (void)ml, (void)l, (void)ll, (void)abstract;
    cb_debugs++;
}

static void my_disconnect(LIBSSH2_SESSION *s, int reason, const char *m, int ml, const char *l,
                          int ll, void **abstract)
{
    (void)s, (void)reason, (void)m, (void)ml, (void)l, (void)ll, (void)abstract;
    cb_disconnects++;
}

static void my_trace(LIBSSH2_SESSION *s, void *ctx, const char *data, size_t len)
{
    (void)s, (void)ctx, (void)data, (void)len;
    cb_traces++;
}

/* The built-in send/recv that callback_set2 handed back, wrapped (as proxies and
 * byte counters do). */
static libssh2_cb_generic *prev_send, *prev_recv;
static long wrap_sent, wrap_recvd;

static ssize_t wrap_send(libssh2_socket_t fd, const void *b, size_t n, int flags, void **abstract)
{
    ssize_t r = ((ssize_t (*)(libssh2_socket_t, const void *, size_t, int, void **))prev_send)(
        fd, b, n, flags, abstract);
    if(r > 0)
        wrap_sent += r;
    return r;
}

static ssize_t wrap_recv(libssh2_socket_t fd, void *b, size_t n, int flags, void **abstract)
{
    ssize_t r = ((ssize_t (*)(libssh2_socket_t, void *, size_t, int, void **))prev_recv)(
        fd, b, n, flags, abstract);
    if(r > 0)
        wrap_recvd += r;
    return r;
}

/* A program that wraps the default send and recv: the session runs through them. */
static void callbacks_wrap(void)
{
    int fd = conn_tcp();
    LIBSSH2_SESSION *s = sess_new();
    LIBSSH2_CHANNEL *ch;
    rec_fd = fd;
    prev_send = libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_SEND, (libssh2_cb_generic *)wrap_send);
    prev_recv = libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_RECV, (libssh2_cb_generic *)wrap_recv);
    NOTE("defaults", "send=%d recv=%d", prev_send != NULL, prev_recv != NULL);
    if(!prev_send || !prev_recv) {
        libssh2_session_free(s);
        rec_s = NULL;
        close(fd);
        return;
    }
    RI("handshake", libssh2_session_handshake(s, (libssh2_socket_t)fd));
    auth_key(s);
    ch = chan_exec(s, "echo wrapped");
    if(ch) {
        chan_drain("read", ch, 0);
        libssh2_channel_free(ch);
    }
    NOTE("wrapped", "sent=%d recvd=%d", wrap_sent > 0, wrap_recvd > 0);
    RI("set2_back", libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_SEND, prev_send) ==
                        (libssh2_cb_generic *)wrap_send);
    sess_done(s, fd);
}

static void callbacks(void)
{
    int fd = conn_tcp(), t;
    LIBSSH2_SESSION *s = sess_new();
    rec_fd = fd;
    RP("set2_send", libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_SEND,
                                                  (libssh2_cb_generic *)my_send));
    {
        libssh2_cb_generic *prev = libssh2_session_callback_set2(
            s, LIBSSH2_CALLBACK_SEND, (libssh2_cb_generic *)my_send);
        RI("set2_send_again_prev_is_ours", prev == (libssh2_cb_generic *)my_send);
    }
    RP("set2_recv", libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_RECV,
                                                  (libssh2_cb_generic *)my_recv));
    RP("set2_ignore", libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_IGNORE,
                                                    (libssh2_cb_generic *)my_ignore));
    RP("set_debug", libssh2_session_callback_set(s, LIBSSH2_CALLBACK_DEBUG, (void *)my_debug));
    RP("set_disconnect", libssh2_session_callback_set(s, LIBSSH2_CALLBACK_DISCONNECT,
                                                      (void *)my_disconnect));
    RP("set_macerror", libssh2_session_callback_set(s, LIBSSH2_CALLBACK_MACERROR, NULL));
    RP("set_x11", libssh2_session_callback_set(s, LIBSSH2_CALLBACK_X11, NULL));
    RP("set_authagent", libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_AUTHAGENT, NULL));
    RP("set_bad", libssh2_session_callback_set2(s, 99, (libssh2_cb_generic *)my_send));
    RP("set_neg", libssh2_session_callback_set(s, -1, (void *)my_send));
    RI("trace", libssh2_trace(s, ~0));
    RI("trace_handler", libssh2_trace_sethandler(s, &cb_traces, my_trace));
    RI("handshake", libssh2_session_handshake(s, (libssh2_socket_t)fd));
    auth_key(s);
    RI("trace_off", libssh2_trace(s, 0));
    RI("trace_handler_null", libssh2_trace_sethandler(s, NULL, NULL));
    for(t = 0; t < 2; t++) {
        LIBSSH2_CHANNEL *ch = chan_exec(s, "echo cb");
        if(ch) {
            chan_drain("read", ch, 0);
            libssh2_channel_free(ch);
        }
    }
    NOTE("counts", "sent=%d recvd=%d ignores=%d debugs=%d disconnects=%d", cb_sends > 0,
         cb_recvs > 0, cb_ignores, cb_debugs, cb_disconnects);
    /* Apart: whether tracing is built in is a build option of libssh2's. */
    NOTE("traced", "%d", cb_traces > 0);
    sess_done(s, fd);
}

/* A RECV callback that reports the peer gone (0) after the handshake. */
static int recv_eof_now;
static ssize_t eof_recv(libssh2_socket_t fd, void *b, size_t n, int flags, void **abstract)
{
    ssize_t r;
    (void)abstract;
    if(recv_eof_now)
        return recv_eof_now == 1 ? 0 : -ECONNRESET;
    r = recv(fd, b, n, flags);
    return r < 0 ? -errno : r;
}

static void callback_recv_errors(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_new();
    fd = conn_tcp();
    libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_RECV, (libssh2_cb_generic *)eof_recv);
    RI("handshake", libssh2_session_handshake(s, (libssh2_socket_t)fd));
    recv_eof_now = 1;
    RP("list_eof", libssh2_userauth_list(s, fx.user, (unsigned int)strlen(fx.user)));
    sess_done(s, fd);
    s = sess_new();
    fd = conn_tcp();
    recv_eof_now = 0;
    libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_RECV, (libssh2_cb_generic *)eof_recv);
    RI("handshake2", libssh2_session_handshake(s, (libssh2_socket_t)fd));
    recv_eof_now = 2;
    RP("list_reset", libssh2_userauth_list(s, fx.user, (unsigned int)strlen(fx.user)));
    sess_done(s, fd);
}

/* ---- timeouts, keepalive, poll, base64 ----------------------------------------- */

static void timeouts(void)
{
    int fd;
    char buf[64];
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "sleep 4; echo late");
    RV("set_timeout", libssh2_session_set_timeout(s, WAIT_CAP_MS));
    RI("read_times_out", libssh2_channel_read(ch, buf, sizeof(buf)));
    RI("read_again", libssh2_channel_read(ch, buf, sizeof(buf)));
    RV("set_timeout0", libssh2_session_set_timeout(s, 0));
    chan_drain("read_rest", ch, 0);
    chan_status("status", ch);
    RI("free", libssh2_channel_free(ch));
    sess_done(s, fd);
}

static void read_timeout(void)
{
    int fd;
    char buf[64];
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "sleep 3; echo late");
    RV("set_read_timeout", libssh2_session_set_read_timeout(s, 1));
    RI("get_read_timeout", libssh2_session_get_read_timeout(s));
    RI("read", libssh2_channel_read(ch, buf, sizeof(buf)));
    chan_drain("read_rest", ch, 0);
    libssh2_channel_free(ch);
    sess_done(s, fd);
}

static void keepalive(void)
{
    int fd, next = -1;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    RI("send_unconfigured", libssh2_keepalive_send(s, &next));
    KV("next=%d", next);
    RV("config", libssh2_keepalive_config(s, 1, 10));
    next = -1;
    RI("send", libssh2_keepalive_send(s, &next));
    KV("next=%d", next);
    next = -1;
    RI("send_soon", libssh2_keepalive_send(s, &next));
    KV("next_in_range=%d", next > 0 && next <= 10);
    RI("send_null", libssh2_keepalive_send(s, NULL));
    RV("config_1", libssh2_keepalive_config(s, 0, 1));
    next = -1;
    RI("send_1", libssh2_keepalive_send(s, &next));
    KV("next_in_range=%d", next > 0 && next <= 2);
    RV("config_0", libssh2_keepalive_config(s, 1, 0));
    next = -1;
    RI("send_0", libssh2_keepalive_send(s, &next));
    KV("next=%d", next);
    {
        /* The reply to want_reply keepalives must not disturb a channel. */
        LIBSSH2_CHANNEL *ch;
        libssh2_keepalive_config(s, 1, 10);
        ch = chan_exec(s, "echo after-keepalive");
        RI("send_with_channel", libssh2_keepalive_send(s, &next));
        chan_drain("read", ch, 0);
        libssh2_channel_free(ch);
    }
    sess_done(s, fd);
}

static void poll_calls(void)
{
    int fd;
    LIBSSH2_POLLFD p[3];
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_CHANNEL *ch = chan_exec(s, "echo polled; echo err >&2; sleep 1");
    memset(p, 0, sizeof(p));
    RI("nfds0", libssh2_poll(p, 0, 10));
    p[0].type = LIBSSH2_POLLFD_CHANNEL;
    p[0].fd.channel = ch;
    p[0].events = LIBSSH2_POLLFD_POLLIN;
    RI("channel_in", libssh2_poll(p, 1, 3000));
    KV("revents=%lu", p[0].revents & LIBSSH2_POLLFD_POLLIN);
    RI("poll_channel_read", libssh2_poll_channel_read(ch, 0));
    RI("poll_channel_read_ext", libssh2_poll_channel_read(ch, 1));
    p[0].events = LIBSSH2_POLLFD_POLLEXT;
    RI("channel_ext", libssh2_poll(p, 1, 3000));
    KV("revents=%lu", p[0].revents & LIBSSH2_POLLFD_POLLEXT);
    p[0].events = LIBSSH2_POLLFD_POLLOUT;
    RI("channel_out", libssh2_poll(p, 1, 1000));
    KV("revents=%lu", p[0].revents & LIBSSH2_POLLFD_POLLOUT);
    p[1].type = LIBSSH2_POLLFD_SOCKET;
    p[1].fd.socket = fd;
    p[1].events = LIBSSH2_POLLFD_POLLOUT;
    RI("socket_out", libssh2_poll(p + 1, 1, 1000));
    KV("revents=%lu", p[1].revents);
    p[2].type = 99;
    RI("bad_type", libssh2_poll(p + 2, 1, 10));
    chan_drain("read", ch, 0);
    chan_drain("read_err", ch, 1);
    RI("poll_channel_read_done", libssh2_poll_channel_read(ch, 0));
    p[0].events = LIBSSH2_POLLFD_POLLIN;
    RI("channel_in_eof", libssh2_poll(p, 1, 1000));
    KV("revents_closed=%lu", p[0].revents & (LIBSSH2_POLLFD_CHANNEL_CLOSED | LIBSSH2_POLLFD_POLLHUP));
    libssh2_channel_free(ch);
    sess_done(s, fd);
}

static void base64(void)
{
    int fd;
    char *out = NULL;
    unsigned int len = 0;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RI("hello", libssh2_base64_decode(s, &out, &len, "aGVsbG8=", 8));
    rec_bytes("out", out, len);
    libssh2_free(s, out);
    out = NULL;
    RI("nopad", libssh2_base64_decode(s, &out, &len, "aGVsbG8", 7));
    if(out)
        rec_bytes("out", out, len);
    libssh2_free(s, out);
    out = NULL;
    RI("bad", libssh2_base64_decode(s, &out, &len, "!!!!", 4));
    out = NULL;
    RI("empty", libssh2_base64_decode(s, &out, &len, "", 0));
    out = NULL;
    RI("one", libssh2_base64_decode(s, &out, &len, "a", 1));
    out = NULL;
    RI("whitespace", libssh2_base64_decode(s, &out, &len, "aGVs bG8=", 9));
    if(out)
        rec_bytes("out", out, len);
    RV("free_null", libssh2_free(s, NULL));
    sess_done(s, fd);
}

/* ---- NULL handles ------------------------------------------------------------ */

static void null_session(void)
{
    int n = 0;
    const char **algs = NULL;
    char *msg = NULL;
    size_t len;
    int type;
    rec_s = NULL;
#define NS(step, call) RFORK(step, RI(step, call))
#define NSP(step, call) RFORK(step, RP(step, call))
#define NSV(step, call) RFORK(step, RV(step, call))
    NS("handshake", libssh2_session_handshake(NULL, 0));
    NS("startup", libssh2_session_startup(NULL, 0));
    NS("disconnect", libssh2_session_disconnect(NULL, "x"));
    NS("free", libssh2_session_free(NULL));
    NSP("methods", libssh2_session_methods(NULL, 0));
    NSP("hostkey", libssh2_session_hostkey(NULL, &len, &type));
    NSP("hostkey_hash", libssh2_hostkey_hash(NULL, LIBSSH2_HOSTKEY_HASH_SHA1));
    NSP("banner_get", libssh2_session_banner_get(NULL));
    NS("banner_set", libssh2_session_banner_set(NULL, "x"));
    NS("last_errno", libssh2_session_last_errno(NULL));
    NS("last_error", libssh2_session_last_error(NULL, &msg, &n, 0));
    NS("set_last_error", libssh2_session_set_last_error(NULL, -1, "x"));
    NS("block_directions", libssh2_session_block_directions(NULL));
    NS("flag", libssh2_session_flag(NULL, LIBSSH2_FLAG_SIGPIPE, 1));
    NS("get_blocking", libssh2_session_get_blocking(NULL));
    NSV("set_blocking", libssh2_session_set_blocking(NULL, 0));
    NS("get_timeout", libssh2_session_get_timeout(NULL));
    NSV("set_timeout", libssh2_session_set_timeout(NULL, 1));
    NS("get_read_timeout", libssh2_session_get_read_timeout(NULL));
    NSV("set_read_timeout", libssh2_session_set_read_timeout(NULL, 1));
    NSV("keepalive_config", libssh2_keepalive_config(NULL, 1, 1));
    NS("keepalive_send", libssh2_keepalive_send(NULL, &n));
    NS("supported_algs", libssh2_session_supported_algs(NULL, 0, &algs));
    NS("method_pref", libssh2_session_method_pref(NULL, 0, "x"));
    NSP("abstract", libssh2_session_abstract(NULL));
    NSP("callback_set2", libssh2_session_callback_set2(NULL, 0, NULL));
    NSP("userauth_list", libssh2_userauth_list(NULL, "x", 1));
    NS("authenticated", libssh2_userauth_authenticated(NULL));
    NS("password", libssh2_userauth_password(NULL, "x", "y"));
    NSP("channel_open", libssh2_channel_open_session(NULL));
    NSP("sftp_init", libssh2_sftp_init(NULL));
    NSP("knownhost_init", libssh2_knownhost_init(NULL));
    NSP("agent_init", libssh2_agent_init(NULL));
    NSP("publickey_init", libssh2_publickey_init(NULL));
    NSP("scp_recv2", libssh2_scp_recv2(NULL, "x", NULL));
    NS("trace", libssh2_trace(NULL, 1));
    NS("trace_sethandler", libssh2_trace_sethandler(NULL, NULL, NULL));
    NS("base64", libssh2_base64_decode(NULL, &msg, (unsigned int *)&n, "aGk=", 4));
    NSV("free_ptr", libssh2_free(NULL, NULL));
    NS("poll_null", libssh2_poll(NULL, 1, 0));
#undef NS
#undef NSP
#undef NSV
}

/* ---- the peer going away -------------------------------------------------------- */

static const char *fake_names[] = {
    "at_once", "banner_then_close", "no_banner", "after_kex_init",
    "garbage_banner", "silent", "disconnect_msg"};

static void fake_one(enum fake_stage st, int nonblocking)
{
    pid_t pid;
    int fd = fake_start(st, &pid);
    char step[64];
    LIBSSH2_SESSION *s = sess_new();
    rec_fd = fd;
    libssh2_session_set_timeout(s, WAIT_CAP_MS);
    snprintf(step, sizeof(step), "%s%s.handshake", fake_names[st], nonblocking ? ".nb" : "");
    if(nonblocking) {
        libssh2_session_set_blocking(s, 0);
        NBI(step, libssh2_session_handshake(s, (libssh2_socket_t)fd));
    }
    else {
        RI(step, libssh2_session_handshake(s, (libssh2_socket_t)fd));
    }
    /* The peer is gone for sure before the next call. */
    fake_reap(pid);
    pid = 0;
    snprintf(step, sizeof(step), "%s%s.after", fake_names[st], nonblocking ? ".nb" : "");
    RP(step, libssh2_userauth_list(s, "x", 1));
    snprintf(step, sizeof(step), "%s%s.disconnect", fake_names[st], nonblocking ? ".nb" : "");
    RI(step, libssh2_session_disconnect(s, "bye"));
    RI("setup.free", libssh2_session_free(s));
    rec_s = NULL;
    close(fd);
}

static void peer_gone_kex(void)
{
    int st;
    for(st = FAKE_CLOSE_AT_ONCE; st <= FAKE_DISCONNECT_MSG; st++) {
        fake_one((enum fake_stage)st, 0);
        fake_one((enum fake_stage)st, 1);
    }
}

/* sshd itself, behind a relay that is killed at a stage. */
static void peer_gone_session(void)
{
    struct relay r;
    LIBSSH2_SESSION *s;
    int next = 0;

    /* After the handshake, before auth. */
    s = sess_on(relay_start(&r));
    relay_kill(&r, "kill_after_handshake");
    RP("list", libssh2_userauth_list(s, fx.user, (unsigned int)strlen(fx.user)));
    RP("list_again", libssh2_userauth_list(s, fx.user, (unsigned int)strlen(fx.user)));
    RI("password", libssh2_userauth_password(s, fx.user, fx.password));
    RP("open", libssh2_channel_open_session(s));
    RI("keepalive", libssh2_keepalive_send(s, &next));
    RI("disconnect", libssh2_session_disconnect(s, "bye"));
    sess_done(s, r.fd);

    /* After auth. */
    s = sess_on(relay_start(&r));
    auth_key(s);
    relay_kill(&r, "kill_after_auth");
    RP("auth.open", libssh2_channel_open_session(s));
    RP("auth.direct_tcpip", libssh2_channel_direct_tcpip(s, "127.0.0.1", 9));
    RP("auth.sftp", libssh2_sftp_init(s));
    libssh2_keepalive_config(s, 1, 5);
    RI("auth.keepalive", libssh2_keepalive_send(s, &next));
    RI("auth.disconnect", libssh2_session_disconnect(s, "bye"));
    sess_done(s, r.fd);

    /* Non-blocking, after auth. */
    s = sess_on(relay_start(&r));
    auth_key(s);
    libssh2_session_set_blocking(s, 0);
    relay_kill(&r, "kill_nb");
    NBP("nb.open", libssh2_channel_open_session(s));
    NBI("nb.disconnect", libssh2_session_disconnect(s, "bye"));
    sess_done(s, r.fd);

    /* Our own socket shut down under the session. */
    {
        int fd;
        s = sess_auth(&fd);
        NOTE("shutdown_wr", "%d", shutdown(fd, SHUT_WR));
        RP("shut.open", libssh2_channel_open_session(s));
        RI("shut.disconnect", libssh2_session_disconnect(s, "bye"));
        sess_done(s, fd);
        s = sess_auth(&fd);
        NOTE("shutdown_rdwr", "%d", shutdown(fd, SHUT_RDWR));
        RP("shutrw.open", libssh2_channel_open_session(s));
        sess_done(s, fd);
    }
}

/* Before auth, on a socket that is already dead (issue 15). */
static void open_before_auth_dead(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    shutdown(fd, SHUT_RDWR);
    RP("open_ex", libssh2_channel_open_ex(s, "session", 7, LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                          LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0));
    RP("direct_tcpip_ex", libssh2_channel_direct_tcpip_ex(s, "127.0.0.1", 22, "127.0.0.1", 22));
    RP("sftp_init", libssh2_sftp_init(s));
    sess_done(s, fd);
}

static void open_before_auth_live(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    libssh2_session_set_timeout(s, WAIT_CAP_MS);
    RP("open_session", libssh2_channel_open_session(s));
    RP("scp_recv2", libssh2_scp_recv2(s, "/etc/hostname", NULL));
    RI("authenticated", libssh2_userauth_authenticated(s));
    auth_key(s);
    sess_done(s, fd);
}

REC_MAIN(SCN(version_init), SCN(no_init), SCN(pre_handshake), SCN(handshake_ok),
         SCN(handshake_again_nb), SCN(handshake_nb), SCN(handshake_bad_fd), SCN(startup_old),
         SCN(disconnect_args), SCN(disconnect_null_desc), SCN(disconnect_empty),
         SCN(default_methods),
         SCNA(kex, "curve25519-sha256"), SCNA(kex, "curve25519-sha256@libssh.org"),
         SCNA(kex, "ecdh-sha2-nistp256"), SCNA(kex, "ecdh-sha2-nistp384"),
         SCNA(kex, "ecdh-sha2-nistp521"), SCNA(kex, "diffie-hellman-group14-sha256"),
         SCNA(kex, "diffie-hellman-group16-sha512"), SCNA(kex, "diffie-hellman-group18-sha512"),
         SCNA(kex, "diffie-hellman-group-exchange-sha256"),
         SCNA(kex, "diffie-hellman-group14-sha1"), SCNA(kex, "diffie-hellman-group-exchange-sha1"),
         SCNA(kex, "diffie-hellman-group1-sha1"),
         SCNA(kex, "sntrup761x25519-sha512@openssh.com"), SCNA(kex, "mlkem768x25519-sha256"),
         SCNA(hostkey, "ssh-ed25519"), SCNA(hostkey, "ecdsa-sha2-nistp256"),
         SCNA(hostkey, "rsa-sha2-512"), SCNA(hostkey, "rsa-sha2-256"), SCNA(hostkey, "ssh-rsa"),
         SCNA(hostkey, "ecdsa-sha2-nistp384"), SCNA(hostkey, "ssh-dss"),
         SCNA(cipher, "aes128-ctr"), SCNA(cipher, "aes192-ctr"), SCNA(cipher, "aes256-ctr"),
         SCNA(cipher, "aes128-gcm@openssh.com"), SCNA(cipher, "aes256-gcm@openssh.com"),
         SCNA(cipher, "chacha20-poly1305@openssh.com"), SCNA(cipher, "aes256-cbc"),
         SCNA(cipher, "aes128-cbc"), SCNA(cipher, "3des-cbc"), SCNA(cipher, "blowfish-cbc"),
         SCNA(cipher, "arcfour128"), SCNA(crypt_cs_only, "aes128-ctr"),
         SCNA(mac, "hmac-sha2-256"), SCNA(mac, "hmac-sha2-512"), SCNA(mac, "hmac-sha1"),
         SCNA(mac, "hmac-sha2-256-etm@openssh.com"), SCNA(mac, "hmac-sha2-512-etm@openssh.com"),
         SCNA(mac, "hmac-sha1-etm@openssh.com"), SCNA(mac, "hmac-md5"),
         SCNA(mac, "hmac-sha1-96"), SCNA(mac, "hmac-ripemd160"),
         SCN(comp_each), SCN(callbacks), SCN(callbacks_wrap), SCN(callback_recv_errors),
         SCN(timeouts), SCN(read_timeout), SCN(keepalive), SCN(poll_calls), SCN(base64),
         SCN(null_session), SCN(peer_gone_kex), SCN(peer_gone_session),
         SCN(open_before_auth_dead), SCN(open_before_auth_live))
