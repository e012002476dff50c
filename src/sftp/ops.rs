//! One-request operations: open, close, stat family, rename, remove, mkdir,
//! rmdir, links, statvfs, fsync. Each sends its request once (the request id
//! waits in `pending` across EAGAIN) and maps the reply as libssh2 1.11.1 does.

use super::wire::{self, ATTR_PERMISSIONS, S_IFDIR, S_IFREG};
use super::READ_AHEAD_INITIAL;
use super::{
    fx, fxp, protocol, status_error, Attributes, Handle, LinkKind, OpKey, OpenKind, ReqKind, StatKind, StatVfs,
};
use crate::error::{Error, Result};
use crate::proto::wire::Writer;
use crate::session::driver::{drive, ends, Pending, Ready, Step};
use crate::session::Session;

/// posix-rename@openssh.com request name.
const POSIX_RENAME: &[u8] = b"posix-rename@openssh.com";
/// statvfs@openssh.com request name.
const STATVFS: &[u8] = b"statvfs@openssh.com";
/// fstatvfs@openssh.com request name.
const FSTATVFS: &[u8] = b"fstatvfs@openssh.com";
/// fsync@openssh.com request name.
const FSYNC: &[u8] = b"fsync@openssh.com";

fn expect(p: &[u8], types: &[u8]) -> Result<u8> {
    match p.first() {
        Some(t) if types.contains(t) => Ok(*t),
        _ => Err(protocol("Unexpected SFTP reply type")),
    }
}

impl Session {
    /// Runs a one-request operation: sends it once, returns its reply.
    pub(crate) fn sftp_call(
        &mut self,
        sid: u32,
        key: OpKey,
        kind: u8,
        rk: ReqKind,
        body: &dyn Fn(&mut Writer),
    ) -> Result<Vec<u8>> {
        drive(self, |s| {
            let r = s.sftp_call_step(sid, key, kind, rk, body);
            // A failed call is over: its request is forgotten (its reply dropped).
            if r.is_err() {
                if let Some(st) = s.sftp.map.get_mut(&sid) {
                    if let Some(id) = st.pending.remove(&key) {
                        st.abandon(id);
                    }
                }
            }
            r
        })
    }

    /// One step of [`Session::sftp_call`].
    fn sftp_call_step(
        &mut self,
        sid: u32,
        key: OpKey,
        kind: u8,
        rk: ReqKind,
        body: &dyn Fn(&mut Writer),
    ) -> Result<Step<Vec<u8>>> {
        let st = self.sftp_st(sid)?;
        let id = match st.pending.get(&key) {
            Some(&id) => id,
            None => {
                st.last_error = fx::OK;
                let id = st.queue(kind, rk, 64, body);
                st.pending.insert(key, id);
                id
            }
        };
        self.sftp_send(sid)?;
        match self.sftp_reply(sid, id)? {
            Some(p) => {
                self.sftp_st(sid)?.pending.remove(&key);
                Ok(Ready(p))
            }
            None => Ok(Pending),
        }
    }

    /// Maps a STATUS reply: OK is success, anything else sets last_error.
    fn sftp_status(&mut self, sid: u32, p: &[u8], msg: &'static str) -> Result<()> {
        let c = wire::status_code(p)?;
        if c == fx::OK {
            return Ok(());
        }
        self.sftp_st(sid)?.last_error = c;
        Err(status_error(msg))
    }

    fn sftp_handle_str(&mut self, sid: u32, fh: u32) -> Result<Vec<u8>> {
        Ok(self.sftp_st(sid)?.handle(fh)?.handle.clone())
    }

