/*
 * Differential scenarios: user authentication by every method, right and
 * wrong, repeated, before the handshake, after the peer went away, with
 * NULL / empty / over-long arguments, and arguments libssh2 does not read.
 */
#include "conn.h"

/* An over-long user name (no server accepts it). */
#define USER_LONG 300
/* Largest key file read into memory. */
#define KEY_FILE_MAX 16384

static char key_path_buf[512];

/* DIR/name of the fixture's key files. */
static const char *key_path(const char *name)
{
    snprintf(key_path_buf, sizeof(key_path_buf), "%s/%s", fx.dir, name);
    return key_path_buf;
}

static char *read_file(const char *path, size_t *len)
{
    static char buf[4][KEY_FILE_MAX];
    static int next;
    char *b = buf[next++ % 4];
    FILE *f = fopen(path, "rb");
    *len = 0;
    if(!f)
        _exit(95);
    *len = fread(b, 1, KEY_FILE_MAX - 1, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

static unsigned int ulen(const char *s)
{
    return (unsigned int)strlen(s);
}

/* ---- list, banner, authenticated ------------------------------------------- */

static void list(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RS("list", libssh2_userauth_list(s, fx.user, ulen(fx.user)));
    RI("authenticated", libssh2_userauth_authenticated(s));
    RS("list_again", libssh2_userauth_list(s, fx.user, ulen(fx.user)));
    RI("password", libssh2_userauth_password(s, fx.user, fx.password));
    RI("authenticated_after", libssh2_userauth_authenticated(s));
    /* sshd ignores auth requests after success: bounded waits. */
    RV("set_timeout", libssh2_session_set_timeout(s, WAIT_CAP_MS));
    RS("list_after_auth", libssh2_userauth_list(s, fx.user, ulen(fx.user)));
    RI("password_again", libssh2_userauth_password(s, fx.user, fx.password));
    auth_key(s);
    sess_done(s, fd);
}

/*
 * rec_arg names the user of the second request. sshd disconnects a client
 * that changes the user name within a connection: the later calls see a
 * peer that has gone away during authentication.
 */
static void change_user(void)
{
    struct relay r;
    char user[USER_LONG + 1];
    const char *u = rec_arg;
    unsigned int n;
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    memset(user, 'u', USER_LONG);
    user[USER_LONG] = 0;
    n = ulen(u);
    if(!strcmp(u, "LONG"))
        u = user, n = USER_LONG;
    else if(!strcmp(u, "EMPTY"))
        u = "", n = 0;
    else if(!strcmp(u, "SHORTER"))
        u = fx.user, n = 3;
    RS("list", libssh2_userauth_list(s, fx.user, ulen(fx.user)));
    /* In a child: a NULL user name may crash one library. */
    RFORK("rest", {
        if(!strcmp(rec_arg, "NULL"))
            u = NULL, n = 0;
        RS("list_other", libssh2_userauth_list(s, u, n));
        /* sshd's close reaches us through the relay: no race with it. */
        relay_wait_exit(&r, "relay");
        RS("list_after", libssh2_userauth_list(s, fx.user, ulen(fx.user)));
        RI("password_after", libssh2_userauth_password(s, fx.user, fx.password));
    });
    relay_kill(&r, "kill");
    sess_done(s, r.fd);
}

static void banner(void)
{
    int fd;
    char *b = NULL;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RI("before_list", libssh2_userauth_banner(s, &b));
    rec_str("banner", b);
    RS("list", libssh2_userauth_list(s, fx.user, ulen(fx.user)));
    b = NULL;
    RI("after_list", libssh2_userauth_banner(s, &b));
    rec_str("banner", b);
    auth_key(s);
    b = NULL;
    RI("after_auth", libssh2_userauth_banner(s, &b));
    rec_str("banner", b);
    RFORK("null_out", RI("null_out", libssh2_userauth_banner(s, NULL)));
    sess_done(s, fd);
}

/* Auth straight away, without userauth_list first: the banner comes then. */
static void banner_after_password(void)
{
    int fd;
    char *b = NULL;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RI("password", libssh2_userauth_password(s, fx.user, fx.password));
    RI("banner", libssh2_userauth_banner(s, &b));
    rec_str("banner", b);
    sess_done(s, fd);
}

/* ---- password ---------------------------------------------------------------- */

static int change_calls;
static void change_cb(LIBSSH2_SESSION *s, char **pw, int *len, void **abstract)
{
    (void)s, (void)abstract;
    change_calls++;
    *pw = NULL;
    *len = 0;
}

static void password(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RI("wrong", libssh2_userauth_password(s, fx.user, "wrong password"));
    RI("empty", libssh2_userauth_password_ex(s, fx.user, ulen(fx.user), "", 0, NULL));
    RI("right", libssh2_userauth_password_ex(s, fx.user, ulen(fx.user), fx.password,
                                             ulen(fx.password), change_cb));
    RI("authenticated", libssh2_userauth_authenticated(s));
    RV("set_timeout", libssh2_session_set_timeout(s, WAIT_CAP_MS));
    RI("again_after_success", libssh2_userauth_password(s, fx.user, fx.password));
    RI("wrong_after_success", libssh2_userauth_password(s, fx.user, "wrong password"));
    RI("authenticated_still", libssh2_userauth_authenticated(s));
    NOTE("change_calls", "%d", change_calls);
    sess_done(s, fd);
}

/* rec_arg: which argument is NULL or must not be read; then the right password. */
static void password_probe(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RFORK(rec_arg, {
        if(!strcmp(rec_arg, "null_password"))
            RI("probe", libssh2_userauth_password_ex(s, fx.user, ulen(fx.user), NULL, 0, NULL));
        else if(!strcmp(rec_arg, "null_user"))
            RI("probe", libssh2_userauth_password_ex(s, NULL, 0, fx.password, ulen(fx.password),
                                                     NULL));
        else /* a password pointer with length 0: nothing of it may be read */
            RI("probe", libssh2_userauth_password_ex(s, fx.user, ulen(fx.user), rec_poison(), 0,
                                                     NULL));
        RI("right", libssh2_userauth_password(s, fx.user, fx.password));
    });
    sess_done(s, fd);
}

static void password_nb(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    libssh2_session_set_blocking(s, 0);
    NBI("wrong", libssh2_userauth_password(s, fx.user, "wrong password"));
    NBI("right", libssh2_userauth_password(s, fx.user, fx.password));
    RI("authenticated", libssh2_userauth_authenticated(s));
    NBP("open", libssh2_channel_open_session(s));
    sess_done(s, fd);
}

/* ---- keyboard-interactive ----------------------------------------------------- */

static int kbd_calls, kbd_mode;

static void kbd_cb(const char *name, int name_len, const char *instr, int instr_len,
                   int n, const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
                   LIBSSH2_USERAUTH_KBDINT_RESPONSE *resp, void **abstract)
{
    int i;
    (void)abstract;
    kbd_calls++;
    rec_begin("kbd_cb");
    rec_bytes("name", name, name ? (size_t)name_len : 0);
    rec_bytes("instruction", instr, instr ? (size_t)instr_len : 0);
    rec_add(" prompts=%d", n);
    for(i = 0; i < n; i++) {
        rec_bytes("prompt", (const char *)prompts[i].text, prompts[i].length);
        rec_add(" echo=%d", prompts[i].echo);
        if(kbd_mode == 0) {
            resp[i].text = strdup(fx.password);
            resp[i].length = ulen(fx.password);
        }
        else if(kbd_mode == 1) {
            resp[i].text = strdup("wrong password");
            resp[i].length = 14;
        }
        /* kbd_mode 2: leave the responses as the library gave them. */
    }
    rec_flush();
}

static void kbdint(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    kbd_mode = 2;
    RI("no_answer", libssh2_userauth_keyboard_interactive(s, fx.user, kbd_cb));
    kbd_mode = 0;
    RI("right", libssh2_userauth_keyboard_interactive(s, fx.user, kbd_cb));
    RI("authenticated", libssh2_userauth_authenticated(s));
    RV("set_timeout", libssh2_session_set_timeout(s, WAIT_CAP_MS));
    RI("again", libssh2_userauth_keyboard_interactive(s, fx.user, kbd_cb));
    NOTE("calls", "%d", kbd_calls);
    sess_done(s, fd);
}

static void kbdint_nb(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    libssh2_session_set_blocking(s, 0);
    kbd_mode = 0;
    NBI("right", libssh2_userauth_keyboard_interactive(s, fx.user, kbd_cb));
    sess_done(s, fd);
}

static void kbdint_wrong(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    kbd_mode = 1;
    RI("wrong", libssh2_userauth_keyboard_interactive(s, fx.user, kbd_cb));
    kbd_mode = 0;
    RI("unknown_user", libssh2_userauth_keyboard_interactive(s, "no-such-user-here", kbd_cb));
    RI("right_after", libssh2_userauth_keyboard_interactive(s, fx.user, kbd_cb));
    sess_done(s, fd);
}

static void kbdint_null(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RFORK("null_cb", {
        RI("null_cb", libssh2_userauth_keyboard_interactive_ex(s, fx.user, ulen(fx.user), NULL));
        kbd_mode = 0;
        RI("right_after", libssh2_userauth_keyboard_interactive(s, fx.user, kbd_cb));
    });
    sess_done(s, fd);
}

/* ---- public key from files ------------------------------------------------------ */

/* rec_arg: "private[:public[:passphrase]]", key file names in the fixture dir. */
static void pubkey_file(void)
{
    char spec[256], priv[512], pub[512];
    char *p, *q;
    const char *pass = NULL;
    int fd;
    LIBSSH2_SESSION *s;
    snprintf(spec, sizeof(spec), "%s", rec_arg);
    p = strchr(spec, ':');
    if(p)
        *p++ = 0;
    q = p ? strchr(p, ':') : NULL;
    if(q) {
        *q++ = 0;
        pass = !strcmp(q, "PASS") ? fx.passphrase : q;
    }
    snprintf(priv, sizeof(priv), "%s", spec[0] == '/' ? spec : key_path(spec));
    if(p && *p)
        snprintf(pub, sizeof(pub), "%s", p[0] == '/' ? p : key_path(p));
    s = sess_up(&fd);
    RI("auth", libssh2_userauth_publickey_fromfile_ex(s, fx.user, ulen(fx.user),
                                                      p && *p ? pub : NULL, priv, pass));
    RI("authenticated", libssh2_userauth_authenticated(s));
    RS("sign_algo", libssh2_session_methods(s, LIBSSH2_METHOD_SIGN_ALGO));
    sess_done(s, fd);
}

static void pubkey_file_repeat(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RI("missing_file", libssh2_userauth_publickey_fromfile_ex(
                           s, fx.user, ulen(fx.user), NULL, key_path("no-such-key"), NULL));
    RI("dir_as_key", libssh2_userauth_publickey_fromfile_ex(s, fx.user, ulen(fx.user), NULL,
                                                            fx.dir, NULL));
    RI("empty_file", libssh2_userauth_publickey_fromfile_ex(s, fx.user, ulen(fx.user), NULL,
                                                            "/dev/null", NULL));
    RI("pub_as_priv", libssh2_userauth_publickey_fromfile_ex(
                          s, fx.user, ulen(fx.user), NULL, key_path("id_ed25519.pub"), NULL));
    RI("ok", auth_key(s));
    RV("set_timeout", libssh2_session_set_timeout(s, WAIT_CAP_MS));
    RI("again", libssh2_userauth_publickey_fromfile_ex(s, fx.user, ulen(fx.user), NULL,
                                                       fx.key, NULL));
    RI("other_key_after", libssh2_userauth_publickey_fromfile_ex(
                              s, fx.user, ulen(fx.user), NULL, key_path("id_rsa3072"), NULL));
    sess_done(s, fd);
}

/* An unencrypted key with a passphrase pointer that must not be read. */
/* rec_arg: poison (an unencrypted key with a passphrase pointer that must
 * not be read), null_user, null_key; then the right key. */
static void pubkey_file_probe(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RFORK(rec_arg, {
        if(!strcmp(rec_arg, "poison"))
            RI("probe", libssh2_userauth_publickey_fromfile_ex(s, fx.user, ulen(fx.user), NULL,
                                                               fx.key, rec_poison()));
        else if(!strcmp(rec_arg, "null_user"))
            RI("probe", libssh2_userauth_publickey_fromfile_ex(s, NULL, 0, NULL, fx.key, NULL));
        else
            RI("probe", libssh2_userauth_publickey_fromfile_ex(s, fx.user, ulen(fx.user), NULL,
                                                               NULL, NULL));
        RI("authenticated", libssh2_userauth_authenticated(s));
        RI("right", libssh2_userauth_publickey_fromfile_ex(s, fx.user, ulen(fx.user), NULL,
                                                           fx.key, NULL));
    });
    sess_done(s, fd);
}

static void pubkey_file_nb(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    libssh2_session_set_blocking(s, 0);
    NBI("rsa", libssh2_userauth_publickey_fromfile_ex(s, fx.user, ulen(fx.user), NULL,
                                                      key_path("id_rsa3072"), NULL));
    sess_done(s, fd);
}

/* ---- public key from memory ------------------------------------------------------- */

/* rec_arg: "private[:PASS|:NULL|:EMPTY|:POISON|:WRONG][:pub]" */
static void pubkey_mem(void)
{
    char spec[256];
    char *p, *q = NULL;
    const char *pass = NULL, *pubdata = NULL, *priv;
    size_t privlen, publen = 0;
    int fd;
    LIBSSH2_SESSION *s;
    snprintf(spec, sizeof(spec), "%s", rec_arg);
    p = strchr(spec, ':');
    if(p) {
        *p++ = 0;
        q = strchr(p, ':');
        if(q)
            *q++ = 0;
        if(!strcmp(p, "PASS"))
            pass = fx.passphrase;
        else if(!strcmp(p, "EMPTY"))
            pass = "";
        else if(!strcmp(p, "POISON"))
            pass = rec_poison();
        else if(!strcmp(p, "WRONG"))
            pass = "wrong passphrase";
    }
    priv = read_file(key_path(spec), &privlen);
    if(q && *q)
        pubdata = read_file(key_path(q), &publen);
    s = sess_up(&fd);
    RFORK("auth", {
        RI("auth", libssh2_userauth_publickey_frommemory(s, fx.user, strlen(fx.user), pubdata,
                                                         publen, priv, privlen, pass));
        RI("authenticated", libssh2_userauth_authenticated(s));
    });
    sess_done(s, fd);
}

static void pubkey_mem_bad(void)
{
    int fd;
    size_t len;
    const char *priv = read_file(fx.key, &len);
    LIBSSH2_SESSION *s = sess_up(&fd);
    RI("empty", libssh2_userauth_publickey_frommemory(s, fx.user, strlen(fx.user), NULL, 0,
                                                      "", 0, NULL));
    RI("truncated", libssh2_userauth_publickey_frommemory(s, fx.user, strlen(fx.user), NULL, 0,
                                                          priv, len / 2, NULL));
    RI("garbage", libssh2_userauth_publickey_frommemory(s, fx.user, strlen(fx.user), NULL, 0,
                                                        "not a key\n", 10, NULL));
    RI("wrong_pub", libssh2_userauth_publickey_frommemory(
                        s, fx.user, strlen(fx.user), "ssh-ed25519 AAAA x\n", 19, priv, len, NULL));
    RFORK("null_priv", {
        RI("null_priv", libssh2_userauth_publickey_frommemory(s, fx.user, strlen(fx.user), NULL,
                                                              0, NULL, 0, NULL));
        RI("ok", libssh2_userauth_publickey_frommemory(s, fx.user, strlen(fx.user), NULL, 0,
                                                       priv, len, NULL));
    });
    sess_done(s, fd);
}

/* ---- public key with a signing callback ---------------------------------------------- */

static int sign_calls, sign_mode;
/* Mode 2: what the first call was asked to sign, to compare the retry's data. */
static unsigned char sign_first[4096];
static size_t sign_first_len;

static int sign_cb(LIBSSH2_SESSION *s, unsigned char **sig, size_t *sig_len,
                   const unsigned char *data, size_t data_len, void **abstract)
{
    (void)s, (void)data, (void)abstract;
    sign_calls++;
    NOTE("sign_cb", "data_len_positive=%d", data_len > 0);
    if(sign_mode == 0)
        return -1;
    if(sign_mode == 2 && sign_calls == 1 && data_len <= sizeof(sign_first)) {
        /* Would block: the library must ask again, for the same data. */
        memcpy(sign_first, data, data_len);
        sign_first_len = data_len;
        return LIBSSH2_ERROR_EAGAIN;
    }
    if(sign_mode == 2)
        NOTE("sign_cb.retry", "same_data=%d",
             data_len == sign_first_len && !memcmp(data, sign_first, data_len));
    /* A well-formed but wrong ed25519 signature. */
    *sig_len = 64;
    *sig = calloc(1, *sig_len);
    return 0;
}

/* The key blob of a .pub file ("type base64 comment"). */
static unsigned char *pub_blob(LIBSSH2_SESSION *s, const char *file, size_t *len)
{
    size_t n;
    char *text = read_file(key_path(file), &n);
    char *b64 = strchr(text, ' ');
    char *end, *out = NULL;
    unsigned int outlen = 0;
    if(!b64)
        _exit(94);
    b64++;
    end = strchr(b64, ' ');
    if(end)
        *end = 0;
    if(libssh2_base64_decode(s, &out, &outlen, b64, ulen(b64)))
        _exit(94);
    *len = outlen;
    return (unsigned char *)out;
}

/*
 * A callback that would block, on a session of its own, non-blocking. The
 * calls that wait for PK_OK depend on timing, so the loop runs until the
 * callback has been asked; that call's result and error are the callback's
 * EAGAIN, and the next call asks it again, for the same data.
 */
static void pubkey_callback_eagain(void)
{
    int fd, rc;
    size_t len;
    char *m = NULL;
    struct timespec t0;
    LIBSSH2_SESSION *s = sess_up(&fd);
    unsigned char *blob = pub_blob(s, "id_ed25519.pub", &len);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    libssh2_session_set_blocking(s, 0);
    sign_mode = 2;
    sign_calls = 0;
    rec_nb_reset();
    do
        rc = libssh2_userauth_publickey(s, fx.user, blob, len, sign_cb, NULL);
    while(rc == LIBSSH2_ERROR_EAGAIN && !sign_calls && rec_nb_wait(&t0));
    libssh2_session_last_error(s, &m, NULL, 0);
    NOTE("cb_eagain", "rc=%d calls=%d err=%d msg=%s", rc, sign_calls, libssh2_session_last_errno(s),
         m ? m : "");
    NBI("cb_eagain_again", libssh2_userauth_publickey(s, fx.user, blob, len, sign_cb, NULL));
    NOTE("cb_eagain_calls", "%d", sign_calls);
    libssh2_session_set_blocking(s, 1);
    libssh2_free(s, blob);
    sess_done(s, fd);
}

static void pubkey_callback(void)
{
    int fd;
    size_t len;
    LIBSSH2_SESSION *s = sess_up(&fd);
    unsigned char *blob = pub_blob(s, "id_ed25519.pub", &len);
    sign_mode = 0;
    RI("sign_fails", libssh2_userauth_publickey(s, fx.user, blob, len, sign_cb, NULL));
    sign_mode = 1;
    RI("sign_wrong", libssh2_userauth_publickey(s, fx.user, blob, len, sign_cb, NULL));
    RI("blob_empty", libssh2_userauth_publickey(s, fx.user, blob, 0, sign_cb, NULL));
    RI("blob_garbage", libssh2_userauth_publickey(s, fx.user, (const unsigned char *)"garbage",
                                                  7, sign_cb, NULL));
    NOTE("calls", "%d", sign_calls);
    RI("authenticated", libssh2_userauth_authenticated(s));
    RFORK("null_cb", {
        RI("null_cb", libssh2_userauth_publickey(s, fx.user, blob, len, NULL, NULL));
        RI("authenticated_after", libssh2_userauth_authenticated(s));
    });
    libssh2_free(s, blob);
    sess_done(s, fd);
    pubkey_callback_eagain();
}

/* ---- hostbased, security keys ----------------------------------------------------- */

static void hostbased(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    RI("ed25519", libssh2_userauth_hostbased_fromfile_ex(
                      s, fx.user, ulen(fx.user), fx.pubkey, fx.key, NULL, "localhost", 9, fx.user,
                      ulen(fx.user)));
    RI("missing_key", libssh2_userauth_hostbased_fromfile_ex(
                          s, fx.user, ulen(fx.user), NULL, key_path("no-such-key"), NULL,
                          "localhost", 9, fx.user, ulen(fx.user)));
    RI("no_pub", libssh2_userauth_hostbased_fromfile(s, fx.user, NULL, fx.key, NULL, "localhost."));
    RFORK("poison_passphrase", {
        RI("poison_passphrase", libssh2_userauth_hostbased_fromfile_ex(
                                    s, fx.user, ulen(fx.user), fx.pubkey, fx.key, rec_poison(),
                                    "localhost", 9, fx.user, ulen(fx.user)));
        auth_key(s);
    });
    sess_done(s, fd);
}

static int sk_calls;
static int sk_cb(LIBSSH2_SESSION *s, LIBSSH2_SK_SIG_INFO *info, const unsigned char *data,
                 size_t data_len, int alg, uint8_t flags, const char *app,
                 const unsigned char *handle, size_t handle_len, void **abstract)
{
    (void)s, (void)info, (void)data, (void)data_len, (void)alg, (void)flags, (void)app;
    (void)handle, (void)handle_len, (void)abstract;
    sk_calls++;
    return -1;
}

static void publickey_sk(void)
{
    int fd;
    size_t len;
    const char *priv = read_file(fx.key, &len);
    LIBSSH2_SESSION *s = sess_up(&fd);
    RI("not_sk_key", libssh2_userauth_publickey_sk(s, fx.user, strlen(fx.user), NULL, 0, priv,
                                                   len, NULL, sk_cb, NULL));
    RI("garbage", libssh2_userauth_publickey_sk(s, fx.user, strlen(fx.user), NULL, 0,
                                                "garbage", 7, NULL, sk_cb, NULL));
    RI("empty", libssh2_userauth_publickey_sk(s, fx.user, strlen(fx.user), NULL, 0, "", 0, NULL,
                                              sk_cb, NULL));
    NOTE("calls", "%d", sk_calls);
    auth_key(s);
    sess_done(s, fd);
}

/* ---- wrong states --------------------------------------------------------------- */

static void before_handshake(void)
{
    size_t len;
    const char *priv = read_file(fx.key, &len);
    LIBSSH2_SESSION *s = sess_new();
    libssh2_session_set_timeout(s, 1000);
    RFORK("list", RS("list", libssh2_userauth_list(s, fx.user, ulen(fx.user))));
    RFORK("password", RI("password", libssh2_userauth_password(s, fx.user, fx.password)));
    RFORK("pubkey_file", RI("pubkey_file", libssh2_userauth_publickey_fromfile_ex(
                                               s, fx.user, ulen(fx.user), NULL, fx.key, NULL)));
    RFORK("pubkey_mem", RI("pubkey_mem", libssh2_userauth_publickey_frommemory(
                                             s, fx.user, strlen(fx.user), NULL, 0, priv, len, NULL)));
    RFORK("kbdint", RI("kbdint", libssh2_userauth_keyboard_interactive(s, fx.user, kbd_cb)));
    RFORK("hostbased", RI("hostbased", libssh2_userauth_hostbased_fromfile(
                                           s, fx.user, NULL, fx.key, NULL, "localhost")));
    RFORK("banner", ({
              char *b = NULL;
              RI("banner", libssh2_userauth_banner(s, &b));
          }));
    RI("authenticated", libssh2_userauth_authenticated(s));
    RI("free", libssh2_session_free(s));
    rec_s = NULL;
}

static void peer_gone(void)
{
    struct relay r;
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    size_t len;
    const char *priv = read_file(fx.key, &len);
    relay_kill(&r, "kill_after_handshake");
    RS("list", libssh2_userauth_list(s, fx.user, ulen(fx.user)));
    RI("password", libssh2_userauth_password(s, fx.user, fx.password));
    RI("pubkey_file", libssh2_userauth_publickey_fromfile_ex(s, fx.user, ulen(fx.user), NULL,
                                                             fx.key, NULL));
    RI("pubkey_mem", libssh2_userauth_publickey_frommemory(s, fx.user, strlen(fx.user), NULL, 0,
                                                           priv, len, NULL));
    RI("kbdint", libssh2_userauth_keyboard_interactive(s, fx.user, kbd_cb));
    RI("authenticated", libssh2_userauth_authenticated(s));
    sess_done(s, r.fd);

    /* Gone after userauth_list answered, during the password exchange. */
    s = sess_on(relay_start(&r));
    RS("list2", libssh2_userauth_list(s, fx.user, ulen(fx.user)));
    relay_kill(&r, "kill_after_list");
    RI("password2", libssh2_userauth_password(s, fx.user, fx.password));
    sess_done(s, r.fd);

    s = sess_on(relay_start(&r));
    libssh2_session_set_blocking(s, 0);
    relay_kill(&r, "kill_nb");
    NBI("nb.password", libssh2_userauth_password(s, fx.user, fx.password));
    NBP("nb.list", libssh2_userauth_list(s, fx.user, ulen(fx.user)));
    sess_done(s, r.fd);
}

REC_MAIN(SCN(list), SCNA(change_user, "nobody"), SCNA(change_user, "LONG"),
         SCNA(change_user, "EMPTY"), SCNA(change_user, "SHORTER"), SCNA(change_user, "NULL"),
         SCN(banner), SCN(banner_after_password), SCN(password), SCNA(password_probe, "null_password"), SCNA(password_probe, "null_user"),
         SCNA(password_probe, "poison_len0"),
         SCN(password_nb), SCN(kbdint), SCN(kbdint_nb), SCN(kbdint_wrong), SCN(kbdint_null),
         SCNA(pubkey_file, "id_ed25519"), SCNA(pubkey_file, "id_ed25519:id_ed25519.pub"),
         SCNA(pubkey_file, "id_ecdsa256"), SCNA(pubkey_file, "id_rsa3072"),
         SCNA(pubkey_file, "id_rsa_pem"), SCNA(pubkey_file, "id_rsa_pem:id_rsa_pem.pub"),
         SCNA(pubkey_file, "id_ed25519_enc::PASS"), SCNA(pubkey_file, "id_ed25519_enc::wrong"),
         SCNA(pubkey_file, "id_ed25519_enc"), SCNA(pubkey_file, "id_ed25519_enc::"),
         SCNA(pubkey_file, "id_ed25519:id_rsa3072.pub"),
         SCNA(pubkey_file, "id_ed25519:no-such.pub"), SCNA(pubkey_file, "id_ed25519::unused"),
         SCN(pubkey_file_repeat), SCNA(pubkey_file_probe, "poison"),
         SCNA(pubkey_file_probe, "null_user"), SCNA(pubkey_file_probe, "null_key"), SCN(pubkey_file_nb),
         SCNA(pubkey_mem, "id_ed25519"), SCNA(pubkey_mem, "id_ed25519:POISON"),
         SCNA(pubkey_mem, "id_ed25519:EMPTY"), SCNA(pubkey_mem, "id_ed25519:NULL:id_ed25519.pub"),
         SCNA(pubkey_mem, "id_ed25519:POISON:id_ed25519.pub"), SCNA(pubkey_mem, "id_ecdsa256"),
         SCNA(pubkey_mem, "id_rsa3072"), SCNA(pubkey_mem, "id_rsa_pem"),
         SCNA(pubkey_mem, "id_rsa_pem:POISON"), SCNA(pubkey_mem, "id_ed25519_enc:PASS"),
         SCNA(pubkey_mem, "id_ed25519_enc:WRONG"), SCNA(pubkey_mem, "id_ed25519_enc:NULL"),
         SCN(pubkey_mem_bad), SCN(pubkey_callback), SCN(hostbased), SCN(publickey_sk),
         SCN(before_handshake), SCN(peer_gone))
