//! The client transport core (RFC 4253): banner exchange, the packet pump,
//! key exchange and re-exchange with strict-kex rules. Sans-IO: the session
//! hands it received bytes and sends what `pending_output` holds.

#[cfg(any(test, fuzzing, feature = "fuzzing"))]
pub mod fuzzing;
pub mod negotiate;

use std::collections::VecDeque;

use crate::error::{code, Error, Result};
use crate::keys;
use crate::proto::kex::{self, GexParams, Kex, KexInput, KexStep};
use crate::proto::msg;
use crate::proto::transport::{self as tp, Compressor, Decompressor, DirectionKeys, Opener, Sealer};
use crate::proto::wire::Reader;
use negotiate::{idx, KexInit, Negotiated, NAME_LISTS};

/// The banner we send unless the caller sets another.
pub const DEFAULT_BANNER: &str = "SSH-2.0-libssh2_1.11.1";
/// Longest identification line ("SSH-..."), CR LF included (RFC 4253 4.2).
pub const MAX_BANNER_LINE: usize = 255;
/// Longest other line a server may send before its banner.
pub const MAX_PRE_BANNER_LINE: usize = 8192;
/// Most lines a server may send before its banner.
pub const MAX_PRE_BANNER_LINES: usize = 1024;
/// Bytes in either direction after which we start a key re-exchange (RFC 4344 3.2 bounds it; 1 GiB as OpenSSH).
pub const REKEY_BYTES: u64 = 1 << 30;
/// Receive buffer of a new or quiet connection (memory by use, issue 19).
const RECV_MIN: usize = 16 * 1024;
/// Receive buffer growth driven by reads that fill it stops here (a packet
/// larger still grows it as far as it needs).
const RECV_MAX: usize = 256 * 1024;
/// Reads of under a quarter of the buffer in a row after which an empty,
/// grown receive buffer goes back to `RECV_MIN`.
const RECV_SHRINK_AFTER: u32 = 8;
/// Send buffer capacity kept once a drained buffer held no more than this.
const OUT_KEEP: usize = 16 * 1024;
/// Most application packets held unread before the peer is considered hostile.
pub const MAX_QUEUED_PACKETS: usize = 4096;

/// Where an opened packet's payload is.
enum Payload {
    /// Still in the receive buffer (no decompression).
    InBuf(std::ops::Range<usize>),
    /// Decompressed into its own buffer.
    Owned(Vec<u8>),
}

/// True for messages the transport passes up (everything but transport-layer
/// and key exchange messages).
fn is_application_msg(t: u8) -> bool {
    !matches!(t, 1..=4 | msg::KEXINIT | msg::NEWKEYS | 30..=49 | msg::EXT_INFO)
}

/// Something the session should tell the application about (via callbacks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// SSH_MSG_IGNORE data.
    Ignore(Vec<u8>),
    /// SSH_MSG_DEBUG.
    Debug {
        /// Whether the message should be shown.
        always_display: bool,
        /// The text.
        message: Vec<u8>,
        /// Language tag.
        language: Vec<u8>,
    },
    /// SSH_MSG_DISCONNECT.
    Disconnect {
        /// Reason code.
        reason: u32,
        /// The description.
        message: Vec<u8>,
        /// Language tag.
        language: Vec<u8>,
    },
    /// SSH_MSG_UNIMPLEMENTED: the peer did not understand our packet `seq`
    /// (e.g. a keepalive global request before authentication).
    Unimplemented(u32),
}

enum KexState {
    /// No exchange running.
    Idle,
    /// Our KEXINIT is sent; waiting for the server's.
    SentInit,
    /// Both KEXINITs seen; the method is exchanging messages.
    Running { machine: Box<dyn Kex>, neg: Box<Negotiated>, skip_guess: bool },
    /// We sent NEWKEYS; waiting for the server's, with its keys ready.
    AwaitNewKeys { opener: Box<Opener>, neg: Box<Negotiated> },
}

/// The stages of the first key exchange, as libssh2 tells their failures apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstKexPhase {
    /// Waiting for the server's banner.
    Banner,
    /// Exchanging KEXINITs.
    KexInit,
    /// The agreed method is running (up to NEWKEYS).
    Method,
    /// The first key exchange is complete.
    Done,
}

