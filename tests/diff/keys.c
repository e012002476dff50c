/*
 * Differential scenarios: known hosts, the SSH agent, and the publickey
 * subsystem (tests/publickey_server/server.py, configured by
 * scripts/diff.sh). scripts/diff.sh starts an ssh-agent holding the
 * fixture's ed25519 key; SSH_AUTH_SOCK names it.
 */
#include "conn.h"

/* A known_hosts line buffer, and one too small for any line. */
#define LINE_MAX_LEN 2048
#define LINE_TINY 8
/* A salt for hashed host names, so hashed lines are the same every run. */
#define FIXED_SALT "AAECAwQFBgcICQoLDA0ODxAREhM="
#define FIXED_HASH "5Mh7iT9Ol8u0vSyjpAwVjNmGZJU="

static char work_buf[512];

/* DIFF_WORK/name: a local file of this run. */
static const char *work_path(const char *name)
{
    const char *w = getenv("DIFF_WORK");
    const char *tag = getenv("DIFF_TAG");
    snprintf(work_buf, sizeof(work_buf), "%s/%s-%s-%s", w ? w : "/tmp", tag ? tag : "x",
             rec_scn, name);
    return work_buf;
}

static void rec_kh(const struct libssh2_knownhost *k)
{
    if(!k) {
        rec_add(" entry=NULL");
        return;
    }
    rec_str("name", k->name);
    rec_str("key", k->key);
    rec_add(" typemask=0x%x", k->typemask);
}

