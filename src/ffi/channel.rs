//! `libssh2_channel_*`: a `LIBSSH2_CHANNEL *` is a boxed `ChannelHandle`
//! naming a channel in its session's table.

use crate::null_check;
use std::ffi::{c_char, c_int, c_uint, c_ulong};
use std::ptr;

use super::boundary::{rc_pending, write_out};
use super::handle::{close_then_release, cstr, slice, with_key, with_session, SessionHandle, LIBSSH2_SESSION};
use crate::error::{code, Error};
use crate::session::channel::{ExtendedMode, PACKET_DEFAULT, WINDOW_DEFAULT};

/// What C holds as `LIBSSH2_CHANNEL *`.
pub struct ChannelHandle {
    /// The owning session.
    pub session: *mut SessionHandle,
    /// Our channel number in the session's table.
    pub id: u32,
}

/// The C name of the channel type.
#[allow(non_camel_case_types)]
pub type LIBSSH2_CHANNEL = ChannelHandle;

crate::session_child!(ChannelHandle, "NULL channel", u32 = (id));

/// Wraps a new channel id in a C handle. The session owns the handle, so
/// `libssh2_session_free` releases channels the application did not free.
pub fn new_handle(h: &mut SessionHandle, id: u32) -> *mut LIBSSH2_CHANNEL {
    // The handle keeps the session's own pointer, valid beyond this borrow.
    let session = h.self_ptr;
    let b = h.channel_handles.entry(id).or_insert_with(|| Box::new(ChannelHandle { session, id }));
    &mut **b
}

/// `new_handle` for callbacks that run while the session state is borrowed:
/// only the handle table (a separate field) is touched.
///
/// # Safety
/// `session` must be a live session handle.
pub unsafe fn new_handle_raw(session: *mut SessionHandle, id: u32) -> *mut LIBSSH2_CHANNEL {
    // SAFETY: guaranteed by the caller; the table is disjoint from `sess`.
    let table = unsafe { &mut *std::ptr::addr_of_mut!((*session).channel_handles) };
    let b = table.entry(id).or_insert_with(|| Box::new(ChannelHandle { session, id }));
    &mut **b
}

/// Opens a channel of any type.
///
/// # Safety
/// `session` live; `channel_type` readable for `channel_type_len`, `message` for `message_len`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_open_ex(
    session: *mut LIBSSH2_SESSION,
    channel_type: *const c_char,
    channel_type_len: c_uint,
    window_size: c_uint,
    packet_size: c_uint,
    message: *const c_char,
    message_len: c_uint,
) -> *mut LIBSSH2_CHANNEL {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let kind = slice(channel_type, channel_type_len as usize)?;
            let extra = slice(message, message_len as usize)?;
            let w = if window_size == 0 { WINDOW_DEFAULT } else { window_size };
            let p = if packet_size == 0 { PACKET_DEFAULT } else { packet_size };
            let id = h.sess.channel_open(kind, w, p, extra)?;
            Ok(new_handle(h, id))
        })
    }
}

/// Opens a direct-tcpip channel to `host:port` as seen from the server.
///
/// # Safety
/// `session` live; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_direct_tcpip_ex(
    session: *mut LIBSSH2_SESSION,
    host: *const c_char,
    port: c_int,
    shost: *const c_char,
    sport: c_int,
) -> *mut LIBSSH2_CHANNEL {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let host = cstr(host).ok_or(Error::new(code::INVAL, "NULL host"))?;
            let shost = cstr(shost).unwrap_or(b"127.0.0.1");
            let id = h.sess.channel_direct_tcpip(host, port as u32, shost, sport as u32)?;
            Ok(new_handle(h, id))
        })
    }
}

/// Opens a direct-streamlocal@openssh.com channel to a Unix socket path on the server.
///
/// # Safety
/// `session` live; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_direct_streamlocal_ex(
    session: *mut LIBSSH2_SESSION,
    socket_path: *const c_char,
    shost: *const c_char,
    sport: c_int,
) -> *mut LIBSSH2_CHANNEL {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let path = cstr(socket_path).ok_or(Error::new(code::INVAL, "NULL socket path"))?;
            let shost = cstr(shost).unwrap_or(b"127.0.0.1");
            let id = h.sess.channel_direct_streamlocal(path, shost, sport as u32)?;
            Ok(new_handle(h, id))
        })
    }
}

