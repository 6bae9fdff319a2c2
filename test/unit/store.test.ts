// The store's pure parts: the record codec (its size follows its content, damage is never read as
// another message) and the recovery that decides which records to believe and what the head is.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { encodeRecord, MAX_RECORD_BYTES, scanRecord, type StoredMessage } from '../../src/chat/relay/store/record';
import { Newest, Recovery } from '../../src/chat/relay/store/recovery';

const msg = (seq: number, text = `message ${seq}`): StoredMessage => ({
  seq, time: 1_700_000_000_000 + seq, senderId: '0123456789abcdef', legacy: false, name: 'ann', msgId: seq, body: { kind: 'text', text },
});

describe('store record', () => {
  it('round-trips text, snippets and seed messages exactly', () => {
    const cases: StoredMessage[] = [
      msg(1),
      { ...msg(2, 'const a = 1;\n'), body: { kind: 'snippet', text: 'const a = 1;\n', path: 'src/é.ts', startLine: 3, endLine: 4, language: 'typescript' } },
      { ...msg(3, 'hi from python'), legacy: true, senderId: '0000000000000000', name: 'bob' },
      msg(0xffffffff, '\x00\x1b[2J\u202e 😀 '.repeat(100)),
    ];
    for (const m of cases) {
      const r = scanRecord(encodeRecord(m), 0, true);
      assert.ok(r !== 'more' && r.kind === 'record');
      assert.deepEqual(r.message, m);
    }
  });

  it('takes about as many bytes as its text, even when the text is all control characters', () => {
    const text = '\x01\x02\x1b\x7f'.repeat(256); // 1 KiB that JSON would write as ~5 KiB
    const bytes = encodeRecord(msg(1, text)).length;
    assert.ok(bytes < text.length + 64, `${bytes} bytes for ${text.length} of text`);
  });

  it('a flipped bit anywhere is found: never read as a different message', () => {
    const rec = encodeRecord(msg(41, 'the answer'));
    for (let i = 0; i < rec.length * 8; i++) {
      const bad = Buffer.from(rec);
      bad[i >> 3] ^= 1 << (i & 7);
      const r = scanRecord(bad, 0, true);
      assert.ok(r !== 'more' && r.kind !== 'record', `bit ${i} flipped was read as a record`);
    }
  });

  it('a record cut short is torn at the end of the file, and waits for more before it', () => {
    const rec = encodeRecord(msg(7));
    for (const cut of [1, 4, 11, 12, 20, rec.length - 1]) {
      const r = scanRecord(rec.subarray(0, cut), 0, true);
      assert.ok(r !== 'more' && r.kind === 'torn', `cut at ${cut}`);
      assert.equal(scanRecord(rec.subarray(0, cut), 0, false), 'more');
    }
  });

  it('a header claiming more than any message is damage, not a long record', () => {
    const rec = encodeRecord(msg(7));
    rec.writeUInt32BE(MAX_RECORD_BYTES, 4); // the header's CRC catches this first; mend it to test the bound
    rec.writeUInt32BE(crc32(rec.subarray(0, 8)), 8);
    const r = scanRecord(rec, 0, true);
    assert.ok(r !== 'more' && r.kind === 'bad');
  });
});

/** Feeds a store's contents to a Recovery: numbers are records, 'x' a damaged record, 'g' garbage. */
function recover(items: (number | 'x' | 'g' | 'torn')[], floor = 0): { seqs: number[]; head: number; holes: [number, number][]; damaged: number } {
  const seqs: number[] = [];
  const r = new Recovery<{ seq: number }>((rec) => seqs.push(rec.seq));
  for (const it of items) {
    if (it === 'x') r.damagedRecord();
    else if (it === 'g') r.damage(100);
    else if (it === 'torn') r.tornRecord();
    else r.record({ seq: it }, 100);
  }
  const head = r.finish(floor);
  return { seqs, head, holes: r.holes.map((h) => [h.from, h.to]), damaged: r.damaged };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('store recovery', () => {
  it('a healthy store is read as written, from wherever its history begins', () => {
    assert.deepEqual(recover(range(500, 520)), { seqs: range(500, 520), head: 520, holes: [], damaged: 0 });
    assert.deepEqual(recover([9]), { seqs: [9], head: 9, holes: [], damaged: 0 });
    assert.deepEqual(recover([]), { seqs: [], head: 0, holes: [], damaged: 0 });
  });

  it('garbage in the middle: the records after it are kept and its seqs are holes', () => {
    const r = recover([...range(1, 10), 'g', 'x', ...range(14, 20)]);
    assert.deepEqual(r.seqs, [...range(1, 10), ...range(14, 20)]);
    assert.deepEqual(r.holes, [[11, 13]]);
    assert.equal(r.head, 20);
  });

  it('a seq flipped high or low costs that one message, not those after it', () => {
    for (const wrong of [1_000_050, 2 ** 32 - 1, 10, 50 - 1]) {
      const items = range(1, 100).map((s) => (s === 50 ? wrong : s));
      const r = recover(items);
      assert.deepEqual(r.seqs, range(1, 100).filter((s) => s !== 50), `seq 50 read as ${wrong}`);
      assert.deepEqual(r.holes, [[50, 50]]);
      assert.equal(r.head, 100);
    }
  });

  it('a wrong seq on the last record cannot move the head far ahead, nor back', () => {
    const r = recover([...range(1, 9), 4_000_000_000]);
    assert.deepEqual(r.seqs, range(1, 9));
    assert.equal(r.head, 10, 'its own seq stays used');
  });

  it('damage at the end: its seqs stay used, counted generously', () => {
    assert.equal(recover([...range(1, 9), 'x']).head, 10);
    assert.equal(recover([...range(1, 9), 'x', 'x', 'x']).head, 12);
    // 100 bytes of garbage where average records are 100 bytes: at least one more.
    assert.ok(recover([...range(1, 9), 'x', 'g']).head >= 11);
    // A readable record after the damage is believed even alone: the damage explains the gap.
    const r = recover([...range(1, 9), 'g', 15]);
    assert.deepEqual(r.seqs, [...range(1, 9), 15]);
    assert.deepEqual(r.holes, [[10, 14]]);
  });

  it('a write cut short was never acknowledged: no hole, the head stays', () => {
    assert.deepEqual(recover([...range(1, 5), 'torn']), { seqs: range(1, 5), head: 5, holes: [], damaged: 0 });
  });

  it('the head is never below what the segment headers say was given', () => {
    assert.equal(recover([], 77).head, 77);
    assert.equal(recover(range(1, 5), 9).head, 9);
  });

  it('records out of order cannot delete the ones that came before', () => {
    const r = recover([...range(1, 20), 5, 6, 7, ...range(21, 30)]);
    assert.deepEqual(r.seqs, range(1, 30));
    assert.equal(r.head, 30);
  });
});

describe('store newest', () => {
  it('keeps the newest by count and by bytes', () => {
    const n = new Newest<number>(3, 1000);
    for (let i = 1; i <= 5000; i++) n.push(i, 10);
    assert.deepEqual(n.list(), [4998, 4999, 5000]);
    const b = new Newest<number>(100, 25);
    for (let i = 1; i <= 10; i++) b.push(i, 10);
    assert.deepEqual(b.list(), [9, 10]);
    const big = new Newest<number>(100, 5);
    big.push(1, 50);
    assert.deepEqual(big.list(), [1], 'one record is kept however large');
  });
});
