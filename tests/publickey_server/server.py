#!/usr/bin/env python3
"""A small RFC 4819 publickey subsystem server for the test suite.

sshd runs it as `Subsystem publickey <python3> server.py [STORE] [options]`;
it speaks the protocol on stdin/stdout (uint32 length + body) and keeps the
keys in STORE, a JSON file (default: publickey_keys.json next to this file).

Options (for tests of the client's edge cases):
  --version N    highest protocol version to speak (default 2; 1 = the
                 pre-RFC draft with a comment instead of attributes)
  --refuse       answer the client's `version` with VERSION_NOT_SUPPORTED

Behaviour: a key is identified by (algorithm name, blob). `add` refuses a
blob whose embedded algorithm differs from the name (KEY_NOT_SUPPORTED), a
critical attribute other than `comment` (ATTRIBUTE_NOT_SUPPORTED) and a
duplicate without the overwrite flag (KEY_ALREADY_PRESENT); `remove` of an
unknown key is KEY_NOT_FOUND; unknown requests get REQUEST_NOT_SUPPORTED.
It writes a line to stderr at start-up, which clients are expected to ignore.
"""

import json
import os
import struct
import sys

SUCCESS = 0
ACCESS_DENIED = 1
STORAGE_EXCEEDED = 2
VERSION_NOT_SUPPORTED = 3
KEY_NOT_FOUND = 4
KEY_NOT_SUPPORTED = 5
KEY_ALREADY_PRESENT = 6
GENERAL_FAILURE = 7
REQUEST_NOT_SUPPORTED = 8
ATTRIBUTE_NOT_SUPPORTED = 9

DESCRIPTIONS = {
    SUCCESS: "Success",
    VERSION_NOT_SUPPORTED: "Version not supported",
    KEY_NOT_FOUND: "Key not found",
    KEY_NOT_SUPPORTED: "Key not supported",
    KEY_ALREADY_PRESENT: "Key already present",
    GENERAL_FAILURE: "General failure",
    REQUEST_NOT_SUPPORTED: "Request not supported",
    ATTRIBUTE_NOT_SUPPORTED: "Attribute not supported",
}

# Attributes this server understands (a critical unknown one is refused).
KNOWN_ATTRIBUTES = {b"comment"}
# Longest message accepted from a client.
MAX_MESSAGE = 256 * 1024


class Malformed(Exception):
    """A message ended early."""


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def u32(self):
        if self.pos + 4 > len(self.data):
            raise Malformed()
        (v,) = struct.unpack(">I", self.data[self.pos:self.pos + 4])
        self.pos += 4
        return v

    def boolean(self):
        if self.pos + 1 > len(self.data):
            raise Malformed()
        v = self.data[self.pos] != 0
        self.pos += 1
        return v

    def string(self):
        n = self.u32()
        if self.pos + n > len(self.data):
            raise Malformed()
        v = self.data[self.pos:self.pos + n]
        self.pos += n
        return v


def enc_u32(v):
    return struct.pack(">I", v)


def enc_string(b):
    if isinstance(b, str):
        b = b.encode()
    return enc_u32(len(b)) + b


def send(out, body):
    out.write(enc_u32(len(body)) + body)
    out.flush()


def send_status(out, code):
    send(out, enc_string("status") + enc_u32(code) + enc_string(DESCRIPTIONS.get(code, "error")) + enc_string("en"))


