// Issue 9, the gate: a relay with a sealed room's verifier lets in only members whose Hello proves the
// room's secret for that very handshake (the join proof, a Hello extension), refuses the others with
// reason Sealed and a sentence that says what is missing, and checks nothing before the cookie. An
// open relay ignores a proof.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ChatError } from '../../src/chat';
import { newIdentity } from '../../src/chat/identity';
import { RoomGate, SEALED_DETAIL, WRONG_SECRET_DETAIL } from '../../src/chat/relay/gate';
import { ProtocolError } from '../../src/protocol/bytes';
import { nodeCrypto } from '../../src/protocol/crypto';
import { clientHelloHash, startHandshake } from '../../src/protocol/handshake';
import { PacketType, RefuseReason, type Hello } from '../../src/protocol/packets';
import { joinProof, newRoomSecret, roomVerifier } from '../../src/protocol/sealed-room';
import { encodeHello, frame, HelloExtension } from '../../src/protocol/v2';
import { Harness, until } from './helpers/engine';
import { RawV2 } from './helpers/raw-v2';

const c = nodeCrypto;
const hello = (clientId: Buffer, cookie: Buffer): Hello => ({ type: PacketType.Hello, clientId, name: 'ann', flags: 0, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie });

/** A Hello's handshake part as a client makes it, with or without a proof of `secret`. */
function signedHello(secret?: Uint8Array, cookie = randomBytes(16)) {
  const device = newIdentity(c).identity.signingKey;
  const ctx = { relayAddress: '127.0.0.1:2410', cookie };
  const hs = startHandshake(c, device, ctx);
  const proof = secret ? joinProof(c, secret, hs.helloHash, device.publicKey) : undefined;
  return { ctx, hs, device, proof, auth: { relayAddress: ctx.relayAddress, client: hs.hello, ...(proof ? { joinProof: proof } : {}) } };
}

describe('the join proof in a protocol 2 Hello', () => {
  test('travels as a Hello extension and reads back; a Hello without one has none', () => {
    const secret = newRoomSecret(c);
    const s = signedHello(secret);
    const id = Buffer.from(s.hs.hello.sessionId);
    const withProof = frame(encodeHello(hello(id, Buffer.from(s.ctx.cookie)), s.auth));
    assert.ok(withProof.kind === 'hello' && withProof.auth?.joinProof);
    assert.deepEqual(Buffer.from(withProof.auth.joinProof), Buffer.from(s.proof!));
    const without = frame(encodeHello(hello(id, Buffer.from(s.ctx.cookie)), { relayAddress: s.ctx.relayAddress, client: s.hs.hello }));
    assert.ok(without.kind === 'hello' && without.auth && without.auth.joinProof === undefined);
  });

  test('a later extension is skipped; a repeated, short or cut extension is malformed', () => {
    const s = signedHello(newRoomSecret(c));
    const base = encodeHello(hello(Buffer.from(s.hs.hello.sessionId), Buffer.from(s.ctx.cookie)), { relayAddress: s.ctx.relayAddress, client: s.hs.hello });
    const ext = (type: number, value: Uint8Array) => Buffer.concat([Buffer.from([type, value.length]), value]);
    const later = frame(Buffer.concat([base, ext(99, Buffer.from('later')), ext(HelloExtension.JoinProof, s.proof!)]));
    assert.ok(later.kind === 'hello' && later.auth?.joinProof, 'the proof after an unknown extension is read');
    assert.throws(() => frame(Buffer.concat([base, ext(1, s.proof!), ext(1, s.proof!)])), (e: Error) => e instanceof ProtocolError && /extension 1 twice/.test(e.message));
    assert.throws(() => frame(Buffer.concat([base, ext(1, s.proof!.subarray(0, 63))])), /a join proof is 64 bytes, not 63/);
    assert.throws(() => frame(Buffer.concat([base, Buffer.from([1, 64, 0, 0])])), /truncated in extension/);
    assert.throws(() => frame(Buffer.concat([base, Buffer.from([1])])), /truncated in extension length/);
  });
});

