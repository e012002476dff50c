//! KEXINIT construction, parsing and algorithm negotiation (RFC 4253 7.1).

use crate::error::{code, Error, Result};
use crate::proto::msg;
use crate::proto::wire::{Reader, Writer};

/// Number of name-lists in a KEXINIT (kex .. languages s2c).
pub const NAME_LISTS: usize = 10;
/// Index of each method in the name-lists (the LIBSSH2_METHOD_* values).
#[allow(missing_docs)]
pub mod idx {
    pub const KEX: usize = 0;
    pub const HOSTKEY: usize = 1;
    pub const CRYPT_CS: usize = 2;
    pub const CRYPT_SC: usize = 3;
    pub const MAC_CS: usize = 4;
    pub const MAC_SC: usize = 5;
    pub const COMP_CS: usize = 6;
    pub const COMP_SC: usize = 7;
    pub const LANG_CS: usize = 8;
    pub const LANG_SC: usize = 9;
}

/// The client pseudo-algorithm asking for SSH_MSG_EXT_INFO (RFC 8308).
pub const EXT_INFO_C: &str = "ext-info-c";
/// Strict key exchange, client side (OpenSSH PROTOCOL, Terrapin countermeasure).
pub const STRICT_KEX_C: &str = "kex-strict-c-v00@openssh.com";
/// The client pseudo-methods of the key exchange list, in the order
/// libssh2 lists them after its real methods.
pub const KEX_PSEUDO_METHODS: &[&str] = &[EXT_INFO_C, STRICT_KEX_C];
/// Strict key exchange, server side.
pub const STRICT_KEX_S: &str = "kex-strict-s-v00@openssh.com";
/// The MAC name libssh2 reports for AES-GCM, whose tag is the MAC (a made-up
/// name that never appears in a KEXINIT).
pub const INTEGRATED_GCM_MAC: &str = "INTEGRATED-AES-GCM";
/// Longest name-list we accept from a peer (bounds the work on hostile input).
pub const MAX_NAME_LIST_LEN: usize = 16 * 1024;

/// A parsed KEXINIT.
#[derive(Debug, Clone)]
pub struct KexInit {
    /// The ten name-lists.
    pub lists: [Vec<String>; NAME_LISTS],
    /// Whether a guessed kex packet follows.
    pub first_kex_follows: bool,
}

/// Builds our KEXINIT payload from the ten lists.
pub fn build(lists: &[Vec<String>; NAME_LISTS]) -> Result<Vec<u8>> {
    let mut cookie = [0u8; 16];
    crate::crypto::fill_random(&mut cookie)?;
    let mut w = Writer::msg(msg::KEXINIT);
    w.raw(&cookie);
    for l in lists {
        w.name_list(l);
    }
    w.bool(false).u32(0);
    Ok(w.into_inner())
}

/// Parses a peer's KEXINIT payload (including the message byte).
pub fn parse(payload: &[u8]) -> Result<KexInit> {
    let mut r = Reader::new(payload);
    if r.u8()? != msg::KEXINIT {
        return Err(Error::proto("Expected KEXINIT"));
    }
    r.bytes(16)?;
    let mut lists: [Vec<String>; NAME_LISTS] = Default::default();
    for list in lists.iter_mut() {
        let s = r.string()?;
        if s.len() > MAX_NAME_LIST_LEN {
            return Err(Error::proto("KEXINIT name-list too long"));
        }
        let s = std::str::from_utf8(s).map_err(|_| Error::proto("KEXINIT name-list not ASCII"))?;
        *list = if s.is_empty() { Vec::new() } else { s.split(',').map(str::to_owned).collect() };
    }
    let first_kex_follows = r.bool()?;
    r.u32()?;
    Ok(KexInit { lists, first_kex_follows })
}

/// The algorithms agreed for one key exchange.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Negotiated {
    /// Key exchange method.
    pub kex: String,
    /// Host key algorithm.
    pub hostkey: String,
    /// Cipher client to server.
    pub crypt_cs: String,
    /// Cipher server to client.
    pub crypt_sc: String,
    /// MAC client to server as libssh2 reports it: with an AEAD cipher it is
    /// not used ([`INTEGRATED_GCM_MAC`] for AES-GCM; for chacha20-poly1305 the
    /// MAC the lists agree on, or empty).
    pub mac_cs: String,
    /// MAC server to client, reported as `mac_cs` is.
    pub mac_sc: String,
    /// Compression client to server.
    pub comp_cs: String,
    /// Compression server to client.
    pub comp_sc: String,
    /// Language client to server (usually empty).
    pub lang_cs: String,
    /// Language server to client (usually empty).
    pub lang_sc: String,
    /// The server offered strict kex (and we asked for it).
    pub strict: bool,
    /// The server wants EXT_INFO? (client side: the server will send one).
    pub server_guess_wrong: bool,
}

fn pick(ours: &[String], theirs: &[String]) -> Option<String> {
    ours.iter().find(|a| theirs.iter().any(|b| b == *a)).cloned()
}

