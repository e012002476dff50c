//! SFTP through the C API (`ssh2::ffi::sftp::*`) against the private sshd,
//! with OpenSSH's sftp-server and with `internal-sftp`, blocking and
//! non-blocking. The server side is this machine, so every remote effect is
//! checked directly on the file system.

mod common;

use std::ffi::{c_char, c_int, c_long, c_uint, c_ulong};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::ptr;

use common::{pattern, FixtureError, Options, Sshd, UserKey};
use sha2::{Digest, Sha256};
use ssh2::error::code;
use ssh2::ffi::session::*;
use ssh2::ffi::sftp::*;
use ssh2::ffi::types::{fx, fxf, LIBSSH2_SFTP_ATTRIBUTES, LIBSSH2_SFTP_STATVFS};
use ssh2::ffi::userauth::libssh2_userauth_password_ex;
use ssh2::ffi::userauth::libssh2_userauth_publickey_fromfile_ex;

type Sess = ssh2::ffi::handle::SessionHandle;

/// LIBSSH2_FLAG_SFTP_WRITE_BEHIND (ours, issue 18).
const FLAG_SFTP_WRITE_BEHIND: c_int = 0x5701;

/// LIBSSH2_SFTP_ATTR_* bits used below.
const ATTR_SIZE: u64 = 1;
const ATTR_PERMISSIONS: u64 = 4;
const ATTR_ACMODTIME: u64 = 8;

/// A logged-in session with an SFTP instance, freed on drop.
struct Client {
    sess: *mut Sess,
    sftp: *mut LIBSSH2_SFTP,
    _sock: std::net::TcpStream,
}

fn cs(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s).unwrap()
}

impl Client {
    fn connect(sshd: &Sshd) -> Client {
        Client::connect_wb(sshd, None)
    }

    /// Connects with LIBSSH2_FLAG_SFTP_WRITE_BEHIND set to `wb` (None: not set).
    fn connect_wb(sshd: &Sshd, wb: Option<c_int>) -> Client {
        let sock = sshd.connect();
        // SAFETY: plain FFI calls with valid arguments.
        unsafe {
            let sess = libssh2_session_init_ex(None, None, None, ptr::null_mut());
            assert!(!sess.is_null());
            if let Some(v) = wb {
                assert_eq!(libssh2_session_flag(sess, FLAG_SFTP_WRITE_BEHIND, v), 0);
            }
            assert_eq!(libssh2_session_handshake(sess, sock.as_raw_fd()), 0, "handshake");
            let rc = if let Some(pw) = &sshd.password {
                let (u, p) = (cs(&sshd.user), cs(pw));
                libssh2_userauth_password_ex(
                    sess,
                    u.as_ptr(),
                    sshd.user.len() as c_uint,
                    p.as_ptr(),
                    pw.len() as c_uint,
                    None,
                )
            } else {
                let key = sshd.user_key(UserKey::Ed25519);
                let (u, k) = (cs(&sshd.user), cs(key.private.to_str().unwrap()));
                libssh2_userauth_publickey_fromfile_ex(
                    sess,
                    u.as_ptr(),
                    sshd.user.len() as c_uint,
                    ptr::null(),
                    k.as_ptr(),
                    ptr::null(),
                )
            };
            assert_eq!(rc, 0, "auth");
            let sftp = libssh2_sftp_init(sess);
            assert!(!sftp.is_null(), "sftp_init: {}", last_err(sess));
            Client { sess, sftp, _sock: sock }
        }
    }

    fn set_blocking(&self, on: bool) {
        // SAFETY: live session.
        unsafe { libssh2_session_set_blocking(self.sess, on as c_int) }
    }

    fn last_errno(&self) -> c_int {
        // SAFETY: live session.
        unsafe { libssh2_session_last_errno(self.sess) }
    }

    fn fx(&self) -> c_ulong {
        // SAFETY: live instance.
        unsafe { libssh2_sftp_last_error(self.sftp) }
    }

    fn open(&self, path: &Path, flags: c_ulong, mode: c_long) -> *mut LIBSSH2_SFTP_HANDLE {
        let p = path.to_str().unwrap();
        // SAFETY: live instance; the path outlives the call.
        unsafe { libssh2_sftp_open_ex(self.sftp, p.as_ptr().cast(), p.len() as c_uint, flags, mode, 0) }
    }

    fn opendir(&self, path: &Path) -> *mut LIBSSH2_SFTP_HANDLE {
        let p = path.to_str().unwrap();
        // SAFETY: as above.
        unsafe { libssh2_sftp_open_ex(self.sftp, p.as_ptr().cast(), p.len() as c_uint, 0, 0, 1) }
    }

    /// Uploads `data` the way libssh2 programs do: advance by what was acknowledged.
    fn put(&self, path: &Path, data: &[u8], chunk: usize) {
        let h = self.open(path, fxf::WRITE | fxf::CREAT | fxf::TRUNC, 0o644);
        assert!(!h.is_null(), "open for write: {}", last_err(self.sess));
        let mut pos = 0;
        while pos < data.len() {
            let end = (pos + chunk).min(data.len());
            // SAFETY: live handle; the slice is valid.
            let n = unsafe { libssh2_sftp_write(h, data[pos..].as_ptr().cast(), end - pos) };
            assert!(n > 0, "write returned {n}: {}", last_err(self.sess));
            pos += n as usize;
        }
        // SAFETY: live handle.
        assert_eq!(unsafe { libssh2_sftp_close_handle(h) }, 0);
    }

    /// Downloads a whole file with reads of `chunk` bytes.
    fn get(&self, path: &Path, chunk: usize) -> Vec<u8> {
        let h = self.open(path, fxf::READ, 0);
        assert!(!h.is_null(), "open for read: {}", last_err(self.sess));
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            // SAFETY: live handle; buf is writable.
            let n = unsafe { libssh2_sftp_read(h, buf.as_mut_ptr().cast(), buf.len()) };
            assert!(n >= 0, "read returned {n}: {}", last_err(self.sess));
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n as usize]);
        }
        // SAFETY: live handle.
        assert_eq!(unsafe { libssh2_sftp_close_handle(h) }, 0);
        out
    }

    fn stat(&self, path: &Path, kind: c_int) -> (c_int, LIBSSH2_SFTP_ATTRIBUTES) {
        let p = path.to_str().unwrap();
        let mut a = LIBSSH2_SFTP_ATTRIBUTES::default();
        // SAFETY: live instance; valid out-pointer.
        let rc = unsafe { libssh2_sftp_stat_ex(self.sftp, p.as_ptr().cast(), p.len() as c_uint, kind, &mut a) };
        (rc, a)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: both handles are live and freed once.
        unsafe {
            libssh2_session_set_blocking(self.sess, 1);
            if !self.sftp.is_null() {
                libssh2_sftp_shutdown(self.sftp);
            }
            libssh2_session_free(self.sess);
        }
    }
}

