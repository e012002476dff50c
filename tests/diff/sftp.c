/*
 * Differential scenarios: SFTP. Every call on files, directories and paths,
 * the server's errors (sftp_last_error), odd arguments (empty, over-long,
 * NULL handles), blocking and non-blocking, and the peer going away.
 * Only names relative to the scenario's directory and attributes that do
 * not change per run (size, permissions, times we set) are recorded.
 */
#include "conn.h"

/* A fixed time set on files, so their times can be recorded. */
#define FIXED_TIME 1000000000UL
/* A path longer than any server allows. */
#define PATH_LONG 5000
/* Bytes of the large file, and the chunk its writes and reads use. */
#define LARGE_BYTES (1024 * 1024 + 123)
#define LARGE_CHUNK 30000
/* One big read request. */
#define BIG_READ 200000

static void rec_attrs(const LIBSSH2_SFTP_ATTRIBUTES *a, int times)
{
    rec_add(" flags=0x%lx", a->flags);
    if(a->flags & LIBSSH2_SFTP_ATTR_SIZE)
        rec_add(" size=%llu", (unsigned long long)a->filesize);
    if(a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS)
        rec_add(" perm=0%lo", a->permissions);
    if(a->flags & LIBSSH2_SFTP_ATTR_UIDGID)
        rec_add(" uid_is_gid=%d", a->uid == a->gid);
    /* mtime only: reading the file moves atime. */
    if(times && (a->flags & LIBSSH2_SFTP_ATTR_ACMODTIME))
        rec_add(" mtime=%lu", a->mtime);
}

static void rec_vfs(const LIBSSH2_SFTP_STATVFS *v)
{
    rec_add(" bsize_pos=%d namemax=%llu flag=0x%llx", v->f_bsize > 0,
            (unsigned long long)v->f_namemax, (unsigned long long)v->f_flag);
}

#define LASTERR(step, sftp) RI(step ".last_error", libssh2_sftp_last_error(sftp))

static LIBSSH2_SFTP *sftp_up(LIBSSH2_SESSION **sp, int *fdp)
{
    LIBSSH2_SESSION *s = sess_auth(fdp);
    LIBSSH2_SFTP *sftp = RP("setup.sftp_init", libssh2_sftp_init(s));
    *sp = s;
    if(sftp)
        RI("setup.mkdir", libssh2_sftp_mkdir(sftp, remote_dir(), 0755));
    return sftp;
}

