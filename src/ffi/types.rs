//! `#[repr(C)]` mirrors of the types in include/*.h, and the public constants
//! (other than the `LIBSSH2_ERROR_*` codes, which live in [`crate::error::code`]).
//!
//! Struct and field names are the C ones so that a shim reads like the
//! header. tests/abi.rs checks every size, alignment and field offset here
//! against the C compiler's view of include/, and every constant against the
//! header's value; scripts/check-header-facts.sh checks include/ against
//! libssh2 1.11.1 itself.
#![allow(non_camel_case_types)]

use core::marker::{PhantomData, PhantomPinned};
use libc::{c_char, c_int, c_uchar, c_uint, c_ulong, c_void, size_t, ssize_t};

// ---------------------------------------------------------------------------
// Scalar typedefs
// ---------------------------------------------------------------------------

/// `libssh2_socket_t`: a socket file descriptor on POSIX systems.
pub type libssh2_socket_t = c_int;
/// `libssh2_uint64_t` (`unsigned long long`).
pub type libssh2_uint64_t = u64;
/// `libssh2_int64_t` (`long long`).
pub type libssh2_int64_t = i64;
/// `libssh2_struct_stat_size`: the type of `st_size` in `struct stat`.
pub type libssh2_struct_stat_size = libc::off_t;
/// `libssh2_struct_stat`: what `libssh2_scp_recv2` fills.
pub type libssh2_struct_stat = libc::stat;
/// `libssh2_crypto_engine_t`, a C enum (values in [`crypto_engine`]).
pub type libssh2_crypto_engine_t = c_int;
/// `libssh2_cb_generic`: the untyped callback pointer of `libssh2_session_callback_set2`.
pub type libssh2_cb_generic = Option<unsafe extern "C" fn()>;
/// `libssh2_trace_handler_func`: receives trace output (not NUL-terminated).
pub type libssh2_trace_handler_func =
    Option<unsafe extern "C" fn(*mut LIBSSH2_SESSION, *mut c_void, *const c_char, size_t)>;

// ---------------------------------------------------------------------------
// Opaque handles: C only ever sees pointers to these.
// ---------------------------------------------------------------------------