fn last_err(sess: *mut Sess) -> String {
    let mut msg: *mut c_char = ptr::null_mut();
    let mut len: c_int = 0;
    // SAFETY: live session; no copy requested, so msg points into the session.
    let rc = unsafe { libssh2_session_last_error(sess, &mut msg, &mut len, 0) };
    let text = if msg.is_null() {
        String::new()
    } else {
        // SAFETY: msg is a NUL-terminated string owned by the session.
        unsafe { std::ffi::CStr::from_ptr(msg) }.to_string_lossy().into_owned()
    };
    format!("{rc} {text}")
}

fn sha(d: &[u8]) -> Vec<u8> {
    Sha256::digest(d).to_vec()
}

fn servers() -> Vec<(&'static str, Sshd)> {
    vec![
        ("sftp-server", Sshd::start()),
        ("internal-sftp", Sshd::start_opts(&Options { internal_sftp: true, ..Options::default() }).unwrap()),
    ]
}

/// A scratch directory the server (running as us) can write.
fn scratch(sshd: &Sshd, name: &str) -> PathBuf {
    let d = sshd.dir.path().join(name);
    fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn roundtrip_small_and_boundary_sizes() {
    for (label, sshd) in servers() {
        let c = Client::connect(&sshd);
        let dir = scratch(&sshd, "sizes");
        for (i, size) in [0usize, 1, 32767, 32768, 32769, 100_000, (1 << 20) + 3].into_iter().enumerate() {
            let data = pattern(size, 7 + i as u64);
            let path = dir.join(format!("f{size}"));
            for chunk in [16 * 1024, 1 << 20] {
                c.put(&path, &data, chunk);
                assert_eq!(sha(&fs::read(&path).unwrap()), sha(&data), "{label} put {size} chunk {chunk}");
                let got = c.get(&path, chunk);
                assert_eq!(got.len(), size, "{label} get {size}");
                assert_eq!(sha(&got), sha(&data), "{label} get {size} chunk {chunk}");
            }
        }
    }
}

#[test]
fn roundtrip_100_mib_with_sha256() {
    for (label, sshd) in servers() {
        let c = Client::connect(&sshd);
        let dir = scratch(&sshd, "big");
        let data = pattern(100 << 20, 99);
        let up = dir.join("up.bin");
        c.put(&up, &data, 1 << 20);
        assert_eq!(sha(&fs::read(&up).unwrap()), sha(&data), "{label}: upload");
        let got = c.get(&up, 16 * 1024);
        assert_eq!(sha(&got), sha(&data), "{label}: download");
        fs::remove_file(&up).unwrap();
    }
}

/// Non-blocking mode: every call may return EAGAIN and is repeated with the
/// same arguments until it completes.
#[test]
fn nonblocking_transfer_and_ops() {
    fn wait(c: &Client) {
        let mut pfd = libc::pollfd { fd: c._sock.as_raw_fd(), events: libc::POLLIN | libc::POLLOUT, revents: 0 };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, 100) };
    }
    for (label, sshd) in servers() {
        let c = Client::connect(&sshd);
        c.set_blocking(false);
        let dir = scratch(&sshd, "nb");
        let path = dir.join("nb.bin");
        let data = pattern(3 * 1024 * 1024 + 17, 5);
        let p = path.to_str().unwrap();
        // Would-blocks seen by the transfer's calls: the opens and closes (one
        // request each, whose reply comes after the call that sent it) and the
        // reads and writes (which on an idle machine may all find data waiting).
        let mut eagains = 0;
        let h = loop {
            let h = c.open(&path, fxf::WRITE | fxf::CREAT | fxf::TRUNC, 0o600);
            if !h.is_null() {
                break h;
            }
            assert_eq!(c.last_errno(), code::EAGAIN, "{label} open");
            eagains += 1;
            wait(&c);
        };
        let mut pos = 0;
        while pos < data.len() {
            let end = (pos + 200_000).min(data.len());
            // SAFETY: live handle, valid slice.
            let n = unsafe { libssh2_sftp_write(h, data[pos..].as_ptr().cast(), end - pos) };
            if n == code::EAGAIN as isize {
                eagains += 1;
                wait(&c);
                continue;
            }
            assert!(n > 0, "{label} write {n}");
            pos += n as usize;
        }
        // SAFETY: live handle.
        while unsafe { libssh2_sftp_close_handle(h) } == code::EAGAIN {
            eagains += 1;
            wait(&c);
        }
        assert_eq!(sha(&fs::read(&path).unwrap()), sha(&data), "{label}");

        let h = loop {
            let h = c.open(&path, fxf::READ, 0);
            if !h.is_null() {
                break h;
            }
            assert_eq!(c.last_errno(), code::EAGAIN);
            eagains += 1;
            wait(&c);
        };
        let mut got = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            // SAFETY: live handle, writable buffer.
            let n = unsafe { libssh2_sftp_read(h, buf.as_mut_ptr().cast(), buf.len()) };
            if n == code::EAGAIN as isize {
                eagains += 1;
                wait(&c);
                continue;
            }
            assert!(n >= 0, "{label} read {n}");
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n as usize]);
        }
        assert!(eagains > 0, "{label}: non-blocking transfer never saw EAGAIN");
        assert_eq!(sha(&got), sha(&data), "{label} nb download");
        let mut a = LIBSSH2_SFTP_ATTRIBUTES::default();
        // SAFETY: live handle, valid attrs.
        loop {
            let rc = unsafe { libssh2_sftp_fstat_ex(h, &mut a, 0) };
            if rc != code::EAGAIN {
                assert_eq!(rc, 0);
                break;
            }
            wait(&c);
        }
        assert_eq!(a.filesize, data.len() as u64);
        // SAFETY: live handle.
        while unsafe { libssh2_sftp_close_handle(h) } == code::EAGAIN {
            wait(&c);
        }
        // stat and unlink, non-blocking.
        let (mut rc, mut at) = c.stat(&path, 0);
        while rc == code::EAGAIN {
            wait(&c);
            (rc, at) = c.stat(&path, 0);
        }
        assert_eq!(rc, 0);
        assert_eq!(at.filesize, data.len() as u64);
        loop {
            // SAFETY: live instance; valid path.
            let rc = unsafe { libssh2_sftp_unlink_ex(c.sftp, p.as_ptr().cast(), p.len() as c_uint) };
            if rc != code::EAGAIN {
                assert_eq!(rc, 0);
                break;
            }
            wait(&c);
        }
        assert!(!path.exists());
        c.set_blocking(true);
    }
}

