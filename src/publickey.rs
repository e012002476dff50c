//! The publickey subsystem (RFC 4819) client behind `libssh2_publickey_*`.
//!
//! The subsystem runs over a session channel: every message is a uint32
//! length followed by a string naming the message and its fields. The client
//! sends `version`, then `add`, `remove` and `list` requests; the server
//! answers `version`, `publickey` (one per listed key) and `status`.
//!
//! Every call is resumable (libssh2's EAGAIN contract): the init in flight
//! lives in [`Session::publickey_init`](crate::session::Session), a request
//! in flight in its [`Publickey`]. A call repeated after EAGAIN continues
//! where it stopped (its arguments are taken from the first call).
//!
//! Behaviour follows libssh2 1.11.1: protocol version 2 is offered and a
//! server's higher version is truncated to 2; version 1 (the draft before
//! RFC 4819) puts a comment before the key in `add` and `publickey`, and
//! its status 6 means "general failure". A non-success status becomes
//! `LIBSSH2_ERROR_PUBLICKEY_PROTOCOL` with the status's name as message
//! (see [`Publickey::failed_status`]); responses of a known but unexpected
//! kind are skipped. Beyond libssh2, a partial channel write is continued
//! instead of failing, and responses larger than [`MAX_RESPONSE_LEN`] are
//! refused.

use crate::session::startup::{ChannelStartup, StartupError, StartupSpec};
use std::ops::Range;

use crate::error::{code, Error, Result};
use crate::proto::wire::{Reader, Writer};
use crate::session::channel::{ExtendedMode, PACKET_DEFAULT, WINDOW_DEFAULT};
use crate::session::driver::{drive, ends, ready, Pending, Ready, Step};
use crate::session::Session;

/// The subsystem name requested on the channel.
pub const SUBSYSTEM: &[u8] = b"publickey";
/// The protocol version we offer (and the highest we speak).
pub const CLIENT_VERSION: u32 = 2;
/// Largest response we accept, length prefix excluded. RFC 4819 sets none;
/// one key with its attributes is far below this.
pub const MAX_RESPONSE_LEN: usize = 256 * 1024;
/// Most attributes one listed key may carry (libssh2's limit).
pub const MAX_LIST_ATTRS: u32 = 1024;
/// `LIBSSH2_TRACE_PUBLICKEY`: the trace category of this subsystem.
use crate::consts::trace::PUBLICKEY as TRACE_PUBLICKEY;
/// Size of the length prefix of every message.
const LEN_PREFIX: usize = 4;
/// The name v1 servers' single attribute (the comment) is listed under.
pub const COMMENT_ATTR: &[u8] = b"comment";

/// RFC 4819 status codes.
pub mod status {
    /// `SSH_PUBLICKEY_SUCCESS`.
    pub const SUCCESS: u32 = 0;
    /// `SSH_PUBLICKEY_ACCESS_DENIED`.
    pub const ACCESS_DENIED: u32 = 1;
    /// `SSH_PUBLICKEY_STORAGE_EXCEEDED`.
    pub const STORAGE_EXCEEDED: u32 = 2;
    /// `SSH_PUBLICKEY_VERSION_NOT_SUPPORTED`.
    pub const VERSION_NOT_SUPPORTED: u32 = 3;
    /// `SSH_PUBLICKEY_KEY_NOT_FOUND`.
    pub const KEY_NOT_FOUND: u32 = 4;
    /// `SSH_PUBLICKEY_KEY_NOT_SUPPORTED`.
    pub const KEY_NOT_SUPPORTED: u32 = 5;
    /// `SSH_PUBLICKEY_KEY_ALREADY_PRESENT`.
    pub const KEY_ALREADY_PRESENT: u32 = 6;
    /// `SSH_PUBLICKEY_GENERAL_FAILURE`.
    pub const GENERAL_FAILURE: u32 = 7;
    /// `SSH_PUBLICKEY_REQUEST_NOT_SUPPORTED`.
    pub const REQUEST_NOT_SUPPORTED: u32 = 8;
    /// `SSH_PUBLICKEY_ATTRIBUTE_NOT_SUPPORTED` (libssh2 calls it "unknown").
    pub const ATTRIBUTE_NOT_SUPPORTED: u32 = 9;
}

