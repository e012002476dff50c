//! Test-only: a session "connected" to a byte script instead of a server, for
//! fuzzing the connection layer (auth, channels, ...) through the real
//! dispatcher. Compiled only with `--cfg fuzzing`.

use super::io::{IoStatus, SocketIo};
use super::*;

/// Feeds a fixed script of server bytes, then reports EOF; swallows writes.
struct ScriptIo {
    data: Vec<u8>,
    pos: usize,
}

impl SocketIo for ScriptIo {
    fn send(&mut self, buf: &[u8]) -> IoStatus {
        IoStatus::Moved(buf.len())
    }

    fn recv(&mut self, buf: &mut [u8]) -> IoStatus {
        if self.pos >= self.data.len() {
            return IoStatus::Closed;
        }
        let n = buf.len().min(self.data.len() - self.pos).min(4096);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        IoStatus::Moved(n)
    }
}

impl Session {
    /// A non-blocking session past handshake (and auth when `authenticated`),
    /// whose server sends `script` (plaintext packets) and then closes.
    pub fn fuzz_established(script: &[u8], authenticated: bool) -> Self {
        let mut s = Session::new();
        s.blocking = false;
        s.conn = Some(Conn::fuzz_established());
        s.io = Some(Box::new(ScriptIo { data: script.to_vec(), pos: 0 }));
        s.socket = Some(-1);
        s.handshake = HandshakeState::Done;
        s.authenticated = authenticated;
        s
    }
}
