//! `libssh2_scp_*`: start an SCP transfer and hand back its channel.

use std::ffi::{c_char, c_int, c_long};

use super::channel::{new_handle, LIBSSH2_CHANNEL};
use super::handle::{cstr, with_session, LIBSSH2_SESSION};
use super::types::libssh2_struct_stat;
use crate::error::{code, Error, Result};
use crate::session::scp::ScpStat;

/// Zeroes `sb` and fills the fields libssh2 fills: mode, size, atime, mtime.
///
/// # Safety
/// `sb` must be null or writable.
unsafe fn fill_stat(sb: *mut libc::stat, st: &ScpStat) {
    // SAFETY: guaranteed by the caller.
    let Some(sb) = (unsafe { sb.as_mut() }) else { return };
    // SAFETY: struct stat is plain old data; all-zero is a valid value.
    *sb = unsafe { std::mem::zeroed() };
    sb.st_mode = st.mode as libc::mode_t;
    sb.st_size = st.size.min(i64::MAX as u64) as libc::off_t;
    sb.st_mtime = st.mtime as libc::time_t;
    sb.st_atime = st.atime as libc::time_t;
}

fn path_arg(p: Option<&[u8]>) -> Result<&[u8]> {
    p.ok_or(Error::new(code::INVAL, "NULL path"))
}

/// Shared body of `scp_recv` and `scp_recv2`.
///
/// # Safety
/// As `libssh2_scp_recv2`.
unsafe fn recv(session: *mut LIBSSH2_SESSION, path: *const c_char, sb: *mut libc::stat) -> *mut LIBSSH2_CHANNEL {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let path = path_arg(cstr(path))?;
            let quote = h.quote_paths;
            let (id, st) = h.sess.scp_recv(path, !sb.is_null(), quote)?;
            fill_stat(sb, &st);
            Ok(new_handle(h, id))
        })
    }
}

/// Deprecated: fetches a remote file over SCP, filling a `struct stat`.
///
/// # Safety
/// `session` live; `path` NUL-terminated; `sb` writable or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_scp_recv(
    session: *mut LIBSSH2_SESSION,
    path: *const c_char,
    sb: *mut libc::stat,
) -> *mut LIBSSH2_CHANNEL {
    // SAFETY: forwarded contract.
    unsafe { recv(session, path, sb) }
}

/// Fetches a remote file over SCP, filling a `libssh2_struct_stat` (64-bit size).
///
/// # Safety
/// `session` live; `path` NUL-terminated; `sb` writable or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_scp_recv2(
    session: *mut LIBSSH2_SESSION,
    path: *const c_char,
    sb: *mut libssh2_struct_stat,
) -> *mut LIBSSH2_CHANNEL {
    // SAFETY: forwarded contract (libssh2_struct_stat is struct stat on this platform).
    unsafe { recv(session, path, sb) }
}

/// Shared body of the send functions.
///
/// # Safety
/// As `libssh2_scp_send64`.
unsafe fn send(
    session: *mut LIBSSH2_SESSION,
    path: *const c_char,
    mode: c_int,
    size: i64,
    mtime: i64,
    atime: i64,
) -> *mut LIBSSH2_CHANNEL {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let path = path_arg(cstr(path))?;
            let size = u64::try_from(size).map_err(|_| Error::new(code::INVAL, "Negative file size"))?;
            let quote = h.quote_paths;
            let id = h.sess.scp_send(path, mode as u32, size, mtime, atime, quote)?;
            Ok(new_handle(h, id))
        })
    }
}

/// Old API: stores a file over SCP (size as size_t, times as long).
///
/// # Safety
/// `session` live; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn libssh2_scp_send_ex(
    session: *mut LIBSSH2_SESSION,
    path: *const c_char,
    mode: c_int,
    size: usize,
    mtime: c_long,
    atime: c_long,
) -> *mut LIBSSH2_CHANNEL {
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    // SAFETY: forwarded contract.
    unsafe { send(session, path, mode, size, mtime, atime) }
}

/// Stores a file over SCP with a 64-bit size.
///
/// # Safety
/// `session` live; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn libssh2_scp_send64(
    session: *mut LIBSSH2_SESSION,
    path: *const c_char,
    mode: c_int,
    size: i64,
    mtime: libc::time_t,
    atime: libc::time_t,
) -> *mut LIBSSH2_CHANNEL {
    // SAFETY: forwarded contract.
    unsafe { send(session, path, mode, size, mtime, atime) }
}
