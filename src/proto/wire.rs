//! SSH wire encoding (RFC 4251 section 5): a bounded `Reader` that never reads
//! past its slice, and a `Writer` that appends to a `Vec<u8>`.

use crate::error::{code, Error, Result};

/// A cursor over a received message. Every read is bounds-checked; a short
/// message yields an error carrying the code chosen at construction.
#[derive(Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    err: i32,
}

impl<'a> Reader<'a> {
    /// A reader whose truncation errors are `LIBSSH2_ERROR_PROTO`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0, err: code::PROTO }
    }

    /// A reader whose truncation errors carry `err` (e.g. SFTP_PROTOCOL).
    pub fn with_code(buf: &'a [u8], err: i32) -> Self {
        Reader { buf, pos: 0, err }
    }

    fn short(&self) -> Error {
        Error::new(self.err, "Message truncated or malformed")
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The unconsumed tail, without consuming it.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// True when every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Fails unless every byte has been consumed.
    pub fn finish(&self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::new(self.err, "Trailing bytes after message"))
        }
    }

    /// Takes exactly `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.short());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Takes a `byte`.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    /// Takes a `boolean` (any non-zero byte is true).
    pub fn bool(&mut self) -> Result<bool> {
        Ok(self.u8()? != 0)
    }

    /// Takes a `uint32`.
    pub fn u32(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Takes a `uint64`.
    pub fn u64(&mut self) -> Result<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// Takes a `string` (uint32 length + bytes), checked against the bytes left.
    pub fn string(&mut self) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }

    /// Takes a `string` that must be UTF-8 (names, name-lists).
    pub fn str(&mut self) -> Result<&'a str> {
        let s = self.string()?;
        std::str::from_utf8(s).map_err(|_| Error::new(self.err, "Invalid UTF-8 in string"))
    }

    /// Takes an `mpint` and returns its magnitude bytes without leading zeros.
    /// Negative values are rejected: SSH never sends them where we read one.
    pub fn mpint(&mut self) -> Result<&'a [u8]> {
        let s = self.string()?;
        if s.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(Error::new(self.err, "Negative mpint"));
        }
        let start = s.iter().position(|&b| b != 0).unwrap_or(s.len());
        Ok(&s[start..])
    }

    /// A sub-reader over the next `string`, with the same error code.
    pub fn sub(&mut self) -> Result<Reader<'a>> {
        let s = self.string()?;
        Ok(Reader { buf: s, pos: 0, err: self.err })
    }
}

/// Appends SSH wire types to a byte vector.
#[derive(Default, Clone)]
pub struct Writer {
    /// The encoded bytes.
    pub buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Writer { buf: Vec::new() }
    }

    /// A writer whose first byte is the message number `msg`.
    pub fn msg(msg: u8) -> Self {
        let mut w = Writer { buf: Vec::with_capacity(64) };
        w.u8(msg);
        w
    }

    /// Appends a `byte`.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// Appends a `boolean`.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(v as u8)
    }

    /// Appends a `uint32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends a `uint64`.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends raw bytes.
    pub fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// Appends a `string`.
    pub fn string(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.raw(v)
    }

    /// Appends an `mpint` from unsigned big-endian magnitude bytes.
    pub fn mpint(&mut self, v: &[u8]) -> &mut Self {
        let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
        let v = &v[start..];
        let pad = v.first().is_some_and(|b| b & 0x80 != 0);
        self.u32((v.len() + pad as usize) as u32);
        if pad {
            self.u8(0);
        }
        self.raw(v)
    }

    /// Appends a `name-list` from names.
    pub fn name_list<S: AsRef<str>>(&mut self, names: &[S]) -> &mut Self {
        let joined: Vec<&str> = names.iter().map(|s| s.as_ref()).collect();
        self.string(joined.join(",").as_bytes())
    }

    /// Consumes the writer, returning its bytes.
    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bounds() {
        let mut w = Writer::msg(20);
        w.u32(7).string(b"abc").mpint(&[0x00, 0x80, 1]).bool(true).u64(1 << 40);
        let mut r = Reader::new(&w.buf);
        assert_eq!(r.u8().unwrap(), 20);
        assert_eq!(r.u32().unwrap(), 7);
        assert_eq!(r.string().unwrap(), b"abc");
        assert_eq!(r.mpint().unwrap(), &[0x80, 1]);
        assert!(r.bool().unwrap());
        assert_eq!(r.u64().unwrap(), 1 << 40);
        assert!(r.finish().is_ok());
        assert_eq!(r.u8().unwrap_err().code, code::PROTO);
    }

    #[test]
    fn string_length_past_end_is_an_error() {
        let buf = [0xff, 0xff, 0xff, 0xf0, 1, 2];
        let mut r = Reader::with_code(&buf, code::SFTP_PROTOCOL);
        assert_eq!(r.string().unwrap_err().code, code::SFTP_PROTOCOL);
    }

    #[test]
    fn mpint_encoding_matches_rfc4251_examples() {
        let mut w = Writer::new();
        w.mpint(&[]).mpint(&[0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]).mpint(&[0x80]);
        assert_eq!(
            w.buf,
            [0, 0, 0, 0, 0, 0, 0, 8, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7, 0, 0, 0, 2, 0, 0x80]
        );
    }
}
