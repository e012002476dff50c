//! File data: the read-ahead pipeline, the write pipeline, seek and tell.
//!
//! Read: a window of READ requests runs ahead of the caller. It starts small
//! after an open or seek (so a small random read costs little), doubles with
//! each reply until the first round trip is measured, and from then on is
//! twice the measured bandwidth-delay product (`Pace`), between
//! `READ_AHEAD_FLOOR` and `READ_AHEAD_MAX`: what the link needs, not what a
//! busy server would have to buffer for 200 sessions. Replies may arrive in
//! any order; they are handed out in offset order. A short DATA reply gets a
//! request for the missing range, queued ahead of the rest, so the data stays
//! contiguous. EOF or an error abandons the requests still out (their replies
//! are discarded on arrival), as does a seek.
//!
//! Write (libssh2's contract): the caller's buffer is cut into WRITE requests
//! that go out at once; the call returns the bytes the server acknowledged so
//! far, keeping the rest in flight, and the caller passes the buffer again
//! advanced by that count, so bytes already sent are skipped. Nothing is
//! reported written before its STATUS OK arrived; an error status is returned
//! by the call that reaches it (after any bytes acknowledged before it).
//!
//! Write-behind (opt-in, `Sftp::write_behind` > 0): a write is reported as
//! soon as its data is queued, while at most that many bytes are
//! unacknowledged on the handle, so a caller's small buffers no longer cost a
//! round trip each. The first failed acknowledgement is kept on the handle
//! (`Handle::wb_error`) and returned by every later write, read, fsync and
//! close; close and fsync first wait until every byte was acknowledged.
//! Requests carry their own offsets, so seek and tell stay exact without
//! waiting.

use super::pipe::MSG_HDR;
use super::{fx, fxp, protocol, status_error, wire, ReadReq, ReqKind, Sftp, WriteReq};
use super::{DEFAULT_READ_LEN, DEFAULT_WRITE_LEN, MAX_READ_LEN, MAX_READ_REQUESTS, MAX_WRITE_REQUESTS, MIN_READ_LEN};
use super::{MIN_WRITE_LEN, PACKET_MAX, READ_AHEAD_INITIAL, READ_AHEAD_MAX, WRITE_INFLIGHT_MAX};

use crate::error::{code, Error, Result};
use crate::session::driver::{drive, ready, Pending, Ready, Step};
use crate::session::Session;

/// Write-behind: a full handle takes new data again once 1/this of its limit is free.
const WRITE_BEHIND_REFILL: u64 = 8;

/// Bytes of a WRITE packet besides handle and data: length, type, id, two
/// string lengths, offset.
const WRITE_OVERHEAD: usize = 4 + 1 + 4 + 4 + 8 + 4;

impl Sftp {
    /// Size of one READ request: the server's announced maximum, else 32 KiB.
    fn read_len(&self) -> u32 {
        match self.limits {
            Some(l) if l.max_read > 0 => l.max_read.min(MAX_READ_LEN as u64) as u32,
            _ => DEFAULT_READ_LEN,
        }
    }

    /// Issues READ requests, stamped `now`, until the handle's read-ahead target is covered.
    fn top_up_reads(&mut self, fh: u32, now: u64) -> Result<()> {
        let read_len = self.read_len();
        let h = self.handle(fh)?;
        // A directory handle is asked too, as libssh2 does: the server answers FAILURE.
        if h.eof {
            return Ok(());
        }
        let cur_rem = h.cur.as_ref().map_or(0, |(_, a, b)| b - a) as u64;
        let requested = h.offset_sent.saturating_sub(h.offset).saturating_sub(cur_rem);
        let mut budget = h.ahead.saturating_sub(requested);
        let size = ((h.ahead / 4) as u32).clamp(MIN_READ_LEN.min(read_len), read_len);
        let room = MAX_READ_REQUESTS.saturating_sub(h.reads.len());
        let hstr = h.handle.clone();
        let mut off = h.offset_sent;
        let mut new = Vec::new();
        while budget > 0 && new.len() < room {
            let id = self.queue(fxp::READ, ReqKind::Read, 32 + hstr.len(), |w| {
                w.string(&hstr).u64(off).u32(size);
            });
            new.push(ReadReq { id, offset: off, len: size, sent: Some(now) });
            off = off.saturating_add(size as u64);
            budget = budget.saturating_sub(size as u64);
        }
        let h = self.handle(fh)?;
        h.reads.extend(new);
        h.offset_sent = off;
        Ok(())
    }

