//! Test fixture: a private OpenSSH `sshd` on 127.0.0.1 with generated keys.
//!
//! Every integration test that needs a real peer starts one of these. It runs
//! as whoever runs the tests: as root (CI) it uses PAM, so password and
//! keyboard-interactive logins work for the dedicated test user; as a normal
//! user it can only let that same user in with keys.
//!
//! Keys are generated once per user into the cargo target directory and
//! copied into each fixture's own directory, because RSA generation is slow
//! and tests start many servers.
#![allow(dead_code)] // each test binary uses its own part of the fixture

use std::fmt;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread::sleep;
use std::time::{Duration, Instant};

use tempfile::TempDir;

mod agent;
mod keys;
use keys::{cache_host_keys, copy_keys, key_cache};
// Each test binary uses a different part of these.
#[allow(unused_imports)]
pub use agent::SshAgent;
#[allow(unused_imports)]
pub use keys::{
    fingerprint_bytes, keygen_fingerprint, public_blob_of, FpHash, HostKey, KeyPair, UserKey, KEY_PASSPHRASE,
};

/// The OpenSSH server binary.
pub const SSHD: &str = "/usr/sbin/sshd";
/// Where distributions put OpenSSH's sftp-server, Debian's first.
pub const SFTP_SERVER_CANDIDATES: [&str; 4] = [
    "/usr/lib/openssh/sftp-server",
    "/usr/libexec/openssh/sftp-server",
    "/usr/libexec/sftp-server",
    "/usr/lib/ssh/sftp-server",
];
/// The account `start_for_test_user` creates (root only) and logs in as.
pub const TEST_USER: &str = "libssh2rs";
/// The known password of `TEST_USER`.
pub const TEST_PASSWORD: &str = "Libssh2rs-Test-Pw1";
/// Loopback address the fixture listens on.
pub const HOST: &str = "127.0.0.1";
/// How long sshd may take to start listening and send its banner.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);
/// Attempts with a fresh port when another process took ours in between.
const START_ATTEMPTS: usize = 5;
/// Pause between readiness checks.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Longest SSH identification line we read while waiting for the banner (RFC 4253 4.2).
const MAX_BANNER_LEN: usize = 255;

/// Why the fixture could not start.
#[derive(Debug)]
pub enum FixtureError {
    /// The requested setup needs root (e.g. creating the password test user).
    NeedsRoot(String),
    /// Something failed; the message says what, with the sshd log if relevant.
    Failed(String),
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FixtureError::NeedsRoot(m) => write!(f, "sshd fixture needs root: {m}"),
            FixtureError::Failed(m) => write!(f, "sshd fixture failed: {m}"),
        }
    }
}

impl std::error::Error for FixtureError {}

/// How to start the fixture.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Extra sshd_config lines. They go before the fixture's defaults, so a
    /// single-valued keyword here wins (sshd keeps the first value it reads);
    /// a `Match` line and everything after it go at the end.
    pub extra_config: Vec<String>,
    /// Serve SFTP with sshd's built-in `internal-sftp` instead of the
    /// external sftp-server binary.
    pub internal_sftp: bool,
    /// Log in as `TEST_USER` with `TEST_PASSWORD` (root only).
    pub test_user: bool,
    /// A command put before sftp-server's path in the Subsystem line (a relay
    /// that runs it, e.g. tests/sftp_failwrite/relay.py).
    pub sftp_prefix: Option<String>,
}

