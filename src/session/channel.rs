//! The connection protocol (RFC 4254): channels with flow control, requests,
//! exit status, EOF/close. Channel state lives in the session's table; each
//! operation is resumable through the channel's `op` slot.

use std::collections::{HashMap, VecDeque};

use super::driver::{drive, ready, would_block, Pending, Ready, Step};
use super::Session;
use crate::error::{code, Error, Result};
use crate::proto::msg;
use crate::proto::wire::{Reader, Writer};

/// LIBSSH2_CHANNEL_WINDOW_DEFAULT, _PACKET_DEFAULT and _MINADJUST (smaller
/// window adjustments wait unless forced).
pub use crate::consts::channel::{MINADJUST as MIN_ADJUST, PACKET_DEFAULT, WINDOW_DEFAULT};
/// Most packets one write call seals before it waits for them to leave.
pub const MAX_PACKETS_PER_WRITE: usize = 64;
/// Window credit is returned once this fraction (1/N) of the window has been
/// consumed: small enough that the peer never stalls on a high-latency link,
/// large enough that adjust packets stay rare (256 KiB for the default window).
pub const ADJUST_DIVISOR: u32 = 8;
/// Largest window we accept from a caller or a peer (2^31: keeps arithmetic safe).
pub const MAX_WINDOW: u32 = 1 << 31;

/// How stderr is delivered (LIBSSH2_CHANNEL_EXTENDED_DATA_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtendedMode {
    /// Kept apart; read with stream id 1.
    Normal,
    /// Discarded.
    Ignore,
    /// Merged into stream 0.
    Merge,
}

impl ExtendedMode {
    /// The mode a LIBSSH2_CHANNEL_EXTENDED_DATA_* value names (an unknown one is NORMAL, as in libssh2).
    pub fn from_c(mode: i32) -> Self {
        use crate::consts::channel::{EXTENDED_DATA_IGNORE, EXTENDED_DATA_MERGE};
        match mode {
            EXTENDED_DATA_IGNORE => Self::Ignore,
            EXTENDED_DATA_MERGE => Self::Merge,
            _ => Self::Normal,
        }
    }
}

/// A channel's receive side, for `libssh2_channel_window_read_ex`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadWindow {
    /// Bytes the peer may still send.
    pub window: u32,
    /// Bytes buffered for reading, all streams.
    pub avail: usize,
    /// The window the channel was opened with.
    pub initial: u32,
}

/// An operation in flight on a channel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ChanOp {
    /// Nothing pending.
    #[default]
    Idle,
    /// CHANNEL_OPEN sent; waiting for confirmation.
    Opening,
    /// A request with want-reply sent; waiting for SUCCESS/FAILURE.
    Requesting,
    /// A write sealed this many bytes; waiting for them to leave.
    Writing(usize),
}

/// How far one side has ended a channel; each stage implies the one before
/// (a CLOSE counts as the EOF it implies, as in libssh2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Ending {
    /// Still sending.
    #[default]
    Open,
    /// EOF sent: no more data, the channel still lives.
    Eof,
    /// CLOSE sent: the channel is over for this side.
    Closed,
}

/// The exit signal a remote process died of.
#[derive(Debug, Clone, Default)]
pub struct ExitSignal {
    /// Signal name without "SIG".
    pub name: Vec<u8>,
    /// Error message.
    pub message: Vec<u8>,
    /// Language tag.
    pub language: Vec<u8>,
}

/// One channel.
#[derive(Default)]
pub struct Channel {
    /// Our channel number.
    pub local_id: u32,
    /// The peer's channel number.
    pub remote_id: u32,
    /// Channel type ("session", "direct-tcpip", ...).
    pub kind: Vec<u8>,
    /// Bytes the peer may still send us.
    pub local_window: u32,
    /// The window we asked for at open.
    pub local_window_initial: u32,
    /// Largest packet we accept.
    pub local_max_packet: u32,
    /// Bytes we may still send.
    pub remote_window: u32,
    /// The peer's initial window.
    pub remote_window_initial: u32,
    /// Largest packet the peer accepts.
    pub remote_max_packet: u32,
    /// Stream 0 data not yet read.
    pub data: VecDeque<u8>,
    /// Stream 1 (stderr) data not yet read.
    pub ext_data: VecDeque<u8>,
    /// stderr handling.
    pub ext_mode: Option<ExtendedMode>,
    /// How far we have ended the channel (EOF, CLOSE) ...
    pub sent: Ending,
    /// ... and how far the peer has.
    pub received: Ending,
    /// Exit status, once reported.
    pub exit_status: Option<i32>,
    /// Exit signal, once reported.
    pub exit_signal: Option<ExitSignal>,
    /// Operation in flight.
    pub op: ChanOp,
    /// Reply to the last request: Some(true) success, Some(false) failure.
    pub reply: Option<bool>,
    /// `process_startup` ran to an end (success, refusal or error): libssh2
    /// lets a channel start one shell, command or subsystem.
    pub started: bool,
    /// Open failure reason and text, if the open was refused.
    pub open_failure: Option<(u32, String)>,
    /// The open was confirmed.
    pub open: bool,
    /// Window adjustment queued below MIN_ADJUST.
    pub pending_adjust: u32,
    /// SCP file bookkeeping (set by `scp_recv`/`scp_send`).
    pub scp: Option<super::scp::ScpTail>,
    /// When set (SFTP), stream 0 is cut into length-prefixed records here
    /// instead of queueing in `data`.
    pub framer: Option<super::framer::Framer>,
}

