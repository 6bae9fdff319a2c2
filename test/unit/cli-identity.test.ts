// Issue 8 in the CLI: `whatsudp chat` keeps this device's key in a 0600 file made on first use, pins
// each relay's key by address, and exits 8 naming both fingerprints when a relay's key is not the one
// pinned (--accept-relay-key FP trusts the new one); a relay keeps its key beside its store, so a
// restart changes nothing for its members.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseIdentity } from '../../src/chat/identity';
import { nodeCrypto } from '../../src/protocol/crypto';
import { spawnCli, startRelay, stopAll } from './helpers/cli-proc';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-identity-'));
  dirs.push(d);
  return d;
};
after(async () => {
  await stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** One line sent as `name`, with the config folder `home`; resolves with how it ended. */
async function chat(address: string, home: string, extra: string[] = []) {
  const p = spawnCli(['chat', '--name', 'ann', '--server', address, '--join-timeout-ms', '3000', ...extra], { configHome: home });
  p.write('hello\n');
  p.end();
  const exit = await p.exitWithin(10_000);
  return { code: exit.code, stdout: p.stdout, stderr: p.stderr.join('\n') };
}

/** The fingerprint a relay prints on stderr when it starts. */
async function printedFingerprint(relay: ReturnType<typeof spawnCli>): Promise<string> {
  const line = await relay.waitForLine('stderr', /key fingerprint is/, 5000);
  return /fingerprint is ([a-z2-7 ]+) \(/.exec(line)![1].replace(/ /g, '');
}

test('the device key is made on first use in a 0600 file, and kept: the second run is the same device', async () => {
  const { address } = await startRelay();
  const home = tmp();
  const first = await chat(address, home);
  assert.equal(first.code, 0, first.stderr);
  const file = path.join(home, 'whatsudp', 'identity');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const key = readFileSync(file, 'utf8');
  assert.equal((await chat(address, home)).code, 0);
  assert.equal(readFileSync(file, 'utf8'), key, 'the same key');
  assert.match(readFileSync(path.join(home, 'whatsudp', 'known_relays'), 'utf8'), new RegExp(`^${address.replace(/\./g, '\\.')} ed25519 `));
  chmodSync(file, 0o644);
  const open = await chat(address, home);
  assert.equal(open.code, 2, open.stderr);
  assert.match(open.stderr, /can be read by others.*chmod 600/);
});

test("a relay restarted with its --store keeps its key; one with another key at the same address is refused: exit 8, both fingerprints, until --accept-relay-key", async () => {
  const [store, otherStore, home] = [tmp(), tmp(), tmp()];
  const a = await startRelay(['--log', '--store', store]);
  const port = a.address.split(':')[1];
  const fpA = await printedFingerprint(a.relay);
  assert.equal((await chat(a.address, home)).code, 0);
  await a.relay.stop();

  const again = await startRelay(['--log', '--store', store, '--port', port]);
  assert.equal(await printedFingerprint(again.relay), fpA, 'the same key after a restart');
  assert.equal((await chat(again.address, home)).code, 0, 'its members see nothing change');
  await again.relay.stop();

  const impostor = await startRelay(['--log', '--store', otherStore, '--port', port]);
  const fpB = await printedFingerprint(impostor.relay);
  assert.notEqual(fpB, fpA);
  const refused = await chat(impostor.address, home);
  assert.equal(refused.code, 8, refused.stderr);
  const flat = refused.stderr.replace(/\s/g, '');
  assert.ok(flat.includes(fpA) && flat.includes(fpB), refused.stderr);
  assert.deepEqual(refused.stdout, [], 'nothing was sent to it');

  assert.equal((await chat(impostor.address, home, ['--accept-relay-key', 'not-a-fingerprint'])).code, 2);
  const accepted = await chat(impostor.address, home, ['--accept-relay-key', fpB]);
  assert.equal(accepted.code, 0, accepted.stderr);
  assert.equal((await chat(impostor.address, home)).code, 0, 'the new key is the pin now');
});

test('a relay that comes back with another key is not rejoined: the chat ends with exit 8 naming both keys', async () => {
  const [relayHome, otherHome, home] = [tmp(), tmp(), tmp()];
  const a = await startRelay(['--log'], { configHome: relayHome });
  const fpA = await printedFingerprint(a.relay);
  const port = a.address.split(':')[1];
  const ann = spawnCli(['chat', '--name', 'ann', '--server', a.address], { configHome: home });
  await ann.waitForLine('stderr', /^\* joined the room/);
  await a.relay.stop();
  const b = await startRelay(['--log', '--port', port], { configHome: otherHome });
  const fpB = await printedFingerprint(b.relay);
  const exit = await ann.exitWithin(15_000); // stdin stays open: the key alone must end it
  assert.equal(exit.code, 8, ann.stderr.join('\n'));
  const flat = ann.stderr.join('').replace(/\s/g, '');
  assert.ok(flat.includes(fpA) && flat.includes(fpB), ann.stderr.join('\n'));
  assert.ok(!ann.stderr.some((l) => l.startsWith('* back in the room')));
});

test('a name seen before under another key is flagged, each time, with both keys; the same person again is not', async () => {
  const { address } = await startRelay();
  const [bobHome, annHome, otherHome] = [tmp(), tmp(), tmp()];
  const bob = spawnCli(['chat', '--name', 'bob', '--server', address], { configHome: bobHome });
  await bob.waitForLine('stderr', /^\* joined the room/);
  /** "ann" with the device in `home` joins, stays until bob has seen her in the member list, and leaves. */
  const visit = async (home: string): Promise<number> => {
    const from = bob.stderr.length;
    const ann = spawnCli(['chat', '--name', 'ann', '--server', address], { configHome: home });
    await bob.waitForLine('stderr', '* ann joined', 5000, from);
    await new Promise((r) => setTimeout(r, 300)); // the name check runs as the member list arrives
    ann.end();
    assert.equal((await ann.exitWithin(5000)).code, 0);
    await bob.waitForLine('stderr', '* ann left', 5000, from);
    return from;
  };
  const keyOf = (home: string) => parseIdentity(nodeCrypto, readFileSync(path.join(home, 'whatsudp', 'identity'), 'utf8'), home).fingerprint;
  const flagged = (from: number) => bob.stderr.slice(from).filter((l) => /warning: ann is using a key not seen/.test(l));

  assert.deepEqual(flagged(await visit(annHome)), [], 'the first ann bob sees is pinned to her key');
  const second = flagged(await visit(otherHome)); // someone else calling themselves ann
  assert.equal(second.length, 1, bob.stderr.join('\n'));
  const [real, other] = [keyOf(annHome), keyOf(otherHome)];
  assert.ok(second[0].includes(`key ${other.slice(0, 4)} ${other.slice(4, 8)} ${other.slice(8, 12)}`) && second[0].includes(`before: ${real.slice(0, 4)} ${real.slice(4, 8)}`), second[0]);
  assert.deepEqual(flagged(await visit(annHome)), [], 'the real ann, back: not flagged');
  assert.equal(flagged(await visit(otherHome)).length, 1, 'the other one again: still flagged');
});