macro_rules! opaque {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[repr(C)]
        pub struct $name {
            _opaque: [u8; 0],
            // Neither Send, Sync nor Unpin: C owns the pointee's identity.
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}

opaque! {
    /// `LIBSSH2_SESSION`: one SSH connection.
    LIBSSH2_SESSION;
    /// `LIBSSH2_CHANNEL`: one channel of a session.
    LIBSSH2_CHANNEL;
    /// `LIBSSH2_LISTENER`: a remote port forward awaiting connections.
    LIBSSH2_LISTENER;
    /// `LIBSSH2_KNOWNHOSTS`: a known_hosts collection.
    LIBSSH2_KNOWNHOSTS;
    /// `LIBSSH2_AGENT`: an ssh-agent connection.
    LIBSSH2_AGENT;
    /// `LIBSSH2_SFTP`: an SFTP subsystem instance.
    LIBSSH2_SFTP;
    /// `LIBSSH2_SFTP_HANDLE`: an open remote file or directory.
    LIBSSH2_SFTP_HANDLE;
    /// `LIBSSH2_PUBLICKEY`: a publickey-subsystem instance.
    LIBSSH2_PUBLICKEY;
}

// ---------------------------------------------------------------------------
// Callback types (the LIBSSH2_*_FUNC declarator macros)
// ---------------------------------------------------------------------------

/// `LIBSSH2_ALLOC_FUNC`: `(count, abstract) -> ptr`.
pub type LIBSSH2_ALLOC_FUNC = Option<unsafe extern "C" fn(size_t, *mut *mut c_void) -> *mut c_void>;
/// `LIBSSH2_REALLOC_FUNC`: `(ptr, count, abstract) -> ptr`.
pub type LIBSSH2_REALLOC_FUNC = Option<unsafe extern "C" fn(*mut c_void, size_t, *mut *mut c_void) -> *mut c_void>;
/// `LIBSSH2_FREE_FUNC`: `(ptr, abstract)`.
pub type LIBSSH2_FREE_FUNC = Option<unsafe extern "C" fn(*mut c_void, *mut *mut c_void)>;
/// `LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC`: `(session, sig, sig_len, data, data_len, abstract)`.
pub type LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC = Option<
    unsafe extern "C" fn(
        *mut LIBSSH2_SESSION,
        *mut *mut c_uchar,
        *mut size_t,
        *const c_uchar,
        size_t,
        *mut *mut c_void,
    ) -> c_int,
>;
/// `LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC`: answers keyboard-interactive prompts.
pub type LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC = Option<
    unsafe extern "C" fn(
        *const c_char,
        c_int,
        *const c_char,
        c_int,
        c_int,
        *const LIBSSH2_USERAUTH_KBDINT_PROMPT,
        *mut LIBSSH2_USERAUTH_KBDINT_RESPONSE,
        *mut *mut c_void,
    ),
>;
/// `LIBSSH2_USERAUTH_SK_SIGN_FUNC`: produces a security-key signature.
pub type LIBSSH2_USERAUTH_SK_SIGN_FUNC = Option<
    unsafe extern "C" fn(
        *mut LIBSSH2_SESSION,
        *mut LIBSSH2_SK_SIG_INFO,
        *const c_uchar,
        size_t,
        c_int,
        u8,
        *const c_char,
        *const c_uchar,
        size_t,
        *mut *mut c_void,
    ) -> c_int,
>;
/// `LIBSSH2_IGNORE_FUNC`: `(session, message, message_len, abstract)`.
pub type LIBSSH2_IGNORE_FUNC =
    Option<unsafe extern "C" fn(*mut LIBSSH2_SESSION, *const c_char, c_int, *mut *mut c_void)>;
/// `LIBSSH2_DEBUG_FUNC`: `(session, always_display, message, len, language, len, abstract)`.
pub type LIBSSH2_DEBUG_FUNC = Option<
    unsafe extern "C" fn(*mut LIBSSH2_SESSION, c_int, *const c_char, c_int, *const c_char, c_int, *mut *mut c_void),
>;
/// `LIBSSH2_DISCONNECT_FUNC`: `(session, reason, message, len, language, len, abstract)`.
pub type LIBSSH2_DISCONNECT_FUNC = LIBSSH2_DEBUG_FUNC;
/// `LIBSSH2_PASSWD_CHANGEREQ_FUNC`: `(session, newpw, newpw_len, abstract)`.
pub type LIBSSH2_PASSWD_CHANGEREQ_FUNC =
    Option<unsafe extern "C" fn(*mut LIBSSH2_SESSION, *mut *mut c_char, *mut c_int, *mut *mut c_void)>;
/// `LIBSSH2_MACERROR_FUNC`: `(session, packet, packet_len, abstract) -> ignore?`.
pub type LIBSSH2_MACERROR_FUNC =
    Option<unsafe extern "C" fn(*mut LIBSSH2_SESSION, *const c_char, c_int, *mut *mut c_void) -> c_int>;
/// `LIBSSH2_X11_OPEN_FUNC`: `(session, channel, shost, sport, abstract)`.
pub type LIBSSH2_X11_OPEN_FUNC =
    Option<unsafe extern "C" fn(*mut LIBSSH2_SESSION, *mut LIBSSH2_CHANNEL, *const c_char, c_int, *mut *mut c_void)>;
/// `LIBSSH2_AUTHAGENT_FUNC`: `(session, channel, abstract)`.
pub type LIBSSH2_AUTHAGENT_FUNC =
    Option<unsafe extern "C" fn(*mut LIBSSH2_SESSION, *mut LIBSSH2_CHANNEL, *mut *mut c_void)>;
/// `LIBSSH2_ADD_IDENTITIES_FUNC`: `(session, buffer, agent_path, abstract)`.
pub type LIBSSH2_ADD_IDENTITIES_FUNC =
    Option<unsafe extern "C" fn(*mut LIBSSH2_SESSION, *mut c_void, *const c_char, *mut *mut c_void)>;
/// `LIBSSH2_AUTHAGENT_SIGN_FUNC`: `(session, blob, blen, data, dlen, signature, sigLen, agentPath, abstract)`.
pub type LIBSSH2_AUTHAGENT_SIGN_FUNC = Option<
    unsafe extern "C" fn(
        *mut LIBSSH2_SESSION,
        *mut c_uchar,
        c_uint,
        *const c_uchar,
        c_uint,
        *mut *mut c_uchar,
        *mut c_uint,
        *const c_char,
        *mut *mut c_void,
    ) -> c_int,
>;
/// `LIBSSH2_CHANNEL_CLOSE_FUNC`: `(session, session_abstract, channel, channel_abstract)`.
pub type LIBSSH2_CHANNEL_CLOSE_FUNC =
    Option<unsafe extern "C" fn(*mut LIBSSH2_SESSION, *mut *mut c_void, *mut LIBSSH2_CHANNEL, *mut *mut c_void)>;
/// `LIBSSH2_RECV_FUNC`: `(socket, buffer, length, flags, abstract) -> bytes or -errno`.
pub type LIBSSH2_RECV_FUNC =
    Option<unsafe extern "C" fn(libssh2_socket_t, *mut c_void, size_t, c_int, *mut *mut c_void) -> ssize_t>;
/// `LIBSSH2_SEND_FUNC`: `(socket, buffer, length, flags, abstract) -> bytes or -errno`.
pub type LIBSSH2_SEND_FUNC =
    Option<unsafe extern "C" fn(libssh2_socket_t, *const c_void, size_t, c_int, *mut *mut c_void) -> ssize_t>;

// ---------------------------------------------------------------------------
// Structs
// ---------------------------------------------------------------------------

/// `LIBSSH2_USERAUTH_KBDINT_PROMPT`: one prompt of a keyboard-interactive request.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct LIBSSH2_USERAUTH_KBDINT_PROMPT {
    /// Prompt text (not NUL-terminated).
    pub text: *mut c_uchar,
    /// Length of `text` in bytes.
    pub length: size_t,
    /// Nonzero when the answer may be echoed.
    pub echo: c_uchar,
}

