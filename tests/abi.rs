//! ABI checks that cannot drift: the C compiler's view of include/ against
//! the Rust mirrors in `ssh2::ffi::types` and `ssh2::error::code`, and the
//! strict C / C++ compile of tests/c/api_compile.c.
//!
//! Needs a C and a C++ compiler (`cc` and `c++`, or `$CC` / `$CXX`).

use std::collections::BTreeMap;
use std::mem::{align_of, offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

use libc::{c_int, c_ulong};
use ssh2::error::code;
use ssh2::ffi::types::*;

/// Number of functions libssh2 1.11.1's `libssh2.so.1` exports.
const EXPORTED_FUNCTIONS: usize = 137;
/// Number of documented API names that are macros, not symbols.
const DOCUMENTED_MACROS: usize = 46;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tool(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

/// Runs a command, failing the test with its output unless it succeeds.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("compiler output is UTF-8")
}

/// Compiles a C program against include/ and returns what it prints.
fn compile_and_run(source: &Path, dir: &Path) -> String {
    let exe = dir.join("prog");
    run(Command::new(tool("CC", "cc"))
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
        .arg(root().join("include"))
        .arg(source)
        .arg("-o")
        .arg(&exe));
    run(&mut Command::new(&exe))
}

/// Size of a field, named through an accessor so no unsafe is needed.
fn field_size<T, F>(_: for<'a> fn(&'a T) -> &'a F) -> usize {
    size_of::<F>()
}

/// Adds the size, alignment and every field's offset and size of a struct.
macro_rules! layout {
    ($map:ident, $cname:literal, $ty:ty { $($field:ident),* $(,)? }) => {
        $map.insert($cname.to_string(), size_of::<$ty>());
        $map.insert(format!("{}:align", $cname), align_of::<$ty>());
        $(
            let field = stringify!($field).trim_start_matches("r#");
            $map.insert(format!("{}.{}", $cname, field), offset_of!($ty, $field));
            $map.insert(
                format!("{}.{}:size", $cname, field),
                field_size(|s: &$ty| &s.$field),
            );
        )*
    };
}

/// Adds the size and alignment of a scalar typedef.
macro_rules! scalar {
    ($map:ident, $cname:literal, $ty:ty) => {
        $map.insert($cname.to_string(), size_of::<$ty>());
        $map.insert(format!("{}:align", $cname), align_of::<$ty>());
    };
}

/// The layout facts of the Rust mirrors, keyed like abi_layout.c's output.
fn rust_layout() -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    scalar!(m, "libssh2_socket_t", libssh2_socket_t);
    scalar!(m, "libssh2_uint64_t", libssh2_uint64_t);
    scalar!(m, "libssh2_int64_t", libssh2_int64_t);
    scalar!(m, "libssh2_struct_stat_size", libssh2_struct_stat_size);
    scalar!(m, "libssh2_crypto_engine_t", libssh2_crypto_engine_t);
    layout!(m, "LIBSSH2_USERAUTH_KBDINT_PROMPT", LIBSSH2_USERAUTH_KBDINT_PROMPT { text, length, echo });
    layout!(m, "LIBSSH2_USERAUTH_KBDINT_RESPONSE", LIBSSH2_USERAUTH_KBDINT_RESPONSE { text, length });
    layout!(m, "LIBSSH2_SK_SIG_INFO", LIBSSH2_SK_SIG_INFO { flags, counter, sig_r, sig_r_len, sig_s, sig_s_len });
    layout!(
        m,
        "LIBSSH2_PRIVKEY_SK",
        LIBSSH2_PRIVKEY_SK { algorithm, flags, application, key_handle, handle_len, sign_callback, orig_abstract }
    );
    layout!(m, "LIBSSH2_POLLFD", LIBSSH2_POLLFD { r#type, fd, events, revents });
    // The anonymous union's members, as offsets within the outer struct.
    let fd = offset_of!(LIBSSH2_POLLFD, fd);
    for (name, offset, size) in [
        ("socket", offset_of!(LIBSSH2_POLLFD_fd, socket), size_of::<libssh2_socket_t>()),
        ("channel", offset_of!(LIBSSH2_POLLFD_fd, channel), size_of::<*mut LIBSSH2_CHANNEL>()),
        ("listener", offset_of!(LIBSSH2_POLLFD_fd, listener), size_of::<*mut LIBSSH2_LISTENER>()),
    ] {
        m.insert(format!("LIBSSH2_POLLFD.fd.{name}"), fd + offset);
        m.insert(format!("LIBSSH2_POLLFD.fd.{name}:size"), size);
    }
    layout!(m, "libssh2_knownhost", libssh2_knownhost { magic, node, name, key, typemask });
    layout!(m, "libssh2_agent_publickey", libssh2_agent_publickey { magic, node, blob, blob_len, comment });
    layout!(
        m,
        "LIBSSH2_SFTP_ATTRIBUTES",
        LIBSSH2_SFTP_ATTRIBUTES { flags, filesize, uid, gid, permissions, atime, mtime }
    );
    layout!(
        m,
        "LIBSSH2_SFTP_STATVFS",
        LIBSSH2_SFTP_STATVFS {
            f_bsize,
            f_frsize,
            f_blocks,
            f_bfree,
            f_bavail,
            f_files,
            f_ffree,
            f_favail,
            f_fsid,
            f_flag,
            f_namemax
        }
    );
    layout!(
        m,
        "libssh2_publickey_attribute",
        libssh2_publickey_attribute { name, name_len, value, value_len, mandatory }
    );
    layout!(
        m,
        "libssh2_publickey_list",
        libssh2_publickey_list { packet, name, name_len, blob, blob_len, num_attrs, attrs }
    );
    m
}

/// Reports every key whose values differ or that one side lacks.
fn differences<V: PartialEq + std::fmt::Debug>(c: &BTreeMap<String, V>, rust: &BTreeMap<String, V>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in c {
        match rust.get(k) {
            None => out.push(format!("{k}: C {v:?}, no Rust mirror")),
            Some(r) if r != v => out.push(format!("{k}: C {v:?}, Rust {r:?}")),
            Some(_) => {}
        }
    }
    for (k, r) in rust {
        if !c.contains_key(k) {
            out.push(format!("{k}: Rust {r:?}, not printed by C"));
        }
    }
    out
}

#[test]
fn struct_layouts_match_c() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = compile_and_run(&root().join("tests/c/abi_layout.c"), dir.path());
    let c: BTreeMap<String, usize> = out
        .lines()
        .map(|line| {
            let (k, v) = line.rsplit_once(' ').expect("'name value' line");
            (k.to_string(), v.parse().expect("numeric value"))
        })
        .collect();
    let rust = rust_layout();
    let diffs = differences(&c, &rust);
    assert!(diffs.is_empty(), "layout mismatches:\n{}", diffs.join("\n"));
    // Every struct of abi_layout.c is covered: 11 structs plus 5 scalars.
    let types = c.keys().filter(|k| !k.contains('.') && !k.contains(':')).count();
    assert_eq!(types, 16, "abi_layout.c lists an unexpected number of types");
}

