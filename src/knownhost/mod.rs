//! known_hosts: the sans-IO engine behind `libssh2_knownhost_*`.
//!
//! [`KnownHosts`] is an ordered list of [`Entry`] values, each with a stable
//! [`EntryId`] (ids only grow, so the list stays sorted by id and a deleted
//! id still tells [`KnownHosts::get`] where to continue). The C shims keep
//! one `struct libssh2_knownhost` per id and copy the fields they need.
//!
//! Behaviour follows libssh2 1.11.1, with these documented choices:
//! - A plain name list `a,b` becomes one entry per name, last name first, as
//!   libssh2 stores it; empty names are skipped. Comment and blank lines are
//!   dropped, as libssh2 does, so `readfile` + `writefile` reproduce a file
//!   byte for byte exactly where libssh2 would (one name per line, single
//!   spaces, no `#` lines).
//! - Literal plain names compare byte for byte (libssh2's `strcmp`). Beyond
//!   libssh2, names holding `*` or `?` match as OpenSSH wildcard patterns
//!   (ASCII case-insensitive), and a `!pattern` name that matches the host
//!   disables every entry read from the same line, as OpenSSH's negation
//!   does; a negated name never matches by itself.
//! - `checkp` with any port tries `[host]:port` first and then the plain
//!   `host` (libssh2's rule; so a port-22 style entry also vouches for other
//!   ports). A port of `None` checks only the plain host.
//! - A hostkey is compared only with entries of its key type (typemask KEY
//!   bits); KEY bits 0 compare with every type; `KEY_UNKNOWN` never matches.
//!   An entry of another key type is therefore not a MISMATCH (libssh2 and
//!   OpenSSH agree).
//! - `@cert-authority` and `@revoked` lines are read and written back; a CA
//!   entry never takes part in `check` (no certificate support). Beyond
//!   libssh2 (which misreads such lines as a host named `@revoked`), a
//!   `@revoked` entry whose name matches and whose key equals the hostkey
//!   makes `check` return MISMATCH with that entry, even when another entry
//!   would MATCH.
//! - A line ending `\r\n` is read as if it ended `\n`.

mod file;
mod pattern;
#[cfg(test)]
mod tests;

use base64::Engine as _;
use hmac::{Hmac, Mac};

use crate::error::{code, Error, Result};

pub use file::MAX_LINE_LEN;

/// `LIBSSH2_KNOWNHOST_*` constants (values fixed by the 1.11.1 headers).
pub use crate::consts::knownhost as consts;

use consts::*;

/// Size of an HMAC-SHA1 host hash in bytes.
const SHA1_HASH_LEN: usize = 20;

/// libssh2 formats `[host]:port` into a buffer of this many bytes (NUL
/// included); a longer name makes `checkp` fail.
const CHECK_NAME_BUF: usize = 270;

/// Key type names written for each KEY value (RSA1 has none).
const KEY_TYPE_NAMES: [(i32, &[u8]); 6] = [
    (KEY_SSHRSA, b"ssh-rsa"),
    (KEY_SSHDSS, b"ssh-dss"),
    (KEY_ECDSA_256, b"ecdsa-sha2-nistp256"),
    (KEY_ECDSA_384, b"ecdsa-sha2-nistp384"),
    (KEY_ECDSA_521, b"ecdsa-sha2-nistp521"),
    (KEY_ED25519, b"ssh-ed25519"),
];

/// The KEY bits for a key type name (`KEY_UNKNOWN` for names we do not know).
pub fn key_type_from_name(name: &[u8]) -> i32 {
    KEY_TYPE_NAMES.iter().find(|(_, n)| *n == name).map_or(KEY_UNKNOWN, |(k, _)| *k)
}

/// The key type name for KEY bits, if the type has a fixed name.
pub fn key_type_name(key_bits: i32) -> Option<&'static [u8]> {
    KEY_TYPE_NAMES.iter().find(|(k, _)| *k == key_bits & KEY_MASK).map(|(_, n)| *n)
}

/// A stable identity for one entry; never reused within a [`KnownHosts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId(pub u64);

/// The OpenSSH marker in front of a known_hosts line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// An ordinary host key line.
    None,
    /// `@cert-authority`: the key signs host certificates.
    CertAuthority,
    /// `@revoked`: the key must never be accepted.
    Revoked,
}

impl Marker {
    /// The marker's text as written in a file, if any.
    fn text(self) -> Option<&'static [u8]> {
        match self {
            Marker::None => None,
            Marker::CertAuthority => Some(b"@cert-authority"),
            Marker::Revoked => Some(b"@revoked"),
        }
    }
}

