//! libssh2 1.11.1's public constants, grouped by the C prefix they carry
//! (the `LIBSSH2_ERROR_*` codes are in [`crate::error::code`]). One home for
//! the FFI and the core alike; `ffi::types` re-exports them beside the C types,
//! and tests/abi.rs checks each against the header's value.

/// `LIBSSH2_VERSION*`: the release this library stands in for.
pub mod version {
    /// `LIBSSH2_VERSION`.
    pub const VERSION: &str = "1.11.1";
    /// `LIBSSH2_VERSION_MAJOR`.
    pub const MAJOR: i32 = 1;
    /// `LIBSSH2_VERSION_MINOR`.
    pub const MINOR: i32 = 11;
    /// `LIBSSH2_VERSION_PATCH`.
    pub const PATCH: i32 = 1;
    /// `LIBSSH2_VERSION_NUM`: 0xMMmmpp.
    pub const NUM: i32 = 0x010b01;
    /// `LIBSSH2_SSH_DEFAULT_BANNER`: our identification string.
    pub const SSH_BANNER: &str = "SSH-2.0-libssh2_1.11.1";
}

/// `LIBSSH2_INIT_*`: flags of `libssh2_init`.
pub mod init {
    /// `LIBSSH2_INIT_NO_CRYPTO`: skip the crypto backend's global setup.
    pub const NO_CRYPTO: i32 = 0x0001;
}

/// `LIBSSH2_CALLBACK_*`: callback kinds for `libssh2_session_callback_set2`.
pub mod callback {
    /// `LIBSSH2_CALLBACK_IGNORE`.
    pub const IGNORE: i32 = 0;
    /// `LIBSSH2_CALLBACK_DEBUG`.
    pub const DEBUG: i32 = 1;
    /// `LIBSSH2_CALLBACK_DISCONNECT`.
    pub const DISCONNECT: i32 = 2;
    /// `LIBSSH2_CALLBACK_MACERROR`.
    pub const MACERROR: i32 = 3;
    /// `LIBSSH2_CALLBACK_X11`.
    pub const X11: i32 = 4;
    /// `LIBSSH2_CALLBACK_SEND`.
    pub const SEND: i32 = 5;
    /// `LIBSSH2_CALLBACK_RECV`.
    pub const RECV: i32 = 6;
    /// `LIBSSH2_CALLBACK_AUTHAGENT`.
    pub const AUTHAGENT: i32 = 7;
    /// `LIBSSH2_CALLBACK_AUTHAGENT_IDENTITIES`.
    pub const AUTHAGENT_IDENTITIES: i32 = 8;
    /// `LIBSSH2_CALLBACK_AUTHAGENT_SIGN`.
    pub const AUTHAGENT_SIGN: i32 = 9;
}

/// `LIBSSH2_METHOD_*`: algorithm classes for `libssh2_session_method_pref` and friends.
pub mod method {
    /// `LIBSSH2_METHOD_KEX`.
    pub const KEX: i32 = 0;
    /// `LIBSSH2_METHOD_HOSTKEY`.
    pub const HOSTKEY: i32 = 1;
    /// `LIBSSH2_METHOD_CRYPT_CS`.
    pub const CRYPT_CS: i32 = 2;
    /// `LIBSSH2_METHOD_CRYPT_SC`.
    pub const CRYPT_SC: i32 = 3;
    /// `LIBSSH2_METHOD_MAC_CS`.
    pub const MAC_CS: i32 = 4;
    /// `LIBSSH2_METHOD_MAC_SC`.
    pub const MAC_SC: i32 = 5;
    /// `LIBSSH2_METHOD_COMP_CS`.
    pub const COMP_CS: i32 = 6;
    /// `LIBSSH2_METHOD_COMP_SC`.
    pub const COMP_SC: i32 = 7;
    /// `LIBSSH2_METHOD_LANG_CS`.
    pub const LANG_CS: i32 = 8;
    /// `LIBSSH2_METHOD_LANG_SC`.
    pub const LANG_SC: i32 = 9;
    /// `LIBSSH2_METHOD_SIGN_ALGO`.
    pub const SIGN_ALGO: i32 = 10;
}