impl Channel {
    /// We sent EOF (or CLOSE, which implies it).
    pub fn eof_sent(&self) -> bool {
        self.sent >= Ending::Eof
    }

    /// We sent CLOSE.
    pub fn close_sent(&self) -> bool {
        self.sent == Ending::Closed
    }

    /// The peer sent EOF (or CLOSE, which implies it).
    pub fn eof_received(&self) -> bool {
        self.received >= Ending::Eof
    }

    /// The peer sent CLOSE.
    pub fn close_received(&self) -> bool {
        self.received == Ending::Closed
    }

    /// Takes in CHANNEL_DATA / EXTENDED_DATA within our window and packet size.
    fn accept_data(&mut self, ext: bool, stream: u32, data: &[u8]) {
        if data.len() as u64 > self.local_window as u64 || data.len() as u64 > self.local_max_packet as u64 + 1024 {
            // The peer overran our window or packet size: drop rather than
            // buffer beyond what we granted.
            return;
        }
        self.local_window -= data.len() as u32;
        let mode = self.ext_mode.unwrap_or(ExtendedMode::Normal);
        if !ext || (stream == 1 && mode == ExtendedMode::Merge) {
            match self.framer.as_mut() {
                Some(f) => f.feed(data),
                None => self.data.extend(data),
            }
        } else if stream != 1 || mode == ExtendedMode::Ignore {
            // Ignored data still counts against the window; give it back.
            self.pending_adjust = self.pending_adjust.saturating_add(data.len() as u32);
        } else {
            self.ext_data.extend(data);
        }
    }

    fn unread(&self) -> u32 {
        let framed = self.framer.as_ref().map_or(0, |f| f.buffered());
        (self.data.len() + self.ext_data.len() + framed).min(u32::MAX as usize) as u32
    }
}

/// All channels of a session, by our channel number.
#[derive(Default)]
pub struct Channels {
    /// Open (or opening) channels.
    pub map: HashMap<u32, Channel>,
    next_id: u32,
}

impl Channels {
    /// The bulk-data fast path: a well-formed data message for a known channel,
    /// taken straight from the receive buffer. False: use the general path.
    pub(crate) fn try_data_fast(&mut self, p: &[u8]) -> bool {
        let ext = match p.first() {
            Some(&msg::CHANNEL_DATA) => false,
            Some(&msg::CHANNEL_EXTENDED_DATA) => true,
            _ => return false,
        };
        let mut r = Reader::new(&p[1..]);
        let Ok(id) = r.u32() else { return false };
        let Some(ch) = self.map.get_mut(&id) else { return false };
        let stream = if ext {
            match r.u32() {
                Ok(s) => s,
                Err(_) => return false,
            }
        } else {
            0
        };
        let Ok(data) = r.string() else { return false };
        ch.accept_data(ext, stream, data);
        true
    }

    /// A channel number not in use.
    pub(crate) fn alloc_id(&mut self) -> u32 {
        loop {
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1);
            if !self.map.contains_key(&id) {
                return id;
            }
        }
    }
}

fn chan_err(code: i32, msg: &'static str) -> Error {
    Error::new(code, msg)
}

impl Session {
    fn chan(&mut self, id: u32) -> Result<&mut Channel> {
        self.channels.map.get_mut(&id).ok_or(chan_err(code::CHANNEL_UNKNOWN, "Channel not found"))
    }

    /// Routes a channel message to its channel. Called from dispatch.
    pub(crate) fn channel_message(&mut self, p: &[u8]) -> Result<()> {
        let t = p[0];
        let mut r = Reader::new(&p[1..]);
        if t == msg::CHANNEL_OPEN {
            return self.inbound_channel_open(r.rest());
        }
        let id = r.u32()?;
        let Some(ch) = self.channels.map.get_mut(&id) else {
            // Data for a channel we do not know (or already freed): drop it.
            return Ok(());
        };
        match t {
            msg::CHANNEL_OPEN_CONFIRMATION => {
                if ch.op != ChanOp::Opening {
                    return Err(Error::proto("Unexpected channel open confirmation"));
                }
                ch.remote_id = r.u32()?;
                ch.remote_window = r.u32()?.min(MAX_WINDOW);
                ch.remote_window_initial = ch.remote_window;
                ch.remote_max_packet = r.u32()?;
                ch.open = true;
                ch.op = ChanOp::Idle;
            }
            msg::CHANNEL_OPEN_FAILURE => {
                if ch.op != ChanOp::Opening {
                    return Err(Error::proto("Unexpected channel open failure"));
                }
                let reason = r.u32()?;
                let text = String::from_utf8_lossy(r.string().unwrap_or(b"")).into_owned();
                ch.open_failure = Some((reason, text));
                ch.op = ChanOp::Idle;
            }
            msg::CHANNEL_WINDOW_ADJUST => {
                let n = r.u32()?;
                // RFC 4254 5.2: the window may reach 2^32-1 but never go beyond.
                ch.remote_window =
                    ch.remote_window.checked_add(n).ok_or(Error::proto("Window adjust overflows the window"))?;
            }
            msg::CHANNEL_DATA | msg::CHANNEL_EXTENDED_DATA => {
                let ext = t == msg::CHANNEL_EXTENDED_DATA;
                let stream = if ext { r.u32()? } else { 0 };
                ch.accept_data(ext, stream, r.string()?);
            }
            msg::CHANNEL_EOF => ch.received = ch.received.max(Ending::Eof),
            msg::CHANNEL_CLOSE => {
                ch.received = Ending::Closed;
            }
            msg::CHANNEL_REQUEST => {
                let req = r.string()?.to_vec();
                let want_reply = r.bool()?;
                match req.as_slice() {
                    b"exit-status" => ch.exit_status = Some(r.u32()? as i32),
                    b"exit-signal" => {
                        let name = r.string()?.to_vec();
                        let _core = r.bool()?;
                        let message = r.string()?.to_vec();
                        let language = r.string()?.to_vec();
                        ch.exit_signal = Some(ExitSignal { name, message, language });
                    }
                    _ => {}
                }
                if want_reply {
                    let rid = ch.remote_id;
                    let mut w = Writer::msg(msg::CHANNEL_FAILURE);
                    w.u32(rid);
                    self.send(&w.buf)?;
                }
            }
            msg::CHANNEL_SUCCESS => ch.reply = Some(true),
            msg::CHANNEL_FAILURE => ch.reply = Some(false),
            _ => {}
        }
        Ok(())
    }

