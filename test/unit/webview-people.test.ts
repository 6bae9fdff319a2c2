// The panel tells apart people whose names are the same or only look the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MemberView } from '../../src/common/messages';
import { People } from '../../src/webview/people';

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
