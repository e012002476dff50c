//! SFTP client: protocol version 3 (draft-ietf-secsh-filexfer-02) with the
//! OpenSSH extensions libssh2 uses (posix-rename, statvfs, fstatvfs, fsync)
//! plus `limits@openssh.com` for request sizing.
//!
//! All state lives in the session (`Session::sftp`), keyed by small ids, so C
//! handles only carry ids: a handle used after its SFTP instance was shut down
//! finds nothing and fails cleanly instead of touching freed memory.
//!
//! Layout: `wire` encodes and decodes packets and attributes, `pipe` moves SFTP
//! packets over the channel (outgoing queue, framing, replies by request id,
//! window grants), `file` is the read-ahead and write pipelines, `dir` lists
//! directories, `ops` holds the one-request operations and `init` the start-up.

mod dir;
mod file;
#[cfg(any(test, fuzzing, feature = "fuzzing"))]
pub mod fuzzing;
mod init;
mod ops;
mod pipe;
pub mod wire;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet, VecDeque};

use crate::error::{code, Error, Result};
pub use wire::{Attributes, StatVfs};

/// The protocol version we speak (LIBSSH2_SFTP_VERSION).
pub const SFTP_VERSION: u32 = 3;
/// Largest SFTP packet we accept (LIBSSH2_SFTP_PACKET_MAXLEN).
pub const PACKET_MAX: usize = 256 * 1024;
/// Shortest SFTP packet body: a type byte and a uint32 (request id or version).
pub const MIN_PACKET_LEN: usize = 5;
/// Largest NAME reply to a READDIR we accept: some servers pack many entries
/// into one reply, so libssh2 exempts these from `PACKET_MAX`; we bound it still.
pub const READDIR_PACKET_MAX: usize = 4 * 1024 * 1024;
/// Longest file handle we keep (libssh2's SFTP_HANDLE_MAXLEN; the draft says 256).
pub const HANDLE_MAX: usize = 4092;
/// Receive window of the SFTP channel: large, so read-ahead is never window-bound.
pub const CHANNEL_WINDOW: u32 = 16 * 1024 * 1024;
/// Largest channel packet we accept from the peer (the transport takes 35000-byte packets).
pub const CHANNEL_PACKET: u32 = 32 * 1024;
/// Window grants are batched until this much was consumed (keeps adjusts rare).
pub const WINDOW_GRANT_STEP: u32 = CHANNEL_WINDOW / 8;
/// READ request size when the server does not announce its limits.
pub const DEFAULT_READ_LEN: u32 = 32 * 1024;
/// Smallest READ request we issue.
pub const MIN_READ_LEN: u32 = 32 * 1024;
/// Largest READ request: its DATA reply must fit in `PACKET_MAX`.
pub const MAX_READ_LEN: u32 = (PACKET_MAX - 1024) as u32;
/// Read-ahead after an open or seek; from there it follows the link (`Handle::pace`).
pub const READ_AHEAD_INITIAL: u64 = 64 * 1024;
/// Read-ahead never goes below this once sized by the link: a few requests
/// in flight, enough for loopback.
pub const READ_AHEAD_FLOOR: u64 = 512 * 1024;
/// Read-ahead is this many times the measured bandwidth-delay product (the
/// headroom that lets it double while doubling raises the delivery rate).
pub const READ_AHEAD_GAIN: f64 = 2.0;
/// Shortest interval a delivery rate is measured over.
pub const RATE_WINDOW_MIN: std::time::Duration = std::time::Duration::from_millis(2);
/// The best rate seen decays by this factor per interval, so it follows a link that slows.
pub const RATE_DECAY: f64 = 0.8;
/// Most bytes of READ requests outstanding on one handle.
pub const READ_AHEAD_MAX: u64 = 8 * 1024 * 1024;
/// Most READ requests outstanding on one handle.
pub const MAX_READ_REQUESTS: usize = 512;
/// Most bytes of WRITE data sent but not yet acknowledged on one handle.
pub const WRITE_INFLIGHT_MAX: u64 = 8 * 1024 * 1024;
/// Most WRITE requests outstanding on one handle.
pub const MAX_WRITE_REQUESTS: usize = 512;
/// Write-behind: unacknowledged bytes per handle when switched on without a size.
pub const WRITE_BEHIND_DEFAULT: u64 = 16 * 1024 * 1024;
/// Write-behind: a requested size below this means the default (so 1 means "on").
pub const WRITE_BEHIND_MIN: u64 = 64 * 1024;
/// Write-behind: the largest size honoured (bytes held in memory per handle).
pub const WRITE_BEHIND_MAX: u64 = 1024 * 1024 * 1024;
/// The environment variable that switches write-behind on for unchanged programs.
pub const WRITE_BEHIND_ENV: &str = "LIBSSH2_SFTP_WRITE_BEHIND";
/// WRITE payload when the channel packet size would allow less (keeps requests useful).
pub const MIN_WRITE_LEN: usize = 1024;
/// WRITE payload cap when the server does not announce its limits.
pub const DEFAULT_WRITE_LEN: usize = 32 * 1024;
/// Stop queueing bulk data while this many sealed bytes wait for the socket.
pub const OUT_HIGH_WATER: usize = 1024 * 1024;
/// Small request packets are coalesced into one channel message up to this size.
pub const COALESCE_MAX: usize = 16 * 1024;
/// Longest extension name/data we keep from FXP_VERSION.
pub const MAX_EXTENSION_DATA: usize = 1024;

