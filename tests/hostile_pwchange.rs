//! Password change on expiry (RFC 4252 section 8) through the C API:
//! `libssh2_userauth_password_ex` against the scripted server of
//! tests/hostile/server.rs, which runs a real curve25519 exchange and then
//! answers the client's "password" requests with SSH_MSG_USERAUTH_PASSWD_CHANGEREQ.
//! Each case runs blocking and non-blocking (the caller loops on EAGAIN).

#[path = "hostile/server.rs"]
mod server;

use std::ffi::{c_char, c_int, c_void};
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::ptr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use server::{cmsg, serve_curve25519, Hooks, Offer, Peer};
use ssh2::error::code;
use ssh2::ffi::handle::LIBSSH2_SESSION;
use ssh2::ffi::session as fs;
use ssh2::ffi::userauth as fu;
use ssh2::proto::wire::{Reader, Writer};

/// SSH_MSG_USERAUTH_PASSWD_CHANGEREQ.
const PASSWD_CHANGEREQ: u8 = 60;
/// Timeout given to the client in blocking mode.
const CLIENT_TIMEOUT_MS: i64 = 10_000;
/// Most one authentication attempt may take.
const BOUND: Duration = Duration::from_secs(8);
/// How long the server sits on each reply, so a non-blocking caller sees EAGAIN.
const SERVER_DELAY: Duration = Duration::from_millis(50);
/// Pause between non-blocking retries.
const RETRY_PAUSE: Duration = Duration::from_millis(1);
/// The credentials the client uses.
const USER: &[u8] = b"alice";
const OLD_PW: &[u8] = b"old-secret";
const NEW_PW: &[u8] = b"n3w-secret!";

/// What the server answers after the client's change request.
#[derive(Clone, Copy, PartialEq)]
enum After {
    /// USERAUTH_SUCCESS.
    Success,
    /// USERAUTH_FAILURE listing "password".
    Failure,
    /// No second request is expected: the client gives up.
    Nothing,
}

/// State the change callback reaches through the session's abstract pointer.
struct Ctx {
    /// How often the callback ran.
    calls: usize,
    /// The password it hands out, or None to hand out NULL.
    new_pw: Option<Vec<u8>>,
}

/// The LIBSSH2_PASSWD_CHANGEREQ_FUNC: counts its calls and returns a
/// malloc'ed new password (the library frees it with the session allocator,
/// which is malloc/free by default), or NULL.
unsafe extern "C" fn change_cb(
    _session: *mut LIBSSH2_SESSION,
    newpw: *mut *mut c_char,
    newpw_len: *mut c_int,
    abstract_: *mut *mut c_void,
) {
    // SAFETY: the abstract slot holds the &mut Ctx given to session_init_ex,
    // which outlives the session; newpw/newpw_len are valid out-pointers.
    unsafe {
        let ctx = &mut *(*abstract_).cast::<Ctx>();
        ctx.calls += 1;
        match &ctx.new_pw {
            Some(pw) => {
                let p = libc::malloc(pw.len()).cast::<u8>();
                assert!(!p.is_null());
                ptr::copy_nonoverlapping(pw.as_ptr(), p, pw.len());
                *newpw = p.cast();
                *newpw_len = pw.len() as c_int;
            }
            None => {
                *newpw = ptr::null_mut();
                *newpw_len = 0;
            }
        }
    }
}

/// The expected USERAUTH_REQUEST payload for the password method.
fn password_request(change: bool) -> Vec<u8> {
    let mut w = Writer::msg(cmsg::USERAUTH_REQUEST);
    w.string(USER).string(b"ssh-connection").string(b"password").bool(change).string(OLD_PW);
    if change {
        w.string(NEW_PW);
    }
    w.buf
}

/// Serves one connection: kex, a change request in answer to the first
/// password request, then `after`. Every USERAUTH_REQUEST the client sent is
/// passed to `seen`.
fn spawn_server(
    after: After,
    delay: bool,
) -> (SocketAddr, std::thread::JoinHandle<io::Result<()>>, mpsc::Receiver<Vec<u8>>) {
    let (tx, rx) = mpsc::channel();
    let pause = move || {
        if delay {
            std::thread::sleep(SERVER_DELAY);
        }
    };
    let (addr, h) = server::spawn(move |peer: &mut Peer| {
        serve_curve25519(peer, &Offer::modern(true), &Hooks::default())?;
        let first = peer.expect(cmsg::USERAUTH_REQUEST)?;
        let _ = tx.send(first);
        pause();
        let mut w = Writer::msg(PASSWD_CHANGEREQ);
        w.string(b"expired").string(b"");
        peer.send(&w.buf)?;
        if after == After::Nothing {
            peer.linger();
            return Ok(());
        }
        let second = peer.expect(cmsg::USERAUTH_REQUEST)?;
        let _ = tx.send(second);
        pause();
        if after == After::Success {
            peer.send(&[cmsg::USERAUTH_SUCCESS])?;
        } else {
            let mut w = Writer::msg(cmsg::USERAUTH_FAILURE);
            w.string(b"password").bool(false);
            peer.send(&w.buf)?;
        }
        peer.linger();
        Ok(())
    });
    (addr, h, rx)
}

/// Outcome of one client run.
struct Run {
    rc: c_int,
    calls: usize,
    authenticated: c_int,
    errno: c_int,
    eagains: usize,
    requests: Vec<Vec<u8>>,
}

