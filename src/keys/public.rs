//! Public key blobs (RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4, OpenSSH
//! PROTOCOL.certkeys) and verification of SSH signatures made with them.

use super::alg;
use crate::error::{code, Error, Result};
use crate::proto::wire::Reader;
use dsa::signature::{DigestVerifier, Verifier};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

/// Largest RSA modulus accepted, in bits (OpenSSH's SSH_RSA_MAXIMUM_MODULUS_SIZE).
pub(crate) const RSA_MAX_BITS: usize = 16384;
/// Largest DSA prime p accepted, in bits (ssh-dss keys are 1024-bit; FIPS 186 tops out at 3072).
pub(crate) const DSA_MAX_P_BITS: usize = 3072;
/// Largest DSA subgroup order q accepted, in bits: ssh-dss signatures carry 160-bit r and s.
pub(crate) const DSA_MAX_Q_BITS: usize = 160;
/// Length of each of r and s in an ssh-dss signature blob (RFC 4253 6.6).
pub(crate) const DSA_SIG_HALF: usize = 20;
/// Length of an Ed25519 public key (RFC 8709).
pub(crate) const ED25519_PUBLIC_LEN: usize = 32;
/// Length of an Ed25519 signature (RFC 8709).
pub(crate) const ED25519_SIG_LEN: usize = 64;

/// The verifying half of a key, by algorithm family.
#[derive(Clone)]
pub(crate) enum Verifying {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Rsa(rsa::RsaPublicKey),
    Dsa(dsa::VerifyingKey),
}

impl Verifying {
    /// The plain (non-certificate) key type name.
    pub(crate) fn key_type(&self) -> &'static str {
        match self {
            Verifying::Ed25519(_) => alg::SSH_ED25519,
            Verifying::P256(_) => alg::ECDSA_NISTP256,
            Verifying::P384(_) => alg::ECDSA_NISTP384,
            Verifying::P521(_) => alg::ECDSA_NISTP521,
            Verifying::Rsa(_) => alg::SSH_RSA,
            Verifying::Dsa(_) => alg::SSH_DSS,
        }
    }
}

/// A parsed SSH public key (RFC 4253 6.6, RFC 5656, RFC 8709, OpenSSH PROTOCOL.certkeys).
#[derive(Clone)]
pub struct PublicKey {
    blob: Vec<u8>,
    type_name: String,
    cert: bool,
    key: Verifying,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey").field("type", &self.type_name).field("blob_len", &self.blob.len()).finish()
    }
}

fn bad_blob(msg: &'static str) -> Error {
    Error::new(code::HOSTKEY_INIT, msg)
}

fn bad_sig(msg: &'static str) -> Error {
    Error::new(code::HOSTKEY_SIGN, msg)
}

/// Builds an RSA public key from the magnitude bytes of e and n, enforcing our size limit.
pub(crate) fn rsa_public(e: &[u8], n: &[u8]) -> Result<rsa::RsaPublicKey> {
    if n.len() * 8 > RSA_MAX_BITS {
        return Err(bad_blob("RSA key too large"));
    }
    let n = rsa::BigUint::from_bytes_be(n);
    let e = rsa::BigUint::from_bytes_be(e);
    rsa::RsaPublicKey::new_with_max_size(n, e, RSA_MAX_BITS).map_err(|_| bad_blob("Invalid RSA public key"))
}

/// Builds a DSA public key from p, q, g, y magnitudes, enforcing our size limits.
pub(crate) fn dsa_public(p: &[u8], q: &[u8], g: &[u8], y: &[u8]) -> Result<dsa::VerifyingKey> {
    use dsa::BigUint;
    if p.len() * 8 > DSA_MAX_P_BITS || q.len() * 8 > DSA_MAX_Q_BITS || g.len() > p.len() || y.len() > p.len() {
        return Err(bad_blob("DSA key parameters out of range"));
    }
    let comps = dsa::Components::from_components(
        BigUint::from_bytes_be(p),
        BigUint::from_bytes_be(q),
        BigUint::from_bytes_be(g),
    )
    .map_err(|_| bad_blob("Invalid DSA parameters"))?;
    dsa::VerifyingKey::from_components(comps, BigUint::from_bytes_be(y)).map_err(|_| bad_blob("Invalid DSA public key"))
}

