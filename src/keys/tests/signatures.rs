//! Signatures cross-checked with OpenSSH and OpenSSL; host key, certificate and
//! algorithm-choice behaviour.

use super::*;

/// Parses an armored SSHSIG (PROTOCOL.sshsig) into (public key, hash alg, signature).
fn parse_sshsig(armored: &[u8]) -> (Vec<u8>, String, Vec<u8>) {
    let text = std::str::from_utf8(armored).unwrap();
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let bin = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let mut r = Reader::new(&bin);
    assert_eq!(r.bytes(6).unwrap(), b"SSHSIG");
    assert_eq!(r.u32().unwrap(), 1);
    let key = r.string().unwrap().to_vec();
    assert_eq!(r.str().unwrap(), NS);
    r.string().unwrap();
    let hash = r.str().unwrap().to_owned();
    let sig = r.string().unwrap().to_vec();
    r.finish().unwrap();
    (key, hash, sig)
}

/// The bytes an SSHSIG signature covers.
fn sshsig_signed_data(hash_alg: &str, msg: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let h = match hash_alg {
        "sha256" => sha2::Sha256::digest(msg).to_vec(),
        _ => sha2::Sha512::digest(msg).to_vec(),
    };
    let mut w = Writer::new();
    w.raw(b"SSHSIG").string(NS.as_bytes()).string(b"").string(hash_alg.as_bytes()).string(&h);
    w.into_inner()
}

/// An armored SSHSIG wrapping our own signature.
fn make_sshsig(key: &PrivateKey, alg_name: &str) -> String {
    let sig = key.sign(alg_name, &sshsig_signed_data("sha512", MSG)).unwrap();
    let mut w = Writer::new();
    w.raw(b"SSHSIG").u32(1).string(&key.public_blob()).string(NS.as_bytes()).string(b"");
    w.string(b"sha512").string(&sig);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&w.buf);
    let body: Vec<&str> = b64.as_bytes().chunks(70).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN SSH SIGNATURE-----\n{}\n-----END SSH SIGNATURE-----\n", body.join("\n"))
}

