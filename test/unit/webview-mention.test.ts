// Mention autocomplete in the composer: which "@query" is being typed, which member names it offers,
// and that the text it inserts is a mention the extension recognises (views.ts `mentions`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MemberView } from '../../src/common/messages';
import { mentions } from '../../src/extension/views';
import { insertMention, MAX_CANDIDATES, mentionCandidates, mentionQuery } from '../../src/webview/mention';

let nextId = 1;
const member = (name: string, more: Partial<MemberView> = {}): MemberView => ({
  memberId: nextId,
  id: (nextId++).toString(16).padStart(16, '0'),
  name,
  presence: 'online',
  self: false,
  ...more,
});
/** The query at the caret, the caret written as "|". */
const at = (withCaret: string) => mentionQuery(withCaret.replace('|', ''), withCaret.indexOf('|'));

describe('webview mention: the query at the caret', () => {
  it('"@" and what follows it up to the caret', () => {
    assert.deepEqual(at('hi @bo|'), { start: 3, query: 'bo' });
    assert.deepEqual(at('@|'), { start: 0, query: '' });
    assert.deepEqual(at('(@bo|) later'), { start: 1, query: 'bo' });
    assert.deepEqual(at('@bob and @ca| and'), { start: 9, query: 'ca' });
    assert.deepEqual(at('👍@bo|'), { start: 2, query: 'bo' }, 'an emoji before "@" is no word');
  });

  it('a name with spaces: the query runs on past them', () => {
    assert.deepEqual(at('ping @ann l|'), { start: 5, query: 'ann l' });
  });

  it('no mention: no "@", an address, after a dot, a space right after "@", another line, longer than a name', () => {
    for (const text of ['hello|', 'mail ann@exam|', 'v1.@x|', 'x_@y|', 'a @ b|', '@ann\nlee|', `@${'x'.repeat(33)}|`]) {
      assert.equal(at(text), undefined, text);
    }
  });
});

describe('webview mention: the names offered', () => {
  const room = [
    member('me', { self: true }),
    member('bob'),
    member('Bobby Tables', { presence: 'away' }),
    member('ann lee'),
    member('Annika'),
    member('bob'), // the same name twice: one entry, the mention reaches both
  ];

  it('names that start with the query, any case, then names with a later word that does', () => {
    assert.deepEqual(mentionCandidates(room, 'b'), ['bob', 'Bobby Tables']);
    assert.deepEqual(mentionCandidates(room, 'ANN'), ['ann lee', 'Annika']);
    assert.deepEqual(mentionCandidates(room, 'lee'), ['ann lee']);
    assert.deepEqual(mentionCandidates(room, 'tab'), ['Bobby Tables']);
  });

  it('everyone but yourself for a bare "@", online before away', () => {
    assert.deepEqual(mentionCandidates(room, ''), ['ann lee', 'Annika', 'bob', 'Bobby Tables']);
  });

  it('a query with a space narrows to the names that go on with it', () => {
    assert.deepEqual(mentionCandidates(room, 'ann l'), ['ann lee']);
    assert.deepEqual(mentionCandidates(room, 'ann x'), []);
    assert.deepEqual(mentionCandidates(room, 'bob '), [], 'bob typed out: nothing more to offer');
  });

  it('a name not drawn as written (control or invisible characters, as a legacy name may hold) is not offered', () => {
    const odd = [member('bo\u200bb'), member('bob\u202eevil'), member('bob\u001b[31m'), member('bobby')];
    assert.deepEqual(mentionCandidates(odd, 'bo'), ['bobby']);
  });

  it(`at most ${MAX_CANDIDATES}`, () => {
    const many = Array.from({ length: 20 }, (_, i) => member(`user${String(i).padStart(2, '0')}`));
    assert.deepEqual(mentionCandidates(many, 'user'), many.slice(0, MAX_CANDIDATES).map((m) => m.name));
  });
});

describe('webview mention: inserting the name', () => {
  it('replaces the query with "@name " and puts the caret after it', () => {
    const text = 'hi @bo';
    const r = insertMention(text, mentionQuery(text, 6)!, 'bob');
    assert.deepEqual(r, { text: 'hi @bob ', caret: 8 });
  });

  it('in the middle of a draft, a space already there is used', () => {
    const text = 'hi @a there';
    const r = insertMention(text, mentionQuery(text, 5)!, 'ann lee');
    assert.deepEqual(r, { text: 'hi @ann lee there', caret: 12 });
  });

  it('what it inserts is a mention of that member, names with spaces and other scripts too', () => {
    for (const name of ['bob', 'ann lee', 'Zoë', 'Ünal K', '山田', 'o\'brien']) {
      const q = mentionQuery(`ping @${name.slice(0, 1)}`, 7)!;
      const { text } = insertMention(`ping @${name.slice(0, 1)}`, q, name);
      assert.ok(mentions(`${text}are you there?`, name), `"${text}" mentions ${name}`);
    }
  });
});
