//! Hostile peers (/work/shared/reference/hostile-peer-cases.md): a scripted
//! fake server for the cases before and during key exchange, and a
//! corrupting proxy in front of the real sshd for the encrypted phase.
//! Every case: the documented error code, bounded time, no crash, later
//! calls fail instead of hanging, and `libssh2_session_free` is clean.

mod common;
#[path = "hostile/proxy.rs"]
mod proxy;
#[path = "hostile/server.rs"]
mod server;

use std::ffi::{c_char, c_int, c_void, CString};
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Sshd, UserKey};
use server::{msg, serve_curve25519, Hooks, Offer, Peer};
use ssh2::error::code;
use ssh2::ffi::handle::LIBSSH2_SESSION;
use ssh2::ffi::session as fs;
use ssh2::keys::PrivateKey;
use ssh2::proto::wire::Writer;
use ssh2::session::driver::Ready;
use ssh2::session::Session;

/// Timeout given to the client: every case must end well before it.
const CLIENT_TIMEOUT_MS: i64 = 10_000;
/// Most a hostile case may take.
const BOUND: Duration = Duration::from_secs(8);
/// RFC 3526 group 14 prime (2048 bits), for DH range checks.
const GROUP14_P: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
);

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Runs the C handshake against `addr` with `prefs`; checks the bound, that
/// a repeated call fails promptly too, and frees the session. Returns the rc.
fn c_handshake(addr: SocketAddr, prefs: &[(c_int, &str)]) -> c_int {
    let stream = TcpStream::connect(addr).expect("connect to hostile server");
    // SAFETY: one C session driven through the exported API with valid arguments.
    unsafe {
        let sess: *mut LIBSSH2_SESSION = fs::libssh2_session_init_ex(None, None, None, ptr::null_mut());
        fs::libssh2_session_set_timeout(sess, CLIENT_TIMEOUT_MS as _);
        for (slot, p) in prefs {
            // As in libssh2, compression methods are accepted only once compression is on.
            if *slot == 6 || *slot == 7 {
                assert_eq!(fs::libssh2_session_flag(sess, 2, 1), 0, "LIBSSH2_FLAG_COMPRESS");
            }
            let p = CString::new(*p).unwrap();
            assert_eq!(fs::libssh2_session_method_pref(sess, *slot, p.as_ptr()), 0);
        }
        let start = Instant::now();
        let rc = fs::libssh2_session_handshake(sess, stream.as_raw_fd());
        let took = start.elapsed();
        assert!(took < BOUND, "handshake took {took:?} (rc {rc})");
        if rc != 0 {
            assert_eq!(fs::libssh2_session_last_errno(sess), rc, "last_errno matches");
            let again = Instant::now();
            let rc2 = fs::libssh2_session_handshake(sess, stream.as_raw_fd());
            assert!(rc2 < 0 && rc2 != code::EAGAIN, "a second handshake after {rc} returned {rc2}");
            assert!(again.elapsed() < Duration::from_secs(1), "the repeated call hung");
        }
        assert_eq!(fs::libssh2_session_free(sess), 0);
        rc
    }
}

/// Runs `script` as the server and the default client against it.
fn case<F>(script: F) -> c_int
where
    F: FnOnce(&mut Peer) -> io::Result<()> + Send + 'static,
{
    case_with(&[], script)
}

fn case_with<F>(prefs: &[(c_int, &str)], script: F) -> c_int
where
    F: FnOnce(&mut Peer) -> io::Result<()> + Send + 'static,
{
    let (addr, h) = server::spawn(script);
    let rc = c_handshake(addr, prefs);
    // The script's own result does not matter (the client may have left early),
    // but it must not have panicked.
    let _ = h.join().expect("hostile server thread panicked");
    rc
}

fn plain(payload: &[u8]) -> impl FnOnce(&mut Peer) -> io::Result<()> + Send + 'static {
    let payload = payload.to_vec();
    move |p: &mut Peer| {
        p.banner()?;
        p.send(&payload)?;
        p.linger();
        Ok(())
    }
}

// ---- 1-3: banners --------------------------------------------------------------

