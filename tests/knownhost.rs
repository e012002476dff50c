//! `libssh2_knownhost_*` through the C ABI, against files written by
//! OpenSSH's tools (ssh-keyscan, ssh-keygen -H) and the live fixture sshd,
//! with results checked by ssh-keygen -F and ssh itself.

mod common;

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::fs;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use common::{Sshd, UserKey, HOST};
use ssh2::error::code;
use ssh2::ffi::handle::SessionHandle;
use ssh2::ffi::knownhost::*;
use ssh2::ffi::session::*;
use ssh2::ffi::types::knownhost::*;
use ssh2::ffi::types::libssh2_knownhost;

/// A session handle freed on drop.
struct Sess(*mut SessionHandle);

impl Sess {
    fn new() -> Sess {
        let s = libssh2_session_init_ex(None, None, None, ptr::null_mut());
        assert!(!s.is_null());
        Sess(s)
    }

    fn last_errno(&self) -> c_int {
        // SAFETY: live session.
        unsafe { libssh2_session_last_errno(self.0) }
    }
}

impl Drop for Sess {
    fn drop(&mut self) {
        // SAFETY: the session came from init_ex and is not used afterwards.
        unsafe { libssh2_session_free(self.0) };
    }
}

/// A connected session (after the handshake) and the server's host key.
struct Live {
    sess: Sess,
    _tcp: std::net::TcpStream,
    key: Vec<u8>,
    key_type: c_int,
}

fn handshake(sshd: &Sshd) -> Live {
    let sess = Sess::new();
    let tcp = sshd.connect();
    // SAFETY: live session; the socket outlives it (kept in Live).
    let rc = unsafe { libssh2_session_handshake(sess.0, tcp.as_raw_fd()) };
    assert_eq!(rc, 0, "handshake");
    let mut len = 0usize;
    let mut typ: c_int = 0;
    // SAFETY: live session, valid out-pointers.
    let p = unsafe { libssh2_session_hostkey(sess.0, &mut len, &mut typ) };
    assert!(!p.is_null() && len > 0);
    // SAFETY: libssh2_session_hostkey returned len bytes at p.
    let key = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }.to_vec();
    Live { sess, _tcp: tcp, key, key_type: typ }
}

/// LIBSSH2_HOSTKEY_TYPE_* -> LIBSSH2_KNOWNHOST_KEY_* (RSA=1 .. ED25519=6).
fn knownhost_key_bits(hostkey_type: c_int) -> c_int {
    assert!((1..=6).contains(&hostkey_type), "hostkey type {hostkey_type}");
    (hostkey_type + 1) << KEY_SHIFT
}

/// A collection freed on drop (before its session).
struct Hosts<'a> {
    p: *mut LIBSSH2_KNOWNHOSTS,
    sess: &'a Sess,
}