    /// Re-requests the part of a short reply that is missing, ahead of the rest.
    fn request_gap(&mut self, fh: u32, offset: u64, len: u32, now: u64) -> Result<()> {
        let hstr = self.handle(fh)?.handle.clone();
        let id = self.queue(fxp::READ, ReqKind::Read, 32 + hstr.len(), |w| {
            w.string(&hstr).u64(offset).u32(len);
        });
        self.handle(fh)?.reads.push_front(ReadReq { id, offset, len, sent: Some(now) });
        Ok(())
    }

    fn abandon_reads(&mut self, fh: u32) -> Result<()> {
        let ids: Vec<u32> = self.handle(fh)?.reads.drain(..).map(|r| r.id).collect();
        for id in ids {
            self.abandon(id);
        }
        Ok(())
    }

    fn abandon_writes(&mut self, fh: u32) -> Result<()> {
        let h = self.handle(fh)?;
        h.write_inflight = 0;
        let ids: Vec<u32> = h.writes.drain(..).map(|r| r.id).collect();
        for id in ids {
            self.abandon(id);
        }
        Ok(())
    }

    /// Drops all read-ahead and unacknowledged writes of a handle.
    pub(crate) fn drop_pipeline(&mut self, fh: u32) -> Result<()> {
        self.abandon_reads(fh)?;
        self.abandon_writes(fh)?;
        let h = self.handle(fh)?;
        h.cur = None;
        h.offset_sent = h.offset;
        Ok(())
    }

    /// Hands out buffered DATA into `buf`; returns the bytes copied.
    fn take_cur(&mut self, fh: u32, buf: &mut [u8]) -> Result<usize> {
        let h = self.handle(fh)?;
        let Some((p, a, b)) = h.cur.as_mut() else { return Ok(0) };
        let n = buf.len().min(*b - *a);
        buf[..n].copy_from_slice(&p[*a..*a + n]);
        *a += n;
        if a == b {
            h.cur = None;
        }
        h.offset += n as u64;
        Ok(n)
    }
}

impl Session {
    /// The WRITE payload size: what fits one channel packet of the peer,
    /// within the server's announced limit.
    fn sftp_write_len(&mut self, sid: u32, fh: u32) -> Result<usize> {
        let st = self.sftp_st(sid)?;
        let hlen = st.handle(fh)?.handle.len();
        let cap = match st.limits {
            Some(l) if l.max_write > 0 => l.max_write.min((PACKET_MAX - 1024) as u64) as usize,
            _ => DEFAULT_WRITE_LEN,
        };
        let chan = st.channel;
        let rmp = self.channels.map.get(&chan).map_or(0, |c| c.remote_max_packet as usize);
        let fit = rmp.saturating_sub(WRITE_OVERHEAD + hlen);
        Ok(fit.clamp(MIN_WRITE_LEN, cap.max(MIN_WRITE_LEN)))
    }

    /// Reads from a file (libssh2_sftp_read); 0 at end of file.
    pub fn sftp_read(&mut self, sid: u32, fh: u32, buf: &mut [u8]) -> Result<usize> {
        drive(self, |s| s.sftp_read_step(sid, fh, buf))
    }

