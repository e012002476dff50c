//! Moving SFTP packets over the channel.
//!
//! Outgoing: packets are written straight into channel-message buffers (9
//! header bytes reserved for CHANNEL_DATA), small requests coalesced, and sent
//! as the peer's window and the socket allow: the caller's data is copied once
//! into the message, which the transport then seals.
//!
//! Incoming: complete SFTP packets are framed off the channel's receive buffer,
//! checked (length bounds, known type, known request id), and filed by request
//! id; consumed bytes are granted back to the peer as window in large steps.

use super::{
    fxp, protocol, ReqKind, Sftp, COALESCE_MAX, MIN_PACKET_LEN, OUT_HIGH_WATER, PACKET_MAX, READDIR_PACKET_MAX,
};
use super::{wire, WINDOW_GRANT_STEP};
use crate::error::{code, Error, Result};
use crate::proto::msg;
use crate::proto::wire::Writer;
use crate::session::channel::MAX_WINDOW;
use crate::session::framer::Framer;
use crate::session::Session;

/// Bytes reserved at the start of each outgoing message: type, channel, length.
pub(crate) const MSG_HDR: usize = 9;
/// Largest channel payload we send in one message, whatever the peer allows.
const MAX_CHANNEL_CHUNK: usize = 256 * 1024;

impl Sftp {
    /// Queues one SFTP packet (header + `body`) and registers its request id.
    /// `bulk` packets get their own message; small ones are coalesced.
    pub(crate) fn queue(&mut self, kind: u8, rk: ReqKind, size_hint: usize, body: impl FnOnce(&mut Writer)) -> u32 {
        let id = self.alloc_req();
        let coalesce = size_hint < COALESCE_MAX;
        let buf = match self.out.back_mut() {
            Some(last) if coalesce && last.len() + size_hint < COALESCE_MAX + MSG_HDR => std::mem::take(last),
            _ => {
                let mut v = Vec::with_capacity(MSG_HDR + size_hint + 32);
                v.resize(MSG_HDR, 0);
                self.out.push_back(Vec::new());
                v
            }
        };
        let mut w = Writer { buf };
        let at = wire::begin_packet(&mut w, kind, id);
        body(&mut w);
        wire::finish_packet(&mut w, at);
        if let Some(last) = self.out.back_mut() {
            *last = w.buf;
        }
        self.outstanding.insert(id, rk);
        id
    }

    /// Whether `p` (a record, at least its first 5 bytes) is a NAME reply to
    /// an outstanding READDIR: the only reply allowed past `PACKET_MAX`.
    fn is_readdir_reply(&self, p: &[u8]) -> bool {
        let id = p.get(1..5).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes);
        p.first() == Some(&fxp::NAME) && id.and_then(|id| self.outstanding.get(&id)) == Some(&ReqKind::Readdir)
    }

    /// Files a framed packet by request id.
    fn accept(&mut self, p: Vec<u8>) -> Result<()> {
        let kind = p.first().copied().unwrap_or(0);
        if !self.got_version {
            if kind != fxp::VERSION {
                return Err(protocol("Expected SSH_FXP_VERSION"));
            }
            self.got_version = true;
            self.version_reply = Some(p);
            return Ok(());
        }
        if !matches!(kind, fxp::STATUS | fxp::HANDLE | fxp::DATA | fxp::NAME | fxp::ATTRS | fxp::EXTENDED_REPLY) {
            return Err(protocol("Out of sync with the world"));
        }
        let id = wire::reader(&p).bytes(5).map(|h| u32::from_be_bytes([h[1], h[2], h[3], h[4]]))?;
        if self.zombies.remove(&id) {
            return Ok(());
        }
        match self.outstanding.remove(&id) {
            None => Err(protocol("SFTP reply to an unknown request id")),
            Some(ReqKind::Limits) => {
                self.take_limits(&p);
                Ok(())
            }
            Some(_) => {
                self.replies.insert(id, p);
                Ok(())
            }
        }
    }
}

impl Session {
    /// The SFTP instance `sid`, or the error that broke it.
    pub(crate) fn sftp_st(&mut self, sid: u32) -> Result<&mut Sftp> {
        let st = self.sftp.map.get_mut(&sid).ok_or(Error::new(code::BAD_USE, "Invalid SFTP instance"))?;
        if let Some(e) = &st.broken {
            return Err(e.clone());
        }
        Ok(st)
    }

    /// Sends queued messages as far as the peer's window and the socket allow.
    pub(crate) fn sftp_send(&mut self, sid: u32) -> Result<()> {
        let Session { sftp, channels, conn, block_dirs, .. } = self;
        let st = sftp.map.get_mut(&sid).ok_or(Error::new(code::BAD_USE, "Invalid SFTP instance"))?;
        let ch = channels.map.get_mut(&st.channel).ok_or(Error::new(code::CHANNEL_UNKNOWN, "SFTP channel gone"))?;
        if st.out.is_empty() {
            return Ok(());
        }
        let conn = conn.as_mut().ok_or(Error::new(code::SOCKET_NONE, "Not connected"))?;
        if ch.close_received() || ch.close_sent() || ch.eof_sent() {
            return Err(Error::new(code::CHANNEL_CLOSED, "SFTP channel closed"));
        }
        while let Some(m) = st.out.front_mut() {
            // Sealing during a key exchange would only be deferred (copied); wait.
            if conn.kex_running() || conn.pending_output().len() >= OUT_HIGH_WATER {
                break;
            }
            let data_len = m.len().saturating_sub(MSG_HDR);
            if data_len == 0 {
                st.out.pop_front();
                continue;
            }
            let max_pkt = (ch.remote_max_packet as usize).clamp(1, MAX_CHANNEL_CHUNK);
            let n = data_len.min(max_pkt).min(ch.remote_window as usize);
            if n == 0 {
                *block_dirs |= crate::session::io::dir::INBOUND;
                break;
            }
            if n == data_len {
                m[0] = msg::CHANNEL_DATA;
                m[1..5].copy_from_slice(&ch.remote_id.to_be_bytes());
                m[5..9].copy_from_slice(&(n as u32).to_be_bytes());
                conn.send(m)?;
                st.out.pop_front();
            } else {
                // Rare: a packet larger than the peer's packet size or window.
                let mut w = Writer::msg(msg::CHANNEL_DATA);
                w.u32(ch.remote_id).string(&m[MSG_HDR..MSG_HDR + n]);
                conn.send(&w.buf)?;
                m.drain(MSG_HDR..MSG_HDR + n);
            }
            ch.remote_window -= n as u32;
        }
        self.flush()?;
        Ok(())
    }

