// Rotating a sealed room's key through a relay (issue 9): the creator removes one of three members;
// the two kept read old and new messages, also after joining again with the old link; the removed one
// is dropped and refused (reason 11), as is anyone with the old link; a member that is not the
// creator cannot rotate (reason 4), nor can anyone in an open room.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { ChatError, type ConnectionState } from '../../src/chat';
import { newIdentity } from '../../src/chat/identity';
import { Keyring } from '../../src/chat/identity/keyring';
import { MemoryStore } from '../../src/chat/identity/store';
import { rotateRoomKey } from '../../src/chat/rotation';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { newRoomSecret } from '../../src/protocol/sealed-room';
import { Harness, until, type Recorder } from './helpers/engine';
import { LossyProxy } from './helpers/proxy';

let h: Harness;
afterEach(() => h.close());

const refused = (pattern: RegExp) => (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && pattern.test(e.message);
const texts = (r: Recorder) => r.messages.map((m) => (m.kind === 'placeholder' ? `[${m.reason}]` : m.text));

test('the creator rotates removing one of three: the two read old and new, the removed is refused and reads nothing after', async () => {
  h = new Harness();
  const relay = await h.relay();
  const secret = newRoomSecret(c);
  const [a, b, x] = [newIdentity(c).identity, newIdentity(c).identity, newIdentity(c).identity];
  const bobStore = new MemoryStore();
  const bobRing = await Keyring.load(bobStore);
  const room = { room: 'team', roomSecret: secret };
  const ann = await h.client(relay.address(), 'ann', { identity: a, ...room, create: true });
  const bob = await h.client(relay.address(), 'bob', { identity: b, ...room, keyring: bobRing });
  const max = await h.client(relay.address(), 'max', { identity: x, ...room });
  const maxStates: ConnectionState[] = [];
  max.client.on('state', (s) => maxStates.push(s));
  ann.client.send({ kind: 'text', text: 'before' });
  await until(() => [ann, bob, max].every((r) => r.messages.length === 1), 5000, "'before' at all three");
  await until(() => ann.client.members.length === 3, 5000, 'ann sees three members');

  const rotation = await rotateRoomKey(ann.client, { remove: [x.fingerprint] });
  assert.equal(rotation.epoch, 1);
  assert.deepEqual(rotation.removed, [x.fingerprint]);
  assert.deepEqual([...rotation.kept].sort(), [a.fingerprint, b.fingerprint].sort());
  assert.notDeepEqual(Buffer.from(rotation.secret), Buffer.from(secret));

  // Max is dropped, tries to join again with its old proof, and is refused: it is told why.
  await until(() => maxStates.some((s) => s.state === 'offline' && /removed from this sealed room/.test(s.reason)), 5000, 'max told it was removed');
  ann.client.send({ kind: 'text', text: 'after' });
  await until(() => texts(bob).includes('after') && texts(ann).includes('after'), 5000, "'after' at ann and bob");
  assert.ok(!texts(max).includes('after'), 'max never read it');
  assert.match(texts(bob)[1], /changed the room's key \(epoch 1\): 2 members keep access/, 'the rekey shows as what it is');
  assert.equal(ann.client.roomSeal?.epoch, 1);
  assert.equal(bob.client.roomSeal?.epoch, 1);

  // The removed device, and anyone else with the old link, cannot join; the new link's secret can.
  await assert.rejects(h.client(relay.address(), 'max', { identity: x, ...room }), refused(/removed from this sealed room/));
  await assert.rejects(h.client(relay.address(), 'new', { ...room }), refused(/removed from this sealed room/));
  const carol = await h.client(relay.address(), 'carol', { room: 'team', roomSecret: rotation.secret });
  await until(() => texts(carol).includes('after'), 5000, "the newcomer with the new link reads 'after'");
  assert.ok(texts(carol)[0] !== 'before', 'and not what was said before the rotation');

  // Bob joins again with the old link (kept members may) and a reloaded keyring: reads all of it.
  await bob.client.close();
  const bobAgain = await h.client(relay.address(), 'bob', { identity: b, ...room, keyring: await Keyring.load(bobStore) });
  assert.equal(bobAgain.client.roomSeal?.epoch, 1, 'the keyring kept epoch 1');
  await until(() => texts(bobAgain).includes('after'), 5000, 'bob back reads the history');
  assert.deepEqual(texts(bobAgain).filter((t) => !t.startsWith('[')), ['before', 'after']);
});

test("a member that is not the creator cannot rotate (reason 4); an open room's key cannot be rotated", async () => {
  h = new Harness();
  const relay = await h.relay();
  const secret = newRoomSecret(c);
  const [a, b] = [newIdentity(c).identity, newIdentity(c).identity];
  await h.client(relay.address(), 'ann', { identity: a, room: 'team', roomSecret: secret, create: true });
  const bob = await h.client(relay.address(), 'bob', { identity: b, room: 'team', roomSecret: secret });
  await assert.rejects(rotateRoomKey(bob.client, { remove: [a.fingerprint] }), refused(/only the room's creator or its admins rotate its key/));
  assert.equal(bob.client.roomSeal?.epoch, 0, 'nothing changed for bob');
  const late = await h.client(relay.address(), 'late', { room: 'team', roomSecret: secret });
  assert.ok(late.client.connection.state === 'connected', 'the old link still lets people in: no rotation happened');
  const open = await h.client(relay.address(), 'olly', { room: 'lobby', create: true });
  await assert.rejects(rotateRoomKey(open.client), (e: unknown) => e instanceof ChatError && e.code === 'BAD_OPTION');
});

/** A forwarder between one client and the relay that drops the first relay-to-client datagram the
 * test picks (by size: the datagrams are sealed), so that datagram's seq is complete last. */
async function dropOnce(relay: { host: string; port: number }, pick: (size: number) => boolean) {
  const front = dgram.createSocket('udp4');
  const up = dgram.createSocket('udp4');
  await Promise.all([new Promise<void>((r) => front.bind(0, '127.0.0.1', r)), new Promise<void>((r) => up.bind(0, '127.0.0.1', r))]);
  let client: dgram.RemoteInfo | undefined;
  let dropped = 0;
  front.on('message', (buf, rinfo) => {
    client = rinfo;
    up.send(buf, relay.port, relay.host);
  });
  up.on('message', (buf) => {
    if (dropped === 0 && pick(buf.length)) return void dropped++;
    if (client) front.send(buf, client.port, client.address);
  });
  return {
    address: { host: '127.0.0.1', port: front.address().port },
    dropped: () => dropped,
    close: async () => void (await Promise.all([front, up].map((s) => new Promise<void>((r) => s.close(() => r()))))),
  };
}

test('a message of the new epoch complete before the rekey (its datagram lost once) still reads at a kept member', async () => {
  h = new Harness();
  const relay = await h.relay();
  const secret = newRoomSecret(c);
  const [a, b] = [newIdentity(c).identity, newIdentity(c).identity];
  const room = { room: 'team', roomSecret: secret };
  const ann = await h.client(relay.address(), 'ann', { identity: a, ...room, create: true });
  const fwd = await dropOnce(relay.address(), (size) => size > 400); // the rekey: two wraps make it the only large one
  h.track(() => fwd.close());
  const bob = await h.client(fwd.address, 'bob', { identity: b, ...room });
  await until(() => ann.client.members.length === 2, 5000, 'ann sees bob');
  await rotateRoomKey(ann.client);
  ann.client.send({ kind: 'text', text: 'first after' });
  ann.client.send({ kind: 'text', text: 'second after' });
  await until(() => bob.messages.length === 3, 10000, 'the rekey (repaired) and two messages at bob');
  assert.equal(fwd.dropped(), 1, 'the rekey datagram was lost once');
  assert.deepEqual(texts(bob).slice(1), ['first after', 'second after']);
});

test('through 30% loss: a rotation and the 30 messages after it all read at a kept member', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { memberBurst: 1000, memberMessagesPerSecond: 1000 } });
  const proxy = await LossyProxy.start(relay.address(), { drop: 0.3, reorder: 0.2, seed: 9 });
  h.track(() => proxy.close());
  const secret = newRoomSecret(c);
  const [a, b] = [newIdentity(c).identity, newIdentity(c).identity];
  const room = { room: 'team', roomSecret: secret, timers: { joinTimeoutMs: 15000 } };
  const ann = await h.client(relay.address(), 'ann', { identity: a, ...room, create: true });
  const bob = await h.client(proxy.address, 'bob', { identity: b, ...room });
  await until(() => ann.client.members.length === 2, 5000, 'ann sees bob');
  await rotateRoomKey(ann.client);
  for (let i = 0; i < 30; i++) ann.client.send({ kind: 'text', text: `after ${i}` });
  await until(() => bob.messages.length === 31, 30000, 'the rekey and 30 messages at bob');
  assert.deepEqual(texts(bob).slice(1), Array.from({ length: 30 }, (_, i) => `after ${i}`));
  assert.ok(proxy.counts.dropped > 5, `the proxy really dropped: ${JSON.stringify(proxy.counts)}`);
});

test('a member the last rotation kept stays kept in the next, even while offline', async () => {
  h = new Harness();
  const relay = await h.relay();
  const secret = newRoomSecret(c);
  const [a, b, d] = [newIdentity(c).identity, newIdentity(c).identity, newIdentity(c).identity];
  const room = { room: 'team', roomSecret: secret };
  const ann = await h.client(relay.address(), 'ann', { identity: a, ...room, create: true });
  const bob = await h.client(relay.address(), 'bob', { identity: b, ...room });
  const dan = await h.client(relay.address(), 'dan', { identity: d, ...room });
  await until(() => ann.client.members.length === 3, 5000, 'three members');
  await rotateRoomKey(ann.client);
  await bob.client.close();
  await dan.client.close();
  await until(() => ann.client.members.length === 1, 5000, 'bob and dan gone');
  const second = await rotateRoomKey(ann.client);
  assert.equal(second.epoch, 2);
  assert.deepEqual([...second.kept].sort(), [a.fingerprint, b.fingerprint, d.fingerprint].sort(), 'the offline members the first rotation kept');
  ann.client.send({ kind: 'text', text: 'epoch two' });
  const bobBack = await h.client(relay.address(), 'bob', { identity: b, ...room });
  await until(() => texts(bobBack).includes('epoch two'), 5000, 'bob, offline at the rotation, joins with the old link and reads on');
});
