//! Fault injection through LIBSSH2_CALLBACK_SEND/RECV against the fixture sshd
//! (issue 9): one full flow (handshake, publickey auth, exec of `cat`, SCP
//! upload and download) run
//! - blocking with plain I/O: the reference result;
//! - non-blocking and blocking with EAGAIN on every other call and one-byte
//!   moves, so every boundary of every packet is split: results identical;
//! - with the connection closed (EOF on receive, EPIPE on send) after byte N,
//!   for N sampled over the whole recorded session: every 7th N below 4 KiB
//!   (`FAULTS_DENSE_STEP=1` for every single one: about 40 minutes), every
//!   997th after it, and one past the end (which must complete). Each
//!   call then fails with a socket error (never EAGAIN forever, never a
//!   timeout), no crash, and whatever arrived before the close is exact.
//!
//! The same faults over an SFTP session (handshake, auth, SFTP init, upload
//! of SFTP_BYTES with the write pipeline, read-back with read-ahead, stat,
//! readdir, realpath, shutdown): EAGAIN + one-byte moves in both modes must
//! give the reference result; a close after N bytes is sampled at
//! SFTP_POINTS_PER_STAGE points SFTP_STAGE_STRIDE bytes apart after the start
//! of every SFTP stage plus every SFTP_SPAN_STRIDE bytes across the SFTP part,
//! and must fail cleanly, never hand out wrong data, and never acknowledge a
//! write the server's disk does not hold.
//!
//! Also builds and runs tests/c/alloc_fail.c (a session allocator that fails
//! its N-th allocation, for every N of every flow) with the fixture sshd and
//! an ssh-agent.

mod common;

use std::ffi::{c_int, c_void, CString};
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr;
use std::time::{Duration, Instant};

use common::{pattern, SshAgent, Sshd, UserKey};
use ssh2::error::code;
use ssh2::ffi::channel::*;
use ssh2::ffi::handle::LIBSSH2_SESSION;
use ssh2::ffi::scp::*;
use ssh2::ffi::session::*;
use ssh2::ffi::sftp::*;
use ssh2::ffi::types::libssh2_struct_stat;
use ssh2::ffi::types::LIBSSH2_SFTP_ATTRIBUTES;
use ssh2::ffi::userauth::libssh2_userauth_publickey_fromfile_ex;
use ssh2::session::io::wait_fd;

/// LIBSSH2_CALLBACK_SEND / LIBSSH2_CALLBACK_RECV.
const CALLBACK_SEND: c_int = 5;
const CALLBACK_RECV: c_int = 6;
/// Bytes through `cat` (several packets).
const EXEC_BYTES: usize = 20_000;
/// Bytes of the SCP file (more than one window's worth of packets).
const SCP_BYTES: usize = 70_000;
/// Close points below this many bytes are dense.
const DENSE_LIMIT: usize = 4096;
/// Close points above DENSE_LIMIT are this far apart.
const SPARSE_STEP: usize = 997;
/// The last close point lies this far past the reference's byte count (the
/// server's random padding makes each session's length differ slightly).
const PAST_END: usize = 4096;
/// No single call may take longer: a longer one is a hang.
const CALL_DEADLINE: Duration = Duration::from_secs(30);
/// The session timeout in blocking mode: a fault must never be reported as a timeout.
const SESSION_TIMEOUT_MS: i64 = 30_000;
/// LIBSSH2_FLAG_SFTP_WRITE_BEHIND (ours).
const FLAG_SFTP_WRITE_BEHIND: c_int = 0x5701;

/// What the callbacks do, per session (reached through the session's abstract pointer).
#[derive(Clone, Copy, Default)]
struct Plan {
    /// Every other call answers EAGAIN and the others move one byte.
    eagain_one_byte: bool,
    /// Receive reports EOF once this many bytes have been received.
    recv_close_at: Option<usize>,
    /// Send fails with EPIPE once this many bytes have been sent.
    send_close_at: Option<usize>,
    /// SFTP write-behind on (LIBSSH2_FLAG_SFTP_WRITE_BEHIND, issue 18).
    write_behind: bool,
}

/// Per-session callback state.
struct Faults {
    plan: Plan,
    sent: usize,
    received: usize,
    flip_send: bool,
    flip_recv: bool,
    eagains: usize,
}

/// The Faults behind a callback's abstract argument.
///
/// # Safety
/// `abs` is the session's abstract slot, set to a live `Faults` by `Flow::start`.
unsafe fn faults<'a>(abs: *mut *mut c_void) -> &'a mut Faults {
    // SAFETY: per the contract above; one session is used by one thread at a time.
    unsafe { &mut *(*abs).cast::<Faults>() }
}

/// errno of the last failed system call, negated as libssh2 callbacks return it.
fn neg_errno() -> isize {
    -(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO) as isize)
}

extern "C" fn fault_send(fd: RawFd, buf: *const c_void, len: usize, flags: c_int, abs: *mut *mut c_void) -> isize {
    // SAFETY: the session was created with a Faults as its abstract.
    let f = unsafe { faults(abs) };
    let mut len = len;
    if let Some(at) = f.plan.send_close_at {
        if f.sent >= at {
            return -(libc::EPIPE as isize);
        }
        len = len.min(at - f.sent);
    }
    if f.plan.eagain_one_byte {
        f.flip_send = !f.flip_send;
        if f.flip_send {
            f.eagains += 1;
            return -(libc::EAGAIN as isize);
        }
        len = len.min(1);
    }
    // SAFETY: buf is readable for len bytes (len only shrank).
    let r = unsafe { libc::send(fd, buf, len, flags | libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) };
    if r < 0 {
        return neg_errno();
    }
    f.sent += r as usize;
    r
}

