//! Opening a session channel and starting a program on it (an `exec` or a
//! `subsystem` request): the first two steps that SCP, SFTP and the
//! publickey subsystem share. Each keeps a [`ChannelStartup`] in its own
//! state, steps it until it yields the channel, and then runs its own
//! handshake; what a failure is reported as stays the caller's choice.

use super::driver::{ready, Ready, Step};
use super::Session;
use crate::error::Error;

/// Where a channel start-up is (resumable: kept between calls).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChannelStartup {
    /// The session channel is to be opened.
    #[default]
    Open,
    /// The channel is open; its program is to be started.
    Request(u32),
}

/// What the program is and how the channel is opened.
#[derive(Debug, Clone, Copy)]
pub struct StartupSpec<'a> {
    /// Receive window the channel opens with.
    pub window: u32,
    /// Largest packet the channel accepts.
    pub packet: u32,
    /// The request: `exec` or `subsystem`.
    pub request: &'a [u8],
    /// The request's string argument (the command or the subsystem name).
    pub arg: &'a [u8],
    /// Message of a refused request (libssh2's wording for this caller).
    pub refused: &'static str,
}

/// Why a start-up failed.
#[derive(Debug, Clone)]
pub enum StartupError {
    /// The channel could not be opened.
    Open(Error),
    /// The program could not be started on channel `0`, which is still open
    /// (the caller closes it).
    Request(u32, Error),
}

impl ChannelStartup {
    /// The channel, once opened.
    pub fn channel(&self) -> Option<u32> {
        match *self {
            Self::Open => None,
            Self::Request(id) => Some(id),
        }
    }

    /// Runs the start-up on; the channel once its program started (the
    /// state is kept while it is pending).
    pub fn step(&mut self, sess: &mut Session, spec: &StartupSpec<'_>) -> Result<Step<u32>, StartupError> {
        let id = match *self {
            Self::Request(id) => id,
            Self::Open => {
                let open = sess.channel_open_step(b"session", spec.window, spec.packet, &[]);
                let id = ready!(open.map_err(StartupError::Open)?);
                *self = Self::Request(id);
                id
            }
        };
        let mut w = crate::proto::wire::Writer::new();
        w.string(spec.arg);
        let started = sess.startup_request(id, spec.request, &w.buf, spec.refused);
        ready!(started.map_err(|e| StartupError::Request(id, e))?);
        Ok(Ready(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::code;
    use crate::proto::msg;
    use crate::proto::wire::Writer;
    use crate::session::driver::drive;
    use crate::session::fuzzing::Timeline;

    /// How a driven start-up ended.
    #[derive(Debug)]
    enum Outcome {
        Started(u32),
        Failed(StartupError),
        /// The driver's wait ended (EAGAIN or TIMEOUT); the state is kept.
        Waited(Error),
    }

    /// Drives `st` as one API call would.
    fn run(st: &mut ChannelStartup, s: &mut Session) -> Outcome {
        let mut failure = None;
        let r = drive(s, |s| {
            st.step(s, &SPEC).map_err(|e| {
                let (StartupError::Open(err) | StartupError::Request(_, err)) = e.clone();
                failure = Some(e);
                err
            })
        });
        match (r, failure) {
            (Ok(id), _) => Outcome::Started(id),
            (Err(_), Some(e)) => Outcome::Failed(e),
            (Err(e), None) => Outcome::Waited(e),
        }
    }

    const SPEC: StartupSpec<'static> =
        StartupSpec { window: 65536, packet: 32768, request: b"exec", arg: b"true", refused: "refused" };

    fn confirm() -> Vec<u8> {
        let mut w = Writer::msg(msg::CHANNEL_OPEN_CONFIRMATION);
        w.u32(0).u32(0).u32(65536).u32(32768);
        w.buf
    }

    fn reply(kind: u8) -> Vec<u8> {
        let mut w = Writer::msg(kind);
        w.u32(0);
        w.buf
    }

    #[test]
    fn opens_then_starts_and_resumes_after_a_timeout() {
        // The open is answered in time, the request's reply only after the
        // timeout: the step keeps the open channel and a second call ends it.
        let tl = Timeline::new([(10, confirm()), (2000, reply(msg::CHANNEL_SUCCESS))]);
        let mut s = Session::on_timeline(&tl, true);
        s.timeout_ms = 1000;
        let mut st = ChannelStartup::default();
        match run(&mut st, &mut s) {
            Outcome::Waited(e) => assert_eq!(e.code, code::TIMEOUT),
            r => panic!("expected a timeout, got {r:?}"),
        }
        assert_eq!(st.channel(), Some(0), "the open channel is kept");
        assert!(matches!(run(&mut st, &mut s), Outcome::Started(0)));
    }

    #[test]
    fn a_refused_request_names_the_open_channel() {
        let tl = Timeline::new([(10, confirm()), (20, reply(msg::CHANNEL_FAILURE))]);
        let mut s = Session::on_timeline(&tl, true);
        let mut st = ChannelStartup::default();
        match run(&mut st, &mut s) {
            Outcome::Failed(StartupError::Request(0, e)) => assert_eq!(e.code, code::CHANNEL_REQUEST_DENIED),
            r => panic!("expected a refused request, got {r:?}"),
        }
    }

    #[test]
    fn a_refused_open_is_an_open_failure() {
        let mut w = Writer::msg(msg::CHANNEL_OPEN_FAILURE);
        w.u32(0).u32(1).string(b"no").string(b"");
        let tl = Timeline::new([(10, w.buf)]);
        let mut s = Session::on_timeline(&tl, true);
        let mut st = ChannelStartup::default();
        assert!(matches!(run(&mut st, &mut s), Outcome::Failed(StartupError::Open(_))));
        assert_eq!(st.channel(), None);
    }
}
