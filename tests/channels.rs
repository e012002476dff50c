//! Channels against the fixture sshd through the C ABI: exec, exit status and
//! signal, stderr handling, bulk data through `cat` (blocking and not),
//! pty, env, subsystem, direct-tcpip/streamlocal, remote forwarding, agent and
//! X11 forwarding, many concurrent channels, libssh2_poll.

mod common;

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixListener;
use std::process::Command;
use std::ptr;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use common::{pattern, SshAgent, Sshd, UserKey};
use sha2::{Digest, Sha256};
use ssh2::error::code;
use ssh2::ffi::channel::*;
use ssh2::ffi::forward::*;
use ssh2::ffi::handle::LIBSSH2_SESSION;
use ssh2::ffi::poll::libssh2_poll;
use ssh2::ffi::session::*;
use ssh2::ffi::types::{callback, pollfd, LIBSSH2_POLLFD_fd, LIBSSH2_POLLFD};

/// Bytes echoed through `cat` in the bulk tests.
const BULK: usize = 100 * 1024 * 1024;
/// Bytes each of the concurrent channels echoes.
const PER_CHANNEL: usize = 10 * 1024 * 1024;
/// OpenSSH's initial window for a session channel (CHAN_SES_WINDOW_DEFAULT).
const SSHD_SESSION_WINDOW: usize = 2 * 1024 * 1024;
/// Concurrent channels on one session.
const CHANNELS: usize = 8;
/// Write chunk for the bulk tests.
const CHUNK: usize = 256 * 1024;
/// Bytes in flight before a blocking-mode echo test reads back.
const LOCKSTEP: usize = 1024 * 1024;
/// Longest any wait in these tests may take.
const DEADLINE: Duration = Duration::from_secs(300);

/// A logged-in session and its socket.
struct Sess {
    p: *mut LIBSSH2_SESSION,
    tcp: TcpStream,
}

impl Drop for Sess {
    fn drop(&mut self) {
        // SAFETY: p came from init_ex and is freed once.
        unsafe { libssh2_session_free(self.p) };
    }
}

impl Sess {
    fn last_error(&self) -> String {
        let mut msg: *mut c_char = ptr::null_mut();
        let mut len: c_int = 0;
        // SAFETY: live session; out-pointers valid; want_buf 0 borrows the message.
        let rc = unsafe { libssh2_session_last_error(self.p, &mut msg, &mut len, 0) };
        let text = if msg.is_null() { String::new() } else { unsafe { CStr::from_ptr(msg) }.to_string_lossy().into() };
        format!("{rc}: {text}")
    }

    fn set_blocking(&self, on: bool) {
        // SAFETY: live session.
        unsafe { libssh2_session_set_blocking(self.p, on as c_int) };
    }

    /// Waits on the socket in the direction the session last blocked.
    fn wait(&self) {
        // SAFETY: live session.
        let dirs = unsafe { libssh2_session_block_directions(self.p) };
        let mut events = 0;
        if dirs & 1 != 0 {
            events |= libc::POLLIN;
        }
        if dirs & 2 != 0 {
            events |= libc::POLLOUT;
        }
        let mut pfd = libc::pollfd { fd: self.tcp.as_raw_fd(), events: events.max(libc::POLLIN), revents: 0 };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, 100) };
    }

    fn open_session(&self) -> *mut LIBSSH2_CHANNEL {
        let t = b"session";
        // SAFETY: live session; type readable.
        let ch = unsafe {
            libssh2_channel_open_ex(self.p, t.as_ptr().cast(), t.len() as u32, 2 * 1024 * 1024, 32768, ptr::null(), 0)
        };
        assert!(!ch.is_null(), "open session: {}", self.last_error());
        ch
    }

    fn exec(&self, cmd: &str) -> *mut LIBSSH2_CHANNEL {
        let ch = self.open_session();
        start(ch, "exec", cmd).unwrap_or_else(|rc| panic!("exec {cmd}: {rc} {}", self.last_error()));
        ch
    }
}

fn login(sshd: &Sshd) -> Sess {
    let (p, tcp) = common::login_ed25519(sshd);
    Sess { p, tcp }
}

