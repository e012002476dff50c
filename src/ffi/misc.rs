//! Library-wide functions: init/exit, version, free, base64, crypto engine, trace.

use crate::null_check;
use std::ffi::{c_char, c_int, c_uint, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::boundary::{guard_plain, write_out};
use super::handle::{slice, with_session, LIBSSH2_SESSION};
use crate::error::{code, Error};

/// How many `libssh2_init` calls are not yet matched by `libssh2_exit`.
static INIT_COUNT: AtomicUsize = AtomicUsize::new(0);

/// The version string returned by `libssh2_version`.
const VERSION: &std::ffi::CStr = c"1.11.1";
/// LIBSSH2_VERSION_NUM.
const VERSION_NUM: c_int = 0x010b01;
/// `libssh2_openssl` in `libssh2_crypto_engine_t`: the backend whose feature set we match.
const CRYPTO_ENGINE_OPENSSL: c_int = 1;

/// Initializes the library (safe to call more than once).
#[no_mangle]
pub extern "C" fn libssh2_init(_flags: c_int) -> c_int {
    guard_plain(|| {
        INIT_COUNT.fetch_add(1, Ordering::SeqCst);
        super::init_once();
        0
    })
}

/// Undoes one `libssh2_init`.
#[no_mangle]
pub extern "C" fn libssh2_exit() {
    guard_plain(|| {
        let _ = INIT_COUNT.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    })
}

/// Returns "1.11.1" if it is at least `req_version_num`, else NULL.
#[no_mangle]
pub extern "C" fn libssh2_version(req_version_num: c_int) -> *const c_char {
    if req_version_num > VERSION_NUM {
        return std::ptr::null();
    }
    VERSION.as_ptr()
}

/// Reports the crypto backend; we match the OpenSSL build's algorithm set.
#[no_mangle]
pub extern "C" fn libssh2_crypto_engine() -> c_int {
    CRYPTO_ENGINE_OPENSSL
}

/// Frees memory the library handed out for this session.
///
/// # Safety
/// `session` must be a live session; `ptr` null or from that session's allocator.
#[no_mangle]
pub unsafe extern "C" fn libssh2_free(session: *mut LIBSSH2_SESSION, ptr: *mut c_void) {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let ab = h.abstract_ptr();
            h.alloc.free(ptr, ab);
            Ok(())
        })
    }
}

/// Decodes base64 leniently as libssh2 does: characters outside the alphabet
/// are skipped, a lone trailing sextet is an error.
pub fn base64_lenient(src: &[u8]) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u8> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    }
    let mut out = Vec::with_capacity(src.len() / 4 * 3 + 1);
    let (mut acc, mut n) = (0u32, 0usize);
    for v in src.iter().filter_map(|&c| val(c)) {
        acc = (acc << 6) | v as u32;
        n += 1;
        if n % 4 == 0 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
        }
    }
    match n % 4 {
        1 => return None,
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    Some(out)
}

unsafe fn base64_into(
    session: *mut LIBSSH2_SESSION,
    dest: *mut *mut c_char,
    src: *const c_char,
    src_len: usize,
) -> (c_int, usize) {
    let mut out_len = 0usize;
    // SAFETY: the caller guarantees the pointers.
    let rc = unsafe {
        with_session(session, |h| {
            null_check!(Err(Error::new(code::INVAL, "NULL destination")); dest);
            let src = slice(src, src_len)?;
            let Some(d) = base64_lenient(src) else {
                *dest = std::ptr::null_mut();
                return Err(Error::new(code::INVAL, "Invalid base64"));
            };
            *dest = h.alloc_copy(&d)?;
            out_len = d.len();
            Ok(0)
        })
    };
    (rc, out_len)
}

/// Decodes base64 into memory from the session allocator (deprecated API).
///
/// # Safety
/// `session` live; `dest`/`dest_len` writable; `src` readable for `src_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn libssh2_base64_decode(
    session: *mut LIBSSH2_SESSION,
    dest: *mut *mut c_char,
    dest_len: *mut c_uint,
    src: *const c_char,
    src_len: c_uint,
) -> c_int {
    // SAFETY: forwarded contract.
    let (rc, n) = unsafe { base64_into(session, dest, src, src_len as usize) };
    if rc == 0 {
        // SAFETY: the caller guarantees dest_len is NULL or writable.
        unsafe { write_out(dest_len, n as c_uint) };
    }
    rc
}

/// The size_t form upstream's own tests call.
///
/// # Safety
/// As `libssh2_base64_decode`.
#[no_mangle]
pub unsafe extern "C" fn _libssh2_base64_decode(
    session: *mut LIBSSH2_SESSION,
    dest: *mut *mut c_char,
    dest_len: *mut usize,
    src: *const c_char,
    src_len: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    let (rc, n) = unsafe { base64_into(session, dest, src, src_len) };
    if rc == 0 {
        // SAFETY: the caller guarantees dest_len is NULL or writable.
        unsafe { write_out(dest_len, n) };
    }
    rc
}

/// Enables trace categories (LIBSSH2_TRACE_* bits).
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_trace(session: *mut LIBSSH2_SESSION, bitmask: c_int) -> c_int {
    // libssh2's release builds answer 0 whatever the session; there is nothing to trace on null.
    null_check!(0; session);
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            h.sess.trace_mask = bitmask;
            Ok(0)
        })
    }
}

/// `libssh2_trace_handler_func`.
type TraceFn = unsafe extern "C" fn(*mut LIBSSH2_SESSION, *mut c_void, *const c_char, usize);

/// Routes trace lines to `callback(session, context, data, length)`.
///
/// # Safety
/// `session` must be a live session; `callback` a trace handler or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_trace_sethandler(
    session: *mut LIBSSH2_SESSION,
    context: *mut c_void,
    callback: Option<TraceFn>,
) -> c_int {
    // As libssh2_trace: 0 for a null session.
    null_check!(0; session);
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            h.sess.trace_sink = callback.map(|f| {
                Box::new(move |line: &str| {
                    // SAFETY: the application registered f as a trace handler; line is valid during the call.
                    f(session, context, line.as_ptr().cast(), line.len())
                }) as Box<dyn FnMut(&str)>
            });
            Ok(0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::base64_lenient;

    #[test]
    fn base64_lenient_matches_libssh2_rules() {
        assert_eq!(base64_lenient(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_lenient(b"aGVs\nbG8").unwrap(), b"hello");
        assert_eq!(base64_lenient(b"").unwrap(), b"");
        assert!(base64_lenient(b"aGVsb").is_none());
    }
}