#[test]
fn c01_banner_then_eof() {
    let rc = case(|p| {
        p.raw(b"SSH-2.0-Hostile")?;
        p.close_gracefully();
        Ok(())
    });
    assert_eq!(rc, code::SOCKET_DISCONNECT);
}

#[test]
fn c02_banner_with_nul() {
    let rc = case(|p| {
        p.raw(b"SSH-2.0-Hos\0tile\r\n")?;
        p.linger();
        Ok(())
    });
    assert_eq!(rc, code::BANNER_RECV);
}

#[test]
fn c03_overlong_banner_lines_and_too_many_lines() {
    // A pre-banner line over 8192 bytes, never ending.
    let rc = case(|p| {
        p.raw(&vec![b'a'; 9000])?;
        p.linger();
        Ok(())
    });
    assert_eq!(rc, code::BANNER_RECV);
    // The same, ended.
    let rc = case(|p| {
        let mut l = vec![b'a'; 8200];
        l.extend_from_slice(b"\r\n");
        p.raw(&l)?;
        p.linger();
        Ok(())
    });
    assert_eq!(rc, code::BANNER_RECV);
    // More than 1024 lines before "SSH-".
    let rc = case(|p| {
        p.raw(&b"hello there\r\n".repeat(1100))?;
        p.raw(b"SSH-2.0-Late\r\n")?;
        p.linger();
        Ok(())
    });
    assert_eq!(rc, code::BANNER_RECV);
    // An identification line over 255 bytes.
    let rc = case(|p| {
        let mut l = b"SSH-2.0-".to_vec();
        l.extend_from_slice(&[b'x'; 300]);
        l.extend_from_slice(b"\r\n");
        p.raw(&l)?;
        p.linger();
        Ok(())
    });
    assert_eq!(rc, code::BANNER_RECV);
    // 1024 short lines are fine (the limit is inclusive), and so is SSH-1.99.
    let rc = case(|p| {
        p.raw(&b"motd\r\n".repeat(1024))?;
        p.raw(b"SSH-1.99-Old\r\n")?;
        p.close_gracefully();
        Ok(())
    });
    // After the banner, libssh2 reports any failure before the key exchange method as SOCKET_NONE.
    assert_eq!(rc, code::SOCKET_NONE, "banner accepted, then EOF");
}

// ---- 4-6: packet framing -------------------------------------------------------

#[test]
fn c04_packet_length_0_to_4() {
    for len in 0u32..=4 {
        let rc = case(move |p| {
            p.banner()?;
            p.send_framed(len, &[4u8; 32])?;
            p.linger();
            Ok(())
        });
        // libssh2 folds every failure while the KEXINITs are exchanged into SOCKET_NONE.
        assert_eq!(rc, code::SOCKET_NONE, "packet_length {len}");
    }
}

#[test]
fn c05_packet_length_huge_is_out_of_boundary() {
    for len in [40001u32, 0xFFFF_FFF0, 0xFFFF_FFFF] {
        let rc = case(move |p| {
            p.banner()?;
            p.send_framed(len, &[4u8; 32])?;
            p.linger();
            Ok(())
        });
        assert_eq!(rc, code::SOCKET_NONE, "packet_length {len:#x}");
    }
}

#[test]
fn c06_padding_length_not_below_packet_length() {
    for (len, pad) in [(12u32, 12u8), (12, 13), (12, 255), (28, 28)] {
        let rc = case(move |p| {
            p.banner()?;
            let mut body = vec![pad];
            body.resize(len as usize, 0x41);
            p.send_framed(len, &body)?;
            p.linger();
            Ok(())
        });
        assert_eq!(rc, code::SOCKET_NONE, "packet_length {len} padding_length {pad}");
    }
    // One less leaves an empty payload: not a message at all.
    let rc = case(|p| {
        p.banner()?;
        let mut body = vec![11u8];
        body.resize(12, 0x41);
        p.send_framed(12, &body)?;
        p.linger();
        Ok(())
    });
    assert_eq!(rc, code::SOCKET_NONE, "empty payload");
}

// ---- 7-8: KEXINIT --------------------------------------------------------------

