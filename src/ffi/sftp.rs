//! `libssh2_sftp_*`: a `LIBSSH2_SFTP *` is a boxed `SftpHandle` and a
//! `LIBSSH2_SFTP_HANDLE *` a boxed `SftpFileHandle`; both only name state kept
//! in the session, so a handle outliving its SFTP instance fails with
//! LIBSSH2_ERROR_BAD_USE instead of reaching freed memory.

use crate::null_check;
use std::ffi::{c_char, c_int, c_long, c_uint, c_ulong};
use std::ptr;

use super::boundary::guard_plain;
use super::channel::{new_handle, LIBSSH2_CHANNEL};
use super::handle::{close_then_release, slice, with_key, with_session, SessionHandle, LIBSSH2_SESSION};
use super::types::{libssh2_uint64_t, LIBSSH2_SFTP_ATTRIBUTES, LIBSSH2_SFTP_STATVFS};
use crate::error::{code, Error, Result};
use crate::sftp::wire::{ATTR_ACMODTIME, ATTR_PERMISSIONS, ATTR_SIZE, ATTR_UIDGID};
use crate::sftp::{Attributes, LinkKind, OpenKind, StatKind, StatVfs};

/// What C holds as `LIBSSH2_SFTP *`.
pub struct SftpHandle {
    /// The owning session.
    pub session: *mut SessionHandle,
    /// The instance id in the session's SFTP table.
    pub id: u32,
    /// The channel handle `libssh2_sftp_get_channel` returns (owned; freed at shutdown).
    pub channel: *mut LIBSSH2_CHANNEL,
}

/// What C holds as `LIBSSH2_SFTP_HANDLE *`.
pub struct SftpFileHandle {
    /// The owning session.
    pub session: *mut SessionHandle,
    /// The SFTP instance id.
    pub sftp: u32,
    /// The handle id within that instance.
    pub id: u32,
}

/// The C name of the SFTP instance type.
#[allow(non_camel_case_types)]
pub type LIBSSH2_SFTP = SftpHandle;
/// The C name of the SFTP file handle type.
#[allow(non_camel_case_types)]
pub type LIBSSH2_SFTP_HANDLE = SftpFileHandle;

use crate::consts::sftp::{
    LSTAT as STAT_LSTAT, OPENFILE, REALPATH as LINK_REALPATH, SETSTAT as STAT_SETSTAT, SYMLINK as LINK_SYMLINK,
};

crate::session_child!(SftpHandle, "NULL SFTP instance", u32 = (id));
// Keyed by the SFTP instance's id and the handle's id.
crate::session_child!(SftpFileHandle, "NULL SFTP handle", (u32, u32) = (sftp, id));

/// Borrows `len` writable bytes at `p` (empty for len 0; error for null with len > 0).
///
/// # Safety
/// `p` must be valid for writes of `len` bytes if non-null.
unsafe fn slice_mut<'a>(p: *mut c_char, len: usize) -> Result<&'a mut [u8]> {
    if len == 0 {
        return Ok(&mut []);
    }
    null_check!(Err(Error::new(code::INVAL, "NULL buffer with non-zero length")); p);
    // SAFETY: guaranteed by the caller.
    Ok(unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), len) })
}

/// A C `long` as i64 (it is 32 bits on some targets).
#[allow(clippy::unnecessary_cast)]
fn long_i64(v: c_long) -> i64 {
    v as i64
}

/// Copies `src` and a NUL into `dst` when it fits (libssh2 needs len < size);
/// libssh2 returns a too-small buffer without recording it as the last error.
fn copy_cstr(dst: &mut [u8], src: &[u8]) -> Result<()> {
    if src.len() >= dst.len() {
        return Err(Error::unrecorded(code::BUFFER_TOO_SMALL));
    }
    dst[..src.len()].copy_from_slice(src);
    dst[src.len()] = 0;
    Ok(())
}

/// The C attributes as the protocol struct (libssh2 sends 32-bit ids and times).
fn attrs_from_c(c: &LIBSSH2_SFTP_ATTRIBUTES) -> Attributes {
    Attributes {
        flags: c.flags as u32,
        size: c.filesize,
        uid: c.uid as u32,
        gid: c.gid as u32,
        permissions: c.permissions as u32,
        atime: c.atime as u32,
        mtime: c.mtime as u32,
    }
}

