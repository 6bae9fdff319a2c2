// Issue 11 in the extension, the parts that run without VS Code: what the user types becomes a room
// name or is refused with the reason, the joined list survives what globalState may hold, the badge
// and the status bar leave muted rooms out, panels are titled by room, and each room's history has a
// folder of its own beside the default room's.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { type Address, ChatError } from '../../src/chat';
import { ChatSession, type Logger } from '../../src/extension/chatSession';
import { MemoryHistory } from '../../src/extension/history';
import { FAST_CLIENT, Harness, until } from './helpers/engine';
import {
  joinedRooms, MAIN_ROOM, normalizeRoomName, otherRooms, panelTitle, roomHistoryDir, roomNameProblem, unreadTotal, withoutRoom, withRoom,
} from '../../src/extension/roomList';

describe('rooms in the extension', () => {
  test('what people type is lower-cased; a name that cannot be one, or a dm- name, is refused with why', () => {
    assert.equal(normalizeRoomName('  Design-Review '), 'design-review');
    assert.equal(roomNameProblem('design-review'), undefined);
    assert.match(roomNameProblem('has space') ?? '', /cannot be a room name: 1 to 64 of a-z/);
    assert.match(roomNameProblem('-dash') ?? '', /starting with a letter or digit/);
    assert.match(roomNameProblem('x'.repeat(65)) ?? '', /cannot be a room name/);
    assert.match(roomNameProblem('dm-abc') ?? '', /kept for direct messages/);
  });

  test('the joined list: once per relay and room, left rooms go, and junk from globalState is dropped', () => {
    let list = withRoom([], { relay: '127.0.0.1:2410', room: 'design' });
    list = withRoom(list, { relay: '127.0.0.1:2410', room: 'design', created: true });
    list = withRoom(list, { relay: '10.0.0.1:2410', room: 'design' });
    assert.deepEqual(list, [{ relay: '127.0.0.1:2410', room: 'design', created: true }, { relay: '10.0.0.1:2410', room: 'design' }]);
    assert.deepEqual(withoutRoom(list, '127.0.0.1:2410', 'design'), [{ relay: '10.0.0.1:2410', room: 'design' }]);
    const saved: unknown = [...list, null, 7, { relay: 'x:1', room: 'Bad Name' }, { relay: 'x:1', room: MAIN_ROOM }, { relay: 'x:1', room: 'dm-ab', dm: { peer: 'bob', key: 'AAAA' } }];
    assert.deepEqual(joinedRooms(saved), [...list, { relay: 'x:1', room: 'dm-ab', dm: { peer: 'bob', key: 'AAAA' } }]);
    assert.deepEqual(joinedRooms('nonsense'), []);
  });

  test('the badge and the status bar count the unread of unmuted rooms only', () => {
    const rooms = [{ room: MAIN_ROOM, unread: 2 }, { room: 'design', unread: 5 }, { room: 'dm-x', unread: 1 }];
    assert.equal(unreadTotal(rooms, new Set()), 8);
    assert.equal(unreadTotal(rooms, new Set(['design'])), 3);
    assert.equal(unreadTotal(rooms, new Set([MAIN_ROOM, 'design', 'dm-x'])), 0);
  });

  test('a panel is titled by its room, a DM by the other person; the default room keeps its old title', () => {
    assert.equal(panelTitle(MAIN_ROOM), 'WhatsUDP');
    assert.equal(panelTitle('design'), 'WhatsUDP: design');
    assert.equal(panelTitle('dm-abc', 'bob'), 'DM bob');
  });

  test("each relay and room has a history folder of its own, under rooms/, named by a hash (no name makes a path)", () => {
    const a = roomHistoryDir('/g', '127.0.0.1:2410', 'design');
    assert.equal(path.dirname(a), path.join('/g', 'rooms'));
    assert.match(path.basename(a), /^[0-9a-f]{32}$/);
    assert.notEqual(roomHistoryDir('/g', '127.0.0.1:2411', 'design'), a);
    assert.notEqual(roomHistoryDir('/g', '127.0.0.1:2410', 'design2'), a);
    assert.equal(roomHistoryDir('/g', '127.0.0.1:2410 ', 'design'), a, 'the same relay spelled with a space');
  });

  test("the relay's other rooms: not the default one, not one joined, never a DM, by name", () => {
    const r = (name: string, dm = false) => ({ name, sealed: false, dm, members: 1, headSeq: 0 });
    assert.deepEqual(otherRooms([r('zeta'), r(MAIN_ROOM), r('alpha'), r('design'), r('dm-x', true)], new Set(['design'])).map((x) => x.name), ['alpha', 'zeta']);
  });
});

describe('ChatSessions in rooms, against a relay', () => {
  const h = new Harness();
  afterEach(() => h.close());
  const log: Logger = { info: () => undefined, warn: () => undefined };
  async function session(server: Address, room?: string, create = false) {
    const s = await ChatSession.open({ server, name: 'ann', storage: new MemoryHistory(), log, maxMessages: 100, timers: FAST_CLIENT, ...(room ? { room, create } : {}) });
    h.track(() => s.dispose());
    return s;
  }

  test("a session in the default room lists the relay's rooms; a room's session sees its messages only and counts them unread", async () => {
    const relay = await h.relay();
    const main = await session(relay.address());
    await main.connect();
    const carol = await h.client(relay.address(), 'carol', { room: 'design', create: true });
    const listed = await main.rooms();
    assert.deepEqual(otherRooms(listed, new Set()).map((r) => [r.name, r.members]), [['design', 1]]);
    const design = await session(relay.address(), 'design');
    assert.equal(design.roomName, 'design');
    await design.connect();
    const bob = await h.client(relay.address(), 'bob');
    carol.client.send({ kind: 'text', text: 'mockups are up' });
    bob.client.send({ kind: 'text', text: 'lunch?' });
    await until(() => design.unread === 1 && main.unread === 1, 5000, 'one unread in each room');
    assert.deepEqual(design.snapshot().items.flatMap((i) => (i.type === 'message' ? [i.body.text] : [])), ['mockups are up']);
    assert.deepEqual(main.snapshot().items.flatMap((i) => (i.type === 'message' ? [i.body.text] : [])), ['lunch?']);
    design.setVisible(true);
    assert.equal(design.unread, 0, 'opening the room clears its count');
    assert.equal(main.unread, 1);
  });

  test('a room that does not exist is refused with the reason unless the session creates it, and then does not retry', async () => {
    const relay = await h.relay();
    const s = await session(relay.address(), 'nowhere');
    const err = await s.connect().then(() => assert.fail('joined a room that does not exist'), (e: unknown) => e);
    assert.ok(err instanceof ChatError && err.code === 'REFUSED' && /there is no room nowhere on this relay/.test(err.message), String(err));
    const made = await session(relay.address(), 'somewhere', true);
    await made.connect();
    assert.deepEqual(relay.rooms().map((r) => r.name).sort(), ['main', 'somewhere']);
  });
});
