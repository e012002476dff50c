/*
 * One real-server round trip with one forced algorithm, for
 * scripts/interop-legacy.sh (issue 15):
 *
 *   algo_client HOST PORT USER PUBKEY PRIVKEY cipher|mac ALG
 *
 * Prefers ALG for the cipher (both directions) or the MAC (both
 * directions), handshakes, checks that libssh2_session_methods reports ALG,
 * authenticates with the key pair, pushes PAYLOAD_SIZE pseudo-random bytes
 * through an exec channel that echoes them back, and compares length and
 * checksum. Exit 0 on success; otherwise 1 with the reason (and libssh2's
 * last error) on stderr.
 *
 * Built against include/ and linked to whichever libssh2.so.1
 * LD_LIBRARY_PATH selects, so one binary tests ours and the reference.
 */
#include <libssh2.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define PAYLOAD_SIZE (1024 * 1024)
#define CHUNK 32768
#define IO_TIMEOUT_SECONDS 20 /* per wait; the whole run takes about 1 s */
#define EXEC_COMMAND "cat"
/* With a MAC under test the cipher must not be an AEAD one, which would
   make the MAC unused. */
#define MAC_TEST_CIPHER "aes128-ctr"
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static LIBSSH2_SESSION *session;
static int sock = -1;

static void fail(const char *what)
{
    char *msg = NULL;
    int err = session ? libssh2_session_last_error(session, &msg, NULL, 0) : 0;
    fprintf(stderr, "algo_client: %s (libssh2 error %d: %s)\n", what, err,
            msg && *msg ? msg : "-");
    exit(1);
}

