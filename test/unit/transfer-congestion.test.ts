// Issue 14: a transfer's congestion control is RFC 9002's NewReno over chunks, with pacing, so a
// 16 MiB upload backs off when the path loses chunks instead of flooding the relay and the chat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INITIAL_WINDOW, MINIMUM_WINDOW, NewReno, Pacer } from '../../src/chat/transfer/congestion';
import { Pipe } from '../../src/chat/transfer/pipe';

test('slow start grows the window by one chunk per chunk acked, then by one per window', () => {
  const cc = new NewReno();
  assert.equal(cc.window, INITIAL_WINDOW);
  cc.onSent(10);
  for (let i = 0; i < 10; i++) cc.onAcked(1);
  assert.equal(cc.window, 20);
  cc.onLost(1, 2, 3);
  assert.equal(cc.window, 10);
  assert.equal(cc.inSlowStart, false);
  for (let i = 0; i < 10; i++) cc.onAcked(4); // sent after recovery began at 3
  assert.ok(cc.window > 10.9 && cc.window < 11.1, 'congestion avoidance: about +1 per window');
});

test('the window is halved once per recovery period, never below the minimum', () => {
  const cc = new NewReno();
  cc.onSent(10);
  cc.onLost(1, 100, 200); // recovery starts at 200
  assert.equal(cc.window, 5);
  cc.onLost(1, 150, 210); // sent before recovery began: same loss event
  cc.onLost(1, 200, 220);
  assert.equal(cc.window, 5);
  cc.onAcked(190); // acked, but sent before recovery: no growth
  assert.equal(cc.window, 5);
  cc.onLost(1, 250, 300); // a new loss event
  assert.equal(cc.window, 2.5);
  cc.onLost(1, 400, 500);
  assert.equal(cc.window, MINIMUM_WINDOW);
  assert.equal(cc.counts.lossEvents, 3);
});

test('persistent congestion drops the window to the minimum', () => {
  const cc = new NewReno();
  for (let i = 0; i < 20; i++) cc.onAcked(0);
  cc.onPersistentCongestion();
  assert.equal(cc.window, MINIMUM_WINDOW);
  assert.equal(NewReno.persistentCongestion(100), 300);
});

test('pacing lets a burst of the initial window go, then N * window / srtt chunks per ms', () => {
  const cc = new NewReno();
  assert.equal(cc.pacingRate(10), (1.25 * 10) / 10);
  const pacer = new Pacer(() => 0.5); // a chunk every 2 ms
  assert.equal(pacer.take(100, 0), INITIAL_WINDOW);
  assert.equal(pacer.take(100, 0), 0);
  assert.equal(pacer.nextAt(0), 2);
  assert.equal(pacer.take(100, 4), 2);
});

/** A pipe whose sends are recorded. */
function pipe(chunks: number) {
  const sent: number[][] = [];
  const p = new Pipe(chunks, { send: (i) => sent.push([...i]) }, 10);
  return { p, sent, flat: () => sent.flat() };
}

test('a chunk 3 sends behind the largest acked is lost and goes again before new ones; the window halves', () => {
  const { p, sent, flat } = pipe(100);
  p.tick(0);
  assert.deepEqual(flat(), [...Array(10).keys()]);
  for (const i of [1, 2, 3, 4]) p.ack(i, 5); // 0 is 4 sends behind 4
  sent.length = 0;
  p.tick(5);
  assert.equal(p.cc.counts.lossEvents, 1);
  assert.equal(flat()[0], 0, 'the lost chunk first');
  assert.equal(p.counts.resent, 1);
  assert.equal(p.cc.window, (10 + 4) / 2);
});

test('with no ack for a PTO the oldest chunk is probed, and the next PTO is twice as long', () => {
  const { p, sent, flat } = pipe(100);
  p.tick(0);
  sent.length = 0;
  const first = p.tick(1)!;
  assert.ok(first > 1);
  p.tick(first);
  assert.deepEqual(flat(), [0]);
  const second = p.tick(first)!;
  assert.ok(second - first >= 2 * (first - 0) - 1, `backoff: ${first} then ${second}`);
  assert.equal(p.counts.ptos, 1);
  assert.equal(p.cc.window, INITIAL_WINDOW, 'a probe alone does not shrink the window');
});

test('after a rejoin only what the relay says it lacks is sent again', () => {
  const { p, sent, flat } = pipe(20);
  p.tick(0);
  for (let i = 0; i < 10; i++) p.ack(i, 1);
  sent.length = 0;
  p.restart([{ from: 3, count: 1 }, { from: 10, count: 10 }], 20);
  assert.equal(p.acked, 9);
  for (let t = 2; t < 200 && !p.complete; t += 5) {
    p.tick(t);
    for (const i of flat()) p.ack(i, t + 1);
  }
  assert.ok(p.complete);
  assert.deepEqual([...new Set(flat())].sort((a, b) => a - b), [3, ...Array.from({ length: 10 }, (_, i) => 10 + i)]);
});
