// The v2 handshake as pure functions: a client and a relay agree on directional keys, and every
// substitution an attacker on the path could try (a member's key, the relay's key, an ephemeral key,
// a cookie from another address, an old answer) makes one side refuse.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNobleCrypto, nodeCrypto, type Crypto } from '../../src/protocol/crypto';
import { ProtocolError } from '../../src/protocol/bytes';
import {
  answerHandshake,
  CLIENT_AUTH_BYTES,
  decodeClientAuth,
  decodeRelayAuth,
  encodeClientAuth,
  encodeRelayAuth,
  finishHandshake,
  RELAY_AUTH_BYTES,
  startHandshake,
  type HandshakeContext,
} from '../../src/protocol/handshake';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ctx: HandshakeContext = { relayAddress: '127.0.0.1:2410', cookie: new Uint8Array(16).fill(7) };

let noble: Crypto;
before(async () => {
  noble = await loadNobleCrypto();
});

const pairs = [
  ['node:crypto', 'node:crypto'],
  ['@noble', '@noble'],
  ['@noble', 'node:crypto'],
  ['node:crypto', '@noble'],
] as const;
const get = (name: 'node:crypto' | '@noble') => (name === 'node:crypto' ? nodeCrypto : noble);

describe('handshake: client and relay agree', () => {
  for (const [clientSide, relaySide] of pairs) {
    test(`client on ${clientSide}, relay on ${relaySide}: same keys, crossed directions, both keys learnt`, () => {
      const cc = get(clientSide);
      const rc = get(relaySide);
      const device = cc.signingKey(cc.random(32));
      const relayKey = rc.signingKey(rc.random(32));
      const pending = startHandshake(cc, device, ctx);
      const relay = answerHandshake(rc, relayKey, ctx, decodeClientAuth(encodeClientAuth(pending.hello)));
      assert.ok(relay.ok);
      assert.equal(hex(relay.clientPublicKey), hex(device.publicKey));
      const client = finishHandshake(cc, pending, decodeRelayAuth(encodeRelayAuth(relay.reply)));
      assert.ok(client.ok);
      assert.equal(hex(client.relayPublicKey), hex(relayKey.publicKey));
      assert.equal(hex(client.keys.send.key), hex(relay.keys.receive.key));
      assert.equal(hex(client.keys.send.iv), hex(relay.keys.receive.iv));
      assert.equal(hex(client.keys.receive.key), hex(relay.keys.send.key));
      assert.notEqual(hex(client.keys.send.key), hex(client.keys.receive.key), 'each direction has its own key');
      assert.equal(hex(client.keys.transcriptHash), hex(relay.keys.transcriptHash));
      assert.equal(hex(client.keys.sessionId), hex(relay.sessionId));
    });
  }

  test('two handshakes of the same device give different session ids and keys (fresh ephemerals)', () => {
    const c = nodeCrypto;
    const device = c.signingKey(c.random(32));
    const relayKey = c.signingKey(c.random(32));
    const run = () => {
      const p = startHandshake(c, device, ctx);
      const r = answerHandshake(c, relayKey, ctx, p.hello);
      assert.ok(r.ok);
      const f = finishHandshake(c, p, r.reply);
      assert.ok(f.ok);
      return f.keys;
    };
    const [a, b] = [run(), run()];
    assert.notEqual(hex(a.sessionId), hex(b.sessionId));
    assert.notEqual(hex(a.send.key), hex(b.send.key));
  });
});