/* Waits until the socket is ready the way libssh2 last asked for. */
static void wait_socket(void)
{
    fd_set rd, wr;
    struct timeval tv = { IO_TIMEOUT_SECONDS, 0 };
    int dir = libssh2_session_block_directions(session);
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    if(dir & LIBSSH2_SESSION_BLOCK_INBOUND)
        FD_SET(sock, &rd);
    if(dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        FD_SET(sock, &wr);
    if(select(sock + 1, &rd, &wr, NULL, &tv) <= 0)
        fail("timed out waiting for the socket");
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
    for(size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

static void check_method(int type, const char *label, const char *want)
{
    const char *got = libssh2_session_methods(session, type);
    fprintf(stderr, "algo_client: negotiated %s = %s\n", label,
            got ? got : "(null)");
    if(!got || strcmp(got, want) != 0) {
        fprintf(stderr, "algo_client: %s is not %s\n", label, want);
        exit(1);
    }
}

static void prefer(int type, const char *alg)
{
    if(libssh2_session_method_pref(session, type, alg) != 0)
        fail("libssh2_session_method_pref refused the algorithm");
}

int main(int argc, char **argv)
{
    if(argc != 8 || (strcmp(argv[6], "cipher") && strcmp(argv[6], "mac"))) {
        fprintf(stderr, "usage: algo_client HOST PORT USER PUBKEY PRIVKEY "
                "cipher|mac ALG\n");
        return 2;
    }
    const char *host = argv[1], *user = argv[3], *pub = argv[4];
    const char *priv = argv[5], *alg = argv[7];
    int is_cipher = !strcmp(argv[6], "cipher");

    if(libssh2_init(0) != 0)
        fail("libssh2_init");
    fprintf(stderr, "algo_client: libssh2 %s, %s %s\n",
            libssh2_version(0), argv[6], alg);

    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons((uint16_t)atoi(argv[2])) };
    if(inet_pton(AF_INET, host, &sin.sin_addr) != 1)
        fail("bad HOST");
    sock = socket(AF_INET, SOCK_STREAM, 0);
    if(sock < 0 || connect(sock, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        perror("algo_client: connect");
        return 1;
    }

    session = libssh2_session_init();
    if(!session)
        fail("libssh2_session_init");
    if(is_cipher) {
        prefer(LIBSSH2_METHOD_CRYPT_CS, alg);
        prefer(LIBSSH2_METHOD_CRYPT_SC, alg);
    }
    else {
        prefer(LIBSSH2_METHOD_CRYPT_CS, MAC_TEST_CIPHER);
        prefer(LIBSSH2_METHOD_CRYPT_SC, MAC_TEST_CIPHER);
        prefer(LIBSSH2_METHOD_MAC_CS, alg);
        prefer(LIBSSH2_METHOD_MAC_SC, alg);
    }
    /* Blocking for the handshake and auth; the transfer is non-blocking so
       that writing and reading interleave. */
    if(libssh2_session_handshake(session, sock) != 0)
        fail("handshake");
    if(is_cipher) {
        check_method(LIBSSH2_METHOD_CRYPT_CS, "cipher client->server", alg);
        check_method(LIBSSH2_METHOD_CRYPT_SC, "cipher server->client", alg);
    }
    else {
        check_method(LIBSSH2_METHOD_MAC_CS, "mac client->server", alg);
        check_method(LIBSSH2_METHOD_MAC_SC, "mac server->client", alg);
    }
    if(libssh2_userauth_publickey_fromfile(session, user, pub, priv, NULL))
        fail("public key authentication");

    LIBSSH2_CHANNEL *ch = libssh2_channel_open_session(session);
    if(!ch)
        fail("channel open");
    if(libssh2_channel_exec(ch, EXEC_COMMAND) != 0)
        fail("exec");

    unsigned char *out = malloc(PAYLOAD_SIZE);
    unsigned char buf[CHUNK];
    if(!out)
        fail("out of memory");
    /* xorshift64: every byte value, no repeating pattern a cipher bug
       could cancel out */
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for(size_t i = 0; i < PAYLOAD_SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = (unsigned char)x;
    }
    uint64_t sent_sum = fnv1a(FNV_OFFSET, out, PAYLOAD_SIZE);
    uint64_t got_sum = FNV_OFFSET;
    size_t sent = 0, got = 0;
    int eof_sent = 0, differs = 0;

    libssh2_session_set_blocking(session, 0);
    while(!libssh2_channel_eof(ch)) {
        int progress = 0;
        if(sent < PAYLOAD_SIZE) {
            size_t n = PAYLOAD_SIZE - sent < CHUNK ? PAYLOAD_SIZE - sent : CHUNK;
            ssize_t w = libssh2_channel_write(ch, (char *)out + sent, n);
            if(w > 0) {
                sent += (size_t)w;
                progress = 1;
            }
            else if(w != LIBSSH2_ERROR_EAGAIN)
                fail("channel write");
        }
        else if(!eof_sent) {
            int rc = libssh2_channel_send_eof(ch);
            if(rc == 0) {
                eof_sent = 1;
                progress = 1;
            }
            else if(rc != LIBSSH2_ERROR_EAGAIN)
                fail("send eof");
        }
        ssize_t r = libssh2_channel_read(ch, (char *)buf, sizeof(buf));
        if(r > 0) {
            if(got + (size_t)r > PAYLOAD_SIZE)
                fail("server sent back more than was sent");
            if(!differs && memcmp(buf, out + got, (size_t)r) != 0) {
                differs = 1; /* say where once; the checksum decides */
                fprintf(stderr, "algo_client: echoed bytes differ within "
                        "offset %zu..%zu\n", got, got + (size_t)r);
            }
            got_sum = fnv1a(got_sum, buf, (size_t)r);
            got += (size_t)r;
            progress = 1;
        }
        else if(r != LIBSSH2_ERROR_EAGAIN && r != 0)
            fail("channel read");
        /* A read that drains the EOF off the socket returns 0: nothing
           more will arrive to wake a wait. */
        if(!progress && !libssh2_channel_eof(ch))
            wait_socket();
    }

    int rc;
    while((rc = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN)
        wait_socket();
    if(rc)
        fail("channel close");
    while((rc = libssh2_channel_wait_closed(ch)) == LIBSSH2_ERROR_EAGAIN)
        wait_socket();
    int status = libssh2_channel_get_exit_status(ch);
    libssh2_channel_free(ch);
    libssh2_session_set_blocking(session, 1);
    libssh2_session_disconnect(session, "done");
    libssh2_session_free(session);
    session = NULL;
    close(sock);
    libssh2_exit();
    free(out);

    fprintf(stderr, "algo_client: sent %zu bytes (fnv1a %016llx), got %zu "
            "(fnv1a %016llx), exit status %d\n", sent,
            (unsigned long long)sent_sum, got, (unsigned long long)got_sum,
            status);
    if(!eof_sent || got != PAYLOAD_SIZE || got_sum != sent_sum) {
        fprintf(stderr, "algo_client: echo mismatch\n");
        return 1;
    }
    if(status != 0) {
        fprintf(stderr, "algo_client: exit status %d, expected 0\n", status);
        return 1;
    }
    return 0;
}