/// The outcome of [`KnownHosts::check`], as libssh2's `CHECK_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckResult {
    /// A name and its key matched.
    Match,
    /// A name matched but its key differs (or the key is revoked).
    Mismatch,
    /// No entry for this name and key type.
    NotFound,
    /// The check could not be made (an `Err` from `check`).
    Failure,
}

impl CheckResult {
    /// libssh2's `LIBSSH2_KNOWNHOST_CHECK_*` number.
    pub fn code(self) -> i32 {
        match self {
            CheckResult::Match => CHECK_MATCH,
            CheckResult::Mismatch => CHECK_MISMATCH,
            CheckResult::NotFound => CHECK_NOTFOUND,
            CheckResult::Failure => CHECK_FAILURE,
        }
    }
}

/// One known host entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    id: EntryId,
    /// Entries read from one line share a group (for `!pattern` negation).
    group: u64,
    /// Plain or custom host name, or the HMAC-SHA1 hash for TYPE_SHA1.
    name: Vec<u8>,
    /// Decoded salt (TYPE_SHA1 only; empty otherwise).
    salt: Vec<u8>,
    typemask: i32,
    /// The key as stored: base64 text (or `bits e n` text for RSA1).
    key: Vec<u8>,
    /// The decoded key blob, when the stored text is base64.
    blob: Option<Vec<u8>>,
    /// The key type name kept for KEY_UNKNOWN entries.
    unknown_type_name: Option<Vec<u8>>,
    comment: Option<Vec<u8>>,
    marker: Marker,
}

impl Entry {
    /// The entry's stable id.
    pub fn id(&self) -> EntryId {
        self.id
    }

    /// The stored name: plain/custom text, or the raw hash for TYPE_SHA1.
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The name libssh2 exposes in `struct libssh2_knownhost` (plain only).
    pub fn external_name(&self) -> Option<&[u8]> {
        (self.typemask & TYPE_MASK == TYPE_PLAIN).then_some(&self.name[..])
    }

    /// The decoded salt of a hashed entry.
    pub fn salt(&self) -> Option<&[u8]> {
        (self.typemask & TYPE_MASK == TYPE_SHA1).then_some(&self.salt[..])
    }

    /// The typemask bits (TYPE, KEYENC and KEY) the entry was stored with.
    pub fn typemask(&self) -> i32 {
        self.typemask
    }

    /// The key text as stored (base64, or `bits e n` for RSA1).
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The decoded key blob, when the key text is valid base64.
    pub fn key_blob(&self) -> Option<&[u8]> {
        self.blob.as_deref()
    }

    /// The key type name written in a file (None for RSA1 and nameless types).
    pub fn key_type_name(&self) -> Option<&[u8]> {
        key_type_name(self.typemask).or(self.unknown_type_name.as_deref())
    }

    /// The comment after the key, if any (`Some(b"")` is an empty comment).
    pub fn comment(&self) -> Option<&[u8]> {
        self.comment.as_deref()
    }

    /// The `@cert-authority` / `@revoked` marker.
    pub fn marker(&self) -> Marker {
        self.marker
    }

    /// True when `key` (text and decoded blob) is this entry's key.
    fn key_equals(&self, text: &[u8], blob: Option<&[u8]>) -> bool {
        self.key == text || (blob.is_some() && self.blob.as_deref() == blob)
    }
}

/// What `add_entry` needs to create one entry.
struct NewEntry<'a> {
    host: &'a [u8],
    salt: Option<&'a [u8]>,
    key: &'a [u8],
    unknown_type_name: Option<&'a [u8]>,
    comment: Option<&'a [u8]>,
    typemask: i32,
    marker: Marker,
    group: u64,
}

/// A collection of known hosts (`LIBSSH2_KNOWNHOSTS`).
#[derive(Clone, Debug, Default)]
pub struct KnownHosts {
    /// Ordered as added; ids strictly increase along the list.
    entries: Vec<Entry>,
    next_id: u64,
    next_group: u64,
}

/// The part of a C string before its first NUL (what libssh2 would see).
fn c_str(bytes: &[u8]) -> &[u8] {
    bytes.split(|&b| b == 0).next().unwrap_or_default()
}

/// A base64 decoder as forgiving as libssh2's about padding.
const B64_LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes base64 text; None when it is not base64 or decodes to nothing.
fn b64_decode(text: &[u8]) -> Option<Vec<u8>> {
    B64_LENIENT.decode(text).ok().filter(|v| !v.is_empty())
}

/// Encodes bytes as padded standard base64 (the form known_hosts uses).
fn b64_encode(bytes: &[u8]) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.encode(bytes).into_bytes()
}