#[test]
fn c07_truncated_or_overrunning_kexinit() {
    let good = Offer::modern(false).payload();
    // Without the trailing fields, and cut inside name-lists.
    for cut in [good.len() - 5, good.len() - 4, good.len() - 1, 17, 21, 40] {
        let rc = case(plain(&good[..cut]));
        // A KEXINIT that arrives but does not parse fails the agreement, as in libssh2.
        assert_eq!(rc, code::KEX_FAILURE, "KEXINIT cut at {cut}");
    }
    // A name-list length that runs past the packet.
    for (i, len) in [(17usize, 0x7FFF_FFFFu32), (17, 0xFFFF_FFFF), (17, 1000)] {
        let mut bad = good.clone();
        bad[i..i + 4].copy_from_slice(&len.to_be_bytes());
        let rc = case(plain(&bad));
        assert_eq!(rc, code::KEX_FAILURE, "name-list length {len:#x}");
    }
}

#[test]
fn c08_no_common_algorithm_is_kex_failure() {
    let mut no_kex = Offer::modern(false);
    no_kex.kex = vec!["no-such-kex@example.com".into()];
    let mut no_cipher = Offer::modern(false);
    no_cipher.cipher = "none".into();
    let mut no_hostkey = Offer::modern(false);
    no_hostkey.hostkey = "ssh-unknown".into();
    let mut no_mac = Offer::modern(false);
    no_mac.cipher = "aes128-ctr".into();
    no_mac.mac = "umac-64@openssh.com".into();
    for offer in [no_kex, no_cipher, no_hostkey, no_mac] {
        let rc = case(plain(&offer.payload()));
        assert_eq!(rc, code::KEX_FAILURE, "{offer:?}");
    }
}

// ---- 10: strict kex (Terrapin) ---------------------------------------------------

fn ignore() -> Vec<u8> {
    let mut w = Writer::msg(msg::IGNORE);
    w.string(b"terrapin");
    w.buf
}

fn debug() -> Vec<u8> {
    let mut w = Writer::msg(msg::DEBUG);
    w.bool(false).string(b"debug message").string(b"");
    w.buf
}

fn full_kex(strict: bool, hooks: Hooks) -> c_int {
    case(move |p| {
        serve_curve25519(p, &Offer::modern(strict), &hooks)?;
        p.linger();
        Ok(())
    })
}

#[test]
fn c10_strict_kex_rejects_stray_messages_non_strict_accepts_them() {
    // Baseline: a clean exchange with the test server works both ways.
    assert_eq!(full_kex(true, Hooks::default()), 0);
    assert_eq!(full_kex(false, Hooks::default()), 0);
    // Once the agreed method runs, every failure is KEY_EXCHANGE_FAILURE, as in libssh2.
    let (before, during) = (code::KEX_FAILURE, code::KEY_EXCHANGE_FAILURE);
    let variants: Vec<(&str, Hooks, i32)> = vec![
        ("IGNORE before KEXINIT", Hooks { before_kexinit: vec![ignore()], ..Hooks::default() }, before),
        ("DEBUG before KEXINIT", Hooks { before_kexinit: vec![debug()], ..Hooks::default() }, before),
        ("IGNORE after KEXINIT", Hooks { after_kexinit: vec![ignore()], ..Hooks::default() }, during),
        ("IGNORE before NEWKEYS", Hooks { before_newkeys: vec![ignore()], ..Hooks::default() }, during),
        ("DEBUG before NEWKEYS", Hooks { before_newkeys: vec![debug()], ..Hooks::default() }, during),
    ];
    for (what, hooks, want) in variants {
        let strict = full_kex(true, hooks.clone());
        assert_eq!(strict, want, "strict server, {what}");
        let lax = full_kex(false, hooks);
        assert_eq!(lax, 0, "non-strict server, {what}");
    }
}

// ---- 11: DISCONNECT ----------------------------------------------------------------

