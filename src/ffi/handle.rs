//! Opaque handles: `LIBSSH2_SESSION *` is a boxed `SessionHandle`. Helpers
//! turn raw pointers into references, C strings and slices in one place.

use crate::null_check;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};

use super::alloc::Allocator;
use super::boundary::{guard, FfiRet};
use crate::error::{code, Error, Result};
use crate::session::Session;

/// Raw C callback pointers the application installed (LIBSSH2_CALLBACK_*).
#[derive(Default, Clone, Copy)]
pub struct CCallbacks {
    /// Indexed by LIBSSH2_CALLBACK_* (0..=9).
    pub slots: [Option<*mut c_void>; CALLBACK_SLOTS],
}

/// Number of LIBSSH2_CALLBACK_* kinds (IGNORE .. AUTHAGENT_SIGN).
pub const CALLBACK_SLOTS: usize = 10;

/// What C holds as `LIBSSH2_SESSION *`.
pub struct SessionHandle {
    /// The `abstract` pointer given at init; callbacks receive its address.
    pub abstract_: *mut c_void,
    /// The session's allocator.
    pub alloc: Allocator,
    /// The safe session.
    pub sess: Session,
    /// The last error message as a C string (for `last_error` without a copy).
    pub err_cstr: CString,
    /// Stable C strings handed out for names (methods, banner).
    pub names: HashMap<Vec<u8>, CString>,
    /// Installed C callbacks.
    pub cbs: CCallbacks,
    /// Set after a panic: the session refuses further use.
    pub poisoned: bool,
    /// LIBSSH2_FLAG_QUOTE_PATHS (SCP path quoting), on by default.
    pub quote_paths: bool,
    /// C handles of this session's channels, owned here (freed with the session).
    pub channel_handles: HashMap<u32, Box<super::channel::ChannelHandle>>,
    /// The value last given to `libssh2_session_set_blocking` (1 at first).
    pub blocking_value: c_int,
    /// The value last given to `libssh2_session_set_timeout` (0 at first).
    pub timeout_value: std::ffi::c_long,
    /// SFTP instances handed to C and not yet shut down: freed with the
    /// session, as libssh2 frees them when it closes their channels.
    pub sftp_handles: Vec<*mut super::sftp::SftpHandle>,
    /// C handles of this session's listeners, owned here: like libssh2, freeing
    /// the session frees the listeners the application did not cancel.
    pub listener_handles: HashMap<u32, Box<super::forward::ListenerHandle>>,
    /// The pointer `libssh2_session_init_ex` returned. Child handles point
    /// back with it: a pointer taken from a `&mut` borrow of the handle
    /// stops being valid when that borrow ends (Miri: Stacked Borrows).
    pub self_ptr: *mut SessionHandle,
    /// MD5, SHA1 and SHA256 of the host key, kept for `libssh2_hostkey_hash`.
    pub hostkey_hashes: [Vec<u8>; 3],
}

/// The C name of the session type.
#[allow(non_camel_case_types)]
pub type LIBSSH2_SESSION = SessionHandle;

impl SessionHandle {
    /// Address of the `abstract` slot, as passed to every callback.
    pub fn abstract_ptr(&mut self) -> *mut *mut c_void {
        &mut self.abstract_
    }

    /// A NUL-terminated copy of `s` that lives as long as the session.
    pub fn stable_cstr(&mut self, s: &[u8]) -> *const c_char {
        let key = s.to_vec();
        let c = self.names.entry(key).or_insert_with(|| {
            let clean: Vec<u8> = s.iter().copied().filter(|&b| b != 0).collect();
            CString::new(clean).unwrap_or_default()
        });
        c.as_ptr()
    }

    /// Copies bytes into caller-owned memory from the session allocator.
    pub fn alloc_copy(&mut self, bytes: &[u8]) -> Result<*mut c_char> {
        let ab = self.abstract_ptr();
        let p = self.alloc.copy_bytes(bytes, ab);
        null_check!(Err(Error::new(code::ALLOC, "Unable to allocate memory")); p);
        Ok(p.cast())
    }

