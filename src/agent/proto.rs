//! The ssh-agent wire protocol (OpenSSH PROTOCOL.agent, draft-miller-ssh-agent),
//! sans-IO: request builders and bounded reply parsers. Every malformed reply is
//! `LIBSSH2_ERROR_AGENT_PROTOCOL`, never a panic.

use crate::error::{code, Error, Result};
use crate::keys::alg;
use crate::proto::wire::{Reader, Writer};
use crate::session::auth::signature_alg_name;

/// SSH_AGENTC_REQUEST_IDENTITIES.
pub const AGENTC_REQUEST_IDENTITIES: u8 = 11;
/// SSH_AGENT_IDENTITIES_ANSWER.
pub const AGENT_IDENTITIES_ANSWER: u8 = 12;
/// SSH_AGENTC_SIGN_REQUEST.
pub const AGENTC_SIGN_REQUEST: u8 = 13;
/// SSH_AGENT_SIGN_RESPONSE.
pub const AGENT_SIGN_RESPONSE: u8 = 14;
/// SSH_AGENT_FAILURE.
pub const AGENT_FAILURE: u8 = 5;
/// Sign flag: RSA signature with SHA-256 (rsa-sha2-256).
pub const AGENT_RSA_SHA2_256: u32 = 2;
/// Sign flag: RSA signature with SHA-512 (rsa-sha2-512).
pub const AGENT_RSA_SHA2_512: u32 = 4;
/// Longest agent message we accept; OpenSSH's agent uses the same bound (AGENT_MAX_LEN).
pub const MAX_AGENT_MESSAGE: usize = 256 * 1024;
/// Most identities one answer may list: each needs at least 8 bytes, so the message
/// bound already limits them; this refuses absurd counts before any allocation.
pub const MAX_IDENTITIES: u32 = (MAX_AGENT_MESSAGE / 8) as u32;

/// One key the agent holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Public key blob (SSH wire format).
    pub blob: Vec<u8>,
    /// The agent's comment for the key.
    pub comment: Vec<u8>,
}

fn bad(msg: &'static str) -> Error {
    Error::new(code::AGENT_PROTOCOL, msg)
}

/// Frames a message body with its uint32 length.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(body);
    w.into_inner()
}

/// The framed SSH_AGENTC_REQUEST_IDENTITIES request.
pub fn request_identities() -> Vec<u8> {
    frame(&[AGENTC_REQUEST_IDENTITIES])
}

/// The sign flags for signature algorithm `sig_alg` (certificate forms included).
pub fn sign_flags(sig_alg: &str) -> u32 {
    match sig_alg.strip_suffix(alg::CERT_SUFFIX).unwrap_or(sig_alg) {
        alg::RSA_SHA2_512 => AGENT_RSA_SHA2_512,
        alg::RSA_SHA2_256 => AGENT_RSA_SHA2_256,
        _ => 0,
    }
}

/// The framed SSH_AGENTC_SIGN_REQUEST for `blob` over `data` with `flags`.
pub fn sign_request(blob: &[u8], data: &[u8], flags: u32) -> Vec<u8> {
    let mut w = Writer::msg(AGENTC_SIGN_REQUEST);
    w.string(blob).string(data).u32(flags);
    frame(&w.buf)
}

/// Parses the body of an identities answer.
pub fn parse_identities(body: &[u8]) -> Result<Vec<Identity>> {
    let mut r = Reader::with_code(body, code::AGENT_PROTOCOL);
    if r.u8()? != AGENT_IDENTITIES_ANSWER {
        return Err(bad("agent list id failed"));
    }
    let n = r.u32()?;
    if n > MAX_IDENTITIES {
        return Err(bad("agent list id failed: too many identities"));
    }
    let mut out = Vec::new();
    for _ in 0..n {
        let blob = r.string()?.to_vec();
        let comment = r.string()?.to_vec();
        out.push(Identity { blob, comment });
    }
    r.finish()?;
    Ok(out)
}

