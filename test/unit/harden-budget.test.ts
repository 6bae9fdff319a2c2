// Issue 10, "Member amplification": what the relay sends a member beyond the room's traffic (repairs,
// roster pages) has a byte budget, per member; one that keeps up (each Resend moves past the last)
// is not slowed, one asking for the same seqs again is, and other members are not.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { decode, encode } from '../../src/protocol/codec';
import { PacketType as T, type Packet } from '../../src/protocol/packets';
import { Harness, sleep, until } from './helpers/engine';

let h: Harness;
afterEach(() => h?.close());

const KiB = 1024;
const limits = { repairBytesPerSecond: 16 * KiB, repairBurstBytes: 64 * KiB, memberMessagesPerSecond: 10000, memberBurst: 10000 };

/** A member on a raw socket: counts the bytes the relay sends it. */
async function rawMember(port: number) {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  h.track(() => new Promise<void>((r) => sock.close(() => r())));
  const got = { bytes: 0, packets: [] as Packet[] };
  sock.on('message', (b) => {
    got.bytes += b.length;
    got.packets.push(decode(b));
  });
  const send = (p: Packet) => sock.send(encode(p), port, '127.0.0.1');
  const clientId = randomBytes(8);
  let cookie = Buffer.alloc(0);
  const hello = () => send({ type: T.Hello, clientId, name: 'eve', flags: 0, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie });
  hello();
  await until(() => got.packets.some((p) => p.type === T.Retry), 2000, 'Retry');
  const retry = got.packets.find((p) => p.type === T.Retry)!;
  cookie = retry.type === T.Retry ? Buffer.from(retry.cookie) : cookie;
  hello();
  await until(() => got.packets.some((p) => p.type === T.Welcome), 2000, 'Welcome');
  return { got, send };
}

test('the same Resend over and over gets the byte budget, not the history each time; the others are not slowed', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { ...limits, backfillMessages: 0 } });
  const ann = await h.client(relay.address(), 'ann');
  for (let i = 0; i < 64; i++) ann.client.send({ kind: 'text', text: `${i} ${'h'.repeat(3000)}` });
  assert.deepEqual(await ann.client.flush(5000), []);
  const eve = await rawMember(relay.address().port);
  // What the relay sends (its own count: a receive buffer would drop much of an unbudgeted answer).
  const before = relay.stats().bytesOut;
  const started = Date.now();
  for (let i = 0; i < 20; i++) eve.send({ type: T.Resend, fromSeq: 1, toSeq: 64 }); // ~200 KB of history each
  for (let i = 0; i < 5; i++) eve.send({ type: T.RosterRequest, version: 0 });
  await sleep(300);
  const sent = relay.stats().bytesOut - before;
  const allowed = limits.repairBurstBytes + (limits.repairBytesPerSecond * (Date.now() - started)) / 1000 + 4 * KiB;
  assert.ok(sent <= allowed, `eve was sent ${sent} bytes for 25 small requests; the budget allows ${Math.round(allowed)}`);
  assert.ok(sent > 32 * KiB, `eve still got her budget's worth (${sent} bytes)`);
  // Eve keeps at it; another member's message is not held up.
  const pulling = setInterval(() => eve.send({ type: T.Resend, fromSeq: 1, toSeq: 64 }), 5);
  try {
    const bob = await h.client(relay.address(), 'bob');
    const t0 = Date.now();
    ann.client.send({ kind: 'text', text: 'still quick' });
    await until(() => bob.messages.some((m) => m.text === 'still quick'), 1000, 'ann\'s message at bob while eve pulls');
    assert.ok(Date.now() - t0 < 1000);
  } finally {
    clearInterval(pulling);
  }
});

test('a member walking forward through a backfill is not held to the rate', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { ...limits, backfillMessages: 200 } });
  const ann = await h.client(relay.address(), 'ann');
  for (let i = 0; i < 200; i++) ann.client.send({ kind: 'text', text: `${i} ${'b'.repeat(1000)}` });
  assert.deepEqual(await ann.client.flush(10000), []);
  const t0 = Date.now();
  const late = await h.client(relay.address(), 'late');
  // 200 KB: 12 s at the rate alone; each Resend acknowledges what came before it.
  await until(() => late.messages.length >= 200, 4000, 'the whole backfill');
  assert.ok(Date.now() - t0 < 4000);
});
