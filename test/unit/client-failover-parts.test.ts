// The parts of client failover (issue 15) on their own: the Relays packet's bytes (round trip, and each
// malformed kind refused with its own error), the candidate list a client goes round, and the inbox
// that fills a repeat's seq without showing the message twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, encodingLength, ProtocolError } from '../../src/protocol/codec';
import { MAGIC, MAX_DATAGRAM, PacketType as T, type Msg, type Relays } from '../../src/protocol/packets';
import { RelayCandidates } from '../../src/chat/client/candidates';
import { Inbox } from '../../src/chat/client/inbox';
import { RttEstimator } from '../../src/chat/client/rtt';

const key = (n: number) => Buffer.alloc(32, n);
const relays = (n: number): Relays => ({ type: T.Relays, relays: Array.from({ length: n }, (_, i) => ({ host: i % 2 ? `relay-${i}.example.net` : `10.0.0.${i}`, port: 2410 + i, key: key(i + 1) })) });

test('Relays survives encode and decode unchanged, from none to the most a packet holds, IPv6 included', () => {
  const samples: Relays[] = [relays(0), relays(1), relays(8), { type: T.Relays, relays: [{ host: '::1', port: 65535, key: key(9) }, { host: 'x'.repeat(253), port: 1, key: key(0) }] }];
  for (const p of samples) {
    const buf = encode(p);
    assert.equal(buf[0], MAGIC);
    assert.ok(buf.length <= MAX_DATAGRAM, `${buf.length} bytes fit a datagram`);
    assert.equal(encodingLength(p), buf.length);
    assert.deepEqual(decode(buf), p);
  }
});

test('a malformed Relays is refused with its own error, and one that cannot be encoded is not sent', () => {
  const good = encode(relays(1)); // magic, version, type, count, host (len + bytes), port, key
  const header = good.subarray(0, 3);
  const bad: [string, Buffer, RegExp][] = [
    ['nine relays', Buffer.concat([header, Buffer.from([9])]), /9 relays; at most 8/],
    ['a count with nothing after it', Buffer.concat([header, Buffer.from([1])]), /truncated in host/],
    ['cut in the key', good.subarray(0, good.length - 1), /truncated in key/],
    ['an empty host', Buffer.concat([header, Buffer.from([1, 0, 9, 0x6a]), key(1)]), /empty host or port 0/],
    ['port 0', Buffer.concat([header, Buffer.from([1, 1, 0x61, 0, 0]), key(1)]), /empty host or port 0/],
    ['trailing bytes', Buffer.concat([good, Buffer.from([0])]), /trailing bytes/],
  ];
  for (const [what, buf, message] of bad) {
    assert.throws(() => decode(buf), (err: unknown) => err instanceof ProtocolError && message.test(err.message), `${what}: ${(() => { try { return JSON.stringify(decode(buf)); } catch (e) { return (e as Error).message; } })()}`);
  }
  assert.throws(() => encode(relays(9)), /9 relays; at most 8/);
  assert.throws(() => encode({ type: T.Relays, relays: [{ host: 'a', port: 1, key: Buffer.alloc(31) }] }), /a key of 31 bytes/);
  assert.throws(() => encode({ type: T.Relays, relays: [{ host: 'a', port: 0, key: key(1) }] }), /port 0/);
});

test('candidates: the given relays in order, learnt ones pinned to their keys, round the list, the refused dropped', () => {
  const c = new RelayCandidates({ host: '127.0.0.1', port: 1 }, [{ host: '127.0.0.1', port: 2 }]);
  assert.deepEqual(c.all(), ['127.0.0.1:1', '127.0.0.1:2']);
  // A relay names itself or a given one again: the user's checks stay (no key); new ones are pinned.
  c.learn([{ host: '127.0.0.1', port: 2, key: key(2) }, { host: '::1', port: 3, key: key(3) }]);
  assert.deepEqual(c.all(), ['127.0.0.1:1', '127.0.0.1:2', '[::1]:3']);
  assert.equal(c.current.key, undefined);
  assert.equal(c.next()?.where, '127.0.0.1:2');
  assert.equal(c.current.key, undefined, 'a given relay is not pinned by what another relay says');
  assert.equal(c.next()?.key?.equals(key(3)), true);
  c.learn([{ host: '::1', port: 3, key: key(4) }]);
  const pinned = (): Buffer | undefined => c.current.key; // read afresh (not narrowed by the asserts above)
  assert.equal(pinned()?.equals(key(4)), true, 'the newer word on a learnt relay');
  assert.equal(c.next()?.where, '127.0.0.1:1', 'round the list');
  assert.equal(c.dropCurrent(), true);
  assert.deepEqual(c.all(), ['127.0.0.1:2', '[::1]:3']);
  // Bounded: a flood of Relays packets keeps at most 16 learnt relays besides the given ones.
  for (let i = 0; i < 10; i++) c.learn(relays(8).relays.map((r) => ({ ...r, port: r.port + i * 8 })));
  assert.equal(c.size, 1 + 16);
  const one = new RelayCandidates({ host: '127.0.0.1', port: 1 });
  assert.equal(one.next(), undefined, 'one relay: nowhere to move');
  assert.equal(one.dropCurrent(), false);
});

const A = Buffer.alloc(8, 1);
const B = Buffer.alloc(8, 2);
function msg(seq: number, sender: Buffer, msgId: number): Msg {
  const text = Buffer.from(`${sender[0]}:${msgId}`);
  return { type: T.Msg, seq, time: 1, senderId: sender, senderFlags: 0, name: 'x', msgId, fragIndex: 0, fragCount: 1, head: { kind: 'text', totalBytes: text.length }, chunk: text };
}

test('a repeat (the same author and msgId at a later seq) fills its seq and is shown once', () => {
  const box = new Inbox(new RttEstimator(1, 25, 25));
  const shown = (ms: Msg[]) => ms.flatMap((m) => box.accept(m, 0)).map((m) => `${m.seq}=${m.text}`);
  assert.deepEqual(shown([msg(1, A, 1), msg(2, B, 1), msg(3, A, 2)]), ['1=1:1', '2=2:1', '3=1:2']);
  // Seq 4 repeats A's msgId 1 (a NATS 2.9 leader change stored it twice); seq 5 follows on.
  assert.deepEqual(shown([msg(5, A, 3), msg(4, A, 1)]), ['5=1:3']);
  assert.equal(box.next, 6, 'the repeat filled seq 4: nothing is asked for again');
  assert.equal(box.repeats, 1);
  // Another author's same msgId is another message; a msgId far behind the author's window is shown
  // (it cannot be proved a repeat).
  assert.deepEqual(shown([msg(6, B, 2)]), ['6=2:2']);
  for (let i = 0; i < 300; i++) box.accept(msg(7 + i, B, 3 + i), 0);
  assert.deepEqual(shown([msg(307, B, 1)]), ['307=2:1']);
  // A new room (clear) starts with nothing shown.
  box.clear();
  box.reset(1);
  assert.deepEqual(shown([msg(1, A, 1)]), ['1=1:1']);
});
