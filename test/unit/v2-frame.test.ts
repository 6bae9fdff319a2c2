// Protocol 2's framing (src/protocol/v2.ts): a Hello carries the handshake after its cookie, a
// sealed datagram opens to the v1 packet inside, and anything malformed is a ProtocolError saying
// what is wrong, never a crash and never a packet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode, ProtocolError } from '../../src/protocol/codec';
import { nodeCrypto } from '../../src/protocol/crypto';
import { answerHandshake, startHandshake } from '../../src/protocol/handshake';
import { MAX_DATAGRAM, MAX_PACKET, PacketType as T, type Hello } from '../../src/protocol/packets';
import { SessionOpener, SessionSealer } from '../../src/protocol/session-cipher';
import { decodeInner, encodeClear, encodeHello, frame, SEALED, SEALED_OVERHEAD, SEALED_PREFIX_BYTES, sealedPrefix, WELCOME_PREFIX_BYTES, welcomePrefix } from '../../src/protocol/v2';

const c = nodeCrypto;
const sessionId = Buffer.from('0123456789abcdef', 'hex');
const hello = (cookie: Buffer): Hello => ({ type: T.Hello, clientId: sessionId, name: 'ann', flags: 1, roomId: 5n, lastSeq: 7, firstUnacked: 3, cookie });

test('the largest packet the engine makes still fits a datagram once sealed', () => {
  assert.equal(MAX_PACKET + SEALED_OVERHEAD, MAX_DATAGRAM);
});

test('a Hello without a cookie has no handshake; with one, it carries it and round-trips', () => {
  const bare = frame(encodeHello(hello(Buffer.alloc(0))));
  assert.equal(bare.kind, 'hello');
  assert.equal(bare.kind === 'hello' && bare.auth, undefined);
  const cookie = Buffer.alloc(16, 9);
  const device = c.signingKey(c.random(32));
  const hs = startHandshake(c, device, { relayAddress: 'localhost:2410', cookie }, sessionId);
  const f = frame(encodeHello(hello(cookie), { relayAddress: 'localhost:2410', client: hs.hello }));
  assert.ok(f.kind === 'hello' && f.auth);
  assert.equal(f.auth.relayAddress, 'localhost:2410');
  assert.deepEqual(Buffer.from(f.auth.client.signature), Buffer.from(hs.hello.signature));
  assert.deepEqual({ ...f.hello, clientId: [...f.hello.clientId], cookie: [...f.hello.cookie] }, { ...hello(cookie), clientId: [...sessionId], cookie: [...cookie] });
});

test('a Welcome and a sealed datagram open to the packet inside, under the keys of that handshake only', () => {
  const cookie = Buffer.alloc(16, 1);
  const ctx = { relayAddress: '127.0.0.1:2410', cookie };
  const hs = startHandshake(c, c.signingKey(c.random(32)), ctx, sessionId);
  const relayKey = c.signingKey(c.random(32));
  const out = answerHandshake(c, relayKey, ctx, hs.hello);
  assert.ok(out.ok);
  const welcome = encode({ type: T.Welcome, roomId: 1n, epoch: 2, headSeq: 3, fromSeq: 1, lostCount: 0, memberId: 4, rosterVersion: 5, heartbeatMs: 6 });
  const datagram = new SessionSealer(c, out.keys.send).seal(welcomePrefix(sessionId, out.reply), welcome);
  const f = frame(datagram);
  assert.equal(f.kind, 'welcome');
  const opened = new SessionOpener(c, out.keys.send).open(datagram, WELCOME_PREFIX_BYTES);
  assert.ok(opened.ok && decodeInner(opened.payload).type === T.Welcome);
  const ping = new SessionSealer(c, out.keys.receive).seal(sealedPrefix(sessionId), encode({ type: T.Ping, nonce: 1 }));
  assert.equal(frame(ping).kind, 'sealed');
  assert.equal(ping[2], SEALED);
  assert.ok(new SessionOpener(c, out.keys.receive).open(ping, SEALED_PREFIX_BYTES).ok);
  assert.equal(new SessionOpener(c, out.keys.send).open(ping, SEALED_PREFIX_BYTES).ok, false, 'the other direction\'s key does not open it');
});

test('malformed protocol 2 datagrams are ProtocolErrors that say what is wrong', () => {
  const cookie = Buffer.alloc(16, 2);
  const hs = startHandshake(c, c.signingKey(c.random(32)), { relayAddress: 'a:1', cookie }, sessionId);
  const good = encodeHello(hello(cookie), { relayAddress: 'a:1', client: hs.hello });
  const otherId = Buffer.from(good);
  otherId[3] ^= 1; // the clientId no longer matches the session id the handshake signs
  const cases: [string, Buffer, RegExp][] = [
    ['version 3', Buffer.from([0xf9, 3, 1]), /unsupported version 3/],
    ['a sealed datagram too short for its tag', Buffer.concat([Buffer.from([0xf9, 2, SEALED]), sessionId, Buffer.alloc(10)]), /truncated/],
    ['a Welcome too short for its auth', Buffer.concat([Buffer.from([0xf9, 2, T.Welcome]), sessionId, Buffer.alloc(40)]), /truncated/],
    ['a Data in clear', Buffer.from([0xf9, 2, T.Data, 0]), /not sent in clear/],
    ['a Hello cut in its handshake', good.subarray(0, good.length - 10), /truncated|Cannot decode/],
    ['a Hello whose clientId is not its session id', otherId, /not its session id/],
    ['over the datagram limit', Buffer.concat([Buffer.from([0xf9, 2, SEALED]), Buffer.alloc(MAX_DATAGRAM)]), /over 1200/],
  ];
  for (const [what, buf, why] of cases) assert.throws(() => frame(buf), (e: Error) => e instanceof ProtocolError && why.test(e.message), what);
  assert.throws(() => decodeInner(encode({ type: T.Retry, cookie })), /inside a sealed datagram/);
  assert.equal(frame(encodeClear({ type: T.NotJoined, epoch: 9 })).kind, 'clear');
});
