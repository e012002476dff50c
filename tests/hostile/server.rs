//! A scriptable hostile SSH server for tests: one connection on a 127.0.0.1
//! listener thread, driven by a closure. It speaks plaintext for pre-kex
//! cases and can run a real server-side curve25519-sha256 / ssh-ed25519
//! exchange (built from the crate's own transport pieces) to reach the
//! encrypted phase, with hooks to misbehave at each step.
#![allow(dead_code)] // each test uses its own part

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ed25519_dalek::{Signer, SigningKey};
use rand_core::OsRng;
use ssh2::proto::kex::{derive_key, HashAlg};
use ssh2::proto::transport::{cipher_spec, mac_spec, Compressor, Decompressor, DirectionKeys, Opener, Sealer};
use ssh2::proto::wire::Writer;

/// Our identification line.
pub const SERVER_BANNER: &str = "SSH-2.0-HostileTest_1.0";
/// How long the server waits for the client at any point.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(15);
/// Strict kex marker a server offers (OpenSSH PROTOCOL).
pub const STRICT_S: &str = "kex-strict-s-v00@openssh.com";
/// SSH message numbers the scripts use.
pub mod msg {
    pub const DISCONNECT: u8 = 1;
    pub const IGNORE: u8 = 2;
    pub const DEBUG: u8 = 4;
    pub const SERVICE_REQUEST: u8 = 5;
    pub const SERVICE_ACCEPT: u8 = 6;
    pub const KEXINIT: u8 = 20;
    pub const NEWKEYS: u8 = 21;
    pub const KEX_ECDH_INIT: u8 = 30;
    pub const KEX_ECDH_REPLY: u8 = 31;
    pub const KEXDH_INIT: u8 = 30;
    pub const KEXDH_REPLY: u8 = 31;
    pub const KEX_DH_GEX_GROUP: u8 = 31;
    pub const KEX_DH_GEX_REQUEST: u8 = 34;
}

/// The algorithm lists of a server KEXINIT.
#[derive(Clone, Debug)]
pub struct Offer {
    /// Key exchange methods (add `STRICT_S` for strict kex).
    pub kex: Vec<String>,
    /// Host key algorithms.
    pub hostkey: String,
    /// Cipher, both directions.
    pub cipher: String,
    /// MAC, both directions.
    pub mac: String,
    /// Compression, both directions.
    pub comp: String,
}

impl Offer {
    /// curve25519-sha256 with ssh-ed25519 and chacha20-poly1305, strict or not.
    pub fn modern(strict: bool) -> Offer {
        let mut kex = vec!["curve25519-sha256".to_string()];
        if strict {
            kex.push(STRICT_S.into());
        }
        Offer {
            kex,
            hostkey: "ssh-ed25519".into(),
            cipher: "chacha20-poly1305@openssh.com".into(),
            mac: "hmac-sha2-256".into(),
            comp: "none".into(),
        }
    }

    /// The KEXINIT payload.
    pub fn payload(&self) -> Vec<u8> {
        let mut w = Writer::msg(msg::KEXINIT);
        w.raw(&[0x5a; 16]);
        w.name_list(&self.kex);
        w.string(self.hostkey.as_bytes());
        for _ in 0..2 {
            w.string(self.cipher.as_bytes());
        }
        for _ in 0..2 {
            w.string(self.mac.as_bytes());
        }
        for _ in 0..2 {
            w.string(self.comp.as_bytes());
        }
        w.string(b"").string(b"").bool(false).u32(0);
        w.buf
    }
}

/// The server end of one connection.
pub struct Peer {
    /// The socket.
    pub stream: TcpStream,
    /// The client's identification line (no CR LF).
    pub client_banner: Vec<u8>,
    sealer: Sealer,
    opener: Opener,
    seq_out: u32,
    seq_in: u32,
    rbuf: Vec<u8>,
    compress: Option<Compressor>,
    decompress: Option<Decompressor>,
    /// Session id after the first exchange.
    pub session_id: Vec<u8>,
    /// Channel bytes the client sent that no script step consumed yet.
    pub chan_in: Vec<u8>,
    /// Our channel number -> the client's, for every open channel.
    pub chans: HashMap<u32, u32>,
    /// The client's announced max packet on the last channel it opened.
    pub client_packet: u32,
}

