// The relay's behaviours as members see them, on real sockets: backfill, what is older than the
// history, and leases and the member list.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, until } from './helpers/engine';

let h: Harness;
afterEach(() => h?.close());

test('a late joiner receives the recent history as backfill, then live messages', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { backfillMessages: 50 } });
  const ann = await h.client(relay.address(), 'ann');
  for (let i = 0; i < 80; i++) ann.client.send({ kind: 'text', text: `old ${i}` });
  assert.deepEqual(await ann.client.flush(5000), []);
  const backfill: boolean[] = [];
  const late = await h.client(relay.address(), 'late');
  late.client.on('message', (_m, info) => backfill.push(info.backfill));
  await until(() => late.messages.length === 50, 5000, 'backfill of 50');
  assert.deepEqual(late.texts(), Array.from({ length: 50 }, (_, i) => `ann: old ${i + 30}`), 'the newest 50, in order');
  ann.client.send({ kind: 'text', text: 'live' });
  await until(() => late.messages.length === 51, 5000, 'the live message');
  assert.equal(late.texts()[50], 'ann: live');
  assert.deepEqual([backfill.slice(0, 50).every(Boolean), backfill[50]], [true, false], 'backfill is marked as such');
});

test('messages older than the relay history are reported as lost, never hidden', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { historyMessages: 10 } });
  const ann = await h.client(relay.address(), 'ann');
  const bob = await h.client(relay.address(), 'bob');
  ann.client.send({ kind: 'text', text: 'first' });
  await until(() => bob.messages.length === 1, 5000, 'first message at bob');
  const resume = bob.client.resumePoint()!;
  await bob.client.close();
  for (let i = 0; i < 25; i++) ann.client.send({ kind: 'text', text: `while away ${i}` });
  assert.deepEqual(await ann.client.flush(5000), []);
  const back = await h.client(relay.address(), 'bob', { resume, clientId: bob.client.clientId });
  await until(() => back.messages.length === 10, 5000, 'the 10 messages still in the ring');
  assert.deepEqual(back.lost, [15], '15 messages could not be recovered');
  assert.equal(back.texts()[0], 'ann: while away 15');
});

test('members see each other join, and a silent member is dropped after its lease', async () => {
  h = new Harness();
  const relay = await h.relay();
  const ann = await h.client(relay.address(), 'ann');
  const joined: string[] = [];
  const left: string[] = [];
  ann.client.on('joined', (m) => joined.push(m.name));
  ann.client.on('left', (m) => left.push(m.name));
  const bob = await h.client(relay.address(), 'bob');
  await until(() => joined.includes('bob'), 3000, 'ann told that bob joined');
  assert.deepEqual(ann.client.members.map((m) => m.name).sort(), ['ann', 'bob']);
  // Two members with the same name are still two members, told apart by id.
  const bob2 = await h.client(relay.address(), 'bob');
  await until(() => ann.client.members.filter((m) => m.name === 'bob').length === 2, 3000, 'two bobs');
  await bob.client.close({ leave: true });
  await until(() => left.includes('bob'), 3000, 'ann told that bob left');
  // bob2 vanishes without a word: its socket closes with no Leave; the lease (3 x 300 ms) drops it.
  await bob2.client.close({ leave: false });
  await until(() => ann.client.members.length === 1, 4000, 'the silent bob dropped');
  assert.equal(relay.stats().members, 1);
});