/// `(C macro name, Rust value)` for every mirrored constant.
fn rust_constants() -> Vec<(&'static str, i128)> {
    vec![
        ("LIBSSH2_VERSION_MAJOR", version::MAJOR as i128),
        ("LIBSSH2_VERSION_MINOR", version::MINOR as i128),
        ("LIBSSH2_VERSION_PATCH", version::PATCH as i128),
        ("LIBSSH2_VERSION_NUM", version::NUM as i128),
        ("LIBSSH2_TERM_WIDTH", term::WIDTH as i128),
        ("LIBSSH2_TERM_HEIGHT", term::HEIGHT as i128),
        ("LIBSSH2_TERM_WIDTH_PX", term::WIDTH_PX as i128),
        ("LIBSSH2_TERM_HEIGHT_PX", term::HEIGHT_PX as i128),
        ("LIBSSH2_PACKET_MAXCOMP", packet::MAXCOMP as i128),
        ("LIBSSH2_PACKET_MAXDECOMP", packet::MAXDECOMP as i128),
        ("LIBSSH2_PACKET_MAXPAYLOAD", packet::MAXPAYLOAD as i128),
        ("LIBSSH2_SK_PRESENCE_REQUIRED", sk::PRESENCE_REQUIRED as i128),
        ("LIBSSH2_SK_VERIFICATION_REQUIRED", sk::VERIFICATION_REQUIRED as i128),
        ("LIBSSH2_CALLBACK_IGNORE", callback::IGNORE as i128),
        ("LIBSSH2_CALLBACK_DEBUG", callback::DEBUG as i128),
        ("LIBSSH2_CALLBACK_DISCONNECT", callback::DISCONNECT as i128),
        ("LIBSSH2_CALLBACK_MACERROR", callback::MACERROR as i128),
        ("LIBSSH2_CALLBACK_X11", callback::X11 as i128),
        ("LIBSSH2_CALLBACK_SEND", callback::SEND as i128),
        ("LIBSSH2_CALLBACK_RECV", callback::RECV as i128),
        ("LIBSSH2_CALLBACK_AUTHAGENT", callback::AUTHAGENT as i128),
        ("LIBSSH2_CALLBACK_AUTHAGENT_IDENTITIES", callback::AUTHAGENT_IDENTITIES as i128),
        ("LIBSSH2_CALLBACK_AUTHAGENT_SIGN", callback::AUTHAGENT_SIGN as i128),
        ("LIBSSH2_METHOD_KEX", method::KEX as i128),
        ("LIBSSH2_METHOD_HOSTKEY", method::HOSTKEY as i128),
        ("LIBSSH2_METHOD_CRYPT_CS", method::CRYPT_CS as i128),
        ("LIBSSH2_METHOD_CRYPT_SC", method::CRYPT_SC as i128),
        ("LIBSSH2_METHOD_MAC_CS", method::MAC_CS as i128),
        ("LIBSSH2_METHOD_MAC_SC", method::MAC_SC as i128),
        ("LIBSSH2_METHOD_COMP_CS", method::COMP_CS as i128),
        ("LIBSSH2_METHOD_COMP_SC", method::COMP_SC as i128),
        ("LIBSSH2_METHOD_LANG_CS", method::LANG_CS as i128),
        ("LIBSSH2_METHOD_LANG_SC", method::LANG_SC as i128),
        ("LIBSSH2_METHOD_SIGN_ALGO", method::SIGN_ALGO as i128),
        ("LIBSSH2_FLAG_SIGPIPE", flag::SIGPIPE as i128),
        ("LIBSSH2_FLAG_COMPRESS", flag::COMPRESS as i128),
        ("LIBSSH2_FLAG_QUOTE_PATHS", flag::QUOTE_PATHS as i128),
        ("LIBSSH2_FLAG_SFTP_WRITE_BEHIND", flag::SFTP_WRITE_BEHIND as i128),
        ("LIBSSH2_POLLFD_SOCKET", pollfd::SOCKET as i128),
        ("LIBSSH2_POLLFD_CHANNEL", pollfd::CHANNEL as i128),
        ("LIBSSH2_POLLFD_LISTENER", pollfd::LISTENER as i128),
        ("LIBSSH2_POLLFD_POLLIN", pollfd::POLLIN as i128),
        ("LIBSSH2_POLLFD_POLLPRI", pollfd::POLLPRI as i128),
        ("LIBSSH2_POLLFD_POLLEXT", pollfd::POLLEXT as i128),
        ("LIBSSH2_POLLFD_POLLOUT", pollfd::POLLOUT as i128),
        ("LIBSSH2_POLLFD_POLLERR", pollfd::POLLERR as i128),
        ("LIBSSH2_POLLFD_POLLHUP", pollfd::POLLHUP as i128),
        ("LIBSSH2_POLLFD_SESSION_CLOSED", pollfd::SESSION_CLOSED as i128),
        ("LIBSSH2_POLLFD_POLLNVAL", pollfd::POLLNVAL as i128),
        ("LIBSSH2_POLLFD_POLLEX", pollfd::POLLEX as i128),
        ("LIBSSH2_POLLFD_CHANNEL_CLOSED", pollfd::CHANNEL_CLOSED as i128),
        ("LIBSSH2_POLLFD_LISTENER_CLOSED", pollfd::LISTENER_CLOSED as i128),
        ("LIBSSH2_SESSION_BLOCK_INBOUND", block::INBOUND as i128),
        ("LIBSSH2_SESSION_BLOCK_OUTBOUND", block::OUTBOUND as i128),
        ("LIBSSH2_HOSTKEY_HASH_MD5", hostkey_hash::MD5 as i128),
        ("LIBSSH2_HOSTKEY_HASH_SHA1", hostkey_hash::SHA1 as i128),
        ("LIBSSH2_HOSTKEY_HASH_SHA256", hostkey_hash::SHA256 as i128),
        ("LIBSSH2_HOSTKEY_TYPE_UNKNOWN", hostkey_type::UNKNOWN as i128),
        ("LIBSSH2_HOSTKEY_TYPE_RSA", hostkey_type::RSA as i128),
        ("LIBSSH2_HOSTKEY_TYPE_DSS", hostkey_type::DSS as i128),
        ("LIBSSH2_HOSTKEY_TYPE_ECDSA_256", hostkey_type::ECDSA_256 as i128),
        ("LIBSSH2_HOSTKEY_TYPE_ECDSA_384", hostkey_type::ECDSA_384 as i128),
        ("LIBSSH2_HOSTKEY_TYPE_ECDSA_521", hostkey_type::ECDSA_521 as i128),
        ("LIBSSH2_HOSTKEY_TYPE_ED25519", hostkey_type::ED25519 as i128),
        ("SSH_DISCONNECT_HOST_NOT_ALLOWED_TO_CONNECT", disconnect::HOST_NOT_ALLOWED_TO_CONNECT as i128),
        ("SSH_DISCONNECT_PROTOCOL_ERROR", disconnect::PROTOCOL_ERROR as i128),
        ("SSH_DISCONNECT_KEY_EXCHANGE_FAILED", disconnect::KEY_EXCHANGE_FAILED as i128),
        ("SSH_DISCONNECT_RESERVED", disconnect::RESERVED as i128),
        ("SSH_DISCONNECT_MAC_ERROR", disconnect::MAC_ERROR as i128),
        ("SSH_DISCONNECT_COMPRESSION_ERROR", disconnect::COMPRESSION_ERROR as i128),
        ("SSH_DISCONNECT_SERVICE_NOT_AVAILABLE", disconnect::SERVICE_NOT_AVAILABLE as i128),
        ("SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED", disconnect::PROTOCOL_VERSION_NOT_SUPPORTED as i128),
        ("SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE", disconnect::HOST_KEY_NOT_VERIFIABLE as i128),
        ("SSH_DISCONNECT_CONNECTION_LOST", disconnect::CONNECTION_LOST as i128),
        ("SSH_DISCONNECT_BY_APPLICATION", disconnect::BY_APPLICATION as i128),
        ("SSH_DISCONNECT_TOO_MANY_CONNECTIONS", disconnect::TOO_MANY_CONNECTIONS as i128),
        ("SSH_DISCONNECT_AUTH_CANCELLED_BY_USER", disconnect::AUTH_CANCELLED_BY_USER as i128),
        ("SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE", disconnect::NO_MORE_AUTH_METHODS_AVAILABLE as i128),
        ("SSH_DISCONNECT_ILLEGAL_USER_NAME", disconnect::ILLEGAL_USER_NAME as i128),
        ("LIBSSH2_ERROR_NONE", code::NONE as i128),
        ("LIBSSH2_ERROR_SOCKET_NONE", code::SOCKET_NONE as i128),
        ("LIBSSH2_ERROR_BANNER_RECV", code::BANNER_RECV as i128),
        ("LIBSSH2_ERROR_BANNER_SEND", code::BANNER_SEND as i128),
        ("LIBSSH2_ERROR_INVALID_MAC", code::INVALID_MAC as i128),
        ("LIBSSH2_ERROR_KEX_FAILURE", code::KEX_FAILURE as i128),
        ("LIBSSH2_ERROR_ALLOC", code::ALLOC as i128),
        ("LIBSSH2_ERROR_SOCKET_SEND", code::SOCKET_SEND as i128),
        ("LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE", code::KEY_EXCHANGE_FAILURE as i128),
        ("LIBSSH2_ERROR_TIMEOUT", code::TIMEOUT as i128),
        ("LIBSSH2_ERROR_HOSTKEY_INIT", code::HOSTKEY_INIT as i128),
        ("LIBSSH2_ERROR_HOSTKEY_SIGN", code::HOSTKEY_SIGN as i128),
        ("LIBSSH2_ERROR_DECRYPT", code::DECRYPT as i128),
        ("LIBSSH2_ERROR_SOCKET_DISCONNECT", code::SOCKET_DISCONNECT as i128),
        ("LIBSSH2_ERROR_PROTO", code::PROTO as i128),
        ("LIBSSH2_ERROR_PASSWORD_EXPIRED", code::PASSWORD_EXPIRED as i128),
        ("LIBSSH2_ERROR_FILE", code::FILE as i128),
        ("LIBSSH2_ERROR_METHOD_NONE", code::METHOD_NONE as i128),
        ("LIBSSH2_ERROR_AUTHENTICATION_FAILED", code::AUTHENTICATION_FAILED as i128),
        ("LIBSSH2_ERROR_PUBLICKEY_UNRECOGNIZED", code::PUBLICKEY_UNRECOGNIZED as i128),
        ("LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED", code::PUBLICKEY_UNVERIFIED as i128),
        ("LIBSSH2_ERROR_CHANNEL_OUTOFORDER", code::CHANNEL_OUTOFORDER as i128),
        ("LIBSSH2_ERROR_CHANNEL_FAILURE", code::CHANNEL_FAILURE as i128),
        ("LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED", code::CHANNEL_REQUEST_DENIED as i128),
        ("LIBSSH2_ERROR_CHANNEL_UNKNOWN", code::CHANNEL_UNKNOWN as i128),
        ("LIBSSH2_ERROR_CHANNEL_WINDOW_EXCEEDED", code::CHANNEL_WINDOW_EXCEEDED as i128),
        ("LIBSSH2_ERROR_CHANNEL_PACKET_EXCEEDED", code::CHANNEL_PACKET_EXCEEDED as i128),
        ("LIBSSH2_ERROR_CHANNEL_CLOSED", code::CHANNEL_CLOSED as i128),
        ("LIBSSH2_ERROR_CHANNEL_EOF_SENT", code::CHANNEL_EOF_SENT as i128),
        ("LIBSSH2_ERROR_SCP_PROTOCOL", code::SCP_PROTOCOL as i128),
        ("LIBSSH2_ERROR_ZLIB", code::ZLIB as i128),
        ("LIBSSH2_ERROR_SOCKET_TIMEOUT", code::SOCKET_TIMEOUT as i128),
        ("LIBSSH2_ERROR_SFTP_PROTOCOL", code::SFTP_PROTOCOL as i128),
        ("LIBSSH2_ERROR_REQUEST_DENIED", code::REQUEST_DENIED as i128),
        ("LIBSSH2_ERROR_METHOD_NOT_SUPPORTED", code::METHOD_NOT_SUPPORTED as i128),
        ("LIBSSH2_ERROR_INVAL", code::INVAL as i128),
        ("LIBSSH2_ERROR_INVALID_POLL_TYPE", code::INVALID_POLL_TYPE as i128),
        ("LIBSSH2_ERROR_PUBLICKEY_PROTOCOL", code::PUBLICKEY_PROTOCOL as i128),
        ("LIBSSH2_ERROR_EAGAIN", code::EAGAIN as i128),
        ("LIBSSH2_ERROR_BUFFER_TOO_SMALL", code::BUFFER_TOO_SMALL as i128),
        ("LIBSSH2_ERROR_BAD_USE", code::BAD_USE as i128),
        ("LIBSSH2_ERROR_COMPRESS", code::COMPRESS as i128),
        ("LIBSSH2_ERROR_OUT_OF_BOUNDARY", code::OUT_OF_BOUNDARY as i128),
        ("LIBSSH2_ERROR_AGENT_PROTOCOL", code::AGENT_PROTOCOL as i128),
        ("LIBSSH2_ERROR_SOCKET_RECV", code::SOCKET_RECV as i128),
        ("LIBSSH2_ERROR_ENCRYPT", code::ENCRYPT as i128),
        ("LIBSSH2_ERROR_BAD_SOCKET", code::BAD_SOCKET as i128),
        ("LIBSSH2_ERROR_KNOWN_HOSTS", code::KNOWN_HOSTS as i128),
        ("LIBSSH2_ERROR_CHANNEL_WINDOW_FULL", code::CHANNEL_WINDOW_FULL as i128),
        ("LIBSSH2_ERROR_KEYFILE_AUTH_FAILED", code::KEYFILE_AUTH_FAILED as i128),
        ("LIBSSH2_ERROR_RANDGEN", code::RANDGEN as i128),
        ("LIBSSH2_ERROR_MISSING_USERAUTH_BANNER", code::MISSING_USERAUTH_BANNER as i128),
        ("LIBSSH2_ERROR_ALGO_UNSUPPORTED", code::ALGO_UNSUPPORTED as i128),
        ("LIBSSH2_ERROR_MAC_FAILURE", code::MAC_FAILURE as i128),
        ("LIBSSH2_ERROR_HASH_INIT", code::HASH_INIT as i128),
        ("LIBSSH2_ERROR_HASH_CALC", code::HASH_CALC as i128),
        ("LIBSSH2_INIT_NO_CRYPTO", init::NO_CRYPTO as i128),
        ("LIBSSH2_CHANNEL_WINDOW_DEFAULT", channel::WINDOW_DEFAULT as i128),
        ("LIBSSH2_CHANNEL_PACKET_DEFAULT", channel::PACKET_DEFAULT as i128),
        ("LIBSSH2_CHANNEL_MINADJUST", channel::MINADJUST as i128),
        ("LIBSSH2_CHANNEL_EXTENDED_DATA_NORMAL", channel::EXTENDED_DATA_NORMAL as i128),
        ("LIBSSH2_CHANNEL_EXTENDED_DATA_IGNORE", channel::EXTENDED_DATA_IGNORE as i128),
        ("LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE", channel::EXTENDED_DATA_MERGE as i128),
        ("SSH_EXTENDED_DATA_STDERR", channel::SSH_EXTENDED_DATA_STDERR as i128),
        ("LIBSSH2_CHANNEL_FLUSH_EXTENDED_DATA", channel::FLUSH_EXTENDED_DATA as i128),
        ("LIBSSH2_CHANNEL_FLUSH_ALL", channel::FLUSH_ALL as i128),
        ("LIBSSH2_KNOWNHOST_TYPE_MASK", knownhost::TYPE_MASK as i128),
        ("LIBSSH2_KNOWNHOST_TYPE_PLAIN", knownhost::TYPE_PLAIN as i128),
        ("LIBSSH2_KNOWNHOST_TYPE_SHA1", knownhost::TYPE_SHA1 as i128),
        ("LIBSSH2_KNOWNHOST_TYPE_CUSTOM", knownhost::TYPE_CUSTOM as i128),
        ("LIBSSH2_KNOWNHOST_KEYENC_MASK", knownhost::KEYENC_MASK as i128),
        ("LIBSSH2_KNOWNHOST_KEYENC_RAW", knownhost::KEYENC_RAW as i128),
        ("LIBSSH2_KNOWNHOST_KEYENC_BASE64", knownhost::KEYENC_BASE64 as i128),
        ("LIBSSH2_KNOWNHOST_KEY_MASK", knownhost::KEY_MASK as i128),
        ("LIBSSH2_KNOWNHOST_KEY_SHIFT", knownhost::KEY_SHIFT as i128),
        ("LIBSSH2_KNOWNHOST_KEY_RSA1", knownhost::KEY_RSA1 as i128),
        ("LIBSSH2_KNOWNHOST_KEY_SSHRSA", knownhost::KEY_SSHRSA as i128),
        ("LIBSSH2_KNOWNHOST_KEY_SSHDSS", knownhost::KEY_SSHDSS as i128),
        ("LIBSSH2_KNOWNHOST_KEY_ECDSA_256", knownhost::KEY_ECDSA_256 as i128),
        ("LIBSSH2_KNOWNHOST_KEY_ECDSA_384", knownhost::KEY_ECDSA_384 as i128),
        ("LIBSSH2_KNOWNHOST_KEY_ECDSA_521", knownhost::KEY_ECDSA_521 as i128),
        ("LIBSSH2_KNOWNHOST_KEY_ED25519", knownhost::KEY_ED25519 as i128),
        ("LIBSSH2_KNOWNHOST_KEY_UNKNOWN", knownhost::KEY_UNKNOWN as i128),
        ("LIBSSH2_KNOWNHOST_CHECK_MATCH", knownhost::CHECK_MATCH as i128),
        ("LIBSSH2_KNOWNHOST_CHECK_MISMATCH", knownhost::CHECK_MISMATCH as i128),
        ("LIBSSH2_KNOWNHOST_CHECK_NOTFOUND", knownhost::CHECK_NOTFOUND as i128),
        ("LIBSSH2_KNOWNHOST_CHECK_FAILURE", knownhost::CHECK_FAILURE as i128),
        ("LIBSSH2_KNOWNHOST_FILE_OPENSSH", knownhost::FILE_OPENSSH as i128),
        ("LIBSSH2_TRACE_TRANS", trace::TRANS as i128),
        ("LIBSSH2_TRACE_KEX", trace::KEX as i128),
        ("LIBSSH2_TRACE_AUTH", trace::AUTH as i128),
        ("LIBSSH2_TRACE_CONN", trace::CONN as i128),
        ("LIBSSH2_TRACE_SCP", trace::SCP as i128),
        ("LIBSSH2_TRACE_SFTP", trace::SFTP as i128),
        ("LIBSSH2_TRACE_ERROR", trace::ERROR as i128),
        ("LIBSSH2_TRACE_PUBLICKEY", trace::PUBLICKEY as i128),
        ("LIBSSH2_TRACE_SOCKET", trace::SOCKET as i128),
        ("LIBSSH2_SFTP_VERSION", sftp::VERSION as i128),
        ("LIBSSH2_SFTP_OPENFILE", sftp::OPENFILE as i128),
        ("LIBSSH2_SFTP_OPENDIR", sftp::OPENDIR as i128),
        ("LIBSSH2_SFTP_RENAME_OVERWRITE", sftp_rename::OVERWRITE as i128),
        ("LIBSSH2_SFTP_RENAME_ATOMIC", sftp_rename::ATOMIC as i128),
        ("LIBSSH2_SFTP_RENAME_NATIVE", sftp_rename::NATIVE as i128),
        ("LIBSSH2_SFTP_STAT", sftp::STAT as i128),
        ("LIBSSH2_SFTP_LSTAT", sftp::LSTAT as i128),
        ("LIBSSH2_SFTP_SETSTAT", sftp::SETSTAT as i128),
        ("LIBSSH2_SFTP_SYMLINK", sftp::SYMLINK as i128),
        ("LIBSSH2_SFTP_READLINK", sftp::READLINK as i128),
        ("LIBSSH2_SFTP_REALPATH", sftp::REALPATH as i128),
        ("LIBSSH2_SFTP_DEFAULT_MODE", sftp::DEFAULT_MODE as i128),
        ("LIBSSH2_SFTP_ATTR_SIZE", sftp_attr::SIZE as i128),
        ("LIBSSH2_SFTP_ATTR_UIDGID", sftp_attr::UIDGID as i128),
        ("LIBSSH2_SFTP_ATTR_PERMISSIONS", sftp_attr::PERMISSIONS as i128),
        ("LIBSSH2_SFTP_ATTR_ACMODTIME", sftp_attr::ACMODTIME as i128),
        ("LIBSSH2_SFTP_ATTR_EXTENDED", sftp_attr::EXTENDED as i128),
        ("LIBSSH2_SFTP_ST_RDONLY", sftp_st::RDONLY as i128),
        ("LIBSSH2_SFTP_ST_NOSUID", sftp_st::NOSUID as i128),
        ("LIBSSH2_SFTP_TYPE_REGULAR", sftp::TYPE_REGULAR as i128),
        ("LIBSSH2_SFTP_TYPE_DIRECTORY", sftp::TYPE_DIRECTORY as i128),
        ("LIBSSH2_SFTP_TYPE_SYMLINK", sftp::TYPE_SYMLINK as i128),
        ("LIBSSH2_SFTP_TYPE_SPECIAL", sftp::TYPE_SPECIAL as i128),
        ("LIBSSH2_SFTP_TYPE_UNKNOWN", sftp::TYPE_UNKNOWN as i128),
        ("LIBSSH2_SFTP_TYPE_SOCKET", sftp::TYPE_SOCKET as i128),
        ("LIBSSH2_SFTP_TYPE_CHAR_DEVICE", sftp::TYPE_CHAR_DEVICE as i128),
        ("LIBSSH2_SFTP_TYPE_BLOCK_DEVICE", sftp::TYPE_BLOCK_DEVICE as i128),
        ("LIBSSH2_SFTP_TYPE_FIFO", sftp::TYPE_FIFO as i128),
        ("LIBSSH2_SFTP_S_IFMT", sftp_mode::S_IFMT as i128),
        ("LIBSSH2_SFTP_S_IFIFO", sftp_mode::S_IFIFO as i128),
        ("LIBSSH2_SFTP_S_IFCHR", sftp_mode::S_IFCHR as i128),
        ("LIBSSH2_SFTP_S_IFDIR", sftp_mode::S_IFDIR as i128),
        ("LIBSSH2_SFTP_S_IFBLK", sftp_mode::S_IFBLK as i128),
        ("LIBSSH2_SFTP_S_IFREG", sftp_mode::S_IFREG as i128),
        ("LIBSSH2_SFTP_S_IFLNK", sftp_mode::S_IFLNK as i128),
        ("LIBSSH2_SFTP_S_IFSOCK", sftp_mode::S_IFSOCK as i128),
        ("LIBSSH2_SFTP_S_IRWXU", sftp_mode::S_IRWXU as i128),
        ("LIBSSH2_SFTP_S_IRUSR", sftp_mode::S_IRUSR as i128),
        ("LIBSSH2_SFTP_S_IWUSR", sftp_mode::S_IWUSR as i128),
        ("LIBSSH2_SFTP_S_IXUSR", sftp_mode::S_IXUSR as i128),
        ("LIBSSH2_SFTP_S_IRWXG", sftp_mode::S_IRWXG as i128),
        ("LIBSSH2_SFTP_S_IRGRP", sftp_mode::S_IRGRP as i128),
        ("LIBSSH2_SFTP_S_IWGRP", sftp_mode::S_IWGRP as i128),
        ("LIBSSH2_SFTP_S_IXGRP", sftp_mode::S_IXGRP as i128),
        ("LIBSSH2_SFTP_S_IRWXO", sftp_mode::S_IRWXO as i128),
        ("LIBSSH2_SFTP_S_IROTH", sftp_mode::S_IROTH as i128),
        ("LIBSSH2_SFTP_S_IWOTH", sftp_mode::S_IWOTH as i128),
        ("LIBSSH2_SFTP_S_IXOTH", sftp_mode::S_IXOTH as i128),
        ("LIBSSH2_FXF_READ", fxf::READ as i128),
        ("LIBSSH2_FXF_WRITE", fxf::WRITE as i128),
        ("LIBSSH2_FXF_APPEND", fxf::APPEND as i128),
        ("LIBSSH2_FXF_CREAT", fxf::CREAT as i128),
        ("LIBSSH2_FXF_TRUNC", fxf::TRUNC as i128),
        ("LIBSSH2_FXF_EXCL", fxf::EXCL as i128),
        ("LIBSSH2_FX_OK", fx::OK as i128),
        ("LIBSSH2_FX_EOF", fx::EOF as i128),
        ("LIBSSH2_FX_NO_SUCH_FILE", fx::NO_SUCH_FILE as i128),
        ("LIBSSH2_FX_PERMISSION_DENIED", fx::PERMISSION_DENIED as i128),
        ("LIBSSH2_FX_FAILURE", fx::FAILURE as i128),
        ("LIBSSH2_FX_BAD_MESSAGE", fx::BAD_MESSAGE as i128),
        ("LIBSSH2_FX_NO_CONNECTION", fx::NO_CONNECTION as i128),
        ("LIBSSH2_FX_CONNECTION_LOST", fx::CONNECTION_LOST as i128),
        ("LIBSSH2_FX_OP_UNSUPPORTED", fx::OP_UNSUPPORTED as i128),
        ("LIBSSH2_FX_INVALID_HANDLE", fx::INVALID_HANDLE as i128),
        ("LIBSSH2_FX_NO_SUCH_PATH", fx::NO_SUCH_PATH as i128),
        ("LIBSSH2_FX_FILE_ALREADY_EXISTS", fx::FILE_ALREADY_EXISTS as i128),
        ("LIBSSH2_FX_WRITE_PROTECT", fx::WRITE_PROTECT as i128),
        ("LIBSSH2_FX_NO_MEDIA", fx::NO_MEDIA as i128),
        ("LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM", fx::NO_SPACE_ON_FILESYSTEM as i128),
        ("LIBSSH2_FX_QUOTA_EXCEEDED", fx::QUOTA_EXCEEDED as i128),
        ("LIBSSH2_FX_UNKNOWN_PRINCIPAL", fx::UNKNOWN_PRINCIPAL as i128),
        ("LIBSSH2_FX_LOCK_CONFLICT", fx::LOCK_CONFLICT as i128),
        ("LIBSSH2_FX_DIR_NOT_EMPTY", fx::DIR_NOT_EMPTY as i128),
        ("LIBSSH2_FX_NOT_A_DIRECTORY", fx::NOT_A_DIRECTORY as i128),
        ("LIBSSH2_FX_INVALID_FILENAME", fx::INVALID_FILENAME as i128),
        ("LIBSSH2_FX_LINK_LOOP", fx::LINK_LOOP as i128),
        ("LIBSSH2_ERROR_BANNER_NONE", code::BANNER_RECV as i128),
    ]
}

