//! Hostile peers after key exchange (/work/shared/reference/hostile-peer-cases.md
//! cases 22-35) and transport faults against the real sshd. The scripted
//! server of tests/hostile/server.rs runs a real curve25519 exchange, accepts
//! any authentication and then speaks the connection protocol with crafted
//! packets. Everything goes through the C API, as a C program would use it.
//! Every case: the documented error code (or, where the list allows "dropped
//! or an error", nothing buffered beyond what we granted), bounded time, later
//! calls that fail instead of hanging, and a clean `libssh2_session_free`.

mod common;
#[path = "hostile/server.rs"]
mod server;

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void, CString};
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{pattern, Sshd, UserKey};

use server::{cmsg, fxp, serve_curve25519, sftp_packet, sftp_status, Hooks, Offer, Peer, SftpReq};
use ssh2::error::code;
use ssh2::ffi::channel as fc;
use ssh2::ffi::channel::LIBSSH2_CHANNEL;
use ssh2::ffi::handle::LIBSSH2_SESSION;
use ssh2::ffi::session as fs;
use ssh2::ffi::sftp as ff;
use ssh2::ffi::sftp::{LIBSSH2_SFTP, LIBSSH2_SFTP_HANDLE};
use ssh2::ffi::types::LIBSSH2_USERAUTH_KBDINT_RESPONSE;
use ssh2::ffi::types::{callback, LIBSSH2_SFTP_ATTRIBUTES, LIBSSH2_USERAUTH_KBDINT_PROMPT};
use ssh2::ffi::userauth as fu;
use ssh2::proto::wire::Writer;

/// Timeout given to the client: every case must end well before it.
const CLIENT_TIMEOUT_MS: i64 = 10_000;
/// Most a hostile case's client side may take.
const BOUND: Duration = Duration::from_secs(8);
/// Most a teardown call (close, shutdown, free) may take.
const TEARDOWN: Duration = Duration::from_secs(2);
/// Most a call that must fail at once (the connection is already dead) may take.
const PROMPT: Duration = Duration::from_secs(1);
/// The SFTP packet limit (LIBSSH2_SFTP_PACKET_MAXLEN).
const SFTP_PACKET_MAX: u32 = 256 * 1024;
/// LIBSSH2_SFTP_STAT / READLINK / REALPATH and open types.
const SFTP_STAT: c_int = 0;
const SFTP_READLINK: c_int = 1;
const SFTP_REALPATH: c_int = 2;
const OPENFILE: c_int = 0;
const OPENDIR: c_int = 1;
/// LIBSSH2_FXF_READ.
const FXF_READ: c_ulong = 1;

// ---- the client side ---------------------------------------------------------

/// A C session connected to a hostile server.
struct Client {
    sess: *mut LIBSSH2_SESSION,
    stream: TcpStream,
}

fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

impl Client {
    /// Connects and completes the handshake.
    fn handshake(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect to hostile server");
        // SAFETY: one C session driven through the exported API with valid arguments.
        unsafe {
            let sess = fs::libssh2_session_init_ex(None, None, None, ptr::null_mut());
            assert!(!sess.is_null());
            fs::libssh2_session_set_timeout(sess, CLIENT_TIMEOUT_MS as _);
            assert_eq!(fs::libssh2_session_handshake(sess, stream.as_raw_fd()), 0, "handshake");
            Client { sess, stream }
        }
    }

    /// Connects, completes the handshake and logs in with a password.
    fn login(addr: SocketAddr) -> Client {
        let c = Client::handshake(addr);
        assert_eq!(c.password(), 0, "password authentication");
        c
    }

    fn password(&self) -> c_int {
        let (u, p) = (cs("user"), cs("pw"));
        // SAFETY: live session; strings outlive the call.
        unsafe { fu::libssh2_userauth_password_ex(self.sess, u.as_ptr(), 4, p.as_ptr(), 2, None) }
    }

    fn errno(&self) -> c_int {
        // SAFETY: live session.
        unsafe { fs::libssh2_session_last_errno(self.sess) }
    }

    /// The last error as "code: message", for assertion messages.
    fn error(&self) -> String {
        let (mut m, mut len): (*mut c_char, c_int) = (ptr::null_mut(), 0);
        // SAFETY: live session; without want_buf the message is the session's own.
        let rc = unsafe { fs::libssh2_session_last_error(self.sess, &mut m, &mut len, 0) };
        // SAFETY: the message is valid for len bytes until the next call.
        let text = if m.is_null() {
            Vec::new()
        } else {
            unsafe { std::slice::from_raw_parts(m.cast::<u8>(), len as usize) }.to_vec()
        };
        format!("{rc}: {}", String::from_utf8_lossy(&text))
    }

    /// Opens a channel of `kind` with the given window and packet size.
    fn open(&self, kind: &str, window: u32, packet: u32) -> *mut LIBSSH2_CHANNEL {
        // SAFETY: live session; the type outlives the call.
        let ch = unsafe {
            fc::libssh2_channel_open_ex(
                self.sess,
                kind.as_ptr().cast(),
                kind.len() as c_uint,
                window,
                packet,
                ptr::null(),
                0,
            )
        };
        assert!(!ch.is_null(), "channel open: {}", self.error());
        ch
    }

    /// A session channel with libssh2's default window and packet size.
    fn session_channel(&self) -> *mut LIBSSH2_CHANNEL {
        self.open("session", 0, 0)
    }

    /// Starts SFTP; the instance or the error code.
    fn sftp(&self) -> Result<*mut LIBSSH2_SFTP, c_int> {
        // SAFETY: live session.
        let s = unsafe { ff::libssh2_sftp_init(self.sess) };
        if s.is_null() {
            Err(self.errno())
        } else {
            Ok(s)
        }
    }

    /// Frees the session: promptly and cleanly.
    fn free(self) {
        let t = Instant::now();
        // SAFETY: live session, freed once.
        let rc = unsafe { fs::libssh2_session_free(self.sess) };
        assert_eq!(rc, 0, "libssh2_session_free");
        assert!(t.elapsed() < TEARDOWN, "session_free took {:?}", t.elapsed());
        drop(self.stream);
    }
}

/// Runs `script` as the server and `client` against it; checks the client's
/// time bound and that the server thread did not panic. Returns both results.
fn run<S, C, R>(script: S, client: C) -> (R, io::Result<()>)
where
    S: FnOnce(&mut Peer) -> io::Result<()> + Send + 'static,
    C: FnOnce(SocketAddr) -> R,
{
    let (addr, h) = server::spawn(move |p: &mut Peer| {
        let r = script(p);
        if let Err(e) = &r {
            eprintln!("hostile server script ended with: {e}");
        }
        r
    });
    let start = Instant::now();
    let r = client(addr);
    assert!(start.elapsed() < BOUND, "client side took {:?}", start.elapsed());
    let server = h.join().expect("hostile server thread panicked");
    (r, server)
}

/// Logs in with the default modern offer.
fn login(p: &mut Peer) -> io::Result<()> {
    p.login(&Offer::modern(true))
}

/// Reads stream `stream` until EOF or error: (bytes, final rc).
fn read_all(ch: *mut LIBSSH2_CHANNEL, stream: c_int) -> (Vec<u8>, isize) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: live channel; buf writable.
        let n = unsafe { fc::libssh2_channel_read_ex(ch, stream, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return (out, n);
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
}

/// Tells the server the channel is ready for its crafted packets.
fn go(ch: *mut LIBSSH2_CHANNEL) {
    // SAFETY: live channel; the bytes are readable.
    let n = unsafe { fc::libssh2_channel_write_ex(ch, 0, b"go".as_ptr().cast(), 2) };
    assert_eq!(n, 2, "writing the go signal");
}

/// (remaining receive window, buffered unread bytes, initial window) of a channel.
fn window(ch: *mut LIBSSH2_CHANNEL) -> (u64, u64, u64) {
    let (mut avail, mut initial): (c_ulong, c_ulong) = (0, 0);
    // SAFETY: live channel; out-pointers valid.
    let w = unsafe { fc::libssh2_channel_window_read_ex(ch, &mut avail, &mut initial) };
    (w as u64, avail, initial)
}

/// Asserts a call on a dead connection fails promptly with a negative code.
fn fails_promptly(what: &str, f: impl FnOnce() -> isize) {
    let t = Instant::now();
    let rc = f();
    assert!(rc < 0 && rc != code::EAGAIN as isize, "{what} after a fatal error returned {rc}");
    assert!(t.elapsed() < PROMPT, "{what} after a fatal error took {:?}", t.elapsed());
}

fn string(v: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(v);
    w.buf
}

fn u32be(v: u32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

// ---- 22: USERAUTH_FAILURE and INFO_REQUEST ---------------------------------------

/// A server that answers the first authentication request with `first` and
/// the second with a well-formed FAILURE listing "password".
fn auth_script(first: Vec<u8>) -> impl FnOnce(&mut Peer) -> io::Result<()> + Send + 'static {
    move |p: &mut Peer| {
        serve_curve25519(p, &Offer::modern(true), &Hooks::default())?;
        p.expect(cmsg::USERAUTH_REQUEST)?;
        p.send(&first)?;
        p.expect(cmsg::USERAUTH_REQUEST)?;
        let mut w = Writer::msg(cmsg::USERAUTH_FAILURE);
        w.string(b"password").bool(false);
        p.send(&w.buf)?;
        p.serve_until_closed()
    }
}

fn failure_with_list_len(len: u32) -> Vec<u8> {
    let mut v = vec![cmsg::USERAUTH_FAILURE];
    v.extend(u32be(len));
    v.extend_from_slice(b"password");
    v.push(0);
    v
}

#[test]
fn c22_userauth_failure_list_past_the_end() {
    let bad: Vec<(String, Vec<u8>)> = vec![
        ("length 10".into(), failure_with_list_len(10)),
        ("length 0x7FFFFFFF".into(), failure_with_list_len(0x7FFF_FFFF)),
        ("length 0xFFFFFFF0".into(), failure_with_list_len(0xFFFF_FFF0)),
        ("length 0xFFFFFFFF".into(), failure_with_list_len(0xFFFF_FFFF)),
        ("no list".into(), vec![cmsg::USERAUTH_FAILURE]),
        ("half a length".into(), vec![cmsg::USERAUTH_FAILURE, 0, 0]),
    ];
    for (what, payload) in bad {
        let ((first, second), _) = run(auth_script(payload), |addr| {
            let c = Client::handshake(addr);
            let u = cs("user");
            // SAFETY: live session; the name outlives the calls.
            let first = unsafe { fu::libssh2_userauth_list(c.sess, u.as_ptr(), 4) };
            let first = if first.is_null() { c.errno() } else { 0 };
            // The session stays usable: the next (well-formed) reply is read correctly.
            // SAFETY: as above; the list is a NUL-terminated string owned by the session.
            let second = unsafe {
                let l = fu::libssh2_userauth_list(c.sess, u.as_ptr(), 4);
                assert!(!l.is_null(), "{what}: second list call failed with {}", c.errno());
                std::ffi::CStr::from_ptr(l).to_bytes().to_vec()
            };
            c.free();
            (first, second)
        });
        assert_eq!(first, code::PROTO, "{what}");
        assert_eq!(second, b"password", "{what}");
    }
    // The same replies to a password request: authentication fails, nothing more.
    let (rc, _) = run(auth_script(failure_with_list_len(0xFFFF_FFFF)), |addr| {
        let c = Client::handshake(addr);
        let rc = c.password();
        // SAFETY: live session.
        assert_eq!(unsafe { fu::libssh2_userauth_authenticated(c.sess) }, 0);
        c.free();
        rc
    });
    assert_eq!(rc, code::AUTHENTICATION_FAILED);
}

thread_local! {
    /// Prompts the keyboard-interactive callback saw in its last call (-1: not called).
    static PROMPTS_SEEN: Cell<c_int> = const { Cell::new(-1) };
}

unsafe extern "C" fn kbd_answer(
    _name: *const c_char,
    _name_len: c_int,
    _instr: *const c_char,
    _instr_len: c_int,
    num_prompts: c_int,
    _prompts: *const LIBSSH2_USERAUTH_KBDINT_PROMPT,
    _responses: *mut LIBSSH2_USERAUTH_KBDINT_RESPONSE,
    _abstract: *mut *mut c_void,
) {
    PROMPTS_SEEN.with(|c| c.set(num_prompts));
}

/// INFO_REQUEST head (name, instruction, language) followed by `tail`.
fn info_request(tail: &[u8]) -> Vec<u8> {
    let mut w = Writer::msg(cmsg::USERAUTH_INFO_REQUEST);
    w.string(b"name").string(b"instruction").string(b"");
    w.raw(tail);
    w.buf
}

fn prompts(n: u32, present: u32) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(n);
    for i in 0..present {
        w.string(format!("Prompt {i}: ").as_bytes()).bool(false);
    }
    w.buf
}

