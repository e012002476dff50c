//! OpenSSH's own private key format (openssh-key-v1, OpenSSH PROTOCOL.key), plain or
//! encrypted with bcrypt-pbkdf and any of aes{128,192,256}-{ctr,cbc},
//! aes{128,256}-gcm@openssh.com, chacha20-poly1305@openssh.com or 3des-cbc.
//!
//! Hand-parsed rather than through the ssh-key crate: its 0.6 decoder rejects ECDSA
//! scalars that are shorter than the field (half of all P-521 keys).

use super::alg;
use super::secret::{unrecognized, Curve, Secret};
use crate::error::{code, Error, Result};
use crate::proto::wire::Reader;
use zeroize::Zeroizing;

/// The PEM label of an OpenSSH private key.
pub(crate) const LABEL: &str = "OPENSSH PRIVATE KEY";
/// The magic string (with its NUL) that opens the decoded body.
const MAGIC: &[u8] = b"openssh-key-v1\0";
/// Most bcrypt-pbkdf rounds we run: ssh-keygen uses 16 (and 100 is a common -a); each
/// round costs milliseconds, so a corrupt count must not stall the caller.
#[cfg(not(any(fuzzing, feature = "fuzzing")))]
pub const MAX_BCRYPT_ROUNDS: u32 = 4096;
/// Fuzzing builds stop at 64 rounds: a larger count is legitimate, and only
/// slow (seconds per key under AddressSanitizer), not a hang to report.
#[cfg(any(fuzzing, feature = "fuzzing"))]
pub const MAX_BCRYPT_ROUNDS: u32 = 64;
/// Length of the authentication tag of the AEAD ciphers.
const TAG_LEN: usize = 16;
/// Largest cipher block size: padding is always shorter than this.
const MAX_BLOCK: usize = 16;

/// libssh2's error for a wrong or missing passphrase on an OpenSSH-format key.
fn wrong_passphrase() -> Error {
    Error::new(code::KEYFILE_AUTH_FAILED, "Private key unpack failed (correct password?)")
}

/// How a cipher of the key file works.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ctr,
    Cbc,
    Gcm,
    ChaChaPoly,
}

/// (name, key length, iv length, block size, mode) for each cipher OpenSSH may use.
const CIPHERS: &[(&str, usize, usize, usize, Mode)] = &[
    ("aes128-ctr", 16, 16, 16, Mode::Ctr),
    ("aes192-ctr", 24, 16, 16, Mode::Ctr),
    ("aes256-ctr", 32, 16, 16, Mode::Ctr),
    ("aes128-cbc", 16, 16, 16, Mode::Cbc),
    ("aes192-cbc", 24, 16, 16, Mode::Cbc),
    ("aes256-cbc", 32, 16, 16, Mode::Cbc),
    ("3des-cbc", 24, 8, 8, Mode::Cbc),
    ("aes128-gcm@openssh.com", 16, 12, 16, Mode::Gcm),
    ("aes256-gcm@openssh.com", 32, 12, 16, Mode::Gcm),
    ("chacha20-poly1305@openssh.com", 64, 0, 8, Mode::ChaChaPoly),
];

/// Loads a key from the decoded body of an "OPENSSH PRIVATE KEY" block.
pub(crate) fn load(body: &[u8], passphrase: Option<&[u8]>) -> Result<Secret> {
    let rest = body.strip_prefix(MAGIC).ok_or_else(unrecognized)?;
    let mut r = Reader::with_code(rest, code::FILE);
    let cipher_name = r.str()?;
    let kdf_name = r.str()?;
    let kdf_opts = r.string()?;
    if r.u32()? != 1 {
        return Err(unrecognized()); // PROTOCOL.key allows several; ssh-keygen writes one
    }
    let public_blob = r.string()?;
    let section = r.string()?;
    let plain = if cipher_name == "none" {
        if kdf_name != "none" || !kdf_opts.is_empty() {
            return Err(unrecognized());
        }
        r.finish().map_err(|_| unrecognized())?;
        Zeroizing::new(section.to_vec())
    } else {
        let &(_, key_len, iv_len, block, mode) =
            CIPHERS.iter().find(|c| c.0 == cipher_name).ok_or_else(unrecognized)?;
        let tag = if matches!(mode, Mode::Gcm | Mode::ChaChaPoly) { r.bytes(TAG_LEN)? } else { &[] };
        r.finish().map_err(|_| unrecognized())?;
        if kdf_name != "bcrypt" || section.len() % block != 0 {
            return Err(unrecognized());
        }
        let mut k = Reader::with_code(kdf_opts, code::FILE);
        let salt = k.string()?;
        let rounds = k.u32()?;
        k.finish()?;
        if rounds == 0 || rounds > MAX_BCRYPT_ROUNDS || salt.is_empty() {
            return Err(unrecognized());
        }
        let pass = passphrase.ok_or_else(wrong_passphrase)?;
        let mut km = Zeroizing::new(vec![0u8; key_len + iv_len]);
        bcrypt_pbkdf::bcrypt_pbkdf(pass, salt, rounds, &mut km).map_err(|_| unrecognized())?;
        let (key, iv) = km.split_at(key_len);
        let mut buf = Zeroizing::new(section.to_vec());
        decrypt(cipher_name, mode, key, iv, &mut buf, tag)?;
        buf
    };
    let secret = parse_private_section(&plain, cipher_name != "none")?;
    // The clear public key must be the one the private key yields.
    if secret.public_blob() != public_blob {
        return Err(unrecognized());
    }
    Ok(secret)
}