#[test]
fn signatures_cross_verify_with_openssh() {
    let lab = Lab::new();
    std::fs::write(lab.path("msg"), MSG).unwrap();
    for (name, args) in TYPES {
        let path = lab.keygen(name, "", args);
        let blob = blob_of(&lab, name);
        // OpenSSH signs, we verify.
        lab.run("ssh-keygen", &["-Y", "sign", "-f", name, "-n", NS, "msg"]);
        let (sig_key, hash, sig) = parse_sshsig(&std::fs::read(lab.path("msg.sig")).unwrap());
        std::fs::remove_file(lab.path("msg.sig")).unwrap();
        assert_eq!(sig_key, blob);
        let public = PublicKey::from_blob(&blob).unwrap();
        public.verify(&sig, &sshsig_signed_data(&hash, MSG)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(public.verify(&sig, &sshsig_signed_data(&hash, b"tampered")).is_err());
        // We sign, OpenSSH verifies.
        let key = PrivateKey::from_file(&path, None).unwrap();
        let line = String::from_utf8(std::fs::read(lab.path(&format!("{name}.pub"))).unwrap()).unwrap();
        std::fs::write(lab.path("allowed"), format!("tester {}", line)).unwrap();
        let algs: &[&str] = if *name == "rsa" { &[alg::RSA_SHA2_512, alg::RSA_SHA2_256] } else { key.signature_algs() };
        for a in algs {
            std::fs::write(lab.path("ours.sig"), make_sshsig(&key, a)).unwrap();
            let status = Command::new("ssh-keygen")
                .args(["-Y", "verify", "-f", "allowed", "-I", "tester", "-n", NS, "-s", "ours.sig"])
                .current_dir(lab.dir.path())
                .stdin(std::fs::File::open(lab.path("msg")).unwrap())
                .output()
                .unwrap();
            assert!(status.status.success(), "{name}/{a}: {}", String::from_utf8_lossy(&status.stderr));
        }
    }
}

#[test]
fn ssh_rsa_sha1_signature_verifies_with_openssl() {
    let lab = Lab::new();
    let path = lab.keygen("rsa", "", &["-t", "rsa", "-b", "2048"]);
    let key = PrivateKey::from_file(&path, None).unwrap();
    let sig = key.sign(alg::SSH_RSA, MSG).unwrap();
    let mut r = Reader::new(&sig);
    assert_eq!(r.str().unwrap(), "ssh-rsa");
    std::fs::write(lab.path("sig.bin"), r.string().unwrap()).unwrap();
    std::fs::write(lab.path("msg"), MSG).unwrap();
    let pem = lab.run("ssh-keygen", &["-e", "-m", "PKCS8", "-f", "rsa.pub"]);
    std::fs::write(lab.path("pub.pem"), pem).unwrap();
    let out = lab.run("openssl", &["dgst", "-sha1", "-verify", "pub.pem", "-signature", "sig.bin", "msg"]);
    assert!(String::from_utf8_lossy(&out).contains("Verified OK"));
    // And openssl's SHA-1 signature verifies with us.
    let src = lab.path("rsa_pem");
    std::fs::copy(&path, &src).unwrap();
    lab.run("ssh-keygen", &["-p", "-q", "-N", "", "-m", "PEM", "-f", "rsa_pem"]);
    let raw = lab.run("openssl", &["dgst", "-sha1", "-sign", "rsa_pem", "msg"]);
    let mut w = Writer::new();
    w.string(b"ssh-rsa").string(&raw);
    verify_hostkey("ssh-rsa", &key.public_blob(), &w.buf, MSG).unwrap();
}

#[test]
fn host_key_verification_codes() {
    let lab = Lab::new();
    lab.keygen("ed", "", &["-t", "ed25519"]);
    lab.keygen("rsa", "", &["-t", "rsa", "-b", "2048"]);
    let ed = PrivateKey::from_file(&lab.path("ed"), None).unwrap();
    let rsa = PrivateKey::from_file(&lab.path("rsa"), None).unwrap();
    let ed_sig = ed.sign(alg::SSH_ED25519, MSG).unwrap();
    verify_hostkey("ssh-ed25519", &ed.public_blob(), &ed_sig, MSG).unwrap();
    for a in [alg::RSA_SHA2_512, alg::RSA_SHA2_256, alg::SSH_RSA] {
        verify_hostkey(a, &rsa.public_blob(), &rsa.sign(a, MSG).unwrap(), MSG).unwrap();
    }
    let code_of = |r: Result<()>| r.unwrap_err().code;
    let e = verify_hostkey("ssh-ed25519", &ed.public_blob(), &ed_sig, b"other").unwrap_err();
    assert_eq!(&*e.msg, "Unable to verify hostkey signature");
    let e = verify_hostkey("ssh-ed25519", b"junk", &ed_sig, MSG).unwrap_err();
    assert_eq!(&*e.msg, "Unable to initialize hostkey importer");
    // The signature's algorithm must be the negotiated one.
    let s256 = rsa.sign(alg::RSA_SHA2_256, MSG).unwrap();
    assert_eq!(code_of(verify_hostkey("rsa-sha2-512", &rsa.public_blob(), &s256, MSG)), code::HOSTKEY_SIGN);
    // A key of another type than negotiated, or garbage, cannot be initialised.
    assert_eq!(code_of(verify_hostkey("ssh-ed25519", &rsa.public_blob(), &s256, MSG)), code::HOSTKEY_INIT);
    assert_eq!(code_of(verify_hostkey("ssh-ed25519", b"\0\0\0\x0bssh-ed25519", &ed_sig, MSG)), code::HOSTKEY_INIT);
    assert_eq!(code_of(verify_hostkey("foo", &ed.public_blob(), &ed_sig, MSG)), code::HOSTKEY_INIT);
    // Bad signatures: other data, flipped bits, trailing bytes, truncation.
    assert_eq!(code_of(verify_hostkey("ssh-ed25519", &ed.public_blob(), &ed_sig, b"x")), code::HOSTKEY_SIGN);
    let mut flipped = ed_sig.clone();
    *flipped.last_mut().unwrap() ^= 1;
    assert_eq!(code_of(verify_hostkey("ssh-ed25519", &ed.public_blob(), &flipped, MSG)), code::HOSTKEY_SIGN);
    let mut longer = ed_sig.clone();
    longer.push(0);
    assert_eq!(code_of(verify_hostkey("ssh-ed25519", &ed.public_blob(), &longer, MSG)), code::HOSTKEY_SIGN);
    for n in 0..ed_sig.len() {
        assert_eq!(code_of(verify_hostkey("ssh-ed25519", &ed.public_blob(), &ed_sig[..n], MSG)), code::HOSTKEY_SIGN);
    }
    // An RSA signature with its leading zero bytes dropped still verifies, as in OpenSSH.
    let (mut found, mut i) = (false, 0u32);
    while !found && i < 2000 {
        let data = i.to_be_bytes();
        let sig = rsa.sign(alg::RSA_SHA2_256, &data).unwrap();
        let mut r = Reader::new(&sig);
        r.str().unwrap();
        let raw = r.string().unwrap();
        if raw[0] == 0 {
            let mut w = Writer::new();
            w.string(b"rsa-sha2-256").string(&raw[1..]);
            verify_hostkey("rsa-sha2-256", &rsa.public_blob(), &w.buf, &data).unwrap();
            found = true;
        }
        i += 1;
    }
    assert!(found);
}

#[test]
fn certificates_parse_and_verify_as_host_keys() {
    let lab = Lab::new();
    lab.keygen("ca", "", &["-t", "ed25519"]);
    for (name, args, negotiated, sig_alg) in [
        ("ed", &["-t", "ed25519"][..], alg::SSH_ED25519_CERT, alg::SSH_ED25519),
        ("ec", &["-t", "ecdsa", "-b", "384"][..], alg::ECDSA_NISTP384_CERT, alg::ECDSA_NISTP384),
        ("rsa", &["-t", "rsa", "-b", "2048"][..], alg::RSA_SHA2_512_CERT, alg::RSA_SHA2_512),
        ("dsa", &["-t", "dsa"][..], alg::SSH_DSS_CERT, alg::SSH_DSS),
    ] {
        let path = lab.keygen(name, "", args);
        lab.run("ssh-keygen", &["-q", "-s", "ca", "-I", "host", "-h", "-n", "example.com", &format!("{name}.pub")]);
        let (kind, blob) =
            parse_public_key_file(&std::fs::read(lab.path(&format!("{name}-cert.pub"))).unwrap()).unwrap();
        let cert = PublicKey::from_blob(&blob).unwrap();
        assert!(cert.is_cert());
        assert_eq!(cert.key_type(), kind);
        assert_eq!(cert.blob(), &blob[..]);
        let key = PrivateKey::from_file(&path, None).unwrap();
        assert_eq!(cert.base_key_type(), key.key_type());
        let sig = key.sign(negotiated, MSG).unwrap();
        assert_eq!(Reader::new(&sig).str().unwrap(), sig_alg);
        if name != "dsa" {
            verify_hostkey(negotiated, &blob, &sig, MSG).unwrap();
        }
        cert.verify(&sig, MSG).unwrap();
        // The plain algorithm does not accept a certificate blob.
        assert_eq!(verify_hostkey(sig_alg, &blob, &sig, MSG).unwrap_err().code, code::HOSTKEY_INIT);
        for n in 0..blob.len() {
            assert!(PublicKey::from_blob(&blob[..n]).is_err());
        }
    }
}

#[test]
fn public_key_file_parsing() {
    let lab = Lab::new();
    lab.keygen("k", "", &["-t", "ed25519"]);
    let text = std::fs::read(lab.path("k.pub")).unwrap();
    let (kind, blob) = parse_public_key_file(&text).unwrap();
    assert_eq!(kind, "ssh-ed25519");
    assert_eq!(PublicKey::from_blob(&blob).unwrap().key_type(), "ssh-ed25519");
    let s = String::from_utf8(text).unwrap();
    let no_comment: String = s.split(' ').take(2).collect::<Vec<_>>().join(" ");
    assert_eq!(parse_public_key_file(no_comment.as_bytes()).unwrap().1, blob);
    for bad in [&b""[..], b"ssh-ed25519", b"ssh-ed25519 !!!! c", b"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA== c"] {
        assert_eq!(parse_public_key_file(bad).unwrap_err().code, code::FILE, "{bad:?}");
    }
    // Too short to name a type: taken as libssh2 takes it, the auth call refuses it.
    assert_eq!(parse_public_key_file(b"ssh-ed25519 AAAA c").unwrap().1, vec![0u8; 3]);
}

#[test]
fn user_signature_algorithm_choice() {
    let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let both = list(&["ssh-ed25519", "rsa-sha2-256", "rsa-sha2-512"]);
    let only256 = list(&["rsa-sha2-256", "ssh-rsa"]);
    assert_eq!(choose_user_sig_alg("ssh-rsa", Some(&both)), "rsa-sha2-512");
    assert_eq!(choose_user_sig_alg("ssh-rsa", Some(&only256)), "rsa-sha2-256");
    assert_eq!(choose_user_sig_alg("ssh-rsa", Some(&list(&["ssh-rsa"]))), "ssh-rsa");
    assert_eq!(choose_user_sig_alg("ssh-rsa", None), "ssh-rsa");
    assert_eq!(choose_user_sig_alg(alg::SSH_RSA_CERT, Some(&both)), alg::RSA_SHA2_512_CERT);
    assert_eq!(choose_user_sig_alg(alg::SSH_RSA_CERT, Some(&list(&[alg::RSA_SHA2_256_CERT]))), alg::RSA_SHA2_256_CERT);
    assert_eq!(choose_user_sig_alg(alg::SSH_RSA_CERT, None), alg::SSH_RSA_CERT);
    assert_eq!(choose_user_sig_alg("ssh-ed25519", Some(&both)), "ssh-ed25519");
    assert_eq!(choose_user_sig_alg(alg::ECDSA_NISTP256_CERT, None), alg::ECDSA_NISTP256_CERT);
}

#[test]
fn algorithm_lists_are_consistent() {
    for a in DEFAULT_HOSTKEY_ALGS {
        assert!(SUPPORTED_HOSTKEY_ALGS.contains(a));
    }
    assert!(!DEFAULT_HOSTKEY_ALGS.contains(&alg::SSH_DSS));
    assert!(SUPPORTED_HOSTKEY_ALGS.contains(&alg::SSH_DSS));
    assert_eq!(DEFAULT_HOSTKEY_ALGS[0], alg::ECDSA_NISTP256);
    for a in SUPPORTED_HOSTKEY_ALGS {
        assert!(crate::keys::key_type_for_alg(a).is_some(), "{a}");
    }
}

#[test]
fn sign_rejects_foreign_algorithms() {
    let lab = Lab::new();
    let ed = PrivateKey::from_file(&lab.keygen("ed", "", &["-t", "ed25519"]), None).unwrap();
    assert_eq!(ed.sign("rsa-sha2-256", MSG).unwrap_err().code, code::INVAL);
    assert_eq!(ed.sign("ecdsa-sha2-nistp256", MSG).unwrap_err().code, code::INVAL);
    assert_eq!(format!("{ed:?}"), "PrivateKey { type: \"ssh-ed25519\", .. }");
}
