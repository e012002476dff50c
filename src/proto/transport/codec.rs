//! Packet framing: [`Sealer`] (payload -> wire bytes) and [`Opener`] (wire
//! bytes -> payload) for every cipher/MAC layout:
//!
//! * plain: `len || padlen || payload || padding`, no MAC;
//! * encrypt-and-MAC: everything encrypted, MAC over `seq || plaintext`;
//! * encrypt-then-MAC: `len` in clear, MAC over `seq || len || ciphertext`,
//!   checked before anything is decrypted;
//! * AEAD: `len` in clear (GCM) or under its own key (ChaCha20), tag at the end.

use super::cipher::{engine, Dir, Engine, AEAD_TAG_LEN};
use super::mac::PacketMac;
use super::spec::{DirectionKeys, MAX_OUT_PACKET_LEN, MAX_PACKET_LEN, MIN_ALIGN, MIN_PACKET_LEN, MIN_PADDING};
use crate::crypto::fill_random;
use crate::error::{code, Error, Result};
use std::ops::Range;
use zeroize::Zeroize;

/// Bytes of the `packet_length` field.
pub(super) const LEN_FIELD: usize = 4;

/// Random bytes fetched from the OS at a time for padding, so that sealing a
/// packet does not cost a system call.
const PAD_POOL: usize = 512;

/// Where one packet's bytes sit after [`Opener::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The payload inside the caller's buffer (padding removed, still compressed if compression is on).
    pub payload: Range<usize>,
    /// Bytes at the front of the buffer that this packet occupied (including its MAC or tag).
    pub consumed: usize,
}

/// How the length field and the authenticator are laid out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Layout {
    /// No cipher, no MAC.
    Plain,
    /// Encrypt-and-MAC (RFC 4253): the length is inside the first encrypted block.
    EncryptAndMac,
    /// Encrypt-then-MAC: the length is in clear and covered by the MAC.
    EncryptThenMac,
    /// AES-GCM: the length is in clear and is the AAD.
    Gcm,
    /// ChaCha20-Poly1305: the length is encrypted under its own key.
    Chacha,
}

impl Layout {
    /// Whether the length field sits outside the block-aligned ciphertext.
    fn len_outside(self) -> bool {
        matches!(self, Layout::EncryptThenMac | Layout::Gcm | Layout::Chacha)
    }
}

fn pick_layout(engine: &Engine, mac: Option<&PacketMac>) -> Result<Layout> {
    let need_mac = |m: Option<&PacketMac>| {
        m.ok_or(Error::new(code::INVAL, "this cipher needs a MAC")).map(|m| {
            if m.etm() {
                Layout::EncryptThenMac
            } else {
                Layout::EncryptAndMac
            }
        })
    };
    match engine {
        Engine::Plain => Ok(Layout::Plain),
        Engine::Block(_) => need_mac(mac),
        Engine::Gcm(_) => Ok(Layout::Gcm),
        Engine::Chacha(_) => Ok(Layout::Chacha),
    }
}

/// Builds the cipher and MAC for one direction. An AEAD ignores `mac` (the
/// negotiated MAC name is meaningless with it, RFC 5647 section 5.1).
fn build(cipher: &str, mac: Option<&str>, keys: &DirectionKeys, dir: Dir) -> Result<Parts> {
    let (engine, spec) = engine(cipher, keys, dir)?;
    let mac = match (spec.aead, mac) {
        (false, Some(name)) => Some(PacketMac::new(name, &keys.mac_key)?),
        _ => None,
    };
    let layout = pick_layout(&engine, mac.as_ref())?;
    let auth_len = match layout {
        Layout::Gcm | Layout::Chacha => AEAD_TAG_LEN,
        _ => mac.as_ref().map_or(0, PacketMac::out_len),
    };
    Ok(Parts { engine, mac, layout, block: spec.block_size.max(MIN_ALIGN), auth_len })
}

/// Everything one direction's codec needs.
struct Parts {
    engine: Engine,
    mac: Option<PacketMac>,
    layout: Layout,
    /// Alignment unit: the cipher block, at least 8.
    block: usize,
    /// Bytes of MAC or tag after the packet.
    auth_len: usize,
}

impl Parts {
    fn plaintext() -> Self {
        Parts { engine: Engine::Plain, mac: None, layout: Layout::Plain, block: MIN_ALIGN, auth_len: 0 }
    }
}

/// Outgoing direction: frames, pads, encrypts and authenticates packets.
pub struct Sealer {
    p: Parts,
    pool: [u8; PAD_POOL],
    pool_pos: usize,
    /// Test hook: overwrite `packet_length` / `padding_length` before protection.
    #[cfg(test)]
    force: (Option<u32>, Option<u8>),
}

impl Drop for Sealer {
    fn drop(&mut self) {
        self.pool.zeroize();
    }
}

impl Sealer {
    /// No encryption: used before the first NEWKEYS (block 8, no MAC).
    pub fn plaintext() -> Self {
        Self::from_parts(Parts::plaintext())
    }