/// `LIBSSH2_FLAG_*`: options of `libssh2_session_flag`.
pub mod flag {
    /// `LIBSSH2_FLAG_SIGPIPE`: let the socket raise SIGPIPE.
    pub const SIGPIPE: i32 = 1;
    /// `LIBSSH2_FLAG_COMPRESS`: offer zlib compression.
    pub const COMPRESS: i32 = 2;
    /// `LIBSSH2_FLAG_QUOTE_PATHS`: quote SCP paths.
    pub const QUOTE_PATHS: i32 = 3;
    /// `LIBSSH2_FLAG_SFTP_WRITE_BEHIND` (ours, not libssh2's): SFTP write-behind.
    pub const SFTP_WRITE_BEHIND: i32 = 0x5701;
}

/// `LIBSSH2_SK_*`: security-key flag bits.
pub mod sk {
    /// `LIBSSH2_SK_PRESENCE_REQUIRED`.
    pub const PRESENCE_REQUIRED: u8 = 0x01;
    /// `LIBSSH2_SK_VERIFICATION_REQUIRED`.
    pub const VERIFICATION_REQUIRED: u8 = 0x04;
}

/// `LIBSSH2_POLLFD_*`: `LIBSSH2_POLLFD` types and event bits.
pub mod pollfd {
    use libc::c_ulong;
    /// `LIBSSH2_POLLFD_SOCKET`.
    pub const SOCKET: u8 = 1;
    /// `LIBSSH2_POLLFD_CHANNEL`.
    pub const CHANNEL: u8 = 2;
    /// `LIBSSH2_POLLFD_LISTENER`.
    pub const LISTENER: u8 = 3;
    /// `LIBSSH2_POLLFD_POLLIN`.
    pub const POLLIN: c_ulong = 0x0001;
    /// `LIBSSH2_POLLFD_POLLPRI`.
    pub const POLLPRI: c_ulong = 0x0002;
    /// `LIBSSH2_POLLFD_POLLEXT`.
    pub const POLLEXT: c_ulong = 0x0002;
    /// `LIBSSH2_POLLFD_POLLOUT`.
    pub const POLLOUT: c_ulong = 0x0004;
    /// `LIBSSH2_POLLFD_POLLERR`.
    pub const POLLERR: c_ulong = 0x0008;
    /// `LIBSSH2_POLLFD_POLLHUP`.
    pub const POLLHUP: c_ulong = 0x0010;
    /// `LIBSSH2_POLLFD_SESSION_CLOSED`.
    pub const SESSION_CLOSED: c_ulong = 0x0010;
    /// `LIBSSH2_POLLFD_POLLNVAL`.
    pub const POLLNVAL: c_ulong = 0x0020;
    /// `LIBSSH2_POLLFD_POLLEX`.
    pub const POLLEX: c_ulong = 0x0040;
    /// `LIBSSH2_POLLFD_CHANNEL_CLOSED`.
    pub const CHANNEL_CLOSED: c_ulong = 0x0080;
    /// `LIBSSH2_POLLFD_LISTENER_CLOSED`.
    pub const LISTENER_CLOSED: c_ulong = 0x0080;
}

/// `LIBSSH2_SESSION_BLOCK_*`: bits of `libssh2_session_block_directions`.
pub mod block {
    /// `LIBSSH2_SESSION_BLOCK_INBOUND`: waiting to read.
    pub const INBOUND: i32 = 0x0001;
    /// `LIBSSH2_SESSION_BLOCK_OUTBOUND`: waiting to write.
    pub const OUTBOUND: i32 = 0x0002;
}