/// Ten algorithm lists, in preference order (the LIBSSH2_METHOD_* slots).
pub type Prefs = [Vec<String>; NAME_LISTS];

/// The transport state of one client connection.
pub struct Conn {
    local_banner: Vec<u8>,
    remote_banner: Option<Vec<u8>>,
    /// The agreed key exchange method has started (both KEXINITs seen).
    kex_method_started: bool,
    pre_banner_lines: usize,
    rbuf: Vec<u8>,
    /// Space `recv_buffer` offered last.
    recv_offered: usize,
    /// The last read filled all of it: the buffer doubles (up to `RECV_MAX`).
    recv_full: bool,
    /// Small reads in a row (see `RECV_SHRINK_AFTER`).
    recv_small: u32,
    rstart: usize,
    rend: usize,
    out: Vec<u8>,
    out_pos: usize,
    sealer: Sealer,
    opener: Opener,
    seq_out: u32,
    seq_in: u32,
    compress: Option<Compressor>,
    decompress: Option<Decompressor>,
    delayed_compression: (bool, bool),
    prefs: Prefs,
    gex: GexParams,
    kex: KexState,
    our_kexinit: Vec<u8>,
    their_kexinit: Vec<u8>,
    deferred: VecDeque<Vec<u8>>,
    incoming: VecDeque<Vec<u8>>,
    /// Events for the application's callbacks.
    pub events: VecDeque<Event>,
    session_id: Option<Vec<u8>>,
    negotiated: Option<Negotiated>,
    host_key: Option<Vec<u8>>,
    server_sig_algs: Option<Vec<String>>,
    strict: bool,
    first_kex_done: bool,
    early_non_kex: bool,
    authenticated: bool,
    our_lists: Prefs,
    packets_in: u64,
    bytes_since_kex: u64,
    rekey_limit: u64,
    scratch: Vec<u8>,
}

impl Conn {
    /// A connection that will send `banner` and offer `prefs`.
    pub fn new(banner: Option<&[u8]>, prefs: Prefs, gex: GexParams) -> Self {
        Conn {
            local_banner: banner.unwrap_or(DEFAULT_BANNER.as_bytes()).to_vec(),
            remote_banner: None,
            kex_method_started: false,
            pre_banner_lines: 0,
            rbuf: vec![0; RECV_MIN],
            recv_offered: 0,
            recv_full: false,
            recv_small: 0,
            rstart: 0,
            rend: 0,
            out: Vec::new(),
            out_pos: 0,
            sealer: Sealer::plaintext(),
            opener: Opener::plaintext(),
            seq_out: 0,
            seq_in: 0,
            compress: None,
            decompress: None,
            delayed_compression: (false, false),
            prefs,
            gex,
            kex: KexState::Idle,
            our_kexinit: Vec::new(),
            their_kexinit: Vec::new(),
            deferred: VecDeque::new(),
            incoming: VecDeque::new(),
            events: VecDeque::new(),
            session_id: None,
            negotiated: None,
            host_key: None,
            server_sig_algs: None,
            strict: false,
            first_kex_done: false,
            early_non_kex: false,
            authenticated: false,
            our_lists: Default::default(),
            packets_in: 0,
            bytes_since_kex: 0,
            rekey_limit: REKEY_BYTES,
            scratch: Vec::new(),
        }
    }

    /// Queues our banner (the first KEXINIT follows the server's banner).
    pub fn start(&mut self) -> Result<()> {
        self.out.extend_from_slice(&self.local_banner);
        self.out.extend_from_slice(b"\r\n");
        Ok(())
    }

    // ---- byte movement -------------------------------------------------

    /// Bytes waiting to be sent.
    pub fn pending_output(&self) -> &[u8] {
        &self.out[self.out_pos..]
    }

    /// Marks `n` pending bytes as sent.
    pub fn consume_output(&mut self, n: usize) {
        self.out_pos += n;
        if self.out_pos >= self.out.len() {
            // A burst is over once a drained buffer held little: give its memory back.
            let used = self.out.len();
            self.out.clear();
            self.out_pos = 0;
            if used <= OUT_KEEP && self.out.capacity() > OUT_KEEP {
                self.out.shrink_to(OUT_KEEP);
            }
        }
    }

