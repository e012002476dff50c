//! Tests for the known_hosts engine, against keys and files made by OpenSSH.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine as _;
use hmac::{Hmac, Mac};

use super::*;

const PLAIN_RAW: i32 = TYPE_PLAIN | KEYENC_RAW;
const PLAIN_B64: i32 = TYPE_PLAIN | KEYENC_BASE64;

/// A public key made by ssh-keygen.
#[derive(Clone, Debug)]
struct Key {
    type_name: String,
    b64: String,
    blob: Vec<u8>,
    bits: i32,
}

/// Two keys of every key type libssh2 names, generated once.
fn keys() -> &'static [(Key, Key)] {
    static KEYS: OnceLock<Vec<(Key, Key)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let kinds: [(&str, Option<&str>, i32); 6] = [
            ("rsa", Some("1024"), KEY_SSHRSA),
            ("dsa", None, KEY_SSHDSS),
            ("ecdsa", Some("256"), KEY_ECDSA_256),
            ("ecdsa", Some("384"), KEY_ECDSA_384),
            ("ecdsa", Some("521"), KEY_ECDSA_521),
            ("ed25519", None, KEY_ED25519),
        ];
        kinds
            .iter()
            .enumerate()
            .map(|(i, &(t, bits, kt))| {
                let a = keygen(dir.path(), &format!("k{i}a"), t, bits, kt);
                let b = keygen(dir.path(), &format!("k{i}b"), t, bits, kt);
                (a, b)
            })
            .collect()
    })
}

fn keygen(dir: &Path, file: &str, t: &str, bits: Option<&str>, kt: i32) -> Key {
    let path = dir.join(file);
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-N", "", "-C", "test", "-t", t, "-f"]).arg(&path);
    if let Some(b) = bits {
        cmd.args(["-b", b]);
    }
    let st = cmd.status().expect("run ssh-keygen");
    assert!(st.success(), "ssh-keygen -t {t} failed");
    let public = std::fs::read_to_string(path.with_extension("pub")).expect("read .pub");
    let mut it = public.split_whitespace();
    let type_name = it.next().expect("type").to_string();
    let b64 = it.next().expect("key").to_string();
    let blob = base64::engine::general_purpose::STANDARD.decode(&b64).expect("base64");
    Key { type_name, b64, blob, bits: kt }
}

fn line(host: &str, k: &Key, comment: Option<&str>) -> String {
    match comment {
        Some(c) => format!("{host} {} {} {c}\n", k.type_name, k.b64),
        None => format!("{host} {} {}\n", k.type_name, k.b64),
    }
}

fn check(kh: &KnownHosts, host: &str, port: Option<u32>, k: &Key, mask: i32) -> CheckResult {
    kh.check(host.as_bytes(), port, &k.blob, mask).expect("check").0
}

/// The `|1|salt|hash` name for `host` with `salt`, computed independently.
fn hashed_name(salt: &[u8], host: &str) -> (String, String) {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(salt).expect("hmac key");
    mac.update(host.as_bytes());
    let hash = mac.finalize().into_bytes();
    let b64 = base64::engine::general_purpose::STANDARD;
    (b64.encode(salt), b64.encode(hash))
}

