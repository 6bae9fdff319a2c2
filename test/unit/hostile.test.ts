// What a noisy or hostile sender can and cannot do to a live relay.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { ClientSecurity } from '../../src/chat/client/secure';
import { newIdentity } from '../../src/chat/identity';
import { encode } from '../../src/protocol/codec';
import { nodeCrypto } from '../../src/protocol/crypto';
import { fragmentData } from '../../src/protocol/fragments';
import { startHandshake } from '../../src/protocol/handshake';
import { MAGIC, PacketType as T, type Hello } from '../../src/protocol/packets';
import { encodeHello, SEALED, sealedPrefix } from '../../src/protocol/v2';
import { Harness, sleep, until } from './helpers/engine';
import { RawV2, type Address } from './helpers/raw-v2';

let h: Harness;
afterEach(() => h?.close());

async function socket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  h.track(() => new Promise<void>((r) => s.close(() => r())));
  return s;
}

/** A protocol 2 Hello around `cookie` with a real handshake, under a fresh device key of its own. */
function handshakeHello(relay: Address, cookie: Buffer, clientId = randomBytes(8)): Buffer {
  const secure = new ClientSecurity({ crypto: nodeCrypto, identity: newIdentity(nodeCrypto).identity, relayAddress: `${relay.host}:${relay.port}` }, clientId);
  return secure.hello({ type: T.Hello, clientId, name: 'eve', flags: 1, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie });
}

/** Protocol 2 datagrams a stranger can make: Hellos (one with a forged cookie and its own handshake),
 * and sealed ones for a session the relay does not know and for a member's (not under her keys). */
function strangerV2(relay: Address, memberSession: Buffer): Buffer[] {
  const id = randomBytes(8);
  return [
    encodeHello({ type: T.Hello, clientId: id, name: 'eve', flags: 1, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie: Buffer.alloc(0) }),
    handshakeHello(relay, Buffer.alloc(16, 1), id),
    Buffer.concat([sealedPrefix(randomBytes(8)), randomBytes(120)]),
    Buffer.concat([sealedPrefix(memberSession), randomBytes(120)]),
  ];
}

test('thousands of random and truncated datagrams do not stop the relay serving its members', async () => {
  h = new Harness();
  const relay = await h.relay();
  const warnings: string[] = [];
  relay.on('warning', (e) => warnings.push(e.message));
  const ann = await h.client(relay.address(), 'ann');
  const bob = await h.client(relay.address(), 'bob');
  const attacker = await socket();
  const id = randomBytes(8);
  const valid = [
    encode({ type: T.Hello, clientId: id, name: 'eve', flags: 1, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie: Buffer.alloc(0) }),
    ...fragmentData(id, 1, { kind: 'snippet', text: 'x'.repeat(3000), path: 'a.ts', startLine: 1, endLine: 2, language: 'ts' }).map(encode),
    encode({ type: T.Resend, fromSeq: 1, toSeq: 100 }),
    encode({ type: T.Roster, version: 1, page: 0, pageCount: 1, entries: [] }),
  ];
  // Protocol 2's: whole (they are answered with a Retry or a NotJoined, or counted) and truncated.
  const v2 = strangerV2(relay.address(), Buffer.from(ann.client.clientId, 'hex'));
  const v2Types = [T.Hello, SEALED, T.Welcome, T.Retry, T.NotJoined, T.Data];
  const { port } = relay.address();
  for (let i = 0; i < 6000; i++) {
    const [kind, j] = [i % 6, Math.floor(i / 6)]; // j picks within a kind, so each kind sees all its variants
    let buf: Buffer;
    if (kind === 0) buf = randomBytes(1 + (i % 1400));
    else if (kind === 1) buf = Buffer.concat([Buffer.from([MAGIC, 1, 1 + (j % 20)]), randomBytes(i % 300)]);
    else if (kind === 2) { const v = valid[j % valid.length]; buf = v.subarray(0, i % v.length); }
    else if (kind === 3) buf = Buffer.from([0xc3, 0x28, i & 0xff]); // invalid UTF-8: not even a seed datagram
    else if (kind === 4) buf = Buffer.concat([Buffer.from([MAGIC, 2, v2Types[j % v2Types.length]]), randomBytes(i % 300)]);
    else { const v = v2[j % v2.length]; buf = j % 8 < 4 ? v : v.subarray(0, i % v.length); }
    attacker.send(buf, port, '127.0.0.1');
    if (i % 300 === 0) {
      ann.client.send({ kind: 'text', text: `still here ${i / 300}` });
      await sleep(2);
    }
  }
  await until(() => bob.messages.length === 20, 10000, 'the 20 messages sent during the flood');
  assert.deepEqual(bob.messages.map((m) => m.text), Array.from({ length: 20 }, (_, i) => `still here ${i}`));
  const stats = relay.stats();
  assert.ok(stats.malformed > 1000, `bad datagrams counted: ${stats.malformed}`);
  assert.ok(warnings.some((w) => /Cannot decode/.test(w)), 'each reported as a warning that says what was wrong');
  assert.ok(stats.unauthenticated > 0, `what claimed ann's session without her keys was counted, not acted on: ${stats.unauthenticated}`);
  assert.ok(!warnings.some((w) => /Internal error/.test(w)), warnings.filter((w) => /Internal error/.test(w))[0]);
  assert.equal(stats.members, 2, 'the attacker never became a member');
});

