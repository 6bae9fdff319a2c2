// Shared presence against a real nats-server: a member sees everyone in the room whichever relay they
// joined, a member who moves to another relay is not removed by the relay it left, and the members of a
// relay that dies disappear within about a TTL (1 s here) while those refreshed by a live relay stay.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, RoomPresence, type PresenceChange } from '../../src/chat/cluster';
import { NatsFixture } from './helpers/nats';

const TTL_MS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ms: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

const who = (p: RoomPresence): string[] => p.roster().map((e) => `${e.name}@${e.relay}`).sort();

describe('presence shared between relays', () => {
  let nats: NatsFixture;
  const open: { dispose(): unknown }[] = [];
  before(async () => {
    nats = await NatsFixture.single({ token: 'presence-token' });
  });
  after(async () => {
    for (const o of open.reverse()) await o.dispose();
    await nats?.stop();
  });
  const relay = async (relayId: string): Promise<{ cluster: Cluster; presence: RoomPresence; changes: PresenceChange[] }> => {
    const cluster = await Cluster.connect({ servers: nats.urls, auth: { kind: 'token', token: 'presence-token' }, timeoutMs: 3000 });
    open.push(cluster);
    const presence = await RoomPresence.open(cluster, { room: 'lobby', relayId, ttlMs: TTL_MS });
    open.push(presence);
    const changes: PresenceChange[] = [];
    presence.on('change', (c) => changes.push(c));
    return { cluster, presence, changes };
  };

  it('a member sees everyone whichever relay they joined; moving relays and leaving are seen alike', async () => {
    const a = await relay('A');
    const b = await relay('B');
    await a.presence.announce({ clientId: 'aaaaaaaaaaaaaaaa', name: 'Alice', presence: 'online', memberId: 1 });
    await b.presence.announce({ clientId: 'bbbbbbbbbbbbbbbb', name: 'Bob', presence: 'online', memberId: 1 });
    await until('both relays to see both', 3000, () => who(a.presence).length === 2 && who(b.presence).length === 2);
    assert.deepEqual(who(a.presence), ['Alice@A', 'Bob@B']);
    assert.deepEqual(who(b.presence), ['Alice@A', 'Bob@B']);

    // Alice moves to B; A's lease on her runs out later and it withdraws her: that must not remove her.
    await b.presence.announce({ clientId: 'aaaaaaaaaaaaaaaa', name: 'Alice', presence: 'away', memberId: 2 });
    await a.presence.withdraw('aaaaaaaaaaaaaaaa');
    await sleep(300);
    await until('Alice on B at both', 3000, () => who(a.presence).includes('Alice@B') && who(b.presence).includes('Alice@B'));
    assert.equal(a.presence.roster().find((e) => e.clientId === 'aaaaaaaaaaaaaaaa')?.presence, 'away');

    // Refreshes keep both present well past the TTL.
    await sleep(TTL_MS * 2.5);
    assert.deepEqual(who(a.presence), ['Alice@B', 'Bob@B']);

    await b.presence.withdraw('bbbbbbbbbbbbbbbb');
    await until('Bob gone at A', 3000, () => !who(a.presence).includes('Bob@B'));
    assert.ok(a.changes.some((c) => c.kind === 'gone' && c.clientId === 'bbbbbbbbbbbbbbbb' && c.why === 'left'));
  });

  it('the members of a relay that dies disappear within about a TTL; the others stay', async () => {
    const live = await relay('L');
    const doomed = await relay('D');
    await live.presence.announce({ clientId: 'cccccccccccccccc', name: 'Carol', presence: 'online', memberId: 1 });
    await doomed.presence.announce({ clientId: 'dddddddddddddddd', name: 'Dan', presence: 'online', memberId: 1 });
    await until('Dan seen by L', 3000, () => who(live.presence).includes('Dan@D'));
    // A crash: no withdraw, no more refreshes.
    doomed.presence.dispose();
    await doomed.cluster.dispose();
    const died = Date.now();
    await until('Dan expired at L', TTL_MS * 4, () => !who(live.presence).includes('Dan@D'));
    assert.ok(Date.now() - died >= TTL_MS / 3, 'not before his entry could have expired');
    assert.ok(live.changes.some((c) => c.kind === 'gone' && c.clientId === 'dddddddddddddddd' && c.why === 'expired'));
    assert.ok(who(live.presence).includes('Carol@L'));
  });
});
