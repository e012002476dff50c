//! `libssh2_knownhost_*`: C shims over the safe engine in [`crate::knownhost`].
//!
//! A `LIBSSH2_KNOWNHOSTS *` is a [`KnownHostsHandle`] placed in memory from
//! the session's allocator (as libssh2 allocates its collection). Each entry
//! handed to C gets one [`Node`] (also from the session allocator) that
//! starts with the public `struct libssh2_knownhost`; its `node` field points
//! back at the node, so the address stays stable and a copy of the struct
//! still names its entry. Nodes are made on first use and freed with the
//! collection.
//!
//! Choices where libssh2 leaves things undefined:
//! - `del` clears the given struct's `magic`, `name`, `key` and `typemask`
//!   (libssh2 zeroes all of it and frees the node) but keeps `node`, and the
//!   node itself lives on until `libssh2_knownhost_free`. A later `get` with
//!   the deleted entry as `prev` therefore continues with the entry after it
//!   instead of reading freed memory; `del`/`writeline` on it give INVAL.
//! - A `prev` or entry whose `node` is not one of this collection's nodes is
//!   refused with INVAL instead of being followed.

use crate::null_check;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, OsStr};
use std::mem::{align_of, size_of};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;

use super::boundary::write_out;
use super::handle::{cstr, slice, with_child, with_child_ptr, with_session, SessionHandle, LIBSSH2_SESSION};
use super::types::libssh2_knownhost;
use crate::error::{code, Error, Result};
use crate::knownhost::consts::{CHECK_FAILURE, KEYENC_BASE64};
use crate::knownhost::{EntryId, KnownHosts};

/// The `magic` value marking a `struct libssh2_knownhost` we filled in
/// (libssh2's value, so programs that peek at it see the same number).
pub const KNOWNHOST_MAGIC: u32 = 0xdead_cafe;

/// What C holds as `LIBSSH2_KNOWNHOSTS *`.
pub struct KnownHostsHandle {
    /// The session whose allocator and error slot the collection uses.
    session: *mut SessionHandle,
    /// The entries.
    hosts: KnownHosts,
    /// The C node of each entry handed out so far (deleted ones included).
    nodes: HashMap<EntryId, *mut Node>,
    /// Which entry a node address stands for.
    by_node: HashMap<usize, EntryId>,
}

/// The C name of the collection type.
#[allow(non_camel_case_types)]
pub type LIBSSH2_KNOWNHOSTS = KnownHostsHandle;

/// One entry as C sees it; `external.node` points at the node itself.
#[repr(C)]
struct Node {
    external: libssh2_knownhost,
    id: EntryId,
}

/// Places `value` in memory from the session allocator (also used for
/// the publickey handle).
pub(crate) fn alloc_in<T>(h: &mut SessionHandle, value: T) -> Result<*mut T> {
    let ab = h.abstract_ptr();
    let p = h.alloc.alloc(size_of::<T>(), ab).cast::<T>();
    null_check!(Err(Error::new(code::ALLOC, "Unable to allocate memory for known host entry")); p);
    if (p as usize) % align_of::<T>() != 0 {
        h.alloc.free(p.cast(), ab);
        return Err(Error::new(code::ALLOC, "Allocator returned misaligned memory"));
    }
    // SAFETY: p is fresh, non-null, aligned and large enough for a T.
    unsafe { p.write(value) };
    Ok(p)
}

/// Drops and frees a value placed by [`alloc_in`].
///
/// # Safety
/// `p` must come from `alloc_in` with this session's allocator and not be used afterwards.
pub(crate) unsafe fn free_in<T>(h: &mut SessionHandle, p: *mut T) {
    // SAFETY: guaranteed by the caller.
    unsafe { ptr::drop_in_place(p) };
    let ab = h.abstract_ptr();
    h.alloc.free(p.cast(), ab);
}

/// Frees the caller-visible strings of a node and clears its identity fields.
///
/// # Safety
/// `ext` must be one of our nodes' structs.
unsafe fn clear_external(h: &mut SessionHandle, ext: &mut libssh2_knownhost) {
    let ab = h.abstract_ptr();
    h.alloc.free(ext.name.cast(), ab);
    h.alloc.free(ext.key.cast(), ab);
    ext.magic = 0;
    ext.name = ptr::null_mut();
    ext.key = ptr::null_mut();
    ext.typemask = 0;
}