#[test]
fn c11_malformed_disconnect() {
    let huge_desc = {
        let mut v = vec![msg::DISCONNECT, 0, 0, 0, 2];
        v.extend_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
        v.extend_from_slice(b"short");
        v
    };
    for payload in [vec![msg::DISCONNECT], vec![msg::DISCONNECT, 0, 0], vec![msg::DISCONNECT, 0, 0, 0, 2], huge_desc] {
        let rc = case(plain(&payload));
        assert_eq!(rc, code::SOCKET_NONE, "DISCONNECT {payload:?}: {rc}");
    }
    // A well-formed one ends the handshake too, with the same code in libssh2.
    let mut w = Writer::msg(msg::DISCONNECT);
    w.u32(2).string(b"go away").string(b"");
    assert_eq!(case(plain(&w.buf)), code::SOCKET_NONE);
}

// ---- 12-15: key exchange replies ----------------------------------------------------

fn string(v: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(v);
    w.buf
}

#[test]
fn c12_kex_reply_lengths_past_the_packet() {
    let k_s = server::HostKey::generate().blob();
    let q_s = [9u8; 32];
    let overrun = |mut v: Vec<u8>, claimed: u32| {
        v.extend_from_slice(&claimed.to_be_bytes());
        v.extend_from_slice(b"xyz");
        v
    };
    let head = vec![msg::KEX_ECDH_REPLY];
    let with_key = [head.clone(), string(&k_s)].concat();
    let with_q = [with_key.clone(), string(&q_s)].concat();
    let replies = vec![
        ("host key", overrun(head.clone(), 5000)),
        ("host key 0xFFFFFFFF", overrun(head.clone(), 0xFFFF_FFFF)),
        ("public value", overrun(with_key.clone(), 33)),
        ("signature", overrun(with_q.clone(), 0xFFFF_FFF0)),
        ("no signature", with_q),
        ("empty", head),
    ];
    for (what, reply) in replies {
        let rc = full_kex(false, Hooks { reply: Some(reply), ..Hooks::default() });
        // A failure of the agreed method, as libssh2 reports it.
        assert_eq!(rc, code::KEY_EXCHANGE_FAILURE, "{what} past the packet: {rc}");
    }
}

#[test]
fn c13_bad_curve25519_values() {
    for q_s in [vec![0u8; 32], vec![9u8; 31], vec![9u8; 33], vec![]] {
        let rc = full_kex(false, Hooks { q_s: Some(q_s.clone()), ..Hooks::default() });
        assert_eq!(rc, code::KEY_EXCHANGE_FAILURE, "Q_S of {} bytes {:?}", q_s.len(), q_s.first());
    }
}

/// A server that answers KEXDH_INIT of diffie-hellman-group14-sha256 with `f`.
fn dh_reply_case(f: Vec<u8>) -> c_int {
    case_with(&[(0, "diffie-hellman-group14-sha256")], move |p| {
        let offer = Offer { kex: vec!["diffie-hellman-group14-sha256".into()], ..Offer::modern(false) };
        p.kexinit(&offer)?;
        p.expect(msg::KEXDH_INIT)?;
        let host = server::HostKey::generate();
        let mut w = Writer::msg(msg::KEXDH_REPLY);
        w.string(&host.blob()).mpint(&f).string(&host.sign(b"whatever"));
        p.send(&w.buf)?;
        p.linger();
        Ok(())
    })
}

#[test]
fn c13_dh_f_out_of_range() {
    let p = unhex(GROUP14_P);
    let mut p_minus_1 = p.clone();
    *p_minus_1.last_mut().unwrap() -= 1;
    for (what, f) in
        [("0", vec![0]), ("1", vec![1]), ("p-1", p_minus_1), ("p", p.clone()), ("2^2048-1", vec![0xFF; 256])]
    {
        assert_eq!(dh_reply_case(f), code::KEY_EXCHANGE_FAILURE, "f = {what}");
    }
}

/// A server that answers the group-exchange request with (p, g).
fn gex_case(p_bytes: Vec<u8>, g: Vec<u8>) -> c_int {
    let name = "diffie-hellman-group-exchange-sha256";
    case_with(&[(0, name)], move |p| {
        let offer = Offer { kex: vec![name.into()], ..Offer::modern(false) };
        p.kexinit(&offer)?;
        p.expect(msg::KEX_DH_GEX_REQUEST)?;
        let mut w = Writer::msg(msg::KEX_DH_GEX_GROUP);
        w.mpint(&p_bytes).mpint(&g);
        p.send(&w.buf)?;
        p.linger();
        Ok(())
    })
}

