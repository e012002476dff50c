#!/usr/bin/env python3
"""Print what an SSH server offers, from its first SSH_MSG_KEXINIT.

    kexinit.py PORT [HOST]

Exchanges banners, reads the server's first (unencrypted) binary packet,
which RFC 4253 section 7.1 makes its KEXINIT, and prints one line per
name-list the interop stage tests, names comma-separated:

    banner SSH-2.0-...
    kex ...
    hostkey ...
    cipher ...        (client to server)
    mac ...           (client to server)
    comp ...          (client to server)

This is how the stage learns every algorithm a server offers without
knowing the server. A server that waits for the client's KEXINIT first
gets a minimal one after KEXINIT_WAIT seconds. Exit 1 with a message on
stderr when no KEXINIT arrives.
"""

import os
import socket
import struct
import sys

CLIENT_BANNER = b"SSH-2.0-interop_kexinit\r\n"
MAX_BANNER_LINES = 50  # lines a server may send before its version line
MAX_LINE = 255  # RFC 4253 section 4.2, CR LF included
MAX_PACKET = 35000  # RFC 4253 section 6.1: what every implementation must take
IO_TIMEOUT = 10.0  # seconds for each read
KEXINIT_WAIT = 2.0  # seconds before sending our own KEXINIT
SSH_MSG_KEXINIT = 20
COOKIE_LEN = 16
# RFC 4253 section 7.1: the ten name-lists of a KEXINIT, in order.
LISTS = ["kex", "hostkey", "cipher", "cipher_sc", "mac", "mac_sc",
         "comp", "comp_sc", "lang", "lang_sc"]
PRINTED = ["kex", "hostkey", "cipher", "mac", "comp"]
# For a server that speaks only after the client's KEXINIT: names any server
# in the stage has, so it gets far enough to send its own.
OUR_LISTS = [b"curve25519-sha256,ext-info-c", b"ssh-ed25519,rsa-sha2-256",
             b"aes128-ctr,chacha20-poly1305@openssh.com",
             b"aes128-ctr,chacha20-poly1305@openssh.com",
             b"hmac-sha2-256", b"hmac-sha2-256", b"none", b"none", b"", b""]


def die(msg):
    print(f"kexinit.py: {msg}", file=sys.stderr)
    sys.exit(1)


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self, timeout):
        self.sock.settimeout(timeout)
        data = self.sock.recv(65536)
        if not data:
            die("the server closed the connection")
        self.buf += data

    def take(self, n, timeout=IO_TIMEOUT):
        while len(self.buf) < n:
            self.fill(timeout)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def line(self):
        while b"\n" not in self.buf[:MAX_LINE]:
            if len(self.buf) >= MAX_LINE:
                die("banner line too long")
            self.fill(IO_TIMEOUT)
        i = self.buf.index(b"\n")
        out, self.buf = self.buf[:i + 1], self.buf[i + 1:]
        return out.rstrip(b"\r\n")


def our_kexinit():
    body = bytes([SSH_MSG_KEXINIT]) + os.urandom(COOKIE_LEN)
    for names in OUR_LISTS:
        body += struct.pack(">I", len(names)) + names
    body += b"\0" + b"\0\0\0\0"  # first_kex_packet_follows, reserved
    pad = 8 - (len(body) + 5) % 8
    pad += 8 if pad < 4 else 0
    return struct.pack(">IB", len(body) + pad + 1, pad) + body + bytes(pad)


def main():
    if len(sys.argv) not in (2, 3):
        die("usage: kexinit.py PORT [HOST]")
    host = sys.argv[2] if len(sys.argv) == 3 else "127.0.0.1"
    sock = socket.create_connection((host, int(sys.argv[1])), timeout=IO_TIMEOUT)
    sock.sendall(CLIENT_BANNER)
    conn = Conn(sock)
    for _ in range(MAX_BANNER_LINES):
        banner = conn.line()
        if banner.startswith(b"SSH-"):
            break
    else:
        die("no SSH version line")
    try:
        head = conn.take(5, KEXINIT_WAIT)
    except socket.timeout:
        sock.sendall(our_kexinit())
        head = conn.take(5)
    length, pad = struct.unpack(">IB", head)
    if not 0 < length <= MAX_PACKET or pad >= length:
        die(f"implausible first packet (length {length}, padding {pad})")
    payload = conn.take(length - 1)[:length - 1 - pad]
    if not payload or payload[0] != SSH_MSG_KEXINIT:
        die(f"first packet is message {payload[:1].hex()}, not KEXINIT")
    pos = 1 + COOKIE_LEN
    lists = {}
    for name in LISTS:
        (n,) = struct.unpack(">I", payload[pos:pos + 4])
        lists[name] = payload[pos + 4:pos + 4 + n].decode("ascii", "replace")
        pos += 4 + n
    sock.close()
    print(f"banner {banner.decode('ascii', 'replace')}")
    for name in PRINTED:
        print(f"{name} {lists[name]}")


if __name__ == "__main__":
    main()