    /// Opens a channel of `kind` with the given window and packet sizes and
    /// type-specific `extra` data. Returns our channel id.
    pub fn channel_open(&mut self, kind: &[u8], window: u32, packet: u32, extra: &[u8]) -> Result<u32> {
        drive(self, |s| s.channel_open_step(kind, window, packet, extra))
    }

    /// One step of [`Session::channel_open`]; a failed open is over (a
    /// pending one resumes, as in libssh2).
    pub(crate) fn channel_open_step(
        &mut self,
        kind: &[u8],
        window: u32,
        packet: u32,
        extra: &[u8],
    ) -> Result<Step<u32>> {
        // No authentication check: libssh2 has none and sends the open as it is.
        let r = self.channel_open_try(kind, window, packet, extra);
        if r.is_err() {
            if let Some(id) = self.opening_channel.take() {
                self.channels.map.remove(&id);
            }
        }
        r
    }

    fn channel_open_try(&mut self, kind: &[u8], window: u32, packet: u32, extra: &[u8]) -> Result<Step<u32>> {
        let id = match self.opening_channel {
            Some(id) => id,
            None => {
                let id = self.channels.alloc_id();
                let window = window.clamp(1, MAX_WINDOW);
                let packet = packet.clamp(1, PACKET_DEFAULT * 8);
                self.channels.map.insert(
                    id,
                    Channel {
                        local_id: id,
                        kind: kind.to_vec(),
                        local_window: window,
                        local_window_initial: window,
                        local_max_packet: packet,
                        op: ChanOp::Opening,
                        ..Default::default()
                    },
                );
                let mut w = Writer::msg(msg::CHANNEL_OPEN);
                w.string(kind).u32(id).u32(window).u32(packet).raw(extra);
                self.opening_channel = Some(id);
                self.send(&w.buf)?;
                id
            }
        };
        self.awaiting_reply = true;
        loop {
            let ch = self.chan(id)?;
            if ch.op != ChanOp::Opening {
                break;
            }
            if !self.pump()? {
                return Ok(Pending);
            }
        }
        self.awaiting_reply = false;
        self.opening_channel = None;
        let ch = self.chan(id)?;
        if let Some((reason, text)) = ch.open_failure.take() {
            self.channels.map.remove(&id);
            return Err(Error::with(code::CHANNEL_FAILURE, format!("Channel open failure (reason {reason}: {text})")));
        }
        Ok(Ready(id))
    }

    /// Sends a channel request and, if `want_reply`, waits for its answer.
    pub fn channel_request(
        &mut self,
        id: u32,
        req: &[u8],
        want_reply: bool,
        extra: &[u8],
        fail: &'static str,
    ) -> Result<()> {
        self.channel_request_ex(id, req, want_reply, extra, fail, None)
    }

