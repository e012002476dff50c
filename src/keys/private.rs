//! A user's private key: loading from any supported file format, public blob, signing.

use super::public::{rsa_scheme, DSA_SIG_HALF};
use super::secret::{unrecognized, Passphrase, Secret};
use super::{alg, openssh, pem};
use crate::error::{code, Error, Result};
use crate::proto::wire::Writer;
use dsa::signature::rand_core::{CryptoRng, RngCore};
use dsa::signature::{DigestSigner, Signer};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

/// Largest private key file we read (OpenSSH refuses key files over 1 MiB as well).
pub const MAX_PRIVATE_KEY_FILE: usize = 1024 * 1024;

/// libssh2's message when a key file cannot be opened or read.
pub(crate) const MSG_UNREADABLE: &str = "Unable to open private key file";
/// The operating system's random generator, for RSA blinding.
struct SysRng;

impl RngCore for SysRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    // Not reachable from peer input; the FFI boundary turns a panic into an error.
    #[allow(clippy::panic)]
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // Like rand's OsRng: an OS that cannot give randomness is not survivable here.
        if crate::crypto::fill_random(dest).is_err() {
            panic!("operating system random generator failed");
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> std::result::Result<(), dsa::signature::rand_core::Error> {
        crate::crypto::fill_random(dest).map_err(|_| dsa::signature::rand_core::Error::from(core::num::NonZeroU32::MIN))
    }
}

impl CryptoRng for SysRng {}

/// A user's private key, zeroized on drop.
pub struct PrivateKey {
    secret: Secret,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey").field("type", &self.key_type()).finish_non_exhaustive()
    }
}

/// Signature algorithms per key type, best first.
const RSA_SIG_ALGS: &[&str] = &[alg::RSA_SHA2_512, alg::RSA_SHA2_256, alg::SSH_RSA];
const ED25519_SIG_ALGS: &[&str] = &[alg::SSH_ED25519];
const P256_SIG_ALGS: &[&str] = &[alg::ECDSA_NISTP256];
const P384_SIG_ALGS: &[&str] = &[alg::ECDSA_NISTP384];
const P521_SIG_ALGS: &[&str] = &[alg::ECDSA_NISTP521];
const DSS_SIG_ALGS: &[&str] = &[alg::SSH_DSS];

impl PrivateKey {
    /// Reads and parses a key file. Every failure is `LIBSSH2_ERROR_FILE`, as libssh2
    /// reports it for file-based keys: "Unable to open private key file" when the file
    /// cannot be read, else "Wrong passphrase or invalid/unrecognized private key file
    /// format" (also for a wrong or missing passphrase).
    pub fn from_file(path: &std::path::Path, passphrase: Option<&[u8]>) -> Result<Self> {
        Self::from_file_lazy(path, &|| passphrase.map(|p| Zeroizing::new(p.to_vec())))
    }

    /// As [`Self::from_file`], with the passphrase fetched only when the format
    /// needs it (see [`Self::from_memory_lazy`]).
    pub fn from_file_lazy(path: &std::path::Path, passphrase: Passphrase<'_>) -> Result<Self> {
        use std::io::Read;
        let file = std::fs::File::open(path).map_err(|_| Error::new(code::FILE, MSG_UNREADABLE))?;
        let mut data = Zeroizing::new(Vec::new());
        // Read one byte past the limit to tell "too large" from "exactly the limit".
        file.take(MAX_PRIVATE_KEY_FILE as u64 + 1)
            .read_to_end(&mut data)
            .map_err(|_| Error::new(code::FILE, MSG_UNREADABLE))?;
        Self::from_memory_lazy(&data, passphrase).map_err(|e| Error { code: code::FILE, msg: e.msg })
    }

    /// Parses a key held in memory: OpenSSH (openssh-key-v1, plain or bcrypt-encrypted),
    /// PKCS#1 RSA, SEC1 EC and OpenSSL DSA PEM (plain or Proc-Type/DEK-Info encrypted),
    /// PKCS#8 (plain or PBES2-encrypted). Errors are `LIBSSH2_ERROR_FILE`, except a wrong
    /// or missing passphrase on an OpenSSH-format key, which is
    /// `LIBSSH2_ERROR_KEYFILE_AUTH_FAILED` as in libssh2's from-memory path.
    pub fn from_memory(data: &[u8], passphrase: Option<&[u8]>) -> Result<Self> {
        Self::from_memory_lazy(data, &|| passphrase.map(|p| Zeroizing::new(p.to_vec())))
    }

