//! Hostile SFTP and SCP peers (/work/shared/reference/hostile-peer-cases.md
//! cases 29-35), scripted by tests/hostile/server.rs, through the C API.

#[path = "hostile/client.rs"]
mod client;
mod common;
#[path = "hostile/server.rs"]
mod server;

use client::*;

// ---- SFTP (29-34) ---------------------------------------------------------------

/// Logs in and starts SFTP against a server sending `version` (None: plain v3),
/// then serving requests with `f`. Runs `client` with the instance.
fn sftp_case<F, C, R>(version: Option<Vec<u8>>, f: F, client: C) -> (R, io::Result<()>)
where
    F: FnMut(&mut Peer, SftpReq) -> io::Result<()> + Send + 'static,
    C: FnOnce(&Client, *mut LIBSSH2_SFTP) -> R,
{
    run(
        move |p: &mut Peer| {
            login(p)?;
            p.sftp_start(version)?;
            p.sftp_serve(f)
        },
        |addr| {
            let c = Client::login(addr);
            let sftp = c.sftp().unwrap_or_else(|e| panic!("sftp_init failed: {e}"));
            let r = client(&c, sftp);
            let t = Instant::now();
            // SAFETY: live instance, shut down once.
            unsafe { ff::libssh2_sftp_shutdown(sftp) };
            assert!(t.elapsed() < TEARDOWN, "sftp_shutdown took {:?}", t.elapsed());
            c.free();
            r
        },
    )
}

fn stat(sftp: *mut LIBSSH2_SFTP, path: &str) -> (c_int, LIBSSH2_SFTP_ATTRIBUTES) {
    let mut a = LIBSSH2_SFTP_ATTRIBUTES::default();
    // SAFETY: live instance; path and attrs valid.
    let rc = unsafe { ff::libssh2_sftp_stat_ex(sftp, path.as_ptr().cast(), path.len() as c_uint, SFTP_STAT, &mut a) };
    (rc, a)
}

fn unlink(sftp: *mut LIBSSH2_SFTP, path: &str) -> c_int {
    // SAFETY: live instance; path valid.
    unsafe { ff::libssh2_sftp_unlink_ex(sftp, path.as_ptr().cast(), path.len() as c_uint) }
}

/// ATTRS body with only a size.
fn attrs_size(size: u64) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(1).u64(size);
    w.buf
}

/// Runs `call` twice: the first must fail with `want`; the instance is then
/// broken, so the second must fail promptly too.
fn fails_twice(
    c: &Client,
    sftp: *mut LIBSSH2_SFTP,
    want: c_int,
    what: &str,
    mut call: impl FnMut(*mut LIBSSH2_SFTP) -> c_int,
) {
    let rc = call(sftp);
    assert_eq!(rc, want, "{what}");
    assert_eq!(c.errno(), want, "{what}: last_errno");
    let t = Instant::now();
    let again = call(sftp);
    assert!(again < 0 && again != code::EAGAIN, "{what}: repeated call returned {again}");
    assert!(t.elapsed() < PROMPT, "{what}: repeated call took {:?}", t.elapsed());
}

#[test]
fn c29_sftp_packet_length_out_of_range() {
    // A reply whose length is 0..4, or over 256 KiB (only the header is sent:
    // the error must come before waiting for, or allocating, the body).
    let mut lens: Vec<(u32, c_int)> = (0..=4).map(|l| (l, code::SFTP_PROTOCOL)).collect();
    for l in [SFTP_PACKET_MAX + 1, 0x00FF_FFFF, 0x7FFF_FFFF, 0xFFFF_FFFF] {
        lens.push((l, code::CHANNEL_PACKET_EXCEEDED));
    }
    for (len, want) in lens {
        // The reply carries the STAT's request id (1: FXP_INIT had none).
        let mut raw = u32be(len);
        raw.extend_from_slice(&[fxp::ATTRS, 0, 0, 0, 0, 0, 0, 0, 0]);
        let (_, _) = sftp_case(
            None,
            move |p, req| {
                let mut raw = raw.clone();
                if raw.len() > 8 {
                    raw[5..9].copy_from_slice(&req.id.to_be_bytes());
                }
                p.data(&raw)
            },
            |c, sftp| fails_twice(c, sftp, want, &format!("length {len:#x}"), |s| stat(s, "/x").0),
        );
    }
}

