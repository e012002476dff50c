//! `libssh2_publickey_*`: C shims over [`crate::publickey`].
//!
//! A `LIBSSH2_PUBLICKEY *` is a [`PublickeyHandle`] in memory from the
//! session allocator. `list_fetch` builds libssh2's layout: an array of
//! `libssh2_publickey_list` ended by an entry whose `packet` is NULL (NULL
//! itself when there are no keys); each entry owns a copy of its response
//! packet that `name`, `blob` and the attribute strings point into, plus an
//! attribute array (NULL when empty). All of it comes from the session
//! allocator and `libssh2_publickey_list_free` releases it.
//!
//! Return values follow libssh2: a request the server answers with a
//! non-success status returns -1 and records `LIBSSH2_ERROR_PUBLICKEY_PROTOCOL`
//! with the status's name; `list_fetch` returns -1 for every failure but
//! EAGAIN (the recorded error says which).

use crate::null_check;
use std::ffi::{c_char, c_int, c_uchar, c_ulong};
use std::mem::size_of;
use std::ptr;

use super::handle::{slice, with_child, with_child_ptr, with_session, SessionHandle, LIBSSH2_SESSION};
use super::knownhost::{alloc_in, free_in};
use super::types::{libssh2_publickey_attribute, libssh2_publickey_list};
use crate::error::{code, Error, Result};
use crate::publickey::{Attribute, ListedKey, Publickey};

/// What C holds as `LIBSSH2_PUBLICKEY *`.
pub struct PublickeyHandle {
    /// The session the subsystem's channel belongs to.
    session: *mut SessionHandle,
    /// The subsystem client.
    pk: Publickey,
}

/// The C name of the publickey subsystem type.
#[allow(non_camel_case_types)]
pub type LIBSSH2_PUBLICKEY = PublickeyHandle;

/// The value libssh2 returns for a failed request (its error is recorded).
const FAILED: c_int = -1;

crate::session_child!(PublickeyHandle, "NULL publickey handle");

/// libssh2's return for a finished add/remove: 0, or -1 after a failure status.
fn request_result(h: &mut SessionHandle, pk: &Publickey, r: Result<()>) -> Result<c_int> {
    match r {
        Ok(()) => Ok(0),
        Err(e) if pk.failed_status().is_some() && e.code == code::PUBLICKEY_PROTOCOL => {
            h.set_error(&e);
            Ok(FAILED)
        }
        Err(e) => Err(e),
    }
}

/// Starts the publickey subsystem on a new channel of an authenticated session.
///
/// # Safety
/// `session` must be null or a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_publickey_init(session: *mut LIBSSH2_SESSION) -> *mut LIBSSH2_PUBLICKEY {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            let pk = h.sess.publickey_init()?;
            alloc_in(h, PublickeyHandle { session, pk })
                .map_err(|_| Error::new(code::ALLOC, "Unable to allocate a new publickey structure"))
        })
    }
}

/// Adds a key with attributes; `overwrite` non-zero replaces an existing one.
///
/// # Safety
/// `pkey` live; `name`/`blob` readable for their lengths; `attrs` an array of
/// `num_attrs` attributes whose strings are readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn libssh2_publickey_add_ex(
    pkey: *mut LIBSSH2_PUBLICKEY,
    name: *const c_uchar,
    name_len: c_ulong,
    blob: *const c_uchar,
    blob_len: c_ulong,
    overwrite: c_char,
    num_attrs: c_ulong,
    attrs: *const libssh2_publickey_attribute,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(pkey, |h, p| {
            let name = slice(name.cast(), name_len as usize)?;
            let blob = slice(blob.cast(), blob_len as usize)?;
            let attrs: &[libssh2_publickey_attribute] = match (num_attrs, attrs.is_null()) {
                (0, _) => &[],
                (_, true) => return Err(Error::new(code::INVAL, "NULL attribute array")),
                (n, false) => std::slice::from_raw_parts(attrs, n as usize),
            };
            let mut list = Vec::with_capacity(attrs.len());
            for a in attrs {
                list.push(Attribute {
                    name: slice(a.name, a.name_len as usize)?,
                    value: slice(a.value, a.value_len as usize)?,
                    mandatory: a.mandatory != 0,
                });
            }
            let r = p.pk.add(&mut h.sess, name, blob, overwrite != 0, &list);
            request_result(h, &p.pk, r)
        })
    }
}

