//! Key exchange methods (RFC 4253, 4419, 5656, 8268, 8731, 9142 and the
//! ML-KEM / Streamlined NTRU Prime hybrids), client side, sans-IO.
//!
//! A [`Kex`] produces the first message with [`Kex::start`], then consumes the
//! server's method-specific messages (numbers 30..49) with [`Kex::handle`]
//! until it yields [`KexStep::Done`] with the exchange hash H, the shared
//! secret K (encoded as it enters the hash), the server's host key and its
//! signature. Algorithm negotiation, NEWKEYS and verifying the signature over
//! H belong to the transport, not here.

mod dh;
mod ecdh;
mod groups;
mod hybrid;
mod round;

#[cfg(test)]
mod live_test;
#[cfg(test)]
mod tests;

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use crate::error::{code, Error, Result};

/// Hash used by a kex method (exchange hash and key derivation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-1 (20 bytes).
    Sha1,
    /// SHA-256 (32 bytes).
    Sha256,
    /// SHA-384 (48 bytes).
    Sha384,
    /// SHA-512 (64 bytes).
    Sha512,
}

impl HashAlg {
    /// Output length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    /// Hashes the concatenation of `parts`, fed in order without copying them together.
    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            d.finalize().to_vec()
        }
        match self {
            HashAlg::Sha1 => run::<Sha1>(parts),
            HashAlg::Sha256 => run::<Sha256>(parts),
            HashAlg::Sha384 => run::<Sha384>(parts),
            HashAlg::Sha512 => run::<Sha512>(parts),
        }
    }
}

/// Methods offered by default, most preferred first.
///
/// The order follows the OpenSSH 9.9 client (post-quantum hybrids, then
/// curve25519, NIST ECDH, group exchange and the large fixed groups) with one
/// change: sntrup761 comes after curve25519. Its key generation costs about
/// 17 ms of CPU per connection in pure Rust (measured by bench/), which would
/// make our handshake slower than libssh2's; ML-KEM is as fast as X25519, so
/// it stays first. Applications that want sntrup761 first can say so with
/// `libssh2_session_method_pref`. After
/// those comes `diffie-hellman-group14-sha1`, which libssh2 1.11.1 also offers
/// by default: it is a 2048-bit group that RFC 9142 still permits, and many
/// older embedded servers speak nothing better, so dropping it would break
/// connections that work with upstream. Offering it last costs nothing
/// against a modern server, and a man in the middle cannot force it because
/// both KEXINITs are covered by the signed exchange hash.
/// `diffie-hellman-group1-sha1` (1024-bit) and `diffie-hellman-group-exchange-sha1`
/// are supported but not offered (RFC 9142: SHOULD NOT); an application can
/// still ask for them with `libssh2_session_method_pref`.
/// The pseudo-methods `ext-info-c` and `kex-strict-c-v00@openssh.com` are the
/// transport's business and are not listed here.
pub const DEFAULT_KEX: &[&str] = &[
    MLKEM768X25519_SHA256,
    CURVE25519_SHA256,
    CURVE25519_SHA256_LIBSSH,
    SNTRUP761X25519_SHA512,
    SNTRUP761X25519_SHA512_OPENSSH,
    ECDH_NISTP256,
    ECDH_NISTP384,
    ECDH_NISTP521,
    DH_GEX_SHA256,
    DH_GROUP16_SHA512,
    DH_GROUP18_SHA512,
    DH_GROUP14_SHA256,
    DH_GROUP14_SHA1,
];

/// Every method this module implements: the post-quantum hybrids, then
/// libssh2 1.11.1's list in its order.
pub const SUPPORTED_KEX: &[&str] = &[
    MLKEM768X25519_SHA256,
    SNTRUP761X25519_SHA512,
    SNTRUP761X25519_SHA512_OPENSSH,
    CURVE25519_SHA256,
    CURVE25519_SHA256_LIBSSH,
    ECDH_NISTP256,
    ECDH_NISTP384,
    ECDH_NISTP521,
    DH_GEX_SHA256,
    DH_GROUP16_SHA512,
    DH_GROUP18_SHA512,
    DH_GROUP14_SHA256,
    DH_GROUP14_SHA1,
    DH_GROUP1_SHA1,
    DH_GEX_SHA1,
];

