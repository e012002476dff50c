//! Finite-field Diffie-Hellman: the fixed groups (RFC 4253 section 8, RFC 8268)
//! and group exchange (RFC 4419).
//!
//! Modular exponentiation uses crypto-bigint's `BoxedMontyForm`: a windowed
//! Montgomery ladder whose memory access and timing depend only on the
//! modulus size and the (fixed) exponent length, not on the secret exponent.

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use zeroize::{Zeroize, Zeroizing};

use super::groups::Group;
use super::round::{Ephemeral, OneRound};
use super::{GexParams, HashAlg, Kex, KexInput, KexStep, GEX_MAX_BITS, GEX_MIN_BITS};
use crate::crypto::fill_random;
use crate::error::{code, Error, Result};
use crate::proto::msg;
use crate::proto::wire::{Reader, Writer};

/// The shortest private exponent used, in bits: twice the 256-bit strength
/// of the strongest symmetric keys negotiated afterwards.
const MIN_EXPONENT_BITS: u32 = 512;

/// Private exponent length for `hash`: at least twice its output size (the
/// security the exchange can deliver), never under [`MIN_EXPONENT_BITS`], and
/// below the order of the subgroup (p is a safe prime, q = (p-1)/2).
fn exponent_bits(hash: HashAlg, p_bits: u32) -> u32 {
    let want = MIN_EXPONENT_BITS.max(2 * 8 * hash.digest_len() as u32);
    want.min(p_bits.saturating_sub(2) & !7)
}

/// Bit length of a big-endian magnitude without leading zeros (saturating,
/// so an absurdly long peer value still compares as too large).
fn bit_len(v: &[u8]) -> u32 {
    match v.first() {
        Some(&top) => {
            let bits = (v.len() - 1).saturating_mul(8).saturating_add(8 - top.leading_zeros() as usize);
            u32::try_from(bits).unwrap_or(u32::MAX)
        }
        None => 0,
    }
}

