// Issue 8: the attacks an on-path or same-network attacker tried on protocol 1, against protocol 2's
// authenticated sessions. Each failed before the sessions: a Hello with a member's published id
// moved the member; a Data with its address and id was sequenced as its own; anything from the
// relay's address was believed.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { ChatClient } from '../../src/chat';
import { MemoryStore, newIdentity } from '../../src/chat/identity';
import { decode, encode } from '../../src/protocol/codec';
import { nodeCrypto } from '../../src/protocol/crypto';
import { fingerprint } from '../../src/protocol/fingerprint';
import { PacketType as T, RefuseReason } from '../../src/protocol/packets';
import { SEALED } from '../../src/protocol/v2';
import { FAST_CLIENT, Harness, Recorder, until } from './helpers/engine';
import { seededRandom } from './helpers/random';

let h: Harness;
afterEach(() => h?.close());

type Addr = { host: string; port: number };

/** A path between one client and the relay that an attacker controls: it can change what passes
 * (`change`, per direction) and send to the relay from the client's own address and port. */
async function path(relay: Addr, change: { up?: (b: Buffer) => Buffer[]; down?: (b: Buffer) => Buffer[] } = {}) {
  const front = dgram.createSocket('udp4');
  const up = dgram.createSocket('udp4');
  await Promise.all([new Promise<void>((r) => front.bind(0, '127.0.0.1', r)), new Promise<void>((r) => up.bind(0, '127.0.0.1', r))]);
  h.track(() => new Promise<void>((r) => front.close(() => up.close(() => r()))));
  let client: dgram.RemoteInfo | undefined;
  front.on('message', (b, rinfo) => {
    client = rinfo;
    for (const out of change.up?.(b) ?? [b]) up.send(out, relay.port, relay.host);
  });
  up.on('message', (b) => {
    if (client) for (const out of change.down?.(b) ?? [b]) front.send(out, client.port, client.address);
  });
  return {
    address: { host: '127.0.0.1', port: front.address().port },
    /** To the relay, from the address the relay knows the client by. */
    asClient: (b: Buffer) => up.send(b, relay.port, relay.host),
  };
}

async function room() {
  h = new Harness();
  const relay = await h.relay();
  const bob = await h.client(relay.address(), 'bob');
  return { relay, bob };
}

test("a Hello with a member's published id, from another device, is refused: the member stays and keeps delivering", async () => {
  const { relay, bob } = await room();
  const ann = await h.client(relay.address(), 'ann');
  // The attacker knows ann's id (the roster publishes it) and joins with it, under its own key.
  const mallory = new ChatClient({ server: relay.address(), name: 'ann', clientId: ann.client.clientId, timers: FAST_CLIENT });
  h.track(() => mallory.close());
  await assert.rejects(mallory.start(), (e: Error & { code?: string }) => e.code === 'REFUSED' && /another device/.test(e.message));
  ann.client.send({ kind: 'text', text: 'still me' });
  await until(() => bob.texts().includes('ann: still me'), 5000, "ann's message at bob");
  assert.deepEqual(await ann.client.flush(2000), [], 'ann sees it delivered');
  assert.equal(relay.members().filter((m) => m.name === 'ann').length, 1);
});

test("a protocol 1 Hello, with a member's id or any, is told to upgrade and moves nobody", async () => {
  const { relay, bob } = await room();
  const ann = await h.client(relay.address(), 'ann');
  const raw = dgram.createSocket('udp4');
  await new Promise<void>((r) => raw.bind(0, '127.0.0.1', r));
  h.track(() => new Promise<void>((r) => raw.close(() => r())));
  const answers: Buffer[] = [];
  raw.on('message', (b) => answers.push(b));
  const hello = (cookie: Buffer) =>
    encode({ type: T.Hello, clientId: Buffer.from(ann.client.clientId, 'hex'), name: 'ann', flags: 0, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie });
  raw.send(hello(Buffer.alloc(0)), relay.address().port, '127.0.0.1');
  await until(() => answers.length === 1, 2000, 'the answer');
  const refused = decode(answers[0]);
  assert.ok(refused.type === T.Refused && refused.reason === RefuseReason.Upgrade && /protocol 2.*upgrade/.test(refused.detail), JSON.stringify(refused));
  ann.client.send({ kind: 'text', text: 'mine' });
  await until(() => bob.texts().includes('ann: mine'), 5000, "ann's message at bob");
  assert.deepEqual(await ann.client.flush(2000), []);
});

test("Data forged from a member's own address and port, with its id, is not sequenced", async () => {
  const { relay, bob } = await room();
  const p = await path(relay.address());
  const ann = await h.client(p.address, 'ann');
  const id = Buffer.from(ann.client.clientId, 'hex');
  const before = relay.stats().unauthenticated;
  // Protocol 1 Data with ann's id, from ann's address: the relay takes only sealed datagrams from her.
  p.asClient(encode({ type: T.Data, clientId: id, msgId: 999, fragIndex: 0, fragCount: 1, head: { kind: 'text', totalBytes: 6 }, chunk: Buffer.from('forged') }));
  // A sealed datagram in her session that was not sealed with her keys.
  p.asClient(Buffer.concat([Buffer.from([0xf9, 2, SEALED]), id, Buffer.alloc(8), Buffer.from('forged text, no key'), Buffer.alloc(16)]));
  await until(() => relay.stats().unauthenticated >= before + 2, 2000, 'both counted as unauthenticated');
  ann.client.send({ kind: 'text', text: 'real' });
  await until(() => bob.texts().includes('ann: real'), 5000, "ann's real message");
  assert.deepEqual(bob.texts(), ['ann: real'], 'nothing forged reached the room');
  assert.equal(relay.stats().headSeq, 1);
});

