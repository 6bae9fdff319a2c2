// After the handshake: every datagram sealed with its direction's key, opened once, in any order UDP
// delivers it within the window; replays, too-old numbers and forgeries are dropped and counted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CryptoError, nodeCrypto as c } from '../../src/protocol/crypto';
import { answerHandshake, finishHandshake, startHandshake, type SessionKeys } from '../../src/protocol/handshake';
import { REPLAY_WINDOW, ReplayWindow } from '../../src/protocol/replay-window';
import { REJECT_AFTER_PACKETS, REKEY_AFTER_PACKETS, SEAL_OVERHEAD, SessionOpener, SessionSealer } from '../../src/protocol/session-cipher';
import { seededRandom } from './helpers/random';

function session(): { client: SessionKeys; relay: SessionKeys } {
  const ctx = { relayAddress: 'relay.example:2410', cookie: c.random(16) };
  const p = startHandshake(c, c.signingKey(c.random(32)), ctx);
  const r = answerHandshake(c, c.signingKey(c.random(32)), ctx, p.hello);
  assert.ok(r.ok);
  const f = finishHandshake(c, p, r.reply);
  assert.ok(f.ok);
  return { client: f.keys, relay: r.keys };
}

const prefix = Uint8Array.from([0xf9, 2, 4, 1, 2, 3, 4, 5, 6, 7, 8]); // magic, version, type, session id
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

describe('session cipher', () => {
  test('a datagram sealed by the client opens at the relay, with its prefix in clear and 24 bytes added', () => {
    const { client, relay } = session();
    const sealer = new SessionSealer(c, client.send);
    const opener = new SessionOpener(c, relay.receive);
    const d = sealer.seal(prefix, text('hello room'));
    assert.equal(d.length, prefix.length + SEAL_OVERHEAD + 10);
    assert.deepEqual([...d.subarray(0, prefix.length)], [...prefix]);
    assert.ok(!Buffer.from(d).includes('hello room'), 'the payload is not in clear');
    const o = opener.open(d, prefix.length);
    assert.ok(o.ok);
    assert.equal(str(o.payload), 'hello room');
    assert.equal(o.packetNumber, 0);
    assert.equal(sealer.seal(prefix, text('x')).readUInt32BE(prefix.length + 4), 1, 'packet numbers count up');
  });

  test("the relay's own direction, another session, or another prefix length does not open it", () => {
    const a = session();
    const b = session();
    const d = new SessionSealer(c, a.client.send).seal(prefix, text('hi'));
    assert.deepEqual(new SessionOpener(c, a.relay.send).open(d, prefix.length), { ok: false, reason: 'forged' }, 'reflected');
    assert.deepEqual(new SessionOpener(c, b.relay.receive).open(d, prefix.length), { ok: false, reason: 'forged' }, 'other session');
    assert.equal(new SessionOpener(c, a.relay.receive).open(d, prefix.length - 1).ok, false, 'other prefix');
  });

  test('every single changed byte (prefix, packet number, ciphertext, tag) is refused as forged', () => {
    const { client, relay } = session();
    const d = new SessionSealer(c, client.send).seal(prefix, text('pay me 10 euros'));
    const opener = new SessionOpener(c, relay.receive);
    for (let i = 0; i < d.length; i++) {
      const bad = Buffer.from(d);
      bad[i] ^= 0x04;
      assert.deepEqual(opener.open(bad, prefix.length), { ok: false, reason: 'forged' }, `byte ${i}`);
    }
    assert.deepEqual(opener.open(d.subarray(0, prefix.length + SEAL_OVERHEAD - 1), prefix.length), { ok: false, reason: 'truncated' });
    assert.ok(opener.open(d, prefix.length).ok, 'the original still opens: forgeries moved nothing');
    assert.deepEqual(opener.counts, { opened: 1, truncated: 1, tooOld: 0, replayed: 0, forged: d.length });
  });

  test('a replayed datagram is dropped and counted; 3,000 datagrams reordered by up to 500 each open exactly once', () => {
    const { client, relay } = session();
    const sealer = new SessionSealer(c, client.send);
    const opener = new SessionOpener(c, relay.receive);
    const sent = Array.from({ length: 3000 }, (_, i) => sealer.seal(prefix, text(`m${i}`)));
    const rnd = seededRandom(6479);
    const order = sent.map((d, i) => ({ d, at: i + rnd() * 500 })).sort((x, y) => x.at - y.at);
    const got: string[] = [];
    for (const { d } of order) {
      const o = opener.open(d, prefix.length);
      assert.ok(o.ok);
      got.push(str(o.payload));
      assert.deepEqual(opener.open(d, prefix.length), { ok: false, reason: 'replayed' });
    }
    assert.equal(new Set(got).size, 3000);
    assert.equal(opener.counts.replayed, 3000);
  });

  test(`a datagram ${REPLAY_WINDOW} or more behind the newest is refused as too old, even if never seen`, () => {
    const { client, relay } = session();
    const sealer = new SessionSealer(c, client.send);
    const opener = new SessionOpener(c, relay.receive);
    const sent = Array.from({ length: REPLAY_WINDOW + 2 }, () => sealer.seal(prefix, text('x')));
    assert.ok(opener.open(sent[REPLAY_WINDOW + 1], prefix.length).ok);
    assert.deepEqual(opener.open(sent[1], prefix.length), { ok: false, reason: 'too-old' });
    assert.deepEqual(opener.open(sent[0], prefix.length), { ok: false, reason: 'too-old' });
    assert.ok(opener.open(sent[2], prefix.length).ok, 'the oldest number inside the window');
    assert.equal(opener.counts.tooOld, 2);
  });

  test('the sealer asks for a new handshake at 2^22 packets and refuses to seal past 2^23; the opener refuses such numbers', () => {
    const { client, relay } = session();
    const early = new SessionSealer(c, client.send, REKEY_AFTER_PACKETS - 1);
    early.seal(prefix, text('x'));
    assert.equal(early.wantsRekey, true);
    const last = new SessionSealer(c, client.send, REJECT_AFTER_PACKETS - 1);
    const d = last.seal(prefix, text('last one'));
    assert.ok(new SessionOpener(c, relay.receive).open(d, prefix.length).ok);
    assert.throws(() => last.seal(prefix, text('one more')), CryptoError);
    const beyond = Buffer.from(d);
    beyond.writeUInt32BE(REJECT_AFTER_PACKETS, prefix.length + 4);
    assert.deepEqual(new SessionOpener(c, relay.receive).open(beyond, prefix.length), { ok: false, reason: 'forged' });
  });
});

