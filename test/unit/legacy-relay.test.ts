// The relay's seed (legacy) side on loopback: what needs no network namespace.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { Harness, sleep, until } from './helpers/engine';

let h: Harness;
afterEach(() => h?.close());

test('a seed user who says the same line twice is heard twice', async () => {
  h = new Harness();
  // Bound to a unicast address, the relay cannot hear its own broadcasts (sent here to another
  // loopback address), so nothing it receives is its echo.
  const relay = await h.relay({ host: '127.0.0.1', legacyBroadcast: '127.0.0.2' });
  const bob = await h.client(relay.address(), 'bob');
  const seed = dgram.createSocket('udp4');
  await new Promise<void>((r) => seed.bind(0, '127.0.0.1', r));
  h.track(() => new Promise<void>((r) => seed.close(() => r())));
  seed.send(Buffer.from('ann: ok'), relay.address().port, '127.0.0.1');
  await until(() => bob.messages.length === 1, 2000, 'the first "ok"');
  await sleep(300);
  seed.send(Buffer.from('ann: ok'), relay.address().port, '127.0.0.1');
  await until(() => bob.messages.length === 2, 2000, 'the second "ok", 300 ms later');
  assert.deepEqual(bob.messages.map((m) => [m.sender.name, m.sender.legacy, m.text]), [['ann', true, 'ok'], ['ann', true, 'ok']]);
});
