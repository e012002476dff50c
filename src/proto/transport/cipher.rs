//! Cipher engines: the AEADs (ring), the AES CTR/CBC block modes (RustCrypto,
//! which picks AES-NI at run time) and 3DES-CBC (tdes.rs). All work in place on whole blocks.

use super::{cipher_spec, CipherSpec, DirectionKeys};
use crate::error::{code, Error, Result};
use aes::{Aes128, Aes192, Aes256};
use cbc::cipher::inout::InOutBuf;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, StreamCipher};
use ring::aead::chacha20_poly1305_openssh as chapoly;
use ring::aead::{self, Aad, LessSafeKey, Nonce, Tag, UnboundKey};

/// Authentication tag length of both AEADs.
pub(crate) const AEAD_TAG_LEN: usize = 16;

/// A block/stream mode that transforms whole blocks in place and keeps its
/// chaining state (CTR counter, CBC previous block) from packet to packet.
pub(crate) trait BlockMode: Send {
    /// Encrypts or decrypts `buf` in place; `buf.len()` is a multiple of the block size.
    fn apply(&mut self, buf: &mut [u8]);
}

/// AES in CTR mode with a 128-bit big-endian counter (RFC 4344).
struct CtrMode<C>(ctr::Ctr128BE<C>)
where
    C: cbc::cipher::BlockEncrypt
        + cbc::cipher::BlockCipher
        + cbc::cipher::BlockSizeUser<BlockSize = cbc::cipher::consts::U16>;

impl<C> BlockMode for CtrMode<C>
where
    C: cbc::cipher::BlockEncrypt
        + cbc::cipher::BlockCipher
        + cbc::cipher::BlockSizeUser<BlockSize = cbc::cipher::consts::U16>
        + Send,
{
    fn apply(&mut self, buf: &mut [u8]) {
        // CTR is its own inverse; the keystream continues across packets.
        self.0.apply_keystream(buf);
    }
}

/// CBC encryption; the last ciphertext block chains into the next packet.
struct CbcEnc<C: BlockEncryptMut + cbc::cipher::BlockCipher>(cbc::Encryptor<C>);

impl<C> BlockMode for CbcEnc<C>
where
    C: BlockEncryptMut + cbc::cipher::BlockCipher + Send,
{
    fn apply(&mut self, buf: &mut [u8]) {
        let (blocks, _tail) = InOutBuf::from(buf).into_chunks();
        self.0.encrypt_blocks_inout_mut(blocks);
    }
}

/// CBC decryption (blocks are independent, so AES-NI runs them in parallel).
struct CbcDec<C: BlockDecryptMut + cbc::cipher::BlockCipher>(cbc::Decryptor<C>);

impl<C> BlockMode for CbcDec<C>
where
    C: BlockDecryptMut + cbc::cipher::BlockCipher + Send,
{
    fn apply(&mut self, buf: &mut [u8]) {
        let (blocks, _tail) = InOutBuf::from(buf).into_chunks();
        self.0.decrypt_blocks_inout_mut(blocks);
    }
}

/// AES-GCM as OpenSSH uses it (RFC 5647 section 7.1): a 4-byte fixed field and
/// an 8-byte invocation counter that grows by one per packet.
pub(crate) struct Gcm {
    key: LessSafeKey,
    fixed: [u8; 4],
    counter: u64,
}

impl Gcm {
    /// The nonce for this packet; advances the invocation counter.
    fn next_nonce(&mut self) -> Nonce {
        let mut n = [0u8; aead::NONCE_LEN];
        n[..4].copy_from_slice(&self.fixed);
        n[4..].copy_from_slice(&self.counter.to_be_bytes());
        // OpenSSH increments the 64-bit field modulo 2^64; rekeying happens long before.
        self.counter = self.counter.wrapping_add(1);
        Nonce::assume_unique_for_key(n)
    }

    /// Encrypts `body` in place, authenticating `len` as AAD; returns the tag.
    pub(crate) fn seal(&mut self, len: &[u8; 4], body: &mut [u8]) -> Result<[u8; AEAD_TAG_LEN]> {
        let nonce = self.next_nonce();
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(len), body)
            .map_err(|_| Error::new(code::ENCRYPT, "AES-GCM encryption failed"))?;
        let mut t = [0u8; AEAD_TAG_LEN];
        t.copy_from_slice(tag.as_ref());
        Ok(t)
    }

    /// Verifies `tag` over `len || body` and decrypts `body` in place.
    pub(crate) fn open(&mut self, len: &[u8; 4], body: &mut [u8], tag: &[u8]) -> Result<()> {
        let nonce = self.next_nonce();
        let tag = Tag::try_from(tag).map_err(|_| Error::new(code::DECRYPT, "bad AES-GCM tag length"))?;
        self.key
            .open_in_place_separate_tag(nonce, Aad::from(len), tag, body, 0..)
            .map(|_| ())
            .map_err(|_| Error::new(code::DECRYPT, "AES-GCM authentication failed"))
    }
}