fn ssh_keygen_find(file: &Path, host: &str) -> (bool, String) {
    let out = Command::new("ssh-keygen").args(["-F", host, "-f"]).arg(file).output().expect("run ssh-keygen -F");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn constants_match_libssh2_headers() {
    assert_eq!((TYPE_MASK, TYPE_PLAIN, TYPE_SHA1, TYPE_CUSTOM), (0xffff, 1, 2, 3));
    assert_eq!((KEYENC_MASK, KEYENC_RAW, KEYENC_BASE64), (0x30000, 0x10000, 0x20000));
    assert_eq!((KEY_MASK, KEY_SHIFT, KEY_RSA1, KEY_SSHRSA), (0x3c0000, 18, 0x40000, 0x80000));
    assert_eq!((KEY_SSHDSS, KEY_ECDSA_256, KEY_ECDSA_384), (0xc0000, 0x100000, 0x140000));
    assert_eq!((KEY_ECDSA_521, KEY_ED25519, KEY_UNKNOWN), (0x180000, 0x1c0000, 0x3c0000));
    assert_eq!((CHECK_MATCH, CHECK_MISMATCH, CHECK_NOTFOUND, CHECK_FAILURE), (0, 1, 2, 3));
    assert_eq!(FILE_OPENSSH, 1);
    assert_eq!(CheckResult::Mismatch.code(), 1);
    assert_eq!(CheckResult::Failure.code(), 3);
}

#[test]
fn match_mismatch_notfound_for_every_key_type() {
    for (i, (a, b)) in keys().iter().enumerate() {
        let mut kh = KnownHosts::new();
        let id = kh.add(b"host.example", None, &a.blob, Some(b"c"), PLAIN_RAW | a.bits).unwrap();
        let t = &a.type_name;
        let r = kh.check(b"host.example", None, &a.blob, PLAIN_RAW | a.bits).unwrap();
        assert_eq!(r, (CheckResult::Match, Some(id)), "{t}");
        let r = kh.check(b"host.example", None, a.b64.as_bytes(), PLAIN_B64 | a.bits).unwrap();
        assert_eq!(r, (CheckResult::Match, Some(id)), "{t} base64");
        let r = kh.check(b"host.example", None, &b.blob, PLAIN_RAW | b.bits).unwrap();
        assert_eq!(r, (CheckResult::Mismatch, Some(id)), "{t} other key");
        assert_eq!(check(&kh, "other.example", None, a, PLAIN_RAW | a.bits), CheckResult::NotFound);
        // KEY bits 0 compare with any type; KEY_UNKNOWN never matches.
        assert_eq!(check(&kh, "host.example", None, a, PLAIN_RAW), CheckResult::Match);
        assert_eq!(check(&kh, "host.example", None, b, PLAIN_RAW), CheckResult::Mismatch);
        assert_eq!(check(&kh, "host.example", None, a, PLAIN_RAW | KEY_UNKNOWN), CheckResult::NotFound);
        // A key of another type for the same host is not a mismatch.
        let (other, _) = &keys()[(i + 1) % keys().len()];
        let r = check(&kh, "host.example", None, other, PLAIN_RAW | other.bits);
        assert_eq!(r, CheckResult::NotFound, "{t} vs {}", other.type_name);
        // The entry keeps what was given.
        let e = kh.entry(id).unwrap();
        assert_eq!(e.key(), a.b64.as_bytes());
        assert_eq!(e.key_blob(), Some(&a.blob[..]));
        assert_eq!(e.key_type_name(), Some(a.type_name.as_bytes()));
        assert_eq!(e.external_name(), Some(&b"host.example"[..]));
        assert_eq!(e.typemask(), PLAIN_RAW | a.bits);
    }
}

#[test]
fn a_later_matching_entry_wins_over_an_earlier_mismatch() {
    let (a, b) = &keys()[5];
    let mut kh = KnownHosts::new();
    kh.readline(line("h", b, None).as_bytes(), FILE_OPENSSH).unwrap();
    kh.readline(line("h", a, None).as_bytes(), FILE_OPENSSH).unwrap();
    let (r, id) = kh.check(b"h", None, &a.blob, PLAIN_RAW | a.bits).unwrap();
    assert_eq!(r, CheckResult::Match);
    assert_eq!(kh.entry(id.unwrap()).unwrap().key(), a.b64.as_bytes());
}

#[test]
fn ports_follow_libssh2_rules() {
    let ((a, b), (c, _)) = (&keys()[5], &keys()[2]);
    let mut kh = KnownHosts::new();
    let text = line("[h]:2222", a, None) + &line("h", b, None) + &line("[only]:2022", c, None);
    kh.read_bytes(text.as_bytes()).unwrap();
    let m = PLAIN_RAW | KEY_ED25519;
    assert_eq!(check(&kh, "h", Some(2222), a, m), CheckResult::Match);
    // Any port also tries the plain name (libssh2 checkp).
    assert_eq!(check(&kh, "h", Some(2222), b, m), CheckResult::Match);
    assert_eq!(check(&kh, "h", Some(22), b, m), CheckResult::Match);
    assert_eq!(check(&kh, "h", None, b, m), CheckResult::Match);
    // No port: `[h]:2222` is not consulted.
    assert_eq!(check(&kh, "h", None, a, m), CheckResult::Mismatch);
    assert_eq!(check(&kh, "h", Some(22), a, m), CheckResult::Mismatch);
    let mc = PLAIN_RAW | KEY_ECDSA_256;
    assert_eq!(check(&kh, "only", Some(2022), c, mc), CheckResult::Match);
    assert_eq!(check(&kh, "only", Some(22), c, mc), CheckResult::NotFound);
    assert_eq!(check(&kh, "only", None, c, mc), CheckResult::NotFound);
    // libssh2's 270-byte name buffer: an over-long `[host]:port` fails.
    let long = "x".repeat(300);
    let err = kh.check(long.as_bytes(), Some(22), &a.blob, m).unwrap_err();
    assert_eq!(err.code, code::BUFFER_TOO_SMALL);
    assert_eq!(check(&kh, &long, None, a, m), CheckResult::NotFound);
}

#[test]
fn checks_against_a_file_hashed_by_ssh_keygen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let mut text = String::new();
    for (i, (a, _)) in keys().iter().enumerate() {
        text += &line(&format!("host{i}.example,10.0.0.{i}"), a, Some("from keygen"));
        text += &line(&format!("[host{i}.example]:2222"), a, None);
    }
    std::fs::write(&path, &text).unwrap();
    assert!(Command::new("ssh-keygen").args(["-q", "-H", "-f"]).arg(&path).status().unwrap().success());
    let hashed = std::fs::read(&path).unwrap();
    assert!(hashed.starts_with(b"|1|"));

    let mut kh = KnownHosts::new();
    let lines = kh.readfile(&path, FILE_OPENSSH).unwrap();
    assert_eq!(lines, keys().len() * 3);
    assert_eq!(kh.len(), keys().len() * 3);
    assert!(kh.iter().all(|e| e.typemask() & TYPE_MASK == TYPE_SHA1 && e.external_name().is_none()));
    for (i, (a, b)) in keys().iter().enumerate() {
        let m = PLAIN_RAW | a.bits;
        for host in [format!("host{i}.example"), format!("10.0.0.{i}")] {
            assert_eq!(check(&kh, &host, None, a, m), CheckResult::Match, "{host}");
            assert_eq!(check(&kh, &host, None, b, m), CheckResult::Mismatch, "{host}");
        }
        let host = format!("host{i}.example");
        assert_eq!(check(&kh, &host, Some(2222), a, m), CheckResult::Match);
        assert_eq!(check(&kh, &host, Some(2222), b, m), CheckResult::Mismatch);
        assert_eq!(check(&kh, &format!("10.0.0.{i}"), Some(2222), a, m), CheckResult::Match);
        // A caller may pass the bracketed form itself; it hashes the same.
        assert_eq!(check(&kh, &format!("[{host}]:2222"), None, a, m), CheckResult::Match);
        assert_eq!(check(&kh, &format!("[{host}]:2223"), None, a, m), CheckResult::NotFound);
        assert_eq!(check(&kh, "nothere", Some(2222), a, m), CheckResult::NotFound);
    }
    // Hashed input is refused the way libssh2 refuses it.
    let (a, _) = &keys()[0];
    let r = kh.check(b"x", None, &a.blob, TYPE_SHA1 | KEYENC_RAW).unwrap();
    assert_eq!(r, (CheckResult::Mismatch, None));
    // Re-written, the hashed file is byte for byte what ssh-keygen wrote.
    assert_eq!(kh.to_bytes().unwrap(), hashed);
}