/// Connects, handshakes (blocking), then authenticates with OLD_PW and the
/// given callback, blocking or looping on EAGAIN.
fn run(after: After, with_cb: bool, hand_out: Option<&[u8]>, blocking: bool) -> Run {
    let (addr, handle, rx) = spawn_server(after, !blocking);
    let mut ctx = Ctx { calls: 0, new_pw: hand_out.map(<[u8]>::to_vec) };
    let stream = TcpStream::connect(addr).expect("connect to scripted server");
    let cb = if with_cb { Some(change_cb as _) } else { None };
    // SAFETY: one C session driven through the exported API with valid
    // arguments; ctx outlives the session, which is freed below.
    let (rc, authenticated, errno, eagains) = unsafe {
        let sess = fs::libssh2_session_init_ex(None, None, None, ptr::addr_of_mut!(ctx).cast());
        assert!(!sess.is_null());
        fs::libssh2_session_set_timeout(sess, CLIENT_TIMEOUT_MS as _);
        assert_eq!(fs::libssh2_session_handshake(sess, stream.as_raw_fd()), 0, "handshake");
        fs::libssh2_session_set_blocking(sess, c_int::from(blocking));
        let start = Instant::now();
        let mut eagains = 0;
        let rc = loop {
            let rc = fu::libssh2_userauth_password_ex(
                sess,
                USER.as_ptr().cast(),
                USER.len() as _,
                OLD_PW.as_ptr().cast(),
                OLD_PW.len() as _,
                cb,
            );
            if rc != code::EAGAIN {
                break rc;
            }
            assert!(!blocking, "EAGAIN in blocking mode");
            assert!(start.elapsed() < BOUND, "authentication did not finish in {BOUND:?}");
            eagains += 1;
            std::thread::sleep(RETRY_PAUSE);
        };
        assert!(start.elapsed() < BOUND, "authentication took {:?}", start.elapsed());
        let authenticated = fu::libssh2_userauth_authenticated(sess);
        let errno = fs::libssh2_session_last_errno(sess);
        fs::libssh2_session_set_blocking(sess, 1);
        assert_eq!(fs::libssh2_session_free(sess), 0, "session free");
        (rc, authenticated, errno, eagains)
    };
    drop(stream);
    handle.join().expect("server thread").expect("server script");
    let requests = rx.try_iter().collect();
    Run { rc, calls: ctx.calls, authenticated, errno, eagains, requests }
}

/// In non-blocking mode the server's delays must have produced EAGAIN.
fn check_mode(r: &Run, blocking: bool) {
    if !blocking {
        assert!(r.eagains > 0, "the non-blocking run never saw EAGAIN");
    }
}

fn change_succeeds(blocking: bool) {
    let r = run(After::Success, true, Some(NEW_PW), blocking);
    assert_eq!(r.rc, 0, "password change then SUCCESS (errno {})", r.errno);
    assert_eq!(r.calls, 1, "the change callback runs exactly once");
    assert_eq!(r.authenticated, 1);
    assert_eq!(r.requests.len(), 2);
    assert_eq!(r.requests[0], password_request(false), "first request: plain password");
    assert_eq!(r.requests[1], password_request(true), "second request: TRUE, old, new");
    // Decode the change request field by field too, so a mismatch says where.
    let mut rd = Reader::new(&r.requests[1][1..]);
    assert_eq!(rd.string().unwrap(), USER);
    assert_eq!(rd.string().unwrap(), b"ssh-connection");
    assert_eq!(rd.string().unwrap(), b"password");
    assert_eq!(rd.u8().unwrap(), 1, "boolean TRUE");
    assert_eq!(rd.string().unwrap(), OLD_PW);
    assert_eq!(rd.string().unwrap(), NEW_PW);
    check_mode(&r, blocking);
}

#[test]
fn change_then_success_blocking() {
    change_succeeds(true);
}

#[test]
fn change_then_success_nonblocking() {
    change_succeeds(false);
}

fn no_callback(blocking: bool) {
    let r = run(After::Nothing, false, None, blocking);
    assert_eq!(r.rc, code::PASSWORD_EXPIRED);
    assert_eq!(r.errno, code::PASSWORD_EXPIRED);
    assert_eq!(r.calls, 0);
    assert_eq!(r.authenticated, 0);
    assert_eq!(r.requests, vec![password_request(false)], "no change request without a callback");
    check_mode(&r, blocking);
}

#[test]
fn no_callback_is_password_expired_blocking() {
    no_callback(true);
}

#[test]
fn no_callback_is_password_expired_nonblocking() {
    no_callback(false);
}

fn callback_declines(blocking: bool) {
    let r = run(After::Nothing, true, None, blocking);
    assert_eq!(r.rc, code::PASSWORD_EXPIRED, "callback returned NULL");
    assert_eq!(r.errno, code::PASSWORD_EXPIRED);
    assert_eq!(r.calls, 1);
    assert_eq!(r.authenticated, 0);
    assert_eq!(r.requests, vec![password_request(false)], "nothing sent after a NULL password");
    check_mode(&r, blocking);
}

#[test]
fn callback_null_password_blocking() {
    callback_declines(true);
}

#[test]
fn callback_null_password_nonblocking() {
    callback_declines(false);
}

fn change_rejected(blocking: bool) {
    let r = run(After::Failure, true, Some(NEW_PW), blocking);
    assert_eq!(r.rc, code::AUTHENTICATION_FAILED, "FAILURE after the change request");
    assert_eq!(r.errno, code::AUTHENTICATION_FAILED);
    assert_eq!(r.calls, 1);
    assert_eq!(r.authenticated, 0);
    assert_eq!(r.requests, vec![password_request(false), password_request(true)]);
    check_mode(&r, blocking);
}

#[test]
fn change_then_failure_blocking() {
    change_rejected(true);
}

#[test]
fn change_then_failure_nonblocking() {
    change_rejected(false);
}
