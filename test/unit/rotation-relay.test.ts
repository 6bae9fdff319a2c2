// Rotating a sealed room's key through a relay (issue 9): the creator removes one of three members;
// the two kept read old and new messages, also after joining again with the old link; the removed one
// is dropped and refused (reason 11), as is anyone with the old link; a member that is not the
// creator cannot rotate (reason 4), nor can anyone in an open room.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, type ConnectionState } from '../../src/chat';
import { newIdentity } from '../../src/chat/identity';
import { Keyring } from '../../src/chat/identity/keyring';
import { MemoryStore } from '../../src/chat/identity/store';
import { rotateRoomKey } from '../../src/chat/rotation';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { newRoomSecret } from '../../src/protocol/sealed-room';
import { Harness, until, type Recorder } from './helpers/engine';

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