    /// Opens a file or directory (libssh2_sftp_open_ex_r); returns a handle id.
    /// `attrs` replaces the default (permissions only); its permissions become
    /// `mode` with the file type, as libssh2 does.
    pub fn sftp_open(
        &mut self,
        sid: u32,
        path: &[u8],
        flags: u32,
        mode: i64,
        kind: OpenKind,
        attrs: Option<&Attributes>,
    ) -> Result<u32> {
        let mut a = attrs.copied().unwrap_or(Attributes { flags: ATTR_PERMISSIONS, ..Default::default() });
        a.permissions = (mode as u32) | S_IFREG;
        let (t, file) = match kind {
            OpenKind::File => (fxp::OPEN, true),
            OpenKind::Dir => (fxp::OPENDIR, false),
        };
        let p = self.sftp_call(sid, OpKey::Open, t, ReqKind::Other, &|w| {
            w.string(path);
            if file {
                w.u32(flags);
                a.encode(w);
            }
        })?;
        if expect(&p, &[fxp::HANDLE, fxp::STATUS])? == fxp::STATUS {
            let c = wire::status_code(&p)?;
            self.sftp_st(sid)?.last_error = c;
            return Err(status_error("Failed opening remote file"));
        }
        let handle = wire::handle_of(&p)?;
        let st = self.sftp_st(sid)?;
        let fh = loop {
            let id = st.next_handle;
            st.next_handle = st.next_handle.wrapping_add(1);
            if !st.handles.contains_key(&id) {
                break id;
            }
        };
        st.handles.insert(fh, Handle { handle, ahead: READ_AHEAD_INITIAL, ..Default::default() });
        Ok(fh)
    }

    /// Closes a handle (libssh2_sftp_close_handle). The handle is gone afterwards
    /// whatever the outcome, except on EAGAIN.
    pub fn sftp_close(&mut self, sid: u32, fh: u32) -> Result<()> {
        let handle = self.sftp_handle_str(sid, fh)?;
        // Write-behind: not closed before every byte was acknowledged; a failed
        // write is what close returns, once the server's handle is closed too.
        let written = self.sftp_wb_flush(sid, fh);
        if !ends(&written) {
            return written;
        }
        let written_fx = self.sftp_last_error(sid);
        self.sftp_drop_pipeline(sid, fh)?;
        let r = self.sftp_call(sid, OpKey::Close(fh), fxp::CLOSE, ReqKind::Other, &|w| {
            w.string(&handle);
        });
        if !ends(&r) {
            return r.map(|_| ());
        }
        if let Some(st) = self.sftp.map.get_mut(&sid) {
            st.handles.remove(&fh);
            // Requests of this handle another call left behind die with it.
            for key in [OpKey::Fstat(fh), OpKey::Fsync(fh), OpKey::Fstatvfs(fh), OpKey::Readdir(fh)] {
                if let Some(id) = st.pending.remove(&key) {
                    st.abandon(id);
                }
            }
        }
        let p = r?;
        let closed = self.sftp_status(sid, &p, "SFTP Protocol Error");
        if written.is_err() {
            // The failed write's FX code, not the CLOSE's status, is the one reported.
            if let Some(st) = self.sftp.map.get_mut(&sid) {
                st.last_error = written_fx;
            }
        }
        written.and(closed)
    }

    /// Reads a handle's attributes (FSTAT). `None`: the server answered a bare OK.
    pub fn sftp_fstat(&mut self, sid: u32, fh: u32) -> Result<Option<Attributes>> {
        let handle = self.sftp_handle_str(sid, fh)?;
        let p = self.sftp_call(sid, OpKey::Fstat(fh), fxp::FSTAT, ReqKind::Other, &|w| {
            w.string(&handle);
        })?;
        self.sftp_attrs_reply(sid, &p)
    }

    /// Sets a handle's attributes (FSETSTAT).
    pub fn sftp_fsetstat(&mut self, sid: u32, fh: u32, attrs: &Attributes) -> Result<()> {
        let handle = self.sftp_handle_str(sid, fh)?;
        let p = self.sftp_call(sid, OpKey::Fstat(fh), fxp::FSETSTAT, ReqKind::Other, &|w| {
            w.string(&handle);
            attrs.encode(w);
        })?;
        self.sftp_attrs_reply(sid, &p).map(|_| ())
    }

    fn sftp_attrs_reply(&mut self, sid: u32, p: &[u8]) -> Result<Option<Attributes>> {
        if expect(p, &[fxp::ATTRS, fxp::STATUS])? == fxp::STATUS {
            return self.sftp_status(sid, p, "SFTP Protocol Error").map(|_| None);
        }
        let mut r = wire::reader(p);
        r.bytes(5)?;
        Attributes::decode(&mut r).map(Some).map_err(|_| protocol("Attributes too short in SFTP fstat"))
    }

