//! `libssh2_agent_*` against a real OpenSSH `ssh-agent` the test starts (keys of
//! each type loaded with ssh-add), the fixture's sshd, and hostile fake agents.

mod common;

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::ptr;
use std::time::{Duration, Instant};

use common::{SshAgent, Sshd, UserKey};
use ssh2::error::code;
use ssh2::ffi::agent::*;
use ssh2::ffi::handle::LIBSSH2_SESSION;
use ssh2::ffi::session::*;
use ssh2::ffi::types::libssh2_agent_publickey;
use ssh2::keys::PublicKey;
use ssh2::proto::wire::Writer;

/// The user keys loaded into the agent (unencrypted ones of each type).
const AGENT_KEYS: [UserKey; 5] =
    [UserKey::Ed25519, UserKey::Ecdsa256, UserKey::Ecdsa384, UserKey::Ecdsa521, UserKey::Rsa3072];
/// Longest a non-blocking test waits on the socket per round.
const POLL_MS: c_int = 10_000;
/// Longest wait for sshd's log to catch up.
const LOG_WAIT: Duration = Duration::from_secs(10);

/// A session connected and handshaken with the fixture, plus an agent handle.
struct Conn {
    sess: *mut LIBSSH2_SESSION,
    agent: *mut LIBSSH2_AGENT,
    stream: Option<TcpStream>,
    nonblocking: bool,
    eagains: usize,
}

impl Conn {
    /// A session with no connection (agent calls only).
    fn offline() -> Conn {
        let sess = libssh2_session_init_ex(None, None, None, ptr::null_mut());
        // SAFETY: live session.
        let agent = unsafe { libssh2_agent_init(sess) };
        assert!(!agent.is_null());
        Conn { sess, agent, stream: None, nonblocking: false, eagains: 0 }
    }

    fn new(sshd: &Sshd, nonblocking: bool) -> Conn {
        let mut c = Conn::offline();
        let stream = sshd.connect();
        // SAFETY: live session; the socket outlives it.
        let rc = unsafe { libssh2_session_handshake(c.sess, stream.as_raw_fd()) };
        assert_eq!(rc, 0);
        c.stream = Some(stream);
        if nonblocking {
            // SAFETY: live session.
            unsafe { libssh2_session_set_blocking(c.sess, 0) };
            // Every wait for the server then meets EAGAIN, however loaded the machine.
            common::install_eagain_recv(c.sess);
        }
        c.nonblocking = nonblocking;
        c
    }

    fn set_path(&self, p: &Path) {
        let p = CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: live agent; NUL-terminated path (copied by the call).
        unsafe { libssh2_agent_set_identity_path(self.agent, p.as_ptr()) };
    }

    fn err(&self) -> (c_int, String) {
        let mut msg: *mut c_char = ptr::null_mut();
        let mut len: c_int = 0;
        // SAFETY: live session; the message is lent.
        let rc = unsafe { libssh2_session_last_error(self.sess, &mut msg, &mut len, 0) };
        // SAFETY: msg holds len bytes.
        let text = unsafe { std::slice::from_raw_parts(msg.cast::<u8>(), len as usize) };
        (rc, String::from_utf8_lossy(text).into_owned())
    }

    fn connect(&self) -> c_int {
        // SAFETY: live agent.
        unsafe { libssh2_agent_connect(self.agent) }
    }

    fn list(&self) -> c_int {
        // SAFETY: live agent.
        unsafe { libssh2_agent_list_identities(self.agent) }
    }

    /// Every identity, walked with `prev`.
    fn identities(&self) -> Vec<*mut libssh2_agent_publickey> {
        let mut out = Vec::new();
        let mut prev: *mut libssh2_agent_publickey = ptr::null_mut();
        loop {
            let mut id: *mut libssh2_agent_publickey = ptr::null_mut();
            // SAFETY: live agent; prev is null or one of its identities.
            let rc = unsafe { libssh2_agent_get_identity(self.agent, &mut id, prev) };
            if rc == 1 {
                return out;
            }
            assert_eq!(rc, 0);
            out.push(id);
            prev = id;
        }
    }

    /// `libssh2_agent_userauth`, calling again on EAGAIN.
    fn userauth(&mut self, user: &str, id: *mut libssh2_agent_publickey) -> c_int {
        let user = CString::new(user).unwrap();
        loop {
            // SAFETY: live agent; id from it.
            let rc = unsafe { libssh2_agent_userauth(self.agent, user.as_ptr(), id) };
            if rc != code::EAGAIN {
                return rc;
            }
            assert!(self.nonblocking);
            self.eagains += 1;
            // SAFETY: live session.
            let dirs = unsafe { libssh2_session_block_directions(self.sess) };
            let mut events = 0;
            if dirs & 1 != 0 {
                events |= libc::POLLIN;
            }
            if dirs & 2 != 0 {
                events |= libc::POLLOUT;
            }
            assert_ne!(events, 0);
            let fd = self.stream.as_ref().unwrap().as_raw_fd();
            let mut pfd = libc::pollfd { fd, events, revents: 0 };
            // SAFETY: one valid pollfd.
            assert!(unsafe { libc::poll(&mut pfd, 1, POLL_MS) } > 0);
        }
    }

