//! `libssh2_publickey_*` (RFC 4819) through the C ABI against the fixture
//! sshd running tests/publickey_server/server.py as its `publickey` subsystem.

mod common;

use std::ffi::{c_char, c_int, c_ulong, CStr};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::ptr;

use common::{Sshd, UserKey};
use ssh2::error::code;
use ssh2::ffi::handle::SessionHandle;
use ssh2::ffi::publickey::*;
use ssh2::ffi::session::*;
use ssh2::ffi::types::{libssh2_publickey_attribute, libssh2_publickey_list};
use tempfile::TempDir;

/// The interpreter sshd runs the server with (sshd's PATH may lack pyenv shims).
fn python() -> String {
    ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .map(str::to_string)
        .unwrap_or_else(|| "python3".to_string())
}

fn server_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/publickey_server/server.py")
}

/// A fixture sshd with the publickey subsystem; the key store lives in `store_dir`.
struct Server {
    sshd: Sshd,
    store: PathBuf,
    _store_dir: TempDir,
}

fn start(server_opts: &str) -> Server {
    let store_dir = tempfile::tempdir().expect("tempdir");
    let store = store_dir.path().join("keys.json");
    let line =
        format!("Subsystem publickey {} {} {} {server_opts}", python(), server_script().display(), store.display());
    let sshd = Sshd::start_with(&[&line]);
    Server { sshd, store, _store_dir: store_dir }
}

/// An authenticated session (freed on drop) and its socket.
struct Sess {
    p: *mut SessionHandle,
    _tcp: TcpStream,
}

impl Drop for Sess {
    fn drop(&mut self) {
        // SAFETY: the session came from init_ex and is not used afterwards.
        unsafe { libssh2_session_free(self.p) };
    }
}

impl Sess {
    fn last_error(&self) -> (c_int, String) {
        let mut msg: *mut c_char = ptr::null_mut();
        let mut len: c_int = 0;
        // SAFETY: live session, valid out-pointers.
        let rc = unsafe { libssh2_session_last_error(self.p, &mut msg, &mut len, 0) };
        // SAFETY: the message is a NUL-terminated string owned by the session.
        let text = unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned();
        (rc, text)
    }
}

fn connect(sshd: &Sshd) -> Sess {
    let (p, _tcp) = common::login_ed25519(sshd);
    Sess { p, _tcp }
}

fn init(s: &Sess) -> *mut LIBSSH2_PUBLICKEY {
    // SAFETY: live, authenticated session.
    let pk = unsafe { libssh2_publickey_init(s.p) };
    assert!(!pk.is_null(), "publickey_init: {:?}", s.last_error());
    pk
}

/// An attribute for add_ex, borrowing its strings.
fn attr(name: &'static str, value: &'static str, mandatory: bool) -> libssh2_publickey_attribute {
    libssh2_publickey_attribute {
        name: name.as_ptr().cast(),
        name_len: name.len() as c_ulong,
        value: value.as_ptr().cast(),
        value_len: value.len() as c_ulong,
        mandatory: mandatory as c_char,
    }
}

/// The algorithm name embedded at the start of a key blob.
fn algorithm(blob: &[u8]) -> &[u8] {
    let n = u32::from_be_bytes(blob[..4].try_into().expect("4 bytes")) as usize;
    &blob[4..4 + n]
}

fn add(pk: *mut LIBSSH2_PUBLICKEY, blob: &[u8], overwrite: bool, attrs: &[libssh2_publickey_attribute]) -> c_int {
    let name = algorithm(blob);
    // SAFETY: live handle; buffers readable for their lengths.
    unsafe {
        libssh2_publickey_add_ex(
            pk,
            name.as_ptr(),
            name.len() as c_ulong,
            blob.as_ptr(),
            blob.len() as c_ulong,
            overwrite as c_char,
            attrs.len() as c_ulong,
            attrs.as_ptr(),
        )
    }
}

fn remove(pk: *mut LIBSSH2_PUBLICKEY, blob: &[u8]) -> c_int {
    let name = algorithm(blob);
    // SAFETY: live handle; buffers readable for their lengths.
    unsafe {
        libssh2_publickey_remove_ex(pk, name.as_ptr(), name.len() as c_ulong, blob.as_ptr(), blob.len() as c_ulong)
    }
}

/// One listed key, copied out of the C list.
#[derive(Debug, PartialEq)]
struct Listed {
    name: Vec<u8>,
    blob: Vec<u8>,
    attrs: Vec<(String, String, c_char)>,
}

