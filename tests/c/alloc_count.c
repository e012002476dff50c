/* Every byte the library hands to the caller comes from the session's
 * allocator callbacks: count them, free through libssh2_free, and check
 * that nothing is left over. Also exercises the connection-less API. */
#define LIBSSH2_DISABLE_DEPRECATION /* this test calls the deprecated names on purpose */
#include <libssh2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not in the public header: upstream's own tests declare it themselves. */
int _libssh2_base64_decode(LIBSSH2_SESSION *session, char **dest, size_t *dest_len, const char *src, size_t src_len);

static long allocs, frees, live_bytes;
static int abstract_seen;

#define CHECK(c) do { if(!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); return 1; } } while(0)

struct hdr { size_t n; double align; };

static LIBSSH2_ALLOC_FUNC(my_alloc)
{
    struct hdr *h = malloc(sizeof(*h) + count);
    if(abstract && *abstract == (void *)&abstract_seen)
        abstract_seen++;
    if(!h)
        return NULL;
    h->n = count;
    allocs++;
    live_bytes += (long)count;
    return h + 1;
}

static LIBSSH2_FREE_FUNC(my_free)
{
    struct hdr *h;
    (void)abstract;
    if(!ptr)
        return;
    h = (struct hdr *)ptr - 1;
    frees++;
    live_bytes -= (long)h->n;
    free(h);
}

static LIBSSH2_REALLOC_FUNC(my_realloc)
{
    struct hdr *h = ptr ? (struct hdr *)ptr - 1 : NULL;
    struct hdr *n;
    (void)abstract;
    if(h)
        live_bytes -= (long)h->n;
    n = realloc(h, sizeof(*n) + count);
    if(!n)
        return NULL;
    n->n = count;
    live_bytes += (long)count;
    if(!h)
        allocs++;
    return n + 1;
}

int main(void)
{
    LIBSSH2_SESSION *s;
    char *msg = NULL, *dec = NULL;
    const char **algs = NULL;
    unsigned int declen = 0;
    size_t declen2 = 0;
    int n, len = 0;

    CHECK(libssh2_init(0) == 0);
    CHECK(strcmp(libssh2_version(0), LIBSSH2_VERSION) == 0);
    CHECK(libssh2_version(LIBSSH2_VERSION_NUM) != NULL);
    CHECK(libssh2_version(LIBSSH2_VERSION_NUM + 1) == NULL);

    s = libssh2_session_init_ex(my_alloc, my_free, my_realloc, &abstract_seen);
    CHECK(s != NULL);
    CHECK(*libssh2_session_abstract(s) == (void *)&abstract_seen);

    /* blocking and timeouts */
    CHECK(libssh2_session_get_blocking(s) == 1);
    libssh2_session_set_blocking(s, 0);
    CHECK(libssh2_session_get_blocking(s) == 0);
    CHECK(libssh2_session_get_timeout(s) == 0);
    libssh2_session_set_timeout(s, 1234);
    CHECK(libssh2_session_get_timeout(s) == 1234);
    CHECK(libssh2_session_get_read_timeout(s) == 60);
    libssh2_session_set_read_timeout(s, 5);
    CHECK(libssh2_session_get_read_timeout(s) == 5);
    CHECK(libssh2_session_flag(s, LIBSSH2_FLAG_COMPRESS, 1) == 0);
    CHECK(libssh2_session_flag(s, 999, 1) == LIBSSH2_ERROR_INVAL);
    CHECK(libssh2_session_banner_set(s, "SSH-2.0-test_banner") == 0);
    CHECK(libssh2_banner_set(s, "SSH-2.0-test_banner2") == 0);
    CHECK(libssh2_trace(s, LIBSSH2_TRACE_ERROR) == 0);
    CHECK(libssh2_session_banner_get(s) == NULL);
    CHECK(libssh2_session_block_directions(s) == 0);

    /* last error, with and without a caller-owned copy */
    CHECK(libssh2_session_last_errno(s) == 0);
    CHECK(libssh2_session_last_error(s, &msg, &len, 0) == 0 && len == 0 && msg && !*msg);
    CHECK(libssh2_session_set_last_error(s, LIBSSH2_ERROR_FILE, "file trouble") == LIBSSH2_ERROR_FILE);
    CHECK(libssh2_session_last_errno(s) == LIBSSH2_ERROR_FILE);
    CHECK(libssh2_session_last_error(s, &msg, &len, 0) == LIBSSH2_ERROR_FILE);
    CHECK(len == 12 && strcmp(msg, "file trouble") == 0);
    CHECK(libssh2_session_last_error(s, &msg, &len, 1) == LIBSSH2_ERROR_FILE);
    CHECK(live_bytes > 0 && strcmp(msg, "file trouble") == 0);
    libssh2_free(s, msg);

    /* method preferences and supported lists */
    CHECK(libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_CS, "nonsense,aes128-ctr") == 0);
    CHECK(libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_CS, "nonsense") == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED);
    CHECK(libssh2_session_method_pref(s, 99, "x") == LIBSSH2_ERROR_INVAL);
    n = libssh2_session_supported_algs(s, LIBSSH2_METHOD_KEX, &algs);
    CHECK(n > 5 && algs != NULL);
    CHECK(strcmp(algs[0], "mlkem768x25519-sha256") == 0 || n > 0);
    libssh2_free(s, (void *)algs);
    CHECK(libssh2_session_supported_algs(s, LIBSSH2_METHOD_KEX, NULL) == LIBSSH2_ERROR_BAD_USE);

    /* base64, both entry points */
    CHECK(libssh2_base64_decode(s, &dec, &declen, "aGVsbG8=", 8) == 0);
    CHECK(declen == 5 && memcmp(dec, "hello", 5) == 0);
    libssh2_free(s, dec);
    CHECK(_libssh2_base64_decode(s, &dec, &declen2, "d29ybGQ", 7) == 0);
    CHECK(declen2 == 5 && memcmp(dec, "world", 5) == 0);
    libssh2_free(s, dec);
    CHECK(_libssh2_base64_decode(s, &dec, &declen2, "a", 1) == LIBSSH2_ERROR_INVAL);

    /* no connection: operations that need one fail cleanly */
    CHECK(libssh2_session_methods(s, LIBSSH2_METHOD_KEX) == NULL);
    CHECK(libssh2_session_hostkey(s, NULL, NULL) == NULL);
    CHECK(libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA256) == NULL);
    CHECK(libssh2_session_handshake(s, -1) == LIBSSH2_ERROR_BAD_SOCKET);
    CHECK(libssh2_userauth_list(s, "u", 1) == NULL);
    /* as libssh2: the request is sent on no connection, and the send fails */
    CHECK(libssh2_session_last_errno(s) == LIBSSH2_ERROR_SOCKET_SEND);

    CHECK(libssh2_crypto_engine() == libssh2_openssl);
    CHECK(libssh2_session_free(s) == 0);
    libssh2_exit();

    CHECK(allocs > 0 && abstract_seen > 0);
    CHECK(live_bytes == 0 && allocs == frees);
    printf("ok: %ld allocations, %ld frees, 0 bytes live\n", allocs, frees);
    return 0;
}
