//! User authentication (RFC 4252, RFC 4256): none/list, password with the
//! change request, keyboard-interactive, public key with any signer.
//! Each operation is resumable: its progress lives in `Session::auth`.

use super::driver::{drive, ready, Pending, Ready, Step};
use super::Session;
use crate::error::{code, Error, Result};
use crate::keys::alg;
use crate::proto::msg;
use crate::proto::wire::{Reader, Writer};
use zeroize::{Zeroize, Zeroizing};

/// The service every request names.
const SERVICE: &[u8] = b"ssh-connection";
/// Most prompts one INFO_REQUEST may carry (CVE-2019-3856 style floods refused).
pub const MAX_KBDINT_PROMPTS: u32 = 100;

/// Progress of the authentication operation in flight.
#[derive(Default)]
pub enum AuthState {
    /// Nothing sent.
    #[default]
    Idle,
    /// A request is out; waiting for its (final) reply.
    Sent,
    /// Public key: the query with signature algorithm `alg` is out; `first` is
    /// false once we fell back to the key type's own algorithm.
    PkQuery {
        /// The signature algorithm named in the query.
        alg: String,
        /// Whether this is the first algorithm tried.
        first: bool,
    },
    /// Public key: the query was accepted (PK_OK); the signed request is next.
    PkAccepted {
        /// The signature algorithm the server accepted.
        alg: String,
        /// Whether this is the first algorithm tried.
        first: bool,
    },
}

/// Suffix of the OpenSSH names of security-key (FIDO) algorithms.
const OPENSSH_SUFFIX: &str = "@openssh.com";

/// Whether `alg` is a security-key algorithm (sk-ssh-ed25519@openssh.com,
/// sk-ecdsa-sha2-nistp256@openssh.com and their certificates).
pub fn is_sk_alg(alg: &str) -> bool {
    alg.starts_with("sk-")
}

/// The algorithm name inside a signature made for `alg`: certificates sign with the
/// certified key's algorithm (sk certificates keep the "@openssh.com" suffix).
pub fn signature_alg_name(alg: &str) -> String {
    match alg.strip_suffix(alg::CERT_SUFFIX) {
        Some(base) if is_sk_alg(alg) => format!("{base}{OPENSSH_SUFFIX}"),
        Some(base) => base.to_owned(),
        None => alg.to_owned(),
    }
}

/// The signature blob sent in a request: string name || string signature, except for
/// security keys, whose raw signature already holds string sig || flags || counter.
fn signature_blob(alg: &str, raw: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(signature_alg_name(alg).as_bytes());
    if is_sk_alg(alg) {
        w.raw(raw);
    } else {
        w.string(raw);
    }
    w.into_inner()
}

/// The key type a public key blob names.
fn blob_key_type(blob: &[u8]) -> Result<String> {
    let mut r = Reader::with_code(blob, code::PUBLICKEY_UNVERIFIED);
    match r.str() {
        Ok(t) if !t.is_empty() => Ok(t.to_owned()),
        _ => Err(Error::new(code::PUBLICKEY_UNVERIFIED, "Invalid public key")),
    }
}

/// One keyboard-interactive prompt.
pub struct Prompt {
    /// The prompt text.
    pub text: Vec<u8>,
    /// Whether the answer may be echoed.
    pub echo: bool,
}

/// Supplies a new password given the server's change prompt (None: give up).
pub type PasswordChange<'a> = dyn FnMut(&[u8]) -> Option<Vec<u8>> + 'a;

/// Result of `userauth_list`: the methods, or None if "none" authenticated us.
pub type MethodList = Option<String>;

fn is_auth_reply(t: u8) -> bool {
    // 60 is PK_OK, PASSWD_CHANGEREQ or INFO_REQUEST depending on the method in flight.
    matches!(t, msg::USERAUTH_FAILURE | msg::USERAUTH_SUCCESS | msg::USERAUTH_BANNER | msg::USERAUTH_PK_OK)
}

/// libssh2's public key, hostbased and keyboard-interactive calls report any
/// failure while awaiting the server's reply as their own code (the
/// connection's error is not passed on).
fn reply_failed(code: i32, msg: &'static str) -> impl FnOnce(Error) -> Error {
    move |_| Error::new(code, msg)
}

/// The application's signer for public key authentication: `(alg, data)` to
/// the raw signature, or Pending when it would block (libssh2 calls it again).
pub type Signer<'a> = dyn FnMut(&str, &[u8]) -> Result<Step<Vec<u8>>> + 'a;

