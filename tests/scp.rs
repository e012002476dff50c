//! SCP through the C ABI against the fixture sshd (same machine, so the
//! remote files are checked directly): sizes 0/1/10 MiB, modes and times,
//! names with spaces, quotes and `!`, remote errors, blocking and not.

mod common;

use std::ffi::{c_char, c_int, CStr, CString};
use std::fs;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::ptr;

use common::{pattern, Sshd};
use ssh2::error::code;
use ssh2::ffi::channel::*;
use ssh2::ffi::handle::LIBSSH2_SESSION;
use ssh2::ffi::scp::*;
use ssh2::ffi::session::*;
use ssh2::ffi::types::libssh2_struct_stat;

/// The big file size.
const TEN_MIB: usize = 10 * 1024 * 1024;
/// Times used for uploads and downloads (well in the past, distinct).
const MTIME: i64 = 1_500_000_000;
const ATIME: i64 = 1_400_000_000;
/// File names that need quoting.
const NAMES: [&str; 3] = ["plain.bin", "with space s.bin", "it's a \"file\"!.bin"];

struct Sess {
    p: *mut LIBSSH2_SESSION,
    tcp: std::net::TcpStream,
}

impl Drop for Sess {
    fn drop(&mut self) {
        // SAFETY: p came from init_ex and is freed once.
        unsafe { libssh2_session_free(self.p) };
    }
}

impl Sess {
    fn last_error(&self) -> (c_int, String) {
        let mut msg: *mut c_char = ptr::null_mut();
        let mut len: c_int = 0;
        // SAFETY: live session; out-pointers valid; want_buf 0 borrows the message.
        let rc = unsafe { libssh2_session_last_error(self.p, &mut msg, &mut len, 0) };
        let text = if msg.is_null() { String::new() } else { unsafe { CStr::from_ptr(msg) }.to_string_lossy().into() };
        (rc, text)
    }

    fn wait(&self) {
        let mut pfd = libc::pollfd { fd: self.tcp.as_raw_fd(), events: libc::POLLIN | libc::POLLOUT, revents: 0 };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, 50) };
    }
}

fn login(sshd: &Sshd) -> Sess {
    let (p, tcp) = common::login_ed25519(sshd);
    Sess { p, tcp }
}

/// Uploads `content` to `path`; in non-blocking mode retries on EAGAIN.
fn upload(s: &Sess, path: &Path, content: &[u8], mode: c_int, times: bool, blocking: bool) {
    let cpath = CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: live session.
    unsafe { libssh2_session_set_blocking(s.p, blocking as c_int) };
    let (mt, at) = if times { (MTIME, ATIME) } else { (0, 0) };
    let ch = loop {
        // SAFETY: live session; path valid.
        let ch = unsafe { libssh2_scp_send64(s.p, cpath.as_ptr(), mode, content.len() as i64, mt, at) };
        if !ch.is_null() {
            break ch;
        }
        assert_eq!(s.last_error().0, code::EAGAIN, "{:?}", s.last_error());
        s.wait();
    };
    let mut off = 0;
    while off < content.len() {
        // SAFETY: live channel; buffer readable.
        let n = unsafe { libssh2_channel_write_ex(ch, 0, content[off..].as_ptr().cast(), content.len() - off) };
        if n == code::EAGAIN as isize {
            s.wait();
            continue;
        }
        assert!(n > 0, "write {n}");
        off += n as usize;
    }
    // SAFETY: live session and channel.
    unsafe {
        libssh2_session_set_blocking(s.p, 1);
        assert_eq!(libssh2_channel_send_eof(ch), 0);
        assert_eq!(libssh2_channel_wait_eof(ch), 0);
        assert_eq!(libssh2_channel_close(ch), 0);
        assert_eq!(libssh2_channel_wait_closed(ch), 0);
        let mut err = [0u8; 512];
        let n = libssh2_channel_read_ex(ch, 1, err.as_mut_ptr().cast(), err.len()).max(0) as usize;
        let err = String::from_utf8_lossy(&err[..n]);
        assert_eq!(libssh2_channel_get_exit_status(ch), 0, "remote scp status for {path:?}: {err}");
        libssh2_channel_free(ch);
    }
}

/// Downloads `path`; returns its stat and the bytes read.
fn download(s: &Sess, path: &Path, blocking: bool) -> (libssh2_struct_stat, Vec<u8>) {
    let cpath = CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: all-zero is a valid struct stat.
    let mut st: libssh2_struct_stat = unsafe { std::mem::zeroed() };
    // SAFETY: live session.
    unsafe { libssh2_session_set_blocking(s.p, blocking as c_int) };
    let ch = loop {
        // SAFETY: live session; path valid; st writable.
        let ch = unsafe { libssh2_scp_recv2(s.p, cpath.as_ptr(), &mut st) };
        if !ch.is_null() {
            break ch;
        }
        assert_eq!(s.last_error().0, code::EAGAIN, "{:?}", s.last_error());
        s.wait();
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        // SAFETY: live channel; buffer writable.
        let n = unsafe { libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len()) };
        if n == code::EAGAIN as isize {
            s.wait();
            continue;
        }
        assert!(n >= 0, "read {n}");
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
    // SAFETY: live session and channel.
    unsafe {
        libssh2_session_set_blocking(s.p, 1);
        assert_eq!(libssh2_channel_eof(ch), 1);
        assert_eq!(libssh2_channel_close(ch), 0);
        // close stops at the next packet (as in libssh2); wait_closed needs the peer's EOF.
        assert_eq!(libssh2_channel_wait_eof(ch), 0);
        assert_eq!(libssh2_channel_wait_closed(ch), 0);
        // Our final ack let the remote scp finish cleanly.
        assert_eq!(libssh2_channel_get_exit_status(ch), 0, "remote scp status");
        libssh2_channel_free(ch);
    }
    (st, out)
}

