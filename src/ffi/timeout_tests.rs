//! A blocking call with `libssh2_session_set_timeout(T)` gives up within T
//! however many sub-steps it has (channel open, request, handshake): tests
//! on a fake clock (`Timeline`), through the C entry points.

use std::ffi::c_long;
use std::ptr;

use super::channel::{libssh2_channel_free, libssh2_channel_open_ex};
use super::handle::LIBSSH2_SESSION;
use super::publickey::{libssh2_publickey_init, libssh2_publickey_shutdown};
use super::scp::libssh2_scp_recv2;
use super::session::libssh2_session_set_timeout;
use super::session::{libssh2_session_free, libssh2_session_init_ex, libssh2_session_last_errno};
use super::sftp::{libssh2_sftp_close_handle, libssh2_sftp_init, libssh2_sftp_open_ex, libssh2_sftp_shutdown};
use crate::error::code;
use crate::proto::msg;
use crate::proto::wire::Writer;
use crate::session::fuzzing::Timeline;
use crate::session::Session;

/// The session timeout the tests set, in ms.
const TIMEOUT_MS: u64 = 1000;
/// How long the scripted server takes for each reply, in ms: each step fits
/// the timeout, the three steps of one call together do not.
const STEP_MS: u64 = 600;
/// Channel number of the first channel, on both ends.
const CHAN: u32 = 0;

/// CHANNEL_OPEN_CONFIRMATION, CHANNEL_SUCCESS, then CHANNEL_DATA carrying
/// `data`, one every STEP_MS: what a slow server sends for a channel start-up.
fn startup_script(data: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut confirm = Writer::msg(msg::CHANNEL_OPEN_CONFIRMATION);
    confirm.u32(CHAN).u32(CHAN).u32(2 * 1024 * 1024).u32(32 * 1024);
    let mut success = Writer::msg(msg::CHANNEL_SUCCESS);
    success.u32(CHAN);
    let mut reply = Writer::msg(msg::CHANNEL_DATA);
    reply.u32(CHAN).string(data);
    vec![(STEP_MS, confirm.buf), (2 * STEP_MS, success.buf), (3 * STEP_MS, reply.buf)]
}

/// The server's SFTP VERSION packet (version 3, no extensions).
fn sftp_version() -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(5).u8(crate::sftp::fxp::VERSION).u32(3);
    w.buf
}

/// The publickey subsystem's `version` answer (version 2).
fn publickey_version() -> Vec<u8> {
    let mut body = Writer::new();
    body.string(b"version").u32(2);
    let mut w = Writer::new();
    w.string(&body.buf);
    w.buf
}

/// SCP's file header for a 5-byte file.
const SCP_HEADER: &[u8] = b"C0644 5 f\n";

/// A C session handle on `tl`, authenticated, with the session timeout `timeout_ms`.
fn session_on(tl: &Timeline, timeout_ms: u64) -> *mut LIBSSH2_SESSION {
    let s = libssh2_session_init_ex(None, None, None, ptr::null_mut());
    assert!(!s.is_null());
    // SAFETY: `s` is the live handle just created; nothing else uses it yet.
    unsafe {
        (*s).sess = Session::on_timeline(tl, true);
        libssh2_session_set_timeout(s, timeout_ms as c_long);
    }
    s
}

/// Frees a handle made by `session_on`.
fn free(s: *mut LIBSSH2_SESSION) {
    // SAFETY: `s` came from `session_on` and is not used afterwards.
    assert_eq!(unsafe { libssh2_session_free(s) }, 0);
}

#[test]
fn calls_succeed_when_all_steps_fit_the_timeout() {
    let generous = 4 * TIMEOUT_MS;
    let tl = Timeline::new(startup_script(&sftp_version()));
    let s = session_on(&tl, generous);
    // SAFETY: `s` is live; the SFTP handle is shut down before the session goes.
    unsafe {
        let sftp = libssh2_sftp_init(s);
        assert!(!sftp.is_null(), "sftp_init: errno {}", libssh2_session_last_errno(s));
        assert_eq!(tl.now(), 3 * STEP_MS, "init waited for all three replies");
        libssh2_sftp_shutdown(sftp);
    }
    free(s);

    let tl = Timeline::new(startup_script(&publickey_version()));
    let s = session_on(&tl, generous);
    // SAFETY: as above.
    unsafe {
        let pk = libssh2_publickey_init(s);
        assert!(!pk.is_null(), "publickey_init: errno {}", libssh2_session_last_errno(s));
        libssh2_publickey_shutdown(pk);
    }
    free(s);

    let tl = Timeline::new(startup_script(SCP_HEADER));
    let s = session_on(&tl, generous);
    // SAFETY: as above; a NULL stat buffer is allowed; the channel goes with the session.
    unsafe {
        let ch = libssh2_scp_recv2(s, c"f".as_ptr(), ptr::null_mut());
        assert!(!ch.is_null(), "scp_recv2: errno {}", libssh2_session_last_errno(s));
    }
    free(s);
}