impl Session {
    /// Waits for the next reply to an auth request, setting banners aside;
    /// like libssh2, only `userauth_list` (`keep_banner`) keeps their text
    /// for `libssh2_userauth_banner`.
    fn auth_reply(&mut self, keep_banner: bool) -> Result<Step<Vec<u8>>> {
        self.awaiting_reply = true;
        loop {
            let p = ready!(self.wait_packet(is_auth_reply)?);
            if p.first() == Some(&msg::USERAUTH_BANNER) {
                if keep_banner {
                    let mut r = Reader::new(p.get(1..).unwrap_or_default());
                    self.userauth_banner = Some(r.string()?.to_vec());
                }
                continue;
            }
            self.awaiting_reply = false;
            if p.is_empty() {
                return Err(Error::proto("Unexpected packet size"));
            }
            return Ok(Ready(p));
        }
    }

    fn auth_request(user: &[u8], method: &[u8]) -> Writer {
        let mut w = Writer::msg(msg::USERAUTH_REQUEST);
        w.string(user).string(SERVICE).string(method);
        w
    }

    fn require_handshake(&self) -> Result<()> {
        if !self.connected() {
            // libssh2 sends the request anyway, and the send fails.
            return Err(Error::new(code::SOCKET_SEND, "Unable to send userauth request: not connected"));
        }
        Ok(())
    }

    /// Ends an operation on a SUCCESS or FAILURE reply (FAILURE gives `fail_code`).
    fn auth_done(&mut self, p: &[u8], fail_code: i32, fail_msg: &'static str) -> Result<()> {
        match p.first() {
            Some(&msg::USERAUTH_SUCCESS) => {
                self.authenticated = true;
                Ok(())
            }
            Some(&msg::USERAUTH_FAILURE) => {
                let mut r = Reader::new(p.get(1..).unwrap_or_default());
                self.auth_methods = r.str().ok().map(str::to_owned);
                Err(Error::new(fail_code, fail_msg))
            }
            _ => Err(Error::proto("Unexpected authentication reply")),
        }
    }

    /// Asks which methods the server allows for `user` ("none" request).
    pub fn userauth_list(&mut self, user: &[u8]) -> Result<MethodList> {
        self.require_handshake()?;
        drive(self, |s| {
            s.auth_op(|s, st| {
                if let AuthState::Idle = st {
                    let w = Self::auth_request(user, b"none");
                    s.send(&w.buf)?;
                    *st = AuthState::Sent;
                }
                let p = ready!(s.auth_reply(true)?);
                *st = AuthState::Idle;
                match p.first() {
                    Some(&msg::USERAUTH_SUCCESS) => {
                        s.authenticated = true;
                        Ok(Ready(None))
                    }
                    Some(&msg::USERAUTH_FAILURE) => {
                        let mut r = Reader::new(p.get(1..).unwrap_or_default());
                        let m = r.str()?.to_owned();
                        s.auth_methods = Some(m.clone());
                        Ok(Ready(Some(m)))
                    }
                    _ => Err(Error::proto("Unexpected reply to none authentication")),
                }
            })
        })
    }

    /// Password authentication; `change` supplies a new password when the
    /// server demands one (None: fail with PASSWORD_EXPIRED).
    pub fn userauth_password(
        &mut self,
        user: &[u8],
        password: &[u8],
        mut change: Option<&mut PasswordChange<'_>>,
    ) -> Result<()> {
        self.require_handshake()?;
        drive(self, |s| {
            s.auth_op(|s, st| {
                if let AuthState::Idle = st {
                    let mut w = Self::auth_request(user, b"password");
                    w.bool(false).string(password);
                    let sent = s.send(&w.buf);
                    w.buf.zeroize();
                    sent?;
                    *st = AuthState::Sent;
                }
                loop {
                    let p = ready!(s.auth_reply(false)?);
                    if p.first() == Some(&msg::USERAUTH_PASSWD_CHANGEREQ) {
                        let mut r = Reader::new(p.get(1..).unwrap_or_default());
                        let prompt = r.string()?.to_vec();
                        let Some(cb) = change.as_mut() else {
                            return Err(Error::new(
                                code::PASSWORD_EXPIRED,
                                "Password Expired, and no callback specified",
                            ));
                        };
                        let Some(newpw) = cb(&prompt).map(Zeroizing::new) else {
                            return Err(Error::new(code::PASSWORD_EXPIRED, "Password expired, and callback failed"));
                        };
                        let mut w = Self::auth_request(user, b"password");
                        w.bool(true).string(password).string(&newpw);
                        let sent = s.send(&w.buf);
                        w.buf.zeroize();
                        sent?;
                        continue;
                    }
                    return s
                        .auth_done(&p, code::AUTHENTICATION_FAILED, "Authentication failed (username/password)")
                        .map(Ready);
                }
            })
        })
    }