#[test]
fn c29_sftp_version_packet_length_out_of_range() {
    for (len, want) in
        [(0u32, code::SFTP_PROTOCOL), (4, code::SFTP_PROTOCOL), (0xFFFF_FFFF, code::CHANNEL_PACKET_EXCEEDED)]
    {
        let mut raw = u32be(len);
        raw.extend_from_slice(&[fxp::VERSION, 0, 0, 0, 3]);
        let (rc, _) = run(
            move |p: &mut Peer| {
                login(p)?;
                p.accept_channel(server::SERVER_WINDOW, server::SERVER_PACKET)?;
                p.grant_request(b"subsystem")?;
                p.sftp_recv()?;
                p.data(&raw)?;
                p.serve_until_closed()
            },
            |addr| {
                let c = Client::login(addr);
                let rc = c.sftp().map(|_| 0).unwrap_or_else(|e| e);
                c.free();
                rc
            },
        );
        assert_eq!(rc, want, "FXP_VERSION length {len:#x}");
    }
}

/// Serves OPENDIR with a handle and the first READDIR with `raw` (channel bytes
/// with `ID` standing for the READDIR's id at bytes 5..9), later ones with EOF.
fn readdir_case(raw: Vec<u8>, buf_len: usize) -> (c_int, Vec<u8>) {
    let mut answered = false;
    sftp_case(
        None,
        move |p, req| match req.kind {
            fxp::OPENDIR => p.sftp_handle(req.id),
            fxp::READDIR if !answered => {
                answered = true;
                let mut raw = raw.clone();
                raw[5..9].copy_from_slice(&req.id.to_be_bytes());
                p.data(&raw)
            }
            fxp::READDIR => p.sftp_send(&sftp_status(req.id, 1)),
            _ => p.sftp_send(&sftp_status(req.id, 0)),
        },
        |c, sftp| {
            let h = open(sftp, "/d", OPENDIR);
            assert!(!h.is_null(), "opendir: {}", c.errno());
            let mut name = vec![0u8; buf_len];
            let mut a = LIBSSH2_SFTP_ATTRIBUTES::default();
            let t = Instant::now();
            // SAFETY: live handle; buffers valid.
            let rc = unsafe {
                ff::libssh2_sftp_readdir_ex(h, name.as_mut_ptr().cast(), name.len(), ptr::null_mut(), 0, &mut a)
            };
            assert!(t.elapsed() < BOUND);
            if rc > 0 {
                name.truncate(rc as usize);
            }
            // SAFETY: live handle, closed once.
            unsafe { ff::libssh2_sftp_close_handle(h) };
            (rc, name)
        },
    )
    .0
}

/// A NAME packet (length prefixed) with `count` and the given entries.
fn name_packet(count: u32, entries: &[u8]) -> Vec<u8> {
    let mut body = vec![fxp::NAME, 0, 0, 0, 0];
    body.extend(u32be(count));
    body.extend_from_slice(entries);
    [u32be(body.len() as u32), body].concat()
}

fn entry(name: &[u8], long: &[u8], attrs: &[u8]) -> Vec<u8> {
    [string(name), string(long), attrs.to_vec()].concat()
}

#[test]
fn c29_readdir_name_claiming_huge_lengths() {
    // The READDIR reply may exceed 256 KiB (libssh2's exception), but a
    // claim of 4 GiB (or anything past our readdir bound) fails at the header.
    for len in [0xFFFF_FFFFu32, 0x8000_0000, 64 * 1024 * 1024] {
        let raw = [u32be(len), vec![fxp::NAME, 0, 0, 0, 0], u32be(1)].concat();
        let (rc, _) = readdir_case(raw, 256);
        assert_eq!(rc, code::CHANNEL_PACKET_EXCEEDED, "NAME of {len:#x} bytes");
    }
    // A real 300 KiB NAME reply to READDIR is accepted.
    let long = vec![b'l'; 300 * 1024];
    let raw = name_packet(1, &entry(b"big", &long, &u32be(0)));
    let (rc, name) = readdir_case(raw, 256);
    assert_eq!((rc, name.as_slice()), (3, &b"big"[..]));
}