#[test]
fn random_access_reads_and_writes() {
    for (label, sshd) in servers() {
        let c = Client::connect(&sshd);
        let dir = scratch(&sshd, "ra");
        let path = dir.join("ra.bin");
        let mut local = pattern(3 * 1024 * 1024, 11);
        fs::write(&path, &local).unwrap();
        let h = c.open(&path, fxf::READ | fxf::WRITE, 0);
        assert!(!h.is_null());
        let mut rng = pattern(4096, 3);
        let mut next = move || {
            let v = u64::from_le_bytes(rng[..8].try_into().unwrap());
            rng.rotate_left(8);
            v
        };
        for i in 0..60 {
            let off = next() % (local.len() as u64 + 1000);
            let len = (next() % 100_000) as usize + 1;
            // SAFETY: live handle.
            unsafe { libssh2_sftp_seek64(h, off) };
            // SAFETY: live handle.
            assert_eq!(unsafe { libssh2_sftp_tell64(h) }, off);
            if i % 3 == 2 {
                let patch = pattern(len, off);
                let mut pos = 0;
                while pos < len {
                    // SAFETY: live handle, valid slice.
                    let n = unsafe { libssh2_sftp_write(h, patch[pos..].as_ptr().cast(), len - pos) };
                    assert!(n > 0, "{label} write {n}");
                    pos += n as usize;
                }
                let end = off as usize + len;
                if end > local.len() {
                    local.resize(end, 0);
                }
                local[off as usize..end].copy_from_slice(&patch);
                // SAFETY: live handle.
                assert_eq!(unsafe { libssh2_sftp_tell64(h) }, end as u64);
            } else {
                let mut buf = vec![0u8; len];
                let mut got = 0;
                while got < len {
                    // SAFETY: live handle, writable buffer.
                    let n = unsafe { libssh2_sftp_read(h, buf[got..].as_mut_ptr().cast(), len - got) };
                    assert!(n >= 0, "{label} read {n}");
                    if n == 0 {
                        break;
                    }
                    got += n as usize;
                }
                let start = (off as usize).min(local.len());
                let want = &local[start..(start + len).min(local.len())];
                assert_eq!(&buf[..got], want, "{label} read at {off} len {len}");
            }
        }
        // SAFETY: live handle.
        assert_eq!(unsafe { libssh2_sftp_close_handle(h) }, 0);
        assert_eq!(sha(&fs::read(&path).unwrap()), sha(&local), "{label} final file");
        // rewind is seek64(0): read the head again after reading to the end.
        let h = c.open(&path, fxf::READ, 0);
        let mut buf = vec![0u8; 1 << 20];
        // SAFETY: live handle, writable buffer.
        unsafe {
            while libssh2_sftp_read(h, buf.as_mut_ptr().cast(), buf.len()) > 0 {}
            libssh2_sftp_seek64(h, 0);
            let n = libssh2_sftp_read(h, buf.as_mut_ptr().cast(), 100);
            assert_eq!(n, 100);
            assert_eq!(&buf[..100], &local[..100]);
            libssh2_sftp_seek(h, 5);
            assert_eq!(libssh2_sftp_tell(h), 5);
            libssh2_sftp_close_handle(h);
        }
    }
}

#[test]
fn readdir_lists_a_thousand_entries() {
    for (label, sshd) in servers() {
        let c = Client::connect(&sshd);
        let dir = scratch(&sshd, "many");
        for i in 0..1000 {
            fs::write(dir.join(format!("entry-{i:04}")), vec![b'x'; i % 50]).unwrap();
        }
        let h = c.opendir(&dir);
        assert!(!h.is_null(), "{label} opendir");
        // A too-small buffer does not consume the entry.
        let mut tiny = [0u8; 1];
        let mut a = LIBSSH2_SFTP_ATTRIBUTES::default();
        // SAFETY: live handle; buffers valid for their lengths.
        let rc = unsafe { libssh2_sftp_readdir_ex(h, tiny.as_mut_ptr().cast(), 1, ptr::null_mut(), 0, &mut a) };
        assert_eq!(rc, code::BUFFER_TOO_SMALL, "{label}");
        // As in libssh2, the code is returned but not recorded as the session's error.
        assert_ne!(c.last_errno(), code::BUFFER_TOO_SMALL, "{label}");
        let mut names = std::collections::BTreeMap::new();
        let mut name = [0u8; 512];
        let mut long = [0u8; 512];
        loop {
            // SAFETY: as above.
            let n = unsafe {
                libssh2_sftp_readdir_ex(
                    h,
                    name.as_mut_ptr().cast(),
                    name.len(),
                    long.as_mut_ptr().cast(),
                    long.len(),
                    &mut a,
                )
            };
            assert!(n >= 0, "{label} readdir {n}");
            if n == 0 {
                break;
            }
            assert_eq!(name[n as usize], 0, "NUL-terminated");
            let s = String::from_utf8(name[..n as usize].to_vec()).unwrap();
            let l = std::ffi::CStr::from_bytes_until_nul(&long).unwrap().to_str().unwrap().to_owned();
            assert!(l.contains(&s), "{label} long entry {l:?} names {s:?}");
            assert_ne!(a.flags & ATTR_SIZE, 0);
            names.insert(s, a.filesize);
        }
        assert!(names.contains_key(".") && names.contains_key(".."), "{label}: dot entries");
        names.retain(|k, _| k != "." && k != "..");
        assert_eq!(names.len(), 1000, "{label}");
        for (i, (k, size)) in names.iter().enumerate() {
            assert_eq!(k, &format!("entry-{i:04}"));
            assert_eq!(*size, (i % 50) as u64);
        }
        // SAFETY: live handle.
        assert_eq!(unsafe { libssh2_sftp_close_handle(h) }, 0);
    }
}

