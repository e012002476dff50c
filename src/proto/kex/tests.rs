//! Known-answer tests, client/server round trips (the test plays the server
//! with the same primitive crates and an independent transcript hash), and the
//! hostile-peer cases 12, 13 and 14.

use crypto_bigint::BoxedUint;
use rand_core::OsRng;

use super::dh::Modulus;
use super::ecdh::X25519;
use super::groups::{self, Group};
use super::round::OneRound;
use super::*;
use crate::proto::wire::{Reader, Writer};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn input() -> KexInput {
    let mut i_c = vec![20u8];
    i_c.extend_from_slice(&[0x11; 16]);
    i_c.extend_from_slice(b"client kexinit");
    let mut i_s = vec![20u8];
    i_s.extend_from_slice(&[0x22; 16]);
    i_s.extend_from_slice(b"server kexinit");
    KexInput { v_c: b"SSH-2.0-libssh2_1.11.1".to_vec(), v_s: b"SSH-2.0-OpenSSH_9.9".to_vec(), i_c, i_s }
}

fn host_key() -> Vec<u8> {
    let mut w = Writer::new();
    w.string(b"ssh-ed25519").string(&[0x42; 32]);
    w.buf
}

fn signature() -> Vec<u8> {
    let mut w = Writer::new();
    w.string(b"ssh-ed25519").string(&[0x5a; 64]);
    w.buf
}

fn string(v: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(v);
    w.buf
}

fn mpint(v: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.mpint(v);
    w.buf
}

/// The server's view of H, written out field by field (RFC 4253 8, RFC 4419 3, RFC 5656 4).
fn server_h(hash: HashAlg, group_params: &[u8], e: &[u8], f: &[u8], k: &[u8]) -> Vec<u8> {
    let i = input();
    let parts: Vec<Vec<u8>> = vec![
        string(&i.v_c),
        string(&i.v_s),
        string(&i.i_c),
        string(&i.i_s),
        string(&host_key()),
        group_params.to_vec(),
        e.to_vec(),
        f.to_vec(),
        k.to_vec(),
    ];
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    hash.digest(&refs)
}

/// A reply `msg || string K_S || value || string sig`; `value` already encoded.
fn reply(msg: u8, value_encoded: &[u8]) -> Vec<u8> {
    let mut w = Writer::msg(msg);
    w.string(&host_key()).raw(value_encoded).string(&signature());
    w.buf
}

/// A server answering an init with (its value, K encoded), for the string-valued methods.
type StringServer = fn(&[u8]) -> (Vec<u8>, Vec<u8>);

/// Runs `name` against `server`; checks both sides agree on K and H and returns the output.
fn string_round_trip(name: &str, server: StringServer) -> KexOutput {
    let hash = kex_hash(name).unwrap();
    let mut kex = new_kex(name, input(), GexParams::default()).unwrap();
    let init = kex.start().unwrap();
    let mut r = Reader::new(&init);
    assert_eq!(r.u8().unwrap(), 30);
    let q_c = r.string().unwrap().to_vec();
    r.finish().unwrap();

    let (q_s, k) = server(&q_c);
    let out = match kex.handle(&reply(31, &string(&q_s))).unwrap() {
        KexStep::Done(out) => out,
        KexStep::Send(_) => panic!("{name}: expected Done"),
    };
    assert_eq!(out.hash, hash);
    assert_eq!(&out.k[..], &k[..], "{name}: K differs");
    assert_eq!(out.h, server_h(hash, &[], &string(&q_c), &string(&q_s), &k), "{name}: H differs");
    assert_eq!(out.h.len(), hash.digest_len());
    assert_eq!(out.host_key, host_key());
    assert_eq!(out.signature, signature());
    out
}

fn x25519_server(q_c: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut seed = [0u8; 32];
    crate::crypto::fill_random(&mut seed).unwrap();
    let server = X25519::from_secret(seed);
    let shared = server.shared(q_c).unwrap();
    (server.public_bytes().to_vec(), mpint(shared.as_ref()))
}

