//! Every key file format and type loads to the key OpenSSH sees in it.

use super::*;

#[test]
fn openssh_format_plain_and_encrypted_every_type() {
    let lab = Lab::new();
    for (name, args) in TYPES {
        let plain = lab.keygen(name, "", args);
        let blob = lab.ssh_blob(&plain, None);
        let key = check_key(&plain, None, &blob);
        // An empty passphrase is the same as none.
        assert_eq!(PrivateKey::from_file(&plain, Some(b"")).unwrap().public_blob(), blob);
        assert_eq!(
            key.public_blob(),
            parse_public_key_file(&std::fs::read(plain.with_extension("pub")).unwrap()).unwrap().1
        );
        let enc_name = format!("{name}_enc");
        let enc = lab.keygen(&enc_name, PW, &[args, &["-a", "4"][..]].concat());
        check_key(&enc, Some(PW), &blob_of(&lab, &enc_name));
    }
}

#[test]
fn openssh_format_every_cipher() {
    let lab = Lab::new();
    let ciphers = [
        "aes256-ctr",
        "aes256-gcm@openssh.com",
        "aes128-ctr",
        "aes192-ctr",
        "aes128-cbc",
        "aes256-cbc",
        "chacha20-poly1305@openssh.com",
    ];
    for (i, cipher) in ciphers.iter().enumerate() {
        // Rotate through the key types so each cipher meets a different payload length.
        let (_, args) = TYPES[i % TYPES.len()];
        let name = format!("k{i}");
        let path = lab.keygen(&name, PW, &[args, &["-Z", cipher, "-a", "2"][..]].concat());
        let text = std::fs::read(&path).unwrap();
        let key = check_key(&path, Some(PW), &blob_of(&lab, &name));
        assert_eq!(key.public_blob(), lab.ssh_blob(&path, Some(PW)), "{cipher}");
        // Wrong or missing passphrase: KEYFILE_AUTH_FAILED from memory, FILE from a file.
        for bad in [Some(&b"wrong-pw"[..]), None] {
            let e = PrivateKey::from_memory(&text, bad).unwrap_err();
            assert_eq!(e.code, code::KEYFILE_AUTH_FAILED, "{cipher}");
            let e = PrivateKey::from_file(&path, bad).unwrap_err();
            assert_eq!(e.code, code::FILE, "{cipher}");
        }
    }
}

#[test]
fn p521_keys_with_short_scalars_load() {
    // Half of all P-521 scalars have a zero top byte and so a 65-byte mpint.
    let lab = Lab::new();
    for i in 0..8 {
        let name = format!("k{i}");
        let path = lab.keygen(&name, "", &["-t", "ecdsa", "-b", "521"]);
        check_key(&path, None, &blob_of(&lab, &name));
    }
}

#[test]
fn openssh_default_rounds_key_loads() {
    let lab = Lab::new();
    let path = lab.keygen("k", PW, &["-t", "ed25519"]);
    check_key(&path, Some(PW), &blob_of(&lab, "k"));
}

#[test]
fn traditional_pem_plain_and_every_dek_cipher() {
    let lab = Lab::new();
    for (name, args) in TYPES.iter().filter(|(n, _)| *n != "ed25519") {
        let plain = lab.keygen(name, "", &[args, &["-m", "PEM"][..]].concat());
        let label = match *name {
            "rsa" => "RSA PRIVATE KEY",
            "dsa" => "DSA PRIVATE KEY",
            _ => "EC PRIVATE KEY",
        };
        assert!(String::from_utf8(std::fs::read(&plain).unwrap()).unwrap().contains(label));
        let blob = lab.ssh_blob(&plain, None);
        check_key(&plain, None, &blob);
        // ssh-keygen's own encrypted PEM is AES-128-CBC.
        let enc = lab.keygen(&format!("{name}_enc"), PW, &[args, &["-m", "PEM"][..]].concat());
        let enc_blob = lab.ssh_blob(&enc, Some(PW));
        check_key(&enc, Some(PW), &enc_blob);
        assert!(std::fs::read_to_string(&enc).unwrap().contains("DEK-Info: AES-128-CBC,"));
        let e = PrivateKey::from_file(&enc, Some(b"wrong-pw")).unwrap_err();
        assert_eq!((e.code, &*e.msg), (code::FILE, "Wrong passphrase or invalid/unrecognized private key file format"));
        assert_eq!(PrivateKey::from_memory(&std::fs::read(&enc).unwrap(), None).unwrap_err().code, code::FILE);
        // OpenSSL re-encrypts with the other DEK-Info ciphers.
        let tool = match *name {
            "rsa" => "rsa",
            "dsa" => "dsa",
            _ => "ec",
        };
        for (flag, dek) in [("-aes192", "AES-192-CBC"), ("-aes256", "AES-256-CBC"), ("-des3", "DES-EDE3-CBC")] {
            let out = format!("{name}{flag}");
            let pin = format!("pass:{PW}");
            let mut a = vec![tool, "-in", plain.to_str().unwrap(), flag, "-passout", &pin];
            if tool == "rsa" {
                a.push("-traditional");
            }
            let p = lab.openssl(&out, &a);
            assert!(std::fs::read_to_string(&p).unwrap().contains(&format!("DEK-Info: {dek},")), "{out}");
            check_key(&p, Some(PW), &blob);
        }
    }
}