/// Starts a shell, a command ("exec") or a subsystem.
///
/// # Safety
/// `channel` live; buffers readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_process_startup(
    channel: *mut LIBSSH2_CHANNEL,
    request: *const c_char,
    request_len: c_uint,
    message: *const c_char,
    message_len: c_uint,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(channel, |h, id| {
            let req = slice(request, request_len as usize)?;
            // libssh2 sends the string argument whenever the pointer is set, even if empty.
            let msg = if message.is_null() { None } else { Some(slice(message, message_len as usize)?) };
            h.sess.process_startup(id, req, msg)?;
            Ok(0)
        })
    }
}

/// Longest terminal name plus mode list a pty request takes (libssh2's limit).
const PTY_TERM_MODES_MAX: u64 = 256;

/// Requests a pseudo-terminal.
///
/// # Safety
/// `channel` live; buffers readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_request_pty_ex(
    channel: *mut LIBSSH2_CHANNEL,
    term: *const c_char,
    term_len: c_uint,
    modes: *const c_char,
    modes_len: c_uint,
    width: c_int,
    height: c_int,
    width_px: c_int,
    height_px: c_int,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(channel, |h, id| {
            // libssh2 sizes its request packet for at most this much, before reading either.
            if u64::from(term_len) + u64::from(modes_len) > PTY_TERM_MODES_MAX {
                return Err(Error::new(code::INVAL, "term + mode lengths too large"));
            }
            let term = slice(term, term_len as usize)?;
            let modes = slice(modes, modes_len as usize)?;
            let size = [width, height, width_px, height_px].map(|v| v as u32);
            h.sess.channel_request_pty(id, term, modes, size).map(|()| 0)
        })
    }
}

/// Changes the pty size ("window-change", no reply).
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_request_pty_size_ex(
    channel: *mut LIBSSH2_CHANNEL,
    width: c_int,
    height: c_int,
    width_px: c_int,
    height_px: c_int,
) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_key(channel, |h, id| {
            let size = [width, height, width_px, height_px].map(|v| v as u32);
            h.sess.channel_pty_size(id, size).map(|()| 0)
        })
    }
}

/// Sets an environment variable for the remote process.
///
/// # Safety
/// `channel` live; buffers readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_setenv_ex(
    channel: *mut LIBSSH2_CHANNEL,
    varname: *const c_char,
    varname_len: c_uint,
    value: *const c_char,
    value_len: c_uint,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(channel, |h, id| {
            let (name, value) = (slice(varname, varname_len as usize)?, slice(value, value_len as usize)?);
            h.sess.channel_setenv(id, name, value).map(|()| 0)
        })
    }
}

/// Sends a signal ("signal" request; name without "SIG").
///
/// # Safety
/// `channel` live; `signame` readable for `signame_len`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_signal_ex(
    channel: *mut LIBSSH2_CHANNEL,
    signame: *const c_char,
    signame_len: usize,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe { with_key(channel, |h, id| h.sess.channel_signal(id, slice(signame, signame_len)?).map(|()| 0)) }
}

/// Asks the server to forward its agent requests to us.
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_request_auth_agent(channel: *mut LIBSSH2_CHANNEL) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_key(channel, |h, id| {
            // The hooks capture the session pointer, which outlives its channels.
            let session = (*channel).session;
            super::forward::install_open_hooks(h, session);
            h.sess.channel_request_auth_agent(id).map(|()| 0)
        })
    }
}

/// Requests X11 forwarding.
///
/// # Safety
/// `channel` live; strings NUL-terminated or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_x11_req_ex(
    channel: *mut LIBSSH2_CHANNEL,
    single_connection: c_int,
    auth_proto: *const c_char,
    auth_cookie: *const c_char,
    screen_number: c_int,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(channel, |h, id| {
            // The hooks capture the session pointer, which outlives its channels.
            let session = (*channel).session;
            super::forward::install_open_hooks(h, session);
            let proto = cstr(auth_proto).unwrap_or(b"MIT-MAGIC-COOKIE-1");
            let cookie = match cstr(auth_cookie) {
                Some(c) => c.to_vec(),
                None => {
                    let mut raw = [0u8; 16];
                    crate::crypto::fill_random(&mut raw)?;
                    raw.iter().map(|b| format!("{b:02x}")).collect::<String>().into_bytes()
                }
            };
            h.sess.channel_x11_req(id, single_connection != 0, proto, &cookie, screen_number as u32).map(|()| 0)
        })
    }
}

