//! OpenSSH's own private key format (openssh-key-v1, PROTOCOL.key), plain or encrypted
//! with bcrypt-pbkdf and any of aes{128,192,256}-{ctr,cbc}, aes{128,256}-gcm@openssh.com
//! or chacha20-poly1305@openssh.com. The container and decryption are the ssh-key crate's.

use super::private::{unrecognized, Curve, Secret};
use crate::error::{code, Error, Result};
use ssh_key::private::KeypairData;

/// The PEM label of an OpenSSH private key.
pub(crate) const LABEL: &str = "OPENSSH PRIVATE KEY";

/// Most bcrypt-pbkdf rounds we run: ssh-keygen uses 16 (and 100 is a common -a); each
/// round costs tens of milliseconds, so a corrupt count must not stall the caller.
pub const MAX_BCRYPT_ROUNDS: u32 = 4096;

/// libssh2's error for a wrong or missing passphrase on an OpenSSH-format key.
fn wrong_passphrase() -> Error {
    Error::new(
        code::KEYFILE_AUTH_FAILED,
        "Private key unpack failed (correct password?)",
    )
}

/// The magnitude bytes of a non-negative mpint.
fn b(m: &ssh_key::Mpint) -> Result<&[u8]> {
    m.as_positive_bytes().ok_or_else(unrecognized)
}

/// Loads a key from the decoded body of an "OPENSSH PRIVATE KEY" block.
pub(crate) fn load(body: &[u8], passphrase: Option<&[u8]>) -> Result<Secret> {
    let key = ssh_key::PrivateKey::from_bytes(body).map_err(|_| unrecognized())?;
    let key = if key.is_encrypted() {
        let pass = passphrase.ok_or_else(wrong_passphrase)?;
        match key.kdf() {
            ssh_key::Kdf::Bcrypt { rounds, .. } if *rounds <= MAX_BCRYPT_ROUNDS => {}
            _ => return Err(unrecognized()),
        }
        key.decrypt(pass).map_err(|e| match e {
            // A failed tag or check-integer comparison is what a wrong passphrase gives.
            ssh_key::Error::Crypto => wrong_passphrase(),
            _ => unrecognized(),
        })?
    } else {
        key
    };
    match key.key_data() {
        KeypairData::Ed25519(k) => Secret::ed25519(&k.private.to_bytes()),
        KeypairData::Ecdsa(k) => {
            let curve = match k.curve() {
                ssh_key::EcdsaCurve::NistP256 => Curve::P256,
                ssh_key::EcdsaCurve::NistP384 => Curve::P384,
                ssh_key::EcdsaCurve::NistP521 => Curve::P521,
            };
            let secret = Secret::ecdsa(curve, k.private_key_bytes())?;
            Ok(secret)
        }
        KeypairData::Rsa(k) => Secret::rsa(
            b(&k.public.n)?,
            b(&k.public.e)?,
            b(&k.private.d)?,
            b(&k.private.p)?,
            b(&k.private.q)?,
        ),
        KeypairData::Dsa(k) => Secret::dsa(
            b(&k.public.p)?,
            b(&k.public.q)?,
            b(&k.public.g)?,
            Some(b(&k.public.y)?),
            b(k.private.as_mpint())?,
        ),
        _ => Err(unrecognized()),
    }
}
