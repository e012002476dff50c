//! `libssh2_session_*` and the session-wide functions of libssh2.h.

use crate::null_check;
use std::ffi::{c_char, c_int, c_long, c_uint, c_void};
use std::ptr;

use super::alloc::{AllocFn, Allocator, FreeFn, ReallocFn};
use super::boundary::{guard_plain, write_out};
use super::handle::{cstr, with_session, CCallbacks, SessionHandle, CALLBACK_SLOTS, LIBSSH2_SESSION};
use super::types::{flag, method};
use crate::error::{code, Error};
use crate::session::io::{IoStatus, RawSocket, SocketIo};
use crate::session::Session;

/// LIBSSH2_CALLBACK_SEND / RECV.
const CALLBACK_SEND: usize = 5;
const CALLBACK_RECV: usize = 6;
const CALLBACK_IGNORE: usize = 0;
const CALLBACK_DEBUG: usize = 1;
const CALLBACK_DISCONNECT: usize = 2;

/// Creates a session with optional custom allocator callbacks.
#[no_mangle]
pub extern "C" fn libssh2_session_init_ex(
    my_alloc: Option<AllocFn>,
    my_free: Option<FreeFn>,
    my_realloc: Option<ReallocFn>,
    abstract_: *mut c_void,
) -> *mut LIBSSH2_SESSION {
    guard_plain(|| {
        let mut alloc = Allocator::default();
        // libssh2 uses the callbacks only when all three are given.
        if let (Some(a), Some(f), Some(r)) = (my_alloc, my_free, my_realloc) {
            alloc = Allocator { alloc: a, realloc: r, free: f };
        }
        super::init_once();
        let h = SessionHandle {
            abstract_,
            alloc,
            sess: Session::new(),
            err_cstr: Default::default(),
            names: Default::default(),
            cbs: CCallbacks::default(),
            poisoned: false,
            quote_paths: true,
            hostkey_hashes: Default::default(),
            channel_handles: Default::default(),
            blocking_value: 1,
            timeout_value: 0,
            sftp_handles: Vec::new(),
            listener_handles: Default::default(),
            self_ptr: std::ptr::null_mut(),
        };
        let raw = Box::into_raw(Box::new(h));
        // SAFETY: `raw` is the allocation just made; nothing else refers to it yet.
        unsafe { (*raw).self_ptr = raw };
        raw
    })
}

/// Frees a session and everything it owns.
///
/// # Safety
/// `session` must come from `libssh2_session_init_ex` and not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_free(session: *mut LIBSSH2_SESSION) -> c_int {
    null_check!(code::BAD_USE; session);
    guard_plain(|| {
        // SAFETY: the caller hands back ownership of a handle from init_ex.
        let mut h = unsafe { Box::from_raw(session) };
        h.sess.release_socket();
        for p in std::mem::take(&mut h.sftp_handles) {
            // SAFETY: each pointer came from Box::into_raw in libssh2_sftp_init and was
            // not released (shutdown removes it from the list when it frees it).
            drop(unsafe { Box::from_raw(p) });
        }
        drop(h);
        0
    })
}

/// Returns the address of the session's `abstract` pointer.
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_abstract(session: *mut LIBSSH2_SESSION) -> *mut *mut c_void {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_session(session, |h| Ok(h.abstract_ptr())) }
}

/// Sets a session flag (SIGPIPE, COMPRESS, QUOTE_PATHS).
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_flag(session: *mut LIBSSH2_SESSION, flag: c_int, value: c_int) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            match flag {
                flag::SIGPIPE => {
                    // Like libssh2, the flag applies to every later write, also after the handshake.
                    h.sess.flag_sigpipe = value != 0;
                    if let Some(io) = h.sess.io.as_mut() {
                        io.set_sigpipe(value != 0);
                    }
                }
                flag::COMPRESS => h.sess.flag_compress = value != 0,
                flag::QUOTE_PATHS => h.quote_paths = value != 0,
                // A negative value is no size: off.
                flag::SFTP_WRITE_BEHIND => {
                    h.sess.sftp_write_behind = Some(crate::sftp::write_behind_limit(value.max(0) as u64))
                }
                _ => return Ok(code::INVAL),
            }
            Ok(0)
        })
    }
}