    /// `libssh2_agent_sign`: (rc, raw signature).
    fn sign(&self, id: *mut libssh2_agent_publickey, data: &[u8], method: &str) -> (c_int, Vec<u8>) {
        let mut sig: *mut u8 = ptr::null_mut();
        let mut len = 0usize;
        // SAFETY: live agent; buffers valid.
        let rc = unsafe {
            libssh2_agent_sign(
                self.agent,
                id,
                &mut sig,
                &mut len,
                data.as_ptr(),
                data.len(),
                method.as_ptr().cast(),
                method.len() as u32,
            )
        };
        if rc != 0 {
            return (rc, Vec::new());
        }
        // SAFETY: the library allocated len bytes with the default allocator (malloc).
        let v = unsafe { std::slice::from_raw_parts(sig, len) }.to_vec();
        // SAFETY: ours to free, from malloc.
        unsafe { libc::free(sig.cast::<c_void>()) };
        (rc, v)
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // SAFETY: agent and session are ours and used no more; the agent goes first.
        unsafe {
            libssh2_agent_disconnect(self.agent);
            libssh2_agent_free(self.agent);
            libssh2_session_free(self.sess);
        }
    }
}

/// (blob, comment) of an identity.
fn id_data(id: *mut libssh2_agent_publickey) -> (Vec<u8>, String) {
    // SAFETY: id is live while its agent is.
    unsafe {
        let id = &*id;
        let blob = std::slice::from_raw_parts(id.blob, id.blob_len).to_vec();
        (blob, CStr::from_ptr(id.comment).to_string_lossy().into_owned())
    }
}

fn agent_with_fixture_keys(sshd: &Sshd) -> SshAgent {
    let paths: Vec<PathBuf> = AGENT_KEYS.iter().map(|k| sshd.user_key(*k).private.clone()).collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    SshAgent::start(&refs)
}