fn start(ch: *mut LIBSSH2_CHANNEL, req: &str, msg: &str) -> Result<(), c_int> {
    // SAFETY: live channel; buffers valid.
    let rc = unsafe {
        libssh2_channel_process_startup(
            ch,
            req.as_ptr().cast(),
            req.len() as u32,
            msg.as_ptr().cast(),
            msg.len() as u32,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(rc)
    }
}

fn read(ch: *mut LIBSSH2_CHANNEL, stream: c_int, buf: &mut [u8]) -> isize {
    // SAFETY: live channel; buf writable.
    unsafe { libssh2_channel_read_ex(ch, stream, buf.as_mut_ptr().cast(), buf.len()) }
}

fn write(ch: *mut LIBSSH2_CHANNEL, stream: c_int, buf: &[u8]) -> isize {
    // SAFETY: live channel; buf readable.
    unsafe { libssh2_channel_write_ex(ch, stream, buf.as_ptr().cast(), buf.len()) }
}

fn write_all(ch: *mut LIBSSH2_CHANNEL, mut buf: &[u8]) {
    while !buf.is_empty() {
        let n = write(ch, 0, buf);
        assert!(n > 0, "write: {n}");
        buf = &buf[n as usize..];
    }
}

/// Blocking read of a stream until EOF.
fn read_all(ch: *mut LIBSSH2_CHANNEL, stream: c_int) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        let n = read(ch, stream, &mut buf);
        assert!(n >= 0, "read: {n}");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
}

fn close_free(ch: *mut LIBSSH2_CHANNEL) -> c_int {
    // SAFETY: live channel, freed once.
    unsafe {
        assert_eq!(libssh2_channel_close(ch), 0);
        assert_eq!(libssh2_channel_wait_closed(ch), 0);
        let status = libssh2_channel_get_exit_status(ch);
        assert_eq!(libssh2_channel_free(ch), 0);
        status
    }
}

fn sha(d: &[u8]) -> String {
    Sha256::digest(d).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn exec_reports_exit_status_and_signal() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let ch = s.exec("echo hello; exit 3");
    assert_eq!(read_all(ch, 0), b"hello\n");
    assert_eq!(close_free(ch), 3);

    let ch = s.exec("kill -TERM $$");
    read_all(ch, 0);
    // SAFETY: live channel; out-pointers valid; strings from the session allocator.
    unsafe {
        libssh2_channel_close(ch);
        libssh2_channel_wait_closed(ch);
        let mut sig: *mut c_char = ptr::null_mut();
        let mut len = 0usize;
        let rc = libssh2_channel_get_exit_signal(
            ch,
            &mut sig,
            &mut len,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
        );
        assert_eq!(rc, 0);
        assert!(!sig.is_null());
        assert_eq!(std::slice::from_raw_parts(sig.cast::<u8>(), len), b"TERM");
        ssh2::ffi::misc::libssh2_free(s.p, sig.cast());
        libssh2_channel_free(ch);
    }
}

/// libssh2 starts one process per channel: a second process_startup is
/// BAD_USE and sends nothing; wait_closed needs the peer's EOF, not our
/// close, and then waits for the peer's CLOSE.
#[test]
fn startup_once_and_wait_closed_after_eof() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let ch = s.exec("echo one");
    assert_eq!(start(ch, "exec", "echo two"), Err(code::BAD_USE));
    assert_eq!(start(ch, "shell", ""), Err(code::BAD_USE));
    // SAFETY: live channel.
    unsafe {
        assert_eq!(libssh2_channel_wait_eof(ch), 0);
        // The peer's EOF is enough: the wait ends at its CLOSE, sent after the exit status.
        assert_eq!(libssh2_channel_wait_closed(ch), 0);
        assert_eq!(libssh2_channel_get_exit_status(ch), 0);
    }
    assert_eq!(read_all(ch, 0), b"one\n", "the second startup ran nothing");
    assert_eq!(close_free(ch), 0);
    // Before the peer's EOF, wait_closed is INVAL even after our close.
    let ch = s.exec("sleep 3");
    // SAFETY: live channel.
    unsafe {
        assert_eq!(libssh2_channel_send_eof(ch), 0);
        assert_eq!(libssh2_channel_wait_closed(ch), code::INVAL);
        assert_eq!(libssh2_channel_free(ch), 0);
    }
    // A refused startup also ends the channel's one try.
    let ch = s.open_session();
    assert_eq!(start(ch, "subsystem", "no-such-subsystem"), Err(code::CHANNEL_REQUEST_DENIED));
    assert_eq!(start(ch, "exec", "true"), Err(code::BAD_USE));
    // SAFETY: live channel.
    assert_eq!(unsafe { libssh2_channel_free(ch) }, 0);
}

