// The panel tells apart people whose names are the same or only look the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MemberView } from '../../src/common/messages';
import { People, senderMarks } from '../../src/webview/people';

const member = (id: string, name: string): MemberView => ({ memberId: 1, id, name, presence: 'online', self: false });

test('two members whose names look alike each get an id tag', () => {
  const people = new People();
  people.addMembers([member('aaaa000000000001', 'alex'), member('bbbb000000000002', '\u0430lex')]); // Cyrillic а
  assert.equal(people.tagFor('alex', 'aaaa000000000001', false), '#aaaa');
  assert.equal(people.tagFor('\u0430lex', 'bbbb000000000002', false), '#bbbb');
});

test('a name nobody else looks like gets no tag', () => {
  const people = new People();
  people.addMembers([member('aaaa000000000001', 'alex'), member('bbbb000000000002', 'sam')]);
  assert.equal(people.tagFor('alex', 'aaaa000000000001', false), undefined);
});

test("members are told apart by their device keys: a look-alike name shows each one's key (12 characters), two windows of one device the same key", () => {
  const [k1, k2] = ['abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst', 'zyxwvutsrqponmlkjihgfedcba765432zyxwvutsrqponmlkjihg'];
  const people = new People();
  const alex = { ...member('aaaa000000000001', 'alex'), fingerprint: k1 };
  const sameDevice = { ...member('cccc000000000003', 'alex'), fingerprint: k1 };
  people.addMembers([alex]);
  assert.equal(people.memberTag(alex), undefined, 'a name nobody else has: no tag');
  people.addMembers([sameDevice]);
  assert.equal(people.memberTag(sameDevice), people.memberTag(alex), 'two windows of one device: the same key');
  const impostor = { ...member('aaaa999999999999', '\u0430lex'), fingerprint: k2 }; // Cyrillic а, and an id chosen to match alex's 4 hex digits
  people.addMembers([impostor]);
  assert.equal(people.memberTag(alex), 'key abcd efgh ijkl');
  assert.equal(people.memberTag(impostor), 'key zyxw vuts rqpo');
});

test('a member whose name was seen before with another key is marked, in the member list and on its messages', () => {
  const people = new People();
  people.addMembers([{ ...member('aaaa000000000001', 'ann'), newKey: true }, member('bbbb000000000002', 'bob')]);
  assert.equal(people.hasNewKey('aaaa000000000001'), true);
  assert.equal(people.hasNewKey('bbbb000000000002'), false);
  const [mark, ...rest] = senderMarks({ legacy: false }, people.hasNewKey('aaaa000000000001'));
  assert.deepEqual([mark.label, rest], ['new key', []]);
  assert.match(mark.spoken, /seen before with another key/);
  assert.deepEqual(senderMarks({ legacy: false }, people.hasNewKey('bbbb000000000002')), []);
});
