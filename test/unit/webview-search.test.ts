// The panel's search runs on the conversation's data, so it finds messages whose rows are not drawn:
// what it looks in (the words as drawn), where a match is, and which hit is current as the reader
// steps and as messages arrive.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageBody } from '../../src/common/message';
import type { ChatItem } from '../../src/common/messages';
import { findRanges, fold, MAX_QUERY_CHARS, needleOf, piecesPerNode, Search } from '../../src/webview/search';
import { searchParts } from '../../src/webview/shown-text';

let seq = 0;
const msg = (name: string, body: MessageBody | string, key = `s:${++seq}`): Extract<ChatItem, { type: 'message' }> => ({
  type: 'message',
  key,
  time: 0,
  sender: { id: 'aaaa000000000001', name, legacy: false },
  body: typeof body === 'string' ? { kind: 'text', text: body } : body,
  own: false,
});
const notice = (text: string): ChatItem => ({ type: 'notice', key: `n:${++seq}`, time: 0, text, tone: 'info' });
/** What the marks would cover: the matched text of each part. */
const matched = (item: ChatItem, query: string): string[] =>
  searchParts(item).flatMap((part) => findRanges(part, needleOf(query)).map(([a, b]) => part.slice(a, b)));

describe('webview search: matching', () => {
  it('ignores case, and a match is found where the original text has it', () => {
    assert.deepEqual(findRanges('Deploy the DEPLOY, deploy', needleOf('dePLOY')), [[0, 6], [11, 17], [19, 25]]);
    // "İ" lower-cases to two characters; folding keeps it as one, so later offsets still line up.
    const text = 'İstanbul: Deploy';
    const [[a, b]] = findRanges(text, needleOf('deploy'));
    assert.equal(text.slice(a, b), 'Deploy');
    assert.equal(fold(text).length, text.length);
  });

  it('takes the query literally: regular-expression characters are text', () => {
    assert.deepEqual(findRanges('a.*b and a.*(b', needleOf('a.*(')), [[9, 13]]);
    assert.deepEqual(findRanges('aaaa', needleOf('aa')), [[0, 2], [2, 4]], 'matches do not overlap');
  });

  it('a pasted line break is a space, and a very long query is cut', () => {
    assert.equal(needleOf('two\r\nlines'), 'two lines');
    assert.equal(needleOf('x'.repeat(MAX_QUERY_CHARS + 50)).length, MAX_QUERY_CHARS);
  });

  it("looks in the sender's name and the words as drawn: code without its backticks, links as shown", () => {
    const item = msg('Ann Lee', 'run `npm test` then see https://example.com/x.');
    assert.deepEqual(searchParts(item), ['Ann Lee', 'run npm test then see https://example.com/x.']);
    assert.deepEqual(matched(item, 'ann'), ['Ann']);
    assert.deepEqual(matched(item, 'npm test'), ['npm test']);
    assert.deepEqual(matched(item, '`npm'), [], 'the backticks are not drawn, so they are not found');
  });

  it('a code block and each paragraph are separate places: no match runs from one into the next', () => {
    const item = msg('bob', 'first para\n```js\nconst deploy = 1;\n```\nlast');
    assert.deepEqual(searchParts(item), ['bob', 'first para', 'const deploy = 1;', 'last']);
    assert.deepEqual(matched(item, 'js'), [], "the fence's language label is not searched");
    assert.deepEqual(matched(item, 'paralast'), []);
  });

  it("a snippet's path and line numbers (its header) and its code are searched", () => {
    const item = msg('bob', { kind: 'snippet', text: 'export const x = 1;', path: 'src/deploy.ts', startLine: 3, endLine: 9, language: 'typescript' });
    assert.deepEqual(searchParts(item), ['bob', 'src/deploy.ts:3\u20139', 'export const x = 1;']);
    assert.deepEqual(matched(item, 'DEPLOY'), ['deploy']);
    assert.deepEqual(matched(item, 'typescript'), [], 'the language label is not searched');
  });

  it("boxed markers are not words: a control character is skipped as the row draws it, and a placeholder's, a notice's or a deleted message's text is not searched", () => {
    assert.deepEqual(searchParts(msg('eve', 'red\u001b[31mtext')), ['eve', 'red[31mtext']);
    assert.deepEqual(matched(msg('eve', 'red\u001b[31mtext'), 'red['), ['red['], 'a match may run across a marker, as the marks do');
    assert.deepEqual(searchParts(msg('eve', { kind: 'placeholder', text: '', reason: 'a newer kind' })), ['eve']);
    assert.deepEqual(searchParts(notice('bob joined')), []);
    assert.deepEqual(searchParts({ ...msg('eve', ''), deleted: true }), [], 'a deleted message is no hit, not even by its name');
  });

  it('hostile text is searched as text', () => {
    const item = msg('mallory', '<img src=x onerror=alert(1)>');
    assert.deepEqual(matched(item, '<img'), ['<img']);
  });
});