describe('replay window (RFC 6479)', () => {
  test('agrees with a plain set-of-numbers model over 20,000 random packet numbers with jumps', () => {
    const w = new ReplayWindow();
    const seen = new Set<number>();
    let top = -1;
    const rnd = seededRandom(2048);
    let base = 0;
    const verdicts = { new: 0, replayed: 0, 'too-old': 0 };
    for (let i = 0; i < 20000; i++) {
      const r = rnd();
      if (r < 0.01) base += Math.floor(rnd() * 5000); // a jump, sometimes past the whole ring
      const pn = r > 0.85 ? Math.max(0, top - Math.floor(rnd() * 64)) : Math.max(0, base + Math.floor((rnd() - 0.8) * 3000)); // some near the top, often seen
      const expected = pn > top ? 'new' : top - pn >= REPLAY_WINDOW ? 'too-old' : seen.has(pn) ? 'replayed' : 'new';
      assert.equal(w.check(pn), expected, `packet ${pn} with top ${top}`);
      verdicts[expected]++;
      if (expected === 'new' && rnd() < 0.9) {
        w.accept(pn);
        seen.add(pn);
        top = Math.max(top, pn);
        base = Math.max(base, pn);
      }
    }
    assert.equal(w.highest, top);
    for (const [v, n] of Object.entries(verdicts)) assert.ok(n > 150, `${v} came up ${n} times`);
  });

  test('the edges: the first packet, the window boundary, and a jump past the whole ring', () => {
    const w = new ReplayWindow();
    assert.equal(w.check(0), 'new');
    w.accept(0);
    assert.equal(w.check(0), 'replayed');
    w.accept(REPLAY_WINDOW);
    assert.equal(w.check(0), 'too-old');
    assert.equal(w.check(1), 'new');
    w.accept(100_000);
    assert.equal(w.check(100_000 - REPLAY_WINDOW + 1), 'new', 'old bits were cleared by the jump');
    assert.equal(w.check(REPLAY_WINDOW), 'too-old');
  });
});
