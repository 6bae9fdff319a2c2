// Issue 9 in the CLI: `whatsudp relay --sealed` prints its invite link on the line after its address
// and keeps only the verifier (beside relay-key with --store, so a restart keeps the room);
// `whatsudp chat --invite LINK` joins by it, its fp= pinning the relay's key before the first contact;
// without the link, or with another room's, chat exits 6 saying why; a malformed link exits 2 saying
// what is wrong with it; --sealed with the legacy bridge exits 2.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseChatArgs } from '../../src/cli/args';
import { spawnCli, startRelay, stopAll, type Proc } from './helpers/cli-proc';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-sealed-'));
  dirs.push(d);
  return d;
};
after(async () => {
  await stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const LINK = /^whatsudp:\/\/127\.0\.0\.1:\d+\/main\?fp=[a-z2-7]{52}#v1\.[A-Za-z0-9_-]{43}$/;

/** A sealed relay and the link it printed on the line after its address. */
async function sealedRelay(extra: string[] = []): Promise<{ relay: Proc; address: string; link: string }> {
  const { relay, address } = await startRelay(['--sealed', ...extra]);
  const link = await relay.waitForLine('stdout', /^whatsudp:/, 5000);
  assert.equal(relay.stdout.indexOf(link), relay.stdout.indexOf(address) + 1, 'the link is the line right after the address');
  return { relay, address, link };
}

/** `whatsudp chat` with these options, one line sent; how it ended. */
async function chat(args: string[], text = 'hello', home = tmp()) {
  const p = spawnCli(['chat', '--name', 'ann', '--join-timeout-ms', '3000', ...args], { configHome: home });
  p.end(`${text}\n`);
  const exit = await p.exitWithin(10_000);
  return { code: exit.code, stdout: p.stdout, stderr: p.stderr.join('\n') };
}

test('a member without the link is refused (exit 6, the reason); with it, it joins and the room hears it', async () => {
  const { relay, address, link } = await sealedRelay(['--log']);
  assert.match(link, LINK);
  await relay.waitForLine('stderr', /save the invite link above, it is shown only now/, 5000);

  const without = await chat(['--server', address]);
  assert.equal(without.code, 6, without.stderr);
  assert.match(without.stderr, /this room is sealed: you need its invite link/);

  const member = await chat(['--invite', link], 'the build token is 1234');
  assert.equal(member.code, 0, member.stderr);
  assert.match(member.stderr, /joined the sealed room main at 127\.0\.0\.1:\d+/);
  assert.ok(member.stdout.includes('ann: the build token is 1234'), member.stdout.join('\n'));
  // The relay sequenced it and cannot read it: its log says so, and the text is nowhere in it.
  await relay.waitForLine('stdout', /^ann: \[not shown: a sealed message \(only its room's members can read it\)\]$/, 5000);
  assert.ok(!relay.stdout.some((l) => l.includes('1234')), relay.stdout.join('\n'));

  // Another secret under the same address and fingerprint: the wrong room's link.
  const other = link.replace(/#v1\.(.)/, (_, ch: string) => `#v1.${ch === 'A' ? 'B' : 'A'}`);
  const wrong = await chat(['--invite', other]);
  assert.equal(wrong.code, 6, wrong.stderr);
  assert.match(wrong.stderr, /your invite link is not this room's/);
});

test("the link's fingerprint pins the relay's key before the first contact: another relay at its address is refused (exit 8)", async () => {
  const first = await sealedRelay();
  const port = first.address.split(':')[1];
  await first.relay.stop();
  const impostor = await sealedRelay(['--port', port]);
  assert.equal(impostor.address, first.address);
  const fooled = await chat(['--invite', first.link]);
  assert.equal(fooled.code, 8, fooled.stderr);
  const fp = /fp=([a-z2-7]{52})/.exec(first.link)![1];
  assert.ok(fooled.stderr.replace(/\s/g, '').includes(fp), fooled.stderr);
  assert.deepEqual(fooled.stdout, [], 'nothing was sent to it');
  await impostor.relay.stop();
});

test('the verifier survives a restart with --store (0600, beside relay-key); the old link still opens the room', async () => {
  const store = tmp();
  const first = await sealedRelay(['--store', store]);
  const port = first.address.split(':')[1];
  const file = path.join(store, 'room-verifier');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const verifier = readFileSync(file, 'utf8');
  assert.ok(!verifier.includes(first.link.split('#v1.')[1]), 'the secret is not on disk');
  await first.relay.stop();

  const again = await startRelay(['--sealed', '--store', store, '--port', port]);
  await again.relay.waitForLine('stderr', /the room is sealed \(its verifier is in/, 5000);
  assert.equal(again.relay.stdout.filter((l) => l.startsWith('whatsudp:')).length, 0, 'no new link');
  assert.equal(readFileSync(file, 'utf8'), verifier);
  const member = await chat(['--invite', first.link]);
  assert.equal(member.code, 0, member.stderr);
  assert.equal((await chat(['--server', again.address])).code, 6);
  await again.relay.stop();
});

test('--sealed with the legacy bridge exits 2 with the reason', async () => {
  for (const flags of [['--legacy-bridge'], ['--legacy-broadcast', '127.255.255.255']]) {
    const p = spawnCli(['relay', '--port', '0', '--sealed', ...flags]);
    const exit = await p.exitWithin(5000);
    assert.equal(exit.code, 2, p.stderr.join('\n'));
    assert.match(p.stderr.join('\n'), new RegExp(`--sealed and ${flags[0]} cannot go together: a client of the original chat would read and write the sealed room in clear`));
  }
});

test('each malformed link gets its own error from chat (exit 2)', async () => {
  const fp = 'a'.repeat(52);
  const good = `whatsudp://127.0.0.1:2410/main?fp=${fp}#v1.${Buffer.alloc(32, 7).toString('base64url')}`;
  const cases: [string, string, RegExp][] = [
    ['not an invite', 'https://example.com/main#v1.x', /--invite: This is not a WhatsUDP invite/],
    ['a bad address', good.replace('127.0.0.1:2410', '127.0.0.1:99999'), /is not a relay address: the port must be 1 to 65535/],
    ['a bad room', good.replace('/main?', '/ma in?'), /is not a room name/],
    ['a bad fingerprint', good.replace(fp, 'abc'), /"abc" is not a relay fingerprint/],
    ['a missing fragment', good.split('#')[0], /has lost its secret, the part after "#"/],
    ['an unknown version', good.replace('#v1.', '#v9.'), /of version "v9", which this WhatsUDP does not know/],
    ['bad base64', good.replace(/#v1\..*/, '#v1.not*base64'), /secret is damaged \(not base64url\)/],
    ['the wrong length', good.replace(/#v1\..*/, `#v1.${Buffer.alloc(16).toString('base64url')}`), /secret is 16 bytes, not 32/],
  ];
  const runs = await Promise.all(cases.map(([, link]) => chat(['--invite', link])));
  const seen = new Set<string>();
  cases.forEach(([what, , expected], i) => {
    assert.equal(runs[i].code, 2, `${what}: ${runs[i].stderr}`);
    assert.match(runs[i].stderr, expected, what);
    seen.add(runs[i].stderr);
  });
  assert.equal(seen.size, cases.length, 'no two kinds share a message');
});

test('--invite with --server: the address typed wins, said on stderr, and the link is still needed and checked', async () => {
  const { address, link } = await sealedRelay();
  const viaServer = await chat(['--invite', link.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:9'), '--server', address]);
  assert.equal(viaServer.code, 0, viaServer.stderr);
  assert.match(viaServer.stderr, new RegExp(`through --server ${address.replace(/\./g, '\\.')}, not the link's 127\\.0\\.0\\.1:9`));
});

test('a link naming several relays is joined at its first, and says so', () => {
  const secret = Buffer.alloc(32, 5).toString('base64url');
  const args = parseChatArgs(['--name', 'ann', '--invite', `whatsudp://192.0.2.1:2410,[2001:db8::1]:2411/main#v1.${secret}`]);
  assert.deepEqual(args.server, { host: '192.0.2.1', port: 2410 });
  assert.equal(args.note, 'the invite names 2 relays; joining the first, 192.0.2.1:2410');
  assert.deepEqual(args.invite?.fingerprints, [], 'no fp=: the key is pinned on first contact');
});