/// Reads the type-specific public fields of a plain key of type `base` (after the type name).
fn read_key_fields(base: &str, r: &mut Reader<'_>) -> Result<Verifying> {
    Ok(match base {
        alg::SSH_ED25519 => {
            let pk = r.string()?;
            let pk: [u8; ED25519_PUBLIC_LEN] = pk.try_into().map_err(|_| bad_blob("Bad Ed25519 key length"))?;
            Verifying::Ed25519(
                ed25519_dalek::VerifyingKey::from_bytes(&pk).map_err(|_| bad_blob("Invalid Ed25519 key"))?,
            )
        }
        alg::ECDSA_NISTP256 | alg::ECDSA_NISTP384 | alg::ECDSA_NISTP521 => {
            let curve = r.str()?;
            if Some(curve) != base.strip_prefix("ecdsa-sha2-") {
                return Err(bad_blob("ECDSA curve does not match key type"));
            }
            let q = r.string()?;
            let bad = |_| bad_blob("Invalid ECDSA public point");
            match base {
                alg::ECDSA_NISTP256 => Verifying::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(q).map_err(bad)?),
                alg::ECDSA_NISTP384 => Verifying::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(q).map_err(bad)?),
                _ => Verifying::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(q).map_err(bad)?),
            }
        }
        alg::SSH_RSA => {
            let e = r.mpint()?;
            let n = r.mpint()?;
            Verifying::Rsa(rsa_public(e, n)?)
        }
        alg::SSH_DSS => {
            let (p, q, g, y) = (r.mpint()?, r.mpint()?, r.mpint()?, r.mpint()?);
            Verifying::Dsa(dsa_public(p, q, g, y)?)
        }
        _ => return Err(bad_blob("Unsupported public key type")),
    })
}

impl PublicKey {
    /// Parses a key blob: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa, ssh-dss or an
    /// OpenSSH certificate of one of those (the whole blob is kept; only the certified key
    /// is used for verification; the CA signature is not checked). Errors carry
    /// `LIBSSH2_ERROR_HOSTKEY_INIT`.
    pub fn from_blob(blob: &[u8]) -> Result<Self> {
        let mut r = Reader::with_code(blob, code::HOSTKEY_INIT);
        let type_name = r.str()?;
        let (base, cert) = match type_name.strip_suffix(alg::CERT_SUFFIX) {
            Some(b) => (b, true),
            None => (type_name, false),
        };
        if cert {
            r.string()?; // nonce
        }
        let key = read_key_fields(base, &mut r)?;
        if cert {
            // PROTOCOL.certkeys: serial, type, key id, principals, validity,
            // critical options, extensions, reserved, signature key, signature.
            r.u64()?;
            r.u32()?;
            r.string()?;
            r.string()?;
            r.u64()?;
            r.u64()?;
            r.string()?;
            r.string()?;
            r.string()?;
            r.string()?;
            r.string()?;
        }
        r.finish()?;
        Ok(PublicKey { blob: blob.to_vec(), type_name: type_name.to_owned(), cert, key })
    }

    /// The key blob exactly as given.
    pub fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// The blob's type name (e.g. "ssh-rsa" or "ssh-ed25519-cert-v01@openssh.com").
    pub fn key_type(&self) -> &str {
        &self.type_name
    }

    /// The plain key type behind a certificate (the same as `key_type` for plain keys).
    pub fn base_key_type(&self) -> &'static str {
        self.key.key_type()
    }

    /// True for an OpenSSH certificate blob.
    pub fn is_cert(&self) -> bool {
        self.cert
    }

    pub(crate) fn verifying(&self) -> &Verifying {
        &self.key
    }

    /// Verifies `sig` (the SSH signature encoding: string alg-name || string signature) over
    /// `data`. The algorithm name must suit the key (any of ssh-rsa, rsa-sha2-256,
    /// rsa-sha2-512 for RSA keys). Errors carry `LIBSSH2_ERROR_HOSTKEY_SIGN`.
    pub fn verify(&self, sig: &[u8], data: &[u8]) -> Result<()> {
        let mut r = Reader::with_code(sig, code::HOSTKEY_SIGN);
        let name = r.str()?;
        let raw = r.string()?;
        r.finish()?;
        verify_raw(&self.key, name, raw, data)
    }
}

