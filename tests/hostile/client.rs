//! The client side of the hostile-peer tests (tests/hostile_*.rs): a C
//! session against the scripted server of server.rs, the bounds every case
//! must meet, and the imports the cases share.
#![allow(dead_code, unused_imports)] // each test binary uses its own part

pub use crate::common::{pattern, Sshd, UserKey};
pub(crate) use crate::server;
pub use crate::server::{cmsg, fxp, serve_curve25519, sftp_packet, sftp_status, Hooks, Offer, Peer, SftpReq};

pub use std::cell::Cell;
pub use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void, CString};
pub use std::io;
pub use std::net::{SocketAddr, TcpStream};
pub use std::os::fd::AsRawFd;
pub use std::ptr;
pub use std::sync::atomic::{AtomicUsize, Ordering};
pub use std::time::{Duration, Instant};

pub use ssh2::error::code;
pub use ssh2::ffi::channel as fc;
pub use ssh2::ffi::channel::LIBSSH2_CHANNEL;
pub use ssh2::ffi::handle::LIBSSH2_SESSION;
pub use ssh2::ffi::session as fs;
pub use ssh2::ffi::sftp as ff;
pub use ssh2::ffi::sftp::{LIBSSH2_SFTP, LIBSSH2_SFTP_HANDLE};
pub use ssh2::ffi::types::LIBSSH2_USERAUTH_KBDINT_RESPONSE;
pub use ssh2::ffi::types::{callback, LIBSSH2_SFTP_ATTRIBUTES, LIBSSH2_USERAUTH_KBDINT_PROMPT};
pub use ssh2::ffi::userauth as fu;
pub use ssh2::proto::wire::Writer;

/// Timeout given to the client: every case must end well before it.
pub const CLIENT_TIMEOUT_MS: i64 = 10_000;
/// Most a hostile case's client side may take.
pub const BOUND: Duration = Duration::from_secs(8);
/// Most a teardown call (close, shutdown, free) may take.
pub const TEARDOWN: Duration = Duration::from_secs(2);
/// Most a call that must fail at once (the connection is already dead) may take.
pub const PROMPT: Duration = Duration::from_secs(1);
/// The SFTP packet limit (LIBSSH2_SFTP_PACKET_MAXLEN).
pub const SFTP_PACKET_MAX: u32 = 256 * 1024;
/// LIBSSH2_SFTP_STAT / READLINK / REALPATH and open types.
pub const SFTP_STAT: c_int = 0;
pub const SFTP_READLINK: c_int = 1;
pub const SFTP_REALPATH: c_int = 2;
pub const OPENFILE: c_int = 0;
pub const OPENDIR: c_int = 1;
/// LIBSSH2_FXF_READ.
pub const FXF_READ: c_ulong = 1;

// ---- the client side ---------------------------------------------------------

/// A C session connected to a hostile server.
pub struct Client {
    pub sess: *mut LIBSSH2_SESSION,
    pub stream: TcpStream,
}

pub fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

impl Client {
    /// Connects and completes the handshake.
    pub fn handshake(addr: SocketAddr) -> Client {
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
    pub fn login(addr: SocketAddr) -> Client {
        let c = Client::handshake(addr);
        assert_eq!(c.password(), 0, "password authentication");
        c
    }

    pub fn password(&self) -> c_int {
        let (u, p) = (cs("user"), cs("pw"));
        // SAFETY: live session; strings outlive the call.
        unsafe { fu::libssh2_userauth_password_ex(self.sess, u.as_ptr(), 4, p.as_ptr(), 2, None) }
    }

    pub fn errno(&self) -> c_int {
        // SAFETY: live session.
        unsafe { fs::libssh2_session_last_errno(self.sess) }
    }

    /// The last error as "code: message", for assertion messages.
    pub fn error(&self) -> String {
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
    pub fn open(&self, kind: &str, window: u32, packet: u32) -> *mut LIBSSH2_CHANNEL {
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
    pub fn session_channel(&self) -> *mut LIBSSH2_CHANNEL {
        self.open("session", 0, 0)
    }

    /// Starts SFTP; the instance or the error code.
    pub fn sftp(&self) -> Result<*mut LIBSSH2_SFTP, c_int> {
        // SAFETY: live session.
        let s = unsafe { ff::libssh2_sftp_init(self.sess) };
        if s.is_null() {
            Err(self.errno())
        } else {
            Ok(s)
        }
    }

    /// Frees the session: promptly and cleanly.
    pub fn free(self) {
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
pub fn run<S, C, R>(script: S, client: C) -> (R, io::Result<()>)
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
pub fn login(p: &mut Peer) -> io::Result<()> {
    p.login(&Offer::modern(true))
}

/// Reads stream `stream` until EOF or error: (bytes, final rc).
pub fn read_all(ch: *mut LIBSSH2_CHANNEL, stream: c_int) -> (Vec<u8>, isize) {
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
pub fn go(ch: *mut LIBSSH2_CHANNEL) {
    // SAFETY: live channel; the bytes are readable.
    let n = unsafe { fc::libssh2_channel_write_ex(ch, 0, b"go".as_ptr().cast(), 2) };
    assert_eq!(n, 2, "writing the go signal");
}

/// (remaining receive window, buffered unread bytes, initial window) of a channel.
pub fn window(ch: *mut LIBSSH2_CHANNEL) -> (u64, u64, u64) {
    let (mut avail, mut initial): (c_ulong, c_ulong) = (0, 0);
    // SAFETY: live channel; out-pointers valid.
    let w = unsafe { fc::libssh2_channel_window_read_ex(ch, &mut avail, &mut initial) };
    (w as u64, avail, initial)
}

/// Asserts a call on a dead connection fails promptly with a negative code.
pub fn fails_promptly(what: &str, f: impl FnOnce() -> isize) {
    let t = Instant::now();
    let rc = f();
    assert!(rc < 0 && rc != code::EAGAIN as isize, "{what} after a fatal error returned {rc}");
    assert!(t.elapsed() < PROMPT, "{what} after a fatal error took {:?}", t.elapsed());
}

pub fn string(v: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(v);
    w.buf
}

pub fn u32be(v: u32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// Opens `path` for reading (`kind`: OPENFILE or OPENDIR).
pub fn open(sftp: *mut LIBSSH2_SFTP, path: &str, kind: c_int) -> *mut LIBSSH2_SFTP_HANDLE {
    // SAFETY: live instance; path valid.
    unsafe { ff::libssh2_sftp_open_ex(sftp, path.as_ptr().cast(), path.len() as c_uint, FXF_READ, 0, kind) }
}
