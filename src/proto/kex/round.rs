//! The shape every method ends with: the client sends its ephemeral public
//! value, the server answers `K_S || its value || signature`, and H covers the
//! transcript. Only the encoding of the values (string or mpint), the message
//! numbers and, for group exchange, the group parameters differ.

use zeroize::Zeroizing;

use super::{HashAlg, Kex, KexInput, KexOutput, KexStep};
use crate::error::{code, Error, Result};
use crate::proto::msg;
use crate::proto::wire::{Reader, Writer};

/// A method's ephemeral key pair.
pub(crate) trait Ephemeral: Send {
    /// The client's public value as it goes on the wire (Q_C, e, or C_INIT).
    fn public(&self) -> &[u8];
    /// Validates the server's value and returns K encoded as it enters the hash.
    fn agree(&mut self, server: &[u8]) -> Result<Zeroizing<Vec<u8>>>;
}

/// How the public values are encoded in the messages and the hash.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Values {
    /// `string` (ECDH, curve25519, hybrids).
    Strings,
    /// `mpint` (finite-field Diffie-Hellman).
    Mpints,
}

enum State {
    New,
    Sent,
    Done,
}

/// One init/reply round trip ending the exchange.
pub(crate) struct OneRound {
    hash: HashAlg,
    input: KexInput,
    eph: Box<dyn Ephemeral>,
    values: Values,
    init_msg: u8,
    reply_msg: u8,
    /// Hashed between K_S and the client's value (group exchange's min, n, max, p, g).
    group_params: Vec<u8>,
    state: State,
}

impl OneRound {
    /// A method whose values are strings, using messages 30 and 31.
    pub(crate) fn strings(hash: HashAlg, input: KexInput, eph: impl Ephemeral + 'static) -> Self {
        OneRound {
            hash,
            input,
            eph: Box::new(eph),
            values: Values::Strings,
            init_msg: msg::KEX_ECDH_INIT,
            reply_msg: msg::KEX_ECDH_REPLY,
            group_params: Vec::new(),
            state: State::New,
        }
    }

    /// A finite-field method: mpint values, with the given message numbers and
    /// group parameters (empty for the fixed groups).
    pub(crate) fn mpints(
        hash: HashAlg,
        input: KexInput,
        eph: impl Ephemeral + 'static,
        init_msg: u8,
        reply_msg: u8,
        group_params: Vec<u8>,
    ) -> Self {
        OneRound {
            hash,
            input,
            eph: Box::new(eph),
            values: Values::Mpints,
            init_msg,
            reply_msg,
            group_params,
            state: State::New,
        }
    }

    fn put_value(&self, w: &mut Writer, v: &[u8]) {
        match self.values {
            Values::Strings => w.string(v),
            Values::Mpints => w.mpint(v),
        };
    }

    fn reply(&mut self, payload: &[u8]) -> Result<KexOutput> {
        let mut r = Reader::new(payload);
        if r.u8()? != self.reply_msg {
            return Err(Error::proto("Unexpected message during key exchange"));
        }
        let host_key = r.string()?;
        let server_value = match self.values {
            Values::Strings => r.string()?,
            Values::Mpints => r.mpint()?,
        };
        let signature = r.string()?;
        r.finish()?;

        let k = self.eph.agree(server_value)?;

        let mut w = Writer::new();
        w.string(&self.input.v_c).string(&self.input.v_s);
        w.string(&self.input.i_c).string(&self.input.i_s);
        w.string(host_key).raw(&self.group_params);
        self.put_value(&mut w, self.eph.public());
        self.put_value(&mut w, server_value);
        // K is hashed from its own buffer rather than appended, so no second copy of it exists.
        let h = self.hash.digest(&[&w.buf, &k]);

        Ok(KexOutput { hash: self.hash, h, k, host_key: host_key.to_vec(), signature: signature.to_vec() })
    }
}

impl Kex for OneRound {
    fn start(&mut self) -> Result<Vec<u8>> {
        if !matches!(self.state, State::New) {
            return Err(Error::new(code::BAD_USE, "Key exchange already started"));
        }
        let mut w = Writer::msg(self.init_msg);
        self.put_value(&mut w, self.eph.public());
        self.state = State::Sent;
        Ok(w.into_inner())
    }

    fn handle(&mut self, payload: &[u8]) -> Result<KexStep> {
        if !matches!(self.state, State::Sent) {
            return Err(Error::proto("Unexpected message during key exchange"));
        }
        // Any failure ends this exchange: a retry would reuse the ephemeral key.
        self.state = State::Done;
        self.reply(payload).map(KexStep::Done)
    }
}