/// Header prefixes whose constants must all have a Rust mirror.
const MIRRORED_PREFIXES: &[&str] = &[
    "LIBSSH2_ERROR_",
    "LIBSSH2_FLAG_",
    "LIBSSH2_METHOD_",
    "LIBSSH2_CALLBACK_",
    "LIBSSH2_HOSTKEY_",
    "LIBSSH2_SESSION_BLOCK_",
    "LIBSSH2_CHANNEL_",
    "LIBSSH2_KNOWNHOST_",
    "LIBSSH2_SFTP_",
    "LIBSSH2_FX_",
    "LIBSSH2_FXF_",
    "LIBSSH2_POLLFD_",
    "LIBSSH2_TRACE_",
    "LIBSSH2_INIT_",
    "LIBSSH2_SK_",
    "LIBSSH2_TERM_",
    "LIBSSH2_PACKET_",
    "LIBSSH2_VERSION_",
    "SSH_DISCONNECT_",
    "SSH_EXTENDED_DATA_",
];

/// Not mirrored: historic misspellings kept in the header, and an include guard.
const NOT_MIRRORED: &[&str] = &["LIBSSH2_FX_UNKNOWN_PRINCIPLE", "LIBSSH2_FX_LOCK_CONFlICT", "LIBSSH2_SFTP_H"];

