//! `libssh2_poll`: waits on plain sockets, channels and listeners at once.
//! Channels and listeners are ready when their session has buffered what
//! they want; their sessions' sockets are polled and pumped meanwhile.

use std::ffi::{c_long, c_uint};

use super::channel::ChannelHandle;
use super::forward::{listener_queued, ListenerHandle};
use super::handle::{with_session, SessionHandle};
use super::types::{pollfd as pf, LIBSSH2_POLLFD};
use crate::error::{code, Error};
use crate::session::io::{poll_set, PollSet, SystemClock};

/// Most descriptors one call accepts (keeps the pollfd array bounded).
pub const MAX_POLL_FDS: usize = 4096;

/// Readiness of a channel: (revents, session socket).
///
/// # Safety
/// `ch` must be a live channel handle.
unsafe fn channel_state(ch: *mut ChannelHandle, events: u64) -> Option<(u64, i32)> {
    // SAFETY: guaranteed by the caller.
    let c = unsafe { ch.as_ref() }?;
    let (session, id) = (c.session, c.id);
    let mut out = None;
    // SAFETY: a live channel's session outlives it.
    unsafe {
        with_session(session, |h| {
            let mut rev: u64 = 0;
            if h.sess.dead.is_some() {
                rev |= pf::CHANNEL_CLOSED | pf::SESSION_CLOSED;
            }
            match h.sess.channels.map.get(&id) {
                Some(chan) => {
                    if events & pf::POLLIN != 0 && !chan.data.is_empty() {
                        rev |= pf::POLLIN;
                    }
                    if events & pf::POLLEXT != 0 && !chan.ext_data.is_empty() {
                        rev |= pf::POLLEXT;
                    }
                    let writable = chan.remote_window > 0 && !chan.close_sent() && !chan.close_received();
                    if events & pf::POLLOUT != 0 && writable {
                        rev |= pf::POLLOUT;
                    }
                    if chan.close_received() || chan.close_sent() {
                        rev |= pf::CHANNEL_CLOSED;
                    }
                }
                None => rev |= pf::CHANNEL_CLOSED,
            }
            out = Some((rev, h.sess.socket.unwrap_or(-1)));
            Ok(0)
        })
    };
    out
}

/// Takes in whatever the session's socket has, without blocking.
fn pump_session(session: *mut SessionHandle) {
    // SAFETY: only called with sessions of live channels/listeners from the caller's array.
    unsafe {
        with_session(session, |h| {
            while h.sess.pump()? {}
            Ok(0)
        })
    };
}

/// A `libssh2_poll` array with, for channel and listener entries, their session.
struct Entries<'a> {
    fds: &'a mut [LIBSSH2_POLLFD],
    sessions: Vec<Option<*mut SessionHandle>>,
}

impl PollSet for Entries<'_> {
    fn scan(&mut self) -> usize {
        let mut ready = 0;
        for e in self.fds.iter_mut() {
            if e.events != e.revents {
                // SAFETY: the type selects the union member; libssh2_poll checked the pointers.
                unsafe {
                    match e.r#type {
                        pf::CHANNEL => {
                            if let Some((rev, _)) = channel_state(e.fd.channel.cast(), e.events) {
                                e.revents |= rev;
                            }
                        }
                        pf::LISTENER => {
                            if let Some((session, q)) = listener_queued(e.fd.listener.cast()) {
                                if e.events & pf::POLLIN != 0 && q > 0 {
                                    e.revents |= pf::POLLIN;
                                }
                                if with_session(session, |h| Ok(h.sess.dead.is_some() as i32)) == 1 {
                                    e.revents |= pf::LISTENER_CLOSED | pf::SESSION_CLOSED;
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            if e.revents != 0 {
                ready += 1;
            }
        }
        ready
    }

    fn took(&mut self, sockets: &[libc::pollfd]) -> usize {
        let mut ready = 0;
        for ((e, s), sess) in self.fds.iter_mut().zip(sockets).zip(&self.sessions) {
            match (e.r#type, sess) {
                (pf::SOCKET, _) => {
                    e.revents = s.revents as u16 as u64;
                    if e.revents != 0 {
                        ready += 1;
                    }
                }
                (_, Some(session)) if s.revents != 0 => {
                    if s.revents & libc::POLLIN != 0 {
                        pump_session(*session);
                    }
                    if s.revents & libc::POLLHUP != 0 {
                        e.revents |= pf::CHANNEL_CLOSED | pf::SESSION_CLOSED;
                    }
                }
                _ => {}
            }
        }
        ready
    }
}

/// Polls `nfds` entries for up to `timeout` ms; returns how many are ready, -1 on error.
///
/// # Safety
/// `fds` must point at `nfds` valid entries whose channels/listeners are live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_poll(fds: *mut LIBSSH2_POLLFD, nfds: c_uint, timeout: c_long) -> i32 {
    let n = nfds as usize;
    if n == 0 {
        poll_set(&mut Entries { fds: &mut [], sessions: Vec::new() }, &mut [], timeout, &mut SystemClock);
        return 0;
    }
    if fds.is_null() || n > MAX_POLL_FDS {
        return -1;
    }
    // SAFETY: the caller guarantees nfds valid entries.
    let fds = unsafe { std::slice::from_raw_parts_mut(fds, n) };
    // Each entry: the pollfd and, for channels/listeners, their session.
    let mut sockets: Vec<libc::pollfd> = Vec::with_capacity(n);
    let mut sessions: Vec<Option<*mut SessionHandle>> = Vec::with_capacity(n);
    for e in fds.iter_mut() {
        e.revents = 0;
        // SAFETY: the type field says which union member is valid.
        let (fd, events, sess) = unsafe {
            match e.r#type {
                pf::SOCKET => (e.fd.socket, e.events as libc::c_short, None),
                pf::CHANNEL => {
                    let ch = e.fd.channel.cast::<ChannelHandle>();
                    let Some(c) = ch.as_ref() else { return -1 };
                    let fd = channel_state(ch, 0).map_or(-1, |s| s.1);
                    (fd, libc::POLLIN, Some(c.session))
                }
                pf::LISTENER => {
                    let l = e.fd.listener.cast::<ListenerHandle>();
                    let Some(lh) = l.as_ref() else { return -1 };
                    let fd = with_session(lh.session, |h| Ok(h.sess.socket.unwrap_or(-1)));
                    (fd, libc::POLLIN, Some(lh.session))
                }
                _ => {
                    if let Some(Some(s)) = sessions.iter().find(|s| s.is_some()) {
                        let e = Error::new(code::INVALID_POLL_TYPE, "Invalid descriptor passed to libssh2_poll()");
                        with_session(*s, |_| -> crate::error::Result<i32> { Err(e) });
                    }
                    return -1;
                }
            }
        };
        sockets.push(libc::pollfd { fd, events, revents: 0 });
        sessions.push(sess);
    }
    let mut entries = Entries { fds, sessions };
    poll_set(&mut entries, &mut sockets, timeout, &mut SystemClock);
    // Recount: channel readiness may have changed after pumping.
    entries.fds.iter().filter(|e| e.revents != 0).count() as i32
}