    fn sftp_read_step(&mut self, sid: u32, fh: u32, buf: &mut [u8]) -> Result<Step<usize>> {
        let now = self.now_us;
        let st = self.sftp_st(sid)?;
        let wb = st.write_behind > 0;
        let h = st.handle(fh)?;
        if wb && (!h.writes.is_empty() || h.wb_error.is_some()) {
            // Reads see the written data: every reported write lands first.
            ready!(self.sftp_wb_settle(sid, fh)?);
        }
        let st = self.sftp_st(sid)?;
        let h = st.handle(fh)?;
        if !h.writes.is_empty() || h.acked > 0 {
            // Switching from writing: unreported writes are not claimed.
            h.offset -= h.acked;
            h.acked = 0;
            st.abandon_writes(fh)?;
            let h = st.handle(fh)?;
            h.offset_sent = h.offset;
        }
        st.last_error = fx::OK;
        if buf.is_empty() {
            // libssh2 requests nothing for an empty buffer and ends in its internal
            // error, unless buffered data or the end of file answers first.
            let h = st.handle(fh)?;
            return if h.cur.is_some() || h.eof {
                Ok(Ready(0))
            } else {
                Err(Error::new(code::SFTP_PROTOCOL, "sftp_read() internal error"))
            };
        }
        let mut n = st.take_cur(fh, buf)?;
        if n == buf.len() {
            st.top_up_reads(fh, now)?;
            self.sftp_read_send(sid)?;
            return Ok(Ready(n));
        }
        if st.handle(fh)?.eof {
            return Ok(Ready(n));
        }
        st.top_up_reads(fh, now)?;
        self.sftp_read_send(sid)?;
        self.awaiting_reply = true;
        let r = self.sftp_read_fill(sid, fh, buf, &mut n);
        self.awaiting_reply = false;
        if let Ok(Pending) = r {
            return Ok(Pending);
        }
        if let Err(e) = r {
            // The reply that failed was consumed: drop the read-ahead so a later
            // read asks again rather than waiting for an answer that already came.
            if let Some(st) = self.sftp.map.get_mut(&sid) {
                if st.handles.contains_key(&fh) {
                    st.abandon_reads(fh)?;
                    let h = st.handle(fh)?;
                    h.cur = None;
                    h.offset_sent = h.offset;
                }
            }
            // Bytes already copied into `buf` count: report them, the error comes next call.
            return if n > 0 { Ok(Ready(n)) } else { Err(read_side(e)) };
        }
        let st = self.sftp_st(sid)?;
        st.top_up_reads(fh, now)?;
        self.sftp_read_send(sid)?;
        Ok(Ready(n))
    }

    /// Sends a read's requests. libssh2's sftp_read drains the input before it
    /// sends, so on a connection that is gone its read fails as a receive.
    fn sftp_read_send(&mut self, sid: u32) -> Result<()> {
        self.sftp_send(sid).map_err(read_side)
    }

    /// Copies in-order replies into `buf[*n..]`, waiting only while nothing was copied.
    fn sftp_read_fill(&mut self, sid: u32, fh: u32, buf: &mut [u8], n: &mut usize) -> Result<Step<()>> {
        let now = self.now_us;
        loop {
            self.sftp_frame(sid)?;
            let st = self.sftp_st(sid)?;
            let h = st.handle(fh)?;
            let Some(head) = h.reads.front().copied() else { return Ok(Ready(())) };
            let Some(p) = st.replies.remove(&head.id) else {
                if *n > 0 {
                    return Ok(Ready(()));
                }
                if !self.sftp_wait_more(sid)? {
                    return Ok(Pending);
                }
                continue;
            };
            match p.first() {
                Some(&fxp::DATA) => {
                    let mut r = wire::reader(&p);
                    r.bytes(5)?;
                    let data = r.string().map_err(|_| protocol("SFTP Protocol badness"))?;
                    let m = data.len();
                    if m > head.len as usize {
                        return Err(protocol("FXP_READ response too big"));
                    }
                    if m == 0 {
                        return Err(protocol("SFTP Protocol badness: empty FXP_DATA"));
                    }
                    let start = p.len() - r.remaining() - m;
                    let h = st.handle(fh)?;
                    h.reads.pop_front();
                    if let Some(target) = h.pace.delivered(m as u64, head.sent, now) {
                        h.ahead = target;
                    } else if h.pace.rtt_min.is_none() {
                        h.ahead = (h.ahead * 2).min(READ_AHEAD_MAX);
                    }
                    if m < head.len as usize {
                        st.request_gap(fh, head.offset + m as u64, head.len - m as u32, now)?;
                    }
                    let k = m.min(buf.len() - *n);
                    buf[*n..*n + k].copy_from_slice(&p[start..start + k]);
                    *n += k;
                    let h = st.handle(fh)?;
                    h.offset += k as u64;
                    if k < m {
                        h.cur = Some((p, start + k, start + m));
                        return Ok(Ready(()));
                    }
                    if *n == buf.len() {
                        return Ok(Ready(()));
                    }
                }
                Some(&fxp::STATUS) => {
                    let c = wire::status_code(&p)?;
                    if c != fx::EOF && *n > 0 {
                        // Report the bytes first; the error comes with the next call.
                        st.replies.insert(head.id, p);
                        return Ok(Ready(()));
                    }
                    st.handle(fh)?.reads.pop_front();
                    st.abandon_reads(fh)?;
                    let h = st.handle(fh)?;
                    h.offset_sent = h.offset;
                    if c == fx::EOF {
                        h.eof = true;
                        return Ok(Ready(()));
                    }
                    st.last_error = c;
                    return Err(status_error("SFTP READ error"));
                }
                _ => return Err(protocol("SFTP Protocol badness: unrecognised read request response")),
            }
        }
    }

