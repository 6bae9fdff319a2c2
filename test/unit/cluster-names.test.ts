// The cluster's pure parts on their own: the --cluster address list (and what it refuses, with the
// sentence a user reads), NATS names for a room, the marks' text form, presence entries another relay
// wrote (hostile ones included), and how a follower tells a repeat from a first copy.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterServers } from '../../src/chat/cluster/connect';
import { Repeats } from '../../src/chat/cluster/follower';
import { authorOfSubject, authorSubject, checkMsgId, decodeMark, dedupeId, describeRoom, encodeMark, laterMark, roomIdOf, streamName } from '../../src/chat/cluster/names';
import { decodeEntry, encodeEntry } from '../../src/chat/cluster/presence';

describe('--cluster addresses', () => {
  it('takes one or more nats:// or tls:// HOST:PORT, IPv6 too', () => {
    assert.deepEqual(parseClusterServers('nats://127.0.0.1:4222'), ['nats://127.0.0.1:4222']);
    assert.deepEqual(parseClusterServers(' nats://a.example:4222, tls://[::1]:4223 ,'), ['nats://a.example:4222', 'tls://[::1]:4223']);
  });

  const refused: [string, RegExp][] = [
    ['', /Give the NATS servers as nats:\/\/HOST:PORT/],
    ['127.0.0.1:4222', /use nats:\/\/HOST:PORT/],
    ['http://127.0.0.1:4222', /must start with nats:\/\//],
    ['nats://127.0.0.1', /use nats:\/\/HOST:PORT/],
    ['nats://127.0.0.1:4222/x', /use nats:\/\/HOST:PORT/],
    ['nats://relay:secret@127.0.0.1:4222', /not in the address: a command line is visible to every user/],
    ['nats://127.0.0.1:99999', /not a NATS server address/],
  ];
  for (const [spec, message] of refused) {
    it(`refuses ${JSON.stringify(spec)} with a clear sentence`, () => {
      assert.throws(() => parseClusterServers(spec), (e: Error & { code?: string }) => e.code === 'BAD_OPTION' && message.test(e.message));
    });
  }
});

describe('NATS names for a room', () => {
  it('puts the room and the author in stream and subject names, and reads the author back', () => {
    assert.equal(streamName('main'), 'WUDP_main');
    assert.equal(authorSubject('main', '0123456789abcdef'), 'wudp.main.msg.0123456789abcdef');
    assert.equal(authorOfSubject('main', 'wudp.main.msg.0123456789abcdef'), '0123456789abcdef');
    assert.equal(authorOfSubject('main', 'wudp.other.msg.0123456789abcdef'), undefined);
    assert.equal(authorOfSubject('main', 'wudp.main.msg.a.b'), undefined);
    assert.equal(dedupeId('abcd', 7), 'abcd:7');
  });

  it('refuses names that would break a subject (dots, wildcards, spaces) and msgIds outside u32', () => {
    for (const bad of ['', 'a.b', 'a*', 'a>', 'a b', 'x'.repeat(33)]) assert.throws(() => streamName(bad), RangeError);
    for (const bad of ['', 'a.b', '*', '>']) assert.throws(() => authorSubject('main', bad), RangeError);
    for (const bad of [0, -1, 1.5, 2 ** 32, NaN]) assert.throws(() => checkMsgId(bad), RangeError);
    assert.equal(checkMsgId(2 ** 32 - 1), 2 ** 32 - 1);
  });

  it('keeps the roomId in the stream description, and nothing else passes for one', () => {
    assert.equal(roomIdOf(describeRoom('00112233445566ff')), '00112233445566ff');
    for (const d of [undefined, '', 'WhatsUDP room 0011', 'WhatsUDP room 00112233445566FF', 'my stream']) assert.equal(roomIdOf(d), undefined);
  });
});

describe('author marks', () => {
  const roomId = '00112233445566ff';
  it('round-trip, and a mark of another room or a damaged one counts as none', () => {
    const m = { roomId, msgId: 4_000_000_000, seq: 123_456 };
    assert.deepEqual(decodeMark(encodeMark(m), roomId), m);
    assert.equal(decodeMark(encodeMark(m), 'ffffffffffffffff'), undefined);
    for (const bad of ['', `${roomId} 0 1`, `${roomId} 1 0`, `${roomId} 4294967296 1`, `${roomId} 1 1 1`, `${roomId} -1 1`, `${roomId}  1 1`]) {
      assert.equal(decodeMark(bad, roomId), undefined, bad);
    }
  });

  it('the later msgId wins', () => {
    const a = { roomId, msgId: 5, seq: 10 };
    const b = { roomId, msgId: 7, seq: 9 };
    assert.equal(laterMark(a, b), b);
    assert.equal(laterMark(b, a), b);
    assert.equal(laterMark(undefined, a), a);
    assert.equal(laterMark(a, undefined), a);
  });
});

describe('presence entries from other relays', () => {
  it('round-trip', () => {
    const e = { clientId: '0123456789abcdef', name: 'Zoë', presence: 'away' as const, relay: 'relay-2', memberId: 42 };
    assert.deepEqual(decodeEntry(e.clientId, encodeEntry(e)), e);
  });

  it('refuses what is not one, whatever it holds', () => {
    const good = { n: 'Ann', p: 'online', r: 'A', m: 1 };
    const bad: [string, string][] = [
      ['0123456789abcdef', 'not json'],
      ['0123456789abcdef', 'null'],
      ['0123456789abcdef', '[]'],
      ['0123456789abcdef', JSON.stringify({ ...good, n: '' })],
      ['0123456789abcdef', JSON.stringify({ ...good, n: 'x'.repeat(129) })],
      ['0123456789abcdef', JSON.stringify({ ...good, n: 5 })],
      ['0123456789abcdef', JSON.stringify({ ...good, p: 'busy' })],
      ['0123456789abcdef', JSON.stringify({ ...good, r: '' })],
      ['0123456789abcdef', JSON.stringify({ ...good, m: -1 })],
      ['0123456789abcdef', JSON.stringify({ ...good, m: 1.5 })],
      ['0123456789abcdef', JSON.stringify({ ...good, m: 2 ** 32 })],
      ['a.b', JSON.stringify(good)],
    ];
    for (const [key, text] of bad) assert.equal(decodeEntry(key, text), undefined, `${key} ${text}`);
  });
});

describe('repeats', () => {
  it('a record whose msgId is not past its author\'s last repeats the earlier copy, whichever relay judges', () => {
    const judge = (): number[] => {
      const r = new Repeats();
      return [
        r.firstSeq('a', 1, 1),
        r.firstSeq('b', 1, 2),
        r.firstSeq('a', 2, 3),
        r.firstSeq('a', 2, 4), // the second copy of (a, 2)
        r.firstSeq('b', 2, 5),
        r.firstSeq('a', 1, 6), // a late copy of (a, 1)
      ];
    };
    assert.deepEqual(judge(), [1, 2, 3, 3, 5, 1]);
    assert.deepEqual(judge(), judge());
  });

  it('stays bounded: a copy of a forgotten msgId is still a repeat, its first seq 0', () => {
    const r = new Repeats(2, 2);
    for (let id = 1; id <= 5; id++) r.firstSeq('a', id, id);
    assert.equal(r.firstSeq('a', 1, 6), 0);
    assert.equal(r.firstSeq('a', 5, 7), 5);
    r.firstSeq('b', 1, 8);
    r.firstSeq('c', 1, 9); // 'a' is now the least recently seen of three: forgotten
    assert.equal(r.firstSeq('a', 5, 10), 10, 'a forgotten author starts afresh');
  });
});