/// Reads from stream `stream_id` (0 stdout, 1 stderr).
///
/// # Safety
/// `channel` live; `buf` writable for `buflen`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_read_ex(
    channel: *mut LIBSSH2_CHANNEL,
    stream_id: c_int,
    buf: *mut c_char,
    buflen: usize,
) -> isize {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(channel, |h, id| {
            if buf.is_null() && buflen > 0 {
                return Err(Error::new(code::INVAL, "NULL buffer"));
            }
            let out: &mut [u8] = if buflen == 0 { &mut [] } else { std::slice::from_raw_parts_mut(buf.cast(), buflen) };
            Ok(h.sess.channel_read(id, stream_id, out)? as isize)
        })
    }
}

/// Writes to stream `stream_id`; returns the bytes sent.
///
/// # Safety
/// `channel` live; `buf` readable for `buflen`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_write_ex(
    channel: *mut LIBSSH2_CHANNEL,
    stream_id: c_int,
    buf: *const c_char,
    buflen: usize,
) -> isize {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(channel, |h, id| {
            let data = slice(buf, buflen)?;
            Ok(h.sess.channel_write(id, stream_id, data)? as isize)
        })
    }
}

/// Sets how stderr is handled (normal, ignore, merge).
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_handle_extended_data2(
    channel: *mut LIBSSH2_CHANNEL,
    ignore_mode: c_int,
) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_key(channel, |h, id| h.sess.channel_set_extended_mode(id, ExtendedMode::from_c(ignore_mode)).map(|()| 0))
    }
}

/// Deprecated form of `handle_extended_data2` without a return value.
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_handle_extended_data(channel: *mut LIBSSH2_CHANNEL, ignore_mode: c_int) {
    // SAFETY: forwarded contract.
    unsafe { libssh2_channel_handle_extended_data2(channel, ignore_mode) };
}

/// Discards buffered incoming data of a stream; returns the bytes dropped.
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_flush_ex(channel: *mut LIBSSH2_CHANNEL, streamid: c_int) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_key(channel, |h, id| Ok(h.sess.channel_flush(id, streamid)? as c_int)) }
}

/// Sends EOF.
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_send_eof(channel: *mut LIBSSH2_CHANNEL) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_key(channel, |h, id| h.sess.channel_send_eof(id).map(|()| 0)) }
}

/// 1 if the remote sent EOF and nothing is left to read.
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_eof(channel: *mut LIBSSH2_CHANNEL) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_key(channel, |h, id| Ok(h.sess.channel_eof(id)? as c_int)) }
}

/// Waits for the remote's EOF.
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_wait_eof(channel: *mut LIBSSH2_CHANNEL) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_key(channel, |h, id| h.sess.channel_wait_eof(id).map(|()| 0)) }
}

/// Closes the channel (waits for the remote's CLOSE).
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_close(channel: *mut LIBSSH2_CHANNEL) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_key(channel, |h, id| h.sess.channel_close(id).map(|()| 0)) }
}

/// Waits until the remote closed the channel.
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_wait_closed(channel: *mut LIBSSH2_CHANNEL) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_key(channel, |h, id| h.sess.channel_wait_closed(id).map(|()| 0)) }
}

/// Frees the channel (closing it first if needed).
///
/// # Safety
/// `channel` live; not used afterwards unless EAGAIN or TIMEOUT is returned.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_free(channel: *mut LIBSSH2_CHANNEL) -> c_int {
    null_check!(code::BAD_USE; channel);
    let release = |ch: *mut LIBSSH2_CHANNEL| {
        // SAFETY: a live channel handle points at its live session; dropping
        // the table entry frees the handle.
        unsafe {
            let (session, id) = ((*ch).session, (*ch).id);
            (*session).channel_handles.remove(&id);
        }
    };
    // SAFETY: the caller guarantees the pointer.
    let rc = unsafe { close_then_release(channel, |h, id| h.sess.channel_free(id).map(|()| 0), release) };
    // Like libssh2, a failed close does not fail the free: only a pending one shows.
    if rc_pending(rc) {
        rc
    } else {
        0
    }
}

/// The exit status the remote reported (0 if none).
///
/// # Safety
/// `channel` live or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_get_exit_status(channel: *mut LIBSSH2_CHANNEL) -> c_int {
    // libssh2 reports no status for no channel.
    null_check!(0; channel);
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_key(channel, |h, id| Ok(h.sess.channel_exit_status(id))) }
}