    /// Keys the sealer for `cipher` with `mac` (`None` for an AEAD).
    pub fn new(cipher: &str, mac: Option<&str>, keys: &DirectionKeys) -> Result<Self> {
        Ok(Self::from_parts(build(cipher, mac, keys, Dir::Encrypt)?))
    }

    fn from_parts(p: Parts) -> Self {
        Sealer {
            p,
            pool: [0; PAD_POOL],
            pool_pos: PAD_POOL,
            #[cfg(test)]
            force: (None, None),
        }
    }

    /// Bytes of MAC or AEAD tag appended to each packet.
    pub fn mac_len(&self) -> usize {
        self.p.auth_len
    }

    /// Upper bound on the wire size of a packet carrying `payload_len` bytes.
    pub fn max_wire_len(&self, payload_len: usize) -> usize {
        LEN_FIELD + 1 + payload_len + MIN_PADDING + self.p.block + self.p.auth_len
    }

    /// Appends `n` random padding bytes to `out`, refilling the pool as needed.
    fn push_padding(&mut self, n: usize, out: &mut Vec<u8>) -> Result<()> {
        if self.pool_pos + n > PAD_POOL {
            fill_random(&mut self.pool)?;
            self.pool_pos = 0;
        }
        let end = self.pool_pos + n;
        out.extend_from_slice(self.pool.get(self.pool_pos..end).unwrap_or_default());
        self.pool_pos = end;
        Ok(())
    }

