// Issue 11, many rooms per relay: a room's members see its messages only, each room keeps its own
// order through loss, the default room is what a client that names no room joins, a room is created
// only when asked (and within the relay's room cap), and a sealed room made by a member admits only
// those who prove its secret.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatClient, ChatError } from '../../src/chat';
import { newRoomSecret } from '../../src/protocol/sealed-room';
import { nodeCrypto } from '../../src/protocol/crypto';
import { Harness, seqsInOrder, until, type Recorder } from './helpers/engine';
import { LossyProxy } from './helpers/proxy';

let h: Harness;
afterEach(() => h.close());

const refused = (pattern: RegExp) => (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && pattern.test(e.message);

function talk(clients: Recorder[], count: number, tag: string): void {
  for (let i = 0; i < count; i++) for (const c of clients) c.client.send({ kind: 'text', text: `${tag} ${c.client.name} ${i}` });
}

/** Each sender's messages arrive in the order sent, all of them. */
function senderOrder(r: Recorder, names: string[], tag: string, count: number): void {
  for (const n of names) {
    const mine = r.messages.filter((m) => m.sender.name === n).map((m) => m.text);
    assert.deepEqual(mine, Array.from({ length: count }, (_, i) => `${tag} ${n} ${i}`), `${r.client.name} sees ${n}'s messages in ${tag}, in order`);
  }
}

test("two rooms on one relay, through 30% loss: each member sees its own room's messages only, in order; a client in main sees neither", async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { memberBurst: 1000, memberMessagesPerSecond: 1000 } });
  const proxy = await LossyProxy.start(relay.address(), { drop: 0.3, duplicate: 0.05, reorder: 0.1, seed: 11 });
  h.track(() => proxy.close());
  const opts = (room: string) => ({ room, create: true, timers: { joinTimeoutMs: 15000 } });
  const red = [await h.client(proxy.address, 'ann', opts('red')), await h.client(proxy.address, 'bob', opts('red'))];
  const blue = [await h.client(proxy.address, 'cat', opts('blue')), await h.client(proxy.address, 'dan', opts('blue'))];
  const lobby = await h.client(relay.address(), 'eve');
  assert.equal(lobby.client.room, 'main');
  assert.equal(red[0].client.room, 'red');
  talk(red, 40, 'red');
  talk(blue, 40, 'blue');
  await until(() => [...red, ...blue].every((c) => c.messages.length === 80), 45000, '80 messages at each member of both rooms');
  for (const c of red) senderOrder(c, ['ann', 'bob'], 'red', 40);
  for (const c of blue) senderOrder(c, ['cat', 'dan'], 'blue', 40);
  for (const c of [...red, ...blue]) assert.ok(seqsInOrder(c.messages) && c.messages[0].seq === 1, `${c.client.name}: seqs 1..80 of its own room, in order`);
  assert.ok([...red, ...blue].every((c) => c.messages.length === 80), 'nothing from the other room arrived');
  assert.equal(lobby.messages.length, 0, 'main saw neither room');
  assert.ok(proxy.counts.dropped > 100, `the proxy really dropped: ${JSON.stringify(proxy.counts)}`);
  // Under this loss a member may miss its lease and join again meanwhile: its count is polled.
  const red2 = () => relay.rooms().find((r) => r.name === 'red')?.members === 2;
  await until(red2, 10000, 'both red members in the relay\'s count');
  const rooms = Object.fromEntries(relay.rooms().map((r) => [r.name, r]));
  assert.deepEqual(Object.keys(rooms).sort(), ['blue', 'main', 'red']);
  assert.deepEqual({ ...rooms.red }, { name: 'red', sealed: false, dm: false, members: 2, headSeq: 80 });
  assert.equal(rooms.main.members, 1);
  assert.equal(relay.stats().headSeq, 0, 'stats() is the default room');
});

test('a client that names no room and one that names "main" are in the same room', async () => {
  h = new Harness();
  const relay = await h.relay();
  const old = await h.client(relay.address(), 'ann');
  const named = await h.client(relay.address(), 'bob', { room: 'main' });
  const events: string[] = [];
  relay.on('message', (m) => events.push(`${m.room}: ${m.text}`));
  old.client.send({ kind: 'text', text: 'hi' });
  named.client.send({ kind: 'text', text: 'hello' });
  await until(() => old.messages.length === 2 && named.messages.length === 2, 5000, 'both messages at both');
  assert.deepEqual(events.sort(), ['main: hello', 'main: hi']);
});

test('a room that does not exist is refused (reason 8) unless the Hello asks to create it', async () => {
  h = new Harness();
  const relay = await h.relay();
  await assert.rejects(h.client(relay.address(), 'ann', { room: 'nowhere' }), refused(/there is no room nowhere on this relay/));
  assert.deepEqual(relay.rooms().map((r) => r.name), ['main'], 'a refused join made no room');
  const ann = await h.client(relay.address(), 'ann', { room: 'somewhere', create: true });
  const bob = await h.client(relay.address(), 'bob', { room: 'somewhere' });
  ann.client.send({ kind: 'text', text: 'found it' });
  await until(() => bob.messages.length === 1, 5000, "bob gets ann's message in the room she made");
});

test('beyond maxRooms a new room is refused (reason 9); joining an existing one still works', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { maxRooms: 2 } });
  await h.client(relay.address(), 'ann', { room: 'one', create: true });
  await assert.rejects(h.client(relay.address(), 'bob', { room: 'two', create: true }), refused(/as many rooms as it may \(2\)/));
  await h.client(relay.address(), 'cat', { room: 'one', create: true });
  assert.equal(relay.rooms().find((r) => r.name === 'one')?.members, 2);
});