/// Runs `script` on the first connection to a fresh listener; returns the
/// address to connect to and the thread (its result is the script's).
pub fn spawn<F>(script: F) -> (SocketAddr, JoinHandle<io::Result<()>>)
where
    F: FnOnce(&mut Peer) -> io::Result<()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind hostile listener");
    let addr = listener.local_addr().expect("listener address");
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept()?;
        stream.set_read_timeout(Some(PEER_TIMEOUT))?;
        stream.set_nodelay(true)?;
        let mut peer = Peer {
            stream,
            client_banner: Vec::new(),
            sealer: Sealer::plaintext(),
            opener: Opener::plaintext(),
            seq_out: 0,
            seq_in: 0,
            rbuf: Vec::new(),
            compress: None,
            decompress: None,
            session_id: Vec::new(),
            chan_in: Vec::new(),
            chans: HashMap::new(),
            client_packet: 0,
        };
        script(&mut peer)
    });
    (addr, handle)
}

fn other(e: impl std::fmt::Debug) -> io::Error {
    io::Error::other(format!("{e:?}"))
}

impl Peer {
    /// Writes raw bytes.
    pub fn raw(&mut self, b: &[u8]) -> io::Result<()> {
        self.stream.write_all(b)
    }

    /// Reads the client's identification line.
    pub fn read_client_banner(&mut self) -> io::Result<()> {
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        while !line.ends_with(b"\n") {
            if self.stream.read(&mut b)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            line.push(b[0]);
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        self.client_banner = line;
        Ok(())
    }

    /// Sends our banner and reads the client's.
    pub fn banner(&mut self) -> io::Result<()> {
        self.raw(format!("{SERVER_BANNER}\r\n").as_bytes())?;
        self.read_client_banner()
    }

    /// Frames (and, after NEWKEYS, protects) one packet.
    pub fn send(&mut self, payload: &[u8]) -> io::Result<()> {
        let mut out = Vec::new();
        let mut z = Vec::new();
        let payload = match self.compress.as_mut() {
            Some(c) => {
                c.compress(payload, &mut z).map_err(other)?;
                &z[..]
            }
            None => payload,
        };
        self.sealer.seal(self.seq_out, payload, &mut out).map_err(other)?;
        self.seq_out = self.seq_out.wrapping_add(1);
        self.raw(&out)
    }

    /// A plaintext packet with explicit length fields and body (for malformed framing).
    pub fn send_framed(&mut self, packet_length: u32, body: &[u8]) -> io::Result<()> {
        let mut out = packet_length.to_be_bytes().to_vec();
        out.extend_from_slice(body);
        self.seq_out = self.seq_out.wrapping_add(1);
        self.raw(&out)
    }

    /// Receives one packet's payload.
    pub fn recv(&mut self) -> io::Result<Vec<u8>> {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(o) = self.opener.open(self.seq_in, &mut self.rbuf).map_err(other)? {
                let mut p = self.rbuf.get(o.payload.clone()).map(<[u8]>::to_vec).unwrap_or_default();
                if let Some(d) = self.decompress.as_mut() {
                    let mut out = Vec::new();
                    d.decompress(&p, &mut out).map_err(other)?;
                    p = out;
                }
                self.rbuf.drain(..o.consumed);
                self.seq_in = self.seq_in.wrapping_add(1);
                return Ok(p);
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.rbuf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Receives packets until one of type `t` (skipping IGNORE and friends).
    pub fn expect(&mut self, t: u8) -> io::Result<Vec<u8>> {
        loop {
            let p = self.recv()?;
            match p.first() {
                Some(&x) if x == t => return Ok(p),
                Some(&(msg::IGNORE | msg::DEBUG | 3)) => continue,
                other_t => return Err(other(format!("expected message {t}, got {other_t:?}"))),
            }
        }
    }

    /// Waits (bounded) until the client closes the connection; returns whether it did.
    pub fn linger(&mut self) -> bool {
        let deadline = Instant::now() + PEER_TIMEOUT;
        let mut b = [0u8; 4096];
        while Instant::now() < deadline {
            match self.stream.read(&mut b) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => return false,
                Err(_) => return true,
            }
        }
        false
    }

    /// Stops sending, then reads until the client closes (bounded), so the
    /// client sees a clean EOF rather than a reset.
    pub fn close_gracefully(&mut self) -> bool {
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        self.linger()
    }

    /// Banner, KEXINIT both ways; returns (client KEXINIT, our KEXINIT).
    pub fn kexinit(&mut self, offer: &Offer) -> io::Result<(Vec<u8>, Vec<u8>)> {
        self.banner()?;
        let ours = offer.payload();
        self.send(&ours)?;
        let theirs = self.expect(msg::KEXINIT)?;
        Ok((theirs, ours))
    }
}

/// A server's ed25519 host key.
pub struct HostKey {
    key: SigningKey,
}

impl HostKey {
    /// A fresh key.
    pub fn generate() -> HostKey {
        HostKey { key: SigningKey::generate(&mut OsRng) }
    }

    /// The public key blob K_S.
    pub fn blob(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(b"ssh-ed25519").string(self.key.verifying_key().as_bytes());
        w.buf
    }

    /// `string "ssh-ed25519" || string sig` over `data`.
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(b"ssh-ed25519").string(&self.key.sign(data).to_bytes());
        w.buf
    }
}

/// How to misbehave during `serve_curve25519`.
#[derive(Default, Clone)]
pub struct Hooks {
    /// Payloads to send right after our banner, before our KEXINIT.
    pub before_kexinit: Vec<Vec<u8>>,
    /// Payloads to send right after our KEXINIT (before the client's arrives).
    pub after_kexinit: Vec<Vec<u8>>,
    /// Payloads to send between our KEX_ECDH_REPLY and our NEWKEYS.
    pub before_newkeys: Vec<Vec<u8>>,
    /// Replace our X25519 public value in the reply.
    pub q_s: Option<Vec<u8>>,
    /// Payloads to send right after our NEWKEYS (protected with the new keys).
    pub after_newkeys: Vec<Vec<u8>>,
    /// Replace our SERVICE_ACCEPT payload.
    pub service_accept: Option<Vec<u8>>,
    /// Sign something other than H.
    pub bad_signature: bool,
    /// Replace the whole KEX_ECDH_REPLY payload.
    pub reply: Option<Vec<u8>>,
}

/// Runs the server side of curve25519-sha256 (RFC 8731) with an ed25519 host
/// key, NEWKEYS both ways and the switch to the negotiated cipher, then
/// answers the client's SERVICE_REQUEST. `offer` must name one cipher and MAC.
pub fn serve_curve25519(peer: &mut Peer, offer: &Offer, hooks: &Hooks) -> io::Result<()> {
    use x25519_dalek::{PublicKey, StaticSecret};
    let strict = offer.kex.iter().any(|k| k == STRICT_S);
    peer.banner()?;
    for p in &hooks.before_kexinit {
        peer.send(p)?;
    }
    let i_s = offer.payload();
    peer.send(&i_s)?;
    for p in &hooks.after_kexinit {
        peer.send(p)?;
    }
    let i_c = peer.expect(msg::KEXINIT)?;
    let init = peer.expect(msg::KEX_ECDH_INIT)?;
    let q_c: [u8; 32] = ssh2::proto::wire::Reader::new(init.get(1..).unwrap_or_default())
        .string()
        .map_err(other)?
        .try_into()
        .map_err(other)?;
    let secret = StaticSecret::random_from_rng(OsRng);
    let q_s = PublicKey::from(&secret).as_bytes().to_vec();
    let shared = secret.diffie_hellman(&PublicKey::from(q_c));
    let mut k = Writer::new();
    k.mpint(shared.as_bytes());
    let host = HostKey::generate();
    let k_s = host.blob();
    let q_s_sent = hooks.q_s.clone().unwrap_or_else(|| q_s.clone());
    let mut hw = Writer::new();
    hw.string(&peer.client_banner).string(SERVER_BANNER.as_bytes());
    hw.string(&i_c).string(&i_s).string(&k_s).string(&q_c).string(&q_s_sent).raw(&k.buf);
    let h = HashAlg::Sha256.digest(&[&hw.buf]);
    let sig = if hooks.bad_signature { host.sign(b"not the exchange hash") } else { host.sign(&h) };
    let reply = hooks.reply.clone().unwrap_or_else(|| {
        let mut w = Writer::msg(msg::KEX_ECDH_REPLY);
        w.string(&k_s).string(&q_s_sent).string(&sig);
        w.buf
    });
    peer.send(&reply)?;
    for p in &hooks.before_newkeys {
        peer.send(p)?;
    }
    peer.send(&[msg::NEWKEYS])?;
    if peer.session_id.is_empty() {
        peer.session_id = h.clone();
    }
    let sid = peer.session_id.clone();
    let spec = cipher_spec(&offer.cipher).ok_or_else(|| other("unknown cipher"))?;
    let mac = if spec.aead { None } else { Some(offer.mac.as_str()) };
    let mac_len = mac.and_then(mac_spec).map_or(0, |m| m.key_len);
    let d = |letter: u8, len: usize| derive_key(HashAlg::Sha256, &k.buf, &h, letter, &sid, len).to_vec();
    let c2s = DirectionKeys { iv: d(b'A', spec.iv_len), key: d(b'C', spec.key_len), mac_key: d(b'E', mac_len) };
    let s2c = DirectionKeys { iv: d(b'B', spec.iv_len), key: d(b'D', spec.key_len), mac_key: d(b'F', mac_len) };
    peer.sealer = Sealer::new(&offer.cipher, mac, &s2c).map_err(other)?;
    if strict {
        peer.seq_out = 0;
    }
    // "zlib" starts right after NEWKEYS (RFC 4253 6.2).
    let zlib = offer.comp == "zlib";
    if zlib {
        peer.compress = Some(Compressor::new());
    }
    for p in &hooks.after_newkeys {
        peer.send(p)?;
    }
    peer.expect(msg::NEWKEYS)?;
    peer.opener = Opener::new(&offer.cipher, mac, &c2s).map_err(other)?;
    if strict {
        peer.seq_in = 0;
    }
    if zlib {
        peer.decompress = Some(Decompressor::new());
    }
    let req = peer.expect(msg::SERVICE_REQUEST)?;
    let mut w = Writer::msg(msg::SERVICE_ACCEPT);
    w.raw(req.get(1..).unwrap_or_default());
    peer.send(hooks.service_accept.as_deref().unwrap_or(&w.buf))
}

// ---- past key exchange: authentication and the connection protocol ----------

/// Connection-protocol message numbers (RFC 4252, RFC 4254): the library's own.
pub use ssh2::proto::msg as cmsg;

/// Our number for the channel the client opens (not 0, so mix-ups show).
pub const SERVER_CHAN: u32 = 7;
/// Window and packet size we grant the client on its channel.
pub const SERVER_WINDOW: u32 = 2 * 1024 * 1024;
/// Largest channel packet we accept from the client.
pub const SERVER_PACKET: u32 = 32 * 1024;

/// SFTP packet types (draft-ietf-secsh-filexfer-02): the library's own.
pub use ssh2::sftp::fxp;

/// One SFTP request as the client sent it.
#[derive(Debug, Clone)]
pub struct SftpReq {
    /// Packet type.
    pub kind: u8,
    /// Request id (the version, for FXP_INIT).
    pub id: u32,
    /// The rest of the packet.
    pub body: Vec<u8>,
}

impl SftpReq {
    /// The (offset, length) of a READ request.
    pub fn read_range(&self) -> io::Result<(u64, u32)> {
        let mut r = ssh2::proto::wire::Reader::new(&self.body);
        r.string().map_err(other)?;
        Ok((r.u64().map_err(other)?, r.u32().map_err(other)?))
    }
}

/// Builds an SFTP packet body: type, id, then `rest` (no length prefix).
pub fn sftp_packet(kind: u8, id: u32, rest: &[u8]) -> Vec<u8> {
    let mut v = vec![kind];
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(rest);
    v
}

/// A well-formed STATUS body.
pub fn sftp_status(id: u32, code: u32) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(code).string(b"msg").string(b"");
    sftp_packet(fxp::STATUS, id, &w.buf)
}