extern "C" fn fault_recv(fd: RawFd, buf: *mut c_void, len: usize, flags: c_int, abs: *mut *mut c_void) -> isize {
    // SAFETY: the session was created with a Faults as its abstract.
    let f = unsafe { faults(abs) };
    let mut len = len;
    if let Some(at) = f.plan.recv_close_at {
        if f.received >= at {
            return 0;
        }
        len = len.min(at - f.received);
    }
    if f.plan.eagain_one_byte {
        f.flip_recv = !f.flip_recv;
        if f.flip_recv {
            f.eagains += 1;
            return -(libc::EAGAIN as isize);
        }
        len = len.min(1);
    }
    // SAFETY: buf is writable for len bytes (len only shrank).
    let r = unsafe { libc::recv(fd, buf, len, flags | libc::MSG_DONTWAIT) };
    if r < 0 {
        return neg_errno();
    }
    f.received += r as usize;
    r
}

/// What a flow produced: the bytes each stage delivered (a stage that failed
/// keeps what it got so far) and where it stopped.
#[derive(Debug, Default, PartialEq, Eq)]
struct Outcome {
    exec_out: Vec<u8>,
    exit_status: Option<c_int>,
    uploaded: bool,
    downloaded: Vec<u8>,
    /// (stage, error code) of the first failure.
    failed: Option<(&'static str, c_int)>,
    sent: usize,
    received: usize,
    eagains: usize,
}

/// One session through the faulty callbacks.
struct Flow<'a> {
    sshd: &'a Sshd,
    p: *mut LIBSSH2_SESSION,
    faults: Box<Faults>,
    tcp: std::net::TcpStream,
    blocking: bool,
}

impl Drop for Flow<'_> {
    fn drop(&mut self) {
        // SAFETY: p came from init_ex and is freed once; the Faults outlives it.
        unsafe { libssh2_session_free(self.p) };
    }
}

/// Error code of a failed step, or EAGAIN to retry.
type Step<T> = Result<T, c_int>;

impl<'a> Flow<'a> {
    fn start(sshd: &'a Sshd, plan: Plan, blocking: bool) -> Flow<'a> {
        let mut faults =
            Box::new(Faults { plan, sent: 0, received: 0, flip_send: false, flip_recv: false, eagains: 0 });
        let abs: *mut Faults = &mut *faults;
        let tcp = sshd.connect();
        // SAFETY: valid arguments; the abstract points into the Box, which lives as long as the session.
        let p = unsafe {
            let p = libssh2_session_init_ex(None, None, None, abs.cast());
            libssh2_session_callback_set2(p, CALLBACK_SEND, fault_send as *mut c_void);
            libssh2_session_callback_set2(p, CALLBACK_RECV, fault_recv as *mut c_void);
            libssh2_session_set_blocking(p, blocking as c_int);
            libssh2_session_set_timeout(p, SESSION_TIMEOUT_MS);
            if plan.write_behind {
                assert_eq!(libssh2_session_flag(p, FLAG_SFTP_WRITE_BEHIND, 1), 0);
            }
            p
        };
        Flow { sshd, p, faults, tcp, blocking }
    }

    /// Repeats `f` while it answers EAGAIN (non-blocking), waiting on the socket;
    /// a call that never settles, or a fault reported as a timeout, is a hang.
    fn call<T>(&self, stage: &str, mut f: impl FnMut() -> Step<T>) -> Step<T> {
        let start = Instant::now();
        loop {
            match f() {
                Err(rc) if rc == code::EAGAIN => {
                    assert!(!self.blocking, "{stage}: EAGAIN in blocking mode");
                    // SAFETY: live session.
                    let dirs = unsafe { libssh2_session_block_directions(self.p) };
                    assert_ne!(dirs, 0, "{stage}: EAGAIN with no block direction");
                    assert!(start.elapsed() < CALL_DEADLINE, "{stage}: still EAGAIN after {CALL_DEADLINE:?} (hang)");
                    // Half the EAGAINs are the callbacks' own: a short wait keeps things moving.
                    wait_fd(self.tcp.as_raw_fd(), dirs, 5);
                }
                Err(rc) => {
                    assert_ne!(rc, code::TIMEOUT, "{stage}: a closed connection was reported as a timeout");
                    assert!(start.elapsed() < CALL_DEADLINE, "{stage}: took {:?}", start.elapsed());
                    return Err(rc);
                }
                Ok(v) => return Ok(v),
            }
        }
    }

    fn rc(r: c_int) -> Step<()> {
        if r < 0 {
            Err(r)
        } else {
            Ok(())
        }
    }

    fn null_or<T>(&self, p: *mut T) -> Step<*mut T> {
        if p.is_null() {
            // SAFETY: live session.
            Err(unsafe { libssh2_session_last_errno(self.p) })
        } else {
            Ok(p)
        }
    }

    /// Writes all of `data` to `ch`.
    fn write_all(&self, stage: &str, ch: *mut LIBSSH2_CHANNEL, data: &[u8]) -> Step<()> {
        let mut off = 0;
        while off < data.len() {
            // SAFETY: live channel, readable buffer.
            let n = self.call(stage, || {
                let n = unsafe { libssh2_channel_write_ex(ch, 0, data[off..].as_ptr().cast(), data.len() - off) };
                if n < 0 {
                    Err(n as c_int)
                } else {
                    Ok(n as usize)
                }
            })?;
            assert!(n > 0, "{stage}: write moved nothing");
            off += n;
        }
        Ok(())
    }

    /// Reads `ch` until EOF (or `limit` bytes) into `out`.
    fn read_to(&self, stage: &str, ch: *mut LIBSSH2_CHANNEL, out: &mut Vec<u8>, limit: usize) -> Step<()> {
        let mut buf = [0u8; 4096];
        while out.len() < limit {
            let want = buf.len().min(limit - out.len());
            // SAFETY: live channel, writable buffer.
            let n = self.call(stage, || {
                let n = unsafe { libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), want) };
                if n < 0 {
                    Err(n as c_int)
                } else {
                    Ok(n as usize)
                }
            })?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        Ok(())
    }

