// `whatsudp` as a user meets it: help, version, and every mistake or failure as one line on stderr
// with its documented exit code; the relay's address line and its clean exits on SIGINT and SIGTERM.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, cliBuilt, spawnCli, startRelay, stopAll } from './helpers/cli-proc';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;
const sockets: dgram.Socket[] = [];

/** A UDP socket bound on loopback that never answers: a port in use, or a relay that is not there. */
async function silentSocket(host = '127.0.0.1'): Promise<number> {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  sockets.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, host, () => resolve());
  });
  return s.address().port;
}

async function run(args: string[], ms = 10_000) {
  const p = spawnCli(args);
  p.end();
  const exit = await p.exitWithin(ms);
  return { ...exit, stdout: p.stdout, stderr: p.stderr };
}

/** The shape every refusal must have: the code, exactly one line, ours, and no stack trace. */
function assertOneLine(r: { code: number | null; stderr: string[] }, code: number, message: RegExp): void {
  assert.equal(r.code, code, r.stderr.join('\n'));
  assert.equal(r.stderr.length, 1, `one stderr line, not:\n${r.stderr.join('\n')}`);
  assert.match(r.stderr[0], /^whatsudp: /);
  assert.match(r.stderr[0], message);
  assert.doesNotMatch(r.stderr[0], /\bat .*\(.*:\d+:\d+\)|Error:/);
}

after(async () => {
  await stopAll();
  for (const s of sockets.splice(0)) s.close();
});

describe('whatsudp: help and version', { skip }, () => {
  it('--help shows the commands and the exit-code table', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await run([flag]);
      assert.equal(r.code, 0);
      const text = r.stdout.join('\n');
      assert.match(text, /^Usage: whatsudp <command>/);
      assert.match(text, /relay .*\n.*chat /);
      for (const code of ['0', '2', '3', '4', '5', '130', '143']) assert.match(text, new RegExp(`^  ${code} `, 'm'));
      assert.deepEqual(r.stderr, []);
    }
  });

  it('relay --help and chat --help describe their options', async () => {
    const relay = await run(['relay', '--help']);
    assert.equal(relay.code, 0);
    for (const o of ['--host', '--port', '--legacy-bridge', '--legacy-broadcast', '--store', '--log', '--fsync', '--rate', '--heartbeat-ms', 'Exit codes']) {
      assert.ok(relay.stdout.join('\n').includes(o), `relay help mentions ${o}`);
    }
    const chat = await run(['chat', '-h']);
    assert.equal(chat.code, 0);
    for (const o of ['--name', '--server', '--legacy', '--json', '--wait-ms', '--join-timeout-ms', 'Exit codes']) {
      assert.ok(chat.stdout.join('\n').includes(o), `chat help mentions ${o}`);
    }
  });

  it('--version prints package.json\'s version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(path.dirname(CLI), '..', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await run([flag]);
      assert.equal(r.code, 0);
      assert.deepEqual(r.stdout, [version]);
    }
  });

  it('no command: the usage on stderr and code 2', async () => {
    const r = await run([]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.stdout, []);
    assert.match(r.stderr.join('\n'), /Usage: whatsudp <command>/);
  });
});

describe('whatsudp: mistakes are one line and code 2', { skip }, () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['relay', '--bogus'], /Unknown option '--bogus'.*relay --help/],
    [['relay', '--port', '99999'], /--port must be a whole number from 0 to 65535/],
    [['relay', '--port'], /--port/],
    [['relay', '--legacy-broadcast', 'all'], /--legacy-broadcast must be an IPv4 address/],
    [['chat'], /--name NAME is required.*chat --help/],
    [['chat', '--name', 'a:b'], /--name: A name cannot contain ":"/],
    [['chat', '--name', 'x'.repeat(40)], /at most 32 characters/],
    [['chat', '--name', 'ann', '--server', 'host:port'], /--server: The port must be a whole number/],
    [['chat', '--name', 'ann', '--wait-ms', '-5'], /--wait-ms/],
    [['chat', '--name', 'ann', 'stray'], /Unexpected argument 'stray'/],
  ];
  for (const [args, message] of cases) {
    it(`whatsudp ${args.join(' ')}`, async () => {
      const r = await run(args);
      assertOneLine(r, 2, message);
      assert.deepEqual(r.stdout, []);
    });
  }
});

describe('whatsudp: failures a user meets', { skip }, () => {
  it('relay on a port in use: code 4 and a line naming the port', async () => {
    const port = await silentSocket();
    const r = await run(['relay', '--port', String(port)]);
    assertOneLine(r, 4, new RegExp(`port ${port} is already in use`));
    assert.deepEqual(r.stdout, []);
  });

  it('relay on an address that is not this machine\'s: code 4', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned here, and nothing is sent to it.
    const r = await run(['relay', '--host', '192.0.2.1', '--port', '0']);
    assertOneLine(r, 4, /192\.0\.2\.1/);
  });

  it('chat with no relay answering: code 3 within the join timeout', async () => {
    const port = await silentSocket();
    const started = Date.now();
    const p = spawnCli(['chat', '--name', 'ann', '--server', `127.0.0.1:${port}`, '--join-timeout-ms', '700']);
    p.write('hello?\n'); // stdin stays open: the timeout alone must end it
    const exit = await p.exitWithin(5000);
    assertOneLine({ code: exit.code, stderr: p.stderr }, 3, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
    assert.deepEqual(p.stdout, []);
  });

  it('chat refused by a full room: code 6 and the relay\'s reason', async () => {
    const { address } = await startRelay(['--max-members', '1']);
    const ann = spawnCli(['chat', '--name', 'ann', '--server', address]);
    await ann.waitForLine('stderr', /^\* joined the room/);
    const r = await run(['chat', '--name', 'bob', '--server', address]);
    assertOneLine(r, 6, /full/);
  });

  it('relay with a --store it cannot use: code 7', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-cli-'));
    try {
      const file = path.join(dir, 'a-file');
      writeFileSync(file, '');
      const r = await run(['relay', '--port', '0', '--store', path.join(file, 'store')]);
      assertOneLine(r, 7, /store/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('whatsudp relay: address line and signals', { skip }, () => {
  let v6 = false;
  before(async () => {
    v6 = await silentSocket('::1').then(() => true, () => false);
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`prints 127.0.0.1:PORT once it listens, and exits ${code} on ${signal}`, async () => {
      const { relay, address } = await startRelay();
      assert.match(address, /^127\.0\.0\.1:\d{2,5}$/);
      assert.notEqual(address, '127.0.0.1:0');
      relay.signal(signal);
      const exit = await relay.exitWithin(5000);
      assert.equal(exit.code, code);
      assert.deepEqual(relay.stdout, [address]);
      assert.deepEqual(relay.stderr, []);
    });
  }

  it('prints an IPv6 address in brackets', async (t) => {
    if (!v6) return t.skip('no IPv6 loopback here');
    const { relay, address } = await startRelay(['--host', '::1']);
    assert.match(address, /^\[::1\]:\d+$/);
    relay.signal('SIGTERM');
    assert.equal((await relay.exitWithin(5000)).code, 143);
  });
});