#[test]
fn c14_group_exchange_bad_groups() {
    let odd = |bits: usize| {
        let mut v = vec![0xC5u8; bits / 8];
        v[0] |= 0x80;
        *v.last_mut().unwrap() |= 1;
        v
    };
    let p14 = unhex(GROUP14_P);
    let cases = vec![
        ("1024-bit prime", odd(1024), vec![2]),
        ("2040-bit prime", odd(2040), vec![2]),
        ("8200-bit prime", odd(8200), vec![2]),
        ("16384-bit prime", odd(16384), vec![2]),
        ("g = 1", p14.clone(), vec![1]),
        ("g = 0", p14.clone(), vec![]),
        ("g = p-1", p14.clone(), {
            let mut v = p14.clone();
            *v.last_mut().unwrap() -= 1;
            v
        }),
    ];
    for (what, p, g) in cases {
        assert_eq!(gex_case(p, g), code::KEY_EXCHANGE_FAILURE, "{what}");
    }
}

#[test]
fn c15_host_key_signature_that_does_not_verify() {
    let rc = full_kex(false, Hooks { bad_signature: true, ..Hooks::default() });
    // libssh2's HOSTKEY_SIGN becomes KEY_EXCHANGE_FAILURE on the way out of the key exchange.
    assert_eq!(rc, code::KEY_EXCHANGE_FAILURE);
}

// ---- 17-19: corrupted encrypted stream from the real sshd ---------------------------

/// Handshake + publickey auth through `addr`; the error code or 0.
fn login_through(addr: SocketAddr, sshd: &Sshd, cipher: &str, mac: Option<&str>) -> i32 {
    let stream = TcpStream::connect(addr).expect("connect to proxy");
    let mut s = Session::new();
    s.timeout_ms = CLIENT_TIMEOUT_MS;
    s.set_method_pref(2, cipher).unwrap();
    s.set_method_pref(3, cipher).unwrap();
    if let Some(m) = mac {
        s.set_method_pref(4, m).unwrap();
        s.set_method_pref(5, m).unwrap();
    }
    let start = Instant::now();
    let r = s.handshake(stream.as_raw_fd()).and_then(|()| {
        let key = PrivateKey::from_file(&sshd.user_key(UserKey::Ed25519).private, None)?;
        let blob = key.public_blob();
        s.userauth_publickey(sshd.user.as_bytes(), &blob, &mut |alg, data| {
            Session::sign_with(&key, alg, data).map(Ready)
        })
    });
    assert!(start.elapsed() < BOUND, "{cipher}/{mac:?} took {:?}", start.elapsed());
    match r {
        Ok(()) => 0,
        Err(e) => {
            // Later calls fail too, promptly.
            let again = s.userauth_list(sshd.user.as_bytes());
            assert!(again.is_err(), "a call after {e:?} succeeded");
            e.code
        }
    }
}

/// Offsets into the encrypted stream: every byte of the first blocks, then a spread.
fn flip_offsets() -> Vec<usize> {
    let mut v: Vec<usize> = (0..20).collect();
    v.extend([23, 31, 32, 33, 47, 63, 64, 80, 100, 127, 150, 200]);
    v
}

/// Flips bytes at many offsets with the given algorithms; every login must fail with one of `allowed`.
fn flip_all(sshd: &Sshd, cipher: &str, mac: Option<&str>, allowed: &[i32]) -> Vec<i32> {
    let upstream: SocketAddr = sshd.addr().parse().unwrap();
    let mut codes = Vec::new();
    for offset in flip_offsets() {
        // The low bit at even offsets, the high bit at odd ones.
        let mask = if offset % 2 == 0 { 0x01u8 } else { 0x80 };
        let (addr, h) = proxy::spawn(upstream, proxy::Damage::Flip { offset, mask });
        let rc = login_through(addr, sshd, cipher, mac);
        let applied = h.join().expect("proxy panicked").unwrap_or(false);
        assert!(applied, "{cipher}/{mac:?}: offset {offset} was never reached");
        assert_ne!(rc, 0, "{cipher}/{mac:?}: flip at {offset} ({mask:#x}) went unnoticed");
        assert!(allowed.contains(&rc), "{cipher}/{mac:?}: flip at {offset} gave {rc}");
        codes.push(rc);
    }
    let mut tally = std::collections::BTreeMap::new();
    for c in &codes {
        *tally.entry(*c).or_insert(0) += 1;
    }
    eprintln!("{cipher}/{mac:?}: {} flips, codes {tally:?}", codes.len());
    codes
}