impl KnownHostsHandle {
    /// The C struct for entry `id`, made on first use.
    fn external(&mut self, h: &mut SessionHandle, id: EntryId) -> Result<*mut libssh2_knownhost> {
        if let Some(&node) = self.nodes.get(&id) {
            // SAFETY: nodes in the map are live allocations owned by this collection.
            return Ok(unsafe { ptr::addr_of_mut!((*node).external) });
        }
        let entry = self.hosts.entry(id).ok_or(Error::new(code::INVAL, "Invalid host information"))?;
        let (name, key, typemask) = (entry.external_name().map(<[u8]>::to_vec), entry.key().to_vec(), entry.typemask());
        let name = match name {
            Some(n) => h.alloc_copy(&n)?,
            None => ptr::null_mut(),
        };
        let key = match h.alloc_copy(&key) {
            Ok(k) => k,
            Err(e) => {
                let ab = h.abstract_ptr();
                h.alloc.free(name.cast(), ab);
                return Err(e);
            }
        };
        let external = libssh2_knownhost { magic: KNOWNHOST_MAGIC, node: ptr::null_mut(), name, key, typemask };
        let node = match alloc_in(h, Node { external, id }) {
            Ok(n) => n,
            Err(e) => {
                let ab = h.abstract_ptr();
                h.alloc.free(name.cast(), ab);
                h.alloc.free(key.cast(), ab);
                return Err(e);
            }
        };
        // SAFETY: node is the fresh allocation made above.
        unsafe { (*node).external.node = node.cast::<c_void>() };
        self.nodes.insert(id, node);
        self.by_node.insert(node as usize, id);
        // SAFETY: as above.
        Ok(unsafe { ptr::addr_of_mut!((*node).external) })
    }

    /// The entry a caller's struct names (through its `node`), checking the magic.
    ///
    /// # Safety
    /// `ext` must be null or readable as a `struct libssh2_knownhost`.
    unsafe fn id_of(&self, ext: *const libssh2_knownhost) -> Result<EntryId> {
        let invalid = || Error::new(code::INVAL, "Invalid host information");
        // SAFETY: guaranteed by the caller.
        let ext = unsafe { ext.as_ref() }.ok_or_else(invalid)?;
        if ext.magic != KNOWNHOST_MAGIC {
            return Err(invalid());
        }
        self.by_node.get(&(ext.node as usize)).copied().ok_or_else(invalid)
    }

    /// The entry of a `prev` argument of `get`: None starts at the beginning.
    ///
    /// # Safety
    /// `prev` must be null or readable as a `struct libssh2_knownhost`.
    unsafe fn prev_id(&self, prev: *const libssh2_knownhost) -> Result<Option<EntryId>> {
        // SAFETY: guaranteed by the caller.
        let Some(p) = (unsafe { prev.as_ref() }) else { return Ok(None) };
        null_check!(Ok(None); p.node);
        // A deleted entry (magic cleared) still names its place in the order.
        match self.by_node.get(&(p.node as usize)) {
            Some(&id) => Ok(Some(id)),
            None => Err(Error::new(code::INVAL, "Invalid host information")),
        }
    }
}

crate::session_child!(KnownHostsHandle, "NULL known hosts collection");

/// A key argument: base64 text is read up to its NUL (`keylen` only counts
/// when non-zero and only for `add`), raw keys are `keylen` bytes.
///
/// # Safety
/// `key` must be a NUL-terminated string (base64) or readable for `keylen` bytes (raw).
unsafe fn key_arg<'a>(key: *const c_char, keylen: usize, typemask: c_int, use_len: bool) -> Result<&'a [u8]> {
    if typemask & KEYENC_BASE64 != 0 && !(use_len && keylen > 0) {
        // SAFETY: guaranteed by the caller.
        return unsafe { cstr(key) }.ok_or(Error::new(code::INVAL, "NULL key"));
    }
    // SAFETY: guaranteed by the caller.
    unsafe { slice(key, keylen) }
}

/// A file name argument as a path (FILE error for NULL, as a failed open).
///
/// # Safety
/// `filename` must be null or a NUL-terminated string.
unsafe fn path_arg<'a>(filename: *const c_char) -> Result<&'a Path> {
    // SAFETY: guaranteed by the caller.
    let name = unsafe { cstr(filename) }.ok_or(Error::new(code::FILE, "Failed to open file"))?;
    Ok(Path::new(OsStr::from_bytes(name)))
}

/// Creates an empty known-hosts collection tied to `session`.
///
/// # Safety
/// `session` must be null or a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_init(session: *mut LIBSSH2_SESSION) -> *mut LIBSSH2_KNOWNHOSTS {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            let kh =
                KnownHostsHandle { session, hosts: KnownHosts::new(), nodes: HashMap::new(), by_node: HashMap::new() };
            alloc_in(h, kh).map_err(|_| Error::new(code::ALLOC, "Unable to allocate memory for known-hosts collection"))
        })
    }
}

