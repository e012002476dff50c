#!/usr/bin/env python3
"""An AsyncSSH server with its default algorithms, for scripts/interop.sh.

    asyncssh_full_server.py --host-key FILE... --authorized-keys FILE
                            --user NAME --password PW --root DIR

Listens on a free port of 127.0.0.1 with AsyncSSH's default algorithm lists
(issue 16 tests every one it offers), the given host keys (OpenSSH private
key files), public key auth for the keys in --authorized-keys and password
auth for --user. Every exec request but scp behaves like cat (stdin back to
stdout, exit status 0); "subsystem sftp" is AsyncSSH's SFTPServer and scp is
AsyncSSH's own SCP server (allow_scp), both rooted in --root, so the client
sees --root as "/". Prints "PORT <n>" on stdout once listening; logs each
connection's algorithms on stderr. Stops by itself after --lifetime seconds
so that a crashed caller cannot leave it behind.

(tests/interop/asyncssh_server.py is the one-algorithm server of
scripts/interop-legacy.sh.)
"""

import argparse
import asyncio
import sys

import asyncssh

READ_CHUNK = 64 * 1024
DEFAULT_LIFETIME = 1800  # seconds; longer than the whole interop stage


def log(msg):
    print(f"asyncssh_full_server: {msg}", file=sys.stderr, flush=True)


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


def make_server_class(user, password):
    class Server(asyncssh.SSHServer):
        def connection_made(self, conn):
            self._conn = conn

        def begin_auth(self, username):
            return True

        def password_auth_supported(self):
            return True

        def validate_password(self, username, pw):
            return username == user and pw == password

        def auth_completed(self):
            info = self._conn.get_extra_info
            log(f"negotiated cipher={info('recv_cipher')}/{info('send_cipher')} "
                f"mac={info('recv_mac')}/{info('send_mac')} "
                f"comp={info('recv_compression')}/{info('send_compression')}")

        def connection_lost(self, exc):
            log(f"connection closed: {exc or 'cleanly'}")

    return Server


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host-key", action="append", required=True)
    ap.add_argument("--authorized-keys", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME)
    args = ap.parse_args()

    asyncssh.set_log_level("WARNING")
    server = await asyncssh.create_server(
        make_server_class(args.user, args.password), "127.0.0.1", 0,
        server_host_keys=args.host_key,
        authorized_client_keys=args.authorized_keys,
        process_factory=echo, encoding=None,
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=args.root),
        allow_scp=True)
    port = server.sockets[0].getsockname()[1]
    log(f"asyncssh {asyncssh.__version__} listening on 127.0.0.1:{port}")
    print(f"PORT {port}", flush=True)
    await asyncio.sleep(args.lifetime)
    log("lifetime over, exiting")


if __name__ == "__main__":
    asyncio.run(main())
