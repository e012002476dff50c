//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs` (run by
//! cargo-fuzz with `--cfg fuzzing`) and by `tests/fuzz_regressions.rs` (plain
//! `cargo test --features fuzzing`), so a committed reproducer replays through
//! exactly the code the fuzzer ran.
//!
//! Every function takes arbitrary bytes. Errors are fine; a panic, a hang (an
//! operation that keeps answering EAGAIN after its input ran out) or a broken
//! round trip is a finding.

use ssh2::agent::proto as agent;
use ssh2::error::{code, Result};
use ssh2::keys::{self, PrivateKey, PublicKey};
use ssh2::knownhost::{consts::FILE_OPENSSH, KnownHosts};
use ssh2::proto::conn::{negotiate, Conn};
use ssh2::proto::kex::{self, GexParams, KexInput, KexStep};
use ssh2::proto::transport::{self, DirectionKeys, Opener, Sealer};
use ssh2::session::scp::{parse_c_line, parse_t_line};
use ssh2::session::Session;
use ssh2::sftp::fuzzing as sftp_server;
use ssh2::sftp::{Attributes, LinkKind, OpenKind, StatKind};

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// Every fuzz target by name, with its entry point (the regression replay walks this).
pub const TARGETS: &[(&str, Target)] = &[
    ("packet", packet),
    ("conn", conn),
    ("kex", kex),
    ("kexinit", kexinit),
    ("session", session),
    ("scp", scp),
    ("privkey", privkey),
    ("pubkey", pubkey),
    ("knownhost", knownhost),
    ("agent", agent),
    ("sftp", sftp),
];

/// Bytes of the length prefix of each payload in [`split_payloads`].
const LEN_PREFIX: usize = 2;
/// Block alignment of a plaintext packet (RFC 4253 section 6).
const PLAIN_BLOCK: usize = 8;
/// Smallest padding of a packet.
const MIN_PAD: usize = 4;
/// Packets a session script may hold at most (bounds the work per input).
const MAX_SCRIPT_PACKETS: usize = 256;
/// Extra EAGAIN retries allowed beyond one per scripted packet before an
/// operation counts as hung: with the script exhausted the session sees EOF,
/// so every operation must end.
const SPARE_STEPS: usize = 64;
/// Bytes read per channel read call.
const READ_CHUNK: usize = 512;
/// Reads per channel before giving up on reaching EOF (the script is finite).
const MAX_READS: usize = 64;

/// Splits fuzz bytes into payloads: each is a big-endian u16 length (cut to
/// what is left) followed by that many bytes.
pub fn split_payloads(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while data.len() >= LEN_PREFIX && out.len() < MAX_SCRIPT_PACKETS {
        let n = usize::from(u16::from_be_bytes([data[0], data[1]])).min(data.len() - LEN_PREFIX);
        out.push(&data[LEN_PREFIX..LEN_PREFIX + n]);
        data = &data[LEN_PREFIX + n..];
    }
    out
}

/// The inverse of [`split_payloads`], for building seeds.
pub fn join_payloads(payloads: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        let n = u16::try_from(p.len()).expect("seed payload fits a u16");
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// Frames payloads as unencrypted SSH packets (length, padding length,
/// payload, zero padding), so the fuzzer's bytes reach the message parsers.
pub fn frame_plain(payloads: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        let mut pad = PLAIN_BLOCK - (4 + 1 + p.len()) % PLAIN_BLOCK;
        if pad < MIN_PAD {
            pad += PLAIN_BLOCK;
        }
        let len = (1 + p.len() + pad) as u32;
        out.extend_from_slice(&len.to_be_bytes());
        out.push(pad as u8);
        out.extend_from_slice(p);
        out.resize(out.len() + pad, 0);
    }
    out
}