static void sftp_basic(void)
{
    int fd;
    char buf[256], name[256], longentry[512];
    LIBSSH2_SESSION *s;
    LIBSSH2_SFTP *sftp = sftp_up(&s, &fd);
    LIBSSH2_SFTP_HANDLE *h;
    LIBSSH2_SFTP_ATTRIBUTES a;
    LIBSSH2_SFTP_STATVFS v;
    const char *f = remote_path("file"), *g = remote_path("renamed");
    char *l = remote_path("link");
    int n, entries = 0;

    RP("get_channel", libssh2_sftp_get_channel(sftp));
    RI("last_error_none", libssh2_sftp_last_error(sftp));
    h = RP("open_write", libssh2_sftp_open(sftp, f, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
                                                       LIBSSH2_FXF_TRUNC, 0644));
    RI("write", libssh2_sftp_write(h, "hello world", 11));
    RI("fsync", libssh2_sftp_fsync(h));
    RI("tell_after_write", libssh2_sftp_tell(h));
    memset(&a, 0, sizeof(a));
    RI("fstat", libssh2_sftp_fstat(h, &a));
    rec_attrs(&a, 0);
    memset(&a, 0, sizeof(a));
    a.flags = LIBSSH2_SFTP_ATTR_ACMODTIME;
    a.atime = a.mtime = FIXED_TIME;
    RI("fsetstat_times", libssh2_sftp_fsetstat(h, &a));
    memset(&a, 0, sizeof(a));
    RI("fstat_times", libssh2_sftp_fstat(h, &a));
    rec_attrs(&a, 1);
    memset(&v, 0, sizeof(v));
    RI("fstatvfs", libssh2_sftp_fstatvfs(h, &v));
    rec_vfs(&v);
    RI("close", libssh2_sftp_close(h));

    h = RP("open_read", libssh2_sftp_open(sftp, f, LIBSSH2_FXF_READ, 0));
    n = (int)RI("read5", libssh2_sftp_read(h, buf, 5));
    rec_bytes("data", buf, n > 0 ? (size_t)n : 0);
    RI("tell", libssh2_sftp_tell(h));
    RI("tell64", libssh2_sftp_tell64(h));
    RV("seek", libssh2_sftp_seek(h, 6));
    n = (int)RI("read_rest", libssh2_sftp_read(h, buf, sizeof(buf)));
    rec_bytes("data", buf, n > 0 ? (size_t)n : 0);
    RI("read_eof", libssh2_sftp_read(h, buf, sizeof(buf)));
    RV("rewind", libssh2_sftp_rewind(h));
    n = (int)RI("read_all", libssh2_sftp_read(h, buf, sizeof(buf)));
    rec_bytes("data", buf, n > 0 ? (size_t)n : 0);
    RV("seek64_past_end", libssh2_sftp_seek64(h, 1000));
    RI("tell64_past_end", libssh2_sftp_tell64(h));
    RI("read_past_end", libssh2_sftp_read(h, buf, sizeof(buf)));
    RI("close_read", libssh2_sftp_close(h));

    memset(&a, 0, sizeof(a));
    RI("stat", libssh2_sftp_stat(sftp, f, &a));
    rec_attrs(&a, 1);
    memset(&a, 0, sizeof(a));
    a.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
    a.permissions = 0600;
    RI("setstat_perm", libssh2_sftp_setstat(sftp, f, &a));
    memset(&a, 0, sizeof(a));
    RI("stat_perm", libssh2_sftp_stat(sftp, f, &a));
    rec_attrs(&a, 1);
    RI("symlink", libssh2_sftp_symlink(sftp, "file", l));
    n = (int)RI("readlink", libssh2_sftp_readlink(sftp, l, buf, sizeof(buf)));
    rec_bytes("target", buf, n > 0 ? (size_t)n : 0);
    memset(&a, 0, sizeof(a));
    RI("lstat_link", libssh2_sftp_lstat(sftp, l, &a));
    rec_attrs(&a, 0);
    memset(&a, 0, sizeof(a));
    RI("stat_link", libssh2_sftp_stat(sftp, l, &a));
    rec_attrs(&a, 1);
    n = (int)RI("realpath_dot", libssh2_sftp_realpath(sftp, ".", buf, sizeof(buf)));
    rec_bytes("path", buf, n > 0 ? (size_t)n : 0);
    n = (int)RI("realpath_root_dotdot", libssh2_sftp_realpath(sftp, "/tmp/..", buf, sizeof(buf)));
    rec_bytes("path", buf, n > 0 ? (size_t)n : 0);
    RI("rename", libssh2_sftp_rename(sftp, f, g));
    RI("rename_onto_existing", libssh2_sftp_rename_ex(sftp, g, (unsigned int)strlen(g), l,
                                                      (unsigned int)strlen(l), 0));
    LASTERR("rename_onto_existing", sftp);
    RI("rename_overwrite_flag", libssh2_sftp_rename(sftp, g, l));
    LASTERR("rename_overwrite_flag", sftp);
    RI("posix_rename", libssh2_sftp_posix_rename(sftp, g, l));
    RI("mkdir_sub", libssh2_sftp_mkdir(sftp, remote_path("sub"), 0700));

    h = RP("opendir", libssh2_sftp_opendir(sftp, remote_dir()));
    for(;;) {
        memset(&a, 0, sizeof(a));
        n = libssh2_sftp_readdir_ex(h, name, sizeof(name), longentry, sizeof(longentry), &a);
        if(n <= 0)
            break;
        entries++;
        /* Names only, sorted by the harness? No: in server order, same FS. */
        rec_begin("readdir");
        rec_add(" rc=%d", n);
        rec_bytes("name", name, (size_t)n);
        rec_add(" longentry_nonempty=%d", longentry[0] != 0);
        rec_attrs(&a, 0);
    }
    rec_int("readdir_end", n);
    KV("entries=%d", entries);
    RI("readdir_after_end", libssh2_sftp_readdir(h, name, sizeof(name), &a));
    RI("closedir", libssh2_sftp_closedir(h));

    memset(&v, 0, sizeof(v));
    RI("statvfs", libssh2_sftp_statvfs(sftp, ".", 1, &v));
    rec_vfs(&v);
    RI("unlink_link", libssh2_sftp_unlink(sftp, l));
    RI("rmdir_sub", libssh2_sftp_rmdir(sftp, remote_path("sub")));
    RI("rmdir", libssh2_sftp_rmdir(sftp, remote_dir()));
    RI("shutdown", libssh2_sftp_shutdown(sftp));
    sess_done(s, fd);
}

