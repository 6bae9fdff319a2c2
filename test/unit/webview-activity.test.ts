// The panel's typing line and "Seen by" line (issue 13), from their pure parts: who is shown typing
// and when they fade, how the line reads, and who has seen the newest message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatItem, MemberView } from '../../src/common/messages';
import { newestSeqUpTo, newestSequenced, seenBy, seenCountText, seenText, Typists, TYPING_SHOWN_MS, typingText } from '../../src/webview/activity';

const member = (id: string, name: string, self = false): MemberView => ({ memberId: 1, id, name, presence: 'online', self });
const [ANN, BOB, CY, ME] = ['a'.repeat(16), 'b'.repeat(16), 'c'.repeat(16), 'f'.repeat(16)];
const room = [member(ME, 'me', true), member(ANN, 'ann'), member(BOB, 'bob'), member(CY, 'cy')];

function message(seq: number | undefined, sender: string, extra: Partial<Extract<ChatItem, { type: 'message' }>> = {}): ChatItem {
  return { type: 'message', key: seq === undefined ? `o:x:${sender}` : `s:${seq}`, seq, time: 0, sender: { id: sender, name: sender, legacy: false }, body: { kind: 'text', text: 'hi' }, own: sender === ME, ...extra };
}

test('a typist shows until TYPING_SHOWN_MS after their last Typing, in the order they began, and goes at once when their message arrives', () => {
  const t = new Typists();
  t.typed(ANN, 0);
  t.typed(BOB, 1000);
  t.typed(ANN, 2000); // typing on: ann stays first and her time is renewed
  assert.deepEqual(t.current(2000), [ANN, BOB]);
  assert.equal(t.nextFade(2000), 1000 + TYPING_SHOWN_MS - 2000, 'bob fades first');
  assert.deepEqual(t.current(1000 + TYPING_SHOWN_MS), [ANN], 'bob faded');
  assert.deepEqual(t.current(2000 + TYPING_SHOWN_MS - 1), [ANN]);
  assert.equal(t.spoke(ANN), true, "ann's message arrived");
  assert.deepEqual(t.current(2001), []);
  assert.equal(t.nextFade(2001), undefined, 'nobody left: no timer');
  assert.equal(t.spoke(CY), false, 'a message from someone not typing changes nothing');
});

test('the typing line names one or two typists and counts no more than that', () => {
  assert.equal(typingText([]), '');
  assert.equal(typingText(['ann']), 'ann is typing…');
  assert.equal(typingText(['ann', 'bob']), 'ann and bob are typing…');
  assert.equal(typingText(['ann', 'bob', 'cy']), 'several people are typing…');
});

test('"Seen by" names the other members whose seen seq reaches the message, in member-list order, never this window nor the sender', () => {
  const seen = new Map([[BOB, 7], [ANN, 9], [CY, 6], [ME, 9]]);
  assert.deepEqual(seenBy(seen, 7, room, ME), ['ann', 'bob'], 'cy has seen only up to 6; me is this window');
  assert.deepEqual(seenBy(seen, 9, room, ME), ['ann']);
  assert.deepEqual(seenBy(seen, 7, room, ANN), ['bob'], "ann wrote it: her seeing it says nothing");
  assert.deepEqual(seenBy(new Map(), 1, room, ME), []);
  assert.deepEqual(seenBy(new Map([['d'.repeat(16), 9]]), 1, room, ME), [], 'someone no longer in the room is not named');
});

test('"Seen by" is not shown in rooms over 50 members, where the relay does not pass reads on', () => {
  const big = Array.from({ length: 51 }, (_, i) => member(i.toString(16).padStart(16, '0'), `m${i}`));
  assert.equal(seenBy(new Map([[big[1].id, 5]]), 5, big, ME), undefined);
  assert.deepEqual(seenBy(new Map([[big[1].id, 5]]), 5, big.slice(0, 50), ME), ['m1'], 'at 50 it is');
});

test('the "Seen by" line spells out three names and counts the rest; the tooltip names everyone', () => {
  assert.deepEqual(seenText([]), { text: '', title: '' });
  assert.deepEqual(seenText(['ann', 'bob']), { text: 'Seen by ann, bob', title: 'Seen by ann, bob' });
  assert.deepEqual(seenText(['a', 'b', 'c', 'd']), { text: 'Seen by a, b, c and 1 other', title: 'Seen by a, b, c, d' });
  assert.equal(seenText(['a', 'b', 'c', 'd', 'e']).text, 'Seen by a, b, c and 2 others');
});

test('what "Seen by" is about: the newest sequenced message that is not deleted; what the reader has seen: the newest seq in view', () => {
  const items: ChatItem[] = [
    message(3, ANN),
    { type: 'notice', key: 'n:1', time: 0, text: 'x', tone: 'info' },
    message(4, BOB),
    message(5, ANN, { deleted: true }),
    message(undefined, ME, { state: 'sending' }),
  ];
  assert.equal(newestSequenced(items)?.seq, 4, 'an own message not sequenced yet and a deleted one are passed over');
  assert.equal(newestSequenced([]), undefined);
  assert.equal(newestSeqUpTo(items, 4), 5, 'the reader saw the deleted row too');
  assert.equal(newestSeqUpTo(items, 1), 3, 'a notice in view: the message above it');
  assert.equal(newestSeqUpTo(items, -1), undefined);
  assert.equal(newestSeqUpTo(items, 99), 5);
});

test('a room of more than 50 says how many have seen the newest message, not who', () => {
  assert.deepEqual(seenCountText(12), { text: 'Seen by 12', title: '12 members have seen this message (in a room of more than 50 members, who is not said)' });
  assert.equal(seenCountText(1).title.startsWith('1 member has'), true);
});
