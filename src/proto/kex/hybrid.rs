//! Post-quantum hybrids: mlkem768x25519-sha256 (draft-ietf-sshm-mlkem-hybrid-kex)
//! and sntrup761x25519-sha512 (draft-ietf-sshm-ntruprime-ssh), as OpenSSH speaks them.
//!
//! The client sends `KEM public key || X25519 public` as one string; the server
//! answers `KEM ciphertext || X25519 public`. K = HASH(kem_secret || x25519_secret),
//! with the raw 32-byte X25519 output, and enters the exchange hash and the
//! key derivation as a string (not an mpint).

use kem::Decapsulate;
use ml_kem::kem::DecapsulationKey;
use ml_kem::{EncodedSizeUser, KemCore, MlKem768, MlKem768Params};
use rand_core::OsRng;
use zeroize::{Zeroize, Zeroizing};

use super::ecdh::{X25519, X25519_LEN};
use super::round::Ephemeral;
use super::HashAlg;
use crate::crypto::fill_random;
use crate::error::{code, Error, Result};
use crate::proto::wire::Writer;

/// ML-KEM-768 encapsulation key size (FIPS 203).
pub(crate) const MLKEM768_PUBLIC_LEN: usize = 1184;
/// ML-KEM-768 ciphertext size (FIPS 203).
pub(crate) const MLKEM768_CIPHERTEXT_LEN: usize = 1088;
/// sntrup761 public key size.
pub(crate) const SNTRUP761_PUBLIC_LEN: usize = sntrup761::PUBLIC_KEY_SIZE;
/// sntrup761 ciphertext size.
pub(crate) const SNTRUP761_CIPHERTEXT_LEN: usize = sntrup761::CIPHERTEXT_SIZE;

/// Splits the server's reply into the KEM ciphertext and the X25519 public
/// value, rejecting any other length.
fn split_reply(server: &[u8], ct_len: usize) -> Result<(&[u8], &[u8])> {
    if server.len() != ct_len + X25519_LEN {
        return Err(Error::new(code::KEX_FAILURE, "Server hybrid key exchange reply has the wrong length"));
    }
    Ok(server.split_at(ct_len))
}

/// K = HASH(kem_secret || x25519_secret), encoded as a string.
fn hybrid_k(hash: HashAlg, kem_secret: &[u8], x25519_secret: &[u8]) -> Zeroizing<Vec<u8>> {
    let digest = Zeroizing::new(hash.digest(&[kem_secret, x25519_secret]));
    let mut w = Writer { buf: Vec::with_capacity(digest.len() + 4) };
    w.string(&digest);
    Zeroizing::new(w.into_inner())
}

/// An mlkem768x25519-sha256 client key pair.
pub(crate) struct MlKemX25519 {
    /// Zeroized on drop by ml-kem's `zeroize` feature.
    dk: DecapsulationKey<MlKem768Params>,
    x25519: X25519,
    public: Vec<u8>,
}

impl MlKemX25519 {
    /// A fresh key pair from the OS generator.
    pub(crate) fn new() -> Result<Self> {
        let (dk, ek) = MlKem768::generate(&mut OsRng);
        let x25519 = X25519::new()?;
        let mut public = Vec::with_capacity(MLKEM768_PUBLIC_LEN + X25519_LEN);
        public.extend_from_slice(&ek.as_bytes());
        public.extend_from_slice(x25519.public_bytes());
        Ok(MlKemX25519 { dk, x25519, public })
    }
}

impl Ephemeral for MlKemX25519 {
    fn public(&self) -> &[u8] {
        &self.public
    }

    fn agree(&mut self, server: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let (ct, x_pub) = split_reply(server, MLKEM768_CIPHERTEXT_LEN)?;
        let ct = ml_kem::Ciphertext::<MlKem768>::try_from(ct)
            .map_err(|_| Error::new(code::KEX_FAILURE, "Bad ML-KEM ciphertext"))?;
        // Decapsulation never fails: a forged ciphertext yields an unrelated
        // secret (implicit rejection), which the signature check then catches.
        let mut kem_secret =
            self.dk.decapsulate(&ct).map_err(|_| Error::new(code::KEX_FAILURE, "ML-KEM decapsulation failed"))?;
        let k = self.x25519.shared(x_pub).map(|x| hybrid_k(HashAlg::Sha256, &kem_secret, x.as_ref()));
        // The crate's array type has no Drop zeroization; clear it by hand.
        kem_secret.as_mut_slice().zeroize();
        k
    }
}

/// An sntrup761x25519-sha512 client key pair.
pub(crate) struct SntrupX25519 {
    /// Zeroized on drop by the sntrup761 crate.
    dk: sntrup761::DecapsulationKey,
    x25519: X25519,
    public: Vec<u8>,
}

impl SntrupX25519 {
    /// A fresh key pair; the crate expands a 32-byte seed from the OS generator.
    pub(crate) fn new() -> Result<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        fill_random(seed.as_mut())?;
        let (ek, dk) = sntrup761::generate_key_from_seed(*seed);
        let x25519 = X25519::new()?;
        let mut public = Vec::with_capacity(SNTRUP761_PUBLIC_LEN + X25519_LEN);
        public.extend_from_slice(ek.as_ref());
        public.extend_from_slice(x25519.public_bytes());
        Ok(SntrupX25519 { dk, x25519, public })
    }
}

impl Ephemeral for SntrupX25519 {
    fn public(&self) -> &[u8] {
        &self.public
    }

    fn agree(&mut self, server: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let (ct, x_pub) = split_reply(server, SNTRUP761_CIPHERTEXT_LEN)?;
        let ct: [u8; SNTRUP761_CIPHERTEXT_LEN] =
            ct.try_into().map_err(|_| Error::new(code::KEX_FAILURE, "Bad sntrup761 ciphertext"))?;
        let kem_secret = self.dk.decapsulate(&sntrup761::Ciphertext::from(ct));
        let x_secret = self.x25519.shared(x_pub)?;
        Ok(hybrid_k(HashAlg::Sha512, kem_secret.as_ref(), x_secret.as_ref()))
    }
}
