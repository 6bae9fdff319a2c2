// Rotating the default room of a sealed relay (`relay --sealed`, Start Server; issue 9): whoever started
// the relay (RelayOptions.roomCreator) may, nobody else; with a store the rotation outlives a restart
// that is given the room's first verifier again, as `relay --sealed` is, from its room-verifier file.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChatError } from '../../src/chat';
import { newIdentity } from '../../src/chat/identity';
import { MAIN_ROTATION_FILE } from '../../src/chat/relay/main-rotation';
import { rotateRoomKey } from '../../src/chat/rotation';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { newRoomSecret, roomVerifier } from '../../src/protocol/sealed-room';
import { Harness, until } from './helpers/engine';

let h: Harness;
afterEach(() => h.close());

const refused = (pattern: RegExp) => (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && pattern.test(e.message);

test("the relay's owner rotates the sealed default room; a restart keeps it; anyone else is refused", async (t) => {
  h = new Harness();
  const store = mkdtempSync(path.join(tmpdir(), 'whatsudp-main-rotation-'));
  t.after(() => rmSync(store, { recursive: true, force: true }));
  const secret = newRoomSecret(c);
  const [owner, b, x] = [newIdentity(c).identity, newIdentity(c).identity, newIdentity(c).identity];
  const relayOpts = { store, roomVerifier: roomVerifier(c, secret), roomCreator: owner.publicKey };
  const relay = await h.relay(relayOpts);
  const own = await h.client(relay.address(), 'owner', { identity: owner, roomSecret: secret });
  const bob = await h.client(relay.address(), 'bob', { identity: b, roomSecret: secret });
  await h.client(relay.address(), 'max', { identity: x, roomSecret: secret });
  await until(() => own.client.members.length === 3, 5000, 'three members');
  await assert.rejects(rotateRoomKey(bob.client), refused(/only the room's creator or its admins/));
  const rotation = await rotateRoomKey(own.client, { remove: [x.fingerprint] });
  assert.equal(rotation.epoch, 1);
  if (process.platform !== 'win32') assert.equal(statSync(path.join(store, MAIN_ROTATION_FILE)).mode & 0o777, 0o600);

  await h.close();
  h = new Harness();
  const again = await h.relay(relayOpts); // started again with the first verifier, as relay --sealed is
  assert.deepEqual(again.notices.filter((n) => /rotation/.test(n)), []);
  await assert.rejects(h.client(again.address(), 'max', { identity: x, roomSecret: secret }), refused(/removed from this sealed room/));
  await h.client(again.address(), 'bob', { identity: b, roomSecret: secret });
  await h.client(again.address(), 'carol', { roomSecret: rotation.secret });

  // A damaged rotation file is named in a notice (the room is then as it was first made).
  await h.close();
  h = new Harness();
  writeFileSync(path.join(store, MAIN_ROTATION_FILE), '{"epoch": "x"}', { mode: 0o600 });
  const third = await h.relay(relayOpts);
  assert.ok(third.notices.some((n) => n.includes(MAIN_ROTATION_FILE) && /damaged/.test(n)), third.notices.join('\n'));
});

test('without roomCreator nobody rotates the default room', async () => {
  h = new Harness();
  const secret = newRoomSecret(c);
  const relay = await h.relay({ roomVerifier: roomVerifier(c, secret) });
  const ann = await h.client(relay.address(), 'ann', { roomSecret: secret });
  await assert.rejects(rotateRoomKey(ann.client), refused(/only the room's creator or its admins/));
});
