import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, encodingLength, ProtocolError } from '../../src/protocol/codec';
import { Assembly, fragmentData, fragmentMsg } from '../../src/protocol/fragments';
import { wireOf } from '../../src/protocol/kinds';
import { decodeLegacy, encodeLegacy, readLegacy } from '../../src/protocol/legacy';
import { MAGIC, MAX_DATAGRAM, MAX_TEXT_BYTES, PacketType as T, type Packet } from '../../src/protocol/packets';

const id = Buffer.from('0123456789abcdef', 'hex');
const cookie = Buffer.alloc(16, 7);

const samples: Packet[] = [
  { type: T.Hello, clientId: id, name: 'ann', flags: 1, roomId: 0xfedcba9876543210n, lastSeq: 41, firstUnacked: 3, cookie: Buffer.alloc(0) },
  { type: T.Hello, clientId: id, name: 'Zoë 🚀', flags: 0, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie },
  { type: T.Retry, cookie },
  { type: T.Welcome, roomId: 5n, epoch: 9, headSeq: 100, fromSeq: 1, lostCount: 2, memberId: 3, rosterVersion: 4, heartbeatMs: 5000 },
  { type: T.Data, clientId: id, msgId: 7, fragIndex: 0, fragCount: 1, head: { kind: 'text', totalBytes: 2 }, chunk: Buffer.from('hi') },
  { type: T.Data, clientId: id, msgId: 7, fragIndex: 0, fragCount: 2, head: { kind: 'snippet', totalBytes: 9, path: 'src/a.ts', startLine: 3, endLine: 5, language: 'typescript' }, chunk: Buffer.from('let') },
  // A kind this version does not know (a later one): decoded with its kind byte, passed on unchanged.
  { type: T.Data, clientId: id, msgId: 8, fragIndex: 0, fragCount: 1, head: { kind: 'other', code: 9, totalBytes: 1 }, chunk: Buffer.from('a') },
  // Signed (protocol 2): the author's key and signature at the end of the head, for every kind.
  { type: T.Data, clientId: id, msgId: 9, fragIndex: 0, fragCount: 1, head: { kind: 'text', totalBytes: 2, auth: Buffer.alloc(96, 5) }, chunk: Buffer.from('hi') },
  { type: T.Data, clientId: id, msgId: 9, fragIndex: 0, fragCount: 2, head: { kind: 'snippet', totalBytes: 9, path: 'a.ts', startLine: 1, endLine: 1, language: 'ts', auth: Buffer.alloc(96, 6) }, chunk: Buffer.from('let') },
  { type: T.Msg, seq: 13, time: 1, senderId: id, senderFlags: 0, name: 'bob', msgId: 8, fragIndex: 0, fragCount: 1, head: { kind: 'other', code: 9, totalBytes: 1, auth: Buffer.alloc(96, 7) }, chunk: Buffer.from('a') },
  { type: T.Data, clientId: id, msgId: 7, fragIndex: 1, fragCount: 2, chunk: Buffer.from(' x = 1') },
  { type: T.Ack, msgId: 7, fragIndex: 1, seq: 12, epoch: 9 },
  { type: T.Msg, seq: 12, time: 1764187200123, senderId: id, senderFlags: 1, name: 'bob', msgId: 7, fragIndex: 0, fragCount: 1, head: { kind: 'text', totalBytes: 3 }, chunk: Buffer.from('yo!') },
  { type: T.Resend, fromSeq: 3, toSeq: 9 },
  { type: T.Gone, fromSeq: 1, toSeq: 2 },
  { type: T.Ping, nonce: 0xdeadbeef },
  { type: T.Pong, nonce: 1, epoch: 2, headSeq: 3, rosterVersion: 4, heartbeatMs: 20000 },
  { type: T.RosterRequest, version: 8 },
  { type: T.Roster, version: 8, page: 0, pageCount: 1, entries: [{ memberId: 1, clientId: id, name: 'ann', presence: 0, key: Buffer.alloc(32, 7) }, { memberId: 2, clientId: id, name: 'ann', presence: 1, key: Buffer.alloc(32) }] },
  { type: T.Leave, clientId: id },
  { type: T.Typing, clientId: id },
  { type: T.Seen, clientId: id, seq: 0xfffffffe },
  { type: T.SeenCount, seq: 12, count: 51 },
  { type: T.NotJoined, epoch: 77 },
  { type: T.Refused, reason: 2, msgId: 0, detail: 'A name cannot contain ":".' },
  { type: T.SlowDown, retryAfterMs: 250 },
];

