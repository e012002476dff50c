//! Hostile peers after key exchange, auth and channels (/work/shared/reference/
//! hostile-peer-cases.md cases 22-28): the scripted server of tests/hostile/server.rs
//! accepts any authentication and then sends crafted packets. Every case: the
//! documented error code, bounded time, later calls that fail instead of hanging,
//! and a clean `libssh2_session_free`.

#[path = "hostile/client.rs"]
mod client;
mod common;
#[path = "hostile/server.rs"]
mod server;

use client::*;

// ---- 22: USERAUTH_FAILURE and INFO_REQUEST ---------------------------------------

/// A server that answers the first authentication request with `first` and
/// the second with a well-formed FAILURE listing "password".
fn auth_script(first: Vec<u8>) -> impl FnOnce(&mut Peer) -> io::Result<()> + Send + 'static {
    move |p: &mut Peer| {
        serve_curve25519(p, &Offer::modern(true), &Hooks::default())?;
        p.expect(cmsg::USERAUTH_REQUEST)?;
        p.send(&first)?;
        p.expect(cmsg::USERAUTH_REQUEST)?;
        let mut w = Writer::msg(cmsg::USERAUTH_FAILURE);
        w.string(b"password").bool(false);
        p.send(&w.buf)?;
        p.serve_until_closed()
    }
}

fn failure_with_list_len(len: u32) -> Vec<u8> {
    let mut v = vec![cmsg::USERAUTH_FAILURE];
    v.extend(u32be(len));
    v.extend_from_slice(b"password");
    v.push(0);
    v
}

#[test]
fn c22_userauth_failure_list_past_the_end() {
    let bad: Vec<(String, Vec<u8>)> = vec![
        ("length 10".into(), failure_with_list_len(10)),
        ("length 0x7FFFFFFF".into(), failure_with_list_len(0x7FFF_FFFF)),
        ("length 0xFFFFFFF0".into(), failure_with_list_len(0xFFFF_FFF0)),
        ("length 0xFFFFFFFF".into(), failure_with_list_len(0xFFFF_FFFF)),
        ("no list".into(), vec![cmsg::USERAUTH_FAILURE]),
        ("half a length".into(), vec![cmsg::USERAUTH_FAILURE, 0, 0]),
    ];
    for (what, payload) in bad {
        let ((first, second), _) = run(auth_script(payload), |addr| {
            let c = Client::handshake(addr);
            let u = cs("user");
            // SAFETY: live session; the name outlives the calls.
            let first = unsafe { fu::libssh2_userauth_list(c.sess, u.as_ptr(), 4) };
            let first = if first.is_null() { c.errno() } else { 0 };
            // The session stays usable: the next (well-formed) reply is read correctly.
            // SAFETY: as above; the list is a NUL-terminated string owned by the session.
            let second = unsafe {
                let l = fu::libssh2_userauth_list(c.sess, u.as_ptr(), 4);
                assert!(!l.is_null(), "{what}: second list call failed with {}", c.errno());
                std::ffi::CStr::from_ptr(l).to_bytes().to_vec()
            };
            c.free();
            (first, second)
        });
        assert_eq!(first, code::PROTO, "{what}");
        assert_eq!(second, b"password", "{what}");
    }
    // The same replies to a password request: authentication fails, nothing more.
    let (rc, _) = run(auth_script(failure_with_list_len(0xFFFF_FFFF)), |addr| {
        let c = Client::handshake(addr);
        let rc = c.password();
        // SAFETY: live session.
        assert_eq!(unsafe { fu::libssh2_userauth_authenticated(c.sess) }, 0);
        c.free();
        rc
    });
    assert_eq!(rc, code::AUTHENTICATION_FAILED);
}

thread_local! {
    /// Prompts the keyboard-interactive callback saw in its last call (-1: not called).
    static PROMPTS_SEEN: Cell<c_int> = const { Cell::new(-1) };
}

unsafe extern "C" fn kbd_answer(
    _name: *const c_char,
    _name_len: c_int,
    _instr: *const c_char,
    _instr_len: c_int,
    num_prompts: c_int,
    _prompts: *const LIBSSH2_USERAUTH_KBDINT_PROMPT,
    _responses: *mut LIBSSH2_USERAUTH_KBDINT_RESPONSE,
    _abstract: *mut *mut c_void,
) {
    PROMPTS_SEEN.with(|c| c.set(num_prompts));
}