    /// Space to receive into; call `received` with the count written.
    pub fn recv_buffer(&mut self) -> &mut [u8] {
        if self.rstart == self.rend {
            self.rstart = 0;
            self.rend = 0;
            if self.recv_small >= RECV_SHRINK_AFTER && self.rbuf.len() > RECV_MIN {
                self.rbuf = vec![0; RECV_MIN];
                self.recv_small = 0;
            }
        }
        if self.recv_full && self.rbuf.len() < RECV_MAX {
            self.recv_full = false;
            let n = (self.rbuf.len() * 2).min(RECV_MAX);
            self.rbuf.resize(n, 0);
        }
        if self.rend == self.rbuf.len() {
            if self.rstart > 0 {
                self.rbuf.copy_within(self.rstart..self.rend, 0);
                self.rend -= self.rstart;
                self.rstart = 0;
            } else {
                let n = self.rbuf.len() * 2;
                self.rbuf.resize(n, 0);
            }
        }
        self.recv_offered = self.rbuf.len() - self.rend;
        &mut self.rbuf[self.rend..]
    }

    /// Records that `n` bytes were written into `recv_buffer`.
    pub fn received(&mut self, n: usize) {
        self.rend = (self.rend + n).min(self.rbuf.len());
        self.recv_full = n >= self.recv_offered;
        if n < self.rbuf.len() / 4 {
            self.recv_small = self.recv_small.saturating_add(1);
        } else {
            self.recv_small = 0;
        }
    }

    // ---- state queries -------------------------------------------------

    /// The first key exchange has completed in both directions.
    pub fn handshake_done(&self) -> bool {
        self.first_kex_done
    }

    /// Where the first key exchange stands, for libssh2's handshake error codes.
    pub fn first_kex_phase(&self) -> FirstKexPhase {
        if self.first_kex_done {
            FirstKexPhase::Done
        } else if self.remote_banner.is_none() {
            FirstKexPhase::Banner
        } else if self.kex_method_started {
            FirstKexPhase::Method
        } else {
            FirstKexPhase::KexInit
        }
    }

    /// A key exchange is in progress.
    pub fn kex_running(&self) -> bool {
        !matches!(self.kex, KexState::Idle)
    }

    /// The server's identification line, without CR LF.
    pub fn remote_banner(&self) -> Option<&[u8]> {
        self.remote_banner.as_deref()
    }

    /// The server's host key blob from the last key exchange.
    pub fn host_key(&self) -> Option<&[u8]> {
        self.host_key.as_deref()
    }

    /// The session identifier (H of the first exchange).
    pub fn session_id(&self) -> Option<&[u8]> {
        self.session_id.as_deref()
    }

    /// The algorithms in use.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    /// The server's `server-sig-algs` extension, if it sent one.
    pub fn server_sig_algs(&self) -> Option<&[String]> {
        self.server_sig_algs.as_deref()
    }

    /// Sets after how many bytes (both directions) we start a key re-exchange
    /// ourselves; 0 restores the default `REKEY_BYTES`.
    pub fn set_rekey_limit(&mut self, bytes: u64) {
        self.rekey_limit = if bytes == 0 { REKEY_BYTES } else { bytes };
    }

    /// Replaces the offered algorithms (takes effect at the next exchange).
    pub fn set_prefs(&mut self, prefs: Prefs) {
        self.prefs = prefs;
    }

    // ---- sending -------------------------------------------------------

    /// Sends an application payload; held back while a key exchange runs.
    pub fn send(&mut self, payload: &[u8]) -> Result<()> {
        // Only between our KEXINIT and our NEWKEYS must application packets wait.
        if matches!(self.kex, KexState::SentInit | KexState::Running { .. }) {
            self.deferred.push_back(payload.to_vec());
            return Ok(());
        }
        self.seal(payload)?;
        if matches!(self.kex, KexState::Idle) && self.bytes_since_kex >= self.rekey_limit {
            self.send_kexinit()?;
        }
        Ok(())
    }

