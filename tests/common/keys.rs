//! Key material for the sshd fixture: the key types, the per-user cache of
//! generated keys, and fingerprint helpers built on ssh-keygen.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine;

use super::{failed, read_to_string, run, FixtureError};

/// Passphrase of the encrypted user keys.
pub const KEY_PASSPHRASE: &str = "libssh2rs passphrase";
/// Bump when the set or format of cached keys changes, so stale caches are ignored.
const KEY_CACHE_VERSION: u32 = 1;

/// A user key type the fixture generates and authorizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UserKey {
    /// ssh-ed25519, OpenSSH private key format.
    Ed25519,
    /// ecdsa-sha2-nistp256.
    Ecdsa256,
    /// ecdsa-sha2-nistp384.
    Ecdsa384,
    /// ecdsa-sha2-nistp521.
    Ecdsa521,
    /// RSA 3072 bits, OpenSSH private key format.
    Rsa3072,
    /// RSA 3072 bits in traditional PEM ("BEGIN RSA PRIVATE KEY").
    RsaPem,
    /// ecdsa-sha2-nistp256 in traditional PEM ("BEGIN EC PRIVATE KEY").
    Ecdsa256Pem,
    /// ssh-ed25519 encrypted with `KEY_PASSPHRASE`.
    Ed25519Encrypted,
    /// RSA 3072 in PEM, encrypted with `KEY_PASSPHRASE`.
    RsaPemEncrypted,
}

impl UserKey {
    /// Every user key type.
    pub const ALL: [UserKey; 9] = [
        UserKey::Ed25519,
        UserKey::Ecdsa256,
        UserKey::Ecdsa384,
        UserKey::Ecdsa521,
        UserKey::Rsa3072,
        UserKey::RsaPem,
        UserKey::Ecdsa256Pem,
        UserKey::Ed25519Encrypted,
        UserKey::RsaPemEncrypted,
    ];

    /// File name of the private key (the public one adds ".pub").
    pub fn file_name(self) -> &'static str {
        match self {
            UserKey::Ed25519 => "id_ed25519",
            UserKey::Ecdsa256 => "id_ecdsa256",
            UserKey::Ecdsa384 => "id_ecdsa384",
            UserKey::Ecdsa521 => "id_ecdsa521",
            UserKey::Rsa3072 => "id_rsa3072",
            UserKey::RsaPem => "id_rsa_pem",
            UserKey::Ecdsa256Pem => "id_ecdsa256_pem",
            UserKey::Ed25519Encrypted => "id_ed25519_enc",
            UserKey::RsaPemEncrypted => "id_rsa_pem_enc",
        }
    }

    /// The passphrase protecting the private key, if any.
    pub fn passphrase(self) -> Option<&'static str> {
        match self {
            UserKey::Ed25519Encrypted | UserKey::RsaPemEncrypted => Some(KEY_PASSPHRASE),
            _ => None,
        }
    }

    /// SSH public key algorithm name as it appears in the .pub file.
    pub fn ssh_name(self) -> &'static str {
        match self {
            UserKey::Ed25519 | UserKey::Ed25519Encrypted => "ssh-ed25519",
            UserKey::Ecdsa256 | UserKey::Ecdsa256Pem => "ecdsa-sha2-nistp256",
            UserKey::Ecdsa384 => "ecdsa-sha2-nistp384",
            UserKey::Ecdsa521 => "ecdsa-sha2-nistp521",
            UserKey::Rsa3072 | UserKey::RsaPem | UserKey::RsaPemEncrypted => "ssh-rsa",
        }
    }

    fn keygen_args(self) -> Vec<&'static str> {
        let mut args = match self {
            UserKey::Ed25519 | UserKey::Ed25519Encrypted => vec!["-t", "ed25519"],
            UserKey::Ecdsa256 => vec!["-t", "ecdsa", "-b", "256"],
            UserKey::Ecdsa384 => vec!["-t", "ecdsa", "-b", "384"],
            UserKey::Ecdsa521 => vec!["-t", "ecdsa", "-b", "521"],
            UserKey::Rsa3072 => vec!["-t", "rsa", "-b", "3072"],
            UserKey::RsaPem | UserKey::RsaPemEncrypted => {
                vec!["-t", "rsa", "-b", "3072", "-m", "PEM"]
            }
            UserKey::Ecdsa256Pem => vec!["-t", "ecdsa", "-b", "256", "-m", "PEM"],
        };
        args.push("-N");
        args.push(self.passphrase().unwrap_or(""));
        args
    }
}