#[test]
fn stderr_apart_ignored_and_merged() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let cmd = "echo out; echo err >&2";
    let ch = s.exec(cmd);
    // stderr waits in its own buffer while stdout is read to EOF.
    assert_eq!(read_all(ch, 0), b"out\n");
    assert_eq!(read_all(ch, 1), b"err\n");
    close_free(ch);

    for (mode, want) in [(2, &b"out\nerr\n"[..]), (1, &b"out\n"[..])] {
        let ch = s.open_session();
        // SAFETY: live channel.
        assert_eq!(unsafe { libssh2_channel_handle_extended_data2(ch, mode) }, 0);
        start(ch, "exec", "echo out; sleep 0.2; echo err >&2").unwrap();
        assert_eq!(read_all(ch, 0), want, "mode {mode}");
        assert_eq!(read_all(ch, 1), b"", "mode {mode}");
        close_free(ch);
    }
}

/// Echoes `BULK` bytes through a remote `tee` that also checksums what it got;
/// returns (remote checksum of the upload, the echoed bytes).
fn bulk_echo(s: &Sess, blocking: bool) {
    let sent = pattern(BULK, 7);
    let ch = s.exec("bash -c 'tee >(sha256sum >&2)'");
    s.set_blocking(blocking);
    let mut got = Vec::with_capacity(BULK);
    let mut off = 0;
    let mut eof_sent = false;
    let mut buf = vec![0u8; CHUNK];
    let t0 = Instant::now();
    while got.len() < BULK {
        assert!(t0.elapsed() < DEADLINE, "bulk echo stalled at {} / {}", got.len(), off);
        let mut progress = false;
        // Blocking mode runs in lock step so neither side's window stays full.
        if off < BULK && (!blocking || off - got.len() < LOCKSTEP) {
            let end = (off + CHUNK).min(BULK);
            let n = write(ch, 0, &sent[off..end]);
            if n > 0 {
                off += n as usize;
                progress = true;
            } else {
                assert_eq!(n, code::EAGAIN as isize, "write");
            }
        }
        if off == BULK && !eof_sent {
            // SAFETY: live channel.
            let rc = unsafe { libssh2_channel_send_eof(ch) };
            if rc == 0 {
                eof_sent = true;
            } else {
                assert_eq!(rc, code::EAGAIN);
            }
        }
        if !blocking || off - got.len() >= LOCKSTEP || off == BULK {
            let n = read(ch, 0, &mut buf);
            if n > 0 {
                got.extend_from_slice(&buf[..n as usize]);
                progress = true;
            } else {
                assert!(n == code::EAGAIN as isize, "read {n} at {}", got.len());
            }
        }
        if !progress && !blocking {
            s.wait();
        }
    }
    s.set_blocking(true);
    let remote = String::from_utf8(read_all(ch, 1)).unwrap();
    assert_eq!(close_free(ch), 0);
    assert_eq!(remote.split_whitespace().next(), Some(sha(&sent).as_str()), "upload checksum");
    assert_eq!(sha(&got), sha(&sent), "echoed checksum");
}

#[test]
fn bulk_through_cat_blocking() {
    let sshd = Sshd::start();
    bulk_echo(&login(&sshd), true);
}

#[test]
fn bulk_through_cat_nonblocking() {
    let sshd = Sshd::start();
    bulk_echo(&login(&sshd), false);
}

