//! HMACs over `uint32 sequence_number || bytes` (RFC 4253 6.4, RFC 6668, and
//! OpenSSH's EtM forms, which MAC the same input but over ciphertext).

use super::spec::{mac_spec, MacSpec};
use crate::crypto::ct_eq;
use crate::error::{code, Error, Result};
use hmac::{Hmac, Mac};
use ring::hmac as rh;

/// Widest MAC output (HMAC-SHA-512).
pub(crate) const MAX_MAC_LEN: usize = 64;

/// The keyed hash behind a MAC name.
#[derive(Clone)]
enum Engine {
    /// SHA-2 through ring (assembly).
    Ring(rh::Key),
    /// SHA-1 through RustCrypto: it uses the SHA extensions where the CPU has
    /// them, about 3.5 times ring's portable SHA-1. The keyed state is cloned per packet.
    Sha1(Hmac<sha1::Sha1>),
    /// MD5 has no ring implementation.
    Md5(Hmac<md5::Md5>),
    /// RIPEMD-160 (hmac-ripemd160 and its @openssh.com alias).
    Ripemd160(Hmac<ripemd::Ripemd160>),
}

/// A keyed MAC for one direction.
#[derive(Clone)]
pub(crate) struct PacketMac {
    engine: Engine,
    spec: &'static MacSpec,
}

impl PacketMac {
    /// Keys the MAC named `name` with the first `key_len` bytes of `key`.
    pub(crate) fn new(name: &str, key: &[u8]) -> Result<Self> {
        let spec =
            mac_spec(name).ok_or_else(|| Error::with(code::METHOD_NOT_SUPPORTED, format!("Unsupported MAC {name}")))?;
        let key = key.get(..spec.key_len).ok_or(Error::new(code::INVAL, "MAC key shorter than the algorithm needs"))?;
        let bad = |_| Error::new(code::INVAL, "bad MAC key");
        let engine = if name.starts_with("hmac-sha2-256") {
            Engine::Ring(rh::Key::new(rh::HMAC_SHA256, key))
        } else if name.starts_with("hmac-sha2-512") {
            Engine::Ring(rh::Key::new(rh::HMAC_SHA512, key))
        } else if name.starts_with("hmac-sha1") {
            Engine::Sha1(<Hmac<sha1::Sha1> as Mac>::new_from_slice(key).map_err(bad)?)
        } else if name.starts_with("hmac-ripemd160") {
            Engine::Ripemd160(<Hmac<ripemd::Ripemd160> as Mac>::new_from_slice(key).map_err(bad)?)
        } else {
            Engine::Md5(<Hmac<md5::Md5> as Mac>::new_from_slice(key).map_err(bad)?)
        };
        Ok(PacketMac { engine, spec })
    }

    /// Bytes this MAC appends to a packet.
    pub(crate) fn out_len(&self) -> usize {
        self.spec.out_len
    }

    /// Whether this is an encrypt-then-MAC variant.
    pub(crate) fn etm(&self) -> bool {
        self.spec.etm
    }

    /// Computes the (truncated) MAC of `seq || data` into `out[..out_len]`.
    pub(crate) fn sign(&self, seq: u32, data: &[u8], out: &mut [u8; MAX_MAC_LEN]) -> usize {
        let n = self.spec.out_len;
        match &self.engine {
            Engine::Ring(k) => {
                let mut ctx = rh::Context::with_key(k);
                ctx.update(&seq.to_be_bytes());
                ctx.update(data);
                let tag = ctx.sign();
                let t = tag.as_ref();
                let n = n.min(t.len());
                out[..n].copy_from_slice(&t[..n]);
                n
            }
            Engine::Sha1(m) => keyed_clone(m, seq, data, &mut out[..n]),
            Engine::Md5(m) => keyed_clone(m, seq, data, &mut out[..n]),
            Engine::Ripemd160(m) => keyed_clone(m, seq, data, &mut out[..n]),
        }
    }

    /// Appends the MAC of `seq || data` to `out`.
    pub(crate) fn sign_append(&self, seq: u32, data_start: usize, out: &mut Vec<u8>) {
        let mut tag = [0u8; MAX_MAC_LEN];
        let n = self.sign(seq, out.get(data_start..).unwrap_or_default(), &mut tag);
        out.extend_from_slice(&tag[..n]);
    }

    /// Checks `received` against the MAC of `seq || data` in constant time.
    pub(crate) fn verify(&self, seq: u32, data: &[u8], received: &[u8]) -> Result<()> {
        let mut tag = [0u8; MAX_MAC_LEN];
        let n = self.sign(seq, data, &mut tag);
        if ct_eq(&tag[..n], received) {
            Ok(())
        } else {
            Err(Error::new(code::INVALID_MAC, "Invalid MAC received"))
        }
    }
}