/// `LIBSSH2_HOSTKEY_HASH_*`: fingerprint kinds for `libssh2_hostkey_hash`.
pub mod hostkey_hash {
    /// `LIBSSH2_HOSTKEY_HASH_MD5` (16 bytes).
    pub const MD5: i32 = 1;
    /// `LIBSSH2_HOSTKEY_HASH_SHA1` (20 bytes).
    pub const SHA1: i32 = 2;
    /// `LIBSSH2_HOSTKEY_HASH_SHA256` (32 bytes).
    pub const SHA256: i32 = 3;
}

/// `LIBSSH2_HOSTKEY_TYPE_*`: key kinds reported by `libssh2_session_hostkey`.
pub mod hostkey_type {
    /// `LIBSSH2_HOSTKEY_TYPE_UNKNOWN`.
    pub const UNKNOWN: i32 = 0;
    /// `LIBSSH2_HOSTKEY_TYPE_RSA`.
    pub const RSA: i32 = 1;
    /// `LIBSSH2_HOSTKEY_TYPE_DSS`.
    pub const DSS: i32 = 2;
    /// `LIBSSH2_HOSTKEY_TYPE_ECDSA_256`.
    pub const ECDSA_256: i32 = 3;
    /// `LIBSSH2_HOSTKEY_TYPE_ECDSA_384`.
    pub const ECDSA_384: i32 = 4;
    /// `LIBSSH2_HOSTKEY_TYPE_ECDSA_521`.
    pub const ECDSA_521: i32 = 5;
    /// `LIBSSH2_HOSTKEY_TYPE_ED25519`.
    pub const ED25519: i32 = 6;
}

/// `SSH_DISCONNECT_*`: disconnect reason codes (RFC 4253, section 11.1).
pub mod disconnect {
    /// `SSH_DISCONNECT_HOST_NOT_ALLOWED_TO_CONNECT`.
    pub const HOST_NOT_ALLOWED_TO_CONNECT: i32 = 1;
    /// `SSH_DISCONNECT_PROTOCOL_ERROR`.
    pub const PROTOCOL_ERROR: i32 = 2;
    /// `SSH_DISCONNECT_KEY_EXCHANGE_FAILED`.
    pub const KEY_EXCHANGE_FAILED: i32 = 3;
    /// `SSH_DISCONNECT_RESERVED`.
    pub const RESERVED: i32 = 4;
    /// `SSH_DISCONNECT_MAC_ERROR`.
    pub const MAC_ERROR: i32 = 5;
    /// `SSH_DISCONNECT_COMPRESSION_ERROR`.
    pub const COMPRESSION_ERROR: i32 = 6;
    /// `SSH_DISCONNECT_SERVICE_NOT_AVAILABLE`.
    pub const SERVICE_NOT_AVAILABLE: i32 = 7;
    /// `SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED`.
    pub const PROTOCOL_VERSION_NOT_SUPPORTED: i32 = 8;
    /// `SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE`.
    pub const HOST_KEY_NOT_VERIFIABLE: i32 = 9;
    /// `SSH_DISCONNECT_CONNECTION_LOST`.
    pub const CONNECTION_LOST: i32 = 10;
    /// `SSH_DISCONNECT_BY_APPLICATION`.
    pub const BY_APPLICATION: i32 = 11;
    /// `SSH_DISCONNECT_TOO_MANY_CONNECTIONS`.
    pub const TOO_MANY_CONNECTIONS: i32 = 12;
    /// `SSH_DISCONNECT_AUTH_CANCELLED_BY_USER`.
    pub const AUTH_CANCELLED_BY_USER: i32 = 13;
    /// `SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE`.
    pub const NO_MORE_AUTH_METHODS_AVAILABLE: i32 = 14;
    /// `SSH_DISCONNECT_ILLEGAL_USER_NAME`.
    pub const ILLEGAL_USER_NAME: i32 = 15;
}