macro_rules! nist_server {
    ($fn:ident, $krate:ident) => {
        fn $fn(q_c: &[u8]) -> (Vec<u8>, Vec<u8>) {
            use $krate::elliptic_curve::sec1::ToEncodedPoint;
            let secret = $krate::ecdh::EphemeralSecret::random(&mut OsRng);
            let client = $krate::PublicKey::from_sec1_bytes(q_c).unwrap();
            let shared = secret.diffie_hellman(&client);
            let q_s = secret.public_key().to_encoded_point(false).as_bytes().to_vec();
            (q_s, mpint(shared.raw_secret_bytes().as_slice()))
        }
    };
}
nist_server!(p256_server, p256);
nist_server!(p384_server, p384);
nist_server!(p521_server, p521);

fn mlkem_server(c_init: &[u8]) -> (Vec<u8>, Vec<u8>) {
    use kem::Encapsulate;
    use ml_kem::{EncodedSizeUser, MlKem768, MlKem768Params};
    assert_eq!(c_init.len(), 1184 + 32);
    let (pk, x_pub) = c_init.split_at(1184);
    let ek = ml_kem::kem::EncapsulationKey::<MlKem768Params>::from_bytes(&pk.try_into().unwrap());
    let (ct, kem_ss): (ml_kem::Ciphertext<MlKem768>, _) = ek.encapsulate(&mut OsRng).unwrap();
    let (x_reply, x_ss) = x25519_raw_server(x_pub);
    let mut s_reply = ct.to_vec();
    s_reply.extend_from_slice(&x_reply);
    (s_reply, string(&HashAlg::Sha256.digest(&[&kem_ss, &x_ss])))
}

fn sntrup_server(c_init: &[u8]) -> (Vec<u8>, Vec<u8>) {
    assert_eq!(c_init.len(), 1158 + 32);
    let (pk, x_pub) = c_init.split_at(1158);
    let pk: [u8; 1158] = pk.try_into().unwrap();
    let mut seed = [0u8; 32];
    crate::crypto::fill_random(&mut seed).unwrap();
    let (ct, kem_ss) = sntrup761::EncapsulationKey::from(pk).encapsulate_deterministic(seed);
    let (x_reply, x_ss) = x25519_raw_server(x_pub);
    let mut s_reply = ct.as_ref().to_vec();
    s_reply.extend_from_slice(&x_reply);
    (s_reply, string(&HashAlg::Sha512.digest(&[kem_ss.as_ref(), &x_ss])))
}

/// The server's X25519 half: (its public value, raw shared secret).
fn x25519_raw_server(client: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut seed = [0u8; 32];
    crate::crypto::fill_random(&mut seed).unwrap();
    let server = X25519::from_secret(seed);
    (server.public_bytes().to_vec(), server.shared(client).unwrap().to_vec())
}

#[test]
fn every_supported_method_constructs_and_defaults_are_supported() {
    for name in SUPPORTED_KEX {
        assert!(kex_hash(name).is_some(), "{name}");
        assert!(new_kex(name, input(), GexParams::default()).is_ok(), "{name}");
    }
    for name in DEFAULT_KEX {
        assert!(SUPPORTED_KEX.contains(name), "{name}");
    }
    assert_eq!(DEFAULT_KEX[0], "mlkem768x25519-sha256");
    assert!(!DEFAULT_KEX.contains(&"diffie-hellman-group1-sha1"));
    assert_eq!(new_kex("nope", input(), GexParams::default()).err().unwrap().code, code::KEX_FAILURE);
}

