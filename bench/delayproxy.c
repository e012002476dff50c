/*
 * A TCP proxy on loopback that delays every chunk by a fixed time in each
 * direction, keeping the byte order and capping no bandwidth: a stand-in for
 * `tc qdisc ... netem delay` on kernels without netem.
 *
 *   delayproxy LISTEN_PORT TARGET_PORT ONE_WAY_DELAY_MS
 *
 * Listens on 127.0.0.1:LISTEN_PORT (0 picks a free port) and prints
 * "listening PORT" on stdout once it accepts. Each accepted connection gets
 * its own connection to 127.0.0.1:TARGET_PORT and two pumps, one per
 * direction. A pump's reader thread stamps each chunk with its arrival time;
 * its writer thread sends the chunk when arrival + delay has passed. A round
 * trip through the proxy thus takes 2 x ONE_WAY_DELAY_MS more than without.
 *
 * Only the application-level latency is emulated (what SSH channel windows
 * and SFTP request pipelining see); the proxy's own TCP legs stay on
 * loopback, so there is no TCP slow start or loss to emulate.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Bytes read per recv() call: large, so a fast stream costs few wakeups. */
#define CHUNK_SIZE (256 * 1024)
/* Bytes a direction may hold in its queue before the reader stops reading:
   far above bandwidth x delay for loopback rates at 100 ms, yet bounded. */
#define MAX_QUEUED (512L * 1024 * 1024)
/* Socket buffer sizes asked for: room for a window of data per leg. */
#define SOCKBUF_SIZE (4 * 1024 * 1024)

struct chunk {
    struct chunk *next;
    struct timespec due;
    ssize_t len;          /* 0 = end of stream */
    char data[];
};

struct pump {
    int from, to;
    long delay_ns;
    pthread_mutex_t lock;
    pthread_cond_t more, room;
    struct chunk *head, *tail;
    long queued;
    int writer_dead;
};

static void add_ns(struct timespec *t, long ns)
{
    t->tv_nsec += ns % 1000000000L;
    t->tv_sec += ns / 1000000000L;
    if(t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

static void *reader(void *arg)
{
    struct pump *p = arg;
    for(;;) {
        struct chunk *c = malloc(sizeof *c + CHUNK_SIZE);
        ssize_t n;
        if(!c)
            abort();
        do
            n = recv(p->from, c->data, CHUNK_SIZE, 0);
        while(n < 0 && errno == EINTR);
        c->len = n > 0 ? n : 0;
        c->next = NULL;
        clock_gettime(CLOCK_MONOTONIC, &c->due);
        add_ns(&c->due, p->delay_ns);
        pthread_mutex_lock(&p->lock);
        while(p->queued > MAX_QUEUED && !p->writer_dead)
            pthread_cond_wait(&p->room, &p->lock);
        if(p->writer_dead) {
            pthread_mutex_unlock(&p->lock);
            free(c);
            break;
        }
        if(p->tail)
            p->tail->next = c;
        else
            p->head = c;
        p->tail = c;
        p->queued += c->len;
        pthread_cond_signal(&p->more);
        pthread_mutex_unlock(&p->lock);
        /* c belongs to the writer now: test the local copy. */
        if(n <= 0)
            break;
    }
    return NULL;
}

static void *writer(void *arg)
{
    struct pump *p = arg;
    for(;;) {
        struct chunk *c;
        ssize_t off = 0, len;
        pthread_mutex_lock(&p->lock);
        while(!p->head)
            pthread_cond_wait(&p->more, &p->lock);
        c = p->head;
        p->head = c->next;
        if(!p->head)
            p->tail = NULL;
        p->queued -= c->len;
        pthread_cond_signal(&p->room);
        pthread_mutex_unlock(&p->lock);
        while(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &c->due, NULL) == EINTR)
            ;
        if(c->len == 0) {
            shutdown(p->to, SHUT_WR);
            free(c);
            break;
        }
        while(off < c->len) {
            ssize_t n = send(p->to, c->data + off, (size_t)(c->len - off), MSG_NOSIGNAL);
            if(n < 0 && errno == EINTR)
                continue;
            if(n <= 0)
                break;
            off += n;
        }
        len = c->len;
        free(c);
        if(off < len) {
            /* The peer went away: unblock the reader and stop. */
            shutdown(p->from, SHUT_RD);
            pthread_mutex_lock(&p->lock);
            p->writer_dead = 1;
            pthread_cond_signal(&p->room);
            pthread_mutex_unlock(&p->lock);
            break;
        }
    }
    return NULL;
}

struct conn {
    int a, b;
    long delay_ns;
};

static void tune(int fd)
{
    int one = 1, size = SOCKBUF_SIZE;
    /* Nagle plus delayed ACKs would add their own latency on top of ours. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

static void pump_init(struct pump *p, int from, int to, long delay_ns)
{
    memset(p, 0, sizeof *p);
    p->from = from;
    p->to = to;
    p->delay_ns = delay_ns;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->more, NULL);
    pthread_cond_init(&p->room, NULL);
}

static void *serve(void *arg)
{
    struct conn *cn = arg;
    struct pump up, down;
    pthread_t t[4];
    int i;
    pump_init(&up, cn->a, cn->b, cn->delay_ns);
    pump_init(&down, cn->b, cn->a, cn->delay_ns);
    pthread_create(&t[0], NULL, reader, &up);
    pthread_create(&t[1], NULL, writer, &up);
    pthread_create(&t[2], NULL, reader, &down);
    pthread_create(&t[3], NULL, writer, &down);
    for(i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    /* drop what a dead writer left queued */
    while(up.head) {
        struct chunk *c = up.head;
        up.head = c->next;
        free(c);
    }
    while(down.head) {
        struct chunk *c = down.head;
        down.head = c->next;
        free(c);
    }
    close(cn->a);
    close(cn->b);
    free(cn);
    return NULL;
}

int main(int argc, char **argv)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int lfd, one = 1, target;
    long delay_ns;
    if(argc != 4) {
        fprintf(stderr, "usage: delayproxy LISTEN_PORT TARGET_PORT ONE_WAY_DELAY_MS\n");
        return 2;
    }
    target = atoi(argv[2]);
    delay_ns = (long)(atof(argv[3]) * 1e6);
    signal(SIGPIPE, SIG_IGN);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons((unsigned short)atoi(argv[1]));
    if(bind(lfd, (struct sockaddr *)&sin, sizeof sin) || listen(lfd, 64) ||
       getsockname(lfd, (struct sockaddr *)&sin, &len)) {
        perror("delayproxy: listen");
        return 1;
    }
    printf("listening %d\n", ntohs(sin.sin_port));
    fflush(stdout);
    for(;;) {
        struct conn *cn;
        struct sockaddr_in dst;
        pthread_t t;
        int a = accept(lfd, NULL, NULL), b;
        if(a < 0) {
            if(errno == EINTR || errno == ECONNABORTED)
                continue;
            perror("delayproxy: accept");
            return 1;
        }
        b = socket(AF_INET, SOCK_STREAM, 0);
        memset(&dst, 0, sizeof dst);
        dst.sin_family = AF_INET;
        dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        dst.sin_port = htons((unsigned short)target);
        tune(a);
        tune(b);
        if(connect(b, (struct sockaddr *)&dst, sizeof dst) != 0) {
            perror("delayproxy: connect");
            close(a);
            close(b);
            continue;
        }
        cn = malloc(sizeof *cn);
        cn->a = a;
        cn->b = b;
        cn->delay_ns = delay_ns;
        pthread_create(&t, NULL, serve, cn);
        pthread_detach(t);
    }
}