#[test]
fn status_codes_map_to_last_error() {
    for (label, sshd) in servers() {
        let c = Client::connect(&sshd);
        let dir = scratch(&sshd, "errs");
        let missing = dir.join("nope");
        assert!(c.open(&missing, fxf::READ, 0).is_null());
        assert_eq!(c.last_errno(), code::SFTP_PROTOCOL, "{label}");
        assert_eq!(c.fx(), fx::NO_SUCH_FILE, "{label}");
        let (rc, _) = c.stat(&missing, 0);
        assert_eq!(rc, code::SFTP_PROTOCOL);
        assert_eq!(c.fx(), fx::NO_SUCH_FILE);
        // A success resets last_error to OK.
        let (rc, _) = c.stat(&dir, 0);
        assert_eq!(rc, 0);
        assert_eq!(c.fx(), fx::OK);
        // mkdir over an existing directory: FX_FAILURE in protocol version 3.
        let d = dir.to_str().unwrap();
        // SAFETY: live instance, valid path.
        let rc = unsafe { libssh2_sftp_mkdir_ex(c.sftp, d.as_ptr().cast(), d.len() as c_uint, 0o755) };
        assert_eq!(rc, code::SFTP_PROTOCOL);
        assert_eq!(c.fx(), fx::FAILURE, "{label}");
        // Reading past the end is EOF, not an error.
        let f = dir.join("one");
        fs::write(&f, b"1").unwrap();
        let h = c.open(&f, fxf::READ, 0);
        let mut b = [0u8; 10];
        // SAFETY: live handle, writable buffer.
        unsafe {
            assert_eq!(libssh2_sftp_read(h, b.as_mut_ptr().cast(), 10), 1);
            assert_eq!(libssh2_sftp_read(h, b.as_mut_ptr().cast(), 10), 0);
            assert_eq!(libssh2_sftp_read(h, b.as_mut_ptr().cast(), 10), 0);
            libssh2_sftp_close_handle(h);
        }
        // Writing to a read-only handle fails with the server's code.
        let h = c.open(&f, fxf::READ, 0);
        // SAFETY: live handle.
        let n = unsafe { libssh2_sftp_write(h, b"zz".as_ptr().cast(), 2) };
        assert_eq!(n, code::SFTP_PROTOCOL as isize, "{label}");
        assert_ne!(c.fx(), 0);
        // SAFETY: live handle.
        unsafe { libssh2_sftp_close_handle(h) };
        assert_eq!(fs::read(&f).unwrap(), b"1", "nothing written");
    }
}

