//! User authentication through the C API against the fixture's OpenSSH sshd:
//! none/list, banner, password, keyboard-interactive (PAM, several rounds),
//! public key from files / memory / a caller's signer, every private key format,
//! OpenSSH certificates, host-based and security-key (FIDO) authentication.
//! Every method runs blocking and non-blocking (a loop that calls again on
//! EAGAIN, polling the socket per `libssh2_session_block_directions`).

mod common;

use std::ffi::{c_char, c_int, c_uint, c_void, CString};
use std::fs;
use std::net::TcpStream;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::ptr;

use common::{FixtureError, Options, Sshd, UserKey, TEST_PASSWORD, TEST_USER};
use sha2::{Digest, Sha256};
use ssh2::error::code;
use ssh2::ffi::handle::LIBSSH2_SESSION;
use ssh2::ffi::session::*;
use ssh2::ffi::types::{LIBSSH2_SK_SIG_INFO, LIBSSH2_USERAUTH_KBDINT_PROMPT, LIBSSH2_USERAUTH_KBDINT_RESPONSE};
use ssh2::ffi::userauth::*;
use ssh2::keys::PrivateKey;
use ssh2::proto::wire::{Reader, Writer};

/// Passphrase of the keys this file generates.
const PASS: &str = "auth-test-passphrase";
/// LIBSSH2_METHOD_SIGN_ALGO.
const METHOD_SIGN_ALGO: c_int = 10;
/// LIBSSH2_SESSION_BLOCK_INBOUND / OUTBOUND.
const BLOCK_INBOUND: c_int = 1;
const BLOCK_OUTBOUND: c_int = 2;
/// Longest a non-blocking test waits on the socket per round.
const POLL_MS: c_int = 10_000;

/// Longest wait for sshd's log to catch up.
const LOG_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// Both modes every method is tested in.
const MODES: [bool; 2] = [false, true];

/// One session over a fresh TCP connection, driven through the C API.
struct Conn {
    sess: *mut LIBSSH2_SESSION,
    stream: TcpStream,
    nonblocking: bool,
    /// How often a call returned EAGAIN (non-blocking mode).
    eagains: usize,
}

impl Conn {
    fn new(sshd: &Sshd, nonblocking: bool) -> Conn {
        let stream = sshd.connect();
        let sess = libssh2_session_init_ex(None, None, None, ptr::null_mut());
        assert!(!sess.is_null());
        let c = Conn { sess, stream, nonblocking, eagains: 0 };
        // SAFETY: sess is live; the socket outlives the session.
        let rc = unsafe { libssh2_session_handshake(c.sess, c.stream.as_raw_fd()) };
        assert_eq!(rc, 0, "handshake: {}", c.err().1);
        if nonblocking {
            // SAFETY: live session.
            unsafe { libssh2_session_set_blocking(c.sess, 0) };
            // Every wait for the server then meets EAGAIN, however loaded the machine.
            common::install_eagain_recv(c.sess);
        }
        c
    }

    /// Calls `f` until it stops returning EAGAIN, polling in between.
    fn run(&mut self, mut f: impl FnMut(*mut LIBSSH2_SESSION) -> c_int) -> c_int {
        loop {
            let rc = f(self.sess);
            if rc != code::EAGAIN {
                return rc;
            }
            assert!(self.nonblocking, "EAGAIN in blocking mode");
            self.eagains += 1;
            self.wait();
        }
    }