/// Codes a damaged MAC-protected stream may end with: the MAC check, or a
/// length/padding check that came first, or the cut connection when a grown
/// length waits for bytes that never come; during the handshake, libssh2's
/// codes for a failed key exchange.
const MAC_CODES: [i32; 8] = [
    code::INVALID_MAC,
    code::OUT_OF_BOUNDARY,
    code::PROTO,
    code::DECRYPT,
    code::SOCKET_DISCONNECT,
    code::SOCKET_RECV,
    code::SOCKET_NONE,
    code::KEY_EXCHANGE_FAILURE,
];

#[test]
fn c17_flipped_bytes_with_each_mac_never_pass() {
    let sshd = Sshd::start_with(&[
        "MACs hmac-sha2-256,hmac-sha2-512,hmac-sha1,hmac-sha1-96,hmac-md5,hmac-md5-96,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com",
        "Ciphers aes128-ctr,aes256-cbc",
    ]);
    let macs = [
        "hmac-sha2-256",
        "hmac-sha2-512",
        "hmac-sha1",
        "hmac-sha1-96",
        "hmac-md5",
        "hmac-md5-96",
        "hmac-sha2-256-etm@openssh.com",
        "hmac-sha2-512-etm@openssh.com",
        "hmac-sha1-etm@openssh.com",
        "hmac-sha1-96-etm@openssh.com",
        "hmac-md5-etm@openssh.com",
        "hmac-md5-96-etm@openssh.com",
    ];
    for mac in macs {
        let codes = flip_all(&sshd, "aes128-ctr", Some(mac), &MAC_CODES);
        // Flips past the length field are caught by the MAC itself.
        assert!(codes.contains(&code::INVALID_MAC), "{mac}: {codes:?}");
    }
    let codes = flip_all(&sshd, "aes256-cbc", Some("hmac-sha2-256"), &MAC_CODES);
    assert!(codes.contains(&code::INVALID_MAC), "cbc: {codes:?}");
}

/// AEAD damage ends in DECRYPT, or a length check, or the cut connection.
const AEAD_CODES: [i32; 7] = [
    code::DECRYPT,
    code::OUT_OF_BOUNDARY,
    code::PROTO,
    code::SOCKET_DISCONNECT,
    code::SOCKET_RECV,
    code::SOCKET_NONE,
    code::KEY_EXCHANGE_FAILURE,
];

#[test]
fn c18_flipped_bytes_with_each_aead_never_pass() {
    let sshd = Sshd::start();
    for cipher in ["chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"] {
        let codes = flip_all(&sshd, cipher, None, &AEAD_CODES);
        assert!(codes.contains(&code::DECRYPT), "{cipher}: {codes:?}");
    }
}

fn set_len(sshd: &Sshd, cipher: &str, mac: Option<&str>, target: u32, tag_len: usize) -> i32 {
    let upstream: SocketAddr = sshd.addr().parse().unwrap();
    let (addr, h) = proxy::spawn(upstream, proxy::Damage::SetLen { target, tag_len });
    let rc = login_through(addr, sshd, cipher, mac);
    assert!(h.join().expect("proxy panicked").unwrap_or(false), "length {target:#x} not applied");
    rc
}

