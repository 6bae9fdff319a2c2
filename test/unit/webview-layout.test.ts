// The chat panel's pure helpers: the composer's byte limit and the virtualized list's offsets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkDraft, utf8Length } from '../../src/webview/draft';
import { Heights } from '../../src/webview/heights';

describe('webview draft: size limit before sending', () => {
  it('counts UTF-8 bytes like the wire does', () => {
    for (const s of ['', 'abc', 'é', '€', '👍', 'a👍é€\n', '\ud800x', 'x\udc00']) {
      assert.equal(utf8Length(s), Buffer.byteLength(s, 'utf8'), JSON.stringify(s));
    }
  });

  it('an ordinary draft can be sent and shows no count', () => {
    assert.deepEqual(checkDraft('hello', 65536), { canSend: true, bytes: 5, count: '', problem: '' });
  });

  it('near the limit the count is shown; at the limit it can still be sent', () => {
    const at = checkDraft('a'.repeat(65536), 65536);
    assert.equal(at.canSend, true);
    assert.equal(at.count, '65,536 / 65,536 bytes');
    assert.equal(checkDraft('a'.repeat(53000), 65536).count, '53,000 / 65,536 bytes');
    assert.equal(checkDraft('a'.repeat(52000), 65536).count, '');
  });

  it('over the limit it cannot be sent and says by how much', () => {
    const over = checkDraft('€'.repeat(21846), 65536); // 65,538 bytes
    assert.equal(over.canSend, false);
    assert.equal(over.count, '65,538 / 65,536 bytes');
    assert.match(over.problem, /Remove 2 bytes\.$/);
  });

  it('empty and whitespace-only drafts cannot be sent', () => {
    assert.equal(checkDraft('', 100).canSend, false);
    assert.equal(checkDraft('', 100).problem, '');
    const blank = checkDraft(' \n\t ', 100);
    assert.equal(blank.canSend, false);
    assert.match(blank.problem, /empty message cannot be sent/);
  });
});

describe('webview heights: offsets of a virtualized list', () => {
  const make = (hs: number[]): Heights => {
    const h = new Heights();
    h.reset(hs);
    return h;
  };

  it('offsets are running sums and indexAt finds the row at a pixel', () => {
    const h = make([10, 20, 30]);
    assert.deepEqual([0, 1, 2, 3].map((i) => h.offset(i)), [0, 10, 30, 60]);
    assert.equal(h.total, 60);
    assert.deepEqual([0, 9, 10, 29, 30, 59, 1000, -5].map((y) => h.indexAt(y)), [0, 0, 1, 1, 2, 2, 2, 0]);
    assert.deepEqual(h.range(15, 35), [1, 3]);
  });

  it('set, push, insert and remove keep the sums right', () => {
    const h = make([10, 10, 10]);
    assert.equal(h.set(1, 10.2), false); // rounding noise is not a change
    assert.equal(h.set(1, 25), true);
    assert.equal(h.total, 45);
    h.push(5);
    assert.equal(h.offset(3), 45);
    assert.equal(h.total, 50);
    h.insert(0, 100);
    assert.equal(h.offset(1), 100);
    assert.equal(h.total, 150);
    h.remove(1);
    assert.deepEqual([0, 1, 2, 3].map((i) => h.offset(i)), [0, 100, 125, 135]);
    assert.equal(h.length, 4);
  });

  it('an empty list has no rows and no height', () => {
    const h = make([]);
    assert.equal(h.total, 0);
    assert.deepEqual(h.range(0, 100), [0, 0]);
  });

  it('10,000 rows: appends stay cheap', () => {
    const h = make(Array.from({ length: 10000 }, () => 40));
    assert.equal(h.total, 400000);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      h.push(40);
      h.set(h.length - 1, 42);
      h.indexAt(h.total - 500);
    }
    assert.ok(performance.now() - t0 < 50);
    assert.equal(h.total, 400000 + 1000 * 42);
  });
});