fn roundtrip(blocking: bool) {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in NAMES.iter().enumerate() {
        for (j, size) in [0usize, 1, TEN_MIB].into_iter().enumerate() {
            // Odd seeds: pattern() sets the low bit, so each file gets its own bytes.
            let content = pattern(size, 2 * (i * 3 + j) as u64 + 1);
            let path = dir.path().join(format!("{j}-{name}"));
            let mode = [0o640, 0o600, 0o755][j];
            upload(&s, &path, &content, mode, true, blocking);
            let meta = fs::metadata(&path).unwrap();
            assert_eq!(fs::read(&path).unwrap(), content, "{path:?}");
            assert_eq!(meta.permissions().mode() & 0o7777, mode as u32, "{path:?}");
            assert_eq!(meta.mtime(), MTIME, "{path:?}");
            assert_eq!(meta.atime(), ATIME, "{path:?}");

            // Reading the file above moved its atime (relatime); the T line carries the current one.
            let atime_now = fs::metadata(&path).unwrap().atime();
            let (st, got) = download(&s, &path, blocking);
            assert_eq!(got, content, "{path:?}");
            assert_eq!(st.st_size as usize, size);
            assert_eq!(st.st_mode & 0o7777, mode as u32);
            assert_eq!(st.st_mtime, MTIME);
            assert_eq!(st.st_atime, atime_now);
        }
    }
}

#[test]
fn roundtrip_blocking() {
    roundtrip(true);
}

#[test]
fn roundtrip_nonblocking() {
    roundtrip(false);
}

#[test]
fn old_apis_without_times() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old api.txt");
    let cpath = CString::new(path.to_str().unwrap()).unwrap();
    let content = b"hello scp\n";
    // SAFETY: live session; path valid.
    let ch = unsafe { libssh2_scp_send_ex(s.p, cpath.as_ptr(), 0o604, content.len(), 0, 0) };
    assert!(!ch.is_null(), "{:?}", s.last_error());
    // SAFETY: live channel.
    unsafe {
        assert_eq!(libssh2_channel_write_ex(ch, 0, content.as_ptr().cast(), content.len()), content.len() as isize);
        libssh2_channel_send_eof(ch);
        libssh2_channel_wait_eof(ch);
        libssh2_channel_free(ch);
    }
    assert_eq!(fs::read(&path).unwrap(), content);
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o604);

    // SAFETY: all-zero is a valid struct stat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: live session; path valid; st writable.
    let ch = unsafe { libssh2_scp_recv(s.p, cpath.as_ptr(), &mut st) };
    assert!(!ch.is_null(), "{:?}", s.last_error());
    assert_eq!(st.st_size, content.len() as i64);
    assert_eq!(st.st_mode & 0o777, 0o604);
    let mut buf = [0u8; 64];
    // SAFETY: live channel.
    let n = unsafe { libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(&buf[..n as usize], content);
    // SAFETY: live channel.
    unsafe { libssh2_channel_free(ch) };

    // Without a stat buffer there is no T line (scp -f, not -pf).
    // SAFETY: live session; path valid.
    let ch = unsafe { libssh2_scp_recv2(s.p, cpath.as_ptr(), ptr::null_mut()) };
    assert!(!ch.is_null(), "{:?}", s.last_error());
    // SAFETY: live channel.
    let n = unsafe { libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(&buf[..n as usize], content);
    // SAFETY: live channel.
    unsafe { libssh2_channel_free(ch) };
}

#[test]
fn remote_errors_carry_the_message() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let dir = tempfile::tempdir().unwrap();
    let missing = CString::new(dir.path().join("no such file").to_str().unwrap()).unwrap();
    // SAFETY: all-zero is a valid struct stat.
    let mut st: libssh2_struct_stat = unsafe { std::mem::zeroed() };
    // SAFETY: live session; path valid.
    let ch = unsafe { libssh2_scp_recv2(s.p, missing.as_ptr(), &mut st) };
    assert!(ch.is_null());
    let (rc, msg) = s.last_error();
    assert_eq!(rc, code::SCP_PROTOCOL);
    assert!(msg.contains("No such file or directory"), "{msg}");

    let bad_dir = CString::new(dir.path().join("nodir/x").to_str().unwrap()).unwrap();
    // SAFETY: live session; path valid.
    let ch = unsafe { libssh2_scp_send64(s.p, bad_dir.as_ptr(), 0o644, 3, 0, 0) };
    assert!(ch.is_null());
    let (rc, msg) = s.last_error();
    assert_eq!(rc, code::SCP_PROTOCOL);
    assert!(msg.contains("No such file or directory"), "{msg}");

    // A directory is not a file.
    let d = CString::new(dir.path().to_str().unwrap()).unwrap();
    // SAFETY: live session; path valid.
    let ch = unsafe { libssh2_scp_recv2(s.p, d.as_ptr(), &mut st) };
    assert!(ch.is_null());
    assert_eq!(s.last_error().0, code::SCP_PROTOCOL);

    // The session still works afterwards.
    let path = dir.path().join("after.txt");
    upload(&s, &path, b"ok", 0o644, false, true);
    assert_eq!(fs::read(&path).unwrap(), b"ok");
}