/// INFO_REQUEST head (name, instruction, language) followed by `tail`.
fn info_request(tail: &[u8]) -> Vec<u8> {
    let mut w = Writer::msg(cmsg::USERAUTH_INFO_REQUEST);
    w.string(b"name").string(b"instruction").string(b"");
    w.raw(tail);
    w.buf
}

fn prompts(n: u32, present: u32) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(n);
    for i in 0..present {
        w.string(format!("Prompt {i}: ").as_bytes()).bool(false);
    }
    w.buf
}

/// Runs keyboard-interactive against a server sending `request`; if the
/// client answers, the server checks the answer count and sends SUCCESS.
/// Returns (rc, prompts the callback saw).
fn kbdint_case(request: Vec<u8>, answers: Option<u32>) -> (c_int, c_int) {
    let (r, server) = run(
        move |p: &mut Peer| {
            serve_curve25519(p, &Offer::modern(true), &Hooks::default())?;
            p.expect(cmsg::USERAUTH_REQUEST)?;
            p.send(&request)?;
            if let Some(n) = answers {
                let resp = p.expect(cmsg::USERAUTH_INFO_RESPONSE)?;
                if resp.get(1..5) != Some(&n.to_be_bytes()[..]) {
                    return Err(io::Error::other("wrong number of answers"));
                }
                p.send(&[cmsg::USERAUTH_SUCCESS])?;
            }
            p.serve_until_closed()
        },
        |addr| {
            let c = Client::handshake(addr);
            PROMPTS_SEEN.with(|c| c.set(-1));
            let u = cs("user");
            // SAFETY: live session; callback matches the C prototype.
            let rc = unsafe { fu::libssh2_userauth_keyboard_interactive_ex(c.sess, u.as_ptr(), 4, Some(kbd_answer)) };
            c.free();
            (rc, PROMPTS_SEEN.with(Cell::get))
        },
    );
    if answers.is_some() {
        server.expect("server side of keyboard-interactive");
    }
    r
}

#[test]
fn c22_info_request_prompt_counts() {
    // 100 prompts is libssh2's limit and works.
    assert_eq!(kbdint_case(info_request(&prompts(100, 100)), Some(100)), (0, 100));
    // 101 prompts, or a count of 0xFFFFFFFF, is refused before any allocation or callback.
    for (n, present) in [(101u32, 101u32), (101, 0), (0xFFFF_FFFF, 0), (0xFFFF_FFFF, 3), (0x8000_0000, 1)] {
        let (rc, seen) = kbdint_case(info_request(&prompts(n, present)), None);
        assert_eq!(rc, code::OUT_OF_BOUNDARY, "{n} prompts");
        assert_eq!(seen, -1, "{n} prompts reached the callback");
    }
    // Counts within the limit that the packet does not hold, and lengths past the end.
    let mut past = prompts(2, 1);
    past.extend(u32be(0xFFFF_FFF0));
    past.extend_from_slice(b"Password: ");
    let cases = vec![
        ("count 50, no prompts", info_request(&prompts(50, 0))),
        ("count 3, two prompts", info_request(&prompts(3, 2))),
        ("prompt length past the end", info_request(&past)),
        ("no echo flag", {
            let mut v = info_request(&prompts(1, 0));
            v.extend(string(b"Password: "));
            v
        }),
        ("name length past the end", {
            let mut v = vec![cmsg::USERAUTH_INFO_REQUEST];
            v.extend(u32be(0xFFFF_FFFF));
            v.extend_from_slice(b"name");
            v
        }),
        ("no count", {
            let mut w = Writer::msg(cmsg::USERAUTH_INFO_REQUEST);
            w.string(b"n").string(b"i").string(b"");
            w.buf
        }),
    ];
    for (what, req) in cases {
        let (rc, seen) = kbdint_case(req, None);
        assert_eq!(rc, code::PROTO, "{what}");
        assert_eq!(seen, -1, "{what} reached the callback");
    }
}

// ---- 25: WINDOW_ADJUST overflow ---------------------------------------------------

/// Logs in, accepts a session channel with window `w0`, sends `adjusts`,
/// then a little data and EOF.
fn adjust_script(w0: u32, adjusts: Vec<u32>) -> impl FnOnce(&mut Peer) -> io::Result<()> + Send + 'static {
    move |p: &mut Peer| {
        login(p)?;
        p.accept_channel(w0, server::SERVER_PACKET)?;
        p.read_data(2)?;
        for a in adjusts {
            p.chan_msg(cmsg::CHANNEL_WINDOW_ADJUST, &u32be(a))?;
        }
        p.data(b"after")?;
        p.chan_msg(cmsg::CHANNEL_EOF, &[])?;
        p.serve_until_closed()
    }
}