/// Chooses the algorithms: for each list the first of ours the server also has.
/// `is_aead` tells which ciphers make the MAC list irrelevant.
pub fn negotiate(
    ours: &[Vec<String>; NAME_LISTS],
    theirs: &KexInit,
    is_aead: impl Fn(&str) -> bool,
) -> Result<Negotiated> {
    let t = &theirs.lists;
    let real = |l: &[String]| -> Vec<String> {
        l.iter().filter(|a| *a != EXT_INFO_C && *a != STRICT_KEX_C).cloned().collect()
    };
    let kex = pick(&real(&ours[idx::KEX]), &t[idx::KEX])
        .ok_or_else(|| Error::new(code::KEX_FAILURE, "Unable to agree on a key exchange method"))?;
    let hostkey = pick(&ours[idx::HOSTKEY], &t[idx::HOSTKEY])
        .ok_or_else(|| Error::new(code::KEX_FAILURE, "Unable to agree on a host key algorithm"))?;
    let crypt_cs = pick(&ours[idx::CRYPT_CS], &t[idx::CRYPT_CS])
        .ok_or_else(|| Error::new(code::KEX_FAILURE, "No common client-to-server cipher"))?;
    let crypt_sc = pick(&ours[idx::CRYPT_SC], &t[idx::CRYPT_SC])
        .ok_or_else(|| Error::new(code::KEX_FAILURE, "No common server-to-client cipher"))?;
    let mac = |i: usize, cipher: &str| -> Result<String> {
        if is_aead(cipher) {
            // libssh2 names a made-up MAC for GCM and still agrees on (and
            // ignores) a MAC for chacha20-poly1305; we do not fail when the
            // lists have none in common, as the MAC is not used.
            if cipher.contains("-gcm@") {
                return Ok(INTEGRATED_GCM_MAC.to_owned());
            }
            return Ok(pick(&ours[i], &t[i]).unwrap_or_default());
        }
        pick(&ours[i], &t[i]).ok_or_else(|| Error::new(code::KEX_FAILURE, "No common MAC algorithm"))
    };
    let mac_cs = mac(idx::MAC_CS, &crypt_cs)?;
    let mac_sc = mac(idx::MAC_SC, &crypt_sc)?;
    let comp_cs = pick(&ours[idx::COMP_CS], &t[idx::COMP_CS])
        .ok_or_else(|| Error::new(code::KEX_FAILURE, "No common compression method"))?;
    let comp_sc = pick(&ours[idx::COMP_SC], &t[idx::COMP_SC])
        .ok_or_else(|| Error::new(code::KEX_FAILURE, "No common compression method"))?;
    // Languages are optional: no match means none.
    let lang_cs = pick(&ours[idx::LANG_CS], &t[idx::LANG_CS]).unwrap_or_default();
    let lang_sc = pick(&ours[idx::LANG_SC], &t[idx::LANG_SC]).unwrap_or_default();
    let strict = ours[idx::KEX].iter().any(|a| a == STRICT_KEX_C) && t[idx::KEX].iter().any(|a| a == STRICT_KEX_S);
    // A guessed packet follows and is wrong unless both first choices agree (RFC 4253 7).
    let server_guess_wrong =
        theirs.first_kex_follows && (t[idx::KEX].first() != Some(&kex) || t[idx::HOSTKEY].first() != Some(&hostkey));
    Ok(Negotiated {
        kex,
        hostkey,
        crypt_cs,
        crypt_sc,
        mac_cs,
        mac_sc,
        comp_cs,
        comp_sc,
        lang_cs,
        lang_sc,
        strict,
        server_guess_wrong,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str) -> Vec<String> {
        s.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect()
    }

    fn lists(k: &str, h: &str, c: &str, m: &str, z: &str) -> [Vec<String>; NAME_LISTS] {
        [l(k), l(h), l(c), l(c), l(m), l(m), l(z), l(z), vec![], vec![]]
    }

    #[test]
    fn picks_first_of_ours_and_skips_macs_for_aead() {
        let ours = lists("a,b,ext-info-c,kex-strict-c-v00@openssh.com", "h1,h2", "aead,ctr", "m1,m2", "none");
        let theirs = KexInit {
            lists: lists("b,a,kex-strict-s-v00@openssh.com", "h2", "ctr,aead", "m2", "none"),
            first_kex_follows: false,
        };
        let n = negotiate(&ours, &theirs, |c| c == "aead").unwrap();
        assert_eq!(
            (n.kex.as_str(), n.hostkey.as_str(), n.crypt_cs.as_str(), n.mac_cs.as_str()),
            ("a", "h2", "aead", "m2")
        );
        assert!(n.strict);
        // No common MAC is no failure with an AEAD cipher; GCM reports libssh2's made-up name.
        let theirs = KexInit { lists: lists("a", "h2", "aead", "m3", "none"), first_kex_follows: false };
        assert_eq!(negotiate(&ours, &theirs, |c| c == "aead").unwrap().mac_cs, "");
        let ours = lists("a", "h", "aes128-gcm@openssh.com", "m", "none");
        let theirs =
            KexInit { lists: lists("a", "h", "aes128-gcm@openssh.com", "m", "none"), first_kex_follows: false };
        assert_eq!(negotiate(&ours, &theirs, |_| true).unwrap().mac_sc, INTEGRATED_GCM_MAC);
    }

    #[test]
    fn no_common_cipher_is_kex_failure() {
        let ours = lists("a", "h", "x", "m", "none");
        let theirs = KexInit { lists: lists("a", "h", "y", "m", "none"), first_kex_follows: false };
        assert_eq!(negotiate(&ours, &theirs, |_| false).unwrap_err().code, code::KEX_FAILURE);
    }

    #[test]
    fn kexinit_round_trip_and_truncation() {
        let ours = lists("a,b", "h", "c", "m", "none");
        let p = build(&ours).unwrap();
        let k = parse(&p).unwrap();
        assert_eq!(k.lists[0], vec!["a", "b"]);
        for n in 0..p.len() {
            assert!(parse(&p[..n]).is_err(), "truncated at {n} parsed");
        }
    }
}
