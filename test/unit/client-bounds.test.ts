// Issue 8, "a client can't be wedged by what a relay says": a Gone naming the whole seq space (11
// bytes) once froze a client's event loop for 39 s and left it deaf, its resume point past every seq
// the room will ever have. Here a relay-in-the-middle injects one into a real client's session.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { decode, encode } from '../../src/protocol/codec';
import { PacketType as T } from '../../src/protocol/packets';
import { ChatClient } from '../../src/chat';
import { FAST_CLIENT, Harness, Recorder, until } from './helpers/engine';

let h: Harness;
afterEach(() => h?.close());

/** Forwards between one client and the relay, and can send the client anything as the relay. */
async function middle(
  relay: { host: string; port: number },
  change: (b: Buffer) => Buffer = (b) => b,
): Promise<{ address: { host: string; port: number }; toClient(b: Buffer): void }> {
  const front = dgram.createSocket('udp4');
  const up = dgram.createSocket('udp4');
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => up.bind(0, '127.0.0.1', r));
  h.track(() => new Promise<void>((r) => front.close(() => r())));
  h.track(() => new Promise<void>((r) => up.close(() => r())));
  let client: dgram.RemoteInfo | undefined;
  front.on('message', (b, rinfo) => {
    client = rinfo;
    up.send(b, relay.port, relay.host);
  });
  up.on('message', (b) => client && front.send(change(b), client.port, client.address));
  return {
    address: { host: '127.0.0.1', port: front.address().port },
    toClient: (b) => client && front.send(b, client.port, client.address),
  };
}

test('a Gone for the whole seq space, as if from the relay, changes nothing: the client goes on delivering', async () => {
  h = new Harness();
  const relay = await h.relay();
  const mid = await middle(relay.address());
  const ann = await h.client(mid.address, 'ann');
  const bob = await h.client(relay.address(), 'bob');
  bob.client.send({ kind: 'text', text: 'one' });
  await until(() => ann.texts().includes('bob: one'), 5000, 'ann gets "one"');
  mid.toClient(encode({ type: T.Gone, fromSeq: 1, toSeq: 2 ** 32 - 1 }));
  mid.toClient(encode({ type: T.Gone, fromSeq: 2, toSeq: 2 ** 32 - 1 }));
  bob.client.send({ kind: 'text', text: 'two' });
  bob.client.send({ kind: 'text', text: 'three' });
  await until(() => ann.texts().includes('bob: three'), 5000, 'ann gets the messages sent after the forged Gone');
  assert.deepEqual(ann.texts(), ['bob: one', 'bob: two', 'bob: three']);
  assert.deepEqual(ann.lost, [], 'nothing reported lost: ann asked for none of those seqs');
});

test("a Welcome that does not add up (a start past the relay's head) is ignored and reported; the join goes on", async () => {
  h = new Harness();
  const relay = await h.relay();
  let forged = 0;
  const mid = await middle(relay.address(), (b) => {
    const p = decode(b);
    if (p.type !== T.Welcome || forged > 0) return b;
    forged++;
    return encode({ ...p, fromSeq: p.headSeq + 1000 });
  });
  const bob = await h.client(relay.address(), 'bob');
  bob.client.send({ kind: 'text', text: 'before ann' });
  await until(() => bob.texts().length === 1, 5000, 'bob sees his message');
  const warnings: string[] = [];
  const client = new ChatClient({ server: mid.address, name: 'ann', timers: FAST_CLIENT });
  client.on('warning', (e) => warnings.push(e.message));
  const ann = new Recorder(client);
  h.track(() => client.close());
  await client.start();
  await until(() => ann.texts().includes('bob: before ann'), 5000, "ann's backfill, from the relay's real Welcome");
  assert.equal(forged, 1);
  assert.ok(warnings.some((w) => /Ignored a Welcome that does not add up/.test(w)), warnings.join('\n'));
  bob.client.send({ kind: 'text', text: 'after' });
  await until(() => ann.texts().includes('bob: after'), 5000, 'ann gets what is sent after');
  assert.deepEqual(ann.lost, []);
});