/// libssh2's message for each status code it knows (index = code).
const STATUS_NAMES: [&str; 9] = [
    "success",
    "access denied",
    "storage exceeded",
    "version not supported",
    "key not found",
    "key not supported",
    "key already present",
    "general failure",
    "request not supported",
];

/// The error libssh2 records for a non-success `status` under `version`.
pub fn status_error(status: u32, version: u32) -> Error {
    // Version 1 servers used 6 for what version 2 numbers 7.
    let status = if status == status::KEY_ALREADY_PRESENT && version == 1 { status::GENERAL_FAILURE } else { status };
    let name = STATUS_NAMES.get(status as usize).copied().unwrap_or("unknown");
    Error::new(code::PUBLICKEY_PROTOCOL, name)
}

/// The response kinds a server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Status,
    Version,
    Publickey,
}

/// Splits a response into its kind and the fields after the name; None for
/// a malformed or unknown name.
fn response_kind(body: &[u8]) -> Option<(Kind, Reader<'_>)> {
    let mut r = Reader::new(body);
    let kind = match r.string().ok()? {
        b"status" => Kind::Status,
        b"version" => Kind::Version,
        b"publickey" => Kind::Publickey,
        _ => return None,
    };
    Some((kind, r))
}

/// One attribute given to [`Publickey::add`].
#[derive(Debug, Clone, Copy)]
pub struct Attribute<'a> {
    /// Attribute name, e.g. `comment`.
    pub name: &'a [u8],
    /// Attribute value.
    pub value: &'a [u8],
    /// The server must reject the key if it does not understand the attribute.
    pub mandatory: bool,
}

/// Where one listed attribute's name and value sit in the response packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrSpan {
    /// The name's bytes, or None for a v1 comment (named [`COMMENT_ATTR`]).
    pub name: Option<Range<usize>>,
    /// The value's bytes.
    pub value: Range<usize>,
}

/// One key from [`Publickey::list`]: its response packet and where its
/// fields sit in it (the C list points into a copy of the packet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    packet: Vec<u8>,
    name: Range<usize>,
    blob: Range<usize>,
    attrs: Vec<AttrSpan>,
}

impl ListedKey {
    /// The whole `publickey` response (name included, length prefix excluded).
    pub fn packet(&self) -> &[u8] {
        &self.packet
    }

    /// Byte range of the key algorithm name in [`packet`](Self::packet).
    pub fn name_range(&self) -> Range<usize> {
        self.name.clone()
    }

    /// Byte range of the key blob in [`packet`](Self::packet).
    pub fn blob_range(&self) -> Range<usize> {
        self.blob.clone()
    }

    /// Where the attributes sit in [`packet`](Self::packet).
    pub fn attr_spans(&self) -> &[AttrSpan] {
        &self.attrs
    }

    /// The key algorithm name.
    pub fn name(&self) -> &[u8] {
        self.packet.get(self.name.clone()).unwrap_or_default()
    }

    /// The public key blob.
    pub fn blob(&self) -> &[u8] {
        self.packet.get(self.blob.clone()).unwrap_or_default()
    }

    /// The attributes as (name, value) pairs.
    pub fn attrs(&self) -> Vec<(&[u8], &[u8])> {
        self.attrs
            .iter()
            .map(|a| {
                let name = match &a.name {
                    Some(r) => self.packet.get(r.clone()).unwrap_or_default(),
                    None => COMMENT_ATTR,
                };
                (name, self.packet.get(a.value.clone()).unwrap_or_default())
            })
            .collect()
    }
}

/// Reads a string and returns where its bytes sit in the `total`-byte buffer.
fn span(r: &mut Reader<'_>, total: usize) -> Result<Range<usize>> {
    let start = total - r.remaining() + LEN_PREFIX;
    let s = r.string()?;
    Ok(start..start + s.len())
}

