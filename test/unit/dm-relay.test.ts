// Direct messages end to end (issue 11): two members open the DM between their device keys through
// one relay (openDm finds the peer's certified X25519 key there) and talk; a third device is refused.
// dm-store.test.ts: the relay's store keeps a DM, and no plaintext of it, across a restart.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError } from '../../src/chat';
import { openDm } from '../../src/chat/dm';
import { newIdentity } from '../../src/chat/identity';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { dmRoomName, dmSecret } from '../../src/protocol/dm';
import { Harness, until } from './helpers/engine';

let h: Harness;
afterEach(() => h.close());

test('two members open a DM and talk; a third device is refused, and opens another room', async () => {
  h = new Harness();
  const relay = await h.relay();
  const [a, b, e] = [newIdentity(c).identity, newIdentity(c).identity, newIdentity(c).identity];
  const ann = await h.client(relay.address(), 'ann', { identity: a });
  const bob = await h.client(relay.address(), 'bob', { identity: b });
  const annOpts = await openDm(ann.client, a, b.publicKey, c);
  const bobOpts = await openDm(bob.client, b, a.publicKey, c);
  assert.equal(annOpts.room, dmRoomName(c, a.publicKey, b.publicKey));
  assert.equal(bobOpts.room, annOpts.room, 'both sides name the same room');
  assert.deepEqual(Buffer.from(bobOpts.roomSecret), Buffer.from(annOpts.roomSecret), 'and compute the same secret alone');
  const annDm = await h.client(relay.address(), 'ann', { identity: a, ...annOpts });
  const bobDm = await h.client(relay.address(), 'bob', { identity: b, ...bobOpts });
  annDm.client.send({ kind: 'text', text: 'the launch code is swordfish' });
  await until(() => bobDm.messages.length === 1, 5000, 'the DM at bob');
  bobDm.client.send({ kind: 'text', text: 'noted: swordfish' });
  await until(() => annDm.messages.length === 2, 5000, "bob's answer at ann");
  assert.deepEqual(annDm.messages.map((m) => `${m.sender.name}: ${m.text}`), ['ann: the launch code is swordfish', 'bob: noted: swordfish']);
  assert.ok(annDm.messages.every((m) => m.verified));
  assert.ok((await bob.client.rooms()).some((r) => r.name === annOpts.room && r.dm), 'the DM is listed to bob');

  // A third device: its own DM with ann is another room; the DM of ann and bob refuses it.
  const eve = await h.client(relay.address(), 'eve', { identity: e });
  assert.notEqual((await openDm(eve.client, e, a.publicKey, c)).room, annOpts.room);
  const guess = dmSecret(c, e.dhKey, a.dhKey.publicKey, a.publicKey, b.publicKey);
  await assert.rejects(
    h.client(relay.address(), 'eve', { identity: e, room: annOpts.room, roomSecret: guess }),
    (err: unknown) => err instanceof ChatError && err.code === 'REFUSED' && /direct message between two others/.test(err.message),
  );
  await assert.rejects(openDm(eve.client, e, e.publicKey, c), (err: unknown) => err instanceof ChatError && err.code === 'BAD_OPTION');
  await assert.rejects(openDm(eve.client, e, newIdentity(c).identity.publicKey, c), (err: unknown) => err instanceof ChatError && /join this relay once/.test(err.message));

});

test("the peer hears of a DM the moment it is made (DmOpened), in whatever room it is, naming who; nobody else does", async () => {
  h = new Harness();
  const relay = await h.relay();
  const [a, b] = [newIdentity(c).identity, newIdentity(c).identity];
  const bob = await h.client(relay.address(), 'bob', { identity: b, room: 'elsewhere', create: true });
  const cy = await h.client(relay.address(), 'cy');
  const heard: Array<{ room: string; key: string; name: string; fingerprint: string }> = [];
  const cyHeard: unknown[] = [];
  bob.client.on('dmOpened', (dm) => heard.push(dm));
  cy.client.on('dmOpened', (dm) => cyHeard.push(dm));
  const ann = await h.client(relay.address(), 'ann', { identity: a });
  const annOpts = await openDm(ann.client, a, b.publicKey, c);
  await h.client(relay.address(), 'ann', { identity: a, ...annOpts });
  await until(() => heard.length === 1, 5000, 'bob told of the DM');
  assert.deepEqual(heard[0], { room: annOpts.room, key: Buffer.from(a.publicKey).toString('base64url'), name: 'ann', fingerprint: a.fingerprint });
  // Bob opens it from what he was told, and reads it.
  const bobDm = await h.client(relay.address(), 'bob', { identity: b, ...(await openDm(bob.client, b, Buffer.from(heard[0].key, 'base64url'), c)) });
  assert.equal(bobDm.client.room, annOpts.room);
  assert.deepEqual(cyHeard, [], 'a third member hears nothing of it');
});