    /// Records `e` as the session's last error.
    pub fn set_error(&mut self, e: &Error) {
        self.sess.last_error = e.clone();
        if e.code != code::EAGAIN {
            let msg = e.msg.clone();
            self.sess.trace(crate::session::TRACE_ERROR, || format!("error {}: {}", e.code, msg));
        }
    }
}

/// What an application callback may touch of its session while the session
/// itself is busy: the allocator and the address of the `abstract` slot. A
/// callback closure holds this, never a second `&mut SessionHandle`.
#[derive(Clone, Copy)]
pub struct CallerMem {
    /// The session's allocator.
    pub alloc: Allocator,
    /// The address of the session's `abstract` slot, passed to every callback.
    pub abstract_: *mut *mut c_void,
}

impl CallerMem {
    /// Frees memory the application allocated with the session allocator.
    pub fn free(&self, p: *mut c_void) {
        self.alloc.free(p, self.abstract_);
    }
}

impl SessionHandle {
    /// The allocator and abstract slot, for callbacks that run while `sess` is borrowed.
    pub fn caller_mem(&mut self) -> CallerMem {
        CallerMem { alloc: self.alloc, abstract_: &mut self.abstract_ }
    }
}

/// Borrows the handle behind a session pointer.
///
/// # Safety
/// `p` must be null or a pointer returned by `libssh2_session_init_ex` and not yet freed.
pub unsafe fn session_ref<'a>(p: *mut SessionHandle) -> Option<&'a mut SessionHandle> {
    // SAFETY: guaranteed by the caller.
    unsafe { p.as_mut() }
}

/// Runs `f` on a live session inside the panic boundary, recording any error
/// as the session's last error and returning it in C form.
///
/// # Safety
/// As `session_ref`.
pub unsafe fn with_session<R: FfiRet>(p: *mut SessionHandle, f: impl FnOnce(&mut SessionHandle) -> Result<R>) -> R {
    // SAFETY: guaranteed by the caller.
    let Some(h) = (unsafe { session_ref(p) }) else {
        return R::from_error(&Error::new(code::BAD_USE, "NULL session"));
    };
    if h.poisoned {
        return R::from_error(&super::boundary::PANIC_ERROR);
    }
    let hp: *mut SessionHandle = h;
    guard(
        || {
            // SAFETY: hp is the live handle borrowed above; the closure is its only user.
            let h = unsafe { &mut *hp };
            // One C call is one API call: its sub-steps share one timeout.
            let began = h.sess.begin_call();
            let r = f(h);
            h.sess.end_call(began);
            match r {
                Ok(v) => v,
                Err(e) => {
                    if !e.is_unrecorded() {
                        h.set_error(&e);
                    }
                    R::from_error(&e)
                }
            }
        },
        || {
            // SAFETY: the closure above has ended, so this is the only reference.
            let h = unsafe { &mut *hp };
            h.poisoned = true;
            h.sess.call_start = None;
            h.set_error(&super::boundary::PANIC_ERROR);
        },
    )
}

/// A C handle that belongs to a session (channel, SFTP instance or file,
/// agent, known-hosts collection, publickey subsystem): what ties the opaque
/// C type to its Rust handle, as rustls-ffi's `Castable` does.
pub trait SessionChild {
    /// The error recorded for a NULL pointer of this type.
    const NULL_MSG: &'static str;
    /// The owning session (it outlives the child: libssh2's rule).
    fn session(&self) -> *mut SessionHandle;
}

/// Ties an opaque C type to its Rust handle: `session_child!(T, "NULL msg")`
/// implements [`SessionChild`] for a handle with a `session` field, and
/// `session_child!(T, "NULL msg", Key = (field, ...))` also [`Keyed`], the key
/// being those fields. One line per C type instead of hand-copied impls.
#[macro_export]
#[doc(hidden)]
macro_rules! session_child {
    ($t:ty, $null:expr) => {
        impl $crate::ffi::handle::SessionChild for $t {
            const NULL_MSG: &'static str = $null;
            fn session(&self) -> *mut $crate::ffi::handle::SessionHandle {
                self.session
            }
        }
    };
    ($t:ty, $null:expr, $key:ty = ($($f:ident),+)) => {
        $crate::session_child!($t, $null);
        impl $crate::ffi::handle::Keyed for $t {
            type Key = $key;
            fn key(&self) -> $key {
                ($(self.$f),+)
            }
        }
    };
}

