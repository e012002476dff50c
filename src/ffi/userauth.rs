//! `libssh2_userauth_*`.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::ptr;

use super::handle::{cstr, slice, with_session, SessionHandle, LIBSSH2_SESSION};
use super::types::{LIBSSH2_USERAUTH_KBDINT_PROMPT, LIBSSH2_USERAUTH_KBDINT_RESPONSE};
use crate::error::{code, Error, Result};
use crate::keys::{self, PrivateKey};
use crate::session::auth::Prompt;
use crate::session::Session;

/// `LIBSSH2_PASSWD_CHANGEREQ_FUNC`.
type PasswdChangeFn = unsafe extern "C" fn(*mut LIBSSH2_SESSION, *mut *mut c_char, *mut c_int, *mut *mut c_void);
/// `LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC`.
type KbdintFn = unsafe extern "C" fn(
    *const c_char,
    c_int,
    *const c_char,
    c_int,
    c_int,
    *const LIBSSH2_USERAUTH_KBDINT_PROMPT,
    *mut LIBSSH2_USERAUTH_KBDINT_RESPONSE,
    *mut *mut c_void,
);
/// `LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC`.
type SignFn =
    unsafe extern "C" fn(*mut LIBSSH2_SESSION, *mut *mut u8, *mut usize, *const u8, usize, *mut *mut c_void) -> c_int;

/// Takes back memory the application allocated with the session allocator.
fn take_caller_buf(h: &mut SessionHandle, p: *mut c_void, len: usize) -> Vec<u8> {
    if p.is_null() {
        return Vec::new();
    }
    // SAFETY: the application promises p holds len bytes from the session allocator.
    let v = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }.to_vec();
    let ab = h.abstract_ptr();
    h.alloc.free(p, ab);
    v
}

/// Lists the authentication methods the server accepts for `username`.
///
/// # Safety
/// `session` live; `username` readable for `username_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn libssh2_userauth_list(
    session: *mut LIBSSH2_SESSION,
    username: *const c_char,
    username_len: c_uint,
) -> *mut c_char {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let user = slice(username, username_len as usize)?;
            match h.sess.userauth_list(user)? {
                None => Ok(ptr::null_mut()),
                Some(m) => Ok(h.stable_cstr(m.as_bytes()) as *mut c_char),
            }
        })
    }
}

/// 1 if the session is authenticated.
///
/// # Safety
/// `session` live.
#[no_mangle]
pub unsafe extern "C" fn libssh2_userauth_authenticated(session: *mut LIBSSH2_SESSION) -> c_int {
    // SAFETY: the caller guarantees the pointer.
    unsafe { with_session(session, |h| Ok(h.sess.authenticated as c_int)) }
}

/// The server's SSH_MSG_USERAUTH_BANNER text, owned by the session.
///
/// # Safety
/// `session` live; `banner` writable.
#[no_mangle]
pub unsafe extern "C" fn libssh2_userauth_banner(session: *mut LIBSSH2_SESSION, banner: *mut *mut c_char) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            if banner.is_null() {
                return Err(Error::new(code::INVAL, "NULL banner pointer"));
            }
            let Some(b) = h.sess.userauth_banner.clone() else {
                return Err(Error::new(code::MISSING_USERAUTH_BANNER, "Missing userauth banner"));
            };
            *banner = h.stable_cstr(&b) as *mut c_char;
            Ok(0)
        })
    }
}

/// Password authentication, with an optional password-change callback.
///
/// # Safety
/// `session` live; strings readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn libssh2_userauth_password_ex(
    session: *mut LIBSSH2_SESSION,
    username: *const c_char,
    username_len: c_uint,
    password: *const c_char,
    password_len: c_uint,
    passwd_change_cb: Option<PasswdChangeFn>,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let user = slice(username, username_len as usize)?;
            let pass = zeroize::Zeroizing::new(slice(password, password_len as usize)?.to_vec());
            let hp: *mut SessionHandle = h;
            let mut change = |_prompt: &[u8]| -> Option<Vec<u8>> {
                let f = passwd_change_cb?;
                let (mut p, mut n): (*mut c_char, c_int) = (ptr::null_mut(), 0);
                // SAFETY: hp is live; we pass the abstract slot's address as libssh2 does.
                let ab = ptr::addr_of_mut!((*hp).abstract_);
                f(session, &mut p, &mut n, ab);
                if p.is_null() {
                    return None;
                }
                Some(take_caller_buf(&mut *hp, p.cast(), n.max(0) as usize))
            };
            let cb: Option<&mut crate::session::auth::PasswordChange<'_>> =
                if passwd_change_cb.is_some() { Some(&mut change) } else { None };
            (*hp).sess.userauth_password(user, &pass, cb)?;
            Ok(0)
        })
    }
}

