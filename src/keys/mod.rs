//! Public and private keys: blobs, signatures, private key file formats.
//!
//! Sans-IO except `PrivateKey::from_file`, which reads the file with `std::fs`.
//! - `PublicKey`: parses key and certificate blobs, verifies SSH signatures.
//! - `PrivateKey`: loads OpenSSH, PKCS#1, SEC1, DSA and PKCS#8 key files (plain or
//!   encrypted) and signs.
//! - `verify_hostkey`: the host key check of key exchange, with libssh2's error codes.

pub mod alg;
mod openssh;
mod pem;
mod private;
mod public;
mod secret;
#[cfg(test)]
mod tests;

pub use openssh::MAX_BCRYPT_ROUNDS;
pub use pem::MAX_PBKDF2_ITERATIONS;
pub use private::{PrivateKey, MAX_PRIVATE_KEY_FILE};
pub use public::PublicKey;
pub use secret::Passphrase;

use crate::error::{code, Error, Result};

/// Every host key algorithm we can verify: libssh2 1.11.1's list in its order
/// (also the default preference), then ssh-dss, which its OpenSSL build leaves out.
pub const SUPPORTED_HOSTKEY_ALGS: &[&str] = &[
    alg::ECDSA_NISTP256,
    alg::ECDSA_NISTP384,
    alg::ECDSA_NISTP521,
    alg::ECDSA_NISTP256_CERT,
    alg::ECDSA_NISTP384_CERT,
    alg::ECDSA_NISTP521_CERT,
    alg::SSH_ED25519,
    alg::SSH_ED25519_CERT,
    alg::RSA_SHA2_512,
    alg::RSA_SHA2_256,
    alg::RSA_SHA2_512_CERT,
    alg::RSA_SHA2_256_CERT,
    alg::SSH_RSA,
    alg::SSH_RSA_CERT,
    alg::SSH_DSS,
];

/// How many of `SUPPORTED_HOSTKEY_ALGS`, from the front, are offered by default.
const DEFAULT_HOSTKEY_COUNT: usize = 14;

/// The host key algorithms offered by default: libssh2's, in its order, so that
/// the server picks the host key libssh2 would get and a known_hosts file that a
/// program on libssh2 wrote still matches. ssh-dss is left out, as libssh2 does.
pub const DEFAULT_HOSTKEY_ALGS: &[&str] = SUPPORTED_HOSTKEY_ALGS.split_at(DEFAULT_HOSTKEY_COUNT).0;

/// Longest public key file we read: a 16384-bit RSA certificate is well under this.
pub const MAX_PUBLIC_KEY_FILE: usize = 64 * 1024;

/// For a signature algorithm (plain or certificate form) returns the key type its blob must have.
fn key_type_for_alg(alg_name: &str) -> Option<String> {
    let (base, cert) = match alg_name.strip_suffix(alg::CERT_SUFFIX) {
        Some(b) => (b, true),
        None => (alg_name, false),
    };
    let key = match base {
        alg::RSA_SHA2_256 | alg::RSA_SHA2_512 | alg::SSH_RSA => alg::SSH_RSA,
        alg::SSH_ED25519 | alg::ECDSA_NISTP256 | alg::ECDSA_NISTP384 | alg::ECDSA_NISTP521 | alg::SSH_DSS => base,
        _ => return None,
    };
    Some(if cert { format!("{key}{}", alg::CERT_SUFFIX) } else { key.to_owned() })
}

/// Verifies a server's host key signature for the negotiated host key algorithm (e.g.
/// "rsa-sha2-256" with an ssh-rsa blob; the signature's algorithm name must be the
/// negotiated one, minus any certificate suffix). A key that cannot be parsed, or whose
/// type does not fit the algorithm, gives `LIBSSH2_ERROR_HOSTKEY_INIT`; a bad signature
/// gives `LIBSSH2_ERROR_HOSTKEY_SIGN`.
pub fn verify_hostkey(negotiated_alg: &str, host_key_blob: &[u8], sig: &[u8], data: &[u8]) -> Result<()> {
    check_hostkey(negotiated_alg, host_key_blob, sig, data).map_err(|e| match e.code {
        code::HOSTKEY_INIT => Error::new(e.code, MSG_HOSTKEY_INIT),
        _ => Error::new(code::HOSTKEY_SIGN, MSG_HOSTKEY_SIGN),
    })
}