#[test]
fn add_sha1_with_salt_and_hash_from_ssh_keygen() {
    let (a, b) = &keys()[3];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kh");
    std::fs::write(&path, line("[db.example]:2200", a, None)).unwrap();
    assert!(Command::new("ssh-keygen").args(["-q", "-H", "-f"]).arg(&path).status().unwrap().success());
    let hashed = std::fs::read_to_string(&path).unwrap();
    let name = hashed.split(' ').next().unwrap();
    let mut parts = name.strip_prefix("|1|").unwrap().split('|');
    let (salt, hash) = (parts.next().unwrap(), parts.next().unwrap());

    let mut kh = KnownHosts::new();
    let mask = TYPE_SHA1 | KEYENC_BASE64 | a.bits;
    let id = kh.add(hash.as_bytes(), Some(salt.as_bytes()), a.b64.as_bytes(), None, mask).unwrap();
    let m = PLAIN_RAW | a.bits;
    assert_eq!(kh.check(b"db.example", Some(2200), &a.blob, m).unwrap(), (CheckResult::Match, Some(id)));
    assert_eq!(check(&kh, "db.example", Some(2200), b, m), CheckResult::Mismatch);
    assert_eq!(check(&kh, "db.example", None, a, m), CheckResult::NotFound);
    assert_eq!(kh.writeline(id, FILE_OPENSSH).unwrap(), hashed.as_bytes());
    let e = kh.entry(id).unwrap();
    assert_eq!(e.salt().map(<[u8]>::len), Some(20));
    assert_eq!(e.name().len(), 20);
}