#[test]
fn concurrent_channels_all_finish() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let chans: Vec<_> = (0..CHANNELS).map(|_| s.exec("cat")).collect();
    let sent: Vec<Vec<u8>> = (0..CHANNELS).map(|i| pattern(PER_CHANNEL, 100 + i as u64)).collect();
    let mut off = [0usize; CHANNELS];
    let mut got: Vec<Vec<u8>> = vec![Vec::new(); CHANNELS];
    let mut eof = [false; CHANNELS];
    let mut buf = vec![0u8; CHUNK];
    s.set_blocking(false);
    let t0 = Instant::now();
    // Bytes written on the least-written channel when the first one finished.
    let mut first_done: Option<usize> = None;
    while got.iter().any(|g| g.len() < PER_CHANNEL) {
        assert!(t0.elapsed() < DEADLINE, "stalled: {:?}", got.iter().map(Vec::len).collect::<Vec<_>>());
        let mut progress = false;
        for i in 0..CHANNELS {
            if off[i] < PER_CHANNEL {
                let end = (off[i] + CHUNK).min(PER_CHANNEL);
                let n = write(chans[i], 0, &sent[i][off[i]..end]);
                if n > 0 {
                    off[i] += n as usize;
                    progress = true;
                }
            } else if !eof[i] {
                // SAFETY: live channel.
                eof[i] = unsafe { libssh2_channel_send_eof(chans[i]) } == 0;
            }
            let n = read(chans[i], 0, &mut buf);
            if n > 0 {
                got[i].extend_from_slice(&buf[..n as usize]);
                progress = true;
            }
        }
        if first_done.is_none() && got.iter().any(|g| g.len() == PER_CHANNEL) {
            first_done = Some(off.iter().copied().min().unwrap_or(0));
        }
        if !progress {
            s.wait();
        }
    }
    s.set_blocking(true);
    for i in 0..CHANNELS {
        assert_eq!(sha(&got[i]), sha(&sent[i]), "channel {i}");
        assert_eq!(close_free(chans[i]), 0);
    }
    // No channel starved on our side: when the first finished, every other had
    // been given at least the whole window sshd opened (2 MiB). How soon sshd
    // echoes each channel back is its own scheduling (it serves some channels
    // first: a check on the echoed bytes failed here even at the commit that
    // introduced it), so the echo side is checked by completion only.
    assert!(first_done.unwrap() >= SSHD_SESSION_WINDOW, "starvation: least written {:?}", first_done);
}

#[test]
fn pty_and_window_change() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let ch = s.open_session();
    let term = "xterm";
    // SAFETY: live channel; buffers valid.
    let rc = unsafe { libssh2_channel_request_pty_ex(ch, term.as_ptr().cast(), 5, ptr::null(), 0, 80, 24, 0, 0) };
    assert_eq!(rc, 0, "{}", s.last_error());
    start(ch, "exec", "stty size; read x; stty size").unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&out).contains("24 80") {
        let n = read(ch, 0, &mut buf);
        assert!(n > 0, "{n}");
        out.extend_from_slice(&buf[..n as usize]);
    }
    // SAFETY: live channel.
    assert_eq!(unsafe { libssh2_channel_request_pty_size_ex(ch, 100, 40, 0, 0) }, 0);
    write_all(ch, b"\n");
    let rest = read_all(ch, 0);
    assert!(String::from_utf8_lossy(&rest).contains("40 100"), "{:?}", String::from_utf8_lossy(&rest));
    close_free(ch);
}

fn setenv(ch: *mut LIBSSH2_CHANNEL, k: &str, v: &str) -> c_int {
    // SAFETY: live channel; buffers valid.
    unsafe { libssh2_channel_setenv_ex(ch, k.as_ptr().cast(), k.len() as u32, v.as_ptr().cast(), v.len() as u32) }
}

#[test]
fn env_passes_through_accept_env() {
    let sshd = Sshd::start_with(&["AcceptEnv XYZZY_VAR"]);
    let s = login(&sshd);
    let ch = s.open_session();
    assert_eq!(setenv(ch, "XYZZY_VAR", "plugh value"), 0);
    assert_eq!(setenv(ch, "LIBSSH2_TEST_B", "b"), 0);
    assert_eq!(setenv(ch, "NOT_ACCEPTED", "x"), code::CHANNEL_REQUEST_DENIED);
    start(ch, "exec", "echo \"$XYZZY_VAR|$LIBSSH2_TEST_B|$NOT_ACCEPTED\"").unwrap();
    assert_eq!(read_all(ch, 0), b"plugh value|b|\n");
    close_free(ch);
}

