//! Elliptic-curve Diffie-Hellman: curve25519-sha256 (RFC 8731) and
//! ecdh-sha2-nistp256/384/521 (RFC 5656). K is an mpint in both.

use rand_core::OsRng;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::round::Ephemeral;
use crate::crypto::fill_random;
use crate::error::{code, Error, Result};
use crate::proto::wire::Writer;

/// Length of an X25519 public value and shared secret.
pub(crate) const X25519_LEN: usize = 32;

/// Encodes a big-endian magnitude as the mpint K, in a buffer sized so it never reallocates.
fn mpint_k(v: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut w = Writer { buf: Vec::with_capacity(v.len() + 5) };
    w.mpint(v);
    Zeroizing::new(w.into_inner())
}

/// An X25519 key pair (also the classical half of the hybrids).
pub(crate) struct X25519 {
    secret: StaticSecret,
    public: [u8; X25519_LEN],
}

impl X25519 {
    /// A fresh key pair from the OS generator.
    pub(crate) fn new() -> Result<Self> {
        let mut seed = Zeroizing::new([0u8; X25519_LEN]);
        fill_random(seed.as_mut())?;
        let secret = StaticSecret::from(*seed);
        let public = PublicKey::from(&secret).to_bytes();
        Ok(X25519 { secret, public })
    }

    /// A key pair from a fixed secret, for known-answer tests.
    #[cfg(test)]
    pub(crate) fn from_secret(secret: [u8; X25519_LEN]) -> Self {
        let secret = StaticSecret::from(secret);
        let public = PublicKey::from(&secret).to_bytes();
        X25519 { secret, public }
    }

    /// The public value.
    pub(crate) fn public_bytes(&self) -> &[u8; X25519_LEN] {
        &self.public
    }

    /// The raw 32-byte shared secret with the server's value, rejecting a value
    /// that is not 32 bytes or a low-order point that makes the secret all zero.
    pub(crate) fn shared(&self, server: &[u8]) -> Result<Zeroizing<[u8; X25519_LEN]>> {
        let theirs: [u8; X25519_LEN] = server
            .try_into()
            .map_err(|_| Error::new(code::KEX_FAILURE, "Server X25519 public value is not 32 bytes"))?;
        let shared = self.secret.diffie_hellman(&PublicKey::from(theirs));
        if !shared.was_contributory() {
            return Err(Error::new(code::KEX_FAILURE, "X25519 shared secret is all zero"));
        }
        Ok(Zeroizing::new(shared.to_bytes()))
    }
}

impl Ephemeral for X25519 {
    fn public(&self) -> &[u8] {
        &self.public
    }

    fn agree(&mut self, server: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        // RFC 8731 section 3.1: the 32 output bytes read as a big-endian integer.
        let shared = self.shared(server)?;
        Ok(mpint_k(shared.as_ref()))
    }
}

/// One NIST curve's ephemeral key pair. The curve crates validate a received
/// point (on the curve, not the identity); the length and the 0x04 prefix
/// check that it is in the uncompressed form RFC 5656 section 4 requires.
macro_rules! nist_curve {
    ($name:ident, $krate:ident, $field_len:expr, $doc:literal) => {
        #[doc = $doc]
        pub(crate) struct $name {
            secret: $krate::ecdh::EphemeralSecret,
            public: Vec<u8>,
        }

        impl $name {
            /// A fresh key pair from the OS generator.
            pub(crate) fn new() -> Self {
                use $krate::elliptic_curve::sec1::ToEncodedPoint;
                let secret = $krate::ecdh::EphemeralSecret::random(&mut OsRng);
                let public = secret.public_key().to_encoded_point(false).as_bytes().to_vec();
                $name { secret, public }
            }
        }

        impl Ephemeral for $name {
            fn public(&self) -> &[u8] {
                &self.public
            }

            fn agree(&mut self, server: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
                let uncompressed = server.len() == 1 + 2 * $field_len && server.first() == Some(&0x04);
                if !uncompressed {
                    return Err(Error::new(code::KEX_FAILURE, "Server ECDH point is not in uncompressed form"));
                }
                let point = $krate::PublicKey::from_sec1_bytes(server)
                    .map_err(|_| Error::new(code::KEX_FAILURE, "Server ECDH point is not on the curve"))?;
                let shared = self.secret.diffie_hellman(&point);
                // RFC 5656 section 4: K is the x-coordinate of the shared point.
                Ok(mpint_k(shared.raw_secret_bytes().as_slice()))
            }
        }
    };
}

nist_curve!(NistP256, p256, 32, "An ecdh-sha2-nistp256 key pair.");
nist_curve!(NistP384, p384, 48, "An ecdh-sha2-nistp384 key pair.");
nist_curve!(NistP521, p521, 66, "An ecdh-sha2-nistp521 key pair.");
