// Who is typing and how far each member has seen (issue 13): ephemeral member state the relay passes
// on only to members that asked for it (a panel), never stored or sequenced, bounded in rate.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType as T } from '../../src/protocol/packets';
import { Harness, sleep, until, type Recorder } from './helpers/engine';
import { RawV2 } from './helpers/raw-v2';

let h: Harness | undefined;
afterEach(() => h?.close());

function watch(r: Recorder): { typing: string[]; seen: Array<[string, number]> } {
  const out = { typing: [] as string[], seen: [] as Array<[string, number]> };
  r.client.on('typing', (id) => out.typing.push(id));
  r.client.on('seen', (id, seq) => out.seen.push([id, seq]));
  return out;
}

test('typing and seen reach the members that asked for them, once a second at most, and a late joiner learns who has seen what', async () => {
  h = new Harness();
  const relay = await h.relay();
  const ann = await h.client(relay.address(), 'ann', { activity: true });
  const bob = await h.client(relay.address(), 'bob', { activity: true });
  const bot = await h.client(relay.address(), 'bot'); // did not ask
  const [atAnn, atBob, atBot] = [watch(ann), watch(bob), watch(bot)];
  for (const t of ['one', 'two', 'three']) ann.client.send({ kind: 'text', text: t });
  await until(() => bob.messages.length === 3, 3000, 'the messages at bob');
  for (let i = 0; i < 5; i++) ann.client.typing(); // a person typing fast: one Typing
  await until(() => atBob.typing.length === 1, 2000, "ann's typing at bob");
  bob.client.seen(2);
  bob.client.seen(1); // going back says nothing
  bob.client.seen(99); // nobody has seen what is not there: the relay says 3
  await until(() => atAnn.seen.length === 2, 2000, "bob's seen at ann");
  await sleep(200);
  assert.deepEqual(atBob.typing, [ann.client.clientId]);
  assert.deepEqual(atAnn.seen, [[bob.client.clientId, 2], [bob.client.clientId, 3]]);
  assert.deepEqual(atAnn.typing, [], 'not to the one typing');
  assert.deepEqual([atBot.typing, atBot.seen], [[], []], 'nothing to a member that did not ask');
  const cy = await h.client(relay.address(), 'cy', { activity: true });
  const atCy = watch(cy);
  await until(() => atCy.seen.length >= 1, 2000, 'what bob has seen, at a late joiner');
  assert.deepEqual(atCy.seen, [[bob.client.clientId, 3]]);
  const messages = relay.stats().headSeq;
  assert.equal(messages, 3, 'typing and seen are not messages: nothing was sequenced for them');
});

test('a room of more than 50 gets a count of who has seen the newest message, not each member\'s seen', async () => {
  h = new Harness();
  const relay = await h.relay();
  const crowd: RawV2[] = [];
  for (let i = 0; i < 49; i++) {
    const r = await RawV2.open(relay.address());
    h.track(() => r.close());
    assert.equal((await r.join({ name: `m${i}` })).type, T.Welcome);
    crowd.push(r);
  }
  const ann = await h.client(relay.address(), 'ann', { activity: true });
  const bob = await h.client(relay.address(), 'bob', { activity: true });
  assert.equal(relay.stats().members, 51);
  const atAnn = watch(ann);
  const counts: Array<[number, number]> = [];
  ann.client.on('seenCount', (seq, count) => counts.push([seq, count]));
  ann.client.send({ kind: 'text', text: 'all hands at three' });
  await until(() => bob.messages.length === 1, 3000, 'the message at bob');
  bob.client.seen(1);
  for (const r of crowd.slice(0, 10)) r.send({ type: T.Seen, clientId: r.clientId, seq: 1 });
  await until(() => counts.some(([seq, n]) => seq === 1 && n === 11), 5000, '11 have seen it, at ann');
  assert.deepEqual(atAnn.seen, [], 'no per-member seen in a room this size');
  assert.ok(counts.every(([, n]) => n <= 11), JSON.stringify(counts));
});