test('a member over its rate limit is slowed down, and still loses nothing', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { memberMessagesPerSecond: 100, memberBurst: 20 } });
  const ann = await h.client(relay.address(), 'ann');
  const warned: string[] = [];
  ann.client.on('warning', (e) => warned.push(e.message));
  const started = Date.now();
  const sequencedAt: number[] = [];
  relay.on('message', () => sequencedAt.push(Date.now() - started));
  for (let i = 0; i < 60; i++) ann.client.send({ kind: 'text', text: `burst ${i}` });
  assert.deepEqual(await ann.client.flush(10000), [], 'all 60 delivered in the end');
  const inFirst200ms = sequencedAt.filter((t) => t < 200).length;
  assert.ok(inFirst200ms <= 20 + 20 + 2, `at most burst + rate x 0.2 s sequenced in the first 200 ms, got ${inFirst200ms}`);
  assert.ok(sequencedAt.at(-1)! >= 300, `the limit spread the 60 messages out (last at ${sequencedAt.at(-1)} ms)`);
  assert.ok(warned.some((w) => /slow down/.test(w)), 'the sender was told to slow down');
});

/** A room with ann and 50 messages of history (worth pulling), and an address that is not hers. */
async function roomAndStranger() {
  h = new Harness();
  const relay = await h.relay();
  const ann = await h.client(relay.address(), 'ann');
  for (let i = 0; i < 50; i++) ann.client.send({ kind: 'text', text: 'history '.repeat(100) });
  assert.deepEqual(await ann.client.flush(5000), []);
  const spoofed = await socket();
  /** Sends the probes in turn, 500 in all, and says what came back within 300 ms. */
  const probe = async (probes: Buffer[]) => {
    const answer = { sent: 0, received: 0, types: new Set<number>() };
    spoofed.on('message', (b) => {
      answer.received += b.length;
      answer.types.add(b[2]);
    });
    for (let i = 0; i < 500; i++) {
      const p = probes[i % probes.length];
      spoofed.send(p, relay.address().port, '127.0.0.1');
      answer.sent += p.length;
    }
    await sleep(300);
    return { ...answer, types: [...answer.types].sort((a, b) => a - b) };
  };
  return { relay, ann, probe };
}

test('an unvalidated address gets at most 3x the bytes it sent, and nothing large', async () => {
  const { relay, probe } = await roomAndStranger();
  const id = randomBytes(8);
  const probes = [
    encode({ type: T.Hello, clientId: id, name: 'eve', flags: 1, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie: Buffer.alloc(0) }),
    encode({ type: T.Hello, clientId: id, name: 'eve', flags: 1, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie: Buffer.alloc(16, 1) }), // forged cookie
    encode({ type: T.Resend, fromSeq: 1, toSeq: 50 }), // would be ~50 kB of history if answered
    encode({ type: T.RosterRequest, version: 0 }),
    encode({ type: T.Ping, nonce: 1 }),
  ];
  const { sent, received, types } = await probe(probes);
  assert.ok(received > 0, 'the relay does answer ("upgrade" to a protocol 1 Hello, or "join first")');
  assert.ok(received <= 3 * sent, `received ${received} bytes for ${sent} sent: within 3x`);
  assert.deepEqual(types, [T.NotJoined, T.Refused], 'only NotJoined and the Refused that says "upgrade", never history, roster or a Welcome');
  assert.equal(relay.stats().members, 1);
});

test('an unvalidated address speaking protocol 2 gets at most 3x the bytes it sent: a Retry or a NotJoined, nothing sealed', async () => {
  const { relay, ann, probe } = await roomAndStranger();
  const before = relay.stats().unauthenticated;
  const probes = strangerV2(relay.address(), Buffer.from(ann.client.clientId, 'hex'));
  const { sent, received, types } = await probe(probes);
  assert.ok(received > 0, 'the relay does answer (with a cookie or "join first")');
  assert.ok(received <= 3 * sent, `received ${received} bytes for ${sent} sent: within 3x`);
  assert.deepEqual(types, [T.Retry, T.NotJoined], 'only Retry and NotJoined in clear, never a Welcome or a sealed datagram');
  assert.ok(relay.stats().unauthenticated >= before + 100, "each datagram claiming ann's session without her keys is counted");
  assert.equal(relay.stats().members, 1);
  ann.client.send({ kind: 'text', text: 'after' });
  assert.deepEqual(await ann.client.flush(3000), [], "ann's session is untouched");
});