#[test]
fn c29_name_over_256k_outside_readdir_is_refused() {
    let raw = name_packet(1, &entry(b"x", &vec![b'l'; 300 * 1024], &u32be(0)));
    let ((), _) = sftp_case(
        None,
        move |p, req| {
            let mut raw = raw.clone();
            raw[5..9].copy_from_slice(&req.id.to_be_bytes());
            p.data(&raw)
        },
        |c, sftp| {
            let mut buf = [0u8; 256];
            fails_twice(c, sftp, code::CHANNEL_PACKET_EXCEEDED, "realpath with a 300 KiB NAME", |s| {
                // SAFETY: live instance; buffers valid.
                unsafe {
                    ff::libssh2_sftp_symlink_ex(s, b"/".as_ptr().cast(), 1, buf.as_mut_ptr().cast(), 256, SFTP_REALPATH)
                }
            });
        },
    );
}

// ---- 30: FXP_VERSION and STATUS ---------------------------------------------------

#[test]
fn c30_truncated_version_and_extensions() {
    let v3 = vec![fxp::VERSION, 0, 0, 0, 3];
    let ext = |rest: &[u8]| [v3.clone(), rest.to_vec()].concat();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("type only", vec![fxp::VERSION, 0, 0, 0]),
        ("half a length of the extension name", ext(&[0, 0])),
        ("extension name past the end", ext(&[u32be(20), b"posix".to_vec()].concat())),
        ("extension name length 0xFFFFFFFF", ext(&[u32be(0xFFFF_FFFF), b"posix".to_vec()].concat())),
        ("extension without data", ext(&string(b"posix-rename@openssh.com"))),
        ("extension data past the end", ext(&[string(b"posix-rename@openssh.com"), u32be(9), b"1".to_vec()].concat())),
        ("second extension truncated", ext(&[string(b"a"), string(b"1"), string(b"b")].concat())),
    ];
    for (what, version) in cases {
        let (rc, _) = run(
            move |p: &mut Peer| {
                login(p)?;
                let r = p.sftp_start(Some(version));
                r.and_then(|()| p.serve_until_closed())
            },
            |addr| {
                let c = Client::login(addr);
                let rc = c.sftp().map(|_| 0).unwrap_or_else(|e| e);
                c.free();
                rc
            },
        );
        assert_eq!(rc, code::SFTP_PROTOCOL, "{what}");
    }
    // Well-formed extensions are fine.
    let ok = ext(&[string(b"posix-rename@openssh.com"), string(b"1"), string(b"x@y"), string(b"")].concat());
    let (rc, _) = sftp_case(Some(ok), |p, req| p.sftp_send(&sftp_status(req.id, 0)), |_, sftp| unlink(sftp, "/a"));
    assert_eq!(rc, 0);
}

