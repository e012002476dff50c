//! Cipher engines: AES-GCM (ring), chacha20-poly1305@openssh.com (RustCrypto
//! ChaCha20 and Poly1305, which pick AVX2 or AVX-512 at run time), the AES
//! CTR/CBC block modes (RustCrypto, AES-NI at run time), 3DES-CBC (tdes.rs)
//! and the legacy ciphers libssh2's OpenSSL build still offers (RustCrypto's
//! Blowfish, CAST5 and RC4).
//! All work in place.

use super::codec::{split_len, LEN_FIELD};
use super::spec::{cipher_spec, CipherSpec, DirectionKeys, CHACHA20_POLY1305};
use crate::crypto::ct_eq;
use crate::error::{code, Error, Result};
use aes::{Aes128, Aes192, Aes256};
use cbc::cipher::inout::InOutBuf;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, StreamCipher};
use chacha20_v10::cipher::{KeyIvInit as _, StreamCipher as _, StreamCipherSeek as _};
use chacha20_v10::ChaCha20Legacy;
use poly1305::universal_hash::{KeyInit as _, UniversalHash as _};
use poly1305::Poly1305;
use ring::aead::{self, Aad, LessSafeKey, Nonce, Tag, UnboundKey};
use zeroize::{Zeroize, ZeroizeOnDrop};

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

/// Keystream bytes arcfour128 and arcfour256 throw away before use (RFC 4345).
const ARCFOUR_DISCARD: usize = 1536;

/// RC4 (arcfour, arcfour128): a stream cipher whose keystream runs on across packets.
struct Arcfour(rc4::Rc4<rc4::consts::U16>);

impl Arcfour {
    /// Keys RC4 and, for the RFC 4345 variants, drops the first `discard` keystream bytes.
    fn new(key: &[u8], discard: usize) -> Option<Self> {
        use rc4::KeyInit as _;
        let mut c = rc4::Rc4::new_from_slice(key).ok()?;
        let mut waste = [0u8; ARCFOUR_DISCARD];
        rc4::StreamCipher::apply_keystream(&mut c, &mut waste[..discard.min(ARCFOUR_DISCARD)]);
        Some(Arcfour(c))
    }
}

impl BlockMode for Arcfour {
    fn apply(&mut self, buf: &mut [u8]) {
        rc4::StreamCipher::apply_keystream(&mut self.0, buf);
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

/// Bytes of one ChaCha20 key (K_1 or K_2).
const CHACHA_KEY_LEN: usize = 32;

/// Bytes of one ChaCha20 block: block 0 of the body stream yields the Poly1305 key.
const CHACHA_BLOCK_LEN: usize = 64;

/// Bytes of the Poly1305 one-time key taken from the front of block 0.
const POLY_KEY_LEN: usize = 32;

/// Poly1305 processes the message in 16-byte blocks.
const POLY_BLOCK_LEN: usize = 16;

/// chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305): the
/// 64-byte key is K_2 || K_1. K_1 encrypts only the 4-byte length; K_2, with
/// block counter 1 on, encrypts the rest, and its block 0 keys a Poly1305 over
/// `encrypted length || ciphertext`. Both streams use the packet sequence
/// number, big-endian in 64 bits, as the (original, 8-byte) ChaCha20 nonce.
///
/// Built from RustCrypto's ChaCha20 and Poly1305 (both constant time), which
/// pick their SIMD code at run time. Measured on AVX-512 hardware: this
/// Poly1305 (AVX2) is about twice ring's scalar one, the one ring uses for this
/// construction; this ChaCha20 is about 0.7x ring's with AVX2, but 1.5x with its
/// AVX-512 code (compiled in with `--cfg chacha20_avx512`, see .cargo/config.toml),
/// so 32 KiB packets seal and open 1.6x faster than with ring. Short packets
/// cost more (about 2.5 us against ring's 0.5 us, Poly1305's set-up), which
/// no measured workload notices.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct ChachaPoly {
    /// K_2: the packet body and the Poly1305 key.
    main: [u8; CHACHA_KEY_LEN],
    /// K_1: the packet length field.
    header: [u8; CHACHA_KEY_LEN],
}

fn chacha_failed() -> Error {
    Error::new(code::ENCRYPT, "chacha20 keystream exhausted")
}

/// One ChaCha20 stream of packet `seq` for the single-block uses (the length
/// field, the Poly1305 key). chacha20 0.9, not 0.10: 0.10's AVX-512 code
/// computes many blocks per call and takes about 400 ns for one, 0.9 about 120.
fn one_block_stream(key: &[u8; CHACHA_KEY_LEN], seq: u32) -> chacha20::ChaCha20Legacy {
    use chacha20::cipher::KeyIvInit as _;
    chacha20::ChaCha20Legacy::new(key.into(), &u64::from(seq).to_be_bytes().into())
}

impl ChachaPoly {
    /// Splits the 64-byte key into K_2 (first half) and K_1 (second half).
    fn new(key: &[u8; 2 * CHACHA_KEY_LEN]) -> Self {
        let mut c = ChachaPoly { main: [0; CHACHA_KEY_LEN], header: [0; CHACHA_KEY_LEN] };
        let (k2, k1) = key.split_at(CHACHA_KEY_LEN);
        c.main.copy_from_slice(k2);
        c.header.copy_from_slice(k1);
        c
    }