test('a Hello with a good cookie whose handshake does not check out is counted and answered with nothing; the honest one is welcomed', async () => {
  h = new Harness();
  const relay = await h.relay();
  const warnings: string[] = [];
  relay.on('warning', (e) => warnings.push(e.message));
  const ann = await h.client(relay.address(), 'ann');
  // eve's own address, so she gets a real cookie: the relay then does the public-key work.
  const eve = await RawV2.open(relay.address());
  h.track(() => eve.close());
  eve.hello(Buffer.alloc(0), { name: 'eve' });
  const retry = await eve.next((p) => p.type === T.Retry);
  const cookie = retry.type === T.Retry ? Buffer.from(retry.cookie) : Buffer.alloc(0);
  const hello: Hello = { type: T.Hello, clientId: eve.clientId, name: 'eve', flags: 0, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie };
  const good = eve.secure.hello(hello);
  // ClientAuth closes the Hello: device key 32, session id 8, ephemeral key 32, signature 64.
  const flippedAt = (fromEnd: number) => {
    const b = Buffer.from(good);
    b[b.length - fromEnd] ^= 0x01;
    return b;
  };
  // And one signed as it should be, around an ephemeral key of order 1 (all zeros): no shared secret.
  const zeroKey = { ...nodeCrypto, dhKey: (secret: Uint8Array) => ({ ...nodeCrypto.dhKey(secret), publicKey: new Uint8Array(32) }) };
  const relayAddress = `${relay.address().host}:${relay.address().port}`;
  const lowOrder = encodeHello(hello, { relayAddress, client: startHandshake(zeroKey, eve.identity.signingKey, { relayAddress, cookie }, eve.clientId).hello });
  const forgeries = { signature: flippedAt(1), ephemeralKey: flippedAt(64 + 1), deviceKey: flippedAt(136 - 5), 'low-order key': lowOrder };
  const seen = eve.got.length;
  for (const [what, bad] of Object.entries(forgeries)) {
    const before = relay.stats().unauthenticated;
    eve.sendRaw(bad);
    await until(() => relay.stats().unauthenticated === before + 1, 2000, `the Hello with a bad ${what} counted`);
  }
  // Another address replays the honest Hello: its cookie is not that address's, so a Retry at most.
  const replayer = await RawV2.open(relay.address());
  h.track(() => replayer.close());
  replayer.sendRaw(good);
  await replayer.next((p) => p.type === T.Retry, 2000);
  await sleep(100);
  assert.deepEqual(eve.got.slice(seen), [], 'nothing answers a handshake that does not check out');
  assert.equal(relay.stats().members, 1);
  assert.ok(warnings.some((w) => /failed its handshake \(bad-client-signature\)/.test(w)), warnings.join(' | '));
  assert.ok(warnings.some((w) => /failed its handshake \(low-order-key\)/.test(w)), warnings.join(' | '));
  assert.ok(!warnings.some((w) => /Internal error/.test(w)), warnings.filter((w) => /Internal error/.test(w))[0]);
  // The same Hello unharmed gets its Welcome: what was refused was only the forgery.
  eve.sendRaw(good);
  assert.equal((await eve.next((p) => p.type === T.Welcome, 2000, seen)).type, T.Welcome);
  eve.send(eve.message(1, { kind: 'text', text: 'eve, for real' })[0]);
  await until(() => ann.texts().includes('eve: eve, for real'), 2000, "eve's message at ann");
});

test('a listener that throws does not take the relay or the client down', async () => {
  h = new Harness();
  const relay = await h.relay();
  const relayWarnings: string[] = [];
  relay.on('warning', (e) => relayWarnings.push(e.message));
  relay.on('message', () => {
    throw new Error('a bug in whoever listens');
  });
  const ann = await h.client(relay.address(), 'ann');
  const bob = await h.client(relay.address(), 'bob');
  const bobWarnings: string[] = [];
  bob.client.on('warning', (e) => bobWarnings.push(e.message));
  bob.client.on('message', (m) => {
    if (m.text === 'first') throw new Error('a bug in the UI');
  });
  ann.client.send({ kind: 'text', text: 'first' });
  ann.client.send({ kind: 'text', text: 'second' });
  await until(() => bob.messages.length === 2, 3000, 'both messages at bob');
  assert.deepEqual(await ann.client.flush(3000), [], 'both delivered');
  assert.ok(relayWarnings.some((w) => /'message' listener failed: a bug in whoever listens/.test(w)), relayWarnings.join(' | '));
  assert.ok(bobWarnings.some((w) => /a bug in the UI/.test(w)), bobWarnings.join(' | '));
});