/// A running private sshd. Dropping it kills sshd and removes its directory.
pub struct Sshd {
    /// The 127.0.0.1 port sshd listens on.
    pub port: u16,
    /// The fixture's directory: config, keys, authorized_keys, log, pid file.
    pub dir: TempDir,
    /// The user name tests log in as.
    pub user: String,
    /// That user's password, when the fixture knows it (`start_for_test_user`).
    pub password: Option<String>,
    /// The sshd_config file.
    pub config: PathBuf,
    /// sshd's DEBUG3 log.
    pub log_file: PathBuf,
    /// sshd's PidFile.
    pub pid_file: PathBuf,
    /// authorized_keys with every user key's public half.
    pub authorized_keys: PathBuf,
    /// The sftp subsystem command in the config (a path or "internal-sftp").
    pub sftp_subsystem: String,
    /// The user keys, each authorized.
    pub user_keys: Vec<(UserKey, KeyPair)>,
    /// The host keys sshd loaded.
    pub host_keys: Vec<(HostKey, KeyPair)>,
    child: Child,
}

impl Sshd {
    /// Starts sshd for the current user with the default configuration; panics on failure.
    pub fn start() -> Sshd {
        Sshd::start_with(&[])
    }

    /// Starts sshd for the current user with extra sshd_config lines; panics on failure.
    pub fn start_with(extra: &[&str]) -> Sshd {
        let opts = Options { extra_config: extra.iter().map(|s| s.to_string()).collect(), ..Options::default() };
        Sshd::start_opts(&opts).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts sshd for `TEST_USER`, creating that user with `TEST_PASSWORD`
    /// first. Needs root; a caller that gets `NeedsRoot` must report it loudly.
    pub fn start_for_test_user() -> Result<Sshd, FixtureError> {
        Sshd::start_opts(&Options { test_user: true, ..Options::default() })
    }

    /// Starts sshd with full control over the options.
    pub fn start_opts(opts: &Options) -> Result<Sshd, FixtureError> {
        let root = is_root()?;
        if opts.test_user && !root {
            return Err(FixtureError::NeedsRoot(format!("creating user {TEST_USER} with a known password")));
        }
        let (user, password) = if opts.test_user {
            ensure_test_user()?;
            (TEST_USER.to_string(), Some(TEST_PASSWORD.to_string()))
        } else {
            (current_user()?, None)
        };
        if root {
            // sshd refuses to start as root without its privilege separation dir.
            fs::create_dir_all("/run/sshd").map_err(|e| failed("create /run/sshd", e))?;
        }

        let dir =
            tempfile::Builder::new().prefix("sshd-fixture-").tempdir().map_err(|e| failed("create temp dir", e))?;
        let cache = key_cache()?;
        let user_keys = copy_keys(&cache, dir.path(), UserKey::ALL.iter().map(|k| (*k, k.file_name())))?;
        let host_keys = copy_keys(&cache, dir.path(), cache_host_keys(&cache))?;

        let authorized_keys = dir.path().join("authorized_keys");
        let mut lines = String::new();
        for (_, kp) in &user_keys {
            lines.push_str(&kp.public_line());
            lines.push('\n');
        }
        fs::write(&authorized_keys, lines).map_err(|e| failed("write authorized_keys", e))?;
        if opts.test_user {
            // sshd reads authorized_keys as the logging-in user: let it in.
            set_mode(dir.path(), 0o711)?;
            set_mode(&authorized_keys, 0o644)?;
        }

        let mut sftp_subsystem = if opts.internal_sftp { "internal-sftp".to_string() } else { sftp_server_path()? };
        if let Some(prefix) = &opts.sftp_prefix {
            sftp_subsystem = format!("{prefix} {sftp_subsystem}");
        }
        let config = dir.path().join("sshd_config");
        let log_file = dir.path().join("sshd.log");
        let pid_file = dir.path().join("sshd.pid");

        let mut last_err = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            let text = config_text(&ConfigInput {
                opts,
                port,
                root,
                host_keys: &host_keys,
                authorized_keys: &authorized_keys,
                pid_file: &pid_file,
                sftp: &sftp_subsystem,
            });
            fs::write(&config, text).map_err(|e| failed("write sshd_config", e))?;
            fs::write(&log_file, b"").map_err(|e| failed("create sshd.log", e))?;
            // Anything sshd prints before it opens its log also lands there.
            let early = fs::OpenOptions::new().append(true).open(&log_file).map_err(|e| failed("open sshd.log", e))?;
            // -E, not -e: with -e a session child logs to fd 2, which by then is
            // the channel's stderr, so debug lines would reach the client.
            let mut child = Command::new(SSHD)
                .arg("-D")
                .arg("-E")
                .arg(&log_file)
                .arg("-f")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(early)
                .spawn()
                .map_err(|e| failed("spawn sshd", e))?;
            match wait_ready(&mut child, &log_file, port) {
                Ok(()) => {
                    return Ok(Sshd {
                        port,
                        dir,
                        user,
                        password,
                        config,
                        log_file,
                        pid_file,
                        authorized_keys,
                        sftp_subsystem,
                        user_keys,
                        host_keys,
                        child,
                    })
                }
                Err(ready) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = read_log(&log_file);
                    match ready {
                        Ready::PortTaken => last_err = format!("port {port} taken; log:\n{log}"),
                        Ready::Failed(m) => return Err(FixtureError::Failed(format!("{m}\nsshd log:\n{log}"))),
                    }
                }
            }
        }
        Err(FixtureError::Failed(format!("no free port after {START_ATTEMPTS} attempts: {last_err}")))
    }

    /// sshd's log so far (DEBUG3), for assertions and debugging.
    pub fn log(&self) -> String {
        read_log(&self.log_file)
    }

    /// The key pair of one user key type.
    pub fn user_key(&self, key: UserKey) -> &KeyPair {
        &self.user_keys.iter().find(|(k, _)| *k == key).expect("every UserKey is generated").1
    }

    /// The key pair of one host key type, if sshd has it (Dsa may be absent).
    pub fn host_key(&self, key: HostKey) -> Option<&KeyPair> {
        self.host_keys.iter().find(|(k, _)| *k == key).map(|(_, kp)| kp)
    }

    /// `ssh-keygen -l -E <hash>` of a host key, e.g. "SHA256:...", "MD5:aa:bb:..".
    pub fn host_key_fingerprint(&self, key: HostKey, hash: FpHash) -> String {
        let kp = self.host_key(key).unwrap_or_else(|| panic!("no {key:?} host key"));
        keygen_fingerprint(&kp.public, hash)
    }

    /// The raw digest of a host key, as libssh2_hostkey_hash returns it.
    pub fn host_key_hash(&self, key: HostKey, hash: FpHash) -> Vec<u8> {
        fingerprint_bytes(&self.host_key_fingerprint(key, hash))
    }

    /// The host key blob sshd sends in KEXDH_REPLY (libssh2_session_hostkey).
    pub fn host_key_blob(&self, key: HostKey) -> Vec<u8> {
        self.host_key(key).unwrap_or_else(|| panic!("no {key:?} host key")).public_blob()
    }

    /// OpenSSH's `ssh` aimed at this server as `user` with the ed25519 key;
    /// append the remote command.
    pub fn openssh_ssh_cmd(&self) -> Command {
        self.openssh_ssh_cmd_with(UserKey::Ed25519)
    }

    /// OpenSSH's `ssh` aimed at this server with the given user key.
    pub fn openssh_ssh_cmd_with(&self, key: UserKey) -> Command {
        self.openssh_ssh_cmd_opts(key, &[])
    }

    /// OpenSSH's `ssh` with extra `-o Name=value` options; they go first
    /// because ssh keeps the first value it sees for each option.
    pub fn openssh_ssh_cmd_opts(&self, key: UserKey, opts: &[&str]) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.args(["-F", "/dev/null", "-p"]).arg(self.port.to_string());
        for opt in opts {
            cmd.arg("-o").arg(opt);
        }
        cmd.arg("-i").arg(&self.user_key(key).private);
        for opt in [
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",
            "BatchMode=yes",
            "IdentitiesOnly=yes",
            "IdentityAgent=none",
            "LogLevel=ERROR",
        ] {
            cmd.arg("-o").arg(opt);
        }
        cmd.arg("-l").arg(&self.user).arg(HOST).stdin(Stdio::null());
        cmd
    }

    /// The socket address string "127.0.0.1:port".
    pub fn addr(&self) -> String {
        format!("{HOST}:{}", self.port)
    }

    /// A fresh TCP connection to sshd.
    pub fn connect(&self) -> TcpStream {
        TcpStream::connect((HOST, self.port)).expect("connect to fixture sshd")
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls until sshd logs that it listens on `port` and then sends a banner.
fn wait_ready(child: &mut Child, log_file: &Path, port: u16) -> Result<(), Ready> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let listening = format!("Server listening on {HOST} port {port}.");
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            if read_log(log_file).contains("Address already in use") {
                return Err(Ready::PortTaken);
            }
            return Err(Ready::Failed(format!("sshd exited early ({status})")));
        }
        // The log line proves it is *our* sshd on the port, not another
        // fixture that grabbed it between our probe and sshd's bind.
        if read_log(log_file).contains(&listening) {
            return wait_banner(port, deadline);
        }
        if Instant::now() > deadline {
            return Err(Ready::Failed("sshd did not start listening in time".into()));
        }
        sleep(POLL_INTERVAL);
    }
}