fn log_after(sshd: &Sshd, logins: usize) -> String {
    let deadline = Instant::now() + LOG_WAIT;
    loop {
        let log = sshd.log();
        if log.matches("Accepted publickey for ").count() >= logins || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The pkalg of each signed publickey request sshd accepted, in order.
fn accepted_algs(log: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut last = String::new();
    for line in log.lines() {
        if let Some(i) = line.find(" pkalg ") {
            last = line[i + 7..].split_whitespace().next().unwrap_or_default().to_string();
        }
        if line.contains("Accepted publickey for ") {
            out.push(last.clone());
        }
    }
    out
}

#[test]
fn lists_identities_and_authenticates_with_each() {
    let sshd = Sshd::start();
    let agent = agent_with_fixture_keys(&sshd);
    let mut logins = 0;
    for nb in [false, true] {
        for (i, key) in AGENT_KEYS.iter().enumerate() {
            let mut c = Conn::new(&sshd, nb);
            // SAFETY: live agent.
            assert!(unsafe { libssh2_agent_get_identity_path(c.agent) }.is_null());
            c.set_path(&agent.sock);
            // SAFETY: live agent; the path is a NUL-terminated copy it owns.
            let got = unsafe { CStr::from_ptr(libssh2_agent_get_identity_path(c.agent)) };
            assert_eq!(got.to_bytes(), agent.sock.as_os_str().as_encoded_bytes());
            assert_eq!(c.connect(), 0, "{:?}", c.err());
            assert_eq!(c.list(), 0, "{:?}", c.err());
            let ids = c.identities();
            assert_eq!(ids.len(), AGENT_KEYS.len(), "one identity per added key");
            for (id, k) in ids.iter().zip(AGENT_KEYS) {
                // SAFETY: live identity.
                assert_eq!(unsafe { (**id).magic }, AGENT_PUBLICKEY_MAGIC);
                let (blob, comment) = id_data(*id);
                assert_eq!(blob, sshd.user_key(k).public_blob(), "{k:?} blob in ssh-add order");
                assert_eq!(comment, "libssh2rs-user", "{k:?} comment");
            }
            let rc = c.userauth(&sshd.user, ids[i]);
            assert_eq!(rc, 0, "{key:?} nb={nb}: {:?}", c.err());
            // SAFETY: live session.
            assert_eq!(unsafe { ssh2::ffi::userauth::libssh2_userauth_authenticated(c.sess) }, 1);
            if nb {
                assert!(c.eagains > 0, "the non-blocking path never returned EAGAIN");
            }
            logins += 1;
        }
    }
    let algs = accepted_algs(&log_after(&sshd, logins));
    assert_eq!(algs.len(), logins);
    // RSA through the agent signs with SHA-512: the agent got the matching flag.
    assert_eq!(algs[4], "rsa-sha2-512");
    assert_eq!(algs[0], "ssh-ed25519");
    assert_eq!(algs[3], "ecdsa-sha2-nistp521");
}

#[test]
fn rsa_algorithm_preference_reaches_the_agent() {
    let sshd = Sshd::start_with(&["PubkeyAcceptedAlgorithms +ssh-rsa"]);
    let agent = agent_with_fixture_keys(&sshd);
    let rsa_index = AGENT_KEYS.iter().position(|k| *k == UserKey::Rsa3072).unwrap();
    for (pref, nb) in [("rsa-sha2-256", false), ("ssh-rsa", true)] {
        let mut c = Conn::new(&sshd, nb);
        let p = CString::new(pref).unwrap();
        // SAFETY: live session; NUL-terminated list.
        assert_eq!(unsafe { libssh2_session_method_pref(c.sess, 10, p.as_ptr()) }, 0);
        c.set_path(&agent.sock);
        assert_eq!(c.connect(), 0);
        assert_eq!(c.list(), 0);
        let id = c.identities()[rsa_index];
        assert_eq!(c.userauth(&sshd.user, id), 0, "{pref}: {:?}", c.err());
    }
    assert_eq!(accepted_algs(&log_after(&sshd, 2)), ["rsa-sha2-256", "ssh-rsa"]);
}

#[test]
fn agent_sign_makes_verifiable_signatures() {
    let sshd = Sshd::start();
    let agent = agent_with_fixture_keys(&sshd);
    let c = Conn::offline();
    c.set_path(&agent.sock);
    assert_eq!(c.connect(), 0);
    assert_eq!(c.list(), 0);
    let ids = c.identities();
    let data = b"data for libssh2_agent_sign";
    for (id, key) in ids.iter().zip(AGENT_KEYS) {
        let blob = id_data(*id).0;
        let public = PublicKey::from_blob(&blob).unwrap();
        let methods: &[&str] =
            if key == UserKey::Rsa3072 { &["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] } else { &[key.ssh_name()] };
        for m in methods {
            let (rc, raw) = c.sign(*id, data, m);
            assert_eq!(rc, 0, "{key:?} {m}: {:?}", c.err());
            let mut sig = Writer::new();
            sig.string(m.as_bytes()).string(&raw);
            public.verify(&sig.buf, data).unwrap_or_else(|e| panic!("{key:?} {m}: {e:?}"));
        }
    }
    // Asking an Ed25519 key for an RSA algorithm: the agent signs with Ed25519, which
    // is not what was asked.
    let (rc, _) = c.sign(ids[0], data, "rsa-sha2-256");
    assert_eq!(rc, code::ALGO_UNSUPPORTED);
}

#[test]
fn connect_errors_and_ssh_auth_sock() {
    let sshd = Sshd::start();
    let agent = agent_with_fixture_keys(&sshd);
    let c = Conn::offline();
    // Nothing listed before connecting.
    assert_eq!(c.list(), code::BAD_USE);
    assert_eq!(c.err(), (code::BAD_USE, "agent not connected".to_string()));
    c.set_path(Path::new("/nonexistent/agent.sock"));
    assert_eq!(c.connect(), code::AGENT_PROTOCOL);
    assert_eq!(c.err().1, "failed connecting with agent");
    // Unsetting the path goes back to SSH_AUTH_SOCK (the only test touching it).
    // SAFETY: live agent; NULL unsets.
    unsafe { libssh2_agent_set_identity_path(c.agent, ptr::null()) };
    // SAFETY: as above.
    assert!(unsafe { libssh2_agent_get_identity_path(c.agent) }.is_null());
    std::env::remove_var("SSH_AUTH_SOCK");
    assert_eq!(c.connect(), code::BAD_USE);
    assert_eq!(c.err().1, "no auth sock variable");
    std::env::set_var("SSH_AUTH_SOCK", &agent.sock);
    assert_eq!(c.connect(), 0, "{:?}", c.err());
    assert_eq!(c.list(), 0);
    assert_eq!(c.identities().len(), AGENT_KEYS.len());
    // Disconnect keeps the list; signing then needs a connection again. As in
    // libssh2, a client that has connected once fails the request as a send.
    // SAFETY: live agent.
    assert_eq!(unsafe { libssh2_agent_disconnect(c.agent) }, 0);
    assert_eq!(c.identities().len(), AGENT_KEYS.len());
    let id = c.identities()[0];
    assert_eq!(c.sign(id, b"x", "ssh-ed25519").0, code::SOCKET_SEND);
    assert_eq!(c.list(), code::SOCKET_SEND);
}

/// A fake agent answering every request with `reply` (raw bytes, framing included).
fn fake_agent(reply: Vec<u8>) -> (PathBuf, tempfile::TempDir, std::thread::JoinHandle<()>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fake.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let t = std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut len = [0u8; 4];
            if s.read_exact(&mut len).is_ok() {
                let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
                let _ = s.read_exact(&mut body);
                let _ = s.write_all(&reply);
            }
        }
    });
    (path, dir, t)
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(body);
    w.into_inner()
}

#[test]
fn malformed_agent_replies_are_protocol_errors() {
    let mut answer = Writer::new();
    answer.u8(12).u32(2).string(b"blob").string(b"comment"); // says 2, holds 1
    let mut lying_len = Writer::new();
    lying_len.u8(12).u32(1).u32(0x7fff_ffff);
    let cases: Vec<(&str, Vec<u8>, c_int)> = vec![
        ("failure reply", framed(&[5]), code::AGENT_PROTOCOL),
        ("empty body", framed(&[]), code::AGENT_PROTOCOL),
        ("truncated list", framed(&answer.buf), code::AGENT_PROTOCOL),
        ("blob past the end", framed(&lying_len.buf), code::AGENT_PROTOCOL),
        ("huge count", framed(&[12, 0xff, 0xff, 0xff, 0xff]), code::AGENT_PROTOCOL),
        ("reply longer than the limit", vec![0x7f, 0xff, 0xff, 0xff, 12], code::AGENT_PROTOCOL),
        ("connection closed mid-reply", vec![0, 0, 0, 9, 12], code::SOCKET_RECV),
    ];
    for (what, reply, want) in cases {
        let (path, _dir, t) = fake_agent(reply);
        let c = Conn::offline();
        c.set_path(&path);
        assert_eq!(c.connect(), 0, "{what}");
        assert_eq!(c.list(), want, "{what}: {:?}", c.err());
        assert!(c.identities().is_empty(), "{what}: no identities after a bad reply");
        drop(c);
        t.join().unwrap();
    }
}

/// A proxy agent that clears the SHA-2 flags of sign requests (an agent too old for
/// RSA SHA-2), so RSA signatures come back as ssh-rsa.
fn sha1_only_proxy(real: PathBuf) -> (PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proxy.sock");
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut client) = conn else { return };
            let Ok(mut upstream) = UnixStream::connect(&real) else { return };
            loop {
                let mut len = [0u8; 4];
                if client.read_exact(&mut len).is_err() {
                    break;
                }
                let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
                if client.read_exact(&mut body).is_err() {
                    break;
                }
                if body.first() == Some(&13) && body.len() >= 4 {
                    let n = body.len();
                    body[n - 4..].copy_from_slice(&[0, 0, 0, 0]);
                }
                if upstream.write_all(&len).is_err() || upstream.write_all(&body).is_err() {
                    break;
                }
                let mut rlen = [0u8; 4];
                if upstream.read_exact(&mut rlen).is_err() {
                    break;
                }
                let mut reply = vec![0u8; u32::from_be_bytes(rlen) as usize];
                if upstream.read_exact(&mut reply).is_err() {
                    break;
                }
                if client.write_all(&rlen).is_err() || client.write_all(&reply).is_err() {
                    break;
                }
            }
        }
    });
    (path, dir)
}

#[test]
fn rsa_falls_back_to_ssh_rsa_when_the_agent_cannot_do_sha2() {
    let sshd = Sshd::start_with(&["PubkeyAcceptedAlgorithms +ssh-rsa"]);
    let agent = agent_with_fixture_keys(&sshd);
    let (proxy, _dir) = sha1_only_proxy(agent.sock.clone());
    let rsa_index = AGENT_KEYS.iter().position(|k| *k == UserKey::Rsa3072).unwrap();
    for nb in [false, true] {
        let mut c = Conn::new(&sshd, nb);
        c.set_path(&proxy);
        assert_eq!(c.connect(), 0);
        assert_eq!(c.list(), 0);
        let id = c.identities()[rsa_index];
        assert_eq!(c.userauth(&sshd.user, id), 0, "{:?}", c.err());
    }
    // Each login: a query for rsa-sha2-512 (accepted, but the agent answered with
    // ssh-rsa), then a fresh query and signature with ssh-rsa.
    let log = log_after(&sshd, 2);
    assert_eq!(accepted_algs(&log), ["ssh-rsa", "ssh-rsa"]);
    assert!(log.contains("pkalg rsa-sha2-512"), "the first query used rsa-sha2-512");
}