    /// Keyboard-interactive authentication; `respond(name, instruction, prompts)`
    /// returns one answer per prompt. Rounds repeat until SUCCESS or FAILURE; a round
    /// may have zero prompts (OpenSSH ends PAM conversations with one).
    pub fn userauth_keyboard_interactive(
        &mut self,
        user: &[u8],
        respond: &mut dyn FnMut(&[u8], &[u8], &[Prompt]) -> Vec<Vec<u8>>,
    ) -> Result<()> {
        self.require_handshake()?;
        drive(self, |s| {
            s.auth_op(|s, st| {
                if let AuthState::Idle = st {
                    let mut w = Self::auth_request(user, b"keyboard-interactive");
                    w.string(b"").string(b"");
                    s.send(&w.buf)?;
                    *st = AuthState::Sent;
                }
                loop {
                    let p = ready!(s.auth_reply(false).map_err(reply_failed(
                        code::AUTHENTICATION_FAILED,
                        "Waiting for keyboard USERAUTH response"
                    ))?);
                    if p.first() != Some(&msg::USERAUTH_INFO_REQUEST) {
                        return s
                            .auth_done(&p, code::AUTHENTICATION_FAILED, "Authentication failed (keyboard-interactive)")
                            .map(Ready);
                    }
                    let mut r = Reader::new(p.get(1..).unwrap_or_default());
                    let name = r.string()?.to_vec();
                    let instruction = r.string()?.to_vec();
                    let _lang = r.string()?;
                    let n = r.u32()?;
                    if n > MAX_KBDINT_PROMPTS {
                        return Err(Error::new(
                            code::OUT_OF_BOUNDARY,
                            "Too many replies for keyboard-interactive prompts",
                        ));
                    }
                    let mut prompts = Vec::with_capacity(n as usize);
                    for _ in 0..n {
                        let text = r.string()?.to_vec();
                        let echo = r.bool()?;
                        prompts.push(Prompt { text, echo });
                    }
                    let answers: Vec<Zeroizing<Vec<u8>>> =
                        respond(&name, &instruction, &prompts).into_iter().map(Zeroizing::new).collect();
                    let mut w = Writer::msg(msg::USERAUTH_INFO_RESPONSE);
                    w.u32(n);
                    for i in 0..n as usize {
                        w.string(answers.get(i).map_or(&[][..], |a| a.as_slice()));
                    }
                    let sent = s.send(&w.buf);
                    w.buf.zeroize();
                    sent?;
                }
            })
        })
    }

    /// The signature algorithm to use for a key of `key_type`.
    pub fn user_sig_alg(&self, key_type: &str) -> String {
        let server = self.conn.as_ref().and_then(|c| c.server_sig_algs()).map(<[String]>::to_vec);
        let prefs = self.method_prefs[super::METHOD_SIGN_ALGO].clone();
        let mut server_list = server;
        if let (Some(p), Some(s)) = (prefs, server_list.as_mut()) {
            // Caller preferences order the server's list and filter it.
            let ordered: Vec<String> = p.into_iter().filter(|a| s.contains(a)).collect();
            if !ordered.is_empty() {
                *s = ordered;
            }
        }
        crate::keys::choose_user_sig_alg(key_type, server_list.as_deref())
    }