/// Shared body of `add` and `addc`.
///
/// # Safety
/// As `libssh2_knownhost_addc`.
#[allow(clippy::too_many_arguments)]
unsafe fn add_common(
    hosts: *mut LIBSSH2_KNOWNHOSTS,
    host: *const c_char,
    salt: *const c_char,
    key: *const c_char,
    keylen: usize,
    comment: Option<(*const c_char, usize)>,
    typemask: c_int,
    out: *mut *mut libssh2_knownhost,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(hosts, |h, kh| {
            let host = cstr(host).ok_or(Error::new(code::INVAL, "NULL host name"))?;
            // libssh2 reads the salt only for a hashed (SHA1) host name.
            let hashed = typemask & crate::knownhost::consts::TYPE_MASK == crate::knownhost::consts::TYPE_SHA1;
            let salt = if hashed { cstr(salt) } else { None };
            let key = key_arg(key, keylen, typemask, true)?;
            let comment = match comment {
                Some((p, n)) if !p.is_null() => Some(slice(p, n)?),
                _ => None,
            };
            let id = kh.hosts.add(host, salt, key, comment, typemask)?;
            if !out.is_null() {
                let ext = kh.external(h, id)?;
                write_out(out, ext);
            }
            Ok(0)
        })
    }
}

/// Adds a host and its key (no comment).
///
/// # Safety
/// `hosts` live; `host` (and `salt` if non-null) NUL-terminated; `key` as the
/// typemask says; `store` null or writable.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_add(
    hosts: *mut LIBSSH2_KNOWNHOSTS,
    host: *const c_char,
    salt: *const c_char,
    key: *const c_char,
    keylen: usize,
    typemask: c_int,
    store: *mut *mut libssh2_knownhost,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe { add_common(hosts, host, salt, key, keylen, None, typemask, store) }
}

/// Adds a host, its key and a comment.
///
/// # Safety
/// As `libssh2_knownhost_add`; `comment` null or readable for `commentlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_addc(
    hosts: *mut LIBSSH2_KNOWNHOSTS,
    host: *const c_char,
    salt: *const c_char,
    key: *const c_char,
    keylen: usize,
    comment: *const c_char,
    commentlen: usize,
    typemask: c_int,
    store: *mut *mut libssh2_knownhost,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe { add_common(hosts, host, salt, key, keylen, Some((comment, commentlen)), typemask, store) }
}

/// Shared body of `check` and `checkp`; `port` None checks the plain name only.
///
/// # Safety
/// As `libssh2_knownhost_checkp`.
unsafe fn check_common(
    hosts: *mut LIBSSH2_KNOWNHOSTS,
    host: *const c_char,
    port: Option<u32>,
    key: *const c_char,
    keylen: usize,
    typemask: c_int,
    out: *mut *mut libssh2_knownhost,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(hosts, |h, kh| {
            let outcome = (|| {
                let host = match cstr(host) {
                    Some(h) => h,
                    // libssh2 reads the name only to compare it with an entry: none, so NOTFOUND.
                    None if kh.hosts.is_empty() => &b""[..],
                    None => return Err(Error::new(code::INVAL, "NULL host name")),
                };
                // libssh2 compares base64 keys as C strings: keylen is ignored.
                let key = key_arg(key, keylen, typemask, false)?;
                kh.hosts.check(host, port, key, typemask)
            })();
            match outcome {
                Ok((result, id)) => {
                    if let (Some(id), false) = (id, out.is_null()) {
                        let ext = kh.external(h, id)?;
                        write_out(out, ext);
                    }
                    Ok(result.code())
                }
                // A failed check reports CHECK_FAILURE, with the reason as the session's error.
                Err(e) => {
                    h.set_error(&e);
                    Ok(CHECK_FAILURE)
                }
            }
        })
    }
}

/// Checks a host name and key against the collection (LIBSSH2_KNOWNHOST_CHECK_*).
///
/// # Safety
/// `hosts` live; `host` NUL-terminated; `key` as the typemask says; `knownhost` null or writable.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_check(
    hosts: *mut LIBSSH2_KNOWNHOSTS,
    host: *const c_char,
    key: *const c_char,
    keylen: usize,
    typemask: c_int,
    knownhost: *mut *mut libssh2_knownhost,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe { check_common(hosts, host, None, key, keylen, typemask, knownhost) }
}

/// Checks `[host]:port` (then `host`) and a key; a negative port checks `host` only.
///
/// # Safety
/// As `libssh2_knownhost_check`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_checkp(
    hosts: *mut LIBSSH2_KNOWNHOSTS,
    host: *const c_char,
    port: c_int,
    key: *const c_char,
    keylen: usize,
    typemask: c_int,
    knownhost: *mut *mut libssh2_knownhost,
) -> c_int {
    let port = u32::try_from(port).ok();
    // SAFETY: the caller guarantees the pointers.
    unsafe { check_common(hosts, host, port, key, keylen, typemask, knownhost) }
}

