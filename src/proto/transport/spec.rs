//! The transport's leaf definitions: packet size limits, the cipher and MAC
//! registries and name lists, and the per-direction keys. Every other
//! transport module depends on this one and it depends on none of them.

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Largest `packet_length` accepted from the peer (libssh2's own limit); a
/// bigger value is refused before any buffer is sized for it.
pub const MAX_PACKET_LEN: usize = 40000;

/// Largest payload a compressed packet may inflate to. It bounds the payload
/// itself (not the framed packet), so it is the same 40000 that libssh2 uses:
/// an inflated payload of exactly 40000 bytes is accepted, 40001 is not.
pub const MAX_INFLATED_PAYLOAD: usize = 40000;

/// Largest `packet_length` this side will produce: OpenSSH's receive limit
/// (256 KiB), far above anything the session layer sends.
pub const MAX_OUT_PACKET_LEN: usize = 256 * 1024;

/// Smallest `packet_length`: the padding-length byte plus four bytes of padding.
pub const MIN_PACKET_LEN: usize = 5;

/// Minimum number of random padding bytes (RFC 4253 section 6).
pub const MIN_PADDING: usize = 4;

/// Block size used for alignment when the cipher's block is smaller (or none).
pub const MIN_ALIGN: usize = 8;

/// Cipher registry entry.
#[derive(Debug)]
pub struct CipherSpec {
    /// Name as it appears in KEXINIT.
    pub name: &'static str,
    /// Key bytes taken from the key derivation.
    pub key_len: usize,
    /// IV bytes taken from the key derivation.
    pub iv_len: usize,
    /// Cipher block size (alignment unit of the packet).
    pub block_size: usize,
    /// The cipher authenticates the packet itself; no MAC is negotiated.
    pub aead: bool,
}

/// Name of the ChaCha20-Poly1305 AEAD (OpenSSH PROTOCOL.chacha20poly1305).
pub const CHACHA20_POLY1305: &str = "chacha20-poly1305@openssh.com";

/// Every cipher this crate implements.
#[rustfmt::skip]
pub(super) static CIPHERS: &[CipherSpec] = &[
    CipherSpec { name: CHACHA20_POLY1305, key_len: 64, iv_len: 0, block_size: 8, aead: true },
    CipherSpec { name: "aes256-gcm@openssh.com", key_len: 32, iv_len: 12, block_size: 16, aead: true },
    CipherSpec { name: "aes128-gcm@openssh.com", key_len: 16, iv_len: 12, block_size: 16, aead: true },
    CipherSpec { name: "aes256-ctr", key_len: 32, iv_len: 16, block_size: 16, aead: false },
    CipherSpec { name: "aes192-ctr", key_len: 24, iv_len: 16, block_size: 16, aead: false },
    CipherSpec { name: "aes128-ctr", key_len: 16, iv_len: 16, block_size: 16, aead: false },
    CipherSpec { name: "aes256-cbc", key_len: 32, iv_len: 16, block_size: 16, aead: false },
    CipherSpec { name: "rijndael-cbc@lysator.liu.se", key_len: 32, iv_len: 16, block_size: 16, aead: false },
    CipherSpec { name: "aes192-cbc", key_len: 24, iv_len: 16, block_size: 16, aead: false },
    CipherSpec { name: "aes128-cbc", key_len: 16, iv_len: 16, block_size: 16, aead: false },
    CipherSpec { name: "blowfish-cbc", key_len: 16, iv_len: 8, block_size: 8, aead: false },
    CipherSpec { name: "arcfour128", key_len: 16, iv_len: 0, block_size: 8, aead: false },
    CipherSpec { name: "arcfour", key_len: 16, iv_len: 0, block_size: 8, aead: false },
    CipherSpec { name: "cast128-cbc", key_len: 16, iv_len: 8, block_size: 8, aead: false },
    CipherSpec { name: "3des-cbc", key_len: 24, iv_len: 8, block_size: 8, aead: false },
];

/// Looks up a cipher by its KEXINIT name.
pub fn cipher_spec(name: &str) -> Option<&'static CipherSpec> {
    CIPHERS.iter().find(|c| c.name == name)
}

/// Client cipher preference: libssh2 1.11.1's list in its order (AEADs, CTR,
/// CBC, then the legacy ciphers it still offers), so that a server picks what
/// it would pick for libssh2.
pub const DEFAULT_CIPHERS: &[&str] = &[
    CHACHA20_POLY1305,
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
    "aes256-cbc",
    "rijndael-cbc@lysator.liu.se",
    "aes192-cbc",
    "aes128-cbc",
    "blowfish-cbc",
    "arcfour128",
    "arcfour",
    "cast128-cbc",
    "3des-cbc",
];

