// The relay's member records, roster pages, unvalidated addresses, cookies and rate limits on their
// own, no sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '../../src/protocol/codec';
import { MAX_DATAGRAM, PacketType, Presence, type Hello, type Roster } from '../../src/protocol/packets';
import { TokenBucket } from '../../src/chat/limits';
import { CookieJar } from '../../src/chat/relay/cookies';
import { Members, rosterPages } from '../../src/chat/relay/members';
import { AMPLIFICATION_FACTOR, Strangers } from '../../src/chat/relay/strangers';

const LIMITS = { maxMembers: 3, membersPerHost: 1000, addressPacketsPerSecond: 100, addressBurst: 100, memberMessagesPerSecond: 10, memberBurst: 10 };
const id = (n: number) => Buffer.alloc(8, n);
const hello = (n: number, name = `m${n}`, flags = 0): Hello => ({ type: PacketType.Hello, clientId: id(n), name, flags, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie: Buffer.alloc(0) });
const at = (port: number, host = '127.0.0.1') => ({ host, port });

test('a new client joins; the same client again is known, renamed or moved, and found at its new address', () => {
  const ms = new Members(LIMITS);
  const joined = ms.admit(hello(1), at(1000), undefined, 0);
  assert.equal(joined.kind, 'joined');
  const m = ms.at('127.0.0.1', 1000)!;
  assert.equal(m.name, 'm1');
  const v = ms.rosterVersion;
  assert.equal(ms.admit(hello(1, 'ann'), at(1000), m, 0).kind, 'known');
  assert.equal(m.name, 'ann');
  assert.ok(ms.rosterVersion !== v, 'a rename changes the roster');
  assert.equal(ms.admit(hello(1, 'ann'), at(2000), undefined, 0).kind, 'known');
  assert.equal(ms.at('127.0.0.1', 1000), undefined);
  assert.equal(ms.at('127.0.0.1', 2000), m);
  assert.equal(ms.size, 1);
});

test('members on different hosts with the same port are told apart', () => {
  const ms = new Members(LIMITS);
  ms.admit(hello(1), at(5000, '10.0.0.1'), undefined, 0);
  ms.admit(hello(2), at(5000, '10.0.0.2'), undefined, 0);
  ms.admit(hello(3), at(5000, '10.0.0.3'), undefined, 0);
  assert.deepEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((h) => ms.at(h, 5000)?.name), ['m1', 'm2', 'm3']);
  assert.ok(ms.drop(ms.at('10.0.0.2', 5000)!));
  assert.deepEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((h) => ms.at(h, 5000)?.name), ['m1', undefined, 'm3']);
  assert.deepEqual(ms.all().map((m) => m.name).sort(), ['m1', 'm3']);
});

test('another client at a member\'s address replaces it; a full room admits no one new', () => {
  const ms = new Members(LIMITS);
  for (let n = 1; n <= 3; n++) ms.admit(hello(n), at(1000 + n), undefined, 0);
  assert.equal(ms.admit(hello(9), at(5000), undefined, 0).kind, 'full');
  const first = ms.at('127.0.0.1', 1001)!;
  const taken = ms.admit(hello(8), at(1001), first, 0);
  assert.equal(taken.kind, 'joined', 'the old one was dropped first, so there is room');
  assert.equal(taken.replaced, first);
  assert.equal(ms.at('127.0.0.1', 1001)?.name, 'm8');
});

test('a silent member goes away after 1.5 heartbeats, and its lease ends after the lease beats', () => {
  const ms = new Members(LIMITS);
  ms.admit(hello(1), at(1000), undefined, 0);
  const m = ms.at('127.0.0.1', 1000)!;
  m.heartbeatMs = 1000;
  assert.deepEqual(ms.expired(1400, 3), []);
  assert.deepEqual(ms.expired(1600, 3), []);
  assert.equal(m.presence, Presence.Away);
  ms.heard(m, 1700);
  assert.equal(m.presence, Presence.Online, 'anything from it brings it back');
  assert.deepEqual(ms.expired(4800, 3), [m]);
});

