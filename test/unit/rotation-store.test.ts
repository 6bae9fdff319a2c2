// A rotation kept in the relay's store (issue 9): after a restart the room still admits the new link
// and, from a kept member, the old one; it still refuses the removed member (reason 11); and the
// creator rotates on from the epoch it reached.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChatError } from '../../src/chat';
import { newIdentity } from '../../src/chat/identity';
import { rotateRoomKey } from '../../src/chat/rotation';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { newRoomSecret } from '../../src/protocol/sealed-room';
import { Harness, until } from './helpers/engine';

let h: Harness;
afterEach(() => h.close());

const refused = (pattern: RegExp) => (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && pattern.test(e.message);

test('a restarted relay keeps the rotation: the new link and a kept member with the old one join, the removed one is refused', async (t) => {
  h = new Harness();
  const store = mkdtempSync(path.join(tmpdir(), 'whatsudp-rotation-'));
  t.after(() => rmSync(store, { recursive: true, force: true }));
  const relay = await h.relay({ store });
  const secret = newRoomSecret(c);
  const [a, b, x] = [newIdentity(c).identity, newIdentity(c).identity, newIdentity(c).identity];
  const room = { room: 'team', roomSecret: secret };
  const ann = await h.client(relay.address(), 'ann', { identity: a, ...room, create: true });
  await h.client(relay.address(), 'bob', { identity: b, ...room });
  await h.client(relay.address(), 'max', { identity: x, ...room });
  await until(() => ann.client.members.length === 3, 5000, 'ann sees three members');
  const rotation = await rotateRoomKey(ann.client, { remove: [x.fingerprint] });
  ann.client.send({ kind: 'text', text: 'after the rotation' });
  await until(() => ann.messages.some((m) => m.text === 'after the rotation'), 5000, "ann's message back");

  await h.close();
  h = new Harness();
  const again = await h.relay({ store });
  await assert.rejects(h.client(again.address(), 'max', { identity: x, ...room }), refused(/removed from this sealed room/));
  const bob = await h.client(again.address(), 'bob', { identity: b, ...room });
  await until(() => bob.messages.some((m) => m.text === 'after the rotation'), 5000, 'bob, kept, reads the room after the restart');
  const carol = await h.client(again.address(), 'carol', { room: 'team', roomSecret: rotation.secret });
  await until(() => carol.messages.some((m) => m.text === 'after the rotation'), 5000, 'the new link still works');
  // The creator rotates again: the relay remembers epoch 1, so the next is 2 (a stale epoch is refused).
  const annAgain = await h.client(again.address(), 'ann', { identity: a, ...room });
  await until(() => annAgain.client.roomSeal?.latestEpoch === 1, 5000, 'ann read the first rekey in the backfill');
  assert.equal((await rotateRoomKey(annAgain.client, { remove: [b.fingerprint] })).epoch, 2);
  await assert.rejects(h.client(again.address(), 'bob', { identity: b, ...room }), refused(/removed from this sealed room/));
});
