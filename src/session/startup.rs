//! Opening a session channel and starting a program on it (an `exec` or a
//! `subsystem` request): the first two steps that SCP, SFTP and the
//! publickey subsystem share. Each keeps a [`ChannelStartup`] in its own
//! state, steps it until it yields the channel, and then runs its own
//! handshake; what a failure is reported as stays the caller's choice.

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

/// Why a start-up step did not finish.
#[derive(Debug, Clone)]
pub enum StartupError {
    /// It waits (EAGAIN, or a blocking call's TIMEOUT); the state is kept.
    Pending(Error),
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

    /// Runs the start-up on; returns the channel once its program started.
    pub fn step(&mut self, sess: &mut Session, spec: &StartupSpec<'_>) -> Result<u32, StartupError> {
        let id = match *self {
            Self::Request(id) => id,
            Self::Open => {
                let id = sess.channel_open(b"session", spec.window, spec.packet, &[]).map_err(|e| {
                    if e.is_pending() {
                        StartupError::Pending(e)
                    } else {
                        StartupError::Open(e)
                    }
                })?;
                *self = Self::Request(id);
                id
            }
        };
        let mut w = crate::proto::wire::Writer::new();
        w.string(spec.arg);
        match sess.startup_request(id, spec.request, &w.buf, spec.refused) {
            Ok(()) => Ok(id),
            Err(e) if e.is_pending() => Err(StartupError::Pending(e)),
            Err(e) => Err(StartupError::Request(id, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::code;
    use crate::proto::msg;
    use crate::proto::wire::Writer;
    use crate::session::fuzzing::Timeline;

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
        match st.step(&mut s, &SPEC) {
            Err(StartupError::Pending(e)) => assert_eq!(e.code, code::TIMEOUT),
            r => panic!("expected a timeout, got {r:?}"),
        }
        assert_eq!(st.channel(), Some(0), "the open channel is kept");
        assert_eq!(st.step(&mut s, &SPEC).unwrap(), 0);
    }

    #[test]
    fn a_refused_request_names_the_open_channel() {
        let tl = Timeline::new([(10, confirm()), (20, reply(msg::CHANNEL_FAILURE))]);
        let mut s = Session::on_timeline(&tl, true);
        let mut st = ChannelStartup::default();
        match st.step(&mut s, &SPEC) {
            Err(StartupError::Request(0, e)) => assert_eq!(e.code, code::CHANNEL_REQUEST_DENIED),
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
        assert!(matches!(st.step(&mut s, &SPEC), Err(StartupError::Open(_))));
        assert_eq!(st.channel(), None);
    }
}