/// Removes a key.
///
/// # Safety
/// `pkey` live; `name`/`blob` readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn libssh2_publickey_remove_ex(
    pkey: *mut LIBSSH2_PUBLICKEY,
    name: *const c_uchar,
    name_len: c_ulong,
    blob: *const c_uchar,
    blob_len: c_ulong,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(pkey, |h, p| {
            let name = slice(name.cast(), name_len as usize)?;
            let blob = slice(blob.cast(), blob_len as usize)?;
            let r = p.pk.remove(&mut h.sess, name, blob);
            request_result(h, &p.pk, r)
        })
    }
}

/// Frees a list built by [`build_list`] (entries up to the NULL-packet one).
///
/// # Safety
/// `list` must be null or a list from `build_list` with this session's allocator.
unsafe fn free_list(h: &mut SessionHandle, list: *mut libssh2_publickey_list) {
    if list.is_null() {
        return;
    }
    let ab = h.abstract_ptr();
    let mut p = list;
    // SAFETY: the array ends with an entry whose packet is NULL.
    unsafe {
        while !(*p).packet.is_null() {
            h.alloc.free((*p).attrs.cast(), ab);
            h.alloc.free((*p).packet.cast(), ab);
            p = p.add(1);
        }
    }
    h.alloc.free(list.cast(), ab);
}

/// Fills one zeroed list entry from a listed key.
///
/// # Safety
/// `entry` must be a writable, zeroed entry of a list from this session's allocator.
unsafe fn fill_entry(h: &mut SessionHandle, entry: &mut libssh2_publickey_list, key: &ListedKey) -> Result<()> {
    let packet = h.alloc_copy(key.packet())?.cast::<c_uchar>();
    entry.packet = packet;
    let at = |r: std::ops::Range<usize>| {
        // SAFETY: the ranges lie within the packet (ListedKey guarantees it).
        unsafe { packet.add(r.start) }
    };
    entry.name = at(key.name_range());
    entry.name_len = key.name_range().len() as c_ulong;
    entry.blob = at(key.blob_range());
    entry.blob_len = key.blob_range().len() as c_ulong;
    let spans = key.attr_spans();
    entry.num_attrs = spans.len() as c_ulong;
    if spans.is_empty() {
        return Ok(());
    }
    let ab = h.abstract_ptr();
    let attrs = h.alloc.alloc(spans.len() * size_of::<libssh2_publickey_attribute>(), ab);
    null_check!(Err(Error::new(code::ALLOC, "Unable to allocate memory for publickey attributes")); attrs);
    let attrs = attrs.cast::<libssh2_publickey_attribute>();
    entry.attrs = attrs;
    for (i, s) in spans.iter().enumerate() {
        let (name, name_len) = match &s.name {
            Some(r) => (at(r.clone()).cast::<c_char>().cast_const(), r.len()),
            None => (c"comment".as_ptr(), crate::publickey::COMMENT_ATTR.len()),
        };
        let attr = libssh2_publickey_attribute {
            name,
            name_len: name_len as c_ulong,
            value: at(s.value.clone()).cast::<c_char>().cast_const(),
            value_len: s.value.len() as c_ulong,
            // libssh2 reports every listed attribute as optional.
            mandatory: 0,
        };
        // SAFETY: attrs has room for spans.len() entries.
        unsafe { attrs.add(i).write(attr) };
    }
    Ok(())
}

