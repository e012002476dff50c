#!/usr/bin/env python3
"""An SFTP server that fails one write in the middle, for the write-behind
tests (issue 18).

sshd runs it as its sftp subsystem: `relay.py N SERVER [ARGS...]`. It starts
the real SERVER (OpenSSH's sftp-server) and passes SFTP packets both ways,
except the N-th SSH_FXP_WRITE request (counting from 1): that one never
reaches the server; the relay answers it itself with SSH_FX_FAILURE, so its
bytes are not on disk, as after a failed write.
"""

import struct
import subprocess
import sys
import threading

FXP_WRITE = 6
FXP_STATUS = 101
FX_FAILURE = 4
MESSAGE = b"write failed by the test relay"


def read_exact(f, n):
    data = b""
    while len(data) < n:
        chunk = f.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_packet(f):
    head = read_exact(f, 4)
    if head is None:
        return None
    (length,) = struct.unpack(">I", head)
    body = read_exact(f, length)
    return None if body is None else head + body


def main():
    fail_nth = int(sys.argv[1])
    server = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out = sys.stdout.buffer
    lock = threading.Lock()

    def send_to_client(packet):
        with lock:
            out.write(packet)
            out.flush()

    def from_server():
        while True:
            p = read_packet(server.stdout)
            if p is None:
                break
            send_to_client(p)

    relay = threading.Thread(target=from_server, daemon=True)
    relay.start()
    writes = 0
    inp = sys.stdin.buffer
    while True:
        p = read_packet(inp)
        if p is None:
            break
        if p[4] == FXP_WRITE:
            writes += 1
            if writes == fail_nth:
                req_id = p[5:9]
                body = bytes([FXP_STATUS]) + req_id + struct.pack(">I", FX_FAILURE)
                body += struct.pack(">I", len(MESSAGE)) + MESSAGE + struct.pack(">I", 0)
                send_to_client(struct.pack(">I", len(body)) + body)
                continue
        server.stdin.write(p)
        server.stdin.flush()
    server.stdin.close()
    relay.join()
    server.wait()


if __name__ == "__main__":
    main()