/// SSH_FXP_* packet types.
pub mod fxp {
    /// SSH_FXP_INIT.
    pub const INIT: u8 = 1;
    /// SSH_FXP_VERSION.
    pub const VERSION: u8 = 2;
    /// SSH_FXP_OPEN.
    pub const OPEN: u8 = 3;
    /// SSH_FXP_CLOSE.
    pub const CLOSE: u8 = 4;
    /// SSH_FXP_READ.
    pub const READ: u8 = 5;
    /// SSH_FXP_WRITE.
    pub const WRITE: u8 = 6;
    /// SSH_FXP_LSTAT.
    pub const LSTAT: u8 = 7;
    /// SSH_FXP_FSTAT.
    pub const FSTAT: u8 = 8;
    /// SSH_FXP_SETSTAT.
    pub const SETSTAT: u8 = 9;
    /// SSH_FXP_FSETSTAT.
    pub const FSETSTAT: u8 = 10;
    /// SSH_FXP_OPENDIR.
    pub const OPENDIR: u8 = 11;
    /// SSH_FXP_READDIR.
    pub const READDIR: u8 = 12;
    /// SSH_FXP_REMOVE.
    pub const REMOVE: u8 = 13;
    /// SSH_FXP_MKDIR.
    pub const MKDIR: u8 = 14;
    /// SSH_FXP_RMDIR.
    pub const RMDIR: u8 = 15;
    /// SSH_FXP_REALPATH.
    pub const REALPATH: u8 = 16;
    /// SSH_FXP_STAT.
    pub const STAT: u8 = 17;
    /// SSH_FXP_RENAME.
    pub const RENAME: u8 = 18;
    /// SSH_FXP_READLINK.
    pub const READLINK: u8 = 19;
    /// SSH_FXP_SYMLINK.
    pub const SYMLINK: u8 = 20;
    /// SSH_FXP_STATUS.
    pub const STATUS: u8 = 101;
    /// SSH_FXP_HANDLE.
    pub const HANDLE: u8 = 102;
    /// SSH_FXP_DATA.
    pub const DATA: u8 = 103;
    /// SSH_FXP_NAME.
    pub const NAME: u8 = 104;
    /// SSH_FXP_ATTRS.
    pub const ATTRS: u8 = 105;
    /// SSH_FXP_EXTENDED.
    pub const EXTENDED: u8 = 200;
    /// SSH_FXP_EXTENDED_REPLY.
    pub const EXTENDED_REPLY: u8 = 201;
}