/// Stores decoded attributes: `flags` as sent, and only the members it flags.
fn attrs_to_c(a: &Attributes, c: &mut LIBSSH2_SFTP_ATTRIBUTES) {
    c.flags = a.flags as c_ulong;
    if a.flags & ATTR_SIZE != 0 {
        c.filesize = a.size;
    }
    if a.flags & ATTR_UIDGID != 0 {
        c.uid = a.uid as c_ulong;
        c.gid = a.gid as c_ulong;
    }
    if a.flags & ATTR_PERMISSIONS != 0 {
        c.permissions = a.permissions as c_ulong;
    }
    if a.flags & ATTR_ACMODTIME != 0 {
        c.atime = a.atime as c_ulong;
        c.mtime = a.mtime as c_ulong;
    }
}

fn statvfs_to_c(s: &StatVfs, c: &mut LIBSSH2_SFTP_STATVFS) {
    *c = LIBSSH2_SFTP_STATVFS {
        f_bsize: s.bsize,
        f_frsize: s.frsize,
        f_blocks: s.blocks,
        f_bfree: s.bfree,
        f_bavail: s.bavail,
        f_files: s.files,
        f_ffree: s.ffree,
        f_favail: s.favail,
        f_fsid: s.fsid,
        f_flag: s.flag,
        f_namemax: s.namemax,
    };
}

/// Starts the SFTP subsystem on a new channel.
///
/// # Safety
/// `session` must be null or a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_init(session: *mut LIBSSH2_SESSION) -> *mut LIBSSH2_SFTP {
    null_check!(ptr::null_mut(); session);
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            let id = h.sess.sftp_init()?;
            let chan = h.sess.sftp_channel(id)?;
            let channel = new_handle(h, chan);
            let p = Box::into_raw(Box::new(SftpHandle { session, id, channel }));
            h.sftp_handles.push(p);
            Ok(p)
        })
    }
}

/// Shuts the subsystem down: closes and frees its channel and the instance.
///
/// # Safety
/// `sftp` must be null or a live instance; it is freed unless EAGAIN or TIMEOUT is returned.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_shutdown(sftp: *mut LIBSSH2_SFTP) -> c_int {
    null_check!(code::BAD_USE; sftp);
    let release = |sftp: *mut LIBSSH2_SFTP| {
        // SAFETY: the box came from Box::into_raw in libssh2_sftp_init and is released
        // once; its channel handle belongs to the session's table and is dropped there.
        unsafe {
            let s = Box::from_raw(sftp);
            let sh = &mut *s.session;
            sh.sftp_handles.retain(|p| *p != sftp);
            // Copy the id out first: a reference into the handle must not be
            // an argument of the call that frees it (Miri: Stacked Borrows).
            if let Some(id) = s.channel.as_ref().map(|c| c.id) {
                sh.channel_handles.remove(&id);
            }
        }
    };
    // SAFETY: the caller guarantees the pointer.
    unsafe { close_then_release(sftp, |h, sid| h.sess.sftp_shutdown(sid).map(|()| 0), release) }
}

/// The last SSH_FX_* status the server reported.
///
/// # Safety
/// `sftp` must be null or a live instance.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_last_error(sftp: *mut LIBSSH2_SFTP) -> c_ulong {
    // SAFETY: the caller guarantees the pointer.
    let Some(s) = (unsafe { sftp.as_ref() }) else { return 0 };
    guard_plain(|| {
        // SAFETY: a live instance's session is live; this only reads it.
        match unsafe { s.session.as_ref() } {
            Some(h) => h.sess.sftp_last_error(s.id) as u64,
            None => 0,
        }
    }) as c_ulong
}

/// The channel the subsystem runs on.
///
/// # Safety
/// `sftp` must be null or a live instance.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_get_channel(sftp: *mut LIBSSH2_SFTP) -> *mut LIBSSH2_CHANNEL {
    // SAFETY: the caller guarantees the pointer.
    unsafe { sftp.as_ref() }.map_or(ptr::null_mut(), |s| s.channel)
}

/// Opens a file or directory, optionally with attributes (shared by both open calls).
///
/// # Safety
/// As `libssh2_sftp_open_ex_r`.
unsafe fn open_common(
    sftp: *mut LIBSSH2_SFTP,
    filename: *const c_char,
    filename_len: usize,
    flags: c_ulong,
    mode: c_long,
    open_type: c_int,
    attrs: *const LIBSSH2_SFTP_ATTRIBUTES,
) -> *mut LIBSSH2_SFTP_HANDLE {
    null_check!(ptr::null_mut(); sftp);
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(sftp, |h, sid| {
            let name = slice(filename, filename_len)?;
            let a = attrs.as_ref().map(attrs_from_c);
            let kind = if open_type == OPENFILE { OpenKind::File } else { OpenKind::Dir };
            let fh = h.sess.sftp_open(sid, name, flags as u32, long_i64(mode), kind, a.as_ref())?;
            let session = (*sftp).session;
            Ok(Box::into_raw(Box::new(SftpFileHandle { session, sftp: sid, id: fh })))
        })
    }
}

