// The join on its own, with a clock of its own: Hello, Retry, Hello with the cookie, Welcome; Hellos
// retried on the probe timeout and, once joined, with a capped backoff; the first join's promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, type ConnectionState } from '../../src/chat';
import { Join } from '../../src/chat/client/join';
import { RttEstimator } from '../../src/chat/client/rtt';

const TIMERS = { joinTimeoutMs: 5000, rejoinMinMs: 250, rejoinMaxMs: 5000 };
const CONNECTED = { state: 'connected', roomId: '00000000000000aa', epoch: 7 } as const;

function setup(rtt = new RttEstimator(333, 25, 1000)) {
  const hellos: string[] = [];
  const states: ConnectionState[] = [];
  const join = new Join(rtt, TIMERS, '127.0.0.1:2410', {
    hello: (cookie) => hellos.push(cookie.toString('hex')),
    state: (s) => states.push(s),
  });
  return { join, hellos, states, rtt };
}

/** Runs the join's clock from `from` to `to` in 1 ms steps, calling due() at each deadline. */
function runClock(join: Join, from: number, to: number): number[] {
  const fired: number[] = [];
  for (let now = from; now <= to; now++) {
    if (now >= join.deadline()) {
      fired.push(now);
      if (join.due(now)) break;
    }
  }
  return fired;
}

test('Hello, Retry with a cookie, Hello with it, Welcome: joined, and the first join resolves', async () => {
  const { join, hellos, states, rtt } = setup();
  const joined = join.begin(1000);
  assert.deepEqual(hellos, ['']);
  join.retry(Buffer.from('c00c1e', 'hex'), 1004);
  assert.deepEqual(hellos, ['', 'c00c1e'], 'the second Hello carries the cookie');
  assert.equal(rtt.smoothed, 4, 'Hello to Retry is the first RTT sample');
  assert.equal(join.welcomes, true);
  join.welcomed(1010, CONNECTED);
  await joined;
  assert.equal(join.phase, 'joined');
  assert.equal(join.welcomes, false, 'a late second Welcome is not taken');
  assert.deepEqual(states, [CONNECTED], 'no "connecting" the first time: that is where a client starts');
  assert.equal(join.deadline(), Infinity);
});

test('an unanswered first Hello is retried on a doubling probe timeout, and the join gives up after joinTimeoutMs', async () => {
  const { join, hellos } = setup();
  const joined = join.begin(0);
  const fired = runClock(join, 0, 6000);
  assert.deepEqual(fired, [999, 1999, 2999, 3999, 4999, 5000], 'about 1 s, doubled to the 1 s cap; then the timeout');
  assert.equal(hellos.length, 6);
  await assert.rejects(joined, (e: unknown) => e instanceof ChatError && e.code === 'UNREACHABLE' && /No WhatsUDP relay answered at 127\.0\.0\.1:2410 within 5 s/.test(e.message));
});

test('once joined, a lost relay is asked again with a backoff from 250 ms to 5 s, and called offline after 3 tries', async () => {
  const { join, hellos, states } = setup();
  const joined = join.begin(0);
  join.welcomed(10, CONNECTED);
  await joined;
  hellos.length = 0;
  join.start('reconnecting', 'no answer from the relay', 20_000);
  assert.deepEqual(states.at(-1), { state: 'reconnecting', reason: 'no answer from the relay' });
  const fired = runClock(join, 20_000, 40_000).map((t) => t - 20_000);
  assert.deepEqual(fired.slice(0, 7), [250, 750, 1750, 3750, 7750, 12750, 17750]);
  assert.deepEqual(states.slice(2), [{ state: 'offline', reason: 'The relay at 127.0.0.1:2410 does not answer; still trying.' }], 'offline once, and still trying');
  join.welcomed(40_001, CONNECTED);
  assert.deepEqual(states.at(-1), CONNECTED);
});

test('a refusal fails the first join; later it leaves the client offline without retrying', async () => {
  const first = setup();
  const joined = first.join.begin(0);
  assert.equal(first.join.refused('the room is full'), true, 'the client closes');
  await assert.rejects(joined, (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && /refused to let us join: the room is full/.test(e.message));

  const later = setup();
  const p = later.join.begin(0);
  later.join.welcomed(5, CONNECTED);
  await p;
  later.join.start('connecting', '', 100); // a rename
  assert.equal(later.join.refused('bad name'), false);
  assert.deepEqual(later.states.at(-1), { state: 'offline', reason: 'The relay refused to let us join: bad name' });
  assert.equal(later.join.deadline(), Infinity, 'no Hello until asked');
});

test('closing before the first join fails it as closed, and says so once the socket is closed', async () => {
  const { join, states } = setup();
  const joined = join.begin(0);
  join.close();
  await assert.rejects(joined, (e: unknown) => e instanceof ChatError && e.code === 'CLOSED');
  assert.deepEqual(states, []);
  join.closed();
  assert.deepEqual(states, [{ state: 'closed' }]);
  assert.equal(join.due(10_000), false, 'nothing more is sent');
});
