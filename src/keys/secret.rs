//! The secret half of a private key and what every key format shares:
//! the curves, the one "unrecognized" error and the lazy passphrase. A leaf
//! of `keys`: the format parsers (OpenSSH, PEM/PKCS#8) and `PrivateKey`
//! build on it, and it needs none of them.

use super::alg;
use super::public::{dsa_public, rsa_public};
use crate::error::{code, Error, Result};
use crate::proto::wire::Writer;
use zeroize::Zeroizing;

/// A passphrase fetched only when a key format needs it (None: no passphrase).
pub type Passphrase<'a> = &'a dyn Fn() -> Option<Zeroizing<Vec<u8>>>;

/// libssh2's message when a key file is not understood or the passphrase is wrong.
pub(crate) const MSG_UNRECOGNIZED: &str = "Wrong passphrase or invalid/unrecognized private key file format";

/// `LIBSSH2_ERROR_FILE` with libssh2's "invalid/unrecognized" message.
pub(crate) fn unrecognized() -> Error {
    Error::new(code::FILE, MSG_UNRECOGNIZED)
}

/// The NIST curves SSH uses for ECDSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    /// Length of a scalar or field element in bytes.
    pub(crate) fn size(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }
}

/// The secret half of a key, by algorithm family. Every variant zeroizes itself on drop.
pub(crate) enum Secret {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    Rsa(Box<rsa::RsaPrivateKey>),
    Dsa(Box<dsa::SigningKey>),
}

impl Secret {
    /// An Ed25519 key from its 32-byte seed.
    pub(crate) fn ed25519(seed: &[u8]) -> Result<Self> {
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(seed.try_into().map_err(|_| unrecognized())?);
        Ok(Secret::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    /// An ECDSA key from its private scalar (big-endian, leading zeros optional).
    pub(crate) fn ecdsa(curve: Curve, d: &[u8]) -> Result<Self> {
        let start = d.iter().position(|&b| b != 0).unwrap_or(d.len());
        let d = d.get(start..).unwrap_or_default();
        let size = curve.size();
        if d.len() > size {
            return Err(unrecognized());
        }
        let mut fixed = Zeroizing::new(vec![0u8; size]);
        fixed[size - d.len()..].copy_from_slice(d);
        let bad = |_| unrecognized();
        Ok(match curve {
            Curve::P256 => Secret::P256(p256::ecdsa::SigningKey::from_slice(&fixed).map_err(bad)?),
            Curve::P384 => Secret::P384(p384::ecdsa::SigningKey::from_slice(&fixed).map_err(bad)?),
            Curve::P521 => Secret::P521(p521::ecdsa::SigningKey::from_slice(&fixed).map_err(bad)?),
        })
    }

    /// An RSA key from n, e, d and the two primes (magnitudes); checked for consistency.
    pub(crate) fn rsa(n: &[u8], e: &[u8], d: &[u8], p: &[u8], q: &[u8]) -> Result<Self> {
        use rsa::BigUint;
        // Size and exponent limits first, before any big-number work.
        rsa_public(e, n).map_err(|_| unrecognized())?;
        if p.len() > n.len() || q.len() > n.len() || d.len() > n.len() {
            return Err(unrecognized());
        }
        let key = rsa::RsaPrivateKey::from_components(
            BigUint::from_bytes_be(n),
            BigUint::from_bytes_be(e),
            BigUint::from_bytes_be(d),
            vec![BigUint::from_bytes_be(p), BigUint::from_bytes_be(q)],
        )
        .map_err(|_| unrecognized())?;
        Ok(Secret::Rsa(Box::new(key)))
    }

    /// A DSA key from p, q, g and x; y is recomputed (and compared when the file has one).
    pub(crate) fn dsa(p: &[u8], q: &[u8], g: &[u8], y: Option<&[u8]>, x: &[u8]) -> Result<Self> {
        use dsa::BigUint;
        // Bound every operand before the modular exponentiation below.
        if p.len() * 8 > super::public::DSA_MAX_P_BITS
            || q.len() * 8 > super::public::DSA_MAX_Q_BITS
            || g.len() > p.len()
            || x.len() > q.len()
            || p.len() < 2
        {
            return Err(unrecognized());
        }
        let x = Zeroizing::new(BigUint::from_bytes_be(x));
        let computed = BigUint::from_bytes_be(g).modpow(&x, &BigUint::from_bytes_be(p)).to_bytes_be();
        if y.is_some_and(|y| y != computed.as_slice()) {
            return Err(unrecognized());
        }
        let vk = dsa_public(p, q, g, &computed).map_err(|_| unrecognized())?;
        let sk = dsa::SigningKey::from_components(vk, (*x).clone()).map_err(|_| unrecognized())?;
        Ok(Secret::Dsa(Box::new(sk)))
    }

    /// The key type name.
    pub(crate) fn key_type(&self) -> &'static str {
        match self {
            Secret::Ed25519(_) => alg::SSH_ED25519,
            Secret::P256(_) => alg::ECDSA_NISTP256,
            Secret::P384(_) => alg::ECDSA_NISTP384,
            Secret::P521(_) => alg::ECDSA_NISTP521,
            Secret::Rsa(_) => alg::SSH_RSA,
            Secret::Dsa(_) => alg::SSH_DSS,
        }
    }

    /// The public key blob (RFC 4253 6.6 encoding) of this secret key.
    pub(crate) fn public_blob(&self) -> Vec<u8> {
        let secret = self;
        let mut w = Writer::new();
        w.string(secret.key_type().as_bytes());
        match secret {
            Secret::Ed25519(k) => {
                w.string(k.verifying_key().as_bytes());
            }
            Secret::P256(k) => {
                w.string(b"nistp256").string(k.verifying_key().to_encoded_point(false).as_bytes());
            }
            Secret::P384(k) => {
                w.string(b"nistp384").string(k.verifying_key().to_encoded_point(false).as_bytes());
            }
            Secret::P521(k) => {
                // p521 0.13 gates SigningKey::verifying_key behind a feature it never defines.
                let vk = p521::ecdsa::VerifyingKey::from(k);
                w.string(b"nistp521").string(vk.to_encoded_point(false).as_bytes());
            }
            Secret::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                w.mpint(&k.e().to_bytes_be()).mpint(&k.n().to_bytes_be());
            }
            Secret::Dsa(k) => {
                let vk = k.verifying_key();
                let c = vk.components();
                w.mpint(&c.p().to_bytes_be())
                    .mpint(&c.q().to_bytes_be())
                    .mpint(&c.g().to_bytes_be())
                    .mpint(&vk.y().to_bytes_be());
            }
        }
        w.into_inner()
    }
}