/// Parses a `publickey` response (the reader is past the name).
fn parse_listed(body: &[u8], mut r: Reader<'_>, version: u32) -> Result<ListedKey> {
    let total = body.len();
    // The bounded reader's truncation error is replaced by libssh2's.
    let short = |_| Error::new(code::BUFFER_TOO_SMALL, "ListFetch data too short");
    let mut attrs = Vec::new();
    if version == 1 {
        let comment = span(&mut r, total).map_err(short)?;
        if !comment.is_empty() {
            attrs.push(AttrSpan { name: None, value: comment });
        }
    }
    let name = span(&mut r, total).map_err(short)?;
    let blob = span(&mut r, total).map_err(short)?;
    if version != 1 {
        let n = r.u32().map_err(short)?;
        if n > MAX_LIST_ATTRS {
            return Err(Error::new(code::OUT_OF_BOUNDARY, "Too many publickey attributes"));
        }
        for _ in 0..n {
            let name = span(&mut r, total).map_err(short)?;
            let value = span(&mut r, total).map_err(short)?;
            attrs.push(AttrSpan { name: Some(name), value });
        }
    }
    Ok(ListedKey { packet: body.to_vec(), name, blob, attrs })
}

/// A `status` response's code, after checking its description and language.
fn parse_status(mut r: Reader<'_>, short_msg: &'static str) -> Result<u32> {
    let short = |_| Error::new(code::BUFFER_TOO_SMALL, short_msg);
    let st = r.u32().map_err(short)?;
    r.string().map_err(short)?;
    r.string().map_err(short)?;
    Ok(st)
}

/// A message being written to the channel, with how much has left.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    data: Vec<u8>,
    sent: usize,
}

impl Outgoing {
    /// Frames `body` with its length prefix.
    fn new(body: &[u8]) -> Self {
        let mut w = Writer::new();
        w.string(body);
        Outgoing { data: w.into_inner(), sent: 0 }
    }

    /// Writes the rest (Pending keeps the progress).
    fn send(&mut self, sess: &mut Session, channel: u32) -> Result<Step<()>> {
        while let Some(rest) = self.data.get(self.sent..).filter(|r| !r.is_empty()) {
            let n = ready!(sess.channel_write_step(channel, 0, rest)?);
            if n == 0 {
                return Err(Error::new(code::SOCKET_SEND, "Unable to send publickey packet"));
            }
            self.sent += n;
        }
        Ok(Ready(()))
    }
}

/// One response being read from the channel.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    buf: Vec<u8>,
}