    /// As [`Self::from_memory`], reading the passphrase where libssh2 (OpenSSL
    /// build) reads the caller's pointer: for an OpenSSH-format key always (it
    /// measures the string), for a PEM key only when the key is encrypted. A
    /// program may pass a dangling pointer for a key it knows is not encrypted.
    pub fn from_memory_lazy(data: &[u8], passphrase: Passphrase<'_>) -> Result<Self> {
        if data.len() > MAX_PRIVATE_KEY_FILE {
            return Err(unrecognized());
        }
        // An empty passphrase means none, as in libssh2.
        let get = || passphrase().filter(|p| !p.is_empty());
        let armor = pem::Armor::parse(data)?;
        let secret = match armor.label.as_str() {
            openssh::LABEL => openssh::load(&armor.body, get().as_deref().map(|p| &p[..])),
            _ => pem::load(&armor, &get),
        }
        // Inner parse errors all read as libssh2's one message; a passphrase error stays.
        .map_err(|e| if e.code == code::KEYFILE_AUTH_FAILED { e } else { unrecognized() })?;
        Ok(PrivateKey { secret })
    }

    /// The public key blob (RFC 4253 6.6 encoding), derived from the private key.
    pub fn public_blob(&self) -> Vec<u8> {
        self.secret.public_blob()
    }

    /// The key type: "ssh-ed25519", "ecdsa-sha2-nistp256/384/521", "ssh-rsa" or "ssh-dss".
    pub fn key_type(&self) -> &'static str {
        self.secret.key_type()
    }

    /// Signature algorithms this key can use, best first (RSA: rsa-sha2-512, rsa-sha2-256, ssh-rsa).
    pub fn signature_algs(&self) -> &'static [&'static str] {
        match self.secret {
            Secret::Ed25519(_) => ED25519_SIG_ALGS,
            Secret::P256(_) => P256_SIG_ALGS,
            Secret::P384(_) => P384_SIG_ALGS,
            Secret::P521(_) => P521_SIG_ALGS,
            Secret::Rsa(_) => RSA_SIG_ALGS,
            Secret::Dsa(_) => DSS_SIG_ALGS,
        }
    }

    /// Signs `data` with algorithm `alg` (its certificate form is accepted too), returning
    /// the SSH signature encoding (string alg || string sig). An algorithm the key cannot
    /// use gives `LIBSSH2_ERROR_INVAL`.
    pub fn sign(&self, alg_name: &str, data: &[u8]) -> Result<Vec<u8>> {
        let name = alg_name.strip_suffix(alg::CERT_SUFFIX).unwrap_or(alg_name);
        if !self.signature_algs().contains(&name) {
            return Err(Error::new(code::INVAL, "Signature algorithm does not suit the key"));
        }
        let failed = || Error::new(code::INVAL, "Unable to sign with the private key");
        let mut raw = Writer::new();
        match &self.secret {
            Secret::Ed25519(k) => {
                raw.raw(&k.sign(data).to_bytes());
            }
            Secret::P256(k) => {
                let s: p256::ecdsa::Signature = k.try_sign(data).map_err(|_| failed())?;
                let (r, s) = s.split_bytes();
                raw.mpint(&r).mpint(&s);
            }
            Secret::P384(k) => {
                let s: p384::ecdsa::Signature = k.try_sign(data).map_err(|_| failed())?;
                let (r, s) = s.split_bytes();
                raw.mpint(&r).mpint(&s);
            }
            Secret::P521(k) => {
                let s: p521::ecdsa::Signature = k.try_sign(data).map_err(|_| failed())?;
                let (r, s) = s.split_bytes();
                raw.mpint(&r).mpint(&s);
            }
            Secret::Rsa(k) => {
                let (scheme, hashed) = rsa_scheme(name, data).ok_or_else(failed)?;
                raw.raw(&k.sign_with_rng(&mut SysRng, scheme, &hashed).map_err(|_| failed())?);
            }
            Secret::Dsa(k) => {
                let s = k.try_sign_digest(Sha1::new_with_prefix(data)).map_err(|_| failed())?;
                for v in [s.r(), s.s()] {
                    let b = v.to_bytes_be();
                    let pad = DSA_SIG_HALF.checked_sub(b.len()).ok_or_else(failed)?;
                    raw.raw(&[0u8; DSA_SIG_HALF][..pad]).raw(&b);
                }
            }
        }
        let mut w = Writer::new();
        w.string(name.as_bytes()).string(&raw.buf);
        Ok(w.into_inner())
    }
}