/// The three public headers, with line continuations joined.
fn header_text() -> String {
    ["libssh2.h", "libssh2_sftp.h", "libssh2_publickey.h"]
        .iter()
        .map(|h| std::fs::read_to_string(root().join("include").join(h)).expect("read header"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("\\\n", " ")
}

/// `(name, is_function_like)` of every `#define` in the headers.
fn header_defines() -> Vec<(String, bool)> {
    header_text()
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix('#')?.trim_start();
            let rest = rest.strip_prefix("define")?.trim_start();
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            let function_like = rest[name.len()..].starts_with('(');
            let has_value = !rest[name.len()..].trim().is_empty();
            (has_value || function_like).then_some((name, function_like))
        })
        .collect()
}

#[test]
fn constants_match_header() {
    let consts = rust_constants();
    let mirrored: BTreeMap<&str, i128> = consts.iter().copied().collect();
    assert_eq!(mirrored.len(), consts.len(), "a constant is listed twice");

    // Completeness: every header constant of a mirrored family has a mirror.
    let missing: Vec<String> = header_defines()
        .into_iter()
        .filter(|(name, function_like)| {
            !function_like
                && MIRRORED_PREFIXES.iter().any(|p| name.starts_with(p))
                && !NOT_MIRRORED.contains(&name.as_str())
                && !mirrored.contains_key(name.as_str())
        })
        .map(|(name, _)| name)
        .collect();
    assert!(missing.is_empty(), "header constants without a Rust mirror: {missing:?}");

    // Values: what the C compiler makes of each macro.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut src = String::from(
        "#include <stdio.h>\n#include \"libssh2.h\"\n#include \"libssh2_sftp.h\"\n\
         #include \"libssh2_publickey.h\"\nint main(void) {\n",
    );
    for (name, _) in &consts {
        src.push_str(&format!("    printf(\"{name} %lld\\n\", (long long)({name}));\n"));
    }
    for name in ["LIBSSH2_VERSION", "LIBSSH2_SSH_DEFAULT_BANNER"] {
        src.push_str(&format!("    printf(\"{name} %s\\n\", {name});\n"));
    }
    src.push_str("    return 0;\n}\n");
    let path = dir.path().join("constants.c");
    std::fs::write(&path, src).expect("write constants.c");
    let out = compile_and_run(&path, dir.path());

    let mut c = BTreeMap::new();
    for line in out.lines() {
        let (k, v) = line.split_once(' ').expect("'name value' line");
        c.insert(k.to_string(), v.to_string());
    }
    let mut rust: BTreeMap<String, String> = consts.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    rust.insert("LIBSSH2_VERSION".into(), version::VERSION.into());
    rust.insert("LIBSSH2_SSH_DEFAULT_BANNER".into(), version::SSH_BANNER.into());
    let diffs = differences(&c, &rust);
    assert!(diffs.is_empty(), "constant mismatches:\n{}", diffs.join("\n"));
}

