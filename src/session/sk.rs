//! Security-key (FIDO) user keys for `libssh2_userauth_publickey_sk`: reading an
//! OpenSSH private key file of type sk-ssh-ed25519@openssh.com or
//! sk-ecdsa-sha2-nistp256@openssh.com (OpenSSH PROTOCOL.u2f), and turning the
//! authenticator's answer into the signature the server expects.
//!
//! The file holds no secret: the private half lives in the authenticator, and the
//! file gives the key handle, application and flags to pass to it. Encrypted sk key
//! files are not read (their decryption lives in `keys`, which has no sk support).

use crate::error::{code, Error, Result};
use crate::proto::wire::{Reader, Writer};

/// sk-ssh-ed25519@openssh.com.
pub const SK_ED25519: &str = "sk-ssh-ed25519@openssh.com";
/// sk-ecdsa-sha2-nistp256@openssh.com.
pub const SK_ECDSA_P256: &str = "sk-ecdsa-sha2-nistp256@openssh.com";
/// LIBSSH2_HOSTKEY_TYPE_ECDSA_256: the `algorithm` libssh2 passes for sk-ecdsa keys.
pub const ALGORITHM_ECDSA_256: i32 = 3;
/// LIBSSH2_HOSTKEY_TYPE_ED25519: the `algorithm` libssh2 passes for sk-ed25519 keys.
pub const ALGORITHM_ED25519: i32 = 6;
/// Ed25519 public key length.
const ED25519_PUBLIC_LEN: usize = 32;
/// The magic string (with its NUL) that opens an openssh-key-v1 body.
const MAGIC: &[u8] = b"openssh-key-v1\0";
/// Armor lines of an OpenSSH private key.
const BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END: &str = "-----END OPENSSH PRIVATE KEY-----";
/// Longest sk key file we read (a real one is well under 1 KiB).
pub const MAX_SK_KEY_FILE: usize = 64 * 1024;

/// What an sk key file tells: the public blob and what to hand the authenticator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkKey {
    /// Public key blob.
    pub blob: Vec<u8>,
    /// `ALGORITHM_ED25519` or `ALGORITHM_ECDSA_256`.
    pub algorithm: i32,
    /// LIBSSH2_SK_* flags from the file.
    pub flags: u8,
    /// Application string (usually "ssh:").
    pub application: Vec<u8>,
    /// Authenticator key handle.
    pub key_handle: Vec<u8>,
}

fn invalid() -> Error {
    Error::new(code::FILE, "Unable to extract public key from private key.")
}

/// Parses an unencrypted OpenSSH private key file holding one sk key.
pub fn parse_sk_private_key(data: &[u8]) -> Result<SkKey> {
    use base64::Engine;
    if data.len() > MAX_SK_KEY_FILE {
        return Err(invalid());
    }
    let text = std::str::from_utf8(data).map_err(|_| invalid())?;
    let start = text.find(BEGIN).ok_or_else(invalid)? + BEGIN.len();
    let end = text.get(start..).and_then(|t| t.find(END)).ok_or_else(invalid)? + start;
    let b64: String = text.get(start..end).unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect();
    let body = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| invalid())?;
    let rest = body.strip_prefix(MAGIC).ok_or_else(invalid)?;
    let mut r = Reader::with_code(rest, code::FILE);
    let (cipher, kdf, _kdf_opts) = (r.str()?, r.str()?, r.string()?);
    if cipher != "none" || kdf != "none" || r.u32()? != 1 {
        return Err(invalid());
    }
    let public_blob = r.string()?;
    let private = r.string()?;
    r.finish()?;
    let mut p = Reader::with_code(private, code::FILE);
    if p.u32()? != p.u32()? {
        return Err(invalid());
    }
    let key_type = p.str()?;
    let mut blob = Writer::new();
    blob.string(key_type.as_bytes());
    let algorithm = match key_type {
        SK_ED25519 => {
            let pk = p.string()?;
            if pk.len() != ED25519_PUBLIC_LEN {
                return Err(invalid());
            }
            blob.string(pk);
            ALGORITHM_ED25519
        }
        SK_ECDSA_P256 => {
            let curve = p.string()?;
            let point = p.string()?;
            if curve != b"nistp256" {
                return Err(invalid());
            }
            blob.string(curve).string(point);
            ALGORITHM_ECDSA_256
        }
        _ => return Err(invalid()),
    };
    let application = p.string()?.to_vec();
    let flags = p.u8()?;
    let key_handle = p.string()?.to_vec();
    let _reserved = p.string()?;
    blob.string(&application);
    // The clear public key must be the one the private section describes.
    if blob.buf != public_blob {
        return Err(invalid());
    }
    Ok(SkKey { blob: blob.into_inner(), algorithm, flags, application, key_handle })
}