#[test]
fn c30_status_shorter_than_9_bytes() {
    // STATUS of 5..8 bytes (type and id, part of the code) -> SFTP_PROTOCOL.
    for extra in 0..4usize {
        let (_, _) = sftp_case(
            None,
            move |p, req| {
                let mut body = sftp_packet(fxp::STATUS, req.id, &[]);
                body.extend(std::iter::repeat(0).take(extra));
                p.sftp_send(&body)
            },
            |c, sftp| {
                fails_twice(c, sftp, code::SFTP_PROTOCOL, &format!("STATUS of {} bytes", 5 + extra), |s| {
                    unlink(s, "/a")
                });
            },
        );
    }
    // For the other status-only calls too.
    type Call = fn(*mut LIBSSH2_SFTP) -> c_int;
    // SAFETY (all three): live instance; paths valid.
    let calls: [(&str, Call); 3] = [
        ("mkdir", |s| unsafe { ff::libssh2_sftp_mkdir_ex(s, b"/m".as_ptr().cast(), 2, 0o755) }),
        ("rmdir", |s| unsafe { ff::libssh2_sftp_rmdir_ex(s, b"/m".as_ptr().cast(), 2) }),
        ("rename", |s| unsafe { ff::libssh2_sftp_rename_ex(s, b"/a".as_ptr().cast(), 2, b"/b".as_ptr().cast(), 2, 7) }),
    ];
    for (what, call) in calls {
        let (_, _) = sftp_case(
            None,
            |p, req| p.sftp_send(&sftp_packet(fxp::STATUS, req.id, &[0, 0])),
            |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, what, call),
        );
    }
    // Exactly 9 bytes (no message) is a complete status.
    let (rc, _) =
        sftp_case(None, |p, req| p.sftp_send(&sftp_packet(fxp::STATUS, req.id, &[0, 0, 0, 0])), |_, s| unlink(s, "/a"));
    assert_eq!(rc, 0);
}

#[test]
fn c30_short_status_for_a_write() {
    // The first WRITE is acknowledged with a 7-byte STATUS: the write fails;
    // the next write starts over and is acknowledged properly.
    let (got, server) = sftp_case(
        None,
        {
            let mut writes = 0;
            let mut data = Vec::new();
            move |p, req| match req.kind {
                fxp::OPEN => p.sftp_handle(req.id),
                6 => {
                    writes += 1;
                    if writes == 1 {
                        return p.sftp_send(&sftp_packet(fxp::STATUS, req.id, &[0, 0]));
                    }
                    let mut r = ssh2::proto::wire::Reader::new(&req.body);
                    r.string().map_err(io::Error::other)?;
                    let off = r.u64().map_err(io::Error::other)?;
                    let d = r.string().map_err(io::Error::other)?;
                    if off != data.len() as u64 {
                        return Err(io::Error::other(format!("write at {off}, expected {}", data.len())));
                    }
                    data.extend_from_slice(d);
                    if data == b"payload" {
                        p.sftp_send(&sftp_status(req.id, 0))
                    } else {
                        Err(io::Error::other("wrong data"))
                    }
                }
                _ => p.sftp_send(&sftp_status(req.id, 0)),
            }
        },
        |c, sftp| {
            // SAFETY: live instance; path valid.
            let h = unsafe { ff::libssh2_sftp_open_ex(sftp, b"/w".as_ptr().cast(), 2, 0x1a, 0o644, OPENFILE) };
            assert!(!h.is_null(), "open: {}", c.errno());
            // SAFETY: live handle; the data is readable.
            let first = unsafe { ff::libssh2_sftp_write(h, b"payload".as_ptr().cast(), 7) };
            assert_eq!(first, code::SFTP_PROTOCOL as isize);
            let t = Instant::now();
            // SAFETY: as above.
            let second = unsafe { ff::libssh2_sftp_write(h, b"payload".as_ptr().cast(), 7) };
            assert!(t.elapsed() < PROMPT, "the write after a bad ack took {:?}", t.elapsed());
            // SAFETY: live handle, closed once.
            unsafe { ff::libssh2_sftp_close_handle(h) };
            second
        },
    );
    server.expect("server side");
    assert_eq!(got, 7);
}

// ---- 32: FXP_DATA ---------------------------------------------------------------

