// The sending half of a client on its own, with a clock of its own: the window of fragments in flight,
// retransmission on the probe timeout, RTT samples by Karn's rule, and the relay's SlowDown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newOutgoing, Outbox } from '../../src/chat/client/outbox';
import { RttEstimator } from '../../src/chat/client/rtt';
import { decode } from '../../src/protocol/codec';
import type { Data } from '../../src/protocol/packets';
import type { OutgoingMessage } from '../../src/chat';

const ID = randomBytes(8);
const T = 1000; // the clock at the first send (a fragment's sentAt of 0 means never sent)

/** An outbox holding `count` one-datagram messages (msgIds 1..count), probe timeout 25 ms. */
function outbox(count: number, window = 64, rtt = new RttEstimator(1, 25, 1000)): Outbox {
  const box = new Outbox(window, rtt);
  box.signFor(() => Buffer.alloc(96)); // the room is known
  for (let msgId = 1; msgId <= count; msgId++) box.add(ID, newOutgoing(msgId, { kind: 'text', text: `m${msgId}` }, 0));
  return box;
}

test('nothing goes out before the room is known; what waits is signed for the room it is sent to, and again for a new one', () => {
  const box = new Outbox(64, new RttEstimator(1, 25, 1000));
  box.add(ID, newOutgoing(1, { kind: 'text', text: 'queued before the Welcome' }, 0));
  assert.deepEqual(box.due(T, []), [], 'not before the room is known (nothing is, before a Welcome)');
  const signedFor = (room: number) => (msgId: number) => Buffer.alloc(96, room * 16 + msgId);
  box.signFor(signedFor(1));
  box.add(ID, newOutgoing(2, { kind: 'text', text: 'after' }, 0));
  const auth = (bufs: Buffer[]) => bufs.map((b) => (decode(b) as Data).head?.auth?.[0]);
  assert.deepEqual(auth(box.due(T, [])), [17, 18]);
  box.signFor(signedFor(2)); // a relay that started over: a new room
  box.rewind();
  assert.deepEqual(auth(box.due(T + 1, [])), [33, 34], 'made anew for the new room');
});

const ids = (bufs: Buffer[]) => bufs.map((b) => (decode(b) as { msgId: number }).msgId);

test('at most `window` fragments are in flight; each acknowledgement makes room for one more', () => {
  const box = outbox(6, 4);
  const changed: OutgoingMessage[] = [];
  assert.deepEqual(ids(box.due(T, changed)), [1, 2, 3, 4]);
  assert.deepEqual(changed.map((o) => [o.msgId, o.state]), [[1, 'sending'], [2, 'sending'], [3, 'sending'], [4, 'sending']]);
  assert.equal(box.nextDeadline(T), T + 25, 'no room: the next thing due is a retransmission');
  const out = box.ack(1, 0, 11, T + 5);
  assert.deepEqual([out?.state, out?.seq], ['delivered', 11]);
  assert.deepEqual(ids(box.due(T + 5, [])), [5]);
  assert.deepEqual(box.pending().map((o) => o.msgId), [2, 3, 4, 5, 6]);
});

test('an unacknowledged fragment goes again after a probe timeout, and only then', () => {
  const box = outbox(1);
  assert.equal(box.due(T, []).length, 1);
  assert.deepEqual(box.due(T + 24, []), []);
  assert.equal(box.nextDeadline(T + 24), T + 25);
  assert.equal(box.due(T + 25, []).length, 1);
  assert.equal(box.retransmits, 1);
});

test('a message received but not yet sequenced stays in retransmission, a probe timeout after its ack', () => {
  const box = outbox(1);
  box.due(T, []);
  assert.equal(box.ack(1, 0, 0, T + 5), undefined, 'seq 0: received, waiting for an earlier message');
  assert.deepEqual(box.due(T + 29, []), []);
  assert.equal(box.due(T + 30, []).length, 1, 'asked again: the ack with the seq may have been lost');
  assert.equal(box.sequenced(1, 12, T + 31)?.state, 'delivered', 'our own copy back from the relay');
  assert.equal(box.busy, false);
});

test('only a fragment sent once gives an RTT sample (Karn)', () => {
  const rtt = new RttEstimator(333, 1, 10_000);
  const box = outbox(2, 64, rtt);
  box.due(T, []);
  box.ack(1, 0, 1, T + 7);
  assert.equal(rtt.latest, 7);
  box.due(T + 10_000, []); // msgId 2 sent a second time
  box.ack(2, 0, 2, T + 10_003);
  assert.equal(rtt.latest, 7);
});

test("the relay's SlowDown holds new and due fragments until the pause ends", () => {
  const box = outbox(2, 1);
  box.due(T, []);
  box.pause(T, 100);
  box.ack(1, 0, 1, T + 10);
  assert.deepEqual(box.due(T + 50, []), []);
  assert.equal(box.nextDeadline(T + 50), T + 100);
  assert.deepEqual(ids(box.due(T + 100, [])), [2]);
});

test('a refused message fails and stops being sent; after a rejoin the rest goes out again at once', () => {
  const box = outbox(3);
  box.due(T, []);
  assert.equal(box.fail(2, 'bad')?.state, 'failed');
  assert.equal(box.oldest(), 1);
  box.rewind();
  assert.deepEqual(ids(box.due(T + 1, [])), [1, 3]);
  box.remove(2);
  assert.deepEqual(box.pending().map((o) => o.msgId), [1, 3]);
});