test('the heartbeat period grows with the room beyond the configured one', () => {
  const ms = new Members({ ...LIMITS, maxMembers: 1000 });
  for (let n = 0; n < 600; n++) ms.admit(hello(n % 250, `m${n}`), at(1000 + n), undefined, 0);
  assert.equal(ms.size, 250, 'the same client ids move rather than join twice');
  assert.equal(ms.heartbeatMs(5000), 5000);
  for (let n = 0; n < 600; n++) ms.admit({ ...hello(0), clientId: Buffer.from((n + 0x10000).toString(16).padStart(16, '0'), 'hex') }, at(3000 + n), undefined, 0);
  assert.equal(ms.heartbeatMs(5000), 8500, '850 members x 10 ms');
});

test('roster pages hold every member once, within 1200 bytes each, names of any length', () => {
  const members = Array.from({ length: 300 }, (_, i) => ({ memberId: i + 1, clientId: id(i % 256), name: i % 7 ? `member ${i}` : '🚀'.repeat(32), presence: i % 3 ? Presence.Online : Presence.Away }));
  const pages = rosterPages(42, members);
  assert.ok(pages.length > 1);
  const seen: number[] = [];
  for (const [i, page] of pages.entries()) {
    assert.ok(page.length <= MAX_DATAGRAM, `page ${i}: ${page.length} bytes`);
    const p = decode(page) as Roster;
    assert.deepEqual([p.version, p.page, p.pageCount], [42, i, pages.length]);
    seen.push(...p.entries.map((e) => e.memberId));
  }
  assert.deepEqual(seen, members.map((m) => m.memberId));
  assert.equal((decode(rosterPages(1, [])[0]) as Roster).entries.length, 0, 'an empty room is one empty page');
});

test('an unvalidated address is sent at most 3x what it sent, and the map of them is bounded', () => {
  const s = new Strangers(2, 100, 100);
  const a = s.get('10.0.0.1', 1, 0);
  a.bytesIn = 100;
  assert.ok(a.mayReceive(AMPLIFICATION_FACTOR * 100));
  assert.ok(!a.mayReceive(1));
  assert.equal(s.get('10.0.0.1', 1, 0), a, 'the same record for the same address');
  s.get('10.0.0.2', 1, 0);
  s.get('10.0.0.3', 1, 0);
  assert.equal(s.size, 2);
  assert.notEqual(s.get('10.0.0.1', 1, 0), a, 'the oldest went first');
});

test('a cookie is good for its address in its time bucket and the next, and nowhere else', () => {
  const jar = new CookieJar(60_000);
  const c = jar.mint('10.0.0.1|5000', 1_000);
  assert.ok(jar.check('10.0.0.1|5000', c, 1_000));
  assert.ok(jar.check('10.0.0.1|5000', c, 100_000), 'the next bucket');
  assert.ok(!jar.check('10.0.0.1|5000', c, 130_000), 'two buckets later');
  assert.ok(!jar.check('10.0.0.1|5001', c, 1_000), 'another port');
  assert.ok(!jar.check('10.0.0.1|5000', c.subarray(1), 1_000), 'a short one');
  assert.ok(!new CookieJar(60_000).check('10.0.0.1|5000', c, 1_000), 'another relay\'s secret');
});

test('a token bucket allows its burst, then its rate, and says how long to wait', () => {
  const b = new TokenBucket(10, 3, 0);
  assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
  assert.equal(b.waitMs(), 100);
  assert.equal(b.take(50), false);
  assert.equal(b.take(100), true, 'one token per 100 ms');
  assert.equal(b.take(10_000, 3), true, 'refilled, up to the burst');
  assert.equal(b.take(10_000), false, 'never beyond it');
});