    /// Writes to a file (libssh2_sftp_write): returns the bytes acknowledged,
    /// with more of `buf` possibly in flight (pass it again, advanced).
    pub fn sftp_write(&mut self, sid: u32, fh: u32, buf: &[u8]) -> Result<usize> {
        if self.sftp_st(sid)?.write_behind > 0 {
            return drive(self, |s| s.sftp_write_behind_step(sid, fh, buf));
        }
        drive(self, |s| s.sftp_write_step(sid, fh, buf))
    }

    /// A write-behind write: queues as much of `buf` as the handle's limit
    /// leaves room for and reports it; waits (Pending) only while the limit is
    /// reached. An earlier write's failure is returned instead.
    fn sftp_write_behind_step(&mut self, sid: u32, fh: u32, buf: &[u8]) -> Result<Step<usize>> {
        let chunk = self.sftp_write_len(sid, fh)?;
        let st = self.sftp_st(sid)?;
        let h = st.handle(fh)?;
        if !h.reads.is_empty() || h.cur.is_some() || h.eof {
            st.abandon_reads(fh)?;
            let h = st.handle(fh)?;
            h.cur = None;
            h.eof = false;
            h.offset_sent = h.offset;
        }
        if !st.handle(fh)?.writes.is_empty() {
            // Take in the acknowledgements and window that already arrived, without waiting.
            if let Err(e) = self.pump() {
                return Err(self.sftp_wb_fail(sid, fh, e));
            }
        }
        loop {
            self.sftp_wb_take_acks(sid, fh)?;
            let st = self.sftp_st(sid)?;
            let limit = st.write_behind;
            let h = st.handle(fh)?;
            if let Some((e, c)) = h.wb_error.clone() {
                st.last_error = c;
                return Err(e);
            }
            let inflight = h.write_inflight;
            st.last_error = fx::OK;
            if buf.is_empty() {
                return Ok(Ready(0));
            }
            let room = limit.saturating_sub(inflight);
            // Once full, wait for a good part of the limit (or the whole
            // buffer) to free up, not for one request: fewer, larger calls.
            if room >= (buf.len() as u64).min((limit / WRITE_BEHIND_REFILL).max(chunk as u64)) {
                break;
            }
            self.awaiting_reply = true;
            match self.sftp_wait_more(sid) {
                Ok(true) => {}
                Ok(false) => return Ok(Pending),
                Err(e) => return Err(self.sftp_wb_fail(sid, fh, e)),
            }
        }
        self.awaiting_reply = false;
        // Send what is queued first: this also fails on a channel that is gone,
        // before any more bytes are reported.
        if let Err(e) = self.sftp_send(sid) {
            return Err(self.sftp_wb_fail(sid, fh, e));
        }
        let st = self.sftp_st(sid)?;
        let room = st.write_behind.saturating_sub(st.handle(fh)?.write_inflight);
        let n = (buf.len() as u64).min(room) as usize;
        let hstr = st.handle(fh)?.handle.clone();
        let mut pos = 0;
        while pos < n {
            let len = chunk.min(n - pos);
            let data = &buf[pos..pos + len];
            let h = st.handle(fh)?;
            let off = h.offset_sent;
            let id = st.queue(fxp::WRITE, ReqKind::Write, MSG_HDR + WRITE_OVERHEAD + hstr.len() + len, |w| {
                w.string(&hstr).u64(off).string(data);
            });
            let h = st.handle(fh)?;
            h.writes.push_back(WriteReq { id, len: len as u32 });
            h.offset_sent += len as u64;
            h.write_inflight += len as u64;
            h.offset += len as u64;
            pos += len;
        }
        if let Err(e) = self.sftp_send(sid) {
            // The bytes are queued and reported; the failure comes with the next call.
            self.sftp_wb_fail(sid, fh, e);
        }
        Ok(Ready(n))
    }

