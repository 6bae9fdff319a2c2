// Replies, reactions, edits and deletes (issue 13): each is a message of its own kind (docs/PROTOCOL.md,
// "Conversation kinds"), signed, sequenced and stored like a text, and what it does to the message it
// refers to is worked out by every reader alike (src/common/thread.ts): only the author's key can edit or
// delete, a reaction counts once per person. Through a lossy proxy, and in a late joiner's backfill.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Thread, type Entry } from '../../src/common/thread';
import { decode, encode } from '../../src/protocol/codec';
import { bodyOf, wireOf } from '../../src/protocol/kinds';
import { fragmentData } from '../../src/protocol/fragments';
import type { Data, SendableBody } from '../../src/protocol/packets';
import { Harness, until, type Recorder } from './helpers/engine';
import { LossyProxy } from './helpers/proxy';

let h: Harness | undefined;
afterEach(() => h?.close());

/** What a reader's panel or terminal would show for each original message, from the messages it got. */
function read(r: Recorder): { entries: Map<number, Entry>; ignored: string[] } {
  const t = new Thread();
  const ignored: string[] = [];
  for (const m of r.messages) {
    const c = t.add({ seq: m.seq, sender: m.sender, verified: m.verified, body: m });
    if (c.kind === 'ignored') ignored.push(c.reason);
  }
  const entries = new Map<number, Entry>();
  for (const m of r.messages) {
    const e = t.get(m.seq);
    if (e) entries.set(m.seq, e);
  }
  return { entries, ignored };
}

test('a reply, reactions, an edit and a delete reach every member, through loss, and read the same at each, backfill included', async () => {
  h = new Harness();
  const relay = await h.relay();
  const proxy = await LossyProxy.start(relay.address(), { drop: 0.2, duplicate: 0.05, reorder: 0.1, seed: 13 });
  h.track(() => proxy.close());
  const ann = await h.client(relay.address(), 'ann');
  const bob = await h.client(proxy.address, 'bob', { timers: { joinTimeoutMs: 20_000 } });
  const eve = await h.client(relay.address(), 'eve');
  const send = async (who: Recorder, body: SendableBody) => {
    const out = who.client.send(body); // the client updates it as it travels
    await until(() => out.state === 'delivered', 10_000, `${body.kind} sequenced`);
    return out.seq!;
  };
  const q = await send(ann, { kind: 'text', text: 'ship it today?' });
  const other = await send(ann, { kind: 'text', text: 'lunch?' });
  await send(bob, { kind: 'text', text: 'yes, after the review', replyTo: q });
  await send(bob, { kind: 'reaction', text: '', to: q, emoji: '👍', remove: false });
  await send(eve, { kind: 'reaction', text: '', to: q, emoji: '👍', remove: false });
  await send(eve, { kind: 'reaction', text: '', to: q, emoji: '🎉', remove: false });
  await send(eve, { kind: 'reaction', text: '', to: q, emoji: '🎉', remove: true });
  await send(ann, { kind: 'edit', text: 'ship it tomorrow?', to: q });
  await send(eve, { kind: 'edit', text: 'eve wrote this', to: q }); // not eve's message
  await send(eve, { kind: 'delete', text: '', to: other }); // nor this
  await send(ann, { kind: 'delete', text: '', to: other });
  const late = await h.client(relay.address(), 'late');
  const total = ann.messages.length;
  for (const r of [ann, bob, eve, late]) await until(() => r.messages.length === total, 10_000, `all ${total} messages`);
  for (const r of [ann, bob, eve, late]) {
    const { entries, ignored } = read(r);
    const shipped = entries.get(q)!;
    assert.deepEqual([shipped.text, shipped.edited, shipped.deleted], ['ship it tomorrow?', true, false], 'the author edited it; eve could not');
    assert.deepEqual(shipped.reactions, [{ emoji: '👍', names: ['bob', 'eve'] }], 'a reaction taken back is gone');
    assert.deepEqual([entries.get(other)!.deleted, entries.get(other)!.text], [true, '']);
    const reply = r.messages.find((m) => m.kind === 'text' && m.replyTo === q)!;
    assert.equal(reply.text, 'yes, after the review');
    assert.ok(reply.verified);
    assert.deepEqual(ignored, [`only the author of #${q} can edit it`, `only the author of #${other} can delete it`]);
  }
});

test('each kind travels as its kind byte and a JSON object of its fields, and comes back as it went', () => {
  const bodies: SendableBody[] = [
    { kind: 'text', text: 'plain' },
    { kind: 'text', text: 'an answer', replyTo: 7 },
    { kind: 'reaction', text: '', to: 7, emoji: '👍🏽', remove: false },
    { kind: 'reaction', text: '', to: 7, emoji: 'ack', remove: true },
    { kind: 'edit', text: 'fixed', to: 9 },
    { kind: 'delete', text: '', to: 9 },
  ];
  for (const b of bodies) {
    const [d] = fragmentData(Buffer.alloc(8), 1, b);
    const back = decode(encode(d)) as Data;
    assert.deepEqual(bodyOf(back.head!, back.chunk.toString()), b.kind === 'text' && b.replyTo === undefined ? { kind: 'text', text: 'plain' } : b);
  }
  assert.equal(wireOf({ kind: 'edit', text: 'x', to: 3 }).text.toString(), '{"to":3,"text":"x"}');
  for (const [code, text] of [[10, '{"to":0,"text":"x"}'], [11, '{"to":1,"emoji":"a b"}'], [12, '[1]'], [13, 'not json'], [12, '{"to":1,"text":" "}']] as const) {
    assert.equal(bodyOf({ kind: 'other', code, totalBytes: text.length }, text).kind, 'placeholder', `${code} ${text}`);
  }
  assert.throws(() => wireOf({ kind: 'reaction', text: '', to: 1, emoji: '', remove: false }), /reaction/);
});