#[test]
fn permission_denied_for_the_test_user() {
    let sshd = match Sshd::start_for_test_user() {
        Ok(s) => s,
        Err(FixtureError::NeedsRoot(m)) if std::env::var_os("CI").is_none() => {
            eprintln!("NOT TESTED (run as root to test): {m}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let secret = sshd.dir.path().join("root-only");
    fs::write(&secret, b"secret").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    let c = Client::connect(&sshd);
    assert!(c.open(&secret, fxf::READ, 0).is_null());
    assert_eq!(c.last_errno(), code::SFTP_PROTOCOL);
    assert_eq!(c.fx(), fx::PERMISSION_DENIED);
    let p = secret.to_str().unwrap();
    // SAFETY: live instance, valid path.
    let rc = unsafe { libssh2_sftp_unlink_ex(c.sftp, p.as_ptr().cast(), p.len() as c_uint) };
    assert_eq!(rc, code::SFTP_PROTOCOL);
    assert_eq!(c.fx(), fx::PERMISSION_DENIED);
    assert!(secret.exists());
}

#[test]
fn path_and_handle_operations() {
    for (label, sshd) in servers() {
        let c = Client::connect(&sshd);
        let dir = scratch(&sshd, "ops");
        let s = |p: &Path| p.to_str().unwrap().to_owned();
        // SAFETY: every call gets a live instance/handle and valid buffers.
        unsafe {
            assert!(!libssh2_sftp_get_channel(c.sftp).is_null());
            // mkdir with a mode, rmdir.
            let sub = s(&dir.join("sub"));
            assert_eq!(libssh2_sftp_mkdir_ex(c.sftp, sub.as_ptr().cast(), sub.len() as c_uint, 0o700), 0);
            assert_eq!(fs::metadata(&sub).unwrap().mode() & 0o777, 0o700, "{label}");
            assert_eq!(libssh2_sftp_rmdir_ex(c.sftp, sub.as_ptr().cast(), sub.len() as c_uint), 0);
            assert!(!Path::new(&sub).exists());
            // mkdir with the default mode.
            assert_eq!(libssh2_sftp_mkdir_ex(c.sftp, sub.as_ptr().cast(), sub.len() as c_uint, -1), 0);
            assert!(Path::new(&sub).is_dir());

            // rename: refuses an existing target; posix_rename replaces it.
            let (a, b) = (s(&dir.join("a")), s(&dir.join("b")));
            fs::write(&a, b"A").unwrap();
            fs::write(&b, b"B").unwrap();
            let rc = libssh2_sftp_rename_ex(
                c.sftp,
                a.as_ptr().cast(),
                a.len() as c_uint,
                b.as_ptr().cast(),
                b.len() as c_uint,
                7,
            );
            assert_eq!(rc, code::SFTP_PROTOCOL, "{label}");
            assert_ne!(c.fx(), 0);
            assert_eq!(libssh2_sftp_posix_rename_ex(c.sftp, a.as_ptr().cast(), a.len(), b.as_ptr().cast(), b.len()), 0);
            assert_eq!(fs::read(&b).unwrap(), b"A");
            let cpath = s(&dir.join("c"));
            let rc = libssh2_sftp_rename_ex(
                c.sftp,
                b.as_ptr().cast(),
                b.len() as c_uint,
                cpath.as_ptr().cast(),
                cpath.len() as c_uint,
                1,
            );
            assert_eq!(rc, 0);
            assert!(Path::new(&cpath).exists() && !Path::new(&b).exists());

            // symlink / readlink / realpath.
            let link = s(&dir.join("link"));
            assert_eq!(
                libssh2_sftp_symlink_ex(
                    c.sftp,
                    cpath.as_ptr().cast(),
                    cpath.len() as c_uint,
                    link.as_ptr() as *mut c_char,
                    link.len() as c_uint,
                    0
                ),
                0
            );
            assert_eq!(fs::read_link(&link).unwrap(), Path::new(&cpath), "{label}");
            let mut t = [0u8; 1024];
            let n = libssh2_sftp_symlink_ex(
                c.sftp,
                link.as_ptr().cast(),
                link.len() as c_uint,
                t.as_mut_ptr().cast(),
                t.len() as c_uint,
                1,
            );
            assert_eq!(n as usize, cpath.len());
            assert_eq!(&t[..n as usize], cpath.as_bytes());
            assert_eq!(t[n as usize], 0);
            let n = libssh2_sftp_symlink_ex(
                c.sftp,
                link.as_ptr().cast(),
                link.len() as c_uint,
                t.as_mut_ptr().cast(),
                4,
                1,
            );
            assert_eq!(n, code::BUFFER_TOO_SMALL);
            let dotdot = format!("{}/sub/..", s(&dir));
            let n = libssh2_sftp_symlink_ex(
                c.sftp,
                dotdot.as_ptr().cast(),
                dotdot.len() as c_uint,
                t.as_mut_ptr().cast(),
                t.len() as c_uint,
                2,
            );
            let canon = fs::canonicalize(&dir).unwrap();
            assert_eq!(&t[..n as usize], canon.to_str().unwrap().as_bytes(), "{label} realpath");

            // stat vs lstat on the link.
            let (rc, st) = c.stat(Path::new(&link), 0);
            assert_eq!(rc, 0);
            assert_eq!(st.filesize, 1);
            assert_eq!(st.permissions & 0o170000, 0o100000);
            let (rc, lst) = c.stat(Path::new(&link), 1);
            assert_eq!(rc, 0);
            assert_eq!(lst.permissions & 0o170000, 0o120000, "{label} lstat sees the link");
            // setstat: mode and times.
            let mut set = LIBSSH2_SFTP_ATTRIBUTES {
                flags: (ATTR_PERMISSIONS | ATTR_ACMODTIME) as _,
                permissions: 0o640,
                atime: 1_000_000,
                mtime: 2_000_000,
                ..Default::default()
            };
            let rc = libssh2_sftp_stat_ex(c.sftp, cpath.as_ptr().cast(), cpath.len() as c_uint, 2, &mut set);
            assert_eq!(rc, 0);
            let md = fs::metadata(&cpath).unwrap();
            assert_eq!(md.mode() & 0o777, 0o640);
            assert_eq!(md.mtime(), 2_000_000);

            // fstat / fsetstat (truncate by size) / fsync / fstatvfs on a handle.
            let h = c.open(Path::new(&cpath), fxf::READ | fxf::WRITE, 0);
            assert!(!h.is_null());
            let mut fa = LIBSSH2_SFTP_ATTRIBUTES::default();
            assert_eq!(libssh2_sftp_fstat_ex(h, &mut fa, 0), 0);
            assert_eq!(fa.filesize, 1);
            assert_eq!(fa.mtime, 2_000_000);
            let mut grow = LIBSSH2_SFTP_ATTRIBUTES { flags: ATTR_SIZE as _, filesize: 4096, ..Default::default() };
            assert_eq!(libssh2_sftp_fstat_ex(h, &mut grow, 1), 0);
            assert_eq!(fs::metadata(&cpath).unwrap().len(), 4096);
            assert_eq!(libssh2_sftp_fsync(h), 0, "{label} fsync");
            let mut vfs = LIBSSH2_SFTP_STATVFS::default();
            assert_eq!(libssh2_sftp_fstatvfs(h, &mut vfs), 0);
            assert_eq!(libssh2_sftp_close_handle(h), 0);
            let mut local: libc::statvfs = std::mem::zeroed();
            let cp = cs(&cpath);
            assert_eq!(libc::statvfs(cp.as_ptr(), &mut local), 0);
            assert_eq!(vfs.f_bsize, local.f_bsize as u64);
            assert_eq!(vfs.f_blocks, local.f_blocks as u64);
            assert_eq!(vfs.f_namemax, local.f_namemax as u64);
            let mut vfs2 = LIBSSH2_SFTP_STATVFS::default();
            assert_eq!(libssh2_sftp_statvfs(c.sftp, cpath.as_ptr().cast(), cpath.len(), &mut vfs2), 0);
            assert_eq!(vfs2.f_fsid, vfs.f_fsid);

            // open_ex_r with attributes: the file is created with `mode`.
            let made = s(&dir.join("made"));
            let mut ra = LIBSSH2_SFTP_ATTRIBUTES { flags: ATTR_PERMISSIONS as _, ..Default::default() };
            let h = libssh2_sftp_open_ex_r(
                c.sftp,
                made.as_ptr().cast(),
                made.len(),
                (fxf::WRITE | fxf::CREAT) as _,
                0o604,
                0,
                &mut ra,
            );
            assert!(!h.is_null());
            assert_eq!(libssh2_sftp_close_handle(h), 0);
            assert_eq!(fs::metadata(&made).unwrap().mode() & 0o777, 0o604, "{label}");

            // unlink.
            assert_eq!(libssh2_sftp_unlink_ex(c.sftp, made.as_ptr().cast(), made.len() as c_uint), 0);
            assert!(!Path::new(&made).exists());
        }
    }
}

#[test]
fn handles_outliving_their_instance_fail_cleanly() {
    let sshd = Sshd::start();
    let mut c = Client::connect(&sshd);
    let f = scratch(&sshd, "late").join("f");
    fs::write(&f, b"data").unwrap();
    let h = c.open(&f, fxf::READ, 0);
    assert!(!h.is_null());
    // SAFETY: live instance, freed once here.
    assert_eq!(unsafe { libssh2_sftp_shutdown(c.sftp) }, 0);
    c.sftp = ptr::null_mut();
    let mut b = [0u8; 4];
    // SAFETY: the handle box is live; its instance is gone.
    unsafe {
        assert_eq!(libssh2_sftp_read(h, b.as_mut_ptr().cast(), 4), code::BAD_USE as isize);
        assert_eq!(libssh2_sftp_close_handle(h), code::BAD_USE);
        // Null arguments.
        assert_eq!(libssh2_sftp_close_handle(ptr::null_mut()), code::BAD_USE);
        assert_eq!(libssh2_sftp_shutdown(ptr::null_mut()), code::BAD_USE);
        assert_eq!(libssh2_sftp_last_error(ptr::null_mut()), 0);
        assert!(libssh2_sftp_get_channel(ptr::null_mut()).is_null());
    }
    // A new instance on the same session works.
    // SAFETY: live session.
    c.sftp = unsafe { libssh2_sftp_init(c.sess) };
    assert!(!c.sftp.is_null());
    assert_eq!(c.get(&f, 100), b"data");
}

/// Throughput on loopback: 1 GiB get and put with 1 MiB and 16 KiB buffers,
/// and OpenSSH's sftp fetching the same file. Prints MB/s; asserts only data.
#[test]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
fn throughput_1gib() {
    let sshd = Sshd::start();
    let c = Client::connect(&sshd);
    let dir = scratch(&sshd, "bench");
    let size = std::env::var("SFTP_BENCH_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(1024usize) << 20;
    let data = pattern(size, 1);
    let path = dir.join("bench.bin");
    let mb = size as f64 / 1e6;
    for chunk in [1 << 20, 16 * 1024] {
        let t = std::time::Instant::now();
        c.put(&path, &data, chunk);
        let put = mb / t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let h = c.open(&path, fxf::READ, 0);
        let mut buf = vec![0u8; chunk];
        let mut total = 0usize;
        let mut hasher = Sha256::new();
        loop {
            // SAFETY: live handle, writable buffer.
            let n = unsafe { libssh2_sftp_read(h, buf.as_mut_ptr().cast(), buf.len()) };
            assert!(n >= 0);
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n as usize]);
            total += n as usize;
        }
        let get = mb / t.elapsed().as_secs_f64();
        // SAFETY: live handle.
        unsafe { libssh2_sftp_close_handle(h) };
        assert_eq!(total, size);
        assert_eq!(hasher.finalize().to_vec(), sha(&data));
        println!("buffer {:>7} B: put {put:8.1} MB/s  get {get:8.1} MB/s", chunk);
    }
    let out = dir.join("openssh-copy");
    let key = sshd.user_key(UserKey::Ed25519);
    let t = std::time::Instant::now();
    let st = std::process::Command::new("sftp")
        .args(["-q", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"])
        .arg("-P")
        .arg(sshd.port.to_string())
        .arg("-i")
        .arg(&key.private)
        .arg(format!("{}@127.0.0.1:{}", sshd.user, path.display()))
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    println!("OpenSSH sftp get: {:8.1} MB/s", mb / t.elapsed().as_secs_f64());
    assert_eq!(fs::metadata(&out).unwrap().len(), size as u64);
}

#[test]
fn disk_full_upload_reports_the_fx_code_and_nothing_unacknowledged() {
    // /dev/full accepts the open and fails every write with ENOSPC, which
    // sftp-server reports as SSH_FX_FAILURE: a server whose disk is full.
    let full = Path::new("/dev/full");
    let data = pattern(1 << 20, 9);
    for (label, sshd) in servers() {
        let c = Client::connect(&sshd);
        for blocking in [true, false] {
            c.set_blocking(blocking);
            let h = loop {
                let h = c.open(full, fxf::WRITE, 0);
                if !h.is_null() || c.last_errno() != code::EAGAIN {
                    break h;
                }
            };
            assert!(!h.is_null(), "{label}: open /dev/full: {}", last_err(c.sess));
            // One call carries the whole buffer, pipelined as many writes; a
            // second call finds the error too. Neither reports a byte written.
            for call in 0..2 {
                let n = loop {
                    // SAFETY: live handle; the buffer is valid.
                    let n = unsafe { libssh2_sftp_write(h, data.as_ptr().cast(), data.len()) };
                    if n != code::EAGAIN as isize {
                        break n;
                    }
                };
                assert_eq!(n, code::SFTP_PROTOCOL as isize, "{label} blocking={blocking} call {call}");
                assert_eq!(c.fx(), fx::FAILURE, "{label} blocking={blocking} call {call}");
            }
            let rc = loop {
                // SAFETY: live handle, closed once.
                let rc = unsafe { libssh2_sftp_close_handle(h) };
                if rc != code::EAGAIN {
                    break rc;
                }
            };
            assert!(rc == 0 || rc == code::SFTP_PROTOCOL, "{label}: close returned {rc}");
        }
        // The session is still usable after the failed upload.
        c.set_blocking(true);
        let dir = scratch(&sshd, "after-full");
        c.put(&dir.join("ok"), &data[..1000], 1000);
        assert_eq!(fs::read(dir.join("ok")).unwrap(), &data[..1000], "{label}");
    }
}

// ---- write-behind (issue 18) ---------------------------------------------------

/// Write-behind tests' buffer sizes: PHP's stream wrapper, curl, a large caller.
const WB_CHUNKS: [usize; 3] = [8 * 1024, 64 * 1024, 1 << 20];
/// Bytes pushed after the server was killed, at most, before an error must show.
const WB_AFTER_KILL_MAX: usize = 256 << 20;
/// The write request the failing relay answers with SSH_FX_FAILURE.
const WB_FAIL_NTH: usize = 5;

/// Waits until the session's socket may move (non-blocking tests).
fn wait_sock(c: &Client) {
    let mut pfd = libc::pollfd { fd: c._sock.as_raw_fd(), events: libc::POLLIN | libc::POLLOUT, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, 100) };
}

/// Repeats `f` while it answers EAGAIN.
fn again<T: PartialEq + From<i32>>(c: &Client, mut f: impl FnMut() -> T) -> T {
    loop {
        let r = f();
        if r != T::from(code::EAGAIN) {
            return r;
        }
        wait_sock(c);
    }
}

impl Client {
    fn open_retry(&self, path: &Path, flags: c_ulong) -> *mut LIBSSH2_SFTP_HANDLE {
        loop {
            let h = self.open(path, flags, 0o644);
            if !h.is_null() || self.last_errno() != code::EAGAIN {
                assert!(!h.is_null(), "open {}: {}", path.display(), last_err(self.sess));
                return h;
            }
            wait_sock(self);
        }
    }

    /// One write call, repeated on EAGAIN: the count or the error code.
    fn write_once(&self, h: *mut LIBSSH2_SFTP_HANDLE, data: &[u8]) -> isize {
        // SAFETY: live handle; the slice is valid.
        again(self, || unsafe { libssh2_sftp_write(h, data.as_ptr().cast(), data.len()) as i64 }) as isize
    }

    fn close(&self, h: *mut LIBSSH2_SFTP_HANDLE) -> c_int {
        // SAFETY: live handle, released by the call unless it answers EAGAIN.
        again(self, || unsafe { libssh2_sftp_close_handle(h) })
    }

    /// Uploads `data` in calls of `chunk` bytes, checking tell after each.
    fn put_checked(&self, path: &Path, data: &[u8], chunk: usize) {
        let h = self.open_retry(path, fxf::WRITE | fxf::CREAT | fxf::TRUNC);
        let mut pos = 0;
        while pos < data.len() {
            let end = (pos + chunk).min(data.len());
            let n = self.write_once(h, &data[pos..end]);
            assert!(n > 0, "write returned {n}: {}", last_err(self.sess));
            pos += n as usize;
            // SAFETY: live handle.
            assert_eq!(unsafe { libssh2_sftp_tell64(h) }, pos as u64, "tell after a write");
        }
        assert_eq!(self.close(h), 0, "close: {}", last_err(self.sess));
    }
}

#[test]
fn write_behind_roundtrips_0_b_to_8_mib_blocking_and_nonblocking() {
    for (label, sshd) in servers() {
        let dir = scratch(&sshd, "wb-sizes");
        for blocking in [true, false] {
            let c = Client::connect_wb(&sshd, Some(1));
            c.set_blocking(blocking);
            for (i, size) in
                [0usize, 1, 32767, 32768, 32769, 100_000, (1 << 20) + 3, (8 << 20) + 5].into_iter().enumerate()
            {
                let data = pattern(size, 30 + i as u64);
                let path = dir.join(format!("f{size}"));
                for chunk in WB_CHUNKS {
                    c.put_checked(&path, &data, chunk);
                    let what = format!("{label} blocking={blocking} size {size} chunk {chunk}");
                    assert_eq!(sha(&fs::read(&path).unwrap()), sha(&data), "{what}: on disk after close");
                }
            }
            c.set_blocking(true);
        }
    }
}

#[test]
fn write_behind_roundtrip_100_mib() {
    let sshd = Sshd::start();
    let c = Client::connect_wb(&sshd, Some(16 << 20));
    let dir = scratch(&sshd, "wb-big");
    let data = pattern(100 << 20, 101);
    let path = dir.join("up.bin");
    c.put_checked(&path, &data, 64 * 1024);
    assert_eq!(sha(&fs::read(&path).unwrap()), sha(&data), "upload");
    let got = c.get(&path, 64 * 1024);
    assert_eq!(sha(&got), sha(&data), "download");
}

/// A write is reported once queued, so /dev/full's ENOSPC shows on a later
/// write or on close, never not at all; the FX code comes with it.
#[test]
fn write_behind_disk_full_fails_a_later_call_or_close() {
    let full = Path::new("/dev/full");
    let data = pattern(64 * 1024, 3);
    for (label, sshd) in servers() {
        for blocking in [true, false] {
            let c = Client::connect_wb(&sshd, Some(1));
            c.set_blocking(blocking);
            let h = c.open_retry(full, fxf::WRITE);
            let first = c.write_once(h, &data);
            assert_eq!(first, data.len() as isize, "{label}: the first write is queued and reported");
            let mut failed = false;
            for _ in 0..64 {
                let n = c.write_once(h, &data);
                if n < 0 {
                    assert_eq!(n, code::SFTP_PROTOCOL as isize, "{label} blocking={blocking}");
                    assert_eq!(c.fx(), fx::FAILURE, "{label} blocking={blocking}");
                    failed = true;
                    break;
                }
            }
            if failed {
                // The handle takes no more writes.
                assert_eq!(c.write_once(h, &data), code::SFTP_PROTOCOL as isize, "{label}: write after the error");
            }
            assert_eq!(c.close(h), code::SFTP_PROTOCOL, "{label} blocking={blocking}: close");
            assert_eq!(c.fx(), fx::FAILURE, "{label} blocking={blocking}: close");
            // The session goes on.
            c.set_blocking(true);
            let ok = scratch(&sshd, "wb-after-full").join(format!("ok-{blocking}"));
            c.put_checked(&ok, &data, 8192);
            assert_eq!(fs::read(&ok).unwrap(), data, "{label}");
        }
    }
}

/// Every process whose parent is `pid`, and theirs.
fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = fs::read_to_string(format!("/proc/{child}/stat")) else { continue };
        // Fields after the parenthesised command: state, ppid.
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(child);
            out.extend(descendants(child));
        }
    }
    out
}