    /// True when nothing is held back or unsent.
    pub fn all_sent(&self) -> bool {
        self.deferred.is_empty() && self.pending_output().is_empty()
    }

    fn seal(&mut self, payload: &[u8]) -> Result<()> {
        let before = self.out.len();
        if let Some(c) = self.compress.as_mut() {
            self.scratch.clear();
            c.compress(payload, &mut self.scratch)?;
            self.sealer.seal(self.seq_out, &self.scratch, &mut self.out)?;
        } else {
            self.sealer.seal(self.seq_out, payload, &mut self.out)?;
        }
        self.seq_out = self.seq_out.wrapping_add(1);
        self.bytes_since_kex += (self.out.len() - before) as u64;
        Ok(())
    }

    fn send_kexinit(&mut self) -> Result<()> {
        let mut lists = self.prefs.clone();
        if !self.first_kex_done {
            lists[idx::KEX].push(negotiate::EXT_INFO_C.into());
            lists[idx::KEX].push(negotiate::STRICT_KEX_C.into());
        }
        let p = negotiate::build(&lists)?;
        self.seal(&p)?;
        self.our_kexinit = p;
        self.our_lists = lists;
        self.kex = KexState::SentInit;
        Ok(())
    }

    // ---- receiving -----------------------------------------------------