/// Serves OPEN with a handle; the first READ gets `first(id, len)` (channel
/// bytes), later READs EOF. Returns the first read's rc and bytes.
fn read_case(first: fn(u32, u32) -> Vec<u8>, buf_len: usize) -> (isize, Vec<u8>, Option<isize>) {
    let mut answered = false;
    sftp_case(
        None,
        move |p, req| match req.kind {
            fxp::OPEN => p.sftp_handle(req.id),
            fxp::READ if !answered => {
                answered = true;
                let (_, len) = req.read_range()?;
                p.data(&first(req.id, len))
            }
            fxp::READ => p.sftp_send(&sftp_status(req.id, 1)),
            _ => p.sftp_send(&sftp_status(req.id, 0)),
        },
        |c, sftp| {
            let h = open(sftp, "/f", OPENFILE);
            assert!(!h.is_null(), "open: {}", c.errno());
            let mut buf = vec![0u8; buf_len];
            // SAFETY: live handle; buf writable.
            let rc = unsafe { ff::libssh2_sftp_read(h, buf.as_mut_ptr().cast(), buf.len()) };
            let mut next = None;
            if rc > 0 {
                buf.truncate(rc as usize);
                let mut more = [0u8; 64];
                // SAFETY: as above.
                next = Some(unsafe { ff::libssh2_sftp_read(h, more.as_mut_ptr().cast(), more.len()) });
            } else {
                assert_eq!(rc, c.errno() as isize);
                let mut more = [0u8; 64];
                let t = Instant::now();
                // SAFETY: as above.
                let again = unsafe { ff::libssh2_sftp_read(h, more.as_mut_ptr().cast(), more.len()) };
                // The read is asked again (this server then says EOF) or fails: never a hang.
                assert!(again <= 0 && again != code::EAGAIN as isize, "read after {rc}: {again}");
                assert!(t.elapsed() < PROMPT, "read after {rc} took {:?}", t.elapsed());
                buf.clear();
            }
            // SAFETY: live handle, closed once.
            unsafe { ff::libssh2_sftp_close_handle(h) };
            (rc, buf, next)
        },
    )
    .0
}

fn data_reply(id: u32, claimed: u32, data: &[u8]) -> Vec<u8> {
    let body = [vec![fxp::DATA], u32be(id), u32be(claimed), data.to_vec()].concat();
    [u32be(body.len() as u32), body].concat()
}

#[test]
fn c32_fxp_data_longer_than_packet_or_request() {
    // Control: 10 bytes, then EOF.
    let (rc, got, next) = read_case(|id, _| data_reply(id, 10, b"0123456789"), 1000);
    assert_eq!((rc, got.as_slice(), next), (10, &b"0123456789"[..], Some(0)));
    // The data string runs past its packet.
    let (rc, got, _) = read_case(|id, _| data_reply(id, 11, b"0123456789"), 1000);
    assert_eq!((rc, got.len()), (code::SFTP_PROTOCOL as isize, 0));
    let (rc, _, _) = read_case(|id, _| data_reply(id, 0xFFFF_FFFF, b"0123456789"), 1000);
    assert_eq!(rc, code::SFTP_PROTOCOL as isize);
    // More data than the READ asked for (a well-formed packet).
    let (rc, got, _) = read_case(
        |id, len| {
            let data = vec![b'z'; len as usize + 1];
            data_reply(id, data.len() as u32, &data)
        },
        1000,
    );
    assert_eq!((rc, got.len()), (code::SFTP_PROTOCOL as isize, 0), "one byte more than requested");
    // An empty DATA.
    let (rc, _, _) = read_case(|id, _| data_reply(id, 0, b""), 1000);
    assert_eq!(rc, code::SFTP_PROTOCOL as isize);
}

// ---- 33: FXP_NAME ------------------------------------------------------------------