/// Runs keyboard-interactive against a server sending `request`; if the
/// client answers, the server checks the answer count and sends SUCCESS.
/// Returns (rc, prompts the callback saw).
fn kbdint_case(request: Vec<u8>, answers: Option<u32>) -> (c_int, c_int) {
    let (r, server) = run(
        move |p: &mut Peer| {
            serve_curve25519(p, &Offer::modern(true), &Hooks::default())?;
            p.expect(cmsg::USERAUTH_REQUEST)?;
            p.send(&request)?;
            if let Some(n) = answers {
                let resp = p.expect(cmsg::USERAUTH_INFO_RESPONSE)?;
                if resp.get(1..5) != Some(&n.to_be_bytes()[..]) {
                    return Err(io::Error::other("wrong number of answers"));
                }
                p.send(&[cmsg::USERAUTH_SUCCESS])?;
            }
            p.serve_until_closed()
        },
        |addr| {
            let c = Client::handshake(addr);
            PROMPTS_SEEN.with(|c| c.set(-1));
            let u = cs("user");
            // SAFETY: live session; callback matches the C prototype.
            let rc = unsafe { fu::libssh2_userauth_keyboard_interactive_ex(c.sess, u.as_ptr(), 4, Some(kbd_answer)) };
            c.free();
            (rc, PROMPTS_SEEN.with(Cell::get))
        },
    );
    if answers.is_some() {
        server.expect("server side of keyboard-interactive");
    }
    r
}

#[test]
fn c22_info_request_prompt_counts() {
    // 100 prompts is libssh2's limit and works.
    assert_eq!(kbdint_case(info_request(&prompts(100, 100)), Some(100)), (0, 100));
    // 101 prompts, or a count of 0xFFFFFFFF, is refused before any allocation or callback.
    for (n, present) in [(101u32, 101u32), (101, 0), (0xFFFF_FFFF, 0), (0xFFFF_FFFF, 3), (0x8000_0000, 1)] {
        let (rc, seen) = kbdint_case(info_request(&prompts(n, present)), None);
        assert_eq!(rc, code::OUT_OF_BOUNDARY, "{n} prompts");
        assert_eq!(seen, -1, "{n} prompts reached the callback");
    }
    // Counts within the limit that the packet does not hold, and lengths past the end.
    let mut past = prompts(2, 1);
    past.extend(u32be(0xFFFF_FFF0));
    past.extend_from_slice(b"Password: ");
    let cases = vec![
        ("count 50, no prompts", info_request(&prompts(50, 0))),
        ("count 3, two prompts", info_request(&prompts(3, 2))),
        ("prompt length past the end", info_request(&past)),
        ("no echo flag", {
            let mut v = info_request(&prompts(1, 0));
            v.extend(string(b"Password: "));
            v
        }),
        ("name length past the end", {
            let mut v = vec![cmsg::USERAUTH_INFO_REQUEST];
            v.extend(u32be(0xFFFF_FFFF));
            v.extend_from_slice(b"name");
            v
        }),
        ("no count", {
            let mut w = Writer::msg(cmsg::USERAUTH_INFO_REQUEST);
            w.string(b"n").string(b"i").string(b"");
            w.buf
        }),
    ];
    for (what, req) in cases {
        let (rc, seen) = kbdint_case(req, None);
        assert_eq!(rc, code::PROTO, "{what}");
        assert_eq!(seen, -1, "{what} reached the callback");
    }
}

// ---- 25: WINDOW_ADJUST overflow ---------------------------------------------------

/// Logs in, accepts a session channel with window `w0`, sends `adjusts`,
/// then a little data and EOF.
fn adjust_script(w0: u32, adjusts: Vec<u32>) -> impl FnOnce(&mut Peer) -> io::Result<()> + Send + 'static {
    move |p: &mut Peer| {
        login(p)?;
        p.accept_channel(w0, server::SERVER_PACKET)?;
        p.read_data(2)?;
        for a in adjusts {
            p.chan_msg(cmsg::CHANNEL_WINDOW_ADJUST, &u32be(a))?;
        }
        p.data(b"after")?;
        p.chan_msg(cmsg::CHANNEL_EOF, &[])?;
        p.serve_until_closed()
    }
}

#[test]
fn c25_window_adjust_overflow_is_proto() {
    // The client's "go" takes 2 bytes of the initial window first.
    for (w0, adjusts) in [
        (0x7FFF_FFFFu32, vec![0x8000_0010u32]),
        (0x7FFF_FFFF, vec![0xFFFF_FFFF]),
        (10, vec![0xFFFF_FFFF]),
        (2, vec![0x8000_0000, 0x8000_0000]),
        (2, vec![0xFFFF_FFFF, 1]),
        (2, vec![0x4000_0000, 0x4000_0000, 0x4000_0000, 0x4000_0000]),
    ] {
        let ((rc, later), _) = run(adjust_script(w0, adjusts.clone()), |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            go(ch);
            let mut buf = [0u8; 64];
            // SAFETY: live channel; buf writable.
            let rc = unsafe { fc::libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len()) };
            // The connection is dead now: later calls fail at once.
            let t = Instant::now();
            // SAFETY: as above.
            let later = unsafe { fc::libssh2_channel_write_ex(ch, 0, b"x".as_ptr().cast(), 1) };
            assert!(t.elapsed() < PROMPT);
            c.free();
            (rc, later)
        });
        assert_eq!(rc, code::PROTO as isize, "window {w0:#x} + {adjusts:x?}");
        assert!(later < 0, "a write after the overflow returned {later}");
    }
}

#[test]
fn c25_window_adjust_up_to_the_limit_is_fine() {
    // 0 + 0xFFFFFFFF is the largest window RFC 4254 allows: data then flows.
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let expect = payload.clone();
    let (got, server) = run(
        move |p: &mut Peer| {
            login(p)?;
            p.accept_channel(0, server::SERVER_PACKET)?;
            p.chan_msg(cmsg::CHANNEL_WINDOW_ADJUST, &u32be(0xFFFF_FFFF))?;
            let got = p.read_data(expect.len())?;
            if got != expect {
                return Err(io::Error::other("data corrupted"));
            }
            p.data(b"ok")?;
            p.chan_msg(cmsg::CHANNEL_EOF, &[])?;
            p.serve_until_closed()
        },
        |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            let mut off = 0;
            while off < payload.len() {
                // SAFETY: live channel; the slice is readable.
                let n =
                    unsafe { fc::libssh2_channel_write_ex(ch, 0, payload[off..].as_ptr().cast(), payload.len() - off) };
                assert!(n > 0, "write after a maximal window adjust: {n}");
                off += n as usize;
            }
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0);
            c.free();
            got
        },
    );
    server.expect("server side");
    assert_eq!(got, b"ok");
}

// ---- 26: CHANNEL_DATA beyond the window, for unknown channels, malformed --------

/// Logs in, accepts the client's channel, runs `then`, sends EOF and serves on.
fn data_script<F>(then: F) -> impl FnOnce(&mut Peer) -> io::Result<()> + Send + 'static
where
    F: FnOnce(&mut Peer) -> io::Result<()> + Send + 'static,
{
    move |p: &mut Peer| {
        login(p)?;
        p.accept_channel(server::SERVER_WINDOW, server::SERVER_PACKET)?;
        // Crafted packets only after the open completed, so they meet a read.
        p.read_data(2)?;
        then(p)?;
        p.chan_msg(cmsg::CHANNEL_EOF, &[])?;
        p.serve_until_closed()
    }
}

fn data_msg(bytes: &[u8]) -> Vec<u8> {
    string(bytes)
}

#[test]
fn c26_data_beyond_the_window_is_dropped() {
    // Window 1024: two 512-byte packets fit, the next two do not.
    let ((avail, win, got), _) = run(
        data_script(|p| {
            for b in [b'a', b'b', b'c', b'd'] {
                p.chan_msg(cmsg::CHANNEL_DATA, &data_msg(&[b; 512]))?;
            }
            Ok(())
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.open("session", 1024, 1024);
            go(ch);
            // Take everything in without reading (no window is given back).
            // SAFETY: live channel.
            assert_eq!(unsafe { fc::libssh2_channel_wait_eof(ch) }, 0);
            let (win, avail, initial) = window(ch);
            assert_eq!(initial, 1024);
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0);
            c.free();
            (avail, win, got)
        },
    );
    assert_eq!((avail, win), (1024, 0), "buffered and window left");
    assert_eq!(got, [vec![b'a'; 512], vec![b'b'; 512]].concat());
}

#[test]
fn c26_data_beyond_the_max_packet_is_dropped() {
    let ((avail, got), _) = run(
        data_script(|p| {
            p.chan_msg(cmsg::CHANNEL_DATA, &data_msg(&[b'x'; 3000]))?;
            p.chan_msg(cmsg::CHANNEL_DATA, &data_msg(b"fits"))?;
            Ok(())
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.open("session", 65536, 1024);
            go(ch);
            // SAFETY: live channel.
            assert_eq!(unsafe { fc::libssh2_channel_wait_eof(ch) }, 0);
            let (_, avail, _) = window(ch);
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0);
            c.free();
            (avail, got)
        },
    );
    assert_eq!(avail, 4);
    assert_eq!(got, b"fits");
}

