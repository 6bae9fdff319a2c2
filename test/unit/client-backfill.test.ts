// A late joiner's backfill, under the two conditions of issue G (docs/BENCHMARKS.md): a process that is
// busy for longer than a probe timeout at every turn of its event loop, and a lossy path with a long
// probe timeout. Either way the whole history arrives, in order, once, and soon.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Relay } from '../../src/chat';
import { Harness, seqsInOrder, until, type Recorder } from './helpers/engine';
import { LossyProxy } from './helpers/proxy';

let h: Harness;
afterEach(() => h?.close());

const UNLIMITED = { memberMessagesPerSecond: 1e6, memberBurst: 1e6, addressPacketsPerSecond: 1e6, addressBurst: 1e6 };

/** A relay holding `count` messages, all of which a new member gets as backfill. */
async function roomWithHistory(count: number): Promise<Relay> {
  // The default heartbeat (5 s), not the harness's 300 ms: Pings answered late would raise the RTT
  // estimate above the busy spells, and hide what a member that only listens goes through.
  const relay = await h.relay({ limits: { ...UNLIMITED, backfillMessages: count, historyMessages: 2 * count }, timers: { heartbeatMs: 5000 } });
  const dana = await h.client(relay.address(), 'dana', { wantsRoster: false });
  for (let i = 1; i <= count; i++) dana.client.send({ kind: 'text', text: `message ${i}` });
  assert.deepEqual(await dana.client.flush(30_000), [], 'the history is in the room');
  return relay;
}

function assertWholeHistory(late: Recorder, count: number): void {
  assert.equal(late.messages.length, count, 'every message of the history');
  assert.ok(seqsInOrder(late.messages), 'in room order, each once');
  assert.equal(late.messages[0].text, 'message 1');
  assert.equal(late.messages[count - 1].text, `message ${count}`);
}

test('a busy process still gets its whole backfill, without asking for what is already on its way', async () => {
  h = new Harness();
  const count = 2000;
  const relay = await roomWithHistory(count);
  // Busy for 40 ms at every turn of the event loop (an extension host after a test suite): every
  // timer fires late, with answers waiting unread. Asking again for those snowballed into a window of
  // duplicates per turn; 1,600-1,900 of 2,000 had arrived after 30 s.
  const busy = setInterval(() => {
    const end = Date.now() + 40;
    while (Date.now() < end);
  }, 20);
  h.track(() => clearInterval(busy));
  const late = await h.client(relay.address(), 'late', { wantsRoster: false, timers: { joinTimeoutMs: 10_000 } });
  await until(() => late.messages.length >= count, 15_000, `the ${count}-message backfill`);
  clearInterval(busy);
  assertWholeHistory(late, count);
});

test('a backfill through a lossy path asks again only for what was lost, not after a probe timeout per window', async () => {
  h = new Harness();
  const count = 10_000;
  const relay = await roomWithHistory(count);
  const proxy = await LossyProxy.start(relay.address(), { drop: 0.05, seed: 11 });
  h.track(() => proxy.close());
  // A long probe timeout, as a slow host's RTT samples give it. Waiting one per 64-message window
  // took 40 s here; a loss seen behind a later answer is asked for at once.
  const late = await h.client(proxy.address, 'late', { wantsRoster: false, timers: { ptoFloorMs: 250, joinTimeoutMs: 10_000 } });
  await until(() => late.messages.length >= count, 15_000, `the ${count}-message backfill through the lossy proxy`);
  assertWholeHistory(late, count);
  assert.ok(proxy.counts.dropped > 200, `the proxy really dropped datagrams: ${JSON.stringify(proxy.counts)}`);
});
