// The window's conversation (src/extension/conversation.ts) with replies, reactions, edits and deletes
// (issue 13), without sockets: a relay may send the room again from an earlier seq (a resume point that
// lags the saved rows, or none at all), and what the window shows and keeps must not change for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RoomMessage } from '../../src/chat';
import type { SendableBody } from '../../src/common/message';
import { Conversation } from '../../src/extension/conversation';
import type { PersistedState } from '../../src/extension/history';

const ROOM = '00000000000000aa';
const SELF = 'a'.repeat(16);
const KEYS = { me: 'KEY-me', bob: 'KEY-bob', eve: 'KEY-eve' } as const;
const IDS = { me: SELF, bob: 'b'.repeat(16), eve: 'e'.repeat(16) } as const;

const said = (seq: number, who: keyof typeof KEYS, body: SendableBody): RoomMessage =>
  ({ ...body, seq, time: seq * 1000, msgId: seq, sender: { id: IDS[who], name: who, legacy: false, key: KEYS[who] }, verified: true });

const ROOM_LOG: RoomMessage[] = [
  said(1, 'bob', { kind: 'text', text: 'ship it today?' }),
  said(2, 'bob', { kind: 'text', text: 'lunch?' }),
  said(3, 'me', { kind: 'text', text: 'after the review', replyTo: 1 }),
  said(4, 'bob', { kind: 'edit', text: 'ship it tomorrow?', to: 1 }),
  said(5, 'me', { kind: 'reaction', text: '', to: 1, emoji: '👍', remove: false }),
  said(6, 'eve', { kind: 'reaction', text: '', to: 1, emoji: '👍', remove: false }),
  said(7, 'bob', { kind: 'edit', text: 'lunch at 1?', to: 2 }),
  said(8, 'bob', { kind: 'delete', text: '', to: 2 }),
  said(9, 'eve', { kind: 'edit', text: 'eve was here', to: 1 }),
  said(10, 'me', { kind: 'edit', text: 'after lunch', to: 3 }),
];

/** Each message row as a reader sees it. */
function rows(c: Conversation) {
  return c.items().flatMap((i) => (i.type === 'message' ? [[i.key, i.body.text, i.deleted ? 'deleted' : i.edited ? 'edited' : '', (i.reactions ?? []).map((r) => `${r.emoji}${r.names.join('+')}${r.mine ? '*' : ''}`).join(), i.mine ? 'mine' : '', i.reply?.key ?? ''].join(' | ')] : []));
}

const EXPECTED = [
  's:1 | ship it tomorrow? | edited | 👍me+eve* |  | ',
  's:2 |  | deleted |  |  | ',
  's:3 | after lunch | edited |  | mine | s:1',
];

test('actions change the rows they refer to, make no rows, and an edit by someone else is ignored with a reason', () => {
  const c = new Conversation(SELF, { version: 1, entries: [] }, KEYS.me);
  const ignored: string[] = [];
  for (const m of ROOM_LOG) {
    const change = c.addMessage(m, ROOM);
    if (change?.ignored) ignored.push(change.ignored);
    if (m.kind === 'edit' || m.kind === 'reaction' || m.kind === 'delete') assert.equal(change?.entry, undefined, `seq ${m.seq} makes no row`);
  }
  assert.deepEqual(rows(c), EXPECTED);
  assert.deepEqual(ignored, ['only the author of #1 can edit it']);
});

test('the room sent again from the start, or from a seq the saved rows are past, changes nothing and brings back no deleted words', () => {
  const first = new Conversation(SELF, { version: 1, entries: [] }, KEYS.me);
  for (const m of ROOM_LOG) first.addMessage(m, ROOM);
  for (const lastSeq of [undefined, 0, 3, 8, 10]) {
    const saved: PersistedState = structuredClone({ version: 1, resume: lastSeq === undefined ? undefined : { roomId: ROOM, lastSeq }, entries: first.entries(100) });
    const again = new Conversation(SELF, saved, KEYS.me);
    if (lastSeq === undefined) again.enterRoom(ROOM); // the first join says which room the rows are from
    assert.deepEqual(rows(again), EXPECTED, `reloaded (resume ${lastSeq})`);
    for (const m of ROOM_LOG.slice(lastSeq ?? 0)) {
      again.addMessage(m, ROOM);
      const kept = JSON.stringify(again.entries(100));
      assert.ok(!kept.includes('lunch?') && !kept.includes('lunch at 1?'), `resume ${lastSeq}: seq ${m.seq} brought back deleted words`);
    }
    assert.deepEqual(rows(again), EXPECTED, `after the relay sent it again from ${lastSeq ?? 'the start'}`);
  }
});

test('after a reload, a reaction is taken back and a new edit applies: the thread is rebuilt from the saved rows', () => {
  const first = new Conversation(SELF, { version: 1, entries: [] }, KEYS.me);
  for (const m of ROOM_LOG) first.addMessage(m, ROOM);
  const again = new Conversation(SELF, structuredClone({ version: 1, resume: { roomId: ROOM, lastSeq: 10 }, entries: first.entries(100) }), KEYS.me);
  again.addMessage(said(11, 'me', { kind: 'reaction', text: '', to: 1, emoji: '👍', remove: true }), ROOM);
  again.addMessage(said(12, 'bob', { kind: 'edit', text: 'ship it friday?', to: 1 }), ROOM);
  const eve = again.addMessage(said(13, 'eve', { kind: 'delete', text: '', to: 1 }), ROOM);
  assert.equal(eve?.ignored, 'only the author of #1 can delete it', 'the author is known after the reload too');
  assert.deepEqual(rows(again)[0], 's:1 | ship it friday? | edited | 👍eve |  | ');
});