impl<'a> Hosts<'a> {
    fn new(sess: &'a Sess) -> Hosts<'a> {
        // SAFETY: live session.
        let p = unsafe { libssh2_knownhost_init(sess.0) };
        assert!(!p.is_null());
        Hosts { p, sess }
    }

    fn readfile(&self, path: &Path) -> c_int {
        let c = cpath(path);
        // SAFETY: live collection, C string.
        unsafe { libssh2_knownhost_readfile(self.p, c.as_ptr(), FILE_OPENSSH) }
    }

    fn writefile(&self, path: &Path) -> c_int {
        let c = cpath(path);
        // SAFETY: live collection, C string.
        unsafe { libssh2_knownhost_writefile(self.p, c.as_ptr(), FILE_OPENSSH) }
    }

    fn readline(&self, line: &str) -> c_int {
        // SAFETY: live collection; the line is readable for its length.
        unsafe { libssh2_knownhost_readline(self.p, line.as_ptr().cast(), line.len(), FILE_OPENSSH) }
    }

    /// checkp with a raw key; returns the result and the entry pointer.
    fn checkp_raw(&self, host: &str, port: c_int, key: &[u8], typemask: c_int) -> (c_int, *mut libssh2_knownhost) {
        let h = CString::new(host).expect("host");
        let mut ext: *mut libssh2_knownhost = ptr::null_mut();
        // SAFETY: live collection, valid pointers.
        let rc = unsafe {
            libssh2_knownhost_checkp(
                self.p,
                h.as_ptr(),
                port,
                key.as_ptr().cast(),
                key.len(),
                typemask | TYPE_PLAIN | KEYENC_RAW,
                &mut ext,
            )
        };
        (rc, ext)
    }

    /// All entries via libssh2_knownhost_get.
    fn entries(&self) -> Vec<*mut libssh2_knownhost> {
        let mut out = Vec::new();
        let mut prev: *mut libssh2_knownhost = ptr::null_mut();
        loop {
            let mut cur: *mut libssh2_knownhost = ptr::null_mut();
            // SAFETY: live collection; prev is null or from get.
            let rc = unsafe { libssh2_knownhost_get(self.p, &mut cur, prev) };
            if rc == 1 {
                return out;
            }
            assert_eq!(rc, 0, "get");
            out.push(cur);
            prev = cur;
        }
    }

    fn writeline(&self, e: *mut libssh2_knownhost) -> Result<String, (c_int, usize)> {
        let mut buf = vec![0u8; 4096];
        let mut outlen = 0usize;
        // SAFETY: live collection; buf writable for its length.
        let rc = unsafe {
            libssh2_knownhost_writeline(self.p, e, buf.as_mut_ptr().cast(), buf.len(), &mut outlen, FILE_OPENSSH)
        };
        if rc != 0 {
            return Err((rc, outlen));
        }
        assert_eq!(buf[outlen], 0, "NUL-terminated");
        Ok(String::from_utf8(buf[..outlen].to_vec()).expect("utf8"))
    }
}

impl Drop for Hosts<'_> {
    fn drop(&mut self) {
        let _ = self.sess;
        // SAFETY: live collection, not used afterwards.
        unsafe { libssh2_knownhost_free(self.p) };
    }
}

fn cpath(p: &Path) -> CString {
    CString::new(p.to_str().expect("utf8 path")).expect("no NUL")
}