#[test]
fn written_files_are_found_by_ssh_keygen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("written");
    let mut kh = KnownHosts::new();
    for (i, (a, _)) in keys().iter().enumerate() {
        let plain = format!("plain{i}.example");
        kh.add(plain.as_bytes(), None, &a.blob, Some(b"added"), PLAIN_RAW | a.bits).unwrap();
        let ported = format!("[plain{i}.example]:2222");
        kh.add(ported.as_bytes(), None, &a.blob, None, PLAIN_RAW | a.bits).unwrap();
        let (salt, hash) = hashed_name(&[i as u8 + 1; 20], &format!("hashed{i}.example"));
        let mask = TYPE_SHA1 | KEYENC_BASE64 | a.bits;
        kh.add(hash.as_bytes(), Some(salt.as_bytes()), a.b64.as_bytes(), None, mask).unwrap();
    }
    kh.writefile(&path, FILE_OPENSSH).unwrap();
    for (i, (a, _)) in keys().iter().enumerate() {
        for host in [format!("plain{i}.example"), format!("[plain{i}.example]:2222"), format!("hashed{i}.example")] {
            let (found, out) = ssh_keygen_find(&path, &host);
            assert!(found, "ssh-keygen -F {host}");
            assert!(out.contains(&a.b64), "{host}: {out}");
        }
    }
    assert!(!ssh_keygen_find(&path, "absent.example").0);
    // Read back, it is the same collection, and checks the same.
    let mut again = KnownHosts::new();
    assert_eq!(again.readfile(&path, FILE_OPENSSH).unwrap(), kh.len());
    assert_eq!(again.to_bytes().unwrap(), std::fs::read(&path).unwrap());
    let (a, _) = &keys()[0];
    assert_eq!(check(&again, "hashed0.example", None, a, PLAIN_RAW | a.bits), CheckResult::Match);
}

#[test]
fn round_trip_is_byte_for_byte() {
    let ((rsa, _), (ed, _), (p521, _)) = (&keys()[0], &keys()[5], &keys()[4]);
    let (salt, hash) = hashed_name(b"0123456789abcdefghij", "secret.example");
    let text = [
        line("plain.example", ed, None),
        line("[plain.example]:2222", rsa, Some("a comment with  two spaces")),
        line("10.1.2.3", p521, Some("")),
        format!("|1|{salt}|{hash} {} {} tail\n", ed.type_name, ed.b64),
        "rsa1.example 1024 65537 1234567890123456789012345 c\n".to_string(),
        format!("odd.example sk-ssh-ed25519@openssh.com {} u2f\n", ed.b64),
        format!("@cert-authority *.example.com {} {}\n", ed.type_name, ed.b64),
        format!("@revoked |1|{salt}|{hash} {} {}\n", rsa.type_name, rsa.b64),
    ]
    .concat();
    let mut kh = KnownHosts::new();
    assert_eq!(kh.read_bytes(text.as_bytes()).unwrap(), 8);
    assert_eq!(String::from_utf8(kh.to_bytes().unwrap()).unwrap(), text);

    let e: Vec<&Entry> = kh.iter().collect();
    assert_eq!(e[2].comment(), Some(&b""[..]));
    assert_eq!(e[0].comment(), None);
    assert_eq!(e[4].typemask() & KEY_MASK, KEY_RSA1);
    assert_eq!(e[4].key_type_name(), None);
    assert_eq!(e[4].key(), b"1024 65537 1234567890123456789012345 c");
    assert_eq!(e[5].typemask() & KEY_MASK, KEY_UNKNOWN);
    assert_eq!(e[5].key_type_name(), Some(&b"sk-ssh-ed25519@openssh.com"[..]));
    assert_eq!(e[6].marker(), Marker::CertAuthority);
    assert_eq!(e[7].marker(), Marker::Revoked);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rt");
    kh.writefile(&path, FILE_OPENSSH).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), text.as_bytes());
    let first = kh.get(None).unwrap().id();
    assert_eq!(kh.writeline(first, FILE_OPENSSH).unwrap(), line("plain.example", ed, None).as_bytes());
}