/// The exit signal, with strings from the session allocator.
///
/// # Safety
/// `channel` live; out-pointers writable or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_get_exit_signal(
    channel: *mut LIBSSH2_CHANNEL,
    exitsignal: *mut *mut c_char,
    exitsignal_len: *mut usize,
    errmsg: *mut *mut c_char,
    errmsg_len: *mut usize,
    langtag: *mut *mut c_char,
    langtag_len: *mut usize,
) -> c_int {
    // libssh2 returns 0 for no channel, touching no out-pointer.
    null_check!(0; channel);
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(channel, |h, id| {
            let outs = [(exitsignal, exitsignal_len), (errmsg, errmsg_len), (langtag, langtag_len)];
            // libssh2 keeps only the signal name: message and language are always NULL.
            let vals: [Option<Vec<u8>>; 3] = [h.sess.channel_exit_signal(id).map(<[u8]>::to_vec), None, None];
            for (i, ((p, l), v)) in outs.into_iter().zip(vals).enumerate() {
                if !p.is_null() {
                    *p = match &v {
                        Some(b) => match h.alloc_copy(b) {
                            Ok(c) => c,
                            Err(e) => {
                                // A failed call hands out nothing: free the strings already copied.
                                let ab = h.abstract_ptr();
                                for &(q, _) in outs.iter().take(i) {
                                    if !q.is_null() {
                                        h.alloc.free((*q).cast(), ab);
                                        *q = ptr::null_mut();
                                    }
                                }
                                *p = ptr::null_mut();
                                return Err(e);
                            }
                        },
                        None => ptr::null_mut(),
                    };
                }
                write_out(l, v.as_ref().map_or(0, Vec::len));
            }
            Ok(0)
        })
    }
}

/// Our remaining receive window; `read_avail` gets the buffered byte count.
///
/// # Safety
/// `channel` live; out-pointers writable or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_window_read_ex(
    channel: *mut LIBSSH2_CHANNEL,
    read_avail: *mut c_ulong,
    window_size_initial: *mut c_ulong,
) -> c_ulong {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(channel, |h, id| {
            let w = h.sess.channel_window_read(id)?;
            write_out(read_avail, w.avail as c_ulong);
            write_out(window_size_initial, w.initial as c_ulong);
            Ok(w.window as u64)
        }) as c_ulong
    }
}

/// The peer's remaining window (bytes we may send).
///
/// # Safety
/// `channel` live; out-pointer writable or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_window_write_ex(
    channel: *mut LIBSSH2_CHANNEL,
    window_size_initial: *mut c_ulong,
) -> c_ulong {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(channel, |h, id| {
            let (window, initial) = h.sess.channel_window_write(id)?;
            write_out(window_size_initial, initial as c_ulong);
            Ok(window as u64)
        }) as c_ulong
    }
}

/// Deprecated: adjusts the receive window, returning the new window.
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_receive_window_adjust(
    channel: *mut LIBSSH2_CHANNEL,
    adjustment: c_ulong,
    force: u8,
) -> c_ulong {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_key(channel, |h, id| {
            let adj = adjustment.min(u32::MAX as c_ulong) as u32;
            Ok(h.sess.channel_receive_window_adjust(id, adj, force != 0)? as i64)
        }) as c_ulong
    }
}

/// Adjusts the receive window; the new window goes to `storewindow`.
///
/// # Safety
/// `channel` live; `storewindow` writable or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_receive_window_adjust2(
    channel: *mut LIBSSH2_CHANNEL,
    adjustment: c_ulong,
    force: u8,
    storewindow: *mut c_uint,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_key(channel, |h, id| {
            let adj = adjustment.min(u32::MAX as c_ulong) as u32;
            let w = h.sess.channel_receive_window_adjust(id, adj, force != 0)?;
            write_out(storewindow, w);
            Ok(0)
        })
    }
}

/// Sets blocking mode (for the whole session, as libssh2 does).
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_set_blocking(channel: *mut LIBSSH2_CHANNEL, blocking: c_int) {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_key(channel, |h, _| {
            h.sess.blocking = blocking != 0;
            h.blocking_value = blocking;
            Ok(())
        })
    }
}

/// 1 if data is waiting: on stream 0 (`extended` 0) or on any stream (`extended` 1).
///
/// # Safety
/// `channel` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_poll_channel_read(channel: *mut LIBSSH2_CHANNEL, extended: c_int) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_key(channel, |h, id| Ok(h.sess.channel_poll_read(id, extended)? as c_int)) }
}