#[test]
fn c26_extended_data_beyond_the_window_is_dropped() {
    let ((err, out), _) = run(
        data_script(|p| {
            let mut w = Writer::new();
            w.u32(1).string(&[b'e'; 600]);
            p.chan_msg(cmsg::CHANNEL_EXTENDED_DATA, &w.buf)?;
            p.chan_msg(cmsg::CHANNEL_DATA, &data_msg(&[b'o'; 600]))?;
            Ok(())
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.open("session", 1024, 1024);
            go(ch);
            // SAFETY: live channel.
            assert_eq!(unsafe { fc::libssh2_channel_wait_eof(ch) }, 0);
            let (_, avail, _) = window(ch);
            assert!(avail <= 1024, "{avail} bytes buffered with a 1024-byte window");
            let (err, rc1) = read_all(ch, 1);
            let (out, rc0) = read_all(ch, 0);
            assert_eq!((rc0, rc1), (0, 0));
            c.free();
            (err, out)
        },
    );
    assert_eq!(err, vec![b'e'; 600]);
    assert!(out.is_empty(), "stdout past the window was buffered: {} bytes", out.len());
}

#[test]
fn c26_messages_for_unknown_channels_are_dropped() {
    let (got, _) = run(
        data_script(|p| {
            for recipient in [99u32, 0xFFFF_FFFF, 1] {
                let mut send = |t: u8, rest: &[u8]| {
                    let mut w = Writer::msg(t);
                    w.u32(recipient).raw(rest);
                    p.send(&w.buf)
                };
                send(cmsg::CHANNEL_DATA, &data_msg(b"stray"))?;
                send(cmsg::CHANNEL_EXTENDED_DATA, &[u32be(1), data_msg(b"stray")].concat())?;
                send(cmsg::CHANNEL_WINDOW_ADJUST, &u32be(0xFFFF_FFFF))?;
                send(cmsg::CHANNEL_REQUEST, &[string(b"exit-status"), vec![1], u32be(9)].concat())?;
                send(cmsg::CHANNEL_SUCCESS, &[])?;
                send(cmsg::CHANNEL_FAILURE, &[])?;
                send(cmsg::CHANNEL_EOF, &[])?;
                send(cmsg::CHANNEL_CLOSE, &[])?;
            }
            p.data(b"real data")
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            go(ch);
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0, "the stray messages broke the session");
            // SAFETY: live channel.
            assert_eq!(unsafe { fc::libssh2_channel_get_exit_status(ch) }, 0);
            c.free();
            got
        },
    );
    assert_eq!(got, b"real data");
}

#[test]
fn c26_channel_messages_without_a_recipient_are_proto() {
    for t in
        [cmsg::CHANNEL_DATA, cmsg::CHANNEL_EOF, cmsg::CHANNEL_CLOSE, cmsg::CHANNEL_WINDOW_ADJUST, cmsg::CHANNEL_REQUEST]
    {
        let (rc, _) = run(data_script(move |p| p.send(&[t, 0, 0])), |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            go(ch);
            let (got, rc) = read_all(ch, 0);
            assert!(got.is_empty());
            fails_promptly("read", || read_all(ch, 0).1);
            c.free();
            rc
        });
        assert_eq!(rc, code::PROTO as isize, "message {t} with half a recipient");
    }
}

#[test]
fn c26_inner_length_disagreeing_with_the_packet() {
    // Longer than the packet: nothing of it is delivered, the connection fails.
    for claimed in [11u32, 5000, 0x7FFF_FFFF, 0xFFFF_FFFF] {
        let ((got, rc, avail), _) = run(
            data_script(move |p| {
                p.data(b"good ")?;
                let mut v = u32be(claimed);
                v.extend_from_slice(b"0123456789");
                p.chan_msg(cmsg::CHANNEL_DATA, &v)?;
                p.data(b"never")
            }),
            |addr| {
                let c = Client::login(addr);
                let ch = c.session_channel();
                go(ch);
                let mut buf = vec![0u8; 64];
                let mut got = Vec::new();
                let rc = loop {
                    // SAFETY: live channel; buf writable.
                    let n = unsafe { fc::libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len()) };
                    if n <= 0 {
                        break n;
                    }
                    got.extend_from_slice(&buf[..n as usize]);
                };
                let (_, avail, _) = window(ch);
                // Data that arrived intact before the bad packet may still be
                // handed out; after it every call fails at once.
                let rest = loop {
                    let t = Instant::now();
                    // SAFETY: as above.
                    let n = unsafe { fc::libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len()) };
                    assert!(t.elapsed() < PROMPT, "read after the fatal error took {:?}", t.elapsed());
                    if n <= 0 {
                        break n;
                    }
                    got.extend_from_slice(&buf[..n as usize]);
                };
                assert!(rest < 0 && rest != code::EAGAIN as isize, "read after the fatal error: {rest}");
                c.free();
                (got, rc, avail)
            },
        );
        assert_eq!(rc, code::PROTO as isize, "claimed {claimed}");
        assert!(b"good ".starts_with(&got), "claimed {claimed}: read {got:?}");
        assert!(avail <= 5, "claimed {claimed}: {avail} bytes buffered");
    }
    // Shorter than the packet: the string is the data, the trailing bytes are not.
    let (got, _) = run(
        data_script(|p| {
            let mut v = string(b"hi");
            v.extend_from_slice(b"TRAILING-GARBAGE");
            p.chan_msg(cmsg::CHANNEL_DATA, &v)?;
            let mut v = vec![0u8; 4];
            v.extend_from_slice(b"GARBAGE");
            p.chan_msg(cmsg::CHANNEL_DATA, &v)?;
            p.data(b" there")
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            go(ch);
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0);
            c.free();
            got
        },
    );
    assert_eq!(got, b"hi there");
}

#[test]
fn c26_flood_ignoring_the_window_stays_bounded() {
    // The server sends 4 MiB in 32 KiB packets with no regard for our 64 KiB
    // window; we read slowly. Buffered data never exceeds what we granted:
    // the window asked for plus, as in libssh2, the length of the read.
    const WINDOW: u32 = 64 * 1024;
    const PACKETS: usize = 128;
    const READ_LEN: usize = 4096;
    let ((total, max_avail), _) = run(
        data_script(|p| {
            let chunk = vec![b'f'; 32 * 1024];
            for _ in 0..PACKETS {
                p.chan_msg(cmsg::CHANNEL_DATA, &data_msg(&chunk))?;
            }
            Ok(())
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.open("session", WINDOW, 32 * 1024);
            go(ch);
            let mut buf = vec![0u8; READ_LEN];
            let (mut total, mut max_avail) = (0usize, 0u64);
            loop {
                // SAFETY: live channel; buf writable.
                let n = unsafe { fc::libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len()) };
                assert!(n >= 0, "read failed: {n}");
                let (win, avail, initial) = window(ch);
                let granted = initial + buf.len() as u64;
                assert!(avail + win <= granted, "buffered {avail} + window {win} > granted {granted}");
                assert!(buf[..n as usize].iter().all(|&b| b == b'f'));
                max_avail = max_avail.max(avail);
                if n == 0 {
                    break;
                }
                total += n as usize;
            }
            c.free();
            (total, max_avail)
        },
    );
    assert!(max_avail <= WINDOW as u64 + READ_LEN as u64);
    assert!(total <= PACKETS * 32 * 1024);
    assert!(total >= WINDOW as usize, "read only {total}");
}

// ---- 27: exit-status / exit-signal ------------------------------------------------

/// Runs `exec` on a channel; the server sends `request` (after the channel
/// number) as a CHANNEL_REQUEST, then "done" and EOF. Returns (read rc, data,
/// exit status, exit signal name).
fn exit_case(request: Vec<u8>) -> (isize, Vec<u8>, c_int, Option<Vec<u8>>) {
    exit_case_after(b"", request)
}

/// As `exit_case`, with `before` sent as data ahead of the request.
fn exit_case_after(before: &'static [u8], request: Vec<u8>) -> (isize, Vec<u8>, c_int, Option<Vec<u8>>) {
    run(
        move |p: &mut Peer| {
            login(p)?;
            p.accept_channel(server::SERVER_WINDOW, server::SERVER_PACKET)?;
            p.grant_request(b"exec")?;
            p.read_data(2)?;
            if !before.is_empty() {
                p.data(before)?;
            }
            p.chan_msg(cmsg::CHANNEL_REQUEST, &request)?;
            p.data(b"done")?;
            p.chan_msg(cmsg::CHANNEL_EOF, &[])?;
            p.serve_until_closed()
        },
        |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            // SAFETY: live channel; strings outlive the call.
            let rc =
                unsafe { fc::libssh2_channel_process_startup(ch, b"exec".as_ptr().cast(), 4, b"x".as_ptr().cast(), 1) };
            assert_eq!(rc, 0);
            go(ch);
            let (got, rc) = read_all(ch, 0);
            // SAFETY: live channel; out-pointers valid; the name comes from the session allocator.
            let (status, sig) = unsafe {
                let status = fc::libssh2_channel_get_exit_status(ch);
                let (mut name, mut len): (*mut c_char, usize) = (ptr::null_mut(), 0);
                let r = fc::libssh2_channel_get_exit_signal(
                    ch,
                    &mut name,
                    &mut len,
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                );
                assert_eq!(r, 0);
                let sig = (!name.is_null()).then(|| std::slice::from_raw_parts(name.cast::<u8>(), len).to_vec());
                if !name.is_null() {
                    ssh2::ffi::misc::libssh2_free(c.sess, name.cast());
                }
                (status, sig)
            };
            c.free();
            (rc, got, status, sig)
        },
    )
    .0
}

fn request(name: &[u8], rest: &[u8]) -> Vec<u8> {
    [string(name), vec![0], rest.to_vec()].concat()
}

#[test]
fn c27_exit_status_and_signal_malformed() {
    // Well-formed: the status and signal arrive.
    let (rc, got, status, _) = exit_case(request(b"exit-status", &u32be(42)));
    assert_eq!((rc, got.as_slice(), status), (0, &b"done"[..], 42));
    let sig = [string(b"KILL"), vec![0], string(b"killed"), string(b"")].concat();
    let (rc, _, _, name) = exit_case(request(b"exit-signal", &sig));
    assert_eq!((rc, name.as_deref()), (0, Some(&b"KILL"[..])));

    let mut huge_name = u32be(0xFFFF_FFFF);
    huge_name.extend_from_slice(b"KILL");
    let mut type_past = u32be(0x7FFF_FFFF);
    type_past.extend_from_slice(b"exit-status\0");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("exit-status without a value", request(b"exit-status", &[])),
        ("exit-status with half a value", request(b"exit-status", &[0, 0])),
        ("exit-signal name length 0xFFFFFFFF", request(b"exit-signal", &huge_name)),
        (
            "exit-signal name length 0x7FFFFFF0",
            request(b"exit-signal", &[u32be(0x7FFF_FFF0), b"TERM".to_vec()].concat()),
        ),
        ("exit-signal without message", request(b"exit-signal", &[string(b"TERM"), vec![0]].concat())),
        ("request type length past the packet", type_past),
        ("request type length 0xFFFFFFFF", [u32be(0xFFFF_FFFF), b"exit".to_vec()].concat()),
        ("no want-reply flag", string(b"exit-status")),
    ];
    for (what, req) in cases {
        let (rc, got, status, sig) = exit_case(req);
        // A malformed message ends the connection; nothing of it is taken as a status.
        assert_eq!(rc, code::PROTO as isize, "{what}");
        assert!(b"done".starts_with(&got), "{what}: {got:?}");
        assert_eq!(status, 0, "{what}: exit status taken from a malformed request");
        assert_eq!(sig, None, "{what}: exit signal taken from a malformed request");
    }
}