#[test]
fn sftp_subsystem_answers_init() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let ch = s.open_session();
    start(ch, "subsystem", "sftp").unwrap();
    // SSH_FXP_INIT, version 3.
    write_all(ch, &[0, 0, 0, 5, 1, 0, 0, 0, 3]);
    let mut hdr = [0u8; 9];
    let mut got = 0;
    while got < hdr.len() {
        let n = read(ch, 0, &mut hdr[got..]);
        assert!(n > 0);
        got += n as usize;
    }
    assert_eq!(hdr[4], 2, "SSH_FXP_VERSION");
    assert_eq!(&hdr[5..9], &[0, 0, 0, 3]);
    // SAFETY: live channel.
    unsafe { libssh2_channel_free(ch) };
}

/// Serves one connection: answers every read with "echo:" + the bytes.
fn echo_once(mut c: impl Read + Write) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = c.read(&mut buf) {
        if n == 0 {
            break;
        }
        let mut reply = b"echo:".to_vec();
        reply.extend_from_slice(&buf[..n]);
        if c.write_all(&reply).is_err() {
            break;
        }
    }
}

fn roundtrip(ch: *mut LIBSSH2_CHANNEL, msg: &[u8]) -> Vec<u8> {
    write_all(ch, msg);
    let want = msg.len() + 5;
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    while out.len() < want {
        let n = read(ch, 0, &mut buf);
        assert!(n > 0, "read {n}");
        out.extend_from_slice(&buf[..n as usize]);
    }
    out
}

#[test]
fn direct_tcpip_and_streamlocal() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let t = thread::spawn(move || echo_once(l.accept().unwrap().0));
    let host = CString::new("127.0.0.1").unwrap();
    // SAFETY: live session; strings valid.
    let ch = unsafe { libssh2_channel_direct_tcpip_ex(s.p, host.as_ptr(), port as c_int, host.as_ptr(), 22) };
    assert!(!ch.is_null(), "{}", s.last_error());
    assert_eq!(roundtrip(ch, b"over tcp"), b"echo:over tcp");
    // SAFETY: live channel.
    unsafe { libssh2_channel_free(ch) };
    t.join().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let ul = UnixListener::bind(&path).unwrap();
    let t = thread::spawn(move || echo_once(ul.accept().unwrap().0));
    let cpath = CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: live session; strings valid.
    let ch = unsafe { libssh2_channel_direct_streamlocal_ex(s.p, cpath.as_ptr(), host.as_ptr(), 0) };
    assert!(!ch.is_null(), "{}", s.last_error());
    assert_eq!(roundtrip(ch, b"over unix"), b"echo:over unix");
    // SAFETY: live channel.
    unsafe { libssh2_channel_free(ch) };
    t.join().unwrap();
}

#[test]
fn remote_forward_accepts_connections() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let host = CString::new("127.0.0.1").unwrap();
    let mut bound: c_int = 0;
    // SAFETY: live session; host valid; bound writable.
    let l = unsafe { libssh2_channel_forward_listen_ex(s.p, host.as_ptr(), 0, &mut bound, 4) };
    assert!(!l.is_null(), "{}", s.last_error());
    assert!(bound > 0);
    let client = thread::spawn(move || {
        let mut c = TcpStream::connect(("127.0.0.1", bound as u16)).unwrap();
        c.write_all(b"ping").unwrap();
        let mut reply = [0u8; 9];
        c.read_exact(&mut reply).unwrap();
        reply
    });
    // Poll the listener until the connection is queued.
    let mut fds = [LIBSSH2_POLLFD {
        r#type: pollfd::LISTENER,
        fd: LIBSSH2_POLLFD_fd { listener: l.cast() },
        events: pollfd::POLLIN,
        revents: 0,
    }];
    // SAFETY: one valid entry with a live listener.
    let rc = unsafe { libssh2_poll(fds.as_mut_ptr(), 1, 20_000) };
    assert_eq!(rc, 1, "{}", s.last_error());
    assert_ne!(fds[0].revents & pollfd::POLLIN, 0);
    // SAFETY: live listener.
    let ch = unsafe { libssh2_channel_forward_accept(l) };
    assert!(!ch.is_null(), "{}", s.last_error());
    let mut buf = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = read(ch, 0, &mut buf[got..]);
        assert!(n > 0);
        got += n as usize;
    }
    assert_eq!(&buf, b"ping");
    write_all(ch, b"pong:ping");
    assert_eq!(&client.join().unwrap(), b"pong:ping");
    // SAFETY: live channel and listener, each freed once.
    unsafe {
        libssh2_channel_free(ch);
        assert_eq!(libssh2_channel_forward_cancel(l), 0);
    }
    // The port is closed after the cancel.
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", bound as u16)).is_ok() {
        assert!(t0.elapsed() < Duration::from_secs(10), "port still open after cancel");
        // Keep the session moving so sshd's reply and close go through.
        let ch = s.exec("true");
        close_free(ch);
    }
}

