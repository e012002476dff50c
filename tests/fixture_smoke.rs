//! Proves the sshd test fixture itself with OpenSSH's own client tools, so
//! later failures of our library cannot be blamed on the fixture.

mod common;

use std::collections::HashMap;
use std::fs;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{
    fingerprint_bytes, keygen_fingerprint, public_blob_of, FixtureError, FpHash, HostKey, Options, Sshd, UserKey, HOST,
    TEST_USER,
};

/// A C program using tests/c/fixture.h: prints the fixture sshd's banner.
const C_FIXTURE_PROBE: &str = r#"#include "fixture.h"
int main(void)
{
    struct fixture f;
    char buf[256] = {0};
    ssize_t n;
    int fd;
    if(fixture_load(&f) || (fd = fixture_connect(&f)) < 0)
        return 1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if(n <= 0)
        return 1;
    fputs(buf, stdout);
    return 0;
}
"#;

/// Fixtures started at once by the parallel-start test.
const PARALLEL_FIXTURES: usize = 4;

fn ok(out: &Output, what: &str, sshd: &Sshd) {
    assert!(
        out.status.success(),
        "{what} failed ({}): stdout {:?} stderr {:?}\nsshd log tail:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        tail(&sshd.log())
    );
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// The password test user needs root. Outside CI a non-root developer gets a
/// loud notice; in CI (which runs as root) this is a failure.
fn test_user_fixture() -> Option<Sshd> {
    match Sshd::start_for_test_user() {
        Ok(s) => Some(s),
        Err(FixtureError::NeedsRoot(m)) if std::env::var_os("CI").is_none() => {
            eprintln!("NOT TESTED (run as root to test): {m}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn ssh_logs_in_with_every_unencrypted_user_key() {
    let sshd = Sshd::start();
    for key in UserKey::ALL.into_iter().filter(|k| k.passphrase().is_none()) {
        let out = sshd.openssh_ssh_cmd_with(key).args(["echo", "hello-from", "$USER"]).output().expect("run ssh");
        ok(&out, &format!("ssh with {key:?}"), &sshd);
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("hello-from {}", sshd.user), "{key:?}");
        // The remote stderr must stay clean: sshd's debug log goes to its file.
        assert!(out.stderr.is_empty(), "{key:?} stderr: {:?}", out.stderr);
    }
    let log = sshd.log();
    let accepted = log.matches("Accepted publickey for ").count();
    assert_eq!(accepted, 7, "one login per unencrypted key:\n{}", tail(&log));
    assert!(log.contains("debug3:"), "LogLevel DEBUG3 reaches the log");
}

#[test]
fn encrypted_user_keys_open_with_the_passphrase() {
    let sshd = Sshd::start();
    for key in UserKey::ALL {
        let kp = sshd.user_key(key);
        let pub_line = kp.public_line();
        assert!(pub_line.starts_with(key.ssh_name()), "{key:?}: {pub_line}");
        let Some(pass) = key.passphrase() else {
            continue;
        };
        let out = Command::new("ssh-keygen")
            .args(["-y", "-P", pass, "-f"])
            .arg(&kp.private)
            .output()
            .expect("run ssh-keygen -y");
        ok(&out, &format!("ssh-keygen -y {key:?}"), &sshd);
        assert_eq!(public_blob_of(&String::from_utf8_lossy(&out.stdout)), kp.public_blob(), "{key:?}");
        let wrong = Command::new("ssh-keygen")
            .args(["-y", "-P", "wrong passphrase", "-f"])
            .arg(&kp.private)
            .output()
            .expect("run ssh-keygen -y");
        assert!(!wrong.status.success(), "{key:?} opened with a wrong passphrase");
    }
    // PEM keys really are in the traditional format libssh2 also reads.
    let pem = fs::read_to_string(&sshd.user_key(UserKey::RsaPem).private).unwrap();
    assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "{pem}");
    let ec = fs::read_to_string(&sshd.user_key(UserKey::Ecdsa256Pem).private).unwrap();
    assert!(ec.starts_with("-----BEGIN EC PRIVATE KEY-----"), "{ec}");
    let enc = fs::read_to_string(&sshd.user_key(UserKey::RsaPemEncrypted).private).unwrap();
    assert!(enc.contains("ENCRYPTED"), "{enc}");
}

#[test]
fn keyscan_matches_host_key_fingerprints() {
    let has_dsa = {
        let probe = Sshd::start();
        probe.host_key(HostKey::Dsa).is_some()
    };
    let extra: &[&str] = if has_dsa { &["HostKeyAlgorithms +ssh-dss"] } else { &[] };
    let sshd = Sshd::start_with(extra);
    let types: Vec<&str> = sshd.host_keys.iter().map(|(k, _)| k.keyscan_type()).collect();
    assert!(types.len() >= 3, "ed25519, ecdsa and rsa host keys: {types:?}");
    let out = Command::new("ssh-keyscan")
        .args(["-p", &sshd.port.to_string(), "-t", &types.join(","), HOST])
        .stderr(Stdio::null())
        .output()
        .expect("run ssh-keyscan");
    ok(&out, "ssh-keyscan", &sshd);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let scanned: HashMap<String, String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let _host = f.next()?;
            Some((f.next()?.to_string(), l.to_string()))
        })
        .collect();
    let scan_file = sshd.dir.path().join("scanned");
    for (key, _) in &sshd.host_keys {
        let line = scanned.get(key.ssh_name()).unwrap_or_else(|| panic!("keyscan lacks {key:?}:\n{text}"));
        assert_eq!(
            // known_hosts format "[host]:port type base64": skip the host.
            public_blob_of(line.split_once(' ').map_or("", |(_, key)| key)),
            sshd.host_key_blob(*key),
            "{key:?} blob"
        );
        fs::write(&scan_file, format!("{line}\n")).unwrap();
        for (hash, len) in [(FpHash::Sha256, 32), (FpHash::Sha1, 20), (FpHash::Md5, 16)] {
            let ours = sshd.host_key_fingerprint(*key, hash);
            assert_eq!(keygen_fingerprint(&scan_file, hash), ours, "{key:?} {hash:?}");
            assert_eq!(sshd.host_key_hash(*key, hash).len(), len, "{key:?} {hash:?}");
        }
    }
    assert_eq!(fingerprint_bytes("MD5:00:1f:ff"), vec![0x00, 0x1f, 0xff], "MD5 fingerprints decode as hex");
}