/// (cipher, MAC) pairs the packet target opens with: every cipher, each MAC once.
const CIPHER_MACS: &[(&str, Option<&str>)] = &[
    ("chacha20-poly1305@openssh.com", None),
    ("aes128-gcm@openssh.com", None),
    ("aes256-gcm@openssh.com", None),
    ("aes128-ctr", Some("hmac-sha2-256")),
    ("aes192-ctr", Some("hmac-sha2-512-etm@openssh.com")),
    ("aes256-ctr", Some("hmac-sha2-256-etm@openssh.com")),
    ("aes256-cbc", Some("hmac-sha1")),
    ("aes192-cbc", Some("hmac-sha1-etm@openssh.com")),
    ("aes128-cbc", Some("hmac-md5")),
    ("rijndael-cbc@lysator.liu.se", Some("hmac-sha1-96")),
    ("3des-cbc", Some("hmac-md5-96")),
    ("aes128-ctr", Some("hmac-sha2-512")),
    ("aes128-ctr", Some("hmac-sha1-96-etm@openssh.com")),
    ("aes128-ctr", Some("hmac-md5-etm@openssh.com")),
    ("aes128-ctr", Some("hmac-md5-96-etm@openssh.com")),
];

/// Fixed keys for the packet target (long enough for every cipher and MAC).
fn fixed_keys() -> DirectionKeys {
    DirectionKeys {
        iv: (0..64).map(|i| i as u8).collect(),
        key: (0..64).map(|i| (i * 7 + 1) as u8).collect(),
        mac_key: (0..64).map(|i| (i * 13 + 5) as u8).collect(),
    }
}

/// Opens packets from `wire` until more bytes are needed or an error; returns the payloads.
fn open_all(opener: &mut Opener, wire: &mut [u8]) -> (Vec<Vec<u8>>, Result<()>) {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut seq = 0u32;
    loop {
        match opener.open(seq, &mut wire[pos..]) {
            Ok(Some(o)) => {
                assert!(o.consumed > 0 && o.consumed <= wire.len() - pos, "opener consumed {}", o.consumed);
                assert!(o.payload.end <= o.consumed, "payload outside its packet");
                out.push(wire[pos..][o.payload].to_vec());
                pos += o.consumed;
                seq = seq.wrapping_add(1);
            }
            Ok(None) => return (out, Ok(())),
            Err(e) => return (out, Err(e)),
        }
    }
}

/// Packet decoder. Byte 0 picks plaintext or a (cipher, MAC) with fixed keys;
/// byte 1 bit 0 picks the mode: raw wire bytes, or payloads sealed with the
/// same keys (optionally with one byte flipped) that must open back unchanged.
pub fn packet(data: &[u8]) {
    let [sel, mode, rest @ ..] = data else { return };
    let keys = fixed_keys();
    let pick = usize::from(*sel) % (CIPHER_MACS.len() + 1);
    let make = |sealing: bool| -> (Option<Sealer>, Opener) {
        match pick.checked_sub(1).and_then(|i| CIPHER_MACS.get(i)) {
            None => (sealing.then(Sealer::plaintext), Opener::plaintext()),
            Some(&(c, m)) => (
                if sealing { Some(Sealer::new(c, m, &keys).expect("sealer")) } else { None },
                Opener::new(c, m, &keys).expect("opener"),
            ),
        }
    };
    if mode & 1 == 0 {
        let (_, mut opener) = make(false);
        let _ = open_all(&mut opener, &mut rest.to_vec());
        return;
    }
    let (sealer, mut opener) = make(true);
    let mut sealer = sealer.expect("sealer requested");
    let payloads = split_payloads(rest);
    let mut wire = Vec::new();
    for (seq, p) in payloads.iter().enumerate() {
        if sealer.seal(seq as u32, p, &mut wire).is_err() {
            return;
        }
    }
    // Bits 1..: flip one byte at a chosen offset (0 = no flip).
    let flip = usize::from(mode >> 1);
    if flip > 0 && !wire.is_empty() {
        let at = (flip * 31) % wire.len();
        wire[at] ^= 0x80;
        let _ = open_all(&mut opener, &mut wire);
        return;
    }
    let (opened, r) = open_all(&mut opener, &mut wire);
    assert!(r.is_ok(), "sealed packets failed to open: {r:?}");
    assert_eq!(opened.len(), payloads.len(), "packets lost in a seal/open round trip");
    for (a, b) in opened.iter().zip(&payloads) {
        assert_eq!(a.as_slice(), *b, "payload changed in a seal/open round trip");
    }
}

