//! Test-only: a session "connected" to a byte script instead of a server, for
//! fuzzing the connection layer (auth, channels, ...) through the real
//! dispatcher. Compiled only with `--cfg fuzzing` or the `fuzzing` feature.

use std::collections::VecDeque;

use super::io::{IoStatus, SocketIo};
use super::*;

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

impl Session {
    /// A non-blocking session past handshake (and auth when `authenticated`),
    /// whose server sends `script` (plaintext packets) and then closes.
    pub fn fuzz_established(script: &[u8], authenticated: bool) -> Self {
        Self::fuzz_established_chunks(vec![script.to_vec()], authenticated)
    }

    /// Like [`Session::fuzz_established`], with the script in `chunks` that
    /// no single read crosses (one packet per chunk: one packet per read).
    pub fn fuzz_established_chunks(chunks: Vec<Vec<u8>>, authenticated: bool) -> Self {
        let mut s = Session::new();
        s.blocking = false;
        s.conn = Some(Conn::fuzz_established());
        s.io = Some(Box::new(ScriptIo { chunks: chunks.into(), pos: 0 }));
        s.socket = Some(-1);
        s.handshake = HandshakeState::Done;
        s.authenticated = authenticated;
        s
    }
}