/// Like libssh2, freeing the session frees the listeners the application did
/// not cancel: the session owns their handles (scripts/asan.sh's LeakSanitizer
/// reported the handle of an uncancelled listener as leaked before).
#[test]
fn session_free_frees_uncancelled_listeners() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let host = CString::new("127.0.0.1").unwrap();
    let mut bound: c_int = 0;
    // SAFETY: live session; host valid; bound writable; each listener used while live.
    unsafe {
        let a = libssh2_channel_forward_listen_ex(s.p, host.as_ptr(), 0, &mut bound, 4);
        assert!(!a.is_null(), "{}", s.last_error());
        let b = libssh2_channel_forward_listen_ex(s.p, host.as_ptr(), 0, &mut bound, 4);
        assert!(!b.is_null(), "{}", s.last_error());
        assert_ne!(a, b);
        let owned = |l: *mut LIBSSH2_LISTENER| (*s.p).listener_handles.values().any(|h| ptr::eq(&**h, l));
        assert_eq!((*s.p).listener_handles.len(), 2);
        assert!(owned(a) && owned(b), "the session owns both handles");
        assert_eq!(libssh2_channel_forward_cancel(a), 0);
        assert_eq!((*s.p).listener_handles.len(), 1, "cancel frees its handle");
        assert!(owned(b));
    }
    // `b` stays open: dropping `s` frees the session and, with it, `b`'s handle.
    drop(s);
}

#[test]
fn agent_forwarding_lists_local_keys() {
    let sshd = Sshd::start();
    let kp = sshd.user_key(UserKey::Ecdsa256);
    let agent = SshAgent::start(&[&kp.private]);
    // The library side finds the agent through SSH_AUTH_SOCK, as ssh does.
    std::env::set_var("SSH_AUTH_SOCK", &agent.sock);
    let s = login(&sshd);
    let ch = s.open_session();
    // SAFETY: live channel.
    assert_eq!(unsafe { libssh2_channel_request_auth_agent(ch) }, 0, "{}", s.last_error());
    start(ch, "exec", "ssh-add -l").unwrap();
    let out = String::from_utf8(read_all(ch, 0)).unwrap();
    assert_eq!(close_free(ch), 0, "{out}");
    let fp = Command::new("ssh-keygen").arg("-lf").arg(&kp.public).output().unwrap();
    let fp = String::from_utf8(fp.stdout).unwrap();
    let fp = fp.split_whitespace().nth(1).unwrap();
    assert!(out.contains(fp), "ssh-add -l printed {out:?}, want {fp}");
}

/// What the X11 callback saw: (channel, originator host, originator port).
static X11_SEEN: Mutex<Vec<(usize, String, c_int)>> = Mutex::new(Vec::new());

unsafe extern "C" fn x11_cb(
    _s: *mut LIBSSH2_SESSION,
    ch: *mut LIBSSH2_CHANNEL,
    shost: *const c_char,
    sport: c_int,
    _ab: *mut *mut c_void,
) {
    // SAFETY: the library passes a NUL-terminated host.
    let host = unsafe { CStr::from_ptr(shost) }.to_string_lossy().into_owned();
    X11_SEEN.lock().unwrap().push((ch as usize, host, sport));
}