/// Opens a file (LIBSSH2_SFTP_OPENFILE) or directory (LIBSSH2_SFTP_OPENDIR).
///
/// # Safety
/// `sftp` live or null; `filename` readable for `filename_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_open_ex(
    sftp: *mut LIBSSH2_SFTP,
    filename: *const c_char,
    filename_len: c_uint,
    flags: c_ulong,
    mode: c_long,
    open_type: c_int,
) -> *mut LIBSSH2_SFTP_HANDLE {
    // SAFETY: forwarded caller guarantees.
    unsafe { open_common(sftp, filename, filename_len as usize, flags, mode, open_type, ptr::null()) }
}

/// Like `libssh2_sftp_open_ex`, sending `attrs` (may be NULL) with the request.
///
/// # Safety
/// `sftp` live or null; `filename` readable for `filename_len`; `attrs` null or valid.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_open_ex_r(
    sftp: *mut LIBSSH2_SFTP,
    filename: *const c_char,
    filename_len: usize,
    flags: c_ulong,
    mode: c_long,
    open_type: c_int,
    attrs: *mut LIBSSH2_SFTP_ATTRIBUTES,
) -> *mut LIBSSH2_SFTP_HANDLE {
    // SAFETY: forwarded caller guarantees.
    unsafe { open_common(sftp, filename, filename_len, flags, mode, open_type, attrs) }
}

/// Reads up to `buffer_maxlen` bytes; 0 at end of file.
///
/// # Safety
/// `handle` live or null; `buffer` writable for `buffer_maxlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_read(
    handle: *mut LIBSSH2_SFTP_HANDLE,
    buffer: *mut c_char,
    buffer_maxlen: usize,
) -> isize {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(handle, |h, (sid, fh)| {
            let buf = slice_mut(buffer, buffer_maxlen)?;
            Ok(h.sess.sftp_read(sid, fh, buf)? as isize)
        })
    }
}

/// Returns the next directory entry's name (and long entry and attributes);
/// 0 at the end of the directory.
///
/// # Safety
/// `handle` live or null; buffers writable for their lengths; `attrs` null or valid.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_readdir_ex(
    handle: *mut LIBSSH2_SFTP_HANDLE,
    buffer: *mut c_char,
    buffer_maxlen: usize,
    longentry: *mut c_char,
    longentry_maxlen: usize,
    attrs: *mut LIBSSH2_SFTP_ATTRIBUTES,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(handle, |h, (sid, fh)| {
            let name_buf = slice_mut(buffer, buffer_maxlen)?;
            let mut long_buf = if !longentry.is_null() && longentry_maxlen > 1 {
                Some(slice_mut(longentry, longentry_maxlen)?)
            } else {
                None
            };
            let attrs = attrs.as_mut();
            let mut attrs = attrs;
            let got = h.sess.sftp_readdir(sid, fh, |name, long, a| {
                if name.len() >= name_buf.len() {
                    return Err(Error::unrecorded(code::BUFFER_TOO_SMALL));
                }
                if let Some(lb) = long_buf.as_deref() {
                    if long.len() >= lb.len() {
                        return Err(Error::unrecorded(code::BUFFER_TOO_SMALL));
                    }
                }
                copy_cstr(name_buf, name)?;
                if let Some(lb) = long_buf.as_deref_mut() {
                    copy_cstr(lb, long)?;
                }
                if let Some(c) = attrs.as_deref_mut() {
                    *c = LIBSSH2_SFTP_ATTRIBUTES::default();
                    attrs_to_c(a, c);
                }
                Ok(name.len() as c_int)
            })?;
            Ok(got.unwrap_or(0))
        })
    }
}

/// Writes data; returns the bytes the server acknowledged (see WRITE AHEAD in
/// libssh2_sftp_write(3): the rest of `buffer` may already be in flight).
///
/// # Safety
/// `handle` live or null; `buffer` readable for `count` bytes.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_write(
    handle: *mut LIBSSH2_SFTP_HANDLE,
    buffer: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(handle, |h, (sid, fh)| {
            let buf = slice(buffer, count)?;
            Ok(h.sess.sftp_write(sid, fh, buf)? as isize)
        })
    }
}

/// Asks the server to flush the file to disk (fsync@openssh.com).
///
/// # Safety
/// `handle` live or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_fsync(handle: *mut LIBSSH2_SFTP_HANDLE) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_key(handle, |h, (sid, fh)| {
            h.sess.sftp_fsync(sid, fh)?;
            Ok(0)
        })
    }
}