/// True when HMAC-SHA1(salt, host) equals `hash` (compared in constant time).
fn hashed_name_matches(salt: &[u8], hash: &[u8], host: &[u8]) -> bool {
    if hash.len() != SHA1_HASH_LEN {
        return false;
    }
    match Hmac::<sha1::Sha1>::new_from_slice(salt) {
        Ok(mut mac) => {
            mac.update(host);
            mac.verify_slice(hash).is_ok()
        }
        Err(_) => false,
    }
}

impl KnownHosts {
    /// An empty collection (`libssh2_knownhost_init`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// The entry with this id, if it still exists.
    pub fn entry(&self, id: EntryId) -> Option<&Entry> {
        self.position(id).and_then(|i| self.entries.get(i))
    }

    fn position(&self, id: EntryId) -> Option<usize> {
        self.entries.binary_search_by_key(&id, |e| e.id).ok()
    }

    fn fresh_group(&mut self) -> u64 {
        self.next_group += 1;
        self.next_group
    }

    /// Adds a host (`libssh2_knownhost_add` / `_addc`).
    ///
    /// `typemask` holds TYPE | KEYENC | KEY bits. For TYPE_PLAIN/CUSTOM `host`
    /// is the name (e.g. `[host]:2222`); for TYPE_SHA1 `host` is the base64
    /// hash and `salt` the base64 salt. With KEYENC_BASE64 `key` is base64
    /// text (the shim passes `strlen(key)` bytes when `keylen` is 0);
    /// otherwise it is the raw blob. Byte strings stop at a NUL, as in C.
    /// Errors: INVAL (no KEY bits, bad base64, missing salt, empty raw key),
    /// METHOD_NOT_SUPPORTED (unknown TYPE).
    pub fn add(
        &mut self,
        host: &[u8],
        salt: Option<&[u8]>,
        key: &[u8],
        comment: Option<&[u8]>,
        typemask: i32,
    ) -> Result<EntryId> {
        let group = self.fresh_group();
        self.add_entry(NewEntry {
            host,
            salt,
            key,
            unknown_type_name: None,
            comment,
            typemask,
            marker: Marker::None,
            group,
        })
    }

    fn add_entry(&mut self, new: NewEntry<'_>) -> Result<EntryId> {
        let typemask = new.typemask;
        if typemask & KEY_MASK == 0 {
            return Err(Error::new(code::INVAL, "No key type set"));
        }
        let host = c_str(new.host);
        let (name, salt) = match typemask & TYPE_MASK {
            TYPE_PLAIN | TYPE_CUSTOM => (host.to_vec(), Vec::new()),
            TYPE_SHA1 => {
                let invalid = || Error::new(code::INVAL, "Base64 decoded value is invalid");
                let hash = b64_decode(host).ok_or_else(invalid)?;
                let salt = new.salt.ok_or(Error::new(code::INVAL, "Salt is NULL"))?;
                let salt = b64_decode(c_str(salt)).ok_or_else(invalid)?;
                (hash, salt)
            }
            _ => {
                return Err(Error::new(code::METHOD_NOT_SUPPORTED, "Unknown hostname type"));
            }
        };
        let key = if typemask & KEYENC_BASE64 != 0 {
            c_str(new.key).to_vec()
        } else if new.key.is_empty() {
            return Err(Error::new(code::INVAL, "Empty raw key"));
        } else {
            b64_encode(new.key)
        };
        // RSA1 keys are decimal text, never base64.
        let blob = if typemask & KEY_MASK == KEY_RSA1 { None } else { b64_decode(&key) };
        let unknown_type_name =
            if typemask & KEY_MASK == KEY_UNKNOWN { new.unknown_type_name.map(<[u8]>::to_vec) } else { None };
        self.next_id += 1;
        let id = EntryId(self.next_id);
        self.entries.push(Entry {
            id,
            group: new.group,
            name,
            salt,
            typemask,
            key,
            blob,
            unknown_type_name,
            comment: new.comment.map(|c| c_str(c).to_vec()),
            marker: new.marker,
        });
        Ok(id)
    }

    /// Removes an entry (`libssh2_knownhost_del`); INVAL if it is not here.
    pub fn del(&mut self, id: EntryId) -> Result<()> {
        let i = self.position(id).ok_or(Error::new(code::INVAL, "Invalid host information"))?;
        self.entries.remove(i);
        Ok(())
    }

    /// The entry after `prev`, or the first one (`libssh2_knownhost_get`).
    ///
    /// A `prev` that was deleted still works: iteration goes on with the
    /// first entry added after it. None means the end (libssh2 returns 1).
    pub fn get(&self, prev: Option<EntryId>) -> Option<&Entry> {
        match prev {
            None => self.entries.first(),
            Some(p) => {
                let i = self.entries.partition_point(|e| e.id <= p);
                self.entries.get(i)
            }
        }
    }