#[test]
fn x11_callback_gets_inbound_channel() {
    let sshd = Sshd::start_with(&["X11Forwarding yes", "X11UseLocalhost yes", "XAuthLocation /usr/bin/xauth"]);
    let s = login(&sshd);
    // SAFETY: live session; a function of the X11 callback type.
    unsafe { libssh2_session_callback_set2(s.p, callback::X11, x11_cb as *mut c_void) };
    let ch = s.open_session();
    // SAFETY: live channel; null proto/cookie make up a cookie.
    assert_eq!(unsafe { libssh2_channel_x11_req_ex(ch, 0, ptr::null(), ptr::null(), 0) }, 0, "{}", s.last_error());
    let py = "import os,socket; d=os.environ['DISPLAY']; n=int(d.split(':')[1].split('.')[0]); \
              c=socket.create_connection(('127.0.0.1',6000+n)); c.sendall(b'x11 hello'); \
              print(d, flush=True); c.recv(1)";
    start(ch, "exec", &format!("/usr/bin/python3 -c \"{py}\"")).unwrap();
    let mut buf = [0u8; 256];
    let t0 = Instant::now();
    while X11_SEEN.lock().unwrap().is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(20), "no x11 channel; {}", sshd.log());
        let n = read(ch, 0, &mut buf);
        assert!(n > 0, "exec ended: {n} {:?}", String::from_utf8_lossy(&read_all(ch, 1)));
    }
    let (xch, host, port) = X11_SEEN.lock().unwrap()[0].clone();
    assert_eq!(host, "127.0.0.1");
    assert!(port > 0);
    let xch = xch as *mut LIBSSH2_CHANNEL;
    let mut got = Vec::new();
    while got.len() < 9 {
        let n = read(xch, 0, &mut buf);
        assert!(n > 0);
        got.extend_from_slice(&buf[..n as usize]);
    }
    assert_eq!(got, b"x11 hello");
    write_all(xch, b"!");
    // SAFETY: live channels.
    unsafe { libssh2_channel_free(xch) };
    read_all(ch, 0);
    close_free(ch);
}

#[test]
fn poll_waits_for_channel_data_and_times_out() {
    let sshd = Sshd::start();
    let s = login(&sshd);
    let ch = s.exec("sleep 0.5; echo ready; sleep 30");
    let mut fds = [LIBSSH2_POLLFD {
        r#type: pollfd::CHANNEL,
        fd: LIBSSH2_POLLFD_fd { channel: ch.cast() },
        events: pollfd::POLLIN | pollfd::POLLOUT,
        revents: 0,
    }];
    // POLLOUT is ready at once (the window is open).
    // SAFETY: one valid entry with a live channel.
    assert_eq!(unsafe { libssh2_poll(fds.as_mut_ptr(), 1, 1000) }, 1);
    assert_eq!(fds[0].revents & pollfd::POLLOUT, pollfd::POLLOUT);
    assert_eq!(fds[0].revents & pollfd::POLLIN, 0);
    fds[0].events = pollfd::POLLIN;
    // SAFETY: live channel.
    assert_eq!(unsafe { libssh2_poll_channel_read(ch, 0) }, 0);
    let t0 = Instant::now();
    // SAFETY: as above.
    assert_eq!(unsafe { libssh2_poll(fds.as_mut_ptr(), 1, 20_000) }, 1);
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_eq!(fds[0].revents & pollfd::POLLIN, pollfd::POLLIN);
    // SAFETY: live channel.
    assert_eq!(unsafe { libssh2_poll_channel_read(ch, 0) }, 1);
    let mut buf = [0u8; 16];
    assert_eq!(read(ch, 0, &mut buf), 6);
    // Nothing more for a while: the timeout is honoured.
    let t0 = Instant::now();
    // SAFETY: as above.
    assert_eq!(unsafe { libssh2_poll(fds.as_mut_ptr(), 1, 300) }, 0);
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(250) && took < Duration::from_secs(5), "{took:?}");
    // A plain socket entry works too.
    let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    b.write_all(b"x").unwrap();
    let mut sfd = [LIBSSH2_POLLFD {
        r#type: pollfd::SOCKET,
        fd: LIBSSH2_POLLFD_fd { socket: a.as_raw_fd() },
        events: pollfd::POLLIN,
        revents: 0,
    }];
    // SAFETY: one valid socket entry.
    assert_eq!(unsafe { libssh2_poll(sfd.as_mut_ptr(), 1, 1000) }, 1);
    assert_eq!(sfd[0].revents & pollfd::POLLIN, pollfd::POLLIN);
    // SAFETY: live channel.
    unsafe { libssh2_channel_free(ch) };
}
