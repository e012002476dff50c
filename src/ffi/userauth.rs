//! `libssh2_userauth_*`.

use crate::null_check;
use std::ffi::{c_char, c_int, c_uint, c_void};
use std::os::unix::ffi::OsStrExt;
use std::ptr;

use super::boundary::write_out;
use super::handle::{cstr, slice, with_session, CallerMem, SessionHandle, LIBSSH2_SESSION};
use super::types::{LIBSSH2_SK_SIG_INFO, LIBSSH2_USERAUTH_KBDINT_PROMPT, LIBSSH2_USERAUTH_KBDINT_RESPONSE};
use crate::error::{code, Error, Result};
use crate::keys::{self, PrivateKey};
use crate::session::auth::Prompt;
use crate::session::driver::{Pending, Ready, Step};
use crate::session::sk::{self, SkKey};
use crate::session::Session;
use zeroize::{Zeroize, Zeroizing};

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
fn take_caller_buf(mem: CallerMem, p: *mut c_void, len: usize) -> Vec<u8> {
    null_check!(Vec::new(); p);
    // SAFETY: the application promises p holds len bytes from the session allocator.
    let v = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }.to_vec();
    mem.free(p);
    v
}

/// Like `take_caller_buf` for secrets (passwords, answers): the application's copy is
/// wiped before it is freed and ours is zeroized on drop.
fn take_caller_secret(mem: CallerMem, p: *mut c_void, len: usize) -> Zeroizing<Vec<u8>> {
    null_check!(Zeroizing::new(Vec::new()); p);
    // SAFETY: the application promises p holds len writable bytes from the session allocator.
    let buf = unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), len) };
    let v = Zeroizing::new(buf.to_vec());
    buf.zeroize();
    mem.free(p);
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
            let Some(b) = h.sess.userauth_banner.clone() else {
                return Err(Error::new(code::MISSING_USERAUTH_BANNER, "Missing userauth banner"));
            };
            // libssh2 accepts a NULL out-pointer (it only reports that a banner exists).
            write_out(banner, h.stable_cstr(&b) as *mut c_char);
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
            let mem = h.caller_mem();
            let mut change = |_prompt: &[u8]| -> Option<Vec<u8>> {
                let f = passwd_change_cb?;
                let (mut p, mut n): (*mut c_char, c_int) = (ptr::null_mut(), 0);
                // We pass the abstract slot's address, as libssh2 does.
                f(session, &mut p, &mut n, mem.abstract_);
                null_check!(None; p);
                Some(take_caller_secret(mem, p.cast(), n.max(0) as usize).to_vec())
            };
            let cb: Option<&mut crate::session::auth::PasswordChange<'_>> =
                if passwd_change_cb.is_some() { Some(&mut change) } else { None };
            h.sess.userauth_password(user, &pass, cb)?;
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
            let mem = h.caller_mem();
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
                // As libssh2: NUL-terminated copies, NULL for an empty name or instruction.
                let (name_c, instr_c) = (nul_terminated(name), nul_terminated(instr));
                let c_ptr = |v: &Option<Vec<u8>>| v.as_ref().map_or(ptr::null(), |v| v.as_ptr().cast());
                f(
                    c_ptr(&name_c),
                    name.len() as c_int,
                    c_ptr(&instr_c),
                    instr.len() as c_int,
                    prompts.len() as c_int,
                    cp.as_mut_ptr(),
                    resp.as_mut_ptr(),
                    mem.abstract_,
                );
                resp.iter().map(|r| take_caller_secret(mem, r.text.cast(), r.length as usize).to_vec()).collect()
            };
            h.sess.userauth_keyboard_interactive(user, &mut respond)?;
            Ok(0)
        })
    }
}

/// A NUL-terminated copy of `b`, or None when it is empty.
fn nul_terminated(b: &[u8]) -> Option<Vec<u8>> {
    (!b.is_empty()).then(|| b.iter().copied().chain([0]).collect())
}

/// libssh2's prefix for a private key that yields no public key.
const NO_PUBLIC_KEY: &str = "Unable to extract public key from private key file: ";

/// libssh2's error for a key file it cannot derive the public key from: unopenable,
/// or anything else (wrong passphrase included) as one message.
fn file_key_error(e: Error) -> Error {
    let why = if e.msg == "Unable to open private key file" {
        "Unable to open private key file"
    } else {
        "Wrong passphrase or invalid/unrecognized private key file format"
    };
    Error::with(code::FILE, format!("{NO_PUBLIC_KEY}{why}"))
}

/// libssh2's error for in-memory key data it cannot derive the public key from:
/// FILE for every cause, a wrong or missing passphrase included (as the
/// reference library reports it).
fn memory_key_error(_: Error) -> Error {
    Error::with(code::FILE, format!("{NO_PUBLIC_KEY}Unsupported private key file format"))
}

