//! SFTP packet encoding and decoding: attributes, statvfs replies, status and
//! handle replies. Every decoder uses the bounded `Reader` with the
//! SFTP_PROTOCOL error code, so a truncated reply is an error, never a panic.

use super::{fxp, protocol, HANDLE_MAX};
use crate::error::{code, Result};
use crate::proto::wire::{Reader, Writer};

/// SSH_FILEXFER_ATTR_SIZE.
pub const ATTR_SIZE: u32 = 0x0000_0001;
/// SSH_FILEXFER_ATTR_UIDGID.
pub const ATTR_UIDGID: u32 = 0x0000_0002;
/// SSH_FILEXFER_ATTR_PERMISSIONS.
pub const ATTR_PERMISSIONS: u32 = 0x0000_0004;
/// SSH_FILEXFER_ATTR_ACMODTIME.
pub const ATTR_ACMODTIME: u32 = 0x0000_0008;
/// SSH_FILEXFER_ATTR_EXTENDED.
pub const ATTR_EXTENDED: u32 = 0x8000_0000;
/// The attribute bits we send (libssh2 masks the rest away).
pub const ATTR_SEND_MASK: u32 = ATTR_SIZE | ATTR_UIDGID | ATTR_PERMISSIONS | ATTR_ACMODTIME;
/// S_IFREG, the file type libssh2 adds to an OPEN's permissions.
pub const S_IFREG: u32 = 0o100000;
/// S_IFDIR, the file type libssh2 adds to MKDIR's permissions.
pub const S_IFDIR: u32 = 0o040000;
/// statvfs@openssh.com flag: read-only file system.
pub const STATVFS_RDONLY: u64 = 0x1;
/// statvfs@openssh.com flag: setuid ignored.
pub const STATVFS_NOSUID: u64 = 0x2;
/// Bytes of a statvfs EXTENDED_REPLY: type, id and 11 uint64 (libssh2 needs 93).
pub const STATVFS_REPLY_LEN: usize = 1 + 4 + 11 * 8;

/// File attributes (SFTP v3 ATTRS). A field is meaningful only when its bit
/// is in `flags`; decoded absent fields are 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attributes {
    /// SSH_FILEXFER_ATTR_* bits as the server sent them (including EXTENDED).
    pub flags: u32,
    /// File size.
    pub size: u64,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Mode bits with file type.
    pub permissions: u32,
    /// Access time (seconds since the epoch).
    pub atime: u32,
    /// Modification time.
    pub mtime: u32,
}

impl Attributes {
    /// Appends the attribute block (only the four v3 bits are sent).
    pub fn encode(&self, w: &mut Writer) {
        let flags = self.flags & ATTR_SEND_MASK;
        w.u32(flags);
        if flags & ATTR_SIZE != 0 {
            w.u64(self.size);
        }
        if flags & ATTR_UIDGID != 0 {
            w.u32(self.uid).u32(self.gid);
        }
        if flags & ATTR_PERMISSIONS != 0 {
            w.u32(self.permissions);
        }
        if flags & ATTR_ACMODTIME != 0 {
            w.u32(self.atime).u32(self.mtime);
        }
    }

    /// Reads an attribute block, skipping extended pairs.
    pub fn decode(r: &mut Reader) -> Result<Attributes> {
        let flags = r.u32()?;
        let mut a = Attributes { flags, ..Default::default() };
        if flags & ATTR_SIZE != 0 {
            a.size = r.u64()?;
        }
        if flags & ATTR_UIDGID != 0 {
            a.uid = r.u32()?;
            a.gid = r.u32()?;
        }
        if flags & ATTR_PERMISSIONS != 0 {
            a.permissions = r.u32()?;
        }
        if flags & ATTR_ACMODTIME != 0 {
            a.atime = r.u32()?;
            a.mtime = r.u32()?;
        }
        if flags & ATTR_EXTENDED != 0 {
            // Each pair takes at least 8 bytes, so a huge count fails at the packet end.
            let count = r.u32()?;
            for _ in 0..count {
                r.string()?;
                r.string()?;
            }
        }
        Ok(a)
    }
}

/// File system statistics (statvfs@openssh.com).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatVfs {
    /// Block size.
    pub bsize: u64,
    /// Fragment size.
    pub frsize: u64,
    /// Size in `frsize` units.
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Free blocks for unprivileged users.
    pub bavail: u64,
    /// Inodes.
    pub files: u64,
    /// Free inodes.
    pub ffree: u64,
    /// Free inodes for unprivileged users.
    pub favail: u64,
    /// File system id.
    pub fsid: u64,
    /// LIBSSH2_SFTP_ST_* bits (only RDONLY and NOSUID are kept, as libssh2 does).
    pub flag: u64,
    /// Longest file name.
    pub namemax: u64,
}

impl StatVfs {
    /// Decodes an EXTENDED_REPLY packet (type byte first).
    pub fn decode(p: &[u8]) -> Result<StatVfs> {
        if p.len() < STATVFS_REPLY_LEN {
            return Err(protocol("SFTP Protocol Error: short response"));
        }
        let mut r = reader(p);
        r.bytes(5)?;
        let mut v = [0u64; 11];
        for x in v.iter_mut() {
            *x = r.u64()?;
        }
        let raw = v[9];
        let mut flag = 0;
        if raw & STATVFS_RDONLY != 0 {
            flag |= STATVFS_RDONLY;
        }
        if raw & STATVFS_NOSUID != 0 {
            flag |= STATVFS_NOSUID;
        }
        Ok(StatVfs {
            bsize: v[0],
            frsize: v[1],
            blocks: v[2],
            bfree: v[3],
            bavail: v[4],
            files: v[5],
            ffree: v[6],
            favail: v[7],
            fsid: v[8],
            flag,
            namemax: v[10],
        })
    }
}

/// A reader over a packet whose truncation errors are SFTP_PROTOCOL.
pub fn reader(p: &[u8]) -> Reader<'_> {
    Reader::with_code(p, code::SFTP_PROTOCOL)
}

/// Starts an SFTP packet in `w`: length placeholder, type, request id.
/// Returns the position of the length field for `finish_packet`.
pub fn begin_packet(w: &mut Writer, kind: u8, id: u32) -> usize {
    let at = w.buf.len();
    w.u32(0).u8(kind).u32(id);
    at
}

/// Fills in the length of the packet begun at `at`.
pub fn finish_packet(w: &mut Writer, at: usize) {
    let len = (w.buf.len() - at - 4) as u32;
    w.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

/// The status code of a STATUS reply (type, id, code: at least 9 bytes).
pub fn status_code(p: &[u8]) -> Result<u32> {
    let mut r = reader(p);
    if r.u8()? != fxp::STATUS || p.len() < 9 {
        return Err(protocol("Too small FXP_STATUS"));
    }
    r.u32()?;
    r.u32()
}

/// The handle string of a HANDLE reply.
pub fn handle_of(p: &[u8]) -> Result<Vec<u8>> {
    let mut r = reader(p);
    r.bytes(5)?;
    let h = r.string()?;
    if h.is_empty() || h.len() > HANDLE_MAX {
        return Err(protocol("Invalid FXP_HANDLE"));
    }
    Ok(h.to_vec())
}