#[test]
fn c25_window_adjust_overflow_is_proto() {
    // The client's "go" takes 2 bytes of the initial window first.
    for (w0, adjusts) in [
        (0x7FFF_FFFFu32, vec![0x8000_0010u32]),
        (0x7FFF_FFFF, vec![0xFFFF_FFFF]),
        (10, vec![0xFFFF_FFFF]),
        (2, vec![0x8000_0000, 0x8000_0000]),
        (2, vec![0xFFFF_FFFF, 1]),
        (2, vec![0x4000_0000, 0x4000_0000, 0x4000_0000, 0x4000_0000]),
    ] {
        let ((rc, later), _) = run(adjust_script(w0, adjusts.clone()), |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            go(ch);
            let mut buf = [0u8; 64];
            // SAFETY: live channel; buf writable.
            let rc = unsafe { fc::libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len()) };
            // The connection is dead now: later calls fail at once.
            let t = Instant::now();
            // SAFETY: as above.
            let later = unsafe { fc::libssh2_channel_write_ex(ch, 0, b"x".as_ptr().cast(), 1) };
            assert!(t.elapsed() < PROMPT);
            c.free();
            (rc, later)
        });
        assert_eq!(rc, code::PROTO as isize, "window {w0:#x} + {adjusts:x?}");
        assert!(later < 0, "a write after the overflow returned {later}");
    }
}

#[test]
fn c25_window_adjust_up_to_the_limit_is_fine() {
    // 0 + 0xFFFFFFFF is the largest window RFC 4254 allows: data then flows.
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let expect = payload.clone();
    let (got, server) = run(
        move |p: &mut Peer| {
            login(p)?;
            p.accept_channel(0, server::SERVER_PACKET)?;
            p.chan_msg(cmsg::CHANNEL_WINDOW_ADJUST, &u32be(0xFFFF_FFFF))?;
            let got = p.read_data(expect.len())?;
            if got != expect {
                return Err(io::Error::other("data corrupted"));
            }
            p.data(b"ok")?;
            p.chan_msg(cmsg::CHANNEL_EOF, &[])?;
            p.serve_until_closed()
        },
        |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            let mut off = 0;
            while off < payload.len() {
                // SAFETY: live channel; the slice is readable.
                let n =
                    unsafe { fc::libssh2_channel_write_ex(ch, 0, payload[off..].as_ptr().cast(), payload.len() - off) };
                assert!(n > 0, "write after a maximal window adjust: {n}");
                off += n as usize;
            }
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0);
            c.free();
            got
        },
    );
    server.expect("server side");
    assert_eq!(got, b"ok");
}

// ---- 26: CHANNEL_DATA beyond the window, for unknown channels, malformed --------

/// Logs in, accepts the client's channel, runs `then`, sends EOF and serves on.
fn data_script<F>(then: F) -> impl FnOnce(&mut Peer) -> io::Result<()> + Send + 'static
where
    F: FnOnce(&mut Peer) -> io::Result<()> + Send + 'static,
{
    move |p: &mut Peer| {
        login(p)?;
        p.accept_channel(server::SERVER_WINDOW, server::SERVER_PACKET)?;
        // Crafted packets only after the open completed, so they meet a read.
        p.read_data(2)?;
        then(p)?;
        p.chan_msg(cmsg::CHANNEL_EOF, &[])?;
        p.serve_until_closed()
    }
}

fn data_msg(bytes: &[u8]) -> Vec<u8> {
    string(bytes)
}

#[test]
fn c26_data_beyond_the_window_is_dropped() {
    // Window 1024: two 512-byte packets fit, the next two do not.
    let ((avail, win, got), _) = run(
        data_script(|p| {
            for b in [b'a', b'b', b'c', b'd'] {
                p.chan_msg(cmsg::CHANNEL_DATA, &data_msg(&[b; 512]))?;
            }
            Ok(())
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.open("session", 1024, 1024);
            go(ch);
            // Take everything in without reading (no window is given back).
            // SAFETY: live channel.
            assert_eq!(unsafe { fc::libssh2_channel_wait_eof(ch) }, 0);
            let (win, avail, initial) = window(ch);
            assert_eq!(initial, 1024);
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0);
            c.free();
            (avail, win, got)
        },
    );
    assert_eq!((avail, win), (1024, 0), "buffered and window left");
    assert_eq!(got, [vec![b'a'; 512], vec![b'b'; 512]].concat());
}

