//! Three-key triple DES (EDE) in CBC mode for the "3des-cbc" transport cipher
//! (FIPS 46-3 / SP 800-67, RFC 4253 section 6.3).
//!
//! Why not RustCrypto's `des` crate (still used for key files): it computes
//! the expansion and the P permutation bit by bit; `bench/tdes.rs` measures it
//! at 2.4 times slower than this engine (docs/benchmarks.md), and a 3des-cbc
//! download was CPU-bound on our side. Here, as in OpenSSL and most
//! fast implementations, each S-box is merged with P into a 64-entry table of
//! 32-bit words at compile time, so a round is eight rotations, XORs and
//! lookups. Like OpenSSL's, the lookups are indexed by secret data; 3DES is a
//! legacy algorithm offered only when the application enables it.

use super::cipher::BlockMode;
use zeroize::Zeroize;

/// Block size in bytes.
const BLOCK: usize = 8;
/// Key length in bytes: three independent DES keys.
pub(crate) const KEY_LEN: usize = 24;
/// Rounds of one DES operation.
const ROUNDS: usize = 16;
/// Rounds of one triple-DES operation.
const TDES_ROUNDS: usize = 3 * ROUNDS;

// The standard's tables. Bits are numbered from 1 = most significant; entry i
// of a permutation names the input bit that becomes output bit i + 1.

/// Initial permutation IP (its inverse, the final permutation, is derived).
const IP: [u8; 64] = [
    58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32,
    24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47,
    39, 31, 23, 15, 7,
];

/// Permutation P applied to the S-boxes' 32 output bits.
const P: [u8; 32] = [
    16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4,
    25,
];

/// Permuted choice 1: the 56 key bits (parity bits dropped) as C || D.
const PC1: [u8; 56] = [
    57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55,
    47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];

/// Permuted choice 2: the 48-bit round key from the 56-bit C || D.
const PC2: [u8; 48] = [
    14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30,
    40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];

/// Left rotations of C and D before each round.
const SHIFTS: [u32; ROUNDS] = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

/// The eight S-boxes in the standard's layout: row (outer input bits), column
/// (middle four bits).
#[rustfmt::skip]
const SBOX: [[[u8; 16]; 4]; 8] = [
    [[14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7],
     [0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8],
     [4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0],
     [15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13]],
    [[15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10],
     [3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5],
     [0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15],
     [13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9]],
    [[10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8],
     [13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1],
     [13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7],
     [1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12]],
    [[7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15],
     [13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9],
     [10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4],
     [3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14]],
    [[2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9],
     [14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6],
     [4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14],
     [11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3]],
    [[12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11],
     [10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8],
     [9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6],
     [4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13]],
    [[4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1],
     [13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6],
     [1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2],
     [6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12]],
    [[13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7],
     [1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2],
     [7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8],
     [2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11]],
];

/// Applies a permutation table to the low `in_bits` bits of `input`.
const fn permute(input: u64, in_bits: u32, table: &[u8]) -> u64 {
    let mut out = 0u64;
    let mut i = 0;
    while i < table.len() {
        out = (out << 1) | ((input >> (in_bits - table[i] as u32)) & 1);
        i += 1;
    }
    out
}

/// The inverse of a 64-entry permutation.
const fn invert(table: &[u8; 64]) -> [u8; 64] {
    let mut inv = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        inv[table[i] as usize - 1] = i as u8 + 1;
        i += 1;
    }
    inv
}

/// A 64-bit permutation as eight byte-indexed tables: the result is the OR of
/// each input byte's contribution.
const fn byte_tables(table: &[u8; 64]) -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut byte = 0;
    while byte < 8 {
        let mut v = 0;
        while v < 256 {
            t[byte][v] = permute((v as u64) << (56 - 8 * byte), 64, table);
            v += 1;
        }
        byte += 1;
    }
    t
}