/// Closes a file or directory handle and frees it (unless EAGAIN or TIMEOUT is returned).
///
/// # Safety
/// `handle` live or null; not used afterwards unless EAGAIN or TIMEOUT is returned.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_close_handle(handle: *mut LIBSSH2_SFTP_HANDLE) -> c_int {
    // SAFETY: the handle came from Box::into_raw in open and is released once.
    let release = |handle: *mut LIBSSH2_SFTP_HANDLE| drop(unsafe { Box::from_raw(handle) });
    // SAFETY: the caller guarantees the pointer.
    unsafe { close_then_release(handle, |h, (sid, fh)| h.sess.sftp_close(sid, fh).map(|()| 0), release) }
}

/// Moves the file position (64-bit).
///
/// # Safety
/// `handle` live or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_seek64(handle: *mut LIBSSH2_SFTP_HANDLE, offset: libssh2_uint64_t) {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_key(handle, |h, (sid, fh)| h.sess.sftp_seek(sid, fh, offset)) }
}

/// Moves the file position.
///
/// # Safety
/// `handle` live or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_seek(handle: *mut LIBSSH2_SFTP_HANDLE, offset: usize) {
    // SAFETY: forwarded caller guarantee.
    unsafe { libssh2_sftp_seek64(handle, offset as u64) }
}

/// The file position (64-bit).
///
/// # Safety
/// `handle` live or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_tell64(handle: *mut LIBSSH2_SFTP_HANDLE) -> libssh2_uint64_t {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_key(handle, |h, (sid, fh)| h.sess.sftp_tell(sid, fh)) }
}

/// The file position, truncated to size_t.
///
/// # Safety
/// `handle` live or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_tell(handle: *mut LIBSSH2_SFTP_HANDLE) -> usize {
    // SAFETY: forwarded caller guarantee.
    unsafe { libssh2_sftp_tell64(handle) as usize }
}

/// Reads (setstat 0) or sets (non-zero) a handle's attributes.
///
/// # Safety
/// `handle` live or null; `attrs` null or valid.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_fstat_ex(
    handle: *mut LIBSSH2_SFTP_HANDLE,
    attrs: *mut LIBSSH2_SFTP_ATTRIBUTES,
    setstat: c_int,
) -> c_int {
    null_check!(code::BAD_USE; handle, attrs);
    // SAFETY: the caller guarantees the pointers; both are non-null here.
    unsafe {
        with_key(handle, |h, (sid, fh)| {
            let c = &mut *attrs;
            if setstat != 0 {
                h.sess.sftp_fsetstat(sid, fh, &attrs_from_c(c))?;
            } else if let Some(a) = h.sess.sftp_fstat(sid, fh)? {
                attrs_to_c(&a, c);
            }
            Ok(0)
        })
    }
}

/// Renames a file (SSH_FXP_RENAME; `flags` are only sent from protocol version 5).
///
/// # Safety
/// `sftp` live or null; names readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_rename_ex(
    sftp: *mut LIBSSH2_SFTP,
    source_filename: *const c_char,
    source_filename_len: c_uint,
    dest_filename: *const c_char,
    dest_filename_len: c_uint,
    flags: c_long,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(sftp, |h, sid| {
            let src = slice(source_filename, source_filename_len as usize)?;
            let dst = slice(dest_filename, dest_filename_len as usize)?;
            h.sess.sftp_rename(sid, src, dst, long_i64(flags))?;
            Ok(0)
        })
    }
}

/// Renames with posix-rename@openssh.com (replaces an existing target).
///
/// # Safety
/// `sftp` live or null; names readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_posix_rename_ex(
    sftp: *mut LIBSSH2_SFTP,
    source_filename: *const c_char,
    source_filename_len: usize,
    dest_filename: *const c_char,
    dest_filename_len: usize,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(sftp, |h, sid| {
            let src = slice(source_filename, source_filename_len)?;
            let dst = slice(dest_filename, dest_filename_len)?;
            h.sess.sftp_posix_rename(sid, src, dst)?;
            Ok(0)
        })
    }
}

/// Removes a file.
///
/// # Safety
/// `sftp` live or null; `filename` readable for `filename_len`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_unlink_ex(
    sftp: *mut LIBSSH2_SFTP,
    filename: *const c_char,
    filename_len: c_uint,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe { with_key(sftp, |h, sid| h.sess.sftp_unlink(sid, slice(filename, filename_len as usize)?).map(|()| 0)) }
}