#[test]
fn comments_blank_lines_and_name_lists_read_as_libssh2() {
    let (a, _) = &keys()[5];
    let text = format!(
        "# a comment\n\n   \t\n  {}\r\nlast.example {} {}",
        line("a.example,b.example,,c.example", a, Some("shared")).trim_end(),
        a.type_name,
        a.b64
    );
    let mut kh = KnownHosts::new();
    // libssh2 counts every line read, comments and blank lines included.
    assert_eq!(kh.read_bytes(text.as_bytes()).unwrap(), 5);
    let names: Vec<&[u8]> = kh.iter().map(Entry::name).collect();
    assert_eq!(names, [&b"c.example"[..], b"b.example", b"a.example", b"last.example"]);
    assert!(kh.iter().take(3).all(|e| e.comment() == Some(&b"shared"[..])));
    let out = String::from_utf8(kh.to_bytes().unwrap()).unwrap();
    let expect = line("c.example", a, Some("shared"))
        + &line("b.example", a, Some("shared"))
        + &line("a.example", a, Some("shared"))
        + &line("last.example", a, None);
    assert_eq!(out, expect);
    for h in ["a.example", "b.example", "c.example", "last.example"] {
        assert_eq!(check(&kh, h, None, a, PLAIN_RAW | a.bits), CheckResult::Match, "{h}");
    }
    // readline ignores what follows a newline or NUL, like the C string it is.
    let mut one = KnownHosts::new();
    let l = line("n.example", a, None) + "junk junk\n";
    one.readline(l.as_bytes(), FILE_OPENSSH).unwrap();
    let mut nul = line("z.example", a, None).into_bytes();
    nul.insert(nul.len() - 1, 0);
    nul.extend_from_slice(b"more");
    one.readline(&nul, FILE_OPENSSH).unwrap();
    assert_eq!(one.len(), 2);
    assert_eq!(one.to_bytes().unwrap(), (line("n.example", a, None) + &line("z.example", a, None)).as_bytes());
}

#[test]
fn errors_follow_libssh2() {
    let (a, _) = &keys()[5];
    let mut kh = KnownHosts::new();
    let ok = line("h", a, None);
    assert_eq!(kh.readline(ok.as_bytes(), 2).unwrap_err().code, code::METHOD_NOT_SUPPORTED);
    for bad in
        ["hostonly\n", "host \n", "host ssh-ed25519 AAA\n", "@revoked\n", ",,, ssh-ed25519 AAAAAAAAAAAAAAAAAAAAA\n"]
    {
        let err = kh.readline(bad.as_bytes(), FILE_OPENSSH).unwrap_err();
        assert_eq!(err.code, code::METHOD_NOT_SUPPORTED, "{bad:?}");
    }
    let long_name = format!("{} {} {}\n", "n".repeat(255), a.type_name, a.b64);
    assert_eq!(kh.readline(long_name.as_bytes(), FILE_OPENSSH).unwrap_err().code, code::METHOD_NOT_SUPPORTED);
    let long_salt = format!("|1|{}|abcd {} {}\n", "s".repeat(31), a.type_name, a.b64);
    assert_eq!(kh.readline(long_salt.as_bytes(), FILE_OPENSSH).unwrap_err().code, code::METHOD_NOT_SUPPORTED);
    let bad_b64 = format!("|1|!!!!|@@@@ {} {}\n", a.type_name, a.b64);
    assert_eq!(kh.readline(bad_b64.as_bytes(), FILE_OPENSSH).unwrap_err().code, code::INVAL);
    // A `|1|` name without a hash part is skipped silently, as libssh2 does.
    let no_hash = format!("|1|abcd {} {}\n", a.type_name, a.b64);
    kh.readline(no_hash.as_bytes(), FILE_OPENSSH).unwrap();
    assert!(kh.is_empty());

    assert_eq!(kh.add(b"h", None, &a.blob, None, PLAIN_RAW).unwrap_err().code, code::INVAL);
    assert_eq!(kh.add(b"h", None, &a.blob, None, KEYENC_RAW | a.bits).unwrap_err().code, code::METHOD_NOT_SUPPORTED);
    assert_eq!(
        kh.add(b"h", None, &a.blob, None, 7 | KEYENC_RAW | a.bits).unwrap_err().code,
        code::METHOD_NOT_SUPPORTED
    );
    let sha1 = TYPE_SHA1 | KEYENC_RAW | a.bits;
    assert_eq!(kh.add(b"AAAA", None, &a.blob, None, sha1).unwrap_err().code, code::INVAL);
    assert_eq!(kh.add(b"", Some(b"AAAA"), &a.blob, None, sha1).unwrap_err().code, code::INVAL);
    assert_eq!(kh.add(b"h", None, b"", None, PLAIN_RAW | a.bits).unwrap_err().code, code::INVAL);
    assert!(kh.is_empty());

    // A key type without a name cannot be written (libssh2: METHOD_NOT_SUPPORTED).
    let id = kh.add(b"h", None, &a.blob, None, PLAIN_RAW | KEY_UNKNOWN).unwrap();
    assert_eq!(kh.writeline(id, FILE_OPENSSH).unwrap_err().code, code::METHOD_NOT_SUPPORTED);
    assert_eq!(kh.writeline(id, 0).unwrap_err().code, code::METHOD_NOT_SUPPORTED);
    assert_eq!(kh.writeline(EntryId(999), FILE_OPENSSH).unwrap_err().code, code::INVAL);

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    assert_eq!(kh.readfile(&missing, FILE_OPENSSH).unwrap_err().code, code::FILE);
    assert_eq!(kh.readfile(&missing, 5).unwrap_err().code, code::METHOD_NOT_SUPPORTED);
    assert_eq!(kh.writefile(dir.path(), FILE_OPENSSH).unwrap_err().code, code::FILE);
    assert_eq!(kh.writefile(&missing, 0).unwrap_err().code, code::METHOD_NOT_SUPPORTED);

    // A bad line stops readfile with KNOWN_HOSTS; earlier lines stay.
    let path = dir.path().join("bad");
    std::fs::write(&path, format!("{ok}garbage\n{}", line("after", a, None))).unwrap();
    let mut kh = KnownHosts::new();
    assert_eq!(kh.readfile(&path, FILE_OPENSSH).unwrap_err().code, code::KNOWN_HOSTS);
    assert_eq!(kh.len(), 1);
    let too_long = format!("{} {} {}\n", "h", a.type_name, "A".repeat(MAX_LINE_LEN));
    assert_eq!(KnownHosts::new().read_bytes(too_long.as_bytes()).unwrap_err().code, code::KNOWN_HOSTS);
}