/// `LIBSSH2_CHANNEL_*`: channel defaults, extended-data modes and flush targets.
pub mod channel {
    /// `LIBSSH2_CHANNEL_WINDOW_DEFAULT`: initial receive window (2 MiB).
    pub const WINDOW_DEFAULT: u32 = 2 * 1024 * 1024;
    /// `LIBSSH2_CHANNEL_PACKET_DEFAULT`: maximum packet we accept.
    pub const PACKET_DEFAULT: u32 = 32768;
    /// `LIBSSH2_CHANNEL_MINADJUST`: smallest window top-up worth sending.
    pub const MINADJUST: u32 = 1024;
    /// `LIBSSH2_CHANNEL_EXTENDED_DATA_NORMAL`: keep stderr apart.
    pub const EXTENDED_DATA_NORMAL: i32 = 0;
    /// `LIBSSH2_CHANNEL_EXTENDED_DATA_IGNORE`: drop stderr.
    pub const EXTENDED_DATA_IGNORE: i32 = 1;
    /// `LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE`: read stderr as stdout.
    pub const EXTENDED_DATA_MERGE: i32 = 2;
    /// `LIBSSH2_CHANNEL_FLUSH_EXTENDED_DATA`: flush every extended stream.
    pub const FLUSH_EXTENDED_DATA: i32 = -1;
    /// `LIBSSH2_CHANNEL_FLUSH_ALL`: flush every stream.
    pub const FLUSH_ALL: i32 = -2;
    /// `SSH_EXTENDED_DATA_STDERR`: the stderr stream id.
    pub const SSH_EXTENDED_DATA_STDERR: i32 = 1;
}

/// `LIBSSH2_TERM_*`: pty geometry of `libssh2_channel_request_pty`.
pub mod term {
    /// `LIBSSH2_TERM_WIDTH`.
    pub const WIDTH: i32 = 80;
    /// `LIBSSH2_TERM_HEIGHT`.
    pub const HEIGHT: i32 = 24;
    /// `LIBSSH2_TERM_WIDTH_PX`.
    pub const WIDTH_PX: i32 = 0;
    /// `LIBSSH2_TERM_HEIGHT_PX`.
    pub const HEIGHT_PX: i32 = 0;
}

/// `LIBSSH2_PACKET_*`: payload limits around compression.
pub mod packet {
    /// `LIBSSH2_PACKET_MAXCOMP`.
    pub const MAXCOMP: usize = 32000;
    /// `LIBSSH2_PACKET_MAXDECOMP`.
    pub const MAXDECOMP: usize = 40000;
    /// `LIBSSH2_PACKET_MAXPAYLOAD`.
    pub const MAXPAYLOAD: usize = 40000;
}