static void sftp_errors(void)
{
    int fd;
    char buf[256], name[64];
    LIBSSH2_SESSION *s;
    LIBSSH2_SFTP *sftp = sftp_up(&s, &fd);
    LIBSSH2_SFTP_HANDLE *h;
    LIBSSH2_SFTP_ATTRIBUTES a;
    char *f = remote_path("f");
    const char *missing = remote_path("missing");

    RP("open_missing", libssh2_sftp_open(sftp, missing, LIBSSH2_FXF_READ, 0));
    LASTERR("open_missing", sftp);
    RP("open_denied", libssh2_sftp_open(sftp, "/etc/shadow", LIBSSH2_FXF_READ, 0));
    LASTERR("open_denied", sftp);
    RP("opendir_missing", libssh2_sftp_opendir(sftp, missing));
    LASTERR("opendir_missing", sftp);
    RI("mkdir_existing", libssh2_sftp_mkdir(sftp, remote_dir(), 0755));
    LASTERR("mkdir_existing", sftp);
    RI("rmdir_missing", libssh2_sftp_rmdir(sftp, missing));
    LASTERR("rmdir_missing", sftp);
    RI("unlink_missing", libssh2_sftp_unlink(sftp, missing));
    LASTERR("unlink_missing", sftp);
    RI("rename_missing", libssh2_sftp_rename(sftp, missing, f));
    LASTERR("rename_missing", sftp);
    RI("posix_rename_missing", libssh2_sftp_posix_rename(sftp, missing, f));
    LASTERR("posix_rename_missing", sftp);
    RI("stat_missing", libssh2_sftp_stat(sftp, missing, &a));
    LASTERR("stat_missing", sftp);
    RI("readlink_missing", libssh2_sftp_readlink(sftp, missing, buf, sizeof(buf)));
    LASTERR("readlink_missing", sftp);
    RI("realpath_missing", libssh2_sftp_realpath(sftp, missing, buf, sizeof(buf)));
    LASTERR("realpath_missing", sftp);
    RI("statvfs_missing", libssh2_sftp_statvfs(sftp, missing, strlen(missing), (LIBSSH2_SFTP_STATVFS *)buf));
    LASTERR("statvfs_missing", sftp);
    RI("last_error_unchanged", libssh2_sftp_last_error(sftp));

    h = RP("open_create_excl", libssh2_sftp_open(sftp, f, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
                                                           LIBSSH2_FXF_EXCL, 0644));
    RI("write", libssh2_sftp_write(h, "abc", 3));
    RI("read_on_write_handle", libssh2_sftp_read(h, buf, sizeof(buf)));
    LASTERR("read_on_write_handle", sftp);
    RI("readdir_on_file", libssh2_sftp_readdir(h, name, sizeof(name), &a));
    LASTERR("readdir_on_file", sftp);
    RI("close", libssh2_sftp_close(h));
    RP("open_excl_existing", libssh2_sftp_open(sftp, f, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
                                                             LIBSSH2_FXF_EXCL, 0644));
    LASTERR("open_excl_existing", sftp);
    h = RP("open_readonly", libssh2_sftp_open(sftp, f, LIBSSH2_FXF_READ, 0));
    RI("write_on_read_handle", libssh2_sftp_write(h, "x", 1));
    LASTERR("write_on_read_handle", sftp);
    RI("fsetstat_bad_perm", ({
        LIBSSH2_SFTP_ATTRIBUTES b;
        memset(&b, 0, sizeof(b));
        b.flags = LIBSSH2_SFTP_ATTR_UIDGID;
        b.uid = b.gid = 0;
        libssh2_sftp_fsetstat(h, &b);
    }));
    LASTERR("fsetstat_bad_perm", sftp);
    RI("close_readonly", libssh2_sftp_close(h));
    RP("open_dir_as_file_write", libssh2_sftp_open(sftp, remote_dir(), LIBSSH2_FXF_WRITE, 0));
    LASTERR("open_dir_as_file_write", sftp);
    h = RP("open_dir_as_file", libssh2_sftp_open(sftp, remote_dir(), LIBSSH2_FXF_READ, 0));
    if(h) {
        RI("read_dir_handle", libssh2_sftp_read(h, buf, sizeof(buf)));
        LASTERR("read_dir_handle", sftp);
        RI("close_dir_handle", libssh2_sftp_close(h));
    }
    h = RP("opendir", libssh2_sftp_opendir(sftp, remote_dir()));
    RI("read_on_dir", libssh2_sftp_read(h, buf, sizeof(buf)));
    LASTERR("read_on_dir", sftp);
    RI("write_on_dir", libssh2_sftp_write(h, "x", 1));
    RI("fsync_on_dir", libssh2_sftp_fsync(h));
    LASTERR("fsync_on_dir", sftp);
    RI("closedir", libssh2_sftp_closedir(h));
    RI("rmdir_nonempty", libssh2_sftp_rmdir(sftp, remote_dir()));
    LASTERR("rmdir_nonempty", sftp);
    RI("symlink_existing", libssh2_sftp_symlink(sftp, "x", f));
    LASTERR("symlink_existing", sftp);
    RI("readlink_not_link", libssh2_sftp_readlink(sftp, f, buf, sizeof(buf)));
    LASTERR("readlink_not_link", sftp);
    RI("symlink_bad_type", libssh2_sftp_symlink_ex(sftp, f, (unsigned int)strlen(f), buf,
                                                   sizeof(buf), 9));
    RI("stat_bad_type", libssh2_sftp_stat_ex(sftp, f, (unsigned int)strlen(f), 9, &a));
    RI("open_bad_type", libssh2_sftp_open_ex(sftp, f, (unsigned int)strlen(f), LIBSSH2_FXF_READ,
                                             0, 9) != NULL);
    RI("shutdown", libssh2_sftp_shutdown(sftp));
    sess_done(s, fd);
}