/// Data that arrived before a malformed request is still delivered, as
/// libssh2 delivers it; the protocol error comes on the read after it.
#[test]
fn c27_data_before_a_malformed_exit_signal_is_delivered() {
    let (rc, got, _, sig) = exit_case_after(b"before", request(b"exit-signal", &u32be(0xFFFF_FFFF)));
    assert_eq!(rc, code::PROTO as isize);
    assert!(got.starts_with(b"before"), "data before the error: {got:?}");
    assert_eq!(sig, None);
}

// ---- 28: truncated server-initiated CHANNEL_OPEN -------------------------------------

thread_local! {
    static X11_CALLS: Cell<u32> = const { Cell::new(0) };
    static AGENT_CALLS: Cell<u32> = const { Cell::new(0) };
}

unsafe extern "C" fn on_x11(
    _s: *mut LIBSSH2_SESSION,
    _ch: *mut LIBSSH2_CHANNEL,
    shost: *const c_char,
    sport: c_int,
    _ab: *mut *mut c_void,
) {
    // SAFETY: the library passes a NUL-terminated host.
    let host = unsafe { std::ffi::CStr::from_ptr(shost) };
    // Only a call with the originator of the well-formed open counts (no panics across C).
    if host.to_bytes() == b"10.1.2.3" && sport == 6010 {
        X11_CALLS.with(|c| c.set(c.get() + 1));
    }
}

unsafe extern "C" fn on_agent(_s: *mut LIBSSH2_SESSION, _ch: *mut LIBSSH2_CHANNEL, _ab: *mut *mut c_void) {
    AGENT_CALLS.with(|c| c.set(c.get() + 1));
}

fn open_msg(kind: &[u8], sender: u32, rest: &[u8]) -> Vec<u8> {
    let mut w = Writer::msg(cmsg::CHANNEL_OPEN);
    w.string(kind).u32(sender).raw(rest);
    w.buf
}

/// Window and packet of a server open.
fn wp() -> Vec<u8> {
    [u32be(65536), u32be(32768)].concat()
}

#[test]
fn c28_truncated_inbound_channel_opens_are_refused() {
    const PORT: u32 = 2222;
    let fwd = |rest: &[u8]| [wp(), rest.to_vec()].concat();
    let good_fwd = fwd(&[string(b"localhost"), u32be(PORT), string(b"10.9.8.7"), u32be(4000)].concat());
    // (sender, payload): each must be refused with OPEN_FAILURE to that sender.
    let refused: Vec<(u32, Vec<u8>)> = vec![
        (100, open_msg(b"forwarded-tcpip", 100, &[])),
        (101, open_msg(b"forwarded-tcpip", 101, &u32be(65536))),
        (102, open_msg(b"forwarded-tcpip", 102, &wp())),
        (103, open_msg(b"forwarded-tcpip", 103, &fwd(&[u32be(0xFFFF_FFFF), b"localhost".to_vec()].concat()))),
        (104, open_msg(b"forwarded-tcpip", 104, &fwd(&string(b"localhost")))),
        (105, open_msg(b"forwarded-tcpip", 105, &fwd(&[string(b"localhost"), u32be(PORT)].concat()))),
        (
            106,
            open_msg(b"forwarded-tcpip", 106, &fwd(&[string(b"localhost"), u32be(PORT), string(b"10.9.8.7")].concat())),
        ),
        (
            107,
            open_msg(b"forwarded-tcpip", 107, &fwd(&[string(b"localhost"), u32be(PORT), u32be(0x7FFF_FFFF)].concat())),
        ),
        (108, open_msg(b"x11", 108, &[])),
        (109, open_msg(b"x11", 109, &wp())),
        (110, open_msg(b"x11", 110, &[wp(), string(b"10.1.2.3")].concat())),
        (111, open_msg(b"x11", 111, &[wp(), u32be(0xFFFF_FFF0)].concat())),
        (112, open_msg(b"auth-agent@openssh.com", 112, &[])),
        (113, open_msg(b"auth-agent@openssh.com", 113, &u32be(65536))),
        (114, open_msg(b"session", 114, &wp())),
    ];
    // Opens without even a sender cannot be answered: they are dropped.
    let unanswerable: Vec<Vec<u8>> = vec![
        vec![cmsg::CHANNEL_OPEN],
        [vec![cmsg::CHANNEL_OPEN], u32be(1000), b"forwarded".to_vec()].concat(),
        [vec![cmsg::CHANNEL_OPEN], u32be(0xFFFF_FFFF)].concat(),
        [vec![cmsg::CHANNEL_OPEN], string(b"x11"), vec![0, 0]].concat(),
    ];
    let good: Vec<(u32, Vec<u8>)> = vec![
        (120, open_msg(b"forwarded-tcpip", 120, &good_fwd)),
        (121, open_msg(b"x11", 121, &[wp(), string(b"10.1.2.3"), u32be(6010)].concat())),
        (122, open_msg(b"auth-agent@openssh.com", 122, &wp())),
    ];
    let script = move |p: &mut Peer| -> io::Result<()> {
        login(p)?;
        // x11 and agent channels are accepted only after we asked for them.
        p.accept_channel(server::SERVER_WINDOW, server::SERVER_PACKET)?;
        p.grant_request(b"x11-req")?;
        p.grant_request(b"auth-agent-req@openssh.com")?;
        let req = p.expect_conn(cmsg::GLOBAL_REQUEST)?;
        if !req.windows(13).any(|w| w == b"tcpip-forward") {
            return Err(io::Error::other("expected tcpip-forward"));
        }
        p.send(&[cmsg::REQUEST_SUCCESS])?;
        for (sender, payload) in &refused {
            p.send(payload)?;
            let r = p.expect_conn(cmsg::CHANNEL_OPEN_FAILURE)?;
            if r.get(1..5) != Some(&sender.to_be_bytes()[..]) {
                return Err(io::Error::other(format!("refusal for {sender} went to {:?}", r.get(1..5))));
            }
        }
        for payload in &unanswerable {
            p.send(payload)?;
        }
        let mut fwd_client = 0;
        for (sender, payload) in &good {
            p.send(payload)?;
            let r = p.expect_conn_any()?;
            if r.first() != Some(&cmsg::CHANNEL_OPEN_CONFIRMATION) {
                return Err(io::Error::other(format!("open {sender} answered with {:?}", String::from_utf8_lossy(&r))));
            }
            if r.get(1..5) != Some(&sender.to_be_bytes()[..]) {
                return Err(io::Error::other(format!("confirmation for {sender} went to {:?}", r.get(1..5))));
            }
            let theirs = u32::from_be_bytes(r[5..9].try_into().unwrap());
            p.chans.insert(*sender, theirs);
            if *sender == 120 {
                fwd_client = theirs;
            }
        }
        let mut w = Writer::msg(cmsg::CHANNEL_DATA);
        w.u32(fwd_client).string(b"forwarded");
        p.send(&w.buf)?;
        let mut w = Writer::msg(cmsg::CHANNEL_EOF);
        w.u32(fwd_client);
        p.send(&w.buf)?;
        p.serve_until_closed()
    };
    let (got, server) = run(script, |addr| {
        let c = Client::login(addr);
        X11_CALLS.with(|c| c.set(0));
        AGENT_CALLS.with(|c| c.set(0));
        // SAFETY: live session; callbacks match the C prototypes; strings outlive the calls.
        unsafe {
            fs::libssh2_session_callback_set2(c.sess, callback::X11, on_x11 as *mut c_void);
            fs::libssh2_session_callback_set2(c.sess, callback::AUTHAGENT, on_agent as *mut c_void);
            let session = c.session_channel();
            assert_eq!(fc::libssh2_channel_x11_req_ex(session, 0, ptr::null(), ptr::null(), 0), 0);
            assert_eq!(fc::libssh2_channel_request_auth_agent(session), 0);
            let host = cs("localhost");
            let mut bound: c_int = 0;
            let l = ssh2::ffi::forward::libssh2_channel_forward_listen_ex(
                c.sess,
                host.as_ptr(),
                PORT as c_int,
                &mut bound,
                4,
            );
            assert!(!l.is_null(), "listen: {}", c.errno());
            let ch = ssh2::ffi::forward::libssh2_channel_forward_accept(l);
            assert!(!ch.is_null(), "accept: {}", c.errno());
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0);
            c.free();
            got
        }
    });
    server.expect("server side: every truncated open refused, every good one confirmed");
    assert_eq!(got, b"forwarded");
    assert_eq!(X11_CALLS.with(Cell::get), 1, "x11 callback calls");
    assert_eq!(AGENT_CALLS.with(Cell::get), 1, "agent callback calls");
}

// ---- SFTP (29-34) ---------------------------------------------------------------

/// Logs in and starts SFTP against a server sending `version` (None: plain v3),
/// then serving requests with `f`. Runs `client` with the instance.
fn sftp_case<F, C, R>(version: Option<Vec<u8>>, f: F, client: C) -> (R, io::Result<()>)
where
    F: FnMut(&mut Peer, SftpReq) -> io::Result<()> + Send + 'static,
    C: FnOnce(&Client, *mut LIBSSH2_SFTP) -> R,
{
    run(
        move |p: &mut Peer| {
            login(p)?;
            p.sftp_start(version)?;
            p.sftp_serve(f)
        },
        |addr| {
            let c = Client::login(addr);
            let sftp = c.sftp().unwrap_or_else(|e| panic!("sftp_init failed: {e}"));
            let r = client(&c, sftp);
            let t = Instant::now();
            // SAFETY: live instance, shut down once.
            unsafe { ff::libssh2_sftp_shutdown(sftp) };
            assert!(t.elapsed() < TEARDOWN, "sftp_shutdown took {:?}", t.elapsed());
            c.free();
            r
        },
    )
}

fn stat(sftp: *mut LIBSSH2_SFTP, path: &str) -> (c_int, LIBSSH2_SFTP_ATTRIBUTES) {
    let mut a = LIBSSH2_SFTP_ATTRIBUTES::default();
    // SAFETY: live instance; path and attrs valid.
    let rc = unsafe { ff::libssh2_sftp_stat_ex(sftp, path.as_ptr().cast(), path.len() as c_uint, SFTP_STAT, &mut a) };
    (rc, a)
}

fn unlink(sftp: *mut LIBSSH2_SFTP, path: &str) -> c_int {
    // SAFETY: live instance; path valid.
    unsafe { ff::libssh2_sftp_unlink_ex(sftp, path.as_ptr().cast(), path.len() as c_uint) }
}

fn open(sftp: *mut LIBSSH2_SFTP, path: &str, kind: c_int) -> *mut LIBSSH2_SFTP_HANDLE {
    // SAFETY: live instance; path valid.
    unsafe { ff::libssh2_sftp_open_ex(sftp, path.as_ptr().cast(), path.len() as c_uint, FXF_READ, 0, kind) }
}