#[test]
fn c26_data_beyond_the_max_packet_is_dropped() {
    let ((avail, got), _) = run(
        data_script(|p| {
            p.chan_msg(cmsg::CHANNEL_DATA, &data_msg(&[b'x'; 3000]))?;
            p.chan_msg(cmsg::CHANNEL_DATA, &data_msg(b"fits"))?;
            Ok(())
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.open("session", 65536, 1024);
            go(ch);
            // SAFETY: live channel.
            assert_eq!(unsafe { fc::libssh2_channel_wait_eof(ch) }, 0);
            let (_, avail, _) = window(ch);
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0);
            c.free();
            (avail, got)
        },
    );
    assert_eq!(avail, 4);
    assert_eq!(got, b"fits");
}

#[test]
fn c26_extended_data_beyond_the_window_is_dropped() {
    let ((err, out), _) = run(
        data_script(|p| {
            let mut w = Writer::new();
            w.u32(1).string(&[b'e'; 600]);
            p.chan_msg(cmsg::CHANNEL_EXTENDED_DATA, &w.buf)?;
            p.chan_msg(cmsg::CHANNEL_DATA, &data_msg(&[b'o'; 600]))?;
            Ok(())
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.open("session", 1024, 1024);
            go(ch);
            // SAFETY: live channel.
            assert_eq!(unsafe { fc::libssh2_channel_wait_eof(ch) }, 0);
            let (_, avail, _) = window(ch);
            assert!(avail <= 1024, "{avail} bytes buffered with a 1024-byte window");
            let (err, rc1) = read_all(ch, 1);
            let (out, rc0) = read_all(ch, 0);
            assert_eq!((rc0, rc1), (0, 0));
            c.free();
            (err, out)
        },
    );
    assert_eq!(err, vec![b'e'; 600]);
    assert!(out.is_empty(), "stdout past the window was buffered: {} bytes", out.len());
}

#[test]
fn c26_messages_for_unknown_channels_are_dropped() {
    let (got, _) = run(
        data_script(|p| {
            for recipient in [99u32, 0xFFFF_FFFF, 1] {
                let mut send = |t: u8, rest: &[u8]| {
                    let mut w = Writer::msg(t);
                    w.u32(recipient).raw(rest);
                    p.send(&w.buf)
                };
                send(cmsg::CHANNEL_DATA, &data_msg(b"stray"))?;
                send(cmsg::CHANNEL_EXTENDED_DATA, &[u32be(1), data_msg(b"stray")].concat())?;
                send(cmsg::CHANNEL_WINDOW_ADJUST, &u32be(0xFFFF_FFFF))?;
                send(cmsg::CHANNEL_REQUEST, &[string(b"exit-status"), vec![1], u32be(9)].concat())?;
                send(cmsg::CHANNEL_SUCCESS, &[])?;
                send(cmsg::CHANNEL_FAILURE, &[])?;
                send(cmsg::CHANNEL_EOF, &[])?;
                send(cmsg::CHANNEL_CLOSE, &[])?;
            }
            p.data(b"real data")
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            go(ch);
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0, "the stray messages broke the session");
            // SAFETY: live channel.
            assert_eq!(unsafe { fc::libssh2_channel_get_exit_status(ch) }, 0);
            c.free();
            got
        },
    );
    assert_eq!(got, b"real data");
}

#[test]
fn c26_channel_messages_without_a_recipient_are_proto() {
    for t in
        [cmsg::CHANNEL_DATA, cmsg::CHANNEL_EOF, cmsg::CHANNEL_CLOSE, cmsg::CHANNEL_WINDOW_ADJUST, cmsg::CHANNEL_REQUEST]
    {
        let (rc, _) = run(data_script(move |p| p.send(&[t, 0, 0])), |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            go(ch);
            let (got, rc) = read_all(ch, 0);
            assert!(got.is_empty());
            fails_promptly("read", || read_all(ch, 0).1);
            c.free();
            rc
        });
        assert_eq!(rc, code::PROTO as isize, "message {t} with half a recipient");
    }
}