/// `LIBSSH2_USERAUTH_KBDINT_RESPONSE`: one answer, allocated by the application.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct LIBSSH2_USERAUTH_KBDINT_RESPONSE {
    /// Answer text from the session allocator; the library frees it.
    pub text: *mut c_char,
    /// Length of `text` in bytes.
    pub length: c_uint,
}

/// `LIBSSH2_SK_SIG_INFO`: a security-key signature returned by the SK callback.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct LIBSSH2_SK_SIG_INFO {
    /// Authenticator flags byte.
    pub flags: u8,
    /// Authenticator signature counter.
    pub counter: u32,
    /// Signature `r` (ECDSA) or the whole signature (Ed25519).
    pub sig_r: *mut c_uchar,
    /// Length of `sig_r`.
    pub sig_r_len: size_t,
    /// Signature `s` (ECDSA only).
    pub sig_s: *mut c_uchar,
    /// Length of `sig_s`.
    pub sig_s_len: size_t,
}

/// `LIBSSH2_PRIVKEY_SK`: a security key as passed to `libssh2_sign_sk`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct LIBSSH2_PRIVKEY_SK {
    /// Key algorithm as the SK callback understands it.
    pub algorithm: c_int,
    /// `LIBSSH2_SK_*` flags.
    pub flags: u8,
    /// Application string (for example "ssh:").
    pub application: *const c_char,
    /// Authenticator key handle.
    pub key_handle: *const c_uchar,
    /// Length of `key_handle`.
    pub handle_len: size_t,
    /// The application's signing callback.
    pub sign_callback: LIBSSH2_USERAUTH_SK_SIGN_FUNC,
    /// The `abstract` pointer the application passed in.
    pub orig_abstract: *mut *mut c_void,
}

/// The `fd` union of `LIBSSH2_POLLFD` (anonymous in C).
#[repr(C)]
#[derive(Clone, Copy)]
pub union LIBSSH2_POLLFD_fd {
    /// For `LIBSSH2_POLLFD_SOCKET`.
    pub socket: libssh2_socket_t,
    /// For `LIBSSH2_POLLFD_CHANNEL`.
    pub channel: *mut LIBSSH2_CHANNEL,
    /// For `LIBSSH2_POLLFD_LISTENER`.
    pub listener: *mut LIBSSH2_LISTENER,
}

