//! Tests against real OpenSSH and OpenSSL tools: every key format and type loads to the
//! public key `ssh-keygen -y` reports, signatures cross-verify both ways, and corrupt
//! files only ever give errors.

use super::*;
use crate::proto::wire::{Reader, Writer};
use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The passphrase for every encrypted test key (ssh-keygen wants at least five characters).
const PW: &str = "secret-pw";
/// The SSHSIG namespace used for cross-checks.
const NS: &str = "file";
/// What gets signed.
const MSG: &[u8] = b"exchange hash stand-in: the quick brown fox";

struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new() -> Self {
        Lab {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs a tool in the lab directory, asserting success, and returns its stdout.
    fn run(&self, prog: &str, args: &[&str]) -> Vec<u8> {
        let out = Command::new(prog)
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{prog} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Generates `name` with ssh-keygen; `extra` picks type, format and cipher.
    fn keygen(&self, name: &str, pass: &str, extra: &[&str]) -> PathBuf {
        let mut args = vec!["-q", "-N", pass, "-C", "test", "-f", name];
        args.extend_from_slice(extra);
        self.run("ssh-keygen", &args);
        self.path(name)
    }

    /// Runs openssl writing `name`, then makes it private so ssh-keygen will read it.
    fn openssl(&self, name: &str, args: &[&str]) -> PathBuf {
        let mut a = args.to_vec();
        a.extend_from_slice(&["-out", name]);
        self.run("openssl", &a);
        self.chmod600(name);
        self.path(name)
    }

    fn chmod600(&self, name: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.path(name), std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// The public key blob OpenSSH derives from a private key file.
    fn ssh_blob(&self, key: &Path, pass: Option<&str>) -> Vec<u8> {
        let k = key.to_str().unwrap();
        let out = match pass {
            Some(p) => self.run("ssh-keygen", &["-y", "-P", p, "-f", k]),
            None => self.run("ssh-keygen", &["-y", "-f", k]),
        };
        parse_public_key_file(&out).unwrap().1
    }
}

/// Loads `path` and checks its public blob and that it signs verifiably with every algorithm.
fn check_key(path: &Path, pass: Option<&str>, expected_blob: &[u8]) -> PrivateKey {
    let key = PrivateKey::from_file(path, pass.map(str::as_bytes))
        .unwrap_or_else(|e| panic!("{} failed to load: {e}", path.display()));
    assert_eq!(key.public_blob(), expected_blob, "{}", path.display());
    let public = PublicKey::from_blob(&key.public_blob()).unwrap();
    assert_eq!(public.key_type(), key.key_type());
    for a in key.signature_algs() {
        let sig = key.sign(a, MSG).unwrap();
        assert_eq!(Reader::new(&sig).str().unwrap(), *a);
        public
            .verify(&sig, MSG)
            .unwrap_or_else(|e| panic!("{a}: {e}"));
        assert_eq!(
            public.verify(&sig, b"other data").unwrap_err().code,
            code::HOSTKEY_SIGN,
            "{a}"
        );
    }
    key
}

/// ssh-keygen arguments for each key type we support.
const TYPES: &[(&str, &[&str])] = &[
    ("ed25519", &["-t", "ed25519"]),
    ("p256", &["-t", "ecdsa", "-b", "256"]),
    ("p384", &["-t", "ecdsa", "-b", "384"]),
    ("p521", &["-t", "ecdsa", "-b", "521"]),
    ("rsa", &["-t", "rsa", "-b", "2048"]),
    ("dsa", &["-t", "dsa"]),
];

#[test]
fn openssh_format_plain_and_encrypted_every_type() {
    let lab = Lab::new();
    for (name, args) in TYPES {
        let plain = lab.keygen(name, "", args);
        let blob = lab.ssh_blob(&plain, None);
        let key = check_key(&plain, None, &blob);
        // An empty passphrase is the same as none.
        assert_eq!(
            PrivateKey::from_file(&plain, Some(b""))
                .unwrap()
                .public_blob(),
            blob
        );
        assert_eq!(
            key.public_blob(),
            parse_public_key_file(&std::fs::read(plain.with_extension("pub")).unwrap())
                .unwrap()
                .1
        );
        let enc_name = format!("{name}_enc");
        let enc = lab.keygen(&enc_name, PW, &[args, &["-a", "4"][..]].concat());
        check_key(&enc, Some(PW), &blob_of(&lab, &enc_name));
    }
}

fn blob_of(lab: &Lab, name: &str) -> Vec<u8> {
    parse_public_key_file(&std::fs::read(lab.path(&format!("{name}.pub"))).unwrap())
        .unwrap()
        .1
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
        assert!(String::from_utf8(std::fs::read(&plain).unwrap())
            .unwrap()
            .contains(label));
        let blob = lab.ssh_blob(&plain, None);
        check_key(&plain, None, &blob);
        // ssh-keygen's own encrypted PEM is AES-128-CBC.
        let enc = lab.keygen(
            &format!("{name}_enc"),
            PW,
            &[args, &["-m", "PEM"][..]].concat(),
        );
        let enc_blob = lab.ssh_blob(&enc, Some(PW));
        check_key(&enc, Some(PW), &enc_blob);
        assert!(std::fs::read_to_string(&enc)
            .unwrap()
            .contains("DEK-Info: AES-128-CBC,"));
        let e = PrivateKey::from_file(&enc, Some(b"wrong-pw")).unwrap_err();
        assert_eq!(
            (e.code, &*e.msg),
            (
                code::FILE,
                "Wrong passphrase or invalid/unrecognized private key file format"
            )
        );
        assert_eq!(
            PrivateKey::from_memory(&std::fs::read(&enc).unwrap(), None)
                .unwrap_err()
                .code,
            code::FILE
        );
        // OpenSSL re-encrypts with the other DEK-Info ciphers.
        let tool = match *name {
            "rsa" => "rsa",
            "dsa" => "dsa",
            _ => "ec",
        };
        for (flag, dek) in [
            ("-aes192", "AES-192-CBC"),
            ("-aes256", "AES-256-CBC"),
            ("-des3", "DES-EDE3-CBC"),
        ] {
            let out = format!("{name}{flag}");
            let pin = format!("pass:{PW}");
            let mut a = vec![tool, "-in", plain.to_str().unwrap(), flag, "-passout", &pin];
            if tool == "rsa" {
                a.push("-traditional");
            }
            let p = lab.openssl(&out, &a);
            assert!(
                std::fs::read_to_string(&p)
                    .unwrap()
                    .contains(&format!("DEK-Info: {dek},")),
                "{out}"
            );
            check_key(&p, Some(PW), &blob);
        }
    }
}

/// The ssh-ed25519 blob for an Ed25519 PKCS#8 file (OpenSSH 9.2 cannot read those itself).
fn ed25519_blob_via_openssl(lab: &Lab, path: &Path, pass: Option<&str>) -> Vec<u8> {
    let pin = format!("pass:{}", pass.unwrap_or(""));
    let der = lab.run(
        "openssl",
        &[
            "pkey",
            "-in",
            path.to_str().unwrap(),
            "-passin",
            &pin,
            "-pubout",
            "-outform",
            "DER",
        ],
    );
    let raw = &der[der.len() - 32..];
    let mut w = Writer::new();
    w.string(b"ssh-ed25519").string(raw);
    w.into_inner()
}

#[test]
fn pkcs8_plain_and_pbes2_encrypted() {
    let lab = Lab::new();
    let pin = format!("pass:{PW}");
    let encryptions: [&[&str]; 2] = [
        &["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256"],
        &["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"],
    ];
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
        let plain = lab.openssl(
            &format!("{name}.p8"),
            &["pkcs8", "-topk8", "-nocrypt", "-in", &src],
        );
        assert!(std::fs::read_to_string(&plain)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        check_key(&plain, None, &blob);
        if *name == "dsa" {
            continue; // encrypted PKCS#8 is required for rsa/ec/ed25519 only
        }
        for (i, enc_args) in encryptions.iter().enumerate() {
            let out = format!("{name}.{i}.p8e");
            let mut a = vec!["pkcs8", "-topk8", "-in", &src, "-passout", &pin];
            a.extend_from_slice(enc_args);
            let p = lab.openssl(&out, &a);
            assert!(std::fs::read_to_string(&p)
                .unwrap()
                .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
            check_key(&p, Some(PW), &blob);
            if *name != "ed25519" {
                assert_eq!(lab.ssh_blob(&p, Some(PW)), blob);
            }
            let e = PrivateKey::from_file(&p, Some(b"wrong-pw")).unwrap_err();
            assert_eq!(e.code, code::FILE);
            assert_eq!(
                PrivateKey::from_file(&p, None).unwrap_err().code,
                code::FILE
            );
        }
    }
}

#[test]
fn unreadable_and_unrecognized_files() {
    let lab = Lab::new();
    let e = PrivateKey::from_file(&lab.path("missing"), None).unwrap_err();
    assert_eq!(
        (e.code, &*e.msg),
        (code::FILE, "Unable to open private key file")
    );
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

/// Parses an armored SSHSIG (PROTOCOL.sshsig) into (public key, hash alg, signature).
fn parse_sshsig(armored: &[u8]) -> (Vec<u8>, String, Vec<u8>) {
    let text = std::str::from_utf8(armored).unwrap();
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let bin = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
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
    w.raw(b"SSHSIG")
        .string(NS.as_bytes())
        .string(b"")
        .string(hash_alg.as_bytes())
        .string(&h);
    w.into_inner()
}

/// An armored SSHSIG wrapping our own signature.
fn make_sshsig(key: &PrivateKey, alg_name: &str) -> String {
    let sig = key
        .sign(alg_name, &sshsig_signed_data("sha512", MSG))
        .unwrap();
    let mut w = Writer::new();
    w.raw(b"SSHSIG")
        .u32(1)
        .string(&key.public_blob())
        .string(NS.as_bytes())
        .string(b"");
    w.string(b"sha512").string(&sig);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&w.buf);
    let body: Vec<&str> = b64
        .as_bytes()
        .chunks(70)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN SSH SIGNATURE-----\n{}\n-----END SSH SIGNATURE-----\n",
        body.join("\n")
    )
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
        public
            .verify(&sig, &sshsig_signed_data(&hash, MSG))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(public
            .verify(&sig, &sshsig_signed_data(&hash, b"tampered"))
            .is_err());
        // We sign, OpenSSH verifies.
        let key = PrivateKey::from_file(&path, None).unwrap();
        let line =
            String::from_utf8(std::fs::read(lab.path(&format!("{name}.pub"))).unwrap()).unwrap();
        std::fs::write(lab.path("allowed"), format!("tester {}", line)).unwrap();
        let algs: &[&str] = if *name == "rsa" {
            &[alg::RSA_SHA2_512, alg::RSA_SHA2_256]
        } else {
            key.signature_algs()
        };
        for a in algs {
            std::fs::write(lab.path("ours.sig"), make_sshsig(&key, a)).unwrap();
            let status = Command::new("ssh-keygen")
                .args([
                    "-Y", "verify", "-f", "allowed", "-I", "tester", "-n", NS, "-s", "ours.sig",
                ])
                .current_dir(lab.dir.path())
                .stdin(std::fs::File::open(lab.path("msg")).unwrap())
                .output()
                .unwrap();
            assert!(
                status.status.success(),
                "{name}/{a}: {}",
                String::from_utf8_lossy(&status.stderr)
            );
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
    let out = lab.run(
        "openssl",
        &[
            "dgst",
            "-sha1",
            "-verify",
            "pub.pem",
            "-signature",
            "sig.bin",
            "msg",
        ],
    );
    assert!(String::from_utf8_lossy(&out).contains("Verified OK"));
    // And openssl's SHA-1 signature verifies with us.
    let src = lab.path("rsa_pem");
    std::fs::copy(&path, &src).unwrap();
    lab.run(
        "ssh-keygen",
        &["-p", "-q", "-N", "", "-m", "PEM", "-f", "rsa_pem"],
    );
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
    // The signature's algorithm must be the negotiated one.
    let s256 = rsa.sign(alg::RSA_SHA2_256, MSG).unwrap();
    assert_eq!(
        code_of(verify_hostkey(
            "rsa-sha2-512",
            &rsa.public_blob(),
            &s256,
            MSG
        )),
        code::HOSTKEY_SIGN
    );
    // A key of another type than negotiated, or garbage, cannot be initialised.
    assert_eq!(
        code_of(verify_hostkey(
            "ssh-ed25519",
            &rsa.public_blob(),
            &s256,
            MSG
        )),
        code::HOSTKEY_INIT
    );
    assert_eq!(
        code_of(verify_hostkey(
            "ssh-ed25519",
            b"\0\0\0\x0bssh-ed25519",
            &ed_sig,
            MSG
        )),
        code::HOSTKEY_INIT
    );
    assert_eq!(
        code_of(verify_hostkey("foo", &ed.public_blob(), &ed_sig, MSG)),
        code::HOSTKEY_INIT
    );
    // Bad signatures: other data, flipped bits, trailing bytes, truncation.
    assert_eq!(
        code_of(verify_hostkey(
            "ssh-ed25519",
            &ed.public_blob(),
            &ed_sig,
            b"x"
        )),
        code::HOSTKEY_SIGN
    );
    let mut flipped = ed_sig.clone();
    *flipped.last_mut().unwrap() ^= 1;
    assert_eq!(
        code_of(verify_hostkey(
            "ssh-ed25519",
            &ed.public_blob(),
            &flipped,
            MSG
        )),
        code::HOSTKEY_SIGN
    );
    let mut longer = ed_sig.clone();
    longer.push(0);
    assert_eq!(
        code_of(verify_hostkey(
            "ssh-ed25519",
            &ed.public_blob(),
            &longer,
            MSG
        )),
        code::HOSTKEY_SIGN
    );
    for n in 0..ed_sig.len() {
        assert_eq!(
            code_of(verify_hostkey(
                "ssh-ed25519",
                &ed.public_blob(),
                &ed_sig[..n],
                MSG
            )),
            code::HOSTKEY_SIGN
        );
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
        (
            "ed",
            &["-t", "ed25519"][..],
            alg::SSH_ED25519_CERT,
            alg::SSH_ED25519,
        ),
        (
            "ec",
            &["-t", "ecdsa", "-b", "384"][..],
            alg::ECDSA_NISTP384_CERT,
            alg::ECDSA_NISTP384,
        ),
        (
            "rsa",
            &["-t", "rsa", "-b", "2048"][..],
            alg::RSA_SHA2_512_CERT,
            alg::RSA_SHA2_512,
        ),
        ("dsa", &["-t", "dsa"][..], alg::SSH_DSS_CERT, alg::SSH_DSS),
    ] {
        let path = lab.keygen(name, "", args);
        lab.run(
            "ssh-keygen",
            &[
                "-q",
                "-s",
                "ca",
                "-I",
                "host",
                "-h",
                "-n",
                "example.com",
                &format!("{name}.pub"),
            ],
        );
        let (kind, blob) =
            parse_public_key_file(&std::fs::read(lab.path(&format!("{name}-cert.pub"))).unwrap())
                .unwrap();
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
        assert_eq!(
            verify_hostkey(sig_alg, &blob, &sig, MSG).unwrap_err().code,
            code::HOSTKEY_INIT
        );
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
    assert_eq!(
        PublicKey::from_blob(&blob).unwrap().key_type(),
        "ssh-ed25519"
    );
    let s = String::from_utf8(text).unwrap();
    let no_comment: String = s.split(' ').take(2).collect::<Vec<_>>().join(" ");
    assert_eq!(
        parse_public_key_file(no_comment.as_bytes()).unwrap().1,
        blob
    );
    for bad in [
        &b""[..],
        b"ssh-ed25519",
        b"ssh-ed25519 !!!! c",
        b"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA== c",
    ] {
        assert_eq!(
            parse_public_key_file(bad).unwrap_err().code,
            code::FILE,
            "{bad:?}"
        );
    }
}

#[test]
fn user_signature_algorithm_choice() {
    let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let both = list(&["ssh-ed25519", "rsa-sha2-256", "rsa-sha2-512"]);
    let only256 = list(&["rsa-sha2-256", "ssh-rsa"]);
    assert_eq!(choose_user_sig_alg("ssh-rsa", Some(&both)), "rsa-sha2-512");
    assert_eq!(
        choose_user_sig_alg("ssh-rsa", Some(&only256)),
        "rsa-sha2-256"
    );
    assert_eq!(
        choose_user_sig_alg("ssh-rsa", Some(&list(&["ssh-rsa"]))),
        "ssh-rsa"
    );
    assert_eq!(choose_user_sig_alg("ssh-rsa", None), "ssh-rsa");
    assert_eq!(
        choose_user_sig_alg(alg::SSH_RSA_CERT, Some(&both)),
        alg::RSA_SHA2_512_CERT
    );
    assert_eq!(
        choose_user_sig_alg(alg::SSH_RSA_CERT, Some(&list(&[alg::RSA_SHA2_256_CERT]))),
        alg::RSA_SHA2_256_CERT
    );
    assert_eq!(
        choose_user_sig_alg(alg::SSH_RSA_CERT, None),
        alg::SSH_RSA_CERT
    );
    assert_eq!(
        choose_user_sig_alg("ssh-ed25519", Some(&both)),
        "ssh-ed25519"
    );
    assert_eq!(
        choose_user_sig_alg(alg::ECDSA_NISTP256_CERT, None),
        alg::ECDSA_NISTP256_CERT
    );
}

#[test]
fn algorithm_lists_are_consistent() {
    for a in DEFAULT_HOSTKEY_ALGS {
        assert!(SUPPORTED_HOSTKEY_ALGS.contains(a));
    }
    assert!(!DEFAULT_HOSTKEY_ALGS.contains(&alg::SSH_DSS));
    assert!(SUPPORTED_HOSTKEY_ALGS.contains(&alg::SSH_DSS));
    assert_eq!(DEFAULT_HOSTKEY_ALGS[0], alg::SSH_ED25519);
    for a in SUPPORTED_HOSTKEY_ALGS {
        assert!(super::key_type_for_alg(a).is_some(), "{a}");
    }
}

#[test]
fn sign_rejects_foreign_algorithms() {
    let lab = Lab::new();
    let ed = PrivateKey::from_file(&lab.keygen("ed", "", &["-t", "ed25519"]), None).unwrap();
    assert_eq!(ed.sign("rsa-sha2-256", MSG).unwrap_err().code, code::INVAL);
    assert_eq!(
        ed.sign("ecdsa-sha2-nistp256", MSG).unwrap_err().code,
        code::INVAL
    );
    assert_eq!(
        format!("{ed:?}"),
        "PrivateKey { type: \"ssh-ed25519\", .. }"
    );
}

/// Feeds every truncation and many single-byte corruptions of `text` to the loader; only
/// Ok or Err may come back. Both the armored text and the decoded body are mutated so the
/// inner parsers, not just base64, see the damage.
fn hammer(text: &[u8], pass: Option<&[u8]>, stride: usize) {
    let started = std::time::Instant::now();
    let armor = super::pem::Armor::parse(text).unwrap();
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
    eprintln!(
        "hammer {} bytes stride {stride}: {:?}",
        text.len(),
        started.elapsed()
    );
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
    let enc = lab.keygen(
        "ed_enc",
        PW,
        &["-t", "ed25519", "-a", "1", "-Z", "aes256-gcm@openssh.com"],
    );
    hammer(&std::fs::read(&enc).unwrap(), Some(PW.as_bytes()), 19);
    let dsa = lab.keygen("dsa", "", &["-t", "dsa", "-m", "PEM"]);
    hammer(&std::fs::read(&dsa).unwrap(), None, 3);
    let rsa = lab.keygen("rsa", "", &["-t", "rsa", "-b", "1024", "-m", "PEM"]);
    hammer(&std::fs::read(&rsa).unwrap(), None, 5);
    let rsa_enc = lab.openssl(
        "rsa_enc",
        &[
            "rsa",
            "-in",
            "rsa",
            "-aes128",
            "-traditional",
            "-passout",
            &pin,
        ],
    );
    hammer(&std::fs::read(&rsa_enc).unwrap(), Some(PW.as_bytes()), 5);
    lab.keygen("ec_pem", "", &["-t", "ecdsa", "-b", "384", "-m", "PEM"]);
    let ec8 = lab.openssl("ec8", &["pkcs8", "-topk8", "-in", "ec_pem", "-nocrypt"]);
    hammer(&std::fs::read(&ec8).unwrap(), None, 2);
    let ec8e = lab.openssl(
        "ec8e",
        &[
            "pkcs8", "-topk8", "-in", "ec_pem", "-passout", &pin, "-iter", "16",
        ],
    );
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