/// Feeds `wire` into `c` in chunks and pulls application packets until it needs more or fails.
fn pump_conn(c: &mut Conn, mut wire: &[u8]) {
    while !wire.is_empty() {
        let buf = c.recv_buffer();
        let n = buf.len().min(wire.len());
        buf[..n].copy_from_slice(&wire[..n]);
        c.received(n);
        wire = &wire[n..];
        loop {
            match c.next_packet() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}

/// The transport core (Conn). Byte 0: bit 0 = established (plaintext, past
/// kex) or fresh (banner, KEXINIT, kex, NEWKEYS); bit 1 = raw bytes or framed
/// payloads (a fresh conn gets a banner line first).
pub fn conn(data: &[u8]) {
    let [sel, rest @ ..] = data else { return };
    let established = sel & 1 == 0;
    let framed = sel & 2 != 0;
    let mut c = if established {
        Conn::fuzz_established()
    } else {
        let mut c = Conn::new(None, Session::new().prefs(), GexParams::default());
        if c.start().is_err() {
            return;
        }
        c
    };
    let wire = if framed {
        let mut w = if established { Vec::new() } else { b"SSH-2.0-OpenSSH_9.2\r\n".to_vec() };
        w.extend(frame_plain(&split_payloads(rest)));
        w
    } else {
        rest.to_vec()
    };
    pump_conn(&mut c, &wire);
}

/// One key exchange method driven by server messages. Byte 0 picks the
/// method; the rest is split into server messages (message number included).
pub fn kex(data: &[u8]) {
    let [sel, rest @ ..] = data else { return };
    let name = kex::SUPPORTED_KEX[usize::from(*sel) % kex::SUPPORTED_KEX.len()];
    let input = KexInput { v_c: b"SSH-2.0-c".to_vec(), v_s: b"SSH-2.0-s".to_vec(), i_c: vec![20], i_s: vec![20] };
    let Ok(mut k) = kex::new_kex(name, input, GexParams::default()) else { return };
    if k.start().is_err() {
        return;
    }
    for m in split_payloads(rest) {
        match k.handle(m) {
            Ok(KexStep::Send(_)) => {}
            Ok(KexStep::Done(_)) | Err(_) => return,
        }
    }
}

/// KEXINIT parsing and negotiation against our default lists.
pub fn kexinit(data: &[u8]) {
    let Ok(theirs) = negotiate::parse(data) else { return };
    let ours = Session::new().prefs();
    let _ = negotiate::negotiate(&ours, &theirs, |c| transport::cipher_spec(c).is_some_and(|s| s.aead));
    // A server KEXINIT we can parse must be rebuildable from its lists.
    if let Ok(again) = negotiate::build(&theirs.lists) {
        let reparsed = negotiate::parse(&again).expect("our own KEXINIT parses");
        assert_eq!(reparsed.lists, theirs.lists, "KEXINIT lists changed in a round trip");
    }
}

/// Runs a non-blocking operation until it stops answering EAGAIN; panics if it
/// never does although the script (`budget` retries' worth) is exhausted.
fn settle<T>(s: &mut Session, budget: usize, mut op: impl FnMut(&mut Session) -> Result<T>) -> Option<T> {
    for _ in 0..budget + SPARE_STEPS {
        match op(s) {
            Err(e) if e.code == code::EAGAIN => continue,
            Err(_) => return None,
            Ok(v) => return Some(v),
        }
    }
    panic!("operation still answers EAGAIN after its input ran out (hang)");
}

/// An ed25519 test key (made for this harness, used nowhere else) for publickey auth.
const USER_KEY: &[u8] = include_bytes!("../seeds/user_ed25519");

/// The connection layer through the real Session: the input (after byte 0)
/// is split into payloads that the "server" sends as plaintext packets before
/// closing. Byte 0: bit 0 = start authenticated; bits 1-3 = which user
/// authentication to run; bits 4-5 = exec channel / scp download / scp upload /
/// publickey subsystem; bit 6 = also try a keepalive and remote forward; bit 7 =
/// the whole script in one burst (else one packet per read, as a server answers).
pub fn session(data: &[u8]) {
    let [sel, rest @ ..] = data else { return };
    let payloads = split_payloads(rest);
    let budget = payloads.len();
    let authenticated = sel & 1 != 0;
    let mut s = if sel & 0x80 == 0 {
        Session::fuzz_established_chunks(payloads.iter().map(|p| frame_plain(&[p])).collect(), authenticated)
    } else {
        Session::fuzz_established(&frame_plain(&payloads), authenticated)
    };
    let user = b"fuzz";
    match (sel >> 1) & 7 {
        0 => {
            settle(&mut s, budget, |s| s.userauth_list(user));
        }
        1 => {
            let mut change = |_: &[u8]| Some(b"new".to_vec());
            settle(&mut s, budget, |s| s.userauth_password(user, b"pw", Some(&mut change)));
        }
        2 => {
            let mut respond = |_: &[u8], _: &[u8], p: &[ssh2::session::auth::Prompt]| vec![b"a".to_vec(); p.len()];
            settle(&mut s, budget, |s| s.userauth_keyboard_interactive(user, &mut respond));
        }
        3 => {
            let Ok(key) = PrivateKey::from_memory(USER_KEY, None) else { panic!("harness key loads") };
            let blob = key.public_blob();
            let mut sign = |alg: &str, d: &[u8]| key.sign(alg, d).map(ssh2::session::driver::Ready);
            settle(&mut s, budget, |s| s.userauth_publickey(user, &blob, &mut sign));
        }
        4 => {
            let Ok(key) = PrivateKey::from_memory(USER_KEY, None) else { panic!("harness key loads") };
            let blob = key.public_blob();
            let mut sign = |alg: &str, d: &[u8]| key.sign(alg, d);
            settle(&mut s, budget, |s| s.userauth_hostbased(user, &blob, b"host", b"local", &mut sign));
        }
        _ => {}
    }
    match (sel >> 4) & 3 {
        0 => exec_channel(&mut s, budget),
        1 => {
            if let Some((id, _)) = settle(&mut s, budget, |s| s.scp_recv(b"/f", true, true)) {
                drain(&mut s, budget, id, 0);
                settle(&mut s, budget, |s| s.channel_free(id));
            }
        }
        2 => {
            if let Some(id) = settle(&mut s, budget, |s| s.scp_send(b"/f", 0o644, 5, 1, 2, true)) {
                settle(&mut s, budget, |s| s.channel_write(id, 0, b"hello"));
                settle(&mut s, budget, |s| s.channel_send_eof(id));
                settle(&mut s, budget, |s| s.channel_free(id));
            }
        }
        _ => {
            if let Some(mut pk) = settle(&mut s, budget, |s| s.publickey_init()) {
                settle(&mut s, budget, |s| pk.list(s));
                settle(&mut s, budget, |s| pk.shutdown(s));
            }
        }
    }
    if sel & 0x40 != 0 {
        settle(&mut s, budget, |s| s.keepalive_send());
        if let Some((lid, _)) = settle(&mut s, budget, |s| s.forward_listen(None, 0, 1)) {
            settle(&mut s, budget, |s| s.forward_accept(lid));
            settle(&mut s, budget, |s| s.forward_cancel(lid));
        }
    }
}

/// Reads a channel stream until EOF, an error or the read bound.
fn drain(s: &mut Session, budget: usize, id: u32, stream: i32) {
    let mut buf = [0u8; READ_CHUNK];
    for _ in 0..MAX_READS {
        match settle(s, budget, |s| s.channel_read(id, stream, &mut buf)) {
            Some(n) if n > 0 => {}
            _ => return,
        }
    }
}

/// open session, exec, write, read both streams, eof, close, free.
fn exec_channel(s: &mut Session, budget: usize) {
    let Some(id) = settle(s, budget, |s| s.channel_open(b"session", 2 * 1024 * 1024, 32768, b"")) else { return };
    let mut cmd = Vec::new();
    cmd.extend_from_slice(&4u32.to_be_bytes());
    cmd.extend_from_slice(b"true");
    settle(s, budget, |s| s.channel_request(id, b"exec", true, &cmd, "exec failed"));
    settle(s, budget, |s| s.channel_write(id, 0, &[7u8; 300]));
    drain(s, budget, id, 0);
    drain(s, budget, id, 1);
    settle(s, budget, |s| s.channel_receive_window_adjust(id, 1000, true));
    settle(s, budget, |s| s.channel_send_eof(id));
    let _ = s.channel_eof(id);
    settle(s, budget, |s| s.channel_close(id));
    settle(s, budget, |s| s.channel_wait_closed(id));
    settle(s, budget, |s| s.channel_free(id));
}

/// SCP header lines (`C` and `T`), each line of the input separately.
pub fn scp(data: &[u8]) {
    for line in data.split(|&b| b == b'\n') {
        if let Ok((mode, size)) = parse_c_line(line) {
            assert!(mode <= 0o7777 && size <= i64::MAX as u64, "C line accepted out-of-range values");
        }
        let _ = parse_t_line(line);
    }
}

/// Private key files from memory, without and with a passphrase; a key that
/// loads must sign and give a public blob that parses back.
pub fn privkey(data: &[u8]) {
    for pass in [None, Some(&b"fuzzpw"[..])] {
        if let Ok(k) = PrivateKey::from_memory(data, pass) {
            let blob = k.public_blob();
            let pk = PublicKey::from_blob(&blob).expect("a loaded key's public blob parses");
            assert_eq!(pk.blob(), blob.as_slice());
            if let Some(alg) = k.signature_algs().first() {
                let _ = k.sign(alg, b"data");
            }
        }
    }
}

/// Public key blobs (byte 0 even) or public key files (odd); a parsed key's
/// signature check runs on the rest of the input as a signature.
pub fn pubkey(data: &[u8]) {
    let [sel, rest @ ..] = data else { return };
    if sel & 1 == 0 {
        let parts = split_payloads(rest);
        let (blob, sig) = (parts.first().copied().unwrap_or_default(), parts.get(1).copied().unwrap_or_default());
        if let Ok(k) = PublicKey::from_blob(blob) {
            let _ = k.verify(sig, b"data");
            let _ = keys::verify_hostkey(k.key_type(), blob, sig, b"data");
        }
    } else if let Ok((_, blob)) = keys::parse_public_key_file(rest) {
        let _ = PublicKey::from_blob(&blob);
    }
}

/// known_hosts text: line by line and as a file; what was read must write
/// out, and what reads back must hold the same number of entries unless a
/// plain name in an `a,b` list starts with `|`, `#` or `@` (written alone on
/// its line such a name reads as a hash, a comment or a marker). Reading back
/// may fail as libssh2's does: its 20-byte minimum applies to the key field
/// with its blanks, so a short key padded with tabs passes once and not after
/// rewriting (both cases are in fuzz/regressions/knownhost/).
pub fn knownhost(data: &[u8]) {
    let mut kh = KnownHosts::new();
    let _ = kh.readline(data, FILE_OPENSSH);
    let mut kh = KnownHosts::new();
    let _ = kh.read_bytes(data);
    if let Ok(text) = kh.to_bytes() {
        let mut again = KnownHosts::new();
        let reread = again.read_bytes(&text);
        let plain_names_stand_alone =
            kh.iter().all(|e| e.salt().is_some() || !matches!(e.name().first(), Some(b'|' | b'#' | b'@')));
        if plain_names_stand_alone && reread.is_ok() {
            assert_eq!(again.len(), kh.len(), "entries lost in a known_hosts round trip");
        }
    }
}

/// Agent replies: identities answers and sign responses.
pub fn agent(data: &[u8]) {
    let _ = agent::parse_identities(data);
    for alg in ["ssh-ed25519", "rsa-sha2-256", "sk-ssh-ed25519@openssh.com"] {
        let _ = agent::parse_sign_response(data, alg);
    }
}

/// Payload tag (first byte) of an sftp script entry sent as stderr data.
const SFTP_TAG_STDERR: u8 = 0xfe;
/// Payload tag of an sftp script entry sent as a raw SSH message (window
/// adjust, EOF, close, requests...). Any other first byte: the whole payload
/// is SFTP stream bytes in one CHANNEL_DATA (an SFTP packet starts with its
/// length, whose first byte is 0).
const SFTP_TAG_RAW: u8 = 0xff;
/// Read buffer sizes the sftp target picks from (one byte: every read is
/// short; 70000: several DATA replies per call).
const SFTP_READ_BUFS: [usize; 4] = [1, 700, 4096, 70_000];
/// Bytes the sftp target writes (several WRITE requests under a small limit).
const SFTP_WRITE_BYTES: usize = 4096;
/// Most directory entries the sftp target lists.
const SFTP_MAX_NAMES: usize = 1024;

/// What the sftp target got through: operation names that succeeded and
/// byte counts, so tests can check that each seed reaches its replies.
#[derive(Debug, Default)]
pub struct SftpSummary {
    /// Names of the operations that succeeded, in order.
    pub ok: Vec<&'static str>,
    /// File bytes read.
    pub read: usize,
    /// File bytes the server acknowledged.
    pub written: usize,
    /// Directory entries listed.
    pub names: usize,
}

/// SFTP server replies. Byte 0 picks the operation groups (bit 0 paths:
/// realpath/readlink/symlink; bit 1 stat/lstat/setstat; bit 2 open+fstat+read
/// to EOF+close; bit 3 open+write+fsync+fstatvfs+close; bit 4 opendir+readdir
/// to the end+close; bit 5 statvfs/mkdir/rmdir/unlink/rename/posix-rename;
/// bit 6 shutdown). Byte 1: bit 0 = the script in one burst once the channel
/// is accepted (else one message per read); bits 1-2 = read buffer size. The
/// rest is split into payloads, each one channel message (see `SFTP_TAG_*`),
/// after the messages that accept the channel and the subsystem; then the
/// server closes.
pub fn sftp(data: &[u8]) {
    let _ = sftp_run(data);
}

/// The body of [`sftp`], returning what got through.
pub fn sftp_run(data: &[u8]) -> SftpSummary {
    let mut sum = SftpSummary::default();
    let [sel, mode, rest @ ..] = data else { return sum };
    let payloads = split_payloads(rest);
    let budget = payloads.len() + 2;
    let msgs: Vec<Vec<u8>> = payloads
        .iter()
        .map(|p| match p.split_first() {
            Some((&SFTP_TAG_STDERR, body)) => sftp_server::extended_data_message(body),
            Some((&SFTP_TAG_RAW, body)) => body.to_vec(),
            _ => sftp_server::data_message(p),
        })
        .collect();
    // The channel is accepted one message per read, as its requests go out
    // (a reply ahead of its request is an error); the script follows.
    let mut chunks: Vec<Vec<u8>> = sftp_server::accept_messages().iter().map(|m| frame_plain(&[m])).collect();
    if mode & 1 == 0 {
        chunks.extend(msgs.iter().map(|m| frame_plain(&[m])));
    } else {
        let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
        chunks.push(frame_plain(&refs));
    }
    let mut s = Session::fuzz_established_chunks(chunks, true);
    let Some(sid) = settle(&mut s, budget, |s| s.sftp_init()) else { return sum };
    sum.ok.push("init");
    let ok = |sum: &mut SftpSummary, name: &'static str, done: bool| {
        if done {
            sum.ok.push(name);
        }
    };
    if sel & 1 != 0 {
        let r = settle(&mut s, budget, |s| s.sftp_readlink(sid, b".", LinkKind::Realpath));
        ok(&mut sum, "realpath", r.is_some());
        let r = settle(&mut s, budget, |s| s.sftp_readlink(sid, b"/l", LinkKind::Readlink));
        ok(&mut sum, "readlink", r.is_some());
        let r = settle(&mut s, budget, |s| s.sftp_symlink(sid, b"/t", b"/l"));
        ok(&mut sum, "symlink", r.is_some());
    }
    if sel & 2 != 0 {
        let r = settle(&mut s, budget, |s| s.sftp_stat(sid, b"/f", StatKind::Stat));
        ok(&mut sum, "stat", r.is_some());
        let r = settle(&mut s, budget, |s| s.sftp_stat(sid, b"/f", StatKind::Lstat));
        ok(&mut sum, "lstat", r.is_some());
        let a = Attributes { flags: 0xf, size: 1, uid: 2, gid: 3, permissions: 0o644, atime: 4, mtime: 5 };
        let r = settle(&mut s, budget, |s| s.sftp_setstat(sid, b"/f", &a));
        ok(&mut sum, "setstat", r.is_some());
    }
    if sel & 4 != 0 {
        if let Some(fh) = settle(&mut s, budget, |s| s.sftp_open(sid, b"/f", 1, 0o644, OpenKind::File, None)) {
            sum.ok.push("open");
            let r = settle(&mut s, budget, |s| s.sftp_fstat(sid, fh));
            ok(&mut sum, "fstat", r.is_some());
            let mut buf = vec![0u8; SFTP_READ_BUFS[usize::from(mode >> 1) & 3]];
            let mut eof = false;
            for _ in 0..MAX_READS {
                match settle(&mut s, budget, |s| s.sftp_read(sid, fh, &mut buf)) {
                    Some(0) => {
                        eof = true;
                        break;
                    }
                    Some(n) => {
                        assert!(n <= buf.len(), "sftp read returned {n} for a {} byte buffer", buf.len());
                        sum.read += n;
                    }
                    None => break,
                }
            }
            ok(&mut sum, "eof", eof);
            let told = s.sftp_tell(sid, fh).ok();
            if let Some(t) = told {
                assert_eq!(t, sum.read as u64, "tell after reading {} bytes", sum.read);
            }
            let r = settle(&mut s, budget, |s| s.sftp_close(sid, fh));
            ok(&mut sum, "close", r.is_some());
        }
    }
    if sel & 8 != 0 {
        if let Some(fh) = settle(&mut s, budget, |s| s.sftp_open(sid, b"/w", 0x1a, 0o600, OpenKind::File, None)) {
            sum.ok.push("open-write");
            let data = [0x5au8; SFTP_WRITE_BYTES];
            while sum.written < data.len() {
                match settle(&mut s, budget, |s| s.sftp_write(sid, fh, &data[sum.written..])) {
                    Some(n) if n > 0 => {
                        assert!(n <= data.len() - sum.written, "sftp write acknowledged more than it was given");
                        sum.written += n;
                    }
                    _ => break,
                }
            }
            let r = settle(&mut s, budget, |s| s.sftp_fsync(sid, fh));
            ok(&mut sum, "fsync", r.is_some());
            let r = settle(&mut s, budget, |s| s.sftp_fstatvfs(sid, fh));
            ok(&mut sum, "fstatvfs", r.is_some());
            let r = settle(&mut s, budget, |s| s.sftp_close(sid, fh));
            ok(&mut sum, "close-write", r.is_some());
        }
    }
    if sel & 16 != 0 {
        if let Some(fh) = settle(&mut s, budget, |s| s.sftp_open(sid, b"/d", 0, 0, OpenKind::Dir, None)) {
            sum.ok.push("opendir");
            let mut end = false;
            for i in 0..SFTP_MAX_NAMES {
                // Every fourth entry is first refused (a caller's buffer too small): it must come again.
                if i % 4 == 1 {
                    let refuse = |_: &[u8], _: &[u8], _: &Attributes| -> Result<()> {
                        Err(ssh2::error::Error::new(code::BUFFER_TOO_SMALL, "small"))
                    };
                    let _ = settle(&mut s, budget, |s| s.sftp_readdir(sid, fh, refuse));
                }
                let got = settle(&mut s, budget, |s| {
                    s.sftp_readdir(sid, fh, |name, long, a| Ok((name.len(), long.len(), a.flags)))
                });
                match got {
                    Some(Some(_)) => sum.names += 1,
                    Some(None) => {
                        end = true;
                        break;
                    }
                    None => break,
                }
            }
            ok(&mut sum, "readdir-end", end);
            let r = settle(&mut s, budget, |s| s.sftp_close(sid, fh));
            ok(&mut sum, "closedir", r.is_some());
        }
    }
    if sel & 32 != 0 {
        let r = settle(&mut s, budget, |s| s.sftp_statvfs(sid, b"/"));
        ok(&mut sum, "statvfs", r.is_some());
        let r = settle(&mut s, budget, |s| s.sftp_mkdir(sid, b"/m", 0o755));
        ok(&mut sum, "mkdir", r.is_some());
        let r = settle(&mut s, budget, |s| s.sftp_rmdir(sid, b"/m"));
        ok(&mut sum, "rmdir", r.is_some());
        let r = settle(&mut s, budget, |s| s.sftp_unlink(sid, b"/u"));
        ok(&mut sum, "unlink", r.is_some());
        let r = settle(&mut s, budget, |s| s.sftp_rename(sid, b"/a", b"/b", 7));
        ok(&mut sum, "rename", r.is_some());
        let r = settle(&mut s, budget, |s| s.sftp_posix_rename(sid, b"/b", b"/c"));
        ok(&mut sum, "posix-rename", r.is_some());
    }
    let _ = s.sftp_last_error(sid);
    if sel & 64 != 0 {
        let r = settle(&mut s, budget, |s| s.sftp_shutdown(sid));
        ok(&mut sum, "shutdown", r.is_some());
    }
    sum
}
