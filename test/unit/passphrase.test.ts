// Passphrase rooms (issue 9, optional): the secret is scrypt of the passphrase with the room's name as
// the public salt, the same on every machine (known answers computed apart, with Python's
// hashlib.scrypt), different per room; `whatsudp chat --room NAME --passphrase-file FILE` makes (with
// --create) and joins one, warning each time that the relay can try passphrases offline; a wrong
// passphrase is turned away as a wrong link is, and a bad file or flag mix is a usage error.
import { after, afterEach, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { passphraseProblem, passphraseSecret } from '../../src/chat/passphrase';
import { CLI, cliBuilt, spawnCli, startRelay, stopAll } from './helpers/cli-proc';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('the secret is scrypt(N 2^17, r 8, p 1) of the passphrase, salted with the room name: known answers', () => {
  assert.equal(hex(passphraseSecret('correct horse battery staple', 'ops')), 'aaddb1d8373bd80e98c2caebd827ccd14a1d3dc35657589dfe3b82df2636c480');
  // NFC first: the same words typed with a combining accent give the same secret.
  assert.equal(hex(passphraseSecret('cafe\u0301 au lait, s\u2019il vous pla\u00eet', 'dev-team')), '7f0756701ed72dd545d2f6862c1a6c30999583c80122fd29fb7b918bc22f62e8');
  assert.notEqual(hex(passphraseSecret('correct horse battery staple', 'ops2')), hex(passphraseSecret('correct horse battery staple', 'ops')), 'each room its own secret');
});

test('an empty or short passphrase is refused, saying why', () => {
  assert.match(passphraseProblem('') ?? '', /empty/);
  assert.match(passphraseProblem('hunter2') ?? '', /7 characters: a passphrase room needs at least 12/);
  assert.equal(passphraseProblem('four words are better'), undefined);
});

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'wudp-pass-'));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text, { mode: 0o600 });
  return f;
};
afterEach(stopAll);
after(() => rmSync(dir, { recursive: true, force: true }));

describe('whatsudp chat --passphrase-file', { skip, timeout: 60_000 }, () => {
  it('makes a sealed room the passphrase opens; a wrong passphrase and no passphrase are turned away', async () => {
    const { address } = await startRelay();
    const good = file('good', 'the owl flies at midnight\n');
    const ann = spawnCli(['chat', '--name', 'ann', '--server', address, '--room', 'ops', '--create', '--passphrase-file', good]);
    await ann.waitForLine('stderr', /^\* joined the sealed room ops at /, 10_000);
    assert.ok(ann.stderr.some((l) => /^whatsudp: warning: a passphrase room is only as strong as its passphrase: the relay .* can try passphrases against it offline/.test(l)), ann.stderr.join('\n'));
    assert.ok(!ann.stderr.some((l) => /^invite link:/.test(l)), 'no link: the passphrase is the way in');

    const bob = spawnCli(['chat', '--name', 'bob', '--server', address, '--room', 'ops', '--passphrase-file', file('same', 'the owl flies at midnight')]);
    await bob.waitForLine('stderr', /^\* joined the sealed room ops at /, 10_000);
    ann.write('meet at the north gate\n');
    await bob.waitForLine('stdout', 'ann: meet at the north gate', 10_000);

    const eve = spawnCli(['chat', '--name', 'eve', '--server', address, '--room', 'ops', '--passphrase-file', file('bad', 'the owl flies at noon!!'), '--join-timeout-ms', '3000']);
    eve.end('let me in\n');
    assert.equal((await eve.exitWithin(15_000)).code, 6, eve.stderr.join('\n'));
    assert.match(eve.stderr.join('\n'), /this room is sealed, and your invite link is not this room's/);
    const none = spawnCli(['chat', '--name', 'mal', '--server', address, '--room', 'ops', '--join-timeout-ms', '3000']);
    none.end('let me in\n');
    assert.equal((await none.exitWithin(15_000)).code, 6);
    assert.match(none.stderr.join('\n'), /this room is sealed: you need its invite link/);
    bob.end();
    ann.end();
    assert.equal((await bob.exitWithin(15_000)).code, 0);
    assert.equal((await ann.exitWithin(15_000)).code, 0);
  });

  it('a short passphrase, a missing file, no --room, or --sealed / --invite with it: exit 2 saying which', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--room', 'ops', '--passphrase-file', file('short', 'hunter2\n')], /--passphrase-file: the passphrase is 7 characters/],
      [['--room', 'ops', '--passphrase-file', path.join(dir, 'nowhere')], /--passphrase-file: cannot read .*nowhere \(ENOENT\)/],
      [['--passphrase-file', file('ok1', 'long enough passphrase')], /--passphrase-file needs --room NAME/],
      [['--room', 'ops', '--create', '--sealed', '--passphrase-file', file('ok2', 'long enough passphrase')], /--sealed makes a random one: give one or the other/],
    ];
    for (const [args, want] of cases) {
      const p = spawnCli(['chat', '--name', 'ann', ...args]);
      p.end();
      const { code } = await p.exitWithin(10_000);
      assert.equal(code, 2, `${args.join(' ')}: ${p.stderr.join('\n')}`);
      assert.match(p.stderr.join('\n'), want);
    }
  });
});