/* Buffers too small, paths empty or over-long, lengths shorter than strings. */
static void sftp_odd_args(void)
{
    int fd, n;
    char buf[PATH_LONG + 1], small[4], name[4], longentry[4];
    LIBSSH2_SESSION *s;
    LIBSSH2_SFTP *sftp = sftp_up(&s, &fd);
    LIBSSH2_SFTP_HANDLE *h;
    LIBSSH2_SFTP_ATTRIBUTES a;

    memset(buf, 'p', PATH_LONG);
    buf[PATH_LONG] = 0;
    RP("open_long", libssh2_sftp_open(sftp, buf, LIBSSH2_FXF_READ, 0));
    LASTERR("open_long", sftp);
    RI("stat_long", libssh2_sftp_stat(sftp, buf, &a));
    LASTERR("stat_long", sftp);
    RI("mkdir_long", libssh2_sftp_mkdir(sftp, buf, 0755));
    LASTERR("mkdir_long", sftp);
    RI("stat_empty", libssh2_sftp_stat_ex(sftp, "", 0, LIBSSH2_SFTP_STAT, &a));
    LASTERR("stat_empty", sftp);
    if(a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS)
        KV("perm=0%lo", a.permissions);
    n = (int)RI("realpath_empty", libssh2_sftp_symlink_ex(sftp, "", 0, buf, sizeof(buf),
                                                           LIBSSH2_SFTP_REALPATH));
    rec_bytes("path", buf, n > 0 ? (size_t)n : 0);
    n = (int)RI("realpath_small_buf", libssh2_sftp_realpath(sftp, ".", small, sizeof(small)));
    n = (int)RI("realpath_len_shorter", libssh2_sftp_symlink_ex(sftp, "/tmpXYZ", 4, buf,
                                                                 sizeof(buf), LIBSSH2_SFTP_REALPATH));
    rec_bytes("path", buf, n > 0 ? (size_t)n : 0);
    RI("mkdir_len_shorter", libssh2_sftp_mkdir_ex(sftp, remote_path("dXYZ"),
                                                  (unsigned int)strlen(remote_path("d")), 0700));
    RI("rmdir_len_shorter", libssh2_sftp_rmdir_ex(sftp, remote_path("dXYZ"),
                                                  (unsigned int)strlen(remote_path("d"))));
    RI("mkdir_mode_odd", libssh2_sftp_mkdir(sftp, remote_path("m"), 07777));
    memset(&a, 0, sizeof(a));
    RI("stat_mode_odd", libssh2_sftp_stat(sftp, remote_path("m"), &a));
    rec_attrs(&a, 0);
    RI("mkdir_mode_neg", libssh2_sftp_mkdir(sftp, remote_path("neg"), -1));
    h = RP("opendir", libssh2_sftp_opendir(sftp, remote_dir()));
    RI("readdir_small_name", libssh2_sftp_readdir(h, name, sizeof(name), &a));
    RI("readdir_small_longentry", libssh2_sftp_readdir_ex(h, buf, sizeof(buf), longentry,
                                                          sizeof(longentry), &a));
    RI("readdir_null_attrs", libssh2_sftp_readdir_ex(h, buf, sizeof(buf), NULL, 0, NULL));
    RI("closedir", libssh2_sftp_closedir(h));
    h = RP("open_r_attrs", ({
        LIBSSH2_SFTP_ATTRIBUTES b;
        memset(&b, 0, sizeof(b));
        b.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
        b.permissions = 0640;
        libssh2_sftp_open_r(sftp, remote_path("r"), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT, 0600, &b);
    }));
    memset(&a, 0, sizeof(a));
    RI("fstat_r", libssh2_sftp_fstat(h, &a));
    rec_attrs(&a, 0);
    RI("write_len0", libssh2_sftp_write(h, "", 0));
    RI("close_r", libssh2_sftp_close(h));
    h = RP("open_ex_r_null_attrs", libssh2_sftp_open_ex_r(sftp, remote_path("r"),
                                                          strlen(remote_path("r")),
                                                          LIBSSH2_FXF_READ, 0,
                                                          LIBSSH2_SFTP_OPENFILE, NULL));
    RI("read_len0", libssh2_sftp_read(h, buf, 0));
    RI("close_r2", libssh2_sftp_close(h));
    h = RP("open_ex_r_dir", libssh2_sftp_open_ex_r(sftp, remote_dir(), strlen(remote_dir()), 0, 0,
                                                   LIBSSH2_SFTP_OPENDIR, NULL));
    RI("closedir_r", libssh2_sftp_closedir(h));
    RI("shutdown", libssh2_sftp_shutdown(sftp));
    sess_done(s, fd);
}