/// Decrypts the private section in place; a failed tag is a wrong passphrase.
fn decrypt(name: &str, mode: Mode, key: &[u8], iv: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<()> {
    use cbc::cipher::{BlockDecryptMut, KeyIvInit, StreamCipher, StreamCipherSeek};
    let bad = |_| unrecognized();
    match mode {
        Mode::Ctr => {
            let mut c: Box<dyn StreamCipher> = match key.len() {
                16 => Box::new(ctr::Ctr128BE::<aes::Aes128>::new_from_slices(key, iv).map_err(bad)?),
                24 => Box::new(ctr::Ctr128BE::<aes::Aes192>::new_from_slices(key, iv).map_err(bad)?),
                _ => Box::new(ctr::Ctr128BE::<aes::Aes256>::new_from_slices(key, iv).map_err(bad)?),
            };
            c.apply_keystream(buf);
        }
        Mode::Cbc => {
            use cbc::cipher::block_padding::NoPadding;
            let done = match (name, key.len()) {
                ("3des-cbc", _) => cbc::Decryptor::<des::TdesEde3>::new_from_slices(key, iv)
                    .map_err(bad)?
                    .decrypt_padded_mut::<NoPadding>(buf)
                    .is_ok(),
                (_, 16) => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
                    .map_err(bad)?
                    .decrypt_padded_mut::<NoPadding>(buf)
                    .is_ok(),
                (_, 24) => cbc::Decryptor::<aes::Aes192>::new_from_slices(key, iv)
                    .map_err(bad)?
                    .decrypt_padded_mut::<NoPadding>(buf)
                    .is_ok(),
                _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
                    .map_err(bad)?
                    .decrypt_padded_mut::<NoPadding>(buf)
                    .is_ok(),
            };
            if !done {
                return Err(unrecognized());
            }
        }
        Mode::Gcm => {
            use ring::aead;
            let algo = if key.len() == 16 { &aead::AES_128_GCM } else { &aead::AES_256_GCM };
            let k = aead::LessSafeKey::new(aead::UnboundKey::new(algo, key).map_err(|_| unrecognized())?);
            let nonce = aead::Nonce::try_assume_unique_for_key(iv).map_err(|_| unrecognized())?;
            let mut joined = Zeroizing::new([&*buf, tag].concat());
            let plain = k.open_in_place(nonce, aead::Aad::empty(), &mut joined).map_err(|_| wrong_passphrase())?;
            buf.copy_from_slice(plain);
        }
        Mode::ChaChaPoly => {
            // PROTOCOL.chacha20poly1305 with sequence number 0 and no length field: the
            // first 32 key bytes (K_2) key both the Poly1305 key block and the payload.
            use chacha20::cipher::KeyIvInit as _;
            let k2 = key.get(..32).ok_or_else(unrecognized)?;
            let mut c = chacha20::ChaCha20Legacy::new_from_slices(k2, &[0u8; 8]).map_err(bad)?;
            let mut poly_key = Zeroizing::new([0u8; 32]);
            c.apply_keystream(&mut *poly_key);
            let mac =
                <poly1305::Poly1305 as poly1305::universal_hash::KeyInit>::new_from_slice(&*poly_key).map_err(bad)?;
            let expected = mac.compute_unpadded(buf);
            if !crate::crypto::ct_eq(&expected, tag) {
                return Err(wrong_passphrase());
            }
            c.seek(64u64);
            c.apply_keystream(buf);
        }
    }
    Ok(())
}

/// Parses the (decrypted) private section: check integers, one key, comment, padding.
fn parse_private_section(plain: &[u8], encrypted: bool) -> Result<Secret> {
    let mut r = Reader::with_code(plain, code::FILE);
    let (c1, c2) = (r.u32()?, r.u32()?);
    if c1 != c2 {
        // Garbage check integers after decryption mean the key was derived wrongly.
        return Err(if encrypted { wrong_passphrase() } else { unrecognized() });
    }
    let kind = r.str().map_err(|_| unrecognized())?;
    let secret = match kind {
        alg::SSH_ED25519 => {
            let pk = r.string()?;
            let sk = r.string()?;
            // The 64-byte secret is seed || public key.
            if sk.len() != 64 || sk.get(32..) != Some(pk) {
                return Err(unrecognized());
            }
            Secret::ed25519(sk.get(..32).ok_or_else(unrecognized)?)?
        }
        alg::ECDSA_NISTP256 | alg::ECDSA_NISTP384 | alg::ECDSA_NISTP521 => {
            let curve = match kind {
                alg::ECDSA_NISTP256 => Curve::P256,
                alg::ECDSA_NISTP384 => Curve::P384,
                _ => Curve::P521,
            };
            if Some(r.str()?) != kind.strip_prefix("ecdsa-sha2-") {
                return Err(unrecognized());
            }
            let _q = r.string()?; // checked through the public blob comparison
            Secret::ecdsa(curve, r.mpint()?)?
        }
        alg::SSH_RSA => {
            let (n, e, d, _iqmp, p, q) = (r.mpint()?, r.mpint()?, r.mpint()?, r.mpint()?, r.mpint()?, r.mpint()?);
            Secret::rsa(n, e, d, p, q)?
        }
        alg::SSH_DSS => {
            let (p, q, g, y, x) = (r.mpint()?, r.mpint()?, r.mpint()?, r.mpint()?, r.mpint()?);
            Secret::dsa(p, q, g, Some(y), x)?
        }
        _ => return Err(unrecognized()),
    };
    r.string()?; // comment
    let pad = r.rest();
    // Padding is 1, 2, 3, ... up to less than a cipher block.
    if pad.len() >= MAX_BLOCK || pad.iter().enumerate().any(|(i, &b)| usize::from(b) != i + 1) {
        return Err(unrecognized());
    }
    Ok(secret)
}