    /// Processes received bytes until an application packet is ready (returned)
    /// or more bytes are needed (`None`). Transport messages are handled here.
    pub fn next_packet(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            if let Some(p) = self.incoming.pop_front() {
                return Ok(Some(p));
            }
            if self.remote_banner.is_none() {
                if !self.read_banner()? {
                    return Ok(None);
                }
                continue;
            }
            match self.open_packet()? {
                None => return Ok(None),
                Some(Payload::Owned(v)) => self.handle(v)?,
                Some(Payload::InBuf(r)) => {
                    let v = self.rbuf[r].to_vec();
                    self.handle(v)?;
                }
            }
        }
    }

    fn read_banner(&mut self) -> Result<bool> {
        loop {
            let data = &self.rbuf[self.rstart..self.rend];
            let Some(nl) = data.iter().position(|&b| b == b'\n') else {
                let limit = if data.starts_with(b"SSH-") { MAX_BANNER_LINE } else { MAX_PRE_BANNER_LINE };
                if data.len() > limit {
                    return Err(Error::new(code::BANNER_RECV, "Banner line too long"));
                }
                return Ok(false);
            };
            let mut line = &data[..nl];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            let is_ident = line.starts_with(b"SSH-");
            if line.len() + 2 > if is_ident { MAX_BANNER_LINE } else { MAX_PRE_BANNER_LINE } {
                return Err(Error::new(code::BANNER_RECV, "Banner line too long"));
            }
            if line.contains(&0) {
                return Err(Error::new(code::BANNER_RECV, "Banner contains a NUL byte"));
            }
            let line = line.to_vec();
            self.rstart += nl + 1;
            if is_ident {
                if !(line.starts_with(b"SSH-2.0-") || line.starts_with(b"SSH-1.99-")) {
                    return Err(Error::new(code::BANNER_RECV, "Unsupported SSH protocol version"));
                }
                self.remote_banner = Some(line);
                // As libssh2, KEXINIT goes out once the server's banner is in: a
                // server that hangs up before its banner sees only ours. No round
                // trip is lost: the key exchange waits for the server's KEXINIT,
                // which comes after its banner anyway.
                if !self.first_kex_done && matches!(self.kex, KexState::Idle) {
                    self.send_kexinit()?;
                }
                return Ok(true);
            }
            self.pre_banner_lines += 1;
            if self.pre_banner_lines > MAX_PRE_BANNER_LINES {
                return Err(Error::new(code::BANNER_RECV, "Too many lines before the banner"));
            }
        }
    }

    fn open_packet(&mut self) -> Result<Option<Payload>> {
        let start = self.rstart;
        let buf = &mut self.rbuf[start..self.rend];
        let Some(o) = self.opener.open(self.seq_in, buf)? else { return Ok(None) };
        self.seq_in = self.seq_in.wrapping_add(1);
        self.packets_in += 1;
        self.bytes_since_kex += o.consumed as u64;
        let raw = buf.get(o.payload.clone()).ok_or_else(|| Error::proto("Bad packet payload range"))?;
        if raw.is_empty() {
            return Err(Error::proto("Empty packet payload"));
        }
        let payload = if let Some(d) = self.decompress.as_mut() {
            let mut v = Vec::with_capacity(raw.len() * 2);
            d.decompress(raw, &mut v)?;
            if v.is_empty() {
                return Err(Error::proto("Empty packet payload"));
            }
            Payload::Owned(v)
        } else {
            // The bytes stay valid until the next `recv_buffer` call.
            Payload::InBuf(start + o.payload.start..start + o.payload.end)
        };
        self.rstart += o.consumed;
        Ok(Some(payload))
    }

    /// Like `next_packet`, but an application packet is handed to `f` straight
    /// from the receive buffer when no decompression is involved, saving a copy
    /// per packet on the bulk-data path.
    pub fn next_packet_with<R>(&mut self, mut f: impl FnMut(&[u8]) -> R) -> Result<Option<R>> {
        loop {
            if let Some(p) = self.incoming.pop_front() {
                return Ok(Some(f(&p)));
            }
            if self.remote_banner.is_none() {
                if !self.read_banner()? {
                    return Ok(None);
                }
                continue;
            }
            match self.open_packet()? {
                None => return Ok(None),
                Some(Payload::Owned(v)) => self.handle(v)?,
                Some(Payload::InBuf(r)) => {
                    let t = self.rbuf[r.start];
                    if self.first_kex_done && is_application_msg(t) {
                        self.admit_application(t)?;
                        return Ok(Some(f(&self.rbuf[r])));
                    }
                    let v = self.rbuf[r].to_vec();
                    self.handle(v)?;
                }
            }
        }
    }

    /// Side effects and limits of an application packet being accepted.
    fn admit_application(&mut self, t: u8) -> Result<()> {
        if !self.first_kex_done {
            return Err(Error::proto("Unexpected message during key exchange"));
        }
        // Delayed compression starts right after USERAUTH_SUCCESS, which only
        // the transport sees in order (OpenSSH PROTOCOL, zlib@openssh.com).
        if t == msg::USERAUTH_SUCCESS {
            self.authenticated = true;
            self.start_delayed_compression();
        }
        if self.incoming.len() >= MAX_QUEUED_PACKETS {
            return Err(Error::proto("Too many unprocessed packets from the server"));
        }
        if matches!(self.kex, KexState::Idle) && self.bytes_since_kex >= self.rekey_limit {
            self.send_kexinit()?;
        }
        Ok(())
    }

    fn handle(&mut self, p: Vec<u8>) -> Result<()> {
        let t = p[0];
        let is_kex_msg = t == msg::KEXINIT || t == msg::NEWKEYS || (30..=49).contains(&t);
        // Terrapin (CVE-2023-48795): under strict kex nothing but key exchange
        // messages may arrive before the first NEWKEYS. Whether the server is
        // strict is known only from its KEXINIT, so note earlier strays.
        if !self.first_kex_done && !is_kex_msg && t != msg::DISCONNECT {
            if self.strict {
                return Err(Error::new(code::KEX_FAILURE, "Unexpected message during strict key exchange"));
            }
            if self.their_kexinit.is_empty() {
                self.early_non_kex = true;
            }
        }
        match t {
            msg::DISCONNECT => {
                let mut r = Reader::new(&p[1..]);
                let reason = r.u32()?;
                let message = r.string()?.to_vec();
                let language = r.string().map(<[u8]>::to_vec).unwrap_or_default();
                let text = String::from_utf8_lossy(&message).into_owned();
                self.events.push_back(Event::Disconnect { reason, message, language });
                Err(Error::with(code::SOCKET_DISCONNECT, format!("Disconnected by server: {text}")))
            }
            msg::IGNORE => {
                let mut r = Reader::new(&p[1..]);
                let data = r.string().unwrap_or(&p[1..]).to_vec();
                self.events.push_back(Event::Ignore(data));
                Ok(())
            }
            msg::DEBUG => {
                let mut r = Reader::new(&p[1..]);
                let always_display = r.bool()?;
                let message = r.string()?.to_vec();
                let language = r.string().map(<[u8]>::to_vec).unwrap_or_default();
                self.events.push_back(Event::Debug { always_display, message, language });
                Ok(())
            }
            msg::UNIMPLEMENTED => {
                // Informational: a malformed one is not worth ending the session.
                if let Ok(seq) = Reader::new(&p[1..]).u32() {
                    self.events.push_back(Event::Unimplemented(seq));
                }
                Ok(())
            }
            msg::KEXINIT => self.on_kexinit(p),
            msg::NEWKEYS => self.on_newkeys(),
            30..=49 => self.on_kex_msg(&p),
            msg::EXT_INFO => self.on_ext_info(&p),
            _ => {
                self.admit_application(t)?;
                self.incoming.push_back(p);
                Ok(())
            }
        }
    }

    fn on_kexinit(&mut self, p: Vec<u8>) -> Result<()> {
        match self.kex {
            KexState::Idle => self.send_kexinit()?,
            KexState::SentInit => {}
            _ => return Err(Error::proto("KEXINIT during a key exchange")),
        }
        // libssh2 parses the peer's KEXINIT while agreeing on methods: a
        // malformed one is a failure to agree.
        let theirs: KexInit = negotiate::parse(&p)
            .map_err(|e| Error::with(code::KEX_FAILURE, format!("Malformed KEXINIT: {}", e.msg)))?;
        let neg = negotiate::negotiate(&self.our_lists, &theirs, is_aead)?;
        if !self.first_kex_done {
            if neg.strict && (self.early_non_kex || self.packets_in != 1) {
                return Err(Error::new(code::KEX_FAILURE, "Strict kex: KEXINIT was not the first packet"));
            }
            self.strict = neg.strict;
        }
        let input = KexInput {
            v_c: self.local_banner.clone(),
            v_s: self.remote_banner.clone().unwrap_or_default(),
            i_c: self.our_kexinit.clone(),
            i_s: p.clone(),
        };
        self.their_kexinit = p;
        let mut machine = kex::new_kex(&neg.kex, input, self.gex)?;
        let first = machine.start()?;
        self.seal(&first)?;
        let skip_guess = neg.server_guess_wrong;
        self.kex = KexState::Running { machine, neg: Box::new(neg), skip_guess };
        self.kex_method_started = true;
        Ok(())
    }

    fn on_kex_msg(&mut self, p: &[u8]) -> Result<()> {
        let KexState::Running { machine, skip_guess, .. } = &mut self.kex else {
            return Err(Error::proto("Unexpected key exchange message"));
        };
        if *skip_guess {
            *skip_guess = false;
            return Ok(());
        }
        match machine.handle(p)? {
            KexStep::Send(m) => self.seal(&m),
            KexStep::Done(out) => {
                let KexState::Running { neg, .. } = std::mem::replace(&mut self.kex, KexState::Idle) else {
                    return Err(Error::proto("Key exchange state lost"));
                };
                self.finish_kex(out, *neg)
            }
        }
    }

    fn finish_kex(&mut self, out: kex::KexOutput, neg: Negotiated) -> Result<()> {
        keys::verify_hostkey(&neg.hostkey, &out.host_key, &out.signature, &out.h)?;
        if let Some(old) = &self.host_key {
            if *old != out.host_key {
                return Err(Error::new(code::KEX_FAILURE, "Server host key changed during key re-exchange"));
            }
        }
        self.host_key = Some(out.host_key.clone());
        let sid = self.session_id.get_or_insert_with(|| out.h.clone()).clone();
        let spec = |name: &str| {
            tp::cipher_spec(name).ok_or_else(|| Error::with(code::KEX_FAILURE, format!("Unknown cipher {name}")))
        };
        // With an AEAD cipher the reported MAC is not used.
        let used_mac = |cipher: &str, mac: &str| if is_aead(cipher) { String::new() } else { mac.to_owned() };
        let (mac_cs, mac_sc) = (used_mac(&neg.crypt_cs, &neg.mac_cs), used_mac(&neg.crypt_sc, &neg.mac_sc));
        let mac_len = |name: &str| -> Result<usize> {
            if name.is_empty() {
                return Ok(0);
            }
            tp::mac_spec(name)
                .map(|m| m.key_len)
                .ok_or_else(|| Error::with(code::KEX_FAILURE, format!("Unknown MAC {name}")))
        };
        let derive = |letter: u8, len: usize| -> Vec<u8> {
            let mut z = kex::derive_key(out.hash, &out.k, &out.h, letter, &sid, len);
            std::mem::take(&mut *z)
        };
        let (cs, sc) = (spec(&neg.crypt_cs)?, spec(&neg.crypt_sc)?);
        let keys_cs = DirectionKeys {
            iv: derive(b'A', cs.iv_len),
            key: derive(b'C', cs.key_len),
            mac_key: derive(b'E', mac_len(&mac_cs)?),
        };
        let keys_sc = DirectionKeys {
            iv: derive(b'B', sc.iv_len),
            key: derive(b'D', sc.key_len),
            mac_key: derive(b'F', mac_len(&mac_sc)?),
        };
        let opt = |s: &String| if s.is_empty() { None } else { Some(s.clone()) };
        let sealer = Sealer::new(&neg.crypt_cs, opt(&mac_cs).as_deref(), &keys_cs)?;
        let opener = Opener::new(&neg.crypt_sc, opt(&mac_sc).as_deref(), &keys_sc)?;
        self.seal(&[msg::NEWKEYS])?;
        self.sealer = sealer;
        if self.strict {
            self.seq_out = 0;
        }
        match neg.comp_cs.as_str() {
            "zlib" => self.compress = self.compress.take().or_else(|| Some(Compressor::new())),
            "zlib@openssh.com" if self.authenticated => {
                self.compress = self.compress.take().or_else(|| Some(Compressor::new()))
            }
            "zlib@openssh.com" => self.delayed_compression.0 = true,
            _ => self.compress = None,
        }
        self.negotiated = Some(neg.clone());
        self.kex = KexState::AwaitNewKeys { opener: Box::new(opener), neg: Box::new(neg) };
        while let Some(p) = self.deferred.pop_front() {
            self.seal(&p)?;
        }
        Ok(())
    }

    fn on_newkeys(&mut self) -> Result<()> {
        let KexState::AwaitNewKeys { opener, neg } = std::mem::replace(&mut self.kex, KexState::Idle) else {
            return Err(Error::proto("Unexpected NEWKEYS"));
        };
        self.opener = *opener;
        if self.strict {
            self.seq_in = 0;
        }
        match neg.comp_sc.as_str() {
            "zlib" => self.decompress = self.decompress.take().or_else(|| Some(Decompressor::new())),
            "zlib@openssh.com" if self.authenticated => {
                self.decompress = self.decompress.take().or_else(|| Some(Decompressor::new()))
            }
            "zlib@openssh.com" => self.delayed_compression.1 = true,
            _ => self.decompress = None,
        }
        self.first_kex_done = true;
        self.bytes_since_kex = 0;
        Ok(())
    }

    fn on_ext_info(&mut self, p: &[u8]) -> Result<()> {
        let mut r = Reader::new(&p[1..]);
        let n = r.u32()?;
        for _ in 0..n {
            let name = r.string()?;
            let value = r.string()?;
            if name == b"server-sig-algs" {
                let v = String::from_utf8_lossy(value);
                self.server_sig_algs = Some(v.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect());
            }
        }
        Ok(())
    }

    fn start_delayed_compression(&mut self) {
        if self.delayed_compression.0 && self.compress.is_none() {
            self.compress = Some(Compressor::new());
        }
        if self.delayed_compression.1 && self.decompress.is_none() {
            self.decompress = Some(Decompressor::new());
        }
    }
}

/// Whether a cipher carries its own MAC (the MAC lists are then not used).
fn is_aead(cipher: &str) -> bool {
    tp::cipher_spec(cipher).is_some_and(|s| s.aead)
}
