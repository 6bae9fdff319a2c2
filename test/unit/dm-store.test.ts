// A DM in the relay's store (issue 11): kept across a restart (the DM is read back from it), and no
// file of the store holds a word of it: the relay only ever had sealed content.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDm } from '../../src/chat/dm';
import { newIdentity } from '../../src/chat/identity';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { Harness, until } from './helpers/engine';

let h: Harness;
afterEach(() => h.close());

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test("the store keeps a DM across a restart, and none of its words", async (t) => {
  h = new Harness();
  const store = mkdtempSync(path.join(tmpdir(), 'whatsudp-dm-'));
  t.after(() => rmSync(store, { recursive: true, force: true }));
  const relay = await h.relay({ store });
  const [a, b] = [newIdentity(c).identity, newIdentity(c).identity];
  const ann = await h.client(relay.address(), 'ann', { identity: a });
  const bob = await h.client(relay.address(), 'bob', { identity: b });
  const annOpts = await openDm(ann.client, a, b.publicKey, c);
  const bobOpts = await openDm(bob.client, b, a.publicKey, c);
  const annDm = await h.client(relay.address(), 'ann', { identity: a, ...annOpts });
  const bobDm = await h.client(relay.address(), 'bob', { identity: b, ...bobOpts });
  annDm.client.send({ kind: 'text', text: 'the launch code is swordfish' });
  await until(() => bobDm.messages.length === 1, 5000, 'the DM at bob');
  bobDm.client.send({ kind: 'text', text: 'noted: swordfish' });
  await until(() => annDm.messages.length === 2, 5000, "bob's answer at ann");

  await h.close();
  h = new Harness();
  const files = filesUnder(store);
  assert.ok(files.some((f) => f.includes(`${path.sep}rooms${path.sep}`)), `the DM has a directory of its own in the store: ${files.map((f) => path.relative(store, f)).join(', ')}`);
  for (const f of files) assert.ok(!readFileSync(f).includes('swordfish'), `${path.relative(store, f)} holds no plaintext`);
  const again = await h.relay({ store });
  const bobBack = await h.client(again.address(), 'bob', { identity: b, ...bobOpts });
  await until(() => bobBack.messages.length === 2, 5000, 'the DM backfilled from the store');
  assert.deepEqual(bobBack.messages.map((m) => m.text), ['the launch code is swordfish', 'noted: swordfish']);
  assert.ok(bobBack.messages.every((m) => m.verified));
});