static void sftp_large(void)
{
    int fd;
    static char chunk[LARGE_CHUNK], big[BIG_READ];
    long long total = 0, bad = 0, i;
    ssize_t n;
    LIBSSH2_SESSION *s;
    LIBSSH2_SFTP *sftp = sftp_up(&s, &fd);
    LIBSSH2_SFTP_HANDLE *h;
    LIBSSH2_SFTP_ATTRIBUTES a;
    const char *f = remote_path("large");
    for(i = 0; i < LARGE_CHUNK; i++)
        chunk[i] = (char)('a' + i % 26);
    h = RP("open_write", libssh2_sftp_open(sftp, f, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
                                                       LIBSSH2_FXF_TRUNC, 0644));
    while(total < LARGE_BYTES) {
        size_t want = LARGE_BYTES - total < LARGE_CHUNK ? (size_t)(LARGE_BYTES - total) : LARGE_CHUNK;
        n = libssh2_sftp_write(h, chunk + (total % 26 ? 0 : 0), want);
        if(n <= 0) {
            rec_int("write_failed", n);
            break;
        }
        total += n;
    }
    NOTE("written", "total=%lld", total);
    RI("close_write", libssh2_sftp_close(h));
    memset(&a, 0, sizeof(a));
    RI("stat", libssh2_sftp_stat(sftp, f, &a));
    rec_attrs(&a, 0);
    h = RP("open_read", libssh2_sftp_open(sftp, f, LIBSSH2_FXF_READ, 0));
    total = 0;
    while((n = libssh2_sftp_read(h, big, sizeof(big))) > 0) {
        for(i = 0; i < n; i++)
            bad += big[i] < 'a' || big[i] > 'z';
        total += n;
    }
    rec_int("read_end", n);
    KV("total=%lld bad=%lld", total, bad);
    RV("seek_back", libssh2_sftp_seek64(h, LARGE_BYTES - 10));
    n = RI("read_tail", libssh2_sftp_read(h, big, sizeof(big)));
    RI("tell_tail", libssh2_sftp_tell64(h));
    RI("close_read", libssh2_sftp_close(h));
    RI("unlink", libssh2_sftp_unlink(sftp, f));
    RI("shutdown", libssh2_sftp_shutdown(sftp));
    sess_done(s, fd);
}

