//! User authentication (RFC 4252, RFC 4256): none/list, password with the
//! change request, keyboard-interactive, public key with any signer.
//! Each operation is resumable: its progress lives in `Session::auth`.

use super::driver::drive;
use super::Session;
use crate::error::{code, Error, Result};
use crate::proto::msg;
use crate::proto::wire::{Reader, Writer};

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
    /// A request is out; waiting for its reply.
    Sent,
    /// Public key: the query was accepted (PK_OK); the signed request is next.
    PkAccepted,
    /// Public key: the signed request is out.
    PkSigned,
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
    matches!(t, msg::USERAUTH_FAILURE | msg::USERAUTH_SUCCESS | msg::USERAUTH_BANNER | 60 | 61)
}

impl Session {
    /// Waits for the next reply to an auth request, keeping banners aside.
    fn auth_reply(&mut self) -> Result<Vec<u8>> {
        self.awaiting_reply = true;
        loop {
            let p = self.wait_packet(is_auth_reply)?;
            if p[0] == msg::USERAUTH_BANNER {
                let mut r = Reader::new(&p[1..]);
                self.userauth_banner = Some(r.string()?.to_vec());
                continue;
            }
            self.awaiting_reply = false;
            return Ok(p);
        }
    }

    fn auth_request(user: &[u8], method: &[u8]) -> Writer {
        let mut w = Writer::msg(msg::USERAUTH_REQUEST);
        w.string(user).string(SERVICE).string(method);
        w
    }

    fn require_handshake(&self) -> Result<()> {
        if !self.connected() {
            return Err(Error::new(code::SOCKET_NONE, "Session is not connected"));
        }
        Ok(())
    }

