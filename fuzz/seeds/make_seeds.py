#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<target>/ from valid messages.

Seeds are well-formed inputs for each target (in the framing of
fuzz/src/harness.rs) so the fuzzer starts past the outer parsers. Keys come
from ssh-keygen (fresh each run: the committed corpus is one such run).
Run from anywhere: python3 fuzz/seeds/make_seeds.py
"""
import os
import struct
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "corpus")

# SUPPORTED_KEX order in src/proto/kex/mod.rs.
KEX = [
    "mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256",
    "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1",
]
# Server public value lengths of the one-round methods.
Q_S_LEN = {
    "mlkem768x25519-sha256": 1088 + 32, "sntrup761x25519-sha512": 1039 + 32,
    "sntrup761x25519-sha512@openssh.com": 1039 + 32, "curve25519-sha256": 32,
    "curve25519-sha256@libssh.org": 32, "ecdh-sha2-nistp256": 65, "ecdh-sha2-nistp384": 97,
    "ecdh-sha2-nistp521": 133,
}
# RFC 3526 group 14 prime (a fact), for the group-exchange seeds.
P14 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)


def u32(n):
    return struct.pack(">I", n)


def string(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def mpint(n):
    if n == 0:
        return u32(0)
    b = n.to_bytes((n.bit_length() + 8) // 8, "big")
    return string(b)


def join(payloads):
    """fuzz/src/harness.rs join_payloads: u16 length + bytes each."""
    return b"".join(struct.pack(">H", len(p)) + p for p in payloads)


def frame_plain(payloads):
    out = b""
    for p in payloads:
        pad = 8 - (5 + len(p)) % 8
        if pad < 4:
            pad += 8
        out += u32(1 + len(p) + pad) + bytes([pad]) + p + bytes(pad)
    return out


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def keygen(tmp, kind, bits=None, fmt=None, passphrase=""):
    path = os.path.join(tmp, f"{kind}-{bits}-{fmt}-{bool(passphrase)}")
    cmd = ["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-a", "1", "-C", "seed", "-f", path]
    if bits:
        cmd += ["-b", str(bits)]
    if fmt:
        cmd += ["-m", fmt]
    subprocess.run(cmd, check=True)
    with open(path, "rb") as f:
        priv = f.read()
    with open(path + ".pub", "rb") as f:
        pub = f.read()
    return priv, pub


def blob_of(pub_line):
    import base64
    return base64.b64decode(pub_line.split()[1])


def kexinit(kex, hostkey, cipher, mac):
    lists = [kex, hostkey, cipher, cipher, mac, mac, "none,zlib@openssh.com", "none,zlib@openssh.com", "", ""]
    return bytes([20]) + bytes(16) + b"".join(string(x) for x in lists) + b"\x00" + u32(0)


def main():
    tmp = tempfile.mkdtemp()
    keys = {}
    for kind, bits, fmt in [("ed25519", None, None), ("ecdsa", 256, None), ("ecdsa", 384, "PEM"),
                            ("ecdsa", 521, "PKCS8"), ("rsa", 1024, None), ("rsa", 1024, "PEM"),
                            ("rsa", 1024, "PKCS8")]:
        keys[(kind, bits, fmt)] = keygen(tmp, kind, bits, fmt)
    ed_priv, ed_pub = keys[("ed25519", None, None)]
    ed_blob = blob_of(ed_pub)
    fake_sig = string("ssh-ed25519") + string(bytes(64))

    # privkey / pubkey
    for (kind, bits, fmt), (priv, pub) in keys.items():
        tag = f"{kind}{bits or ''}-{(fmt or 'openssh').lower()}"
        write("privkey", tag, priv)
        write("pubkey", "blob-" + tag, b"\x00" + join([blob_of(pub), string(kind) + string(bytes(64))]))
        write("pubkey", "file-" + tag, b"\x01" + pub)
    write("privkey", "ed25519-encrypted", keygen(tmp, "ed25519", passphrase="fuzzpw")[0])
    write("privkey", "rsa-pem-encrypted", keygen(tmp, "rsa", 1024, "PEM", passphrase="fuzzpw")[0])

    # knownhost
    hosts = os.path.join(tmp, "known_hosts")
    with open(hosts, "wb") as f:
        f.write(b"# comment\n\nexample.com,10.0.0.1 " + ed_pub.split(b" seed")[0] + b"\n")
        f.write(b"[example.org]:2222 " + keys[("rsa", 1024, None)][1])
        f.write(b"@cert-authority *.example.net " + keys[("ecdsa", 256, None)][1])
        f.write(b"@revoked bad.example " + ed_pub)
    with open(hosts, "rb") as f:
        plain = f.read()
    write("knownhost", "plain", plain)
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", hosts], check=True, capture_output=True)
    with open(hosts, "rb") as f:
        write("knownhost", "hashed", f.read())

    # agent
    write("agent", "identities", bytes([12]) + u32(2) + string(ed_blob) + string("a") +
          string(blob_of(keys[("rsa", 1024, None)][1])) + string("b"))
    write("agent", "sign-ed25519", bytes([14]) + string(fake_sig))
    write("agent", "sign-sk", bytes([14]) + string(string("sk-ssh-ed25519@openssh.com") + string(bytes(64)) +
                                                    b"\x01" + u32(7)))

    # scp
    write("scp", "c-line", b"C0644 12345 file.txt\n")
    write("scp", "t-line", b"T1700000000 0 1700000001 0\nC0755 0 x\n")

    # kexinit
    ki = kexinit("curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com",
                 "ssh-ed25519,rsa-sha2-512,ecdsa-sha2-nistp256", "chacha20-poly1305@openssh.com,aes128-ctr",
                 "hmac-sha2-256-etm@openssh.com,hmac-sha2-256")
    write("kexinit", "openssh-like", ki)
    write("kexinit", "minimal", kexinit("diffie-hellman-group1-sha1", "ssh-rsa", "3des-cbc", "hmac-md5"))

    # kex: a well-formed (but unsigned) reply per method
    for i, name in enumerate(KEX):
        if name in Q_S_LEN:
            reply = bytes([31]) + string(ed_blob) + string(bytes([4] if "nistp" in name else [9]) +
                                                           bytes(Q_S_LEN[name] - 1)) + string(fake_sig)
            write("kex", name, bytes([i]) + join([reply]))
        elif "exchange" in name:
            group = bytes([31]) + mpint(P14) + mpint(2)
            reply = bytes([33]) + string(ed_blob) + mpint(P14 // 3) + string(fake_sig)
            write("kex", name, bytes([i]) + join([group, reply]))
        else:
            reply = bytes([31]) + string(ed_blob) + mpint(P14 // 5) + string(fake_sig)
            write("kex", name, bytes([i]) + join([reply]))

    # conn: established and fresh
    ignore = bytes([2]) + string("x")
    debug = bytes([4]) + b"\x01" + string("hello") + string("")
    ext = bytes([7]) + u32(1) + string("server-sig-algs") + string("ssh-ed25519,rsa-sha2-256")
    data = bytes([94]) + u32(0) + string("data")
    write("conn", "established-framed", b"\x02" + join([ignore, debug, ext, data]))
    write("conn", "established-raw", b"\x00" + frame_plain([ignore, data]))
    ecdh = bytes([31]) + string(ed_blob) + string(bytes(32)) + string(fake_sig)
    write("conn", "fresh-framed", b"\x03" + join([ki, ecdh, bytes([21])]))
    write("conn", "fresh-raw", b"\x01" + b"banner\r\nSSH-2.0-OpenSSH_9.2\r\n" + frame_plain([ki]))

    # packet: plaintext and every cipher, sealed round trips and raw
    payloads = join([bytes([94]) + u32(0) + string("x" * 40), bytes([2]) + string(""), bytes([21])])
    for sel in range(16):
        write("packet", f"sealed-{sel}", bytes([sel, 1]) + payloads)
    write("packet", "raw-plain", bytes([0, 0]) + frame_plain([bytes([94]) + u32(0) + string("abc")]))

    # session: server scripts for each operation
    fail = bytes([51]) + string("publickey,password,keyboard-interactive") + b"\x00"
    ok = bytes([52])
    banner = bytes([53]) + string("Welcome\n") + string("")
    chreq_fail = bytes([100]) + u32(0)
    confirm = bytes([91]) + u32(0) + u32(7) + u32(2 * 1024 * 1024) + u32(32768)
    success = bytes([99]) + u32(0)
    adjust = bytes([93]) + u32(0) + u32(100000)
    ext_data = bytes([95]) + u32(0) + u32(1) + string("err\n")
    eof = bytes([96]) + u32(0)
    status = bytes([98]) + u32(0) + string("exit-status") + b"\x00" + u32(3)
    signal = bytes([98]) + u32(0) + string("exit-signal") + b"\x00" + string("TERM") + b"\x00" + string("m") + string("")
    close = bytes([97]) + u32(0)
    keepalive = bytes([80]) + string("keepalive@openssh.com") + b"\x01"
    chdata = lambda b: bytes([94]) + u32(0) + string(b)
    exec_tail = [confirm, success, adjust, chdata("out\n"), ext_data, eof, status, signal, close]
    # selector: bit0 authenticated, bits1-3 auth method, bits4-5 channel op, bit6 extras
    write("session", "list-then-exec", bytes([0 << 1]) + join([banner, fail] + exec_tail))
    write("session", "list-success", bytes([0]) + join([ok]))
    write("session", "password-changereq", bytes([1 << 1]) + join([bytes([60]) + string("Change!") + string(""), ok]))
    info = bytes([60]) + string("n") + string("i") + string("") + u32(2) + string("Password: ") + b"\x00" + \
        string("OTP: ") + b"\x01"
    write("session", "kbdint", bytes([2 << 1]) + join([info, bytes([60]) + string("") + string("") + string("") +
                                                      u32(0), ok]))
    with open(os.path.join(ROOT, "seeds", "user_ed25519.pub"), "rb") as f:
        harness_blob = blob_of(f.read())
    write("session", "publickey", bytes([3 << 1]) + join([bytes([60]) + string("ssh-ed25519") + string(harness_blob),
                                                         ok]))
    write("session", "hostbased", bytes([4 << 1]) + join([fail]))
    write("session", "exec", bytes([1 | 7 << 1]) + join(exec_tail))
    write("session", "exec-refused", bytes([1 | 7 << 1]) + join([bytes([92]) + u32(0) + u32(1) + string("no") +
                                                                string("")]))
    scp_recv = [confirm, success, chdata("T1700000000 0 1700000001 0\n"), chdata("C0644 5 f\n"), chdata("hello\0"),
                eof, close]
    write("session", "scp-recv", bytes([1 | 7 << 1 | 1 << 4]) + join(scp_recv))
    write("session", "scp-recv-error", bytes([1 | 7 << 1 | 1 << 4]) + join([confirm, success, chdata("\x01nope\n")]))
    scp_send = [confirm, success, chdata("\0"), chdata("\0"), chdata("\0"), chdata("\0"), eof, close]
    write("session", "scp-send", bytes([1 | 7 << 1 | 2 << 4]) + join(scp_send))
    pk_version = chdata(string(string("version") + u32(2)))
    pk_list = chdata(string(string("publickey") + string("ssh-ed25519") + string(ed_blob) + u32(1) +
                            string("comment") + string("c") + b"\x00"))
    pk_status = chdata(string(string("status") + u32(0) + string("") + string("")))
    write("session", "publickey-subsystem", bytes([1 | 7 << 1 | 3 << 4]) + join([confirm, success, pk_version,
                                                                                pk_list, pk_status]))
    write("session", "exec-burst", bytes([1 | 7 << 1 | 0x80]) + join(exec_tail))
    write("session", "extras", bytes([1 | 7 << 1 | 0x40]) + join([keepalive] + exec_tail +
                                                                 [bytes([81]), bytes([81]) + u32(4711), bytes([81])]))


if __name__ == "__main__":
    main()
