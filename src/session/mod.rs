//! Safe Session: the transport core plus I/O plus the state of resumable
//! operations. Every public operation is a step function run by `drive`.

pub mod auth;
pub mod channel;
pub mod driver;
pub mod forward;
pub mod framer;
#[cfg(any(test, fuzzing, feature = "fuzzing"))]
pub mod fuzzing;
pub mod io;
pub mod scp;
pub mod sk;
pub mod startup;

use std::collections::VecDeque;

use crate::error::{code, Error, Result};
use crate::proto::conn::negotiate::{idx, KEX_PSEUDO_METHODS, NAME_LISTS};
use crate::proto::conn::{Conn, Event, FirstKexPhase, Prefs};
use crate::proto::kex::{self, GexParams};
use crate::proto::msg;
use crate::proto::transport as tp;
use crate::proto::wire::{Reader, Writer};
use driver::{drive, ends, ready, Pending, Ready, Step};
use io::{FdIo, RawSocket, SocketIo};

/// Number of LIBSSH2_METHOD_* slots (KEX .. SIGN_ALGO).
pub const METHOD_SLOTS: usize = 11;
/// LIBSSH2_METHOD_SIGN_ALGO: the user-auth signature algorithm preference.
pub const METHOD_SIGN_ALGO: usize = 10;
/// libssh2's default read timeout for awaited replies, in seconds.
pub const DEFAULT_READ_TIMEOUT_S: i64 = 60;
/// Longest description or language tag `disconnect` sends, in bytes (libssh2's limit).
pub const MAX_DISCONNECT_TEXT: usize = 256;

/// Callbacks the application installed (built by the FFI layer).
#[derive(Default)]
pub struct Callbacks {
    /// LIBSSH2_CALLBACK_IGNORE.
    pub ignore: Option<Box<dyn FnMut(&[u8])>>,
    /// LIBSSH2_CALLBACK_DEBUG.
    pub debug: Option<Box<dyn FnMut(bool, &[u8], &[u8])>>,
    /// LIBSSH2_CALLBACK_DISCONNECT.
    pub disconnect: Option<Box<dyn FnMut(u32, &[u8], &[u8])>>,
}

/// Progress of `handshake`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HandshakeState {
    NotStarted,
    Exchanging,
    ServiceRequested,
    Done,
}

