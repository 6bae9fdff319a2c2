// The relay's sessions are kept small (issue 8: memory per member): the opener sets AES up per
// datagram from its key's words and keeps a smaller replay window, and what a session keeps is in
// memory of its own. None of that may change what opens and what is refused.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNobleCrypto, nodeCrypto, type Crypto } from '../../src/protocol/crypto';
import { answerHandshake, finishHandshake, startHandshake, type SessionKeys } from '../../src/protocol/handshake';
import { ReplayWindow } from '../../src/protocol/replay-window';
import { RecentCiphers, SessionOpener, SessionSealer } from '../../src/protocol/session-cipher';
import { encode } from '../../src/protocol/codec';
import { PacketType } from '../../src/protocol/packets';
import { RELAY_WINDOW_BLOCKS, RelaySessions, SEALER_IDLE_MS, type RelaySession } from '../../src/chat/relay/sessions';
import { frame, SEALED_PREFIX_BYTES, WELCOME_PREFIX_BYTES } from '../../src/protocol/v2';
import { seededRandom } from './helpers/random';

function session(c: Crypto): { client: SessionKeys; relay: SessionKeys } {
  const ctx = { relayAddress: 'relay.example:2410', cookie: c.random(16) };
  const p = startHandshake(c, c.signingKey(c.random(32)), ctx);
  const r = answerHandshake(c, c.signingKey(c.random(32)), ctx, p.hello);
  assert.ok(r.ok);
  const f = finishHandshake(c, p, r.reply);
  assert.ok(f.ok);
  return { client: f.keys, relay: r.keys };
}

const prefix = Uint8Array.from([0xf9, 2, 4, 1, 2, 3, 4, 5, 6, 7, 8]);
const text = (s: string) => new TextEncoder().encode(s);

let noble: Crypto;
before(async () => {
  noble = await loadNobleCrypto();
});

for (const name of ['node:crypto', '@noble'] as const) {
  describe(`the relay's compact opener (${name})`, () => {
    const backend = () => (name === 'node:crypto' ? nodeCrypto : noble);
    test('opens what a kept-key opener opens, and refuses the same replays and forgeries', () => {
      const c = backend();
      const { client, relay } = session(c);
      const sealer = new SessionSealer(c, client.send);
      const kept = new SessionOpener(c, relay.receive);
      const compact = new SessionOpener(c, relay.receive, { compact: true, windowBlocks: RELAY_WINDOW_BLOCKS });
      const sent = Array.from({ length: 300 }, (_, i) => sealer.seal(prefix, text(`message ${i}`)));
      const rnd = seededRandom(8);
      // Out of order, some twice, some bit-flipped first: both openers must say the same of each.
      const order = sent.map((d, i) => ({ d, i, at: i + Math.floor(rnd() * 40) })).sort((a, b) => a.at - b.at);
      let opened = 0;
      for (const { d, i } of order) {
        for (const copy of [rnd() < 0.1 ? flip(d, rnd) : undefined, d, rnd() < 0.2 ? d : undefined]) {
          if (!copy) continue;
          const a = kept.open(copy, prefix.length);
          const b = compact.open(copy, prefix.length);
          assert.deepEqual(b, a, `datagram ${i}`);
          if (b.ok) {
            assert.equal(new TextDecoder().decode(b.payload), `message ${i}`);
            opened++;
          }
        }
      }
      assert.equal(opened, 300, 'every datagram opened once');
      assert.deepEqual(compact.counts, kept.counts);
      assert.ok(compact.counts.replayed > 20 && compact.counts.forged > 10, JSON.stringify(compact.counts));
    });

    test(`keeps a window of ${(RELAY_WINDOW_BLOCKS - 1) * 32} packets: older ones are refused as too old`, () => {
      const c = backend();
      const { client, relay } = session(c);
      const sealer = new SessionSealer(c, client.send);
      const opener = new SessionOpener(c, relay.receive, { compact: true, windowBlocks: RELAY_WINDOW_BLOCKS });
      const size = opener.windowSize;
      assert.equal(size, (RELAY_WINDOW_BLOCKS - 1) * 32);
      const sent = Array.from({ length: size + 2 }, () => sealer.seal(prefix, text('x')));
      assert.ok(opener.open(sent[size + 1], prefix.length).ok);
      assert.ok(opener.open(sent[2], prefix.length).ok, 'just inside the window');
      assert.deepEqual(opener.open(sent[1], prefix.length), { ok: false, reason: 'too-old' });
      assert.deepEqual(opener.open(sent[2], prefix.length), { ok: false, reason: 'replayed' });
    });
  });
}