describe('handshake: what an attacker changes is refused', () => {
  const c = nodeCrypto;
  const ann = c.signingKey(c.random(32));
  const mallory = c.signingKey(c.random(32));
  const relayKey = c.signingKey(c.random(32));

  test("claiming a member's device key without its secret: the relay refuses", () => {
    const p = startHandshake(c, mallory, ctx);
    const r = answerHandshake(c, relayKey, ctx, { ...p.hello, devicePublicKey: ann.publicKey });
    assert.deepEqual(r, { ok: false, reason: 'bad-client-signature' });
  });

  test('a Hello replayed with a cookie for another address, or to another relay address: refused', () => {
    const p = startHandshake(c, ann, ctx);
    assert.deepEqual(answerHandshake(c, relayKey, { ...ctx, cookie: new Uint8Array(16).fill(8) }, p.hello), { ok: false, reason: 'bad-client-signature' });
    assert.deepEqual(answerHandshake(c, relayKey, { ...ctx, relayAddress: '127.0.0.1:2411' }, p.hello), { ok: false, reason: 'bad-client-signature' });
  });

  test('a changed session id or ephemeral key in the Hello: refused', () => {
    const p = startHandshake(c, ann, ctx);
    assert.equal(answerHandshake(c, relayKey, ctx, { ...p.hello, sessionId: new Uint8Array(8) }).ok, false);
    assert.equal(answerHandshake(c, relayKey, ctx, { ...p.hello, ephemeralPublicKey: c.dhKey(c.random(32)).publicKey }).ok, false);
  });

  test("a relay key swapped into the answer (without the relay's secret): the client refuses", () => {
    const p = startHandshake(c, ann, ctx);
    const r = answerHandshake(c, relayKey, ctx, p.hello);
    assert.ok(r.ok);
    assert.deepEqual(finishHandshake(c, p, { ...r.reply, relayPublicKey: mallory.publicKey }), { ok: false, reason: 'bad-relay-signature' });
    assert.deepEqual(finishHandshake(c, p, { ...r.reply, ephemeralPublicKey: c.dhKey(c.random(32)).publicKey }), { ok: false, reason: 'bad-relay-signature' });
  });

  test('an impostor relay with its own key completes, but under its own key, which the pin check then catches', () => {
    const p = startHandshake(c, ann, ctx);
    const r = answerHandshake(c, mallory, ctx, p.hello);
    assert.ok(r.ok);
    const f = finishHandshake(c, p, r.reply);
    assert.ok(f.ok);
    assert.equal(hex(f.relayPublicKey), hex(mallory.publicKey));
    assert.notEqual(hex(f.relayPublicKey), hex(relayKey.publicKey));
  });

  test("the relay's answer to one handshake does not finish another", () => {
    const p1 = startHandshake(c, ann, ctx);
    const p2 = startHandshake(c, ann, ctx);
    const r1 = answerHandshake(c, relayKey, ctx, p1.hello);
    assert.ok(r1.ok);
    assert.deepEqual(finishHandshake(c, p2, r1.reply), { ok: false, reason: 'bad-relay-signature' });
  });

  test('a low-order ephemeral key, properly signed by a side that means harm, is refused by the other', () => {
    const lowOrder = Uint8Array.from(Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex'));
    const evil: Crypto = { ...c, dhKey: () => ({ publicKey: lowOrder, agree: () => new Uint8Array(32) }) };
    assert.deepEqual(answerHandshake(c, relayKey, ctx, startHandshake(evil, mallory, ctx).hello), { ok: false, reason: 'low-order-key' });
    const p = startHandshake(c, ann, ctx);
    const r = answerHandshake(evil, relayKey, ctx, p.hello);
    assert.ok(r.ok);
    assert.deepEqual(finishHandshake(c, p, r.reply), { ok: false, reason: 'low-order-key' });
  });
});

describe('handshake: encodings', () => {
  const c = nodeCrypto;
  const p = startHandshake(c, c.signingKey(c.random(32)), ctx);
  const r = answerHandshake(c, c.signingKey(c.random(32)), ctx, p.hello);
  assert.ok(r.ok);

  test(`fixed sizes: Hello auth ${CLIENT_AUTH_BYTES} bytes, Welcome auth ${RELAY_AUTH_BYTES} bytes, and they round-trip`, () => {
    const a = encodeClientAuth(p.hello);
    const b = encodeRelayAuth(r.reply);
    assert.equal(a.length, 136);
    assert.equal(b.length, 128);
    assert.deepEqual(encodeClientAuth(decodeClientAuth(a)), a);
    assert.deepEqual(encodeRelayAuth(decodeRelayAuth(b)), b);
  });

  test('truncated or overlong auth blocks are ProtocolErrors naming the block and field', () => {
    const a = encodeClientAuth(p.hello);
    assert.throws(() => decodeClientAuth(a.subarray(0, 60)), (e: Error) => e instanceof ProtocolError && /Cannot decode Hello auth \(truncated in ephemeral key\)/.test(e.message));
    assert.throws(() => decodeClientAuth(new Uint8Array([...a, 0])), /Cannot decode Hello auth \(1 trailing bytes\)/);
    assert.throws(() => decodeRelayAuth(encodeRelayAuth(r.reply).subarray(0, 127)), /Cannot decode Welcome auth \(truncated in signature\)/);
  });
});
