//! An opt-in check against a real OpenSSH sshd: the server signs our H, so a
//! verifying signature proves H and K match OpenSSH's for every method it has.

use super::*;
use crate::proto::wire::{Reader, Writer};

/// Against a real sshd: every method's H must carry a valid ed25519 signature
/// by the server's host key, which proves K and H match OpenSSH's. Run with
/// `KEX_TEST_SSHD=127.0.0.1:PORT KEX_TEST_HOSTKEY=/path/hk.pub cargo test --lib
/// proto::kex::live_test::live_sshd -- --ignored`, the sshd offering every method.
#[test]
#[ignore = "needs a running sshd (see doc comment)"]
fn live_sshd() {
    use base64::Engine;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;

    let addr = std::env::var("KEX_TEST_SSHD").expect("KEX_TEST_SSHD=host:port");
    let pub_line = std::fs::read_to_string(std::env::var("KEX_TEST_HOSTKEY").expect("KEX_TEST_HOSTKEY")).unwrap();
    let blob = base64::engine::general_purpose::STANDARD.decode(pub_line.split_whitespace().nth(1).unwrap()).unwrap();
    let mut r = Reader::new(&blob);
    assert_eq!(r.string().unwrap(), b"ssh-ed25519");
    let vk = VerifyingKey::from_bytes(r.string().unwrap().try_into().unwrap()).unwrap();

    fn send(s: &mut TcpStream, payload: &[u8]) {
        let mut pad = 8 - (payload.len() + 5) % 8;
        if pad < 4 {
            pad += 8;
        }
        let mut w = Writer::new();
        w.u32((payload.len() + pad + 1) as u32).u8(pad as u8).raw(payload).raw(&vec![0; pad]);
        s.write_all(&w.buf).unwrap();
    }
    fn recv(s: &mut BufReader<TcpStream>) -> Vec<u8> {
        let mut len = [0u8; 4];
        s.read_exact(&mut len).unwrap();
        let mut pkt = vec![0; u32::from_be_bytes(len) as usize];
        s.read_exact(&mut pkt).unwrap();
        let pad = pkt[0] as usize;
        pkt[1..pkt.len() - pad].to_vec()
    }

    let methods: Vec<&str> = SUPPORTED_KEX.iter().copied().filter(|m| *m != "mlkem768x25519-sha256").collect();
    for name in methods {
        let mut sock = TcpStream::connect(&addr).unwrap();
        let v_c = b"SSH-2.0-libssh2_1.11.1".to_vec();
        sock.write_all(&[&v_c[..], b"\r\n"].concat()).unwrap();
        let mut rd = BufReader::new(sock.try_clone().unwrap());
        let mut line = String::new();
        rd.read_line(&mut line).unwrap();
        let v_s = line.trim_end().as_bytes().to_vec();

        let mut w = Writer::msg(20);
        w.raw(&[7; 16]).name_list(&[name]).name_list(&["ssh-ed25519"]);
        w.name_list(&["aes128-ctr"]).name_list(&["aes128-ctr"]);
        w.name_list(&["hmac-sha2-256"]).name_list(&["hmac-sha2-256"]);
        w.name_list(&["none"]).name_list(&["none"]).name_list::<&str>(&[]).name_list::<&str>(&[]);
        w.bool(false).u32(0);
        let i_c = w.buf;
        send(&mut sock, &i_c);
        let i_s = loop {
            let p = recv(&mut rd);
            if p[0] == 20 {
                break p;
            }
        };

        let mut kex = new_kex(name, KexInput { v_c, v_s, i_c, i_s }, GexParams::default()).unwrap();
        send(&mut sock, &kex.start().unwrap());
        let out = loop {
            let p = recv(&mut rd);
            match kex.handle(&p).unwrap_or_else(|e| panic!("{name}: {e}")) {
                KexStep::Send(next) => send(&mut sock, &next),
                KexStep::Done(out) => break out,
            }
        };
        assert_eq!(out.host_key, blob, "{name}");
        let mut r = Reader::new(&out.signature);
        assert_eq!(r.string().unwrap(), b"ssh-ed25519");
        let sig = Signature::from_slice(r.string().unwrap()).unwrap();
        vk.verify(&out.h, &sig).unwrap_or_else(|_| panic!("{name}: signature over H does not verify"));
        eprintln!("{name}: H verified by sshd's signature");
    }
}