/// `LIBSSH2_KNOWNHOST_*`: typemask bits, check results and file formats.
pub mod knownhost {
    /// `LIBSSH2_KNOWNHOST_TYPE_MASK`.
    pub const TYPE_MASK: i32 = 0xffff;
    /// `LIBSSH2_KNOWNHOST_TYPE_PLAIN`.
    pub const TYPE_PLAIN: i32 = 1;
    /// `LIBSSH2_KNOWNHOST_TYPE_SHA1`.
    pub const TYPE_SHA1: i32 = 2;
    /// `LIBSSH2_KNOWNHOST_TYPE_CUSTOM`.
    pub const TYPE_CUSTOM: i32 = 3;
    /// `LIBSSH2_KNOWNHOST_KEYENC_MASK`.
    pub const KEYENC_MASK: i32 = 3 << 16;
    /// `LIBSSH2_KNOWNHOST_KEYENC_RAW`.
    pub const KEYENC_RAW: i32 = 1 << 16;
    /// `LIBSSH2_KNOWNHOST_KEYENC_BASE64`.
    pub const KEYENC_BASE64: i32 = 2 << 16;
    /// `LIBSSH2_KNOWNHOST_KEY_MASK`.
    pub const KEY_MASK: i32 = 15 << 18;
    /// `LIBSSH2_KNOWNHOST_KEY_SHIFT`.
    pub const KEY_SHIFT: i32 = 18;
    /// `LIBSSH2_KNOWNHOST_KEY_RSA1`.
    pub const KEY_RSA1: i32 = 1 << 18;
    /// `LIBSSH2_KNOWNHOST_KEY_SSHRSA`.
    pub const KEY_SSHRSA: i32 = 2 << 18;
    /// `LIBSSH2_KNOWNHOST_KEY_SSHDSS`.
    pub const KEY_SSHDSS: i32 = 3 << 18;
    /// `LIBSSH2_KNOWNHOST_KEY_ECDSA_256`.
    pub const KEY_ECDSA_256: i32 = 4 << 18;
    /// `LIBSSH2_KNOWNHOST_KEY_ECDSA_384`.
    pub const KEY_ECDSA_384: i32 = 5 << 18;
    /// `LIBSSH2_KNOWNHOST_KEY_ECDSA_521`.
    pub const KEY_ECDSA_521: i32 = 6 << 18;
    /// `LIBSSH2_KNOWNHOST_KEY_ED25519`.
    pub const KEY_ED25519: i32 = 7 << 18;
    /// `LIBSSH2_KNOWNHOST_KEY_UNKNOWN`.
    pub const KEY_UNKNOWN: i32 = 15 << 18;
    /// `LIBSSH2_KNOWNHOST_CHECK_MATCH`.
    pub const CHECK_MATCH: i32 = 0;
    /// `LIBSSH2_KNOWNHOST_CHECK_MISMATCH`.
    pub const CHECK_MISMATCH: i32 = 1;
    /// `LIBSSH2_KNOWNHOST_CHECK_NOTFOUND`.
    pub const CHECK_NOTFOUND: i32 = 2;
    /// `LIBSSH2_KNOWNHOST_CHECK_FAILURE`.
    pub const CHECK_FAILURE: i32 = 3;
    /// `LIBSSH2_KNOWNHOST_FILE_OPENSSH`.
    pub const FILE_OPENSSH: i32 = 1;
}

/// `LIBSSH2_TRACE_*`: bits of `libssh2_trace`.
pub mod trace {
    /// `LIBSSH2_TRACE_TRANS`.
    pub const TRANS: i32 = 1 << 1;
    /// `LIBSSH2_TRACE_KEX`.
    pub const KEX: i32 = 1 << 2;
    /// `LIBSSH2_TRACE_AUTH`.
    pub const AUTH: i32 = 1 << 3;
    /// `LIBSSH2_TRACE_CONN`.
    pub const CONN: i32 = 1 << 4;
    /// `LIBSSH2_TRACE_SCP`.
    pub const SCP: i32 = 1 << 5;
    /// `LIBSSH2_TRACE_SFTP`.
    pub const SFTP: i32 = 1 << 6;
    /// `LIBSSH2_TRACE_ERROR`.
    pub const ERROR: i32 = 1 << 7;
    /// `LIBSSH2_TRACE_PUBLICKEY`.
    pub const PUBLICKEY: i32 = 1 << 8;
    /// `LIBSSH2_TRACE_SOCKET`.
    pub const SOCKET: i32 = 1 << 9;
}

/// `libssh2_crypto_engine_t` values.
pub mod crypto_engine {
    /// `libssh2_no_crypto`.
    pub const NO_CRYPTO: i32 = 0;
    /// `libssh2_openssl`.
    pub const OPENSSL: i32 = 1;
    /// `libssh2_gcrypt`.
    pub const GCRYPT: i32 = 2;
    /// `libssh2_mbedtls`.
    pub const MBEDTLS: i32 = 3;
    /// `libssh2_wincng`.
    pub const WINCNG: i32 = 4;
    /// `libssh2_os400qc3`.
    pub const OS400QC3: i32 = 5;
}