    /// Frames every complete SFTP packet the channel holds and grants window back.
    pub(crate) fn sftp_frame(&mut self, sid: u32) -> Result<()> {
        let r = self.sftp_frame_inner(sid);
        if let Err(e) = &r {
            if let Some(st) = self.sftp.map.get_mut(&sid) {
                st.broken = Some(e.clone());
            }
        }
        r
    }

    fn sftp_frame_inner(&mut self, sid: u32) -> Result<()> {
        let Session { sftp, channels, conn, .. } = self;
        let st = sftp.map.get_mut(&sid).ok_or(Error::new(code::BAD_USE, "Invalid SFTP instance"))?;
        let ch = channels.map.get_mut(&st.channel).ok_or(Error::new(code::CHANNEL_UNKNOWN, "SFTP channel gone"))?;
        // Records are cut as the channel data arrives (src/session/framer.rs);
        // bytes queued before framing began are fed in first.
        let framer = ch.framer.get_or_insert_with(|| Framer::new(MIN_PACKET_LEN, READDIR_PACKET_MAX));
        if !ch.data.is_empty() {
            let (a, b) = ch.data.as_slices();
            framer.feed(a);
            framer.feed(b);
            ch.data.clear();
        }
        let mut consumed: usize = 0;
        while let Some(p) = framer.pop() {
            consumed += 4 + p.len();
            if p.len() > PACKET_MAX && !st.is_readdir_reply(&p) {
                return Err(Error::new(code::CHANNEL_PACKET_EXCEEDED, "SFTP packet too large"));
            }
            st.accept(p)?;
        }
        if let Some(len) = framer.bad_len() {
            return Err(if len < MIN_PACKET_LEN {
                protocol("Invalid SFTP packet size")
            } else {
                Error::new(code::CHANNEL_PACKET_EXCEEDED, "SFTP packet too large")
            });
        }
        // An oversized record is refused as soon as its type and id show it
        // is not a directory listing, not after it has all arrived.
        if let Some((len, head)) = framer.partial() {
            if len > PACKET_MAX && head.len() >= 5 && !st.is_readdir_reply(head) {
                return Err(Error::new(code::CHANNEL_PACKET_EXCEEDED, "SFTP packet too large"));
            }
        }
        st.ungranted = st.ungranted.saturating_add(consumed as u32);
        let grant = st.ungranted.saturating_add(ch.pending_adjust);
        if grant >= WINDOW_GRANT_STEP && !ch.close_received() && !ch.eof_received() {
            let grant = grant.min(MAX_WINDOW - ch.local_window.min(MAX_WINDOW));
            ch.local_window += grant;
            ch.pending_adjust = 0;
            st.ungranted = 0;
            let mut w = Writer::msg(msg::CHANNEL_WINDOW_ADJUST);
            w.u32(ch.remote_id).u32(grant);
            conn.as_mut().ok_or(Error::new(code::SOCKET_NONE, "Not connected"))?.send(&w.buf)?;
        }
        Ok(())
    }

    /// One waiting round: send what is queued, fail if the channel is done,
    /// read what arrived. `Ok(false)`: nothing moved (time to return EAGAIN).
    pub(crate) fn sftp_wait_more(&mut self, sid: u32) -> Result<bool> {
        self.sftp_send(sid)?;
        self.sftp_check_alive(sid)?;
        self.pump()
    }

    /// Fails when the SFTP channel can bring no more replies.
    fn sftp_check_alive(&mut self, sid: u32) -> Result<()> {
        let chan = self.sftp_st(sid)?.channel;
        let ch = self.channels.map.get(&chan).ok_or(Error::new(code::CHANNEL_UNKNOWN, "SFTP channel gone"))?;
        if (ch.eof_received()) && ch.data.len() < 4 && !ch.framer.as_ref().is_some_and(|f| f.has_ready()) {
            return Err(Error::new(code::CHANNEL_CLOSED, "SFTP channel closed by the server"));
        }
        Ok(())
    }

    /// Takes the reply to `id` if it has arrived, reading what the socket has.
    /// `Ok(None)`: not yet (the caller returns EAGAIN).
    pub(crate) fn sftp_reply(&mut self, sid: u32, id: u32) -> Result<Option<Vec<u8>>> {
        self.awaiting_reply = true;
        loop {
            self.sftp_frame(sid)?;
            let st = self.sftp_st(sid)?;
            if let Some(p) = st.replies.remove(&id) {
                self.awaiting_reply = false;
                return Ok(Some(p));
            }
            if !self.sftp_wait_more(sid)? {
                return Ok(None);
            }
        }
    }
}