#[test]
fn derive_key_matches_independent_computation() {
    // Expected values computed with Python's hashlib from the RFC 4253 7.2 formula.
    let k = hex("0000002100808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    let h = hex("7bde03b6174b06ac22d902ada587e02f46b15e82e96fcc34d951b86efe0642f8");
    let sid = hex("1cc1c70c03d3fa98125ac304150c6b2ab44b1a308f55aab9e46e6de9f92ae871");
    assert_eq!(
        &derive_key(HashAlg::Sha256, &k, &h, b'C', &sid, 64)[..],
        &hex("5fca2c06dce6e078771840e75b83d673fed120e3a5099386e7c5503602664cf9\
             d603e14d790e99840c567405baf275ad5e610430a69415f5a94aecc3fbab84e9")[..]
    );
    assert_eq!(
        &derive_key(HashAlg::Sha1, &k, &h, b'E', &sid, 40)[..],
        &hex("82e29f94ebf813ef678746ce8e237c2b9efc0037196a02c4607a358b9378382df53a6c5da137fd12")[..]
    );
    assert_eq!(&derive_key(HashAlg::Sha512, &k, &h, b'A', &sid, 12)[..], &hex("ce1b77deea359435d3c8f927")[..]);
    assert!(derive_key(HashAlg::Sha256, &k, &h, b'A', &sid, 0).is_empty());
}

#[test]
fn x25519_rfc7748_vector_and_curve25519_exchange_hash() {
    // RFC 7748 section 6.1.
    let alice = X25519::from_secret(
        hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a").try_into().unwrap(),
    );
    let alice_pub = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    let bob_pub = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    let shared = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assert_eq!(&alice.public_bytes()[..], &alice_pub[..]);

    let mut kex = OneRound::strings(HashAlg::Sha256, input(), alice);
    let init = kex.start().unwrap();
    assert_eq!(init, [&[30u8][..], &string(&alice_pub)].concat());
    let KexStep::Done(out) = kex.handle(&reply(31, &string(&bob_pub))).unwrap() else { panic!() };
    // RFC 8731 3.1: K is the mpint of the output bytes read big-endian.
    assert_eq!(&out.k[..], &mpint(&shared)[..]);
    // H computed independently with Python's hashlib over the RFC 5656 4 transcript.
    assert_eq!(out.h, hex("2566ee2870bf17271cc388f2b7ccf75f2e95ae116dc9aab7556f51d8de35f8f3"));
}

#[test]
fn curve25519_round_trip() {
    string_round_trip("curve25519-sha256", x25519_server);
    string_round_trip("curve25519-sha256@libssh.org", x25519_server);
}

#[test]
fn nist_ecdh_round_trips() {
    let out = string_round_trip("ecdh-sha2-nistp256", p256_server);
    assert_eq!(out.hash, HashAlg::Sha256);
    let out = string_round_trip("ecdh-sha2-nistp384", p384_server);
    assert_eq!(out.hash, HashAlg::Sha384);
    let out = string_round_trip("ecdh-sha2-nistp521", p521_server);
    assert_eq!(out.hash, HashAlg::Sha512);
}

#[test]
fn mlkem768x25519_round_trip() {
    let out = string_round_trip("mlkem768x25519-sha256", mlkem_server);
    // K is a string holding a SHA-256 digest.
    assert_eq!(&out.k[..4], &[0, 0, 0, 32]);
    assert_eq!(out.k.len(), 36);
}

#[test]
fn sntrup761x25519_round_trips() {
    for name in ["sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com"] {
        let out = string_round_trip(name, sntrup_server);
        assert_eq!(&out.k[..4], &[0, 0, 0, 64]);
        assert_eq!(out.k.len(), 68);
    }
}

/// Plays a fixed-group server: returns (f, K encoded) for the client's e.
fn dh_server(group: Group, e: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let m = Modulus::new(&group.p()).unwrap();
    let y = BoxedUint::from_be_slice(&[0x5c; 64], 512).unwrap();
    let f = m.pow(&[group.g], &y, 512).unwrap();
    let k = m.pow(e, &y, 512).unwrap();
    (f.to_vec(), mpint(&k))
}

fn fixed_group_round_trip(name: &str, group: Group) {
    let hash = kex_hash(name).unwrap();
    let mut kex = new_kex(name, input(), GexParams::default()).unwrap();
    let init = kex.start().unwrap();
    let mut r = Reader::new(&init);
    assert_eq!(r.u8().unwrap(), 30);
    let e = r.mpint().unwrap().to_vec();
    r.finish().unwrap();
    let (f, k) = dh_server(group, &e);
    let KexStep::Done(out) = kex.handle(&reply(31, &mpint(&f))).unwrap() else { panic!() };
    assert_eq!(&out.k[..], &k[..], "{name}");
    assert_eq!(out.h, server_h(hash, &[], &mpint(&e), &mpint(&f), &k), "{name}");
}

#[test]
fn fixed_group_round_trips() {
    fixed_group_round_trip("diffie-hellman-group1-sha1", groups::GROUP1);
    fixed_group_round_trip("diffie-hellman-group14-sha1", groups::GROUP14);
    fixed_group_round_trip("diffie-hellman-group14-sha256", groups::GROUP14);
    fixed_group_round_trip("diffie-hellman-group16-sha512", groups::GROUP16);
    fixed_group_round_trip("diffie-hellman-group18-sha512", groups::GROUP18);
}

#[test]
fn group_primes_are_well_formed() {
    for (group, bits) in [(groups::GROUP1, 1024), (groups::GROUP14, 2048), (groups::GROUP16, 4096)] {
        let p = group.p();
        assert_eq!(p.len() * 8, bits);
        assert_eq!(p[..8], [0xff; 8]);
        assert_eq!(p[p.len() - 8..], [0xff; 8]);
        // Fermat: 2^(p-1) = 1 mod p. Also exercises the exponentiation at full length.
        let m = Modulus::new(&p).unwrap();
        let mut p_minus_1 = p.clone();
        *p_minus_1.last_mut().unwrap() -= 1;
        let exp = BoxedUint::from_be_slice(&p_minus_1, bits as u32).unwrap();
        assert_eq!(&m.pow(&[2], &exp, bits as u32).unwrap()[..], &[1]);
        // And a non-trivial value: 2^(p-2) != 1.
        *p_minus_1.last_mut().unwrap() -= 1;
        let exp = BoxedUint::from_be_slice(&p_minus_1, bits as u32).unwrap();
        assert_ne!(&m.pow(&[2], &exp, bits as u32).unwrap()[..], &[1]);
    }
    let p18 = groups::GROUP18.p();
    assert_eq!(p18.len(), 1024);
    assert_eq!(p18[..8], [0xff; 8]);
    assert_eq!(p18[p18.len() - 8..], [0xff; 8]);
    // Groups 14..18 extend the same digits of pi: each prime's high half matches.
    assert_eq!(groups::GROUP14.p()[..100], p18[..100]);
}

#[test]
fn modpow_small_known_answer() {
    // 4^13 mod 497 = 445 (a textbook example).
    let m = Modulus::new(&497u32.to_be_bytes()).unwrap();
    let exp = BoxedUint::from_be_slice(&[13], 8).unwrap();
    assert_eq!(&m.pow(&[4], &exp, 8).unwrap()[..], &445u16.to_be_bytes()[..]);
}

/// Runs a group exchange; `group` picks (p, g) from the request, and returns
/// the client's output.
fn gex_run(
    name: &str,
    params: GexParams,
    group: impl FnOnce(u32, u32, u32) -> (Vec<u8>, Vec<u8>),
) -> Result<KexOutput> {
    let hash = kex_hash(name).unwrap();
    let mut kex = new_kex(name, input(), params)?;
    let req = kex.start()?;
    let mut r = Reader::new(&req);
    assert_eq!(r.u8().unwrap(), 34);
    let (min, n, max) = (r.u32().unwrap(), r.u32().unwrap(), r.u32().unwrap());
    r.finish().unwrap();
    assert_eq!((min, n, max), (params.min, params.preferred, params.max));

    let (p, g) = group(min, n, max);
    let mut w = Writer::msg(31);
    w.mpint(&p).mpint(&g);
    let KexStep::Send(init) = kex.handle(&w.buf)? else { panic!("expected INIT") };
    let mut r = Reader::new(&init);
    assert_eq!(r.u8().unwrap(), 32);
    let e = r.mpint().unwrap().to_vec();
    r.finish().unwrap();

    let m = Modulus::new(&p).unwrap();
    let y = BoxedUint::from_be_slice(&[0x3a; 64], 512).unwrap();
    let f = m.pow(&g, &y, 512).unwrap();
    let k = mpint(&m.pow(&e, &y, 512).unwrap());
    let KexStep::Done(out) = kex.handle(&reply(33, &mpint(&f)))? else { panic!("expected Done") };

    let mut gp = Writer::new();
    gp.u32(min).u32(n).u32(max).mpint(&p).mpint(&g);
    assert_eq!(&out.k[..], &k[..]);
    assert_eq!(out.h, server_h(hash, &gp.buf, &mpint(&e), &mpint(&f), &k));
    Ok(out)
}

#[test]
fn group_exchange_round_trips() {
    let out =
        gex_run("diffie-hellman-group-exchange-sha256", GexParams::default(), |_, _, _| (groups::GROUP16.p(), vec![2]))
            .unwrap();
    assert_eq!(out.hash, HashAlg::Sha256);
    // A generator other than 2 and a non-default request.
    let params = GexParams { min: 2048, preferred: 2048, max: 3072 };
    let out = gex_run("diffie-hellman-group-exchange-sha1", params, |_, _, _| (groups::GROUP14.p(), vec![5])).unwrap();
    assert_eq!(out.hash, HashAlg::Sha1);
}

#[test]
fn group_exchange_default_request_is_libssh2s() {
    let mut kex = new_kex("diffie-hellman-group-exchange-sha256", input(), GexParams::default()).unwrap();
    assert_eq!(kex.start().unwrap(), [34, 0, 0, 8, 0, 0, 0, 16, 0, 0, 0, 32, 0]);
}

#[test]
fn group_exchange_rejects_bad_groups() {
    let name = "diffie-hellman-group-exchange-sha256";
    let fail = |params: GexParams, p: Vec<u8>, g: Vec<u8>| {
        gex_run(name, params, move |_, _, _| (p, g)).expect_err("must fail").code
    };
    let d = GexParams::default();
    // Case 14: a 1024-bit prime.
    assert_eq!(fail(d, groups::GROUP1.p(), vec![2]), code::KEX_FAILURE);
    // Over 8192 bits (odd, 8200 bits).
    let mut big = vec![0xff; 1025];
    big[0] = 0x01;
    assert_eq!(fail(d, big, vec![2]), code::KEX_FAILURE);
    // Inside 2048..=8192 but outside what was asked for.
    let params = GexParams { min: 3072, preferred: 4096, max: 8192 };
    assert_eq!(fail(params, groups::GROUP14.p(), vec![2]), code::KEX_FAILURE);
    let params = GexParams { min: 2048, preferred: 2048, max: 3072 };
    assert_eq!(fail(params, groups::GROUP16.p(), vec![2]), code::KEX_FAILURE);
    // g <= 1 and g >= p-1.
    let p = groups::GROUP14.p();
    let mut p_minus_1 = p.clone();
    *p_minus_1.last_mut().unwrap() -= 1;
    assert_eq!(fail(d, p.clone(), vec![]), code::KEX_FAILURE);
    assert_eq!(fail(d, p.clone(), vec![1]), code::KEX_FAILURE);
    assert_eq!(fail(d, p.clone(), p_minus_1), code::KEX_FAILURE);
    assert_eq!(fail(d, p.clone(), p.clone()), code::KEX_FAILURE);
    // An even modulus cannot be a prime.
    let mut even = p;
    *even.last_mut().unwrap() -= 1;
    assert_eq!(fail(d, even, vec![2]), code::KEX_FAILURE);
    // Bad local sizes.
    let bad = GexParams { min: 1024, preferred: 2048, max: 8192 };
    assert_eq!(new_kex(name, input(), bad).err().unwrap().code, code::INVAL);
    let bad = GexParams { min: 4096, preferred: 2048, max: 8192 };
    assert_eq!(new_kex(name, input(), bad).err().unwrap().code, code::INVAL);
}

#[test]
fn group_exchange_rejects_malformed_group_message() {
    let name = "diffie-hellman-group-exchange-sha256";
    let mut kex = new_kex(name, input(), GexParams::default()).unwrap();
    kex.start().unwrap();
    // p's length runs past the packet.
    assert_eq!(kex.handle(&[31, 0xff, 0xff, 0xff, 0xf0, 1]).err().unwrap().code, code::PROTO);
    // The exchange is over after a failure.
    assert_eq!(kex.handle(&[31]).err().unwrap().code, code::PROTO);
    let mut kex = new_kex(name, input(), GexParams::default()).unwrap();
    kex.start().unwrap();
    assert_eq!(kex.handle(&[33, 0, 0, 0, 0]).err().unwrap().code, code::PROTO);
}

/// Starts `name` and returns the exchange ready for the server's reply.
fn started(name: &str) -> Box<dyn Kex> {
    let mut kex = new_kex(name, input(), GexParams::default()).unwrap();
    kex.start().unwrap();
    kex
}

#[test]
fn dh_rejects_f_out_of_range() {
    // Case 13: f <= 1 or f >= p-1.
    for (name, group) in
        [("diffie-hellman-group14-sha256", groups::GROUP14), ("diffie-hellman-group1-sha1", groups::GROUP1)]
    {
        let p = group.p();
        let mut p_minus_1 = p.clone();
        *p_minus_1.last_mut().unwrap() -= 1;
        // p ends in 64 one bits, so p + 1 carries into a new top byte.
        let p_plus_1 = [vec![1], vec![0; p.len()]].concat();
        for f in [vec![], vec![0], vec![1], p_minus_1, p.clone(), p_plus_1] {
            let err = started(name).handle(&reply(31, &mpint(&f))).expect_err("must fail");
            assert_eq!(err.code, code::KEX_FAILURE, "{name} f={f:02x?}");
        }
        // f = 2 is the smallest accepted value.
        assert!(started(name).handle(&reply(31, &mpint(&[2]))).is_ok());
    }
    // A negative mpint is malformed.
    let mut w = Writer::new();
    w.string(&[0x80, 1]);
    let err = started("diffie-hellman-group14-sha256").handle(&reply(31, &w.buf)).err().unwrap();
    assert_eq!(err.code, code::PROTO);
}

#[test]
fn curve25519_rejects_bad_public_values() {
    // Case 13: wrong length, all zero, and other low-order points.
    let low_order = [
        vec![0u8; 32],
        [&[1u8][..], &[0; 31]].concat(),
        hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    ];
    for v in low_order {
        let err = started("curve25519-sha256").handle(&reply(31, &string(&v))).err().unwrap();
        assert_eq!(err.code, code::KEX_FAILURE, "{v:02x?}");
    }
    for len in [0, 31, 33] {
        let err = started("curve25519-sha256").handle(&reply(31, &string(&vec![9; len]))).err().unwrap();
        assert_eq!(err.code, code::KEX_FAILURE);
    }
}

#[test]
fn nist_ecdh_rejects_bad_points() {
    for (name, field) in [("ecdh-sha2-nistp256", 32), ("ecdh-sha2-nistp384", 48), ("ecdh-sha2-nistp521", 66)] {
        // A real point (another client's) is accepted; variants of it are not.
        let good = valid_point(name);
        assert!(matches!(started(name).handle(&reply(31, &string(&good))), Ok(KexStep::Done(_))));
        let mut kex = started(name);
        assert_eq!(good.len(), 1 + 2 * field);
        let mut off_curve = good.clone();
        *off_curve.last_mut().unwrap() ^= 1;
        let compressed = [&[0x02 | (good[good.len() - 1] & 1)][..], &good[1..=field]].concat();
        let mut bad_prefix = good.clone();
        bad_prefix[0] = 0x06;
        let identity = vec![0u8];
        let zero_point = [&[4u8][..], &vec![0; 2 * field]].concat();
        for bad in [off_curve, compressed, bad_prefix, identity, zero_point, good[..good.len() - 1].to_vec()] {
            let err = kex.handle(&reply(31, &string(&bad))).expect_err("must fail");
            assert_eq!(err.code, code::KEX_FAILURE, "{name} {bad:02x?}");
            kex = started(name);
        }
    }
}

/// A valid public value for `name`: another client's.
fn valid_point(name: &str) -> Vec<u8> {
    let mut other = new_kex(name, input(), GexParams::default()).unwrap();
    let init = other.start().unwrap();
    let mut r = Reader::new(&init);
    r.u8().unwrap();
    r.string().unwrap().to_vec()
}

#[test]
fn hybrids_reject_bad_replies() {
    for (name, ct_len) in [("mlkem768x25519-sha256", 1088), ("sntrup761x25519-sha512", 1039)] {
        for len in [0, 32, ct_len, ct_len + 31, ct_len + 33] {
            let err = started(name).handle(&reply(31, &string(&vec![7; len]))).err().unwrap();
            assert_eq!(err.code, code::KEX_FAILURE, "{name} len {len}");
        }
        // Right length but an all-zero X25519 half.
        let v = [vec![7; ct_len], vec![0; 32]].concat();
        let err = started(name).handle(&reply(31, &string(&v))).err().unwrap();
        assert_eq!(err.code, code::KEX_FAILURE, "{name}");
    }
}

#[test]
fn truncated_and_malformed_replies_are_proto_errors() {
    // Case 12: host key, value or signature lengths past the packet; also
    // trailing bytes, a wrong message number, and an empty message.
    for name in SUPPORTED_KEX.iter().filter(|n| !n.contains("group-exchange")) {
        let value = if name.starts_with("diffie-hellman") { mpint(&[2]) } else { string(&[9; 32]) };
        let hk = host_key();
        let sig = signature();
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![31],
            [&[31u8, 0xff, 0xff, 0xff, 0xf0][..], &hk].concat(),
            [&[31u8][..], &string(&hk), &[0xff, 0xff, 0xff, 0xff]].concat(),
            [&[31u8][..], &string(&hk), &value, &[0, 0, 1, 0], &sig].concat(),
            [&[31u8][..], &string(&hk), &value].concat(),
            [&reply(31, &value)[..], &[0]].concat(),
            reply(30, &value),
            reply(33, &value),
        ];
        // Every prefix of a well-formed reply is truncated. Parsing is shared
        // code, so the prefixes run for one method per value encoding only,
        // and the methods whose key generation is slow in debug builds get a
        // few cases.
        if *name == "curve25519-sha256" || *name == "diffie-hellman-group1-sha1" {
            let full = reply(31, &value);
            cases.extend((0..full.len()).map(|n| full[..n].to_vec()));
        }
        if name.starts_with("sntrup") || name.contains("group16") || name.contains("group18") {
            cases.truncate(3);
        }
        for c in cases {
            let err = started(name).handle(&c).expect_err("must fail");
            assert_eq!(err.code, code::PROTO, "{name}: {c:02x?}");
        }
    }
}

#[test]
fn misuse_is_refused() {
    let mut kex = new_kex("curve25519-sha256", input(), GexParams::default()).unwrap();
    assert_eq!(kex.handle(&reply(31, &string(&[9; 32]))).err().unwrap().code, code::PROTO);
    kex.start().unwrap();
    assert_eq!(kex.start().err().unwrap().code, code::BAD_USE);
    let mut gex = new_kex("diffie-hellman-group-exchange-sha256", input(), GexParams::default()).unwrap();
    gex.start().unwrap();
    assert_eq!(gex.start().err().unwrap().code, code::BAD_USE);
}

#[test]
fn dh_exponents_are_fresh() {
    let e1 = new_kex("diffie-hellman-group14-sha256", input(), GexParams::default()).unwrap().start().unwrap();
    let e2 = new_kex("diffie-hellman-group14-sha256", input(), GexParams::default()).unwrap().start().unwrap();
    assert_ne!(e1, e2);
    // e = g^x with a 512-bit x is far from small.
    assert!(e1.len() > 200);
}