/// SSH_FX_* status codes we act on (the full list is LIBSSH2_FX_*).
pub mod fx {
    // On the wire a status is a uint32; the API's LIBSSH2_FX_* are c_ulong.
    use crate::consts::fx;
    /// SSH_FX_OK.
    pub const OK: u32 = fx::OK as u32;
    /// SSH_FX_EOF.
    pub const EOF: u32 = fx::EOF as u32;
    /// SSH_FX_FILE_ALREADY_EXISTS.
    pub const FILE_ALREADY_EXISTS: u32 = fx::FILE_ALREADY_EXISTS as u32;
    /// SSH_FX_OP_UNSUPPORTED.
    pub const OP_UNSUPPORTED: u32 = fx::OP_UNSUPPORTED as u32;
}

/// What `open` opens (LIBSSH2_SFTP_OPENFILE / OPENDIR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenKind {
    /// A file (SSH_FXP_OPEN).
    File,
    /// A directory (SSH_FXP_OPENDIR).
    Dir,
}

/// Which stat request (LIBSSH2_SFTP_STAT / LSTAT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatKind {
    /// Follow symlinks.
    Stat,
    /// Do not follow symlinks.
    Lstat,
}

/// Which path-resolving request (LIBSSH2_SFTP_READLINK / REALPATH).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// SSH_FXP_READLINK.
    Readlink,
    /// SSH_FXP_REALPATH.
    Realpath,
}

/// What an outstanding request is, so replies can be checked and routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReqKind {
    /// A READ of a file pipeline.
    Read,
    /// A WRITE of a file pipeline.
    Write,
    /// A READDIR (its NAME reply may exceed PACKET_MAX).
    Readdir,
    /// The background limits@openssh.com query.
    Limits,
    /// Anything else, answered to the operation waiting in `pending`.
    Other,
}

/// A resumable one-request operation, so a repeated call after EAGAIN finds its
/// request instead of sending another (libssh2 keeps one such slot per kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum OpKey {
    Open,
    Unlink,
    Rename,
    PosixRename,
    Mkdir,
    Rmdir,
    Stat,
    Symlink,
    Statvfs,
    Fstat(u32),
    Fsync(u32),
    Fstatvfs(u32),
    Readdir(u32),
    Close(u32),
}

/// Server limits from limits@openssh.com (0: no limit announced).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Largest packet the server accepts.
    pub max_packet: u64,
    /// Largest READ length it serves in one reply.
    pub max_read: u64,
    /// Largest WRITE length it accepts.
    pub max_write: u64,
    /// Most handles it lets us open.
    pub max_open_handles: u64,
}

/// Extensions the server announced in FXP_VERSION.
#[derive(Debug, Clone, Default)]
pub struct Extensions {
    /// Version of posix-rename@openssh.com (libssh2 requires 1).
    pub posix_rename: u32,
    /// limits@openssh.com is offered.
    pub limits: bool,
    /// Every (name, data) pair, as announced (each bounded by `MAX_EXTENSION_DATA`).
    pub all: Vec<(Vec<u8>, Vec<u8>)>,
}

/// One READ request of a file's read-ahead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadReq {
    pub id: u32,
    pub offset: u64,
    pub len: u32,
    /// When it was queued, µs on the session clock (None in unit tests).
    pub sent: Option<u64>,
}

/// One WRITE request waiting for its status.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteReq {
    pub id: u32,
    pub len: u32,
}

/// A parsed directory entry inside a NAME reply (ranges into the packet).
#[derive(Debug, Clone)]
pub(crate) struct NameEntry {
    pub name: (usize, usize),
    pub long: (usize, usize),
    pub attrs: Attributes,
}

