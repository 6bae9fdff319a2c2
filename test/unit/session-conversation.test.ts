// Replies, reactions, edits and deletes as the extension's window keeps them (issue 13): what every
// member's panel is given, what the unread count and notifications count, what history.json keeps and
// what a reload and a late joiner show. Two windows (ChatSessions, as the extension runs them) and one
// engine client, on a real relay on 127.0.0.1.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatItem } from '../../src/common/messages';
import { ChatSession, type Logger } from '../../src/extension/chatSession';
import { MemoryHistory } from '../../src/extension/history';
import { newIdentity } from '../../src/chat/identity';
import { nodeCrypto } from '../../src/protocol/crypto';
import { FAST_CLIENT, Harness, until } from './helpers/engine';

let h: Harness | undefined;
afterEach(() => h?.close());

type Message = Extract<ChatItem, { type: 'message' }>;

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m) };
}

/** A window: its session on its history, with this device's key (kept across a reload, as the extension does). */
async function window(server: { host: string; port: number }, name: string, storage = new MemoryHistory(), identity = newIdentity(nodeCrypto).identity) {
  const log = recordingLog();
  const session = await ChatSession.open({ server, name, storage, log, maxMessages: 500, timers: FAST_CLIENT, identity });
  h!.track(() => session.dispose());
  let incoming = 0;
  session.on('incoming', () => incoming++);
  await session.connect();
  return { session, storage, log, identity, incoming: () => incoming };
}

const messages = (s: ChatSession): Message[] => s.snapshot().items.filter((i): i is Message => i.type === 'message');
const byText = (s: ChatSession, text: string): Message | undefined => messages(s).find((m) => m.body.text === text);
const bySeq = (s: ChatSession, seq: number): Message => messages(s).find((m) => m.seq === seq)!;
/** What a reader sees of message `seq`: its text and labels, and its reactions with who. */
function shown(s: ChatSession, seq: number) {
  const m = bySeq(s, seq);
  return { text: m.body.text, edited: m.edited === true, deleted: m.deleted === true, reactions: (m.reactions ?? []).map((r) => `${r.emoji} ${r.names.join(',')}${r.mine ? ' (mine)' : ''}`) };
}