fn wait_banner(port: u16, deadline: Instant) -> Result<(), Ready> {
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Ready::Failed("no SSH banner in time".into()));
        }
        if let Ok(stream) = TcpStream::connect((HOST, port)) {
            stream.set_read_timeout(Some(remaining)).ok();
            let mut line = Vec::new();
            let mut reader = BufReader::new(stream).take(MAX_BANNER_LEN as u64);
            if reader.read_until(b'\n', &mut line).is_ok() && line.starts_with(b"SSH-2.0-") {
                return Ok(());
            }
        }
        sleep(POLL_INTERVAL);
    }
}

fn read_log(path: &Path) -> String {
    fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
}

enum Ready {
    PortTaken,
    Failed(String),
}

struct ConfigInput<'a> {
    opts: &'a Options,
    port: u16,
    root: bool,
    host_keys: &'a [(HostKey, KeyPair)],
    authorized_keys: &'a Path,
    pid_file: &'a Path,
    sftp: &'a str,
}

fn config_text(c: &ConfigInput<'_>) -> String {
    let mut head = Vec::new();
    let mut tail = Vec::new();
    for line in &c.opts.extra_config {
        let is_match = line.trim_start().to_ascii_lowercase().starts_with("match ");
        if is_match || !tail.is_empty() {
            tail.push(line.clone());
        } else {
            head.push(line.clone());
        }
    }
    let mut out = String::from("# generated by the libssh2-rs test fixture\n");
    for line in head {
        out.push_str(&line);
        out.push('\n');
    }
    let mut add = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    add(format!("ListenAddress {HOST}:{}", c.port));
    for (_, kp) in c.host_keys {
        add(format!("HostKey {}", kp.private.display()));
    }
    add(format!("PidFile {}", c.pid_file.display()));
    add(format!("AuthorizedKeysFile {}", c.authorized_keys.display()));
    // The fixture's files live under /tmp, which StrictModes would reject.
    add("StrictModes no".into());
    // PAM provides keyboard-interactive and password checks, but only root may use it.
    add(format!("UsePAM {}", if c.root { "yes" } else { "no" }));
    add("PermitRootLogin yes".into());
    add("PubkeyAuthentication yes".into());
    add("PasswordAuthentication yes".into());
    add("KbdInteractiveAuthentication yes".into());
    add("PermitEmptyPasswords no".into());
    // Tests try many keys and connect in parallel: lift the anti-abuse limits.
    add("MaxAuthTries 30".into());
    add("MaxStartups 100".into());
    add("MaxSessions 50".into());
    if openssh_at_least(9, 8) {
        add("PerSourcePenalties no".into());
    }
    add("AllowTcpForwarding yes".into());
    add("AllowStreamLocalForwarding yes".into());
    add("AcceptEnv LANG LC_* LIBSSH2_TEST_*".into());
    add("UseDNS no".into());
    add("PrintMotd no".into());
    add("LogLevel DEBUG3".into());
    add(format!("Subsystem sftp {}", c.sftp));
    for line in tail {
        add(line);
    }
    out
}

