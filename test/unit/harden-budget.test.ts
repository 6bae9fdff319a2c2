// Issue 10, "Member amplification": what the relay sends a member beyond the room's traffic (repairs,
// roster pages) has a byte budget, per member; one that keeps up (each Resend moves past the last)
// is not slowed, one asking for the same seqs again is, and other members are not.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType as T } from '../../src/protocol/packets';
import { SEALED_OVERHEAD } from '../../src/protocol/v2';
import { Harness, sleep, until } from './helpers/engine';
import { RawV2 } from './helpers/raw-v2';

let h: Harness;
afterEach(() => h?.close());

const KiB = 1024;
const limits = { repairBytesPerSecond: 16 * KiB, repairBurstBytes: 64 * KiB, memberMessagesPerSecond: 10000, memberBurst: 10000 };

/** A member on a bare protocol 2 socket, joined: it can ask for what no ChatClient would. */
async function rawMember(relay: { host: string; port: number }): Promise<RawV2> {
  const eve = await RawV2.open(relay);
  h.track(() => eve.close());
  const answer = await eve.join({ name: 'eve' });
  assert.equal(answer.type, T.Welcome, 'eve is a member');
  return eve;
}

test('the same Resend over and over gets the byte budget, not the history each time; the others are not slowed', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { ...limits, backfillMessages: 0 } });
  const ann = await h.client(relay.address(), 'ann');
  for (let i = 0; i < 64; i++) ann.client.send({ kind: 'text', text: `${i} ${'h'.repeat(3000)}` });
  assert.deepEqual(await ann.client.flush(5000), []);
  const eve = await rawMember(relay.address());
  // What the relay sends (its own count: a receive buffer would drop much of an unbudgeted answer).
  const before = relay.stats();
  const started = Date.now();
  for (let i = 0; i < 20; i++) eve.send({ type: T.Resend, fromSeq: 1, toSeq: 64 }); // ~200 KB of history each
  for (let i = 0; i < 5; i++) eve.send({ type: T.RosterRequest, version: 0 });
  await sleep(300);
  const after = relay.stats();
  const sent = after.bytesOut - before.bytesOut;
  // The budget counts packets as built; each goes out sealed in eve's session, 35 bytes more a datagram.
  const sealing = SEALED_OVERHEAD * (after.datagramsOut - before.datagramsOut);
  const allowed = limits.repairBurstBytes + (limits.repairBytesPerSecond * (Date.now() - started)) / 1000 + 4 * KiB + sealing;
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