/// An open remote file or directory.
#[derive(Debug, Default)]
pub(crate) struct Handle {
    /// The server's handle string.
    pub handle: Vec<u8>,
    /// Position the caller sees (bytes returned by read, or acknowledged by write).
    pub offset: u64,
    /// Next offset to request or write.
    pub offset_sent: u64,
    /// Outstanding READ requests, in offset order.
    pub reads: VecDeque<ReadReq>,
    /// The DATA packet being handed out and the unread range of it.
    pub cur: Option<(Vec<u8>, usize, usize)>,
    /// The server reported end of file; reads return 0 until a seek.
    pub eof: bool,
    /// Current read-ahead target in bytes.
    pub ahead: u64,
    /// Link estimate behind `ahead`: shortest request round trip seen, best
    /// recent delivery rate (bytes/s), and the interval being measured.
    pub pace: Pace,
    /// Outstanding WRITE requests, in order.
    pub writes: VecDeque<WriteReq>,
    /// WRITE bytes sent and not yet acknowledged.
    pub write_inflight: u64,
    /// Bytes acknowledged but not yet reported to the caller.
    pub acked: u64,
    /// Directory listing: the NAME packet and its entries not yet returned.
    pub names: Option<(Vec<u8>, VecDeque<NameEntry>)>,
    /// Write-behind: the first failure of a reported write (error, SSH_FX code),
    /// returned by every later write, fsync, read and close of the handle.
    pub wb_error: Option<(Error, u32)>,
}

/// How fast a handle's reads are delivered and how far the server is, for
/// sizing the read-ahead as TCP sizes its window: twice the bandwidth-delay
/// product, never below `READ_AHEAD_FLOOR` nor above `READ_AHEAD_MAX`. A
/// caller that reads slowly lowers the rate and so the read-ahead.
#[derive(Debug, Default, Clone, Copy)]
pub struct Pace {
    /// Shortest round trip of a READ so far.
    pub rtt_min: Option<std::time::Duration>,
    /// Best delivery rate of the recent intervals, in bytes per second.
    pub rate: f64,
    /// Start of the interval being measured (µs on the session clock).
    pub since: Option<u64>,
    /// Bytes delivered since `since`.
    pub bytes: u64,
}

impl Pace {
    /// Takes one in-order reply of `n` bytes, arrived at `now`, to a request
    /// sent at `sent` (µs on the session clock); returns the new read-ahead
    /// target when an interval closed.
    pub fn delivered(&mut self, n: u64, sent: Option<u64>, now: u64) -> Option<u64> {
        use std::time::Duration;
        if let Some(sent) = sent {
            let rtt = Duration::from_micros(now.saturating_sub(sent));
            self.rtt_min = Some(self.rtt_min.map_or(rtt, |m| m.min(rtt)));
        }
        let since = *self.since.get_or_insert(now);
        self.bytes += n;
        let rtt_min = self.rtt_min?;
        let elapsed = Duration::from_micros(now.saturating_sub(since));
        if elapsed < rtt_min.max(RATE_WINDOW_MIN) {
            return None;
        }
        let rate = self.bytes as f64 / elapsed.as_secs_f64();
        self.rate = rate.max(self.rate * RATE_DECAY);
        self.since = Some(now);
        self.bytes = 0;
        let target = READ_AHEAD_GAIN * self.rate * rtt_min.as_secs_f64();
        Some((target as u64).clamp(READ_AHEAD_FLOOR, READ_AHEAD_MAX))
    }

    /// A new stream of reads (open, seek): a fresh interval, the estimates kept.
    pub fn restart(&mut self) {
        self.since = None;
        self.bytes = 0;
    }
}

/// One SFTP subsystem instance.
#[derive(Debug, Default)]
pub struct Sftp {
    /// The channel it runs on.
    pub channel: u32,
    /// Negotiated protocol version (at most 3).
    pub version: u32,
    /// The last SSH_FX_* status the server sent (libssh2_sftp_last_error).
    pub last_error: u32,
    /// Announced extensions.
    pub ext: Extensions,
    /// Server limits, once the limits@openssh.com reply arrived.
    pub limits: Option<Limits>,
    pub(crate) got_version: bool,
    /// The FXP_VERSION packet until `sftp_init` parses it.
    pub(crate) version_reply: Option<Vec<u8>>,
    pub(crate) next_req: u32,
    /// Channel messages (9 reserved header bytes + SFTP bytes) not yet sent.
    pub(crate) out: VecDeque<Vec<u8>>,
    pub(crate) outstanding: HashMap<u32, ReqKind>,
    /// Requests whose replies are discarded on arrival (abandoned read-ahead).
    pub(crate) zombies: HashSet<u32>,
    pub(crate) replies: HashMap<u32, Vec<u8>>,
    pub(crate) pending: HashMap<OpKey, u32>,
    pub(crate) handles: HashMap<u32, Handle>,
    pub(crate) next_handle: u32,
    /// Bytes taken off the channel not yet granted back as window.
    pub(crate) ungranted: u32,
    /// A framing error: the stream is out of sync and unusable.
    pub(crate) broken: Option<Error>,
    /// Write-behind limit in unacknowledged bytes per handle (0: off, libssh2's contract).
    pub write_behind: u64,
}