/// S-box j merged with P, indexed directly by the six input bits.
const fn sp_tables() -> [[u32; 64]; 8] {
    let mut t = [[0u32; 64]; 8];
    let mut j = 0;
    while j < 8 {
        let mut v = 0;
        while v < 64 {
            let row = ((v >> 4) & 2) | (v & 1);
            let col = (v >> 1) & 0xf;
            let s = SBOX[j][row][col] as u64;
            t[j][v] = permute(s << (28 - 4 * j), 32, &P) as u32;
            v += 1;
        }
        j += 1;
    }
    t
}

static IP_TABLES: [[u64; 256]; 8] = byte_tables(&IP);
static FP_TABLES: [[u64; 256]; 8] = byte_tables(&invert(&IP));
static SP: [[u32; 64]; 8] = sp_tables();

/// Applies a byte-table permutation.
fn apply(tables: &[[u64; 256]; 8], x: u64) -> u64 {
    let bytes = x.to_be_bytes();
    let mut out = 0;
    for (t, b) in tables.iter().zip(bytes) {
        out |= t[usize::from(b)];
    }
    out
}

/// One round key: the 48 bits as eight 6-bit groups, one per S-box.
type RoundKey = [u8; 8];

/// The 16 round keys of one DES key (8 bytes, parity bits ignored).
fn schedule(key: &[u8]) -> [RoundKey; ROUNDS] {
    const HALF: u32 = 28;
    const HALF_MASK: u64 = (1 << HALF) - 1;
    let mut k = [0u8; BLOCK];
    k.copy_from_slice(key.get(..BLOCK).unwrap_or(&[0; BLOCK]));
    let cd = permute(u64::from_be_bytes(k), 64, &PC1);
    k.zeroize();
    let (mut c, mut d) = (cd >> HALF, cd & HALF_MASK);
    let mut keys = [[0u8; 8]; ROUNDS];
    for (rk, s) in keys.iter_mut().zip(SHIFTS) {
        c = ((c << s) | (c >> (HALF - s))) & HALF_MASK;
        d = ((d << s) | (d >> (HALF - s))) & HALF_MASK;
        let k48 = permute((c << HALF) | d, 56, &PC2);
        for (j, g) in rk.iter_mut().enumerate() {
            *g = ((k48 >> (42 - 6 * j)) & 0x3f) as u8;
        }
    }
    keys
}

/// The round function: expansion E (as rotations), key mixing, S-boxes and P.
#[inline(always)]
fn f(r: u32, k: &RoundKey) -> u32 {
    // Group j of E(r) is input bits 4j..4j+5 (bit 0 meaning bit 32): rotate
    // them to the top and take six.
    let mut out = 0;
    for (j, (&kj, sp)) in k.iter().zip(SP.iter()).enumerate() {
        let six = (r.rotate_left((4 * j as u32 + 31) % 32) >> 26) as u8 ^ kj;
        out |= sp[usize::from(six & 0x3f)];
    }
    out
}

/// Triple DES with its 48 round keys in the order one direction uses them.
struct Tdes {
    keys: [RoundKey; TDES_ROUNDS],
}

impl Tdes {
    /// EDE with keys k1, k2, k3 (encrypt), or its inverse (decrypt).
    fn new(key: &[u8], decrypt: bool) -> Tdes {
        let mut ks: Vec<[RoundKey; ROUNDS]> = key.chunks(BLOCK).take(3).map(schedule).collect();
        ks.resize(3, [[0; 8]; ROUNDS]);
        // Decrypting with a DES key runs its round keys backwards; EDE
        // decrypts with k2, and its inverse runs k3, k2, k1.
        if decrypt {
            ks.reverse();
            ks[0].reverse();
            ks[2].reverse();
        } else {
            ks[1].reverse();
        }
        let mut keys = [[0u8; 8]; TDES_ROUNDS];
        for (dst, src) in keys.chunks_exact_mut(ROUNDS).zip(&ks) {
            dst.copy_from_slice(src);
        }
        ks.iter_mut().for_each(|k| k.zeroize());
        Tdes { keys }
    }

