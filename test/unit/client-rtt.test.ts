// The RTT estimator on its own: RFC 9002's smoothing, the probe timeout's floor, doubling and cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RttEstimator } from '../../src/chat/client/rtt';

test('before any sample the probe timeout rests on the initial RTT: a first Hello is retried after about 1 s', () => {
  const rtt = new RttEstimator(333, 25, 1000);
  assert.equal(rtt.pto(), 333 + 4 * 166.5);
});

test('the first sample replaces the guess; later ones are smoothed as RFC 9002 says', () => {
  const rtt = new RttEstimator(333, 1, 10_000);
  rtt.sample(10);
  assert.equal(rtt.smoothed, 10);
  assert.equal(rtt.pto(), 10 + 4 * 5);
  rtt.sample(20);
  assert.equal(rtt.smoothed, 0.875 * 10 + 0.125 * 20);
  assert.equal(rtt.pto(), 11.25 + 4 * (0.75 * 5 + 0.25 * 10));
  assert.equal(rtt.latest, 20);
});

test('on a fast path the probe timeout stays at its floor (max_ack_delay), never below', () => {
  const rtt = new RttEstimator(333, 25, 1000);
  for (let i = 0; i < 20; i++) rtt.sample(0.2);
  assert.equal(rtt.pto(), 25);
});

test('each probe timeout in a row without a word from the relay doubles it, up to the cap; anything heard resets it', () => {
  const rtt = new RttEstimator(333, 25, 1000);
  rtt.sample(1);
  const seen: number[] = [];
  for (let i = 0; i < 7; i++) {
    seen.push(rtt.pto());
    rtt.expired();
  }
  assert.deepEqual(seen, [25, 50, 100, 200, 400, 800, 1000]);
  assert.equal(rtt.silentProbes, 7);
  rtt.heard();
  assert.equal(rtt.silentProbes, 0);
  assert.equal(rtt.pto(), 25);
  assert.equal(rtt.pto(2), 100, 'a count of its own (the first join counts its Hellos)');
});
