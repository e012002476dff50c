/*
 * Run a command and record its resource use: the harness's stand-in for
 * /usr/bin/time with microsecond CPU figures.
 *
 *   runwait OUTFILE COMMAND [ARGS...]
 *
 * Writes "status=S wall_s=W user_s=U sys_s=S maxrss_kib=M" to OUTFILE, from
 * wait4() of the child, which includes the child's own reaped children (the
 * ssh process behind sftp and scp). The exit status is the child's.
 *
 * Why not run the command straight from Python: Linux carries the peak RSS of
 * the process that calls exec() into the new program's ru_maxrss, so a child
 * forked from the Python harness would report at least Python's RSS. This
 * small program's RSS (about 1 MiB) is the floor instead.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct rusage ru;
    struct timespec t0, t1;
    int status = 0;
    pid_t pid;
    FILE *out;
    if(argc < 3) {
        fprintf(stderr, "usage: runwait OUTFILE COMMAND [ARGS...]\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if(pid < 0) {
        perror("runwait: fork");
        return 127;
    }
    if(pid == 0) {
        execvp(argv[2], argv + 2);
        perror("runwait: exec");
        _exit(127);
    }
    if(wait4(pid, &status, 0, &ru) < 0) {
        perror("runwait: wait4");
        return 127;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out = fopen(argv[1], "w");
    if(!out) {
        perror("runwait: output file");
        return 127;
    }
    fprintf(out, "status=%d wall_s=%.6f user_s=%ld.%06ld sys_s=%ld.%06ld maxrss_kib=%ld\n",
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec,
            (long)ru.ru_stime.tv_usec, ru.ru_maxrss);
    fclose(out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