/// A client SSH session.
pub struct Session {
    /// Blocking mode (libssh2's default is blocking).
    pub blocking: bool,
    /// Overall timeout for blocking calls in ms (0: none).
    pub timeout_ms: i64,
    /// Longest wait for an awaited reply in seconds (0: none).
    pub read_timeout_s: i64,
    /// LIBSSH2_FLAG_SIGPIPE: let writes raise SIGPIPE.
    pub flag_sigpipe: bool,
    /// LIBSSH2_FLAG_COMPRESS: offer zlib compression.
    pub flag_compress: bool,
    /// LIBSSH2_FLAG_SFTP_WRITE_BEHIND as set (None: not set, the environment decides).
    pub sftp_write_behind: Option<u64>,
    /// Our identification line (without CR LF), if the caller set one.
    pub local_banner: Option<Vec<u8>>,
    /// Algorithm preferences per LIBSSH2_METHOD_* slot (None: defaults).
    pub method_prefs: [Option<Vec<String>>; METHOD_SLOTS],
    /// Group-exchange sizes in bits.
    pub gex: GexParams,
    /// Bytes after which we re-exchange keys ourselves (0: the transport's default).
    pub rekey_bytes: u64,
    /// The last error (code 0 when none).
    pub last_error: Error,
    /// Trace bitmask (LIBSSH2_TRACE_*).
    pub trace_mask: i32,
    /// Where trace lines go (None: stderr).
    pub trace_sink: Option<Box<dyn FnMut(&str)>>,
    /// Application callbacks.
    pub callbacks: Callbacks,
    /// The socket given to `handshake`.
    pub socket: Option<RawSocket>,
    socket_was_nonblocking: bool,
    /// Byte transport (the socket, or the caller's send/recv callbacks).
    pub io: Option<Box<dyn SocketIo>>,
    /// The transport core, once the handshake started.
    pub conn: Option<Conn>,
    /// LIBSSH2_SESSION_BLOCK_* bits of the last would-block.
    pub block_dirs: i32,
    /// Bytes received so far (progress for read timeouts).
    pub rx_bytes: u64,
    /// Set while waiting for a reply the read timeout applies to.
    pub awaiting_reply: bool,
    /// Set by a step whose wait libssh2 does not record as the session's
    /// error (the wait for the server's banner).
    pub(crate) wait_unrecorded: bool,
    /// Set while `drive` runs a step (steps call steps, never `drive`).
    pub(crate) driving: bool,
    /// Holds pump's flushes back, so packets queued by one step leave in one
    /// send (NEWKEYS with the SERVICE_REQUEST after it: a lone small segment
    /// would wait for the peer's delayed ACK under Nagle).
    pub(crate) corked: bool,
    /// A fatal error that ended the connection.
    pub dead: Option<Error>,
    handshake: HandshakeState,
    /// Application packets not yet claimed by an operation.
    pub inbox: VecDeque<Vec<u8>>,
    /// Keepalive: send one every this many seconds (0: off).
    pub keepalive_interval: u32,
    /// Keepalive: ask the server to reply.
    pub keepalive_want_reply: bool,
    /// When the last keepalive (or other packet) was sent, in ms.
    pub keepalive_last_ms: Option<u64>,
    /// What the previous handshake agreed on, when a repeated one started over.
    prev_negotiated: Option<crate::proto::conn::negotiate::Negotiated>,
    disconnect_sent: bool,
    /// State of the authentication operation in flight.
    pub auth: Option<auth::AuthState>,
    /// Set once the server accepted an authentication.
    pub authenticated: bool,
    /// Methods from the last USERAUTH_FAILURE.
    pub auth_methods: Option<String>,
    /// The server's USERAUTH_BANNER text, if it sent one.
    pub userauth_banner: Option<Vec<u8>>,
    /// Channels by our channel number.
    pub channels: channel::Channels,
    /// The channel whose open is in flight.
    pub opening_channel: Option<u32>,
    /// For each global request sent with want_reply, whether its reply is ours to drop.
    pub global_replies: VecDeque<bool>,
    /// Remote forwarding listeners, inbound-open hooks, agent relays.
    pub fwd: forward::Forwarding,
    /// The SCP start-up in flight.
    pub scp: Option<scp::ScpState>,
    /// The `libssh2_publickey_init` in flight (see [`crate::publickey`]).
    pub publickey_init: Option<crate::publickey::InitState>,
    /// SFTP subsystem instances (src/sftp).
    pub sftp: crate::sftp::SftpTable,
    /// Where the driver reads the time and waits (the system clock, or a fake one in tests).
    pub clock: Box<dyn io::Clock>,
    /// When the API call in progress began (ms on `clock`): the session
    /// timeout counts from here, however many drives the call runs.
    pub(crate) call_start: Option<u64>,
    /// The time of the step in progress (µs on `clock`), set by the driver
    /// before each step: operations take "now" from here, not from a clock.
    pub(crate) now_us: u64,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// A new, unconnected session with libssh2's defaults.
    pub fn new() -> Self {
        Session {
            blocking: true,
            timeout_ms: 0,
            read_timeout_s: DEFAULT_READ_TIMEOUT_S,
            flag_sigpipe: false,
            flag_compress: false,
            sftp_write_behind: None,
            local_banner: None,
            method_prefs: Default::default(),
            gex: GexParams::default(),
            rekey_bytes: 0,
            last_error: Error::new(code::NONE, ""),
            trace_mask: 0,
            trace_sink: None,
            callbacks: Callbacks::default(),
            socket: None,
            socket_was_nonblocking: false,
            io: None,
            conn: None,
            block_dirs: 0,
            rx_bytes: 0,
            awaiting_reply: false,
            wait_unrecorded: false,
            driving: false,
            corked: false,
            dead: None,
            handshake: HandshakeState::NotStarted,
            inbox: VecDeque::new(),
            keepalive_interval: 0,
            keepalive_want_reply: false,
            keepalive_last_ms: None,
            prev_negotiated: None,
            disconnect_sent: false,
            global_replies: VecDeque::new(),
            channels: Default::default(),
            opening_channel: None,
            auth: Default::default(),
            fwd: Default::default(),
            scp: Default::default(),
            authenticated: false,
            auth_methods: None,
            userauth_banner: None,
            publickey_init: None,
            sftp: Default::default(),
            clock: Box::new(io::SystemClock),
            call_start: None,
            now_us: 0,
        }
    }