#[test]
fn c19_chacha_and_etm_bad_decrypted_lengths() {
    let sshd = Sshd::start_with(&["MACs hmac-sha2-256-etm@openssh.com"]);
    let chacha = "chacha20-poly1305@openssh.com";
    for target in [0xFFFF_FFFFu32, 0x8000_0000, 40001] {
        assert_eq!(set_len(&sshd, chacha, None, target, 16), code::OUT_OF_BOUNDARY, "chacha length {target:#x}");
    }
    for target in [0u32, 1, 2, 3, 4, 7] {
        let rc = set_len(&sshd, chacha, None, target, 16);
        assert!(rc == code::PROTO || rc == code::DECRYPT, "chacha length {target}: {rc}");
    }
    // EtM: the length travels in clear; below one block (16) it cannot be a packet.
    let etm = Some("hmac-sha2-256-etm@openssh.com");
    for target in [0u32, 1, 4, 8, 15] {
        let rc = set_len(&sshd, "aes128-ctr", etm, target, 32);
        assert!(rc == code::PROTO || rc == code::DECRYPT || rc == code::INVALID_MAC, "EtM length {target}: {rc}");
    }
    assert_eq!(set_len(&sshd, "aes128-ctr", etm, 0xFFFF_FFFF, 32), code::OUT_OF_BOUNDARY);
}

// ---- 20: zlib bomb (and pre-authentication "zlib", which sshd no longer offers) ----

fn zlib_case(ignore_len: usize) -> c_int {
    let mut w = Writer::msg(msg::IGNORE);
    w.string(&vec![0u8; ignore_len]);
    let hooks = Hooks { after_newkeys: vec![w.buf], ..Hooks::default() };
    let offer = Offer { comp: "zlib".into(), ..Offer::modern(true) };
    case_with(&[(6, "zlib"), (7, "zlib")], move |p| {
        serve_curve25519(p, &offer, &hooks)?;
        p.linger();
        Ok(())
    })
}

#[test]
fn c20_zlib_bomb_and_zlib_after_newkeys() {
    // 39995 + 5 header bytes inflate to 40000: the limit itself is fine, and
    // the SERVICE_REQUEST/ACCEPT round trip runs compressed both ways.
    assert_eq!(zlib_case(39_995), 0);
    assert_eq!(zlib_case(39_996), code::ZLIB);
    assert_eq!(zlib_case(10_000_000), code::ZLIB);
}

// ---- 21: SERVICE_ACCEPT ----------------------------------------------------------

#[test]
fn c21_malformed_service_accept() {
    let over = |claimed: u32| {
        let mut v = vec![msg::SERVICE_ACCEPT];
        v.extend_from_slice(&claimed.to_be_bytes());
        v.extend_from_slice(b"ssh-userauth");
        v
    };
    let wrong = {
        let mut w = Writer::msg(msg::SERVICE_ACCEPT);
        w.string(b"ssh-connection");
        w.buf
    };
    for (what, payload) in [
        ("length 13", over(13)),
        ("length 0xFFFFFFFF", over(0xFFFF_FFFF)),
        ("no name", vec![msg::SERVICE_ACCEPT]),
        ("other service", wrong),
    ] {
        let rc = full_kex(true, Hooks { service_accept: Some(payload), ..Hooks::default() });
        assert_eq!(rc, code::PROTO, "{what}");
    }
}

// ---- IGNORE / DEBUG callbacks (OpenSSH never sends them unasked) -------------------

static IGNORED: AtomicUsize = AtomicUsize::new(0);
static DEBUGGED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_ignore(_s: *mut LIBSSH2_SESSION, msg: *const c_char, len: c_int, _ab: *mut *mut c_void) {
    // SAFETY: msg is valid for len bytes during the callback.
    let m = unsafe { std::slice::from_raw_parts(msg.cast::<u8>(), len as usize) };
    if m == b"terrapin" {
        IGNORED.fetch_add(1, Ordering::SeqCst);
    }
}