#[test]
fn c26_inner_length_disagreeing_with_the_packet() {
    // Longer than the packet: nothing of it is delivered, the connection fails.
    for claimed in [11u32, 5000, 0x7FFF_FFFF, 0xFFFF_FFFF] {
        let ((got, rc, avail), _) = run(
            data_script(move |p| {
                p.data(b"good ")?;
                let mut v = u32be(claimed);
                v.extend_from_slice(b"0123456789");
                p.chan_msg(cmsg::CHANNEL_DATA, &v)?;
                p.data(b"never")
            }),
            |addr| {
                let c = Client::login(addr);
                let ch = c.session_channel();
                go(ch);
                let mut buf = vec![0u8; 64];
                let mut got = Vec::new();
                let rc = loop {
                    // SAFETY: live channel; buf writable.
                    let n = unsafe { fc::libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len()) };
                    if n <= 0 {
                        break n;
                    }
                    got.extend_from_slice(&buf[..n as usize]);
                };
                let (_, avail, _) = window(ch);
                // Data that arrived intact before the bad packet may still be
                // handed out; after it every call fails at once.
                let rest = loop {
                    let t = Instant::now();
                    // SAFETY: as above.
                    let n = unsafe { fc::libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len()) };
                    assert!(t.elapsed() < PROMPT, "read after the fatal error took {:?}", t.elapsed());
                    if n <= 0 {
                        break n;
                    }
                    got.extend_from_slice(&buf[..n as usize]);
                };
                assert!(rest < 0 && rest != code::EAGAIN as isize, "read after the fatal error: {rest}");
                c.free();
                (got, rc, avail)
            },
        );
        assert_eq!(rc, code::PROTO as isize, "claimed {claimed}");
        assert!(b"good ".starts_with(&got), "claimed {claimed}: read {got:?}");
        assert!(avail <= 5, "claimed {claimed}: {avail} bytes buffered");
    }
    // Shorter than the packet: the string is the data, the trailing bytes are not.
    let (got, _) = run(
        data_script(|p| {
            let mut v = string(b"hi");
            v.extend_from_slice(b"TRAILING-GARBAGE");
            p.chan_msg(cmsg::CHANNEL_DATA, &v)?;
            let mut v = vec![0u8; 4];
            v.extend_from_slice(b"GARBAGE");
            p.chan_msg(cmsg::CHANNEL_DATA, &v)?;
            p.data(b" there")
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            go(ch);
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0);
            c.free();
            got
        },
    );
    assert_eq!(got, b"hi there");
}

#[test]
fn c26_flood_ignoring_the_window_stays_bounded() {
    // The server sends 4 MiB in 32 KiB packets with no regard for our 64 KiB
    // window; we read slowly. Buffered data never exceeds what we granted:
    // the window asked for plus, as in libssh2, the length of the read.
    const WINDOW: u32 = 64 * 1024;
    const PACKETS: usize = 128;
    const READ_LEN: usize = 4096;
    let ((total, max_avail), _) = run(
        data_script(|p| {
            let chunk = vec![b'f'; 32 * 1024];
            for _ in 0..PACKETS {
                p.chan_msg(cmsg::CHANNEL_DATA, &data_msg(&chunk))?;
            }
            Ok(())
        }),
        |addr| {
            let c = Client::login(addr);
            let ch = c.open("session", WINDOW, 32 * 1024);
            go(ch);
            let mut buf = vec![0u8; READ_LEN];
            let (mut total, mut max_avail) = (0usize, 0u64);
            loop {
                // SAFETY: live channel; buf writable.
                let n = unsafe { fc::libssh2_channel_read_ex(ch, 0, buf.as_mut_ptr().cast(), buf.len()) };
                assert!(n >= 0, "read failed: {n}");
                let (win, avail, initial) = window(ch);
                let granted = initial + buf.len() as u64;
                assert!(avail + win <= granted, "buffered {avail} + window {win} > granted {granted}");
                assert!(buf[..n as usize].iter().all(|&b| b == b'f'));
                max_avail = max_avail.max(avail);
                if n == 0 {
                    break;
                }
                total += n as usize;
            }
            c.free();
            (total, max_avail)
        },
    );
    assert!(max_avail <= WINDOW as u64 + READ_LEN as u64);
    assert!(total <= PACKETS * 32 * 1024);
    assert!(total >= WINDOW as usize, "read only {total}");
}

// ---- 27: exit-status / exit-signal ------------------------------------------------

