//! Transport faults against the real sshd: EPIPE/RST on write, sshd killed
//! mid-transfer, and server-initiated rekeys in the middle of SFTP transfers.

#[path = "hostile/client.rs"]
mod client;
mod common;
#[path = "hostile/server.rs"]
mod server;

use client::*;

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