#[test]
fn the_timeout_spans_all_sub_steps_of_a_call() {
    type Start = unsafe fn(*mut LIBSSH2_SESSION) -> bool;
    // Each call, run on a server whose replies fit the timeout one by one.
    // SAFETY (all three): `s` is a live session; a non-null result is a handle it owns.
    let calls: [(&str, Vec<u8>, Start); 3] = [
        ("sftp_init", sftp_version(), |s| unsafe { !libssh2_sftp_init(s).is_null() }),
        ("publickey_init", publickey_version(), |s| unsafe { !libssh2_publickey_init(s).is_null() }),
        ("scp_recv2", SCP_HEADER.to_vec(), |s| unsafe {
            !libssh2_scp_recv2(s, c"f".as_ptr(), ptr::null_mut()).is_null()
        }),
    ];
    for (name, data, start) in calls {
        let tl = Timeline::new(startup_script(&data));
        let s = session_on(&tl, TIMEOUT_MS);
        // SAFETY: `s` is live.
        let (ok, errno) = unsafe { (start(s), libssh2_session_last_errno(s)) };
        assert!(!ok, "{name} finished although its steps took {} ms", 3 * STEP_MS);
        assert_eq!(errno, code::TIMEOUT, "{name}");
        assert!(tl.now() <= TIMEOUT_MS, "{name} gave up at {} ms, after the {TIMEOUT_MS} ms timeout", tl.now());
        free(s);
    }
}

#[test]
fn sub_steps_run_in_one_drive_and_resume_after_its_timeout() {
    // The Rust API without the C boundary: scp_recv steps the channel open,
    // the exec request and the channel reads inside its one drive (a drive
    // inside a step would fail its debug assertion), so the timeout counts
    // once; the timed-out call kept its place and a repeated call ends it.
    let tl = Timeline::new(startup_script(SCP_HEADER));
    let mut s = Session::on_timeline(&tl, true);
    s.timeout_ms = TIMEOUT_MS as i64;
    let e = s.scp_recv(b"f", false, true).expect_err("the steps take longer than the timeout");
    assert_eq!(e.code, code::TIMEOUT);
    assert!(tl.now() <= TIMEOUT_MS, "gave up at {} ms", tl.now());
    assert!(s.scp_in_progress(), "the timed-out call keeps its state");
    let (_, stat) = s.scp_recv(b"f", false, true).expect("the repeated call resumes");
    assert!(!s.scp_in_progress());
    assert!(tl.now() <= 2 * TIMEOUT_MS, "finished at {} ms", tl.now());
    assert_eq!((stat.mode, stat.size), (0o644, 5), "the C line of the resumed call");
}

#[test]
fn a_timed_out_close_does_not_stop_a_blocking_free() {
    // The server confirms the open but never answers our CLOSE: the free
    // gives up waiting at the timeout and frees the channel all the same
    // (deliberate: docs/compat.md, peer_stalled/free).
    let mut confirm = Writer::msg(msg::CHANNEL_OPEN_CONFIRMATION);
    confirm.u32(CHAN).u32(CHAN).u32(2 * 1024 * 1024).u32(32 * 1024);
    let tl = Timeline::new([(STEP_MS, confirm.buf)]);
    let s = session_on(&tl, TIMEOUT_MS);
    // SAFETY: `s` is live; `ch` is its channel until the free.
    unsafe {
        let ch = libssh2_channel_open_ex(s, c"session".as_ptr(), 7, 2 * 1024 * 1024, 32 * 1024, ptr::null(), 0);
        assert!(!ch.is_null(), "open: errno {}", libssh2_session_last_errno(s));
        assert_eq!(libssh2_channel_free(ch), 0);
        assert!(tl.now() <= STEP_MS + TIMEOUT_MS, "gave up at {} ms", tl.now());
        assert!((*s).channel_handles.is_empty(), "the channel is freed");
    }
    free(s);
}

/// One SFTP packet carried in CHANNEL_DATA on CHAN.
fn sftp_packet(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut p = Writer::new();
    p.u32(1 + body.len() as u32).u8(kind).raw(body);
    let mut w = Writer::msg(msg::CHANNEL_DATA);
    w.u32(CHAN).string(&p.buf);
    w.buf
}

#[test]
fn a_timed_out_sftp_close_keeps_the_handle_for_a_repeated_call() {
    use crate::sftp::fxp;
    // Start-up and OPEN answered in time; the CLOSE's STATUS comes after the
    // timeout. As in libssh2 the close returns TIMEOUT and the handle stays
    // valid, so closing it again waits on and frees it.
    const OPEN_AT: u64 = 4 * STEP_MS;
    const STATUS_AT: u64 = OPEN_AT + TIMEOUT_MS + STEP_MS;
    let (open_id, close_id) = (0u32, 1u32);
    let mut handle = Writer::new();
    handle.u32(open_id).string(b"h1");
    let mut status = Writer::new();
    status.u32(close_id).u32(0).string(b"").string(b"");
    let mut script = startup_script(&sftp_version());
    script.push((OPEN_AT, sftp_packet(fxp::HANDLE, &handle.buf)));
    script.push((STATUS_AT, sftp_packet(fxp::STATUS, &status.buf)));
    let tl = Timeline::new(script);
    let s = session_on(&tl, 4 * TIMEOUT_MS);
    // SAFETY: `s` is live; `fh` stays valid until the close that returns 0.
    unsafe {
        let sftp = libssh2_sftp_init(s);
        assert!(!sftp.is_null(), "sftp_init: errno {}", libssh2_session_last_errno(s));
        let fh = libssh2_sftp_open_ex(sftp, c"f".as_ptr(), 1, 1, 0, 0);
        assert!(!fh.is_null(), "open: errno {}", libssh2_session_last_errno(s));
        assert_eq!(tl.now(), OPEN_AT);
        libssh2_session_set_timeout(s, TIMEOUT_MS as c_long);
        assert_eq!(libssh2_sftp_close_handle(fh), code::TIMEOUT);
        assert!(tl.now() <= OPEN_AT + TIMEOUT_MS, "gave up at {} ms", tl.now());
        assert_eq!(libssh2_sftp_close_handle(fh), 0, "the repeated close resumes and ends");
        assert_eq!(tl.now(), STATUS_AT);
        libssh2_sftp_shutdown(sftp);
    }
    free(s);
}