/// `LIBSSH2_DH_GEX_*`: group sizes (bits) asked for in diffie-hellman-group-exchange.
///
/// Not in the public headers: these are libssh2 1.11.1's values for its
/// OpenSSL, mbedTLS and libgcrypt backends (RFC 8270 minimum of 2048).
pub mod dh_gex {
    /// `LIBSSH2_DH_GEX_MINGROUP`.
    pub const MINGROUP: u32 = 2048;
    /// `LIBSSH2_DH_GEX_OPTGROUP`.
    pub const OPTGROUP: u32 = 4096;
    /// `LIBSSH2_DH_GEX_MAXGROUP`.
    pub const MAXGROUP: u32 = 8192;
}

/// `LIBSSH2_SFTP_*` request selectors and protocol version.
pub mod sftp {
    /// `LIBSSH2_SFTP_VERSION`: the SFTP protocol version spoken.
    pub const VERSION: u32 = 3;
    /// `LIBSSH2_SFTP_OPENFILE`.
    pub const OPENFILE: i32 = 0;
    /// `LIBSSH2_SFTP_OPENDIR`.
    pub const OPENDIR: i32 = 1;
    /// `LIBSSH2_SFTP_STAT`.
    pub const STAT: i32 = 0;
    /// `LIBSSH2_SFTP_LSTAT`.
    pub const LSTAT: i32 = 1;
    /// `LIBSSH2_SFTP_SETSTAT`.
    pub const SETSTAT: i32 = 2;
    /// `LIBSSH2_SFTP_SYMLINK`.
    pub const SYMLINK: i32 = 0;
    /// `LIBSSH2_SFTP_READLINK`.
    pub const READLINK: i32 = 1;
    /// `LIBSSH2_SFTP_REALPATH`.
    pub const REALPATH: i32 = 2;
    /// `LIBSSH2_SFTP_DEFAULT_MODE`: mkdir lets the server choose the mode.
    pub const DEFAULT_MODE: i64 = -1;
    /// `LIBSSH2_SFTP_TYPE_REGULAR`.
    pub const TYPE_REGULAR: i32 = 1;
    /// `LIBSSH2_SFTP_TYPE_DIRECTORY`.
    pub const TYPE_DIRECTORY: i32 = 2;
    /// `LIBSSH2_SFTP_TYPE_SYMLINK`.
    pub const TYPE_SYMLINK: i32 = 3;
    /// `LIBSSH2_SFTP_TYPE_SPECIAL`.
    pub const TYPE_SPECIAL: i32 = 4;
    /// `LIBSSH2_SFTP_TYPE_UNKNOWN`.
    pub const TYPE_UNKNOWN: i32 = 5;
    /// `LIBSSH2_SFTP_TYPE_SOCKET`.
    pub const TYPE_SOCKET: i32 = 6;
    /// `LIBSSH2_SFTP_TYPE_CHAR_DEVICE`.
    pub const TYPE_CHAR_DEVICE: i32 = 7;
    /// `LIBSSH2_SFTP_TYPE_BLOCK_DEVICE`.
    pub const TYPE_BLOCK_DEVICE: i32 = 8;
    /// `LIBSSH2_SFTP_TYPE_FIFO`.
    pub const TYPE_FIFO: i32 = 9;
}

/// `LIBSSH2_SFTP_RENAME_*`: flags of `libssh2_sftp_rename_ex`.
pub mod sftp_rename {
    use libc::c_long;
    /// `LIBSSH2_SFTP_RENAME_OVERWRITE`.
    pub const OVERWRITE: c_long = 0x00000001;
    /// `LIBSSH2_SFTP_RENAME_ATOMIC`.
    pub const ATOMIC: c_long = 0x00000002;
    /// `LIBSSH2_SFTP_RENAME_NATIVE`.
    pub const NATIVE: c_long = 0x00000004;
}