    /// Write-behind: takes the acknowledgements that arrived, in request order;
    /// the first failure is kept on the handle and the writes after it dropped.
    fn sftp_wb_take_acks(&mut self, sid: u32, fh: u32) -> Result<()> {
        self.sftp_frame(sid)?;
        let st = self.sftp_st(sid)?;
        loop {
            let h = st.handle(fh)?;
            let Some(head) = h.writes.front().copied() else { return Ok(()) };
            let Some(p) = st.replies.remove(&head.id) else { return Ok(()) };
            let h = st.handle(fh)?;
            h.writes.pop_front();
            h.write_inflight -= head.len as u64;
            let failure = match wire::status_code(&p) {
                Ok(fx::OK) => continue,
                Ok(c) => (status_error("FXP write failed"), c),
                Err(_) => (protocol("FXP write packet too short"), fx::OK),
            };
            if h.wb_error.is_none() {
                h.wb_error = Some(failure);
            }
            st.abandon_writes(fh)?;
            return Ok(());
        }
    }

    /// Write-behind: keeps `e` (the channel or session failed under queued
    /// writes) as the handle's failure unless one came first; returns `e`.
    fn sftp_wb_fail(&mut self, sid: u32, fh: u32, e: Error) -> Error {
        if let Some(st) = self.sftp.map.get_mut(&sid) {
            if let Some(h) = st.handles.get_mut(&fh) {
                if h.wb_error.is_none() {
                    h.wb_error = Some((e.clone(), fx::OK));
                }
                let _ = st.abandon_writes(fh);
            }
        }
        e
    }

    /// Write-behind: waits until every write of the handle is acknowledged;
    /// returns the handle's failure, if any (Pending while waiting).
    pub(crate) fn sftp_wb_settle(&mut self, sid: u32, fh: u32) -> Result<Step<()>> {
        loop {
            self.sftp_wb_take_acks(sid, fh)?;
            let st = self.sftp_st(sid)?;
            let h = st.handle(fh)?;
            if let Some((e, c)) = h.wb_error.clone() {
                st.last_error = c;
                return Err(e);
            }
            if h.writes.is_empty() {
                return Ok(Ready(()));
            }
            self.awaiting_reply = true;
            match self.sftp_wait_more(sid) {
                Ok(true) => {}
                Ok(false) => return Ok(Pending),
                Err(e) => return Err(self.sftp_wb_fail(sid, fh, e)),
            }
        }
    }

    /// Write-behind on: settles the handle (blocking as the session is). Off: nothing.
    pub(crate) fn sftp_wb_flush(&mut self, sid: u32, fh: u32) -> Result<()> {
        if self.sftp_st(sid)?.write_behind == 0 {
            return Ok(());
        }
        drive(self, |s| s.sftp_wb_settle(sid, fh))
    }

    fn sftp_write_step(&mut self, sid: u32, fh: u32, buf: &[u8]) -> Result<Step<usize>> {
        let chunk = self.sftp_write_len(sid, fh)?;
        let st = self.sftp_st(sid)?;
        st.last_error = fx::OK;
        let h = st.handle(fh)?;
        if !h.reads.is_empty() || h.cur.is_some() || h.eof {
            st.abandon_reads(fh)?;
            let h = st.handle(fh)?;
            h.cur = None;
            h.eof = false;
            h.offset_sent = h.offset;
        }
        if buf.is_empty() {
            return Ok(Ready(0));
        }
        st.fill_writes(fh, buf, chunk)?;
        self.sftp_send(sid)?;
        self.awaiting_reply = true;
        let got = self.sftp_collect_acks(sid, fh);
        self.awaiting_reply = false;
        let got = ready!(got?);
        let st = self.sftp_st(sid)?;
        st.handle(fh)?.acked = got;
        // Acks made room: keep the pipe full with the rest of the buffer.
        st.fill_writes(fh, buf, chunk)?;
        self.sftp_send(sid)?;
        let h = self.sftp_st(sid)?.handle(fh)?;
        let ret = got.min(buf.len() as u64);
        h.acked = got - ret;
        Ok(Ready(ret as usize))
    }