impl Peer {
    /// Full kex with `offer`, then accepts the first authentication request.
    pub fn login(&mut self, offer: &Offer) -> io::Result<()> {
        serve_curve25519(self, offer, &Hooks::default())?;
        self.expect(cmsg::USERAUTH_REQUEST)?;
        self.send(&[cmsg::USERAUTH_SUCCESS])
    }

    /// The next connection-layer packet, skipping window adjustments (the
    /// scripts ignore flow control). Channel data is also appended to `chan_in`.
    pub fn next_conn(&mut self) -> io::Result<Vec<u8>> {
        loop {
            let p = self.recv()?;
            match p.first() {
                Some(&(msg::IGNORE | msg::DEBUG | 3 | cmsg::CHANNEL_WINDOW_ADJUST)) => continue,
                Some(&cmsg::CHANNEL_DATA) => {
                    let mut r = ssh2::proto::wire::Reader::new(p.get(1..).unwrap_or_default());
                    r.u32().map_err(other)?;
                    self.chan_in.extend_from_slice(r.string().map_err(other)?);
                    return Ok(p);
                }
                _ => return Ok(p),
            }
        }
    }

    /// The next connection packet other than channel data.
    pub fn expect_conn_any(&mut self) -> io::Result<Vec<u8>> {
        loop {
            let p = self.next_conn()?;
            if p.first() != Some(&cmsg::CHANNEL_DATA) {
                return Ok(p);
            }
        }
    }

