//! Remote port forwarding (`libssh2_channel_forward_*`): a `LIBSSH2_LISTENER *`
//! is a boxed `ListenerHandle` naming a listener in its session. Also installs
//! the hooks through which inbound x11 and agent channels reach the
//! application's LIBSSH2_CALLBACK_X11 / LIBSSH2_CALLBACK_AUTHAGENT.

use std::ffi::{c_char, c_int, c_void, CString};

use super::boundary::write_out;
use super::channel::{new_handle, new_handle_raw, LIBSSH2_CHANNEL};
use super::handle::{close_then_release, cstr, with_key, with_session, SessionHandle, LIBSSH2_SESSION};
use super::session::callback_ptr;
use super::types::callback;

/// What C holds as `LIBSSH2_LISTENER *`.
pub struct ListenerHandle {
    /// The owning session.
    pub session: *mut SessionHandle,
    /// The listener's id in the session.
    pub id: u32,
}

crate::session_child!(ListenerHandle, "NULL listener", u32 = (id));

/// The C name of the listener type.
#[allow(non_camel_case_types)]
pub type LIBSSH2_LISTENER = ListenerHandle;

type X11Fn = unsafe extern "C" fn(*mut LIBSSH2_SESSION, *mut LIBSSH2_CHANNEL, *const c_char, c_int, *mut *mut c_void);
type AgentFn = unsafe extern "C" fn(*mut LIBSSH2_SESSION, *mut LIBSSH2_CHANNEL, *mut *mut c_void);

/// Points the session's inbound-open hooks at the application's X11 and
/// AUTHAGENT callbacks as installed right now (None clears a hook).
///
/// # Safety
/// `session` must be the pointer of `h`, live for as long as the hooks may run.
pub unsafe fn install_open_hooks(h: &mut SessionHandle, session: *mut LIBSSH2_SESSION) {
    let ab: *mut *mut c_void = h.abstract_ptr();
    h.sess.fwd.x11_hook = callback_ptr(h, callback::X11 as usize).map(|p| {
        // SAFETY: registered by the application as LIBSSH2_X11_OPEN_FUNC.
        let f: X11Fn = unsafe { std::mem::transmute::<*mut c_void, X11Fn>(p) };
        Box::new(move |id: u32, shost: &[u8], sport: u32| {
            let host = CString::new(shost.iter().copied().filter(|&b| b != 0).collect::<Vec<u8>>()).unwrap_or_default();
            // SAFETY: session is the live handle these hooks were installed on.
            let ch = unsafe { new_handle_raw(session, id) };
            // SAFETY: ch is a fresh channel handle the callback now owns; host lives across the call.
            unsafe { f(session, ch, host.as_ptr(), sport as c_int, ab) }
        }) as crate::session::forward::X11Hook
    });
    h.sess.fwd.agent_hook = callback_ptr(h, callback::AUTHAGENT as usize).map(|p| {
        // SAFETY: registered by the application as LIBSSH2_AUTHAGENT_FUNC.
        let f: AgentFn = unsafe { std::mem::transmute::<*mut c_void, AgentFn>(p) };
        Box::new(move |id: u32| {
            // SAFETY: session is the live handle these hooks were installed on.
            let ch = unsafe { new_handle_raw(session, id) };
            // SAFETY: ch is a fresh channel handle the callback now owns.
            unsafe { f(session, ch, ab) }
        }) as crate::session::forward::AgentHook
    });
}

/// Asks the server to listen on `host:port` and forward connections to us.
///
/// # Safety
/// `session` live; `host` NUL-terminated or null; `bound_port` writable or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_forward_listen_ex(
    session: *mut LIBSSH2_SESSION,
    host: *const c_char,
    port: c_int,
    bound_port: *mut c_int,
    queue_maxsize: c_int,
) -> *mut LIBSSH2_LISTENER {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let host = cstr(host);
            let (id, bound) = h.sess.forward_listen(host, port, queue_maxsize)?;
            write_out(bound_port, bound);
            // The session owns the handle (freed by cancel or with the session).
            let b = h.listener_handles.entry(id).or_insert_with(|| Box::new(ListenerHandle { session, id }));
            Ok(&mut **b as *mut ListenerHandle)
        })
    }
}

/// Waits for the next forwarded connection; returns its channel.
///
/// # Safety
/// `listener` live or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_forward_accept(listener: *mut LIBSSH2_LISTENER) -> *mut LIBSSH2_CHANNEL {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_key(listener, |h, lid| {
            let id = h.sess.forward_accept(lid)?;
            Ok(new_handle(h, id))
        })
    }
}

/// Stops listening, frees queued connections and the listener.
///
/// # Safety
/// `listener` live or null; not used afterwards unless EAGAIN or TIMEOUT is returned.
#[no_mangle]
pub unsafe extern "C" fn libssh2_channel_forward_cancel(listener: *mut LIBSSH2_LISTENER) -> c_int {
    let release = |l: *mut LIBSSH2_LISTENER| {
        // SAFETY: a live listener points at its live session; dropping the
        // table entry frees the handle.
        unsafe {
            let (session, lid) = ((*l).session, (*l).id);
            (*session).listener_handles.remove(&lid);
        }
    };
    // SAFETY: the caller guarantees the pointer.
    unsafe { close_then_release(listener, |h, lid| h.sess.forward_cancel(lid).map(|()| 0), release) }
}

/// Whether a listener has connections waiting (for `libssh2_poll`).
///
/// # Safety
/// `listener` live.
pub unsafe fn listener_queued(listener: *mut LIBSSH2_LISTENER) -> Option<(*mut SessionHandle, usize)> {
    // SAFETY: guaranteed by the caller.
    let l = unsafe { listener.as_ref() }?;
    let (session, lid) = (l.session, l.id);
    // SAFETY: a live listener's session outlives it.
    let n = unsafe { with_session(session, |h| Ok(h.sess.listener_queued(lid) as i64)) };
    Some((session, usize::try_from(n).unwrap_or(0)))
}