/// The cipher state for one direction.
pub(crate) enum Engine {
    /// No encryption (before the first NEWKEYS).
    Plain,
    /// CTR or CBC; a separate MAC protects the packet.
    Block(Box<dyn BlockMode>),
    /// aes*-gcm@openssh.com.
    Gcm(Box<Gcm>),
    /// chacha20-poly1305@openssh.com, sealing side.
    ChachaSeal(Box<chapoly::SealingKey>),
    /// chacha20-poly1305@openssh.com, opening side.
    ChachaOpen(Box<chapoly::OpeningKey>),
}

/// Which direction an engine is built for (CBC and ChaCha differ).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    /// Sealing outgoing packets.
    Encrypt,
    /// Opening incoming packets.
    Decrypt,
}

fn unsupported(name: &str) -> Error {
    Error::with(code::METHOD_NOT_SUPPORTED, format!("Unsupported cipher {name}"))
}

fn short_key() -> Error {
    Error::new(code::INVAL, "cipher key or IV shorter than the algorithm needs")
}

fn block<M: BlockMode + 'static>(m: M) -> Engine {
    Engine::Block(Box::new(m))
}

macro_rules! cbc_engine {
    ($c:ty, $dir:expr, $k:expr, $iv:expr) => {
        match $dir {
            Dir::Encrypt => cbc::Encryptor::<$c>::new_from_slices($k, $iv).map(|m| block(CbcEnc(m))),
            Dir::Decrypt => cbc::Decryptor::<$c>::new_from_slices($k, $iv).map(|m| block(CbcDec(m))),
        }
    };
}