    /// The next connection packet other than channel data, which must be of type `t`.
    pub fn expect_conn(&mut self, t: u8) -> io::Result<Vec<u8>> {
        let p = self.expect_conn_any()?;
        if p.first() != Some(&t) {
            return Err(other(format!("expected message {t}, got {:?}", p.first())));
        }
        Ok(p)
    }

    /// Accepts the client's CHANNEL_OPEN with our window and packet size;
    /// returns the client's channel number.
    pub fn accept_channel(&mut self, window: u32, packet: u32) -> io::Result<u32> {
        let p = self.expect_conn(cmsg::CHANNEL_OPEN)?;
        let mut r = ssh2::proto::wire::Reader::new(p.get(1..).unwrap_or_default());
        r.string().map_err(other)?;
        let client = r.u32().map_err(other)?;
        let _window = r.u32().map_err(other)?;
        self.client_packet = r.u32().map_err(other)?;
        self.chans.insert(SERVER_CHAN, client);
        let mut w = Writer::msg(cmsg::CHANNEL_OPEN_CONFIRMATION);
        w.u32(client).u32(SERVER_CHAN).u32(window).u32(packet);
        self.send(&w.buf)?;
        Ok(client)
    }

    /// The client's number for our channel `ours`.
    pub fn client_chan(&self, ours: u32) -> u32 {
        self.chans.get(&ours).copied().unwrap_or(u32::MAX)
    }

