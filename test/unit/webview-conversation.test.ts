// The panel's pure parts of replies, reactions, edits and deletes (issue 13): what a quote and the
// composer's "Replying to" say, what a reaction chip's tooltip and spoken label say, which actions a
// row offers, and the webview's check of the new item fields. The DOM side is in the integration suite.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatItem } from '../../src/common/messages';
import { chipLabels, DELETED_TEXT, firstLine, QUOTE_CHARS, quoteOf, rowCommands, sameQuote, whoText } from '../../src/webview/thread-text';
import { isChatItem } from '../../src/webview/valid';

type Message = Extract<ChatItem, { type: 'message' }>;
const msg = (extra: Partial<Message> = {}): Message => ({
  type: 'message', key: 's:1', seq: 1, time: 1, own: false, sender: { id: '0123456789abcdef', name: 'bob', legacy: false },
  body: { kind: 'text', text: 'hi' }, ...extra,
});

describe('reply quotes', () => {
  it("quote the original's author and its first non-empty line, clipped", () => {
    assert.deepEqual(quoteOf('s:1', msg({ body: { kind: 'text', text: '\n  ship it today?  \nsecond line' } })), { key: 's:1', name: 'bob', text: 'ship it today?' });
    const long = firstLine(msg({ body: { kind: 'text', text: 'x'.repeat(500) } }));
    assert.equal([...long].length, QUOTE_CHARS);
    assert.ok(long.endsWith('…'));
    // Clipped by characters, never through an emoji's surrogate pair.
    const emoji = firstLine(msg({ body: { kind: 'text', text: '😀'.repeat(200) } }));
    assert.equal(emoji, `${'😀'.repeat(QUOTE_CHARS - 1)}…`);
  });

  it('say when the original was deleted, is a snippet, or is not kept', () => {
    assert.equal(firstLine(msg({ deleted: true, body: { kind: 'text', text: '' } })), DELETED_TEXT);
    assert.equal(firstLine(msg({ body: { kind: 'snippet', text: 'code', path: 'src/a.ts', startLine: 3, endLine: 9, language: 'ts' } })), 'src/a.ts:3\u20139');
    assert.deepEqual(quoteOf('s:7', undefined), { key: 's:7', missing: true });
    assert.deepEqual(quoteOf('n:1', { type: 'notice', key: 'n:1', time: 1, text: 'x', tone: 'info' }), { key: 'n:1', missing: true });
  });

  it('are the same only while the original reads the same (a changed original redraws its replies)', () => {
    const a = quoteOf('s:1', msg());
    assert.ok(sameQuote(a, quoteOf('s:1', msg())));
    assert.ok(!sameQuote(a, quoteOf('s:1', msg({ body: { kind: 'text', text: 'hi (edited)' } }))));
    assert.ok(!sameQuote(a, quoteOf('s:1', undefined)));
    assert.ok(sameQuote(undefined, undefined));
    assert.ok(!sameQuote(a, undefined));
  });
});

describe('reaction chips', () => {
  it('name who reacted, and say what a click does', () => {
    assert.deepEqual(chipLabels({ emoji: '👍', names: ['ann', 'eve'], mine: true }), {
      title: 'ann and eve reacted with 👍',
      aria: '👍 2: ann and eve reacted with 👍; click to take yours back',
    });
    assert.equal(chipLabels({ emoji: '🎉', names: ['ann'], mine: false }).aria, '🎉 1: ann reacted with 🎉; click to add yours');
    assert.equal(whoText(['a', 'b', 'c']), 'a, b and c');
    assert.equal(whoText(Array.from({ length: 13 }, (_, i) => `p${i}`)), 'p0, p1, p2, p3, p4, p5, p6, p7, p8, p9 and 3 others');
  });

  it('show a name the way the panel shows names: a direction override cannot turn the sentence around', () => {
    const { title } = chipLabels({ emoji: '👍', names: ['\u202Eeve'], mine: false });
    assert.ok(!title.includes('\u202E'), title);
  });
});

describe('row actions', () => {
  it('React and Reply on a message of the room; Edit and Delete only on your own, checked by key', () => {
    assert.deepEqual(rowCommands(msg({ respond: true })), ['react', 'reply']);
    assert.deepEqual(rowCommands(msg({ respond: true, mine: true })), ['react', 'reply', 'edit', 'delete']);
    assert.deepEqual(rowCommands(msg()), [], 'an old room, a placeholder, a deleted message: nothing');
    const snippet = { kind: 'snippet', text: 'x', path: 'a.ts', startLine: 1, endLine: 1, language: 'ts' } as const;
    assert.deepEqual(rowCommands(msg({ respond: true, mine: true, body: snippet })), ['react', 'reply', 'delete'], 'a snippet is deleted, not edited');
  });
});

describe('webview item check, new fields', () => {
  it('takes replies and reactions as the host sends them, and leaves out malformed ones', () => {
    assert.ok(isChatItem(msg({ reply: { seq: 1, key: 's:1' }, reactions: [{ emoji: '👍', names: ['ann'], mine: false }], edited: true })));
    const bad: unknown[] = [
      { ...msg(), reply: { seq: '1', key: 's:1' } },
      { ...msg(), reactions: [{ emoji: '👍', names: 'ann', mine: false }] },
      { ...msg(), reactions: [{ emoji: 1, names: [], mine: false }] },
      { ...msg(), reactions: {} },
    ];
    for (const b of bad) assert.equal(isChatItem(b), false, JSON.stringify(b));
  });
});
