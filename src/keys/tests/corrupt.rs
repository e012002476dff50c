//! Corrupt and truncated inputs only ever give errors.

use super::*;

/// Feeds every truncation and many single-byte corruptions of `text` to the loader; only
/// Ok or Err may come back. Both the armored text and the decoded body are mutated so the
/// inner parsers, not just base64, see the damage.
fn hammer(text: &[u8], pass: Option<&[u8]>, stride: usize) {
    let armor = crate::keys::pem::Armor::parse(text).unwrap();
    let label = armor.label.clone();
    let body = armor.body.to_vec();
    let rewrap = |b: &[u8]| {
        let b64 = base64::engine::general_purpose::STANDARD.encode(b);
        format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n").into_bytes()
    };
    // The rewrapped original still loads (so the mutations start from something valid),
    // unless it is a legacy-encrypted PEM whose headers the rewrap drops.
    if !String::from_utf8_lossy(text).contains("DEK-Info") {
        PrivateKey::from_memory(&rewrap(&body), pass).unwrap();
    }
    for n in (0..body.len()).step_by(stride.max(1)) {
        let _ = PrivateKey::from_memory(&rewrap(&body[..n]), pass);
    }
    for i in (0..body.len()).step_by(stride) {
        for x in [0x01u8, 0x80, 0xff] {
            let mut m = body.clone();
            m[i] ^= x;
            let _ = PrivateKey::from_memory(&rewrap(&m), pass);
        }
    }
    for n in (0..text.len()).step_by(stride) {
        let _ = PrivateKey::from_memory(&text[..n], pass);
        let mut m = text.to_vec();
        m[n] ^= 0x20;
        let _ = PrivateKey::from_memory(&m, pass);
    }
}

#[test]
fn corrupt_key_files_never_panic() {
    let lab = Lab::new();
    let pin = format!("pass:{PW}");
    let ed = lab.keygen("ed", "", &["-t", "ed25519"]);
    hammer(&std::fs::read(&ed).unwrap(), None, 1);
    // P-256 and a sparser stride for the slow paths (curve arithmetic and bcrypt are
    // unoptimised in test builds); the P-521 decoding has its own test above.
    let ec = lab.keygen("ec", "", &["-t", "ecdsa", "-b", "256"]);
    hammer(&std::fs::read(&ec).unwrap(), None, 1);
    let enc = lab.keygen("ed_enc", PW, &["-t", "ed25519", "-a", "1", "-Z", "aes256-gcm@openssh.com"]);
    hammer(&std::fs::read(&enc).unwrap(), Some(PW.as_bytes()), 19);
    let dsa = lab.keygen("dsa", "", &["-t", "dsa", "-m", "PEM"]);
    hammer(&std::fs::read(&dsa).unwrap(), None, 3);
    let rsa = lab.keygen("rsa", "", &["-t", "rsa", "-b", "1024", "-m", "PEM"]);
    hammer(&std::fs::read(&rsa).unwrap(), None, 5);
    let rsa_enc = lab.openssl("rsa_enc", &["rsa", "-in", "rsa", "-aes128", "-traditional", "-passout", &pin]);
    hammer(&std::fs::read(&rsa_enc).unwrap(), Some(PW.as_bytes()), 5);
    lab.keygen("ec_pem", "", &["-t", "ecdsa", "-b", "384", "-m", "PEM"]);
    let ec8 = lab.openssl("ec8", &["pkcs8", "-topk8", "-in", "ec_pem", "-nocrypt"]);
    hammer(&std::fs::read(&ec8).unwrap(), None, 2);
    let ec8e = lab.openssl("ec8e", &["pkcs8", "-topk8", "-in", "ec_pem", "-passout", &pin, "-iter", "16"]);
    hammer(&std::fs::read(&ec8e).unwrap(), Some(PW.as_bytes()), 2);
}

#[test]
fn corrupt_public_blobs_never_panic() {
    let lab = Lab::new();
    for (name, args) in TYPES {
        lab.keygen(name, "", args);
        let blob = blob_of(&lab, name);
        for n in 0..blob.len() {
            assert!(PublicKey::from_blob(&blob[..n]).is_err());
        }
        for i in 0..blob.len() {
            let mut m = blob.clone();
            m[i] ^= 0x41;
            let _ = PublicKey::from_blob(&m);
        }
    }
}
