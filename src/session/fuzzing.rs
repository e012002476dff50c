//! Test-only: a session "connected" to a byte script instead of a server, for
//! fuzzing the connection layer (auth, channels, ...) through the real
//! dispatcher; and a session on a fake clock ([`Timeline`]), for testing
//! timeouts without waiting. Compiled only for tests, with `--cfg fuzzing`
//! or the `fuzzing` feature.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use super::io::{Clock, IoStatus, RawSocket, SocketIo};
use super::*;
use crate::proto::wire::Writer;

/// A socket stand-in for offline sessions: swallows what is sent, never has
/// anything to read.
pub struct Sink;

impl SocketIo for Sink {
    fn send(&mut self, buf: &[u8]) -> IoStatus {
        IoStatus::Moved(buf.len())
    }
    fn recv(&mut self, _buf: &mut [u8]) -> IoStatus {
        IoStatus::WouldBlock
    }
}

/// Most bytes one scripted read delivers.
const SCRIPT_READ_MAX: usize = 4096;

/// Feeds a fixed script of server bytes, then reports EOF; swallows writes.
/// A read never crosses from one chunk into the next, so a script of one
/// packet per chunk reaches the client one packet per read, in the order a
/// server would answer; a script of one chunk arrives in bursts.
struct ScriptIo {
    chunks: VecDeque<Vec<u8>>,
    pos: usize,
}

impl SocketIo for ScriptIo {
    fn send(&mut self, buf: &[u8]) -> IoStatus {
        IoStatus::Moved(buf.len())
    }

    fn recv(&mut self, buf: &mut [u8]) -> IoStatus {
        while self.chunks.front().is_some_and(|c| self.pos >= c.len()) {
            self.chunks.pop_front();
            self.pos = 0;
        }
        let Some(chunk) = self.chunks.front() else {
            return IoStatus::Closed;
        };
        let n = buf.len().min(chunk.len() - self.pos).min(SCRIPT_READ_MAX);
        buf[..n].copy_from_slice(&chunk[self.pos..self.pos + n]);
        self.pos += n;
        IoStatus::Moved(n)
    }
}

/// Frames `payload` as a plaintext packet (length, padding length, payload, padding).
pub fn frame_plain(payload: &[u8]) -> Vec<u8> {
    let mut pad = 8 - (5 + payload.len()) % 8;
    if pad < 4 {
        pad += 8;
    }
    let mut w = Writer::new();
    w.u32((1 + payload.len() + pad) as u32).u8(pad as u8).raw(payload).raw(&vec![0; pad]);
    w.buf
}

/// What a [`Timeline`] shares between the session's clock and its socket.
struct TimelineState {
    /// The fake time, in ms.
    now: u64,
    /// Server packets (framed) and the time each arrives, in time order.
    script: VecDeque<(u64, Vec<u8>)>,
    /// Bytes of the arrived packet the client has not read yet.
    current: VecDeque<u8>,
}

/// A fake clock with a server that sends scripted packets at set times and is
/// silent after the last: waiting advances the time to the next arrival or
/// to the end of the wait, whichever comes first, so no test sleeps.
#[derive(Clone)]
pub struct Timeline(Arc<Mutex<TimelineState>>);

impl Timeline {
    /// A timeline at time 0 whose server sends each `(at_ms, payload)`.
    pub fn new(script: impl IntoIterator<Item = (u64, Vec<u8>)>) -> Self {
        let mut script: Vec<(u64, Vec<u8>)> = script.into_iter().map(|(t, p)| (t, frame_plain(&p))).collect();
        script.sort_by_key(|(t, _)| *t);
        Timeline(Arc::new(Mutex::new(TimelineState { now: 0, script: script.into(), current: VecDeque::new() })))
    }

    /// The fake time, in ms.
    pub fn now(&self) -> u64 {
        self.state().now
    }

    /// Moves the fake time on by `ms` (what passes between two API calls).
    pub fn advance(&self, ms: u64) {
        self.state().now += ms;
    }

    /// Schedules `payload` (a plaintext packet's payload) to arrive at `at_ms`,
    /// after anything already due by then.
    pub fn push(&self, at_ms: u64, payload: &[u8]) {
        let mut st = self.state();
        let i = st.script.iter().position(|(t, _)| *t > at_ms).unwrap_or(st.script.len());
        st.script.insert(i, (at_ms, frame_plain(payload)));
    }

    fn state(&self) -> MutexGuard<'_, TimelineState> {
        // A test that panicked holding the lock has failed already; its state still reads.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for Timeline {
    fn now_us(&self) -> u64 {
        self.now() * 1000
    }

    fn wait(&mut self, _fd: RawSocket, _dirs: i32, timeout_ms: i64) {
        let mut st = self.state();
        let next = st.script.front().map(|(t, _)| *t);
        let until = match (timeout_ms, next) {
            (t, Some(n)) if t >= 0 => n.min(st.now + t as u64),
            (t, None) if t >= 0 => st.now + t as u64,
            (_, Some(n)) => n,
            // Waiting forever on a silent server: a test bug, not a hang.
            (_, None) => panic!("wait without timeout on a silent scripted server"),
        };
        st.now = st.now.max(until);
    }