    /// Checks a host and its key (`libssh2_knownhost_check` / `_checkp`).
    ///
    /// `port` None is libssh2's negative port. `typemask` gives the host
    /// format (PLAIN or CUSTOM; SHA1 input yields MISMATCH as in libssh2),
    /// the key encoding (KEYENC_BASE64 text, else raw blob) and the key type
    /// (0 = any). Returns the result and the matching (or first mismatching)
    /// entry. `Err` means LIBSSH2_KNOWNHOST_CHECK_FAILURE (name too long for
    /// libssh2's buffer: BUFFER_TOO_SMALL; empty raw key: INVAL).
    pub fn check(
        &self,
        host: &[u8],
        port: Option<u32>,
        key: &[u8],
        typemask: i32,
    ) -> Result<(CheckResult, Option<EntryId>)> {
        let input_type = typemask & TYPE_MASK;
        if input_type == TYPE_SHA1 {
            return Ok((CheckResult::Mismatch, None));
        }
        let host = c_str(host);
        let mut names: Vec<Vec<u8>> = Vec::with_capacity(2);
        if let Some(port) = port {
            let mut ported = Vec::with_capacity(host.len() + 8);
            ported.push(b'[');
            ported.extend_from_slice(host);
            ported.extend_from_slice(format!("]:{port}").as_bytes());
            if ported.len() >= CHECK_NAME_BUF {
                return Err(Error::new(code::BUFFER_TOO_SMALL, "Known-host write buffer too small"));
            }
            names.push(ported);
        }
        names.push(host.to_vec());

        let key_text = if typemask & KEYENC_BASE64 != 0 {
            c_str(key).to_vec()
        } else if key.is_empty() {
            return Err(Error::new(code::INVAL, "Empty raw key"));
        } else {
            b64_encode(key)
        };
        let key_blob = b64_decode(&key_text);
        let key_blob = key_blob.as_deref();

        // A revoked key refuses the host whatever else the file says.
        for name in &names {
            let negated = self.negated_groups(name, input_type);
            let revoked = self.entries.iter().find(|e| {
                e.marker == Marker::Revoked
                    && self.name_matches(e, name, input_type, &negated)
                    && e.key_equals(&key_text, key_blob)
            });
            if let Some(e) = revoked {
                return Ok((CheckResult::Mismatch, Some(e.id)));
            }
        }

        let host_key_type = typemask & KEY_MASK;
        let mut badkey = None;
        for name in &names {
            let negated = self.negated_groups(name, input_type);
            for e in self.entries.iter().filter(|e| e.marker == Marker::None) {
                if !self.name_matches(e, name, input_type, &negated) {
                    continue;
                }
                let type_ok =
                    host_key_type != KEY_UNKNOWN && (host_key_type == 0 || host_key_type == e.typemask & KEY_MASK);
                if !type_ok {
                    continue;
                }
                if e.key_equals(&key_text, key_blob) {
                    return Ok((CheckResult::Match, Some(e.id)));
                }
                badkey.get_or_insert(e.id);
            }
        }
        Ok(match badkey {
            Some(id) => (CheckResult::Mismatch, Some(id)),
            None => (CheckResult::NotFound, None),
        })
    }

    /// Groups (lines) holding a `!pattern` that matches `name`.
    fn negated_groups(&self, name: &[u8], input_type: i32) -> Vec<u64> {
        if input_type != TYPE_PLAIN {
            return Vec::new();
        }
        self.entries
            .iter()
            .filter(|e| e.typemask & TYPE_MASK == TYPE_PLAIN)
            .filter_map(|e| match e.name.split_first() {
                Some((b'!', pat)) if pattern::wildcard_match(pat, name) => Some(e.group),
                _ => None,
            })
            .collect()
    }

    /// Whether entry `e`'s name covers `name` given as `input_type`.
    fn name_matches(&self, e: &Entry, name: &[u8], input_type: i32, negated: &[u64]) -> bool {
        match e.typemask & TYPE_MASK {
            TYPE_PLAIN if input_type == TYPE_PLAIN => {
                if negated.contains(&e.group) || e.name.first() == Some(&b'!') {
                    false
                } else if pattern::is_pattern(&e.name) {
                    pattern::wildcard_match(&e.name, name)
                } else {
                    e.name == name
                }
            }
            TYPE_CUSTOM if input_type == TYPE_CUSTOM => e.name == name,
            TYPE_SHA1 if input_type == TYPE_PLAIN => hashed_name_matches(&e.salt, &e.name, name),
            _ => false,
        }
    }
}
