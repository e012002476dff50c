//! Starting and stopping the subsystem: channel, "subsystem sftp" request,
//! FXP_INIT / FXP_VERSION with its extensions, and the background
//! limits@openssh.com query.

use super::{fxp, protocol, wire, Extensions, InitEnd, InitState, Limits, ReqKind, Sftp};
use super::{parse_write_behind, CHANNEL_PACKET, CHANNEL_WINDOW, MAX_EXTENSION_DATA, SFTP_VERSION, WRITE_BEHIND_ENV};
use crate::error::{code, Error, Result};
use crate::session::channel::ExtendedMode;
use crate::session::driver::{drive, ends, ready, Pending, Ready, Step};
use crate::session::startup::{ChannelStartup, StartupError, StartupSpec};
use crate::session::Session;

/// The extension that announces the server's request size limits.
const LIMITS_EXT: &[u8] = b"limits@openssh.com";
/// The extension libssh2's posix_rename needs (at version 1).
const POSIX_RENAME_EXT: &[u8] = b"posix-rename@openssh.com";

/// Leading decimal digits of an extension's data, as strtol would read them.
fn ext_version(data: &[u8]) -> u32 {
    let mut v: u32 = 0;
    for &b in data.iter().skip_while(|b| b.is_ascii_whitespace()) {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add((b - b'0') as u32);
    }
    v
}

/// Parses FXP_VERSION: the version (capped at 3) and the extension pairs.
pub(crate) fn parse_version(p: &[u8]) -> Result<(u32, Extensions)> {
    let bad = |_| protocol("Invalid SSH_FXP_VERSION response");
    let mut r = wire::reader(p);
    r.u8().map_err(bad)?;
    let version = r.u32().map_err(bad)?.min(SFTP_VERSION);
    let mut ext = Extensions::default();
    while !r.is_empty() {
        let name = r.string().map_err(bad)?;
        let data = r.string().map_err(bad)?;
        if name == POSIX_RENAME_EXT {
            ext.posix_rename = ext_version(data);
        }
        if name == LIMITS_EXT {
            ext.limits = true;
        }
        if name.len() <= MAX_EXTENSION_DATA && data.len() <= MAX_EXTENSION_DATA {
            ext.all.push((name.to_vec(), data.to_vec()));
        }
    }
    Ok((version, ext))
}

impl Sftp {
    /// Takes the limits@openssh.com reply (a STATUS means: none announced).
    pub(crate) fn take_limits(&mut self, p: &[u8]) {
        if p.first() != Some(&fxp::EXTENDED_REPLY) {
            return;
        }
        let mut r = wire::reader(p);
        let parsed = (|| -> Result<Limits> {
            r.bytes(5)?;
            Ok(Limits { max_packet: r.u64()?, max_read: r.u64()?, max_write: r.u64()?, max_open_handles: r.u64()? })
        })();
        if let Ok(l) = parsed {
            self.limits = Some(l);
        }
    }
}

impl Session {
    /// Starts the SFTP subsystem on a new channel (libssh2_sftp_init); returns its id.
    pub fn sftp_init(&mut self) -> Result<u32> {
        if !self.authenticated {
            return Err(Error::new(code::INVAL, "session not authenticated yet"));
        }
        let start = || InitState::Starting(ChannelStartup::Open);
        match drive(self, |s| s.resume(|s| &mut s.sftp.init, start, Session::sftp_init_step))? {
            InitEnd::Started(sid) => Ok(sid),
            InitEnd::Failed(at, e) => {
                // The clean-up closes the channel, which waits: after the drive.
                self.sftp_init_abort(at);
                Err(e)
            }
        }
    }

    /// One step of an init; a failure ends it with the state to undo.
    fn sftp_init_step(&mut self, st: &mut InitState) -> Result<Step<InitEnd>> {
        Ok(match self.sftp_init_try(st) {
            Ok(Ready(sid)) => Ready(InitEnd::Started(sid)),
            Ok(Pending) => Pending,
            Err(e) => Ready(InitEnd::Failed(*st, e)),
        })
    }