static void sftp_nb(void)
{
    int fd, n;
    char buf[64], name[64];
    LIBSSH2_SESSION *s = sess_auth(&fd);
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *h;
    LIBSSH2_SFTP_ATTRIBUTES a;
    const char *f = remote_path("nb");
    libssh2_session_set_blocking(s, 0);
    sftp = NBP("init", libssh2_sftp_init(s));
    NBI("mkdir", libssh2_sftp_mkdir(sftp, remote_dir(), 0755));
    h = NBP("open", libssh2_sftp_open(sftp, f, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT, 0644));
    NBI("write", libssh2_sftp_write(h, "non-blocking", 12));
    NBI("fsync", libssh2_sftp_fsync(h));
    memset(&a, 0, sizeof(a));
    NBI("fstat", libssh2_sftp_fstat(h, &a));
    rec_attrs(&a, 0);
    NBI("close", libssh2_sftp_close(h));
    h = NBP("open_read", libssh2_sftp_open(sftp, f, LIBSSH2_FXF_READ, 0));
    n = (int)NBI("read", libssh2_sftp_read(h, buf, sizeof(buf)));
    rec_bytes("data", buf, n > 0 ? (size_t)n : 0);
    NBI("read_eof", libssh2_sftp_read(h, buf, sizeof(buf)));
    NBI("close_read", libssh2_sftp_close(h));
    memset(&a, 0, sizeof(a));
    NBI("stat", libssh2_sftp_stat(sftp, f, &a));
    rec_attrs(&a, 0);
    NBI("symlink", libssh2_sftp_symlink(sftp, "nb", remote_path("l")));
    n = (int)NBI("readlink", libssh2_sftp_readlink(sftp, remote_path("l"), buf, sizeof(buf)));
    rec_bytes("target", buf, n > 0 ? (size_t)n : 0);
    NBI("rename", libssh2_sftp_rename(sftp, remote_path("l"), remote_path("l2")));
    NBI("posix_rename", libssh2_sftp_posix_rename(sftp, remote_path("l2"), remote_path("l3")));
    h = NBP("opendir", libssh2_sftp_opendir(sftp, remote_dir()));
    n = 0;
    while(NBI("readdir", libssh2_sftp_readdir(h, name, sizeof(name), &a)) > 0)
        n++;
    NOTE("entries", "%d", n);
    NBI("closedir", libssh2_sftp_closedir(h));
    NBI("statvfs", libssh2_sftp_statvfs(sftp, ".", 1, (LIBSSH2_SFTP_STATVFS *)buf));
    NBI("unlink", libssh2_sftp_unlink(sftp, remote_path("l3")));
    NBI("unlink2", libssh2_sftp_unlink(sftp, f));
    NBI("rmdir", libssh2_sftp_rmdir(sftp, remote_dir()));
    NBI("shutdown", libssh2_sftp_shutdown(sftp));
    sess_done(s, fd);
}

/* Two SFTP sessions on one SSH session; shutdown with handles still open. */
static void sftp_twice(void)
{
    int fd;
    LIBSSH2_SESSION *s;
    LIBSSH2_SFTP *a = sftp_up(&s, &fd);
    LIBSSH2_SFTP *b = RP("init_second", libssh2_sftp_init(s));
    LIBSSH2_SFTP_HANDLE *h = RP("open_on_second", libssh2_sftp_opendir(b, remote_dir()));
    (void)h;
    RI("shutdown_first", libssh2_sftp_shutdown(a));
    RI("shutdown_second_with_handle", libssh2_sftp_shutdown(b));
    a = RP("init_again", libssh2_sftp_init(s));
    RI("rmdir", libssh2_sftp_rmdir(a, remote_dir()));
    RI("shutdown", libssh2_sftp_shutdown(a));
    sess_done(s, fd);
}