    /// Waits on the socket in the directions the session asks for.
    fn wait(&self) {
        // SAFETY: live session.
        let dirs = unsafe { libssh2_session_block_directions(self.sess) };
        let mut events = 0;
        if dirs & BLOCK_INBOUND != 0 {
            events |= libc::POLLIN;
        }
        if dirs & BLOCK_OUTBOUND != 0 {
            events |= libc::POLLOUT;
        }
        assert_ne!(events, 0, "EAGAIN without a block direction");
        let mut pfd = libc::pollfd { fd: self.stream.as_raw_fd(), events, revents: 0 };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, POLL_MS) };
        assert!(n > 0, "socket never became ready");
    }

    /// The session's last error (code, message).
    fn err(&self) -> (c_int, String) {
        let mut msg: *mut c_char = ptr::null_mut();
        let mut len: c_int = 0;
        // SAFETY: live session; want_buf 0 lends the message.
        let rc = unsafe { libssh2_session_last_error(self.sess, &mut msg, &mut len, 0) };
        // SAFETY: msg points at len bytes owned by the session.
        let text = unsafe { std::slice::from_raw_parts(msg.cast::<u8>(), len as usize) };
        (rc, String::from_utf8_lossy(text).into_owned())
    }

    fn authenticated(&self) -> bool {
        // SAFETY: live session.
        unsafe { libssh2_userauth_authenticated(self.sess) == 1 }
    }

    /// Checks a call's result; in non-blocking mode it must have gone through EAGAIN.
    fn expect_ok(&self, rc: c_int, what: &str) {
        assert_eq!(rc, 0, "{what} (nonblocking {}): {:?}", self.nonblocking, self.err());
        assert!(self.authenticated(), "{what}: not authenticated");
        if self.nonblocking {
            assert!(self.eagains > 0, "{what}: the non-blocking path never returned EAGAIN");
        }
    }

    fn expect_err(&self, rc: c_int, want: c_int, msg: &str, what: &str) {
        assert_eq!(rc, want, "{what} (nonblocking {}): {:?}", self.nonblocking, self.err());
        assert_eq!(self.err(), (want, msg.to_string()), "{what}");
        assert!(!self.authenticated(), "{what}: authenticated after a failure");
    }

    fn set_sign_pref(&self, prefs: &str) {
        let p = CString::new(prefs).unwrap();
        // SAFETY: live session, NUL-terminated list.
        let rc = unsafe { libssh2_session_method_pref(self.sess, METHOD_SIGN_ALGO, p.as_ptr()) };
        assert_eq!(rc, 0, "{:?}", self.err());
    }

    /// `libssh2_userauth_publickey_fromfile_ex`.
    fn fromfile(&mut self, user: &str, public: Option<&Path>, private: &Path, pass: Option<&str>) -> c_int {
        let user = CString::new(user).unwrap();
        let public = public.map(cpath);
        let private = cpath(private);
        let pass = pass.map(|p| CString::new(p).unwrap());
        self.run(|s| {
            // SAFETY: live session and NUL-terminated strings.
            unsafe {
                libssh2_userauth_publickey_fromfile_ex(
                    s,
                    user.as_ptr(),
                    user.as_bytes().len() as c_uint,
                    public.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
                    private.as_ptr(),
                    pass.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
                )
            }
        })
    }

    /// `libssh2_userauth_publickey_frommemory`.
    fn frommemory(&mut self, user: &str, public: &[u8], private: &[u8], pass: Option<&str>) -> c_int {
        let pass = pass.map(|p| CString::new(p).unwrap());
        self.run(|s| {
            // SAFETY: live session; buffers valid for their lengths.
            unsafe {
                libssh2_userauth_publickey_frommemory(
                    s,
                    user.as_ptr().cast(),
                    user.len(),
                    public.as_ptr().cast(),
                    public.len(),
                    private.as_ptr().cast(),
                    private.len(),
                    pass.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
                )
            }
        })
    }

    fn password(&mut self, user: &str, pw: &str) -> c_int {
        self.run(|s| {
            // SAFETY: live session; buffers valid for their lengths.
            unsafe {
                libssh2_userauth_password_ex(
                    s,
                    user.as_ptr().cast(),
                    user.len() as c_uint,
                    pw.as_ptr().cast(),
                    pw.len() as c_uint,
                    None,
                )
            }
        })
    }

    fn kbdint(&mut self, user: &str, kb: &mut Kbd) -> c_int {
        // SAFETY: live session: the abstract slot is how the callback finds `kb`.
        unsafe { *libssh2_session_abstract(self.sess) = (kb as *mut Kbd).cast() };
        self.run(|s| {
            // SAFETY: live session; the callback uses `kb` through the abstract slot.
            unsafe {
                libssh2_userauth_keyboard_interactive_ex(s, user.as_ptr().cast(), user.len() as c_uint, Some(kbd_cb))
            }
        })
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // SAFETY: the session is ours and used no more.
        unsafe { libssh2_session_free(self.sess) };
    }
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_encoded_bytes()).unwrap()
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Root runs the password tests; others get a loud notice (CI, as root, fails instead).
fn test_user_fixture(opts: Options) -> Option<Sshd> {
    match Sshd::start_opts(&Options { test_user: true, ..opts }) {
        Ok(s) => Some(s),
        Err(FixtureError::NeedsRoot(m)) if std::env::var_os("CI").is_none() => {
            eprintln!("NOT TESTED (run as root to test): {m}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// sshd's log once it shows `logins` accepted logins (its children write it a moment
/// after the client has heard of success).
fn log_after(sshd: &Sshd, logins: usize) -> String {
    let deadline = std::time::Instant::now() + LOG_WAIT;
    loop {
        let log = sshd.log();
        let n = log.matches("Accepted publickey for ").count() + log.matches("Accepted hostbased for ").count();
        if n >= logins || std::time::Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn authorize(sshd: &Sshd, line: &str) {
    use std::io::Write;
    let mut f = fs::OpenOptions::new().append(true).open(&sshd.authorized_keys).unwrap();
    writeln!(f, "{}", line.trim()).unwrap();
}

/// A directory of keys made by ssh-keygen and openssl.
struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new() -> Lab {
        Lab { dir: tempfile::Builder::new().prefix("auth-keys-").tempdir().unwrap() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// ssh-keygen -f name with `args` (type, format, cipher) and passphrase `pass`.
    fn keygen(&self, name: &str, pass: &str, args: &[&str]) -> PathBuf {
        let p = self.path(name);
        run_ok(Command::new("ssh-keygen").args(["-q", "-a", "2", "-C", name, "-N", pass, "-f"]).arg(&p).args(args));
        p
    }

    /// openssl writing `name` (its output file), mode 0600.
    fn openssl(&self, name: &str, args: &[&str]) -> PathBuf {
        let p = self.path(name);
        // "-out" right after the subcommand: genrsa wants its bit count last.
        run_ok(Command::new("openssl").arg(args[0]).arg("-out").arg(&p).args(&args[1..]));
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        p
    }

    /// The public key line of a private key (`ssh-keygen -y`; for PKCS#8 Ed25519, which
    /// ssh-keygen cannot read, the key openssl derives).
    fn public_line(&self, key: &Path, pass: Option<&str>) -> String {
        if key.file_name().is_some_and(|n| n.to_string_lossy().starts_with("p8_ed25519")) {
            let pin = format!("pass:{}", pass.unwrap_or(""));
            let mut cmd = Command::new("openssl");
            cmd.args(["pkey", "-pubout", "-outform", "DER", "-passin", &pin, "-in"]).arg(key);
            let out = cmd.stdin(Stdio::null()).output().unwrap();
            assert!(out.status.success());
            // SubjectPublicKeyInfo for Ed25519 ends with the 32-byte key.
            let pk = &out.stdout[out.stdout.len() - 32..];
            let mut w = Writer::new();
            w.string(b"ssh-ed25519").string(pk);
            use base64::Engine;
            return format!("ssh-ed25519 {}", base64::engine::general_purpose::STANDARD.encode(w.into_inner()));
        }
        let mut cmd = Command::new("ssh-keygen");
        cmd.arg("-y").arg("-P").arg(pass.unwrap_or("")).arg("-f").arg(key);
        run_ok(&mut cmd).trim().to_string()
    }
}

/// One private key file under test.
struct TestKey {
    label: String,
    path: PathBuf,
    pass: Option<&'static str>,
}

/// Every private key format the library reads, generated fresh (RSA 2048 for speed).
fn every_format(lab: &Lab) -> Vec<TestKey> {
    let mut keys = Vec::new();
    let mut add = |label: &str, path: PathBuf, pass: Option<&'static str>| {
        keys.push(TestKey { label: label.to_string(), path, pass });
    };
    // OpenSSH format, plain, every type.
    for (name, args) in [
        ("ossh_ed25519", &["-t", "ed25519"][..]),
        ("ossh_ecdsa256", &["-t", "ecdsa", "-b", "256"]),
        ("ossh_ecdsa384", &["-t", "ecdsa", "-b", "384"]),
        ("ossh_ecdsa521", &["-t", "ecdsa", "-b", "521"]),
        ("ossh_rsa", &["-t", "rsa", "-b", "2048"]),
        ("ossh_dsa", &["-t", "dsa"]),
    ] {
        add(name, lab.keygen(name, "", args), None);
    }
    // OpenSSH format, encrypted with each cipher ssh-keygen offers.
    for cipher in [
        "aes128-ctr",
        "aes192-ctr",
        "aes256-ctr",
        "aes128-cbc",
        "aes192-cbc",
        "aes256-cbc",
        "3des-cbc",
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
        "chacha20-poly1305@openssh.com",
    ] {
        let name = format!("ossh_enc_{}", cipher.replace('@', "_"));
        add(&name, lab.keygen(&name, PASS, &["-t", "ed25519", "-Z", cipher]), Some(PASS));
    }
    // Encrypted OpenSSH keys of the other types (default cipher aes256-ctr).
    for (name, args) in [("ossh_enc_ecdsa", &["-t", "ecdsa"][..]), ("ossh_enc_rsa", &["-t", "rsa", "-b", "2048"])] {
        add(name, lab.keygen(name, PASS, args), Some(PASS));
    }
    // Traditional PEM: PKCS#1 RSA, SEC1 EC, OpenSSL DSA; plain and legacy-encrypted.
    let rsa = lab.openssl("pem_rsa", &["genrsa", "-traditional", "2048"]);
    let ec = lab.openssl("pem_ec", &["ecparam", "-genkey", "-name", "prime256v1", "-noout"]);
    let ec384 = lab.openssl("pem_ec384", &["ecparam", "-genkey", "-name", "secp384r1", "-noout"]);
    let ec521 = lab.openssl("pem_ec521", &["ecparam", "-genkey", "-name", "secp521r1", "-noout"]);
    // ssh-dss needs a 160-bit q, which ssh-keygen's DSA keys have (OpenSSL 3's default is 224).
    let dsa = lab.keygen("pem_dsa", "", &["-t", "dsa", "-m", "PEM"]);
    let pin = format!("pass:{PASS}");
    for (name, src, kind) in [("pem_rsa", &rsa, "rsa"), ("pem_ec", &ec, "ec"), ("pem_dsa", &dsa, "dsa")] {
        add(name, src.clone(), None);
        for cipher in ["-aes128", "-aes256", "-des3"] {
            let out = format!("{name}_enc{cipher}");
            let mut args = vec![kind, "-in", src.to_str().unwrap(), cipher, "-passout", &pin];
            if kind == "rsa" {
                args.push("-traditional");
            }
            add(&out, lab.openssl(&out, &args), Some(PASS));
        }
    }
    add("pem_ec384", ec384.clone(), None);
    add("pem_ec521", ec521.clone(), None);
    // PKCS#8, plain and PBES2-encrypted.
    let ed = lab.openssl("p8_ed25519_src", &["genpkey", "-algorithm", "ed25519"]);
    for (name, src) in [("p8_rsa", &rsa), ("p8_ec", &ec), ("p8_ec384", &ec384), ("p8_ed25519", &ed), ("p8_dsa", &dsa)] {
        let plain = lab.openssl(name, &["pkcs8", "-topk8", "-nocrypt", "-in", src.to_str().unwrap()]);
        add(name, plain, None);
        let enc = format!("{name}_enc");
        let p = lab
            .openssl(&enc, &["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", src.to_str().unwrap(), "-passout", &pin]);
        add(&enc, p, Some(PASS));
    }
    keys
}

#[test]
fn every_private_key_format_authenticates_from_file_and_memory() {
    let lab = Lab::new();
    let keys = every_format(&lab);
    let sshd = Sshd::start_with(&["PubkeyAcceptedAlgorithms +ssh-dss"]);
    for k in &keys {
        let line = lab.public_line(&k.path, k.pass);
        authorize(&sshd, &line);
        fs::write(lab.path(&format!("{}.pubkey", k.label)), format!("{line}\n")).unwrap();
    }
    let mut ok = 0;
    for k in &keys {
        let pubfile = lab.path(&format!("{}.pubkey", k.label));
        let private = fs::read(&k.path).unwrap();
        let public = fs::read(&pubfile).unwrap();
        // Four ways per key, each way run blocking for half the keys and non-blocking
        // for the other half (every key in both modes would double a slow test).
        let nb = ok % 8 == 4;
        let mut c = Conn::new(&sshd, nb);
        let rc = c.fromfile(&sshd.user, None, &k.path, k.pass);
        c.expect_ok(rc, &format!("fromfile {}", k.label));
        let mut c = Conn::new(&sshd, !nb);
        let rc = c.fromfile(&sshd.user, Some(&pubfile), &k.path, k.pass);
        c.expect_ok(rc, &format!("fromfile+pub {}", k.label));
        let mut c = Conn::new(&sshd, nb);
        let rc = c.frommemory(&sshd.user, &[], &private, k.pass);
        c.expect_ok(rc, &format!("frommemory {}", k.label));
        let mut c = Conn::new(&sshd, !nb);
        let rc = c.frommemory(&sshd.user, &public, &private, k.pass);
        c.expect_ok(rc, &format!("frommemory+pub {}", k.label));
        ok += 4;
    }
    assert_eq!(ok, keys.len() * 4);
    let log = log_after(&sshd, ok);
    assert_eq!(log.matches("Accepted publickey for ").count(), ok, "one login per attempt");
    assert!(log.contains("ssh2: DSA SHA256:"), "a DSA key logged in");
    eprintln!("{} key files x 4 ways = {ok} logins", keys.len());
}

/// The algorithm sshd saw in the signed request of each accepted login, in order.
fn accepted_algs(log: &str) -> Vec<String> {
    // sshd (DEBUG3) logs "userauth_pubkey: ... pkalg NAME pkblob ..." for each request,
    // before "Accepted publickey"; keep the one just before each acceptance.
    let mut out = Vec::new();
    let mut last = None;
    for line in log.lines() {
        if let Some(i) = line.find(" pkalg ") {
            last = line[i + 7..].split_whitespace().next().map(str::to_string);
        }
        if line.contains("Accepted publickey for ") || line.contains("Accepted hostbased for ") {
            out.push(last.clone().unwrap_or_default());
        }
    }
    out
}

#[test]
fn rsa_signature_algorithm_follows_server_sig_algs_and_preferences() {
    let sshd = Sshd::start();
    let key = sshd.user_key(UserKey::Rsa3072).clone();
    for nb in MODES {
        let mut c = Conn::new(&sshd, nb);
        let rc = c.fromfile(&sshd.user, None, &key.private, None);
        c.expect_ok(rc, "rsa default");
        let mut c = Conn::new(&sshd, nb);
        c.set_sign_pref("rsa-sha2-256");
        let rc = c.fromfile(&sshd.user, None, &key.private, None);
        c.expect_ok(rc, "rsa preferring rsa-sha2-256");
    }
    assert_eq!(accepted_algs(&log_after(&sshd, 4)), ["rsa-sha2-512", "rsa-sha2-256", "rsa-sha2-512", "rsa-sha2-256"]);

    // sshd 9.2 lists every algorithm it knows in server-sig-algs whatever it accepts,
    // so ssh-rsa (SHA-1) is reached through the caller's preference, against a server
    // that takes it.
    let old = Sshd::start_with(&["PubkeyAcceptedAlgorithms +ssh-rsa"]);
    for nb in MODES {
        let mut c = Conn::new(&old, nb);
        c.set_sign_pref("ssh-rsa");
        let rc = c.fromfile(&old.user, None, &key.private, None);
        c.expect_ok(rc, "rsa with ssh-rsa only");
    }
    assert_eq!(accepted_algs(&log_after(&old, 2)), ["ssh-rsa", "ssh-rsa"]);
}

#[test]
fn publickey_error_paths() {
    let lab = Lab::new();
    let sshd = Sshd::start();
    let stranger = lab.keygen("stranger", "", &["-t", "ed25519"]);
    let enc = lab.keygen("enc", PASS, &["-t", "ed25519"]);
    let enc_pub = lab.path("enc.pub");
    authorize(&sshd, &fs::read_to_string(&enc_pub).unwrap());
    let garbage = lab.path("garbage");
    fs::write(&garbage, "not a key\n").unwrap();
    for nb in MODES {
        let user = sshd.user.clone();
        let mut c = Conn::new(&sshd, nb);
        let rc = c.fromfile(&user, None, &stranger, None);
        c.expect_err(rc, code::AUTHENTICATION_FAILED, "Username/PublicKey combination invalid", "unknown key");

        let mut c = Conn::new(&sshd, nb);
        let rc = c.fromfile(&user, None, &lab.path("missing"), None);
        c.expect_err(
            rc,
            code::FILE,
            "Unable to extract public key from private key file: Unable to open private key file",
            "missing file",
        );
        let mut c = Conn::new(&sshd, nb);
        let rc = c.fromfile(&user, None, &garbage, None);
        c.expect_err(
            rc,
            code::FILE,
            "Unable to extract public key from private key file: \
             Wrong passphrase or invalid/unrecognized private key file format",
            "garbage file",
        );
        let mut c = Conn::new(&sshd, nb);
        let rc = c.fromfile(&user, Some(&lab.path("missing.pub")), &enc, Some(PASS));
        c.expect_err(rc, code::FILE, "Unable to open public key file", "missing public key file");

        // Wrong passphrase: without a public key file the key cannot even be read ...
        let mut c = Conn::new(&sshd, nb);
        let rc = c.fromfile(&user, None, &enc, Some("wrong passphrase"));
        c.expect_err(
            rc,
            code::FILE,
            "Unable to extract public key from private key file: \
             Wrong passphrase or invalid/unrecognized private key file format",
            "wrong passphrase",
        );
        // ... with one, the server accepts the public key and signing fails, as in libssh2.
        let mut c = Conn::new(&sshd, nb);
        let rc = c.fromfile(&user, Some(&enc_pub), &enc, Some("wrong passphrase"));
        c.expect_err(rc, code::PUBLICKEY_UNVERIFIED, "Callback returned error", "wrong passphrase + pub");
        // From memory, a wrong passphrase is FILE too (what libssh2 1.11.1 returns).
        let mut c = Conn::new(&sshd, nb);
        let rc = c.frommemory(&user, &[], &fs::read(&enc).unwrap(), Some("wrong passphrase"));
        c.expect_err(
            rc,
            code::FILE,
            "Unable to extract public key from private key file: Unsupported private key file format",
            "wrong passphrase in memory",
        );
        let mut c = Conn::new(&sshd, nb);
        let rc = c.frommemory(&user, &[], &[], None);
        c.expect_err(rc, code::FILE, "Invalid data in public and private key.", "no key data");
    }
}

#[test]
fn certificates_authenticate_with_a_trusted_ca() {
    let lab = Lab::new();
    let ca = lab.keygen("ca", "", &["-t", "ed25519"]);
    let ca_pub = lab.path("ca.pub");
    let mut certs = Vec::new();
    for (name, args) in [
        ("c_ed25519", &["-t", "ed25519"][..]),
        ("c_ecdsa256", &["-t", "ecdsa", "-b", "256"]),
        ("c_ecdsa384", &["-t", "ecdsa", "-b", "384"]),
        ("c_ecdsa521", &["-t", "ecdsa", "-b", "521"]),
        ("c_rsa", &["-t", "rsa", "-b", "2048"]),
    ] {
        let key = lab.keygen(name, "", args);
        run_ok(
            Command::new("ssh-keygen")
                .args(["-q", "-s"])
                .arg(&ca)
                .args(["-I", &format!("id-{name}"), "-n", "root,libssh2rs"])
                .arg(lab.path(&format!("{name}.pub"))),
        );
        certs.push((name, key, lab.path(&format!("{name}-cert.pub"))));
    }
    let trust = format!("TrustedUserCAKeys {}", ca_pub.display());
    // The keys themselves are not in authorized_keys: only the certificate lets them in.
    let sshd = Sshd::start_with(&[&trust]);
    let mut logins = 0;
    for (name, key, cert) in &certs {
        for nb in MODES {
            let mut c = Conn::new(&sshd, nb);
            let rc = c.fromfile(&sshd.user, Some(cert), key, None);
            c.expect_ok(rc, &format!("cert {name}"));
            let mut c = Conn::new(&sshd, nb);
            let rc = c.frommemory(&sshd.user, &fs::read(cert).unwrap(), &fs::read(key).unwrap(), None);
            c.expect_ok(rc, &format!("cert from memory {name}"));
            logins += 2;
        }
        // Without the certificate the bare key is refused.
        let mut c = Conn::new(&sshd, false);
        let rc = c.fromfile(&sshd.user, None, key, None);
        assert_eq!(rc, code::AUTHENTICATION_FAILED, "{name} bare key");
    }
    // rsa-sha2-256-cert by preference.
    let (_, rsa_key, rsa_cert) = certs.iter().find(|c| c.0 == "c_rsa").unwrap();
    for nb in MODES {
        let mut c = Conn::new(&sshd, nb);
        c.set_sign_pref("rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-256");
        let rc = c.fromfile(&sshd.user, Some(rsa_cert), rsa_key, None);
        c.expect_ok(rc, "rsa-sha2-256 cert");
        logins += 1;
    }
    let log = log_after(&sshd, logins);
    assert_eq!(log.matches("Accepted publickey for ").count(), logins);
    for kind in ["ED25519-CERT", "ECDSA-CERT", "RSA-CERT"] {
        assert!(log.contains(&format!("ssh2: {kind} ")), "{kind} login logged");
    }
    let algs = accepted_algs(&log);
    assert!(algs.iter().any(|a| a == "ssh-ed25519-cert-v01@openssh.com"), "{algs:?}");
    assert!(algs.iter().any(|a| a == "ecdsa-sha2-nistp521-cert-v01@openssh.com"), "{algs:?}");
    assert!(algs.iter().any(|a| a == "rsa-sha2-512-cert-v01@openssh.com"), "{algs:?}");
    assert!(algs.iter().any(|a| a == "rsa-sha2-256-cert-v01@openssh.com"), "{algs:?}");

    // ssh-rsa-cert-v01 (SHA-1) through the caller's preference, against a server that takes it.
    let old = Sshd::start_with(&[&trust, "PubkeyAcceptedAlgorithms +ssh-rsa-cert-v01@openssh.com"]);
    for nb in MODES {
        let mut c = Conn::new(&old, nb);
        c.set_sign_pref("ssh-rsa");
        let rc = c.fromfile(&old.user, Some(rsa_cert), rsa_key, None);
        c.expect_ok(rc, "ssh-rsa cert");
    }
    assert_eq!(accepted_algs(&log_after(&old, 2)), ["ssh-rsa-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com"]);
}

// ---- the caller's signer ---------------------------------------------------

/// What the sign callback gets through `abstract`.
struct Signer {
    key: PrivateKey,
    alg: &'static str,
    calls: usize,
}

/// A LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC: signs with the key in `*abstract`.
unsafe extern "C" fn sign_cb(
    _s: *mut LIBSSH2_SESSION,
    sig: *mut *mut u8,
    sig_len: *mut usize,
    data: *const u8,
    data_len: usize,
    abstract_: *mut *mut c_void,
) -> c_int {
    // SAFETY: the test passes a live Signer as *abstract and valid buffers.
    unsafe {
        let signer = &mut *(*abstract_).cast::<Signer>();
        signer.calls += 1;
        let full = signer.key.sign(signer.alg, std::slice::from_raw_parts(data, data_len)).unwrap();
        let mut r = Reader::new(&full);
        r.string().unwrap();
        let raw = r.string().unwrap();
        let p = libc::malloc(raw.len()).cast::<u8>();
        ptr::copy_nonoverlapping(raw.as_ptr(), p, raw.len());
        *sig = p;
        *sig_len = raw.len();
    }
    0
}

#[test]
fn publickey_with_the_callers_sign_callback() {
    let sshd = Sshd::start();
    for (key, alg) in [(UserKey::Ed25519, "ssh-ed25519"), (UserKey::Ecdsa384, "ecdsa-sha2-nistp384")] {
        let kp = sshd.user_key(key);
        let blob = kp.public_blob();
        for nb in MODES {
            let mut signer = Signer { key: PrivateKey::from_file(&kp.private, None).unwrap(), alg, calls: 0 };
            let mut abs: *mut c_void = (&mut signer as *mut Signer).cast();
            let user = CString::new(sshd.user.clone()).unwrap();
            let mut c = Conn::new(&sshd, nb);
            let rc = c.run(|s| {
                // SAFETY: live session; blob and abstract outlive the call.
                unsafe {
                    libssh2_userauth_publickey(s, user.as_ptr(), blob.as_ptr(), blob.len(), Some(sign_cb), &mut abs)
                }
            });
            c.expect_ok(rc, &format!("callback {alg}"));
            assert_eq!(signer.calls, 1, "signed once");
        }
    }
    // A callback that fails is PUBLICKEY_UNVERIFIED "Callback returned error".
    unsafe extern "C" fn failing(
        _: *mut LIBSSH2_SESSION,
        _: *mut *mut u8,
        _: *mut usize,
        _: *const u8,
        _: usize,
        _: *mut *mut c_void,
    ) -> c_int {
        -1
    }
    let blob = sshd.user_key(UserKey::Ed25519).public_blob();
    let user = CString::new(sshd.user.clone()).unwrap();
    for nb in MODES {
        let mut c = Conn::new(&sshd, nb);
        let rc = c.run(|s| {
            // SAFETY: live session; blob outlives the call.
            unsafe {
                libssh2_userauth_publickey(s, user.as_ptr(), blob.as_ptr(), blob.len(), Some(failing), ptr::null_mut())
            }
        });
        c.expect_err(rc, code::PUBLICKEY_UNVERIFIED, "Callback returned error", "failing callback");
    }
}

/// A sign callback that would block on its first call, then signs.
unsafe extern "C" fn sign_after_eagain(
    s: *mut LIBSSH2_SESSION,
    sig: *mut *mut u8,
    sig_len: *mut usize,
    data: *const u8,
    data_len: usize,
    abstract_: *mut *mut c_void,
) -> c_int {
    // SAFETY: the test passes a live Signer as *abstract.
    let first = unsafe { (*(*abstract_).cast::<Signer>()).calls == 0 };
    if first {
        // SAFETY: as above.
        unsafe { (*(*abstract_).cast::<Signer>()).calls += 1 };
        return code::EAGAIN;
    }
    // SAFETY: forwarded from the library's call.
    unsafe { sign_cb(s, sig, sig_len, data, data_len, abstract_) }
}

#[test]
fn a_sign_callback_that_would_block_is_called_again() {
    // libssh2 returns the callback's EAGAIN as "Would block" and, called
    // again, asks the callback again for the same data.
    let sshd = Sshd::start();
    let kp = sshd.user_key(UserKey::Ed25519);
    let blob = kp.public_blob();
    let mut signer = Signer { key: PrivateKey::from_file(&kp.private, None).unwrap(), alg: "ssh-ed25519", calls: 0 };
    let mut abs: *mut c_void = (&mut signer as *mut Signer).cast();
    let abs_slot: *mut *mut c_void = &mut abs;
    let user = CString::new(sshd.user.clone()).unwrap();
    let mut c = Conn::new(&sshd, true);
    let call = |s| {
        // SAFETY: live session; blob and abstract outlive the call.
        unsafe {
            libssh2_userauth_publickey(s, user.as_ptr(), blob.as_ptr(), blob.len(), Some(sign_after_eagain), abs_slot)
        }
    };
    // The query's reply first (the server's PK_OK), then the callback's EAGAIN.
    let mut rc = call(c.sess);
    while rc == code::EAGAIN && signer_calls(abs) == 0 {
        c.eagains += 1;
        c.wait();
        rc = call(c.sess);
    }
    assert_eq!(rc, code::EAGAIN, "the callback's EAGAIN is the call's: {:?}", c.err());
    assert_eq!(c.err(), (code::EAGAIN, "Would block".to_string()));
    let rc = c.run(call);
    c.expect_ok(rc, "signed on the repeated call");
    assert_eq!(signer_calls(abs), 2, "asked once more after its EAGAIN");
}

/// How often the signer behind `abs` was called.
fn signer_calls(abs: *mut c_void) -> usize {
    // SAFETY: `abs` points at the test's live Signer.
    unsafe { (*abs.cast::<Signer>()).calls }
}

// ---- list, banner, password, keyboard-interactive --------------------------

#[test]
fn list_banner_and_authenticated() {
    let dir = tempfile::tempdir().unwrap();
    let banner_file = dir.path().join("banner");
    let banner = "Authorized use only.\nlibssh2-rs banner test\n";
    fs::write(&banner_file, banner).unwrap();
    let line = format!("Banner {}", banner_file.display());
    let sshd = Sshd::start_with(&[&line]);
    for nb in MODES {
        let mut c = Conn::new(&sshd, nb);
        let mut b: *mut c_char = ptr::null_mut();
        // SAFETY: live session, writable out pointer.
        let rc = unsafe { libssh2_userauth_banner(c.sess, &mut b) };
        assert_eq!(rc, code::MISSING_USERAUTH_BANNER);
        assert!(!c.authenticated());
        let user = sshd.user.clone();
        let mut list: *mut c_char = ptr::null_mut();
        let rc = c.run(|s| {
            // SAFETY: live session; user valid for its length.
            list = unsafe { libssh2_userauth_list(s, user.as_ptr().cast(), user.len() as c_uint) };
            if list.is_null() {
                // SAFETY: live session.
                unsafe { libssh2_session_last_errno(s) }
            } else {
                0
            }
        });
        assert_eq!(rc, 0, "{:?}", c.err());
        // SAFETY: the list is a NUL-terminated string owned by the session.
        let methods = unsafe { std::ffi::CStr::from_ptr(list) }.to_str().unwrap().to_string();
        let mut m: Vec<&str> = methods.split(',').collect();
        m.sort_unstable();
        let mut want = vec!["publickey"];
        if common::is_root().unwrap() {
            want.extend(["password", "keyboard-interactive"]);
            want.sort_unstable();
        }
        assert_eq!(m, want, "methods {methods}");
        // SAFETY: as above.
        let rc = unsafe { libssh2_userauth_banner(c.sess, &mut b) };
        assert_eq!(rc, 0);
        // SAFETY: NUL-terminated, owned by the session.
        let got = unsafe { std::ffi::CStr::from_ptr(b) }.to_str().unwrap();
        assert_eq!(got.replace("\r\n", "\n"), banner);
        let key = sshd.user_key(UserKey::Ed25519).private.clone();
        let rc = c.fromfile(&user, None, &key, None);
        c.expect_ok(rc, "after list");
    }
}

#[test]
fn password_success_and_failure() {
    let Some(sshd) = test_user_fixture(Options::default()) else { return };
    for nb in MODES {
        let mut c = Conn::new(&sshd, nb);
        let rc = c.password(TEST_USER, "wrong password");
        c.expect_err(rc, code::AUTHENTICATION_FAILED, "Authentication failed (username/password)", "wrong password");
        // The same session may try again, as libssh2 allows.
        c.eagains = 0;
        let rc = c.password(TEST_USER, TEST_PASSWORD);
        c.expect_ok(rc, "password");
    }
}

/// One keyboard-interactive round: (name, instruction, [(prompt, echo)]).
type Round = (String, String, Vec<(String, bool)>);

/// What the keyboard-interactive callback answers and records.
#[derive(Default)]
struct Kbd {
    /// (prompt substring, answer), first match wins; no match answers "".
    answers: Vec<(String, String)>,
    /// Every round: (name, instruction, [(prompt, echo)]).
    rounds: Vec<Round>,
}

/// A LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC answering from the `Kbd` in `*abstract`.
unsafe extern "C" fn kbd_cb(
    name: *const c_char,
    name_len: c_int,
    instruction: *const c_char,
    instruction_len: c_int,
    num_prompts: c_int,
    prompts: *const LIBSSH2_USERAUTH_KBDINT_PROMPT,
    responses: *mut LIBSSH2_USERAUTH_KBDINT_RESPONSE,
    abstract_: *mut *mut c_void,
) {
    // SAFETY: the library passes valid arrays of num_prompts entries and our Kbd.
    unsafe {
        let kb = &mut *(*abstract_).cast::<Kbd>();
        let text = |p: *const c_char, n: usize| {
            if n == 0 {
                String::new()
            } else {
                String::from_utf8_lossy(std::slice::from_raw_parts(p.cast::<u8>(), n)).into_owned()
            }
        };
        let mut round = Vec::new();
        for i in 0..num_prompts as usize {
            let p = &*prompts.add(i);
            let t = text(p.text.cast(), p.length);
            let answer = kb.answers.iter().find(|(k, _)| t.contains(k.as_str())).map_or("", |(_, a)| a.as_str());
            let buf = libc::malloc(answer.len().max(1)).cast::<u8>();
            ptr::copy_nonoverlapping(answer.as_ptr(), buf, answer.len());
            let r = &mut *responses.add(i);
            r.text = buf.cast();
            r.length = answer.len() as c_uint;
            round.push((t, p.echo != 0));
        }
        kb.rounds.push((text(name, name_len as usize), text(instruction, instruction_len as usize), round));
    }
}

#[test]
fn keyboard_interactive_with_pam() {
    let Some(sshd) = test_user_fixture(Options::default()) else { return };
    for nb in MODES {
        let mut kb = Kbd { answers: vec![("assword".into(), TEST_PASSWORD.into())], ..Kbd::default() };
        let mut c = Conn::new(&sshd, nb);
        let rc = c.kbdint(TEST_USER, &mut kb);
        c.expect_ok(rc, "keyboard-interactive");
        eprintln!("keyboard-interactive rounds: {:?}", kb.rounds);
        let (_, _, first) = &kb.rounds[0];
        assert_eq!(first.len(), 1, "PAM asks one question first");
        assert!(first[0].0.contains("assword"), "{first:?}");
        assert!(!first[0].1, "a password prompt must not echo");
        // OpenSSH ends a PAM conversation with an INFO_REQUEST of zero prompts; the
        // callback sees it too (num_prompts 0), as with libssh2.
        assert_eq!(kb.rounds.len(), 2, "{:?}", kb.rounds);
        assert!(kb.rounds[1].2.is_empty(), "zero-prompt final round");

        let mut kb = Kbd { answers: vec![("assword".into(), "wrong".into())], ..Kbd::default() };
        let mut c = Conn::new(&sshd, nb);
        let rc = c.kbdint(TEST_USER, &mut kb);
        c.expect_err(
            rc,
            code::AUTHENTICATION_FAILED,
            "Authentication failed (keyboard-interactive)",
            "wrong keyboard-interactive answer",
        );
    }
}

// ---- keyboard-interactive over several rounds: an expired password ----------

/// A user of its own whose password the test expires (never the shared test user,
/// which other tests log in as at the same time).
const EXPIRED_USER: &str = "libssh2rs-exp";
/// Its password before and after the forced change (different enough for pam_unix).
const EXPIRED_OLD: &str = "Old-Expiring-Pw-7391";
const EXPIRED_NEW: &str = "fresh_Secret_8264_zq";

/// (Re)creates `EXPIRED_USER` with `EXPIRED_OLD`, expired (`chage -d 0`).
fn expire_user() {
    if !Command::new("id").arg(EXPIRED_USER).output().unwrap().status.success() {
        run_ok(Command::new("useradd").args(["-m", "-s", "/bin/sh", EXPIRED_USER]));
    }
    let mut child = Command::new("chpasswd").stdin(Stdio::piped()).spawn().unwrap();
    {
        use std::io::Write;
        writeln!(child.stdin.take().unwrap(), "{EXPIRED_USER}:{EXPIRED_OLD}").unwrap();
    }
    assert!(child.wait().unwrap().success());
    run_ok(Command::new("chage").args(["-d", "0", EXPIRED_USER]));
}

#[test]
fn keyboard_interactive_several_rounds_change_an_expired_password() {
    let Some(sshd) = test_user_fixture(Options::default()) else { return };
    for nb in MODES {
        expire_user();
        // PAM asks for the password, then (account expired) runs the change
        // conversation inside the same keyboard-interactive exchange.
        let mut kb = Kbd {
            answers: vec![
                ("New".into(), EXPIRED_NEW.into()),
                ("new".into(), EXPIRED_NEW.into()),
                ("assword".into(), EXPIRED_OLD.into()),
            ],
            ..Kbd::default()
        };
        let mut c = Conn::new(&sshd, nb);
        let rc = c.kbdint(EXPIRED_USER, &mut kb);
        eprintln!("expired-password rounds: {:?}", kb.rounds);
        c.expect_ok(rc, "keyboard-interactive password change");
        // Password, current password, new, retype, then the zero-prompt end.
        assert_eq!(kb.rounds.len(), 5, "several rounds: {:?}", kb.rounds);
        assert!(kb.rounds[4].2.is_empty(), "zero-prompt final round");
        let prompts: Vec<&(String, bool)> = kb.rounds.iter().flat_map(|r| &r.2).collect();
        assert!(prompts.iter().all(|(_, echo)| !echo), "no password prompt echoes");
        assert!(prompts.iter().any(|(t, _)| t.contains("New") || t.contains("new")), "{prompts:?}");
        // The change took: the new password now works with plain password auth.
        let mut c = Conn::new(&sshd, nb);
        let rc = c.password(EXPIRED_USER, EXPIRED_NEW);
        c.expect_ok(rc, "new password");
    }
}

// ---- host-based ----------------------------------------------------------------

#[test]
fn hostbased_with_shosts_and_known_hosts() {
    let opts = Options {
        extra_config: vec![
            "HostbasedAuthentication yes".into(),
            "IgnoreRhosts no".into(),
            // The name in the request, not reverse DNS of 127.0.0.1, picks the entries.
            "HostbasedUsesNameFromPacketOnly yes".into(),
        ],
        ..Options::default()
    };
    let Some(sshd) = test_user_fixture(opts) else { return };
    let lab = Lab::new();
    let home = run_ok(Command::new("sh").args(["-c", &format!("getent passwd {TEST_USER} | cut -d: -f6")]));
    let home = PathBuf::from(home.trim());
    // A host name of this fixture's own, so parallel runs do not meet.
    let host = format!("client-{}.hostbased.test", sshd.port);
    let mut known = String::new();
    let mut keys = Vec::new();
    for (name, args) in [
        ("hb_ed25519", &["-t", "ed25519"][..]),
        ("hb_ecdsa", &["-t", "ecdsa", "-b", "384"]),
        ("hb_rsa", &["-t", "rsa", "-b", "2048"]),
    ] {
        let key = lab.keygen(name, "", args);
        known.push_str(&format!("{host} {}\n", fs::read_to_string(lab.path(&format!("{name}.pub"))).unwrap().trim()));
        keys.push((name, key));
    }
    append_file(&home.join(".ssh/known_hosts"), &known);
    append_file(&home.join(".shosts"), &format!("{host} {TEST_USER}\n"));
    let user = CString::new(TEST_USER).unwrap();
    let mut logins = 0;
    for (name, key) in &keys {
        for nb in MODES {
            let with_pub = nb;
            let pubpath = lab.path(&format!("{name}.pub"));
            let mut c = Conn::new(&sshd, nb);
            let rc = c.hostbased(&user, with_pub.then_some(pubpath.as_path()), key, &host, TEST_USER);
            c.expect_ok(rc, &format!("hostbased {name}"));
            logins += 1;
        }
    }
    // A host name the server does not trust fails.
    let mut c = Conn::new(&sshd, false);
    let rc = c.hostbased(&user, None, &keys[0].1, "stranger.hostbased.test", TEST_USER);
    c.expect_err(
        rc,
        code::PUBLICKEY_UNVERIFIED,
        "Invalid signature for supplied public key, or bad username/public key combination",
        "untrusted host",
    );
    let log = log_after(&sshd, logins);
    assert_eq!(log.matches("Accepted hostbased for ").count(), logins);
    let algs = accepted_algs(&log);
    assert!(algs.iter().any(|a| a == "rsa-sha2-512"), "RSA host key signs with SHA-2: {algs:?}");
}

fn append_file(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

impl Conn {
    /// `libssh2_userauth_hostbased_fromfile_ex`.
    fn hostbased(&mut self, user: &CString, public: Option<&Path>, private: &Path, host: &str, local: &str) -> c_int {
        let public = public.map(cpath);
        let private = cpath(private);
        self.run(|s| {
            // SAFETY: live session; strings valid.
            unsafe {
                libssh2_userauth_hostbased_fromfile_ex(
                    s,
                    user.as_ptr(),
                    user.as_bytes().len() as c_uint,
                    public.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
                    private.as_ptr(),
                    ptr::null(),
                    host.as_ptr().cast(),
                    host.len() as c_uint,
                    local.as_ptr().cast(),
                    local.len() as c_uint,
                )
            }
        })
    }
}

// ---- security keys (FIDO) with a software authenticator ------------------------

/// The application string ssh-keygen uses.
const SK_APPLICATION: &str = "ssh:";
/// LIBSSH2_SK_PRESENCE_REQUIRED: sshd wants the user-present bit by default.
const SK_PRESENCE: u8 = 0x01;
/// LIBSSH2_HOSTKEY_TYPE_ECDSA_256 / _ED25519, as libssh2 passes them.
const ALG_ECDSA_256: c_int = 3;
const ALG_ED25519: c_int = 6;

/// A software authenticator: the real private key behind an sk public key.
struct Authenticator {
    key: PrivateKey,
    handle: Vec<u8>,
    counter: u32,
    /// (algorithm, flags, application) of each call.
    seen: Vec<(c_int, u8, String)>,
}

/// A LIBSSH2_USERAUTH_SK_SIGN_FUNC: signs as a FIDO authenticator would, over
/// sha256(application) || flags || counter || sha256(data).
unsafe extern "C" fn sk_cb(
    _s: *mut LIBSSH2_SESSION,
    info: *mut LIBSSH2_SK_SIG_INFO,
    data: *const u8,
    data_len: usize,
    algorithm: c_int,
    flags: u8,
    application: *const c_char,
    key_handle: *const u8,
    handle_len: usize,
    abstract_: *mut *mut c_void,
) -> c_int {
    // SAFETY: the test passes a live Authenticator as *abstract; buffers are valid.
    unsafe {
        let a = &mut *(*abstract_).cast::<Authenticator>();
        let app = std::ffi::CStr::from_ptr(application).to_string_lossy().into_owned();
        a.seen.push((algorithm, flags, app.clone()));
        if std::slice::from_raw_parts(key_handle, handle_len) != a.handle.as_slice() {
            return -1;
        }
        a.counter += 1;
        let sig_flags = SK_PRESENCE;
        let mut msg = Sha256::digest(app.as_bytes()).to_vec();
        msg.push(sig_flags);
        msg.extend_from_slice(&a.counter.to_be_bytes());
        msg.extend_from_slice(&Sha256::digest(std::slice::from_raw_parts(data, data_len)));
        let full = a.key.sign(a.key.key_type(), &msg).unwrap();
        let mut r = Reader::new(&full);
        r.string().unwrap();
        let raw = r.string().unwrap();
        let copy = |b: &[u8]| {
            let p = libc::malloc(b.len()).cast::<u8>();
            ptr::copy_nonoverlapping(b.as_ptr(), p, b.len());
            p
        };
        let info = &mut *info;
        info.flags = sig_flags;
        info.counter = a.counter;
        if algorithm == ALG_ED25519 {
            info.sig_r = copy(raw);
            info.sig_r_len = raw.len();
        } else {
            let mut rs = Reader::new(raw);
            let (sr, ss) = (rs.mpint().unwrap(), rs.mpint().unwrap());
            info.sig_r = copy(sr);
            info.sig_r_len = sr.len();
            info.sig_s = copy(ss);
            info.sig_s_len = ss.len();
        }
    }
    0
}

/// An unencrypted OpenSSH private key file for an sk key, laid out as ssh-keygen
/// writes one (PROTOCOL.u2f): the software key's public half, application, flags
/// and key handle.
fn sk_key_file(sk_type: &str, public_fields: &[&[u8]], flags: u8, handle: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut blob = Writer::new();
    blob.string(sk_type.as_bytes());
    for f in public_fields {
        blob.string(f);
    }
    blob.string(SK_APPLICATION.as_bytes());
    let mut private = Writer::new();
    private.u32(0x1234_5678).u32(0x1234_5678).string(sk_type.as_bytes());
    for f in public_fields {
        private.string(f);
    }
    private.string(SK_APPLICATION.as_bytes()).u8(flags).string(handle).string(b"").string(b"sk test key");
    let mut pad = 1u8;
    while private.buf.len() % 8 != 0 {
        private.u8(pad);
        pad += 1;
    }
    let mut body = Writer::new();
    body.raw(b"openssh-key-v1\0").string(b"none").string(b"none").string(b"").u32(1);
    body.string(&blob.buf).string(&private.buf);
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&body.buf);
    let file = format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{b64}\n-----END OPENSSH PRIVATE KEY-----\n");
    (file.into_bytes(), blob.into_inner())
}

#[test]
fn security_keys_sign_through_the_callers_authenticator() {
    let lab = Lab::new();
    let sshd = Sshd::start();
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    for (sk_type, keygen, alg) in [
        ("sk-ssh-ed25519@openssh.com", &["-t", "ed25519"][..], ALG_ED25519),
        ("sk-ecdsa-sha2-nistp256@openssh.com", &["-t", "ecdsa", "-b", "256"], ALG_ECDSA_256),
    ] {
        let path = lab.keygen(&format!("sk_{alg}"), "", keygen);
        let key = PrivateKey::from_file(&path, None).unwrap();
        // The software key's public fields, after its type name.
        let plain_blob = key.public_blob();
        let mut r = Reader::new(&plain_blob);
        r.string().unwrap();
        let mut fields: Vec<Vec<u8>> = Vec::new();
        while !r.is_empty() {
            fields.push(r.string().unwrap().to_vec());
        }
        let field_refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        let handle = format!("key-handle-{alg}").into_bytes();
        let (file, blob) = sk_key_file(sk_type, &field_refs, SK_PRESENCE, &handle);
        let pub_line = format!("{sk_type} {} sk test key\n", b64(&blob));
        authorize(&sshd, &pub_line);
        for (nb, with_pub) in [(false, false), (true, true), (false, true), (true, false)] {
            let mut auth = Authenticator {
                key: PrivateKey::from_file(&path, None).unwrap(),
                handle: handle.clone(),
                counter: 0,
                seen: vec![],
            };
            let mut abs: *mut c_void = (&mut auth as *mut Authenticator).cast();
            let public: &[u8] = if with_pub { pub_line.as_bytes() } else { &[] };
            let user = sshd.user.clone();
            let mut c = Conn::new(&sshd, nb);
            let rc = c.run(|s| {
                // SAFETY: live session; buffers and the authenticator outlive the call.
                unsafe {
                    libssh2_userauth_publickey_sk(
                        s,
                        user.as_ptr().cast(),
                        user.len(),
                        public.as_ptr(),
                        public.len(),
                        file.as_ptr().cast(),
                        file.len(),
                        ptr::null(),
                        Some(sk_cb),
                        &mut abs,
                    )
                }
            });
            c.expect_ok(rc, &format!("{sk_type} nb={nb} pub={with_pub}"));
            assert_eq!(auth.seen, vec![(alg, SK_PRESENCE, SK_APPLICATION.to_string())]);
        }
    }
    let log = log_after(&sshd, 8);
    assert_eq!(log.matches("Accepted publickey for ").count(), 8);
    assert!(log.contains("ssh2: ED25519-SK "), "ed25519-sk login logged");
    assert!(log.contains("ssh2: ECDSA-SK "), "ecdsa-sk login logged");
}

/// A page no read may touch: a passphrase pointer into it crashes a library
/// that reads the passphrase when it need not.
struct NoAccessPage(*mut c_void);

impl NoAccessPage {
    fn new() -> Self {
        // SAFETY: an anonymous private mapping of one page, no access.
        let p = unsafe {
            libc::mmap(ptr::null_mut(), 4096, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
        };
        assert_ne!(p, libc::MAP_FAILED);
        NoAccessPage(p)
    }
}

impl Drop for NoAccessPage {
    fn drop(&mut self) {
        // SAFETY: the mapping made in new().
        unsafe { libc::munmap(self.0, 4096) };
    }
}

/// libssh2 (OpenSSL build) reads the passphrase of a PEM key only when the
/// key is encrypted, so a program may pass any pointer for a plain one:
/// from memory and from a file, with and without the public key.
#[test]
fn passphrase_of_a_plain_pem_key_is_never_read() {
    let sshd = Sshd::start();
    let page = NoAccessPage::new();
    for kind in [UserKey::RsaPem, UserKey::Ecdsa256Pem] {
        let k = sshd.user_key(kind);
        let private = fs::read(&k.private).unwrap();
        let public = fs::read(&k.public).unwrap();
        for pubdata in [&[][..], &public[..]] {
            let mut c = Conn::new(&sshd, false);
            let user = sshd.user.clone();
            let rc = c.run(|s| {
                // SAFETY: live session; buffers valid; the passphrase must not be read.
                unsafe {
                    libssh2_userauth_publickey_frommemory(
                        s,
                        user.as_ptr().cast(),
                        user.len(),
                        pubdata.as_ptr().cast(),
                        pubdata.len(),
                        private.as_ptr().cast(),
                        private.len(),
                        page.0.cast(),
                    )
                }
            });
            c.expect_ok(rc, &format!("frommemory {kind:?} with public key: {}", !pubdata.is_empty()));
        }
        let cuser = CString::new(sshd.user.clone()).unwrap();
        let cpriv = CString::new(k.private.to_str().unwrap()).unwrap();
        let mut c = Conn::new(&sshd, false);
        let rc = c.run(|s| {
            // SAFETY: live session; strings valid; the passphrase must not be read.
            unsafe {
                libssh2_userauth_publickey_fromfile_ex(
                    s,
                    cuser.as_ptr(),
                    sshd.user.len() as c_uint,
                    ptr::null(),
                    cpriv.as_ptr(),
                    page.0.cast(),
                )
            }
        });
        c.expect_ok(rc, &format!("fromfile {kind:?}"));
    }
}