    /// Public key authentication: query with `blob`, then sign with `sign(alg, data)`
    /// which returns the raw signature (without the algorithm name; for security keys
    /// the signature string followed by flags and counter). A signer that answers
    /// `LIBSSH2_ERROR_ALGO_UNSUPPORTED` on the first try (an agent that cannot do
    /// rsa-sha2-*) makes us retry once with the key's own algorithm, as libssh2 does.
    pub fn userauth_publickey(&mut self, user: &[u8], blob: &[u8], sign: &mut Signer<'_>) -> Result<()> {
        self.require_handshake()?;
        let key_type = blob_key_type(blob)?;
        drive(self, |s| {
            s.auth_op(|s, st| loop {
                match std::mem::take(st) {
                    AuthState::Idle => {
                        let alg = s.user_sig_alg(&key_type);
                        s.send_pk_query(user, &alg, blob)?;
                        *st = AuthState::PkQuery { alg, first: true };
                    }
                    AuthState::PkQuery { alg, first } => {
                        let reply = s
                            .auth_reply(false)
                            .map_err(reply_failed(code::PUBLICKEY_UNVERIFIED, "Waiting for USERAUTH response"))?;
                        let Ready(p) = reply else {
                            *st = AuthState::PkQuery { alg, first };
                            return Ok(Pending);
                        };
                        match p.first() {
                            Some(&msg::USERAUTH_PK_OK) => *st = AuthState::PkAccepted { alg, first },
                            Some(&msg::USERAUTH_SUCCESS) => return s.auth_done(&p, 0, "").map(Ready),
                            _ => {
                                return s
                                    .auth_done(
                                        &p,
                                        code::AUTHENTICATION_FAILED,
                                        "Username/PublicKey combination invalid",
                                    )
                                    .map(Ready)
                            }
                        }
                    }
                    AuthState::PkAccepted { alg, first } => {
                        let mut body = Self::auth_request(user, b"publickey");
                        body.bool(true).string(alg.as_bytes()).string(blob);
                        let data = s.signed_data(&body.buf);
                        let sig = match sign(&alg, &data) {
                            Ok(Ready(sig)) => sig,
                            // The signer would block: it is asked again on the next step.
                            Ok(Pending) => {
                                *st = AuthState::PkAccepted { alg, first };
                                return Ok(Pending);
                            }
                            Err(e) if e.code == code::ALGO_UNSUPPORTED && first && alg != key_type => {
                                // Start over with the key type's own algorithm.
                                s.send_pk_query(user, &key_type, blob)?;
                                *st = AuthState::PkQuery { alg: key_type.clone(), first: false };
                                continue;
                            }
                            Err(_) => return Err(Error::new(code::PUBLICKEY_UNVERIFIED, "Callback returned error")),
                        };
                        body.string(&signature_blob(&alg, &sig));
                        s.send(&body.buf)?;
                        *st = AuthState::Sent;
                    }
                    AuthState::Sent => {
                        let reply = s.auth_reply(false).map_err(reply_failed(
                            code::PUBLICKEY_UNVERIFIED,
                            "Waiting for publickey USERAUTH response",
                        ))?;
                        let Ready(p) = reply else {
                            *st = AuthState::Sent;
                            return Ok(Pending);
                        };
                        return s
                            .auth_done(
                                &p,
                                code::PUBLICKEY_UNVERIFIED,
                                "Invalid signature for supplied public key, or bad username/public key combination",
                            )
                            .map(Ready);
                    }
                }
            })
        })
    }

    /// Host-based authentication (RFC 4252 section 9): `blob` is the client host's
    /// public key, `host` its name and `local_user` the user there; `sign(alg, data)`
    /// returns the raw signature made with the host's private key.
    pub fn userauth_hostbased(
        &mut self,
        user: &[u8],
        blob: &[u8],
        host: &[u8],
        local_user: &[u8],
        sign: &mut dyn FnMut(&str, &[u8]) -> Result<Vec<u8>>,
    ) -> Result<()> {
        self.require_handshake()?;
        let key_type = blob_key_type(blob)?;
        drive(self, |s| {
            s.auth_op(|s, st| {
                if let AuthState::Idle = st {
                    // libssh2 signs with the key type's name; a modern sshd no longer accepts
                    // ssh-rsa (SHA-1), so RSA keys pick rsa-sha2-* like public key auth does.
                    let alg = s.user_sig_alg(&key_type);
                    let mut body = Self::auth_request(user, b"hostbased");
                    body.string(alg.as_bytes()).string(blob).string(host).string(local_user);
                    let data = s.signed_data(&body.buf);
                    let sig = sign(&alg, &data)
                        .map_err(|_| Error::new(code::PUBLICKEY_UNVERIFIED, "Unable to sign hostbased request"))?;
                    body.string(&signature_blob(&alg, &sig));
                    s.send(&body.buf)?;
                    *st = AuthState::Sent;
                }
                let p = ready!(s.auth_reply(false).map_err(reply_failed(code::PUBLICKEY_UNVERIFIED, "Auth failed"))?);
                s.auth_done(
                    &p,
                    code::PUBLICKEY_UNVERIFIED,
                    "Invalid signature for supplied public key, or bad username/public key combination",
                )
                .map(Ready)
            })
        })
    }