/// Fetches and frees the list; checks libssh2's layout on the way.
fn list(pk: *mut LIBSSH2_PUBLICKEY) -> Vec<Listed> {
    let mut n: c_ulong = 99;
    let mut l: *mut libssh2_publickey_list = ptr::null_mut();
    // SAFETY: live handle, valid out-pointers.
    let rc = unsafe { libssh2_publickey_list_fetch(pk, &mut n, &mut l) };
    assert_eq!(rc, 0, "list_fetch");
    if n == 0 {
        assert!(l.is_null(), "no keys: no list");
        return Vec::new();
    }
    let bytes = |p: *const u8, len: c_ulong| {
        // SAFETY: the list's pointers are valid for their lengths until list_free.
        unsafe { std::slice::from_raw_parts(p, len as usize) }.to_vec()
    };
    let text = |p: *const c_char, len: c_ulong| String::from_utf8(bytes(p.cast(), len)).expect("utf8");
    let mut out = Vec::new();
    for i in 0..n as usize {
        // SAFETY: the list has n entries and a terminator.
        let e = unsafe { &*l.add(i) };
        assert!(!e.packet.is_null());
        let mut attrs = Vec::new();
        for j in 0..e.num_attrs as usize {
            // SAFETY: attrs has num_attrs entries.
            let a = unsafe { &*e.attrs.add(j) };
            attrs.push((text(a.name, a.name_len), text(a.value, a.value_len), a.mandatory));
        }
        if e.num_attrs == 0 {
            assert!(e.attrs.is_null());
        }
        out.push(Listed { name: bytes(e.name, e.name_len), blob: bytes(e.blob, e.blob_len), attrs });
    }
    // SAFETY: the terminator entry follows the last key.
    assert!(unsafe { (*l.add(n as usize)).packet }.is_null(), "terminated by a NULL packet");
    // SAFETY: l came from list_fetch on pk.
    unsafe { libssh2_publickey_list_free(pk, l) };
    out
}

fn shutdown(pk: *mut LIBSSH2_PUBLICKEY) {
    // SAFETY: live handle, not used afterwards.
    assert_eq!(unsafe { libssh2_publickey_shutdown(pk) }, 0);
}

#[test]
fn add_list_and_remove_keys_with_attributes() {
    let srv = start("");
    let s = connect(&srv.sshd);
    let pk = init(&s);
    assert!(list(pk).is_empty());

    let ed = srv.sshd.user_key(UserKey::Ed25519).public_blob();
    let rsa = srv.sshd.user_key(UserKey::Rsa3072).public_blob();
    assert_eq!(add(pk, &ed, false, &[attr("comment", "first key", false), attr("x-note", "", false)]), 0);
    assert_eq!(add(pk, &rsa, false, &[]), 0);

    let keys = list(pk);
    assert_eq!(
        keys,
        vec![
            Listed {
                name: b"ssh-ed25519".to_vec(),
                blob: ed.clone(),
                attrs: vec![("comment".into(), "first key".into(), 0), ("x-note".into(), String::new(), 0)],
            },
            Listed { name: b"ssh-rsa".to_vec(), blob: rsa.clone(), attrs: vec![] },
        ]
    );
    // The server really stored them.
    let stored = std::fs::read_to_string(&srv.store).expect("store file");
    assert!(stored.contains(&hex(&ed)) && stored.contains(&hex(&rsa)));

    assert_eq!(remove(pk, &ed), 0);
    let keys = list(pk);
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].blob, rsa);
    shutdown(pk);

    // A second subsystem instance on the same session sees the same store.
    let pk = init(&s);
    assert_eq!(list(pk).len(), 1);
    shutdown(pk);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn failure_statuses_return_minus_one_with_libssh2_messages() {
    let srv = start("");
    let s = connect(&srv.sshd);
    let pk = init(&s);
    let ed = srv.sshd.user_key(UserKey::Ed25519).public_blob();

    assert_eq!(add(pk, &ed, false, &[attr("comment", "one", false)]), 0);
    // Duplicate without overwrite: KEY_ALREADY_PRESENT.
    assert_eq!(add(pk, &ed, false, &[]), -1);
    assert_eq!(s.last_error(), (code::PUBLICKEY_PROTOCOL, "key already present".into()));
    // With overwrite the attributes are replaced.
    assert_eq!(add(pk, &ed, true, &[attr("comment", "two", true)]), 0);
    assert_eq!(list(pk)[0].attrs, vec![("comment".to_string(), "two".to_string(), 0)]);

    // Remove of an unknown key: KEY_NOT_FOUND.
    let other = srv.sshd.user_key(UserKey::Ecdsa256).public_blob();
    assert_eq!(remove(pk, &other), -1);
    assert_eq!(s.last_error(), (code::PUBLICKEY_PROTOCOL, "key not found".into()));

    // A name that does not match the blob: KEY_NOT_SUPPORTED.
    let name = b"ssh-rsa";
    // SAFETY: live handle; buffers readable for their lengths.
    let rc =
        unsafe { libssh2_publickey_add_ex(pk, name.as_ptr(), 7, ed.as_ptr(), ed.len() as c_ulong, 0, 0, ptr::null()) };
    assert_eq!(rc, -1);
    assert_eq!(s.last_error(), (code::PUBLICKEY_PROTOCOL, "key not supported".into()));

    // A mandatory attribute the server does not know: status 9, beyond libssh2's table.
    assert_eq!(add(pk, &other, false, &[attr("x-must-understand", "1", true)]), -1);
    assert_eq!(s.last_error(), (code::PUBLICKEY_PROTOCOL, "unknown".into()));

    // The subsystem is still usable after failures.
    assert_eq!(remove(pk, &ed), 0);
    assert!(list(pk).is_empty());
    shutdown(pk);

    // SAFETY: null handles are refused without touching anything.
    unsafe {
        assert_eq!(libssh2_publickey_shutdown(ptr::null_mut()), code::BAD_USE);
        assert_eq!(libssh2_publickey_remove_ex(ptr::null_mut(), ptr::null(), 0, ptr::null(), 0), code::BAD_USE);
        libssh2_publickey_list_free(ptr::null_mut(), ptr::null_mut());
    }
}