#[test]
fn extra_config_lines_override_the_defaults() {
    let sshd = Sshd::start_with(&["PubkeyAuthentication no"]);
    let out = sshd.openssh_ssh_cmd().arg("true").output().expect("run ssh");
    assert!(!out.status.success(), "login must fail with publickey disabled");
    let cfg = fs::read_to_string(&sshd.config).unwrap();
    assert!(cfg.find("PubkeyAuthentication no") < cfg.find("PubkeyAuthentication yes"));
}

#[test]
fn match_blocks_go_last() {
    let sshd = Sshd::start_with(&["Match User nobody-here", "PasswordAuthentication no"]);
    let cfg = fs::read_to_string(&sshd.config).unwrap();
    let match_at = cfg.find("Match User nobody-here").unwrap();
    assert!(cfg.find("Subsystem sftp").unwrap() < match_at, "{cfg}");
    let out = sshd.openssh_ssh_cmd().arg("true").output().expect("run ssh");
    ok(&out, "ssh after a Match block", &sshd);
}

fn sftp_batch(sshd: &Sshd, batch: &str) -> Output {
    let batch_file = sshd.dir.path().join("sftp-batch");
    fs::write(&batch_file, batch).unwrap();
    Command::new("sftp")
        .args(["-F", "/dev/null", "-P", &sshd.port.to_string(), "-i"])
        .arg(&sshd.user_key(UserKey::Ed25519).private)
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "LogLevel=ERROR",
            "-b",
        ])
        .arg(&batch_file)
        .arg(format!("{}@{HOST}", sshd.user))
        .stdin(Stdio::null())
        .output()
        .expect("run sftp")
}

#[test]
fn sftp_subsystem_external_and_internal() {
    for internal in [false, true] {
        let sshd = Sshd::start_opts(&Options { internal_sftp: internal, ..Options::default() })
            .unwrap_or_else(|e| panic!("{e}"));
        let src = sshd.dir.path().join("upload.txt");
        let back = sshd.dir.path().join("download.txt");
        let remote = sshd.dir.path().join("remote.txt");
        fs::write(&src, b"sftp round trip\n").unwrap();
        let batch =
            format!("put {} {}\nget {} {}\n", src.display(), remote.display(), remote.display(), back.display());
        let out = sftp_batch(&sshd, &batch);
        ok(&out, &format!("sftp (internal={internal})"), &sshd);
        assert_eq!(fs::read(&back).unwrap(), b"sftp round trip\n");
        let expect = if internal { "internal-sftp" } else { "sftp-server" };
        assert!(sshd.sftp_subsystem.ends_with(expect), "{}", sshd.sftp_subsystem);
        assert!(sshd.log().contains("subsystem request for sftp"), "{}", tail(&sshd.log()));
    }
}