/// A child the session owns or indexes (channels, SFTP instances and files):
/// shims get its key, never a reference into the session's own tables.
pub trait Keyed: SessionChild {
    /// What names the child in its session's tables.
    type Key: Copy;
    /// The child's key.
    fn key(&self) -> Self::Key;
}

/// Runs `f` with the session and key of a child handle, inside `with_session`.
///
/// # Safety
/// `p` must be null or a live handle of type `T` from this library whose session is live.
pub unsafe fn with_key<T: Keyed, R: FfiRet>(p: *mut T, f: impl FnOnce(&mut SessionHandle, T::Key) -> Result<R>) -> R {
    // SAFETY: guaranteed by the caller.
    let Some(c) = (unsafe { p.as_ref() }) else {
        return R::from_error(&Error::new(code::BAD_USE, T::NULL_MSG));
    };
    let (session, key) = (c.session(), c.key());
    // SAFETY: a live child's session outlives it.
    unsafe { with_session(session, |h| f(h, key)) }
}

/// The free functions' one shape: `close` runs on the child's session and
/// key; unless the result is pending (EAGAIN, or a blocking call's TIMEOUT:
/// libssh2 keeps the object for the repeated call) `release` then drops
/// the handle, which nothing touches afterwards. Returns the C result.
///
/// # Safety
/// `p` must be null or a live handle of type `T` from this library whose
/// session is live; `release` must free it at most once.
pub unsafe fn close_then_release<T: Keyed>(
    p: *mut T,
    close: impl FnOnce(&mut SessionHandle, T::Key) -> Result<c_int>,
    release: impl FnOnce(*mut T),
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let rc = unsafe { with_key(p, close) };
    if !p.is_null() && !super::boundary::rc_pending(rc) {
        release(p);
    }
    rc
}

/// Runs `f` with the session and a child the application owns (allocated
/// apart from the session, so the two borrows do not overlap).
///
/// # Safety
/// `p` must be null or a live handle of type `T` from this library whose session is live.
pub unsafe fn with_child<T: SessionChild, R: FfiRet>(
    p: *mut T,
    f: impl FnOnce(&mut SessionHandle, &mut T) -> Result<R>,
) -> R {
    // SAFETY: guaranteed by the caller.
    let Some(c) = (unsafe { p.as_mut() }) else {
        return R::from_error(&Error::new(code::BAD_USE, T::NULL_MSG));
    };
    let session = c.session();
    // SAFETY: a live child's session outlives it; `c` is a separate allocation.
    unsafe { with_session(session, |h| f(h, c)) }
}

/// `with_child` for shims that free the child: `f` gets the raw pointer, so
/// no reference to the child is live (as a protected argument) when it goes.
///
/// # Safety
/// As `with_child`.
pub unsafe fn with_child_ptr<T: SessionChild, R: FfiRet>(
    p: *mut T,
    f: impl FnOnce(&mut SessionHandle, *mut T) -> Result<R>,
) -> R {
    // SAFETY: guaranteed by the caller.
    let Some(c) = (unsafe { p.as_ref() }) else {
        return R::from_error(&Error::new(code::BAD_USE, T::NULL_MSG));
    };
    let session = c.session();
    // SAFETY: a live child's session outlives it.
    unsafe { with_session(session, |h| f(h, p)) }
}

/// Borrows `len` bytes at `p` (empty for len 0; error for null with len > 0).
///
/// # Safety
/// `p` must be valid for reads of `len` bytes if non-null.
pub unsafe fn slice<'a>(p: *const c_char, len: usize) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    null_check!(Err(Error::new(code::INVAL, "NULL pointer with non-zero length")); p);
    // SAFETY: guaranteed by the caller.
    Ok(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) })
}

/// Borrows a NUL-terminated string (None for null).
///
/// # Safety
/// `p` must be null or point at a NUL-terminated string.
pub unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a [u8]> {
    null_check!(None; p);
    // SAFETY: guaranteed by the caller.
    Some(unsafe { CStr::from_ptr(p) }.to_bytes())
}