/// ML-KEM-768 + X25519 hybrid (draft-ietf-sshm-mlkem-hybrid-kex).
pub const MLKEM768X25519_SHA256: &str = "mlkem768x25519-sha256";
/// Streamlined NTRU Prime 761 + X25519 hybrid (draft-ietf-sshm-ntruprime-ssh).
pub const SNTRUP761X25519_SHA512: &str = "sntrup761x25519-sha512";
/// OpenSSH's original name for [`SNTRUP761X25519_SHA512`].
pub const SNTRUP761X25519_SHA512_OPENSSH: &str = "sntrup761x25519-sha512@openssh.com";
/// X25519 (RFC 8731).
pub const CURVE25519_SHA256: &str = "curve25519-sha256";
/// libssh's pre-RFC name for [`CURVE25519_SHA256`].
pub const CURVE25519_SHA256_LIBSSH: &str = "curve25519-sha256@libssh.org";
/// ECDH on P-256 (RFC 5656).
pub const ECDH_NISTP256: &str = "ecdh-sha2-nistp256";
/// ECDH on P-384 (RFC 5656).
pub const ECDH_NISTP384: &str = "ecdh-sha2-nistp384";
/// ECDH on P-521 (RFC 5656).
pub const ECDH_NISTP521: &str = "ecdh-sha2-nistp521";
/// Group exchange with SHA-256 (RFC 4419).
pub const DH_GEX_SHA256: &str = "diffie-hellman-group-exchange-sha256";
/// Group exchange with SHA-1 (RFC 4419).
pub const DH_GEX_SHA1: &str = "diffie-hellman-group-exchange-sha1";
/// 4096-bit MODP group 16 (RFC 8268).
pub const DH_GROUP16_SHA512: &str = "diffie-hellman-group16-sha512";
/// 8192-bit MODP group 18 (RFC 8268).
pub const DH_GROUP18_SHA512: &str = "diffie-hellman-group18-sha512";
/// 2048-bit MODP group 14 with SHA-256 (RFC 8268).
pub const DH_GROUP14_SHA256: &str = "diffie-hellman-group14-sha256";
/// 2048-bit MODP group 14 with SHA-1 (RFC 4253).
pub const DH_GROUP14_SHA1: &str = "diffie-hellman-group14-sha1";
/// 1024-bit Oakley group 2 with SHA-1 (RFC 4253).
pub const DH_GROUP1_SHA1: &str = "diffie-hellman-group1-sha1";

/// The hash a supported method uses, or `None` for an unknown name.
pub fn kex_hash(name: &str) -> Option<HashAlg> {
    Some(match name {
        MLKEM768X25519_SHA256 | CURVE25519_SHA256 | CURVE25519_SHA256_LIBSSH => HashAlg::Sha256,
        ECDH_NISTP256 | DH_GEX_SHA256 | DH_GROUP14_SHA256 => HashAlg::Sha256,
        ECDH_NISTP384 => HashAlg::Sha384,
        SNTRUP761X25519_SHA512 | SNTRUP761X25519_SHA512_OPENSSH | ECDH_NISTP521 => HashAlg::Sha512,
        DH_GROUP16_SHA512 | DH_GROUP18_SHA512 => HashAlg::Sha512,
        DH_GEX_SHA1 | DH_GROUP14_SHA1 | DH_GROUP1_SHA1 => HashAlg::Sha1,
        _ => return None,
    })
}

/// What the exchange hash covers besides the method's own values.
#[derive(Clone, Debug, Default)]
pub struct KexInput {
    /// The client's identification string, without CR LF.
    pub v_c: Vec<u8>,
    /// The server's identification string, without CR LF.
    pub v_s: Vec<u8>,
    /// The client's KEXINIT payload, including the message number.
    pub i_c: Vec<u8>,
    /// The server's KEXINIT payload, including the message number.
    pub i_s: Vec<u8>,
}

/// The result of a completed exchange.
pub struct KexOutput {
    /// The method's hash, for key derivation.
    pub hash: HashAlg,
    /// The exchange hash H (the session id on the first exchange).
    pub h: Vec<u8>,
    /// The shared secret encoded as it enters the hash and the derivation:
    /// an mpint for the classic DH/ECDH/curve25519 methods, a string for the
    /// post-quantum hybrids. Zeroized on drop.
    pub k: Zeroizing<Vec<u8>>,
    /// The server's public host key blob (K_S).
    pub host_key: Vec<u8>,
    /// The signature over H as received: `string alg || string blob`.
    pub signature: Vec<u8>,
}

impl std::fmt::Debug for KexOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // K stays out of logs.
        f.debug_struct("KexOutput")
            .field("hash", &self.hash)
            .field("h", &self.h)
            .field("host_key_len", &self.host_key.len())
            .field("signature_len", &self.signature.len())
            .finish_non_exhaustive()
    }
}

/// What a [`Kex`] wants after consuming a server message.
#[derive(Debug)]
pub enum KexStep {
    /// Send this payload, then wait for the next server message.
    Send(Vec<u8>),
    /// The exchange is complete.
    Done(KexOutput),
}