impl Incoming {
    /// Reads until one whole response has arrived and returns its body;
    /// Pending keeps the progress. EOF mid-way is libssh2's SOCKET_TIMEOUT.
    fn receive(&mut self, sess: &mut Session, channel: u32) -> Result<Step<Vec<u8>>> {
        let mut chunk = [0u8; PACKET_DEFAULT as usize];
        loop {
            let want = if self.buf.len() < LEN_PREFIX {
                LEN_PREFIX - self.buf.len()
            } else {
                let mut r = Reader::new(&self.buf);
                let len = r.u32()? as usize;
                if len > MAX_RESPONSE_LEN {
                    self.buf.clear();
                    return Err(Error::with(
                        code::PUBLICKEY_PROTOCOL,
                        format!("Publickey response of {len} bytes exceeds {MAX_RESPONSE_LEN}"),
                    ));
                }
                let have = self.buf.len() - LEN_PREFIX;
                if have == len {
                    let body = self.buf.split_off(LEN_PREFIX);
                    self.buf.clear();
                    return Ok(Ready(body));
                }
                len - have
            };
            let cap = want.min(chunk.len());
            let n = ready!(sess.channel_read_step(channel, 0, &mut chunk[..cap])?);
            if n == 0 {
                self.buf.clear();
                return Err(Error::new(code::SOCKET_TIMEOUT, "Timeout waiting for response from publickey subsystem"));
            }
            self.buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }
}

/// Progress of `libssh2_publickey_init`, kept in the session between calls.
#[derive(Debug, Clone)]
pub enum InitState {
    /// Opening the session channel and requesting the subsystem on it.
    Start(ChannelStartup),
    /// Sending our `version`.
    SendVersion(u32, Outgoing),
    /// Waiting for the server's `version`.
    AwaitVersion(u32, Incoming),
    /// Closing the channel after a failure, which is then returned.
    Closing(u32, Error),
}

/// libssh2's add, remove and list report any failed send of their request as SOCKET_SEND.
fn send_failed(_: Error) -> Error {
    Error::new(code::SOCKET_SEND, "Unable to send publickey packet")
}

/// ... and any failure reading the answer as SOCKET_TIMEOUT.
fn receive_failed(_: Error) -> Error {
    Error::new(code::SOCKET_TIMEOUT, "Timeout waiting for response from publickey subsystem")
}

/// How the steps of an init end: started, or failed with a channel to close.
enum InitEnd {
    Started(Publickey),
    Close(u32, Error),
}

impl Session {
    /// Starts the publickey subsystem (`libssh2_publickey_init`): opens a
    /// session channel, requests the subsystem, ignores its stderr and
    /// negotiates the protocol version. Resumable after EAGAIN.
    pub fn publickey_init(&mut self) -> Result<Publickey> {
        if !matches!(self.publickey_init, Some(InitState::Closing(..))) {
            let start = || InitState::Start(ChannelStartup::Open);
            match drive(self, |s| s.resume(|s| &mut s.publickey_init, start, Session::publickey_init_step))? {
                InitEnd::Started(pk) => return Ok(pk),
                InitEnd::Close(id, e) => self.publickey_init = Some(InitState::Closing(id, e)),
            }
        }
        self.publickey_init_close()
    }

    /// A failed init closes its channel (which waits, so after the drive) and
    /// then returns the failure; a close that is pending keeps it for the next call.
    fn publickey_init_close(&mut self) -> Result<Publickey> {
        let Some(InitState::Closing(id, err)) = self.publickey_init.take() else {
            return Err(Error::new(code::BAD_USE, "No publickey init to close"));
        };
        let r = self.channel_free(id);
        if !ends(&r) {
            self.publickey_init = Some(InitState::Closing(id, err.clone()));
            return r.and(Err(err));
        }
        // The close is best effort; the failure that led here is what counts.
        Err(err)
    }

