// What a noisy or hostile sender can and cannot do to a live relay.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { encode } from '../../src/protocol/codec';
import { fragmentData } from '../../src/protocol/fragments';
import { MAGIC, PacketType as T } from '../../src/protocol/packets';
import { Harness, sleep, until } from './helpers/engine';

let h: Harness;
afterEach(() => h?.close());

async function socket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  h.track(() => new Promise<void>((r) => s.close(() => r())));
  return s;
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
  const { port } = relay.address();
  for (let i = 0; i < 4000; i++) {
    const kind = i % 4;
    let buf: Buffer;
    if (kind === 0) buf = randomBytes(1 + (i % 1400));
    else if (kind === 1) buf = Buffer.concat([Buffer.from([MAGIC, 1, 1 + (i % 20)]), randomBytes(i % 300)]);
    else if (kind === 2) { const v = valid[i % valid.length]; buf = v.subarray(0, i % v.length); }
    else buf = Buffer.from([0xc3, 0x28, i & 0xff]); // invalid UTF-8: not even a seed datagram
    attacker.send(buf, port, '127.0.0.1');
    if (i % 200 === 0) {
      ann.client.send({ kind: 'text', text: `still here ${i / 200}` });
      await sleep(2);
    }
  }
  await until(() => bob.messages.length === 20, 10000, 'the 20 messages sent during the flood');
  assert.deepEqual(bob.messages.map((m) => m.text), Array.from({ length: 20 }, (_, i) => `still here ${i}`));
  const stats = relay.stats();
  assert.ok(stats.malformed > 1000, `bad datagrams counted: ${stats.malformed}`);
  assert.ok(warnings.some((w) => /Cannot decode/.test(w)), 'each reported as a warning that says what was wrong');
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

test('an unvalidated address gets at most 3x the bytes it sent, and nothing large', async () => {
  h = new Harness();
  const relay = await h.relay();
  const ann = await h.client(relay.address(), 'ann');
  for (let i = 0; i < 50; i++) ann.client.send({ kind: 'text', text: 'history '.repeat(100) });
  assert.deepEqual(await ann.client.flush(5000), []);
  const spoofed = await socket();
  let received = 0;
  const typesReceived = new Set<number>();
  spoofed.on('message', (b) => {
    received += b.length;
    typesReceived.add(b[2]);
  });
  const id = randomBytes(8);
  const probes = [
    encode({ type: T.Hello, clientId: id, name: 'eve', flags: 1, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie: Buffer.alloc(0) }),
    encode({ type: T.Hello, clientId: id, name: 'eve', flags: 1, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie: Buffer.alloc(16, 1) }), // forged cookie
    encode({ type: T.Resend, fromSeq: 1, toSeq: 50 }), // would be ~50 kB of history if answered
    encode({ type: T.RosterRequest, version: 0 }),
    encode({ type: T.Ping, nonce: 1 }),
  ];
  let sent = 0;
  for (let i = 0; i < 500; i++) {
    const p = probes[i % probes.length];
    spoofed.send(p, relay.address().port, '127.0.0.1');
    sent += p.length;
  }
  await sleep(300);
  assert.ok(received > 0, 'the relay does answer (with a cookie or "join first")');
  assert.ok(received <= 3 * sent, `received ${received} bytes for ${sent} sent: within 3x`);
  assert.deepEqual([...typesReceived].sort((a, b) => a - b), [T.Retry, T.NotJoined], 'only Retry and NotJoined, never history, roster or a Welcome');
  assert.equal(relay.stats().members, 1);
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
