//! `libssh2_agent_*`: ssh-agent access. `LIBSSH2_AGENT *` is a boxed `AgentHandle`;
//! the identities handed out (`struct libssh2_agent_publickey`, with their blob and
//! comment memory) belong to it and stay valid until the next
//! `libssh2_agent_list_identities` or `libssh2_agent_free`.

use crate::null_check;
use std::ffi::{c_char, c_int, c_uint, CString};
use std::ptr;

use super::boundary::guard_plain;
use super::handle::{cstr, slice, with_child, with_session, LIBSSH2_SESSION};
use super::types::libssh2_agent_publickey;
use crate::agent::Agent;
use crate::error::{code, Error};

/// The `magic` libssh2 stamps on the identities it hands out.
pub const AGENT_PUBLICKEY_MAGIC: c_uint = 0x3bde_fed2;

/// One identity as C sees it, with the memory its pointers refer to.
struct CIdentity {
    /// What the application receives a pointer to (boxed: its address must not move).
    ext: Box<libssh2_agent_publickey>,
    /// The key blob `ext.blob` points into.
    blob: Box<[u8]>,
    /// The comment `ext.comment` points at.
    _comment: CString,
}

/// What C holds as `LIBSSH2_AGENT *`.
pub struct AgentHandle {
    session: *mut LIBSSH2_SESSION,
    agent: Agent,
    identities: Vec<CIdentity>,
    path: Option<CString>,
}

/// The C name of the agent type.
#[allow(non_camel_case_types)]
pub type LIBSSH2_AGENT = AgentHandle;

impl AgentHandle {
    /// Rebuilds the C view of the agent's identities.
    fn refresh_identities(&mut self) {
        self.identities = self
            .agent
            .identities()
            .iter()
            .map(|id| {
                let mut blob: Box<[u8]> = id.blob.clone().into_boxed_slice();
                let clean: Vec<u8> = id.comment.iter().copied().filter(|&b| b != 0).collect();
                let comment = CString::new(clean).unwrap_or_default();
                let ext = Box::new(libssh2_agent_publickey {
                    magic: AGENT_PUBLICKEY_MAGIC,
                    node: ptr::null_mut(),
                    blob: blob.as_mut_ptr(),
                    blob_len: blob.len(),
                    comment: comment.as_ptr() as *mut c_char,
                });
                CIdentity { ext, blob, _comment: comment }
            })
            .collect();
        for c in &mut self.identities {
            let me: *mut libssh2_agent_publickey = &mut *c.ext;
            c.ext.node = me.cast();
        }
    }

    /// Index of an identity pointer we handed out.
    fn index_of(&self, id: *const libssh2_agent_publickey) -> Option<usize> {
        self.identities.iter().position(|c| ptr::eq(&*c.ext, id))
    }
}

crate::session_child!(AgentHandle, "NULL agent");

/// Creates an agent handle for `session`.
///
/// # Safety
/// `session` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_agent_init(session: *mut LIBSSH2_SESSION) -> *mut LIBSSH2_AGENT {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_session(session, |_| {
            let h = AgentHandle { session, agent: Agent::new(), identities: Vec::new(), path: None };
            Ok(Box::into_raw(Box::new(h)))
        })
    }
}

/// Connects to the agent (the identity path if set, else `SSH_AUTH_SOCK`).
///
/// # Safety
/// `agent` from `libssh2_agent_init`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_agent_connect(agent: *mut LIBSSH2_AGENT) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_child(agent, |_, a| {
            a.agent.connect()?;
            Ok(0)
        })
    }
}

/// Asks the agent for its identities (replacing any listed before).
///
/// # Safety
/// `agent` from `libssh2_agent_init`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_agent_list_identities(agent: *mut LIBSSH2_AGENT) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_child(agent, |_, a| {
            let r = a.agent.list_identities();
            a.refresh_identities();
            r?;
            Ok(0)
        })
    }
}

/// Iterates the identities: `prev` NULL gives the first; returns 0 with `*store` set,
/// 1 after the last, negative on error.
///
/// # Safety
/// `agent` from `libssh2_agent_init`; `store` writable; `prev` NULL or from this agent.
#[no_mangle]
pub unsafe extern "C" fn libssh2_agent_get_identity(
    agent: *mut LIBSSH2_AGENT,
    store: *mut *mut libssh2_agent_publickey,
    prev: *mut libssh2_agent_publickey,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(agent, |_, a| {
            null_check!(Err(Error::new(code::INVAL, "NULL store pointer")); store);
            let next = if prev.is_null() {
                0
            } else {
                // An identity we do not know (stale or foreign) ends the walk.
                match a.index_of(prev) {
                    Some(i) => i + 1,
                    None => return Ok(1),
                }
            };
            match a.identities.get_mut(next) {
                Some(c) => {
                    *store = &mut *c.ext;
                    Ok(0)
                }
                None => Ok(1),
            }
        })
    }
}