test('a reply, reactions, an edit and a delete show at every member as rows changed in place, survive a reload, and reach a late joiner', async () => {
  h = new Harness();
  const relay = await h.relay();
  const server = relay.address();
  const ann = await window(server, 'ann');
  const bob = await window(server, 'bob');
  const eve = await h.client(server, 'eve');

  bob.session.send('ship it today?');
  bob.session.send('lunch?');
  await until(() => !!byText(ann.session, 'lunch?') && byText(bob.session, 'lunch?')?.mine === true, 5000, "bob's messages at ann, and his own signed ones back at him");
  const q = byText(ann.session, 'ship it today?')!;
  const lunch = byText(ann.session, 'lunch?')!;
  assert.equal(q.mine, undefined, "ann is offered no Edit or Delete of bob's message");
  assert.equal(q.respond, true, 'but Reply and React');
  const unreadBefore = ann.session.unread;
  const incomingBefore = ann.incoming();

  ann.session.send('yes, after the review', q.key);
  await until(() => !!byText(bob.session, 'yes, after the review'), 5000, 'the reply at bob');
  const reply = byText(bob.session, 'yes, after the review')!;
  assert.deepEqual(reply.reply, { seq: q.seq, key: q.key }, 'the reply names the message it answers, by the key it has in the panel');
  assert.equal(reply.body.kind === 'text' && reply.body.replyTo, q.seq);

  ann.session.react(q.key, '👍', false);
  eve.client.send({ kind: 'reaction', text: '', to: q.seq!, emoji: '👍', remove: false });
  ann.session.react(q.key, '🎉', false);
  ann.session.react(q.key, '🎉', true);
  bob.session.edit(bySeq(bob.session, q.seq!).key, 'ship it tomorrow?');
  eve.client.send({ kind: 'edit', text: 'eve was here', to: lunch.seq! }); // not eve's
  bob.session.delete(bySeq(bob.session, lunch.seq!).key);
  await until(() => shown(ann.session, lunch.seq!).deleted && shown(bob.session, lunch.seq!).deleted, 5000, 'the delete at both');

  for (const [who, s] of [['ann', ann.session], ['bob', bob.session]] as const) {
    assert.deepEqual(shown(s, q.seq!), { text: 'ship it tomorrow?', edited: true, deleted: false, reactions: [`👍 ann,eve${who === 'ann' ? ' (mine)' : ''}`] }, who);
    assert.deepEqual(shown(s, lunch.seq!), { text: '', edited: false, deleted: true, reactions: [] }, `${who}: eve's edit changed nothing, bob's delete took the words`);
    assert.equal(bySeq(s, lunch.seq!).mine, undefined, 'a deleted message offers nothing');
    // Actions are no rows: the two texts and the reply only.
    assert.deepEqual(messages(s).map((m) => m.body.text), ['ship it tomorrow?', '', 'yes, after the review'], who);
  }
  assert.ok(ann.log.lines.some((l) => l.includes(`only the author of #${lunch.seq} can edit it`)), "eve's edit is logged at ann");
  assert.equal(ann.session.unread - unreadBefore, 0, 'ann wrote the reply herself: nothing new');
  assert.equal(ann.incoming(), incomingBefore, 'reactions, edits and deletes notify nobody');
  assert.equal(bob.incoming() > 0, true);
  const bobIncoming = bob.incoming();
  eve.client.send({ kind: 'reaction', text: '', to: q.seq!, emoji: '👀', remove: false });
  eve.client.send({ kind: 'text', text: 'a reply from eve', replyTo: q.seq! });
  await until(() => !!byText(bob.session, 'a reply from eve'), 5000, "eve's reply at bob");
  assert.equal(bob.incoming() - bobIncoming, 1, 'a reply notifies; a reaction does not');

  // The disk holds the messages as they read now: no deleted words, no action of its own.
  const saved = JSON.stringify(ann.storage.state);
  assert.ok(!saved.includes('lunch?') && !saved.includes('ship it today?'), 'deleted and replaced words are not kept');

  // A reload: the same rows from disk, and later actions apply to them (the thread is rebuilt).
  await ann.session.dispose();
  const again = await window(server, 'ann', ann.storage, ann.identity);
  assert.deepEqual(shown(again.session, q.seq!), { text: 'ship it tomorrow?', edited: true, deleted: false, reactions: ['👍 ann,eve (mine)', '👀 eve'] });
  again.session.react(bySeq(again.session, q.seq!).key, '👍', true);
  eve.client.send({ kind: 'reaction', text: '', to: q.seq!, emoji: '👀', remove: true });
  await until(() => shown(bob.session, q.seq!).reactions.join() === '👍 eve', 5000, 'ann took her 👍 back after the reload, eve her 👀');
  await until(() => shown(again.session, q.seq!).reactions.join() === '👍 eve', 5000, 'the same in the reloaded window');

  // A late joiner's backfill reads the same.
  const late = await window(server, 'late');
  await until(() => !!byText(late.session, 'a reply from eve'), 5000, 'the backfill');
  assert.deepEqual(shown(late.session, q.seq!), { text: 'ship it tomorrow?', edited: true, deleted: false, reactions: ['👍 eve'] });
  assert.equal(shown(late.session, lunch.seq!).deleted, true);
  assert.equal(late.session.unread, 0);
});

test('Edit and Delete of a message that is not your own, and actions on what is gone, are refused with a sentence', async () => {
  h = new Harness();
  const relay = await h.relay();
  const ann = await window(relay.address(), 'ann');
  const bob = await h.client(relay.address(), 'bob');
  bob.client.send({ kind: 'text', text: 'mine, not yours' });
  await until(() => !!byText(ann.session, 'mine, not yours'), 5000, "bob's message");
  const key = byText(ann.session, 'mine, not yours')!.key;
  assert.throws(() => ann.session.edit(key, 'changed'), /Only its author can edit/);
  assert.throws(() => ann.session.delete(key), /Only its author can delete/);
  assert.throws(() => ann.session.react('s:999', '👍', false), /no longer in this room's conversation/);
  assert.throws(() => ann.session.react(key, 'two words', false), /reaction/);
  ann.session.clear();
  assert.throws(() => ann.session.send('too late', key), /nothing to reply to/);
});
