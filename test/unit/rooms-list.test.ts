// Issue 11: the Rooms list (every open and sealed room with its member count and head, a DM room only
// to its two members), DM rooms that admit their two device keys only, and a device's certified DH
// key found through the relay (what opening a DM with an offline peer needs).
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, Relay } from '../../src/chat';
import { newIdentity } from '../../src/chat/identity';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { dmRoomName, dmSecret } from '../../src/protocol/dm';
import { newRoomSecret } from '../../src/protocol/sealed-room';
import { Harness, until } from './helpers/engine';

let h: Harness;
afterEach(() => h.close());

const refused = (pattern: RegExp) => (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && pattern.test(e.message);
const byName = <T extends { name: string }>(list: T[]) => Object.fromEntries(list.map((r) => [r.name, r]));

test('a member lists the rooms: each with its sealed flag, member count and head', async () => {
  h = new Harness();
  const relay = await h.relay();
  const ann = await h.client(relay.address(), 'ann', { room: 'open', create: true });
  await h.client(relay.address(), 'bob', { room: 'open' });
  await h.client(relay.address(), 'cat', { room: 'vault', create: true, roomSecret: newRoomSecret(c) });
  ann.client.send({ kind: 'text', text: 'one' });
  await until(() => ann.messages.length === 1, 5000, "ann's message back");
  const list = byName(await ann.client.rooms());
  assert.deepEqual(list, {
    main: { name: 'main', sealed: false, dm: false, members: 0, headSeq: 0 },
    open: { name: 'open', sealed: false, dm: false, members: 2, headSeq: 1 },
    vault: { name: 'vault', sealed: true, dm: false, members: 1, headSeq: 0 },
  });
});

test('a DM room: made by one of its two keys, joined by the other, refused to a third (10), listed only to the two', async () => {
  h = new Harness();
  const relay = await h.relay();
  const [a, b, e] = [newIdentity(c).identity, newIdentity(c).identity, newIdentity(c).identity];
  // b has been on the relay (in main), so a can find its DH key while b is away.
  const bob0 = await h.client(relay.address(), 'bob', { identity: b });
  await bob0.client.close();
  const ann = await h.client(relay.address(), 'ann', { identity: a });
  const found = await ann.client.deviceKeyOf(b.publicKey);
  assert.ok(found, "the relay knows b's DH key");
  assert.deepEqual(Buffer.from(found.x25519), Buffer.from(b.dhKey.publicKey));
  assert.equal(await ann.client.deviceKeyOf(e.publicKey), undefined, 'a device the relay never saw: undefined');
  const room = dmRoomName(c, a.publicKey, b.publicKey);
  const dmKeys: [Uint8Array, Uint8Array] = [a.publicKey, b.publicKey];
  const annDm = await h.client(relay.address(), 'ann', { identity: a, room, create: true, dmKeys, roomSecret: dmSecret(c, a.dhKey, found.x25519, a.publicKey, b.publicKey) });
  const bobDm = await h.client(relay.address(), 'bob', { identity: b, room, roomSecret: dmSecret(c, b.dhKey, a.dhKey.publicKey, a.publicKey, b.publicKey) });
  annDm.client.send({ kind: 'text', text: 'just us' });
  await until(() => bobDm.messages.length === 1, 5000, 'the DM at bob');
  assert.equal(bobDm.messages[0].text, 'just us');
  // A third key is refused even with the secret (it cannot have it, but the relay does not rely on that).
  await assert.rejects(h.client(relay.address(), 'eve', { identity: e, room, roomSecret: dmSecret(c, a.dhKey, b.dhKey.publicKey, a.publicKey, b.publicKey) }), refused(/direct message between two others/));
  // Nor can a third key create the DM room of two others, or a dm- room whose name is not its keys'.
  await assert.rejects(h.client(relay.address(), 'eve', { identity: e, room: dmRoomName(c, a.publicKey, e.publicKey).replace(/.$/, (x) => (x === 'a' ? 'b' : 'a')), create: true, dmKeys: [a.publicKey, e.publicKey], roomSecret: newRoomSecret(c) }), refused(/for direct messages/));
  const eve = await h.client(relay.address(), 'eve', { identity: e });
  assert.ok(!(await eve.client.rooms()).some((r) => r.dm), 'the DM is not listed to a third device');
  const annList = byName(await ann.client.rooms());
  assert.deepEqual(annList[room], { name: room, sealed: true, dm: true, members: 2, headSeq: 1 });
  assert.ok(byName(await bobDm.client.rooms())[room], 'listed to the other member too');
  assert.ok(relay.rooms().some((r) => r.name === room && r.dm), "the relay's host sees every room");
});

test('rooms() against a relay that does not answer rejects with a sentence, within its bound', async () => {
  h = new Harness();
  const relay = await h.relay();
  const ann = await h.client(relay.address(), 'ann');
  // A relay that never answers RoomsRequest: stop it listening for members' packets after the join.
  const inner = relay as unknown as { onMemberPacket: (p: { type: number }, ...rest: unknown[]) => void };
  const orig = inner.onMemberPacket.bind(relay);
  inner.onMemberPacket = (p, ...rest) => (p.type === 20 ? undefined : orig(p, ...rest));
  const started = Date.now();
  await assert.rejects(ann.client.rooms(), (err: unknown) => err instanceof ChatError && err.code === 'UNREACHABLE' && /did not list its rooms within 3 s/.test(err.message));
  assert.ok(Date.now() - started < 5000);
  assert.ok(relay instanceof Relay);
});