test('compact openers sharing a few kept AEADs each open their own datagrams, however they take turns', () => {
  const c = nodeCrypto;
  const recent = new RecentCiphers(4);
  const pairs = Array.from({ length: 12 }, () => {
    const { client, relay } = session(c);
    return { sealer: new SessionSealer(c, client.send), opener: new SessionOpener(c, relay.receive, { compact: true, recent }) };
  });
  const rnd = seededRandom(12);
  for (let i = 0; i < 600; i++) {
    const k = rnd() < 0.5 ? i % 3 : Math.floor(rnd() * pairs.length); // a few talk most, the rest now and then
    const d = pairs[k].sealer.seal(prefix, text(`from ${k}`));
    const other = pairs[(k + 1) % pairs.length].opener.open(d, prefix.length);
    assert.equal(other.ok, false, "another member's key does not open it");
    const o = pairs[k].opener.open(d, prefix.length);
    assert.ok(o.ok, `datagram ${i} from ${k}`);
    assert.equal(new TextDecoder().decode(o.payload), `from ${k}`);
  }
});

test('a small replay window agrees with a set-of-numbers model over 20,000 random packet numbers', () => {
  const w = new ReplayWindow(RELAY_WINDOW_BLOCKS);
  const seen = new Set<number>();
  let top = -1;
  const rnd = seededRandom(224);
  const verdicts = { new: 0, replayed: 0, 'too-old': 0 };
  for (let i = 0; i < 20000; i++) {
    const r = rnd();
    const pn = r < 0.01 ? top + 1 + Math.floor(rnd() * 2000) : Math.max(0, top + Math.floor((rnd() - 0.9) * 400));
    const expected = pn > top ? 'new' : top - pn >= w.size ? 'too-old' : seen.has(pn) ? 'replayed' : 'new';
    assert.equal(w.check(pn), expected, `packet ${pn} with top ${top}`);
    verdicts[expected]++;
    if (expected === 'new' && rnd() < 0.9) {
      w.accept(pn);
      seen.add(pn);
      top = Math.max(top, pn);
    }
  }
  for (const [v, n] of Object.entries(verdicts)) assert.ok(n > 150, `${v} came up ${n} times`);
});

test("a relay session keeps its bytes in one small allocation of its own, and its Welcome out of Node's shared pool", () => {
  const c = nodeCrypto;
  const sessions = new RelaySessions(c, c.signingKey(c.random(32)));
  const device = c.signingKey(c.random(32));
  const ctx = { relayAddress: '127.0.0.1:2410', cookie: Buffer.from(c.random(16)) };
  const p = startHandshake(c, device, ctx);
  // The Hello's keys arrive as views into a bigger datagram, as they do off the socket.
  const datagram = Buffer.alloc(400);
  const hello = { ...p.hello, devicePublicKey: copyInto(datagram, 10, p.hello.devicePublicKey), ephemeralPublicKey: copyInto(datagram, 60, p.hello.ephemeralPublicKey) };
  const hs = sessions.handshake(ctx.relayAddress, ctx.cookie, hello);
  assert.ok(hs.ok);
  const s = hs.session;
  datagram.fill(0); // the socket's buffer is reused or freed: the session must not be looking at it
  assert.deepEqual([...s.devicePublicKey], [...device.publicKey]);
  assert.deepEqual([...s.ephemeral], [...p.hello.ephemeralPublicKey]);
  assert.deepEqual([...s.id], [...p.hello.sessionId]);
  assert.ok(s.prefix.buffer.byteLength < 128, `the session's bytes are ${s.prefix.buffer.byteLength} bytes`);
  assert.equal(s.devicePublicKey.buffer, s.prefix.buffer, 'one allocation');
  const sealed = sessions.answer(s, hs.welcomePrefix, encode({ type: PacketType.Ping, nonce: 1 }));
  assert.ok(s.answer?.equals(sealed));
  assert.equal(s.answer?.buffer.byteLength, s.answer?.length, 'the kept Welcome pins no 64 KiB pool');
});