/// `LIBSSH2_SFTP_ATTR_*`: validity bits of `LIBSSH2_SFTP_ATTRIBUTES::flags`
/// (the SSH_FILEXFER_ATTR_* bits of the protocol).
pub mod sftp_attr {
    use libc::c_ulong;
    /// `LIBSSH2_SFTP_ATTR_SIZE`.
    pub const SIZE: c_ulong = 0x00000001;
    /// `LIBSSH2_SFTP_ATTR_UIDGID`.
    pub const UIDGID: c_ulong = 0x00000002;
    /// `LIBSSH2_SFTP_ATTR_PERMISSIONS`.
    pub const PERMISSIONS: c_ulong = 0x00000004;
    /// `LIBSSH2_SFTP_ATTR_ACMODTIME`.
    pub const ACMODTIME: c_ulong = 0x00000008;
    /// `LIBSSH2_SFTP_ATTR_EXTENDED`.
    pub const EXTENDED: c_ulong = 0x80000000;
}

/// `LIBSSH2_SFTP_ST_*`: `f_flag` bits of `LIBSSH2_SFTP_STATVFS`.
pub mod sftp_st {
    /// `LIBSSH2_SFTP_ST_RDONLY`.
    pub const RDONLY: u64 = 0x00000001;
    /// `LIBSSH2_SFTP_ST_NOSUID`.
    pub const NOSUID: u64 = 0x00000002;
}

/// `LIBSSH2_SFTP_S_*`: POSIX mode bits as carried in `permissions`.
pub mod sftp_mode {
    use libc::c_ulong;
    /// `LIBSSH2_SFTP_S_IFMT`: file type mask.
    pub const S_IFMT: c_ulong = 0o170000;
    /// `LIBSSH2_SFTP_S_IFIFO`.
    pub const S_IFIFO: c_ulong = 0o010000;
    /// `LIBSSH2_SFTP_S_IFCHR`.
    pub const S_IFCHR: c_ulong = 0o020000;
    /// `LIBSSH2_SFTP_S_IFDIR`.
    pub const S_IFDIR: c_ulong = 0o040000;
    /// `LIBSSH2_SFTP_S_IFBLK`.
    pub const S_IFBLK: c_ulong = 0o060000;
    /// `LIBSSH2_SFTP_S_IFREG`.
    pub const S_IFREG: c_ulong = 0o100000;
    /// `LIBSSH2_SFTP_S_IFLNK`.
    pub const S_IFLNK: c_ulong = 0o120000;
    /// `LIBSSH2_SFTP_S_IFSOCK`.
    pub const S_IFSOCK: c_ulong = 0o140000;
    /// `LIBSSH2_SFTP_S_IRWXU`.
    pub const S_IRWXU: c_ulong = 0o700;
    /// `LIBSSH2_SFTP_S_IRUSR`.
    pub const S_IRUSR: c_ulong = 0o400;
    /// `LIBSSH2_SFTP_S_IWUSR`.
    pub const S_IWUSR: c_ulong = 0o200;
    /// `LIBSSH2_SFTP_S_IXUSR`.
    pub const S_IXUSR: c_ulong = 0o100;
    /// `LIBSSH2_SFTP_S_IRWXG`.
    pub const S_IRWXG: c_ulong = 0o070;
    /// `LIBSSH2_SFTP_S_IRGRP`.
    pub const S_IRGRP: c_ulong = 0o040;
    /// `LIBSSH2_SFTP_S_IWGRP`.
    pub const S_IWGRP: c_ulong = 0o020;
    /// `LIBSSH2_SFTP_S_IXGRP`.
    pub const S_IXGRP: c_ulong = 0o010;
    /// `LIBSSH2_SFTP_S_IRWXO`.
    pub const S_IRWXO: c_ulong = 0o007;
    /// `LIBSSH2_SFTP_S_IROTH`.
    pub const S_IROTH: c_ulong = 0o004;
    /// `LIBSSH2_SFTP_S_IWOTH`.
    pub const S_IWOTH: c_ulong = 0o002;
    /// `LIBSSH2_SFTP_S_IXOTH`.
    pub const S_IXOTH: c_ulong = 0o001;
}