/// ATTRS body with only a size.
fn attrs_size(size: u64) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(1).u64(size);
    w.buf
}

/// Runs `call` twice: the first must fail with `want`; the instance is then
/// broken, so the second must fail promptly too.
fn fails_twice(
    c: &Client,
    sftp: *mut LIBSSH2_SFTP,
    want: c_int,
    what: &str,
    mut call: impl FnMut(*mut LIBSSH2_SFTP) -> c_int,
) {
    let rc = call(sftp);
    assert_eq!(rc, want, "{what}");
    assert_eq!(c.errno(), want, "{what}: last_errno");
    let t = Instant::now();
    let again = call(sftp);
    assert!(again < 0 && again != code::EAGAIN, "{what}: repeated call returned {again}");
    assert!(t.elapsed() < PROMPT, "{what}: repeated call took {:?}", t.elapsed());
}

#[test]
fn c29_sftp_packet_length_out_of_range() {
    // A reply whose length is 0..4, or over 256 KiB (only the header is sent:
    // the error must come before waiting for, or allocating, the body).
    let mut lens: Vec<(u32, c_int)> = (0..=4).map(|l| (l, code::SFTP_PROTOCOL)).collect();
    for l in [SFTP_PACKET_MAX + 1, 0x00FF_FFFF, 0x7FFF_FFFF, 0xFFFF_FFFF] {
        lens.push((l, code::CHANNEL_PACKET_EXCEEDED));
    }
    for (len, want) in lens {
        // The reply carries the STAT's request id (1: FXP_INIT had none).
        let mut raw = u32be(len);
        raw.extend_from_slice(&[fxp::ATTRS, 0, 0, 0, 0, 0, 0, 0, 0]);
        let (_, _) = sftp_case(
            None,
            move |p, req| {
                let mut raw = raw.clone();
                if raw.len() > 8 {
                    raw[5..9].copy_from_slice(&req.id.to_be_bytes());
                }
                p.data(&raw)
            },
            |c, sftp| fails_twice(c, sftp, want, &format!("length {len:#x}"), |s| stat(s, "/x").0),
        );
    }
}

#[test]
fn c29_sftp_version_packet_length_out_of_range() {
    for (len, want) in
        [(0u32, code::SFTP_PROTOCOL), (4, code::SFTP_PROTOCOL), (0xFFFF_FFFF, code::CHANNEL_PACKET_EXCEEDED)]
    {
        let mut raw = u32be(len);
        raw.extend_from_slice(&[fxp::VERSION, 0, 0, 0, 3]);
        let (rc, _) = run(
            move |p: &mut Peer| {
                login(p)?;
                p.accept_channel(server::SERVER_WINDOW, server::SERVER_PACKET)?;
                p.grant_request(b"subsystem")?;
                p.sftp_recv()?;
                p.data(&raw)?;
                p.serve_until_closed()
            },
            |addr| {
                let c = Client::login(addr);
                let rc = c.sftp().map(|_| 0).unwrap_or_else(|e| e);
                c.free();
                rc
            },
        );
        assert_eq!(rc, want, "FXP_VERSION length {len:#x}");
    }
}

/// Serves OPENDIR with a handle and the first READDIR with `raw` (channel bytes
/// with `ID` standing for the READDIR's id at bytes 5..9), later ones with EOF.
fn readdir_case(raw: Vec<u8>, buf_len: usize) -> (c_int, Vec<u8>) {
    let mut answered = false;
    sftp_case(
        None,
        move |p, req| match req.kind {
            fxp::OPENDIR => p.sftp_handle(req.id),
            fxp::READDIR if !answered => {
                answered = true;
                let mut raw = raw.clone();
                raw[5..9].copy_from_slice(&req.id.to_be_bytes());
                p.data(&raw)
            }
            fxp::READDIR => p.sftp_send(&sftp_status(req.id, 1)),
            _ => p.sftp_send(&sftp_status(req.id, 0)),
        },
        |c, sftp| {
            let h = open(sftp, "/d", OPENDIR);
            assert!(!h.is_null(), "opendir: {}", c.errno());
            let mut name = vec![0u8; buf_len];
            let mut a = LIBSSH2_SFTP_ATTRIBUTES::default();
            let t = Instant::now();
            // SAFETY: live handle; buffers valid.
            let rc = unsafe {
                ff::libssh2_sftp_readdir_ex(h, name.as_mut_ptr().cast(), name.len(), ptr::null_mut(), 0, &mut a)
            };
            assert!(t.elapsed() < BOUND);
            if rc > 0 {
                name.truncate(rc as usize);
            }
            // SAFETY: live handle, closed once.
            unsafe { ff::libssh2_sftp_close_handle(h) };
            (rc, name)
        },
    )
    .0
}

/// A NAME packet (length prefixed) with `count` and the given entries.
fn name_packet(count: u32, entries: &[u8]) -> Vec<u8> {
    let mut body = vec![fxp::NAME, 0, 0, 0, 0];
    body.extend(u32be(count));
    body.extend_from_slice(entries);
    [u32be(body.len() as u32), body].concat()
}

fn entry(name: &[u8], long: &[u8], attrs: &[u8]) -> Vec<u8> {
    [string(name), string(long), attrs.to_vec()].concat()
}

#[test]
fn c29_readdir_name_claiming_huge_lengths() {
    // The READDIR reply may exceed 256 KiB (libssh2's exception), but a
    // claim of 4 GiB (or anything past our readdir bound) fails at the header.
    for len in [0xFFFF_FFFFu32, 0x8000_0000, 64 * 1024 * 1024] {
        let raw = [u32be(len), vec![fxp::NAME, 0, 0, 0, 0], u32be(1)].concat();
        let (rc, _) = readdir_case(raw, 256);
        assert_eq!(rc, code::CHANNEL_PACKET_EXCEEDED, "NAME of {len:#x} bytes");
    }
    // A real 300 KiB NAME reply to READDIR is accepted.
    let long = vec![b'l'; 300 * 1024];
    let raw = name_packet(1, &entry(b"big", &long, &u32be(0)));
    let (rc, name) = readdir_case(raw, 256);
    assert_eq!((rc, name.as_slice()), (3, &b"big"[..]));
}

#[test]
fn c29_name_over_256k_outside_readdir_is_refused() {
    let raw = name_packet(1, &entry(b"x", &vec![b'l'; 300 * 1024], &u32be(0)));
    let ((), _) = sftp_case(
        None,
        move |p, req| {
            let mut raw = raw.clone();
            raw[5..9].copy_from_slice(&req.id.to_be_bytes());
            p.data(&raw)
        },
        |c, sftp| {
            let mut buf = [0u8; 256];
            fails_twice(c, sftp, code::CHANNEL_PACKET_EXCEEDED, "realpath with a 300 KiB NAME", |s| {
                // SAFETY: live instance; buffers valid.
                unsafe {
                    ff::libssh2_sftp_symlink_ex(s, b"/".as_ptr().cast(), 1, buf.as_mut_ptr().cast(), 256, SFTP_REALPATH)
                }
            });
        },
    );
}

// ---- 30: FXP_VERSION and STATUS ---------------------------------------------------

#[test]
fn c30_truncated_version_and_extensions() {
    let v3 = vec![fxp::VERSION, 0, 0, 0, 3];
    let ext = |rest: &[u8]| [v3.clone(), rest.to_vec()].concat();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("type only", vec![fxp::VERSION, 0, 0, 0]),
        ("half a length of the extension name", ext(&[0, 0])),
        ("extension name past the end", ext(&[u32be(20), b"posix".to_vec()].concat())),
        ("extension name length 0xFFFFFFFF", ext(&[u32be(0xFFFF_FFFF), b"posix".to_vec()].concat())),
        ("extension without data", ext(&string(b"posix-rename@openssh.com"))),
        ("extension data past the end", ext(&[string(b"posix-rename@openssh.com"), u32be(9), b"1".to_vec()].concat())),
        ("second extension truncated", ext(&[string(b"a"), string(b"1"), string(b"b")].concat())),
    ];
    for (what, version) in cases {
        let (rc, _) = run(
            move |p: &mut Peer| {
                login(p)?;
                let r = p.sftp_start(Some(version));
                r.and_then(|()| p.serve_until_closed())
            },
            |addr| {
                let c = Client::login(addr);
                let rc = c.sftp().map(|_| 0).unwrap_or_else(|e| e);
                c.free();
                rc
            },
        );
        assert_eq!(rc, code::SFTP_PROTOCOL, "{what}");
    }
    // Well-formed extensions are fine.
    let ok = ext(&[string(b"posix-rename@openssh.com"), string(b"1"), string(b"x@y"), string(b"")].concat());
    let (rc, _) = sftp_case(Some(ok), |p, req| p.sftp_send(&sftp_status(req.id, 0)), |_, sftp| unlink(sftp, "/a"));
    assert_eq!(rc, 0);
}

#[test]
fn c30_status_shorter_than_9_bytes() {
    // STATUS of 5..8 bytes (type and id, part of the code) -> SFTP_PROTOCOL.
    for extra in 0..4usize {
        let (_, _) = sftp_case(
            None,
            move |p, req| {
                let mut body = sftp_packet(fxp::STATUS, req.id, &[]);
                body.extend(std::iter::repeat(0).take(extra));
                p.sftp_send(&body)
            },
            |c, sftp| {
                fails_twice(c, sftp, code::SFTP_PROTOCOL, &format!("STATUS of {} bytes", 5 + extra), |s| {
                    unlink(s, "/a")
                });
            },
        );
    }
    // For the other status-only calls too.
    type Call = fn(*mut LIBSSH2_SFTP) -> c_int;
    // SAFETY (all three): live instance; paths valid.
    let calls: [(&str, Call); 3] = [
        ("mkdir", |s| unsafe { ff::libssh2_sftp_mkdir_ex(s, b"/m".as_ptr().cast(), 2, 0o755) }),
        ("rmdir", |s| unsafe { ff::libssh2_sftp_rmdir_ex(s, b"/m".as_ptr().cast(), 2) }),
        ("rename", |s| unsafe { ff::libssh2_sftp_rename_ex(s, b"/a".as_ptr().cast(), 2, b"/b".as_ptr().cast(), 2, 7) }),
    ];
    for (what, call) in calls {
        let (_, _) = sftp_case(
            None,
            |p, req| p.sftp_send(&sftp_packet(fxp::STATUS, req.id, &[0, 0])),
            |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, what, call),
        );
    }
    // Exactly 9 bytes (no message) is a complete status.
    let (rc, _) =
        sftp_case(None, |p, req| p.sftp_send(&sftp_packet(fxp::STATUS, req.id, &[0, 0, 0, 0])), |_, s| unlink(s, "/a"));
    assert_eq!(rc, 0);
}