/// Runs a RustCrypto HMAC from its keyed state over `seq || data` and writes
/// the first `out.len()` bytes of the result; returns how many were written.
fn keyed_clone<M: Mac + Clone>(keyed: &M, seq: u32, data: &[u8], out: &mut [u8]) -> usize {
    let mut m = keyed.clone();
    m.update(&seq.to_be_bytes());
    m.update(data);
    let t = m.finalize().into_bytes();
    let n = out.len().min(t.len());
    out[..n].copy_from_slice(&t[..n]);
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::transport::hex;

    /// The SSH MAC input starts with the sequence number, so a vector whose
    /// message begins with four bytes checks the plain HMAC: those bytes are
    /// fed as `seq` and the rest as data.
    fn mac_of(name: &str, key: &[u8], msg: &[u8]) -> Vec<u8> {
        let m = PacketMac::new(name, key).unwrap();
        let seq = u32::from_be_bytes(msg[..4].try_into().unwrap());
        let mut out = [0u8; MAX_MAC_LEN];
        let n = m.sign(seq, &msg[4..], &mut out);
        out[..n].to_vec()
    }

    #[test]
    fn rfc4231_case2_sha256_sha512() {
        // Key "Jefe", data "what do ya want for nothing?".
        let key = b"Jefe";
        let msg = b"what do ya want for nothing?";
        // The registry needs full-length keys; HMAC pads short keys with
        // zeros, so zero-extending gives the identical result.
        let mut k32 = key.to_vec();
        k32.resize(32, 0);
        let mut k64 = key.to_vec();
        k64.resize(64, 0);
        assert_eq!(
            mac_of("hmac-sha2-256", &k32, msg),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        assert_eq!(
            mac_of("hmac-sha2-512-etm@openssh.com", &k64, msg),
            hex("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554
                 9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737")
        );
    }

    #[test]
    fn rfc4231_case1_sha256() {
        // Key 20 x 0x0b (zero-extended to 32), data "Hi There".
        let mut key = vec![0x0b; 20];
        key.resize(32, 0);
        assert_eq!(
            mac_of("hmac-sha2-256-etm@openssh.com", &key, b"Hi There"),
            hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        );
    }

    #[test]
    fn rfc2202_sha1_md5() {
        // RFC 2202 test case 2 for both hashes.
        let mut k20 = b"Jefe".to_vec();
        k20.resize(20, 0);
        let msg = b"what do ya want for nothing?";
        assert_eq!(mac_of("hmac-sha1", &k20, msg), hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"));
        assert_eq!(mac_of("hmac-sha1-96", &k20, msg), hex("effcdf6ae5eb2fa2d27416d5"));
        let mut k16 = b"Jefe".to_vec();
        k16.resize(16, 0);
        assert_eq!(mac_of("hmac-md5", &k16, msg), hex("750c783e6ab0b503eaa86e310a5db738"));
        assert_eq!(mac_of("hmac-md5-96-etm@openssh.com", &k16, msg), hex("750c783e6ab0b503eaa86e31"));
        // Test case 1: key 16 x 0x0b, "Hi There".
        assert_eq!(mac_of("hmac-md5", &[0x0b; 16], b"Hi There"), hex("9294727a3638bb1c13f48ef8158bfc9d"));
        let mut k = vec![0x0b; 20];
        k.resize(20, 0);
        assert_eq!(
            mac_of("hmac-sha1-etm@openssh.com", &k, b"Hi There"),
            hex("b617318655057264e28bc0b6fb378c8ef146be00")
        );
    }

    #[test]
    fn rfc2286_ripemd160() {
        // RFC 2286 test cases 1 and 2, under both names.
        assert_eq!(mac_of("hmac-ripemd160", &[0x0b; 20], b"Hi There"), hex("24cb4bd67d20fc1a5d2ed7732dcc39377f0a5668"));
        let mut k20 = b"Jefe".to_vec();
        k20.resize(20, 0);
        assert_eq!(
            mac_of("hmac-ripemd160@openssh.com", &k20, b"what do ya want for nothing?"),
            hex("dda6c0213a485a9e24f4742064a7f033b43c4069")
        );
    }

    #[test]
    fn verify_rejects_any_flip_and_short_key() {
        let m = PacketMac::new("hmac-sha2-256", &[7; 32]).unwrap();
        let mut tag = [0u8; MAX_MAC_LEN];
        let n = m.sign(9, b"payload", &mut tag);
        assert!(m.verify(9, b"payload", &tag[..n]).is_ok());
        assert_eq!(m.verify(10, b"payload", &tag[..n]).unwrap_err().code, code::INVALID_MAC);
        for i in 0..n {
            let mut t = tag;
            t[i] ^= 1;
            assert_eq!(m.verify(9, b"payload", &t[..n]).unwrap_err().code, code::INVALID_MAC);
        }
        assert!(m.verify(9, b"payload", &tag[..n - 1]).is_err());
        assert_eq!(PacketMac::new("hmac-sha2-256", &[7; 31]).err().unwrap().code, code::INVAL);
        assert_eq!(PacketMac::new("umac-64@openssh.com", &[7; 32]).err().unwrap().code, code::METHOD_NOT_SUPPORTED);
    }
}
