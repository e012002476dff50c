//! Length-prefixed records (a uint32 length, then that many bytes) cut out of
//! a channel's stream 0 as the data arrives, as SFTP frames its packets.
//!
//! Each record is assembled once, straight from the decrypted channel data,
//! into a buffer of its own that the subsystem then owns: no intermediate
//! byte queue, so a read reply costs one copy here and one into the caller's
//! buffer.

use std::collections::VecDeque;

/// Bytes of the length prefix.
const LEN_PREFIX: usize = 4;

/// Records being cut from a byte stream.
#[derive(Debug)]
pub struct Framer {
    /// Shortest record body accepted.
    min: usize,
    /// Longest record body accepted (bounds the allocation a peer can cause).
    max: usize,
    /// The length prefix of the record in progress, as far as it arrived.
    prefix: [u8; LEN_PREFIX],
    /// Bytes of `prefix` filled.
    prefix_len: usize,
    /// Body of the record in progress (its capacity is the announced length).
    cur: Vec<u8>,
    /// Announced body length of the record in progress, once the prefix is complete.
    want: Option<usize>,
    /// Complete records, oldest first.
    ready: VecDeque<Vec<u8>>,
    /// Set when a length outside `min..=max` arrived: the stream cannot be
    /// resynchronised, so nothing more is taken.
    bad_len: Option<usize>,
}

impl Framer {
    /// A framer accepting record bodies of `min..=max` bytes.
    pub fn new(min: usize, max: usize) -> Self {
        Framer {
            min,
            max,
            prefix: [0; LEN_PREFIX],
            prefix_len: 0,
            cur: Vec::new(),
            want: None,
            ready: VecDeque::new(),
            bad_len: None,
        }
    }

    /// Takes in stream bytes, completing as many records as they hold.
    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() && self.bad_len.is_none() {
            let Some(want) = self.want else {
                let k = (LEN_PREFIX - self.prefix_len).min(data.len());
                let (head, rest) = data.split_at(k);
                if let Some(dst) = self.prefix.get_mut(self.prefix_len..self.prefix_len + k) {
                    dst.copy_from_slice(head);
                }
                self.prefix_len += k;
                data = rest;
                if self.prefix_len == LEN_PREFIX {
                    let len = u32::from_be_bytes(self.prefix) as usize;
                    if len < self.min || len > self.max {
                        self.bad_len = Some(len);
                        return;
                    }
                    self.want = Some(len);
                    self.cur = Vec::with_capacity(len);
                }
                continue;
            };
            let k = (want - self.cur.len()).min(data.len());
            let (head, rest) = data.split_at(k);
            self.cur.extend_from_slice(head);
            data = rest;
            if self.cur.len() == want {
                self.ready.push_back(std::mem::take(&mut self.cur));
                self.want = None;
                self.prefix_len = 0;
            }
        }
    }

    /// The oldest complete record (its body, without the length prefix).
    pub fn pop(&mut self) -> Option<Vec<u8>> {
        self.ready.pop_front()
    }

    /// Whether a complete record is waiting.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The out-of-range length that stopped the framing, if one did.
    pub fn bad_len(&self) -> Option<usize> {
        self.bad_len
    }

    /// The record in progress: its announced length and the body bytes so far.
    pub fn partial(&self) -> Option<(usize, &[u8])> {
        self.want.map(|w| (w, self.cur.as_slice()))
    }

    /// Bytes taken in but not yet handed out (prefixes included).
    pub fn buffered(&self) -> usize {
        let ready: usize = self.ready.iter().map(|r| LEN_PREFIX + r.len()).sum();
        let partial = if self.want.is_some() { LEN_PREFIX + self.cur.len() } else { self.prefix_len };
        ready + partial
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(body: &[u8]) -> Vec<u8> {
        let mut v = (body.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn records_split_anywhere_come_out_whole() {
        let bodies: Vec<Vec<u8>> = (5..40).map(|n| (0..n).map(|i| (i * 7 + n) as u8).collect()).collect();
        let stream: Vec<u8> = bodies.iter().flat_map(|b| record(b)).collect();
        for chunk in [1, 2, 3, 4, 5, 7, 64, stream.len()] {
            let mut f = Framer::new(5, 1000);
            let mut out = Vec::new();
            for c in stream.chunks(chunk) {
                f.feed(c);
                assert!(f.buffered() <= stream.len());
                while let Some(r) = f.pop() {
                    out.push(r);
                }
            }
            assert_eq!(out, bodies, "chunk {chunk}");
            assert_eq!(f.buffered(), 0);
            assert!(f.partial().is_none());
        }
    }

    #[test]
    fn partial_record_is_visible_and_counted() {
        let mut f = Framer::new(5, 100);
        f.feed(&[0, 0, 0, 9, 1, 2]);
        assert_eq!(f.partial(), Some((9, &[1u8, 2][..])));
        assert_eq!(f.buffered(), 6);
        assert!(!f.has_ready());
        f.feed(&[3, 4, 5, 6, 7, 8, 9, 0, 0]);
        assert!(f.has_ready());
        assert_eq!(f.pop(), Some(vec![1, 2, 3, 4, 5, 6, 7, 8, 9]));
        assert_eq!(f.buffered(), 2);
    }

    #[test]
    fn out_of_range_lengths_stop_the_stream() {
        for (len, min, max) in [(4u32, 5, 100), (101, 5, 100), (u32::MAX, 5, 100), (0, 1, 100)] {
            let mut f = Framer::new(min, max);
            let mut data = len.to_be_bytes().to_vec();
            data.extend_from_slice(&[0u8; 200]);
            f.feed(&data);
            assert_eq!(f.bad_len(), Some(len as usize));
            assert!(!f.has_ready());
            // Nothing of an over-long announcement is allocated or kept.
            assert!(f.partial().is_none());
            f.feed(&record(&[1; 10]));
            assert!(!f.has_ready(), "framing stays stopped after a bad length");
        }
    }
}
