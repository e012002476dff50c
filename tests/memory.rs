//! Memory by use (issue 19): an idle authenticated session costs little heap,
//! and buffers a burst grew shrink back afterwards. The test binary counts
//! every byte of the global allocator, which the library (linked in) uses.
//! One test per binary: the count is process-wide.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_int, c_uint, CString};
use std::os::fd::AsRawFd;
use std::ptr;
use std::sync::atomic::{AtomicIsize, Ordering};

use common::{Sshd, UserKey};
use ssh2::ffi::channel::*;
use ssh2::ffi::session::*;
use ssh2::ffi::userauth::libssh2_userauth_publickey_fromfile_ex;

/// Heap an idle authenticated session may hold (the bound).
const IDLE_SESSION_HEAP_MAX: isize = 64 * 1024;
/// Bytes pushed through `cat` for the burst.
const BURST_BYTES: usize = 8 << 20;
/// Small exchanges after the burst, enough for the buffers to see it is over.
const SMALL_ROUND_TRIPS: usize = 10;
/// Chunk of the burst's writes and reads.
const BURST_CHUNK: usize = 256 * 1024;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's layout, forwarded.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: p came from alloc with l.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: as alloc.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        // SAFETY: p came from alloc with l.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

#[test]
fn idle_session_heap_is_small_and_a_burst_gives_its_buffers_back() {
    let sshd = Sshd::start();
    let key = sshd.user_key(UserKey::Ed25519);
    let user = CString::new(sshd.user.as_str()).unwrap();
    let privkey = CString::new(key.private.to_str().unwrap()).unwrap();
    let sock = sshd.connect();
    let before = live();
    // SAFETY (this block): plain FFI calls on a live session with valid arguments.
    unsafe {
        let s = libssh2_session_init_ex(None, None, None, ptr::null_mut());
        assert_eq!(libssh2_session_handshake(s, sock.as_raw_fd()), 0);
        let rc = libssh2_userauth_publickey_fromfile_ex(
            s,
            user.as_ptr(),
            sshd.user.len() as c_uint,
            ptr::null(),
            privkey.as_ptr(),
            ptr::null(),
        );
        assert_eq!(rc, 0);
        let idle = live() - before;
        println!("idle authenticated session: {idle} bytes of heap");
        assert!(idle < IDLE_SESSION_HEAP_MAX, "idle session holds {idle} bytes");

        // A burst through `cat` grows the buffers; once it is over they shrink.
        let ch = libssh2_channel_open_ex(s, c"session".as_ptr(), 7, 2 << 20, 32768, ptr::null(), 0);
        assert!(!ch.is_null());
        assert_eq!(libssh2_channel_process_startup(ch, c"exec".as_ptr(), 4, c"cat".as_ptr(), 3), 0);
        let data = vec![0x5au8; BURST_CHUNK];
        let mut buf = vec![0u8; BURST_CHUNK];
        let (mut sent, mut got) = (0, 0);
        libssh2_session_set_blocking(s, 0);
        while got < BURST_BYTES {
            if sent < BURST_BYTES {
                let n = libssh2_channel_write_ex(ch, 0, data.as_ptr().cast(), data.len().min(BURST_BYTES - sent));
                if n > 0 {
                    sent += n as usize;
                }
            }
            let n = libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len());
            if n > 0 {
                got += n as usize;
            } else {
                ssh2::session::io::wait_fd(sock.as_raw_fd(), libssh2_session_block_directions(s), 10);
            }
        }
        libssh2_session_set_blocking(s, 1);
        // The test's own buffers are not the session's.
        drop((data, buf));
        assert_eq!(libssh2_channel_send_eof(ch), 0);
        assert_eq!(libssh2_channel_close(ch), 0);
        libssh2_channel_free(ch);
        // A few small round trips after the burst (a keepalive each).
        let mut next: c_int = 0;
        for _ in 0..SMALL_ROUND_TRIPS {
            libssh2_keepalive_config(s, 1, 1);
            libssh2_keepalive_send(s, &mut next);
            let ch = libssh2_channel_open_ex(s, c"session".as_ptr(), 7, 2 << 20, 32768, ptr::null(), 0);
            assert!(!ch.is_null());
            libssh2_channel_free(ch);
        }
        let after = live() - before;
        println!("after an {BURST_BYTES}-byte burst: {after} bytes of heap");
        assert!(after < IDLE_SESSION_HEAP_MAX, "the session kept {after} bytes after the burst");
        libssh2_session_free(s);
    }
}
