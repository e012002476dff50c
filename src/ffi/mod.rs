//! The C ABI: the only code that touches raw pointers and `extern "C"`.

pub mod agent;
pub mod alloc;
pub mod boundary;
pub mod channel;
pub mod forward;
pub mod handle;
pub mod knownhost;
pub mod misc;
pub mod poll;
pub mod publickey;
pub mod scp;
pub mod session;
pub mod sftp;
#[cfg(test)]
mod timeout_tests;
pub mod types;
pub mod userauth;

use crate::proto::{conn::negotiate::KEX_PSEUDO_METHODS, kex, transport as tp};
use std::ffi::c_char;

/// Every algorithm name `libssh2_session_supported_algs` can hand out. Their
/// NUL-terminated copies live in one static buffer built at compile time, so
/// the pointers stay valid forever and `libssh2_init` allocates nothing that
/// `libssh2_exit` would have to free.
const NAME_REGISTRIES: [&[&str]; 6] = [
    kex::SUPPORTED_KEX,
    KEX_PSEUDO_METHODS,
    crate::keys::SUPPORTED_HOSTKEY_ALGS,
    tp::SUPPORTED_CIPHERS,
    tp::SUPPORTED_MACS,
    tp::COMPRESSION_WHEN_ENABLED,
];

/// Bytes of [`NAME_BYTES`]: every name plus its NUL.
const NAME_BYTES_LEN: usize = {
    let (mut n, mut i) = (0, 0);
    while i < NAME_REGISTRIES.len() {
        let mut j = 0;
        while j < NAME_REGISTRIES[i].len() {
            n += NAME_REGISTRIES[i][j].len() + 1;
            j += 1;
        }
        i += 1;
    }
    n
};

/// The names of [`NAME_REGISTRIES`], each followed by a NUL, in order.
static NAME_BYTES: [u8; NAME_BYTES_LEN] = {
    let mut out = [0u8; NAME_BYTES_LEN];
    let (mut at, mut i) = (0, 0);
    while i < NAME_REGISTRIES.len() {
        let mut j = 0;
        while j < NAME_REGISTRIES[i].len() {
            let b = NAME_REGISTRIES[i][j].as_bytes();
            let mut k = 0;
            while k < b.len() {
                out[at] = b[k];
                at += 1;
                k += 1;
            }
            at += 1; // the NUL
            j += 1;
        }
        i += 1;
    }
    out
};

/// Library-wide one-time setup: nothing is left to do at run time (the name
/// table is static); kept as the one place `libssh2_init` would do it.
pub fn init_once() {}

/// A static C string for an algorithm name from our registries ("" if unknown).
pub fn static_cstr(name: &str) -> *const c_char {
    let mut at = 0;
    for n in NAME_REGISTRIES.iter().flat_map(|r| r.iter()) {
        if *n == name {
            return NAME_BYTES[at..].as_ptr().cast();
        }
        at += n.len() + 1;
    }
    c"".as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_has_its_static_c_string() {
        for n in NAME_REGISTRIES.iter().flat_map(|r| r.iter()) {
            // SAFETY: static_cstr returns a pointer into a NUL-terminated static buffer.
            let got = unsafe { std::ffi::CStr::from_ptr(static_cstr(n)) };
            assert_eq!(got.to_bytes(), n.as_bytes());
        }
        // SAFETY: as above; unknown names give the static "".
        assert!(unsafe { std::ffi::CStr::from_ptr(static_cstr("nope")) }.to_bytes().is_empty());
    }
}