    /// A message to the client's end of `SERVER_CHAN`: type, recipient, `rest`.
    pub fn chan_msg(&mut self, t: u8, rest: &[u8]) -> io::Result<()> {
        let mut w = Writer::msg(t);
        w.u32(self.client_chan(SERVER_CHAN)).raw(rest);
        self.send(&w.buf)
    }

    /// Expects a CHANNEL_REQUEST; returns (type, want_reply, the rest).
    pub fn expect_request(&mut self) -> io::Result<(Vec<u8>, bool, Vec<u8>)> {
        let p = self.expect_conn(cmsg::CHANNEL_REQUEST)?;
        let mut r = ssh2::proto::wire::Reader::new(p.get(1..).unwrap_or_default());
        r.u32().map_err(other)?;
        let name = r.string().map_err(other)?.to_vec();
        let want = r.bool().map_err(other)?;
        Ok((name, want, r.rest().to_vec()))
    }

    /// Expects a CHANNEL_REQUEST of type `name` and answers it with success.
    pub fn grant_request(&mut self, name: &[u8]) -> io::Result<Vec<u8>> {
        let (got, want, rest) = self.expect_request()?;
        if got != name {
            return Err(other(format!("expected request {:?}, got {:?}", name, String::from_utf8_lossy(&got))));
        }
        if want {
            self.chan_msg(cmsg::CHANNEL_SUCCESS, &[])?;
        }
        Ok(rest)
    }

    /// Sends `data` as CHANNEL_DATA in pieces the client's packet size allows.
    pub fn data(&mut self, data: &[u8]) -> io::Result<()> {
        let step = (self.client_packet as usize).clamp(1, SERVER_PACKET as usize);
        for piece in data.chunks(step) {
            let mut w = Writer::new();
            w.string(piece);
            self.chan_msg(cmsg::CHANNEL_DATA, &w.buf)?;
        }
        Ok(())
    }

    /// Reads until the client sent `n` channel bytes; returns them.
    pub fn read_data(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.chan_in.len() < n {
            let p = self.next_conn()?;
            if !matches!(p.first(), Some(&(cmsg::CHANNEL_DATA | cmsg::CHANNEL_EOF | cmsg::GLOBAL_REQUEST))) {
                return Err(other(format!("waiting for channel data, got message {:?}", p.first())));
            }
        }
        Ok(self.chan_in.drain(..n).collect())
    }