    /// Transforms one block. The final permutation of each DES stage and the
    /// initial permutation of the next cancel, so only the outer ones run.
    fn crypt(&self, block: u64) -> u64 {
        let x = apply(&IP_TABLES, block);
        let (mut l, mut r) = ((x >> 32) as u32, x as u32);
        for stage in self.keys.chunks_exact(ROUNDS) {
            for k in stage {
                let t = r;
                r = l ^ f(r, k);
                l = t;
            }
            // Each DES stage ends with R16 || L16.
            std::mem::swap(&mut l, &mut r);
        }
        apply(&FP_TABLES, (u64::from(l) << 32) | u64::from(r))
    }
}

impl Drop for Tdes {
    fn drop(&mut self) {
        self.keys.zeroize();
    }
}

/// 3DES-CBC in one direction; the last ciphertext block chains into the next packet.
pub(crate) struct TdesCbc {
    cipher: Tdes,
    iv: u64,
    decrypt: bool,
}

impl TdesCbc {
    /// `key` is 24 bytes (k1 || k2 || k3), `iv` 8 bytes; None when shorter.
    pub(crate) fn new(key: &[u8], iv: &[u8], decrypt: bool) -> Option<TdesCbc> {
        let key = key.get(..KEY_LEN)?;
        let iv: [u8; BLOCK] = iv.get(..BLOCK)?.try_into().ok()?;
        Some(TdesCbc { cipher: Tdes::new(key, decrypt), iv: u64::from_be_bytes(iv), decrypt })
    }
}

impl BlockMode for TdesCbc {
    fn apply(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_exact_mut(BLOCK) {
            let mut b = [0u8; BLOCK];
            b.copy_from_slice(chunk);
            let x = u64::from_be_bytes(b);
            let y = if self.decrypt {
                let p = self.cipher.crypt(x) ^ self.iv;
                self.iv = x;
                p
            } else {
                self.iv = self.cipher.crypt(x ^ self.iv);
                self.iv
            };
            chunk.copy_from_slice(&y.to_be_bytes());
        }
    }
}

impl Drop for TdesCbc {
    fn drop(&mut self) {
        self.iv.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cbc::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};

    /// The worked example of FIPS 46 tutorials (single DES = EDE with k1 = k2 = k3).
    #[test]
    fn single_des_known_answer() {
        let k = 0x1334_5779_9BBC_DFF1u64.to_be_bytes().repeat(3);
        let e = Tdes::new(&k, false);
        assert_eq!(e.crypt(0x0123_4567_89AB_CDEF), 0x85E8_1354_0F0A_B405);
        assert_eq!(Tdes::new(&k, true).crypt(0x85E8_1354_0F0A_B405), 0x0123_4567_89AB_CDEF);
    }

    /// Agrees with RustCrypto's implementation on many keys and blocks.
    #[test]
    fn matches_rustcrypto_tdes() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            let key: Vec<u8> = (0..3).flat_map(|_| next().to_be_bytes()).collect();
            let other = des::TdesEde3::new_from_slice(&key).unwrap();
            let (enc, dec) = (Tdes::new(&key, false), Tdes::new(&key, true));
            for _ in 0..20 {
                let x = next();
                let mut b = x.to_be_bytes().into();
                other.encrypt_block(&mut b);
                let want = u64::from_be_bytes(b.into());
                assert_eq!(enc.crypt(x), want);
                other.decrypt_block(&mut b);
                assert_eq!(dec.crypt(want), x);
            }
        }
    }

    #[test]
    fn cbc_chains_across_calls_and_round_trips() {
        let key: Vec<u8> = (0..24).collect();
        let iv = [9u8; 8];
        let plain: Vec<u8> = (0..64u8).collect();
        let mut whole = plain.clone();
        TdesCbc::new(&key, &iv, false).unwrap().apply(&mut whole);
        let mut split = plain.clone();
        let mut e = TdesCbc::new(&key, &iv, false).unwrap();
        e.apply(&mut split[..24]);
        e.apply(&mut split[24..]);
        assert_eq!(whole, split);
        let mut d = TdesCbc::new(&key, &iv, true).unwrap();
        d.apply(&mut split[..40]);
        d.apply(&mut split[40..]);
        assert_eq!(split, plain);
        assert!(TdesCbc::new(&key[..23], &iv, false).is_none());
        assert!(TdesCbc::new(&key, &iv[..7], true).is_none());
    }
}