#[test]
fn get_iterates_and_del_removes() {
    let (a, _) = &keys()[5];
    let mut kh = KnownHosts::new();
    let ids: Vec<EntryId> =
        (0..5).map(|i| kh.add(format!("h{i}").as_bytes(), None, &a.blob, None, PLAIN_RAW | a.bits).unwrap()).collect();
    let mut seen = Vec::new();
    let mut prev = None;
    while let Some(e) = kh.get(prev) {
        seen.push(e.id());
        prev = Some(e.id());
    }
    assert_eq!(seen, ids);
    kh.del(ids[2]).unwrap();
    assert_eq!(kh.del(ids[2]).unwrap_err().code, code::INVAL);
    assert!(kh.entry(ids[2]).is_none());
    // A deleted id still continues the walk after where it stood.
    assert_eq!(kh.get(Some(ids[2])).map(Entry::id), Some(ids[3]));
    assert_eq!(kh.get(Some(ids[4])).map(Entry::id), None);
    assert_eq!(check(&kh, "h2", None, a, PLAIN_RAW | a.bits), CheckResult::NotFound);
    assert_eq!(check(&kh, "h3", None, a, PLAIN_RAW | a.bits), CheckResult::Match);
    // Ids are never reused.
    let new = kh.add(b"h9", None, &a.blob, None, PLAIN_RAW | a.bits).unwrap();
    assert!(new > ids[4]);
    assert_eq!(kh.len(), 5);
}

#[test]
fn custom_names_match_only_custom_input() {
    let (a, _) = &keys()[5];
    let mut kh = KnownHosts::new();
    let id = kh.add(b"opaque-token", None, &a.blob, None, TYPE_CUSTOM | KEYENC_RAW | a.bits).unwrap();
    assert!(kh.entry(id).unwrap().external_name().is_none());
    let r = kh.check(b"opaque-token", None, &a.blob, TYPE_CUSTOM | KEYENC_RAW | a.bits).unwrap();
    assert_eq!(r, (CheckResult::Match, Some(id)));
    assert_eq!(check(&kh, "opaque-token", None, a, PLAIN_RAW | a.bits), CheckResult::NotFound);
}