/// Keyboard-interactive authentication through `response_callback`.
///
/// # Safety
/// `session` live; `username` readable for `username_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn libssh2_userauth_keyboard_interactive_ex(
    session: *mut LIBSSH2_SESSION,
    username: *const c_char,
    username_len: c_uint,
    response_callback: Option<KbdintFn>,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let user = slice(username, username_len as usize)?;
            let Some(f) = response_callback else {
                return Err(Error::new(code::INVAL, "No response callback"));
            };
            let hp: *mut SessionHandle = h;
            let mut respond = |name: &[u8], instr: &[u8], prompts: &[Prompt]| -> Vec<Vec<u8>> {
                let mut cp: Vec<LIBSSH2_USERAUTH_KBDINT_PROMPT> = prompts
                    .iter()
                    .map(|p| LIBSSH2_USERAUTH_KBDINT_PROMPT {
                        text: p.text.as_ptr() as *mut u8,
                        length: p.text.len(),
                        echo: p.echo as u8,
                    })
                    .collect();
                let mut resp =
                    vec![LIBSSH2_USERAUTH_KBDINT_RESPONSE { text: ptr::null_mut(), length: 0 }; prompts.len()];
                let ab = ptr::addr_of_mut!((*hp).abstract_);
                f(
                    name.as_ptr().cast(),
                    name.len() as c_int,
                    instr.as_ptr().cast(),
                    instr.len() as c_int,
                    prompts.len() as c_int,
                    cp.as_mut_ptr(),
                    resp.as_mut_ptr(),
                    ab,
                );
                resp.iter().map(|r| take_caller_buf(&mut *hp, r.text.cast(), r.length as usize)).collect()
            };
            (*hp).sess.userauth_keyboard_interactive(user, &mut respond)?;
            Ok(0)
        })
    }
}

fn load_key_error(e: Error) -> Error {
    if e.code == code::EAGAIN {
        e
    } else {
        Error::with(
            if e.code == code::FILE || e.code == code::KEYFILE_AUTH_FAILED { e.code } else { code::FILE },
            format!("Unable to extract public key from private key file: {}", e.msg),
        )
    }
}

fn auth_with_key(h: &mut SessionHandle, user: &[u8], blob: Option<Vec<u8>>, key: &PrivateKey) -> Result<()> {
    let blob = blob.unwrap_or_else(|| key.public_blob());
    h.sess.userauth_publickey(user, &blob, &mut |alg, data| Session::sign_with(key, alg, data))
}

/// Public key authentication from key files (public key file optional).
///
/// # Safety
/// `session` live; strings readable; paths NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn libssh2_userauth_publickey_fromfile_ex(
    session: *mut LIBSSH2_SESSION,
    username: *const c_char,
    username_len: c_uint,
    publickey: *const c_char,
    privatekey: *const c_char,
    passphrase: *const c_char,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let user = slice(username, username_len as usize)?;
            let Some(privpath) = cstr(privatekey) else {
                return Err(Error::new(code::FILE, "No private key file given"));
            };
            let path = std::path::Path::new(std::ffi::OsStr::from_encoded_bytes_unchecked(privpath));
            let pass = cstr(passphrase).filter(|p| !p.is_empty());
            let key = PrivateKey::from_file(path, pass).map_err(load_key_error)?;
            let blob = match cstr(publickey) {
                Some(p) => {
                    let data = std::fs::read(std::ffi::OsStr::from_encoded_bytes_unchecked(p))
                        .map_err(|_| Error::new(code::FILE, "Unable to open public key file"))?;
                    Some(keys::parse_public_key_file(&data)?.1)
                }
                None => None,
            };
            auth_with_key(h, user, blob, &key)?;
            Ok(0)
        })
    }
}

/// Public key authentication from keys held in memory.
///
/// # Safety
/// `session` live; buffers readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn libssh2_userauth_publickey_frommemory(
    session: *mut LIBSSH2_SESSION,
    username: *const c_char,
    username_len: usize,
    publickeyfiledata: *const c_char,
    publickeyfiledata_len: usize,
    privatekeyfiledata: *const c_char,
    privatekeyfiledata_len: usize,
    passphrase: *const c_char,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let user = slice(username, username_len)?;
            let privdata = slice(privatekeyfiledata, privatekeyfiledata_len)?;
            let pass = cstr(passphrase).filter(|p| !p.is_empty());
            let key = PrivateKey::from_memory(privdata, pass).map_err(load_key_error)?;
            let pubdata = slice(publickeyfiledata, publickeyfiledata_len)?;
            let blob = if pubdata.is_empty() { None } else { Some(keys::parse_public_key_file(pubdata)?.1) };
            auth_with_key(h, user, blob, &key)?;
            Ok(0)
        })
    }
}

/// Public key authentication where the application signs.
///
/// # Safety
/// `session` live; buffers readable; `sign_callback` a valid signer.
#[no_mangle]
pub unsafe extern "C" fn libssh2_userauth_publickey(
    session: *mut LIBSSH2_SESSION,
    username: *const c_char,
    pubkeydata: *const u8,
    pubkeydata_len: usize,
    sign_callback: Option<SignFn>,
    abstract_: *mut *mut c_void,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let user = cstr(username).ok_or(Error::new(code::INVAL, "NULL username"))?;
            let blob = slice(pubkeydata.cast(), pubkeydata_len)?.to_vec();
            let Some(f) = sign_callback else { return Err(Error::new(code::INVAL, "No sign callback")) };
            let hp: *mut SessionHandle = h;
            let mut sign = |_alg: &str, data: &[u8]| -> Result<Vec<u8>> {
                let (mut sig, mut len): (*mut u8, usize) = (ptr::null_mut(), 0);
                let rc = f(session, &mut sig, &mut len, data.as_ptr(), data.len(), abstract_);
                if rc != 0 {
                    return Err(Error::new(rc, "Callback returned error"));
                }
                Ok(take_caller_buf(&mut *hp, sig.cast(), len))
            };
            (*hp).sess.userauth_publickey(user, &blob, &mut sign)?;
            Ok(0)
        })
    }
}