test('every packet type survives encode and decode unchanged', () => {
  for (const p of samples) {
    const buf = encode(p);
    assert.equal(buf[0], MAGIC, `${T[p.type]} starts with the magic byte`);
    assert.ok(buf.length <= MAX_DATAGRAM);
    assert.deepEqual(decode(buf), p, T[p.type]);
  }
});

test('encodingLength is the encoded size of every packet, counted from its parts without encoding', () => {
  for (const p of samples) assert.equal(encodingLength(p), encode(p).length, T[p.type]);
  const msg = samples.find((p) => p.type === T.Msg)!;
  assert.throws(() => encodingLength({ ...msg, name: 'x'.repeat(129) }), /Cannot encode name \(129 bytes, over 128\)/);
});

test('the first byte of every envelope can never begin UTF-8 text', () => {
  assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(encode(samples[0])));
  assert.throws(() => decodeLegacy(encode(samples[0])), /it is a WhatsUDP envelope/);
});

const hello = encode(samples[0]);
const data = encode(samples[4]);
const malformed: [string, Buffer, RegExp][] = [
  ['empty datagram', Buffer.alloc(0), /empty datagram/],
  ['only the magic byte', Buffer.from([MAGIC]), /truncated in header/],
  ['unknown version', Buffer.from([MAGIC, 2, 1]), /unsupported version 2/],
  ['unknown type', Buffer.from([MAGIC, 1, 99]), /unknown type 99/],
  ['Hello cut in its client id', hello.subarray(0, 7), /Hello \(truncated in clientId\)/],
  ['Hello cut in its name', hello.subarray(0, 13), /Hello \(truncated in name\)/],
  ['Hello with trailing bytes', Buffer.concat([hello, Buffer.from([0])]), /1 trailing bytes/],
  ['Hello with a 3-byte cookie', Buffer.concat([hello.subarray(0, hello.length - 1), Buffer.from([3, 1, 2, 3])]), /cookie of 3 bytes/],
  ['Hello with a name over 128 bytes', Buffer.concat([hello.subarray(0, 11), Buffer.from([200]), Buffer.alloc(200, 0x61)]), /name is 200 bytes, over 128/],
  ['Hello with a name that is not UTF-8', Buffer.concat([hello.subarray(0, 11), Buffer.from([2, 0xc3, 0x28]), hello.subarray(15)]), /not valid UTF-8/],
  ['Data with fragment 3 of 2', Buffer.from([...data.subarray(0, 15), 0, 3, 0, 2]), /fragment 3 of 2/],
  ['Data with zero fragments', Buffer.from([...data.subarray(0, 15), 0, 0, 0, 0]), /fragment 0 of 0/],
  ['Data claiming a 1 MiB text', Buffer.from([...data.subarray(0, 19), 1, 0, 0x10, 0, 0]), /over 65536/],
  ['Data cut in its head', data.subarray(0, 21), /truncated in totalBytes/],
  ['Msg with seq 0', Buffer.from([MAGIC, 1, T.Msg, 0, 0, 0, 0]), /seq 0/],
  ['Resend with a backwards range', Buffer.from([MAGIC, 1, T.Resend, 0, 0, 0, 9, 0, 0, 0, 3]), /bad range 9-3/],
  ['Roster page 2 of 1', Buffer.from([MAGIC, 1, T.Roster, 0, 0, 0, 1, 0, 2, 0, 1, 0, 0]), /page 2 of 1/],
  ['Roster promising more entries than it has', Buffer.from([MAGIC, 1, T.Roster, 0, 0, 0, 1, 0, 0, 0, 1, 0, 5]), /truncated in memberId/],
  ['oversized datagram', Buffer.concat([data, Buffer.alloc(MAX_DATAGRAM)]), /over 1200/],
];

test('malformed datagrams each raise their own ProtocolError', () => {
  for (const [what, buf, message] of malformed) {
    assert.throws(() => decode(buf), (err: unknown) => err instanceof ProtocolError && message.test(err.message), what);
  }
});