#[test]
fn c30_short_status_for_a_write() {
    // The first WRITE is acknowledged with a 7-byte STATUS: the write fails;
    // the next write starts over and is acknowledged properly.
    let (got, server) = sftp_case(
        None,
        {
            let mut writes = 0;
            let mut data = Vec::new();
            move |p, req| match req.kind {
                fxp::OPEN => p.sftp_handle(req.id),
                6 => {
                    writes += 1;
                    if writes == 1 {
                        return p.sftp_send(&sftp_packet(fxp::STATUS, req.id, &[0, 0]));
                    }
                    let mut r = ssh2::proto::wire::Reader::new(&req.body);
                    r.string().map_err(io::Error::other)?;
                    let off = r.u64().map_err(io::Error::other)?;
                    let d = r.string().map_err(io::Error::other)?;
                    if off != data.len() as u64 {
                        return Err(io::Error::other(format!("write at {off}, expected {}", data.len())));
                    }
                    data.extend_from_slice(d);
                    if data == b"payload" {
                        p.sftp_send(&sftp_status(req.id, 0))
                    } else {
                        Err(io::Error::other("wrong data"))
                    }
                }
                _ => p.sftp_send(&sftp_status(req.id, 0)),
            }
        },
        |c, sftp| {
            // SAFETY: live instance; path valid.
            let h = unsafe { ff::libssh2_sftp_open_ex(sftp, b"/w".as_ptr().cast(), 2, 0x1a, 0o644, OPENFILE) };
            assert!(!h.is_null(), "open: {}", c.errno());
            // SAFETY: live handle; the data is readable.
            let first = unsafe { ff::libssh2_sftp_write(h, b"payload".as_ptr().cast(), 7) };
            assert_eq!(first, code::SFTP_PROTOCOL as isize);
            let t = Instant::now();
            // SAFETY: as above.
            let second = unsafe { ff::libssh2_sftp_write(h, b"payload".as_ptr().cast(), 7) };
            assert!(t.elapsed() < PROMPT, "the write after a bad ack took {:?}", t.elapsed());
            // SAFETY: live handle, closed once.
            unsafe { ff::libssh2_sftp_close_handle(h) };
            second
        },
    );
    server.expect("server side");
    assert_eq!(got, 7);
}

// ---- 32: FXP_DATA ---------------------------------------------------------------

/// Serves OPEN with a handle; the first READ gets `first(id, len)` (channel
/// bytes), later READs EOF. Returns the first read's rc and bytes.
fn read_case(first: fn(u32, u32) -> Vec<u8>, buf_len: usize) -> (isize, Vec<u8>, Option<isize>) {
    let mut answered = false;
    sftp_case(
        None,
        move |p, req| match req.kind {
            fxp::OPEN => p.sftp_handle(req.id),
            fxp::READ if !answered => {
                answered = true;
                let (_, len) = req.read_range()?;
                p.data(&first(req.id, len))
            }
            fxp::READ => p.sftp_send(&sftp_status(req.id, 1)),
            _ => p.sftp_send(&sftp_status(req.id, 0)),
        },
        |c, sftp| {
            let h = open(sftp, "/f", OPENFILE);
            assert!(!h.is_null(), "open: {}", c.errno());
            let mut buf = vec![0u8; buf_len];
            // SAFETY: live handle; buf writable.
            let rc = unsafe { ff::libssh2_sftp_read(h, buf.as_mut_ptr().cast(), buf.len()) };
            let mut next = None;
            if rc > 0 {
                buf.truncate(rc as usize);
                let mut more = [0u8; 64];
                // SAFETY: as above.
                next = Some(unsafe { ff::libssh2_sftp_read(h, more.as_mut_ptr().cast(), more.len()) });
            } else {
                assert_eq!(rc, c.errno() as isize);
                let mut more = [0u8; 64];
                let t = Instant::now();
                // SAFETY: as above.
                let again = unsafe { ff::libssh2_sftp_read(h, more.as_mut_ptr().cast(), more.len()) };
                // The read is asked again (this server then says EOF) or fails: never a hang.
                assert!(again <= 0 && again != code::EAGAIN as isize, "read after {rc}: {again}");
                assert!(t.elapsed() < PROMPT, "read after {rc} took {:?}", t.elapsed());
                buf.clear();
            }
            // SAFETY: live handle, closed once.
            unsafe { ff::libssh2_sftp_close_handle(h) };
            (rc, buf, next)
        },
    )
    .0
}

fn data_reply(id: u32, claimed: u32, data: &[u8]) -> Vec<u8> {
    let body = [vec![fxp::DATA], u32be(id), u32be(claimed), data.to_vec()].concat();
    [u32be(body.len() as u32), body].concat()
}

#[test]
fn c32_fxp_data_longer_than_packet_or_request() {
    // Control: 10 bytes, then EOF.
    let (rc, got, next) = read_case(|id, _| data_reply(id, 10, b"0123456789"), 1000);
    assert_eq!((rc, got.as_slice(), next), (10, &b"0123456789"[..], Some(0)));
    // The data string runs past its packet.
    let (rc, got, _) = read_case(|id, _| data_reply(id, 11, b"0123456789"), 1000);
    assert_eq!((rc, got.len()), (code::SFTP_PROTOCOL as isize, 0));
    let (rc, _, _) = read_case(|id, _| data_reply(id, 0xFFFF_FFFF, b"0123456789"), 1000);
    assert_eq!(rc, code::SFTP_PROTOCOL as isize);
    // More data than the READ asked for (a well-formed packet).
    let (rc, got, _) = read_case(
        |id, len| {
            let data = vec![b'z'; len as usize + 1];
            data_reply(id, data.len() as u32, &data)
        },
        1000,
    );
    assert_eq!((rc, got.len()), (code::SFTP_PROTOCOL as isize, 0), "one byte more than requested");
    // An empty DATA.
    let (rc, _, _) = read_case(|id, _| data_reply(id, 0, b""), 1000);
    assert_eq!(rc, code::SFTP_PROTOCOL as isize);
}

// ---- 33: FXP_NAME ------------------------------------------------------------------

#[test]
fn c33_readdir_name_with_huge_count_or_bad_attributes() {
    let one = entry(b"a", b"-rw-r--r-- a", &u32be(0));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("count 0xFFFFFFFF", name_packet(0xFFFF_FFFF, &one)),
        ("count 0x10000000", name_packet(0x1000_0000, &one)),
        ("count 2, one entry", name_packet(2, &one)),
        ("no count", [u32be(5), vec![fxp::NAME, 0, 0, 0, 0]].concat()),
        ("attribute flags with no fields", name_packet(1, &entry(b"a", b"a", &u32be(0x0000_000F)))),
        ("size cut short", name_packet(1, &entry(b"a", b"a", &[u32be(1), vec![0, 0, 0]].concat()))),
        ("attributes missing", name_packet(1, &[string(b"a"), string(b"a")].concat())),
        (
            "extended count 0xFFFFFFFF",
            name_packet(1, &entry(b"a", b"a", &[u32be(0x8000_0000), u32be(0xFFFF_FFFF)].concat())),
        ),
        (
            "extended pair cut",
            name_packet(1, &entry(b"a", b"a", &[u32be(0x8000_0000), u32be(1), string(b"k")].concat())),
        ),
        ("long name past the end", name_packet(1, &[string(b"a"), u32be(0x7FFF_FFFF)].concat())),
        ("name length 0xFFFFFFFF", name_packet(1, &u32be(0xFFFF_FFFF))),
    ];
    for (what, raw) in cases {
        let (rc, _) = readdir_case(raw, 256);
        assert_eq!(rc, code::SFTP_PROTOCOL, "{what}");
    }
    // Control: two entries with full attributes.
    let full =
        [u32be(0x0F), 5u64.to_be_bytes().to_vec(), u32be(1), u32be(2), u32be(0o100644), u32be(3), u32be(4)].concat();
    let two = [entry(b"first", b"l1", &full), entry(b"second", b"l2", &u32be(0))].concat();
    let (rc, name) = readdir_case(name_packet(2, &two), 256);
    assert_eq!((rc, name.as_slice()), (5, &b"first"[..]));
}

#[test]
fn c33_stat_attributes_past_the_packet() {
    for (what, attrs) in [
        ("flags only", u32be(0x0F)),
        ("size cut", [u32be(1), vec![0; 7]].concat()),
        ("no flags", vec![]),
        ("extended count huge", [u32be(0x8000_0000), u32be(0xFFFF_FFFF)].concat()),
    ] {
        let (_, _) = sftp_case(
            None,
            move |p, req| p.sftp_send(&sftp_packet(fxp::ATTRS, req.id, &attrs)),
            |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, what, |s| stat(s, "/x").0),
        );
    }
    let ((rc, a), _) =
        sftp_case(None, |p, req| p.sftp_send(&sftp_packet(fxp::ATTRS, req.id, &attrs_size(77))), |_, s| stat(s, "/x"));
    assert_eq!((rc, a.filesize), (0, 77));
}

fn readlink(sftp: *mut LIBSSH2_SFTP, kind: c_int) -> (c_int, Vec<u8>) {
    let mut buf = vec![0u8; 256];
    // SAFETY: live instance; buffers valid.
    let rc = unsafe { ff::libssh2_sftp_symlink_ex(sftp, b"/l".as_ptr().cast(), 2, buf.as_mut_ptr().cast(), 256, kind) };
    buf.truncate(rc.max(0) as usize);
    (rc, buf)
}

#[test]
fn c33_readlink_count_not_one() {
    let target = entry(b"target", b"target", &u32be(0));
    for kind in [SFTP_READLINK, SFTP_REALPATH] {
        for (what, body) in [
            ("count 0", [u32be(0)].concat()),
            ("count 2", [u32be(2), target.clone(), target.clone()].concat()),
            ("count 0xFFFFFFFF", [u32be(0xFFFF_FFFF), target.clone()].concat()),
            ("count 1, name past the end", [u32be(1), u32be(100), b"target".to_vec()].concat()),
            ("count 1, nothing", u32be(1)),
        ] {
            let (_, _) = sftp_case(
                None,
                move |p, req| p.sftp_send(&sftp_packet(fxp::NAME, req.id, &body)),
                |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, what, |s| readlink(s, kind).0),
            );
        }
        let body = [u32be(1), target.clone()].concat();
        let ((rc, name), _) = sftp_case(
            None,
            move |p, req| p.sftp_send(&sftp_packet(fxp::NAME, req.id, &body)),
            |_, s| readlink(s, kind),
        );
        assert_eq!((rc, name.as_slice()), (6, &b"target"[..]));
    }
}

// ---- 34: request ids and reply types -----------------------------------------------

#[test]
fn c34_reply_with_unknown_id() {
    for delta in [1u32, 1000, 0x8000_0000] {
        let (_, _) = sftp_case(
            None,
            move |p, req| p.sftp_send(&sftp_packet(fxp::ATTRS, req.id.wrapping_add(delta), &attrs_size(1))),
            |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, "unknown id", |s| stat(s, "/x").0),
        );
    }
}