/// The raw signature for a request signed by a security key: for ECDSA
/// string(mpint r || mpint s), for Ed25519 string(signature); then the
/// authenticator's flags byte and uint32 counter (PROTOCOL.u2f).
pub fn sk_signature(sig_r: &[u8], sig_s: Option<&[u8]>, flags: u8, counter: u32) -> Vec<u8> {
    let mut inner = Writer::new();
    match sig_s {
        Some(s) => {
            inner.mpint(sig_r).mpint(s);
        }
        None => {
            inner.raw(sig_r);
        }
    }
    let mut w = Writer::new();
    w.string(&inner.buf).u8(flags).u32(counter);
    w.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    /// Builds an unencrypted sk-ed25519 key file the way ssh-keygen lays it out.
    fn ed25519_file(pk: &[u8; 32], app: &[u8], flags: u8, handle: &[u8]) -> Vec<u8> {
        let mut public = Writer::new();
        public.string(SK_ED25519.as_bytes()).string(pk).string(app);
        let mut private = Writer::new();
        private.u32(7).u32(7).string(SK_ED25519.as_bytes()).string(pk).string(app).u8(flags).string(handle);
        private.string(b"").string(b"comment");
        let mut pad = 1u8;
        while private.buf.len() % 8 != 0 {
            private.u8(pad);
            pad += 1;
        }
        let mut body = Writer::new();
        body.raw(MAGIC).string(b"none").string(b"none").string(b"").u32(1).string(&public.buf).string(&private.buf);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&body.buf);
        format!("{BEGIN}\n{b64}\n{END}\n").into_bytes()
    }

    #[test]
    fn parses_an_ed25519_sk_key_file() {
        let file = ed25519_file(&[9; 32], b"ssh:", 1, b"HANDLE");
        let k = parse_sk_private_key(&file).unwrap();
        assert_eq!(k.algorithm, ALGORITHM_ED25519);
        assert_eq!(k.flags, 1);
        assert_eq!(k.application, b"ssh:");
        assert_eq!(k.key_handle, b"HANDLE");
        let mut want = Writer::new();
        want.string(SK_ED25519.as_bytes()).string(&[9; 32]).string(b"ssh:");
        assert_eq!(k.blob, want.buf);
    }

    #[test]
    fn malformed_files_are_file_errors() {
        let file = ed25519_file(&[9; 32], b"ssh:", 1, b"HANDLE");
        for cut in [0, 10, 40, file.len() - 40] {
            assert_eq!(parse_sk_private_key(&file[..cut]).unwrap_err().code, code::FILE);
        }
        assert_eq!(parse_sk_private_key(b"garbage").unwrap_err().code, code::FILE);
    }

    #[test]
    fn signature_layout() {
        let ed = sk_signature(&[1, 2], None, 5, 0x01020304);
        assert_eq!(ed, vec![0, 0, 0, 2, 1, 2, 5, 1, 2, 3, 4]);
        // mpint adds a zero byte before a high bit.
        let ec = sk_signature(&[0x80], Some(&[1]), 1, 0);
        assert_eq!(ec, vec![0, 0, 0, 11, 0, 0, 0, 2, 0, 0x80, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0]);
    }
}