test('a 64 KiB message splits into datagrams of at most 1200 bytes and comes back whole', () => {
  const text = 'é'.repeat(MAX_TEXT_BYTES / 2); // 2-byte characters: fragments split inside them
  const frags = fragmentData(id, 1, { kind: 'text', text }).map(encode);
  assert.ok(frags.length > 50 && frags.every((f) => f.length <= MAX_DATAGRAM));
  const asm = new Assembly(frags.length);
  for (const f of [...frags].reverse()) {
    const p = decode(f);
    assert.equal(p.type, T.Data);
    if (p.type === T.Data) asm.add(p.fragIndex, p.fragCount, p.head, p.chunk);
  }
  assert.equal(asm.body().body.text, text);
  assert.throws(() => fragmentData(id, 1, { kind: 'text', text: text + 'x' }), /over 65536/);
});

test('relay fragments carry sender and snippet fields on the first one only', () => {
  const body = { kind: 'snippet' as const, text: 'x'.repeat(3000), path: 'src/hello.ts', startLine: 1, endLine: 30, language: 'typescript' };
  const text = Buffer.from(body.text);
  const frags = fragmentMsg({ seq: 1, time: 5, senderId: id, senderFlags: 0, name: 'ann', msgId: 2 }, wireOf(body).head, text);
  assert.equal(frags.length, 3);
  assert.equal(frags[0].head?.kind, 'snippet');
  assert.equal(frags[1].head, undefined);
  const asm = new Assembly(3);
  for (const f of frags) asm.add(f.fragIndex, f.fragCount, f.head, f.chunk);
  assert.deepEqual(asm.body().body, body);
});

test('reassembly refuses fragments that contradict each other', () => {
  const asm = new Assembly(2);
  assert.throws(() => asm.add(0, 3, { kind: 'text', totalBytes: 4 }, Buffer.from('ab')), /fragment count 3, expected 2/);
  asm.add(0, 2, { kind: 'text', totalBytes: 3 }, Buffer.from('ab'));
  assert.equal(asm.add(0, 2, { kind: 'text', totalBytes: 3 }, Buffer.from('ab')), false, 'a duplicate is ignored');
  asm.add(1, 2, undefined, Buffer.from('cd'));
  assert.throws(() => asm.body(), /4 bytes, header says 3/);
});

test('a seed line is read in its bytes, and one that needs no cleaning can be broadcast as it came', () => {
  const plain = readLegacy(Buffer.from('ann: hello: world'));
  assert.deepEqual([plain.name, plain.text.toString(), plain.verbatim], ['ann', 'hello: world', true]);
  const cleaned = readLegacy(Buffer.from(' ann\u0007 : hi'));
  assert.deepEqual([cleaned.name, cleaned.verbatim], ['ann', false], 'what the seed sees must be what the room sees');
  assert.deepEqual([readLegacy(Buffer.from('Zoë: hi')).name, readLegacy(Buffer.from('Zoë: hi')).verbatim], ['Zoë', true]);
  assert.equal(readLegacy(Buffer.from('x'.repeat(33) + ': hi')).name, 'x'.repeat(32));
  assert.equal(readLegacy(Buffer.from(`ann: ${'y'.repeat(1100)}`)).verbatim, false, 'too long for one seed datagram');
  assert.throws(() => readLegacy(Buffer.from('ann: \u00a0 ')), /no text/);
});

test('seed datagrams: name: text, and long text split on character boundaries', () => {
  assert.deepEqual(decodeLegacy(Buffer.from('ann: hello: world')), { name: 'ann', text: 'hello: world' });
  assert.throws(() => decodeLegacy(Buffer.from('no separator')), /no "name: " in front/);
  assert.throws(() => decodeLegacy(Buffer.from('\u0007: hi')), /no name/);
  assert.deepEqual(decodeLegacy(Buffer.from('\u001b[31mevil\u0007: hi')), { name: '[31mevil', text: 'hi' });
  assert.throws(() => decodeLegacy(Buffer.from([0x61, 0x3a, 0x20, 0xff])), /not valid UTF-8/);
  assert.throws(() => decodeLegacy(Buffer.from('ann: ')), /no text/);
  assert.throws(() => decodeLegacy(Buffer.alloc(0)), /empty/);
  const text = 'ab' + '€'.repeat(1000); // 3-byte characters straddle every 1024-byte boundary
  const pieces = encodeLegacy('zoë', text);
  assert.ok(pieces.length > 2);
  let joined = '';
  for (const piece of pieces) {
    assert.ok(piece.length <= 1024);
    const s = new TextDecoder('utf-8', { fatal: true }).decode(piece); // the seed's decode must not fail
    assert.ok(s.startsWith('zoë: '));
    joined += s.slice('zoë: '.length);
  }
  assert.equal(joined, text);
});
