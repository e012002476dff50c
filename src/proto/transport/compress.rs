//! zlib compression (RFC 4253 6.2): one deflate stream per direction for the
//! life of the keys, each packet's payload ended with a sync flush so the
//! peer can inflate it on its own.

use super::spec::MAX_INFLATED_PAYLOAD;
use crate::error::{code, Error, Result};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// Output space added per deflate/inflate call when the buffer is full.
const GROW_STEP: usize = 8 * 1024;

fn zerr(msg: &'static str) -> Error {
    Error::new(code::ZLIB, msg)
}

/// Outgoing zlib stream.
pub struct Compressor {
    z: Compress,
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

impl Compressor {
    /// Starts a zlib (RFC 1950) stream at the default level, as libssh2 and OpenSSH do.
    pub fn new() -> Self {
        Compressor { z: Compress::new(Compression::default(), true) }
    }

    /// Compresses `payload` and appends it, sync-flushed, to `out`.
    pub fn compress(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let mut done = 0usize;
        loop {
            // Room for incompressible input plus the flush marker.
            if out.capacity() - out.len() < 64 {
                out.reserve((payload.len() - done).min(GROW_STEP * 4) + GROW_STEP);
            }
            let before = self.z.total_in();
            let rest = payload.get(done..).unwrap_or_default();
            self.z
                .compress_vec(rest, out, FlushCompress::Sync)
                .map_err(|_| Error::new(code::COMPRESS, "deflate failed"))?;
            done += (self.z.total_in() - before) as usize;
            // The flush is complete once deflate returns with output space left over.
            if done >= payload.len() && out.len() < out.capacity() {
                return Ok(());
            }
        }
    }
}

/// Incoming zlib stream, bounded by [`MAX_INFLATED_PAYLOAD`] per packet.
pub struct Decompressor {
    z: Decompress,
}

impl Default for Decompressor {
    fn default() -> Self {
        Self::new()
    }
}

impl Decompressor {
    /// Starts a zlib (RFC 1950) inflate stream.
    pub fn new() -> Self {
        Decompressor { z: Decompress::new(true) }
    }

    /// Inflates one packet's `payload` and appends it to `out`. More than
    /// [`MAX_INFLATED_PAYLOAD`] bytes of output is a zlib bomb: `code::ZLIB`
    /// (and `out` is left as it was).
    pub fn decompress(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        let r = self.inflate(payload, out, start);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn inflate(&mut self, payload: &[u8], out: &mut Vec<u8>, start: usize) -> Result<()> {
        // One byte past the limit is room enough to see that the limit is crossed.
        let limit_end = start + MAX_INFLATED_PAYLOAD + 1;
        let mut done = 0usize;
        loop {
            if out.len() >= limit_end {
                return Err(zerr("decompressed payload exceeds the limit"));
            }
            if out.len() == out.capacity() {
                out.reserve(GROW_STEP.max(payload.len() * 4).min(limit_end - out.len()));
            }
            let window_end = out.capacity().min(limit_end);
            let (in_before, out_before) = (self.z.total_in(), self.z.total_out());
            let rest = payload.get(done..).unwrap_or_default();
            let status = decompress_bounded(&mut self.z, rest, out, window_end).map_err(|_| zerr("inflate failed"))?;
            done += (self.z.total_in() - in_before) as usize;
            if out.len() >= limit_end {
                return Err(zerr("decompressed payload exceeds the limit"));
            }
            // Inflate stopped for lack of input, not of output space: the packet is done.
            if status == Status::StreamEnd || (done >= payload.len() && out.len() < window_end) {
                return Ok(());
            }
            let progressed = self.z.total_in() != in_before || self.z.total_out() != out_before;
            if !progressed && out.len() < window_end {
                return Err(zerr("inflate made no progress"));
            }
        }
    }
}

/// Inflates into `out` without letting it grow past `limit` bytes in length.
fn decompress_bounded(
    z: &mut Decompress,
    input: &[u8],
    out: &mut Vec<u8>,
    limit: usize,
) -> std::result::Result<Status, flate2::DecompressError> {
    if out.capacity() <= limit {
        return z.decompress_vec(input, out, FlushDecompress::Sync);
    }
    // `decompress_vec` fills the whole spare capacity; use a bounded slice instead.
    let len = out.len();
    out.resize(limit, 0);
    let before = z.total_out();
    let r = z.decompress(input, out.get_mut(len..).unwrap_or_default(), FlushDecompress::Sync);
    let produced = (z.total_out() - before) as usize;
    out.truncate(len + produced);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_state_carries_across_packets() {
        let mut c = Compressor::new();
        let mut d = Decompressor::new();
        let msgs: Vec<Vec<u8>> = vec![
            b"hello hello hello hello".to_vec(),
            Vec::new(),
            (0..5000u32).map(|i| (i % 7) as u8).collect(),
            b"hello hello hello hello".to_vec(),
            (0..30000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect(),
        ];
        let mut sizes = Vec::new();
        for m in &msgs {
            let mut z = Vec::new();
            c.compress(m, &mut z).unwrap();
            sizes.push(z.len());
            let mut back = vec![0xAA];
            d.decompress(&z, &mut back).unwrap();
            assert_eq!(back[0], 0xAA, "appends, keeps existing bytes");
            assert_eq!(&back[1..], &m[..]);
        }
        // The repeated message compresses to a back-reference into the shared
        // history: smaller the second time only because the stream carried over.
        assert!(sizes[3] < sizes[0], "{sizes:?}");
        // A fresh inflater cannot decode a later packet of the stream.
        let mut z = Vec::new();
        c.compress(b"more", &mut z).unwrap();
        assert!(Decompressor::new().decompress(&z, &mut Vec::new()).is_err());
    }

    #[test]
    fn limit_is_exact() {
        for (n, ok) in [(MAX_INFLATED_PAYLOAD, true), (MAX_INFLATED_PAYLOAD + 1, false)] {
            let mut c = Compressor::new();
            let mut z = Vec::new();
            c.compress(&vec![b'A'; n], &mut z).unwrap();
            let mut out = Vec::with_capacity(1 << 20); // big spare capacity must not defeat the bound
            let r = Decompressor::new().decompress(&z, &mut out);
            assert_eq!(r.is_ok(), ok, "n={n}");
            if ok {
                assert_eq!(out.len(), n);
            } else {
                assert_eq!(r.unwrap_err().code, code::ZLIB);
                assert!(out.is_empty());
            }
        }
    }

    #[test]
    fn zlib_bomb_rejected() {
        // 10 MB of zeros deflates to about 10 KB; inflating it must stop at the limit.
        let mut c = Compressor::new();
        let mut z = Vec::new();
        c.compress(&vec![0u8; 10_000_000], &mut z).unwrap();
        assert!(z.len() < 20_000);
        let mut out = Vec::new();
        let e = Decompressor::new().decompress(&z, &mut out).unwrap_err();
        assert_eq!(e.code, code::ZLIB);
        assert!(out.capacity() <= 2 * MAX_INFLATED_PAYLOAD);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut d = Decompressor::new();
        assert_eq!(d.decompress(&[0xff; 64], &mut Vec::new()).unwrap_err().code, code::ZLIB);
        let mut d = Decompressor::new();
        // A zlib header alone: valid, just nothing yet.
        d.decompress(&[0x78, 0x9c], &mut Vec::new()).unwrap();
    }
}