/// File system statistics of an open handle (fstatvfs@openssh.com).
///
/// # Safety
/// `handle` live or null; `st` null or valid.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_fstatvfs(
    handle: *mut LIBSSH2_SFTP_HANDLE,
    st: *mut LIBSSH2_SFTP_STATVFS,
) -> c_int {
    null_check!(code::BAD_USE; handle, st);
    // SAFETY: the caller guarantees the pointers; both are non-null here.
    unsafe {
        with_key(handle, |h, (sid, fh)| {
            let v = h.sess.sftp_fstatvfs(sid, fh)?;
            statvfs_to_c(&v, &mut *st);
            Ok(0)
        })
    }
}

/// File system statistics of a path (statvfs@openssh.com).
///
/// # Safety
/// `sftp` live or null; `path` readable for `path_len`; `st` null or valid.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_statvfs(
    sftp: *mut LIBSSH2_SFTP,
    path: *const c_char,
    path_len: usize,
    st: *mut LIBSSH2_SFTP_STATVFS,
) -> c_int {
    null_check!(code::BAD_USE; sftp, st);
    // SAFETY: the caller guarantees the pointers; both are non-null here.
    unsafe {
        with_key(sftp, |h, sid| {
            let v = h.sess.sftp_statvfs(sid, slice(path, path_len)?)?;
            statvfs_to_c(&v, &mut *st);
            Ok(0)
        })
    }
}

/// Creates a directory (`mode` LIBSSH2_SFTP_DEFAULT_MODE: server's choice).
///
/// # Safety
/// `sftp` live or null; `path` readable for `path_len`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_mkdir_ex(
    sftp: *mut LIBSSH2_SFTP,
    path: *const c_char,
    path_len: c_uint,
    mode: c_long,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(sftp, |h, sid| h.sess.sftp_mkdir(sid, slice(path, path_len as usize)?, long_i64(mode)).map(|()| 0))
    }
}

/// Removes a directory.
///
/// # Safety
/// `sftp` live or null; `path` readable for `path_len`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_rmdir_ex(
    sftp: *mut LIBSSH2_SFTP,
    path: *const c_char,
    path_len: c_uint,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe { with_key(sftp, |h, sid| h.sess.sftp_rmdir(sid, slice(path, path_len as usize)?).map(|()| 0)) }
}

/// STAT, LSTAT or SETSTAT of a path, chosen by `stat_type`.
///
/// # Safety
/// `sftp` live or null; `path` readable for `path_len`; `attrs` null or valid.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_stat_ex(
    sftp: *mut LIBSSH2_SFTP,
    path: *const c_char,
    path_len: c_uint,
    stat_type: c_int,
    attrs: *mut LIBSSH2_SFTP_ATTRIBUTES,
) -> c_int {
    null_check!(code::BAD_USE; sftp, attrs);
    // SAFETY: the caller guarantees the pointers; both are non-null here.
    unsafe {
        with_key(sftp, |h, sid| {
            let p = slice(path, path_len as usize)?;
            let c = &mut *attrs;
            if stat_type == STAT_SETSTAT {
                return h.sess.sftp_setstat(sid, p, &attrs_from_c(c)).map(|_| 0);
            }
            let kind = if stat_type == STAT_LSTAT { StatKind::Lstat } else { StatKind::Stat };
            let got = h.sess.sftp_stat(sid, p, kind)?;
            *c = LIBSSH2_SFTP_ATTRIBUTES::default();
            if let Some(a) = got {
                attrs_to_c(&a, c);
            }
            Ok(0)
        })
    }
}

/// Creates a symlink (LIBSSH2_SFTP_SYMLINK: `target` is the link path), or
/// reads a link / resolves a path into `target` (returns the length).
///
/// # Safety
/// `sftp` live or null; `path` readable for `path_len`; `target` readable
/// (SYMLINK) or writable (READLINK, REALPATH) for `target_len`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_sftp_symlink_ex(
    sftp: *mut LIBSSH2_SFTP,
    path: *const c_char,
    path_len: c_uint,
    target: *mut c_char,
    target_len: c_uint,
    link_type: c_int,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(sftp, |h, sid| {
            let p = slice(path, path_len as usize)?;
            if link_type == LINK_SYMLINK {
                h.sess.sftp_symlink(sid, p, slice(target, target_len as usize)?)?;
                return Ok(0);
            }
            let kind = if link_type == LINK_REALPATH { LinkKind::Realpath } else { LinkKind::Readlink };
            let Some(name) = h.sess.sftp_readlink(sid, p, kind)? else { return Ok(0) };
            copy_cstr(slice_mut(target, target_len as usize)?, &name)?;
            Ok(name.len() as c_int)
        })
    }
}