/// `LIBSSH2_POLLFD`: one entry of a `libssh2_poll` request.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LIBSSH2_POLLFD {
    /// Which `fd` member is valid ([`pollfd::SOCKET`] etc.).
    pub r#type: c_uchar,
    /// The socket, channel or listener polled.
    pub fd: LIBSSH2_POLLFD_fd,
    /// Requested [`pollfd`] event bits.
    pub events: c_ulong,
    /// Returned [`pollfd`] event bits.
    pub revents: c_ulong,
}

/// `struct libssh2_knownhost`: one known_hosts entry, owned by its collection.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libssh2_knownhost {
    /// Set by the library to recognise its own entries.
    pub magic: c_uint,
    /// The library's internal node for this entry.
    pub node: *mut c_void,
    /// Plain host name, or NULL when stored hashed.
    pub name: *mut c_char,
    /// Key in base64.
    pub key: *mut c_char,
    /// [`knownhost`] type, encoding and key bits.
    pub typemask: c_int,
}

/// `struct libssh2_agent_publickey`: one identity held by ssh-agent.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libssh2_agent_publickey {
    /// Set by the library to recognise its own entries.
    pub magic: c_uint,
    /// The library's internal node for this identity.
    pub node: *mut c_void,
    /// Public key blob in SSH wire format.
    pub blob: *mut c_uchar,
    /// Length of `blob`.
    pub blob_len: size_t,
    /// The key's comment (NUL-terminated).
    pub comment: *mut c_char,
}

/// `LIBSSH2_SFTP_ATTRIBUTES`: file attributes; valid members flagged in `flags`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LIBSSH2_SFTP_ATTRIBUTES {
    /// [`sftp_attr`] bits saying which members are meaningful.
    pub flags: c_ulong,
    /// File size in bytes.
    pub filesize: libssh2_uint64_t,
    /// Owner user id.
    pub uid: c_ulong,
    /// Owner group id.
    pub gid: c_ulong,
    /// Mode bits ([`sftp_mode`]).
    pub permissions: c_ulong,
    /// Access time, seconds since the epoch.
    pub atime: c_ulong,
    /// Modification time, seconds since the epoch.
    pub mtime: c_ulong,
}

/// `LIBSSH2_SFTP_STATVFS`: file system statistics (statvfs@openssh.com).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LIBSSH2_SFTP_STATVFS {
    /// File system block size.
    pub f_bsize: libssh2_uint64_t,
    /// Fragment size.
    pub f_frsize: libssh2_uint64_t,
    /// Size of the file system in `f_frsize` units.
    pub f_blocks: libssh2_uint64_t,
    /// Free blocks.
    pub f_bfree: libssh2_uint64_t,
    /// Free blocks for unprivileged users.
    pub f_bavail: libssh2_uint64_t,
    /// Inodes.
    pub f_files: libssh2_uint64_t,
    /// Free inodes.
    pub f_ffree: libssh2_uint64_t,
    /// Free inodes for unprivileged users.
    pub f_favail: libssh2_uint64_t,
    /// File system id.
    pub f_fsid: libssh2_uint64_t,
    /// Mount flags ([`sftp_st`]).
    pub f_flag: libssh2_uint64_t,
    /// Maximum file name length.
    pub f_namemax: libssh2_uint64_t,
}

/// `libssh2_publickey_attribute`: one attribute of a publickey-subsystem key.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libssh2_publickey_attribute {
    /// Attribute name.
    pub name: *const c_char,
    /// Length of `name`.
    pub name_len: c_ulong,
    /// Attribute value.
    pub value: *const c_char,
    /// Length of `value`.
    pub value_len: c_ulong,
    /// Nonzero when the server must understand the attribute.
    pub mandatory: c_char,
}

/// `libssh2_publickey_list`: one key listed by `libssh2_publickey_list_fetch`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libssh2_publickey_list {
    /// The buffer the other pointers point into (freed with the list).
    pub packet: *mut c_uchar,
    /// Key algorithm name.
    pub name: *const c_uchar,
    /// Length of `name`.
    pub name_len: c_ulong,
    /// Public key blob.
    pub blob: *const c_uchar,
    /// Length of `blob`.
    pub blob_len: c_ulong,
    /// Number of entries in `attrs`.
    pub num_attrs: c_ulong,
    /// The key's attributes.
    pub attrs: *mut libssh2_publickey_attribute,
}

// The constants of the headers are in `crate::consts`, re-exported here.
pub use crate::consts::*;