/// Progress of `sftp_init` (resumable: the table's `init` slot, run by `Session::resume`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InitState {
    /// Opening the channel and starting the subsystem on it.
    Starting(crate::session::startup::ChannelStartup),
    /// Subsystem started; FXP_INIT queued under this SFTP id.
    Started(u32),
}

/// How an `sftp_init` ended: started, or failed with the state to undo.
pub(crate) enum InitEnd {
    /// The instance with this id is ready.
    Started(u32),
    /// The init failed with this error, having got as far as this state.
    Failed(InitState, crate::error::Error),
}

/// Every SFTP instance of a session.
#[derive(Debug, Default)]
pub struct SftpTable {
    /// Instances by id.
    pub map: HashMap<u32, Sftp>,
    next_id: u32,
    pub(crate) init: Option<InitState>,
}

impl SftpTable {
    fn alloc_id(&mut self) -> u32 {
        loop {
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1);
            if !self.map.contains_key(&id) {
                return id;
            }
        }
    }
}

impl Sftp {
    /// A fresh request id not in use by any outstanding or abandoned request.
    pub(crate) fn alloc_req(&mut self) -> u32 {
        loop {
            let id = self.next_req;
            self.next_req = self.next_req.wrapping_add(1);
            if !self.outstanding.contains_key(&id) && !self.zombies.contains(&id) && !self.replies.contains_key(&id) {
                return id;
            }
        }
    }

    /// Forgets a request: a reply already here is dropped, a later one discarded.
    pub(crate) fn abandon(&mut self, id: u32) {
        if self.replies.remove(&id).is_none() && self.outstanding.remove(&id).is_some() {
            self.zombies.insert(id);
        }
    }

    pub(crate) fn handle(&mut self, fh: u32) -> Result<&mut Handle> {
        self.handles.get_mut(&fh).ok_or(Error::new(code::BAD_USE, "Invalid SFTP handle"))
    }
}

/// The write-behind limit a requested size stands for (0: off).
pub fn write_behind_limit(requested: u64) -> u64 {
    match requested {
        0 => 0,
        n if n < WRITE_BEHIND_MIN => WRITE_BEHIND_DEFAULT,
        n => n.min(WRITE_BEHIND_MAX),
    }
}

/// Parses `LIBSSH2_SFTP_WRITE_BEHIND`: a byte count with an optional K, M or G
/// suffix (powers of 1024), or on/off. `None`: unset or not understood (off).
pub fn parse_write_behind(v: &str) -> Option<u64> {
    let v = v.trim();
    match v.to_ascii_lowercase().as_str() {
        "" => return None,
        "on" | "yes" | "true" => return Some(WRITE_BEHIND_DEFAULT),
        "off" | "no" | "false" => return Some(0),
        _ => {}
    }
    let (digits, mult) = match v.as_bytes()[v.len() - 1].to_ascii_uppercase() {
        b'K' => (&v[..v.len() - 1], 1u64 << 10),
        b'M' => (&v[..v.len() - 1], 1 << 20),
        b'G' => (&v[..v.len() - 1], 1 << 30),
        _ => (v, 1),
    };
    let n: u64 = digits.parse().ok()?;
    Some(write_behind_limit(n.saturating_mul(mult)))
}

/// The error every failed server status turns into (the FX code goes to last_error).
pub(crate) fn status_error(msg: &'static str) -> Error {
    Error::new(code::SFTP_PROTOCOL, msg)
}

/// A malformed or unexpected reply.
pub(crate) fn protocol(msg: &'static str) -> Error {
    Error::new(code::SFTP_PROTOCOL, msg)
}