fn failed(what: &str, e: impl fmt::Display) -> FixtureError {
    FixtureError::Failed(format!("{what}: {e}"))
}

fn read_to_string(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn set_mode(p: &Path, mode: u32) -> Result<(), FixtureError> {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).map_err(|e| failed(&format!("chmod {}", p.display()), e))
}

/// Output of a command that must succeed, as text.
fn run(cmd: &mut Command) -> Result<String, FixtureError> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| failed(&format!("run {cmd:?}"), e))?;
    if !out.status.success() {
        return Err(FixtureError::Failed(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The current user's name (`id -un`).
pub fn current_user() -> Result<String, FixtureError> {
    run(Command::new("id").arg("-un"))
}

/// Whether the tests run as root.
pub fn is_root() -> Result<bool, FixtureError> {
    Ok(run(Command::new("id").arg("-u"))? == "0")
}

/// The external sftp-server binary.
pub fn sftp_server_path() -> Result<String, FixtureError> {
    SFTP_SERVER_CANDIDATES.iter().find(|p| Path::new(p).exists()).map(|p| p.to_string()).ok_or_else(|| {
        FixtureError::Failed(format!("no sftp-server in {SFTP_SERVER_CANDIDATES:?} (run scripts/setup.sh)"))
    })
}

/// OpenSSH's (major, minor) version from `ssh -V`, e.g. (9, 2).
pub fn openssh_version() -> (u32, u32) {
    static VERSION: OnceLock<(u32, u32)> = OnceLock::new();
    *VERSION.get_or_init(|| {
        let out = Command::new("ssh").arg("-V").output().expect("run ssh -V");
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        let ver = text.split("OpenSSH_").nth(1).and_then(|rest| {
            let mut nums = rest.split(|c: char| !c.is_ascii_digit());
            Some((nums.next()?.parse().ok()?, nums.next()?.parse().ok()?))
        });
        ver.unwrap_or_else(|| panic!("cannot parse `ssh -V` output: {text}"))
    })
}

fn openssh_at_least(major: u32, minor: u32) -> bool {
    openssh_version() >= (major, minor)
}

/// A 127.0.0.1 port that was free a moment ago (the OS picks it).
fn free_port() -> Result<u16, FixtureError> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| failed("bind port 0", e))?;
    l.local_addr().map(|a| a.port()).map_err(|e| failed("local_addr", e))
}

/// Creates `TEST_USER` if needed and (re)sets its password. Root only.
fn ensure_test_user() -> Result<(), FixtureError> {
    static DONE: Mutex<bool> = Mutex::new(false);
    let mut done = DONE.lock().unwrap_or_else(|p| p.into_inner());
    if *done {
        return Ok(());
    }
    if !test_user_exists() {
        let res = run(Command::new("useradd").args(["-m", "-s", "/bin/sh", TEST_USER]));
        // Another process may have created it meanwhile; only the end state matters.
        if res.is_err() && !test_user_exists() {
            return res.map(|_| ());
        }
    }
    let mut child = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed("spawn chpasswd", e))?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped stdin");
        writeln!(stdin, "{TEST_USER}:{TEST_PASSWORD}").map_err(|e| failed("write chpasswd", e))?;
    }
    let out = child.wait_with_output().map_err(|e| failed("chpasswd", e))?;
    if !out.status.success() {
        return Err(FixtureError::Failed(format!("chpasswd: {}", String::from_utf8_lossy(&out.stderr))));
    }
    let home = run(Command::new("sh").args(["-c", &format!("getent passwd {TEST_USER} | cut -d: -f6")]))?;
    let ssh_dir = Path::new(&home).join(".ssh");
    fs::create_dir_all(&ssh_dir).map_err(|e| failed("create ~/.ssh", e))?;
    run(Command::new("chown").arg(format!("{TEST_USER}:")).arg(&home).arg(&ssh_dir))?;
    set_mode(&ssh_dir, 0o700)?;
    *done = true;
    Ok(())
}