    /// Records a fatal error: the connection is unusable from now on.
    pub fn fail(&mut self, e: Error) -> Error {
        if self.dead.is_none() {
            self.dead = Some(e.clone());
        }
        e
    }

    /// Writes a trace line if `mask` is enabled.
    pub fn trace(&mut self, mask: i32, what: impl FnOnce() -> String) {
        if self.trace_mask & mask == 0 {
            return;
        }
        let line = what();
        match self.trace_sink.as_mut() {
            Some(f) => f(&line),
            // Stamped with the time the driver last read (the call's or the step's start).
            None => eprintln!("[libssh2] {:.6} {}", self.now_us as f64 / 1e6, line),
        }
    }

    // ---- algorithm lists -----------------------------------------------

    /// Algorithms a LIBSSH2_METHOD_* slot accepts, as `libssh2_session_supported_algs`
    /// lists them: libssh2's names in its order (the key exchange list with its
    /// two pseudo-methods, compression only once `LIBSSH2_FLAG_COMPRESS` is set),
    /// plus the ones we add.
    pub fn supported(&self, method: usize) -> Result<Vec<&'static str>> {
        Ok(match method {
            idx::KEX => kex::SUPPORTED_KEX.iter().chain(KEX_PSEUDO_METHODS).copied().collect(),
            idx::HOSTKEY => crate::keys::SUPPORTED_HOSTKEY_ALGS.to_vec(),
            idx::CRYPT_CS | idx::CRYPT_SC => tp::SUPPORTED_CIPHERS.to_vec(),
            idx::MAC_CS | idx::MAC_SC => tp::SUPPORTED_MACS.to_vec(),
            idx::COMP_CS | idx::COMP_SC if self.flag_compress => tp::COMPRESSION_WHEN_ENABLED.to_vec(),
            idx::COMP_CS | idx::COMP_SC => tp::DEFAULT_COMPRESSION.to_vec(),
            // Signature algorithms depend on the key; libssh2 has no list for them.
            METHOD_SIGN_ALGO => return Err(Error::new(code::INVAL, "No algorithm found")),
            _ => return Err(Error::new(code::METHOD_NOT_SUPPORTED, "Unknown method type")),
        })
    }

    /// Sets the preference list for a slot, keeping only names we implement.
    pub fn set_method_pref(&mut self, method: usize, prefs: &str) -> Result<()> {
        if method >= METHOD_SLOTS {
            return Err(Error::new(code::INVAL, "Invalid parameter specified for method_type"));
        }
        let names: Vec<String> = prefs.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let kept: Vec<String> = match self.supported(method) {
            // The transport adds the pseudo-methods itself.
            Ok(sup) => names
                .into_iter()
                .filter(|n| sup.contains(&n.as_str()) && !KEX_PSEUDO_METHODS.contains(&n.as_str()))
                .collect(),
            // Languages and signature algorithms have no fixed list.
            Err(_) => names,
        };
        // libssh2 puts its two pseudo-methods in front of every key exchange
        // list, so that list is never empty and always accepted (the handshake
        // then fails to agree); the others must keep a name.
        if kept.is_empty() && method != idx::KEX {
            return Err(Error::new(code::METHOD_NOT_SUPPORTED, "The requested method(s) are not currently supported"));
        }
        self.method_prefs[method] = Some(kept);
        let p = self.prefs();
        if let Some(c) = self.conn.as_mut() {
            c.set_prefs(p);
        }
        Ok(())
    }

    fn default_list(&self, method: usize) -> Vec<String> {
        let v: Vec<&str> = match method {
            idx::KEX => kex::DEFAULT_KEX.to_vec(),
            idx::HOSTKEY => crate::keys::DEFAULT_HOSTKEY_ALGS.to_vec(),
            idx::CRYPT_CS | idx::CRYPT_SC => tp::DEFAULT_CIPHERS.to_vec(),
            idx::MAC_CS | idx::MAC_SC => tp::DEFAULT_MACS.to_vec(),
            idx::COMP_CS | idx::COMP_SC if self.flag_compress => tp::COMPRESSION_WHEN_ENABLED.to_vec(),
            idx::COMP_CS | idx::COMP_SC => tp::DEFAULT_COMPRESSION.to_vec(),
            _ => vec![],
        };
        v.into_iter().map(str::to_owned).collect()
    }

    /// The ten lists to offer in KEXINIT.
    pub fn prefs(&self) -> Prefs {
        let mut p: Prefs = Default::default();
        for (i, slot) in p.iter_mut().enumerate().take(NAME_LISTS) {
            *slot = self.method_prefs[i].clone().unwrap_or_else(|| self.default_list(i));
        }
        p
    }

    /// The negotiated algorithm for a slot, once the handshake is done.
    pub fn method(&self, method: usize) -> Option<&str> {
        let n = self.conn.as_ref().and_then(Conn::negotiated).or(self.prev_negotiated.as_ref())?;
        Some(match method {
            idx::KEX => &n.kex,
            idx::HOSTKEY => &n.hostkey,
            idx::CRYPT_CS => &n.crypt_cs,
            idx::CRYPT_SC => &n.crypt_sc,
            idx::MAC_CS => &n.mac_cs,
            idx::MAC_SC => &n.mac_sc,
            idx::COMP_CS => &n.comp_cs,
            idx::COMP_SC => &n.comp_sc,
            idx::LANG_CS => &n.lang_cs,
            idx::LANG_SC => &n.lang_sc,
            _ => return None,
        })
    }

    // ---- connection --------------------------------------------------

    /// Uses the caller's I/O instead of send(2)/recv(2) on the socket.
    pub fn set_io(&mut self, io: Box<dyn SocketIo>) {
        self.io = Some(io);
    }

    /// Performs the SSH handshake on a connected socket (resumable).
    pub fn handshake(&mut self, sock: RawSocket) -> Result<()> {
        if sock < 0 {
            return Err(Error::new(code::BAD_SOCKET, "Bad socket provided"));
        }
        // A failed handshake leaves the transport in an unknown state: every
        // error but would-block and timeout ends the session, so a repeated
        // call fails at once instead of waiting for a reply that cannot come.
        drive(self, |s| {
            s.handshake_step(sock).map_err(|e| {
                let e = s.kex_error(e);
                s.fail(e)
            })
        })
    }

    /// libssh2's code for a failed first key exchange: any failure while the
    /// KEXINITs are exchanged is SOCKET_NONE (-1), except failing to agree
    /// (KEX_FAILURE); any failure of the agreed method (a dropped connection, a
    /// malformed or unverifiable reply) is KEY_EXCHANGE_FAILURE.
    fn kex_error(&self, e: Error) -> Error {
        match self.conn.as_ref().map(Conn::first_kex_phase) {
            Some(FirstKexPhase::KexInit) if e.code != code::KEX_FAILURE => {
                Error::with(code::SOCKET_NONE, format!("Unable to exchange encryption keys: {}", e.msg))
            }
            // libssh2's banner send reports its failure as SOCKET_RECV.
            Some(FirstKexPhase::Banner) if e.code == code::SOCKET_SEND => {
                Error::with(code::SOCKET_RECV, format!("Failed sending banner: {}", e.msg))
            }
            Some(FirstKexPhase::Method) => {
                Error::with(code::KEY_EXCHANGE_FAILURE, format!("Unrecoverable error exchanging keys: {}", e.msg))
            }
            _ => e,
        }
    }

    fn handshake_step(&mut self, sock: RawSocket) -> Result<Step<()>> {
        if let Some(e) = &self.dead {
            return Err(e.clone());
        }
        // libssh2 starts over on a session that finished its handshake: a new
        // banner and KEXINIT go out on the established connection and the
        // server's banner is awaited again (which the server never sends).
        if self.handshake == HandshakeState::Done {
            // The names agreed before stay what `methods` reports, as in libssh2.
            self.prev_negotiated = self.conn.take().and_then(|c| c.negotiated().cloned());
            self.handshake = HandshakeState::NotStarted;
        }
        if self.handshake == HandshakeState::NotStarted {
            self.socket = Some(sock);
            self.socket_was_nonblocking = io::set_nonblocking(sock, true);
            match self.io.as_mut() {
                Some(io) => io.set_socket(sock),
                None => self.io = Some(Box::new(FdIo { fd: sock, sigpipe: self.flag_sigpipe })),
            }
            let mut conn = Conn::new(self.local_banner.as_deref(), self.prefs(), self.gex);
            conn.set_rekey_limit(self.rekey_bytes);
            conn.start()?;
            self.conn = Some(conn);
            self.handshake = HandshakeState::Exchanging;
            // libssh2 sends its banner before it reads anything, so a peer that is
            // already gone fails the send first.
            self.flush()?;
            self.trace(TRACE_TRANS, || "Sent banner".into());
        }
        self.awaiting_reply = true;
        if self.handshake == HandshakeState::Exchanging {
            self.corked = true;
            let r = self.pump();
            self.corked = false;
            r?;
            if !self.conn.as_ref().is_some_and(Conn::handshake_done) {
                self.flush()?;
                // libssh2 waits for the server's banner without recording an error.
                self.wait_unrecorded = self.conn.as_ref().map(Conn::first_kex_phase) == Some(FirstKexPhase::Banner);
                return Ok(Pending);
            }
            let neg = self.conn.as_ref().and_then(|c| c.negotiated().cloned()).unwrap_or_default();
            self.trace(TRACE_KEX, || {
                format!("Agreed on {} / {} / {} / {}", neg.kex, neg.hostkey, neg.crypt_cs, neg.mac_cs)
            });
            let mut w = Writer::msg(msg::SERVICE_REQUEST);
            w.string(b"ssh-userauth");
            self.send(&w.buf)?;
            self.handshake = HandshakeState::ServiceRequested;
        }
        if self.handshake == HandshakeState::ServiceRequested {
            let p = ready!(self.wait_packet(|t| t == msg::SERVICE_ACCEPT)?);
            let mut r = Reader::new(&p[1..]);
            if r.string()? != b"ssh-userauth" {
                return Err(self.fail(Error::proto("Invalid response received from server")));
            }
            self.handshake = HandshakeState::Done;
            self.awaiting_reply = false;
        }
        Ok(Ready(()))
    }

    /// True once `handshake` has completed.
    pub fn connected(&self) -> bool {
        self.handshake == HandshakeState::Done
    }

    /// Queues a packet for sending and tries to flush.
    pub fn send(&mut self, payload: &[u8]) -> Result<()> {
        // libssh2 sends on whatever socket it has: before the handshake that fails as a send.
        // On a dead session libssh2 still tries the send, also when the
        // packet would only be queued behind a key exchange.
        if let Some(e) = &self.dead {
            // After the peer hung up libssh2 still writes and the kernel decides
            // (TCP takes the first write after a FIN); the wait that follows
            // reports the hang-up. Not inside a key exchange: nothing can be sealed.
            if !driver::writes_after_death(e) || self.conn.as_ref().map_or(true, Conn::kex_running) {
                return Err(driver::dead_send_error(e));
            }
        }
        let conn = self.conn.as_mut().ok_or(Error::new(code::SOCKET_SEND, "Unable to send: not connected"))?;
        conn.send(payload)?;
        self.flush()?;
        Ok(())
    }

    /// Moves bytes both ways and processes whatever packets arrived.
    /// Returns true if at least one packet was processed.
    pub fn pump(&mut self) -> Result<bool> {
        if let Some(e) = &self.dead {
            return Err(e.clone());
        }
        self.pump_inner().map_err(|e| self.fail(e))
    }

    fn pump_inner(&mut self) -> Result<bool> {
        if !self.corked {
            self.flush()?;
        }
        let mut progress = false;
        loop {
            let conn = self.conn.as_mut().ok_or(Error::new(code::SOCKET_NONE, "Not connected"))?;
            let channels = &mut self.channels;
            // Channel data goes from the receive buffer to its channel directly.
            let next = conn.next_packet_with(|p| if channels.try_data_fast(p) { None } else { Some(p.to_vec()) });
            let next = next.inspect_err(|_| self.emit_events())?;
            self.emit_events();
            match next {
                Some(None) => progress = true,
                Some(Some(p)) => {
                    progress = true;
                    self.dispatch(p)?;
                }
                None if progress => break,
                None => {
                    if !self.fill()? {
                        break;
                    }
                }
            }
        }
        if self.has_relays() {
            self.service_relays()?;
        }
        if !self.corked {
            self.flush()?;
        }
        Ok(progress)
    }

    fn emit_events(&mut self) {
        let Some(conn) = self.conn.as_mut() else { return };
        let events: Vec<Event> = conn.events.drain(..).collect();
        for ev in events {
            match ev {
                Event::Ignore(d) => {
                    if let Some(f) = self.callbacks.ignore.as_mut() {
                        f(&d)
                    }
                }
                Event::Debug { always_display, message, language } => {
                    if let Some(f) = self.callbacks.debug.as_mut() {
                        f(always_display, &message, &language)
                    }
                }
                // A server that refuses a global request outright (sshd before
                // authentication) sends UNIMPLEMENTED instead of REQUEST_FAILURE:
                // that answers our oldest keepalive, whose reply must not linger.
                Event::Unimplemented(_) => {
                    if self.global_replies.front() == Some(&true) {
                        self.global_replies.pop_front();
                    }
                }
                Event::Disconnect { reason, message, language } => {
                    if let Some(f) = self.callbacks.disconnect.as_mut() {
                        f(reason, &message, &language)
                    }
                }
            }
        }
    }

    /// Routes an application packet: global requests are answered here,
    /// everything else waits in the inbox for the operation that wants it.
    fn dispatch(&mut self, p: Vec<u8>) -> Result<()> {
        if p[0] == msg::GLOBAL_REQUEST {
            let mut r = Reader::new(&p[1..]);
            let _name = r.string()?;
            if r.bool()? {
                self.send(&[msg::REQUEST_FAILURE])?;
            }
            return Ok(());
        }
        if (msg::CHANNEL_OPEN..=msg::CHANNEL_FAILURE).contains(&p[0]) {
            return self.channel_message(&p);
        }
        if p[0] == msg::REQUEST_SUCCESS || p[0] == msg::REQUEST_FAILURE {
            // Replies come in request order; drop those of our keepalives.
            if self.global_replies.pop_front() == Some(true) {
                return Ok(());
            }
        }
        self.inbox.push_back(p);
        Ok(())
    }

    /// Takes the first inbox packet whose message number satisfies `want`,
    /// pumping the socket if none is there yet (Pending when it would block).
    pub fn wait_packet(&mut self, want: impl Fn(u8) -> bool) -> Result<Step<Vec<u8>>> {
        loop {
            if let Some(i) = self.inbox.iter().position(|p| want(p[0])) {
                if let Some(p) = self.inbox.remove(i) {
                    return Ok(Ready(p));
                }
            }
            if !self.pump()? {
                return Ok(Pending);
            }
        }
    }

    /// Sends SSH_MSG_DISCONNECT (resumable until the bytes left).
    pub fn disconnect(&mut self, reason: u32, description: &str, lang: &str) -> Result<()> {
        if description.len() > MAX_DISCONNECT_TEXT {
            return Err(Error::new(code::INVAL, "too long description"));
        }
        if lang.len() > MAX_DISCONNECT_TEXT {
            return Err(Error::new(code::INVAL, "too long language string"));
        }
        let r = drive(self, |s| {
            if s.conn.is_none() {
                return Err(Error::new(code::SOCKET_SEND, "Not connected"));
            }
            if !s.disconnect_sent {
                let mut w = Writer::msg(msg::DISCONNECT);
                w.u32(reason).string(description.as_bytes()).string(lang.as_bytes());
                s.conn.as_mut().map(|c| c.send(&w.buf)).transpose()?;
                s.disconnect_sent = true;
            }
            Ok(Step::done_if(s.flush()?))
        });
        // libssh2 reports only would-block: a disconnect that cannot be sent
        // (no connection, a dead socket) still returns 0.
        if !ends(&r) {
            return r;
        }
        Ok(())
    }

    /// Restores the socket's original blocking mode (at free).
    pub fn release_socket(&mut self) {
        if let Some(fd) = self.socket.take() {
            io::set_nonblocking(fd, self.socket_was_nonblocking);
        }
    }

    /// The server's host key blob.
    pub fn host_key(&self) -> Option<&[u8]> {
        self.conn.as_ref()?.host_key()
    }

    /// The server's banner line.
    pub fn remote_banner(&self) -> Option<&[u8]> {
        self.conn.as_ref()?.remote_banner()
    }

    /// Sends a keepalive if one is due; returns seconds until the next one.
    pub fn keepalive_send(&mut self) -> Result<u32> {
        // A call of its own when it is one (the driver's wait calls it inside a call).
        let began = self.begin_call();
        let r = self.keepalive_due();
        self.end_call(began);
        r
    }

    fn keepalive_due(&mut self) -> Result<u32> {
        if self.keepalive_interval == 0 {
            return Ok(0);
        }
        // The time the driver read at the call's start (or just now, in its wait).
        let now = self.now_us / 1000;
        // Nothing sent yet: due at once, as in libssh2.
        let due = self.keepalive_last_ms.map_or(0, |l| l + self.keepalive_interval as u64 * 1000);
        if now >= due {
            let mut w = Writer::msg(msg::GLOBAL_REQUEST);
            w.string(b"keepalive@libssh2.org").bool(self.keepalive_want_reply);
            self.send(&w.buf)?;
            // As libssh2: only a keepalive restarts the interval, other traffic does not.
            self.keepalive_last_ms = Some(now);
            if self.keepalive_want_reply {
                self.global_replies.push_back(true);
            }
            return Ok(self.keepalive_interval);
        }
        // Whole seconds, rounded up: never more than the interval.
        Ok((due - now).div_ceil(1000) as u32)
    }
}