#[test]
fn c33_readdir_name_with_huge_count_or_bad_attributes() {
    let one = entry(b"a", b"-rw-r--r-- a", &u32be(0));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("count 0xFFFFFFFF", name_packet(0xFFFF_FFFF, &one)),
        ("count 0x10000000", name_packet(0x1000_0000, &one)),
        ("count 2, one entry", name_packet(2, &one)),
        ("no count", [u32be(5), vec![fxp::NAME, 0, 0, 0, 0]].concat()),
        ("attribute flags with no fields", name_packet(1, &entry(b"a", b"a", &u32be(0x0000_000F)))),
        ("size cut short", name_packet(1, &entry(b"a", b"a", &[u32be(1), vec![0, 0, 0]].concat()))),
        ("attributes missing", name_packet(1, &[string(b"a"), string(b"a")].concat())),
        (
            "extended count 0xFFFFFFFF",
            name_packet(1, &entry(b"a", b"a", &[u32be(0x8000_0000), u32be(0xFFFF_FFFF)].concat())),
        ),
        (
            "extended pair cut",
            name_packet(1, &entry(b"a", b"a", &[u32be(0x8000_0000), u32be(1), string(b"k")].concat())),
        ),
        ("long name past the end", name_packet(1, &[string(b"a"), u32be(0x7FFF_FFFF)].concat())),
        ("name length 0xFFFFFFFF", name_packet(1, &u32be(0xFFFF_FFFF))),
    ];
    for (what, raw) in cases {
        let (rc, _) = readdir_case(raw, 256);
        assert_eq!(rc, code::SFTP_PROTOCOL, "{what}");
    }
    // Control: two entries with full attributes.
    let full =
        [u32be(0x0F), 5u64.to_be_bytes().to_vec(), u32be(1), u32be(2), u32be(0o100644), u32be(3), u32be(4)].concat();
    let two = [entry(b"first", b"l1", &full), entry(b"second", b"l2", &u32be(0))].concat();
    let (rc, name) = readdir_case(name_packet(2, &two), 256);
    assert_eq!((rc, name.as_slice()), (5, &b"first"[..]));
}

#[test]
fn c33_stat_attributes_past_the_packet() {
    for (what, attrs) in [
        ("flags only", u32be(0x0F)),
        ("size cut", [u32be(1), vec![0; 7]].concat()),
        ("no flags", vec![]),
        ("extended count huge", [u32be(0x8000_0000), u32be(0xFFFF_FFFF)].concat()),
    ] {
        let (_, _) = sftp_case(
            None,
            move |p, req| p.sftp_send(&sftp_packet(fxp::ATTRS, req.id, &attrs)),
            |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, what, |s| stat(s, "/x").0),
        );
    }
    let ((rc, a), _) =
        sftp_case(None, |p, req| p.sftp_send(&sftp_packet(fxp::ATTRS, req.id, &attrs_size(77))), |_, s| stat(s, "/x"));
    assert_eq!((rc, a.filesize), (0, 77));
}

fn readlink(sftp: *mut LIBSSH2_SFTP, kind: c_int) -> (c_int, Vec<u8>) {
    let mut buf = vec![0u8; 256];
    // SAFETY: live instance; buffers valid.
    let rc = unsafe { ff::libssh2_sftp_symlink_ex(sftp, b"/l".as_ptr().cast(), 2, buf.as_mut_ptr().cast(), 256, kind) };
    buf.truncate(rc.max(0) as usize);
    (rc, buf)
}

#[test]
fn c33_readlink_count_not_one() {
    let target = entry(b"target", b"target", &u32be(0));
    for kind in [SFTP_READLINK, SFTP_REALPATH] {
        for (what, body) in [
            ("count 0", [u32be(0)].concat()),
            ("count 2", [u32be(2), target.clone(), target.clone()].concat()),
            ("count 0xFFFFFFFF", [u32be(0xFFFF_FFFF), target.clone()].concat()),
            ("count 1, name past the end", [u32be(1), u32be(100), b"target".to_vec()].concat()),
            ("count 1, nothing", u32be(1)),
        ] {
            let (_, _) = sftp_case(
                None,
                move |p, req| p.sftp_send(&sftp_packet(fxp::NAME, req.id, &body)),
                |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, what, |s| readlink(s, kind).0),
            );
        }
        let body = [u32be(1), target.clone()].concat();
        let ((rc, name), _) = sftp_case(
            None,
            move |p, req| p.sftp_send(&sftp_packet(fxp::NAME, req.id, &body)),
            |_, s| readlink(s, kind),
        );
        assert_eq!((rc, name.as_slice()), (6, &b"target"[..]));
    }
}

// ---- 34: request ids and reply types -----------------------------------------------

#[test]
fn c34_reply_with_unknown_id() {
    for delta in [1u32, 1000, 0x8000_0000] {
        let (_, _) = sftp_case(
            None,
            move |p, req| p.sftp_send(&sftp_packet(fxp::ATTRS, req.id.wrapping_add(delta), &attrs_size(1))),
            |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, "unknown id", |s| stat(s, "/x").0),
        );
    }
}