/// libssh2's message when the server's host key cannot be taken in.
const MSG_HOSTKEY_INIT: &str = "Unable to initialize hostkey importer";
/// libssh2's message when the server's host key signature does not verify.
const MSG_HOSTKEY_SIGN: &str = "Unable to verify hostkey signature";

/// `verify_hostkey` with detailed messages (which it then replaces with libssh2's).
fn check_hostkey(negotiated_alg: &str, host_key_blob: &[u8], sig: &[u8], data: &[u8]) -> Result<()> {
    let key = PublicKey::from_blob(host_key_blob)?;
    if key_type_for_alg(negotiated_alg).as_deref() != Some(key.key_type()) {
        return Err(Error::new(code::HOSTKEY_INIT, MSG_HOSTKEY_INIT));
    }
    let want_sig = negotiated_alg.strip_suffix(alg::CERT_SUFFIX).unwrap_or(negotiated_alg);
    let mut r = crate::proto::wire::Reader::with_code(sig, code::HOSTKEY_SIGN);
    let name = r.str()?;
    let raw = r.string()?;
    r.finish()?;
    if name != want_sig {
        return Err(Error::new(code::HOSTKEY_SIGN, MSG_HOSTKEY_SIGN));
    }
    public::verify_raw(key.verifying(), name, raw, data)
}

/// Parses an OpenSSH public key file or line ("type base64 [comment]"), including
/// *-cert.pub files, returning (type name, blob). Errors carry `LIBSSH2_ERROR_FILE`.
pub fn parse_public_key_file(data: &[u8]) -> Result<(String, Vec<u8>)> {
    use base64::Engine;
    if data.len() > MAX_PUBLIC_KEY_FILE {
        return Err(Error::new(code::FILE, "Public key file too large"));
    }
    let text = std::str::from_utf8(data).map_err(|_| Error::new(code::FILE, "Invalid public key data"))?;
    // The first non-empty, non-comment line holds the key.
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or(Error::new(code::FILE, "Invalid public key data"))?;
    let mut fields = line.split_ascii_whitespace();
    let (Some(kind), Some(b64)) = (fields.next(), fields.next()) else {
        return Err(Error::new(code::FILE, "Invalid public key data"));
    };
    let blob = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| Error::new(code::FILE, "Invalid key data, not base64 encoded"))?;
    // The blob must name the same type as the text in front of it, as OpenSSH requires.
    // A blob too short to name a type is taken, as libssh2 takes it: the auth
    // call refuses it (PUBLICKEY_UNVERIFIED).
    let mut r = crate::proto::wire::Reader::with_code(&blob, code::FILE);
    if r.str().is_ok_and(|t| t != kind) {
        return Err(Error::new(code::FILE, "Public key type does not match its data"));
    }
    Ok((kind.to_owned(), blob))
}

/// Chooses the signature algorithm for user authentication with a key of `key_type`.
/// RSA keys use rsa-sha2-512, then rsa-sha2-256, when the server's server-sig-algs
/// (RFC 8308) lists them, else ssh-rsa; RSA certificates use the -cert-v01 variants.
/// Other key types sign with their own name.
pub fn choose_user_sig_alg(key_type: &str, server_sig_algs: Option<&[String]>) -> String {
    let listed = |name: &str| server_sig_algs.is_some_and(|l| l.iter().any(|a| a == name));
    match key_type {
        alg::SSH_RSA => {
            for a in [alg::RSA_SHA2_512, alg::RSA_SHA2_256] {
                if listed(a) {
                    return a.to_owned();
                }
            }
            alg::SSH_RSA.to_owned()
        }
        alg::SSH_RSA_CERT => {
            // Servers list either the certificate names or only the plain ones.
            for (plain, cert) in
                [(alg::RSA_SHA2_512, alg::RSA_SHA2_512_CERT), (alg::RSA_SHA2_256, alg::RSA_SHA2_256_CERT)]
            {
                if listed(cert) || listed(plain) {
                    return cert.to_owned();
                }
            }
            alg::SSH_RSA_CERT.to_owned()
        }
        other => other.to_owned(),
    }
}
