//! A scriptable hostile SSH server for tests: one connection on a 127.0.0.1
//! listener thread, driven by a closure. It speaks plaintext for pre-kex
//! cases and can run a real server-side curve25519-sha256 / ssh-ed25519
//! exchange (built from the crate's own transport pieces) to reach the
//! encrypted phase, with hooks to misbehave at each step.
#![allow(dead_code)] // each test uses its own part

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
