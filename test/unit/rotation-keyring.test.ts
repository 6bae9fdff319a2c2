// The keyring (issue 9): a member's secrets of a sealed room by epoch, kept 0600 like the identity,
// never losing an epoch, even when two processes add one each.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Keyring } from '../../src/chat/identity/keyring';
import { FileStore, IdentityError, MemoryStore } from '../../src/chat/identity/store';

const s = (n: number) => new Uint8Array(32).fill(n);
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : 'undefined');

describe('keyring', () => {
  test('newest epoch, all epochs oldest first, per room; kept across a reload', async () => {
    const store = new MemoryStore();
    const k = await Keyring.load(store);
    assert.equal(k.newest('r'), undefined);
    assert.equal(await k.add('r', 0, s(1)), true);
    assert.equal(await k.add('r', 2, s(3)), true);
    assert.equal(await k.add('r', 1, s(2)), true);
    assert.equal(await k.add('other', 5, s(9)), true);
    assert.deepEqual(k.secrets('r').map((e) => e.epoch), [0, 1, 2]);
    assert.equal(k.newest('r')?.epoch, 2);
    const again = await Keyring.load(store);
    assert.deepEqual(again.secrets('r').map((e) => hex(e.secret)), [hex(s(1)), hex(s(2)), hex(s(3))]);
    assert.equal(hex(again.newest('other')?.secret), hex(s(9)));
  });

  test('a second, different secret for an epoch it holds is refused; the first stays', async () => {
    const k = await Keyring.load(new MemoryStore());
    await k.add('r', 1, s(1));
    assert.equal(await k.add('r', 1, s(2)), false);
    assert.equal(await k.add('r', 1, s(1)), true);
    assert.equal(hex(k.newest('r')?.secret), hex(s(1)));
  });

  test('two keyrings on one file (two processes) each add an epoch: both are kept', async () => {
    const store = new MemoryStore();
    const [a, b] = [await Keyring.load(store), await Keyring.load(store)];
    await a.add('r', 1, s(1));
    await b.add('r', 2, s(2));
    await a.add('q', 0, s(3));
    const after = await Keyring.load(store);
    assert.deepEqual(after.secrets('r').map((e) => e.epoch), [1, 2]);
    assert.equal(after.secrets('q').length, 1);
    // and b, which did not see a's epoch 1 when it loaded, cannot be tricked into another secret for it
    assert.equal(await b.add('r', 1, s(7)), false);
    assert.equal(hex((await Keyring.load(store)).secrets('r')[0].secret), hex(s(1)));
  });

  test('a file keyring is 0600 in a 0700 folder; a corrupt one says which file and what to do', async (t) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keyring-'));
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'conf', 'keyring');
    const k = await Keyring.load(new FileStore(file));
    await k.add('relay/room', 3, s(4));
    if (process.platform !== 'win32') {
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
      assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700);
    }
    assert.equal((await Keyring.load(new FileStore(file))).newest('relay/room')?.epoch, 3);
    for (const bad of ['{', '{"format":"x"}', '{"format":"whatsudp-keyring","version":1,"rooms":{"r":{"01":"AAAA"}}}']) {
      await fs.writeFile(file, bad, { mode: 0o600 });
      await assert.rejects(Keyring.load(new FileStore(file)), (err: unknown) => err instanceof IdentityError && err.code === 'CORRUPT' && err.message.includes(file));
    }
  });
});