    /// `channel_request`, with the code and message libssh2 gives a failed wait
    /// for the answer (`wait_fail`; None passes the connection's error on).
    pub fn channel_request_ex(
        &mut self,
        id: u32,
        req: &[u8],
        want_reply: bool,
        extra: &[u8],
        fail: &'static str,
        wait_fail: Option<(i32, &'static str)>,
    ) -> Result<()> {
        drive(self, |s| s.channel_request_step(id, req, want_reply, extra, fail, wait_fail))
    }

    /// One step of [`Session::channel_request_ex`].
    pub(crate) fn channel_request_step(
        &mut self,
        id: u32,
        req: &[u8],
        want_reply: bool,
        extra: &[u8],
        fail: &'static str,
        wait_fail: Option<(i32, &'static str)>,
    ) -> Result<Step<()>> {
        let ch = self.chan(id)?;
        if ch.op == ChanOp::Idle {
            if ch.close_received() {
                // libssh2 sends a request that wants no answer whatever the
                // channel's state and returns 0; the peer has closed, so
                // nothing would act on it (and OpenSSH drops a connection
                // that names a channel it has freed).
                if !want_reply {
                    return Ok(Ready(()));
                }
                return Err(chan_err(code::CHANNEL_CLOSED, "Channel has been closed"));
            }
            let mut w = Writer::msg(msg::CHANNEL_REQUEST);
            w.u32(ch.remote_id).string(req).bool(want_reply).raw(extra);
            ch.reply = None;
            // A failed send ends the request: the next one sends its own.
            self.send(&w.buf)?;
            if want_reply {
                self.chan(id)?.op = ChanOp::Requesting;
            }
            if !want_reply {
                return Ok(Step::done_if(self.flush()?));
            }
        }
        self.awaiting_reply = true;
        loop {
            let ch = self.chan(id)?;
            if let Some(ok) = ch.reply.take() {
                ch.op = ChanOp::Idle;
                self.awaiting_reply = false;
                return if ok { Ok(Ready(())) } else { Err(chan_err(code::CHANNEL_REQUEST_DENIED, fail)) };
            }
            if ch.close_received() {
                ch.op = ChanOp::Idle;
                return Err(chan_err(code::CHANNEL_CLOSED, "Channel closed while waiting for a reply"));
            }
            match self.pump() {
                Ok(true) => {}
                Ok(false) => return Ok(Pending),
                Err(e) => {
                    // The request is over: the next one sends its own.
                    if let Ok(ch) = self.chan(id) {
                        ch.op = ChanOp::Idle;
                    }
                    return Err(wait_fail.map_or(e, |(c, m)| Error::new(c, m)));
                }
            }
        }
    }

    /// Starts a shell, command or subsystem (`request` with `message` as its
    /// string argument when given). A channel starts one, once: a later call
    /// is BAD_USE and sends nothing, as in libssh2.
    pub fn process_startup(&mut self, id: u32, request: &[u8], message: Option<&[u8]>) -> Result<()> {
        if self.chan(id)?.started {
            return Err(chan_err(code::BAD_USE, "Channel can not be reused"));
        }
        let mut w = Writer::new();
        if let Some(m) = message {
            w.string(m);
        }
        drive(self, |s| {
            s.startup_request(id, request, &w.buf, "Unable to complete request for channel-process-startup")
        })
    }

    /// The request that starts a channel's program (shell, exec, subsystem;
    /// also SCP's, SFTP's and publickey's): afterwards the channel counts as
    /// started, whatever the answer, so process_startup refuses it as libssh2 does.
    pub(crate) fn startup_request(
        &mut self,
        id: u32,
        request: &[u8],
        data: &[u8],
        fail: &'static str,
    ) -> Result<Step<()>> {
        let r = self.channel_request_step(id, request, true, data, fail, None);
        if !matches!(r, Ok(Pending)) {
            if let Ok(ch) = self.chan(id) {
                ch.started = true;
            }
        }
        r
    }

    /// Grants the peer more window for data the application has consumed.
    /// Like libssh2, a read of `read_len` bytes lets the window reach the
    /// initial size plus `read_len`: with large reads on a slow link the peer
    /// keeps a full window in flight while the caller holds a buffer's worth.
    pub(crate) fn auto_adjust(&mut self, id: u32, read_len: usize) -> Result<()> {
        let ch = self.chan(id)?;
        let extra = u32::try_from(read_len).unwrap_or(MAX_WINDOW);
        let target = ch.local_window_initial.saturating_add(extra).min(MAX_WINDOW);
        // Bytes the peer may still send plus bytes buffered here stay within `target`.
        let grant = target.saturating_sub(ch.local_window.saturating_add(ch.unread()));
        if grant == 0 || grant < ch.local_window_initial / ADJUST_DIVISOR || ch.eof_received() {
            return Ok(());
        }
        ch.local_window += grant;
        ch.pending_adjust = 0;
        let mut w = Writer::msg(msg::CHANNEL_WINDOW_ADJUST);
        w.u32(ch.remote_id).u32(grant);
        self.send(&w.buf)
    }

    /// Reads from stream 0 or 1 (stderr) into `buf`; 0 means EOF.
    pub fn channel_read(&mut self, id: u32, stream: i32, buf: &mut [u8]) -> Result<usize> {
        drive(self, |s| s.channel_read_step(id, stream, buf))
    }

    /// One step of [`Session::channel_read`].
    pub(crate) fn channel_read_step(&mut self, id: u32, stream: i32, buf: &mut [u8]) -> Result<Step<usize>> {
        loop {
            let ch = self.chan(id)?;
            // An SCP download ends at the file size; the status byte after it is ours.
            let limit = if stream == 0 { super::scp::read_limit(&ch.scp) } else { None };
            if limit == Some(0) {
                return Ok(Ready(0));
            }
            let q = if stream == 0 { &mut ch.data } else { &mut ch.ext_data };
            if !q.is_empty() {
                let n = buf.len().min(q.len()).min(limit.map_or(usize::MAX, |l| l.min(usize::MAX as u64) as usize));
                if let Some(t) = ch.scp.as_mut().filter(|_| limit.is_some()) {
                    t.remaining -= n as u64;
                }
                let (a, b) = q.as_slices();
                let k = n.min(a.len());
                buf[..k].copy_from_slice(&a[..k]);
                buf[k..n].copy_from_slice(&b[..n - k]);
                q.drain(..n);
                // The bytes are the caller's now: a window adjust that cannot be
                // sent (the session died) is reported by the next call, not this one.
                let _ = self.auto_adjust(id, buf.len());
                return Ok(Ready(n));
            }
            if buf.is_empty() {
                return Ok(Ready(0));
            }
            if ch.eof_received() {
                return Ok(Ready(0));
            }
            match self.pump() {
                Ok(true) => {}
                Ok(false) => return Ok(Pending),
                // Data that arrived before a fatal error is still delivered (as
                // libssh2 does); the error comes once it is read.
                Err(e) => {
                    let ch = self.chan(id)?;
                    let queued = if stream == 0 { &ch.data } else { &ch.ext_data };
                    if queued.is_empty() {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Writes to stream 0 or an extended stream; returns bytes that left.
    pub fn channel_write(&mut self, id: u32, stream: i32, buf: &[u8]) -> Result<usize> {
        drive(self, |s| s.channel_write_step(id, stream, buf))
    }

    /// One step of [`Session::channel_write`].
    pub(crate) fn channel_write_step(&mut self, id: u32, stream: i32, buf: &[u8]) -> Result<Step<usize>> {
        let ch = self.chan(id)?;
        if let ChanOp::Writing(n) = ch.op {
            // Keep reading while our output drains, so the peer never
            // waits on us (window adjusts, its own output).
            self.pump()?;
            if self.flush()? {
                self.chan(id)?.op = ChanOp::Idle;
                return Ok(Ready(n));
            }
            return Ok(Pending);
        }
        // libssh2's order: our CLOSE, then our EOF.
        if ch.close_sent() {
            return Err(chan_err(code::CHANNEL_CLOSED, "We have already closed this channel"));
        }
        if ch.eof_sent() {
            return Err(chan_err(code::CHANNEL_EOF_SENT, "EOF has already been received, data might be ignored"));
        }
        if ch.close_received() {
            return Err(chan_err(code::CHANNEL_CLOSED, "The peer has closed this channel"));
        }
        // Like libssh2, take in what has arrived first (window adjusts among
        // it); a dead connection fails the write with the receive error.
        self.pump()?;
        if buf.is_empty() {
            return Ok(Ready(0));
        }
        let ch = self.chan(id)?;
        if ch.remote_window == 0 {
            self.block_dirs |= super::io::dir::INBOUND;
            return Ok(Pending);
        }
        let max_pkt = ch.remote_max_packet.clamp(1, PACKET_DEFAULT * 8) as usize;
        let total = buf.len().min(ch.remote_window as usize).min(max_pkt * MAX_PACKETS_PER_WRITE);
        let rid = ch.remote_id;
        ch.remote_window -= total as u32;
        if let Some(t) = ch.scp.as_mut().filter(|t| t.upload && stream == 0) {
            // Writing past the size means the app sends the status byte itself.
            t.trailer_done |= total as u64 > t.remaining;
            t.remaining = t.remaining.saturating_sub(total as u64);
        }
        let mut off = 0;
        let mut w = Writer::new();
        while off < total {
            let n = (total - off).min(max_pkt);
            w.buf.clear();
            if stream == 0 {
                w.u8(msg::CHANNEL_DATA).u32(rid);
            } else {
                w.u8(msg::CHANNEL_EXTENDED_DATA).u32(rid).u32(stream as u32);
            }
            w.string(&buf[off..off + n]);
            self.conn.as_mut().ok_or(Error::new(code::SOCKET_NONE, "Not connected"))?.send(&w.buf)?;
            off += n;
        }
        if self.flush()? {
            return Ok(Ready(total));
        }
        self.chan(id)?.op = ChanOp::Writing(total);
        Ok(Pending)
    }

    /// Sends EOF on the channel.
    pub fn channel_send_eof(&mut self, id: u32) -> Result<()> {
        drive(self, |s| {
            let ch = s.chan(id)?;
            // libssh2 sends EOF even after the peer's CLOSE (its end of the
            // channel lives until our CLOSE).
            if !ch.eof_sent() {
                ready!(s.scp_trailer(id)?);
                let ch = s.chan(id)?;
                let mut w = Writer::msg(msg::CHANNEL_EOF);
                w.u32(ch.remote_id);
                ch.sent = ch.sent.max(Ending::Eof);
                s.send(&w.buf)?;
            }
            Ok(Step::done_if(s.flush()?))
        })
    }

    /// True once the peer sent EOF and all data was read.
    pub fn channel_eof(&mut self, id: u32) -> Result<bool> {
        // No I/O, as in libssh2: what the reads so far took in decides.
        let ch = self.chan(id)?;
        if super::scp::read_limit(&ch.scp) == Some(0) {
            return Ok(true);
        }
        Ok((ch.eof_received()) && ch.data.is_empty())
    }

    /// Waits for the peer's EOF.
    pub fn channel_wait_eof(&mut self, id: u32) -> Result<()> {
        drive(self, |s| loop {
            let ch = s.chan(id)?;
            if ch.eof_received() {
                return Ok(Ready(()));
            }
            // Data still flowing is discarded by nobody: it stays buffered (bounded by the window).
            if !s.pump()? {
                return Ok(Pending);
            }
        })
    }

    /// Sends CLOSE (after EOF) and waits for the peer's CLOSE.
    pub fn channel_close(&mut self, id: u32) -> Result<()> {
        drive(self, |s| {
            if !s.chan(id)?.close_sent() {
                if !s.chan(id)?.eof_sent() {
                    ready!(s.scp_trailer(id)?);
                }
                let ch = s.chan(id)?;
                let rid = ch.remote_id;
                // No EOF after the peer's CLOSE: the channel is gone for it.
                let need_eof = !ch.eof_sent() && !ch.close_received();
                ch.sent = Ending::Closed;
                if need_eof {
                    let mut w = Writer::msg(msg::CHANNEL_EOF);
                    w.u32(rid);
                    s.send(&w.buf)?;
                }
                let mut w = Writer::msg(msg::CHANNEL_CLOSE);
                w.u32(rid);
                s.send(&w.buf)?;
            }
            // As libssh2 does, the wait ends at the peer's CLOSE or at the next
            // packet of any kind, so a peer that never closes cannot hold it.
            let closed_or_packet = s.chan(id)?.close_received() || s.pump()?;
            Ok(Step::done_if(closed_or_packet && s.flush()?))
        })
    }

    /// Waits for the peer's CLOSE once it sent EOF, as libssh2 does: nothing
    /// is sent (our CLOSE goes out with `channel_close` or `channel_free`).
    pub fn channel_wait_closed(&mut self, id: u32) -> Result<()> {
        if !self.chan(id)?.eof_received() {
            return Err(Error::new(
                code::INVAL,
                "libssh2_channel_wait_closed() invoked when channel is not in EOF state",
            ));
        }
        drive(self, |s| loop {
            if s.chan(id)?.close_received() {
                return Ok(Ready(()));
            }
            if !s.pump()? {
                return Ok(Pending);
            }
        })
    }

    /// Forgets a channel, closing it first if needed.
    pub fn channel_free(&mut self, id: u32) -> Result<()> {
        let needs_close = match self.channels.map.get(&id) {
            None => return Ok(()),
            // The peer's CLOSE must be answered with ours even if it came first.
            Some(ch) => ch.open && !ch.close_sent() && self.dead.is_none(),
        };
        if needs_close {
            let r = self.channel_close(id);
            // A non-blocking free waits for its close as libssh2's does. Like
            // libssh2, a failed close does not stop the free; unlike it,
            // neither does a timed-out one (a blocking free never fails for a
            // peer that does not answer: docs/compat.md, free_running and
            // peer_stalled).
            if would_block(&r) {
                return r;
            }
        }
        self.channels.map.remove(&id);
        Ok(())
    }

    /// Opens a direct-tcpip channel to `host:port` as seen from the server,
    /// naming `shost:sport` as the originator.
    pub fn channel_direct_tcpip(&mut self, host: &[u8], port: u32, shost: &[u8], sport: u32) -> Result<u32> {
        let mut w = Writer::new();
        w.string(host).u32(port).string(shost).u32(sport);
        self.channel_open(b"direct-tcpip", WINDOW_DEFAULT, PACKET_DEFAULT, &w.buf)
    }

    /// Opens a direct-streamlocal@openssh.com channel to the server's Unix socket `path`.
    pub fn channel_direct_streamlocal(&mut self, path: &[u8], shost: &[u8], sport: u32) -> Result<u32> {
        let mut w = Writer::new();
        w.string(path).string(shost).u32(sport);
        self.channel_open(b"direct-streamlocal@openssh.com", WINDOW_DEFAULT, PACKET_DEFAULT, &w.buf)
    }

    /// Requests a pseudo-terminal `term` of the given size with the encoded `modes`.
    pub fn channel_request_pty(&mut self, id: u32, term: &[u8], modes: &[u8], size: [u32; 4]) -> Result<()> {
        let mut w = Writer::new();
        w.string(term).u32(size[0]).u32(size[1]).u32(size[2]).u32(size[3]);
        // An empty mode list still needs TTY_OP_END.
        w.string(if modes.is_empty() { &[0] } else { modes });
        self.channel_request_ex(
            id,
            b"pty-req",
            true,
            &w.buf,
            "Unable to complete request for channel request-pty",
            Some((code::PROTO, "Failed to require the PTY package")),
        )
    }

    /// Tells the server the terminal's new size ("window-change", no reply).
    pub fn channel_pty_size(&mut self, id: u32, size: [u32; 4]) -> Result<()> {
        let mut w = Writer::new();
        w.u32(size[0]).u32(size[1]).u32(size[2]).u32(size[3]);
        self.channel_request(id, b"window-change", false, &w.buf, "")
    }

    /// Sets an environment variable for the remote program ("env").
    pub fn channel_setenv(&mut self, id: u32, name: &[u8], value: &[u8]) -> Result<()> {
        let mut w = Writer::new();
        w.string(name).string(value);
        self.channel_request(id, b"env", true, &w.buf, "Unable to complete request for channel-setenv")
    }

    /// Sends the remote program a signal ("signal", the name without "SIG", no reply).
    pub fn channel_signal(&mut self, id: u32, name: &[u8]) -> Result<()> {
        let mut w = Writer::new();
        w.string(name);
        self.channel_request(id, b"signal", false, &w.buf, "")
    }

    /// Asks the server to forward its agent requests over this session.
    pub fn channel_request_auth_agent(&mut self, id: u32) -> Result<()> {
        self.channel_request_ex(
            id,
            b"auth-agent-req@openssh.com",
            true,
            &[],
            "Unable to request auth agent",
            Some((code::PROTO, "Failed to request auth-agent")),
        )
    }

    /// Requests X11 forwarding with `proto` and `cookie` for `screen`.
    pub fn channel_x11_req(&mut self, id: u32, single: bool, proto: &[u8], cookie: &[u8], screen: u32) -> Result<()> {
        let mut w = Writer::new();
        w.bool(single).string(proto).string(cookie).u32(screen);
        self.channel_request(id, b"x11-req", true, &w.buf, "Unable to complete request for channel x11-req")
    }

    /// Sets how stderr is delivered; buffered stderr follows the new mode at
    /// once (merged into stream 0, or dropped and its window given back).
    pub fn channel_set_extended_mode(&mut self, id: u32, mode: ExtendedMode) -> Result<()> {
        let ch = self.chan(id)?;
        ch.ext_mode = Some(mode);
        match mode {
            ExtendedMode::Merge => {
                let e: Vec<u8> = ch.ext_data.drain(..).collect();
                ch.data.extend(e);
            }
            ExtendedMode::Ignore => {
                let n = ch.ext_data.len() as u32;
                ch.ext_data.clear();
                ch.pending_adjust = ch.pending_adjust.saturating_add(n);
            }
            ExtendedMode::Normal => {}
        }
        Ok(())
    }

    /// Drops buffered incoming data of stream `streamid` (0: stdout,
    /// FLUSH_EXTENDED_DATA: every extended stream, FLUSH_ALL: everything;
    /// any other id flushes the extended streams, as in libssh2) and gives the
    /// window back. Returns the bytes dropped.
    pub fn channel_flush(&mut self, id: u32, streamid: i32) -> Result<usize> {
        use crate::consts::channel::FLUSH_ALL;
        let ch = self.chan(id)?;
        let mut n = 0usize;
        if streamid == 0 || streamid == FLUSH_ALL {
            n += ch.data.len();
            ch.data.clear();
        }
        if streamid != 0 {
            n += ch.ext_data.len();
            ch.ext_data.clear();
        }
        self.channel_receive_window_adjust(id, n as u32, false)?;
        Ok(n)
    }

    /// The exit status the server reported (0 if none, or no such channel, as in libssh2).
    pub fn channel_exit_status(&self, id: u32) -> i32 {
        self.channels.map.get(&id).and_then(|c| c.exit_status).unwrap_or(0)
    }

    /// The name of the signal that ended the remote command, if one was reported.
    pub fn channel_exit_signal(&self, id: u32) -> Option<&[u8]> {
        self.channels.map.get(&id)?.exit_signal.as_ref().map(|s| s.name.as_slice())
    }

    /// Our receive window, the bytes buffered and the initial window.
    pub fn channel_window_read(&mut self, id: u32) -> Result<ReadWindow> {
        let ch = self.chan(id)?;
        Ok(ReadWindow {
            window: ch.local_window,
            avail: ch.data.len() + ch.ext_data.len(),
            initial: ch.local_window_initial,
        })
    }

    /// The peer's remaining window (bytes we may send) and its initial window.
    pub fn channel_window_write(&mut self, id: u32) -> Result<(u32, u32)> {
        let ch = self.chan(id)?;
        Ok((ch.remote_window, ch.remote_window_initial))
    }

    /// Whether data waits, after taking in what already arrived (its errors
    /// surface on the next real call): `extended` 0 asks about stream 0, 1
    /// about any stream; any other value is never ready, as in libssh2.
    pub fn channel_poll_read(&mut self, id: u32, extended: i32) -> Result<bool> {
        let _ = self.pump();
        let ch = self.chan(id)?;
        Ok(match extended {
            0 => !ch.data.is_empty(),
            1 => !ch.data.is_empty() || !ch.ext_data.is_empty(),
            _ => false,
        })
    }

    /// Adjusts our receive window by `adjust` (queued below MIN_ADJUST unless forced).
    /// Returns the window as it was before, as libssh2 does (and, like libssh2,
    /// the initial window stays the one the channel was opened with).
    pub fn channel_receive_window_adjust(&mut self, id: u32, adjust: u32, force: bool) -> Result<u32> {
        drive(self, |s| {
            let ch = s.chan(id)?;
            let before = ch.local_window;
            let total = ch.pending_adjust.saturating_add(adjust);
            if total < MIN_ADJUST && !force {
                ch.pending_adjust = total;
                return Ok(Ready(before));
            }
            let total = total.min(MAX_WINDOW - ch.local_window.min(MAX_WINDOW));
            ch.pending_adjust = 0;
            ch.local_window += total;
            let (rid, win) = (ch.remote_id, before);
            if total > 0 {
                let mut w = Writer::msg(msg::CHANNEL_WINDOW_ADJUST);
                w.u32(rid).u32(total);
                s.send(&w.buf)?;
            }
            Ok(Ready(win))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::channel::{FLUSH_ALL, FLUSH_EXTENDED_DATA};

    const ID: u32 = 3;

    /// An offline session with channel ID holding `out` on stream 0 and `err` on stderr.
    fn session(out: &[u8], err: &[u8]) -> Session {
        let mut s = Session::offline();
        let mut ch =
            Channel { local_id: ID, local_window: 100, local_window_initial: 1000, open: true, ..Default::default() };
        ch.data.extend(out);
        ch.ext_data.extend(err);
        s.channels.map.insert(ID, ch);
        s
    }

    #[test]
    fn extended_modes_apply_to_buffered_stderr() {
        let mut s = session(b"out", b"err");
        s.channel_set_extended_mode(ID, ExtendedMode::from_c(2)).unwrap();
        let ch = &s.channels.map[&ID];
        assert_eq!((ch.data.len(), ch.ext_data.len()), (6, 0), "merged into stream 0");
        let mut s = session(b"out", b"err");
        s.channel_set_extended_mode(ID, ExtendedMode::from_c(1)).unwrap();
        let ch = &s.channels.map[&ID];
        assert_eq!((ch.data.len(), ch.ext_data.len(), ch.pending_adjust), (3, 0, 3), "dropped, window owed");
        assert_eq!(ExtendedMode::from_c(7), ExtendedMode::Normal);
        assert_eq!(s.channel_set_extended_mode(99, ExtendedMode::Normal).unwrap_err().code, code::CHANNEL_UNKNOWN);
    }

    #[test]
    fn flush_drops_the_chosen_streams() {
        for (stream, dropped, left) in
            [(0, 3, (0, 4)), (1, 4, (3, 0)), (FLUSH_EXTENDED_DATA, 4, (3, 0)), (FLUSH_ALL, 7, (0, 0))]
        {
            let mut s = session(b"out", b"errs");
            assert_eq!(s.channel_flush(ID, stream).unwrap(), dropped, "stream {stream}");
            let ch = &s.channels.map[&ID];
            assert_eq!((ch.data.len(), ch.ext_data.len()), left, "stream {stream}");
        }
    }

    #[test]
    fn windows_and_readiness_read_the_channel() {
        let mut s = session(b"", b"e");
        let w = s.channel_window_read(ID).unwrap();
        assert_eq!((w.window, w.avail, w.initial), (100, 1, 1000));
        assert!(!s.channel_poll_read(ID, 0).unwrap(), "nothing on stream 0");
        assert!(s.channel_poll_read(ID, 1).unwrap(), "stderr counts for any stream");
        assert!(!s.channel_poll_read(ID, 2).unwrap());
        assert_eq!(s.channel_exit_status(ID), 0);
        assert_eq!(s.channel_exit_signal(ID), None);
        assert_eq!(s.channel_window_write(99).unwrap_err().code, code::CHANNEL_UNKNOWN);
    }

    // ---- against an in-memory server on the fake clock ---------------------

    use crate::session::fuzzing::{Respond, Timeline};

    /// One way of the in-memory link, in fake ms.
    const HOP_MS: u64 = 10;
    /// The server's end of the channel.
    const SERVER_CHAN: u32 = 100;

    /// A server for one `exec`: it confirms the open and answers the request
    /// with SUCCESS; `out`, exit status 0, EOF and CLOSE follow `out_after`
    /// ms after the request.
    fn exec_server(out: &'static [u8], out_after: u64) -> Respond {
        let mut client = 0;
        Box::new(move |p: &[u8]| {
            let mut r = Reader::new(&p[1..]);
            let to = |kind: u8, client: u32| {
                let mut w = Writer::msg(kind);
                w.u32(client);
                w
            };
            match p[0] {
                msg::CHANNEL_OPEN => {
                    r.string().unwrap();
                    client = r.u32().unwrap();
                    let mut w = to(msg::CHANNEL_OPEN_CONFIRMATION, client);
                    w.u32(SERVER_CHAN).u32(WINDOW_DEFAULT).u32(PACKET_DEFAULT);
                    vec![(2 * HOP_MS, w.buf)]
                }
                msg::CHANNEL_REQUEST => {
                    let mut data = to(msg::CHANNEL_DATA, client);
                    data.string(out);
                    let mut status = to(msg::CHANNEL_REQUEST, client);
                    status.string(b"exit-status").bool(false).u32(0);
                    vec![
                        (2 * HOP_MS, to(msg::CHANNEL_SUCCESS, client).buf),
                        (out_after, data.buf),
                        (out_after, status.buf),
                        (out_after, to(msg::CHANNEL_EOF, client).buf),
                        (out_after, to(msg::CHANNEL_CLOSE, client).buf),
                    ]
                }
                _ => Vec::new(),
            }
        })
    }

    #[test]
    fn an_exec_round_trip_runs_against_an_in_memory_server() {
        let tl = Timeline::new([]);
        let mut s = Session::with_peer(&tl, true, exec_server(b"hi\n", 2 * HOP_MS));
        s.timeout_ms = 1000;
        let id = s.channel_open(b"session", WINDOW_DEFAULT, PACKET_DEFAULT, &[]).unwrap();
        assert_eq!(tl.now(), 2 * HOP_MS, "one round trip for the open");
        s.process_startup(id, b"exec", Some(b"echo hi")).unwrap();
        assert_eq!(tl.now(), 4 * HOP_MS, "one more for the request");
        let mut buf = [0u8; 16];
        let n = s.channel_read(id, 0, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"hi\n");
        assert_eq!(s.channel_read(id, 0, &mut buf).unwrap(), 0, "then EOF");
        assert_eq!(s.channel_exit_status(id), 0);
        s.channel_close(id).unwrap();
        s.channel_free(id).unwrap();
        assert_eq!(tl.now(), 4 * HOP_MS, "output, EOF and CLOSE came with the reply: no more waiting");
    }

    #[test]
    fn a_read_of_slow_output_times_out_at_the_session_timeout_and_resumes() {
        let tl = Timeline::new([]);
        let mut s = Session::with_peer(&tl, true, exec_server(b"late", 1500));
        s.timeout_ms = 1000;
        let id = s.channel_open(b"session", WINDOW_DEFAULT, PACKET_DEFAULT, &[]).unwrap();
        s.process_startup(id, b"exec", Some(b"sleep 1; echo late")).unwrap();
        let asked = tl.now();
        let mut buf = [0u8; 16];
        let e = s.channel_read(id, 0, &mut buf).unwrap_err();
        assert_eq!(e.code, code::TIMEOUT);
        assert_eq!(tl.now(), asked + 1000, "gave up at the timeout, on the fake clock");
        let n = s.channel_read(id, 0, &mut buf).expect("the repeated read gets the output");
        assert_eq!(&buf[..n], b"late");
        assert_eq!(tl.now(), asked - 2 * HOP_MS + 1500, "when the output arrived");
    }
}