    /// Closes `ch` and waits for the peer's EOF and CLOSE. As in libssh2, close
    /// stops waiting at the next packet and wait_closed needs the peer's EOF,
    /// so the EOF is awaited between them.
    fn close(&self, stage: &str, ch: *mut LIBSSH2_CHANNEL) -> Step<()> {
        // SAFETY: live channel.
        self.call(stage, || Self::rc(unsafe { libssh2_channel_close(ch) }))?;
        // SAFETY: live channel.
        self.call(stage, || Self::rc(unsafe { libssh2_channel_wait_eof(ch) }))?;
        // SAFETY: live channel.
        self.call(stage, || Self::rc(unsafe { libssh2_channel_wait_closed(ch) }))
    }

    fn free(&self, ch: *mut LIBSSH2_CHANNEL) {
        // SAFETY: live channel, freed once; an error leaves it to session_free.
        let _ = self.call("channel_free", || Self::rc(unsafe { libssh2_channel_free(ch) }));
    }

    /// Handshake and publickey authentication.
    fn login(&self) -> Result<(), (&'static str, c_int)> {
        let fd = self.tcp.as_raw_fd();
        // SAFETY: live session and socket.
        self.call("handshake", || Self::rc(unsafe { libssh2_session_handshake(self.p, fd) }))
            .map_err(|e| ("handshake", e))?;
        let kp = self.sshd.user_key(UserKey::Ed25519);
        let user = CString::new(self.sshd.user.clone()).unwrap();
        let public = CString::new(kp.public.to_str().unwrap()).unwrap();
        let private = CString::new(kp.private.to_str().unwrap()).unwrap();
        self.call("auth", || {
            // SAFETY: live session; C strings valid.
            Self::rc(unsafe {
                libssh2_userauth_publickey_fromfile_ex(
                    self.p,
                    user.as_ptr(),
                    user.as_bytes().len() as u32,
                    public.as_ptr(),
                    private.as_ptr(),
                    ptr::null(),
                )
            })
        })
        .map_err(|e| ("auth", e))
    }

    /// The whole flow; stops at the first failing stage.
    fn run(&self, remote: &Path, out: &mut Outcome) -> Result<(), (&'static str, c_int)> {
        self.login()?;

        // exec cat
        let kind = b"session";
        let ch = self
            .call("exec", || {
                // SAFETY: live session.
                self.null_or(unsafe {
                    libssh2_channel_open_ex(self.p, kind.as_ptr().cast(), 7, 2 * 1024 * 1024, 32768, ptr::null(), 0)
                })
            })
            .map_err(|e| ("exec", e))?;
        let r = (|| {
            let (req, cmd) = (b"exec", b"cat");
            // SAFETY: live channel; buffers valid.
            self.call("exec", || {
                Self::rc(unsafe { libssh2_channel_process_startup(ch, req.as_ptr().cast(), 4, cmd.as_ptr().cast(), 3) })
            })?;
            self.write_all("exec", ch, &pattern(EXEC_BYTES, 3))?;
            // SAFETY: live channel.
            self.call("exec", || Self::rc(unsafe { libssh2_channel_send_eof(ch) }))?;
            self.read_to("exec", ch, &mut out.exec_out, usize::MAX)?;
            self.close("exec", ch)?;
            // SAFETY: live channel.
            out.exit_status = Some(unsafe { libssh2_channel_get_exit_status(ch) });
            Ok(())
        })();
        self.free(ch);
        r.map_err(|e| ("exec", e))?;

        // scp upload
        let cpath = CString::new(remote.to_str().unwrap()).unwrap();
        let content = pattern(SCP_BYTES, 9);
        let ch = self
            .call("scp_send", || {
                // SAFETY: live session; path valid.
                self.null_or(unsafe { libssh2_scp_send64(self.p, cpath.as_ptr(), 0o640, SCP_BYTES as i64, 0, 0) })
            })
            .map_err(|e| ("scp_send", e))?;
        let r = (|| {
            self.write_all("scp_send", ch, &content)?;
            // SAFETY: live channel.
            self.call("scp_send", || Self::rc(unsafe { libssh2_channel_send_eof(ch) }))?;
            self.call("scp_send", || Self::rc(unsafe { libssh2_channel_wait_eof(ch) }))?;
            self.close("scp_send", ch)
        })();
        self.free(ch);
        r.map_err(|e| ("scp_send", e))?;
        out.uploaded = true;

        // scp download
        // SAFETY: an all-zero stat struct is valid.
        let mut st: libssh2_struct_stat = unsafe { std::mem::zeroed() };
        let ch = self
            .call("scp_recv", || {
                // SAFETY: live session; path and stat valid.
                self.null_or(unsafe { libssh2_scp_recv2(self.p, cpath.as_ptr(), &mut st) })
            })
            .map_err(|e| ("scp_recv", e))?;
        let r = (|| {
            assert_eq!(st.st_size as usize, SCP_BYTES, "scp_recv size");
            self.read_to("scp_recv", ch, &mut out.downloaded, SCP_BYTES)?;
            self.close("scp_recv", ch)
        })();
        self.free(ch);
        r.map_err(|e| ("scp_recv", e))?;

        let bye = CString::new("bye").unwrap();
        // SAFETY: live session.
        self.call("disconnect", || {
            Self::rc(unsafe { libssh2_session_disconnect_ex(self.p, 11, bye.as_ptr(), c"".as_ptr()) })
        })
        .map_err(|e| ("disconnect", e))
    }
}