/// Sets blocking (non-zero) or non-blocking mode for the whole session.
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_set_blocking(session: *mut LIBSSH2_SESSION, blocking: c_int) {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            h.sess.blocking = blocking != 0;
            // libssh2 hands the value back as given.
            h.blocking_value = blocking;
            Ok(())
        })
    }
}

/// Returns 1 when the session is blocking.
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_get_blocking(session: *mut LIBSSH2_SESSION) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_session(session, |h| Ok(h.blocking_value)) }
}

/// Sets the timeout for blocking calls in milliseconds (0: none).
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_set_timeout(session: *mut LIBSSH2_SESSION, timeout: c_long) {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            // A negative timeout waits without limit, as 0 does; libssh2 still
            // hands the value back as given.
            h.sess.timeout_ms = timeout.max(0);
            h.timeout_value = timeout;
            Ok(())
        })
    }
}

/// Returns the blocking-call timeout in milliseconds.
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_get_timeout(session: *mut LIBSSH2_SESSION) -> c_long {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_session(session, |h| Ok(h.timeout_value)) as c_long }
}

/// Sets the timeout for awaited replies in seconds (0 restores the default).
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_set_read_timeout(session: *mut LIBSSH2_SESSION, timeout: c_long) {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            h.sess.read_timeout_s = if timeout <= 0 { crate::session::DEFAULT_READ_TIMEOUT_S } else { timeout };
            Ok(())
        })
    }
}

/// Returns the reply timeout in seconds.
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_get_read_timeout(session: *mut LIBSSH2_SESSION) -> c_long {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_session(session, |h| Ok(h.sess.read_timeout_s)) as c_long }
}

/// Sets our identification line (sent with CR LF appended).
///
/// # Safety
/// `session` must be a live session; `banner` a C string or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_banner_set(session: *mut LIBSSH2_SESSION, banner: *const c_char) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            h.sess.local_banner = match cstr(banner) {
                None => None,
                Some(b) => {
                    // libssh2 takes a banner of any length (an empty one means the default).
                    let b: Vec<u8> = b.iter().copied().filter(|&c| c != b'\r' && c != b'\n').collect();
                    Some(b).filter(|b| !b.is_empty())
                }
            };
            Ok(0)
        })
    }
}

/// Deprecated alias of `libssh2_session_banner_set`.
///
/// # Safety
/// As `libssh2_session_banner_set`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_banner_set(session: *mut LIBSSH2_SESSION, banner: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { libssh2_session_banner_set(session, banner) }
}

/// Returns the server's identification line, or NULL before the handshake.
///
/// # Safety
/// `session` must be a live session or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_banner_get(session: *mut LIBSSH2_SESSION) -> *const c_char {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            let Some(b) = h.sess.remote_banner().map(<[u8]>::to_vec) else { return Ok(ptr::null()) };
            Ok(h.stable_cstr(&b))
        })
    }
}

/// Reports the last error code and, optionally, its message.
///
/// # Safety
/// `session` must be a live session; out-pointers null or writable.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_last_error(
    session: *mut LIBSSH2_SESSION,
    errmsg: *mut *mut c_char,
    errmsg_len: *mut c_int,
    want_buf: c_int,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let e = h.sess.last_error.clone();
            let msg: &[u8] = if e.code == 0 { b"" } else { e.msg.as_bytes() };
            if !errmsg.is_null() {
                if want_buf != 0 {
                    let p = h.alloc_copy(msg).unwrap_or(ptr::null_mut());
                    *errmsg = p;
                } else {
                    h.err_cstr = std::ffi::CString::new(msg.iter().copied().filter(|&b| b != 0).collect::<Vec<_>>())
                        .unwrap_or_default();
                    *errmsg = h.err_cstr.as_ptr() as *mut c_char;
                }
            }
            write_out(errmsg_len, msg.len() as c_int);
            Ok(e.code)
        })
    }
}

/// Returns the last error code.
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_last_errno(session: *mut LIBSSH2_SESSION) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_session(session, |h| Ok(h.sess.last_error.code)) }
}

