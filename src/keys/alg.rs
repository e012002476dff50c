//! Key type and signature algorithm names (a leaf of `keys`).

/// Ed25519 keys and signatures (RFC 8709).
pub const SSH_ED25519: &str = "ssh-ed25519";
/// ECDSA over P-256 with SHA-256 (RFC 5656).
pub const ECDSA_NISTP256: &str = "ecdsa-sha2-nistp256";
/// ECDSA over P-384 with SHA-384 (RFC 5656).
pub const ECDSA_NISTP384: &str = "ecdsa-sha2-nistp384";
/// ECDSA over P-521 with SHA-512 (RFC 5656).
pub const ECDSA_NISTP521: &str = "ecdsa-sha2-nistp521";
/// RSA keys, and RSA signatures with SHA-1 (RFC 4253).
pub const SSH_RSA: &str = "ssh-rsa";
/// RSA signatures with SHA-256 (RFC 8332).
pub const RSA_SHA2_256: &str = "rsa-sha2-256";
/// RSA signatures with SHA-512 (RFC 8332).
pub const RSA_SHA2_512: &str = "rsa-sha2-512";
/// DSA keys and signatures with SHA-1 (RFC 4253).
pub const SSH_DSS: &str = "ssh-dss";
/// The suffix that turns a key type or signature algorithm into its certificate form.
pub const CERT_SUFFIX: &str = "-cert-v01@openssh.com";
/// Ed25519 certificate.
pub const SSH_ED25519_CERT: &str = "ssh-ed25519-cert-v01@openssh.com";
/// ECDSA P-256 certificate.
pub const ECDSA_NISTP256_CERT: &str = "ecdsa-sha2-nistp256-cert-v01@openssh.com";
/// ECDSA P-384 certificate.
pub const ECDSA_NISTP384_CERT: &str = "ecdsa-sha2-nistp384-cert-v01@openssh.com";
/// ECDSA P-521 certificate.
pub const ECDSA_NISTP521_CERT: &str = "ecdsa-sha2-nistp521-cert-v01@openssh.com";
/// RSA certificate key type, and RSA/SHA-1 certificate algorithm.
pub const SSH_RSA_CERT: &str = "ssh-rsa-cert-v01@openssh.com";
/// RSA certificate with SHA-256 signatures.
pub const RSA_SHA2_256_CERT: &str = "rsa-sha2-256-cert-v01@openssh.com";
/// RSA certificate with SHA-512 signatures.
pub const RSA_SHA2_512_CERT: &str = "rsa-sha2-512-cert-v01@openssh.com";
/// DSA certificate.
pub const SSH_DSS_CERT: &str = "ssh-dss-cert-v01@openssh.com";