test('one machine may create at most roomsPerHost rooms (reason 9, saying so); another machine still can, and joining is never capped', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { roomsPerHost: 2 } });
  await h.client(relay.address(), 'ann', { room: 'one', create: true });
  await h.client(relay.address(), 'ann2', { room: 'two', create: true });
  await assert.rejects(h.client(relay.address(), 'ann3', { room: 'three', create: true }), refused(/as many rooms as this relay lets one machine make \(2\)/));
  await h.client(relay.address(), 'ann4', { room: 'two', create: true }); // there already: a join
  await h.client(relay.address(), 'bob', { room: 'three', create: true, bind: { host: '127.0.0.2' } });
  assert.deepEqual(relay.rooms().map((r) => r.name).sort(), ['main', 'one', 'three', 'two']);
});

test("a sealed room a member creates admits only those with its secret; the relay lists it sealed", async () => {
  h = new Harness();
  const relay = await h.relay();
  const secret = newRoomSecret(nodeCrypto);
  const ann = await h.client(relay.address(), 'ann', { room: 'vault', create: true, roomSecret: secret });
  await assert.rejects(h.client(relay.address(), 'eve', { room: 'vault' }), refused(/sealed: you need its invite link/));
  await assert.rejects(h.client(relay.address(), 'eve', { room: 'vault', roomSecret: newRoomSecret(nodeCrypto) }), refused(/not this room's/));
  const bob = await h.client(relay.address(), 'bob', { room: 'vault', roomSecret: secret });
  ann.client.send({ kind: 'text', text: 'sealed hello' });
  await until(() => bob.messages.length === 1, 5000, 'the sealed message at bob');
  assert.equal(bob.messages[0].text, 'sealed hello');
  assert.deepEqual(relay.rooms().find((r) => r.name === 'vault'), { name: 'vault', sealed: true, dm: false, members: 2, headSeq: 1 });
  // The default room stays open: a sealed room elsewhere does not seal it.
  await h.client(relay.address(), 'cat');
});

test('a room name that cannot be one is refused before anything is sent', () => {
  h = new Harness();
  for (const room of ['Main', '', '-x', 'a b', 'x'.repeat(65)]) {
    assert.throws(() => new ChatClient({ server: { host: '127.0.0.1', port: 1 }, name: 'ann', room }), (e: unknown) => e instanceof ChatError && e.code === 'BAD_OPTION', room);
  }
});

test("a room members made keeps history within roomHistoryBytes; the default room within historyBytes", async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { roomHistoryBytes: 3000 } });
  const text = (i: number) => `${i} ${'x'.repeat(996)}`;
  const ann = await h.client(relay.address(), 'ann', { room: 'small', create: true });
  const cat = await h.client(relay.address(), 'cat');
  for (let i = 0; i < 10; i++) {
    ann.client.send({ kind: 'text', text: text(i) });
    cat.client.send({ kind: 'text', text: text(i) });
  }
  await until(() => ann.messages.length === 10 && cat.messages.length === 10, 5000, 'ten messages in each room');
  const late = await h.client(relay.address(), 'bob', { room: 'small' });
  const lateMain = await h.client(relay.address(), 'dan');
  await until(() => lateMain.messages.length === 10, 5000, "main's whole history at dan");
  await until(() => late.messages.at(-1)?.text === text(9), 5000, "the small room's newest message at bob");
  assert.ok(late.messages.length >= 1 && late.messages.length <= 3, `the small room kept at most 3 KB: ${late.messages.length} messages`);
});

test("seed lines go to the default room only; the relay's events name each member's and message's room", async () => {
  h = new Harness();
  const relay = await h.relay({ legacyBridge: true });
  const events: string[] = [];
  relay.on('joined', (m) => events.push(`joined ${m.name} ${m.room}`));
  relay.on('left', (m) => events.push(`left ${m.name} ${m.room}`));
  relay.on('message', (m) => events.push(`message ${m.sender.name} ${m.room}`));
  const red = await h.client(relay.address(), 'ann', { room: 'red', create: true });
  const main = await h.client(relay.address(), 'bob');
  const seed = (await import('node:dgram')).createSocket('udp4');
  h.track(() => new Promise<void>((r) => seed.close(() => r())));
  seed.send(Buffer.from('carol: hello from the seed'), relay.address().port, '127.0.0.1');
  await until(() => main.messages.length === 1, 5000, 'the seed line in main');
  red.client.send({ kind: 'text', text: 'red only' });
  await until(() => red.messages.length === 1, 5000, "ann's line in red");
  await red.client.close();
  await until(() => events.includes('left ann red'), 5000, 'ann leaving red');
  assert.equal(main.messages[0].text, 'hello from the seed');
  assert.ok(main.messages[0].sender.legacy);
  assert.deepEqual(red.messages.map((m) => m.text), ['red only'], 'red never saw the seed line');
  assert.deepEqual(events, ['joined ann red', 'joined bob main', 'message carol main', 'message ann red', 'left ann red']);
});

test('membersPerHost counts a host\'s members in all rooms together; maxMembers is per room', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { membersPerHost: 2, maxMembers: 1 } });
  await h.client(relay.address(), 'ann', { room: 'red', create: true });
  await assert.rejects(h.client(relay.address(), 'bob', { room: 'red' }), refused(/The room is full \(1 members\)/));
  await h.client(relay.address(), 'bob');
  await assert.rejects(h.client(relay.address(), 'cat', { room: 'blue', create: true }), refused(/Too many members from 127\.0\.0\.1 \(2 per host\)/));
});