/// Sets the last error (the message is copied).
///
/// # Safety
/// `session` must be a live session; `errmsg` a C string or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_set_last_error(
    session: *mut LIBSSH2_SESSION,
    errcode: c_int,
    errmsg: *const c_char,
) -> c_int {
    // libssh2 has no session to store it in and hands the code back.
    null_check!(errcode; session);
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let msg = cstr(errmsg).map(|m| String::from_utf8_lossy(m).into_owned()).unwrap_or_default();
            h.sess.last_error = Error::with(errcode, msg);
            Ok(errcode)
        })
    }
}

/// C send/recv callbacks standing in for the socket.
struct CallbackIo {
    session: *mut LIBSSH2_SESSION,
    send: Option<*mut c_void>,
    recv: Option<*mut c_void>,
    fd: RawSocket,
    sigpipe: bool,
}

type SendFn = unsafe extern "C" fn(RawSocket, *const c_void, usize, c_int, *mut *mut c_void) -> isize;
type RecvFn = unsafe extern "C" fn(RawSocket, *mut c_void, usize, c_int, *mut *mut c_void) -> isize;

/// A send/recv result as libssh2's defaults return it: the count, or the
/// negative errno with EINTR and EWOULDBLOCK as -EAGAIN.
fn errno_result(r: isize) -> isize {
    if r >= 0 {
        return r;
    }
    match std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO) {
        libc::EINTR | libc::EAGAIN => -(libc::EAGAIN as isize),
        #[allow(unreachable_patterns)]
        libc::EWOULDBLOCK => -(libc::EAGAIN as isize),
        e => -(e as isize),
    }
}

/// The default LIBSSH2_CALLBACK_SEND: `send(2)` on the socket, -errno on failure. Returned by
/// `libssh2_session_callback_set2` as the previous callback, so a program can wrap it.
///
/// # Safety
/// `buffer` is readable for `length` bytes.
unsafe extern "C" fn default_send(
    sock: RawSocket,
    buffer: *const c_void,
    length: usize,
    flags: c_int,
    _abstract: *mut *mut c_void,
) -> isize {
    // SAFETY: the caller guarantees the buffer; send(2) checks the descriptor.
    errno_result(unsafe { libc::send(sock, buffer, length, flags) })
}

/// The default LIBSSH2_CALLBACK_RECV: `recv(2)` on the socket, -errno on failure.
///
/// # Safety
/// `buffer` is writable for `length` bytes.
unsafe extern "C" fn default_recv(
    sock: RawSocket,
    buffer: *mut c_void,
    length: usize,
    flags: c_int,
    _abstract: *mut *mut c_void,
) -> isize {
    // SAFETY: the caller guarantees the buffer; recv(2) checks the descriptor.
    errno_result(unsafe { libc::recv(sock, buffer, length, flags) })
}

/// The built-in function of a callback slot (send and recv have one, as in libssh2), or null.
fn default_callback(slot: usize) -> *mut c_void {
    match slot {
        CALLBACK_SEND => default_send as SendFn as *mut c_void,
        CALLBACK_RECV => default_recv as RecvFn as *mut c_void,
        _ => ptr::null_mut(),
    }
}

fn status_of(r: isize) -> IoStatus {
    if r > 0 {
        IoStatus::Moved(r as usize)
    } else if r == 0 {
        IoStatus::Closed
    } else if -r == libc::EAGAIN as isize || -r == libc::EWOULDBLOCK as isize || -r == libc::EINTR as isize {
        IoStatus::WouldBlock
    } else {
        IoStatus::Failed((-r) as i32)
    }
}

impl SocketIo for CallbackIo {
    fn set_sigpipe(&mut self, on: bool) {
        self.sigpipe = on;
    }

    fn send(&mut self, buf: &[u8]) -> IoStatus {
        // SAFETY: the handle outlives its transport; only the field's address is taken.
        let ab = unsafe { ptr::addr_of_mut!((*self.session).abstract_) };
        match self.send {
            Some(f) => {
                // SAFETY: the application registered f as LIBSSH2_SEND_FUNC; buf is valid.
                let f: SendFn = unsafe { std::mem::transmute::<*mut c_void, SendFn>(f) };
                let flags = if self.sigpipe { 0 } else { libc::MSG_NOSIGNAL };
                // SAFETY: calling the application's callback with valid arguments.
                match status_of(unsafe { f(self.fd, buf.as_ptr().cast(), buf.len(), flags, ab) }) {
                    IoStatus::Closed => IoStatus::WouldBlock,
                    s => s,
                }
            }
            None => crate::session::io::FdIo { fd: self.fd, sigpipe: self.sigpipe }.send(buf),
        }
    }