    /// STAT or LSTAT of a path. `None`: the server answered a bare OK.
    pub fn sftp_stat(&mut self, sid: u32, path: &[u8], kind: StatKind) -> Result<Option<Attributes>> {
        let t = if kind == StatKind::Lstat { fxp::LSTAT } else { fxp::STAT };
        let p = self.sftp_call(sid, OpKey::Stat, t, ReqKind::Other, &|w| {
            w.string(path);
        })?;
        self.sftp_attrs_reply(sid, &p)
    }

    /// SETSTAT of a path.
    pub fn sftp_setstat(&mut self, sid: u32, path: &[u8], attrs: &Attributes) -> Result<()> {
        let p = self.sftp_call(sid, OpKey::Stat, fxp::SETSTAT, ReqKind::Other, &|w| {
            w.string(path);
            attrs.encode(w);
        })?;
        self.sftp_attrs_reply(sid, &p).map(|_| ())
    }

    /// Removes a file (SSH_FXP_REMOVE).
    pub fn sftp_unlink(&mut self, sid: u32, path: &[u8]) -> Result<()> {
        let p = self.sftp_call(sid, OpKey::Unlink, fxp::REMOVE, ReqKind::Other, &|w| {
            w.string(path);
        })?;
        expect(&p, &[fxp::STATUS])?;
        self.sftp_status(sid, &p, "SFTP Protocol Error")
    }

    /// Removes a directory.
    pub fn sftp_rmdir(&mut self, sid: u32, path: &[u8]) -> Result<()> {
        let p = self.sftp_call(sid, OpKey::Rmdir, fxp::RMDIR, ReqKind::Other, &|w| {
            w.string(path);
        })?;
        expect(&p, &[fxp::STATUS])?;
        self.sftp_status(sid, &p, "SFTP Protocol Error")
    }

    /// Creates a directory; `mode` -1 (LIBSSH2_SFTP_DEFAULT_MODE) lets the server choose.
    pub fn sftp_mkdir(&mut self, sid: u32, path: &[u8], mode: i64) -> Result<()> {
        let mut a = Attributes::default();
        if mode != -1 {
            a.flags = ATTR_PERMISSIONS;
            a.permissions = (mode as u32) | S_IFDIR;
        }
        let p = self.sftp_call(sid, OpKey::Mkdir, fxp::MKDIR, ReqKind::Other, &|w| {
            w.string(path);
            a.encode(w);
        })?;
        expect(&p, &[fxp::STATUS])?;
        self.sftp_status(sid, &p, "SFTP Protocol Error")
    }

    /// SSH_FXP_RENAME. Version 3 has no flags field, so `flags` is not sent
    /// (libssh2 sends it from version 5 only).
    pub fn sftp_rename(&mut self, sid: u32, src: &[u8], dst: &[u8], flags: i64) -> Result<()> {
        let version = self.sftp_st(sid)?.version;
        if version < 2 {
            return Err(protocol("Server does not support RENAME"));
        }
        let p = self.sftp_call(sid, OpKey::Rename, fxp::RENAME, ReqKind::Other, &|w| {
            w.string(src).string(dst);
            if version >= 5 {
                w.u32(flags as u32);
            }
        })?;
        expect(&p, &[fxp::STATUS])?;
        let c = wire::status_code(&p)?;
        self.sftp_st(sid)?.last_error = c;
        match c {
            fx::OK => Ok(()),
            fx::FILE_ALREADY_EXISTS => {
                Err(status_error("File already exists and SSH_FXP_RENAME_OVERWRITE not specified"))
            }
            fx::OP_UNSUPPORTED => Err(status_error("Operation Not Supported")),
            _ => Err(status_error("SFTP Protocol Error")),
        }
    }

    /// posix-rename@openssh.com. Like libssh2, a server without version 1 of the
    /// extension yields the positive code LIBSSH2_FX_OP_UNSUPPORTED (8).
    pub fn sftp_posix_rename(&mut self, sid: u32, src: &[u8], dst: &[u8]) -> Result<()> {
        if self.sftp_st(sid)?.ext.posix_rename != 1 {
            return Err(Error::new(fx::OP_UNSUPPORTED as i32, "Server does not supportposix-rename@openssh.com"));
        }
        let p = self.sftp_call(sid, OpKey::PosixRename, fxp::EXTENDED, ReqKind::Other, &|w| {
            w.string(POSIX_RENAME).string(src).string(dst);
        })?;
        expect(&p, &[fxp::STATUS])?;
        self.sftp_status(sid, &p, "posix_rename failed")
    }