#[test]
fn write_behind_sshd_killed_mid_upload_fails_the_upload() {
    let sshd = Sshd::start();
    let listener: u32 = fs::read_to_string(&sshd.pid_file).unwrap().trim().parse().unwrap();
    for blocking in [true, false] {
        let c = Client::connect_wb(&sshd, Some(1));
        c.set_blocking(blocking);
        let path = scratch(&sshd, "wb-kill").join(format!("f-{blocking}"));
        let h = c.open_retry(&path, fxf::WRITE | fxf::CREAT | fxf::TRUNC);
        let data = pattern(1 << 20, 8);
        assert_eq!(c.write_once(h, &data), data.len() as isize, "before the kill");
        let victims = descendants(listener);
        assert!(!victims.is_empty(), "no session process under sshd {listener}");
        for pid in victims {
            // SAFETY: plain kill(2) of a process of the fixture.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
        let mut pushed = 0;
        let mut err = 0;
        while pushed < WB_AFTER_KILL_MAX {
            let n = c.write_once(h, &data);
            if n < 0 {
                err = n as c_int;
                break;
            }
            pushed += n as usize;
        }
        assert!(err < 0, "blocking={blocking}: {pushed} bytes accepted after the server died");
        let rc = c.close(h);
        assert!(rc < 0 && rc != code::EAGAIN, "blocking={blocking}: close returned {rc} with bytes unacknowledged");
    }
}

/// The relay answers one WRITE in the middle with SSH_FX_FAILURE: with
/// write-behind the failure still reaches the program, by a write or by close.
#[test]
fn write_behind_one_failed_write_in_the_middle_is_reported() {
    let relay = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sftp_failwrite/relay.py");
    let prefix = format!("/usr/bin/env python3 {} {WB_FAIL_NTH}", relay.display());
    let sshd = Sshd::start_opts(&Options { sftp_prefix: Some(prefix), ..Options::default() }).unwrap();
    let data = pattern(4 << 20, 12);
    for (wb, blocking) in [(Some(1), true), (Some(1), false), (None, true)] {
        let c = Client::connect_wb(&sshd, wb);
        c.set_blocking(blocking);
        let path = scratch(&sshd, "wb-fail").join(format!("f-{wb:?}-{blocking}"));
        let h = c.open_retry(&path, fxf::WRITE | fxf::CREAT | fxf::TRUNC);
        let mut pos = 0;
        let mut err = None;
        while pos < data.len() {
            let end = (pos + 32 * 1024).min(data.len());
            let n = c.write_once(h, &data[pos..end]);
            if n < 0 {
                err = Some(n);
                break;
            }
            pos += n as usize;
        }
        let what = format!("write-behind {wb:?} blocking={blocking}");
        if err.is_some() {
            assert_eq!(c.fx(), fx::FAILURE, "{what}: the failed write");
        }
        let rc = c.close(h);
        match err {
            Some(n) => {
                assert_eq!(n, code::SFTP_PROTOCOL as isize, "{what}");
                if wb.is_some() {
                    assert_eq!(rc, code::SFTP_PROTOCOL, "{what}: close after the failed write");
                }
            }
            None => assert_eq!(rc, code::SFTP_PROTOCOL, "{what}: neither a write nor close failed"),
        }
        if wb.is_some() {
            assert_eq!(c.fx(), fx::FAILURE, "{what}: close");
        }
        if wb.is_none() {
            // libssh2's contract: exactly the bytes before the failed request were reported.
            assert!(err.is_some(), "{what}");
            assert_eq!(fs::read(&path).unwrap()[..pos], data[..pos], "{what}");
        }
    }
}

#[test]
fn write_behind_seek_tell_and_read_back_on_the_same_handle() {
    for (label, sshd) in servers() {
        for blocking in [true, false] {
            let c = Client::connect_wb(&sshd, Some(1));
            c.set_blocking(blocking);
            let path = scratch(&sshd, "wb-seek").join(format!("f-{blocking}"));
            let h = c.open_retry(&path, fxf::READ | fxf::WRITE | fxf::CREAT | fxf::TRUNC);
            let mut want = pattern(300_000, 44);
            assert_eq!(c.write_once(h, &want), want.len() as isize, "{label}");
            // SAFETY (this block): live handle.
            unsafe {
                assert_eq!(libssh2_sftp_tell64(h), want.len() as u64);
                libssh2_sftp_seek64(h, 10);
                assert_eq!(libssh2_sftp_tell64(h), 10);
            }
            assert_eq!(c.write_once(h, b"HELLO"), 5);
            want[10..15].copy_from_slice(b"HELLO");
            // SAFETY (this block): live handle.
            unsafe {
                assert_eq!(libssh2_sftp_tell64(h), 15);
                libssh2_sftp_seek64(h, 0);
            }
            let mut got = Vec::new();
            let mut buf = vec![0u8; 50_000];
            loop {
                // SAFETY: live handle; writable buffer.
                let n = again(&c, || unsafe { libssh2_sftp_read(h, buf.as_mut_ptr().cast(), buf.len()) as i64 });
                assert!(n >= 0, "{label} read {n}: {}", last_err(c.sess));
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n as usize]);
            }
            assert!(got == want, "{label} blocking={blocking}: read-back differs");
            // fsync waits for every write (OpenSSH's sftp-server offers fsync@openssh.com).
            // SAFETY: live handle.
            assert_eq!(again(&c, || unsafe { libssh2_sftp_fsync(h) }), 0, "{label}");
            assert_eq!(c.close(h), 0, "{label}");
            assert!(fs::read(&path).unwrap() == want, "{label}: on disk");
        }
    }
}