    /// Encrypts or decrypts (the same XOR) the 4-byte length field of packet `seq`.
    pub(crate) fn crypt_length(&self, seq: u32, len: &mut [u8; 4]) -> Result<()> {
        use chacha20::cipher::StreamCipher as _;
        one_block_stream(&self.header, seq).try_apply_keystream(len).map_err(|_| chacha_failed())
    }

    /// The body cipher of packet `seq`, positioned at block 1, and the
    /// Poly1305 keyed from block 0.
    fn body(&self, seq: u32) -> Result<(ChaCha20Legacy, Poly1305)> {
        use chacha20::cipher::StreamCipher as _;
        let mut block0 = [0u8; CHACHA_BLOCK_LEN];
        one_block_stream(&self.main, seq).try_apply_keystream(&mut block0).map_err(|_| chacha_failed())?;
        let mut pk = [0u8; POLY_KEY_LEN];
        pk.copy_from_slice(block0.get(..POLY_KEY_LEN).unwrap_or_default());
        let poly = Poly1305::new((&pk).into());
        block0.zeroize();
        pk.zeroize();
        let mut c = ChaCha20Legacy::new((&self.main).into(), &u64::from(seq).to_be_bytes().into());
        c.try_seek(CHACHA_BLOCK_LEN as u64).map_err(|_| chacha_failed())?;
        Ok((c, poly))
    }

    /// Poly1305 of `data` without padding. Whole blocks go through the
    /// multi-block interface (four blocks per AVX2 step); only the final
    /// partial block, if any, takes the one-block path.
    fn tag(poly: Poly1305, data: &[u8]) -> [u8; AEAD_TAG_LEN] {
        let (blocks, tail) = data.split_at(data.len() - data.len() % POLY_BLOCK_LEN);
        let mut poly = poly;
        // A whole number of blocks: update_padded adds no padding here.
        poly.update_padded(blocks);
        poly.compute_unpadded(tail).into()
    }

    /// Encrypts `pkt` (`length || padding_length || payload || padding`) in
    /// place and returns the tag over the ciphertext.
    pub(crate) fn seal(&self, seq: u32, pkt: &mut [u8]) -> Result<[u8; AEAD_TAG_LEN]> {
        let (mut len, body) = split_len(pkt)?;
        let (mut c, poly) = self.body(seq)?;
        c.try_apply_keystream(body).map_err(|_| chacha_failed())?;
        self.crypt_length(seq, &mut len)?;
        if let Some(l) = pkt.get_mut(..LEN_FIELD) {
            l.copy_from_slice(&len);
        }
        Ok(Self::tag(poly, pkt))
    }

