//! The session's allocator: the caller's alloc/realloc/free callbacks (or
//! malloc/realloc/free). Every byte handed to the caller comes from here.

use std::ffi::c_void;

/// `LIBSSH2_ALLOC_FUNC`.
pub type AllocFn = unsafe extern "C" fn(count: usize, abstract_: *mut *mut c_void) -> *mut c_void;
/// `LIBSSH2_REALLOC_FUNC`.
pub type ReallocFn = unsafe extern "C" fn(ptr: *mut c_void, count: usize, abstract_: *mut *mut c_void) -> *mut c_void;
/// `LIBSSH2_FREE_FUNC`.
pub type FreeFn = unsafe extern "C" fn(ptr: *mut c_void, abstract_: *mut *mut c_void);

unsafe extern "C" fn default_alloc(count: usize, _: *mut *mut c_void) -> *mut c_void {
    // SAFETY: malloc has no preconditions.
    unsafe { libc::malloc(count) }
}

unsafe extern "C" fn default_realloc(ptr: *mut c_void, count: usize, _: *mut *mut c_void) -> *mut c_void {
    // SAFETY: ptr came from this allocator (malloc/realloc) or is null.
    unsafe { libc::realloc(ptr, count) }
}

unsafe extern "C" fn default_free(ptr: *mut c_void, _: *mut *mut c_void) {
    // SAFETY: ptr came from malloc/realloc or is null.
    unsafe { libc::free(ptr) }
}

/// The three callbacks of one session.
#[derive(Clone, Copy)]
pub struct Allocator {
    /// Allocates.
    pub alloc: AllocFn,
    /// Reallocates.
    pub realloc: ReallocFn,
    /// Frees.
    pub free: FreeFn,
}

impl Default for Allocator {
    fn default() -> Self {
        Allocator { alloc: default_alloc, realloc: default_realloc, free: default_free }
    }
}

impl Allocator {
    /// Allocates `n` bytes (at least 1) through the callback; null on failure.
    /// `abstract_` is only passed through to the application's callback.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    pub fn alloc(&self, n: usize, abstract_: *mut *mut c_void) -> *mut c_void {
        // SAFETY: the callback follows malloc's contract; abstract_ points at the session's slot.
        unsafe { (self.alloc)(n.max(1), abstract_) }
    }

    /// Frees memory from `alloc` (null is ignored).
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    pub fn free(&self, p: *mut c_void, abstract_: *mut *mut c_void) {
        if !p.is_null() {
            // SAFETY: p came from this allocator's alloc/realloc.
            unsafe { (self.free)(p, abstract_) }
        }
    }

    /// Copies `bytes` into fresh memory with a trailing NUL; null on failure.
    pub fn copy_bytes(&self, bytes: &[u8], abstract_: *mut *mut c_void) -> *mut u8 {
        let p = self.alloc(bytes.len() + 1, abstract_).cast::<u8>();
        if !p.is_null() {
            // SAFETY: p has room for len+1 bytes; the regions cannot overlap (fresh allocation).
            unsafe {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
                *p.add(bytes.len()) = 0;
            }
        }
        p
    }
}
