//! The one wrapper every shim goes through: null checks, a panic boundary,
//! and libssh2's return conventions.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{code, Error};

/// A value a shim can return to C, with the value that stands for failure.
pub trait FfiRet: Sized {
    /// What to return when `err` stops the call (a panic, a null argument, ...).
    fn from_error(err: &Error) -> Self;
}

impl FfiRet for i32 {
    fn from_error(err: &Error) -> Self {
        err.code
    }
}

impl FfiRet for isize {
    fn from_error(err: &Error) -> Self {
        err.code as isize
    }
}

impl FfiRet for i64 {
    fn from_error(err: &Error) -> Self {
        err.code as i64
    }
}

impl FfiRet for u64 {
    fn from_error(_: &Error) -> Self {
        0
    }
}

impl FfiRet for u32 {
    fn from_error(_: &Error) -> Self {
        0
    }
}

impl FfiRet for () {
    fn from_error(_: &Error) -> Self {}
}

impl<T> FfiRet for *mut T {
    fn from_error(_: &Error) -> Self {
        std::ptr::null_mut()
    }
}

impl<T> FfiRet for *const T {
    fn from_error(_: &Error) -> Self {
        std::ptr::null()
    }
}

/// The error a panic turns into.
pub const PANIC_ERROR: Error = Error::new(code::BAD_USE, "Internal error: the operation panicked; session unusable");

/// Runs `f`, turning a panic into `R`'s failure value so no unwind crosses into C.
/// `on_panic` runs after a panic (to mark the session unusable).
pub fn guard<R: FfiRet>(f: impl FnOnce() -> R, on_panic: impl FnOnce()) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => {
            on_panic();
            R::from_error(&PANIC_ERROR)
        }
    }
}

/// Runs `f` with no session to poison.
pub fn guard_plain<R: FfiRet>(f: impl FnOnce() -> R) -> R {
    guard(f, || {})
}

/// Stores `v` through an optional out-pointer: C's "pass NULL if you do
/// not want it". The one place a shim writes an out-parameter that may be
/// NULL, so no shim repeats the test and the bare write.
///
/// # Safety
/// `p` is NULL or valid for a write of `T` (it need not be initialised).
pub unsafe fn write_out<T: Copy>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-null, and the caller guarantees it is writable.
        unsafe { p.write(v) };
    }
}

/// Returns `$ret` from the enclosing shim when any of the pointers is null.
#[macro_export]
#[doc(hidden)]
macro_rules! null_check {
    ($ret:expr; $($p:expr),+) => {
        if false $(|| $p.is_null())+ {
            return $ret;
        }
    };
}

/// Whether a C result says the call is still in progress (EAGAIN, or a
/// blocking call's TIMEOUT): a free function then keeps its object, as
/// libssh2 does, so the application may call it again.
pub fn rc_pending(rc: std::ffi::c_int) -> bool {
    rc == code::EAGAIN || rc == code::TIMEOUT
}