/// `LIBSSH2_FXF_*`: open flags of `libssh2_sftp_open_ex` (SSH_FXF_* on the wire).
pub mod fxf {
    use libc::c_ulong;
    /// `LIBSSH2_FXF_READ`.
    pub const READ: c_ulong = 0x00000001;
    /// `LIBSSH2_FXF_WRITE`.
    pub const WRITE: c_ulong = 0x00000002;
    /// `LIBSSH2_FXF_APPEND`.
    pub const APPEND: c_ulong = 0x00000004;
    /// `LIBSSH2_FXF_CREAT`.
    pub const CREAT: c_ulong = 0x00000008;
    /// `LIBSSH2_FXF_TRUNC`.
    pub const TRUNC: c_ulong = 0x00000010;
    /// `LIBSSH2_FXF_EXCL`.
    pub const EXCL: c_ulong = 0x00000020;
}

/// `LIBSSH2_FX_*`: SFTP status codes returned by `libssh2_sftp_last_error`.
pub mod fx {
    use libc::c_ulong;
    /// `LIBSSH2_FX_OK`.
    pub const OK: c_ulong = 0;
    /// `LIBSSH2_FX_EOF`.
    pub const EOF: c_ulong = 1;
    /// `LIBSSH2_FX_NO_SUCH_FILE`.
    pub const NO_SUCH_FILE: c_ulong = 2;
    /// `LIBSSH2_FX_PERMISSION_DENIED`.
    pub const PERMISSION_DENIED: c_ulong = 3;
    /// `LIBSSH2_FX_FAILURE`.
    pub const FAILURE: c_ulong = 4;
    /// `LIBSSH2_FX_BAD_MESSAGE`.
    pub const BAD_MESSAGE: c_ulong = 5;
    /// `LIBSSH2_FX_NO_CONNECTION`.
    pub const NO_CONNECTION: c_ulong = 6;
    /// `LIBSSH2_FX_CONNECTION_LOST`.
    pub const CONNECTION_LOST: c_ulong = 7;
    /// `LIBSSH2_FX_OP_UNSUPPORTED`.
    pub const OP_UNSUPPORTED: c_ulong = 8;
    /// `LIBSSH2_FX_INVALID_HANDLE`.
    pub const INVALID_HANDLE: c_ulong = 9;
    /// `LIBSSH2_FX_NO_SUCH_PATH`.
    pub const NO_SUCH_PATH: c_ulong = 10;
    /// `LIBSSH2_FX_FILE_ALREADY_EXISTS`.
    pub const FILE_ALREADY_EXISTS: c_ulong = 11;
    /// `LIBSSH2_FX_WRITE_PROTECT`.
    pub const WRITE_PROTECT: c_ulong = 12;
    /// `LIBSSH2_FX_NO_MEDIA`.
    pub const NO_MEDIA: c_ulong = 13;
    /// `LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM`.
    pub const NO_SPACE_ON_FILESYSTEM: c_ulong = 14;
    /// `LIBSSH2_FX_QUOTA_EXCEEDED`.
    pub const QUOTA_EXCEEDED: c_ulong = 15;
    /// `LIBSSH2_FX_UNKNOWN_PRINCIPAL`.
    pub const UNKNOWN_PRINCIPAL: c_ulong = 16;
    /// `LIBSSH2_FX_LOCK_CONFLICT`.
    pub const LOCK_CONFLICT: c_ulong = 17;
    /// `LIBSSH2_FX_DIR_NOT_EMPTY`.
    pub const DIR_NOT_EMPTY: c_ulong = 18;
    /// `LIBSSH2_FX_NOT_A_DIRECTORY`.
    pub const NOT_A_DIRECTORY: c_ulong = 19;
    /// `LIBSSH2_FX_INVALID_FILENAME`.
    pub const INVALID_FILENAME: c_ulong = 20;
    /// `LIBSSH2_FX_LINK_LOOP`.
    pub const LINK_LOOP: c_ulong = 21;
}
