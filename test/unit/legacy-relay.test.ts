// The relay's seed (legacy) side on loopback: what needs no network namespace.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { Harness, sleep, until } from './helpers/engine';

let h: Harness;
afterEach(() => h?.close());

async function seedSocket(): Promise<dgram.Socket> {
  const seed = dgram.createSocket('udp4');
  await new Promise<void>((r) => seed.bind(0, '127.0.0.1', r));
  h.track(() => new Promise<void>((r) => seed.close(() => r())));
  return seed;
}

test('without the bridge, a seed line reaches nobody, is counted, and the operator hears of it once', async () => {
  h = new Harness();
  const relay = await h.relay({ host: '127.0.0.1' });
  const heard: string[] = [];
  relay.on('legacyDropped', (from) => heard.push(`${from.host}:${from.port}`));
  const bob = await h.client(relay.address(), 'bob');
  const ann = await h.client(relay.address(), 'ann');
  const seed = await seedSocket();
  const { port } = relay.address();
  seed.send(Buffer.from('alice: it is me, alice'), port, '127.0.0.1');
  seed.send(Buffer.from('alice: really'), port, '127.0.0.1');
  seed.send(Buffer.from([0xc3, 0x28]), port, '127.0.0.1'); // not even seed text: malformed, as before
  await until(() => relay.stats().legacyDropped === 2 && relay.stats().malformed === 1, 2000, 'the relay to drop both seed lines');
  // A member's message after them arrives alone: the seed lines were not sequenced before it.
  ann.client.send({ kind: 'text', text: 'after' });
  await until(() => bob.messages.length >= 1, 2000, "ann's message");
  await sleep(100);
  assert.deepEqual(bob.texts(), ['ann: after']);
  assert.equal(relay.stats().legacyIn, 0);
  assert.deepEqual(heard, [`127.0.0.1:${seed.address().port}`], 'said once, naming the first sender');
});

test('with legacyBridge alone (no broadcast), seed lines reach the room, marked legacy', async () => {
  h = new Harness();
  const relay = await h.relay({ host: '127.0.0.1', legacyBridge: true });
  let refused = 0;
  relay.on('legacyDropped', () => refused++);
  const bob = await h.client(relay.address(), 'bob');
  const seed = await seedSocket();
  seed.send(Buffer.from('ann: from python'), relay.address().port, '127.0.0.1');
  await until(() => bob.messages.length === 1, 2000, 'the seed line');
  assert.deepEqual(bob.messages.map((m) => [m.sender.name, m.sender.legacy, m.text]), [['ann', true, 'from python']]);
  assert.equal(relay.stats().legacyDropped, 0);
  assert.equal(refused, 0);
});

test('a seed user who says the same line twice is heard twice', async () => {
  h = new Harness();
  // Bound to a unicast address, the relay cannot hear its own broadcasts (sent here to another
  // loopback address), so nothing it receives is its echo.
  const relay = await h.relay({ host: '127.0.0.1', legacyBroadcast: '127.0.0.2' });
  const bob = await h.client(relay.address(), 'bob');
  const seed = await seedSocket();
  seed.send(Buffer.from('ann: ok'), relay.address().port, '127.0.0.1');
  await until(() => bob.messages.length === 1, 2000, 'the first "ok"');
  await sleep(300);
  seed.send(Buffer.from('ann: ok'), relay.address().port, '127.0.0.1');
  await until(() => bob.messages.length === 2, 2000, 'the second "ok", 300 ms later');
  assert.deepEqual(bob.messages.map((m) => [m.sender.name, m.sender.legacy, m.text]), [['ann', true, 'ok'], ['ann', true, 'ok']]);
});

test('a seed line is broadcast to seed clients as it came, or cleaned as the room shows it', async () => {
  h = new Harness();
  const relay = await h.relay({ host: '127.0.0.1', legacyBroadcast: '127.0.0.2' });
  const { port } = relay.address();
  // A seed client where the broadcasts go (127.0.0.2, on the relay's port), and one that talks.
  const listener = dgram.createSocket('udp4');
  await new Promise<void>((r) => listener.bind(port, '127.0.0.2', r));
  h.track(() => new Promise<void>((r) => listener.close(() => r())));
  const heard: string[] = [];
  listener.on('message', (buf) => heard.push(buf.toString()));
  const seed = dgram.createSocket('udp4');
  await new Promise<void>((r) => seed.bind(0, '127.0.0.1', r));
  h.track(() => new Promise<void>((r) => seed.close(() => r())));
  const bob = await h.client(relay.address(), 'bob');
  seed.send(Buffer.from('ann: plain words'), port, '127.0.0.1');
  seed.send(Buffer.from(' ann\u0007 : rung a bell'), port, '127.0.0.1');
  bob.client.send({ kind: 'text', text: 'from bob' });
  await until(() => heard.length === 3, 2000, 'three broadcasts');
  assert.deepEqual(heard.sort(), ['ann: plain words', 'ann: rung a bell', 'bob: from bob']);
  await until(() => bob.messages.length === 3, 2000, 'all three in the room');
  assert.deepEqual(bob.messages.map((m) => `${m.sender.name}: ${m.text}`).sort(), heard, 'the seed clients hear what the room shows');
});
