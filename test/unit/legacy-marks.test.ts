// Legacy (seed) messages look unverified on the extension's surfaces (issue 8): their sender's name is
// only a claim anyone on the network can make. The panel row's mark and the notification text are
// pure functions, tested here; the CLI's marks are in cli-format.test.ts and legacy-bridge.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RoomMessage } from '../../src/chat/types';
import type { MemberView } from '../../src/common/messages';
import { mentions, preview } from '../../src/extension/views';
import { People, senderMarks } from '../../src/webview/people';

const LEGACY_ID = '0000000000000000';
const message = (name: string, legacy: boolean, text: string): RoomMessage => ({
  kind: 'text', text, seq: 1, time: 1, msgId: 1, sender: { id: legacy ? LEGACY_ID : 'aaaa000000000001', name, legacy },
  verified: false,
});

describe('legacy marks: notifications', () => {
  it('a mention from a legacy sender says (unverified) after the name', () => {
    const m = message('alice', true, 'hey @bob, it is me, alice');
    assert.ok(mentions(m.text, 'bob'), 'it is a mention, so it notifies');
    assert.equal(preview(m), 'alice (unverified): hey @bob, it is me, alice');
  });

  it("a member's message is not marked", () => {
    assert.equal(preview(message('alice', false, 'hey @bob')), 'alice: hey @bob');
  });

  it('the mark survives a long message being cut short', () => {
    const shown = preview(message('alice', true, 'x'.repeat(500)), 40);
    assert.ok(shown.startsWith('alice (unverified): '), shown);
    assert.equal([...shown].length, 40);
  });
});

describe('legacy marks: the panel', () => {
  it('a legacy sender gets a visible "unverified" tag that says, to the mouse and to a screen reader, the name is not proven', () => {
    const [mark, ...rest] = senderMarks({ legacy: true });
    assert.deepEqual(rest, []);
    assert.equal(mark.label, 'unverified');
    assert.match(mark.title, /name is not verified and anyone on the network could use it/);
    assert.match(mark.spoken, /name is not proven/);
  });

  it('a member gets no mark: nothing is shown verified while messages are not signed', () => {
    assert.deepEqual(senderMarks({ legacy: false }), []);
  });

  it('a legacy "alex" next to a member "alex": the member gets an id tag, the legacy one none (it has no id to show)', () => {
    const people = new People();
    const member: MemberView = { memberId: 1, id: 'aaaa000000000001', name: 'alex', presence: 'online', self: false };
    people.addMembers([member]);
    people.addItems([{ type: 'message', key: 'k', seq: 1, time: 1, own: false, sender: { id: LEGACY_ID, name: 'alex', legacy: true }, body: { kind: 'text', text: 'hi' } }]);
    assert.equal(people.tagFor('alex', member.id, false), '#aaaa');
    assert.equal(people.tagFor('alex', LEGACY_ID, true), undefined);
    assert.equal(senderMarks({ legacy: true })[0].label, 'unverified');
  });
});