    fn poll(&mut self, _fds: &mut [libc::pollfd], _timeout_ms: i32) -> i32 {
        unreachable!("a session's driver waits through Clock::wait");
    }
}

/// The socket side of a [`Timeline`]: a read takes what has arrived (packets
/// due at the same time come together, as from a socket), would-block until
/// the next arrives; writes are swallowed.
struct TimedIo(Timeline);

impl SocketIo for TimedIo {
    fn send(&mut self, buf: &[u8]) -> IoStatus {
        IoStatus::Moved(buf.len())
    }

    fn recv(&mut self, buf: &mut [u8]) -> IoStatus {
        let mut st = self.0.state();
        let now = st.now;
        while st.script.front().is_some_and(|(t, _)| *t <= now) {
            let (_, p) = st.script.pop_front().unwrap_or_default();
            st.current.extend(p);
        }
        if st.current.is_empty() {
            return IoStatus::WouldBlock;
        }
        let n = buf.len().min(st.current.len());
        for (b, v) in buf.iter_mut().zip(st.current.drain(..n)) {
            *b = v;
        }
        IoStatus::Moved(n)
    }
}

/// An in-memory server's answer to one client packet: each payload to send
/// back and how many ms after the request it arrives.
pub type Respond = Box<dyn FnMut(&[u8]) -> Vec<(u64, Vec<u8>)>>;

/// The socket of a session whose server is in memory: it decodes the
/// plaintext packets the client sends and schedules the server's answers on
/// the [`Timeline`], so a unit test runs a whole exchange on the fake clock.
struct PeerIo {
    io: TimedIo,
    sent: Vec<u8>,
    respond: Respond,
}

impl SocketIo for PeerIo {
    fn send(&mut self, buf: &[u8]) -> IoStatus {
        self.sent.extend_from_slice(buf);
        // Plaintext framing: uint32 length, padding length, payload, padding (no MAC).
        while let Some(len) = self.sent.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize) {
            let Some(packet) = self.sent.get(4..4 + len) else { break };
            let pad = packet.first().map_or(0, |&p| p as usize);
            let payload = packet.get(1..len.saturating_sub(pad)).unwrap_or_default().to_vec();
            self.sent.drain(..4 + len);
            let now = self.io.0.now();
            for (after, reply) in (self.respond)(&payload) {
                self.io.0.push(now + after, &reply);
            }
        }
        IoStatus::Moved(buf.len())
    }

    fn recv(&mut self, buf: &mut [u8]) -> IoStatus {
        self.io.recv(buf)
    }
}

impl Session {
    /// A blocking session past handshake whose clock is `tl` and whose server
    /// answers each client packet through `respond` (its answers arrive on
    /// `tl`; anything already scripted on `tl` arrives too).
    pub fn with_peer(tl: &Timeline, authenticated: bool, respond: Respond) -> Self {
        let io = PeerIo { io: TimedIo(tl.clone()), sent: Vec::new(), respond };
        let mut s = Self::scripted(Box::new(io), authenticated);
        s.clock = Box::new(tl.clone());
        s
    }

    /// A non-blocking session with a plaintext connection on a [`Sink`]:
    /// what it sends is dropped, nothing arrives but what a test injects.
    pub fn offline() -> Self {
        let mut s = Session::new();
        s.blocking = false;
        s.conn = Some(Conn::new(None, Default::default(), Default::default()));
        s.io = Some(Box::new(Sink));
        s
    }

    /// A session past handshake (and auth when `authenticated`) on `io`.
    pub fn scripted(io: Box<dyn SocketIo>, authenticated: bool) -> Self {
        let mut s = Session::new();
        s.conn = Some(Conn::fuzz_established());
        s.io = Some(io);
        s.socket = Some(-1);
        s.handshake = HandshakeState::Done;
        s.authenticated = authenticated;
        s
    }

    /// A blocking session past handshake whose clock and server are `tl`.
    pub fn on_timeline(tl: &Timeline, authenticated: bool) -> Self {
        let mut s = Self::scripted(Box::new(TimedIo(tl.clone())), authenticated);
        s.clock = Box::new(tl.clone());
        s
    }

    /// A non-blocking session past handshake (and auth when `authenticated`),
    /// whose server sends `script` (plaintext packets) and then closes.
    pub fn fuzz_established(script: &[u8], authenticated: bool) -> Self {
        Self::fuzz_established_chunks(vec![script.to_vec()], authenticated)
    }

    /// Like [`Session::fuzz_established`], with the script in `chunks` that
    /// no single read crosses (one packet per chunk: one packet per read).
    pub fn fuzz_established_chunks(chunks: Vec<Vec<u8>>, authenticated: bool) -> Self {
        let mut s = Self::scripted(Box::new(ScriptIo { chunks: chunks.into(), pos: 0 }), authenticated);
        s.blocking = false;
        s
    }
}
