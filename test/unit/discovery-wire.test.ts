// What relays and browsers put on the network for discovery, without sockets: the TXT strings (one
// rule for mDNS and the probe answer: versioned, unknown keys ignored) and the broadcast probe's
// datagrams, with a table of malformed ones and the size rule against amplification.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError } from '../../src/chat/errors';
import { checkRelayInfo, clipUtf8, decodeTxt, encodeTxt, type RelayInfo } from '../../src/chat/discovery/info';
import { AMPLIFICATION, answerBudget, decodeDiscovery, encodeAnswer, encodeProbe, MIN_PROBE_BYTES, PROBE_BYTES, PROBE_PORT, LEGACY_PORT } from '../../src/chat/discovery/probe';

const FP = 'a'.repeat(26) + '234567'.repeat(4) + 'bb';
const info = (over: Partial<RelayInfo> = {}): RelayInfo => ({ id: '0123456789abcdef', name: 'ann-laptop', rooms: [{ name: 'main' }], sealed: [], ...over });

describe('discovery TXT strings', () => {
  it('round-trip what a relay announces, most important first', () => {
    const sent = info({ rooms: [{ name: 'main', id: 'fedcba9876543210' }, { name: 'dev' }], sealed: [{ name: 'team' }], fingerprint: FP });
    const txt = encodeTxt(sent);
    assert.deepEqual(txt.slice(0, 3), ['txtvers=1', 'id=0123456789abcdef', `fp=${FP}`]);
    assert.deepEqual(decodeTxt(txt), { version: 1, id: sent.id, name: 'ann-laptop', fingerprint: FP, rooms: sent.rooms, sealed: sent.sealed });
  });

  it('a relay without a key or rooms says so by leaving the keys out', () => {
    assert.deepEqual(encodeTxt(info({ rooms: [] })), ['txtvers=1', 'id=0123456789abcdef', 'name=ann-laptop']);
    assert.deepEqual(decodeTxt(encodeTxt(info({ rooms: [] }))), { version: 1, id: '0123456789abcdef', name: 'ann-laptop', rooms: [], sealed: [] });
  });

  it('ignores keys it does not know, and reads the first of a repeated key (RFC 6763 6.4)', () => {
    const seen = decodeTxt(['txtvers=1', 'id=0123456789abcdef', 'cluster=yes', 'rooms=main', 'rooms=evil', Buffer.from('flag'), 'name=x']);
    assert.deepEqual(seen.rooms, [{ name: 'main' }]);
    assert.equal(seen.name, 'x');
  });

  it('from a newer, incompatible version keeps only the id (the relay is still listed by address)', () => {
    assert.deepEqual(decodeTxt(['txtvers=2', 'id=0123456789ABCDEF', 'rooms=main', 'name=x']), { version: 2, id: '0123456789abcdef', rooms: [], sealed: [] });
  });

  it('skips what does not parse rather than failing the whole record', () => {
    const seen = decodeTxt([Buffer.from([0x74, 0x78, 0x3d, 0xff]), 'txtvers=1', 'id=nothex', 'fp=short', 'rooms=ok,bad room,,x@nothex,y@0123456789abcdef', 'sealed=', 'more=2']);
    assert.deepEqual(seen, { version: 1, rooms: [{ name: 'ok' }, { name: 'y', id: '0123456789abcdef' }], sealed: [] });
  });

  it('keeps each string within 255 bytes: rooms that do not fit are dropped and "more=1" says so', () => {
    const rooms = Array.from({ length: 40 }, (_, i) => ({ name: `room-number-${i}` }));
    const txt = encodeTxt(info({ rooms }));
    for (const s of txt) assert.ok(Buffer.byteLength(s) <= 255, s);
    assert.ok(txt.includes('more=1'));
    const seen = decodeTxt(txt);
    assert.ok(seen.rooms.length > 5 && seen.rooms.length < 40);
    assert.equal(seen.more, true);
  });

  it('clips the name to 63 bytes between characters', () => {
    const long = 'ü'.repeat(40); // 80 bytes
    assert.equal(clipUtf8(long, 63), 'ü'.repeat(31));
    assert.equal(checkRelayInfo(info({ name: long })).name, 'ü'.repeat(31));
    assert.equal(checkRelayInfo(info({ name: '  ' })).name, 'relay');
  });

  const refused: [Partial<RelayInfo>, RegExp][] = [
    [{ id: 'xyz' }, /relay id is 16 hex digits, not "xyz"/],
    [{ rooms: [{ name: 'has space' }] }, /room name is 1-64 letters.*not "has space"/],
    [{ sealed: [{ name: 'a,b' }] }, /not "a,b"/],
    [{ rooms: [{ name: 'main', id: '12' }] }, /room id is 16 hex digits, not "12"/],
    [{ fingerprint: 'ABC' }, /fingerprint is 52 characters a-z and 2-7, not "ABC"/],
  ];
  for (const [over, message] of refused) {
    it(`refuses to announce ${JSON.stringify(over)}`, () => {
      assert.throws(() => checkRelayInfo(info(over)), (err: unknown) => err instanceof ChatError && err.code === 'BAD_OPTION' && message.test(err.message));
    });
  }
});