#[test]
fn crypto_engine_enumerators_match_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("engine.c");
    std::fs::write(
        &path,
        "#include <stdio.h>\n#include \"libssh2.h\"\nint main(void) {\n\
         printf(\"%d %d %d %d %d %d\\n\", libssh2_no_crypto, libssh2_openssl, libssh2_gcrypt,\n\
         libssh2_mbedtls, libssh2_wincng, libssh2_os400qc3);\nreturn 0;\n}\n",
    )
    .expect("write engine.c");
    let out = compile_and_run(&path, dir.path());
    let rust = [
        crypto_engine::NO_CRYPTO,
        crypto_engine::OPENSSL,
        crypto_engine::GCRYPT,
        crypto_engine::MBEDTLS,
        crypto_engine::WINCNG,
        crypto_engine::OS400QC3,
    ]
    .map(|v| v.to_string())
    .join(" ");
    assert_eq!(out.trim(), rust);
}

/// Names of the functions the headers declare with `LIBSSH2_API`.
fn exported_prototypes() -> Vec<String> {
    let text = header_text();
    let mut names = Vec::new();
    for decl in text.split(';') {
        let Some((_, after)) = decl.split_once("LIBSSH2_API") else {
            continue;
        };
        let mut rest = after;
        while let Some(pos) = rest.find("libssh2_") {
            let tail = &rest[pos..];
            let len = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
            if tail[len..].trim_start().starts_with('(') {
                names.push(tail[..len].to_string());
                break;
            }
            rest = &tail[len..];
        }
    }
    names
}