extern "C" fn on_debug(
    _s: *mut LIBSSH2_SESSION,
    always: c_int,
    msg: *const c_char,
    len: c_int,
    _lang: *const c_char,
    _lang_len: c_int,
    _ab: *mut *mut c_void,
) {
    // SAFETY: msg is valid for len bytes during the callback.
    let m = unsafe { std::slice::from_raw_parts(msg.cast::<u8>(), len as usize) };
    if always == 0 && m == b"debug message" {
        DEBUGGED.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn ignore_and_debug_reach_their_callbacks() {
    let hooks = Hooks { before_kexinit: vec![ignore(), debug()], ..Hooks::default() };
    let (addr, h) = server::spawn(move |p| {
        serve_curve25519(p, &Offer::modern(false), &hooks)?;
        p.linger();
        Ok(())
    });
    let stream = TcpStream::connect(addr).unwrap();
    // SAFETY: one C session driven with valid arguments and callbacks.
    unsafe {
        let sess = fs::libssh2_session_init_ex(None, None, None, ptr::null_mut());
        fs::libssh2_session_callback_set2(sess, 0, on_ignore as *mut c_void);
        fs::libssh2_session_callback_set2(sess, 1, on_debug as *mut c_void);
        fs::libssh2_session_set_timeout(sess, CLIENT_TIMEOUT_MS as _);
        assert_eq!(fs::libssh2_session_handshake(sess, stream.as_raw_fd()), 0);
        fs::libssh2_session_free(sess);
    }
    drop(stream);
    let _ = h.join().unwrap();
    assert_eq!(IGNORED.load(Ordering::SeqCst), 1);
    assert_eq!(DEBUGGED.load(Ordering::SeqCst), 1);
}

// ---- faults: the server vanishes after N bytes --------------------------------------

#[test]
fn peer_closing_after_every_n_bytes_fails_cleanly() {
    let sshd = Sshd::start();
    let upstream: SocketAddr = sshd.addr().parse().unwrap();
    let cipher = "chacha20-poly1305@openssh.com";
    // How many bytes a full login takes from the server.
    let (addr, h) = proxy::spawn_cut(upstream, usize::MAX);
    assert_eq!(login_through(addr, &sshd, cipher, None), 0, "clean login through the proxy");
    let total = h.join().unwrap().unwrap();
    assert!(total > 1000, "{total}");
    // Every byte of the banner and the first packets, then a spread to the end.
    let mut cuts: Vec<usize> = (0..64).collect();
    cuts.extend((64..total).step_by(37));
    // sshd sends a little after USERAUTH_SUCCESS (hostkeys-00@openssh.com):
    // cuts there leave the login done. Below that point every cut must fail.
    let mut seen = std::collections::BTreeSet::new();
    let mut logged_in_from = None;
    for n in cuts {
        let (addr, h) = proxy::spawn_cut(upstream, n);
        let rc = login_through(addr, &sshd, cipher, None);
        let sent = h.join().unwrap().unwrap();
        assert!(sent <= n, "the proxy forwarded {sent} of {n}");
        if sent < n {
            // The conversation ended before the cut point.
            assert_eq!(rc, 0, "no cut at {n}, yet the login failed");
            continue;
        }
        if rc == 0 {
            logged_in_from.get_or_insert(n);
            continue;
        }
        assert!(logged_in_from.is_none(), "cut after {n} failed ({rc}) but a shorter one logged in");
        // A cut while the agreed key exchange method runs is KEY_EXCHANGE_FAILURE (libssh2's code);
        // one while the public key auth awaits its reply is PUBLICKEY_UNVERIFIED (libssh2 codes
        // any failed wait there so).
        assert!(
            rc == code::SOCKET_DISCONNECT
                || rc == code::SOCKET_RECV
                || rc == code::SOCKET_SEND
                || rc == code::SOCKET_NONE
                || rc == code::KEY_EXCHANGE_FAILURE
                || rc == code::PUBLICKEY_UNVERIFIED,
            "cut after {n} of {total} bytes: {rc}"
        );
        seen.insert(rc);
    }
    let from = logged_in_from.unwrap_or(total);
    assert!(from > total / 2, "login succeeded with only {from} of {total} server bytes");
    assert!(seen.contains(&code::SOCKET_DISCONNECT), "{seen:?}");
    // A cut inside the key exchange reply: libssh2's KEY_EXCHANGE_FAILURE, not a socket code.
    assert!(seen.contains(&code::KEY_EXCHANGE_FAILURE), "{seen:?}");
    // A cut inside the auth exchange: the method's code, as libssh2 gives it.
    assert!(seen.contains(&code::PUBLICKEY_UNVERIFIED), "{seen:?}");
}
