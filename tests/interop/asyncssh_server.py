#!/usr/bin/env python3
"""A one-algorithm SSH server for scripts/interop-legacy.sh (issue 15).

    asyncssh_server.py (--cipher ALG | --mac ALG) --authorized-key FILE

Listens on a free port of 127.0.0.1 with a freshly generated host key, offers
only ALG for encryption (both directions) or for the MAC, accepts the one
public key in FILE, and runs every exec request as an echo: stdin back to
stdout, then exit status 0. Prints "PORT <n>" on stdout once listening; logs
on stderr, with each connection's algorithms as "negotiated cipher=CS/SC
mac=CS/SC". Stops by itself after --lifetime seconds so that a crashed caller
cannot leave it behind.

AsyncSSH has no RIPEMD-160 MAC. For the hmac-ripemd160 names this server
registers one in AsyncSSH's own MAC table: AsyncSSH's HMAC class over
hashlib's RIPEMD-160 (OpenSSL), so the packet layer, key derivation and MAC
framing are still AsyncSSH's. Everything else is AsyncSSH as shipped (the
legacy ciphers come from cryptography's decrepit module).
"""

import argparse
import asyncio
import hashlib
import sys

import asyncssh
import asyncssh.mac

# Names AsyncSSH lacks, with the hashlib digest that implements them.
PLUGIN_MACS = {
    b"hmac-ripemd160": "ripemd160",
    b"hmac-ripemd160@openssh.com": "ripemd160",
}
RIPEMD160_SIZE = 20  # key and tag length in bytes (RFC 4253 section 6.4)
READ_CHUNK = 64 * 1024
DEFAULT_LIFETIME = 120  # seconds; longer than any one test run


def log(msg):
    print(f"asyncssh_server: {msg}", file=sys.stderr, flush=True)


def register_plugin_mac(name):
    """Adds NAME to AsyncSSH's MAC table unless AsyncSSH has it itself."""
    if name in asyncssh.mac.get_mac_algs():
        return
    digest = PLUGIN_MACS[name]
    hashlib.new(digest)  # fail here, not mid-handshake, if OpenSSL lacks it
    # pylint: disable=protected-access
    asyncssh.mac.register_mac_alg(name, RIPEMD160_SIZE, RIPEMD160_SIZE, False,
                                  asyncssh.mac._HMAC, (digest,), False)
    log(f"registered plug-in MAC {name.decode()} (HMAC over hashlib {digest})")


async def echo(process):
    """An exec that behaves like cat: stdin to stdout, then status 0."""
    total = 0
    while True:
        data = await process.stdin.read(READ_CHUNK)
        if not data:
            break
        total += len(data)
        process.stdout.write(data)
        await process.stdout.drain()
    log(f"exec {process.command!r}: echoed {total} bytes")
    process.exit(0)


class Server(asyncssh.SSHServer):
    def connection_made(self, conn):
        self._conn = conn

    def auth_completed(self):
        # The caller greps this line: both directions, client->server first.
        info = self._conn.get_extra_info
        log(f"negotiated cipher={info('recv_cipher')}/{info('send_cipher')} "
            f"mac={info('recv_mac')}/{info('send_mac')}")

    def connection_lost(self, exc):
        log(f"connection closed: {exc or 'cleanly'}")


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kind = ap.add_mutually_exclusive_group(required=True)
    kind.add_argument("--cipher")
    kind.add_argument("--mac")
    ap.add_argument("--authorized-key", required=True)
    ap.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME)
    args = ap.parse_args()

    algs = {}
    if args.cipher:
        algs["encryption_algs"] = [args.cipher]
    else:
        mac = args.mac.encode()
        if mac in PLUGIN_MACS:
            register_plugin_mac(mac)
        algs["mac_algs"] = [args.mac]
        # An AEAD cipher would make the MAC unused: offer only ones that
        # take a separate MAC.
        algs["encryption_algs"] = ["aes128-ctr", "aes256-ctr"]

    asyncssh.set_log_level("WARNING")
    server = await asyncssh.create_server(
        Server, "127.0.0.1", 0,
        server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
        authorized_client_keys=args.authorized_key,
        process_factory=echo, encoding=None,
        **algs)
    port = server.sockets[0].getsockname()[1]
    log(f"asyncssh {asyncssh.__version__} listening on 127.0.0.1:{port} "
        f"with {algs}")
    print(f"PORT {port}", flush=True)
    await asyncio.sleep(args.lifetime)
    log("lifetime over, exiting")


if __name__ == "__main__":
    asyncio.run(main())