describe('the gate (RoomGate)', () => {
  const secret = newRoomSecret(c);
  const gate = new RoomGate(c, roomVerifier(c, secret));

  test('admits the secret proved for this handshake, and says what is missing otherwise', () => {
    const ok = signedHello(secret);
    assert.deepEqual(gate.admits(ok.auth, ok.ctx.cookie), { ok: true });
    const none = signedHello();
    assert.deepEqual(gate.admits(none.auth, none.ctx.cookie), { ok: false, detail: SEALED_DETAIL });
    const wrong = signedHello(newRoomSecret(c));
    assert.deepEqual(gate.admits(wrong.auth, wrong.ctx.cookie), { ok: false, detail: WRONG_SECRET_DETAIL });
  });

  test('a proof seen once opens no other handshake: not with another cookie, nor for another device', () => {
    const seen = signedHello(secret);
    assert.equal(gate.admits(seen.auth, randomBytes(16)).ok, false, 'the same Hello after its cookie (another cookie)');
    const other = signedHello(undefined, Buffer.from(seen.ctx.cookie));
    assert.equal(gate.admits({ ...other.auth, joinProof: seen.proof }, other.ctx.cookie).ok, false, "another device's handshake with a copied proof");
    // What the relay computes is what the client signed: the channel binding both sides share.
    assert.deepEqual(Buffer.from(clientHelloHash(c, seen.ctx, seen.hs.hello)), Buffer.from(seen.hs.helloHash));
  });

  test('a verifier of the wrong size is refused at start, not every member at the door', () => {
    assert.throws(() => new RoomGate(c, new Uint8Array(31)), (e: Error) => e instanceof ChatError && e.code === 'BAD_OPTION');
  });
});

describe('a sealed relay', () => {
  const h = new Harness();
  afterEach(() => h.close());

  async function refusal(start: Promise<unknown>): Promise<ChatError> {
    const err = await start.then(
      () => assert.fail('joined a sealed room'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChatError && err.code === 'REFUSED', String(err));
    return err;
  }

  test('refuses a member without the link (reason Sealed, the sentence), and one with another room\'s link', async () => {
    const secret = newRoomSecret(c);
    const relay = await h.relay({ roomVerifier: roomVerifier(c, secret) });
    const where = relay.address();
    const none = await refusal(h.client(where, 'eve'));
    assert.match(none.message, /this room is sealed: you need its invite link/);
    const wrong = await refusal(h.client(where, 'mallory', { roomSecret: newRoomSecret(c) }));
    assert.match(wrong.message, /this room is sealed, and your invite link is not this room's/);
    assert.equal(relay.members().length, 0);

    const raw = await RawV2.open(where);
    h.track(() => raw.close());
    const answer = await raw.join();
    assert.ok(answer.type === PacketType.Refused && answer.reason === RefuseReason.Sealed, 'the reason on the wire is Sealed (7)');
  });

  test('lets in members with the secret, and they talk', async () => {
    const secret = newRoomSecret(c);
    const relay = await h.relay({ roomVerifier: roomVerifier(c, secret) });
    const ann = await h.client(relay.address(), 'ann', { roomSecret: secret });
    const bob = await h.client(relay.address(), 'bob', { roomSecret: secret });
    ann.client.send({ kind: 'text', text: 'the token is in the vault' });
    await until(() => bob.texts().includes('ann: the token is in the vault'), 5000, "bob to get ann's message");
    assert.equal(relay.members().length, 2);
  });

  test('a member rejoins a restarted relay of the same room by itself: every new handshake carries a new proof', async () => {
    const secret = newRoomSecret(c);
    const verifier = roomVerifier(c, secret);
    const relay = await h.relay({ roomVerifier: verifier });
    const port = relay.address().port;
    const ann = await h.client(relay.address(), 'ann', { roomSecret: secret });
    await relay.close();
    const typed = ann.client.send({ kind: 'text', text: 'typed while the relay was away' });
    await until(() => ann.states.includes('reconnecting') || ann.states.includes('offline'), 8000, 'ann to notice the relay is gone');
    const again = await h.relay({ port, roomVerifier: verifier });
    const bob = await h.client(again.address(), 'bob', { roomSecret: secret });
    await until(() => bob.texts().includes('ann: typed while the relay was away'), 8000, "ann's kept message at bob");
    assert.equal(typed.state, 'delivered');
  });

  test('does no work on a proof before the cookie: a Hello with a made-up cookie gets a Retry', async () => {
    const secret = newRoomSecret(c);
    const relay = await h.relay({ roomVerifier: roomVerifier(c, secret) });
    const raw = await RawV2.open(relay.address());
    h.track(() => raw.close());
    raw.hello(randomBytes(16));
    const first = await raw.next(() => true);
    assert.equal(first.type, PacketType.Retry);
  });

  test('an open relay ignores a proof: a member with a link joins it as any member', async () => {
    const relay = await h.relay();
    const ann = await h.client(relay.address(), 'ann', { roomSecret: newRoomSecret(c) });
    assert.equal(ann.states.includes('connected'), true);
  });
});