describe('discovery probe datagrams', () => {
  const nonce = Buffer.from('0102030405060708', 'hex');

  it('uses a port of its own, never the original chat\'s', () => {
    assert.notEqual(PROBE_PORT, LEGACY_PORT);
    assert.ok(PROBE_PORT < 32768, 'below the ephemeral range, so --port 0 cannot land on it');
  });

  it('a probe is padded, starts with a byte that is never UTF-8, and decodes', () => {
    const probe = encodeProbe(nonce);
    assert.equal(probe.length, PROBE_BYTES);
    assert.equal(probe[0], 0xf9);
    assert.deepEqual(decodeDiscovery(probe), { type: 'probe', version: 1, nonce, bytes: PROBE_BYTES });
  });

  it('an answer is never larger than 3x the probe, and keeps the most important strings', () => {
    const txt = encodeTxt(info({ fingerprint: FP, rooms: Array.from({ length: 12 }, (_, i) => ({ name: `room-${i}` })) }));
    for (const probeBytes of [MIN_PROBE_BYTES, 100, PROBE_BYTES]) {
      const answer = encodeAnswer(nonce, 2410, txt, answerBudget(probeBytes));
      assert.ok(answer, `an answer to ${probeBytes} bytes`);
      assert.ok(answer.length <= AMPLIFICATION * probeBytes, `${answer.length} <= 3 x ${probeBytes}`);
      const decoded = decodeDiscovery(answer);
      assert.equal(decoded.type, 'answer');
      if (decoded.type !== 'answer') return;
      assert.equal(decoded.port, 2410);
      assert.deepEqual(decoded.txt.map(String), txt.slice(0, decoded.txt.length));
      assert.ok(decoded.txt.length >= 2);
    }
    assert.equal(encodeAnswer(nonce, 2410, txt, answerBudget(PROBE_BYTES))?.length, 14 + txt.reduce((n, s) => n + 1 + Buffer.byteLength(s), 0), 'all of it fits 3x a full probe');
  });

  it('a probe too short to be answered within 3x gets no answer', () => {
    assert.equal(answerBudget(MIN_PROBE_BYTES - 1), 0);
    assert.equal(encodeAnswer(nonce, 2410, encodeTxt(info()), answerBudget(MIN_PROBE_BYTES - 1)), undefined);
  });

  it('a probe of a later version is still a probe (bytes 0-11 keep their place)', () => {
    const v2 = Buffer.concat([encodeProbe(nonce), Buffer.from('future')]);
    v2[2] = 2;
    assert.deepEqual(decodeDiscovery(v2), { type: 'probe', version: 2, nonce, bytes: v2.length });
  });

  const answer = encodeAnswer(nonce, 2410, ['txtvers=1', 'id=0123456789abcdef'], 1200)!;
  const malformed: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /truncated in magic/],
    ['text', Buffer.from('sam: hello'), /not a WhatsUDP probe or answer/],
    ['a chat datagram', Buffer.from([0xf9, 1, 9, 0, 0, 0, 1]), /not a WhatsUDP probe or answer/],
    ['version 0', Buffer.from([0xf9, 0x44, 0, 1, ...nonce]), /version 0/],
    ['no nonce', Buffer.from([0xf9, 0x44, 1, 1, 1, 2]), /truncated in nonce/],
    ['an unknown type', Buffer.from([0xf9, 0x44, 1, 9, ...nonce]), /unknown type 9/],
    ['an answer without its port', answer.subarray(0, 13), /truncated in port/],
    ['an answer with a cut string', answer.subarray(0, answer.length - 1), /truncated in txt/],
    ['an answer with port 0', Buffer.from([...answer.subarray(0, 12), 0, 0]), /port 0/],
    ['an answer of version 2', Buffer.from([0xf9, 0x44, 2, 2, ...answer.subarray(4)]), /unsupported version 2/],
  ];
  for (const [what, buf, message] of malformed) {
    it(`refuses ${what}`, () => {
      assert.throws(() => decodeDiscovery(buf), (err: unknown) => err instanceof Error && err.name === 'ProtocolError' && message.test(err.message));
    });
  }
});