    fn auth_done(&mut self, p: &[u8], fail_code: i32, fail_msg: &'static str) -> Result<()> {
        self.auth = AuthState::Idle;
        match p[0] {
            msg::USERAUTH_SUCCESS => {
                self.authenticated = true;
                Ok(())
            }
            msg::USERAUTH_FAILURE => {
                let mut r = Reader::new(&p[1..]);
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
            if let AuthState::Idle = s.auth {
                let w = Self::auth_request(user, b"none");
                s.send(&w.buf)?;
                s.auth = AuthState::Sent;
            }
            let p = s.auth_reply()?;
            s.auth = AuthState::Idle;
            match p[0] {
                msg::USERAUTH_SUCCESS => {
                    s.authenticated = true;
                    Err(Error::new(code::NONE, "No error"))
                }
                msg::USERAUTH_FAILURE => {
                    let mut r = Reader::new(&p[1..]);
                    let m = r.str()?.to_owned();
                    s.auth_methods = Some(m.clone());
                    Ok(Some(m))
                }
                _ => Err(Error::proto("Unexpected reply to none authentication")),
            }
        })
        .or_else(|e| if e.code == code::NONE { Ok(None) } else { Err(e) })
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
            if let AuthState::Idle = s.auth {
                let mut w = Self::auth_request(user, b"password");
                w.bool(false).string(password);
                s.send(&w.buf)?;
                s.auth = AuthState::Sent;
            }
            loop {
                let p = s.auth_reply()?;
                if p[0] == msg::USERAUTH_PASSWD_CHANGEREQ {
                    let mut r = Reader::new(&p[1..]);
                    let prompt = r.string()?.to_vec();
                    let Some(cb) = change.as_mut() else {
                        s.auth = AuthState::Idle;
                        return Err(Error::new(code::PASSWORD_EXPIRED, "Password Expired, and no callback specified"));
                    };
                    let Some(newpw) = cb(&prompt) else {
                        s.auth = AuthState::Idle;
                        return Err(Error::new(code::PASSWORD_EXPIRED, "Password expired, and callback failed"));
                    };
                    let mut w = Self::auth_request(user, b"password");
                    w.bool(true).string(password).string(&newpw);
                    s.send(&w.buf)?;
                    continue;
                }
                return s.auth_done(&p, code::AUTHENTICATION_FAILED, "Authentication failed (username/password)");
            }
        })
    }

    /// Keyboard-interactive authentication; `respond(name, instruction, prompts)`
    /// returns one answer per prompt.
    pub fn userauth_keyboard_interactive(
        &mut self,
        user: &[u8],
        respond: &mut dyn FnMut(&[u8], &[u8], &[Prompt]) -> Vec<Vec<u8>>,
    ) -> Result<()> {
        self.require_handshake()?;
        drive(self, |s| {
            if let AuthState::Idle = s.auth {
                let mut w = Self::auth_request(user, b"keyboard-interactive");
                w.string(b"").string(b"");
                s.send(&w.buf)?;
                s.auth = AuthState::Sent;
            }
            loop {
                let p = s.auth_reply()?;
                if p[0] != msg::USERAUTH_INFO_REQUEST {
                    return s.auth_done(
                        &p,
                        code::AUTHENTICATION_FAILED,
                        "Authentication failed (keyboard-interactive)",
                    );
                }
                let mut r = Reader::new(&p[1..]);
                let name = r.string()?.to_vec();
                let instruction = r.string()?.to_vec();
                let _lang = r.string()?;
                let n = r.u32()?;
                if n > MAX_KBDINT_PROMPTS {
                    s.auth = AuthState::Idle;
                    return Err(Error::new(code::OUT_OF_BOUNDARY, "Too many replies for keyboard-interactive prompts"));
                }
                let mut prompts = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    let text = r.string()?.to_vec();
                    let echo = r.bool()?;
                    prompts.push(Prompt { text, echo });
                }
                let answers = respond(&name, &instruction, &prompts);
                let mut w = Writer::msg(msg::USERAUTH_INFO_RESPONSE);
                w.u32(n);
                for i in 0..n as usize {
                    w.string(answers.get(i).map_or(&[][..], Vec::as_slice));
                }
                s.send(&w.buf)?;
            }
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
    /// which returns the raw signature (without the algorithm name).
    pub fn userauth_publickey(
        &mut self,
        user: &[u8],
        blob: &[u8],
        sign: &mut dyn FnMut(&str, &[u8]) -> Result<Vec<u8>>,
    ) -> Result<()> {
        self.require_handshake()?;
        let key_type = {
            let mut r = Reader::new(blob);
            r.str().map_err(|_| Error::new(code::PUBLICKEY_UNVERIFIED, "Invalid public key blob"))?.to_owned()
        };
        let alg = self.user_sig_alg(&key_type);
        drive(self, |s| {
            if let AuthState::Idle = s.auth {
                let mut w = Self::auth_request(user, b"publickey");
                w.bool(false).string(alg.as_bytes()).string(blob);
                s.send(&w.buf)?;
                s.auth = AuthState::Sent;
            }
            if let AuthState::Sent = s.auth {
                let p = s.auth_reply()?;
                match p[0] {
                    msg::USERAUTH_PK_OK => s.auth = AuthState::PkAccepted,
                    msg::USERAUTH_SUCCESS => return s.auth_done(&p, 0, ""),
                    _ => return s.auth_done(&p, code::AUTHENTICATION_FAILED, "Username/PublicKey combination invalid"),
                }
            }
            if let AuthState::PkAccepted = s.auth {
                let sid = s.conn.as_ref().and_then(|c| c.session_id()).unwrap_or_default().to_vec();
                let mut body = Self::auth_request(user, b"publickey");
                body.bool(true).string(alg.as_bytes()).string(blob);
                let mut data = Writer::new();
                data.string(&sid).raw(&body.buf);
                let sig = sign(&alg, &data.buf).map_err(|e| {
                    s.auth = AuthState::Idle;
                    if e.code == code::EAGAIN {
                        e
                    } else {
                        Error::new(code::PUBLICKEY_UNVERIFIED, "Callback returned error")
                    }
                })?;
                let mut sigblob = Writer::new();
                sigblob.string(alg.as_bytes()).string(&sig);
                body.string(&sigblob.buf);
                s.send(&body.buf)?;
                s.auth = AuthState::PkSigned;
            }
            let p = s.auth_reply()?;
            s.auth_done(
                &p,
                code::PUBLICKEY_UNVERIFIED,
                "Invalid signature for supplied public key, or bad username/public key combination",
            )
        })
    }

    /// Signs with a private key the library loaded, returning the raw signature.
    pub fn sign_with(key: &crate::keys::PrivateKey, alg: &str, data: &[u8]) -> Result<Vec<u8>> {
        let full = key.sign(alg, data)?;
        let mut r = Reader::new(&full);
        r.string()?;
        Ok(r.string()?.to_vec())
    }
}