static void sftp_null(void)
{
    char buf[8];
    LIBSSH2_SFTP_ATTRIBUTES a;
    LIBSSH2_SFTP_STATVFS v;
    rec_s = NULL;
#define NF(step, call) RFORK(step, RI(step, call))
#define NFP(step, call) RFORK(step, RP(step, call))
#define NFV(step, call) RFORK(step, RV(step, call))
    NF("shutdown", libssh2_sftp_shutdown(NULL));
    NF("last_error", libssh2_sftp_last_error(NULL));
    NFP("get_channel", libssh2_sftp_get_channel(NULL));
    NFP("open", libssh2_sftp_open(NULL, "x", LIBSSH2_FXF_READ, 0));
    NFP("open_r", libssh2_sftp_open_r(NULL, "x", LIBSSH2_FXF_READ, 0, NULL));
    NF("read", libssh2_sftp_read(NULL, buf, sizeof(buf)));
    NF("readdir", libssh2_sftp_readdir(NULL, buf, sizeof(buf), &a));
    NF("write", libssh2_sftp_write(NULL, "x", 1));
    NF("fsync", libssh2_sftp_fsync(NULL));
    NF("close", libssh2_sftp_close(NULL));
    NFV("seek", libssh2_sftp_seek(NULL, 1));
    NFV("seek64", libssh2_sftp_seek64(NULL, 1));
    NF("tell", libssh2_sftp_tell(NULL));
    NF("tell64", libssh2_sftp_tell64(NULL));
    NF("fstat", libssh2_sftp_fstat(NULL, &a));
    NF("fstatvfs", libssh2_sftp_fstatvfs(NULL, &v));
    NF("statvfs", libssh2_sftp_statvfs(NULL, ".", 1, &v));
    NF("rename", libssh2_sftp_rename(NULL, "a", "b"));
    NF("posix_rename", libssh2_sftp_posix_rename(NULL, "a", "b"));
    NF("unlink", libssh2_sftp_unlink(NULL, "a"));
    NF("mkdir", libssh2_sftp_mkdir(NULL, "a", 0755));
    NF("rmdir", libssh2_sftp_rmdir(NULL, "a"));
    NF("stat", libssh2_sftp_stat(NULL, "a", &a));
    NF("symlink", libssh2_sftp_symlink(NULL, "a", "b"));
#undef NF
#undef NFP
#undef NFV
}

/* NULL arguments on a live SFTP session: each with the rest in a child. */
static void sftp_null_args(void)
{
    int fd;
    LIBSSH2_SESSION *s;
    LIBSSH2_SFTP *sftp = sftp_up(&s, &fd);
    const char *a = rec_arg;
    RFORK(rec_arg, {
        char buf[64];
        LIBSSH2_SFTP_HANDLE *h;
        if(!strcmp(a, "open_null_path"))
            RP(a, libssh2_sftp_open_ex(sftp, NULL, 0, LIBSSH2_FXF_READ, 0, LIBSSH2_SFTP_OPENFILE));
        else if(!strcmp(a, "stat_null_attrs"))
            RI(a, libssh2_sftp_stat(sftp, ".", NULL));
        else if(!strcmp(a, "realpath_null_target"))
            RI(a, libssh2_sftp_symlink_ex(sftp, ".", 1, NULL, 0, LIBSSH2_SFTP_REALPATH));
        else if(!strcmp(a, "statvfs_null"))
            RI(a, libssh2_sftp_statvfs(sftp, ".", 1, NULL));
        else if(!strcmp(a, "read_null_buf")) {
            h = RP("open", libssh2_sftp_open(sftp, "/etc/hostname", LIBSSH2_FXF_READ, 0));
            RI(a, libssh2_sftp_read(h, NULL, 10));
        }
        else if(!strcmp(a, "fstat_null_attrs")) {
            h = RP("open", libssh2_sftp_opendir(sftp, "."));
            RI(a, libssh2_sftp_fstat(h, NULL));
        }
        else if(!strcmp(a, "readdir_null_buf")) {
            h = RP("open", libssh2_sftp_opendir(sftp, "."));
            RI(a, libssh2_sftp_readdir_ex(h, NULL, 0, NULL, 0, NULL));
        }
        RI("realpath_after", libssh2_sftp_realpath(sftp, "/", buf, sizeof(buf)));
    });
    sess_done(s, fd);
}