/// Runs the flow once with `plan`; returns what it produced.
fn flow(sshd: &Sshd, plan: Plan, blocking: bool, tag: &str) -> Outcome {
    let remote = sshd.dir.path().join(format!("scp-{tag}.bin"));
    let _ = std::fs::remove_file(&remote);
    let f = Flow::start(sshd, plan, blocking);
    let mut out = Outcome::default();
    if let Err(e) = f.run(&remote, &mut out) {
        out.failed = Some(e);
        // After a failure every call fails at once, without crashing or hanging.
        // SAFETY: live session.
        let again = f.call("after failure", || Flow::rc(unsafe { libssh2_session_handshake(f.p, f.tcp.as_raw_fd()) }));
        assert!(again.is_err() || e.0 != "handshake", "handshake succeeded after a failed one");
    }
    if out.uploaded {
        let got = std::fs::read(&remote).expect("uploaded file");
        assert!(got == pattern(SCP_BYTES, 9), "uploaded bytes differ");
    }
    out.sent = f.faults.sent;
    out.received = f.faults.received;
    out.eagains = f.faults.eagains;
    drop(f);
    let _ = std::fs::remove_file(&remote);
    out
}

/// The reference: blocking mode, no faults.
fn reference(sshd: &Sshd) -> Outcome {
    let r = flow(sshd, Plan::default(), true, "ref");
    assert_eq!(r.failed, None, "reference flow failed");
    let mut want = pattern(EXEC_BYTES, 3);
    assert!(r.exec_out == want, "exec output differs");
    assert_eq!(r.exit_status, Some(0));
    want = pattern(SCP_BYTES, 9);
    assert!(r.downloaded == want, "downloaded bytes differ");
    r
}

/// Asserts that `o` equals the reference in everything the peer decided.
fn same_result(o: &Outcome, r: &Outcome, what: &str) {
    assert_eq!(o.failed, None, "{what}");
    assert!(o.exec_out == r.exec_out, "{what}: exec output differs");
    assert_eq!(o.exit_status, r.exit_status, "{what}");
    assert!(o.uploaded, "{what}");
    assert!(o.downloaded == r.downloaded, "{what}: download differs");
}

#[test]
fn eagain_and_one_byte_moves_at_every_boundary_nonblocking() {
    let sshd = Sshd::start();
    let r = reference(&sshd);
    let o = flow(&sshd, Plan { eagain_one_byte: true, ..Plan::default() }, false, "nb");
    same_result(&o, &r, "non-blocking one-byte");
    // Each byte is one call after one EAGAIN, both ways.
    assert!(o.eagains >= o.sent + o.received, "{} EAGAINs for {} bytes", o.eagains, o.sent + o.received);
    println!("one-byte non-blocking: {} bytes sent, {} received, {} EAGAINs", o.sent, o.received, o.eagains);
}

#[test]
fn eagain_and_one_byte_moves_at_every_boundary_blocking() {
    let sshd = Sshd::start();
    let r = reference(&sshd);
    let o = flow(&sshd, Plan { eagain_one_byte: true, ..Plan::default() }, true, "b");
    same_result(&o, &r, "blocking one-byte");
    assert!(o.eagains >= o.sent + o.received);
}

/// Default distance of the close points below DENSE_LIMIT: a prime, so the
/// points fall at every offset within the 8- and 16-byte cipher blocks.
const DENSE_STEP: usize = 7;

/// Close points: every `FAULTS_DENSE_STEP` bytes below DENSE_LIMIT, then every
/// SPARSE_STEP up to `total`, then one well past it.
fn close_points(total: usize) -> Vec<usize> {
    let dense = std::env::var("FAULTS_DENSE_STEP").ok().and_then(|v| v.parse().ok()).unwrap_or(DENSE_STEP).max(1);
    let mut v: Vec<usize> = (0..DENSE_LIMIT.min(total)).step_by(dense).collect();
    v.extend((DENSE_LIMIT..total).step_by(SPARSE_STEP));
    v.push(total + PAST_END);
    v
}

/// A plan that closes the connection after byte `n` in one direction.
fn close_plan(recv_side: bool, n: usize) -> Plan {
    if recv_side {
        Plan { recv_close_at: Some(n), ..Plan::default() }
    } else {
        Plan { send_close_at: Some(n), ..Plan::default() }
    }
}