    fn publickey_init_step(&mut self, st: &mut InitState) -> Result<Step<InitEnd>> {
        loop {
            let next = match st {
                InitState::Start(start) => {
                    let spec = StartupSpec {
                        window: WINDOW_DEFAULT,
                        packet: PACKET_DEFAULT,
                        request: b"subsystem",
                        arg: SUBSYSTEM,
                        refused: "Unable to request publickey subsystem",
                    };
                    match start.step(self, &spec) {
                        Ok(Pending) => return Ok(Pending),
                        Ok(Ready(id)) => {
                            if let Some(ch) = self.channels.map.get_mut(&id) {
                                // libssh2 ignores the subsystem's stderr.
                                ch.ext_mode = Some(ExtendedMode::Ignore);
                                let n = ch.ext_data.len().min(u32::MAX as usize) as u32;
                                ch.ext_data.clear();
                                ch.pending_adjust = ch.pending_adjust.saturating_add(n);
                            }
                            let mut w = Writer::new();
                            w.string(b"version").u32(CLIENT_VERSION);
                            InitState::SendVersion(id, Outgoing::new(&w.buf))
                        }
                        Err(StartupError::Open(e)) => {
                            return Err(Error::with(
                                code::CHANNEL_FAILURE,
                                format!("Unable to startup channel: {}", e.msg),
                            ))
                        }
                        Err(StartupError::Request(id, _)) => {
                            let e = Error::new(code::CHANNEL_FAILURE, "Unable to request publickey subsystem");
                            return Ok(Ready(InitEnd::Close(id, e)));
                        }
                    }
                }
                InitState::SendVersion(id, out) => {
                    let id = *id;
                    match out.send(self, id) {
                        Ok(Ready(())) => InitState::AwaitVersion(id, Incoming::default()),
                        Ok(Pending) => return Ok(Pending),
                        Err(e) => return Ok(Ready(InitEnd::Close(id, e))),
                    }
                }
                InitState::AwaitVersion(id, inc) => {
                    let id = *id;
                    let body = match inc.receive(self, id) {
                        Ok(Ready(body)) => body,
                        Ok(Pending) => return Ok(Pending),
                        Err(e) => return Ok(Ready(InitEnd::Close(id, e))),
                    };
                    match version_response(&body) {
                        Ok(Some(version)) => {
                            self.trace(TRACE_PUBLICKEY, || format!("Enabling publickey subsystem version {version}"));
                            return Ok(Ready(InitEnd::Started(Publickey::new(id, version))));
                        }
                        // A known but unexpected response: keep waiting.
                        Ok(None) => continue,
                        Err(e) => return Ok(Ready(InitEnd::Close(id, e))),
                    }
                }
                // Handled by `publickey_init_close` before any step.
                InitState::Closing(id, err) => return Ok(Ready(InitEnd::Close(*id, err.clone()))),
            };
            *st = next;
        }
    }
}

/// The version from a response to our `version`; None for a response to skip.
fn version_response(body: &[u8]) -> Result<Option<u32>> {
    let Some((kind, mut r)) = response_kind(body) else {
        return Err(Error::new(code::PUBLICKEY_PROTOCOL, "Invalid publickey subsystem response code"));
    };
    let short = |_| Error::new(code::BUFFER_TOO_SMALL, "Public key init data too small");
    match kind {
        Kind::Version => Ok(Some(r.u32().map_err(short)?.min(CLIENT_VERSION))),
        // No `pkey` yet, so no version-1 remapping (as in libssh2).
        Kind::Status => Err(status_error(parse_status(r, "Public key init data too small")?, 0)),
        Kind::Publickey => Ok(None),
    }
}

/// Which request is in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpKind {
    Add,
    Remove,
    List,
}

/// A request in flight: its message, then the responses read so far.
#[derive(Debug, Clone)]
struct InFlight {
    kind: OpKind,
    out: Outgoing,
    keys: Vec<ListedKey>,
}

/// A started publickey subsystem (`LIBSSH2_PUBLICKEY`).
#[derive(Debug)]
pub struct Publickey {
    channel: u32,
    version: u32,
    rx: Incoming,
    pending: Option<InFlight>,
    failed_status: Option<u32>,
}

impl Publickey {
    fn new(channel: u32, version: u32) -> Self {
        Publickey { channel, version, rx: Incoming::default(), pending: None, failed_status: None }
    }

    /// The session channel the subsystem runs on.
    pub fn channel(&self) -> u32 {
        self.channel
    }

    /// The negotiated protocol version (at most [`CLIENT_VERSION`]).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The server's status code when the last request failed with a
    /// non-success `status` (libssh2 then returns -1, not the error code).
    pub fn failed_status(&self) -> Option<u32> {
        self.failed_status
    }

    /// Starts request `kind` with message `body` unless one is in flight.
    fn begin(&mut self, kind: OpKind, body: impl FnOnce() -> Vec<u8>) -> Result<()> {
        match &self.pending {
            Some(p) if p.kind == kind => Ok(()),
            Some(_) => Err(Error::new(code::BAD_USE, "Another publickey request is in progress")),
            None => {
                self.failed_status = None;
                self.pending = Some(InFlight { kind, out: Outgoing::new(&body()), keys: Vec::new() });
                Ok(())
            }
        }
    }

    /// Drives the pending request to its end; while it is pending (EAGAIN,
    /// or a blocking call's TIMEOUT) it stays in flight for the next call.
    fn run<T>(
        &mut self,
        sess: &mut Session,
        mut step: impl FnMut(&mut Self, &mut Session) -> Result<Step<T>>,
    ) -> Result<T> {
        drive(sess, |s| {
            let r = step(self, s);
            if !matches!(r, Ok(Pending)) {
                self.pending = None;
            }
            r
        })
    }

