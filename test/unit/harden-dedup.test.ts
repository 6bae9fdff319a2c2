// Issue 10, "De-duplication eviction": a retransmission arriving after its (sender, msgId) entry
// was evicted from the relay's de-duplication memory must not be sequenced twice, however late,
// and not after the sender rejoins naming an old msgId either.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { PER_SENDER } from '../../src/chat/relay/dedup';
import { PacketType as T } from '../../src/protocol/packets';
import { Harness, sleep, until } from './helpers/engine';
import { RawV2 } from './helpers/raw-v2';

let h: Harness;
afterEach(() => h?.close());

test('a retransmission older than the de-duplication memory is acked, never sequenced again', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { memberMessagesPerSecond: 10000, memberBurst: 10000 } });
  const ann = await h.client(relay.address(), 'ann');
  const bob = await RawV2.open(relay.address());
  h.track(() => bob.close());
  const data = (msgId: number) => bob.message(msgId, { kind: 'text', text: `bob ${msgId}` }).forEach((p) => bob.send(p));

  assert.equal((await bob.join({ name: 'bob', firstUnacked: 1 })).type, T.Welcome);
  const total = PER_SENDER + 60;
  for (let id = 1; id <= total; id++) {
    data(id);
    if (id % 50 === 0) await until(() => ann.texts().length === id, 3000, `bob 1..${id} sequenced`);
  }
  await until(() => ann.texts().length === total, 3000, `all ${total} sequenced`);

  // Late copies of the first messages, whose entries the newer ones have pushed out of the memory.
  for (let id = 1; id <= 40; id++) data(id);
  // And again after a rejoin that names msgId 1 as its oldest unacknowledged (a lie, or a very late Hello).
  // (A new handshake, so from here on bob's datagrams are sealed under the session's new keys.)
  assert.equal((await bob.join({ name: 'bob', firstUnacked: 1 })).type, T.Welcome);
  for (let id = 1; id <= 40; id++) data(id);
  await sleep(300);
  assert.equal(relay.stats().headSeq, total, 'nothing sequenced twice');
  assert.equal(ann.texts().length, total, 'ann saw each of bob\'s messages once');
  const acks = bob.got.filter((p) => p.type === T.Ack && p.msgId <= 40);
  assert.ok(acks.length >= 40, `the late copies were answered (${acks.length} acks), so a sender stops resending`);
  // The room still takes bob's next message.
  data(total + 1);
  await until(() => ann.texts().length === total + 1, 2000, 'bob\'s next message');
});