/// Compares two big-endian magnitudes without leading zeros. Only used on
/// public values, so it may take variable time.
fn cmp_mag(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Strips leading zero bytes from a big-endian magnitude.
fn strip(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    v.get(start..).unwrap_or(&[])
}

/// True when 1 < v < p - 1 (`p_minus_1` given), the range RFC 4253 section 8
/// requires for e and f and RFC 4419 implies for g.
fn in_open_range(v: &[u8], p_minus_1: &[u8]) -> bool {
    cmp_mag(v, &[1]).is_gt() && cmp_mag(v, p_minus_1).is_lt()
}

/// A prepared odd modulus.
#[derive(Clone)]
pub(crate) struct Modulus {
    params: BoxedMontyParams,
    /// p - 1, big-endian, no leading zeros.
    p_minus_1: Vec<u8>,
    bits: u32,
}

impl Modulus {
    /// Prepares `p` (big-endian, no leading zeros). Fails for an even p.
    pub(crate) fn new(p: &[u8]) -> Result<Self> {
        let p = strip(p);
        let bits = bit_len(p);
        let n =
            BoxedUint::from_be_slice(p, bits.max(1)).map_err(|_| Error::new(code::KEX_FAILURE, "Invalid DH prime"))?;
        let odd: Option<Odd<BoxedUint>> = Odd::new(n).into();
        let odd = odd.ok_or(Error::new(code::KEX_FAILURE, "DH prime is even"))?;
        let mut p_minus_1 = p.to_vec();
        // p is odd, so p - 1 only clears the lowest bit.
        if let Some(last) = p_minus_1.last_mut() {
            *last &= !1;
        }
        let p_minus_1 = strip(&p_minus_1).to_vec();
        Ok(Modulus { params: BoxedMontyParams::new_vartime(odd), p_minus_1, bits })
    }

    /// `base^exp mod p`, big-endian bytes without leading zeros. `base` must be < p;
    /// only the low `exp_bits` bits of `exp` are used, and their count is all the timing reveals.
    pub(crate) fn pow(&self, base: &[u8], exp: &BoxedUint, exp_bits: u32) -> Result<Zeroizing<Vec<u8>>> {
        let precision = self.params.bits_precision();
        let b = BoxedUint::from_be_slice(strip(base), precision)
            .map_err(|_| Error::new(code::KEX_FAILURE, "DH value too large"))?;
        let mut m = BoxedMontyForm::new(b, self.params.clone()).pow_bounded_exp(exp, exp_bits);
        let mut plain = m.retrieve();
        m.zeroize();
        let mut bytes = plain.to_be_bytes();
        plain.zeroize();
        let out = Zeroizing::new(strip(&bytes).to_vec());
        bytes.zeroize();
        Ok(out)
    }
}

/// A random secret exponent of exactly `bits` bits (top bit set, so its length,
/// which the exponentiation's timing reveals, is the same for every key).
fn random_exponent(bits: u32) -> Result<BoxedUint> {
    let mut buf = Zeroizing::new(vec![0u8; bits.div_ceil(8) as usize]);
    fill_random(&mut buf)?;
    let excess = buf.len() as u32 * 8 - bits;
    if let Some(top) = buf.first_mut() {
        *top &= 0xff >> excess;
        *top |= 0x80 >> excess;
    }
    BoxedUint::from_be_slice(&buf, bits).map_err(|_| Error::new(code::KEX_FAILURE, "Invalid DH exponent"))
}

/// A client key pair in a finite-field group.
pub(crate) struct DhEphemeral {
    modulus: Modulus,
    x: BoxedUint,
    x_bits: u32,
    e: Vec<u8>,
}

impl DhEphemeral {
    /// Draws x and computes e = g^x mod p. `g` must already be checked to lie in (1, p-1).
    pub(crate) fn new(modulus: Modulus, g: &[u8], hash: HashAlg) -> Result<Self> {
        let x_bits = exponent_bits(hash, modulus.bits);
        let x = random_exponent(x_bits)?;
        let e = modulus.pow(g, &x, x_bits)?.to_vec();
        Ok(DhEphemeral { modulus, x, x_bits, e })
    }
}

impl Drop for DhEphemeral {
    fn drop(&mut self) {
        self.x.zeroize();
    }
}

impl Ephemeral for DhEphemeral {
    fn public(&self) -> &[u8] {
        &self.e
    }

    fn agree(&mut self, f: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        // f outside (1, p-1) would confine K to {0, 1, p-1}.
        if !in_open_range(strip(f), &self.modulus.p_minus_1) {
            return Err(Error::new(code::KEX_FAILURE, "Server DH value f out of range"));
        }
        let k = self.modulus.pow(f, &self.x, self.x_bits)?;
        let mut w = Writer { buf: Vec::with_capacity(k.len() + 5) };
        w.mpint(&k);
        Ok(Zeroizing::new(w.into_inner()))
    }
}

/// diffie-hellman-group{1,14,16,18}-sha*: KEXDH_INIT (30) / KEXDH_REPLY (31).
pub(crate) fn fixed_group(hash: HashAlg, input: KexInput, group: Group) -> Result<OneRound> {
    let modulus = Modulus::new(&group.p())?;
    let eph = DhEphemeral::new(modulus, &[group.g], hash)?;
    Ok(OneRound::mpints(hash, input, eph, msg::KEXDH_INIT, msg::KEXDH_REPLY, Vec::new()))
}

enum GexState {
    New(KexInput),
    Requested(KexInput),
    Exchanging(OneRound),
    Failed,
}

/// diffie-hellman-group-exchange-sha*: REQUEST (34), GROUP (31), INIT (32), REPLY (33).
pub(crate) struct GroupExchange {
    hash: HashAlg,
    params: GexParams,
    state: GexState,
}

impl GroupExchange {
    /// Checks `params` (ordered, within 2048..=8192 bits) and prepares the request.
    pub(crate) fn new(hash: HashAlg, input: KexInput, params: GexParams) -> Result<Self> {
        let ordered = params.min <= params.preferred && params.preferred <= params.max;
        if !ordered || params.min < GEX_MIN_BITS || params.max > GEX_MAX_BITS {
            return Err(Error::new(code::INVAL, "Invalid group exchange sizes"));
        }
        Ok(GroupExchange { hash, params, state: GexState::New(input) })
    }

    /// Validates the server's group and builds the INIT exchange for it.
    fn on_group(&self, input: KexInput, payload: &[u8]) -> Result<OneRound> {
        let mut r = Reader::new(payload);
        if r.u8()? != msg::KEX_DH_GEX_GROUP {
            return Err(Error::proto("Unexpected message during group exchange"));
        }
        let p = r.mpint()?;
        let g = r.mpint()?;
        r.finish()?;

        let bits = bit_len(p);
        if bits < self.params.min || bits > self.params.max {
            return Err(Error::with(
                code::KEX_FAILURE,
                format!("Group exchange prime of {bits} bits is outside the requested range"),
            ));
        }
        let modulus = Modulus::new(p)?;
        if !in_open_range(g, &modulus.p_minus_1) {
            return Err(Error::new(code::KEX_FAILURE, "Group exchange generator out of range"));
        }

        let mut group_params = Writer::new();
        group_params.u32(self.params.min).u32(self.params.preferred).u32(self.params.max);
        group_params.mpint(p).mpint(g);
        let eph = DhEphemeral::new(modulus, g, self.hash)?;
        Ok(OneRound::mpints(
            self.hash,
            input,
            eph,
            msg::KEX_DH_GEX_INIT,
            msg::KEX_DH_GEX_REPLY,
            group_params.into_inner(),
        ))
    }
}

impl Kex for GroupExchange {
    fn start(&mut self) -> Result<Vec<u8>> {
        match std::mem::replace(&mut self.state, GexState::Failed) {
            GexState::New(input) => {
                self.state = GexState::Requested(input);
                let mut w = Writer::msg(msg::KEX_DH_GEX_REQUEST);
                w.u32(self.params.min).u32(self.params.preferred).u32(self.params.max);
                Ok(w.into_inner())
            }
            other => {
                self.state = other;
                Err(Error::new(code::BAD_USE, "Key exchange already started"))
            }
        }
    }

    fn handle(&mut self, payload: &[u8]) -> Result<KexStep> {
        // A failure leaves the state Failed: the exchange cannot continue.
        match std::mem::replace(&mut self.state, GexState::Failed) {
            GexState::Requested(input) => {
                let mut round = self.on_group(input, payload)?;
                let init = round.start()?;
                self.state = GexState::Exchanging(round);
                Ok(KexStep::Send(init))
            }
            GexState::Exchanging(mut round) => round.handle(payload),
            GexState::New(_) | GexState::Failed => Err(Error::proto("Unexpected message during group exchange")),
        }
    }
}