/// Nothing moved past the close point.
fn assert_within_close(recv_side: bool, n: usize, received: usize, sent: usize, what: &str) {
    if recv_side {
        assert!(received <= n, "{what}: read past the close");
    } else {
        assert!(sent <= n, "{what}: wrote past the close");
    }
}

/// Closes the connection after each sampled byte count in one direction;
/// each run must fail cleanly with exact partial results, or finish like the reference.
fn closes_after_n(recv_side: bool) {
    let sshd = Sshd::start();
    let r = reference(&sshd);
    let total = if recv_side { r.received } else { r.sent };
    let points = close_points(total);
    let started = Instant::now();
    let mut failed = 0;
    for (i, &n) in points.iter().enumerate() {
        let plan = close_plan(recv_side, n);
        // Alternate modes so both paths see every region of the session.
        let blocking = i % 2 == 0;
        let o = flow(&sshd, plan, blocking, "close");
        let what = format!("close after {n} {} (blocking {blocking})", if recv_side { "received" } else { "sent" });
        match o.failed {
            None => same_result(&o, &r, &what),
            Some((stage, rc)) => {
                failed += 1;
                assert!(rc < 0 && rc != code::EAGAIN, "{what}: {stage} gave {rc}");
                assert!(r.exec_out.starts_with(&o.exec_out), "{what}: exec output is not a prefix");
                assert!(r.downloaded.starts_with(&o.downloaded), "{what}: download is not a prefix");
                assert_within_close(recv_side, n, o.received, o.sent, &what);
            }
        }
    }
    let completed = points.len() - failed;
    println!(
        "{} close points over {total} bytes {}: {failed} failed cleanly, {completed} completed, in {:?}",
        points.len(),
        if recv_side { "received" } else { "sent" },
        started.elapsed()
    );
    assert!(failed > 0, "no close point interrupted the flow");
    assert!(completed > 0, "the close point past the end did not complete");
}

#[test]
fn closes_after_every_received_byte_n() {
    closes_after_n(true);
}

#[test]
fn closes_after_every_sent_byte_n() {
    closes_after_n(false);
}

// ---- SFTP under the same faults ------------------------------------------------

/// Bytes of the SFTP file: several hundred KiB, so writes and read-ahead keep
/// many requests in flight (not a multiple of any request size).
const SFTP_BYTES: usize = 300_000;
/// Read buffer of the SFTP read-back (smaller than one DATA reply).
const SFTP_READ_BUF: usize = 20_000;
/// Files the SFTP flow's directory holds besides the uploaded one.
const SFTP_DIR_FILES: [&str; 3] = ["alpha", "beta", "gamma"];
/// Name of the uploaded file inside that directory.
const SFTP_UPLOAD: &str = "up.bin";
/// Close points: this many after each stage boundary of the reference ...
const SFTP_POINTS_PER_STAGE: usize = 6;
/// ... this far apart (a prime: the points fall at varied packet offsets) ...
const SFTP_STAGE_STRIDE: usize = 211;
/// ... plus one every this many bytes across the whole SFTP part (a prime).
const SFTP_SPAN_STRIDE: usize = 24_989;

