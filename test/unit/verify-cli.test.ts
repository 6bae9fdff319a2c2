// `whatsudp verify NAME` (issue 8, "each pair of people has a short safety code ... Verify marks the
// key as checked"): two people who met in a room see the same code, each on their own side; --mark
// records the key as verified in known_members and --unmark takes it back; a name never seen exits 9.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemberPins, newIdentity, parseIdentity } from '../../src/chat/identity';
import { nodeCrypto } from '../../src/protocol/crypto';
import { safetyCode } from '../../src/protocol/fingerprint';
import { spawnCli, startRelay, stopAll } from './helpers/cli-proc';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-verify-'));
  dirs.push(d);
  return d;
};
after(async () => {
  await stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function verify(home: string, args: string[]) {
  const p = spawnCli(['verify', ...args], { configHome: home });
  p.end();
  const exit = await p.exitWithin(10_000);
  return { code: exit.code, stdout: p.stdout, stderr: p.stderr.join('\n') };
}

/** The safety code rows a `verify` printed (three rows of four groups of five digits). */
const codeRows = (stdout: string[]) => stdout.filter((l) => /^ {2}\d{5}( \d{5}){3}$/.test(l)).map((l) => l.trim());
const pinsOf = (home: string) => readFileSync(path.join(home, 'whatsudp', 'known_members'), 'utf8');

async function waitForFile(file: string, match: RegExp, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(existsSync(file) && match.test(readFileSync(file, 'utf8')))) {
    if (Date.now() > deadline) throw new Error(`${file} never matched ${match}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('two people who met in a room read the same safety code from both sides, and --mark records it', async () => {
  const { address } = await startRelay();
  const [annHome, bobHome] = [tmp(), tmp()];
  const ann = spawnCli(['chat', '--name', 'ann', '--server', address], { configHome: annHome });
  await ann.waitForLine('stderr', /joined the room/, 5000);
  const bob = spawnCli(['chat', '--name', 'bob', '--server', address], { configHome: bobHome });
  await ann.waitForLine('stderr', '* bob joined', 5000);
  // Each pins the other on first sight (known_members beside the identity).
  await waitForFile(path.join(annHome, 'whatsudp', 'known_members'), / seen bob\n/);
  await waitForFile(path.join(bobHome, 'whatsudp', 'known_members'), / seen ann\n/);
  ann.end();
  bob.end();
  assert.equal((await ann.exitWithin(10_000)).code, 0);
  assert.equal((await bob.exitWithin(10_000)).code, 0);

  const annSide = await verify(annHome, ['bob']);
  const bobSide = await verify(bobHome, ['ann']);
  assert.equal(annSide.code, 0, annSide.stderr);
  assert.equal(bobSide.code, 0, bobSide.stderr);
  const rows = codeRows(annSide.stdout);
  assert.equal(rows.length, 3, annSide.stdout.join('\n'));
  assert.deepEqual(codeRows(bobSide.stdout), rows, 'the same code on both sides');
  // It is the code of the two devices' real keys, and each side names the other's key.
  const key = (home: string) => parseIdentity(nodeCrypto, readFileSync(path.join(home, 'whatsudp', 'identity'), 'utf8'), home);
  const [annKey, bobKey] = [key(annHome), key(bobHome)];
  assert.equal(rows.join(' '), safetyCode(nodeCrypto, annKey.publicKey, bobKey.publicKey));
  const flat = (lines: string[]) => lines.join('\n').replace(/ /g, '');
  assert.ok(flat(annSide.stdout).includes(`bob'skey:${bobKey.fingerprint}(notverified)`), annSide.stdout.join('\n'));
  assert.ok(flat(bobSide.stdout).includes(`yourkey:${bobKey.fingerprint}`), bobSide.stdout.join('\n'));
  assert.match(annSide.stderr, /whatsudp verify bob --mark/, 'it says how to record a match');

  const marked = await verify(annHome, ['bob', '--mark']);
  assert.equal(marked.code, 0, marked.stderr);
  assert.match(pinsOf(annHome), / verified bob\n/, 'kept in known_members');
  const again = await verify(annHome, ['bob', '--json']);
  assert.deepEqual(again.stdout.map((l) => JSON.parse(l) as unknown), [{ name: 'bob', fingerprint: bobKey.fingerprint, verified: true, safetyCode: rows.join(' ') }]);
  assert.match(pinsOf(bobHome), / seen ann\n/, "bob's side is his own to mark");

  assert.equal((await verify(annHome, ['bob', '--unmark'])).code, 0);
  assert.match(pinsOf(annHome), / seen bob\n/);
  assert.doesNotMatch(pinsOf(annHome), /verified/);
});

test('a name never seen exits 9 saying so; usage mistakes exit 2; with two keys under a name, --mark needs --key', async () => {
  const home = tmp();
  const none = await verify(home, ['carol']);
  assert.equal(none.code, 9, none.stderr);
  assert.match(none.stderr, /no key has been seen under the name carol on this device/);
  assert.deepEqual(none.stdout, []);
  assert.equal(existsSync(path.join(home, 'whatsudp', 'identity')), false, 'no key is made for nothing');

  assert.equal((await verify(home, [])).code, 2);
  assert.equal((await verify(home, ['ann', 'bob'])).code, 2);
  assert.equal((await verify(home, ['ann', '--mark', '--unmark'])).code, 2);
  assert.equal((await verify(home, ['ann', '--key', '!!'])).code, 2);

  // ann's laptop and desktop (or someone else): two keys under one name.
  const [laptop, desktop] = [newIdentity(nodeCrypto).identity, newIdentity(nodeCrypto).identity];
  const pins = new MemberPins();
  pins.pin('ann', laptop.publicKey);
  pins.pin('ann', desktop.publicKey);
  mkdirSync(path.join(home, 'whatsudp'), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(home, 'whatsudp', 'known_members'), pins.toText(), { mode: 0o600 });

  const both = await verify(home, ['ann']);
  assert.equal(both.code, 0, both.stderr);
  assert.equal(codeRows(both.stdout).length, 6, 'one code per key');
  const ambiguous = await verify(home, ['ann', '--mark']);
  assert.equal(ambiguous.code, 2, ambiguous.stderr);
  assert.match(ambiguous.stderr, /--key/);
  const nobody = ['aaaa', 'bbbb', 'cccc'].find((p) => !laptop.fingerprint.startsWith(p) && !desktop.fingerprint.startsWith(p))!;
  const noMatch = await verify(home, ['ann', '--mark', '--key', nobody]);
  assert.equal(noMatch.code, 9, noMatch.stderr);
  assert.match(noMatch.stderr, new RegExp(`none of the 2 keys seen under ann starts with ${nobody}`));

  const chosen = await verify(home, ['ann', '--mark', '--key', desktop.fingerprint.slice(0, 12).replace(/(.{4})/g, '$1 ').toUpperCase()]);
  assert.equal(chosen.code, 0, chosen.stderr);
  const after = new MemberPins(pinsOf(home));
  assert.deepEqual(after.keysOf(nodeCrypto, 'ann').map((k) => [k.fingerprint, k.verified]), [[laptop.fingerprint, false], [desktop.fingerprint, true]]);
  const json = (await verify(home, ['ann', '--json'])).stdout.map((l) => JSON.parse(l) as { verified: boolean; safetyCode: string });
  assert.deepEqual(json.map((j) => j.verified), [false, true]);
  const me = parseIdentity(nodeCrypto, readFileSync(path.join(home, 'whatsudp', 'identity'), 'utf8'), home);
  assert.equal(json[1].safetyCode, safetyCode(nodeCrypto, me.publicKey, desktop.publicKey));
});
