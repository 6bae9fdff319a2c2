// A sealed room's key rotated in a cluster (issues 9 and 15): the creator on one relay removes a member who
// is on another; that relay drops and refuses it too, the kept member there reads on, and a relay started
// after the rotation (which learns the room from the cluster, not from the stream's history) admits the new
// link and refuses the old one, as the relays that saw the rotation happen do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, type ConnectionState } from '../../src/chat';
import { newIdentity } from '../../src/chat/identity';
import { rotateRoomKey } from '../../src/chat/rotation';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { newRoomSecret } from '../../src/protocol/sealed-room';
import { until, type Recorder } from './helpers/engine';
import { usingNats } from './helpers/using-nats';

const { h, nats } = usingNats();

const refused = (pattern: RegExp) => (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && pattern.test(e.message);
const texts = (r: Recorder) => r.messages.map((m) => (m.kind === 'placeholder' ? `[${m.reason}]` : m.text));

test('the creator on one relay rotates away a member on another: every relay, and one started later, keeps it out', async () => {
  const cluster = { servers: nats.urls };
  const r1 = await h.relay({ cluster });
  const r2 = await h.relay({ cluster });
  const secret = newRoomSecret(c);
  const [a, b, x] = [newIdentity(c).identity, newIdentity(c).identity, newIdentity(c).identity];
  const room = { room: 'team', roomSecret: secret };
  const ann = await h.client(r1.address(), 'ann', { identity: a, ...room, create: true });
  const bob = await h.client(r2.address(), 'bob', { identity: b, ...room });
  const max = await h.client(r2.address(), 'max', { identity: x, ...room });
  const maxStates: ConnectionState[] = [];
  max.client.on('state', (s) => maxStates.push(s));
  ann.client.send({ kind: 'text', text: 'before' });
  await until(() => [ann, bob, max].every((r) => r.messages.length === 1), 10_000, "'before' at all three");
  await until(() => ann.client.members.length === 3, 10_000, 'ann sees all three members, two of them on the other relay');

  const rotation = await rotateRoomKey(ann.client, { remove: [x.fingerprint] });
  assert.deepEqual([...rotation.kept].sort(), [a.fingerprint, b.fingerprint].sort());
  await until(() => maxStates.some((s) => s.state === 'offline' && /removed from this sealed room/.test(s.reason)), 10_000, 'max, on the other relay, told it was removed');
  ann.client.send({ kind: 'text', text: 'after' });
  await until(() => texts(bob).includes('after'), 10_000, "'after' at bob, on the other relay");
  assert.ok(!texts(max).includes('after'), 'max never read it');
  await assert.rejects(h.client(r2.address(), 'max', { identity: x, ...room }), refused(/removed from this sealed room/));

  // A relay started now: the rotation is older than its start, and it keeps max out all the same.
  const r3 = await h.relay({ cluster });
  await assert.rejects(h.client(r3.address(), 'max', { identity: x, ...room }), refused(/removed from this sealed room/));
  await assert.rejects(h.client(r3.address(), 'new', { ...room }), refused(/removed from this sealed room/));
  const carol = await h.client(r3.address(), 'carol', { room: 'team', roomSecret: rotation.secret });
  await until(() => texts(carol).includes('after'), 10_000, "the newcomer with the new link reads 'after' on the third relay");
});