/// Removes an entry from the collection.
///
/// # Safety
/// `hosts` live; `entry` null or a readable and writable `struct libssh2_knownhost`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_del(hosts: *mut LIBSSH2_KNOWNHOSTS, entry: *mut libssh2_knownhost) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(hosts, |h, kh| {
            let id = kh.id_of(entry)?;
            kh.hosts.del(id)?;
            if let Some(&node) = kh.nodes.get(&id) {
                clear_external(h, &mut (*node).external);
            }
            // A caller's copy of the struct is cleared too, as libssh2 clears what it is given.
            let e = &mut *entry;
            e.magic = 0;
            e.name = ptr::null_mut();
            e.key = ptr::null_mut();
            e.typemask = 0;
            Ok(0)
        })
    }
}

/// Frees the collection, its entries and every struct handed out for them.
///
/// # Safety
/// `hosts` null or live, its session alive; nothing from it may be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_free(hosts: *mut LIBSSH2_KNOWNHOSTS) {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_child_ptr(hosts, |h, hosts| {
            // The borrow of the collection ends here, before it is freed.
            let nodes: Vec<_> = (*hosts).nodes.drain().collect();
            for (_, node) in nodes {
                clear_external(h, &mut (*node).external);
                free_in(h, node);
            }
            free_in(h, hosts);
            Ok(())
        })
    }
}

/// Reads one known_hosts line of `len` bytes.
///
/// # Safety
/// `hosts` live; `line` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_readline(
    hosts: *mut LIBSSH2_KNOWNHOSTS,
    line: *const c_char,
    len: usize,
    file_type: c_int,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(hosts, |_, kh| {
            let line = slice(line, len)?;
            kh.hosts.readline(line, file_type)?;
            Ok(0)
        })
    }
}

/// Reads a known_hosts file; returns the number of lines read.
///
/// # Safety
/// `hosts` live; `filename` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_readfile(
    hosts: *mut LIBSSH2_KNOWNHOSTS,
    filename: *const c_char,
    file_type: c_int,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(hosts, |_, kh| {
            let n = kh.hosts.readfile(path_arg(filename)?, file_type)?;
            Ok(c_int::try_from(n).unwrap_or(c_int::MAX))
        })
    }
}

/// Formats one entry as a known_hosts line (newline included, NUL-terminated).
///
/// # Safety
/// `hosts` live; `known` readable; `buffer` writable for `buflen` bytes; `outlen` writable.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_writeline(
    hosts: *mut LIBSSH2_KNOWNHOSTS,
    known: *mut libssh2_knownhost,
    buffer: *mut c_char,
    buflen: usize,
    outlen: *mut usize,
    file_type: c_int,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(hosts, |_, kh| {
            let id = kh.id_of(known)?;
            let line = kh.hosts.writeline(id, file_type)?;
            write_out(outlen, line.len());
            // The line and its terminating NUL must both fit.
            if line.len() >= buflen || buffer.is_null() {
                return Err(Error::new(code::BUFFER_TOO_SMALL, "Known-host write buffer too small"));
            }
            ptr::copy_nonoverlapping(line.as_ptr(), buffer.cast::<u8>(), line.len());
            *buffer.add(line.len()) = 0;
            Ok(0)
        })
    }
}

/// Writes every entry to a file (truncating it).
///
/// # Safety
/// `hosts` live; `filename` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_writefile(
    hosts: *mut LIBSSH2_KNOWNHOSTS,
    filename: *const c_char,
    file_type: c_int,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(hosts, |_, kh| {
            kh.hosts.writefile(path_arg(filename)?, file_type)?;
            Ok(0)
        })
    }
}

/// Iterates: the entry after `prev` (or the first for NULL) into `*store`;
/// returns 0, or 1 past the end.
///
/// # Safety
/// `hosts` live; `store` writable; `prev` null or readable.
#[no_mangle]
pub unsafe extern "C" fn libssh2_knownhost_get(
    hosts: *mut LIBSSH2_KNOWNHOSTS,
    store_out: *mut *mut libssh2_knownhost,
    prev: *mut libssh2_knownhost,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(hosts, |h, kh| {
            null_check!(Err(Error::new(code::INVAL, "NULL store pointer")); store_out);
            let prev = kh.prev_id(prev)?;
            let Some(id) = kh.hosts.get(prev).map(|e| e.id()) else { return Ok(1) };
            let ext = kh.external(h, id)?;
            write_out(store_out, ext);
            Ok(0)
        })
    }
}
