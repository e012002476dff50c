//! The OpenSSH known_hosts text format: reading lines and files, writing them.

use std::io::Write as _;
use std::path::Path;

use super::consts::*;
use super::{EntryId, KnownHosts, Marker, NewEntry};
use crate::error::{code, Error, Result};

/// Longest line `readfile` accepts, newline excluded (libssh2 reads lines
/// into a 4092-byte buffer).
pub const MAX_LINE_LEN: usize = 4091;

/// Shortest key field (key type, key and comment together) libssh2 accepts.
const MIN_KEY_FIELD_LEN: usize = 20;

/// Longest single plain host name in a line.
const MAX_NAME_LEN: usize = 254;

/// Longest base64 salt in a `|1|salt|hash` name.
const MAX_SALT_B64_LEN: usize = 30;

/// Longest base64 hash in a `|1|salt|hash` name.
const MAX_HASH_B64_LEN: usize = 254;

/// The prefix of an OpenSSH hashed host name.
const HASH_MAGIC: &[u8] = b"|1|";

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Splits off the first field: (field, rest after the following blanks).
fn split_field(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s.iter().position(|&b| is_blank(b)).unwrap_or(s.len());
    let (field, rest) = s.split_at(end);
    (field, skip_blanks(rest))
}

fn skip_blanks(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_blank(b)).unwrap_or(s.len());
    s.get(start..).unwrap_or_default()
}

fn parse_error(detail: &str) -> Error {
    Error::with(code::METHOD_NOT_SUPPORTED, format!("Failed to parse known_hosts line{detail}"))
}

fn unsupported_store() -> Error {
    Error::new(code::METHOD_NOT_SUPPORTED, "Unsupported type of known-host information store")
}

/// The key part of a line after the host field.
struct KeyField<'a> {
    key_type: i32,
    type_name: Option<&'a [u8]>,
    key: &'a [u8],
    comment: Option<&'a [u8]>,
}

fn parse_key_field(field: &[u8]) -> Result<KeyField<'_>> {
    if field.len() < MIN_KEY_FIELD_LEN {
        return Err(parse_error(" (key too short)"));
    }
    if field.first().is_some_and(u8::is_ascii_digit) {
        // SSH-1 `bits e n`: the whole rest is the key, with no comment.
        return Ok(KeyField { key_type: KEY_RSA1, type_name: None, key: field, comment: None });
    }
    let (type_name, rest) = split_field(field);
    let key_end = rest.iter().position(|&b| is_blank(b)).unwrap_or(rest.len());
    let (key, after) = rest.split_at(key_end);
    // "key" ends the line: no comment; "key " is an empty comment.
    let comment = (!after.is_empty()).then(|| skip_blanks(after));
    Ok(KeyField { key_type: super::key_type_from_name(type_name), type_name: Some(type_name), key, comment })
}

impl KnownHosts {
    /// Reads one known_hosts line (`libssh2_knownhost_readline`).
    ///
    /// The line may end with `\n` (or `\r\n`); anything after the first
    /// newline or NUL is ignored. Comment and blank lines add nothing.
    /// Errors: METHOD_NOT_SUPPORTED for another `file_type` or a malformed
    /// line, INVAL for bad base64 in a hashed name.
    pub fn readline(&mut self, line: &[u8], file_type: i32) -> Result<()> {
        if file_type != FILE_OPENSSH {
            return Err(unsupported_store());
        }
        let line = super::c_str(line);
        let line = line.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = skip_blanks(line);
        if line.is_empty() || line.first() == Some(&b'#') {
            return Ok(());
        }
        let (first, rest) = split_field(line);
        let (marker, host, rest) = match first {
            b"@cert-authority" | b"@revoked" => {
                let marker = if first == b"@revoked" { Marker::Revoked } else { Marker::CertAuthority };
                let (host, rest) = split_field(rest);
                (marker, host, rest)
            }
            _ => (Marker::None, first, rest),
        };
        if host.is_empty() || rest.is_empty() {
            return Err(parse_error(""));
        }
        let kf = parse_key_field(rest)?;
        let group = self.fresh_group();
        let base = |host, salt, typemask| NewEntry {
            host,
            salt,
            key: kf.key,
            unknown_type_name: kf.type_name,
            comment: kf.comment,
            typemask: typemask | kf.key_type | KEYENC_BASE64,
            marker,
            group,
        };

        if let Some(hashed) = host.strip_prefix(HASH_MAGIC) {
            let Some(sep) = hashed.iter().position(|&b| b == b'|') else {
                // libssh2 skips a `|1|` name without a hash part silently.
                return Ok(());
            };
            let (salt, hash) = hashed.split_at(sep);
            let hash = hash.get(1..).unwrap_or_default();
            if salt.len() > MAX_SALT_B64_LEN {
                return Err(parse_error(" (unexpectedly long salt)"));
            }
            if hash.len() > MAX_HASH_B64_LEN {
                return Err(parse_error(" (unexpected length)"));
            }
            self.add_entry(base(hash, Some(salt), TYPE_SHA1))?;
            return Ok(());
        }

        // libssh2 stores `a,b` as separate entries, last name first.
        let names: Vec<&[u8]> = host.split(|&b| b == b',').filter(|n| !n.is_empty()).collect();
        if names.is_empty() {
            return Err(parse_error(" (no hostnames)"));
        }
        if names.iter().any(|n| n.len() > MAX_NAME_LEN) {
            return Err(parse_error(" (unexpected length)"));
        }
        for name in names.into_iter().rev() {
            self.add_entry(base(name, None, TYPE_PLAIN))?;
        }
        Ok(())
    }

