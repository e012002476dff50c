/*
 * Run a command as a child subreaper and total the CPU of every process it
 * reaps: how bench/load.py counts all of sshd's CPU.
 *
 *   subreaper STATFILE COMMAND [ARGS...]
 *
 * With PR_SET_CHILD_SUBREAPER, a process below this one whose parent exits
 * first is reparented here instead of to init. This program reaps every
 * descendant that ends up here and, after each, writes
 * "reaped=N user_s=U sys_s=S" (totals over everything reaped so far, each
 * process's figures including its own reaped children) to STATFILE, by
 * rename, so a reader never sees half a line. It exits once nothing is left.
 *
 * Why: sshd's per-connection monitor exits without waiting for its post-auth
 * child, which is then reaped by init, so the listener's cutime/cstime miss
 * the CPU of all the crypto and SFTP work. Run sshd-fixture.sh under this and
 * the orphaned processes are counted here instead.
 *
 * The command's stdout is the caller's until the command exits; this program
 * keeps no copy of it, so the caller sees EOF when the command is done (sshd
 * itself writes nowhere: the fixture sends its output to a log).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PATHLEN 4096

static double secs(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    double user = 0, sys = 0;
    long reaped = 0;
    char tmp[PATHLEN];
    pid_t pid;
    int devnull;
    if(argc < 3) {
        fprintf(stderr, "usage: subreaper STATFILE COMMAND [ARGS...]\n");
        return 2;
    }
    if(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        perror("subreaper: PR_SET_CHILD_SUBREAPER");
        return 127;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    pid = fork();
    if(pid < 0) {
        perror("subreaper: fork");
        return 127;
    }
    if(pid == 0) {
        execvp(argv[2], argv + 2);
        perror("subreaper: exec");
        _exit(127);
    }
    devnull = open("/dev/null", O_RDWR);
    if(devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
        close(devnull);
    }
    for(;;) {
        struct rusage ru;
        int status;
        FILE *f;
        if(wait4(-1, &status, 0, &ru) < 0) {
            if(errno == EINTR)
                continue;
            break; /* ECHILD: nothing left */
        }
        reaped++;
        user += secs(ru.ru_utime);
        sys += secs(ru.ru_stime);
        f = fopen(tmp, "w");
        if(f) {
            fprintf(f, "reaped=%ld user_s=%.6f sys_s=%.6f\n", reaped, user, sys);
            if(fclose(f) == 0)
                rename(tmp, argv[1]);
        }
    }
    return 0;
}