/// Public key authentication as `username` with an agent-held identity.
///
/// # Safety
/// `agent` from `libssh2_agent_init`; `username` NUL-terminated; `identity` from this agent.
#[no_mangle]
pub unsafe extern "C" fn libssh2_agent_userauth(
    agent: *mut LIBSSH2_AGENT,
    username: *const c_char,
    identity: *mut libssh2_agent_publickey,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(agent, |h, a| {
            let user = cstr(username).ok_or(Error::new(code::INVAL, "NULL username"))?;
            let i = a.index_of(identity).ok_or(Error::new(code::BAD_USE, "Unknown agent identity"))?;
            let blob = a.identities[i].blob.to_vec();
            a.agent.userauth(&mut h.sess, user, &blob)?;
            Ok(0)
        })
    }
}

/// Signs `data` with an agent-held identity using signature algorithm `method`; the
/// raw signature goes to `*sig` (session allocator, freed by the caller) and `*s_len`.
///
/// # Safety
/// `agent` from `libssh2_agent_init`; `identity` from this agent; buffers readable.
#[no_mangle]
pub unsafe extern "C" fn libssh2_agent_sign(
    agent: *mut LIBSSH2_AGENT,
    identity: *mut libssh2_agent_publickey,
    sig: *mut *mut u8,
    s_len: *mut usize,
    data: *const u8,
    d_len: usize,
    method: *const c_char,
    method_len: c_uint,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_child(agent, |h, a| {
            null_check!(Err(Error::new(code::INVAL, "NULL signature pointer")); sig, s_len);
            let i = a.index_of(identity).ok_or(Error::new(code::BAD_USE, "Unknown agent identity"))?;
            let blob = a.identities[i].blob.to_vec();
            if blob.len() < 4 {
                return Err(Error::new(code::BUFFER_TOO_SMALL, "Identity blob too short"));
            }
            let method = slice(method, method_len as usize)?;
            let method =
                std::str::from_utf8(method).map_err(|_| Error::new(code::INVAL, "Signature method is not text"))?;
            let raw = a.agent.sign(&blob, slice(data.cast(), d_len)?, method)?;
            *sig = h.alloc_copy(&raw)?.cast();
            *s_len = raw.len();
            Ok(0)
        })
    }
}

/// Closes the agent connection.
///
/// # Safety
/// `agent` from `libssh2_agent_init`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_agent_disconnect(agent: *mut LIBSSH2_AGENT) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe {
        with_child(agent, |_, a| {
            a.agent.disconnect()?;
            Ok(0)
        })
    }
}

/// Frees the handle, its connection and its identities.
///
/// # Safety
/// `agent` from `libssh2_agent_init`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn libssh2_agent_free(agent: *mut LIBSSH2_AGENT) {
    if agent.is_null() {
        return;
    }
    guard_plain(|| {
        // SAFETY: the caller hands the box back; nothing uses it afterwards.
        drop(unsafe { Box::from_raw(agent) });
    })
}

/// Sets the agent socket path used instead of `SSH_AUTH_SOCK` (NULL: unset).
///
/// # Safety
/// `agent` from `libssh2_agent_init`; `path` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn libssh2_agent_set_identity_path(agent: *mut LIBSSH2_AGENT, path: *const c_char) {
    // SAFETY: the caller guarantees the pointers.
    let Some(a) = (unsafe { agent.as_mut() }) else { return };
    // SAFETY: as above.
    let p = unsafe { cstr(path) };
    a.agent.set_identity_path(p);
    a.path = p.and_then(|p| CString::new(p).ok());
}

/// The path set with `libssh2_agent_set_identity_path`, or NULL.
///
/// # Safety
/// `agent` from `libssh2_agent_init`.
#[no_mangle]
pub unsafe extern "C" fn libssh2_agent_get_identity_path(agent: *mut LIBSSH2_AGENT) -> *const c_char {
    // SAFETY: the caller guarantees the pointer.
    match unsafe { agent.as_ref() } {
        Some(a) => a.path.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
        None => ptr::null(),
    }
}
