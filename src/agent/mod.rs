//! ssh-agent client (OpenSSH PROTOCOL.agent) over a Unix socket: connect through
//! `SSH_AUTH_SOCK` or a caller-given path, list identities, sign, and public key
//! authentication with an agent-held key.
//!
//! `proto` is the sans-IO wire format; the socket calls are in the I/O module
//! (`session::io::agent_connect`, `agent_exchange`). Like libssh2, the agent
//! socket is blocking whatever the session's mode: the agent is a local process
//! that answers at once, so an agent call never returns EAGAIN (the SSH half of
//! `userauth` still may). A bounded I/O timeout keeps a stuck agent from hanging
//! the caller forever.

pub mod proto;

use std::os::unix::net::UnixStream;

use crate::error::{code, Error, Result};
use crate::session::driver::Ready;
use crate::session::io::{agent_connect, agent_exchange, AgentIoError};
use crate::session::Session;
pub use proto::Identity;

/// The environment variable naming the agent socket.
pub const AUTH_SOCK_ENV: &str = "SSH_AUTH_SOCK";

/// A connection to ssh-agent and the identities it last listed.
#[derive(Default)]
pub struct Agent {
    path: Option<Vec<u8>>,
    stream: Option<UnixStream>,
    identities: Vec<Identity>,
    /// A connect was tried: libssh2 then has a backend, and a request on a closed
    /// socket fails as a send (SOCKET_SEND), not as "not connected" (BAD_USE).
    tried: bool,
}

impl Agent {
    /// A new, unconnected agent client.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `path` instead of `SSH_AUTH_SOCK` (None: back to the environment).
    pub fn set_identity_path(&mut self, path: Option<&[u8]>) {
        self.path = path.map(<[u8]>::to_vec);
    }

    /// The socket path set with `set_identity_path`.
    pub fn identity_path(&self) -> Option<&[u8]> {
        self.path.as_deref()
    }

    /// Whether a socket is open.
    pub fn is_connected(&self) -> bool {
        self.stream.is_some()
    }

    /// Connects to the agent at the identity path, or else at `SSH_AUTH_SOCK`.
    pub fn connect(&mut self) -> Result<()> {
        use std::os::unix::ffi::OsStrExt;
        self.tried = true;
        let path = match &self.path {
            Some(p) => std::ffi::OsStr::from_bytes(p).to_owned(),
            None => std::env::var_os(AUTH_SOCK_ENV).ok_or(Error::new(code::BAD_USE, "no auth sock variable"))?,
        };
        let stream =
            agent_connect(&path).map_err(|_| Error::new(code::AGENT_PROTOCOL, "failed connecting with agent"))?;
        self.stream = Some(stream);
        Ok(())
    }

    /// Closes the agent socket (the identities stay listed, as in libssh2).
    pub fn disconnect(&mut self) -> Result<()> {
        self.stream = None;
        Ok(())
    }

    /// Sends one framed request and reads the reply body.
    fn transact(&mut self, request: &[u8]) -> Result<Vec<u8>> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(if self.tried {
                Error::new(code::SOCKET_SEND, "agent send failed")
            } else {
                Error::new(code::BAD_USE, "agent not connected")
            });
        };
        match agent_exchange(stream, request, proto::MAX_AGENT_MESSAGE) {
            Ok(body) => Ok(body),
            Err(AgentIoError::Send) => Err(Error::new(code::SOCKET_SEND, "agent send failed")),
            Err(AgentIoError::Recv) => Err(Error::new(code::SOCKET_RECV, "agent recv failed")),
            Err(AgentIoError::TooLong) => {
                // The stream is out of step now: drop it.
                self.stream = None;
                Err(Error::new(code::AGENT_PROTOCOL, "agent reply too long"))
            }
        }
    }

    /// Asks the agent for its identities, replacing the last list.
    pub fn list_identities(&mut self) -> Result<()> {
        self.identities.clear();
        let body = self.transact(&proto::request_identities())?;
        self.identities = proto::parse_identities(&body)?;
        Ok(())
    }

    /// The identities of the last `list_identities`.
    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    /// Asks the agent to sign `data` with the key `blob` using signature algorithm
    /// `sig_alg` (RSA: the SHA-2 flag is set to match). Returns the raw signature
    /// (for security keys: signature string, flags and counter).
    pub fn sign(&mut self, blob: &[u8], data: &[u8], sig_alg: &str) -> Result<Vec<u8>> {
        let body = self.transact(&proto::sign_request(blob, data, proto::sign_flags(sig_alg)))?;
        proto::parse_sign_response(&body, sig_alg)
    }

    /// Public key authentication for `user` with the agent-held key `blob`.
    pub fn userauth(&mut self, sess: &mut Session, user: &[u8], blob: &[u8]) -> Result<()> {
        sess.userauth_publickey(user, blob, &mut |alg, data| self.sign(blob, data, alg).map(Ready))
    }
}