#[test]
fn c34_duplicate_reply_is_never_taken_for_the_next_request() {
    // The first STAT is answered twice (size 1); the second STAT's own reply
    // has size 2. The duplicate must not pass for the second reply.
    let ((first, second), _) = sftp_case(
        None,
        {
            let mut n = 0u64;
            move |p, req| {
                n += 1;
                let reply = sftp_packet(fxp::ATTRS, req.id, &attrs_size(n));
                p.sftp_send(&reply)?;
                if n == 1 {
                    p.sftp_send(&reply)?;
                }
                Ok(())
            }
        },
        |_, sftp| {
            let (rc1, a1) = stat(sftp, "/x");
            std::thread::sleep(Duration::from_millis(100));
            let (rc2, a2) = stat(sftp, "/y");
            ((rc1, a1.filesize), (rc2, a2.filesize))
        },
    );
    assert!(first == (0, 1) || first.0 == code::SFTP_PROTOCOL, "first STAT: {first:?}");
    assert_eq!(second.0, code::SFTP_PROTOCOL, "second STAT: {second:?}");
}

/// Builds a reply packet body for a request id.
type Reply = fn(u32) -> Vec<u8>;

#[test]
fn c34_reply_of_the_wrong_type() {
    let handle = |id: u32| {
        let mut w = Writer::new();
        w.string(b"H1");
        sftp_packet(fxp::HANDLE, id, &w.buf)
    };
    // (what, reply to STAT)
    let stat_cases: Vec<(&str, Reply)> = vec![
        ("HANDLE for STAT", handle),
        ("DATA for STAT", |id| sftp_packet(fxp::DATA, id, &string(b"data"))),
        ("NAME for STAT", |id| sftp_packet(fxp::NAME, id, &[u32be(1), entry(b"a", b"a", &u32be(0))].concat())),
        ("VERSION after init", |id| sftp_packet(fxp::VERSION, id, &[])),
        ("INIT from the server", |id| sftp_packet(fxp::INIT, id, &[])),
        ("unknown type 150", |id| sftp_packet(150, id, &[0; 8])),
        ("a request type (OPEN)", |id| sftp_packet(fxp::OPEN, id, &string(b"/etc/passwd"))),
    ];
    for (what, reply) in stat_cases {
        let (_, _) = sftp_case(
            None,
            move |p, req| p.sftp_send(&reply(req.id)),
            |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, what, |s| stat(s, "/x").0),
        );
    }
    // DATA for OPEN, ATTRS for REMOVE, NAME for READ.
    let (_, _) = sftp_case(
        None,
        |p, req| p.sftp_send(&sftp_packet(fxp::DATA, req.id, &string(b"data"))),
        |c, sftp| {
            let h = open(sftp, "/f", OPENFILE);
            assert!(h.is_null());
            assert_eq!(c.errno(), code::SFTP_PROTOCOL, "DATA for OPEN");
        },
    );
    let (_, _) = sftp_case(
        None,
        |p, req| p.sftp_send(&sftp_packet(fxp::ATTRS, req.id, &attrs_size(1))),
        |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, "ATTRS for REMOVE", |s| unlink(s, "/x")),
    );
    let (rc, _, _) = read_case(
        |id, _| {
            let body = sftp_packet(fxp::NAME, id, &[u32be(1), entry(b"a", b"a", &u32be(0))].concat());
            [u32be(body.len() as u32), body].concat()
        },
        100,
    );
    assert_eq!(rc, code::SFTP_PROTOCOL as isize, "NAME for READ");
}

// ---- 35: SCP ----------------------------------------------------------------------

/// `scp_recv2` against a server that sends `lines` after the wakeup byte.
/// Returns (rc, stat, file bytes read).
fn scp_case(lines: Vec<Vec<u8>>, body: Vec<u8>) -> (c_int, libc::stat, Vec<u8>) {
    run(
        move |p: &mut Peer| {
            login(p)?;
            p.accept_channel(server::SERVER_WINDOW, server::SERVER_PACKET)?;
            let cmd = p.grant_request(b"exec")?;
            if !cmd.windows(7).any(|w| w == b"scp -pf") {
                return Err(io::Error::other("not an scp -pf command"));
            }
            let mut acks = 0;
            for l in &lines {
                // Each line follows an ack from the client (the first is the wakeup).
                if p.read_data(1)? != [0] {
                    return Err(io::Error::other("expected an ack"));
                }
                acks += 1;
                p.data(l)?;
            }
            if acks == lines.len() && !body.is_empty() {
                if p.read_data(1)? != [0] {
                    return Err(io::Error::other("expected the C line ack"));
                }
                p.data(&body)?;
                p.data(&[0])?;
                p.chan_msg(cmsg::CHANNEL_EOF, &[])?;
            }
            p.serve_until_closed()
        },
        |addr| {
            let c = Client::login(addr);
            // SAFETY: live session; the stat buffer is writable; the channel is used then freed.
            unsafe {
                let mut sb: libc::stat = std::mem::zeroed();
                let t = Instant::now();
                let ch = ssh2::ffi::scp::libssh2_scp_recv2(c.sess, c"/remote/file".as_ptr(), &mut sb);
                assert!(t.elapsed() < BOUND);
                let rc = if ch.is_null() { c.errno() } else { 0 };
                let mut data = Vec::new();
                if !ch.is_null() {
                    let (d, r) = read_all(ch, 0);
                    assert_eq!(r, 0);
                    data = d;
                    assert_eq!(fc::libssh2_channel_free(ch), 0);
                }
                c.free();
                (rc, sb, data)
            }
        },
    )
    .0
}

#[test]
fn c35_scp_bad_c_and_t_lines() {
    let t = b"T1700000000 0 1600000000 0\n".to_vec();
    // Control: T then C then 5 bytes.
    let (rc, sb, data) = scp_case(vec![t.clone(), b"C0644 5 file\n".to_vec()], b"hello".to_vec());
    assert_eq!(rc, 0);
    assert_eq!((sb.st_size, sb.st_mtime, sb.st_mode & 0o7777), (5, 1_700_000_000, 0o644));
    assert_eq!(data, b"hello");
    let c_lines: Vec<&[u8]> = vec![
        b"C0644 file\n",
        b"C0644  file\n",
        b"C0644 -1 file\n",
        b"C0644 -9223372036854775808 file\n",
        b"C0644 99999999999999999999999 file\n",
        b"C0644 18446744073709551615 file\n",
        b"C0644 12x file\n",
        b"C0644 0x10 file\n",
        b"C0644\n",
        b"C\n",
        b"C0644 5\n",
        b"Cxyz 5 file\n",
        b"\n",
    ];
    for l in c_lines {
        let (rc, _, _) = scp_case(vec![t.clone(), l.to_vec()], vec![]);
        assert_eq!(rc, code::SCP_PROTOCOL, "C line {:?}", String::from_utf8_lossy(l));
    }
    let t_lines: Vec<&[u8]> = vec![
        b"T\n",
        b"Tgarbage\n",
        b"Tabc 0 1 0\n",
        b"T1 0 1\n",
        b"T1 0 1 0 extra\n",
        b"T-1 0 -1 0\n",
        b"T99999999999999999999999 0 1 0\n",
        b"X1 0 1 0\n",
        b"C0644 5 file\n",
    ];
    for l in t_lines {
        let (rc, _, _) = scp_case(vec![l.to_vec()], vec![]);
        assert_eq!(rc, code::SCP_PROTOCOL, "T line {:?}", String::from_utf8_lossy(l));
    }
    // A line that never ends is bounded.
    let (rc, _, _) = scp_case(vec![vec![b'T'; 100_000]], vec![]);
    assert_eq!(rc, code::SCP_PROTOCOL, "unterminated line");
}

// ---- faults: EPIPE / RST on write ---------------------------------------------------

static SIGPIPES: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_sigpipe(_sig: c_int) {
    SIGPIPES.fetch_add(1, Ordering::SeqCst);
}

/// Counts SIGPIPE instead of ignoring it (Rust ignores it by default, which
/// would hide a library that lets it be raised).
fn count_sigpipes() {
    // SAFETY: installs an async-signal-safe handler (one atomic add).
    unsafe { libc::signal(libc::SIGPIPE, count_sigpipe as *const () as libc::sighandler_t) };
}

/// Logs in and opens a channel on a server that then vanishes: with a reset
/// (`rst`) or a plain close. Returns the client and channel.
fn vanishing_server(rst: bool) -> (Client, *mut LIBSSH2_CHANNEL, std::thread::JoinHandle<io::Result<()>>) {
    let (addr, h) = server::spawn(move |p: &mut Peer| {
        login(p)?;
        p.accept_channel(server::SERVER_WINDOW, server::SERVER_PACKET)?;
        if rst {
            let l = libc::linger { l_onoff: 1, l_linger: 0 };
            // SAFETY: valid socket and option buffer; the close after this sends RST.
            unsafe {
                libc::setsockopt(
                    p.stream.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    ptr::addr_of!(l).cast(),
                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                )
            };
        }
        Ok(())
    });
    let c = Client::login(addr);
    let ch = c.session_channel();
    (c, ch, h)
}