/// Left-pads `v` with zeros to `len` bytes; None if it is longer.
fn left_pad(v: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; len];
    out.get_mut(len.checked_sub(v.len())?..)?.copy_from_slice(v);
    Some(out)
}

/// Turns an ECDSA signature blob (mpint r || mpint s, RFC 5656 3.1.2) into fixed-width r || s.
fn ecdsa_rs(raw: &[u8], width: usize) -> Result<Vec<u8>> {
    let mut r = Reader::with_code(raw, code::HOSTKEY_SIGN);
    let (a, b) = (r.mpint()?, r.mpint()?);
    r.finish()?;
    let too_long = || bad_sig("ECDSA signature value too long");
    let mut out = left_pad(a, width).ok_or_else(too_long)?;
    out.extend_from_slice(&left_pad(b, width).ok_or_else(too_long)?);
    Ok(out)
}

/// SHA-1's DigestInfo prefix for PKCS#1 v1.5 (RFC 8017 9.2 note 1).
pub(crate) const SHA1_DIGEST_INFO: [u8; 15] =
    [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14];

/// The PKCS#1 v1.5 scheme and message digest for an RSA signature algorithm name.
pub(crate) fn rsa_scheme(name: &str, data: &[u8]) -> Option<(rsa::Pkcs1v15Sign, Vec<u8>)> {
    Some(match name {
        alg::SSH_RSA => (
            rsa::Pkcs1v15Sign { hash_len: Some(20), prefix: SHA1_DIGEST_INFO.to_vec().into_boxed_slice() },
            Sha1::digest(data).to_vec(),
        ),
        alg::RSA_SHA2_256 => (rsa::Pkcs1v15Sign::new::<Sha256>(), Sha256::digest(data).to_vec()),
        alg::RSA_SHA2_512 => (rsa::Pkcs1v15Sign::new::<Sha512>(), Sha512::digest(data).to_vec()),
        _ => return None,
    })
}

/// Verifies the inner signature bytes `raw` made with algorithm `name` by `key` over `data`.
pub(crate) fn verify_raw(key: &Verifying, name: &str, raw: &[u8], data: &[u8]) -> Result<()> {
    let fail = || bad_sig("Signature verification failed");
    let mismatch = || bad_sig("Signature algorithm does not match the key");
    // Every family but RSA signs under exactly its key type name.
    if !matches!(key, Verifying::Rsa(_)) && name != key.key_type() {
        return Err(mismatch());
    }
    match key {
        Verifying::Ed25519(k) => {
            let s: [u8; ED25519_SIG_LEN] = raw.try_into().map_err(|_| fail())?;
            k.verify(data, &ed25519_dalek::Signature::from_bytes(&s)).map_err(|_| fail())
        }
        Verifying::P256(k) => {
            let s = p256::ecdsa::Signature::from_slice(&ecdsa_rs(raw, 32)?).map_err(|_| fail())?;
            k.verify(data, &s).map_err(|_| fail())
        }
        Verifying::P384(k) => {
            let s = p384::ecdsa::Signature::from_slice(&ecdsa_rs(raw, 48)?).map_err(|_| fail())?;
            k.verify(data, &s).map_err(|_| fail())
        }
        Verifying::P521(k) => {
            let s = p521::ecdsa::Signature::from_slice(&ecdsa_rs(raw, 66)?).map_err(|_| fail())?;
            k.verify(data, &s).map_err(|_| fail())
        }
        Verifying::Rsa(k) => {
            let (scheme, hashed) = rsa_scheme(name, data).ok_or_else(mismatch)?;
            // Some signers drop leading zero bytes; OpenSSH pads such signatures back.
            let sig = left_pad(raw, rsa::traits::PublicKeyParts::size(k)).ok_or_else(fail)?;
            k.verify(scheme, &hashed, &sig).map_err(|_| fail())
        }
        Verifying::Dsa(k) => {
            if raw.len() != 2 * DSA_SIG_HALF {
                return Err(fail());
            }
            let (a, b) = raw.split_at(DSA_SIG_HALF);
            let s = dsa::Signature::from_components(dsa::BigUint::from_bytes_be(a), dsa::BigUint::from_bytes_be(b))
                .map_err(|_| fail())?;
            k.verify_digest(Sha1::new_with_prefix(data), &s).map_err(|_| fail())
        }
    }
}