#[test]
fn version_1_servers_use_comments_and_the_old_status_numbers() {
    let srv = start("--version 1");
    let s = connect(&srv.sshd);
    let pk = init(&s);
    let ed = srv.sshd.user_key(UserKey::Ed25519).public_blob();
    // Only the comment travels in version 1.
    assert_eq!(add(pk, &ed, false, &[attr("x-other", "dropped", false), attr("comment", "v1 comment", false)]), 0);
    let keys = list(pk);
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].blob, ed);
    assert_eq!(keys[0].attrs, vec![("comment".to_string(), "v1 comment".to_string(), 0)]);
    // Status 6 meant "general failure" in version 1.
    assert_eq!(add(pk, &ed, false, &[]), -1);
    assert_eq!(s.last_error(), (code::PUBLICKEY_PROTOCOL, "general failure".into()));
    shutdown(pk);
}

#[test]
fn init_fails_cleanly() {
    // The server refuses our version.
    let srv = start("--refuse");
    let s = connect(&srv.sshd);
    // SAFETY: live session.
    assert!(unsafe { libssh2_publickey_init(s.p) }.is_null());
    assert_eq!(s.last_error(), (code::PUBLICKEY_PROTOCOL, "version not supported".into()));
    // The session stays usable: a later init against the same refusing server fails the same way.
    // SAFETY: live session.
    assert!(unsafe { libssh2_publickey_init(s.p) }.is_null());
    assert_eq!(s.last_error().0, code::PUBLICKEY_PROTOCOL);

    // No such subsystem.
    let plain = Sshd::start();
    let s = connect(&plain);
    // SAFETY: live session.
    assert!(unsafe { libssh2_publickey_init(s.p) }.is_null());
    assert_eq!(s.last_error().0, code::CHANNEL_FAILURE);
}

/// Repeats `f` while it reports EAGAIN (non-blocking mode), waiting on the socket.
fn retry<T>(s: &Sess, mut f: impl FnMut() -> T, again: impl Fn(&T) -> bool) -> (T, usize) {
    let mut spins = 0;
    loop {
        let r = f();
        if !again(&r) {
            return (r, spins);
        }
        spins += 1;
        let mut pfd = libc::pollfd { fd: s._tcp.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, 100) };
    }
}

#[test]
fn non_blocking_calls_resume_after_eagain() {
    let srv = start("");
    let s = connect(&srv.sshd);
    // SAFETY: live session.
    unsafe { libssh2_session_set_blocking(s.p, 0) };
    let (pk, spins) = retry(
        &s,
        || {
            // SAFETY: live session.
            unsafe { libssh2_publickey_init(s.p) }
        },
        |p| p.is_null() && s.last_error().0 == code::EAGAIN,
    );
    assert!(!pk.is_null(), "init: {:?}", s.last_error());
    assert!(spins > 0, "non-blocking init had to wait at least once");

    let ed = srv.sshd.user_key(UserKey::Ed25519).public_blob();
    let attrs = [attr("comment", "nb", false)];
    let (rc, _) = retry(&s, || add(pk, &ed, false, &attrs), |rc| *rc == code::EAGAIN);
    assert_eq!(rc, 0);
    let (rc, _) = retry(&s, || add(pk, &ed, false, &attrs), |rc| *rc == code::EAGAIN);
    assert_eq!(rc, -1, "duplicate");

    let mut n: c_ulong = 0;
    let mut l: *mut libssh2_publickey_list = ptr::null_mut();
    let (rc, _) = retry(
        &s,
        || {
            // SAFETY: live handle, valid out-pointers.
            unsafe { libssh2_publickey_list_fetch(pk, &mut n, &mut l) }
        },
        |rc| *rc == code::EAGAIN,
    );
    assert_eq!((rc, n), (0, 1));
    // SAFETY: l has one entry.
    let e = unsafe { &*l };
    // SAFETY: blob valid for blob_len until list_free.
    assert_eq!(unsafe { std::slice::from_raw_parts(e.blob, e.blob_len as usize) }, &ed[..]);
    // SAFETY: l came from list_fetch on pk.
    unsafe { libssh2_publickey_list_free(pk, l) };

    let (rc, _) = retry(&s, || remove(pk, &ed), |rc| *rc == code::EAGAIN);
    assert_eq!(rc, 0);
    let (rc, _) = retry(
        &s,
        || {
            // SAFETY: live handle; on 0 it is freed and not used again.
            unsafe { libssh2_publickey_shutdown(pk) }
        },
        |rc| *rc == code::EAGAIN,
    );
    assert_eq!(rc, 0);
}