/// Writes `chunk`-sized pieces until an error (at most `tries`); returns it.
fn write_until_error(ch: *mut LIBSSH2_CHANNEL, tries: usize) -> isize {
    let data = vec![b'w'; 16 * 1024];
    for _ in 0..tries {
        let t = Instant::now();
        // SAFETY: live channel; data readable.
        let n = unsafe { fc::libssh2_channel_write_ex(ch, 0, data.as_ptr().cast(), data.len()) };
        assert!(t.elapsed() < PROMPT, "a write to a dead peer took {:?}", t.elapsed());
        if n < 0 {
            return n;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("writes to a vanished peer kept succeeding");
}

#[test]
fn fault_epipe_and_rst_fail_cleanly_without_sigpipe() {
    count_sigpipes();
    SIGPIPES.store(0, Ordering::SeqCst);
    // Reset by the peer.
    let (c, ch, h) = vanishing_server(true);
    let _ = h.join().expect("server thread");
    std::thread::sleep(Duration::from_millis(200));
    // A write first takes in what arrived (as libssh2's does): the reset shows there.
    assert_eq!(write_until_error(ch, 1), code::SOCKET_RECV as isize, "write after RST");
    assert_eq!(c.errno(), code::SOCKET_RECV);
    fails_promptly("write", || write_until_error(ch, 1));
    c.free();
    // Closed by the peer: the write's read sees the end of the stream.
    let (c, ch, h) = vanishing_server(false);
    let _ = h.join().expect("server thread");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(write_until_error(ch, 40), code::SOCKET_RECV as isize, "write after FIN");
    c.free();
    // Our own end shut for writing: send(2) says EPIPE, which would raise SIGPIPE.
    // (send_eof sends without reading first, so the send is what fails.)
    let (c, ch, h) = vanishing_server(false);
    c.stream.shutdown(std::net::Shutdown::Write).unwrap();
    // SAFETY: live channel.
    assert_eq!(unsafe { fc::libssh2_channel_send_eof(ch) }, code::SOCKET_SEND, "EOF after shutdown");
    c.free();
    let _ = h.join().expect("server thread");
    assert_eq!(SIGPIPES.load(Ordering::SeqCst), 0, "SIGPIPE was raised");
    // Control: with LIBSSH2_FLAG_SIGPIPE the application asked for the signal, and gets it.
    let (c, ch, h) = vanishing_server(false);
    // SAFETY: live session.
    assert_eq!(unsafe { fs::libssh2_session_flag(c.sess, 1, 1) }, 0);
    c.stream.shutdown(std::net::Shutdown::Write).unwrap();
    // SAFETY: live channel.
    assert_eq!(unsafe { fc::libssh2_channel_send_eof(ch) }, code::SOCKET_SEND);
    c.free();
    let _ = h.join().expect("server thread");
    assert!(SIGPIPES.load(Ordering::SeqCst) >= 1, "the control raised no SIGPIPE");
}

// ---- faults: sshd killed mid-transfer --------------------------------------------------

/// Every process below `pid` (children first found, then theirs).
fn descendants(pid: i32) -> Vec<i32> {
    let mut parent_of = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|s| s.parse::<i32>().ok()) {
            parent_of.push((p, ppid));
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(q) = frontier.pop() {
        for &(c, pp) in &parent_of {
            if pp == q && !out.contains(&c) {
                out.push(c);
                frontier.push(c);
            }
        }
    }
    out
}

/// Kills (SIGKILL) every session process of the fixture's sshd; the
/// listener itself stays. Returns how many processes were killed.
fn kill_sshd_sessions(sshd: &Sshd) -> usize {
    let pid: i32 = std::fs::read_to_string(&sshd.pid_file).unwrap().trim().parse().unwrap();
    let victims = descendants(pid);
    for &v in &victims {
        // SAFETY: plain kill(2) of a process this test's fixture started.
        unsafe { libc::kill(v, libc::SIGKILL) };
    }
    victims.len()
}

/// A C session logged in to the fixture with its ed25519 key, with SFTP.
fn sshd_sftp(sshd: &Sshd) -> (Client, *mut LIBSSH2_SFTP) {
    let stream = sshd.connect();
    // SAFETY: one C session driven through the exported API with valid arguments.
    unsafe {
        let sess = fs::libssh2_session_init_ex(None, None, None, ptr::null_mut());
        fs::libssh2_session_set_timeout(sess, CLIENT_TIMEOUT_MS as _);
        assert_eq!(fs::libssh2_session_handshake(sess, stream.as_raw_fd()), 0);
        let key = sshd.user_key(UserKey::Ed25519);
        let (u, k) = (cs(&sshd.user), cs(key.private.to_str().unwrap()));
        let rc = fu::libssh2_userauth_publickey_fromfile_ex(
            sess,
            u.as_ptr(),
            sshd.user.len() as c_uint,
            ptr::null(),
            k.as_ptr(),
            ptr::null(),
        );
        assert_eq!(rc, 0, "publickey auth");
        let c = Client { sess, stream };
        let sftp = c.sftp().expect("sftp_init");
        (c, sftp)
    }
}

/// Codes a transfer may end with when the server process dies under it.
const DEATH_CODES: [c_int; 4] = [code::SOCKET_DISCONNECT, code::SOCKET_RECV, code::SOCKET_SEND, code::CHANNEL_CLOSED];

/// Closes the handle, shuts SFTP down and frees the session, each promptly.
fn teardown(c: Client, sftp: *mut LIBSSH2_SFTP, h: *mut LIBSSH2_SFTP_HANDLE) {
    for (what, f) in [
        // SAFETY: live handle, closed once.
        ("close_handle", Box::new(move || unsafe { ff::libssh2_sftp_close_handle(h) }) as Box<dyn Fn() -> c_int>),
        // SAFETY: live instance, shut down once.
        ("sftp_shutdown", Box::new(move || unsafe { ff::libssh2_sftp_shutdown(sftp) })),
    ] {
        let t = Instant::now();
        let _ = f();
        assert!(t.elapsed() < TEARDOWN, "{what} after the server died took {:?}", t.elapsed());
    }
    c.free();
}

/// Size of the file in the mid-transfer kill tests.
const KILL_FILE: usize = 48 * 1024 * 1024;
/// Bytes moved before the kill.
const KILL_AFTER: usize = 4 * 1024 * 1024;

#[test]
fn fault_sshd_killed_mid_download() {
    let sshd = Sshd::start();
    let path = sshd.dir.path().join("download.bin");
    let data = pattern(KILL_FILE, 7);
    std::fs::write(&path, &data).unwrap();
    let (c, sftp) = sshd_sftp(&sshd);
    let p = path.to_str().unwrap();
    let h = open(sftp, p, OPENFILE);
    assert!(!h.is_null(), "open: {}", c.error());
    let mut got = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut killed = None;
    let rc = loop {
        // SAFETY: live handle; buf writable.
        let n = unsafe { ff::libssh2_sftp_read(h, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break n;
        }
        got.extend_from_slice(&buf[..n as usize]);
        if killed.is_none() && got.len() >= KILL_AFTER {
            assert!(kill_sshd_sessions(&sshd) >= 1, "no sshd session process to kill");
            killed = Some(Instant::now());
        }
    };
    let since = killed.expect("the download ended before the kill").elapsed();
    assert!(since < BOUND, "the failure took {since:?} after the kill");
    assert!(rc < 0, "a killed server looked like end of file after {} of {KILL_FILE} bytes", got.len());
    assert!(DEATH_CODES.contains(&(rc as c_int)), "download ended with {rc}: {}", c.error());
    assert!(got.len() < KILL_FILE);
    assert!(got == data[..got.len()], "the bytes read before the failure are corrupt");
    teardown(c, sftp, h);
}

#[test]
fn fault_sshd_killed_mid_upload() {
    let sshd = Sshd::start();
    let path = sshd.dir.path().join("upload.bin");
    let data = pattern(KILL_FILE, 9);
    let (c, sftp) = sshd_sftp(&sshd);
    let p = path.to_str().unwrap();
    // SAFETY: live instance; path valid. WRITE|CREAT|TRUNC.
    let h = unsafe { ff::libssh2_sftp_open_ex(sftp, p.as_ptr().cast(), p.len() as c_uint, 0x1a, 0o644, OPENFILE) };
    assert!(!h.is_null(), "open: {}", c.error());
    let mut reported = 0usize;
    let mut killed = None;
    let rc = loop {
        let end = (reported + 1024 * 1024).min(data.len());
        // SAFETY: live handle; the slice is readable.
        let n = unsafe { ff::libssh2_sftp_write(h, data[reported..end].as_ptr().cast(), end - reported) };
        if n < 0 {
            break n;
        }
        assert!(n > 0 || end == reported, "write made no progress");
        reported += n as usize;
        if killed.is_none() && reported >= KILL_AFTER {
            assert!(kill_sshd_sessions(&sshd) >= 1, "no sshd session process to kill");
            killed = Some(Instant::now());
        }
        assert!(reported < data.len(), "the whole upload was acknowledged by a killed server");
    };
    let since = killed.expect("the upload ended before the kill").elapsed();
    assert!(since < BOUND, "the failure took {since:?} after the kill");
    assert!(DEATH_CODES.contains(&(rc as c_int)), "upload ended with {rc}: {}", c.error());
    teardown(c, sftp, h);
    // Everything reported written is on the server.
    let on_disk = std::fs::read(&path).unwrap();
    assert!(on_disk.len() >= reported, "{reported} bytes reported written, {} on disk", on_disk.len());
    assert!(on_disk[..reported] == data[..reported], "the acknowledged bytes differ on disk");
}

// ---- faults: server-initiated rekeys in the middle of SFTP transfers ---------------------

/// sshd's rekey limit: a rekey every megabyte each way.
const REKEY_LIMIT: &str = "RekeyLimit 1M";
/// Bytes moved each way across the rekeys.
const REKEY_FILE: usize = 24 * 1024 * 1024;

/// Waits for the session's socket in the directions it is blocked on.
fn wait_socket(c: &Client) {
    // SAFETY: live session.
    let dirs = unsafe { fs::libssh2_session_block_directions(c.sess) };
    let mut events = 0;
    if dirs & 1 != 0 {
        events |= libc::POLLIN;
    }
    if dirs & 2 != 0 {
        events |= libc::POLLOUT;
    }
    let mut pfd = libc::pollfd { fd: c.stream.as_raw_fd(), events, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, 1000) };
}

#[test]
fn fault_server_rekeys_mid_sftp_transfer_with_strict_kex() {
    let sshd = Sshd::start_with(&[REKEY_LIMIT]);
    let path = sshd.dir.path().join("rekey.bin");
    let data = pattern(REKEY_FILE, 11);
    let (c, sftp) = sshd_sftp(&sshd);
    // SAFETY: the session handle is live; reading its negotiated state.
    let strict = unsafe { (*c.sess).sess.conn.as_ref().and_then(|k| k.negotiated()).is_some_and(|n| n.strict) };
    assert!(strict, "sshd and the library did not agree on strict kex");
    let before = sshd.log().matches("SSH2_MSG_KEXINIT sent").count();
    let p = path.to_str().unwrap();
    // Upload, blocking.
    // SAFETY: live instance; path valid. WRITE|CREAT|TRUNC.
    let h = unsafe { ff::libssh2_sftp_open_ex(sftp, p.as_ptr().cast(), p.len() as c_uint, 0x1a, 0o644, OPENFILE) };
    assert!(!h.is_null(), "open for writing: {}", c.error());
    let mut off = 0;
    while off < data.len() {
        let end = (off + 1024 * 1024).min(data.len());
        // SAFETY: live handle; the slice is readable.
        let n = unsafe { ff::libssh2_sftp_write(h, data[off..end].as_ptr().cast(), end - off) };
        assert!(n > 0, "write at {off}: {n} {}", c.error());
        off += n as usize;
    }
    // SAFETY: live handle, closed once.
    assert_eq!(unsafe { ff::libssh2_sftp_close_handle(h) }, 0);
    assert!(std::fs::read(&path).unwrap() == data, "the uploaded file differs");
    let mid = sshd.log().matches("SSH2_MSG_KEXINIT sent").count();
    // Download, non-blocking: every EAGAIN waits on the socket, rekeys come in between.
    let h = open(sftp, p, OPENFILE);
    assert!(!h.is_null(), "open for reading: {}", c.error());
    // SAFETY: live session.
    unsafe { fs::libssh2_session_set_blocking(c.sess, 0) };
    let mut got = Vec::with_capacity(data.len());
    let mut buf = vec![0u8; 100_000];
    let (start, mut eagains) = (Instant::now(), 0usize);
    loop {
        // SAFETY: live handle; buf writable.
        let n = unsafe { ff::libssh2_sftp_read(h, buf.as_mut_ptr().cast(), buf.len()) };
        if n == code::EAGAIN as isize {
            eagains += 1;
            wait_socket(&c);
            assert!(start.elapsed() < Duration::from_secs(120), "download stalled");
            continue;
        }
        assert!(n >= 0, "read at {}: {n} {}", got.len(), c.error());
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n as usize]);
    }
    // SAFETY: live session and handle.
    unsafe {
        fs::libssh2_session_set_blocking(c.sess, 1);
        assert_eq!(ff::libssh2_sftp_close_handle(h), 0);
        ff::libssh2_sftp_shutdown(sftp);
    }
    c.free();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "the downloaded data differs");
    let after = sshd.log().matches("SSH2_MSG_KEXINIT sent").count();
    assert!(mid - before >= 10, "only {} server rekeys during the upload", mid - before);
    assert!(after - mid >= 10, "only {} server rekeys during the download", after - mid);
    assert!(eagains > 0, "the non-blocking download never saw EAGAIN");
}
