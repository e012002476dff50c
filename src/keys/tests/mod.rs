//! Tests against real OpenSSH and OpenSSL tools: every key format and type loads to the
//! public key `ssh-keygen -y` reports, signatures cross-verify both ways, and corrupt
//! files only ever give errors.

use super::*;

mod corrupt;
mod formats;
mod signatures;

use crate::proto::wire::{Reader, Writer};
use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The passphrase for every encrypted test key (ssh-keygen wants at least five characters).
const PW: &str = "secret-pw";
/// The SSHSIG namespace used for cross-checks.
const NS: &str = "file";
/// What gets signed.
const MSG: &[u8] = b"exchange hash stand-in: the quick brown fox";

struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new() -> Self {
        Lab { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs a tool in the lab directory, asserting success, and returns its stdout.
    fn run(&self, prog: &str, args: &[&str]) -> Vec<u8> {
        let out = Command::new(prog).args(args).current_dir(self.dir.path()).stdin(Stdio::null()).output().unwrap();
        assert!(out.status.success(), "{prog} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    /// Generates `name` with ssh-keygen; `extra` picks type, format and cipher.
    fn keygen(&self, name: &str, pass: &str, extra: &[&str]) -> PathBuf {
        let mut args = vec!["-q", "-N", pass, "-C", "test", "-f", name];
        args.extend_from_slice(extra);
        self.run("ssh-keygen", &args);
        self.path(name)
    }

    /// Runs openssl writing `name`, then makes it private so ssh-keygen will read it.
    fn openssl(&self, name: &str, args: &[&str]) -> PathBuf {
        let mut a = args.to_vec();
        a.extend_from_slice(&["-out", name]);
        self.run("openssl", &a);
        self.chmod600(name);
        self.path(name)
    }

    fn chmod600(&self, name: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.path(name), std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// The public key blob OpenSSH derives from a private key file.
    fn ssh_blob(&self, key: &Path, pass: Option<&str>) -> Vec<u8> {
        let k = key.to_str().unwrap();
        let out = match pass {
            Some(p) => self.run("ssh-keygen", &["-y", "-P", p, "-f", k]),
            None => self.run("ssh-keygen", &["-y", "-f", k]),
        };
        parse_public_key_file(&out).unwrap().1
    }
}

/// Loads `path` and checks its public blob and that it signs verifiably with every algorithm.
fn check_key(path: &Path, pass: Option<&str>, expected_blob: &[u8]) -> PrivateKey {
    let key = PrivateKey::from_file(path, pass.map(str::as_bytes))
        .unwrap_or_else(|e| panic!("{} failed to load: {e}", path.display()));
    assert_eq!(key.public_blob(), expected_blob, "{}", path.display());
    let public = PublicKey::from_blob(&key.public_blob()).unwrap();
    assert_eq!(public.key_type(), key.key_type());
    for a in key.signature_algs() {
        let sig = key.sign(a, MSG).unwrap();
        assert_eq!(Reader::new(&sig).str().unwrap(), *a);
        public.verify(&sig, MSG).unwrap_or_else(|e| panic!("{a}: {e}"));
        assert_eq!(public.verify(&sig, b"other data").unwrap_err().code, code::HOSTKEY_SIGN, "{a}");
    }
    key
}

/// ssh-keygen arguments for each key type we support.
const TYPES: &[(&str, &[&str])] = &[
    ("ed25519", &["-t", "ed25519"]),
    ("p256", &["-t", "ecdsa", "-b", "256"]),
    ("p384", &["-t", "ecdsa", "-b", "384"]),
    ("p521", &["-t", "ecdsa", "-b", "521"]),
    ("rsa", &["-t", "rsa", "-b", "2048"]),
    ("dsa", &["-t", "dsa"]),
];

fn blob_of(lab: &Lab, name: &str) -> Vec<u8> {
    parse_public_key_file(&std::fs::read(lab.path(&format!("{name}.pub"))).unwrap()).unwrap().1
}