fn test_user_exists() -> bool {
    Command::new("id").arg(TEST_USER).output().is_ok_and(|o| o.status.success())
}

/// A LIBSSH2_CALLBACK_RECV that answers EAGAIN on every other call before
/// really receiving: a non-blocking caller then meets EAGAIN on every wait,
/// however fast the server answers (so tests can require that it did).
///
/// # Safety
/// Called by the library with a valid socket and a buffer of `len` bytes.
pub unsafe extern "C" fn eagain_every_other_recv(
    sock: libc::c_int,
    buf: *mut libc::c_void,
    len: usize,
    flags: libc::c_int,
    _abstract: *mut *mut libc::c_void,
) -> isize {
    thread_local!(static SKIP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if SKIP.with(|s| s.replace(!s.get())) {
        return -(libc::EAGAIN as isize);
    }
    // SAFETY: forwarded from the library's valid arguments.
    let r = unsafe { libc::recv(sock, buf, len, flags) };
    if r < 0 {
        -(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO) as isize)
    } else {
        r
    }
}

/// Installs `eagain_every_other_recv` on a session.
pub fn install_eagain_recv(sess: *mut ssh2::ffi::handle::LIBSSH2_SESSION) {
    const LIBSSH2_CALLBACK_RECV: libc::c_int = 6;
    // SAFETY: sess is a live session; the callback has the RECV signature.
    unsafe {
        ssh2::ffi::session::libssh2_session_callback_set2(
            sess,
            LIBSSH2_CALLBACK_RECV,
            eagain_every_other_recv as *mut libc::c_void,
        );
    }
}