/// The client side of one key exchange method.
pub trait Kex: Send {
    /// The first message payload (KEXDH_INIT, KEX_ECDH_INIT, KEX_DH_GEX_REQUEST
    /// or the hybrid init). Call once.
    fn start(&mut self) -> Result<Vec<u8>>;
    /// Consumes a server message (numbers 30..49, message byte included).
    fn handle(&mut self, payload: &[u8]) -> Result<KexStep>;
}

/// Smallest group-exchange prime accepted from a server, in bits (RFC 9142 / OpenSSH DH_GRP_MIN).
pub const GEX_MIN_BITS: u32 = 2048;
/// Largest group-exchange prime accepted from a server, in bits (OpenSSH DH_GRP_MAX).
pub const GEX_MAX_BITS: u32 = 8192;
/// Preferred group-exchange size libssh2 1.11.1 requests (LIBSSH2_DH_GEX_OPTGROUP).
pub const GEX_PREFERRED_BITS: u32 = 4096;

/// The prime sizes sent in KEX_DH_GEX_REQUEST, in bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GexParams {
    /// Smallest acceptable prime.
    pub min: u32,
    /// Preferred prime size.
    pub preferred: u32,
    /// Largest acceptable prime.
    pub max: u32,
}

impl Default for GexParams {
    /// libssh2 1.11.1's values: LIBSSH2_DH_GEX_MINGROUP/OPTGROUP/MAXGROUP = 2048/4096/8192.
    fn default() -> Self {
        GexParams { min: GEX_MIN_BITS, preferred: GEX_PREFERRED_BITS, max: GEX_MAX_BITS }
    }
}

/// Creates the client side of method `name`.
///
/// Fails with `LIBSSH2_ERROR_KEX_FAILURE` for an unknown name, and with
/// `LIBSSH2_ERROR_INVAL` for group-exchange sizes that are out of order or
/// outside 2048..=8192 bits.
pub fn new_kex(name: &str, input: KexInput, gex: GexParams) -> Result<Box<dyn Kex>> {
    let hash = kex_hash(name)
        .ok_or_else(|| Error::with(code::KEX_FAILURE, format!("Unsupported key exchange method {name}")))?;
    Ok(match name {
        MLKEM768X25519_SHA256 => Box::new(round::OneRound::strings(hash, input, hybrid::MlKemX25519::new()?)),
        SNTRUP761X25519_SHA512 | SNTRUP761X25519_SHA512_OPENSSH => {
            Box::new(round::OneRound::strings(hash, input, hybrid::SntrupX25519::new()?))
        }
        CURVE25519_SHA256 | CURVE25519_SHA256_LIBSSH => {
            Box::new(round::OneRound::strings(hash, input, ecdh::X25519::new()?))
        }
        ECDH_NISTP256 => Box::new(round::OneRound::strings(hash, input, ecdh::NistP256::new())),
        ECDH_NISTP384 => Box::new(round::OneRound::strings(hash, input, ecdh::NistP384::new())),
        ECDH_NISTP521 => Box::new(round::OneRound::strings(hash, input, ecdh::NistP521::new())),
        DH_GEX_SHA256 | DH_GEX_SHA1 => Box::new(dh::GroupExchange::new(hash, input, gex)?),
        DH_GROUP1_SHA1 => Box::new(dh::fixed_group(hash, input, groups::GROUP1)?),
        DH_GROUP14_SHA1 | DH_GROUP14_SHA256 => Box::new(dh::fixed_group(hash, input, groups::GROUP14)?),
        DH_GROUP16_SHA512 => Box::new(dh::fixed_group(hash, input, groups::GROUP16)?),
        DH_GROUP18_SHA512 => Box::new(dh::fixed_group(hash, input, groups::GROUP18)?),
        _ => return Err(Error::with(code::KEX_FAILURE, format!("Unsupported key exchange method {name}"))),
    })
}

/// RFC 4253 section 7.2 key derivation: `HASH(K || H || letter || session_id)`,
/// extended with `HASH(K || H || K1 || ... )` until `len` bytes are available.
/// `k` is the shared secret as encoded in [`KexOutput::k`].
pub fn derive_key(hash: HashAlg, k: &[u8], h: &[u8], letter: u8, session_id: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    // Reserve the final size up front so the buffer never reallocates and
    // leaves unzeroized copies of key material behind.
    let mut out = Zeroizing::new(Vec::with_capacity(len + hash.digest_len()));
    out.extend_from_slice(&Zeroizing::new(hash.digest(&[k, h, &[letter], session_id])));
    while out.len() < len {
        let next = Zeroizing::new(hash.digest(&[k, h, &out]));
        out.extend_from_slice(&next);
    }
    out.truncate(len);
    out
}
