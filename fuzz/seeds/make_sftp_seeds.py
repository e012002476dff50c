#!/usr/bin/env python3
"""Writes the seed corpus of the `sftp` fuzz target (fuzz/corpus/sftp/).

Each seed is a small, valid server side of one SFTP exchange in the framing
of fuzz/src/harness.rs `sftp`: byte 0 picks the operation groups, byte 1 the
mode, then u16-length payloads, each one channel message (SFTP stream bytes,
or tagged stderr / raw SSH message). Request ids follow the client's order
(ids count from 0; each read-ahead or write request takes one);
tests/fuzz_regressions.rs checks that every seed gets through its operations.
Run from anywhere: python3 fuzz/seeds/make_sftp_seeds.py
"""
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "corpus", "sftp")

# Operation groups (byte 0) and modes (byte 1) of the harness.
PATHS, STAT, READ, WRITE, DIR, MISC, SHUTDOWN = 1, 2, 4, 8, 16, 32, 64
BURST, BUF_4096 = 1, 2 << 1
TAG_STDERR, TAG_RAW = b"\xfe", b"\xff"

# SSH_FXP_* and SSH_FX_* numbers.
VERSION, STATUS, HANDLE, DATA, NAME, ATTRS, EXT_REPLY = 2, 101, 102, 103, 104, 105, 201
FX_OK, FX_EOF, FX_NO_SUCH_FILE, FX_FAILURE = 0, 1, 2, 4


def u32(n):
    return struct.pack(">I", n)


def u64(n):
    return struct.pack(">Q", n)


def string(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def join(payloads):
    """harness.rs join_payloads: u16 length + bytes each."""
    return b"".join(struct.pack(">H", len(p)) + p for p in payloads)


def pkt(kind, body):
    return u32(1 + len(body)) + bytes([kind]) + body


def version(*exts):
    return pkt(VERSION, u32(3) + b"".join(string(n) + string(d) for n, d in exts))


def status(rid, code, msg=""):
    return pkt(STATUS, u32(rid) + u32(code) + string(msg) + string("en"))


def handle(rid, h):
    return pkt(HANDLE, u32(rid) + string(h))


def data(rid, b):
    return pkt(DATA, u32(rid) + string(b))


def attrs(flags=0, size=0, ext=()):
    a = u32(flags)
    if flags & 1:
        a += u64(size)
    if flags & 2:
        a += u32(1000) + u32(1000)
    if flags & 4:
        a += u32(0o100644)
    if flags & 8:
        a += u32(1700000000) + u32(1700000001)
    if flags & 0x80000000:
        a += u32(len(ext)) + b"".join(string(k) + string(v) for k, v in ext)
    return a


ALL_ATTRS = 0x8000000f


def name(rid, entries):
    return pkt(NAME, u32(rid) + u32(len(entries)) + b"".join(string(n) + string(l) + a for n, l, a in entries))


def limits(rid, max_read, max_write):
    return pkt(EXT_REPLY, u32(rid) + u64(34000) + u64(max_read) + u64(max_write) + u64(64))


def statvfs(rid):
    return pkt(EXT_REPLY, u32(rid) + b"".join(u64(v) for v in (4096, 4096, 1000, 500, 400, 100, 50, 40, 7, 3, 255)))


LIMITS_EXT = ("limits@openssh.com", "1")


def write(name_, sel, mode, payloads):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name_), "wb") as f:
        f.write(bytes([sel, mode]) + join(payloads))


def main():
    write("init-extensions", 0, 0, [
        version(("posix-rename@openssh.com", "1"), ("statvfs@openssh.com", "2"), ("fstatvfs@openssh.com", "2"),
                ("hardlink@openssh.com", "1"), ("fsync@openssh.com", "1"), LIMITS_EXT),
        limits(0, 65536, 65536)])
    paths = [version(), name(0, [(b"/home/u", b"", attrs())]), name(1, [(b"target", b"", attrs(4))]),
             status(2, FX_OK)]
    write("paths", PATHS, 0, paths)
    # In one burst every reply is framed at once, before the client sent the
    # next request: only the VERSION can come this way (a reply to a request
    # not yet made is a protocol error).
    v = version(("statvfs@openssh.com", "2"))
    write("init-burst", PATHS, BURST, [v[:2], TAG_STDERR + b"motd", v[2:7], v[7:]])
    # The VERSION and the realpath reply cut across channel messages, with
    # stderr and a window adjust in between.
    v, r = version(), name(0, [(b"/", b"", attrs())])
    write("split-packets", PATHS, 0, [v[:3], TAG_STDERR + b"warning", v[3:] + r[:9],
                                      TAG_RAW + bytes([93]) + u32(0) + u32(4096), r[9:]])
    write("stat", STAT, 0, [
        version(),
        pkt(ATTRS, u32(0) + attrs(ALL_ATTRS, 12345, [(b"acl@example", b"x"), (b"", b"")])),
        pkt(ATTRS, u32(1) + attrs(0)),
        status(2, FX_OK)])
    # Read-ahead under a 100-byte read limit: 512 READs go out (ids 3..514),
    # replies come out of order, EOF ends it; a late reply to an abandoned
    # request is discarded; two more READs (515, 516) topped up the window,
    # so CLOSE is 517.
    write("read-pipeline", READ, BUF_4096, [
        version(LIMITS_EXT), limits(0, 100, 1024), handle(1, b"h1"), pkt(ATTRS, u32(2) + attrs(1, 200)),
        data(4, b"B" * 100), data(3, b"A" * 100), status(5, FX_EOF), data(6, b"late"), status(517, FX_OK)])
    # A short DATA gets a READ for the gap (id 4) ahead of the rest.
    write("read-short", READ, BUF_4096, [
        version(), handle(0, b"h"), pkt(ATTRS, u32(1) + attrs(0)), data(2, b"0123456789"), status(4, FX_EOF),
        status(6, FX_OK)])
    write("read-error", READ, BUF_4096, [
        version(), handle(0, b"h"), status(1, FX_OK), data(2, b"0123456789"), status(4, FX_FAILURE, "disk"),
        status(6, FX_OK)])
    # 4096 bytes as four 1024-byte WRITEs (ids 2..5), acknowledged in order.
    write("write-pipeline", WRITE, 0, [
        version(LIMITS_EXT, ("fsync@openssh.com", "1")), limits(0, 1024, 1024), handle(1, b"w"),
        status(2, FX_OK), status(3, FX_OK), status(4, FX_OK), status(5, FX_OK), status(6, FX_OK), statvfs(7),
        status(8, FX_OK)])
    write("readdir", DIR, 0, [
        version(), handle(0, b"d"),
        name(1, [(b".", b"drwxr-xr-x 2 u u 4096 Jan 1 00:00 .", attrs(ALL_ATTRS, 4096, [(b"k", b"v")])),
                 (b"..", b"drwxr-xr-x 9 u u 4096 Jan 1 00:00 ..", attrs(0)),
                 (b"file", b"-rw-r--r-- 1 u u 5 Jan 1 00:00 file", attrs(5, 5))]),
        status(2, FX_EOF), status(3, FX_OK)])
    write("misc", MISC, 0, [
        version(("posix-rename@openssh.com", "1"), ("statvfs@openssh.com", "2")), statvfs(0), status(1, FX_OK),
        status(2, FX_OK), status(3, FX_NO_SUCH_FILE, "no such file"), status(4, FX_OK), status(5, FX_OK)])
    write("shutdown", SHUTDOWN, 0, [version(), TAG_RAW + bytes([96]) + u32(0), TAG_RAW + bytes([97]) + u32(0)])


if __name__ == "__main__":
    main()