    /// Sends the pending message and waits for a `status`.
    fn send_and_await_status(&mut self, sess: &mut Session) -> Result<Step<()>> {
        let ch = self.channel;
        if let Some(p) = self.pending.as_mut() {
            ready!(p.out.send(sess, ch).map_err(send_failed)?);
        }
        loop {
            let body = ready!(self.rx.receive(sess, ch).map_err(receive_failed)?);
            if body.len() < LEN_PREFIX {
                return Err(Error::new(code::BUFFER_TOO_SMALL, "Publickey response too small"));
            }
            match response_kind(&body) {
                None => return Err(Error::new(code::PUBLICKEY_PROTOCOL, "Invalid publickey subsystem response")),
                Some((Kind::Status, mut r)) => {
                    let st = r.u32().map_err(|_| Error::new(code::BUFFER_TOO_SMALL, "Publickey response too small"))?;
                    if st == status::SUCCESS {
                        return Ok(Ready(()));
                    }
                    self.failed_status = Some(st);
                    return Err(status_error(st, self.version));
                }
                // Unexpected here; libssh2 skips it and reads on.
                Some(_) => continue,
            }
        }
    }

    /// Adds a key (`libssh2_publickey_add_ex`); `overwrite` replaces an
    /// existing one. Version 1 sends only the `comment` attribute.
    pub fn add(
        &mut self,
        sess: &mut Session,
        name: &[u8],
        blob: &[u8],
        overwrite: bool,
        attrs: &[Attribute<'_>],
    ) -> Result<()> {
        let version = self.version;
        self.begin(OpKind::Add, || {
            let mut w = Writer::new();
            w.string(b"add");
            if version == 1 {
                let comment = attrs.iter().find(|a| a.name == COMMENT_ATTR).map_or(&b""[..], |a| a.value);
                w.string(comment).string(name).string(blob);
            } else {
                w.string(name).string(blob).bool(overwrite).u32(attrs.len() as u32);
                for a in attrs {
                    w.string(a.name).string(a.value).bool(a.mandatory);
                }
            }
            w.into_inner()
        })?;
        sess.trace(TRACE_PUBLICKEY, || format!("Adding {} publickey", String::from_utf8_lossy(name)));
        self.run(sess, Self::send_and_await_status)
    }

    /// Removes a key (`libssh2_publickey_remove_ex`).
    pub fn remove(&mut self, sess: &mut Session, name: &[u8], blob: &[u8]) -> Result<()> {
        self.begin(OpKind::Remove, || {
            let mut w = Writer::new();
            w.string(b"remove").string(name).string(blob);
            w.into_inner()
        })?;
        self.run(sess, Self::send_and_await_status)
    }

    /// Lists the server's keys (`libssh2_publickey_list_fetch`).
    pub fn list(&mut self, sess: &mut Session) -> Result<Vec<ListedKey>> {
        self.begin(OpKind::List, || {
            let mut w = Writer::new();
            w.string(b"list");
            w.into_inner()
        })?;
        self.run(sess, Self::list_step)
    }

    fn list_step(&mut self, sess: &mut Session) -> Result<Step<Vec<ListedKey>>> {
        let ch = self.channel;
        if let Some(p) = self.pending.as_mut() {
            ready!(p.out.send(sess, ch).map_err(send_failed)?);
        }
        loop {
            let body = ready!(self.rx.receive(sess, ch).map_err(receive_failed)?);
            let Some((kind, r)) = response_kind(&body) else {
                return Err(Error::new(code::PUBLICKEY_PROTOCOL, "Invalid publickey subsystem response code"));
            };
            match kind {
                Kind::Status => {
                    let st = parse_status(r, "ListFetch data too short")?;
                    if st != status::SUCCESS {
                        self.failed_status = Some(st);
                        return Err(status_error(st, self.version));
                    }
                    return Ok(Ready(self.pending.as_mut().map(|p| std::mem::take(&mut p.keys)).unwrap_or_default()));
                }
                Kind::Publickey => {
                    let key = parse_listed(&body, r, self.version)?;
                    if let Some(p) = self.pending.as_mut() {
                        p.keys.push(key);
                    }
                }
                Kind::Version => continue,
            }
        }
    }

    /// Closes the subsystem's channel (`libssh2_publickey_shutdown`).
    pub fn shutdown(&mut self, sess: &mut Session) -> Result<()> {
        sess.channel_free(self.channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_messages_follow_libssh2() {
        assert_eq!(status_error(6, 2).msg, "key already present");
        assert_eq!(status_error(6, 1).msg, "general failure");
        assert_eq!(status_error(4, 2).msg, "key not found");
        assert_eq!(status_error(9, 2).msg, "unknown");
        assert_eq!(status_error(6, 2).code, code::PUBLICKEY_PROTOCOL);
    }

    #[test]
    fn listed_key_v2_spans_point_into_the_packet() {
        let mut w = Writer::new();
        w.string(b"publickey").string(b"ssh-ed25519").string(b"BLOB").u32(2);
        w.string(b"comment").string(b"hello").string(b"x").string(b"");
        let body = w.into_inner();
        let (kind, r) = response_kind(&body).expect("known kind");
        assert_eq!(kind, Kind::Publickey);
        let k = parse_listed(&body, r, 2).expect("parses");
        assert_eq!(k.name(), b"ssh-ed25519");
        assert_eq!(k.blob(), b"BLOB");
        assert_eq!(k.attrs(), vec![(&b"comment"[..], &b"hello"[..]), (&b"x"[..], &b""[..])]);
    }

    #[test]
    fn listed_key_v1_comment_becomes_an_attribute() {
        let mut w = Writer::new();
        w.string(b"publickey").string(b"my key").string(b"ssh-rsa").string(b"B");
        let body = w.into_inner();
        let (_, r) = response_kind(&body).expect("known kind");
        let k = parse_listed(&body, r, 1).expect("parses");
        assert_eq!(k.attrs(), vec![(COMMENT_ATTR, &b"my key"[..])]);
        assert_eq!(k.name(), b"ssh-rsa");
    }

    #[test]
    fn truncated_and_oversized_listings_are_refused() {
        let mut w = Writer::new();
        w.string(b"publickey").string(b"ssh-rsa").string(b"B").u32(3).string(b"a");
        let body = w.into_inner();
        let (_, r) = response_kind(&body).expect("known kind");
        assert_eq!(parse_listed(&body, r, 2).unwrap_err().code, code::BUFFER_TOO_SMALL);

        let mut w = Writer::new();
        w.string(b"publickey").string(b"ssh-rsa").string(b"B").u32(MAX_LIST_ATTRS + 1);
        let body = w.into_inner();
        let (_, r) = response_kind(&body).expect("known kind");
        assert_eq!(parse_listed(&body, r, 2).unwrap_err().code, code::OUT_OF_BOUNDARY);
    }

    #[test]
    fn version_responses() {
        let mut w = Writer::new();
        w.string(b"version").u32(7);
        assert_eq!(version_response(&w.buf).expect("ok"), Some(CLIENT_VERSION));
        let mut w = Writer::new();
        w.string(b"version").u32(1);
        assert_eq!(version_response(&w.buf).expect("ok"), Some(1));
        let mut w = Writer::new();
        w.string(b"status").u32(3).string(b"no").string(b"");
        assert_eq!(version_response(&w.buf).unwrap_err().msg, "version not supported");
        let mut w = Writer::new();
        w.string(b"bogus");
        assert_eq!(version_response(&w.buf).unwrap_err().code, code::PUBLICKEY_PROTOCOL);
        assert_eq!(version_response(b"\0\0").unwrap_err().code, code::PUBLICKEY_PROTOCOL);
    }
}