#[test]
fn c34_duplicate_reply_is_never_taken_for_the_next_request() {
    // The first STAT is answered twice (size 1); the second STAT's own reply
    // has size 2. The duplicate must not pass for the second reply.
    let ((first, second), _) = sftp_case(
        None,
        {
            let mut n = 0u64;
            move |p, req| {
                n += 1;
                let reply = sftp_packet(fxp::ATTRS, req.id, &attrs_size(n));
                p.sftp_send(&reply)?;
                if n == 1 {
                    p.sftp_send(&reply)?;
                }
                Ok(())
            }
        },
        |_, sftp| {
            let (rc1, a1) = stat(sftp, "/x");
            std::thread::sleep(Duration::from_millis(100));
            let (rc2, a2) = stat(sftp, "/y");
            ((rc1, a1.filesize), (rc2, a2.filesize))
        },
    );
    assert!(first == (0, 1) || first.0 == code::SFTP_PROTOCOL, "first STAT: {first:?}");
    assert_eq!(second.0, code::SFTP_PROTOCOL, "second STAT: {second:?}");
}

/// Builds a reply packet body for a request id.
type Reply = fn(u32) -> Vec<u8>;

#[test]
fn c34_reply_of_the_wrong_type() {
    let handle = |id: u32| {
        let mut w = Writer::new();
        w.string(b"H1");
        sftp_packet(fxp::HANDLE, id, &w.buf)
    };
    // (what, reply to STAT)
    let stat_cases: Vec<(&str, Reply)> = vec![
        ("HANDLE for STAT", handle),
        ("DATA for STAT", |id| sftp_packet(fxp::DATA, id, &string(b"data"))),
        ("NAME for STAT", |id| sftp_packet(fxp::NAME, id, &[u32be(1), entry(b"a", b"a", &u32be(0))].concat())),
        ("VERSION after init", |id| sftp_packet(fxp::VERSION, id, &[])),
        ("INIT from the server", |id| sftp_packet(fxp::INIT, id, &[])),
        ("unknown type 150", |id| sftp_packet(150, id, &[0; 8])),
        ("a request type (OPEN)", |id| sftp_packet(fxp::OPEN, id, &string(b"/etc/passwd"))),
    ];
    for (what, reply) in stat_cases {
        let (_, _) = sftp_case(
            None,
            move |p, req| p.sftp_send(&reply(req.id)),
            |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, what, |s| stat(s, "/x").0),
        );
    }
    // DATA for OPEN, ATTRS for REMOVE, NAME for READ.
    let (_, _) = sftp_case(
        None,
        |p, req| p.sftp_send(&sftp_packet(fxp::DATA, req.id, &string(b"data"))),
        |c, sftp| {
            let h = open(sftp, "/f", OPENFILE);
            assert!(h.is_null());
            assert_eq!(c.errno(), code::SFTP_PROTOCOL, "DATA for OPEN");
        },
    );
    let (_, _) = sftp_case(
        None,
        |p, req| p.sftp_send(&sftp_packet(fxp::ATTRS, req.id, &attrs_size(1))),
        |c, sftp| fails_twice(c, sftp, code::SFTP_PROTOCOL, "ATTRS for REMOVE", |s| unlink(s, "/x")),
    );
    let (rc, _, _) = read_case(
        |id, _| {
            let body = sftp_packet(fxp::NAME, id, &[u32be(1), entry(b"a", b"a", &u32be(0))].concat());
            [u32be(body.len() as u32), body].concat()
        },
        100,
    );
    assert_eq!(rc, code::SFTP_PROTOCOL as isize, "NAME for READ");
}

// ---- 35: SCP ----------------------------------------------------------------------