/// Deterministic pseudo-random bytes (xorshift64, top bits of each step) for
/// payloads a test sends and checks end to end.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A C session on a new connection to `sshd`, after the handshake and a
/// public key login with the fixture's ed25519 user key (asserted). The
/// caller keeps the socket alive as long as the session.
pub fn login_ed25519(sshd: &Sshd) -> (*mut ssh2::ffi::handle::LIBSSH2_SESSION, TcpStream) {
    use ssh2::ffi::session::{libssh2_session_handshake, libssh2_session_init_ex};
    use std::os::fd::AsRawFd;
    let tcp = sshd.connect();
    let p = libssh2_session_init_ex(None, None, None, std::ptr::null_mut());
    assert!(!p.is_null(), "session init");
    // SAFETY: live session, connected socket.
    let rc = unsafe { libssh2_session_handshake(p, tcp.as_raw_fd()) };
    // SAFETY: live session.
    assert_eq!(rc, 0, "handshake: last errno {}", unsafe { ssh2::ffi::session::libssh2_session_last_errno(p) });
    let kp = sshd.user_key(UserKey::Ed25519);
    let public = std::ffi::CString::new(kp.public.to_str().expect("utf8 path")).expect("path");
    let private = std::ffi::CString::new(kp.private.to_str().expect("utf8 path")).expect("path");
    // SAFETY: live session; the strings outlive the call.
    let rc = unsafe {
        ssh2::ffi::userauth::libssh2_userauth_publickey_fromfile_ex(
            p,
            sshd.user.as_ptr().cast(),
            sshd.user.len() as u32,
            public.as_ptr(),
            private.as_ptr(),
            std::ptr::null(),
        )
    };
    // SAFETY: live session.
    assert_eq!(rc, 0, "public key login: last errno {}", unsafe { ssh2::ffi::session::libssh2_session_last_errno(p) });
    (p, tcp)
}
