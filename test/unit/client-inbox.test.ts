// The receiving half of a client on its own, with a clock of its own: messages delivered in seq order
// exactly once, backfill and gaps asked for in windows, and asked again only when lost (issue G).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Inbox } from '../../src/chat/client/inbox';
import { RttEstimator } from '../../src/chat/client/rtt';
import { PacketType, type Msg } from '../../src/protocol/packets';

const SENDER = Buffer.alloc(8, 7);

/** The Msg datagrams of seq's message, its text cut into `fragments` chunks (as the relay would send them). */
function msg(seq: number, text = `m${seq}`, fragments = 1): Msg[] {
  const bytes = Buffer.from(text);
  const size = Math.ceil(bytes.length / fragments);
  return Array.from({ length: fragments }, (_, i) => ({
    type: PacketType.Msg, seq, time: 1000 + seq, senderId: SENDER, senderFlags: 0, name: 'ann', msgId: seq,
    fragIndex: i, fragCount: fragments, ...(i === 0 ? { head: { kind: 'text' as const, totalBytes: bytes.length } } : {}),
    chunk: bytes.subarray(i * size, (i + 1) * size),
  }));
}

/** An inbox whose probe timeout is 25 ms whatever its RTT samples say. */
function inbox(from = 1, head = from - 1): Inbox {
  const box = new Inbox(new RttEstimator(1, 25, 25));
  box.reset(from);
  box.knowHead(head);
  return box;
}

/** Feeds whole messages; returns the seqs delivered. */
function feed(box: Inbox, seqs: number[], now: number): number[] {
  return seqs.flatMap((seq) => msg(seq).flatMap((p) => box.accept(p, now).map((m) => m.seq)));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('messages are delivered in seq order, each once, whatever order and copies they come in', () => {
  const box = inbox();
  assert.deepEqual(feed(box, [3, 2, 3], 0), []);
  assert.deepEqual(feed(box, [1], 0), [1, 2, 3]);
  assert.deepEqual(feed(box, [2, 1, 3], 0), [], 'copies of delivered messages are dropped');
  const long = msg(4, 'x'.repeat(5000), 5);
  const out = [...long].reverse().flatMap((p) => box.accept(p, 0));
  assert.deepEqual(out.map((m) => [m.seq, m.text.length, m.sender.name]), [[4, 5000, 'ann']], 'fragments put back together');
});

test('a backfill is asked for 64 seqs at a time, and the window moves on as messages arrive', () => {
  const box = inbox(101, 400);
  assert.deepEqual(box.due(0), [{ fromSeq: 101, toSeq: 164 }]);
  assert.deepEqual(box.due(0), [], 'nothing twice');
  assert.deepEqual(feed(box, range(101, 132), 1), range(101, 132));
  assert.deepEqual(box.due(1), [{ fromSeq: 165, toSeq: 196 }], 'only what the window newly holds');
});

test('a seq missing behind later answers is asked again at once, alone; reordering by less than 3 is not loss', () => {
  const box = inbox(1, 64);
  box.due(0);
  feed(box, [...range(1, 9), 11, 12], 1);
  assert.deepEqual(box.due(1), [], '10 may still come: only two later seqs have');
  feed(box, [13], 1);
  assert.deepEqual(box.due(1), [{ fromSeq: 10, toSeq: 10 }]);
  feed(box, range(14, 64), 2);
  assert.deepEqual(box.due(2), [], 'asked again just now');
  assert.deepEqual(feed(box, [10], 3), range(10, 64));
});

test('while answers are still arriving, the rest of a window is not asked for again (a busy process reads them late)', () => {
  const box = inbox(1, 64);
  box.due(0);
  // The process was busy: the first answers are read 100 ms later, four probe timeouts after the request.
  feed(box, range(1, 32), 100);
  assert.deepEqual(box.due(100), [], 'seqs 33-64 are on their way: they were asked for with 1-32');
  assert.equal(box.nextDeadline(), 125, 'a probe timeout after the last answer');
  feed(box, range(33, 60), 110);
  assert.deepEqual(box.due(134), [], 'the answers kept coming');
  assert.deepEqual(box.due(135), [{ fromSeq: 61, toSeq: 64 }], 'then the tail that never came');
});

test('a request that was lost is asked again after a probe timeout, not before', () => {
  const box = inbox(1, 10);
  assert.deepEqual(box.due(0), [{ fromSeq: 1, toSeq: 10 }]);
  assert.equal(box.nextDeadline(), 25);
  assert.deepEqual(box.due(24), []);
  assert.deepEqual(box.due(25), [{ fromSeq: 1, toSeq: 10 }]);
});

test('seqs the relay no longer has are skipped and counted, and what follows is delivered', () => {
  const box = inbox(1, 10);
  box.due(0); // asked for 1-10
  feed(box, range(5, 10), 0);
  const { lost, delivered } = box.gone(1, 4);
  assert.equal(lost, 4);
  assert.deepEqual(delivered.map((m) => m.seq), range(5, 10));
  assert.equal(box.next, 11);
  assert.deepEqual(box.due(0), []);
});

test('an answer to a request sent once is an RTT sample; one sent twice is not (Karn)', () => {
  const rtt = new RttEstimator(333, 1, 10_000);
  const box = new Inbox(rtt);
  box.knowHead(3);
  box.due(0);
  feed(box, [1], 40);
  assert.equal(rtt.latest, 40);
  box.due(1000); // 2 and 3 asked a second time
  feed(box, [2], 1010);
  assert.equal(rtt.latest, 40, 'which request this answers is unknown');
});

test('a Gone further on than the next seq is left until delivery gets there: its seqs are counted lost once', () => {
  const box = inbox(1, 20);
  box.due(0); // asked for 1-20
  const early = box.gone(10, 20); // 1-9 are still on their way
  assert.equal(early.lost, 0);
  assert.deepEqual(feed(box, range(1, 9), 1), range(1, 9));
  assert.deepEqual(box.due(100), [{ fromSeq: 10, toSeq: 20 }], 'asked again once delivery got there');
  const again = box.gone(10, 20);
  assert.equal(again.lost, 11);
  assert.deepEqual(again.skipped, { fromSeq: 10, toSeq: 20 });
  assert.equal(box.gone(10, 20).lost, 0, 'a copy of the same Gone counts nothing more');
  assert.equal(box.next, 21);
});

test('a Gone reaching past what was asked (one forged Gone(1, 2^32 - 1)) skips only the seqs asked about, at once', () => {
  const box = inbox(1, 5);
  box.due(0); // asked for 1-5
  const { lost, skipped } = box.gone(1, 2 ** 32 - 1); // before: a loop over the whole span, 39 s
  assert.equal(lost, 5);
  assert.deepEqual(skipped, { fromSeq: 1, toSeq: 5 });
  assert.equal(box.next, 6, 'the resume point moved past the seqs asked about, not to the end of the seq space');
  assert.deepEqual(feed(box, [6, 7], 1), [6, 7], 'the messages after it are still delivered');
  assert.equal(box.gone(8, 9).lost, 0, 'a Gone for seqs never asked about skips nothing');
  assert.equal(box.next, 8);
});

test('a Msg whose seq is far past what the inbox can hold does not make it ask for seqs up to there', () => {
  const box = inbox(1, 3);
  assert.deepEqual(feed(box, [2 ** 32 - 1], 0), []);
  assert.equal(box.head, 3, 'the head is what the relay said, not what the stray Msg claims');
  assert.deepEqual(box.due(0), [{ fromSeq: 1, toSeq: 3 }]);
});