/// A host key type the fixture's sshd serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HostKey {
    /// ssh-ed25519.
    Ed25519,
    /// ecdsa-sha2-nistp256.
    Ecdsa,
    /// RSA 3072 (offered as rsa-sha2-512/256 and, if enabled, ssh-rsa).
    Rsa,
    /// ssh-dss; only present when ssh-keygen can still make one, and only
    /// offered by sshd with `HostKeyAlgorithms +ssh-dss`.
    Dsa,
}

impl HostKey {
    /// Every host key type (Dsa may be absent at run time).
    pub const ALL: [HostKey; 4] = [HostKey::Ed25519, HostKey::Ecdsa, HostKey::Rsa, HostKey::Dsa];

    /// File name of the private key.
    pub fn file_name(self) -> &'static str {
        match self {
            HostKey::Ed25519 => "ssh_host_ed25519_key",
            HostKey::Ecdsa => "ssh_host_ecdsa_key",
            HostKey::Rsa => "ssh_host_rsa_key",
            HostKey::Dsa => "ssh_host_dsa_key",
        }
    }

    /// Key type name as the .pub file and ssh-keyscan print it.
    pub fn ssh_name(self) -> &'static str {
        match self {
            HostKey::Ed25519 => "ssh-ed25519",
            HostKey::Ecdsa => "ecdsa-sha2-nistp256",
            HostKey::Rsa => "ssh-rsa",
            HostKey::Dsa => "ssh-dss",
        }
    }

    /// Type name for `ssh-keyscan -t`.
    pub fn keyscan_type(self) -> &'static str {
        match self {
            HostKey::Ed25519 => "ed25519",
            HostKey::Ecdsa => "ecdsa",
            HostKey::Rsa => "rsa",
            HostKey::Dsa => "dsa",
        }
    }

    fn keygen_args(self) -> [&'static str; 6] {
        let (kind, bits) = match self {
            HostKey::Ed25519 => ("ed25519", "256"),
            HostKey::Ecdsa => ("ecdsa", "256"),
            HostKey::Rsa => ("rsa", "3072"),
            HostKey::Dsa => ("dsa", "1024"),
        };
        ["-t", kind, "-b", bits, "-N", ""]
    }
}

/// Fingerprint hash, as `ssh-keygen -E` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FpHash {
    /// SHA-256 (libssh2's LIBSSH2_HOSTKEY_HASH_SHA256).
    Sha256,
    /// SHA-1 (LIBSSH2_HOSTKEY_HASH_SHA1).
    Sha1,
    /// MD5 (LIBSSH2_HOSTKEY_HASH_MD5).
    Md5,
}

impl FpHash {
    fn arg(self) -> &'static str {
        match self {
            FpHash::Sha256 => "sha256",
            FpHash::Sha1 => "sha1",
            FpHash::Md5 => "md5",
        }
    }
}

/// A private key file and its public half.
#[derive(Clone, Debug)]
pub struct KeyPair {
    /// The private key file (mode 0600).
    pub private: PathBuf,
    /// The OpenSSH one-line public key file.
    pub public: PathBuf,
}

impl KeyPair {
    /// The public key blob (the base64 field of the .pub file, decoded).
    pub fn public_blob(&self) -> Vec<u8> {
        public_blob_of(&read_to_string(&self.public))
    }

    /// The .pub file's text, trimmed.
    pub fn public_line(&self) -> String {
        read_to_string(&self.public).trim().to_string()
    }
}

/// The directory of generated keys, made once per user and key-set version.
pub(super) fn key_cache() -> Result<PathBuf, FixtureError> {
    static CACHE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    CACHE.get_or_init(|| make_key_cache().map_err(|e| e.to_string())).clone().map_err(FixtureError::Failed)
}

fn make_key_cache() -> Result<PathBuf, FixtureError> {
    let uid = run(Command::new("id").arg("-u"))?;
    let name = format!("sshd-fixture-keys-v{KEY_CACHE_VERSION}-uid{uid}");
    // The target dir normally belongs to whoever runs the tests; if it is
    // not writable (someone else's checkout), the system temp dir will do.
    let mut last_err = None;
    for base in [PathBuf::from(env!("CARGO_TARGET_TMPDIR")), std::env::temp_dir()] {
        match make_key_cache_in(&base, &name) {
            Ok(cache) => return Ok(cache),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| FixtureError::Failed("no key cache dir".into())))
}

