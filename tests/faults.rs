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
//! Also builds and runs tests/c/alloc_fail.c (a session allocator that fails
//! its N-th allocation, for every N of every flow) with the fixture sshd and
//! an ssh-agent.

mod common;

use std::ffi::{c_int, c_void, CString};
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::ptr;
use std::time::{Duration, Instant};

use common::{Sshd, UserKey};
use ssh2::error::code;
use ssh2::ffi::channel::*;
use ssh2::ffi::handle::LIBSSH2_SESSION;
use ssh2::ffi::scp::*;
use ssh2::ffi::session::*;
use ssh2::ffi::types::libssh2_struct_stat;
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

/// What the callbacks do, per session (reached through the session's abstract pointer).
#[derive(Clone, Copy, Default)]
struct Plan {
    /// Every other call answers EAGAIN and the others move one byte.
    eagain_one_byte: bool,
    /// Receive reports EOF once this many bytes have been received.
    recv_close_at: Option<usize>,
    /// Send fails with EPIPE once this many bytes have been sent.
    send_close_at: Option<usize>,
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

/// Deterministic test data.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(89).wrapping_add(seed) ^ (i >> 8) as u8).collect()
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

    /// Closes and frees `ch`, errors ignored once the flow has failed.
    fn close(&self, stage: &str, ch: *mut LIBSSH2_CHANNEL) -> Step<()> {
        // SAFETY: live channel.
        self.call(stage, || Self::rc(unsafe { libssh2_channel_close(ch) }))?;
        self.call(stage, || Self::rc(unsafe { libssh2_channel_wait_closed(ch) }))
    }

    fn free(&self, ch: *mut LIBSSH2_CHANNEL) {
        // SAFETY: live channel, freed once; an error leaves it to session_free.
        let _ = self.call("channel_free", || Self::rc(unsafe { libssh2_channel_free(ch) }));
    }

    /// The whole flow; stops at the first failing stage.
    fn run(&self, remote: &Path, out: &mut Outcome) -> Result<(), (&'static str, c_int)> {
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
        .map_err(|e| ("auth", e))?;

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
        let plan = if recv_side {
            Plan { recv_close_at: Some(n), ..Plan::default() }
        } else {
            Plan { send_close_at: Some(n), ..Plan::default() }
        };
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
                if recv_side {
                    assert!(o.received <= n, "{what}: read past the close");
                } else {
                    assert!(o.sent <= n, "{what}: wrote past the close");
                }
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

// ---- failing allocator (tests/c/alloc_fail.c) ----------------------------------

/// How long ssh-agent may take to create its socket.
const AGENT_START: Duration = Duration::from_secs(10);

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

/// A private ssh-agent holding `key`; killed on drop.
struct Agent {
    child: Child,
    sock: PathBuf,
}

impl Agent {
    fn start(dir: &Path, key: &Path) -> Agent {
        let sock = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .args(["-D", "-a"])
            .arg(&sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent");
        let agent = Agent { child, sock };
        let deadline = Instant::now() + AGENT_START;
        while !agent.sock.exists() {
            assert!(Instant::now() < deadline, "ssh-agent never made its socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        let st = Command::new("ssh-add").arg(key).env("SSH_AUTH_SOCK", &agent.sock).output().unwrap();
        assert!(st.status.success(), "ssh-add: {}", String::from_utf8_lossy(&st.stderr));
        agent
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
    let agent = Agent::start(tmp.path(), &key.private);
    let out = Command::new(&bin)
        .env("LD_LIBRARY_PATH", soname_dir(tmp.path()))
        .env("SSHD_HOST", "127.0.0.1")
        .env("SSHD_PORT", sshd.port.to_string())
        .env("SSHD_USER", &sshd.user)
        .env("SSHD_KEY", &key.private)
        .env("SSHD_PUBKEY", &key.public)
        .env("SSH_AUTH_SOCK", &agent.sock)
        .output()
        .expect("run alloc_fail");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{text}");
    assert!(out.status.success(), "alloc_fail failed:\n{text}");
    assert!(text.contains("alloc_fail: 6 passed, 0 failed"), "a flow was skipped:\n{text}");
}
