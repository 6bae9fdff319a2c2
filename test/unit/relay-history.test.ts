// The relay's history on its own: the ring's bounds, the de-duplication table, what a Resend and a
// Welcome are answered with, and a sequenced message's datagrams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '../../src/protocol/codec';
import { Assembly } from '../../src/protocol/fragments';
import { MAX_DATAGRAM, PacketType, SenderFlags, type Msg } from '../../src/protocol/packets';
import { Dedup, PER_SENDER } from '../../src/chat/relay/dedup';
import { resendPlan, resumePoint, type History } from '../../src/chat/relay/repair';
import { HistoryRing } from '../../src/chat/relay/ring';
import { SequencedMessage, ZERO_HEX, ZERO_ID } from '../../src/chat/relay/sequenced';

const buf = (seq: number) => Buffer.from(`datagram ${seq}`);

test('the ring keeps the newest messages within its count', () => {
  const ring = new HistoryRing(4, 1 << 20);
  for (let seq = 1; seq <= 10; seq++) ring.push(seq, 100, buf(seq));
  assert.equal(ring.firstSeq, 7);
  assert.equal(ring.size, 4);
  assert.equal(ring.get(6), undefined);
  assert.deepEqual(ring.get(7), [buf(7)]);
  assert.deepEqual(ring.get(10), [buf(10)]);
  assert.equal(ring.get(11), undefined);
});

test('the ring keeps the newest messages within its bytes, and always the newest one', () => {
  const ring = new HistoryRing(100, 1000);
  for (let seq = 1; seq <= 5; seq++) ring.push(seq, 300, buf(seq));
  assert.equal(ring.firstSeq, 3, '3 x 300 bytes fit in 1000');
  assert.equal(ring.heldBytes, 900);
  ring.push(6, 5000, buf(6));
  assert.deepEqual([ring.firstSeq, ring.size], [6, 1], 'one message larger than the bound is still kept');
});

test('seqs missing inside the ring stay missing, and a jump past the window forgets everything', () => {
  const ring = new HistoryRing(8, 1 << 20);
  ring.startAt(5);
  ring.push(5, 10, buf(5));
  ring.push(8, 10, buf(8)); // 6 and 7 were lost with a damaged store
  assert.deepEqual([ring.has(5), ring.has(6), ring.has(7), ring.has(8)], [true, false, false, true]);
  ring.push(100, 10, buf(100));
  assert.deepEqual([ring.firstSeq, ring.size, ring.has(8)], [100, 1, false]);
  assert.throws(() => ring.push(99, 10, buf(99)), /seq 99 after 100/);
});

test('a message held unencoded is encoded when first asked for, and kept as its datagrams', () => {
  const ring = new HistoryRing(8, 1 << 20);
  let encoded = 0;
  ring.push(1, 10, { frags: () => (encoded++, [buf(1)]) });
  assert.deepEqual(ring.get(1), [buf(1)]);
  assert.deepEqual(ring.get(1), [buf(1)]);
  assert.equal(encoded, 1);
});

test('the de-duplication table answers for the last PER_SENDER msgIds of each sender', () => {
  const d = new Dedup(2);
  for (let id = 1; id <= 300; id++) d.remember('a', id, 1000 + id);
  assert.equal(d.seqOf('a', 300), 1300);
  assert.equal(d.seqOf('a', 300 - PER_SENDER + 1), 1300 - PER_SENDER + 1, 'the oldest still remembered');
  assert.equal(d.seqOf('a', 301), 0, 'not sequenced');
  assert.equal(d.seqOf('b', 1), 0);
  d.remember('b', 1, 1);
  d.remember('c', 1, 2); // a third sender: the first seen goes
  assert.deepEqual([d.seqOf('a', 300), d.seqOf('b', 1), d.seqOf('c', 1)], [0, 1, 2]);
});

/** A room's history of seqs from..to, minus `holes`. */
function history(from: number, to: number, holes: number[] = []): History {
  const held = (seq: number) => seq >= from && seq <= to && !holes.includes(seq);
  return { roomId: 9n, headSeq: to, firstSeq: from, history: (seq) => (held(seq) ? [buf(seq)] : undefined), holds: held };
}

test('a Resend is answered with what is held, Gone for what is older or missing, at most 64 seqs', () => {
  const plan = resendPlan(history(10, 200, [20, 21]), 5, 300);
  assert.deepEqual(plan[0], { kind: 'gone', fromSeq: 5, toSeq: 9 });
  const gone = plan.filter((p) => p.kind === 'gone');
  assert.deepEqual(gone[1], { kind: 'gone', fromSeq: 20, toSeq: 21 });
  const sent = plan.flatMap((p) => (p.kind === 'message' ? [p.seq] : []));
  assert.equal(sent[0], 10);
  assert.equal(sent.at(-1), 68, 'the window is 64 seqs from the one asked for');
  assert.equal(sent.length, 64 - 5 - 2);
});

