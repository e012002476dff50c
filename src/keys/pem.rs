//! PEM armor (RFC 7468, with RFC 1421 headers) and the OpenSSL key formats inside it:
//! PKCS#1 RSA, SEC1 EC and OpenSSL's DSA structure, optionally encrypted with the legacy
//! Proc-Type/DEK-Info scheme, and PKCS#8 (RFC 5208), optionally PBES2-encrypted (RFC 8018).

use super::secret::{unrecognized, Curve, Secret};
use crate::error::Result;
use der::asn1::{ObjectIdentifier, OctetStringRef, UintRef};
use der::{Decode, Reader as _};
use zeroize::Zeroizing;

/// Largest PBKDF2 iteration count we run (OpenSSL writes 2048; far more is an attack or corruption).
pub const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;
/// Longest DEK-Info initialisation vector accepted, in bytes (AES's block).
const MAX_DEK_IV: usize = 16;
/// The salt EVP_BytesToKey takes from the front of the IV.
const DEK_SALT_LEN: usize = 8;

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_DSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// One PEM block: its label, RFC 1421 headers and decoded body.
pub(crate) struct Armor {
    pub(crate) label: String,
    headers: Vec<(String, String)>,
    pub(crate) body: Zeroizing<Vec<u8>>,
}

impl Armor {
    /// Finds the first "-----BEGIN x-----" block in `data` and decodes it. Lines may end
    /// in CRLF and may be of any width.
    pub(crate) fn parse(data: &[u8]) -> Result<Self> {
        use base64::Engine;
        let text = std::str::from_utf8(data).map_err(|_| unrecognized())?;
        let mut lines = text.lines().map(str::trim);
        let label = lines
            .by_ref()
            .find_map(|l| l.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
            .ok_or_else(unrecognized)?
            .to_owned();
        let end = format!("-----END {label}-----");
        let mut headers = Vec::new();
        let mut b64 = Zeroizing::new(String::new());
        let mut closed = false;
        for line in lines {
            if line == end {
                closed = true;
                break;
            }
            match line.split_once(':') {
                Some((k, v)) if b64.is_empty() => headers.push((k.trim().to_owned(), v.trim().to_owned())),
                _ => b64.push_str(line),
            }
        }
        if !closed {
            return Err(unrecognized());
        }
        let body = base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()).map_err(|_| unrecognized())?;
        Ok(Armor { label, headers, body: Zeroizing::new(body) })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Loads a key from a non-OpenSSH PEM block.
pub(crate) fn load(armor: &Armor, passphrase: super::secret::Passphrase<'_>) -> Result<Secret> {
    match armor.label.as_str() {
        "RSA PRIVATE KEY" => rsa_pkcs1(&legacy_body(armor, passphrase)?),
        "EC PRIVATE KEY" => ec_sec1(&legacy_body(armor, passphrase)?, None),
        "DSA PRIVATE KEY" => dsa_openssl(&legacy_body(armor, passphrase)?),
        "PRIVATE KEY" => pkcs8(&armor.body),
        "ENCRYPTED PRIVATE KEY" => pkcs8(&pkcs8_decrypt(&armor.body, &passphrase().ok_or_else(unrecognized)?)?),
        _ => Err(unrecognized()),
    }
}

/// The DER body of a traditional OpenSSL key, decrypted when it carries Proc-Type/DEK-Info.
fn legacy_body(armor: &Armor, passphrase: super::secret::Passphrase<'_>) -> Result<Zeroizing<Vec<u8>>> {
    let encrypted = armor.header("Proc-Type").is_some_and(|v| v.replace(' ', "") == "4,ENCRYPTED");
    if !encrypted {
        return Ok(armor.body.clone());
    }
    let pass = passphrase().ok_or_else(unrecognized)?;
    let (cipher, iv_hex) = armor.header("DEK-Info").and_then(|v| v.split_once(',')).ok_or_else(unrecognized)?;
    let iv = hex_decode(iv_hex.trim()).ok_or_else(unrecognized)?;
    let (key_len, iv_len) = match cipher.trim() {
        "AES-128-CBC" => (16, 16),
        "AES-192-CBC" => (24, 16),
        "AES-256-CBC" => (32, 16),
        "DES-EDE3-CBC" => (24, 8),
        _ => return Err(unrecognized()),
    };
    if iv.len() != iv_len || iv_len > MAX_DEK_IV {
        return Err(unrecognized());
    }
    let salt = iv.get(..DEK_SALT_LEN).ok_or_else(unrecognized)?;
    let key = evp_bytes_to_key(&pass, salt, key_len);
    let mut buf = armor.body.clone();
    let plain_len = cbc_decrypt(cipher.trim(), &key, &iv, &mut buf).ok_or_else(unrecognized)?;
    buf.truncate(plain_len);
    Ok(buf)
}

/// OpenSSL's EVP_BytesToKey with MD5 and one iteration: D_i = MD5(D_{i-1} || pass || salt).
fn evp_bytes_to_key(pass: &[u8], salt: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    use md5::{Digest, Md5};
    let mut out = Zeroizing::new(Vec::with_capacity(len + 16));
    let mut prev: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
    while out.len() < len {
        let mut h = Md5::new();
        h.update(&*prev);
        h.update(pass);
        h.update(salt);
        *prev = h.finalize().to_vec();
        out.extend_from_slice(&prev);
    }
    out.truncate(len);
    out
}

/// CBC-decrypts `buf` in place and strips PKCS#7 padding; None on bad length or padding
/// (which is what a wrong passphrase usually produces).
fn cbc_decrypt(cipher: &str, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize> {
    use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
    fn run<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize>
    where
        C: BlockDecryptMut + cbc::cipher::BlockCipher + cbc::cipher::KeyInit,
    {
        let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
        dec.decrypt_padded_mut::<Pkcs7>(buf).ok().map(|p| p.len())
    }
    match cipher {
        "AES-128-CBC" => run::<aes::Aes128>(key, iv, buf),
        "AES-192-CBC" => run::<aes::Aes192>(key, iv, buf),
        "AES-256-CBC" => run::<aes::Aes256>(key, iv, buf),
        "DES-EDE3-CBC" => run::<des::TdesEde3>(key, iv, buf),
        _ => None,
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || s.len() > 2 * MAX_DEK_IV {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// PKCS#1 RSAPrivateKey (RFC 8017 A.1.2); two-prime keys only.
fn rsa_pkcs1(der: &[u8]) -> Result<Secret> {
    let k = pkcs1::RsaPrivateKey::from_der(der).map_err(|_| unrecognized())?;
    if k.other_prime_infos.is_some() {
        return Err(unrecognized());
    }
    Secret::rsa(
        k.modulus.as_bytes(),
        k.public_exponent.as_bytes(),
        k.private_exponent.as_bytes(),
        k.prime1.as_bytes(),
        k.prime2.as_bytes(),
    )
}

fn curve_for(oid: ObjectIdentifier) -> Result<Curve> {
    match oid {
        OID_P256 => Ok(Curve::P256),
        OID_P384 => Ok(Curve::P384),
        OID_P521 => Ok(Curve::P521),
        _ => Err(unrecognized()),
    }
}

/// SEC1 ECPrivateKey (RFC 5915); the curve comes from the key or, inside PKCS#8, from
/// the algorithm parameters.
fn ec_sec1(der: &[u8], outer_curve: Option<ObjectIdentifier>) -> Result<Secret> {
    let k = sec1::EcPrivateKey::from_der(der).map_err(|_| unrecognized())?;
    let inner = k.parameters.and_then(|p| p.named_curve());
    let oid = match (inner, outer_curve) {
        (Some(a), Some(b)) if a != b => return Err(unrecognized()),
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => return Err(unrecognized()),
    };
    Secret::ecdsa(curve_for(oid)?, k.private_key)
}

/// OpenSSL's traditional DSA key: SEQUENCE { version 0, p, q, g, y, x }.
fn dsa_openssl(der: &[u8]) -> Result<Secret> {
    let mut r = der::SliceReader::new(der).map_err(|_| unrecognized())?;
    let parts = r
        .sequence(|s| {
            let v = UintRef::decode(s)?;
            let p = UintRef::decode(s)?;
            let q = UintRef::decode(s)?;
            let g = UintRef::decode(s)?;
            let y = UintRef::decode(s)?;
            let x = UintRef::decode(s)?;
            Ok((v, p, q, g, y, x))
        })
        .map_err(|_| unrecognized())?;
    r.finish(()).map_err(|_| unrecognized())?;
    let (v, p, q, g, y, x) = parts;
    if v.as_bytes().iter().any(|&b| b != 0) {
        return Err(unrecognized());
    }
    Secret::dsa(p.as_bytes(), q.as_bytes(), g.as_bytes(), Some(y.as_bytes()), x.as_bytes())
}

/// PKCS#8 PrivateKeyInfo (RFC 5208) holding an RSA, EC, Ed25519 (RFC 8410) or DSA key.
fn pkcs8(der: &[u8]) -> Result<Secret> {
    let info = pkcs8::PrivateKeyInfo::from_der(der).map_err(|_| unrecognized())?;
    match info.algorithm.oid {
        OID_RSA => rsa_pkcs1(info.private_key),
        OID_EC => ec_sec1(info.private_key, Some(info.algorithm.parameters_oid().map_err(|_| unrecognized())?)),
        OID_ED25519 => {
            let seed = OctetStringRef::from_der(info.private_key).map_err(|_| unrecognized())?;
            Secret::ed25519(seed.as_bytes())
        }
        OID_DSA => {
            let params = info.algorithm.parameters.ok_or_else(unrecognized)?;
            let mut r = der::SliceReader::new(params.value()).map_err(|_| unrecognized())?;
            let p = UintRef::decode(&mut r).map_err(|_| unrecognized())?;
            let q = UintRef::decode(&mut r).map_err(|_| unrecognized())?;
            let g = UintRef::decode(&mut r).map_err(|_| unrecognized())?;
            r.finish(()).map_err(|_| unrecognized())?;
            let x = UintRef::from_der(info.private_key).map_err(|_| unrecognized())?;
            Secret::dsa(p.as_bytes(), q.as_bytes(), g.as_bytes(), None, x.as_bytes())
        }
        _ => Err(unrecognized()),
    }
}

/// Decrypts an EncryptedPrivateKeyInfo (PBES2 with PBKDF2; scrypt is refused because its
/// parameters can demand unbounded memory).
fn pkcs8_decrypt(der: &[u8], pass: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let enc = pkcs8::EncryptedPrivateKeyInfo::from_der(der).map_err(|_| unrecognized())?;
    match &enc.encryption_algorithm {
        pkcs8::pkcs5::EncryptionScheme::Pbes2(p) => match &p.kdf {
            pkcs8::pkcs5::pbes2::Kdf::Pbkdf2(k) if k.iteration_count <= MAX_PBKDF2_ITERATIONS => {}
            _ => return Err(unrecognized()),
        },
        _ => return Err(unrecognized()),
    }
    let doc = enc.decrypt(pass).map_err(|_| unrecognized())?;
    Ok(Zeroizing::new(doc.as_bytes().to_vec()))
}