/// Whether `word` occurs in `text` as a whole identifier.
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !ident(before) && !ident(after)
    })
}

/// The shared reference lists, when this checkout sits beside them.
fn reference_file(name: &str) -> Option<String> {
    let dir = std::env::var_os("LIBSSH2_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/reference"));
    std::fs::read_to_string(dir.join(name)).ok()
}

#[test]
fn headers_declare_the_exported_api() {
    let mut protos = exported_prototypes();
    protos.sort();
    let count = protos.len();
    protos.dedup();
    assert_eq!(protos.len(), count, "a function is declared twice");
    assert_eq!(protos.len(), EXPORTED_FUNCTIONS, "LIBSSH2_API prototypes: {protos:?}");
    if let Some(list) = reference_file("libssh2-1.11.1-exports.txt") {
        let mut exports: Vec<String> = list.split_whitespace().map(String::from).collect();
        exports.sort();
        assert_eq!(protos, exports, "prototypes differ from the reference export list");
    }
    let macros: Vec<String> = header_defines().into_iter().filter(|(_, f)| *f).map(|(n, _)| n).collect();
    if let Some(list) = reference_file("docs-index-macros.txt") {
        let documented: Vec<&str> = list.split_whitespace().collect();
        assert_eq!(documented.len(), DOCUMENTED_MACROS);
        for name in documented {
            assert!(macros.iter().any(|m| m == name), "documented macro {name} not defined");
        }
    }
}