test('a rejoining client resumes after what it has; a new one gets the backfill; one too far behind learns how much is gone', () => {
  const h = history(100, 500);
  assert.deepEqual(resumePoint({ roomId: 9n, lastSeq: 450 }, h, 200), { fromSeq: 451, lostCount: 0 });
  assert.deepEqual(resumePoint({ roomId: 0n, lastSeq: 0 }, h, 200), { fromSeq: 301, lostCount: 0 });
  assert.deepEqual(resumePoint({ roomId: 9n, lastSeq: 40 }, h, 200), { fromSeq: 100, lostCount: 59 });
  assert.deepEqual(resumePoint({ roomId: 8n, lastSeq: 450 }, h, 200), { fromSeq: 301, lostCount: 0 }, 'another room: start over');
});

test('a sequenced message encodes to Msg datagrams of at most 1200 bytes that decode to it', () => {
  const sender = { hex: '0123456789abcdef', clientId: Buffer.from('0123456789abcdef', 'hex'), name: 'Zoë' };
  const short = new SequencedMessage(3, 1764187200123, sender, false, 5, { kind: 'text', totalBytes: 2 }, Buffer.from('hi'));
  const [only, ...rest] = short.frags();
  assert.equal(rest.length, 0);
  assert.equal(short.bytes, only.length, 'the size counted before encoding is the size encoded');
  const p = decode(only) as Msg;
  assert.deepEqual([p.seq, p.time, p.name, p.msgId, p.senderFlags, p.chunk.toString()], [3, 1764187200123, 'Zoë', 5, 0, 'hi']);
  assert.deepEqual(short.message(), { kind: 'text', text: 'hi', seq: 3, time: 1764187200123, msgId: 5, sender: { id: sender.hex, name: 'Zoë', legacy: false }, verified: false });
  // A signed one keeps its signature block through the encoding, and names the key (the relay checks none).
  const key = Buffer.alloc(32, 9);
  const signed = new SequencedMessage(4, 1, sender, false, 6, { kind: 'text', totalBytes: 2, auth: Buffer.concat([key, Buffer.alloc(64, 1)]) }, Buffer.from('yo'));
  const [d] = signed.frags();
  assert.equal(signed.bytes, d.length);
  assert.deepEqual((decode(d) as Msg).head?.auth, Buffer.concat([key, Buffer.alloc(64, 1)]));
  assert.equal(signed.text().toString(), 'yo', 'the text is read back past the signature block');
  assert.deepEqual([signed.message().sender.key, signed.message().verified], [key.toString('base64url'), false]);

  const text = 'ü'.repeat(2000);
  const snippet = { kind: 'snippet' as const, totalBytes: 4000, path: 'a.ts', startLine: 1, endLine: 2, language: 'ts' };
  const long = new SequencedMessage(4, 1, { hex: ZERO_HEX, clientId: ZERO_ID, name: 'seed' }, true, 6, snippet, Buffer.from(text));
  const frags = long.frags();
  assert.ok(frags.length === 4 && frags.every((f) => f.length <= MAX_DATAGRAM));
  assert.equal(long.bytes, frags.reduce((n, f) => n + f.length, 0));
  const asm = new Assembly(frags.length);
  for (const f of frags.map((b) => decode(b) as Msg)) {
    assert.equal(f.senderFlags, SenderFlags.Legacy);
    asm.add(f.fragIndex, f.fragCount, f.head, f.chunk);
  }
  assert.deepEqual(asm.body().body, { kind: 'snippet', text, path: 'a.ts', startLine: 1, endLine: 2, language: 'ts' });
  assert.equal(long.text().toString(), text, 'the text read back out of the datagrams');
  assert.equal(decode(frags[0]).type, PacketType.Msg);
});

test('the datagrams the history keeps own their memory: none pins a shared Buffer pool (64 KiB since Node 24)', () => {
  const ring = new HistoryRing(1000, 1 << 30);
  const sender = { hex: ZERO_HEX, clientId: ZERO_ID, name: 'ann' };
  const garbage: Buffer[] = [];
  for (let seq = 1; seq <= 200; seq++) {
    // Between two messages the relay makes other small Buffers (Acks, Pongs, replies), from the same pool.
    for (let i = 0; i < 20; i++) garbage.push(Buffer.allocUnsafe(400));
    const s = new SequencedMessage(seq, seq, sender, false, seq, { kind: 'text', totalBytes: 5 }, Buffer.from('hello'));
    ring.push(seq, s.bytes, s);
    ring.get(seq); // the fan-out encodes it; the history keeps those datagrams
  }
  garbage.length = 0;
  let kept = 0;
  for (let seq = 1; seq <= 200; seq++) {
    for (const d of ring.get(seq)!) {
      kept += d.buffer.byteLength;
      assert.equal(d.buffer.byteLength, d.length, `seq ${seq}: a datagram of ${d.length} bytes keeps ${d.buffer.byteLength}`);
    }
  }
  assert.ok(kept < 200 * 200, `200 short messages keep ${kept} bytes`);
});