/// Builds the engine for `name` from `keys` (only the prefixes the spec names are used).
pub(crate) fn engine(name: &str, keys: &DirectionKeys, dir: Dir) -> Result<(Engine, &'static CipherSpec)> {
    let spec = cipher_spec(name).ok_or_else(|| unsupported(name))?;
    let k = keys.key.get(..spec.key_len).ok_or_else(short_key)?;
    let iv = keys.iv.get(..spec.iv_len).ok_or_else(short_key)?;
    let bad = |_| Error::new(code::INVAL, "bad cipher key or IV length");
    let e = match name {
        super::CHACHA20_POLY1305 => {
            let key: &[u8; chapoly::KEY_LEN] = k.try_into().map_err(|_| short_key())?;
            match dir {
                Dir::Encrypt => Engine::ChachaSeal(Box::new(chapoly::SealingKey::new(key))),
                Dir::Decrypt => Engine::ChachaOpen(Box::new(chapoly::OpeningKey::new(key))),
            }
        }
        "aes128-gcm@openssh.com" | "aes256-gcm@openssh.com" => {
            let alg = if spec.key_len == 16 { &aead::AES_128_GCM } else { &aead::AES_256_GCM };
            let key = UnboundKey::new(alg, k).map_err(|_| short_key())?;
            let mut fixed = [0u8; 4];
            fixed.copy_from_slice(iv.get(..4).ok_or_else(short_key)?);
            let mut ctr = [0u8; 8];
            ctr.copy_from_slice(iv.get(4..12).ok_or_else(short_key)?);
            Engine::Gcm(Box::new(Gcm { key: LessSafeKey::new(key), fixed, counter: u64::from_be_bytes(ctr) }))
        }
        "aes128-ctr" => block(CtrMode(ctr::Ctr128BE::<Aes128>::new_from_slices(k, iv).map_err(bad)?)),
        "aes192-ctr" => block(CtrMode(ctr::Ctr128BE::<Aes192>::new_from_slices(k, iv).map_err(bad)?)),
        "aes256-ctr" => block(CtrMode(ctr::Ctr128BE::<Aes256>::new_from_slices(k, iv).map_err(bad)?)),
        "aes128-cbc" => cbc_engine!(Aes128, dir, k, iv).map_err(bad)?,
        "aes192-cbc" => cbc_engine!(Aes192, dir, k, iv).map_err(bad)?,
        "aes256-cbc" | "rijndael-cbc@lysator.liu.se" => cbc_engine!(Aes256, dir, k, iv).map_err(bad)?,
        "3des-cbc" => block(super::tdes::TdesCbc::new(k, iv, dir == Dir::Decrypt).ok_or_else(short_key)?),
        _ => return Err(unsupported(name)),
    };
    Ok((e, spec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::transport::hex;

    fn keys(key_len: usize, iv_len: usize) -> DirectionKeys {
        DirectionKeys {
            key: (0..key_len as u8).collect(),
            iv: (0..iv_len as u8).map(|b| b.wrapping_mul(17).wrapping_add(1)).collect(),
            mac_key: Vec::new(),
        }
    }

    fn run(name: &str, dir: Dir, data: &mut [u8]) {
        let spec = cipher_spec(name).unwrap();
        let (e, _) = engine(name, &keys(spec.key_len, spec.iv_len), dir).unwrap();
        let Engine::Block(mut m) = e else { panic!("not a block mode") };
        // Two calls: the chaining state must carry over between packets.
        let half = data.len() / 2 / spec.block_size * spec.block_size;
        let (a, b) = data.split_at_mut(half);
        m.apply(a);
        m.apply(b);
    }

    /// Expected ciphertexts of 64 bytes 0x00..0x3f under key 00 01 02 .. and
    /// IV (i*17+1) for i in 0.., produced with the OpenSSL command line, e.g.
    /// `openssl enc -aes-128-ctr -K 000102..0f -iv 0112233445566778899aabbccddeeff0 -nopad`.
    const OPENSSL_VECTORS: &[(&str, &str)] = &[
        ("aes128-ctr", include_str!("testdata/aes128-ctr.hex")),
        ("aes192-ctr", include_str!("testdata/aes192-ctr.hex")),
        ("aes256-ctr", include_str!("testdata/aes256-ctr.hex")),
        ("aes128-cbc", include_str!("testdata/aes128-cbc.hex")),
        ("aes192-cbc", include_str!("testdata/aes192-cbc.hex")),
        ("aes256-cbc", include_str!("testdata/aes256-cbc.hex")),
        ("rijndael-cbc@lysator.liu.se", include_str!("testdata/aes256-cbc.hex")),
        ("3des-cbc", include_str!("testdata/3des-cbc.hex")),
    ];

    #[test]
    fn block_modes_match_openssl() {
        let plain: Vec<u8> = (0..64u8).collect();
        for (name, expected) in OPENSSL_VECTORS {
            let expected = hex(expected);
            let mut buf = plain.clone();
            run(name, Dir::Encrypt, &mut buf);
            assert_eq!(buf, expected, "{name} encrypt");
            run(name, Dir::Decrypt, &mut buf);
            assert_eq!(buf, plain, "{name} decrypt");
        }
    }

    /// RFC 4344: the CTR counter is one 128-bit big-endian integer, so it
    /// carries across all 16 bytes and wraps to zero (OpenSSL vector, IV ff..fe).
    #[test]
    fn ctr_counter_wraps_like_openssl() {
        let k = DirectionKeys {
            key: (0..16).collect(),
            iv: vec![0xff; 15].into_iter().chain([0xfe]).collect(),
            mac_key: vec![],
        };
        let (e, _) = engine("aes128-ctr", &k, Dir::Encrypt).unwrap();
        let Engine::Block(mut m) = e else { panic!() };
        let mut buf: Vec<u8> = (0..64u8).collect();
        m.apply(&mut buf[..16]);
        m.apply(&mut buf[16..]);
        assert_eq!(buf, hex(include_str!("testdata/aes128-ctr-wrap.hex")));
    }

    #[test]
    fn engines_are_send() {
        fn is_send<T: Send>() {}
        is_send::<Engine>();
        is_send::<crate::proto::transport::Sealer>();
        is_send::<crate::proto::transport::Opener>();
        is_send::<crate::proto::transport::Compressor>();
        is_send::<crate::proto::transport::Decompressor>();
    }

    #[test]
    fn gcm_counter_advances_and_matches_rustcrypto() {
        use aes_gcm::aead::{AeadInPlace, KeyInit};
        let k = keys(16, 12);
        let (e, _) = engine("aes128-gcm@openssh.com", &k, Dir::Encrypt).unwrap();
        let Engine::Gcm(mut g) = e else { panic!() };
        let other = aes_gcm::Aes128Gcm::new_from_slice(&k.key).unwrap();
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&k.iv);
        for round in 0..3u8 {
            let len = [0, 0, 0, 32];
            let mut body = [round; 32];
            let mut body2 = body;
            let tag = g.seal(&len, &mut body).unwrap();
            let tag2 = other.encrypt_in_place_detached(aes_gcm::Nonce::from_slice(&nonce), &len, &mut body2).unwrap();
            assert_eq!(body, body2);
            assert_eq!(&tag[..], &tag2[..]);
            // The invocation counter is the low 8 bytes, big-endian.
            let c = u64::from_be_bytes(nonce[4..].try_into().unwrap()) + 1;
            nonce[4..].copy_from_slice(&c.to_be_bytes());
        }
    }

    #[test]
    fn rejects_unknown_and_short_keys() {
        let k = keys(15, 16);
        assert_eq!(engine("aes128-ctr", &k, Dir::Encrypt).err().unwrap().code, code::INVAL);
        assert_eq!(engine("blowfish-cbc", &k, Dir::Encrypt).err().unwrap().code, code::METHOD_NOT_SUPPORTED);
        let k = keys(64, 0);
        assert!(engine("chacha20-poly1305@openssh.com", &k, Dir::Decrypt).is_ok());
        assert!(engine("aes256-gcm@openssh.com", &keys(32, 11), Dir::Decrypt).is_err());
    }
}