def read_exact(inp, n):
    buf = b""
    while len(buf) < n:
        chunk = inp.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_message(inp):
    head = read_exact(inp, 4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    if n > MAX_MESSAGE:
        return None
    return read_exact(inp, n)


class Store:
    """The keys, as a list of {name, blob, attrs} kept in a JSON file."""

    def __init__(self, path):
        self.path = path
        self.keys = []
        if os.path.exists(path):
            with open(path) as f:
                for k in json.load(f):
                    self.keys.append({
                        "name": bytes.fromhex(k["name"]),
                        "blob": bytes.fromhex(k["blob"]),
                        "attrs": [(bytes.fromhex(a), bytes.fromhex(v)) for a, v in k["attrs"]],
                    })

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump([{
                "name": k["name"].hex(),
                "blob": k["blob"].hex(),
                "attrs": [[a.hex(), v.hex()] for a, v in k["attrs"]],
            } for k in self.keys], f)
        os.replace(tmp, self.path)

    def find(self, name, blob):
        for i, k in enumerate(self.keys):
            if k["name"] == name and k["blob"] == blob:
                return i
        return None


def embedded_algorithm(blob):
    try:
        return Reader(blob).string()
    except Malformed:
        return None


def handle_add(r, version, store):
    attrs = []
    if version == 1:
        comment = r.string()
        name = r.string()
        blob = r.string()
        overwrite = False
        if comment:
            attrs.append((b"comment", comment))
    else:
        name = r.string()
        blob = r.string()
        overwrite = r.boolean()
        for _ in range(r.u32()):
            a = r.string()
            v = r.string()
            critical = r.boolean()
            if critical and a not in KNOWN_ATTRIBUTES:
                return ATTRIBUTE_NOT_SUPPORTED
            attrs.append((a, v))
    if embedded_algorithm(blob) != name:
        return KEY_NOT_SUPPORTED
    i = store.find(name, blob)
    if i is not None:
        if not overwrite:
            # The pre-RFC draft had no "already present"; 6 meant general failure there.
            return KEY_ALREADY_PRESENT
        store.keys[i]["attrs"] = attrs
    else:
        store.keys.append({"name": name, "blob": blob, "attrs": attrs})
    store.save()
    return SUCCESS


def handle_remove(r, store):
    name = r.string()
    blob = r.string()
    i = store.find(name, blob)
    if i is None:
        return KEY_NOT_FOUND
    del store.keys[i]
    store.save()
    return SUCCESS


def handle_list(out, version, store):
    for k in store.keys:
        if version == 1:
            comment = next((v for a, v in k["attrs"] if a == b"comment"), b"")
            body = enc_string("publickey") + enc_string(comment) + enc_string(k["name"]) + enc_string(k["blob"])
        else:
            body = enc_string("publickey") + enc_string(k["name"]) + enc_string(k["blob"]) + enc_u32(len(k["attrs"]))
            for a, v in k["attrs"]:
                body += enc_string(a) + enc_string(v)
        send(out, body)
    return SUCCESS


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    store_path = os.path.join(here, "publickey_keys.json")
    max_version = 2
    refuse = False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--version":
            max_version = int(args.pop(0))
        elif a == "--refuse":
            refuse = True
        else:
            store_path = a
    inp = sys.stdin.buffer
    out = sys.stdout.buffer
    sys.stderr.write("publickey test server: noise on stderr the client must ignore\n")
    sys.stderr.flush()

    store = Store(store_path)
    first = read_message(inp)
    if first is None:
        return 1
    r = Reader(first)
    try:
        if r.string() != b"version":
            send_status(out, REQUEST_NOT_SUPPORTED)
            return 1
        client_version = r.u32()
    except Malformed:
        send_status(out, GENERAL_FAILURE)
        return 1
    if refuse or client_version < 1:
        send_status(out, VERSION_NOT_SUPPORTED)
        return 1
    version = min(client_version, max_version)
    send(out, enc_string("version") + enc_u32(version))

    while True:
        msg = read_message(inp)
        if msg is None:
            return 0
        r = Reader(msg)
        try:
            req = r.string()
            if req == b"add":
                send_status(out, handle_add(r, version, store))
            elif req == b"remove":
                send_status(out, handle_remove(r, store))
            elif req == b"list":
                send_status(out, handle_list(out, version, store))
            else:
                send_status(out, REQUEST_NOT_SUPPORTED)
        except Malformed:
            send_status(out, GENERAL_FAILURE)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