describe('webview search: marks cut at the edges of the text nodes a row is drawn in', () => {
  it('a match across a code span or a marker is marked in each node it covers', () => {
    // "run np" + "m te" + "st now": "npm test" spans three nodes.
    const nodes = ['run np', 'm te', 'st now'];
    const ranges = findRanges(nodes.join(''), needleOf('npm test'));
    assert.deepEqual(piecesPerNode(nodes.map((n) => n.length), ranges), [[[4, 6]], [[0, 4]], [[0, 2]]]);
  });

  it('several matches in one node, none in another, and empty nodes', () => {
    const nodes = ['ab ab', '', 'x', 'ab'];
    const ranges = findRanges(nodes.join(''), needleOf('ab'));
    assert.deepEqual(piecesPerNode(nodes.map((n) => n.length), ranges), [[[0, 2], [3, 5]], [], [], [[0, 2]]]);
  });

  it('a hit in each of 20,000 one-letter nodes', () => {
    const lengths = new Array<number>(20_000).fill(1);
    const ranges = lengths.map((_, i): [number, number] => [i, i + 1]);
    const pieces = piecesPerNode(lengths, ranges);
    assert.equal(pieces.length, 20_000);
    assert.ok(pieces.every((p) => p.length === 1 && p[0][0] === 0 && p[0][1] === 1));
  });
});

describe('webview search: hits and the current one', () => {
  const conversation = (n: number): ChatItem[] => Array.from({ length: n }, (_, i) => msg(i % 2 ? 'bob' : 'ann', `message ${i}${i % 100 === 7 ? ' deploy' : ''}`));

  it('finds messages far from the view in 10,000, counting messages, and starts at the last hit the reader has reached', () => {
    const items = conversation(10_000);
    const s = new Search();
    s.setQuery('Deploy', items, items.length - 1);
    assert.equal(s.count, 100);
    assert.equal(s.counter, '100 of 100');
    assert.equal(s.current, items[9907].key, 'at the bottom: the newest hit');
    s.setQuery('deploy', items, 500);
    assert.equal(s.counter, '5 of 100', 'scrolled up to item 500: the hit at 407');
    assert.equal(s.current, items[407].key);
    s.setQuery('deploy', items, 3);
    assert.equal(s.current, items[7].key, 'no hit above the reader: the first one');
  });

  it('next and previous walk the hits in order and wrap around', () => {
    const items = conversation(300);
    const s = new Search();
    s.setQuery('deploy', items, 299);
    assert.equal(s.counter, '3 of 3');
    s.step(items, 1);
    assert.deepEqual([s.counter, s.current], ['1 of 3', items[7].key]);
    s.step(items, -1);
    s.step(items, -1);
    assert.deepEqual([s.counter, s.current, s.currentIndex], ['2 of 3', items[107].key, 107]);
  });

  it('no query, or no match: nothing current, and the counter says so', () => {
    const items = conversation(10);
    const s = new Search();
    assert.equal(s.counter, '');
    s.setQuery('zebra', items, 9);
    assert.deepEqual([s.count, s.counter, s.current], [0, 'No results', undefined]);
    s.step(items, 1);
    assert.equal(s.current, undefined);
    s.setQuery('', items, 9);
    assert.deepEqual([s.count, s.counter], [0, '']);
  });

  it('stays right as messages arrive: new hits are counted, the current message stays current', () => {
    const items = conversation(300);
    const s = new Search();
    s.setQuery('deploy', items, 150);
    assert.deepEqual([s.counter, s.current], ['2 of 3', items[107].key]);
    items.push(msg('carol', 'deploy done'));
    items.unshift(msg('dan', 'old deploy notes'));
    s.refresh(items);
    assert.deepEqual([s.counter, s.current], ['3 of 5', items[108].key]);
  });

  it('an own message that gets its seq (a new key, the same place) stays current, and an edited item is searched again', () => {
    const items = [msg('ann', 'deploy one'), msg('me', 'deploy two', 'o:c1:1')];
    const s = new Search();
    s.setQuery('deploy', items, 1);
    assert.equal(s.current, 'o:c1:1');
    items[1] = { ...items[1], key: 's:99' };
    s.refresh(items);
    assert.deepEqual([s.counter, s.current], ['2 of 2', 's:99']);
    items[0] = msg('ann', 'nothing to see', items[0].key); // a replaced item object is folded anew
    s.refresh(items);
    assert.deepEqual([s.counter, s.current], ['1 of 1', 's:99']);
  });

  it('the text can be prepared in slices before the first keystroke, newest messages first', () => {
    const items = conversation(1000);
    const s = new Search();
    let calls = 0;
    assert.equal(s.warm(items, () => ++calls > 100), false, 'stopped when told');
    assert.equal(s.warm(items, () => false), true, 'then finished');
    s.setQuery('deploy', items, 999);
    assert.equal(s.count, 10, 'and searches as before');
  });

  it('a hit that goes away moves the current one to the next hit', () => {
    const items = [msg('a', 'x deploy'), msg('b', 'y deploy'), msg('c', 'z deploy')];
    const s = new Search();
    s.setQuery('deploy', items, 1);
    assert.equal(s.current, items[1].key);
    items.splice(1, 1);
    s.refresh(items);
    assert.deepEqual([s.counter, s.current], ['2 of 2', items[1].key]);
    items.length = 0;
    s.refresh(items);
    assert.deepEqual([s.counter, s.current], ['No results', undefined]);
  });
});