/* Every entry, in order. */
static void kh_list(const char *step, LIBSSH2_KNOWNHOSTS *kh)
{
    struct libssh2_knownhost *k = NULL, *prev = NULL;
    int n = 0, rc;
    while((rc = libssh2_knownhost_get(kh, &k, prev)) == 0) {
        char line[LINE_MAX_LEN];
        size_t len = 0;
        rec_begin(step);
        rec_add(" n=%d", n++);
        rec_kh(k);
        if(libssh2_knownhost_writeline(kh, k, line, sizeof(line), &len,
                                       LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0)
            rec_bytes("line", line, len);
        prev = k;
    }
    rec_int(step, rc);
    KV("entries=%d", n);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if(!f)
        _exit(92);
    fputs(text, f);
    fclose(f);
}

/* The fixture's host key FILE.pub as a known_hosts line for host. */
static void host_line(char *out, size_t n, const char *host, const char *file)
{
    char path[512], key[LINE_MAX_LEN];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s.pub", fx.dir, file);
    f = fopen(path, "r");
    if(!f || !fgets(key, sizeof(key), f))
        _exit(92);
    fclose(f);
    snprintf(out, n, "%s %s", host, key);
}

static void knownhost_lines(void)
{
    int fd;
    char line[LINE_MAX_LEN];
    LIBSSH2_SESSION *s = sess_up(&fd);
    LIBSSH2_KNOWNHOSTS *kh = RP("init", libssh2_knownhost_init(s));
    host_line(line, sizeof(line), "plain.example,10.0.0.1", "ssh_host_ed25519_key");
    RI("readline_plain", libssh2_knownhost_readline(kh, line, strlen(line),
                                                    LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    host_line(line, sizeof(line), "[bracket.example]:2222", "ssh_host_ecdsa_key");
    RI("readline_port", libssh2_knownhost_readline(kh, line, strlen(line),
                                                   LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    host_line(line, sizeof(line), "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|5Mh7iT9Ol8u0vSyjpAwVjNmGZJU=",
              "ssh_host_rsa_key");
    RI("readline_hashed", libssh2_knownhost_readline(kh, line, strlen(line),
                                                     LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    host_line(line, sizeof(line), "@cert-authority *.example", "ssh_host_ed25519_key");
    RI("readline_marker", libssh2_knownhost_readline(kh, line, strlen(line),
                                                     LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    RI("readline_comment", libssh2_knownhost_readline(kh, "# comment\n", 10,
                                                      LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    RI("readline_empty", libssh2_knownhost_readline(kh, "", 0, LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    RI("readline_blank", libssh2_knownhost_readline(kh, "   \n", 4, LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    RI("readline_garbage", libssh2_knownhost_readline(kh, "host notakeytype AAAA\n", 22,
                                                      LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    RI("readline_no_key", libssh2_knownhost_readline(kh, "hostonly\n", 9,
                                                     LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    RI("readline_bad_type", libssh2_knownhost_readline(kh, line, strlen(line), 2));
    RI("readline_rsa1", libssh2_knownhost_readline(kh, "old.example 1024 35 12345\n", 26,
                                                   LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    kh_list("get", kh);
    {
        struct libssh2_knownhost *k = NULL;
        size_t len = 0;
        RI("get_first", libssh2_knownhost_get(kh, &k, NULL));
        RI("writeline_tiny", libssh2_knownhost_writeline(kh, k, line, LINE_TINY, &len,
                                                         LIBSSH2_KNOWNHOST_FILE_OPENSSH));
        KV("outlen=%zu", len);
        RI("writeline_bad_type", libssh2_knownhost_writeline(kh, k, line, sizeof(line), &len, 2));
        RI("del_first", libssh2_knownhost_del(kh, k));
    }
    kh_list("get_after_del", kh);
    RV("free", libssh2_knownhost_free(kh));
    sess_done(s, fd);
}

static void knownhost_check(void)
{
    int fd, type = 0;
    size_t len = 0;
    char line[LINE_MAX_LEN];
    LIBSSH2_SESSION *s = sess_up(&fd);
    const char *key = libssh2_session_hostkey(s, &len, &type);
    LIBSSH2_KNOWNHOSTS *kh = RP("init", libssh2_knownhost_init(s));
    struct libssh2_knownhost *k = NULL;
    const int raw = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW;
    const char *file = work_path("known_hosts");
    RS("hostkey_method", libssh2_session_methods(s, LIBSSH2_METHOD_HOSTKEY));
    RI("check_empty", libssh2_knownhost_checkp(kh, "127.0.0.1", fx.port, key, len, raw, &k));
    /* A known_hosts file as a program on libssh2 1.11.1 writes it: the
     * host key that libssh2 negotiates by default (issue 15). */
    host_line(line, sizeof(line), "127.0.0.1", "ssh_host_ecdsa_key");
    write_text(file, line);
    RI("readfile_ecdsa", libssh2_knownhost_readfile(kh, file, LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    k = NULL;
    RI("check_ecdsa_file", libssh2_knownhost_check(kh, "127.0.0.1", key, len, raw, &k));
    rec_kh(k);
    RV("free", libssh2_knownhost_free(kh));

    kh = RP("init2", libssh2_knownhost_init(s));
    host_line(line, sizeof(line), "127.0.0.1", "ssh_host_ed25519_key");
    RI("readline_ed25519", libssh2_knownhost_readline(kh, line, strlen(line),
                                                      LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    k = NULL;
    RI("check_ed25519_only", libssh2_knownhost_check(kh, "127.0.0.1", key, len, raw, &k));
    rec_kh(k);
    RI("add_session_key", libssh2_knownhost_addc(
                              kh, "127.0.0.1", NULL, key, len, "diff comment", 12,
                              raw | (type == LIBSSH2_HOSTKEY_TYPE_ED25519 ? LIBSSH2_KNOWNHOST_KEY_ED25519
                                     : type == LIBSSH2_HOSTKEY_TYPE_ECDSA_256 ? LIBSSH2_KNOWNHOST_KEY_ECDSA_256
                                     : LIBSSH2_KNOWNHOST_KEY_SSHRSA), &k));
    rec_kh(k);
    k = NULL;
    RI("check_match", libssh2_knownhost_check(kh, "127.0.0.1", key, len, raw, &k));
    rec_kh(k);
    RI("checkp_port", libssh2_knownhost_checkp(kh, "127.0.0.1", fx.port, key, len, raw, NULL));
    RI("checkp_22", libssh2_knownhost_checkp(kh, "127.0.0.1", 22, key, len, raw, NULL));
    RI("checkp_neg", libssh2_knownhost_checkp(kh, "127.0.0.1", -1, key, len, raw, NULL));
    RI("check_other_host", libssh2_knownhost_check(kh, "10.9.9.9", key, len, raw, NULL));
    RI("check_mismatch", libssh2_knownhost_check(kh, "127.0.0.1", "xxxxxxxx", 8, raw, NULL));
    RI("check_len0", libssh2_knownhost_check(kh, "127.0.0.1", key, 0, raw, NULL));
    RI("check_bad_typemask", libssh2_knownhost_check(kh, "127.0.0.1", key, len, 0, NULL));
    RI("check_base64_enc", libssh2_knownhost_check(
                               kh, "127.0.0.1", key, len,
                               LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_BASE64, NULL));
    /* TYPE_SHA1: host is the base64 hash, salt its base64 salt. */
    RI("add_hashed", libssh2_knownhost_add(kh, FIXED_HASH, FIXED_SALT, key, len,
                                           LIBSSH2_KNOWNHOST_TYPE_SHA1 | LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                               LIBSSH2_KNOWNHOST_KEY_ED25519, &k));
    rec_kh(k);
    RI("check_hashed", libssh2_knownhost_check(kh, "hashed.example", key, len, raw, NULL));
    RI("add_custom", libssh2_knownhost_add(kh, "custom.example", NULL, key, len,
                                           LIBSSH2_KNOWNHOST_TYPE_CUSTOM | LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                               LIBSSH2_KNOWNHOST_KEY_ED25519, NULL));
    RI("add_bad_salt", libssh2_knownhost_add(kh, "salt.example", "!!!", key, len,
                                             LIBSSH2_KNOWNHOST_TYPE_SHA1 | LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                                 LIBSSH2_KNOWNHOST_KEY_ED25519, NULL));
    RI("add_no_key_type", libssh2_knownhost_add(kh, "nokeytype.example", NULL, key, len, raw, NULL));
    kh_list("get", kh);
    RI("writefile", libssh2_knownhost_writefile(kh, file, LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    RI("writefile_bad_dir", libssh2_knownhost_writefile(kh, "/nonexistent/dir/kh",
                                                        LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    RI("writefile_bad_type", libssh2_knownhost_writefile(kh, file, 2));
    RV("free2", libssh2_knownhost_free(kh));
    kh = RP("init3", libssh2_knownhost_init(s));
    RI("readfile_back", libssh2_knownhost_readfile(kh, file, LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    kh_list("get_back", kh);
    RI("readfile_missing", libssh2_knownhost_readfile(kh, work_path("missing"),
                                                      LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    RI("readfile_bad_type", libssh2_knownhost_readfile(kh, file, 2));
    RI("readfile_dir", libssh2_knownhost_readfile(kh, "/", LIBSSH2_KNOWNHOST_FILE_OPENSSH));
    RV("free3", libssh2_knownhost_free(kh));
    sess_done(s, fd);
}

static void knownhost_null(void)
{
    int fd;
    char line[LINE_MAX_LEN];
    size_t len;
    LIBSSH2_SESSION *s = sess_up(&fd);
    LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(s);
    struct libssh2_knownhost *k = NULL;
    rec_s = NULL;
    RFORK("check_null_host", RI("check_null_host", libssh2_knownhost_check(
                                                       kh, NULL, "k", 1, LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                                                             LIBSSH2_KNOWNHOST_KEYENC_RAW, NULL)));
    RFORK("check_null_key", RI("check_null_key", libssh2_knownhost_check(
                                                     kh, "h", NULL, 0, LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                                                           LIBSSH2_KNOWNHOST_KEYENC_RAW, NULL)));
    RFORK("add_null_host", RI("add_null_host", libssh2_knownhost_add(kh, NULL, NULL, "k", 1,
                                                                     LIBSSH2_KNOWNHOST_TYPE_PLAIN, NULL)));
    RFORK("readline_null", RI("readline_null", libssh2_knownhost_readline(kh, NULL, 0, 1)));
    RFORK("readfile_null", RI("readfile_null", libssh2_knownhost_readfile(kh, NULL, 1)));
    RFORK("writefile_null", RI("writefile_null", libssh2_knownhost_writefile(kh, NULL, 1)));
    RFORK("get_empty", RI("get_empty", libssh2_knownhost_get(kh, &k, NULL)));
    RFORK("del_null", RI("del_null", libssh2_knownhost_del(kh, NULL)));
    RFORK("writeline_null", RI("writeline_null", libssh2_knownhost_writeline(kh, NULL, line,
                                                                             sizeof(line), &len, 1)));
    RFORK("init_free_null", RV("free_null", libssh2_knownhost_free(NULL)));
    RFORK("get_null", RI("get_null", libssh2_knownhost_get(NULL, &k, NULL)));
    RFORK("check_null_kh", RI("check_null_kh", libssh2_knownhost_check(NULL, "h", "k", 1, 1, NULL)));
    RFORK("checkp_null_kh", RI("checkp_null_kh", libssh2_knownhost_checkp(NULL, "h", 22, "k", 1, 1, NULL)));
    RFORK("addc_null_kh", RI("addc_null_kh", libssh2_knownhost_addc(NULL, "h", NULL, "k", 1, NULL, 0, 1, NULL)));
    rec_s = s;
    libssh2_knownhost_free(kh);
    sess_done(s, fd);
}

/* ---- agent ------------------------------------------------------------------- */

static void agent_basic(void)
{
    int fd, rc, n = 0;
    LIBSSH2_SESSION *s = sess_up(&fd);
    LIBSSH2_AGENT *a = RP("init", libssh2_agent_init(s));
    struct libssh2_agent_publickey *id = NULL, *prev = NULL, *first = NULL;
    const char *sock = getenv("SSH_AUTH_SOCK");
    RS("identity_path_default", libssh2_agent_get_identity_path(a));
    RV("set_identity_path", libssh2_agent_set_identity_path(a, sock));
    RI("identity_path_is_sock", ({
        const char *p = libssh2_agent_get_identity_path(a);
        p && sock && !strcmp(p, sock);
    }));
    RI("get_before_list", libssh2_agent_get_identity(a, &id, NULL));
    RI("connect", libssh2_agent_connect(a));
    RI("list", libssh2_agent_list_identities(a));
    while((rc = libssh2_agent_get_identity(a, &id, prev)) == 0) {
        rec_begin("identity");
        rec_add(" n=%d blob_len=%zu", n++, id->blob_len);
        rec_str("comment", id->comment);
        if(!first)
            first = id;
        prev = id;
    }
    rec_int("get_end", rc);
    {
        unsigned char *sig = NULL;
        size_t siglen = 0;
        RI("sign", libssh2_agent_sign(a, first, &sig, &siglen, (const unsigned char *)"data", 4,
                                      "ssh-ed25519", 11));
        rec_hex("sig", sig, siglen);
        libssh2_free(s, sig);
        sig = NULL;
        RI("sign_bad_method", libssh2_agent_sign(a, first, &sig, &siglen,
                                                 (const unsigned char *)"data", 4, "bogus", 5));
        libssh2_free(s, sig);
    }
    RI("userauth", libssh2_agent_userauth(a, fx.user, first));
    RI("authenticated", libssh2_userauth_authenticated(s));
    RI("userauth_again", ({
        libssh2_session_set_timeout(s, WAIT_CAP_MS);
        libssh2_agent_userauth(a, fx.user, first);
    }));
    RI("list_again", libssh2_agent_list_identities(a));
    RI("disconnect", libssh2_agent_disconnect(a));
    RI("disconnect_again", libssh2_agent_disconnect(a));
    RI("list_disconnected", libssh2_agent_list_identities(a));
    RI("connect_again", libssh2_agent_connect(a));
    RI("list_reconnected", libssh2_agent_list_identities(a));
    RV("free", libssh2_agent_free(a));
    sess_done(s, fd);
}

/* Agent calls before the handshake and before listing. */
static void agent_states(void)
{
    LIBSSH2_SESSION *s = sess_new();
    LIBSSH2_AGENT *a = RP("init_before_handshake", libssh2_agent_init(s));
    struct libssh2_agent_publickey *id = NULL;
    RI("connect", libssh2_agent_connect(a));
    RI("list", libssh2_agent_list_identities(a));
    RI("get", libssh2_agent_get_identity(a, &id, NULL));
    RFORK("userauth_no_handshake", RI("userauth_no_handshake", libssh2_agent_userauth(a, fx.user, id)));
    RV("free", libssh2_agent_free(a));
    libssh2_session_free(s);
    rec_s = NULL;
}

static void agent_bad_socket(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    LIBSSH2_AGENT *a = RP("init", libssh2_agent_init(s));
    RV("set_path_missing", libssh2_agent_set_identity_path(a, "/nonexistent/agent.sock"));
    RI("connect_missing", libssh2_agent_connect(a));
    RI("list_unconnected", libssh2_agent_list_identities(a));
    RV("set_path_file", libssh2_agent_set_identity_path(a, "/etc/hostname"));
    RI("connect_file", libssh2_agent_connect(a));
    RV("set_path_null", libssh2_agent_set_identity_path(a, NULL));
    RP("path_null", libssh2_agent_get_identity_path(a));
    unsetenv("SSH_AUTH_SOCK");
    RI("connect_no_env", libssh2_agent_connect(a));
    RV("free", libssh2_agent_free(a));
    sess_done(s, fd);
}

static LIBSSH2_AGENT *sign_agent;
static struct libssh2_agent_publickey *sign_id;

/* userauth_publickey's signing callback, signing with the agent. */
static int agent_sign_cb(LIBSSH2_SESSION *s, unsigned char **sig, size_t *sig_len,
                         const unsigned char *data, size_t data_len, void **abstract)
{
    (void)s, (void)abstract;
    return libssh2_agent_sign(sign_agent, sign_id, sig, sig_len, data, data_len, NULL, 0);
}

static void agent_as_callback(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    sign_agent = RP("init", libssh2_agent_init(s));
    RI("connect", libssh2_agent_connect(sign_agent));
    RI("list", libssh2_agent_list_identities(sign_agent));
    RI("get", libssh2_agent_get_identity(sign_agent, &sign_id, NULL));
    RI("userauth_publickey", libssh2_userauth_publickey(s, fx.user, sign_id->blob,
                                                        sign_id->blob_len, agent_sign_cb, NULL));
    RI("authenticated", libssh2_userauth_authenticated(s));
    RV("free", libssh2_agent_free(sign_agent));
    sess_done(s, fd);
}

static void agent_null(void)
{
    rec_s = NULL;
    RFORK("connect", RI("connect", libssh2_agent_connect(NULL)));
    RFORK("list", RI("list", libssh2_agent_list_identities(NULL)));
    RFORK("get", RI("get", libssh2_agent_get_identity(NULL, NULL, NULL)));
    RFORK("userauth", RI("userauth", libssh2_agent_userauth(NULL, "x", NULL)));
    RFORK("sign", RI("sign", libssh2_agent_sign(NULL, NULL, NULL, NULL, NULL, 0, NULL, 0)));
    RFORK("disconnect", RI("disconnect", libssh2_agent_disconnect(NULL)));
    RFORK("free", RV("free", libssh2_agent_free(NULL)));
    RFORK("set_path", RV("set_path", libssh2_agent_set_identity_path(NULL, "x")));
    RFORK("get_path", RP("get_path", libssh2_agent_get_identity_path(NULL)));
    {
        int fd;
        LIBSSH2_SESSION *s = sess_up(&fd);
        LIBSSH2_AGENT *a = libssh2_agent_init(s);
        RFORK("userauth_null_identity", {
            libssh2_agent_connect(a);
            libssh2_agent_list_identities(a);
            RI("userauth_null_identity", libssh2_agent_userauth(a, fx.user, NULL));
        });
        RFORK("userauth_null_user", {
            struct libssh2_agent_publickey *id = NULL;
            libssh2_agent_connect(a);
            libssh2_agent_list_identities(a);
            libssh2_agent_get_identity(a, &id, NULL);
            RI("userauth_null_user", libssh2_agent_userauth(a, NULL, id));
        });
        libssh2_agent_free(a);
        sess_done(s, fd);
    }
}

static void agent_peer_gone(void)
{
    struct relay r;
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    LIBSSH2_AGENT *a = libssh2_agent_init(s);
    struct libssh2_agent_publickey *id = NULL;
    RI("connect", libssh2_agent_connect(a));
    RI("list", libssh2_agent_list_identities(a));
    RI("get", libssh2_agent_get_identity(a, &id, NULL));
    relay_kill(&r, "kill");
    RI("userauth", libssh2_agent_userauth(a, fx.user, id));
    libssh2_agent_free(a);
    sess_done(s, r.fd);
}

/* ---- publickey subsystem -------------------------------------------------------- */

static unsigned char *pub_blob(LIBSSH2_SESSION *s, size_t *len)
{
    char text[LINE_MAX_LEN], *b64, *end, *out = NULL;
    unsigned int outlen = 0;
    FILE *f = fopen(fx.pubkey, "r");
    if(!f || !fgets(text, sizeof(text), f))
        _exit(91);
    fclose(f);
    b64 = strchr(text, ' ');
    if(!b64)
        _exit(91);
    b64++;
    end = strchr(b64, ' ');
    if(end)
        *end = 0;
    if(libssh2_base64_decode(s, &out, &outlen, b64, (unsigned int)strlen(b64)))
        _exit(91);
    *len = outlen;
    return (unsigned char *)out;
}

/*
 * libssh2 1.11.1's blocking publickey calls return EAGAIN when the reply has
 * not arrived yet (timing-dependent, so not comparable): they are called
 * again on EAGAIN, as NBI does, and only the final result is recorded.
 */
#define PK(step, expr) NBI(step, expr)

/*
 * detail 0: the result only. After an add or remove, libssh2 1.11.1 lists
 * the store as it was or as it is, depending on timing, so the keys it
 * reports then cannot serve as the oracle.
 */
static void pk_list(const char *step, LIBSSH2_PUBLICKEY *pk, int detail)
{
    unsigned long n = 99, i, j;
    libssh2_publickey_list *list = NULL;
    PK(step, libssh2_publickey_list_fetch(pk, &n, &list));
    if(detail)
        KV("keys=%lu", n);
    for(i = 0; detail && list && i < n; i++) {
        rec_begin(step);
        rec_add(".key n=%lu", i);
        rec_bytes("name", (const char *)list[i].name, list[i].name_len);
        rec_add(" blob_len=%lu attrs=%lu", list[i].blob_len, list[i].num_attrs);
        for(j = 0; j < list[i].num_attrs; j++) {
            rec_bytes("attr", list[i].attrs[j].name, list[i].attrs[j].name_len);
            rec_bytes("value", list[i].attrs[j].value, list[i].attrs[j].value_len);
            rec_add(" mandatory=%d", list[i].attrs[j].mandatory);
        }
    }
    /* Freed unrecorded: whether a list came back varies (see above). */
    if(list)
        libssh2_publickey_list_free(pk, list);
}

static void publickey(void)
{
    int fd;
    size_t len;
    LIBSSH2_SESSION *s = sess_auth(&fd);
    unsigned char *blob = pub_blob(s, &len);
    libssh2_publickey_attribute attrs[] = {
        libssh2_publickey_attribute_fast("comment", "diff key", 0)
    };
    libssh2_publickey_attribute bad_attr[] = {
        libssh2_publickey_attribute_fast("x-critical", "v", 1)
    };
    LIBSSH2_PUBLICKEY *pk = RP("init", libssh2_publickey_init(s));
    /* Non-blocking from here: libssh2 1.11.1's blocking publickey calls
     * return EAGAIN mid-reply and lose track of the replies. */
    libssh2_session_set_blocking(s, 0);
    pk_list("list_empty", pk, 1);
    PK("add", libssh2_publickey_add_ex(pk, (const unsigned char *)"ssh-ed25519", 11, blob, len, 0, 1, attrs));
    pk_list("list_one", pk, 0);
    PK("add_dup", libssh2_publickey_add_ex(pk, (const unsigned char *)"ssh-ed25519", 11, blob, len, 0, 0, NULL));
    PK("add_overwrite", libssh2_publickey_add_ex(pk, (const unsigned char *)"ssh-ed25519", 11, blob, len, 1, 1, attrs));
    PK("add_wrong_alg", libssh2_publickey_add_ex(pk, (const unsigned char *)"ssh-rsa", 7, blob, len, 0, 0, NULL));
    PK("add_critical_attr", libssh2_publickey_add_ex(pk, (const unsigned char *)"ssh-ed25519", 11, blob, len, 1, 1,
                                                  bad_attr));
    pk_list("list_after_errors", pk, 0);
    PK("remove", libssh2_publickey_remove_ex(pk, (const unsigned char *)"ssh-ed25519", 11, blob, len));
    PK("remove_again", libssh2_publickey_remove_ex(pk, (const unsigned char *)"ssh-ed25519", 11, blob, len));
    PK("remove_empty", libssh2_publickey_remove_ex(pk, (const unsigned char *)"", 0, blob, 0));
    pk_list("list_after", pk, 0);
    PK("shutdown", libssh2_publickey_shutdown(pk));
    libssh2_session_set_blocking(s, 1);
    pk = RP("init_again", libssh2_publickey_init(s));
    RI("shutdown_again", libssh2_publickey_shutdown(pk));
    libssh2_free(s, blob);
    sess_done(s, fd);
}

static void publickey_states(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    libssh2_session_set_timeout(s, WAIT_CAP_MS);
    RP("init_before_auth", libssh2_publickey_init(s));
    auth_key(s);
    libssh2_session_set_blocking(s, 0);
    {
        LIBSSH2_PUBLICKEY *pk = NBP("init_nb", libssh2_publickey_init(s));
        unsigned long n = 0;
        libssh2_publickey_list *list = NULL;
        NBI("list_nb", libssh2_publickey_list_fetch(pk, &n, &list));
        KV("keys=%lu", n);
        if(list)
            libssh2_publickey_list_free(pk, list);
        NBI("shutdown_nb", libssh2_publickey_shutdown(pk));
    }
    sess_done(s, fd);
    rec_s = NULL;
    RFORK("null_init", RP("null_init", libssh2_publickey_init(NULL)));
    RFORK("null_add", RI("null_add", libssh2_publickey_add_ex(NULL, (const unsigned char *)"x", 1,
                                                             (const unsigned char *)"y", 1, 0, 0, NULL)));
    RFORK("null_remove", RI("null_remove", libssh2_publickey_remove_ex(NULL, (const unsigned char *)"x", 1,
                                                                      (const unsigned char *)"y", 1)));
    RFORK("null_fetch", RI("null_fetch", libssh2_publickey_list_fetch(NULL, NULL, NULL)));
    RFORK("null_list_free", RV("null_list_free", libssh2_publickey_list_free(NULL, NULL)));
    RFORK("null_shutdown", RI("null_shutdown", libssh2_publickey_shutdown(NULL)));
}

static void publickey_peer_gone(void)
{
    struct relay r;
    size_t len;
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    LIBSSH2_PUBLICKEY *pk;
    unsigned char *blob;
    auth_key(s);
    blob = pub_blob(s, &len);
    pk = RP("init", libssh2_publickey_init(s));
    relay_kill(&r, "kill");
    RI("add", libssh2_publickey_add_ex(pk, (const unsigned char *)"ssh-ed25519", 11, blob, len, 0, 0, NULL));
    pk_list("list", pk, 1);
    RI("shutdown", libssh2_publickey_shutdown(pk));
    libssh2_free(s, blob);
    sess_done(s, r.fd);
}

REC_MAIN(SCN(knownhost_lines), SCN(knownhost_check), SCN(knownhost_null), SCN(agent_basic),
         SCN(agent_states), SCN(agent_bad_socket), SCN(agent_as_callback), SCN(agent_null),
         SCN(agent_peer_gone), SCN(publickey), SCN(publickey_states), SCN(publickey_peer_gone))