    /// Creates a symlink: on OpenSSH `path` is the target and `link` the new link.
    pub fn sftp_symlink(&mut self, sid: u32, path: &[u8], link: &[u8]) -> Result<()> {
        if self.sftp_st(sid)?.version < 3 {
            return Err(protocol("Server does not support SYMLINK or READLINK"));
        }
        let p = self.sftp_call(sid, OpKey::Symlink, fxp::SYMLINK, ReqKind::Other, &|w| {
            w.string(path).string(link);
        })?;
        expect(&p, &[fxp::STATUS, fxp::NAME])?;
        self.sftp_status(sid, &p, "SFTP Protocol Error")
    }

    /// READLINK or REALPATH of a path. `None`: the server answered a bare OK.
    pub fn sftp_readlink(&mut self, sid: u32, path: &[u8], kind: LinkKind) -> Result<Option<Vec<u8>>> {
        if kind == LinkKind::Readlink && self.sftp_st(sid)?.version < 3 {
            return Err(protocol("Server does not support SYMLINK or READLINK"));
        }
        let t = if kind == LinkKind::Realpath { fxp::REALPATH } else { fxp::READLINK };
        let p = self.sftp_call(sid, OpKey::Symlink, t, ReqKind::Other, &|w| {
            w.string(path);
        })?;
        if expect(&p, &[fxp::NAME, fxp::STATUS])? == fxp::STATUS {
            return self.sftp_status(sid, &p, "SFTP Protocol Error").map(|_| None);
        }
        let mut r = wire::reader(&p);
        r.bytes(5)?;
        if r.u32()? != 1 {
            return Err(protocol("Invalid READLINK/REALPATH response, no name entries"));
        }
        let name = r.string().map_err(|_| protocol("SFTP Protocol Error (filename)"))?;
        Ok(Some(name.to_vec()))
    }

    fn sftp_statvfs_reply(&mut self, sid: u32, p: &[u8]) -> Result<StatVfs> {
        if expect(p, &[fxp::EXTENDED_REPLY, fxp::STATUS])? == fxp::STATUS {
            // libssh2 fails even on a bare OK here: a statvfs without numbers is useless.
            let c = wire::status_code(p)?;
            self.sftp_st(sid)?.last_error = c;
            return Err(status_error("SFTP Protocol Error"));
        }
        StatVfs::decode(p)
    }

    /// statvfs@openssh.com of a path.
    pub fn sftp_statvfs(&mut self, sid: u32, path: &[u8]) -> Result<StatVfs> {
        let p = self.sftp_call(sid, OpKey::Statvfs, fxp::EXTENDED, ReqKind::Other, &|w| {
            w.string(STATVFS).string(path);
        })?;
        self.sftp_statvfs_reply(sid, &p)
    }

    /// fstatvfs@openssh.com of a handle.
    pub fn sftp_fstatvfs(&mut self, sid: u32, fh: u32) -> Result<StatVfs> {
        let handle = self.sftp_handle_str(sid, fh)?;
        let p = self.sftp_call(sid, OpKey::Fstatvfs(fh), fxp::EXTENDED, ReqKind::Other, &|w| {
            w.string(FSTATVFS).string(&handle);
        })?;
        self.sftp_statvfs_reply(sid, &p)
    }

    /// fsync@openssh.com: asks the server to commit the file to disk.
    pub fn sftp_fsync(&mut self, sid: u32, fh: u32) -> Result<()> {
        let handle = self.sftp_handle_str(sid, fh)?;
        self.sftp_wb_flush(sid, fh)?;
        let p = self.sftp_call(sid, OpKey::Fsync(fh), fxp::EXTENDED, ReqKind::Other, &|w| {
            w.string(FSYNC).string(&handle);
        })?;
        expect(&p, &[fxp::STATUS])?;
        self.sftp_status(sid, &p, "fsync failed")
    }
}