/// The environment variable switches write-behind on for a program that
/// does not know the flag; an explicit flag of 0 keeps it off. (A child
/// process, so the variable touches no other test.)
#[test]
fn write_behind_from_the_environment() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "write_behind_env_child", "--nocapture"])
        .env("LIBSSH2_SFTP_WRITE_BEHIND", "4M")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}

#[test]
#[ignore = "run by write_behind_from_the_environment with the variable set"]
fn write_behind_env_child() {
    assert_eq!(std::env::var("LIBSSH2_SFTP_WRITE_BEHIND").as_deref(), Ok("4M"));
    let sshd = Sshd::start();
    let data = pattern(32 * 1024, 5);
    let full = Path::new("/dev/full");
    // On: the write is queued and reported; close brings the failure.
    let c = Client::connect_wb(&sshd, None);
    let h = c.open_retry(full, fxf::WRITE);
    assert_eq!(c.write_once(h, &data), data.len() as isize, "from the environment");
    assert_eq!(c.close(h), code::SFTP_PROTOCOL);
    // Off by the program's own choice: the failing write itself reports it.
    let c = Client::connect_wb(&sshd, Some(0));
    let h = c.open_retry(full, fxf::WRITE);
    assert_eq!(c.write_once(h, &data), code::SFTP_PROTOCOL as isize, "flag 0");
    c.close(h);
}