#[test]
fn markers_are_kept_and_revoked_keys_never_match() {
    let (a, b) = &keys()[5];
    let mut kh = KnownHosts::new();
    let text = line("h.example", a, None)
        + &line("@revoked h.example", a, None)
        + &line("@cert-authority h.example,*.example", b, None)
        + &line("@revoked *", b, None);
    kh.read_bytes(text.as_bytes()).unwrap();
    let m = PLAIN_RAW | a.bits;
    let (r, id) = kh.check(b"h.example", None, &a.blob, m).unwrap();
    assert_eq!(r, CheckResult::Mismatch);
    assert_eq!(kh.entry(id.unwrap()).unwrap().marker(), Marker::Revoked);
    // The CA key is not a host key, and is revoked anyway.
    assert_eq!(check(&kh, "z.example", None, b, m), CheckResult::Mismatch);
    kh.del(kh.iter().last().unwrap().id()).unwrap();
    assert_eq!(check(&kh, "z.example", None, b, m), CheckResult::NotFound);
    // The CA entry for h.example does not count as its host key either.
    assert_eq!(check(&kh, "h.example", None, b, m), CheckResult::Mismatch);
    assert_eq!(check(&kh, "h.example", None, b, PLAIN_RAW | KEY_SSHRSA), CheckResult::NotFound);
    // A revoked entry for another key does not disturb a good match.
    let mut kh = KnownHosts::new();
    kh.read_bytes((line("h", a, None) + &line("@revoked h", b, None)).as_bytes()).unwrap();
    assert_eq!(check(&kh, "h", None, a, m), CheckResult::Match);
    assert_eq!(check(&kh, "h", None, b, m), CheckResult::Mismatch);
}

#[test]
fn wildcards_and_negation_follow_openssh() {
    let (a, b) = &keys()[5];
    let mut kh = KnownHosts::new();
    let text = line("*.corp.example,!bad.corp.example", a, None)
        + &line("web?.example", a, None)
        + &line("[*.corp.example]:2222", b, None);
    kh.read_bytes(text.as_bytes()).unwrap();
    let m = PLAIN_RAW | a.bits;
    assert_eq!(check(&kh, "db.corp.example", None, a, m), CheckResult::Match);
    assert_eq!(check(&kh, "DB.Corp.Example", None, a, m), CheckResult::Match);
    assert_eq!(check(&kh, "db.corp.example", None, b, m), CheckResult::Mismatch);
    assert_eq!(check(&kh, "bad.corp.example", None, a, m), CheckResult::NotFound);
    assert_eq!(check(&kh, "corp.example", None, a, m), CheckResult::NotFound);
    assert_eq!(check(&kh, "web1.example", None, a, m), CheckResult::Match);
    assert_eq!(check(&kh, "web10.example", None, a, m), CheckResult::NotFound);
    assert_eq!(check(&kh, "db.corp.example", Some(2222), b, m), CheckResult::Match);
    // The plain-name fallback still applies with a port.
    assert_eq!(check(&kh, "db.corp.example", Some(2222), a, m), CheckResult::Match);
    // A literal name compares byte for byte, as in libssh2.
    let mut lit = KnownHosts::new();
    lit.readline(line("Host.Example", a, None).as_bytes(), FILE_OPENSSH).unwrap();
    assert_eq!(check(&lit, "host.example", None, a, m), CheckResult::NotFound);
    assert_eq!(check(&lit, "Host.Example", None, a, m), CheckResult::Match);
}

/// A small deterministic generator for the mutation test.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn exercise(data: &[u8], probe: &Key) {
    let mut kh = KnownHosts::new();
    let _ = kh.read_bytes(data);
    for line in data.split(|&b| b == b'\n') {
        let _ = kh.readline(line, FILE_OPENSSH);
    }
    for host in ["h.example", "[h.example]:2222", "x"] {
        for port in [None, Some(2222)] {
            let _ = kh.check(host.as_bytes(), port, &probe.blob, PLAIN_RAW);
            let _ = kh.check(host.as_bytes(), port, data, PLAIN_B64 | probe.bits);
        }
    }
    let _ = kh.to_bytes();
    let ids: Vec<EntryId> = kh.iter().map(Entry::id).collect();
    for id in ids {
        let _ = kh.writeline(id, FILE_OPENSSH);
        let _ = kh.del(id);
    }
}

#[test]
fn truncations_and_mutations_never_panic() {
    let ((a, _), (r, _)) = (&keys()[5], &keys()[0]);
    let (salt, hash) = hashed_name(b"salty salty salty!!!", "h.example");
    let sample = [
        "# comment\n".to_string(),
        line("h.example,!x,*.e?", a, Some("c")),
        line("[h.example]:2222", r, None),
        format!("|1|{salt}|{hash} {} {}\n", a.type_name, a.b64),
        format!("@revoked |1|{salt}|{hash} {} {}\n", r.type_name, r.b64),
        format!("@cert-authority * {} {} ca\n", a.type_name, a.b64),
        "r1.example 1024 65537 99999999999999999999999\n".to_string(),
    ]
    .concat()
    .into_bytes();
    for len in 0..=sample.len() {
        exercise(sample.get(..len).unwrap(), a);
    }
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let specials = b" \t\n\r|,!*?@#\0=+/[]:";
    for _ in 0..3000 {
        let mut m = sample.clone();
        for _ in 0..(rng.next() % 8 + 1) {
            let pos = (rng.next() as usize) % m.len();
            let byte = match rng.next() % 3 {
                0 => specials[(rng.next() as usize) % specials.len()],
                _ => rng.next() as u8,
            };
            if let Some(slot) = m.get_mut(pos) {
                *slot = byte;
            }
        }
        exercise(&m, a);
    }
}