/// Runs `exec` on a channel; the server sends `request` (after the channel
/// number) as a CHANNEL_REQUEST, then "done" and EOF. Returns (read rc, data,
/// exit status, exit signal name).
fn exit_case(request: Vec<u8>) -> (isize, Vec<u8>, c_int, Option<Vec<u8>>) {
    exit_case_after(b"", request)
}

/// As `exit_case`, with `before` sent as data ahead of the request.
fn exit_case_after(before: &'static [u8], request: Vec<u8>) -> (isize, Vec<u8>, c_int, Option<Vec<u8>>) {
    run(
        move |p: &mut Peer| {
            login(p)?;
            p.accept_channel(server::SERVER_WINDOW, server::SERVER_PACKET)?;
            p.grant_request(b"exec")?;
            p.read_data(2)?;
            if !before.is_empty() {
                p.data(before)?;
            }
            p.chan_msg(cmsg::CHANNEL_REQUEST, &request)?;
            p.data(b"done")?;
            p.chan_msg(cmsg::CHANNEL_EOF, &[])?;
            p.serve_until_closed()
        },
        |addr| {
            let c = Client::login(addr);
            let ch = c.session_channel();
            // SAFETY: live channel; strings outlive the call.
            let rc =
                unsafe { fc::libssh2_channel_process_startup(ch, b"exec".as_ptr().cast(), 4, b"x".as_ptr().cast(), 1) };
            assert_eq!(rc, 0);
            go(ch);
            let (got, rc) = read_all(ch, 0);
            // SAFETY: live channel; out-pointers valid; the name comes from the session allocator.
            let (status, sig) = unsafe {
                let status = fc::libssh2_channel_get_exit_status(ch);
                let (mut name, mut len): (*mut c_char, usize) = (ptr::null_mut(), 0);
                let r = fc::libssh2_channel_get_exit_signal(
                    ch,
                    &mut name,
                    &mut len,
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                );
                assert_eq!(r, 0);
                let sig = (!name.is_null()).then(|| std::slice::from_raw_parts(name.cast::<u8>(), len).to_vec());
                if !name.is_null() {
                    ssh2::ffi::misc::libssh2_free(c.sess, name.cast());
                }
                (status, sig)
            };
            c.free();
            (rc, got, status, sig)
        },
    )
    .0
}

fn request(name: &[u8], rest: &[u8]) -> Vec<u8> {
    [string(name), vec![0], rest.to_vec()].concat()
}

#[test]
fn c27_exit_status_and_signal_malformed() {
    // Well-formed: the status and signal arrive.
    let (rc, got, status, _) = exit_case(request(b"exit-status", &u32be(42)));
    assert_eq!((rc, got.as_slice(), status), (0, &b"done"[..], 42));
    let sig = [string(b"KILL"), vec![0], string(b"killed"), string(b"")].concat();
    let (rc, _, _, name) = exit_case(request(b"exit-signal", &sig));
    assert_eq!((rc, name.as_deref()), (0, Some(&b"KILL"[..])));

    let mut huge_name = u32be(0xFFFF_FFFF);
    huge_name.extend_from_slice(b"KILL");
    let mut type_past = u32be(0x7FFF_FFFF);
    type_past.extend_from_slice(b"exit-status\0");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("exit-status without a value", request(b"exit-status", &[])),
        ("exit-status with half a value", request(b"exit-status", &[0, 0])),
        ("exit-signal name length 0xFFFFFFFF", request(b"exit-signal", &huge_name)),
        (
            "exit-signal name length 0x7FFFFFF0",
            request(b"exit-signal", &[u32be(0x7FFF_FFF0), b"TERM".to_vec()].concat()),
        ),
        ("exit-signal without message", request(b"exit-signal", &[string(b"TERM"), vec![0]].concat())),
        ("request type length past the packet", type_past),
        ("request type length 0xFFFFFFFF", [u32be(0xFFFF_FFFF), b"exit".to_vec()].concat()),
        ("no want-reply flag", string(b"exit-status")),
    ];
    for (what, req) in cases {
        let (rc, got, status, sig) = exit_case(req);
        // A malformed message ends the connection; nothing of it is taken as a status.
        assert_eq!(rc, code::PROTO as isize, "{what}");
        assert!(b"done".starts_with(&got), "{what}: {got:?}");
        assert_eq!(status, 0, "{what}: exit status taken from a malformed request");
        assert_eq!(sig, None, "{what}: exit signal taken from a malformed request");
    }
}