/// Trace categories (LIBSSH2_TRACE_*) the session writes to.
pub use crate::consts::trace::{AUTH as TRACE_AUTH, CONN as TRACE_CONN, ERROR as TRACE_ERROR};
/// Transport and key exchange trace categories.
pub use crate::consts::trace::{KEX as TRACE_KEX, TRANS as TRACE_TRANS};

#[cfg(test)]
mod keepalive_tests {
    use super::fuzzing::{Respond, Timeline};
    use super::*;

    /// A server that counts the keepalives it receives and answers none.
    fn counting_server(seen: std::rc::Rc<std::cell::Cell<usize>>) -> Respond {
        Box::new(move |p: &[u8]| {
            let mut r = Reader::new(&p[1..]);
            if p[0] == msg::GLOBAL_REQUEST && r.string().is_ok_and(|n| n == b"keepalive@libssh2.org") {
                seen.set(seen.get() + 1);
            }
            Vec::new()
        })
    }

    #[test]
    fn keepalives_follow_the_interval_on_the_fake_clock() {
        let seen = std::rc::Rc::new(std::cell::Cell::new(0));
        let tl = Timeline::new([]);
        let mut s = Session::with_peer(&tl, true, counting_server(seen.clone()));
        assert_eq!(s.keepalive_send().unwrap(), 0, "off: nothing sent");
        s.keepalive_interval = 2;
        assert_eq!(s.keepalive_send().unwrap(), 2, "due at once: sent, the full interval next");
        tl.advance(500);
        assert_eq!(s.keepalive_send().unwrap(), 2, "1.5 s left, rounded up");
        tl.advance(1000);
        assert_eq!(s.keepalive_send().unwrap(), 1);
        tl.advance(500);
        assert_eq!(s.keepalive_send().unwrap(), 2, "due again: sent");
        assert_eq!(seen.get(), 2, "two keepalives reached the server");
    }

    #[test]
    fn a_blocking_wait_sends_keepalives_as_they_fall_due() {
        // libssh2 keeps the connection alive while a blocking call waits: a
        // read that waits 3.5 s with a 1 s interval sends one at its start
        // and one per second after.
        let seen = std::rc::Rc::new(std::cell::Cell::new(0));
        let tl = Timeline::new([]);
        let mut s = Session::with_peer(&tl, true, counting_server(seen.clone()));
        s.keepalive_interval = 1;
        s.timeout_ms = 3500;
        s.channels.map.insert(
            0,
            channel::Channel { open: true, local_window: 1024, local_window_initial: 1024, ..Default::default() },
        );
        let mut buf = [0u8; 8];
        assert_eq!(s.channel_read(0, 0, &mut buf).unwrap_err().code, code::TIMEOUT);
        assert_eq!(tl.now(), 3500);
        assert_eq!(seen.get(), 4, "at 0, 1, 2 and 3 s");
    }
}