/// The caller's passphrase, read only when the key format asks for it (a
/// program may pass a dangling pointer for a key that is not encrypted).
///
/// # Safety
/// `p` null or a NUL-terminated string, whenever the key loader calls this.
unsafe fn lazy_passphrase(p: *const c_char) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    // SAFETY: the caller of the shim guarantees the pointer when it is read.
    unsafe { cstr(p) }.map(|b| zeroize::Zeroizing::new(b.to_vec()))
}

/// Where the private key comes from and when it is read: with a public key given,
/// libssh2 reads the private key only when the server accepted the public one, so a
/// bad private key then fails the signing step ("Callback returned error").
enum KeySource<'a> {
    /// Already loaded (no public key was given: the blob came from the private key).
    Loaded(Box<PrivateKey>),
    /// Read on first use.
    Deferred(&'a dyn Fn() -> Result<PrivateKey>),
}

fn auth_with_key(h: &mut SessionHandle, user: &[u8], blob: Vec<u8>, mut key: KeySource<'_>) -> Result<()> {
    h.sess.userauth_publickey(user, &blob, &mut |alg, data| {
        if let KeySource::Deferred(load) = key {
            key = KeySource::Loaded(Box::new(load()?));
        }
        match &key {
            KeySource::Loaded(k) => Session::sign_with(k, alg, data).map(Ready),
            KeySource::Deferred(_) => Err(Error::new(code::FILE, "Unable to initialize private key")),
        }
    })
}

/// Reads and parses a public key file (libssh2's errors and messages).
fn read_public_key_file(path: &[u8]) -> Result<Vec<u8>> {
    use std::io::Read;
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
    let file = std::fs::File::open(path).map_err(|_| Error::new(code::FILE, "Unable to open public key file"))?;
    let mut data = Vec::new();
    file.take(keys::MAX_PUBLIC_KEY_FILE as u64 + 1)
        .read_to_end(&mut data)
        .map_err(|_| Error::new(code::FILE, "Unable to read public key from file"))?;
    Ok(keys::parse_public_key_file(&data)?.1)
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
                return Err(Error::new(code::FILE, "Unable to open private key file"));
            };
            let path = std::path::Path::new(std::ffi::OsStr::from_bytes(privpath));
            let pass = || lazy_passphrase(passphrase);
            let load = || {
                PrivateKey::from_file_lazy(path, &pass)
                    .map_err(|_| Error::new(code::FILE, "Unable to initialize private key from file"))
            };
            match cstr(publickey) {
                Some(p) => {
                    let blob = read_public_key_file(p)?;
                    auth_with_key(h, user, blob, KeySource::Deferred(&load))?;
                }
                None => {
                    let key = PrivateKey::from_file_lazy(path, &pass).map_err(file_key_error)?;
                    auth_with_key(h, user, key.public_blob(), KeySource::Loaded(Box::new(key)))?;
                }
            }
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
            let pass = || lazy_passphrase(passphrase);
            let pubdata = slice(publickeyfiledata, publickeyfiledata_len)?;
            let load = || {
                PrivateKey::from_memory_lazy(privdata, &pass)
                    .map_err(|_| Error::new(code::FILE, "Unable to initialize private key from memory"))
            };
            if !pubdata.is_empty() {
                let blob = keys::parse_public_key_file(pubdata)?.1;
                auth_with_key(h, user, blob, KeySource::Deferred(&load))?;
            } else if !privdata.is_empty() {
                let key = PrivateKey::from_memory_lazy(privdata, &pass).map_err(memory_key_error)?;
                auth_with_key(h, user, key.public_blob(), KeySource::Loaded(Box::new(key)))?;
            } else {
                return Err(Error::new(code::FILE, "Invalid data in public and private key."));
            }
            Ok(0)
        })
    }
}

/// Host-based authentication with the client host's key files (public key file
/// optional), claiming `hostname` and the client-side user `local_username`.
///
/// # Safety
/// `session` live; strings readable for their lengths; paths NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn libssh2_userauth_hostbased_fromfile_ex(
    session: *mut LIBSSH2_SESSION,
    username: *const c_char,
    username_len: c_uint,
    publickey: *const c_char,
    privatekey: *const c_char,
    passphrase: *const c_char,
    hostname: *const c_char,
    hostname_len: c_uint,
    local_username: *const c_char,
    local_username_len: c_uint,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let user = slice(username, username_len as usize)?;
            let host = slice(hostname, hostname_len as usize)?;
            let local = slice(local_username, local_username_len as usize)?;
            let Some(privpath) = cstr(privatekey) else {
                return Err(Error::new(code::FILE, "Unable to open private key file"));
            };
            let path = std::path::Path::new(std::ffi::OsStr::from_bytes(privpath));
            // libssh2 reads both files before sending anything.
            let key = PrivateKey::from_file_lazy(path, &|| lazy_passphrase(passphrase)).map_err(file_key_error)?;
            let blob = match cstr(publickey) {
                Some(p) => read_public_key_file(p)?,
                None => key.public_blob(),
            };
            h.sess
                .userauth_hostbased(user, &blob, host, local, &mut |alg, data| Session::sign_with(&key, alg, data))?;
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
            let mem = h.caller_mem();
            let mut sign = |_alg: &str, data: &[u8]| -> Result<Step<Vec<u8>>> {
                let (mut sig, mut len): (*mut u8, usize) = (ptr::null_mut(), 0);
                let rc = f(session, &mut sig, &mut len, data.as_ptr(), data.len(), abstract_);
                // libssh2 calls a callback that would block again; any other
                // code (TIMEOUT too) fails the attempt.
                if rc == code::EAGAIN {
                    return Ok(Pending);
                }
                if rc != 0 {
                    return Err(Error::new(rc, "Callback returned error"));
                }
                Ok(Ready(take_caller_buf(mem, sig.cast(), len)))
            };
            h.sess.userauth_publickey(user, &blob, &mut sign)?;
            Ok(0)
        })
    }
}