/// The fields of an entry struct.
fn fields(e: *mut libssh2_knownhost) -> (Option<String>, String, c_int) {
    // SAFETY: e came from the library and its collection is alive.
    let e = unsafe { &*e };
    let s = |p: *mut c_char| {
        // SAFETY: non-null name/key are NUL-terminated strings owned by the collection.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    (s(e.name), s(e.key).expect("key always set"), e.typemask)
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// ssh-keyscan's key lines for the fixture (its `#` banner lines dropped).
fn keyscan(sshd: &Sshd) -> String {
    let out = run_ok(Command::new("ssh-keyscan").args(["-p", &sshd.port.to_string(), HOST]));
    out.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn keyscan_file_checks_the_live_host_key() {
    let sshd = Sshd::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("known_hosts");
    let scanned = keyscan(&sshd);
    fs::write(&file, &scanned).expect("write");
    let lines = scanned.lines().count();
    assert!(lines >= 3, "keyscan found several keys:\n{scanned}");

    let live = handshake(&sshd);
    let hosts = Hosts::new(&live.sess);
    assert_eq!(hosts.readfile(&file), lines as c_int, "readfile counts every line");
    let port = sshd.port as c_int;
    let bits = knownhost_key_bits(live.key_type);

    let (rc, ext) = hosts.checkp_raw(HOST, port, &live.key, bits);
    assert_eq!(rc, CHECK_MATCH);
    let (name, key, typemask) = fields(ext);
    assert_eq!(name.as_deref(), Some(format!("[{HOST}]:{port}").as_str()));
    assert_eq!(key, b64(&live.key), "key is the base64 text");
    assert_eq!(typemask & KEY_MASK, bits);
    assert_eq!(typemask & TYPE_MASK, TYPE_PLAIN);
    // SAFETY: ext is a live entry.
    assert_eq!(unsafe { (*ext).magic }, KNOWNHOST_MAGIC);

    // Key type 0 compares with every type.
    assert_eq!(hosts.checkp_raw(HOST, port, &live.key, 0).0, CHECK_MATCH);

    // One flipped bit in the key: the entry is found, the key differs.
    let mut bad = live.key.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let (rc, ext) = hosts.checkp_raw(HOST, port, &bad, bits);
    assert_eq!(rc, CHECK_MISMATCH);
    assert!(!ext.is_null(), "the mismatching entry is reported");

    assert_eq!(hosts.checkp_raw("192.0.2.77", port, &live.key, bits).0, CHECK_NOTFOUND);
    // keyscan wrote `[host]:port`; without the port (negative) nothing matches.
    assert_eq!(hosts.checkp_raw(HOST, -1, &live.key, bits).0, CHECK_NOTFOUND);

    // The same key as base64 text; check ignores keylen for base64 keys.
    let text = CString::new(b64(&live.key)).expect("b64");
    let h = CString::new(HOST).expect("host");
    let mut ext: *mut libssh2_knownhost = ptr::null_mut();
    // SAFETY: live collection, C strings.
    let rc = unsafe {
        libssh2_knownhost_checkp(
            hosts.p,
            h.as_ptr(),
            port,
            text.as_ptr(),
            3,
            TYPE_PLAIN | KEYENC_BASE64 | bits,
            &mut ext,
        )
    };
    assert_eq!(rc, CHECK_MATCH);
}

#[test]
fn hashed_file_from_ssh_keygen_checks_the_live_host_key() {
    let sshd = Sshd::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("known_hosts");
    fs::write(&file, keyscan(&sshd)).expect("write");
    run_ok(Command::new("ssh-keygen").arg("-H").arg("-f").arg(&file));
    let text = fs::read_to_string(&file).expect("read");
    assert!(text.lines().all(|l| l.starts_with("|1|")), "all hashed:\n{text}");

    let live = handshake(&sshd);
    let hosts = Hosts::new(&live.sess);
    assert_eq!(hosts.readfile(&file), text.lines().count() as c_int);
    for e in hosts.entries() {
        let (name, _, typemask) = fields(e);
        assert_eq!(name, None, "hashed entries expose no name");
        assert_eq!(typemask & TYPE_MASK, TYPE_SHA1);
    }
    let bits = knownhost_key_bits(live.key_type);
    let port = sshd.port as c_int;
    assert_eq!(hosts.checkp_raw(HOST, port, &live.key, bits).0, CHECK_MATCH);
    let mut bad = live.key.clone();
    bad[20] ^= 0x40;
    assert_eq!(hosts.checkp_raw(HOST, port, &bad, bits).0, CHECK_MISMATCH);
    assert_eq!(hosts.checkp_raw("127.0.0.2", port, &live.key, bits).0, CHECK_NOTFOUND);

    // Hashed lines are written back exactly as ssh-keygen wrote them.
    let out = dir.path().join("rewritten");
    assert_eq!(hosts.writefile(&out), 0);
    assert_eq!(fs::read_to_string(&out).expect("read"), text);
}

/// OpenSSH's host key algorithm names for a key type name.
fn hostkey_algorithms(key_type: &str) -> &str {
    match key_type {
        "ssh-rsa" => "rsa-sha2-512,rsa-sha2-256",
        other => other,
    }
}

#[test]
fn added_entries_written_to_a_file_satisfy_openssh() {
    let sshd = Sshd::start();
    let live = handshake(&sshd);
    let hosts = Hosts::new(&live.sess);
    let port = sshd.port as c_int;
    let bits = knownhost_key_bits(live.key_type);
    let name = CString::new(format!("[{HOST}]:{port}")).expect("name");
    let comment = "added by libssh2-rs test";
    let mut stored: *mut libssh2_knownhost = ptr::null_mut();
    // SAFETY: live collection; the key and comment are readable for their lengths.
    let rc = unsafe {
        libssh2_knownhost_addc(
            hosts.p,
            name.as_ptr(),
            ptr::null(),
            live.key.as_ptr().cast(),
            live.key.len(),
            comment.as_ptr().cast(),
            comment.len(),
            TYPE_PLAIN | KEYENC_RAW | bits,
            &mut stored,
        )
    };
    assert_eq!(rc, 0);
    assert!(!stored.is_null());
    assert_eq!(hosts.checkp_raw(HOST, port, &live.key, bits), (CHECK_MATCH, stored), "same struct for the entry");

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("known_hosts");
    assert_eq!(hosts.writefile(&file), 0);
    let text = fs::read_to_string(&file).expect("read");
    let key_type = text.split(' ').nth(1).expect("key type field").to_string();
    assert_eq!(text, format!("[{HOST}]:{port} {key_type} {} {comment}\n", b64(&live.key)));

    let found = run_ok(Command::new("ssh-keygen").arg("-F").arg(format!("[{HOST}]:{port}")).arg("-f").arg(&file));
    assert!(found.contains(&b64(&live.key)), "ssh-keygen -F finds the entry:\n{found}");

    let known = format!("UserKnownHostsFile={}", file.display());
    let algs = format!("HostKeyAlgorithms={}", hostkey_algorithms(&key_type));
    let out = sshd
        .openssh_ssh_cmd_opts(UserKey::Ed25519, &[&known, "StrictHostKeyChecking=yes", &algs])
        .args(["echo", "verified"])
        .output()
        .expect("run ssh");
    assert!(out.status.success(), "ssh trusts the written file: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "verified");

    // Control: the same file with a different key makes ssh refuse.
    let mut bad = live.key.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let hosts2 = Hosts::new(&live.sess);
    let line = format!("[{HOST}]:{port} {key_type} {}\n", b64(&bad));
    assert_eq!(hosts2.readline(&line), 0);
    let bad_file = dir.path().join("bad_known_hosts");
    assert_eq!(hosts2.writefile(&bad_file), 0);
    let known = format!("UserKnownHostsFile={}", bad_file.display());
    let out = sshd
        .openssh_ssh_cmd_opts(UserKey::Ed25519, &[&known, "StrictHostKeyChecking=yes", &algs])
        .args(["echo", "verified"])
        .output()
        .expect("run ssh");
    assert!(!out.status.success(), "ssh refuses a wrong key");
}

/// A fresh ed25519 public key line (`ssh-ed25519 AAAA... comment`) from ssh-keygen.
fn new_public_key(dir: &Path, name: &str) -> String {
    let key = dir.join(name);
    run_ok(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"]).arg(&key));
    fs::read_to_string(key.with_extension("pub")).expect("read .pub").trim().to_string()
}

#[test]
fn files_in_libssh2_form_round_trip_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let k1 = new_public_key(dir.path(), "k1");
    let k2 = new_public_key(dir.path(), "k2");
    let k1_nocomment: String = k1.split(' ').take(2).collect::<Vec<_>>().join(" ");
    let plain = format!(
        "example.com {k1_nocomment}\n[example.com]:2222 {k2}\nother.example {k1_nocomment} a comment with  spaces\n"
    );
    // Hashed lines as ssh-keygen -H writes them.
    let to_hash = dir.path().join("to_hash");
    fs::write(&to_hash, format!("hashed.example {k2}\n")).expect("write");
    run_ok(Command::new("ssh-keygen").arg("-H").arg("-f").arg(&to_hash));
    let hashed = fs::read_to_string(&to_hash).expect("read");
    let original = format!("{plain}{hashed}");
    let file = dir.path().join("known_hosts");
    fs::write(&file, &original).expect("write");

    let sess = Sess::new();
    let hosts = Hosts::new(&sess);
    assert_eq!(hosts.readfile(&file), original.lines().count() as c_int);
    let out = dir.path().join("out");
    assert_eq!(hosts.writefile(&out), 0);
    assert_eq!(fs::read_to_string(&out).expect("read"), original);

    // writeline gives the same lines one by one.
    let lines: Vec<String> = hosts.entries().into_iter().map(|e| hosts.writeline(e).expect("writeline")).collect();
    assert_eq!(lines.concat(), original);
}

#[test]
fn get_iterates_and_del_removes() {
    let sess = Sess::new();
    let hosts = Hosts::new(&sess);
    let key = "AAAAC3NzaC1lZDI1NTE5AAAAIHk4Y0QbDqgcF9pLqR8E0Hxl1hXr0pT7xYV8Jm3Sx6dA";
    // A plain name list becomes one entry per name, last name first (libssh2's order).
    assert_eq!(hosts.readline(&format!("one,two,three ssh-ed25519 {key}\n")), 0);
    assert_eq!(hosts.readline(&format!("four ssh-ed25519 {key} c\n")), 0);
    assert_eq!(hosts.readline("# a comment line adds nothing\n"), 0);
    let names = |h: &Hosts| -> Vec<String> { h.entries().into_iter().map(|e| fields(e).0.expect("plain")).collect() };
    assert_eq!(names(&hosts), ["three", "two", "one", "four"]);

    let first = hosts.entries();
    assert_eq!(hosts.entries(), first, "get hands out stable structs");
    let (_, k, typemask) = fields(first[1]);
    assert_eq!(k, key);
    assert_eq!(typemask, TYPE_PLAIN | KEYENC_BASE64 | KEY_ED25519);

    // Delete "two"; iteration continues from the deleted entry.
    let two = first[1];
    // SAFETY: live collection, entry from get.
    assert_eq!(unsafe { libssh2_knownhost_del(hosts.p, two) }, 0);
    // SAFETY: the struct stays readable until the collection is freed.
    let cleared = unsafe { *two };
    assert_eq!(cleared.magic, 0);
    assert!(cleared.name.is_null() && cleared.key.is_null());
    assert_eq!(names(&hosts), ["three", "one", "four"]);
    let mut next: *mut libssh2_knownhost = ptr::null_mut();
    // SAFETY: as above.
    assert_eq!(unsafe { libssh2_knownhost_get(hosts.p, &mut next, two) }, 0);
    assert_eq!(fields(next).0.as_deref(), Some("one"));

    // A deleted entry cannot be deleted or written again.
    // SAFETY: as above.
    assert_eq!(unsafe { libssh2_knownhost_del(hosts.p, two) }, code::INVAL);
    assert_eq!(sess.last_errno(), code::INVAL);
    assert_eq!(hosts.writeline(two).unwrap_err().0, code::INVAL);
    // SAFETY: null entry.
    assert_eq!(unsafe { libssh2_knownhost_del(hosts.p, ptr::null_mut()) }, code::INVAL);

    // Delete everything while iterating from the start each time.
    loop {
        let mut e: *mut libssh2_knownhost = ptr::null_mut();
        // SAFETY: live collection.
        match unsafe { libssh2_knownhost_get(hosts.p, &mut e, ptr::null_mut()) } {
            1 => break,
            // SAFETY: e from get.
            0 => assert_eq!(unsafe { libssh2_knownhost_del(hosts.p, e) }, 0),
            rc => panic!("get returned {rc}"),
        }
    }
    assert!(hosts.entries().is_empty());
}

#[test]
fn writeline_needs_room_for_the_terminating_nul() {
    let sess = Sess::new();
    let hosts = Hosts::new(&sess);
    let key = "AAAAC3NzaC1lZDI1NTE5AAAAIHk4Y0QbDqgcF9pLqR8E0Hxl1hXr0pT7xYV8Jm3Sx6dA";
    let line = format!("host.example ssh-ed25519 {key}\n");
    assert_eq!(hosts.readline(&line), 0);
    let e = hosts.entries()[0];
    let mut buf = vec![0x55u8; line.len() + 1];
    let mut outlen = 0usize;
    // Exactly the line's length: no room for the NUL.
    // SAFETY: buf is writable for line.len() bytes.
    let rc = unsafe {
        libssh2_knownhost_writeline(hosts.p, e, buf.as_mut_ptr().cast(), line.len(), &mut outlen, FILE_OPENSSH)
    };
    assert_eq!(rc, code::BUFFER_TOO_SMALL);
    assert_eq!(outlen, line.len(), "outlen tells the needed length");
    assert_eq!(sess.last_errno(), code::BUFFER_TOO_SMALL);
    // One more byte is enough.
    // SAFETY: as above, line.len() + 1 bytes.
    let rc = unsafe {
        libssh2_knownhost_writeline(hosts.p, e, buf.as_mut_ptr().cast(), line.len() + 1, &mut outlen, FILE_OPENSSH)
    };
    assert_eq!(rc, 0);
    assert_eq!(outlen, line.len());
    assert_eq!(&buf[..line.len()], line.as_bytes());
    assert_eq!(buf[line.len()], 0);
    // Only the OpenSSH format exists.
    // SAFETY: as above.
    let rc = unsafe { libssh2_knownhost_writeline(hosts.p, e, buf.as_mut_ptr().cast(), buf.len(), &mut outlen, 2) };
    assert_eq!(rc, code::METHOD_NOT_SUPPORTED);
}

#[test]
fn argument_rules_follow_libssh2() {
    let sess = Sess::new();
    let hosts = Hosts::new(&sess);
    let key = "AAAAC3NzaC1lZDI1NTE5AAAAIHk4Y0QbDqgcF9pLqR8E0Hxl1hXr0pT7xYV8Jm3Sx6dA";
    let ckey = CString::new(key).expect("key");
    let host = CString::new("[h.example]:2222").expect("host");
    // A base64 key with keylen 0 is read up to its NUL.
    let mut e: *mut libssh2_knownhost = ptr::null_mut();
    // SAFETY: live collection, C strings.
    let rc = unsafe {
        libssh2_knownhost_add(
            hosts.p,
            host.as_ptr(),
            ptr::null(),
            ckey.as_ptr(),
            0,
            TYPE_PLAIN | KEYENC_BASE64 | KEY_ED25519,
            &mut e,
        )
    };
    assert_eq!(rc, 0);
    assert_eq!(fields(e).1, key);
    // No key type: INVAL.
    // SAFETY: as above.
    let rc = unsafe {
        libssh2_knownhost_add(
            hosts.p,
            host.as_ptr(),
            ptr::null(),
            ckey.as_ptr(),
            0,
            TYPE_PLAIN | KEYENC_BASE64,
            ptr::null_mut(),
        )
    };
    assert_eq!(rc, code::INVAL);
    assert_eq!(sess.last_errno(), code::INVAL);

    let raw = base64::engine::general_purpose::STANDARD.decode(key).expect("b64");
    let h = "h.example";
    assert_eq!(hosts.checkp_raw(h, 2222, &raw, KEY_ED25519).0, CHECK_MATCH);
    // Another key type is not a mismatch: nothing of that type is known.
    assert_eq!(hosts.checkp_raw(h, 2222, &raw, KEY_ECDSA_256).0, CHECK_NOTFOUND);
    assert_eq!(hosts.checkp_raw(h, 2222, &raw, KEY_UNKNOWN).0, CHECK_NOTFOUND);
    assert_eq!(hosts.checkp_raw(h, -1, &raw, KEY_ED25519).0, CHECK_NOTFOUND, "negative port: plain name only");
    // A name too long for libssh2's `[host]:port` buffer fails the check.
    let long = "a".repeat(300);
    assert_eq!(hosts.checkp_raw(&long, 22, &raw, KEY_ED25519).0, CHECK_FAILURE);
    assert_eq!(sess.last_errno(), code::BUFFER_TOO_SMALL);
    // SHA1 input cannot be checked: MISMATCH, as in libssh2.
    let hc = CString::new(h).expect("host");
    // SAFETY: live collection.
    let rc = unsafe {
        libssh2_knownhost_check(hosts.p, hc.as_ptr(), ckey.as_ptr(), 0, TYPE_SHA1 | KEYENC_BASE64, ptr::null_mut())
    };
    assert_eq!(rc, CHECK_MISMATCH);

    // File errors.
    let missing = CString::new("/nonexistent/known_hosts").expect("path");
    // SAFETY: live collection, C string.
    assert_eq!(unsafe { libssh2_knownhost_readfile(hosts.p, missing.as_ptr(), FILE_OPENSSH) }, code::FILE);
    // SAFETY: as above.
    assert_eq!(unsafe { libssh2_knownhost_readfile(hosts.p, missing.as_ptr(), 7) }, code::METHOD_NOT_SUPPORTED);
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad");
    fs::write(&bad, format!("good.example ssh-ed25519 {key}\nbroken-line\n")).expect("write");
    assert_eq!(hosts.readfile(&bad), code::KNOWN_HOSTS);
    assert_eq!(hosts.readline("broken-line"), code::METHOD_NOT_SUPPORTED);
    // SAFETY: null collection.
    assert_eq!(unsafe { libssh2_knownhost_readline(ptr::null_mut(), ptr::null(), 0, FILE_OPENSSH) }, code::BAD_USE);
}

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static FREES: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn counting_alloc(n: usize, _: *mut *mut c_void) -> *mut c_void {
    ALLOCS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: plain malloc.
    unsafe { libc::malloc(n) }
}

unsafe extern "C" fn counting_free(p: *mut c_void, _: *mut *mut c_void) {
    if !p.is_null() {
        FREES.fetch_add(1, Ordering::SeqCst);
    }
    // SAFETY: p came from counting_alloc (malloc) or is null.
    unsafe { libc::free(p) }
}

unsafe extern "C" fn counting_realloc(p: *mut c_void, n: usize, _: *mut *mut c_void) -> *mut c_void {
    // SAFETY: plain realloc.
    unsafe { libc::realloc(p, n) }
}

#[test]
fn memory_comes_from_and_returns_to_the_session_allocator() {
    let s = libssh2_session_init_ex(Some(counting_alloc), Some(counting_free), Some(counting_realloc), ptr::null_mut());
    let sess = Sess(s);
    let before = (ALLOCS.load(Ordering::SeqCst), FREES.load(Ordering::SeqCst));
    {
        let hosts = Hosts::new(&sess);
        let key = "AAAAC3NzaC1lZDI1NTE5AAAAIHk4Y0QbDqgcF9pLqR8E0Hxl1hXr0pT7xYV8Jm3Sx6dA";
        assert_eq!(hosts.readline(&format!("a,b,c ssh-ed25519 {key}\n")), 0);
        let all = hosts.entries();
        assert_eq!(all.len(), 3);
        // SAFETY: entry from get.
        assert_eq!(unsafe { libssh2_knownhost_del(hosts.p, all[0]) }, 0);
    }
    let (allocs, frees) = (ALLOCS.load(Ordering::SeqCst) - before.0, FREES.load(Ordering::SeqCst) - before.1);
    // The collection, and per entry handed out a struct, its name and its key.
    const EXPECTED_MIN: usize = 1 + 3 * 3;
    assert!(allocs >= EXPECTED_MIN, "allocations through the callback: {allocs}");
    assert_eq!(allocs, frees, "everything is returned when the collection is freed");
}