fn make_key_cache_in(base: &Path, name: &str) -> Result<PathBuf, FixtureError> {
    let cache = base.join(name);
    if cache.join("complete").exists() {
        return Ok(cache);
    }
    fs::create_dir_all(base).map_err(|e| failed("create key cache base", e))?;
    // Build in a private directory and rename it into place, so a
    // concurrently running test binary never sees a half-made cache.
    let tmp =
        tempfile::Builder::new().prefix("sshd-keys-").tempdir_in(base).map_err(|e| failed("create key dir", e))?;
    for key in UserKey::ALL {
        keygen(tmp.path(), key.file_name(), &key.keygen_args(), "libssh2rs-user")?;
    }
    for key in HostKey::ALL {
        let made = keygen(tmp.path(), key.file_name(), &key.keygen_args(), "libssh2rs-host");
        // ssh-keygen builds without DSA say no; DSA is optional.
        if let Err(e) = made {
            if key != HostKey::Dsa {
                return Err(e);
            }
        }
    }
    fs::write(tmp.path().join("complete"), b"").map_err(|e| failed("mark key cache", e))?;
    let tmp = tmp.keep();
    if fs::rename(&tmp, &cache).is_err() {
        // Someone else won the race; theirs is as good as ours.
        let _ = fs::remove_dir_all(&tmp);
        if !cache.join("complete").exists() {
            return Err(FixtureError::Failed(format!("key cache {} unusable", cache.display())));
        }
    }
    Ok(cache)
}

fn keygen(dir: &Path, name: &str, args: &[&str], comment: &str) -> Result<(), FixtureError> {
    run(Command::new("ssh-keygen").arg("-q").args(args).arg("-C").arg(comment).arg("-f").arg(dir.join(name)))
        .map(|_| ())
}

pub(super) fn cache_host_keys(cache: &Path) -> Vec<(HostKey, &'static str)> {
    HostKey::ALL.iter().filter(|k| cache.join(k.file_name()).exists()).map(|k| (*k, k.file_name())).collect()
}

pub(super) fn copy_keys<K: Copy>(
    cache: &Path,
    dir: &Path,
    keys: impl IntoIterator<Item = (K, &'static str)>,
) -> Result<Vec<(K, KeyPair)>, FixtureError> {
    let mut out = Vec::new();
    for (key, name) in keys {
        let pair = KeyPair { private: dir.join(name), public: dir.join(format!("{name}.pub")) };
        // fs::copy keeps the 0600 mode that sshd and ssh insist on.
        fs::copy(cache.join(name), &pair.private).map_err(|e| failed(&format!("copy {name}"), e))?;
        fs::copy(cache.join(format!("{name}.pub")), &pair.public)
            .map_err(|e| failed(&format!("copy {name}.pub"), e))?;
        out.push((key, pair));
    }
    Ok(out)
}

/// `ssh-keygen -l -E hash -f file`'s fingerprint field for the first key in `file`.
pub fn keygen_fingerprint(file: &Path, hash: FpHash) -> String {
    let out = run(Command::new("ssh-keygen").args(["-l", "-E", hash.arg(), "-f"]).arg(file))
        .unwrap_or_else(|e| panic!("{e}"));
    out.split_whitespace().nth(1).unwrap_or_else(|| panic!("unexpected ssh-keygen -l output: {out}")).to_string()
}

/// Decodes an OpenSSH fingerprint ("SHA256:<b64>", "SHA1:<b64>", "MD5:hex:..") to bytes.
pub fn fingerprint_bytes(fp: &str) -> Vec<u8> {
    let (kind, rest) = fp.split_once(':').unwrap_or_else(|| panic!("bad fingerprint {fp}"));
    if kind == "MD5" {
        rest.split(':').map(|h| u8::from_str_radix(h, 16).unwrap_or_else(|e| panic!("bad hex {h}: {e}"))).collect()
    } else {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(rest)
            .unwrap_or_else(|e| panic!("bad base64 in {fp}: {e}"))
    }
}

/// The decoded key blob of an OpenSSH public key line ("type base64 comment").
pub fn public_blob_of(line: &str) -> Vec<u8> {
    let b64 = line.split_whitespace().nth(1).unwrap_or_else(|| panic!("bad public key line: {line}"));
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap_or_else(|e| panic!("bad base64 in public key: {e}"))
}