    /// Frames `payload` (padding_length, random padding of at least 4 bytes,
    /// block alignment per mode), encrypts, MACs and appends the wire bytes to
    /// `out`. `seq` is the packet sequence number. On error `out` is left as it was.
    pub fn seal(&mut self, seq: u32, payload: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        let r = self.seal_at(seq, payload, out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn seal_at(&mut self, seq: u32, payload: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let block = self.p.block;
        // Bytes that must come out block-aligned: the length field counts
        // unless it travels outside the ciphertext.
        let head = if self.p.layout.len_outside() { 0 } else { LEN_FIELD };
        let unpadded = head + 1 + payload.len();
        let mut pad = block - unpadded % block;
        if pad < MIN_PADDING {
            pad += block;
        }
        let packet_len = 1 + payload.len() + pad;
        if packet_len > MAX_OUT_PACKET_LEN {
            return Err(Error::new(code::OUT_OF_BOUNDARY, "payload too large for one packet"));
        }
        let start = out.len();
        out.reserve(LEN_FIELD + packet_len + self.p.auth_len);
        out.extend_from_slice(&(packet_len as u32).to_be_bytes());
        out.push(pad as u8);
        out.extend_from_slice(payload);
        self.push_padding(pad, out)?;
        #[cfg(test)]
        self.apply_force(start, out);

        let layout = self.p.layout;
        let Parts { engine, mac, .. } = &mut self.p;
        match (engine, layout) {
            (Engine::Plain, _) => {}
            (Engine::Block(m), Layout::EncryptAndMac) => {
                if let Some(mac) = mac {
                    mac.sign_append(seq, start, out);
                }
                let end = start + LEN_FIELD + packet_len;
                if let Some(body) = out.get_mut(start..end) {
                    m.apply(body);
                }
            }
            (Engine::Block(m), _) => {
                if let Some(body) = out.get_mut(start + LEN_FIELD..) {
                    m.apply(body);
                }
                if let Some(mac) = mac {
                    mac.sign_append(seq, start, out);
                }
            }
            (Engine::Gcm(g), _) => {
                let (len, body) = split_len(out.get_mut(start..).unwrap_or_default())?;
                let tag = g.seal(&len, body)?;
                out.extend_from_slice(&tag);
            }
            (Engine::Chacha(k), _) => {
                let tag = k.seal(seq, out.get_mut(start..).unwrap_or_default())?;
                out.extend_from_slice(&tag);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
impl Sealer {
    fn apply_force(&self, start: usize, out: &mut [u8]) {
        if let Some(l) = self.force.0 {
            out[start..start + 4].copy_from_slice(&l.to_be_bytes());
        }
        if let Some(p) = self.force.1 {
            out[start + 4] = p;
        }
    }
}

/// Splits a packet into its 4-byte length field (copied) and the rest.
pub(super) fn split_len(pkt: &mut [u8]) -> Result<([u8; 4], &mut [u8])> {
    if pkt.len() < LEN_FIELD {
        return Err(Error::proto("packet shorter than its length field"));
    }
    let (len, rest) = pkt.split_at_mut(LEN_FIELD);
    let mut l = [0u8; 4];
    l.copy_from_slice(len);
    Ok((l, rest))
}

/// Incoming direction: authenticates, decrypts and unframes packets.
///
/// Stateful across calls: once the length of the packet at the front is known
/// (for CBC/CTR with encrypt-and-MAC that means its first block has already
/// been decrypted in place), a later call with more bytes appended continues
/// from there. The caller must therefore pass the same, unmodified front bytes
/// again, with the same `seq`, until a packet is returned.
pub struct Opener {
    p: Parts,
    /// `packet_length` of the packet at the front, once known and validated.
    pending: Option<usize>,
}

impl Opener {
    /// No encryption: used before the first NEWKEYS.
    pub fn plaintext() -> Self {
        Opener { p: Parts::plaintext(), pending: None }
    }

    /// Keys the opener for `cipher` with `mac` (`None` for an AEAD).
    pub fn new(cipher: &str, mac: Option<&str>, keys: &DirectionKeys) -> Result<Self> {
        Ok(Opener { p: build(cipher, mac, keys, Dir::Decrypt)?, pending: None })
    }

    /// Bytes of MAC or AEAD tag after each packet.
    pub fn mac_len(&self) -> usize {
        self.p.auth_len
    }

    /// Total wire bytes of the packet at the front, once its length is known:
    /// lets the I/O layer read exactly what is missing.
    pub fn pending_wire_len(&self) -> Option<usize> {
        self.pending.map(|len| LEN_FIELD + len + self.p.auth_len)
    }

    /// Bytes needed before the length of the next packet can be learned.
    fn head_len(&self) -> usize {
        match self.p.layout {
            Layout::EncryptAndMac => self.p.block,
            _ => LEN_FIELD,
        }
    }

    /// Checks a decoded `packet_length` against the limits and the alignment.
    fn check_len(&self, len: u32) -> Result<usize> {
        let len = len as usize;
        if len > MAX_PACKET_LEN {
            return Err(Error::with(code::OUT_OF_BOUNDARY, format!("packet length {len} exceeds {MAX_PACKET_LEN}")));
        }
        if len < MIN_PACKET_LEN {
            return Err(Error::with(code::PROTO, format!("packet length {len} too small")));
        }
        let aligned = if self.p.layout.len_outside() { len } else { LEN_FIELD + len };
        if aligned % self.p.block != 0 {
            return Err(Error::with(code::PROTO, format!("packet length {len} not a multiple of the block size")));
        }
        Ok(len)
    }

    /// Tries to open one packet at the front of `buf` (decrypting in place).
    /// `Ok(None)`: more bytes are needed and nothing was consumed.
    /// `Ok(Some(o))`: `buf[o.payload]` is the payload (padding removed, before
    /// decompression) and the first `o.consumed` bytes of `buf` were this packet.
    pub fn open(&mut self, seq: u32, buf: &mut [u8]) -> Result<Option<Opened>> {
        let len = match self.pending {
            Some(len) => len,
            None => {
                let head = self.head_len();
                let Some(first) = buf.get_mut(..head) else {
                    return Ok(None);
                };
                let raw = match &mut self.p.engine {
                    Engine::Chacha(k) => {
                        let mut l = [0u8; 4];
                        l.copy_from_slice(first.get(..LEN_FIELD).unwrap_or(&[0; 4]));
                        k.crypt_length(seq, &mut l)?;
                        l
                    }
                    Engine::Block(m) if self.p.layout == Layout::EncryptAndMac => {
                        // Decrypt only the first block; `pending` records that it is done.
                        m.apply(first);
                        let mut l = [0u8; 4];
                        l.copy_from_slice(first.get(..LEN_FIELD).unwrap_or(&[0; 4]));
                        l
                    }
                    _ => {
                        let mut l = [0u8; 4];
                        l.copy_from_slice(first.get(..LEN_FIELD).unwrap_or(&[0; 4]));
                        l
                    }
                };
                let len = self.check_len(u32::from_be_bytes(raw))?;
                self.pending = Some(len);
                len
            }
        };
        let body_end = LEN_FIELD + len;
        let total = body_end + self.p.auth_len;
        if buf.len() < total {
            return Ok(None);
        }
        // The packet is complete: whatever happens next, the state is consumed.
        self.pending = None;
        let pkt = buf.get_mut(..total).ok_or(Error::proto("packet out of range"))?;
        let (body, auth) = pkt.split_at_mut(body_end);
        let layout = self.p.layout;
        let Parts { engine, mac, block, .. } = &mut self.p;
        match (engine, layout) {
            (Engine::Plain, _) => {}
            (Engine::Block(m), Layout::EncryptAndMac) => {
                if let Some(rest) = body.get_mut(*block..) {
                    m.apply(rest);
                }
                if let Some(mac) = mac {
                    mac.verify(seq, body, auth)?;
                }
            }
            (Engine::Block(m), _) => {
                if let Some(mac) = mac {
                    mac.verify(seq, body, auth)?;
                }
                if let Some(rest) = body.get_mut(LEN_FIELD..) {
                    m.apply(rest);
                }
            }
            (Engine::Gcm(g), _) => {
                let (l, rest) = split_len(body)?;
                g.open(&l, rest, auth)?;
            }
            (Engine::Chacha(k), _) => k.open(seq, body, auth)?,
        }
        let padlen = usize::from(*body.get(LEN_FIELD).ok_or(Error::proto("empty packet"))?);
        if padlen < MIN_PADDING || padlen >= len {
            return Err(Error::with(code::DECRYPT, format!("invalid padding length {padlen} for packet length {len}")));
        }
        let payload = LEN_FIELD + 1..body_end - padlen;
        Ok(Some(Opened { payload, consumed: total }))
    }
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