    /// Takes acknowledgements in order; returns the acknowledged, unreported total.
    fn sftp_collect_acks(&mut self, sid: u32, fh: u32) -> Result<Step<u64>> {
        let mut got = self.sftp_st(sid)?.handle(fh)?.acked;
        loop {
            self.sftp_frame(sid)?;
            let st = self.sftp_st(sid)?;
            let Some(head) = st.handle(fh)?.writes.front().copied() else { return Ok(Ready(got)) };
            let Some(p) = st.replies.remove(&head.id) else {
                if got > 0 {
                    return Ok(Ready(got));
                }
                if !self.sftp_wait_more(sid)? {
                    return Ok(Pending);
                }
                continue;
            };
            let Ok(c) = wire::status_code(&p) else {
                if got > 0 {
                    // Report the acknowledged bytes first; the bad reply fails the next call.
                    st.replies.insert(head.id, p);
                    return Ok(Ready(got));
                }
                // The reply was consumed: forget the writes in flight so a later
                // write starts over instead of waiting for it.
                st.abandon_writes(fh)?;
                let h = st.handle(fh)?;
                h.offset_sent = h.offset;
                h.acked = 0;
                return Err(protocol("FXP write packet too short"));
            };
            if c == fx::OK {
                let h = st.handle(fh)?;
                h.writes.pop_front();
                h.write_inflight -= head.len as u64;
                h.offset += head.len as u64;
                got += head.len as u64;
                continue;
            }
            if got > 0 {
                st.replies.insert(head.id, p);
                return Ok(Ready(got));
            }
            st.last_error = c;
            st.abandon_writes(fh)?;
            let h = st.handle(fh)?;
            h.offset_sent = h.offset;
            h.acked = 0;
            return Err(status_error("FXP write failed"));
        }
    }

    /// Moves the file position; drops read-ahead and unacknowledged writes.
    pub fn sftp_seek(&mut self, sid: u32, fh: u32, offset: u64) -> Result<()> {
        let st = self.sftp_st(sid)?;
        if st.write_behind > 0 {
            // Queued writes carry their offsets: they stay in flight.
            st.abandon_reads(fh)?;
            let h = st.handle(fh)?;
            h.cur = None;
            h.offset = offset;
            h.offset_sent = offset;
            h.eof = false;
            h.ahead = READ_AHEAD_INITIAL;
            h.pace.restart();
            return Ok(());
        }
        let h = st.handle(fh)?;
        if h.offset == offset && h.offset_sent == offset && h.acked == 0 {
            return Ok(());
        }
        st.drop_pipeline(fh)?;
        let h = st.handle(fh)?;
        h.offset = offset;
        h.offset_sent = offset;
        h.acked = 0;
        h.eof = false;
        h.ahead = READ_AHEAD_INITIAL;
        Ok(())
    }

    /// The file position the caller sees.
    pub fn sftp_tell(&mut self, sid: u32, fh: u32) -> Result<u64> {
        Ok(self.sftp_st(sid)?.handle(fh)?.offset)
    }

    /// Drops a handle's pipelines (before close).
    pub(crate) fn sftp_drop_pipeline(&mut self, sid: u32, fh: u32) -> Result<()> {
        self.sftp_st(sid)?.drop_pipeline(fh)
    }
}

impl Sftp {
    /// Cuts `buf` beyond what is already in flight or acknowledged into WRITEs.
    fn fill_writes(&mut self, fh: u32, buf: &[u8], chunk: usize) -> Result<()> {
        let h = self.handle(fh)?;
        let already = h.write_inflight.saturating_add(h.acked);
        if buf.len() as u64 <= already {
            return Ok(());
        }
        let hstr = h.handle.clone();
        let mut pos = already as usize;
        loop {
            let h = self.handle(fh)?;
            if pos >= buf.len() || h.write_inflight >= WRITE_INFLIGHT_MAX || h.writes.len() >= MAX_WRITE_REQUESTS {
                return Ok(());
            }
            let n = chunk.min(buf.len() - pos);
            let data = buf.get(pos..pos + n).ok_or(Error::new(code::BAD_USE, "write range"))?;
            let off = h.offset_sent;
            let id = self.queue(fxp::WRITE, ReqKind::Write, MSG_HDR + WRITE_OVERHEAD + hstr.len() + n, |w| {
                w.string(&hstr).u64(off).string(data);
            });
            let h = self.handle(fh)?;
            h.writes.push_back(WriteReq { id, len: n as u32 });
            h.offset_sent += n as u64;
            h.write_inflight += n as u64;
            pos += n;
        }
    }
}

/// A read's failure on a connection that is gone: libssh2's sftp_read reads
/// the socket before anything else, so it fails as a receive, not a send.
fn read_side(e: Error) -> Error {
    if e.code == code::SOCKET_SEND {
        Error::new(code::SOCKET_RECV, "Failure while draining incoming flow")
    } else {
        e
    }
}