#[test]
fn api_compile_names_every_function_and_macro() {
    let src = std::fs::read_to_string(root().join("tests/c/api_compile.c")).expect("read");
    let mut names = exported_prototypes();
    names.push("libssh2_sign_sk".into());
    names.extend(
        header_defines()
            .into_iter()
            .filter(|(name, function_like)| *function_like && name != "LIBSSH2_DEPRECATED")
            .map(|(name, _)| name),
    );
    let unused: Vec<&String> = names.iter().filter(|n| !mentions(&src, n)).collect();
    assert!(unused.is_empty(), "api_compile.c does not use: {unused:?}");
    // Every wrapper macro (lower-case, 51 in libssh2 1.11.1) is among them.
    let wrappers = names.iter().filter(|n| n.starts_with("libssh2_")).count();
    assert!(wrappers >= EXPORTED_FUNCTIONS + 1 + DOCUMENTED_MACROS);
}

/// Compiles api_compile.c with `compiler` and `flags`; the test fails on any diagnostic.
fn strict_compile(compiler: &str, flags: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    run(Command::new(compiler)
        .args(flags)
        .args(["-Wall", "-Wextra", "-Werror", "-c", "-I"])
        .arg(root().join("include"))
        .arg(root().join("tests/c/api_compile.c"))
        .arg("-o")
        .arg(dir.path().join("api_compile.o")));
}

#[test]
fn api_compiles_as_strict_c99() {
    strict_compile(&tool("CC", "cc"), &["-std=c99", "-pedantic"]);
}

#[test]
fn api_compiles_as_cxx() {
    strict_compile(&tool("CXX", "c++"), &["-x", "c++"]);
}

#[test]
fn mirrors_are_plain_c_types() {
    // A value-level check that the mirrors are usable as the FFI will use them.
    let attrs = LIBSSH2_SFTP_ATTRIBUTES {
        flags: sftp_attr::SIZE | sftp_attr::PERMISSIONS,
        filesize: 42,
        permissions: sftp_mode::S_IFREG | sftp_mode::S_IRUSR,
        ..Default::default()
    };
    assert_eq!(attrs.permissions & sftp_mode::S_IFMT, sftp_mode::S_IFREG);
    let pfd = LIBSSH2_POLLFD {
        r#type: pollfd::SOCKET,
        fd: LIBSSH2_POLLFD_fd { socket: 3 as c_int },
        events: pollfd::POLLIN as c_ulong,
        revents: 0,
    };
    assert_eq!(pfd.r#type, pollfd::SOCKET);
}