/// Data that arrived before a malformed request is still delivered, as
/// libssh2 delivers it; the protocol error comes on the read after it.
#[test]
fn c27_data_before_a_malformed_exit_signal_is_delivered() {
    let (rc, got, _, sig) = exit_case_after(b"before", request(b"exit-signal", &u32be(0xFFFF_FFFF)));
    assert_eq!(rc, code::PROTO as isize);
    assert!(got.starts_with(b"before"), "data before the error: {got:?}");
    assert_eq!(sig, None);
}

// ---- 28: truncated server-initiated CHANNEL_OPEN -------------------------------------

thread_local! {
    static X11_CALLS: Cell<u32> = const { Cell::new(0) };
    static AGENT_CALLS: Cell<u32> = const { Cell::new(0) };
}

unsafe extern "C" fn on_x11(
    _s: *mut LIBSSH2_SESSION,
    _ch: *mut LIBSSH2_CHANNEL,
    shost: *const c_char,
    sport: c_int,
    _ab: *mut *mut c_void,
) {
    // SAFETY: the library passes a NUL-terminated host.
    let host = unsafe { std::ffi::CStr::from_ptr(shost) };
    // Only a call with the originator of the well-formed open counts (no panics across C).
    if host.to_bytes() == b"10.1.2.3" && sport == 6010 {
        X11_CALLS.with(|c| c.set(c.get() + 1));
    }
}

unsafe extern "C" fn on_agent(_s: *mut LIBSSH2_SESSION, _ch: *mut LIBSSH2_CHANNEL, _ab: *mut *mut c_void) {
    AGENT_CALLS.with(|c| c.set(c.get() + 1));
}

fn open_msg(kind: &[u8], sender: u32, rest: &[u8]) -> Vec<u8> {
    let mut w = Writer::msg(cmsg::CHANNEL_OPEN);
    w.string(kind).u32(sender).raw(rest);
    w.buf
}

/// Window and packet of a server open.
fn wp() -> Vec<u8> {
    [u32be(65536), u32be(32768)].concat()
}