    /// Opens a session channel for the client (accepted with a big window),
    /// grants `subsystem sftp`, reads FXP_INIT and answers with `version`
    /// (a VERSION body; None: plain version 3).
    pub fn sftp_start(&mut self, version: Option<Vec<u8>>) -> io::Result<()> {
        self.accept_channel(SERVER_WINDOW, SERVER_PACKET)?;
        let sub = self.grant_request(b"subsystem")?;
        if sub.get(4..) != Some(&b"sftp"[..]) {
            return Err(other("not the sftp subsystem"));
        }
        let init = self.sftp_recv()?;
        if init.kind != fxp::INIT {
            return Err(other("expected FXP_INIT"));
        }
        let v = version.unwrap_or_else(|| vec![fxp::VERSION, 0, 0, 0, 3]);
        self.sftp_send(&v)
    }

    /// The client's next SFTP packet.
    pub fn sftp_recv(&mut self) -> io::Result<SftpReq> {
        let head = self.read_data(4)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if !(5..=1 << 20).contains(&len) {
            return Err(other(format!("client sent an SFTP packet of {len} bytes")));
        }
        let p = self.read_data(len)?;
        Ok(SftpReq { kind: p[0], id: u32::from_be_bytes([p[1], p[2], p[3], p[4]]), body: p[5..].to_vec() })
    }

    /// Sends one SFTP packet (adds the length).
    pub fn sftp_send(&mut self, body: &[u8]) -> io::Result<()> {
        let mut v = (body.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(body);
        self.data(&v)
    }

    /// Answers request `id` (an OPEN or OPENDIR) with the handle "H1".
    pub fn sftp_handle(&mut self, id: u32) -> io::Result<()> {
        let mut w = Writer::new();
        w.string(b"H1");
        self.sftp_send(&sftp_packet(fxp::HANDLE, id, &w.buf))
    }

    /// A complete SFTP packet from `chan_in`, if one is there.
    pub fn take_sftp(&mut self) -> Option<SftpReq> {
        let head: [u8; 4] = self.chan_in.get(..4)?.try_into().ok()?;
        let len = u32::from_be_bytes(head) as usize;
        if len < 5 || self.chan_in.len() < 4 + len {
            return None;
        }
        let p: Vec<u8> = self.chan_in.drain(..4 + len).skip(4).collect();
        Some(SftpReq { kind: p[0], id: u32::from_be_bytes([p[1], p[2], p[3], p[4]]), body: p[5..].to_vec() })
    }

    /// Answers SFTP requests with `f` until the client closes the channel
    /// (then as `serve_until_closed`).
    pub fn sftp_serve(&mut self, mut f: impl FnMut(&mut Peer, SftpReq) -> io::Result<()>) -> io::Result<()> {
        loop {
            if let Some(req) = self.take_sftp() {
                f(self, req)?;
                continue;
            }
            let p = match self.next_conn() {
                Ok(p) => p,
                Err(_) => return Ok(()),
            };
            if self.housekeeping(&p)? {
                return self.serve_until_closed();
            }
        }
    }

    /// Keeps the connection going until the client leaves: answers channel
    /// CLOSE with CLOSE and requests with failure, so the client's teardown
    /// never waits for us. Bounded by the socket timeout.
    pub fn serve_until_closed(&mut self) -> io::Result<()> {
        loop {
            let p = match self.next_conn() {
                Ok(p) => p,
                Err(_) => return Ok(()),
            };
            if p.first() == Some(&msg::DISCONNECT) {
                return Ok(());
            }
            self.housekeeping(&p)?;
        }
    }

    /// The default answer to a packet no script step wanted; true for a channel CLOSE.
    fn housekeeping(&mut self, p: &[u8]) -> io::Result<bool> {
        let mut r = ssh2::proto::wire::Reader::new(p.get(1..).unwrap_or_default());
        match p.first() {
            Some(&cmsg::CHANNEL_CLOSE) => {
                let ours = r.u32().map_err(other)?;
                if let Some(theirs) = self.chans.remove(&ours) {
                    let mut w = Writer::msg(cmsg::CHANNEL_CLOSE);
                    w.u32(theirs);
                    self.send(&w.buf)?;
                }
                return Ok(true);
            }
            Some(&cmsg::CHANNEL_REQUEST) => {
                let ours = r.u32().map_err(other)?;
                r.string().map_err(other)?;
                if r.bool().map_err(other)? {
                    let mut w = Writer::msg(cmsg::CHANNEL_FAILURE);
                    w.u32(self.client_chan(ours));
                    self.send(&w.buf)?;
                }
            }
            Some(&cmsg::GLOBAL_REQUEST) => {
                r.string().map_err(other)?;
                if r.bool().map_err(other)? {
                    self.send(&[cmsg::REQUEST_FAILURE])?;
                }
            }
            _ => {}
        }
        Ok(false)
    }
}