/// The ssh-ed25519 blob for an Ed25519 PKCS#8 file (OpenSSH 9.2 cannot read those itself).
fn ed25519_blob_via_openssl(lab: &Lab, path: &Path, pass: Option<&str>) -> Vec<u8> {
    let pin = format!("pass:{}", pass.unwrap_or(""));
    let der =
        lab.run("openssl", &["pkey", "-in", path.to_str().unwrap(), "-passin", &pin, "-pubout", "-outform", "DER"]);
    let raw = &der[der.len() - 32..];
    let mut w = Writer::new();
    w.string(b"ssh-ed25519").string(raw);
    w.into_inner()
}

#[test]
fn pkcs8_plain_and_pbes2_encrypted() {
    let lab = Lab::new();
    let pin = format!("pass:{PW}");
    let encryptions: [&[&str]; 2] =
        [&["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256"], &["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"]];
    for (name, args) in TYPES {
        let (src, blob) = if *name == "ed25519" {
            let p = lab.openssl("ed.pem", &["genpkey", "-algorithm", "ed25519"]);
            let b = ed25519_blob_via_openssl(&lab, &p, None);
            (p, b)
        } else {
            let p = lab.keygen(name, "", &[args, &["-m", "PEM"][..]].concat());
            let b = lab.ssh_blob(&p, None);
            (p, b)
        };
        let src = src.to_str().unwrap().to_owned();
        let plain = lab.openssl(&format!("{name}.p8"), &["pkcs8", "-topk8", "-nocrypt", "-in", &src]);
        assert!(std::fs::read_to_string(&plain).unwrap().starts_with("-----BEGIN PRIVATE KEY-----"));
        check_key(&plain, None, &blob);
        if *name == "dsa" {
            continue; // encrypted PKCS#8 is required for rsa/ec/ed25519 only
        }
        for (i, enc_args) in encryptions.iter().enumerate() {
            let out = format!("{name}.{i}.p8e");
            let mut a = vec!["pkcs8", "-topk8", "-in", &src, "-passout", &pin];
            a.extend_from_slice(enc_args);
            let p = lab.openssl(&out, &a);
            assert!(std::fs::read_to_string(&p).unwrap().starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
            check_key(&p, Some(PW), &blob);
            if *name != "ed25519" {
                assert_eq!(lab.ssh_blob(&p, Some(PW)), blob);
            }
            let e = PrivateKey::from_file(&p, Some(b"wrong-pw")).unwrap_err();
            assert_eq!(e.code, code::FILE);
            assert_eq!(PrivateKey::from_file(&p, None).unwrap_err().code, code::FILE);
        }
    }
}

#[test]
fn unreadable_and_unrecognized_files() {
    let lab = Lab::new();
    let e = PrivateKey::from_file(&lab.path("missing"), None).unwrap_err();
    assert_eq!((e.code, &*e.msg), (code::FILE, "Unable to open private key file"));
    let e = PrivateKey::from_file(lab.dir.path(), None).unwrap_err();
    assert_eq!(e.code, code::FILE);
    for junk in [
        &b""[..],
        b"hello",
        b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        b"-----BEGIN FOO PRIVATE KEY-----\nAAAA\n-----END FOO PRIVATE KEY-----\n",
        b"-----BEGIN RSA PRIVATE KEY-----\n!!!!\n-----END RSA PRIVATE KEY-----\n",
        b"-----BEGIN RSA PRIVATE KEY-----\nMAA=\n",
        b"\xff\xfe",
    ] {
        let e = PrivateKey::from_memory(junk, None).unwrap_err();
        assert_eq!(e.code, code::FILE, "{junk:?}");
    }
}
