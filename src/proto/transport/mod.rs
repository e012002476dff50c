//! Binary packet protocol (RFC 4253 section 6): framing, ciphers, MACs, compression.
//!
//! Sans-IO: a [`Sealer`] turns payloads into wire bytes and an [`Opener`] turns
//! wire bytes back into payloads; neither touches a socket. One of each exists
//! per direction and is replaced at every NEWKEYS.

mod cipher;
mod codec;
mod compress;
mod mac;
mod spec;
mod tdes;

pub use codec::{Opened, Opener, Sealer};
pub use compress::{Compressor, Decompressor};
pub use spec::*;

/// Hex to bytes for the tests' vectors (whitespace ignored).
#[cfg(test)]
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_are_consistent() {
        assert_eq!(DEFAULT_MACS.last(), Some(&"hmac-ripemd160@openssh.com"));
        for m in SUPPORTED_MACS {
            let spec = mac_spec(m).unwrap();
            assert_eq!(spec.etm, m.contains("-etm@"), "{m}");
        }
        assert_eq!(SUPPORTED_MACS.len(), MACS.len());
        assert_eq!(SUPPORTED_CIPHERS.len(), CIPHERS.len());
        for c in SUPPORTED_CIPHERS {
            let spec = cipher_spec(c).unwrap();
            assert_eq!(spec.aead, c.contains("gcm") || c.starts_with("chacha"), "{c}");
            assert!(
                cipher::engine(
                    c,
                    &DirectionKeys { key: vec![1; 64], iv: vec![2; 16], mac_key: vec![] },
                    cipher::Dir::Encrypt
                )
                .is_ok(),
                "{c}"
            );
        }
        assert!(cipher_spec("none").is_none() && mac_spec("none").is_none());
    }
}

/// The two 3DES-CBC engines side by side, for `bench/tdes.rs` (which decides
/// whether the hand-written one is still needed). Not part of the C ABI.
#[doc(hidden)]
pub mod tdes_bench {
    use super::cipher::BlockMode;

    /// Encrypts `buf` (a multiple of 8 bytes) in place with the transport's own engine.
    pub fn hand_written(key: &[u8; 24], iv: &[u8; 8], buf: &mut [u8]) {
        // The fixed-size arguments are always long enough.
        if let Some(mut c) = super::tdes::TdesCbc::new(key, iv, false) {
            c.apply(buf);
        }
    }

    /// Encrypts `buf` (a multiple of 8 bytes) in place with RustCrypto's `des`.
    pub fn des_crate(key: &[u8; 24], iv: &[u8; 8], buf: &mut [u8]) {
        use cbc::cipher::{BlockEncryptMut, KeyIvInit};
        let mut c = cbc::Encryptor::<des::TdesEde3>::new(key.into(), iv.into());
        for block in buf.chunks_exact_mut(8) {
            c.encrypt_block_mut(block.into());
        }
    }
}