    /// Reads known_hosts text (the body of `readfile`, sans I/O).
    ///
    /// Returns the number of lines read, comment and blank lines included
    /// (libssh2's count). On a bad line, entries from earlier lines stay and
    /// the error is KNOWN_HOSTS.
    pub fn read_bytes(&mut self, data: &[u8]) -> Result<usize> {
        let mut count = 0;
        let mut rest = data;
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
            let (line, tail) = rest.split_at(end);
            rest = tail;
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            let line_no = count + 1;
            if body.len() > MAX_LINE_LEN {
                return Err(Error::with(
                    code::KNOWN_HOSTS,
                    format!("Failed to parse known hosts file (line {line_no} too long)"),
                ));
            }
            self.readline(line, FILE_OPENSSH).map_err(|e| {
                Error::with(code::KNOWN_HOSTS, format!("Failed to parse known hosts file (line {line_no}: {})", e.msg))
            })?;
            count += 1;
        }
        Ok(count)
    }

    /// Reads a known_hosts file (`libssh2_knownhost_readfile`).
    ///
    /// Errors: METHOD_NOT_SUPPORTED for another `file_type`, FILE when the
    /// file cannot be read, KNOWN_HOSTS for a bad line.
    pub fn readfile(&mut self, path: &Path, file_type: i32) -> Result<usize> {
        if file_type != FILE_OPENSSH {
            return Err(unsupported_store());
        }
        use std::io::Read as _;
        let mut f = std::fs::File::open(path).map_err(|_| Error::new(code::FILE, "Failed to open file"))?;
        // libssh2 reads lines until a read fails: a directory opens and reads as no lines.
        let mut data = Vec::new();
        let _ = f.read_to_end(&mut data);
        self.read_bytes(&data)
    }

    /// The line for one entry, `\n` included (`libssh2_knownhost_writeline`).
    ///
    /// The C caller's buffer must hold the line plus a NUL (else
    /// BUFFER_TOO_SMALL, with `outlen` set to the line length). Errors:
    /// INVAL for an unknown id, METHOD_NOT_SUPPORTED for another
    /// `file_type` or an entry whose key type has no name.
    pub fn writeline(&self, id: EntryId, file_type: i32) -> Result<Vec<u8>> {
        if file_type != FILE_OPENSSH {
            return Err(unsupported_store());
        }
        let entry = self.entry(id).ok_or(Error::new(code::INVAL, "Invalid host information"))?;
        entry.to_line()
    }

    /// The whole collection as known_hosts text (the body of `writefile`).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for e in &self.entries {
            out.extend_from_slice(&e.to_line()?);
        }
        Ok(out)
    }

    /// Writes all entries to a file (`libssh2_knownhost_writefile`).
    ///
    /// Like libssh2, the file is truncated first and lines before a failing
    /// entry stay written. Errors: METHOD_NOT_SUPPORTED (file type or an
    /// unwritable entry), FILE (open or write failure).
    pub fn writefile(&self, path: &Path, file_type: i32) -> Result<()> {
        if file_type != FILE_OPENSSH {
            return Err(unsupported_store());
        }
        let mut file = std::fs::File::create(path).map_err(|_| Error::new(code::FILE, "Failed to open file"))?;
        for e in &self.entries {
            let line = e.to_line()?;
            file.write_all(&line).map_err(|_| Error::new(code::FILE, "Write failed"))?;
        }
        file.flush().map_err(|_| Error::new(code::FILE, "Write failed"))
    }
}

impl super::Entry {
    /// This entry as one OpenSSH known_hosts line, `\n` included.
    pub fn to_line(&self) -> Result<Vec<u8>> {
        let key_bits = self.typemask & KEY_MASK;
        let type_name = match key_bits {
            KEY_RSA1 => None,
            _ => Some(
                self.key_type_name()
                    .ok_or(Error::new(code::METHOD_NOT_SUPPORTED, "Unsupported type of known-host entry"))?,
            ),
        };
        let mut out = Vec::with_capacity(self.name.len() + self.key.len() + 64);
        if let Some(m) = self.marker.text() {
            out.extend_from_slice(m);
            out.push(b' ');
        }
        if self.typemask & TYPE_MASK == TYPE_SHA1 {
            out.extend_from_slice(HASH_MAGIC);
            out.extend_from_slice(&super::b64_encode(&self.salt));
            out.push(b'|');
            out.extend_from_slice(&super::b64_encode(&self.name));
        } else {
            out.extend_from_slice(&self.name);
        }
        out.push(b' ');
        if let Some(t) = type_name {
            out.extend_from_slice(t);
            out.push(b' ');
        }
        out.extend_from_slice(&self.key);
        if let Some(c) = &self.comment {
            out.push(b' ');
            out.extend_from_slice(c);
        }
        out.push(b'\n');
        Ok(out)
    }
}