/// Kills the throwaway sshd when the test ends, however it ends.
struct Sshd(std::process::Child);

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `sshd -D -e` on a free 127.0.0.1 port with the given host keys.
fn start_sshd(dir: &Path, host_keys: &[std::path::PathBuf]) -> Option<(Sshd, u16)> {
    let sshd = Path::new("/usr/sbin/sshd");
    if !sshd.exists() || !Path::new("/run/sshd").is_dir() {
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let mut cfg = format!("Port {port}\nListenAddress 127.0.0.1\nPidFile none\nUsePAM no\nStrictModes no\n");
    for k in host_keys {
        cfg += &format!("HostKey {}\n", k.display());
    }
    let cfg_path = dir.join("sshd_config");
    std::fs::write(&cfg_path, cfg).ok()?;
    let child = Command::new(sshd)
        .arg("-f")
        .arg(&cfg_path)
        .args(["-D", "-e"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let guard = Sshd(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((guard, port));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    None
}

#[test]
fn reads_ssh_keyscan_output_from_a_real_sshd() {
    let dir = tempfile::tempdir().unwrap();
    let kinds = [
        ("rsa", Some("2048"), KEY_SSHRSA),
        ("ecdsa", Some("256"), KEY_ECDSA_256),
        ("ecdsa", Some("384"), KEY_ECDSA_384),
        ("ecdsa", Some("521"), KEY_ECDSA_521),
        ("ed25519", None, KEY_ED25519),
    ];
    let host_keys: Vec<Key> = kinds
        .iter()
        .enumerate()
        .map(|(i, &(t, bits, kt))| keygen(dir.path(), &format!("host_{i}"), t, bits, kt))
        .collect();
    let paths: Vec<_> = (0..kinds.len()).map(|i| dir.path().join(format!("host_{i}"))).collect();
    let Some((_sshd, port)) = start_sshd(dir.path(), &paths) else {
        eprintln!("skipped: no usable /usr/sbin/sshd here");
        return;
    };
    for hashed in [false, true] {
        let mut cmd = Command::new("ssh-keyscan");
        cmd.args(["-p", &port.to_string(), "-t", "rsa,ecdsa,ed25519"]);
        if hashed {
            cmd.arg("-H");
        }
        let out = cmd.arg("127.0.0.1").stderr(std::process::Stdio::null()).output().unwrap();
        let mut kh = KnownHosts::new();
        kh.read_bytes(&out.stdout).unwrap();
        assert!(!kh.is_empty(), "ssh-keyscan found no keys");
        let mut matched = Vec::new();
        for k in &host_keys {
            let m = PLAIN_RAW | k.bits;
            // sshd offers one ECDSA key only; the others are simply unknown.
            match check(&kh, "127.0.0.1", Some(u32::from(port)), k, m) {
                CheckResult::Match => matched.push(k.type_name.clone()),
                CheckResult::NotFound => assert!(k.type_name.starts_with("ecdsa")),
                other => panic!("{}: {other:?}", k.type_name),
            }
            assert_eq!(check(&kh, "127.0.0.1", None, k, m), CheckResult::NotFound);
            assert_eq!(check(&kh, "127.0.0.2", Some(u32::from(port)), k, m), CheckResult::NotFound);
        }
        // sshd offers its RSA, Ed25519 and at least one ECDSA key.
        assert!(matched.iter().any(|t| t == "ssh-rsa"), "{matched:?}");
        assert!(matched.iter().any(|t| t == "ssh-ed25519"), "{matched:?}");
        assert!(matched.iter().any(|t| t.starts_with("ecdsa")), "{matched:?}");
        let (_, other) = &keys()[5];
        let r = check(&kh, "127.0.0.1", Some(u32::from(port)), other, PLAIN_RAW | KEY_ED25519);
        assert_eq!(r, CheckResult::Mismatch);
        // keyscan output has no comments or lists, so it round-trips exactly.
        assert_eq!(kh.to_bytes().unwrap(), out.stdout);
    }
}