/// `scp_recv2` against a server that sends `lines` after the wakeup byte.
/// Returns (rc, stat, file bytes read).
fn scp_case(lines: Vec<Vec<u8>>, body: Vec<u8>) -> (c_int, libc::stat, Vec<u8>) {
    run(
        move |p: &mut Peer| {
            login(p)?;
            p.accept_channel(server::SERVER_WINDOW, server::SERVER_PACKET)?;
            let cmd = p.grant_request(b"exec")?;
            if !cmd.windows(7).any(|w| w == b"scp -pf") {
                return Err(io::Error::other("not an scp -pf command"));
            }
            let mut acks = 0;
            for l in &lines {
                // Each line follows an ack from the client (the first is the wakeup).
                if p.read_data(1)? != [0] {
                    return Err(io::Error::other("expected an ack"));
                }
                acks += 1;
                p.data(l)?;
            }
            if acks == lines.len() && !body.is_empty() {
                if p.read_data(1)? != [0] {
                    return Err(io::Error::other("expected the C line ack"));
                }
                p.data(&body)?;
                p.data(&[0])?;
                p.chan_msg(cmsg::CHANNEL_EOF, &[])?;
            }
            p.serve_until_closed()
        },
        |addr| {
            let c = Client::login(addr);
            // SAFETY: live session; the stat buffer is writable; the channel is used then freed.
            unsafe {
                let mut sb: libc::stat = std::mem::zeroed();
                let t = Instant::now();
                let ch = ssh2::ffi::scp::libssh2_scp_recv2(c.sess, c"/remote/file".as_ptr(), &mut sb);
                assert!(t.elapsed() < BOUND);
                let rc = if ch.is_null() { c.errno() } else { 0 };
                let mut data = Vec::new();
                if !ch.is_null() {
                    let (d, r) = read_all(ch, 0);
                    assert_eq!(r, 0);
                    data = d;
                    assert_eq!(fc::libssh2_channel_free(ch), 0);
                }
                c.free();
                (rc, sb, data)
            }
        },
    )
    .0
}

#[test]
fn c35_scp_bad_c_and_t_lines() {
    let t = b"T1700000000 0 1600000000 0\n".to_vec();
    // Control: T then C then 5 bytes.
    let (rc, sb, data) = scp_case(vec![t.clone(), b"C0644 5 file\n".to_vec()], b"hello".to_vec());
    assert_eq!(rc, 0);
    assert_eq!((sb.st_size, sb.st_mtime, sb.st_mode & 0o7777), (5, 1_700_000_000, 0o644));
    assert_eq!(data, b"hello");
    let c_lines: Vec<&[u8]> = vec![
        b"C0644 file\n",
        b"C0644  file\n",
        b"C0644 -1 file\n",
        b"C0644 -9223372036854775808 file\n",
        b"C0644 99999999999999999999999 file\n",
        b"C0644 18446744073709551615 file\n",
        b"C0644 12x file\n",
        b"C0644 0x10 file\n",
        b"C0644\n",
        b"C\n",
        b"C0644 5\n",
        b"Cxyz 5 file\n",
        b"\n",
    ];
    for l in c_lines {
        let (rc, _, _) = scp_case(vec![t.clone(), l.to_vec()], vec![]);
        assert_eq!(rc, code::SCP_PROTOCOL, "C line {:?}", String::from_utf8_lossy(l));
    }
    let t_lines: Vec<&[u8]> = vec![
        b"T\n",
        b"Tgarbage\n",
        b"Tabc 0 1 0\n",
        b"T1 0 1\n",
        b"T1 0 1 0 extra\n",
        b"T-1 0 -1 0\n",
        b"T99999999999999999999999 0 1 0\n",
        b"X1 0 1 0\n",
        b"C0644 5 file\n",
    ];
    for l in t_lines {
        let (rc, _, _) = scp_case(vec![l.to_vec()], vec![]);
        assert_eq!(rc, code::SCP_PROTOCOL, "T line {:?}", String::from_utf8_lossy(l));
    }
    // A line that never ends is bounded.
    let (rc, _, _) = scp_case(vec![vec![b'T'; 100_000]], vec![]);
    assert_eq!(rc, code::SCP_PROTOCOL, "unterminated line");
}