    fn recv(&mut self, buf: &mut [u8]) -> IoStatus {
        // SAFETY: the handle outlives its transport; only the field's address is taken.
        let ab = unsafe { ptr::addr_of_mut!((*self.session).abstract_) };
        match self.recv {
            Some(f) => {
                // SAFETY: the application registered f as LIBSSH2_RECV_FUNC.
                let f: RecvFn = unsafe { std::mem::transmute::<*mut c_void, RecvFn>(f) };
                // SAFETY: buf is writable for its length.
                status_of(unsafe { f(self.fd, buf.as_mut_ptr().cast(), buf.len(), 0, ab) })
            }
            None => crate::session::io::FdIo { fd: self.fd, sigpipe: self.sigpipe }.recv(buf),
        }
    }

    fn set_socket(&mut self, fd: RawSocket) {
        self.fd = fd;
    }
}

fn install_callback_closures(h: &mut SessionHandle, session: *mut LIBSSH2_SESSION) {
    let ab: *mut *mut c_void = &mut h.abstract_;
    type IgnoreFn = unsafe extern "C" fn(*mut LIBSSH2_SESSION, *const c_char, c_int, *mut *mut c_void);
    type DebugFn =
        unsafe extern "C" fn(*mut LIBSSH2_SESSION, c_int, *const c_char, c_int, *const c_char, c_int, *mut *mut c_void);
    type DiscFn =
        unsafe extern "C" fn(*mut LIBSSH2_SESSION, c_int, *const c_char, c_int, *const c_char, c_int, *mut *mut c_void);
    h.sess.callbacks.ignore = h.cbs.slots[CALLBACK_IGNORE].map(|p| {
        // SAFETY: registered by the application as LIBSSH2_IGNORE_FUNC.
        let f: IgnoreFn = unsafe { std::mem::transmute::<*mut c_void, IgnoreFn>(p) };
        Box::new(move |d: &[u8]| {
            // SAFETY: d is valid for its length during the call.
            unsafe { f(session, d.as_ptr().cast(), d.len() as c_int, ab) }
        }) as Box<dyn FnMut(&[u8])>
    });
    h.sess.callbacks.debug = h.cbs.slots[CALLBACK_DEBUG].map(|p| {
        // SAFETY: registered by the application as LIBSSH2_DEBUG_FUNC.
        let f: DebugFn = unsafe { std::mem::transmute::<*mut c_void, DebugFn>(p) };
        Box::new(move |always: bool, m: &[u8], l: &[u8]| {
            // SAFETY: m and l are valid for their lengths during the call.
            unsafe {
                f(
                    session,
                    always as c_int,
                    m.as_ptr().cast(),
                    m.len() as c_int,
                    l.as_ptr().cast(),
                    l.len() as c_int,
                    ab,
                )
            }
        }) as Box<dyn FnMut(bool, &[u8], &[u8])>
    });
    h.sess.callbacks.disconnect = h.cbs.slots[CALLBACK_DISCONNECT].map(|p| {
        // SAFETY: registered by the application as LIBSSH2_DISCONNECT_FUNC.
        let f: DiscFn = unsafe { std::mem::transmute::<*mut c_void, DiscFn>(p) };
        Box::new(move |reason: u32, m: &[u8], l: &[u8]| {
            // SAFETY: m and l are valid for their lengths during the call.
            unsafe {
                f(
                    session,
                    reason as c_int,
                    m.as_ptr().cast(),
                    m.len() as c_int,
                    l.as_ptr().cast(),
                    l.len() as c_int,
                    ab,
                )
            }
        }) as Box<dyn FnMut(u32, &[u8], &[u8])>
    });
    let (send, recv) = (h.cbs.slots[CALLBACK_SEND], h.cbs.slots[CALLBACK_RECV]);
    if send.is_some() || recv.is_some() {
        let fd = h.sess.socket.unwrap_or(-1);
        h.sess.set_io(Box::new(CallbackIo { session, send, recv, fd, sigpipe: h.sess.flag_sigpipe }));
    }
}

