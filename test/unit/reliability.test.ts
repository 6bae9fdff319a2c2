// Two rules that keep a message from ever being sequenced twice or stalled, tested where they live.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MAX_MESSAGES_IN_FLIGHT, newOutgoing, Outbox } from '../../src/chat/client/outbox';
import { RttEstimator } from '../../src/chat/client/rtt';
import { decode } from '../../src/protocol/codec';
import { PacketType as T } from '../../src/protocol/packets';
import { Harness, until } from './helpers/engine';
import { RawV2 } from './helpers/raw-v2';

let h: Harness;
afterEach(() => h?.close());

test('the outbox never sends a msgId 32 or more past its oldest unacknowledged one', () => {
  const outbox = new Outbox(64, new RttEstimator(25, 25, 25)); // a probe timeout of 25 ms
  const id = randomBytes(8);
  outbox.signFor(() => Buffer.alloc(96)); // a room is known (the signature itself is not the point here)
  for (let msgId = 1; msgId <= 400; msgId++) outbox.add(id, newOutgoing(msgId, { kind: 'text', text: `m${msgId}` }, 0));
  let now = 0;
  let highest = 0;
  // Every message is acknowledged with its seq at once, except msgId 1, whose ack keeps getting lost.
  for (let round = 0; round < 200; round++, now += 30) {
    for (const buf of outbox.due(now, [])) {
      const p = decode(buf);
      assert.equal(p.type, T.Data);
      if (p.type !== T.Data) continue;
      highest = Math.max(highest, p.msgId);
      if (p.msgId !== 1) outbox.delivered(p.msgId, p.msgId);
    }
  }
  assert.equal(highest, MAX_MESSAGES_IN_FLIGHT, 'later messages wait for the stuck one instead of running hundreds ahead');
  outbox.delivered(1, 1);
  for (const buf of outbox.due(now, [])) highest = Math.max(highest, (decode(buf) as { msgId: number }).msgId);
  assert.equal(highest, 1 + 2 * MAX_MESSAGES_IN_FLIGHT - 1, 'once it is acknowledged the window moves on');
});

test('a rejoin naming an already-sequenced message does not stall the messages after it', async () => {
  h = new Harness();
  const relay = await h.relay({ timers: { reassemblyMs: 10000 } });
  const ann = await h.client(relay.address(), 'ann');
  const bob = await RawV2.open(relay.address());
  h.track(() => bob.close());
  const data = (msgId: number) => bob.message(msgId, { kind: 'text', text: `bob ${msgId}` }).forEach((p) => bob.send(p));

  assert.equal((await bob.join({ name: 'bob', firstUnacked: 1 })).type, T.Welcome);
  data(1);
  data(2);
  await until(() => ann.texts().length === 2, 2000, 'bob 1 and 2 sequenced');
  // bob's acks were "lost": it rejoins saying 1 is its oldest unacknowledged, then sends 3 (sealed
  // under the keys of the rejoin's handshake, so after its Welcome).
  assert.equal((await bob.join({ name: 'bob', firstUnacked: 1 })).type, T.Welcome);
  data(3);
  await until(() => ann.texts().length === 3, 1000, 'bob 3 sequenced at once, not after the 10 s safety valve');
  assert.deepEqual(ann.texts(), ['bob: bob 1', 'bob: bob 2', 'bob: bob 3']);
  assert.equal(relay.stats().headSeq, 3, 'nothing sequenced twice');
});

test('the heartbeat period grows with the room, so idle members cost the relay a bounded ping rate', async () => {
  h = new Harness();
  const relay = await h.relay({ timers: { heartbeatMs: 100 } });
  const probe = await RawV2.open(relay.address());
  h.track(() => probe.close());
  const welcome = async () => {
    const answer = await probe.join({ name: 'probe' }, 2000);
    assert.ok(answer.type === T.Welcome, `the probe is welcomed (${answer.type === T.Refused ? answer.detail : ''})`);
    return answer.heartbeatMs;
  };
  assert.equal(await welcome(), 100, 'a small room keeps the configured period');
  for (let i = 0; i < 29; i++) await h.client(relay.address(), `m${i}`, { wantsRoster: false });
  // The probe, a member already, joins again: a new handshake and a Welcome for the room as it is now.
  assert.equal(await welcome(), 30 * 10, '30 members at most 100 pings a second: 300 ms');
});