    fn sftp_init_try(&mut self, init: &mut InitState) -> Result<Step<u32>> {
        if let InitState::Starting(mut start) = *init {
            let spec = StartupSpec {
                window: CHANNEL_WINDOW,
                packet: CHANNEL_PACKET,
                request: b"subsystem",
                arg: b"sftp",
                refused: "Unable to request SFTP subsystem",
            };
            let r = start.step(self, &spec);
            // Kept on every outcome: a failure's clean-up closes the channel it names.
            *init = InitState::Starting(start);
            let chan = ready!(r.map_err(|e| match e {
                StartupError::Open(_) => Error::new(code::CHANNEL_FAILURE, "Unable to startup channel"),
                StartupError::Request(..) => Error::new(code::CHANNEL_FAILURE, "Unable to request SFTP subsystem"),
            })?);
            if let Some(ch) = self.channels.map.get_mut(&chan) {
                ch.ext_mode = Some(ExtendedMode::Ignore);
            }
            let sid = self.sftp.alloc_id();
            // Read once per instance, so a program's later setenv changes nothing mid-transfer.
            let write_behind = self.sftp_write_behind.unwrap_or_else(|| {
                std::env::var(WRITE_BEHIND_ENV).ok().and_then(|v| parse_write_behind(&v)).unwrap_or(0)
            });
            let mut st = Sftp { channel: chan, write_behind, ..Default::default() };
            // FXP_INIT carries the version where other packets carry a request id.
            let mut w = crate::proto::wire::Writer::new();
            w.buf.resize(super::pipe::MSG_HDR, 0);
            let at = wire::begin_packet(&mut w, fxp::INIT, SFTP_VERSION);
            wire::finish_packet(&mut w, at);
            st.out.push_back(w.buf);
            self.sftp.map.insert(sid, st);
            *init = InitState::Started(sid);
        }
        let InitState::Started(sid) = *init else {
            return Err(Error::new(code::BAD_USE, "SFTP init state lost"));
        };
        self.sftp_send(sid)?;
        self.awaiting_reply = true;
        loop {
            self.sftp_frame(sid)?;
            let st = self.sftp_st(sid)?;
            if let Some(p) = st.version_reply.take() {
                let (version, ext) = parse_version(&p)?;
                st.version = version;
                if ext.limits {
                    st.queue(fxp::EXTENDED, ReqKind::Limits, 32, |w| {
                        w.string(LIMITS_EXT);
                    });
                }
                st.ext = ext;
                self.awaiting_reply = false;
                self.sftp_send(sid)?;
                return Ok(Ready(sid));
            }
            let chan = st.channel;
            if self.channels.map.get(&chan).map_or(true, |c| c.eof_received()) {
                return Err(Error::new(code::CHANNEL_CLOSED, "SFTP subsystem closed during init"));
            }
            if !self.pump()? {
                return Ok(Pending);
            }
        }
    }

    /// Undoes a failed init that had got as far as `at`: forget the
    /// instance, close the channel.
    fn sftp_init_abort(&mut self, at: InitState) {
        let chan = match at {
            InitState::Starting(start) => start.channel(),
            InitState::Started(sid) => self.sftp.map.remove(&sid).map(|st| st.channel),
        };
        if let Some(c) = chan {
            let blocking = self.blocking;
            // Best effort: a non-blocking close that would wait just drops the channel.
            if self.channel_free(c).is_err() || !blocking {
                self.channels.map.remove(&c);
            }
        }
    }

    /// Closes the subsystem's channel and forgets the instance (libssh2_sftp_shutdown).
    pub fn sftp_shutdown(&mut self, sid: u32) -> Result<()> {
        let chan = self.sftp.map.get(&sid).ok_or(Error::new(code::BAD_USE, "Invalid SFTP instance"))?.channel;
        let r = self.channel_free(chan);
        if !ends(&r) {
            return r;
        }
        self.sftp.map.remove(&sid);
        r
    }

    /// The last SSH_FX_* status of an instance (0 for an unknown one).
    pub fn sftp_last_error(&self, sid: u32) -> u32 {
        self.sftp.map.get(&sid).map_or(0, |s| s.last_error)
    }

    /// The channel an instance runs on.
    pub fn sftp_channel(&self, sid: u32) -> Result<u32> {
        Ok(self.sftp.map.get(&sid).ok_or(Error::new(code::BAD_USE, "Invalid SFTP instance"))?.channel)
    }

    /// The limits the server announced, once known.
    pub fn sftp_limits(&self, sid: u32) -> Option<Limits> {
        self.sftp.map.get(&sid).and_then(|s| s.limits)
    }
}
