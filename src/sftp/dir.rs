//! Directory listing: one READDIR at a time; its NAME reply is validated as a
//! whole (count bounded by the packet, every entry parsed) and its entries
//! handed out one per call.

use std::collections::VecDeque;

use super::{fx, fxp, protocol, status_error, wire, Attributes, NameEntry, OpKey, ReqKind};
use crate::error::Result;
use crate::session::Session;

/// Smallest encoding of one NAME entry: two empty strings and empty attributes.
const MIN_NAME_ENTRY: usize = 12;

/// Parses a NAME packet into entry ranges.
pub(crate) fn parse_names(p: &[u8]) -> Result<VecDeque<NameEntry>> {
    let mut r = wire::reader(p);
    r.bytes(5)?;
    let count = r.u32()? as usize;
    if count > r.remaining() / MIN_NAME_ENTRY {
        return Err(protocol("FXP_NAME count does not fit the packet"));
    }
    let mut out = VecDeque::with_capacity(count);
    for _ in 0..count {
        let at = p.len() - r.remaining() + 4;
        let name = r.string()?;
        let name = (at, at + name.len());
        let at = p.len() - r.remaining() + 4;
        let long = r.string()?;
        let long = (at, at + long.len());
        let attrs = Attributes::decode(&mut r)?;
        out.push_back(NameEntry { name, long, attrs });
    }
    Ok(out)
}

impl Session {
    /// Hands the next directory entry to `f(name, longname, attrs)` and returns
    /// its result; `Ok(None)` at the end of the directory. When `f` fails the
    /// entry stays for the next call (libssh2's BUFFER_TOO_SMALL contract).
    pub fn sftp_readdir<T>(
        &mut self,
        sid: u32,
        fh: u32,
        mut f: impl FnMut(&[u8], &[u8], &Attributes) -> Result<T>,
    ) -> Result<Option<T>> {
        if let Some(v) = self.sftp_next_name(sid, fh, &mut f)? {
            return Ok(Some(v));
        }
        let handle = self.sftp_st(sid)?.handle(fh)?.handle.clone();
        let p = self.sftp_call(sid, OpKey::Readdir(fh), fxp::READDIR, ReqKind::Readdir, &|w| {
            w.string(&handle);
        })?;
        match p.first() {
            Some(&fxp::STATUS) => {
                let c = wire::status_code(&p)?;
                if c == fx::EOF {
                    return Ok(None);
                }
                self.sftp_st(sid)?.last_error = c;
                Err(status_error("SFTP Protocol Error"))
            }
            Some(&fxp::NAME) => {
                let entries = parse_names(&p)?;
                if entries.is_empty() {
                    return Ok(None);
                }
                self.sftp_st(sid)?.handle(fh)?.names = Some((p, entries));
                self.sftp_next_name(sid, fh, &mut f)
            }
            _ => Err(protocol("Unexpected SFTP reply type")),
        }
    }

    fn sftp_next_name<T>(
        &mut self,
        sid: u32,
        fh: u32,
        f: &mut impl FnMut(&[u8], &[u8], &Attributes) -> Result<T>,
    ) -> Result<Option<T>> {
        let h = self.sftp_st(sid)?.handle(fh)?;
        let Some((pkt, entries)) = h.names.as_mut() else { return Ok(None) };
        let Some(e) = entries.front() else {
            h.names = None;
            return Ok(None);
        };
        let name = pkt.get(e.name.0..e.name.1).unwrap_or_default();
        let long = pkt.get(e.long.0..e.long.1).unwrap_or_default();
        let v = f(name, long, &e.attrs)?;
        entries.pop_front();
        if entries.is_empty() {
            h.names = None;
        }
        Ok(Some(v))
    }
}
