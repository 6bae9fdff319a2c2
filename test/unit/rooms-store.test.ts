// Issue 11 with --store: the default room stays in DIR as before, every other room in
// DIR/rooms/<hash>/ beside its room-info.json; a restart serves every room again with its history and
// its gate, and still knows the devices' DH keys (dhkeys.json). Files 0600, directories 0700.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatError, Relay } from '../../src/chat';
import { newIdentity } from '../../src/chat/identity';
import { roomDir } from '../../src/chat/relay/store/room-info';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { newRoomSecret } from '../../src/protocol/sealed-room';
import { rotateRoomKey } from '../../src/chat/rotation';
import { FAST_RELAY, Harness, until } from './helpers/engine';

let h: Harness;
afterEach(() => h.close());

test('a restart with a store keeps every room, its history, its gate, and the devices\' DH keys', async () => {
  h = new Harness();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whatsudp-rooms-'));
  h.track(() => fs.rmSync(dir, { recursive: true, force: true }));
  const secret = newRoomSecret(c);
  const bobId = newIdentity(c).identity;
  let relay = await Relay.start({ port: 0, store: dir, timers: FAST_RELAY });
  const first = relay;
  h.track(() => first.close());
  const port = relay.address().port;
  {
    const red = await h.client(relay.address(), 'ann', { room: 'red', create: true });
    const vault = await h.client(relay.address(), 'bob', { room: 'vault', create: true, roomSecret: secret, identity: bobId });
    const main = await h.client(relay.address(), 'cat');
    for (const [r, text] of [[red, 'red one'], [red, 'red two'], [vault, 'vault one'], [main, 'main one']] as const) r.client.send({ kind: 'text', text });
    await until(() => red.messages.length === 2 && vault.messages.length === 1 && main.messages.length === 1, 5000, 'the messages sequenced');
    for (const r of [red, vault, main]) await r.client.close();
  }
  await relay.close();
  for (const name of ['red', 'vault']) {
    const d = roomDir(dir, name);
    assert.equal(fs.statSync(d).mode & 0o777, 0o700, `${name}'s directory is its owner's`);
    for (const f of fs.readdirSync(d)) assert.equal(fs.statSync(path.join(d, f)).mode & 0o777, 0o600, `${name}/${f} is 0600`);
  }
  assert.equal(fs.statSync(path.join(dir, 'dhkeys.json')).mode & 0o777, 0o600);

  relay = await Relay.start({ port, store: dir, timers: FAST_RELAY });
  h.track(() => relay.close());
  assert.deepEqual(relay.notices.filter((n) => /room|dhkeys/.test(n)), [], 'nothing damaged');
  assert.deepEqual(relay.rooms().map((r) => `${r.name} ${r.sealed} ${r.headSeq}`).sort(), ['main false 1', 'red false 2', 'vault true 1']);
  const red = await h.client(relay.address(), 'dan', { room: 'red' });
  await until(() => red.messages.length === 2, 5000, "red's history after the restart");
  assert.deepEqual(red.messages.map((m) => m.text), ['red one', 'red two']);
  const main = await h.client(relay.address(), 'eve');
  await until(() => main.messages.length === 1, 5000, "main's history after the restart");
  assert.equal(main.messages[0].text, 'main one', 'the default room is where it always was');
  await assert.rejects(h.client(relay.address(), 'eve', { room: 'vault' }), (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && /sealed/.test(e.message));
  const vault = await h.client(relay.address(), 'fay', { room: 'vault', roomSecret: secret });
  await until(() => vault.messages.length === 1, 5000, "the vault's history after the restart");
  assert.equal(vault.messages[0].text, 'vault one');
  const key = await main.client.deviceKeyOf(bobId.publicKey);
  assert.deepEqual(Buffer.from(key!.x25519), Buffer.from(bobId.dhKey.publicKey), "bob's DH key is known after the restart though bob is not back");
});

test('a damaged room-info.json is said at start, and that room alone is not served', async () => {
  h = new Harness();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whatsudp-rooms-'));
  h.track(() => fs.rmSync(dir, { recursive: true, force: true }));
  let relay = await Relay.start({ port: 0, store: dir, timers: FAST_RELAY });
  const first = relay;
  h.track(() => first.close());
  await h.client(relay.address(), 'ann', { room: 'one', create: true }).then((r) => r.client.close());
  await h.client(relay.address(), 'ann', { room: 'two', create: true }).then((r) => r.client.close());
  await relay.close();
  fs.writeFileSync(path.join(roomDir(dir, 'two'), 'room-info.json'), '{"name": "tw');
  relay = await Relay.start({ port: 0, store: dir, timers: FAST_RELAY });
  h.track(() => relay.close());
  assert.deepEqual(relay.rooms().map((r) => r.name).sort(), ['main', 'one']);
  assert.ok(relay.notices.some((n) => n.includes('room-info.json is missing or damaged')), relay.notices.join('\n'));
});

test("a room's key rotation survives a restart: the removed stay out, the kept get in with the old link, the new link works", async () => {
  h = new Harness();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whatsudp-rooms-'));
  h.track(() => fs.rmSync(dir, { recursive: true, force: true }));
  const secret = newRoomSecret(c);
  const [a, b, x] = [newIdentity(c).identity, newIdentity(c).identity, newIdentity(c).identity];
  const room = { room: 'team', roomSecret: secret };
  let relay = await Relay.start({ port: 0, store: dir, timers: FAST_RELAY });
  const first = relay;
  h.track(() => first.close());
  const ann = await h.client(relay.address(), 'ann', { identity: a, ...room, create: true });
  const bob = await h.client(relay.address(), 'bob', { identity: b, ...room });
  const max = await h.client(relay.address(), 'max', { identity: x, ...room });
  await until(() => ann.client.members.length === 3, 5000, 'ann sees three members');
  const rotation = await rotateRoomKey(ann.client, { remove: [x.fingerprint] });
  for (const r of [ann, bob, max]) await r.client.close();
  await relay.close();
  relay = await Relay.start({ port: 0, store: dir, timers: FAST_RELAY });
  h.track(() => relay.close());
  await assert.rejects(h.client(relay.address(), 'max', { identity: x, ...room }), (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && /removed from this sealed room/.test(e.message));
  await h.client(relay.address(), 'bob', { identity: b, ...room });
  await h.client(relay.address(), 'cat', { room: 'team', roomSecret: rotation.secret });
});