function copyInto(buf: Buffer, at: number, bytes: Uint8Array): Uint8Array {
  buf.set(bytes, at);
  return buf.subarray(at, at + bytes.length);
}

function flip(d: Uint8Array, rnd: () => number): Buffer {
  const copy = Buffer.from(d);
  copy[prefix.length + 8 + Math.floor(rnd() * (copy.length - prefix.length - 8))] ^= 1 << Math.floor(rnd() * 8);
  return copy;
}

describe("the relay's sealers let their AES go while idle", () => {
  /** A relay with `n` members joined (Welcome opened by each client); the clock is the test's. */
  function room(n: number) {
    const c = nodeCrypto;
    let now = 1_000_000;
    const sessions = new RelaySessions(c, c.signingKey(c.random(32)), () => now);
    const device = c.signingKey(c.random(32));
    const members = Array.from({ length: n }, () => {
      const ctx = { relayAddress: '127.0.0.1:2410', cookie: Buffer.from(c.random(16)) };
      const p = startHandshake(c, device, ctx);
      const hs = sessions.handshake(ctx.relayAddress, ctx.cookie, p.hello);
      assert.ok(hs.ok);
      const welcome = sessions.answer(hs.session, hs.welcomePrefix, encode({ type: PacketType.Ping, nonce: 1 }));
      const f = frame(welcome);
      assert.equal(f.kind, 'welcome');
      const done = finishHandshake(c, p, f.kind === 'welcome' ? f.relay : assert.fail());
      assert.ok(done.ok);
      const opener = new SessionOpener(c, done.keys.receive);
      assert.ok(opener.open(welcome, WELCOME_PREFIX_BYTES).ok);
      return { session: hs.session, opener };
    });
    const said = (m: { session: RelaySession; opener: SessionOpener }, n: number) => {
      const o = m.opener.open(sessions.seal(m.session, encode({ type: PacketType.Ping, nonce: n })), SEALED_PREFIX_BYTES);
      assert.ok(o.ok, `nonce ${n}`);
      return o.packetNumber;
    };
    return { sessions, members, said, later: (ms: number) => (now += ms) };
  }

  test('a member not sealed to between two sweeps lets go; its next datagram sets AES up again and opens at its client', () => {
    const { sessions, members, said, later } = room(3);
    assert.equal(sessions.sealersHeld, 3);
    sessions.sweepIdle(); // each sealed its Welcome since the start: all kept
    assert.equal(sessions.sealersHeld, 3);
    said(members[0], 2);
    later(SEALER_IDLE_MS);
    sessions.sweepIdle();
    assert.equal(sessions.sealersHeld, 1, 'only the one sealed to since the last sweep');
    assert.equal(members[1].session.sealer.holdsCipher, false);
    assert.equal(said(members[1], 3), 1, 'its packet numbers go on where they were');
    assert.equal(sessions.sealersHeld, 2);
  });

  test('sweeps come by themselves, at most one per 10 s, as seals go on', () => {
    const { sessions, members, said, later } = room(4);
    for (let i = 0; i < 1100; i++) said(members[0], i); // within the first 10 s: no sweep
    assert.equal(sessions.sealersHeld, 4);
    later(SEALER_IDLE_MS);
    for (let i = 0; i < 1100; i++) said(members[0], i); // marks all (each sealed its Welcome)
    assert.equal(sessions.sealersHeld, 4);
    later(SEALER_IDLE_MS);
    for (let i = 0; i < 1100; i++) said(members[0], i);
    assert.equal(sessions.sealersHeld, 1, 'the three idle members let go');
    for (const m of members.slice(1)) said(m, 7); // and each still gets through
    assert.equal(sessions.sealersHeld, 4);
  });
});
