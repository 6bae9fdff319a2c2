// The client's member list on its own: fetched when the relay's version moves, put together from its
// pages, diffed into joins and leaves, and asked for again when the answer is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientRoster } from '../../src/chat/client/roster';
import { RttEstimator } from '../../src/chat/client/rtt';
import { PacketType, Presence, type Roster, type RosterEntry } from '../../src/protocol/packets';
import type { Member } from '../../src/chat';

function entry(memberId: number, name: string, presence = Presence.Online): RosterEntry {
  return { memberId, clientId: Buffer.alloc(8, memberId), name, presence, key: Buffer.alloc(32, memberId) };
}

function page(version: number, pageIndex: number, pageCount: number, entries: RosterEntry[]): Roster {
  return { type: PacketType.Roster, version, page: pageIndex, pageCount, entries };
}

function setup() {
  const said = { requests: [] as number[], lists: [] as string[][], joined: [] as string[], left: [] as string[] };
  const names = (list: Member[]) => list.map((m) => `${m.name}${m.presence === 'away' ? ' (away)' : ''}`);
  const roster = new ClientRoster(new RttEstimator(1, 25, 1000), {
    request: (v) => said.requests.push(v),
    members: (list) => said.lists.push(names(list)),
    joined: (m) => said.joined.push(m.name),
    left: (m) => said.left.push(m.name),
  });
  return { roster, said };
}

test('the list is asked for when the relay names a new version, and shown once all its pages are in', () => {
  const { roster, said } = setup();
  roster.known(4, 0);
  roster.known(4, 1); // already asked: not again
  assert.deepEqual(said.requests, [4]);
  roster.page(page(4, 1, 2, [entry(3, 'cat', Presence.Away)]));
  assert.deepEqual(said.lists, [], 'half a list is not shown');
  roster.page(page(4, 0, 2, [entry(1, 'ann'), entry(2, 'bob')]));
  assert.deepEqual(said.lists, [['ann', 'bob', 'cat (away)']]);
  assert.deepEqual([said.joined, said.left], [[], []], 'the first list is who is there, not who joined');
  assert.equal(roster.list[0].id, '0101010101010101');
  roster.known(4, 2);
  assert.deepEqual(said.requests, [4], 'the same version is not asked for again');
});

test('a new version tells who joined and who left', () => {
  const { roster, said } = setup();
  roster.known(1, 0);
  roster.page(page(1, 0, 1, [entry(1, 'ann'), entry(2, 'bob')]));
  roster.known(2, 10);
  roster.page(page(2, 0, 1, [entry(1, 'ann'), entry(3, 'bob')])); // a second bob, told apart by member id
  assert.deepEqual(said.joined, ['bob']);
  assert.deepEqual(said.left, ['bob']);
  assert.deepEqual(roster.list.map((m) => m.memberId), [1, 3]);
  roster.page(page(1, 0, 1, [entry(1, 'ann')]));
  assert.deepEqual(roster.list.map((m) => m.memberId), [1, 3], 'a late page of an older version changes nothing');
});

test('an unanswered request is asked again after a probe timeout, and a rejoin asks even for the same version', () => {
  const { roster, said } = setup();
  roster.known(7, 100);
  assert.equal(roster.deadline(), 125);
  roster.retry(124);
  assert.deepEqual(said.requests, [7]);
  roster.retry(125);
  assert.deepEqual(said.requests, [7, 7]);
  roster.page(page(7, 0, 1, [entry(1, 'ann')]));
  assert.equal(roster.deadline(), undefined, 'answered: nothing to ask again');
  roster.known(7, 200, true);
  assert.deepEqual(said.requests, [7, 7, 7]);
});