/// Every cipher name [`Sealer::new`] and [`Opener::new`] accept.
pub const SUPPORTED_CIPHERS: &[&str] = DEFAULT_CIPHERS;

/// MAC registry entry.
#[derive(Debug)]
pub struct MacSpec {
    /// Name as it appears in KEXINIT.
    pub name: &'static str,
    /// Key bytes taken from the key derivation.
    pub key_len: usize,
    /// Bytes of MAC appended to each packet (after truncation).
    pub out_len: usize,
    /// Encrypt-then-MAC: length in clear, MAC over the ciphertext.
    pub etm: bool,
}

/// Every MAC this crate implements.
#[rustfmt::skip]
pub(super) static MACS: &[MacSpec] = &[
    MacSpec { name: "hmac-sha2-256", key_len: 32, out_len: 32, etm: false },
    MacSpec { name: "hmac-sha2-256-etm@openssh.com", key_len: 32, out_len: 32, etm: true },
    MacSpec { name: "hmac-sha2-512", key_len: 64, out_len: 64, etm: false },
    MacSpec { name: "hmac-sha2-512-etm@openssh.com", key_len: 64, out_len: 64, etm: true },
    MacSpec { name: "hmac-sha1", key_len: 20, out_len: 20, etm: false },
    MacSpec { name: "hmac-sha1-etm@openssh.com", key_len: 20, out_len: 20, etm: true },
    MacSpec { name: "hmac-sha1-96", key_len: 20, out_len: 12, etm: false },
    MacSpec { name: "hmac-md5", key_len: 16, out_len: 16, etm: false },
    MacSpec { name: "hmac-md5-96", key_len: 16, out_len: 12, etm: false },
    MacSpec { name: "hmac-ripemd160", key_len: 20, out_len: 20, etm: false },
    MacSpec { name: "hmac-ripemd160@openssh.com", key_len: 20, out_len: 20, etm: false },
    MacSpec { name: "hmac-sha1-96-etm@openssh.com", key_len: 20, out_len: 12, etm: true },
    MacSpec { name: "hmac-md5-etm@openssh.com", key_len: 16, out_len: 16, etm: true },
    MacSpec { name: "hmac-md5-96-etm@openssh.com", key_len: 16, out_len: 12, etm: true },
];

/// Looks up a MAC by its KEXINIT name.
pub fn mac_spec(name: &str) -> Option<&'static MacSpec> {
    MACS.iter().find(|m| m.name == name)
}

/// How many of [`SUPPORTED_MACS`], from the front, are libssh2 1.11.1's list.
const LIBSSH2_MAC_COUNT: usize = 11;

/// Every MAC name accepted: libssh2 1.11.1's list in its order (also the
/// defaults), then OpenSSH's remaining EtM forms.
pub const SUPPORTED_MACS: &[&str] = &[
    "hmac-sha2-256",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1",
    "hmac-sha1-etm@openssh.com",
    "hmac-sha1-96",
    "hmac-md5",
    "hmac-md5-96",
    "hmac-ripemd160",
    "hmac-ripemd160@openssh.com",
    "hmac-sha1-96-etm@openssh.com",
    "hmac-md5-etm@openssh.com",
    "hmac-md5-96-etm@openssh.com",
];

/// Client MAC preference: libssh2 1.11.1's list, so that the server agrees on
/// the MAC it would agree on with libssh2.
pub const DEFAULT_MACS: &[&str] = SUPPORTED_MACS.split_at(LIBSSH2_MAC_COUNT).0;

/// Client compression preference while compression is off (libssh2's
/// default: `LIBSSH2_FLAG_COMPRESS` not set).
pub const DEFAULT_COMPRESSION: &[&str] = &["none"];

/// Client compression preference with `LIBSSH2_FLAG_COMPRESS` set, in
/// libssh2 1.11.1's order.
pub const COMPRESSION_WHEN_ENABLED: &[&str] = &["zlib", "zlib@openssh.com", "none"];

/// Every compression method: "zlib" starts right after NEWKEYS,
/// "zlib@openssh.com" only after user authentication succeeds (the session
/// decides when to create the [`Compressor`]/[`Decompressor`]).
pub const SUPPORTED_COMPRESSION: &[&str] = &["none", "zlib@openssh.com", "zlib"];

/// Keys for one direction, zeroized on drop.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct DirectionKeys {
    /// Initial IV (RFC 4253 7.2 "A"/"B"); may be longer than the cipher needs.
    pub iv: Vec<u8>,
    /// Encryption key ("C"/"D"); may be longer than the cipher needs.
    pub key: Vec<u8>,
    /// Integrity key ("E"/"F"); unused for AEAD ciphers.
    pub mac_key: Vec<u8>,
}

impl std::fmt::Debug for DirectionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirectionKeys { .. }")
    }
}