#[test]
fn c28_truncated_inbound_channel_opens_are_refused() {
    const PORT: u32 = 2222;
    let fwd = |rest: &[u8]| [wp(), rest.to_vec()].concat();
    let good_fwd = fwd(&[string(b"localhost"), u32be(PORT), string(b"10.9.8.7"), u32be(4000)].concat());
    // (sender, payload): each must be refused with OPEN_FAILURE to that sender.
    let refused: Vec<(u32, Vec<u8>)> = vec![
        (100, open_msg(b"forwarded-tcpip", 100, &[])),
        (101, open_msg(b"forwarded-tcpip", 101, &u32be(65536))),
        (102, open_msg(b"forwarded-tcpip", 102, &wp())),
        (103, open_msg(b"forwarded-tcpip", 103, &fwd(&[u32be(0xFFFF_FFFF), b"localhost".to_vec()].concat()))),
        (104, open_msg(b"forwarded-tcpip", 104, &fwd(&string(b"localhost")))),
        (105, open_msg(b"forwarded-tcpip", 105, &fwd(&[string(b"localhost"), u32be(PORT)].concat()))),
        (
            106,
            open_msg(b"forwarded-tcpip", 106, &fwd(&[string(b"localhost"), u32be(PORT), string(b"10.9.8.7")].concat())),
        ),
        (
            107,
            open_msg(b"forwarded-tcpip", 107, &fwd(&[string(b"localhost"), u32be(PORT), u32be(0x7FFF_FFFF)].concat())),
        ),
        (108, open_msg(b"x11", 108, &[])),
        (109, open_msg(b"x11", 109, &wp())),
        (110, open_msg(b"x11", 110, &[wp(), string(b"10.1.2.3")].concat())),
        (111, open_msg(b"x11", 111, &[wp(), u32be(0xFFFF_FFF0)].concat())),
        (112, open_msg(b"auth-agent@openssh.com", 112, &[])),
        (113, open_msg(b"auth-agent@openssh.com", 113, &u32be(65536))),
        (114, open_msg(b"session", 114, &wp())),
    ];
    // Opens without even a sender cannot be answered: they are dropped.
    let unanswerable: Vec<Vec<u8>> = vec![
        vec![cmsg::CHANNEL_OPEN],
        [vec![cmsg::CHANNEL_OPEN], u32be(1000), b"forwarded".to_vec()].concat(),
        [vec![cmsg::CHANNEL_OPEN], u32be(0xFFFF_FFFF)].concat(),
        [vec![cmsg::CHANNEL_OPEN], string(b"x11"), vec![0, 0]].concat(),
    ];
    let good: Vec<(u32, Vec<u8>)> = vec![
        (120, open_msg(b"forwarded-tcpip", 120, &good_fwd)),
        (121, open_msg(b"x11", 121, &[wp(), string(b"10.1.2.3"), u32be(6010)].concat())),
        (122, open_msg(b"auth-agent@openssh.com", 122, &wp())),
    ];
    let script = move |p: &mut Peer| -> io::Result<()> {
        login(p)?;
        // x11 and agent channels are accepted only after we asked for them.
        p.accept_channel(server::SERVER_WINDOW, server::SERVER_PACKET)?;
        p.grant_request(b"x11-req")?;
        p.grant_request(b"auth-agent-req@openssh.com")?;
        let req = p.expect_conn(cmsg::GLOBAL_REQUEST)?;
        if !req.windows(13).any(|w| w == b"tcpip-forward") {
            return Err(io::Error::other("expected tcpip-forward"));
        }
        p.send(&[cmsg::REQUEST_SUCCESS])?;
        for (sender, payload) in &refused {
            p.send(payload)?;
            let r = p.expect_conn(cmsg::CHANNEL_OPEN_FAILURE)?;
            if r.get(1..5) != Some(&sender.to_be_bytes()[..]) {
                return Err(io::Error::other(format!("refusal for {sender} went to {:?}", r.get(1..5))));
            }
        }
        for payload in &unanswerable {
            p.send(payload)?;
        }
        let mut fwd_client = 0;
        for (sender, payload) in &good {
            p.send(payload)?;
            let r = p.expect_conn_any()?;
            if r.first() != Some(&cmsg::CHANNEL_OPEN_CONFIRMATION) {
                return Err(io::Error::other(format!("open {sender} answered with {:?}", String::from_utf8_lossy(&r))));
            }
            if r.get(1..5) != Some(&sender.to_be_bytes()[..]) {
                return Err(io::Error::other(format!("confirmation for {sender} went to {:?}", r.get(1..5))));
            }
            let theirs = u32::from_be_bytes(r[5..9].try_into().unwrap());
            p.chans.insert(*sender, theirs);
            if *sender == 120 {
                fwd_client = theirs;
            }
        }
        let mut w = Writer::msg(cmsg::CHANNEL_DATA);
        w.u32(fwd_client).string(b"forwarded");
        p.send(&w.buf)?;
        let mut w = Writer::msg(cmsg::CHANNEL_EOF);
        w.u32(fwd_client);
        p.send(&w.buf)?;
        p.serve_until_closed()
    };
    let (got, server) = run(script, |addr| {
        let c = Client::login(addr);
        X11_CALLS.with(|c| c.set(0));
        AGENT_CALLS.with(|c| c.set(0));
        // SAFETY: live session; callbacks match the C prototypes; strings outlive the calls.
        unsafe {
            fs::libssh2_session_callback_set2(c.sess, callback::X11, on_x11 as *mut c_void);
            fs::libssh2_session_callback_set2(c.sess, callback::AUTHAGENT, on_agent as *mut c_void);
            let session = c.session_channel();
            assert_eq!(fc::libssh2_channel_x11_req_ex(session, 0, ptr::null(), ptr::null(), 0), 0);
            assert_eq!(fc::libssh2_channel_request_auth_agent(session), 0);
            let host = cs("localhost");
            let mut bound: c_int = 0;
            let l = ssh2::ffi::forward::libssh2_channel_forward_listen_ex(
                c.sess,
                host.as_ptr(),
                PORT as c_int,
                &mut bound,
                4,
            );
            assert!(!l.is_null(), "listen: {}", c.errno());
            let ch = ssh2::ffi::forward::libssh2_channel_forward_accept(l);
            assert!(!ch.is_null(), "accept: {}", c.errno());
            let (got, rc) = read_all(ch, 0);
            assert_eq!(rc, 0);
            c.free();
            got
        }
    });
    server.expect("server side: every truncated open refused, every good one confirmed");
    assert_eq!(got, b"forwarded");
    assert_eq!(X11_CALLS.with(Cell::get), 1, "x11 callback calls");
    assert_eq!(AGENT_CALLS.with(Cell::get), 1, "agent callback calls");
}