/// Parses a sign response: returns the raw signature (without its algorithm name). An
/// algorithm other than the requested one is `LIBSSH2_ERROR_ALGO_UNSUPPORTED`.
pub fn parse_sign_response(body: &[u8], requested: &str) -> Result<Vec<u8>> {
    let mut r = Reader::with_code(body, code::AGENT_PROTOCOL);
    if r.u8()? != AGENT_SIGN_RESPONSE {
        return Err(bad("agent sign failure"));
    }
    let sig = r.string()?;
    r.finish()?;
    let mut s = Reader::with_code(sig, code::AGENT_PROTOCOL);
    let name = s.string()?;
    if name != requested.as_bytes() && name != signature_alg_name(requested).as_bytes() {
        return Err(Error::new(code::ALGO_UNSUPPORTED, "agent sign failure"));
    }
    // Security-key signatures carry flags and a counter after the signature string;
    // the caller sends those bytes as they are.
    let raw = if name.starts_with(b"sk-") { s.rest().to_vec() } else { s.string()?.to_vec() };
    if !name.starts_with(b"sk-") {
        s.finish()?;
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(ids: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut w = Writer::msg(AGENT_IDENTITIES_ANSWER);
        w.u32(ids.len() as u32);
        for (b, c) in ids {
            w.string(b).string(c);
        }
        w.into_inner()
    }

    #[test]
    fn identities_round_trip() {
        let body = answer(&[(b"blob1", b"one"), (b"b2", b"")]);
        let ids = parse_identities(&body).unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0], Identity { blob: b"blob1".to_vec(), comment: b"one".to_vec() });
        assert_eq!(ids[1].comment, b"");
    }

    #[test]
    fn malformed_identities_are_agent_protocol_errors() {
        let good = answer(&[(b"blob1", b"one")]);
        // Every truncation, a wrong type byte, trailing bytes, and a huge count.
        for cut in 0..good.len() {
            assert_eq!(parse_identities(&good[..cut]).unwrap_err().code, code::AGENT_PROTOCOL, "cut {cut}");
        }
        let mut wrong = good.clone();
        wrong[0] = AGENT_FAILURE;
        assert_eq!(parse_identities(&wrong).unwrap_err().code, code::AGENT_PROTOCOL);
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(parse_identities(&trailing).unwrap_err().code, code::AGENT_PROTOCOL);
        let mut huge = Writer::msg(AGENT_IDENTITIES_ANSWER);
        huge.u32(u32::MAX);
        assert_eq!(parse_identities(&huge.buf).unwrap_err().code, code::AGENT_PROTOCOL);
        // A blob length pointing past the end.
        let mut lie = Writer::msg(AGENT_IDENTITIES_ANSWER);
        lie.u32(1).u32(0xffff_fff0);
        assert_eq!(parse_identities(&lie.buf).unwrap_err().code, code::AGENT_PROTOCOL);
    }

    fn sign_response(name: &str, sig: &[u8]) -> Vec<u8> {
        let mut inner = Writer::new();
        inner.string(name.as_bytes()).string(sig);
        let mut w = Writer::msg(AGENT_SIGN_RESPONSE);
        w.string(&inner.buf);
        w.into_inner()
    }

    #[test]
    fn sign_response_checks_the_algorithm() {
        let body = sign_response("rsa-sha2-512", b"SIG");
        assert_eq!(parse_sign_response(&body, "rsa-sha2-512").unwrap(), b"SIG");
        assert_eq!(parse_sign_response(&body, "rsa-sha2-512-cert-v01@openssh.com").unwrap(), b"SIG");
        assert_eq!(parse_sign_response(&body, "rsa-sha2-256").unwrap_err().code, code::ALGO_UNSUPPORTED);
        for cut in 0..body.len() {
            assert_eq!(parse_sign_response(&body[..cut], "rsa-sha2-512").unwrap_err().code, code::AGENT_PROTOCOL);
        }
        assert_eq!(parse_sign_response(&[AGENT_FAILURE], "ssh-ed25519").unwrap_err().code, code::AGENT_PROTOCOL);
    }

    #[test]
    fn requests_are_framed() {
        assert_eq!(request_identities(), vec![0, 0, 0, 1, AGENTC_REQUEST_IDENTITIES]);
        let req = sign_request(b"K", b"D", AGENT_RSA_SHA2_256);
        assert_eq!(req, vec![0, 0, 0, 15, 13, 0, 0, 0, 1, b'K', 0, 0, 0, 1, b'D', 0, 0, 0, 2]);
        assert_eq!(sign_flags("rsa-sha2-256"), AGENT_RSA_SHA2_256);
        assert_eq!(sign_flags("rsa-sha2-512-cert-v01@openssh.com"), AGENT_RSA_SHA2_512);
        assert_eq!(sign_flags("ssh-rsa"), 0);
        assert_eq!(sign_flags("ssh-ed25519"), 0);
    }
}