/// Installs a callback; returns the previous one.
///
/// # Safety
/// `session` must be a live session; `callback` a function of the type `cbtype` requires, or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_callback_set2(
    session: *mut LIBSSH2_SESSION,
    cbtype: c_int,
    callback: *mut c_void,
) -> *mut c_void {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let Some(slot) = usize::try_from(cbtype).ok().filter(|&i| i < CALLBACK_SLOTS) else {
                return Ok(ptr::null_mut());
            };
            let default = default_callback(slot);
            let old = h.cbs.slots[slot].unwrap_or(default);
            // Setting the built-in function back is the same as never replacing it.
            h.cbs.slots[slot] = if callback.is_null() || callback == default { None } else { Some(callback) };
            install_callback_closures(h, session);
            Ok(old)
        })
    }
}

/// Deprecated form of `libssh2_session_callback_set2`.
///
/// # Safety
/// As `libssh2_session_callback_set2`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_callback_set(
    session: *mut LIBSSH2_SESSION,
    cbtype: c_int,
    callback: *mut c_void,
) -> *mut c_void {
    // SAFETY: forwarded contract.
    unsafe { libssh2_session_callback_set2(session, cbtype, callback) }
}

/// The installed C callback of a kind, for other FFI modules (x11, agent).
pub fn callback_ptr(h: &SessionHandle, slot: usize) -> Option<*mut c_void> {
    h.cbs.slots.get(slot).copied().flatten()
}

/// Performs the SSH handshake on a connected socket.
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_handshake(session: *mut LIBSSH2_SESSION, sock: RawSocket) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_session(session, |h| h.sess.handshake(sock).map(|()| 0)) }
}

/// Deprecated: `libssh2_session_handshake` with an int socket.
///
/// # Safety
/// As `libssh2_session_handshake`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_startup(session: *mut LIBSSH2_SESSION, sock: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { libssh2_session_handshake(session, sock) }
}

/// Sends SSH_MSG_DISCONNECT.
///
/// # Safety
/// `session` must be a live session; strings C strings or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_disconnect_ex(
    session: *mut LIBSSH2_SESSION,
    reason: c_int,
    description: *const c_char,
    lang: *const c_char,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let d = String::from_utf8_lossy(cstr(description).unwrap_or(b"")).into_owned();
            let l = String::from_utf8_lossy(cstr(lang).unwrap_or(b"")).into_owned();
            h.sess.disconnect(reason as u32, &d, &l)?;
            Ok(0)
        })
    }
}

/// LIBSSH2_HOSTKEY_TYPE_* of a host key blob.
pub fn hostkey_type(blob: &[u8]) -> c_int {
    let mut r = crate::proto::wire::Reader::new(blob);
    match r.string().unwrap_or(b"") {
        b"ssh-rsa" => 1,
        b"ssh-dss" => 2,
        b"ecdsa-sha2-nistp256" => 3,
        b"ecdsa-sha2-nistp384" => 4,
        b"ecdsa-sha2-nistp521" => 5,
        b"ssh-ed25519" => 6,
        _ => 0,
    }
}

/// Returns the server's host key blob, its length and type.
///
/// # Safety
/// `session` must be a live session; out-pointers null or writable.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_hostkey(
    session: *mut LIBSSH2_SESSION,
    len: *mut usize,
    typ: *mut c_int,
) -> *const c_char {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let key = h.sess.host_key().map(<[u8]>::to_vec);
            write_out(len, key.as_ref().map_or(0, Vec::len));
            let Some(key) = key else { return Ok(ptr::null()) };
            write_out(typ, hostkey_type(&key));
            Ok(h.sess.host_key().map_or(ptr::null(), |k| k.as_ptr().cast()))
        })
    }
}

