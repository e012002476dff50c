//! The crate's one error type: a libssh2 error code and a message.
//!
//! The protocol core never returns `EAGAIN`; only the I/O driver does.

use std::borrow::Cow;
use std::fmt;

/// libssh2's `LIBSSH2_ERROR_*` codes (values fixed by the 1.11.1 ABI).
#[allow(missing_docs)]
pub mod code {
    pub const NONE: i32 = 0;
    pub const SOCKET_NONE: i32 = -1;
    pub const BANNER_RECV: i32 = -2;
    pub const BANNER_SEND: i32 = -3;
    pub const INVALID_MAC: i32 = -4;
    pub const KEX_FAILURE: i32 = -5;
    pub const ALLOC: i32 = -6;
    pub const SOCKET_SEND: i32 = -7;
    pub const KEY_EXCHANGE_FAILURE: i32 = -8;
    pub const TIMEOUT: i32 = -9;
    pub const HOSTKEY_INIT: i32 = -10;
    pub const HOSTKEY_SIGN: i32 = -11;
    pub const DECRYPT: i32 = -12;
    pub const SOCKET_DISCONNECT: i32 = -13;
    pub const PROTO: i32 = -14;
    pub const PASSWORD_EXPIRED: i32 = -15;
    pub const FILE: i32 = -16;
    pub const METHOD_NONE: i32 = -17;
    pub const AUTHENTICATION_FAILED: i32 = -18;
    pub const PUBLICKEY_UNRECOGNIZED: i32 = AUTHENTICATION_FAILED;
    pub const PUBLICKEY_UNVERIFIED: i32 = -19;
    pub const CHANNEL_OUTOFORDER: i32 = -20;
    pub const CHANNEL_FAILURE: i32 = -21;
    pub const CHANNEL_REQUEST_DENIED: i32 = -22;
    pub const CHANNEL_UNKNOWN: i32 = -23;
    pub const CHANNEL_WINDOW_EXCEEDED: i32 = -24;
    pub const CHANNEL_PACKET_EXCEEDED: i32 = -25;
    pub const CHANNEL_CLOSED: i32 = -26;
    pub const CHANNEL_EOF_SENT: i32 = -27;
    pub const SCP_PROTOCOL: i32 = -28;
    pub const ZLIB: i32 = -29;
    pub const SOCKET_TIMEOUT: i32 = -30;
    pub const SFTP_PROTOCOL: i32 = -31;
    pub const REQUEST_DENIED: i32 = -32;
    pub const METHOD_NOT_SUPPORTED: i32 = -33;
    pub const INVAL: i32 = -34;
    pub const INVALID_POLL_TYPE: i32 = -35;
    pub const PUBLICKEY_PROTOCOL: i32 = -36;
    pub const EAGAIN: i32 = -37;
    pub const BUFFER_TOO_SMALL: i32 = -38;
    pub const BAD_USE: i32 = -39;
    pub const COMPRESS: i32 = -40;
    pub const OUT_OF_BOUNDARY: i32 = -41;
    pub const AGENT_PROTOCOL: i32 = -42;
    pub const SOCKET_RECV: i32 = -43;
    pub const ENCRYPT: i32 = -44;
    pub const BAD_SOCKET: i32 = -45;
    pub const KNOWN_HOSTS: i32 = -46;
    pub const CHANNEL_WINDOW_FULL: i32 = -47;
    pub const KEYFILE_AUTH_FAILED: i32 = -48;
    pub const RANDGEN: i32 = -49;
    pub const MISSING_USERAUTH_BANNER: i32 = -50;
    pub const ALGO_UNSUPPORTED: i32 = -51;
    pub const MAC_FAILURE: i32 = -52;
    pub const HASH_INIT: i32 = -53;
    pub const HASH_CALC: i32 = -54;
}

/// An error: a negative `LIBSSH2_ERROR_*` code and a human-readable message.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    /// The `LIBSSH2_ERROR_*` code (always negative).
    pub code: i32,
    /// The message `libssh2_session_last_error` reports.
    pub msg: Cow<'static, str>,
}

/// The crate-wide result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with a fixed message.
    pub const fn new(code: i32, msg: &'static str) -> Self {
        Error { code, msg: Cow::Borrowed(msg) }
    }

    /// An error with a formatted message.
    pub fn with(code: i32, msg: impl Into<String>) -> Self {
        Error { code, msg: Cow::Owned(msg.into()) }
    }

    /// A code returned without becoming the session's last error: libssh2
    /// returns some codes (a caller's buffer too small) without recording them.
    pub const fn unrecorded(code: i32) -> Self {
        Self::new(code, "")
    }

    /// Whether this error is returned without being recorded (see [`Self::unrecorded`]).
    pub fn is_unrecorded(&self) -> bool {
        self.msg.is_empty()
    }

    /// Whether the operation is still in progress: it would block, or the
    /// blocking call's timeout ended the wait (libssh2's timeout stops the
    /// waiting, not the state machine, so a repeated call resumes).
    pub fn is_pending(&self) -> bool {
        self.code == code::EAGAIN || self.code == code::TIMEOUT
    }

    /// `LIBSSH2_ERROR_PROTO` with `msg`: a malformed or unexpected message from the peer.
    pub const fn proto(msg: &'static str) -> Self {
        Self::new(code::PROTO, msg)
    }

    /// `LIBSSH2_ERROR_ALLOC`: memory could not be obtained.
    pub const fn alloc() -> Self {
        Self::new(code::ALLOC, "Unable to allocate memory")
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({}, {:?})", self.code, self.msg)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (libssh2 error {})", self.msg, self.code)
    }
}

impl std::error::Error for Error {}
