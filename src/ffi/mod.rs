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
pub mod types;
pub mod userauth;

use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::sync::OnceLock;

/// NUL-terminated copies of every algorithm name, built once.
static NAMES: OnceLock<HashMap<&'static str, CString>> = OnceLock::new();

fn names() -> &'static HashMap<&'static str, CString> {
    NAMES.get_or_init(|| {
        let mut m = HashMap::new();
        for slot in [0usize, 1, 2, 4, 6] {
            for n in crate::session::Session::supported(slot).unwrap_or_default() {
                m.insert(n, CString::new(n).unwrap_or_default());
            }
        }
        m
    })
}

/// Library-wide one-time setup (idempotent, thread-safe).
pub fn init_once() {
    names();
}

/// A static C string for an algorithm name from our registries.
pub fn static_cstr(name: &'static str) -> *const c_char {
    names().get(name).map_or(c"".as_ptr(), |c| c.as_ptr())
}