/// Returns the MD5 (1), SHA1 (2) or SHA256 (3) hash of the server's host key.
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_hostkey_hash(session: *mut LIBSSH2_SESSION, hash_type: c_int) -> *const c_char {
    use sha1::Digest;
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            let Some(key) = h.sess.host_key() else { return Ok(ptr::null()) };
            let digest: Vec<u8> = match hash_type {
                1 => md5::Md5::digest(key).to_vec(),
                2 => sha1::Sha1::digest(key).to_vec(),
                3 => sha2::Sha256::digest(key).to_vec(),
                _ => return Ok(ptr::null()),
            };
            h.hostkey_hashes[(hash_type - 1) as usize] = digest;
            Ok(h.hostkey_hashes[(hash_type - 1) as usize].as_ptr().cast())
        })
    }
}

/// Returns the negotiated algorithm of a LIBSSH2_METHOD_* slot.
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_methods(session: *mut LIBSSH2_SESSION, method_type: c_int) -> *const c_char {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            if !(0..10).contains(&method_type) {
                return Err(Error::new(code::INVAL, "Invalid parameter specified for method_type"));
            }
            // No language is ever negotiated: libssh2 answers "" for both slots, in any state.
            if method_type == method::LANG_CS || method_type == method::LANG_SC {
                return Ok(h.stable_cstr(b""));
            }
            let Some(name) = h.sess.method(method_type as usize).map(|s| s.as_bytes().to_vec()) else {
                return Err(Error::new(code::METHOD_NONE, "No method negotiated"));
            };
            Ok(h.stable_cstr(&name))
        })
    }
}

/// Sets the preferred algorithms for a LIBSSH2_METHOD_* slot.
///
/// # Safety
/// `session` must be a live session; `prefs` a C string.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_method_pref(
    session: *mut LIBSSH2_SESSION,
    method_type: c_int,
    prefs: *const c_char,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let Some(p) = cstr(prefs) else { return Err(Error::new(code::INVAL, "NULL preference list")) };
            let p = String::from_utf8_lossy(p).into_owned();
            let m = usize::try_from(method_type)
                .map_err(|_| Error::new(code::INVAL, "Invalid parameter specified for method_type"))?;
            h.sess.set_method_pref(m, &p)?;
            Ok(0)
        })
    }
}

/// Lists the algorithms supported for a slot; the array comes from the
/// session allocator (free it with `libssh2_free`), the strings are static.
///
/// # Safety
/// `session` must be a live session; `algs` writable or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_supported_algs(
    session: *mut LIBSSH2_SESSION,
    method_type: c_int,
    algs: *mut *mut *const c_char,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            null_check!(Err(Error::new(code::BAD_USE, "algs must not be NULL")); algs);
            let list = h.sess.supported(usize::try_from(method_type).unwrap_or(usize::MAX))?;
            let ab = h.abstract_ptr();
            let arr = h.alloc.alloc(list.len() * std::mem::size_of::<*const c_char>(), ab).cast::<*const c_char>();
            null_check!(Err(Error::new(code::ALLOC, "Memory allocation failed")); arr);
            for (i, name) in list.iter().enumerate() {
                *arr.add(i) = super::static_cstr(name);
            }
            *algs = arr;
            Ok(list.len() as c_int)
        })
    }
}

/// Returns which directions the last would-block was waiting on.
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_session_block_directions(session: *mut LIBSSH2_SESSION) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_session(session, |h| Ok(h.sess.block_dirs)) }
}

/// Configures keepalives: every `interval` seconds (0: off; minimum 2).
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn libssh2_keepalive_config(session: *mut LIBSSH2_SESSION, want_reply: c_int, interval: c_uint) {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |h| {
            h.sess.keepalive_interval = if interval == 1 { 2 } else { interval };
            h.sess.keepalive_want_reply = want_reply != 0;
            Ok(())
        })
    }
}

/// Sends a keepalive if due; stores seconds until the next in `seconds_to_next`.
///
/// # Safety
/// `session` must be a live session; `seconds_to_next` writable or null.
#[no_mangle]
pub unsafe extern "C" fn libssh2_keepalive_send(session: *mut LIBSSH2_SESSION, seconds_to_next: *mut c_int) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let n = h.sess.keepalive_send()?;
            write_out(seconds_to_next, n as c_int);
            Ok(0)
        })
    }
}