    /// One step of an authentication, its state in the session's `auth`
    /// slot (kept while pending, dropped when it ends: `Session::resume`).
    fn auth_op<T>(&mut self, step: impl FnOnce(&mut Session, &mut AuthState) -> Result<Step<T>>) -> Result<Step<T>> {
        self.resume(|s| &mut s.auth, AuthState::default, step)
    }

    fn send_pk_query(&mut self, user: &[u8], alg: &str, blob: &[u8]) -> Result<()> {
        let mut w = Self::auth_request(user, b"publickey");
        w.bool(false).string(alg.as_bytes()).string(blob);
        self.send(&w.buf)
    }

    /// What a user or host key signs: string session identifier, then the request.
    fn signed_data(&self, request: &[u8]) -> Vec<u8> {
        let sid = self.conn.as_ref().and_then(|c| c.session_id()).unwrap_or_default();
        let mut data = Writer::new();
        data.string(sid).raw(request);
        data.into_inner()
    }

    /// Signs with a private key the library loaded, returning the raw signature.
    pub fn sign_with(key: &crate::keys::PrivateKey, alg: &str, data: &[u8]) -> Result<Vec<u8>> {
        let full = key.sign(alg, data)?;
        let mut r = Reader::new(&full);
        r.string()?;
        Ok(r.string()?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::fuzzing::Timeline;

    /// USERAUTH_PASSWD_CHANGEREQ with a prompt.
    fn change_request() -> Vec<u8> {
        let mut w = Writer::msg(msg::USERAUTH_PASSWD_CHANGEREQ);
        w.string(b"Password expired").string(b"");
        w.buf
    }

    #[test]
    fn an_expired_password_is_changed_through_the_callback() {
        let tl = Timeline::new([(50, change_request()), (100, vec![msg::USERAUTH_SUCCESS])]);
        let mut s = Session::on_timeline(&tl, false);
        s.timeout_ms = 1000;
        let mut asked = Vec::new();
        let mut change = |prompt: &[u8]| {
            asked.push(prompt.to_vec());
            Some(b"new".to_vec())
        };
        s.userauth_password(b"alice", b"old", Some(&mut change)).expect("changed and accepted");
        assert_eq!(asked, [b"Password expired".to_vec()], "asked once, with the server's prompt");
        assert!(s.authenticated);
        assert_eq!(tl.now(), 100, "done when the last reply came");
        assert!(s.auth.is_none(), "nothing left in flight");
    }

    #[test]
    fn a_change_request_without_a_callback_is_password_expired() {
        let tl = Timeline::new([(50, change_request())]);
        let mut s = Session::on_timeline(&tl, false);
        s.timeout_ms = 1000;
        let e = s.userauth_password(b"alice", b"old", None).expect_err("no callback");
        assert_eq!((e.code, e.msg.as_ref()), (code::PASSWORD_EXPIRED, "Password Expired, and no callback specified"));
        assert!(s.auth.is_none(), "the failed attempt is forgotten");
    }

    #[test]
    fn a_slow_change_reply_times_out_on_the_fake_clock_and_resumes() {
        // The change request comes in time, the final answer only after the
        // timeout: the call gives up at T with its state kept, and the
        // repeated call (no second request, no second prompt) ends it.
        let tl = Timeline::new([(50, change_request()), (1500, vec![msg::USERAUTH_SUCCESS])]);
        let mut s = Session::on_timeline(&tl, false);
        s.timeout_ms = 1000;
        let mut prompts = 0;
        let mut change = |_: &[u8]| {
            prompts += 1;
            Some(b"new".to_vec())
        };
        let e = s.userauth_password(b"alice", b"old", Some(&mut change)).expect_err("timed out");
        assert_eq!(e.code, code::TIMEOUT);
        assert!(tl.now() <= 1000, "gave up at {} ms, after the 1000 ms timeout", tl.now());
        assert!(s.auth.is_some(), "the timed-out attempt is kept");
        s.userauth_password(b"alice", b"old", Some(&mut change)).expect("the repeated call ends it");
        assert_eq!(prompts, 1, "the callback ran once");
        assert!(s.authenticated);
    }
}