/// Builds libssh2's list layout for `keys` (NULL when there are none).
fn build_list(h: &mut SessionHandle, keys: &[ListedKey]) -> Result<*mut libssh2_publickey_list> {
    if keys.is_empty() {
        return Ok(ptr::null_mut());
    }
    let ab = h.abstract_ptr();
    let bytes = (keys.len() + 1) * size_of::<libssh2_publickey_list>();
    let list = h.alloc.alloc(bytes, ab).cast::<libssh2_publickey_list>();
    null_check!(Err(Error::new(code::ALLOC, "Unable to allocate memory for publickey list")); list);
    // SAFETY: list has room for `bytes` bytes; all-zero is a valid (NULL-filled) entry.
    unsafe { ptr::write_bytes(list.cast::<u8>(), 0, bytes) };
    for (i, key) in keys.iter().enumerate() {
        // SAFETY: entry i < keys.len() is inside the zeroed array.
        let r = unsafe { fill_entry(h, &mut *list.add(i), key) };
        if let Err(e) = r {
            // SAFETY: entries after the failed one are still zeroed, ending the list;
            // a failed entry may hold attrs without a packet, so free them first.
            unsafe {
                let failed = &mut *list.add(i);
                h.alloc.free(failed.attrs.cast(), ab);
                h.alloc.free(failed.packet.cast(), ab);
                *failed = std::mem::zeroed();
                free_list(h, list);
            }
            return Err(e);
        }
    }
    Ok(list)
}

/// Fetches the server's keys into a newly allocated list.
///
/// # Safety
/// `pkey` live; `num_keys` and `pkey_list` writable.
#[no_mangle]
pub unsafe extern "C" fn libssh2_publickey_list_fetch(
    pkey: *mut LIBSSH2_PUBLICKEY,
    num_keys: *mut c_ulong,
    pkey_list: *mut *mut libssh2_publickey_list,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(pkey, |h, p| {
            null_check!(Err(Error::new(code::BAD_USE, "NULL output pointer")); num_keys, pkey_list);
            let keys = match p.pk.list(&mut h.sess) {
                Ok(k) => k,
                // libssh2 returns a failed send's code; any other failure is -1.
                Err(e) if e.code == code::EAGAIN || e.code == code::SOCKET_SEND => return Err(e),
                Err(e) => {
                    h.set_error(&e);
                    return Ok(FAILED);
                }
            };
            match build_list(h, &keys) {
                Ok(list) => {
                    *pkey_list = list;
                    *num_keys = keys.len() as c_ulong;
                    Ok(0)
                }
                Err(e) => {
                    h.set_error(&e);
                    Ok(FAILED)
                }
            }
        })
    }
}

/// Frees a list from `libssh2_publickey_list_fetch`.
///
/// # Safety
/// `pkey` null or live; `pkey_list` null or a list fetched through it, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn libssh2_publickey_list_free(
    pkey: *mut LIBSSH2_PUBLICKEY,
    pkey_list: *mut libssh2_publickey_list,
) {
    if pkey.is_null() || pkey_list.is_null() {
        return;
    }
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(pkey, |h, _| {
            free_list(h, pkey_list);
            Ok(())
        })
    }
}

/// Closes the subsystem channel and frees the handle.
///
/// # Safety
/// `pkey` null or live; not used afterwards once this returns 0.
#[no_mangle]
pub unsafe extern "C" fn libssh2_publickey_shutdown(pkey: *mut LIBSSH2_PUBLICKEY) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_child_ptr(pkey, |h, pkey| {
            // Only EAGAIN keeps the handle; any other failure still frees it, as in libssh2.
            // The borrow of the handle ends with the call, before it is freed.
            if let Err(e) = (*pkey).pk.shutdown(&mut h.sess) {
                if e.code == code::EAGAIN {
                    return Err(e);
                }
            }
            free_in(h, pkey);
            Ok(0)
        })
    }
}