test('bit-flipped copies of the relay\'s and the client\'s datagrams change nothing: each is dropped and counted', async () => {
  const { relay, bob } = await room();
  const rand = seededRandom(8);
  const flipped = (b: Buffer) => {
    const copy = Buffer.from(b);
    const bit = Math.floor(rand() * copy.length * 8);
    copy[bit >> 3] ^= 1 << (bit & 7);
    return copy;
  };
  // Every datagram each way arrives with a copy that has one bit flipped, sent first.
  const p = await path(relay.address(), { up: (b) => [flipped(b), b], down: (b) => [flipped(b), b] });
  const ann = await h.client(p.address, 'ann');
  const sent = Array.from({ length: 20 }, (_, i) => `bob ${i}`);
  for (const text of sent) bob.client.send({ kind: 'text', text });
  ann.client.send({ kind: 'text', text: 'from ann' });
  await until(() => ann.texts().length === 21 && bob.texts().includes('ann: from ann'), 8000, 'every message, both ways');
  assert.deepEqual(ann.texts().filter((t) => t.startsWith('bob:')), sent.map((t) => `bob: ${t}`), 'exactly what bob sent, in order');
  assert.ok(ann.client.unauthenticated > 20, `the client dropped the flipped copies (${ann.client.unauthenticated})`);
  assert.ok(relay.stats().unauthenticated + relay.stats().malformed > 0, 'the relay dropped the flipped copies');
});

test("a relay whose key is not the one pinned for its address is refused with both fingerprints, unless the user accepts the new one", async () => {
  h = new Harness();
  const c = nodeCrypto;
  const [first, second] = [newIdentity(c).identity, newIdentity(c).identity];
  const pins = new MemoryStore();
  const relayA = await h.relay({ key: first.signingKey });
  const port = relayA.address().port;
  const ann = await h.client(relayA.address(), 'ann', { relayPins: pins });
  await ann.client.close();
  await relayA.close();
  assert.match((await pins.get()) ?? '', new RegExp(`^127\\.0\\.0\\.1:${port} ed25519 `), 'pinned on first contact');

  const relayB = await h.relay({ port, key: second.signingKey });
  const again = new ChatClient({ server: relayB.address(), name: 'ann', relayPins: pins, timers: FAST_CLIENT });
  h.track(() => again.close());
  const [was, now] = [fingerprint(c, first.publicKey), fingerprint(c, second.publicKey)];
  await assert.rejects(again.start(), (e: Error & { code?: string }) => {
    const flat = e.message.replace(/\s/g, '');
    return e.code === 'RELAY_KEY_CHANGED' && flat.includes(was) && flat.includes(now);
  });
  const accepting = new Recorder(new ChatClient({ server: relayB.address(), name: 'ann', relayPins: pins, acceptRelayKey: now, timers: FAST_CLIENT }));
  h.track(() => accepting.client.close());
  await accepting.client.start();
  const check = new ChatClient({ server: relayB.address(), name: 'ann2', relayPins: pins, timers: FAST_CLIENT });
  h.track(() => check.close());
  await check.start(); // the new key is now the pin
});

test("a member's Hello replayed from its own address, once the session is in use, changes nothing", async () => {
  const { relay, bob } = await room();
  const hellos: Buffer[] = [];
  const p = await path(relay.address(), {
    up: (b) => {
      if (b[1] === 2 && b[2] === Number(T.Hello) && b.length > 150) hellos.push(Buffer.from(b)); // the one with the handshake
      return [b];
    },
  });
  const ann = await h.client(p.address, 'ann');
  ann.client.send({ kind: 'text', text: 'one' });
  await until(() => bob.texts().includes('ann: one'), 5000, "ann's first message");
  assert.ok(hellos.length > 0);
  const before = relay.stats().datagramsOut;
  const [unopened, states] = [relay.stats().unauthenticated, ann.states.length];
  for (const hello of hellos) p.asClient(hello); // within the cookie's lifetime, from where ann is
  ann.client.send({ kind: 'text', text: 'two' });
  await until(() => bob.texts().includes('ann: two'), 5000, "ann's message after the replay");
  assert.deepEqual(await ann.client.flush(2000), [], 'ann sees it delivered: her keys are still the session\'s');
  assert.ok(relay.stats().datagramsOut - before < 20, 'the replay was not answered with a new Welcome');
  assert.equal(relay.stats().unauthenticated, unopened, "every datagram of ann's still opens: the replay did not change her keys");
  assert.deepEqual(ann.states.slice(states), [], 'ann never lost the relay');
});
