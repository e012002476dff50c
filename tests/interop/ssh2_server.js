// A one-algorithm SSH server on the ssh2 npm package, for
// scripts/interop-legacy.sh (issue 15): the real server that offers
// hmac-ripemd160 itself (AsyncSSH has no RIPEMD-160 MAC).
//
//   node ssh2_server.js (--cipher ALG | --mac ALG) --authorized-key FILE
//
// Same contract as asyncssh_server.py: 127.0.0.1, free port, generated
// ed25519 host key, only ALG offered, the one public key in FILE accepted,
// every exec echoes stdin back and exits 0, "PORT <n>" on stdout once
// listening, a log on stderr, gone by itself after --lifetime seconds.
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const { Server, utils } = require('ssh2');

const DEFAULT_LIFETIME = 120; // seconds; longer than any one test run
// With a MAC under test, only ciphers that take a separate MAC.
const MAC_TEST_CIPHERS = ['aes128-ctr', 'aes256-ctr'];

function log(msg) {
  process.stderr.write(`ssh2_server: ${msg}\n`);
}

function parseArgs(argv) {
  const args = { lifetime: DEFAULT_LIFETIME };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase());
    args[key] = argv[i + 1];
  }
  if (!args.authorizedKey || !!args.cipher === !!args.mac) {
    log('usage: ssh2_server.js (--cipher ALG | --mac ALG) --authorized-key FILE');
    process.exit(2);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const allowed = utils.parseKey(fs.readFileSync(args.authorizedKey));
if (allowed instanceof Error) throw allowed;
const allowedBlob = allowed.getPublicSSH();

const algorithms = args.cipher
  ? { cipher: [args.cipher] }
  : { hmac: [args.mac], cipher: MAC_TEST_CIPHERS }; // ssh2 calls the MAC list hmac
const hostKey = utils.generateKeyPairSync('ed25519').private;

const server = new Server({ hostKeys: [hostKey], algorithms }, (client, info) => {
  client.on('handshake', (n) => {
    // The caller greps this line, same format as asyncssh_server.py's.
    log(`negotiated cipher=${n.cs.cipher}/${n.sc.cipher} mac=${n.cs.mac}/${n.sc.mac}`);
  });
  client.on('authentication', (ctx) => {
    if (ctx.method !== 'publickey'
        || ctx.key.algo !== allowed.type
        || ctx.key.data.length !== allowedBlob.length // timingSafeEqual throws on that
        || !crypto.timingSafeEqual(ctx.key.data, allowedBlob)
        || (ctx.signature && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true)) {
      return ctx.reject(['publickey']);
    }
    return ctx.accept();
  });
  client.on('ready', () => {
    log(`authenticated (${info.header.identRaw})`);
    client.on('session', (accept) => {
      accept().on('exec', (acceptExec, rejectExec, execInfo) => {
        const stream = acceptExec();
        let total = 0;
        stream.on('data', (d) => { total += d.length; });
        // pipe() keeps to the channel's flow control in both directions.
        stream.pipe(stream, { end: false });
        stream.on('end', () => {
          log(`exec ${JSON.stringify(execInfo.command)}: echoed ${total} bytes`);
          stream.exit(0);
          stream.end();
        });
      });
    });
  });
  client.on('error', (err) => log(`client error: ${err.message}`));
  client.on('close', () => log('connection closed'));
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  log(`ssh2 ${require('ssh2/package.json').version} listening on 127.0.0.1:${port} `
    + `with ${JSON.stringify(algorithms)}`);
  process.stdout.write(`PORT ${port}\n`);
});
setTimeout(() => {
  log('lifetime over, exiting');
  process.exit(0);
}, args.lifetime * 1000).unref();