    /// Checks `tag` over `pkt` (encrypted length || ciphertext) in constant
    /// time, then decrypts everything after the length field in place. On a
    /// mismatch nothing is decrypted.
    pub(crate) fn open(&self, seq: u32, pkt: &mut [u8], tag: &[u8]) -> Result<()> {
        let (mut c, poly) = self.body(seq)?;
        if !ct_eq(&Self::tag(poly, pkt), tag) {
            return Err(Error::new(code::DECRYPT, "chacha20-poly1305 authentication failed"));
        }
        let body = pkt.get_mut(LEN_FIELD..).ok_or_else(|| Error::proto("packet shorter than its length field"))?;
        c.try_apply_keystream(body).map_err(|_| Error::new(code::DECRYPT, "chacha20 keystream exhausted"))
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
    /// chacha20-poly1305@openssh.com (the same state seals and opens).
    Chacha(Box<ChachaPoly>),
}

/// Which direction an engine is built for (CBC differs).
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
        CHACHA20_POLY1305 => {
            let key: &[u8; 2 * CHACHA_KEY_LEN] = k.try_into().map_err(|_| short_key())?;
            Engine::Chacha(Box::new(ChachaPoly::new(key)))
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
        "blowfish-cbc" => cbc_engine!(blowfish::Blowfish, dir, k, iv).map_err(bad)?,
        "cast128-cbc" => cbc_engine!(cast5::Cast5, dir, k, iv).map_err(bad)?,
        "arcfour" => block(Arcfour::new(k, 0).ok_or_else(short_key)?),
        "arcfour128" => block(Arcfour::new(k, ARCFOUR_DISCARD).ok_or_else(short_key)?),
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
        // `openssl enc -provider legacy -bf-cbc / -cast5-cbc / -rc4`; arcfour128 is
        // the RC4 output after 1536 bytes of keystream (RFC 4345).
        ("blowfish-cbc", include_str!("testdata/blowfish-cbc.hex")),
        ("cast128-cbc", include_str!("testdata/cast128-cbc.hex")),
        ("arcfour", include_str!("testdata/arcfour.hex")),
        ("arcfour128", include_str!("testdata/arcfour128.hex")),
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

    fn chacha_key() -> [u8; 64] {
        core::array::from_fn(|i| (i as u8).wrapping_mul(29).wrapping_add(5))
    }

    /// Every length from an empty body to several Poly1305 blocks (each
    /// possible final partial block) and longer ones, at sequence numbers
    /// near both ends, against ring's independent implementation of the same
    /// construction: seal, the length field alone, open, and a tampered packet.
    #[test]
    fn chacha_matches_ring_openssh_every_length() {
        use ring::aead::chacha20_poly1305_openssh as ring_cp;
        let key = chacha_key();
        let ours = ChachaPoly::new(&key);
        let (rs, ro) = (ring_cp::SealingKey::new(&key), ring_cp::OpeningKey::new(&key));
        // Short lengths one by one, then longer ones that cross the 4-, 8- and
        // 16-block strides of the SIMD keystream code with many different tails.
        let lens = (4..=300usize).chain((300..5000).step_by(61)).chain([32 * 1024 + 12, 40_004, 262_148]);
        for seq in [0u32, 1, 0x7fff_ffff, 0xffff_ffff] {
            for n in lens.clone() {
                let plain: Vec<u8> = (0..n).map(|i| (i as u8) ^ (seq as u8)).collect();
                let mut a = plain.clone();
                let tag = ours.seal(seq, &mut a).unwrap();
                let mut b = plain.clone();
                let mut rtag = [0u8; 16];
                rs.seal_in_place(seq, &mut b, &mut rtag);
                assert_eq!((&a, tag), (&b, rtag), "seal seq {seq} len {n}");
                // The length field decrypts alone, before the tag is checked.
                let mut len: [u8; 4] = a[..4].try_into().unwrap();
                ours.crypt_length(seq, &mut len).unwrap();
                assert_eq!(len, ro.decrypt_packet_length(seq, b[..4].try_into().unwrap()));
                assert_eq!(&len, &plain[..4]);
                ours.open(seq, &mut a, &tag).unwrap();
                assert_eq!(&a[4..], &plain[4..], "open seq {seq} len {n}");
                // Any flipped byte (here the last) fails authentication.
                let mut bad = b.clone();
                *bad.last_mut().unwrap() ^= 0x40;
                assert_eq!(ours.open(seq, &mut bad, &tag).unwrap_err().code, code::DECRYPT, "tampered {seq} {n}");
                // And ring opens what we sealed.
                ro.open_in_place(seq, &mut b, &rtag).unwrap();
                assert_eq!(&b[4..], &plain[4..]);
            }
        }
    }

    /// A bad tag, a wrong sequence number or a flipped ciphertext bit is
    /// rejected with DECRYPT, and nothing is decrypted.
    #[test]
    fn chacha_open_rejects_before_decrypting() {
        let c = ChachaPoly::new(&chacha_key());
        for n in [37, 5000] {
            let mut pkt = vec![0x42u8; n];
            let tag = c.seal(9, &mut pkt).unwrap();
            let sealed = pkt.clone();
            let mut bad_tag = tag;
            bad_tag[15] ^= 0x80;
            assert_eq!(c.open(9, &mut pkt, &bad_tag).unwrap_err().code, code::DECRYPT);
            assert_eq!(c.open(10, &mut pkt, &tag).unwrap_err().code, code::DECRYPT);
            assert_eq!(c.open(9, &mut pkt, &tag[..15]).unwrap_err().code, code::DECRYPT);
            pkt[20] ^= 1;
            assert_eq!(c.open(9, &mut pkt, &tag).unwrap_err().code, code::DECRYPT);
            pkt[20] ^= 1;
            assert_eq!(pkt, sealed, "nothing decrypted on failure");
            c.open(9, &mut pkt, &tag).unwrap();
            assert_eq!(&pkt[4..], &vec![0x42; n - 4][..]);
        }
        for n in 0..LEN_FIELD {
            assert!(c.seal(0, &mut vec![0u8; n]).is_err());
            assert!(c.open(0, &mut vec![0u8; n], &[0; 16]).is_err());
        }
    }

    /// CPU time of seal + open per packet size, ring's construction against
    /// ours. Run with `cargo test --release --lib
    /// proto::transport -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn chacha_engine_throughput() {
        use ring::aead::chacha20_poly1305_openssh as ring_cp;
        /// Bytes processed per case.
        const TOTAL: usize = 64 << 20;
        let cpu_ns = || -> u64 {
            std::fs::read_to_string("/proc/thread-self/schedstat")
                .ok()
                .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
                .unwrap_or(0)
        };
        let key = chacha_key();
        let ours = ChachaPoly::new(&key);
        let (rs, ro) = (ring_cp::SealingKey::new(&key), ring_cp::OpeningKey::new(&key));
        println!("seal+open, MB/s of packet per CPU-second (ns per packet)");
        for n in [64, 256, 1024, 4096, 16 * 1024, 32 * 1024] {
            let reps = (TOTAL / n) as u32;
            let mut buf = vec![7u8; n];
            let mut line = format!("{n:>6} B");
            let mut run = |name: &str, f: &mut dyn FnMut(u32, &mut [u8])| {
                let t = cpu_ns();
                for seq in 0..reps {
                    f(seq, &mut buf);
                }
                let secs = (cpu_ns() - t) as f64 / 1e9;
                let (mb, ns) = ((reps as usize * n) as f64 / 1e6 / secs, secs * 1e9 / f64::from(reps));
                line += &format!("  {name} {mb:>5.0} ({ns:>6.0})");
            };
            run("ring", &mut |seq, b| {
                let mut tag = [0u8; 16];
                rs.seal_in_place(seq, b, &mut tag);
                ro.open_in_place(seq, b, &tag).unwrap();
            });
            run("ours", &mut |seq, b| {
                let t = ours.seal(seq, b).unwrap();
                ours.open(seq, b, &t).unwrap();
            });
            println!("{line}");
        }
    }

    #[test]
    fn rejects_unknown_and_short_keys() {
        let k = keys(15, 16);
        assert_eq!(engine("aes128-ctr", &k, Dir::Encrypt).err().unwrap().code, code::INVAL);
        assert_eq!(engine("blowfish-cbc", &k, Dir::Encrypt).err().unwrap().code, code::INVAL);
        assert_eq!(engine("twofish-cbc", &k, Dir::Encrypt).err().unwrap().code, code::METHOD_NOT_SUPPORTED);
        let k = keys(64, 0);
        assert!(engine("chacha20-poly1305@openssh.com", &k, Dir::Decrypt).is_ok());
        assert!(engine("aes256-gcm@openssh.com", &keys(32, 11), Dir::Decrypt).is_err());
    }
}
