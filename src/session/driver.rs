//! `drive(op)`: the only loop. An operation is a step function that makes
//! what progress it can and returns [`Step::Pending`] when it cannot; in
//! non-blocking mode the driver turns that into libssh2's EAGAIN for the
//! caller, in blocking mode it waits on the socket (with the session
//! timeouts) and steps again. Sub-operations are steps called from steps, so
//! one API call is one drive with one timeout.

use super::io::{dir, IoStatus};
use super::Session;
use crate::error::{code, Error, Result};

/// The error a would-block call returns to its caller, as libssh2 reports it.
pub const EAGAIN: Error = Error::new(code::EAGAIN, "Would block");

/// How long one blocking wait may last at most before re-checking timeouts.
const WAIT_SLICE_MS: i64 = 1000;

/// What one step of an operation came to: done with a value, or waiting for
/// the socket (its state kept for the next step).
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<T> {
    /// The operation finished with this value.
    Ready(T),
    /// The operation waits for input, or for the socket to take output.
    Pending,
}

pub use Step::{Pending, Ready};

impl<T> Step<T> {
    /// Ready(f(v)) for Ready(v); Pending stays Pending.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        match self {
            Ready(v) => Ready(f(v)),
            Pending => Pending,
        }
    }
}

impl Step<()> {
    /// Ready when `done`, else Pending (the common "flushed yet?" step end).
    pub fn done_if(done: bool) -> Self {
        if done {
            Ready(())
        } else {
            Pending
        }
    }
}

/// `ready!(step)`: the value of a Ready step, or `return Ok(Pending)` from
/// the enclosing step (a sub-operation that waits makes its caller wait).
macro_rules! ready {
    ($e:expr) => {
        match $e {
            $crate::session::driver::Step::Ready(v) => v,
            $crate::session::driver::Step::Pending => return Ok($crate::session::driver::Step::Pending),
        }
    };
}
pub(crate) use ready;

/// Whether `r`, a finished call's result, ends the operation that produced
/// it (it finished or failed) rather than leaving it pending (EAGAIN, or a
/// blocking call's TIMEOUT): what a caller of a whole call (the FFI's free
/// functions) asks before it forgets the object.
pub(crate) fn ends<T>(r: &Result<T>) -> bool {
    !matches!(r, Err(e) if e.is_pending())
}

/// Whether `r`, a finished call's result, would block: the non-blocking
/// EAGAIN (not a blocking call's timeout).
pub(crate) fn would_block<T>(r: &Result<T>) -> bool {
    matches!(r, Err(e) if e.code == code::EAGAIN)
}

/// Runs `op` to completion (blocking) or until it would block (non-blocking).
/// The session timeout counts from the start of the API call, so a drive
/// nested in another (an operation's sub-step) shares its caller's budget.
pub fn drive<T>(sess: &mut Session, op: impl FnMut(&mut Session) -> Result<Step<T>>) -> Result<T> {
    // Steps call steps, never drives: a drive inside a drive would restart
    // the waits of one API call.
    debug_assert!(!sess.driving, "drive() called inside a step");
    let began = sess.begin_call();
    sess.driving = true;
    let r = drive_in_call(sess, op);
    sess.driving = false;
    sess.end_call(began);
    r
}

/// [`drive`] inside an API call whose start `sess.call_start` holds.
fn drive_in_call<T>(sess: &mut Session, mut op: impl FnMut(&mut Session) -> Result<Step<T>>) -> Result<T> {
    let start = sess.call_start.unwrap_or_else(|| sess.clock.now_ms());
    let now = sess.clock.now_ms();
    // The read timeout counts from this drive's start: it bounds one wait for a reply.
    let mut last_progress = now;
    let mut last_rx = sess.rx_bytes;
    loop {
        sess.block_dirs = 0;
        // Each step says again whether it awaits a reply (the read timeout applies).
        sess.awaiting_reply = false;
        sess.wait_unrecorded = false;
        sess.now_us = sess.clock.now_us();
        match op(sess) {
            Ok(Ready(v)) => return Ok(v),
            Err(e) => return Err(e),
            Ok(Pending) => {
                if sess.block_dirs == 0 {
                    sess.block_dirs = dir::INBOUND;
                }
                if !sess.blocking {
                    return Err(if sess.wait_unrecorded { Error::unrecorded(code::EAGAIN) } else { EAGAIN });
                }
                sess.now_us = sess.clock.now_us();
                let now = sess.now_us / 1000;
                if sess.rx_bytes != last_rx {
                    last_rx = sess.rx_bytes;
                    last_progress = now;
                }
                let mut wait = WAIT_SLICE_MS;
                if sess.timeout_ms > 0 {
                    let left = sess.timeout_ms - now.saturating_sub(start) as i64;
                    if left <= 0 {
                        return Err(Error::new(code::TIMEOUT, "Timed out waiting on socket"));
                    }
                    wait = wait.min(left);
                }
                if sess.read_timeout_s > 0 && sess.awaiting_reply {
                    let left = sess.read_timeout_s * 1000 - now.saturating_sub(last_progress) as i64;
                    if left <= 0 {
                        return Err(Error::new(code::TIMEOUT, "Timed out waiting for response"));
                    }
                    wait = wait.min(left);
                }
                // libssh2 keeps the connection alive while a blocking call waits.
                // (Only once connected: a keepalive must not go out inside the first key exchange.)
                if sess.keepalive_interval > 0 && sess.connected() {
                    sess.keepalive_send()?;
                }
                let Some(fd) = sess.socket else {
                    return Err(Error::new(code::SOCKET_NONE, "No socket to wait on"));
                };
                // libssh2 clears the error code before every blocking wait, so
                // a blocking call that waited and then succeeded leaves none
                // (not the would-block it saw on the way).
                sess.last_error = Error::new(code::NONE, "");
                sess.clock.wait(fd, sess.block_dirs, wait);
            }
        }
    }
}