/// What the SFTP flow produced; a stage that failed keeps what it got so far.
#[derive(Debug, Default, PartialEq, Eq)]
struct SftpOutcome {
    /// Bytes libssh2_sftp_write reported (acknowledged; with write-behind, queued).
    written: usize,
    /// The written file's close returned 0.
    write_closed: bool,
    /// The file as read back.
    read: Vec<u8>,
    /// The file's size as stat reported it.
    stat_size: Option<u64>,
    /// Directory entries, sorted.
    names: Vec<String>,
    /// REALPATH of the directory.
    realpath: Option<String>,
    /// (stage, error code) of the first failure.
    failed: Option<(&'static str, c_int)>,
    /// (stage, bytes sent, bytes received) at the start of each stage.
    stages: Vec<(&'static str, usize, usize)>,
    sent: usize,
    received: usize,
    eagains: usize,
}

impl Flow<'_> {
    fn sftp_step(&self, stage: &str, f: impl FnMut() -> Step<c_int>) -> Step<()> {
        self.call(stage, f).map(|_| ())
    }

    /// An SFTP call returning a count (negative: error).
    fn count(n: isize) -> Step<usize> {
        if n < 0 {
            Err(n as c_int)
        } else {
            Ok(n as usize)
        }
    }

    /// SFTP stage: a session error code, or LIBSSH2_ERROR_SFTP_PROTOCOL with the server's status.
    fn sftp_rc(r: c_int) -> Step<c_int> {
        if r < 0 {
            Err(r)
        } else {
            Ok(r)
        }
    }

    fn mark(&self, out: &mut SftpOutcome, stage: &'static str) {
        out.stages.push((stage, self.faults.sent, self.faults.received));
    }

    fn open(
        &self,
        stage: &str,
        sftp: *mut LIBSSH2_SFTP,
        path: &CString,
        flags: std::ffi::c_ulong,
        kind: c_int,
    ) -> Step<*mut LIBSSH2_SFTP_HANDLE> {
        self.call(stage, || {
            // SAFETY: live SFTP instance; path valid.
            self.null_or(unsafe {
                libssh2_sftp_open_ex(sftp, path.as_ptr(), path.as_bytes().len() as u32, flags, 0o644, kind)
            })
        })
    }

    /// Closes a handle; the handle is gone afterwards whatever the result.
    fn close_handle(&self, stage: &str, h: *mut LIBSSH2_SFTP_HANDLE) -> Step<()> {
        // SAFETY: live handle, released by the call unless it answers EAGAIN (then retried).
        self.sftp_step(stage, || Self::sftp_rc(unsafe { libssh2_sftp_close_handle(h) }))
    }

    /// Login, SFTP init, upload, read back with read-ahead, stat, readdir,
    /// realpath, shutdown, disconnect; stops at the first failing stage.
    fn run_sftp(&self, dir: &Path, out: &mut SftpOutcome) -> Result<(), (&'static str, c_int)> {
        self.login()?;
        self.mark(out, "sftp_init");
        // SAFETY: live session.
        let sftp = self
            .call("sftp_init", || self.null_or(unsafe { libssh2_sftp_init(self.p) }))
            .map_err(|e| ("sftp_init", e))?;
        let r = self.run_sftp_ops(sftp, dir, out);
        self.mark(out, "sftp_shutdown");
        // SAFETY: live instance, released by the call unless it answers EAGAIN.
        let down = self.sftp_step("sftp_shutdown", || Self::sftp_rc(unsafe { libssh2_sftp_shutdown(sftp) }));
        r?;
        down.map_err(|e| ("sftp_shutdown", e))?;
        self.mark(out, "disconnect");
        let bye = CString::new("bye").unwrap();
        // SAFETY: live session.
        self.call("disconnect", || {
            Self::rc(unsafe { libssh2_session_disconnect_ex(self.p, 11, bye.as_ptr(), c"".as_ptr()) })
        })
        .map_err(|e| ("disconnect", e))
    }

    fn run_sftp_ops(
        &self,
        sftp: *mut LIBSSH2_SFTP,
        dir: &Path,
        out: &mut SftpOutcome,
    ) -> Result<(), (&'static str, c_int)> {
        use ssh2::ffi::types::fxf;
        let file = CString::new(dir.join(SFTP_UPLOAD).to_str().unwrap()).unwrap();
        let content = pattern(SFTP_BYTES, 17);

        self.mark(out, "open_write");
        let h = self
            .open("open_write", sftp, &file, fxf::WRITE | fxf::CREAT | fxf::TRUNC, 0)
            .map_err(|e| ("open_write", e))?;
        self.mark(out, "write");
        let r = (|| {
            while out.written < content.len() {
                let rest = &content[out.written..];
                let n = self.call("write", || {
                    // SAFETY: live handle; readable buffer.
                    Self::count(unsafe { libssh2_sftp_write(h, rest.as_ptr().cast(), rest.len()) })
                })?;
                assert!(n > 0 && n <= rest.len(), "write returned {n} of {}", rest.len());
                out.written += n;
            }
            Ok(())
        })();
        self.mark(out, "close_write");
        let c = self.close_handle("close_write", h);
        out.write_closed = c.is_ok();
        r.map_err(|e| ("write", e))?;
        c.map_err(|e| ("close_write", e))?;

        self.mark(out, "open_read");
        let h = self.open("open_read", sftp, &file, fxf::READ, 0).map_err(|e| ("open_read", e))?;
        self.mark(out, "read");
        let r = (|| {
            let mut buf = vec![0u8; SFTP_READ_BUF];
            loop {
                let n = self.call("read", || {
                    // SAFETY: live handle; writable buffer.
                    Self::count(unsafe { libssh2_sftp_read(h, buf.as_mut_ptr().cast(), buf.len()) })
                })?;
                if n == 0 {
                    return Ok(());
                }
                out.read.extend_from_slice(&buf[..n]);
                assert!(out.read.len() <= SFTP_BYTES, "read past the end of the file");
            }
        })();
        self.mark(out, "close_read");
        let c = self.close_handle("close_read", h);
        r.map_err(|e| ("read", e))?;
        c.map_err(|e| ("close_read", e))?;

        self.mark(out, "stat");
        // SAFETY: all-zero attributes are valid.
        let mut a: LIBSSH2_SFTP_ATTRIBUTES = unsafe { std::mem::zeroed() };
        self.sftp_step("stat", || {
            // SAFETY: live instance; path and attributes valid.
            Self::sftp_rc(unsafe { libssh2_sftp_stat_ex(sftp, file.as_ptr(), file.as_bytes().len() as u32, 0, &mut a) })
        })
        .map_err(|e| ("stat", e))?;
        out.stat_size = Some(a.filesize);

        self.mark(out, "opendir");
        let cdir = CString::new(dir.to_str().unwrap()).unwrap();
        let h = self.open("opendir", sftp, &cdir, 0, 1).map_err(|e| ("opendir", e))?;
        self.mark(out, "readdir");
        let r = (|| {
            let mut name = [0u8; 256];
            let mut long = [0u8; 512];
            loop {
                // SAFETY: all-zero attributes are valid.
                let mut a: LIBSSH2_SFTP_ATTRIBUTES = unsafe { std::mem::zeroed() };
                let n = self.call("readdir", || {
                    // SAFETY: live handle; writable buffers.
                    Self::sftp_rc(unsafe {
                        libssh2_sftp_readdir_ex(
                            h,
                            name.as_mut_ptr().cast(),
                            name.len(),
                            long.as_mut_ptr().cast(),
                            long.len(),
                            &mut a,
                        )
                    })
                })? as usize;
                if n == 0 {
                    return Ok(());
                }
                out.names.push(String::from_utf8_lossy(&name[..n]).into_owned());
            }
        })();
        out.names.sort();
        self.mark(out, "closedir");
        let c = self.close_handle("closedir", h);
        r.map_err(|e| ("readdir", e))?;
        c.map_err(|e| ("closedir", e))?;

        self.mark(out, "realpath");
        let mut target = [0u8; 1024];
        let n = self
            .call("realpath", || {
                // SAFETY: live instance; path valid, target writable.
                Self::sftp_rc(unsafe {
                    libssh2_sftp_symlink_ex(
                        sftp,
                        cdir.as_ptr(),
                        cdir.as_bytes().len() as u32,
                        target.as_mut_ptr().cast(),
                        target.len() as u32,
                        2,
                    )
                })
            })
            .map_err(|e| ("realpath", e))? as usize;
        out.realpath = Some(String::from_utf8_lossy(&target[..n]).into_owned());
        Ok(())
    }
}

/// Runs the SFTP flow once with `plan` in a fresh directory; returns what it produced.
fn sftp_flow(sshd: &Sshd, plan: Plan, blocking: bool, tag: &str) -> SftpOutcome {
    let dir = sshd.dir.path().join(format!("sftp-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    for f in SFTP_DIR_FILES {
        std::fs::write(dir.join(f), f).unwrap();
    }
    let f = Flow::start(sshd, plan, blocking);
    let mut out = SftpOutcome::default();
    if let Err(e) = f.run_sftp(&dir, &mut out) {
        out.failed = Some(e);
    }
    // Whatever the server acknowledged is on its disk, exactly. With
    // write-behind, a write reports queued bytes: once close returned 0 they
    // must all be there.
    let on_disk = std::fs::read(dir.join(SFTP_UPLOAD)).unwrap_or_default();
    let want = pattern(SFTP_BYTES, 17);
    if !plan.write_behind || out.write_closed {
        assert!(on_disk.len() >= out.written, "acknowledged {} bytes, {} on disk", out.written, on_disk.len());
        assert!(on_disk[..out.written] == want[..out.written], "acknowledged bytes differ on disk");
    }
    out.sent = f.faults.sent;
    out.received = f.faults.received;
    out.eagains = f.faults.eagains;
    drop(f);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// The SFTP reference: blocking, no faults; checked against the file system.
fn sftp_reference(sshd: &Sshd, write_behind: bool) -> SftpOutcome {
    let r = sftp_flow(sshd, Plan { write_behind, ..Plan::default() }, true, "ref");
    assert_eq!(r.failed, None, "reference SFTP flow failed");
    assert_eq!(r.written, SFTP_BYTES);
    assert!(r.read == pattern(SFTP_BYTES, 17), "read-back differs");
    assert_eq!(r.stat_size, Some(SFTP_BYTES as u64));
    let mut names: Vec<String> =
        [".", "..", SFTP_UPLOAD].iter().chain(SFTP_DIR_FILES.iter()).map(|s| s.to_string()).collect();
    names.sort();
    assert_eq!(r.names, names);
    assert!(r.realpath.as_deref().is_some_and(|p| p.ends_with("sftp-ref")), "realpath {:?}", r.realpath);
    r
}

/// Asserts that `o` equals the SFTP reference in everything the server decided.
fn same_sftp_result(o: &SftpOutcome, r: &SftpOutcome, what: &str) {
    assert_eq!(o.failed, None, "{what}");
    assert_eq!(o.written, r.written, "{what}");
    assert!(o.read == r.read, "{what}: read-back differs");
    assert_eq!(o.stat_size, r.stat_size, "{what}");
    assert_eq!(o.names, r.names, "{what}");
    let tail = |p: &Option<String>| p.as_deref().and_then(|p| p.rsplit_once("sftp-")).map(|(a, _)| a.to_string());
    assert_eq!(tail(&o.realpath), tail(&r.realpath), "{what}: realpath");
}

#[test]
fn sftp_eagain_and_one_byte_moves_at_every_boundary() {
    sftp_eagain_and_one_byte(false);
}

#[test]
fn sftp_write_behind_eagain_and_one_byte_moves_at_every_boundary() {
    sftp_eagain_and_one_byte(true);
}

fn sftp_eagain_and_one_byte(write_behind: bool) {
    let sshd = Sshd::start();
    let r = sftp_reference(&sshd, write_behind);
    for blocking in [false, true] {
        let started = Instant::now();
        let o = sftp_flow(&sshd, Plan { eagain_one_byte: true, write_behind, ..Plan::default() }, blocking, "nb");
        same_sftp_result(&o, &r, &format!("SFTP one-byte (blocking {blocking}, write-behind {write_behind})"));
        assert!(o.eagains >= o.sent + o.received, "{} EAGAINs for {} bytes", o.eagains, o.sent + o.received);
        println!(
            "SFTP one-byte (blocking {blocking}): {} bytes sent, {} received, {} EAGAINs, {:?}",
            o.sent,
            o.received,
            o.eagains,
            started.elapsed()
        );
    }
}

/// SFTP close points: `SFTP_POINTS_PER_STAGE` after the start of each stage
/// of the reference, one every `SFTP_SPAN_STRIDE` bytes from SFTP init on,
/// and one well past the end.
fn sftp_close_points(r: &SftpOutcome, recv_side: bool) -> Vec<usize> {
    let at = |&(_, s, rcv): &(&str, usize, usize)| if recv_side { rcv } else { s };
    let total = if recv_side { r.received } else { r.sent };
    let start = r.stages.first().map(at).unwrap_or(0);
    let mut v: Vec<usize> = r
        .stages
        .iter()
        .map(at)
        .flat_map(|b| (0..SFTP_POINTS_PER_STAGE).map(move |k| b + k * SFTP_STAGE_STRIDE))
        .collect();
    v.extend((start..total).step_by(SFTP_SPAN_STRIDE));
    v.push(total + PAST_END);
    v.sort_unstable();
    v.dedup();
    v
}

/// Closes the connection after each sampled byte count of the SFTP part in one
/// direction: each run fails cleanly, never with wrong data, or completes.
fn sftp_closes_after_n(recv_side: bool, write_behind: bool) {
    let sshd = Sshd::start();
    let r = sftp_reference(&sshd, write_behind);
    let points = sftp_close_points(&r, recv_side);
    let started = Instant::now();
    let mut failed = 0;
    let mut stages = std::collections::BTreeMap::new();
    for (i, &n) in points.iter().enumerate() {
        let plan = Plan { write_behind, ..close_plan(recv_side, n) };
        let blocking = i % 2 == 0;
        let o = sftp_flow(&sshd, plan, blocking, "close");
        let what =
            format!("SFTP close after {n} {} (blocking {blocking})", if recv_side { "received" } else { "sent" });
        match o.failed {
            None => same_sftp_result(&o, &r, &what),
            Some((stage, rc)) => {
                failed += 1;
                *stages.entry(stage).or_insert(0) += 1;
                assert!(rc < 0 && rc != code::EAGAIN, "{what}: {stage} gave {rc}");
                assert!(o.written <= SFTP_BYTES, "{what}: more written than given");
                assert!(r.read.starts_with(&o.read), "{what}: read-back is not a prefix");
                if let Some(size) = o.stat_size {
                    assert_eq!(Some(size), r.stat_size, "{what}: stat");
                }
                assert!(o.names.iter().all(|n| r.names.contains(n)), "{what}: names {:?}", o.names);
                assert_within_close(recv_side, n, o.received, o.sent, &what);
            }
        }
    }
    let completed = points.len() - failed;
    println!(
        "SFTP: {} close points over {} bytes {}: {failed} failed cleanly {stages:?}, {completed} completed, in {:?}",
        points.len(),
        if recv_side { r.received } else { r.sent },
        if recv_side { "received" } else { "sent" },
        started.elapsed()
    );
    assert!(failed > 0, "no close point interrupted the flow");
    assert!(completed > 0, "the close point past the end did not complete");
}

#[test]
fn sftp_closes_after_received_byte_n() {
    sftp_closes_after_n(true, false);
}

#[test]
fn sftp_closes_after_sent_byte_n() {
    sftp_closes_after_n(false, false);
}

#[test]
fn sftp_write_behind_closes_after_received_byte_n() {
    sftp_closes_after_n(true, true);
}

#[test]
fn sftp_write_behind_closes_after_sent_byte_n() {
    sftp_closes_after_n(false, true);
}

// ---- failing allocator (tests/c/alloc_fail.c) ----------------------------------

/// The directory holding the libssh2.so cargo built for this test profile.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    // target/<profile>/deps/faults-xxxx -> target/<profile>
    let dir = exe.parent().and_then(Path::parent).expect("profile dir").to_path_buf();
    assert!(dir.join("libssh2.so").exists(), "libssh2.so not built in {}", dir.display());
    dir
}

/// A directory with only `libssh2.so.1` -> the built library: the program asks
/// the loader for the soname, and without it the system's libssh2 would load.
fn soname_dir(tmp: &Path) -> PathBuf {
    let dir = tmp.join("soname");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(lib_dir().join("libssh2.so"), dir.join("libssh2.so.1")).unwrap();
    dir
}

#[test]
fn failing_allocator_every_allocation_of_every_flow() {
    let sshd = Sshd::start();
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("alloc_fail");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let st = Command::new(cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-g", "-I"])
        .arg(root.join("include"))
        .arg(root.join("tests/c/alloc_fail.c"))
        .arg("-o")
        .arg(&bin)
        .arg("-L")
        .arg(lib_dir())
        .arg("-lssh2")
        .status()
        .expect("run cc");
    assert!(st.success(), "compiling alloc_fail.c failed");
    let key = sshd.user_key(UserKey::Ed25519);
    let agent = SshAgent::start(&[&key.private]);
    let out = Command::new(&bin)
        .env("LD_LIBRARY_PATH", soname_dir(tmp.path()))
        .env("SSHD_HOST", "127.0.0.1")
        .env("SSHD_PORT", sshd.port.to_string())
        .env("SSHD_USER", &sshd.user)
        .env("SSHD_KEY", &key.private)
        .env("SSHD_PUBKEY", &key.public)
        .env("SSHD_DIR", sshd.dir.path())
        .env("SSH_AUTH_SOCK", &agent.sock)
        .output()
        .expect("run alloc_fail");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{text}");
    assert!(out.status.success(), "alloc_fail failed:\n{text}");
    assert!(text.contains("alloc_fail: 7 passed, 0 failed"), "a flow was skipped:\n{text}");
}