/// An askpass helper that answers every prompt with `secret`.
fn askpass(dir: &Path, secret: &str) -> std::path::PathBuf {
    let path = dir.join(format!("askpass-{}", secret.len()));
    fs::write(&path, format!("#!/bin/sh\necho '{secret}'\n")).unwrap();
    fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

fn ssh_with_secret(sshd: &Sshd, method: &str, secret: &str) -> Output {
    let preferred = format!("PreferredAuthentications={method}");
    let opts = ["BatchMode=no", preferred.as_str(), "PubkeyAuthentication=no", "NumberOfPasswordPrompts=1"];
    sshd.openssh_ssh_cmd_opts(UserKey::Ed25519, &opts)
        .arg("true")
        .env("SSH_ASKPASS", askpass(sshd.dir.path(), secret))
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env("DISPLAY", ":0")
        .output()
        .expect("run ssh")
}

#[test]
fn test_user_password_and_keyboard_interactive() {
    let Some(sshd) = test_user_fixture() else {
        return;
    };
    assert_eq!(sshd.user, TEST_USER);
    let password = sshd.password.clone().expect("test user has a password");
    let out = sshd.openssh_ssh_cmd().arg("id -un").output().expect("run ssh");
    ok(&out, "publickey as test user", &sshd);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), TEST_USER);
    for method in ["password", "keyboard-interactive"] {
        let out = ssh_with_secret(&sshd, method, &password);
        ok(&out, method, &sshd);
        let bad = ssh_with_secret(&sshd, method, "not the password");
        assert!(!bad.status.success(), "{method} accepted a wrong password");
    }
    let log = sshd.log();
    assert!(log.contains(&format!("Accepted password for {TEST_USER}")), "{}", tail(&log));
    assert!(log.contains(&format!("Accepted keyboard-interactive/pam for {TEST_USER}")), "{}", tail(&log));
}

#[test]
fn drop_stops_sshd() {
    let sshd = Sshd::start();
    let port = sshd.port;
    let dir = sshd.dir.path().to_path_buf();
    let pid: u32 = fs::read_to_string(&sshd.pid_file).expect("sshd wrote its PidFile").trim().parse().unwrap();
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    TcpStream::connect((HOST, port)).expect("sshd accepts before drop");
    drop(sshd);
    assert!(TcpStream::connect((HOST, port)).is_err(), "port {port} still open");
    assert!(!dir.exists(), "fixture dir removed");
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "sshd {pid} still alive");
}

#[test]
fn fixtures_start_in_parallel_on_distinct_ports() {
    let handles: Vec<_> = (0..PARALLEL_FIXTURES).map(|_| std::thread::spawn(Sshd::start)).collect();
    let fixtures: Vec<Sshd> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let mut ports: Vec<u16> = fixtures.iter().map(|s| s.port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), PARALLEL_FIXTURES);
    for sshd in &fixtures {
        let out = sshd.openssh_ssh_cmd().arg("true").output().expect("run ssh");
        ok(&out, "ssh to a parallel fixture", sshd);
    }
}

#[test]
fn shell_fixture_starts_and_stops() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/sshd-fixture.sh");
    let dir = tempfile::tempdir().unwrap();
    let run = |action: &str| {
        let out = Command::new(&script).arg(action).arg(dir.path()).output().unwrap();
        assert!(
            out.status.success(),
            "sshd-fixture.sh {action}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run("start");
    let env_text = fs::read_to_string(dir.path().join("env")).unwrap();
    let env: HashMap<&str, &str> = env_text.lines().filter_map(|l| l.split_once('=')).collect();
    for var in ["SSHD_PORT", "SSHD_USER", "SSHD_KEY", "SSHD_PUBKEY", "SSHD_PASSWORD", "SSHD_DIR"] {
        assert!(env.contains_key(var), "{var} missing from env:\n{env_text}");
    }
    let port: u16 = env["SSHD_PORT"].parse().unwrap();
    let out = Command::new("ssh")
        .args(["-F", "/dev/null", "-p", env["SSHD_PORT"], "-i", env["SSHD_KEY"]])
        .args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"])
        .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR"])
        .arg(format!("{}@{HOST}", env["SSHD_USER"]))
        .arg("id -un")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let log = fs::read_to_string(dir.path().join("sshd.log")).unwrap_or_default();
    assert!(out.status.success(), "{:?}\n{}", out, tail(&log));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), env["SSHD_USER"]);
    // tests/c/fixture.h reads the same env and reaches the same sshd.
    let c_src = dir.path().join("banner.c");
    fs::write(&c_src, C_FIXTURE_PROBE).unwrap();
    let c_bin = dir.path().join("banner");
    let cc = Command::new("cc")
        .args(["-Wall", "-Wextra", "-Werror", "-I"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c"))
        .arg(&c_src)
        .arg("-o")
        .arg(&c_bin)
        .output()
        .unwrap();
    assert!(cc.status.success(), "cc: {}", String::from_utf8_lossy(&cc.stderr));
    let probe = Command::new(&c_bin).envs(env.iter()).output().unwrap();
    assert!(probe.status.success(), "{probe:?}");
    let printed = String::from_utf8_lossy(&probe.stdout);
    assert!(printed.starts_with("SSH-2.0-OpenSSH"), "{printed}");
    run("stop");
    assert!(TcpStream::connect((HOST, port)).is_err(), "port {port} open after stop");
}