/// What a send on a dead session reports: when the socket itself failed or
/// the server disconnected, libssh2 would try the send and fail it as a send;
/// any other fatal error stays what it was.
pub(crate) fn dead_send_error(e: &Error) -> Error {
    if matches!(e.code, code::SOCKET_RECV | code::SOCKET_SEND | code::SOCKET_DISCONNECT) {
        return Error::new(code::SOCKET_SEND, "Unable to send: the connection is gone");
    }
    e.clone()
}

/// Whether a session that died of `e` still writes: when the peer hung up (end
/// of stream, reset, its DISCONNECT) the outgoing stream is intact and
/// libssh2 tries the send; after any other failure nothing more goes out.
pub(crate) fn writes_after_death(e: &Error) -> bool {
    matches!(e.code, code::SOCKET_RECV | code::SOCKET_DISCONNECT)
}

impl Session {
    /// Marks the start of an API call unless one is already in progress;
    /// returns whether this call began it (pass that to [`Session::end_call`]).
    /// As libssh2 takes the entry time once per call, one call is one timeout.
    pub fn begin_call(&mut self) -> bool {
        if self.call_start.is_some() {
            return false;
        }
        self.now_us = self.clock.now_us();
        self.call_start = Some(self.now_us / 1000);
        true
    }

    /// Ends the API call that [`Session::begin_call`] began (when `began`).
    pub fn end_call(&mut self, began: bool) {
        if began {
            self.call_start = None;
        }
    }

    /// One step of an operation whose state lives in `slot`: the state (or
    /// `start()` for a new operation) is taken out so `step` can use the
    /// session, put back while the operation is pending, and dropped when it
    /// is ready or failed; no operation writes that bookkeeping itself.
    pub(crate) fn resume<S, T>(
        &mut self,
        slot: fn(&mut Session) -> &mut Option<S>,
        start: impl FnOnce() -> S,
        step: impl FnOnce(&mut Session, &mut S) -> Result<Step<T>>,
    ) -> Result<Step<T>> {
        let mut st = slot(self).take().unwrap_or_else(start);
        let r = step(self, &mut st);
        if matches!(r, Ok(Pending)) {
            *slot(self) = Some(st);
        }
        r
    }

    /// Sends as much pending output as the socket takes. Ok(true) when none is left.
    pub(crate) fn flush(&mut self) -> Result<bool> {
        loop {
            let Some(conn) = self.conn.as_mut() else { return Ok(true) };
            let pending = conn.pending_output();
            if pending.is_empty() {
                return Ok(true);
            }
            // After a fatal error nothing more goes out: the stream's state is
            // unknown. When the socket itself failed or the server disconnected,
            // libssh2 would try the send and fail it, so that is what a send reports.
            if let Some(e) = self.dead.as_ref().filter(|e| !writes_after_death(e)) {
                return Err(dead_send_error(e));
            }
            let Some(io) = self.io.as_mut() else {
                return Err(Error::new(code::SOCKET_NONE, "No socket"));
            };
            // As libssh2's transport send: the bit says whether this send blocked.
            self.block_dirs &= !dir::OUTBOUND;
            match io.send(pending) {
                IoStatus::Moved(n) => {
                    let n = n.min(pending.len());
                    conn.consume_output(n);
                }
                IoStatus::WouldBlock => {
                    self.block_dirs |= dir::OUTBOUND;
                    return Ok(false);
                }
                IoStatus::Closed => {
                    let e = Error::new(code::SOCKET_SEND, "The socket was disconnected");
                    return Err(self.fail(e));
                }
                IoStatus::Failed(e) => {
                    let e = Error::with(code::SOCKET_SEND, format!("Unable to send data on socket (errno {e})"));
                    return Err(self.fail(e));
                }
            }
        }
    }

    /// Reads once from the socket into the connection. Ok(false) when it would block.
    pub(crate) fn fill(&mut self) -> Result<bool> {
        let (Some(conn), Some(io)) = (self.conn.as_mut(), self.io.as_mut()) else {
            return Err(Error::new(code::SOCKET_NONE, "No socket"));
        };
        let buf = conn.recv_buffer();
        // As libssh2's transport read: each receive says again whether it blocked,
        // so a call that ends with data read reports no inbound block.
        self.block_dirs &= !dir::INBOUND;
        match io.recv(buf) {
            IoStatus::Moved(n) => {
                let n = n.min(buf.len());
                conn.received(n);
                self.rx_bytes += n as u64;
                Ok(true)
            }
            IoStatus::WouldBlock => {
                self.block_dirs |= dir::INBOUND;
                Ok(false)
            }
            IoStatus::Closed => {
                // libssh2: end of stream while awaiting the banner is
                // SOCKET_DISCONNECT, later a failed receive (SOCKET_RECV).
                let during_banner = conn.remote_banner().is_none();
                let code = if during_banner { code::SOCKET_DISCONNECT } else { code::SOCKET_RECV };
                Err(self.fail(Error::new(code, "Remote host closed the connection")))
            }
            IoStatus::Failed(e) => {
                let e = Error::with(code::SOCKET_RECV, format!("Error receiving data from socket (errno {e})"));
                Err(self.fail(e))
            }
        }
    }
}