/// Calls the application's security-key callback and builds the signature from its
/// answer. The callback allocates `sig_r`/`sig_s` with the session allocator; we free them.
///
/// # Safety
/// `session` the live session `mem` belongs to; `f` a valid callback; `abstract_` as
/// the application passed it.
unsafe fn sk_sign(
    session: *mut LIBSSH2_SESSION,
    mem: CallerMem,
    f: SkSignFn,
    key: &SkKey,
    app: &std::ffi::CStr,
    data: &[u8],
    abstract_: *mut *mut c_void,
) -> Result<Vec<u8>> {
    if key.key_handle.is_empty() {
        return Err(Error::new(code::DECRYPT, "No security key handle"));
    }
    let mut info = LIBSSH2_SK_SIG_INFO {
        flags: 0,
        counter: 0,
        sig_r: ptr::null_mut(),
        sig_r_len: 0,
        sig_s: ptr::null_mut(),
        sig_s_len: 0,
    };
    // SAFETY: every pointer is live for the call; the callback fills `info`.
    let rc = unsafe {
        f(
            session,
            &mut info,
            data.as_ptr(),
            data.len(),
            key.algorithm,
            key.flags,
            app.as_ptr(),
            key.key_handle.as_ptr(),
            key.key_handle.len(),
            abstract_,
        )
    };
    // The buffers came from the session allocator (or are null).
    let r = take_caller_buf(mem, info.sig_r.cast(), info.sig_r_len);
    let s = take_caller_buf(mem, info.sig_s.cast(), info.sig_s_len);
    if rc != 0 || r.is_empty() {
        return Err(Error::new(code::DECRYPT, "sign_callback failed or returned invalid signature."));
    }
    Ok(sk::sk_signature(&r, (!s.is_empty()).then_some(&s[..]), info.flags, info.counter))
}

/// `LIBSSH2_USERAUTH_SK_SIGN_FUNC`, non-optional.
type SkSignFn = unsafe extern "C" fn(
    *mut LIBSSH2_SESSION,
    *mut LIBSSH2_SK_SIG_INFO,
    *const u8,
    usize,
    c_int,
    u8,
    *const c_char,
    *const u8,
    usize,
    *mut *mut c_void,
) -> c_int;

/// Public key authentication with a FIDO security key (sk-ssh-ed25519@openssh.com or
/// sk-ecdsa-sha2-nistp256@openssh.com) whose OpenSSH key file is in memory; the
/// application's `sign_callback` talks to the authenticator.
///
/// # Safety
/// `session` live; buffers readable for their lengths; `sign_callback` valid.
#[no_mangle]
pub unsafe extern "C" fn libssh2_userauth_publickey_sk(
    session: *mut LIBSSH2_SESSION,
    username: *const c_char,
    username_len: usize,
    pubkeydata: *const u8,
    pubkeydata_len: usize,
    privatekeydata: *const c_char,
    privatekeydata_len: usize,
    _passphrase: *const c_char,
    sign_callback: Option<SkSignFn>,
    abstract_: *mut *mut c_void,
) -> c_int {
    // SAFETY: the caller guarantees the pointers.
    unsafe {
        with_session(session, |h| {
            let user = slice(username, username_len)?;
            let privdata = slice(privatekeydata, privatekeydata_len)?;
            if privdata.is_empty() {
                return Err(Error::new(code::FILE, "Invalid data in public and private key."));
            }
            let key = sk::parse_sk_private_key(privdata)?;
            let pubdata = slice(pubkeydata.cast(), pubkeydata_len)?;
            let blob = if pubdata.is_empty() { key.blob.clone() } else { keys::parse_public_key_file(pubdata)?.1 };
            let Some(f) = sign_callback else { return Err(Error::new(code::INVAL, "No sign callback")) };
            let app = std::ffi::CString::new(key.application.clone())
                .map_err(|_| Error::new(code::FILE, "Unable to extract public key from private key."))?;
            let mem = h.caller_mem();
            let mut sign = |_alg: &str, data: &[u8]| sk_sign(session, mem, f, &key, &app, data, abstract_).map(Ready);
            h.sess.userauth_publickey(user, &blob, &mut sign)?;
            Ok(0)
        })
    }
}