static void sftp_peer_gone(void)
{
    struct relay r;
    char buf[64];
    LIBSSH2_SESSION *s = sess_on(relay_start(&r));
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *h;
    LIBSSH2_SFTP_ATTRIBUTES a;
    auth_key(s);
    sftp = RP("init", libssh2_sftp_init(s));
    h = RP("open", libssh2_sftp_open(sftp, "/etc/hostname", LIBSSH2_FXF_READ, 0));
    relay_kill(&r, "kill_open");
    RI("read", libssh2_sftp_read(h, buf, sizeof(buf)));
    RI("read_again", libssh2_sftp_read(h, buf, sizeof(buf)));
    RI("fstat", libssh2_sftp_fstat(h, &a));
    RI("stat", libssh2_sftp_stat(sftp, "/", &a));
    RI("last_error", libssh2_sftp_last_error(sftp));
    RI("close", libssh2_sftp_close(h));
    RI("shutdown", libssh2_sftp_shutdown(sftp));
    sess_done(s, r.fd);

    /* Between the SSH handshake and the SFTP version exchange. */
    s = sess_on(relay_start(&r));
    auth_key(s);
    libssh2_session_set_blocking(s, 0);
    RP("init_nb_pending", libssh2_sftp_init(s));
    relay_kill(&r, "kill_init");
    NBP("init_nb", libssh2_sftp_init(s));
    sess_done(s, r.fd);

    /* Non-blocking read when it goes. */
    s = sess_on(relay_start(&r));
    auth_key(s);
    sftp = RP("init3", libssh2_sftp_init(s));
    h = RP("open3", libssh2_sftp_open(sftp, "/etc/hostname", LIBSSH2_FXF_READ, 0));
    libssh2_session_set_blocking(s, 0);
    relay_kill(&r, "kill_nb");
    NBI("read_nb", libssh2_sftp_read(h, buf, sizeof(buf)));
    NBI("close_nb", libssh2_sftp_close(h));
    NBI("shutdown_nb", libssh2_sftp_shutdown(sftp));
    sess_done(s, r.fd);
}

/* SFTP subsystem on a session that is not authenticated / channel reuse. */
static void sftp_states(void)
{
    int fd;
    LIBSSH2_SESSION *s = sess_up(&fd);
    LIBSSH2_SFTP *sftp;
    libssh2_session_set_timeout(s, WAIT_CAP_MS);
    RP("init_before_auth", libssh2_sftp_init(s));
    auth_key(s);
    sftp = RP("init", libssh2_sftp_init(s));
    {
        LIBSSH2_CHANNEL *ch = RP("get_channel", libssh2_sftp_get_channel(sftp));
        RI("channel_eof", libssh2_channel_eof(ch));
        RI("channel_window_write_pos", libssh2_channel_window_write(ch) > 0);
        RI("channel_exec_on_sftp", libssh2_channel_exec(ch, "echo no"));
    }
    RI("shutdown", libssh2_sftp_shutdown(sftp));
    sess_done(s, fd);
}

REC_MAIN(SCN(sftp_basic), SCN(sftp_errors), SCN(sftp_odd_args), SCN(sftp_large), SCN(sftp_nb),
         SCN(sftp_twice), SCN(sftp_null), SCNA(sftp_null_args, "open_null_path"),
         SCNA(sftp_null_args, "stat_null_attrs"), SCNA(sftp_null_args, "realpath_null_target"),
         SCNA(sftp_null_args, "statvfs_null"), SCNA(sftp_null_args, "read_null_buf"),
         SCNA(sftp_null_args, "fstat_null_attrs"), SCNA(sftp_null_args, "readdir_null_buf"),
         SCN(sftp_peer_gone), SCN(sftp_states))
