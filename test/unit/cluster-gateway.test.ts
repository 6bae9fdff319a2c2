// Relays as gateways of one room in NATS JetStream (issue 15), against a real nats-server: members on
// different relays see one room (one roomId, the same messages under the same seqs, in order), a relay
// that starts later serves the history the stream holds, and a cluster that cannot be reached fails the
// start with a clear error instead of a relay that takes messages it cannot keep.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError } from '../../src/chat/errors';
import { nodeCrypto } from '../../src/protocol/crypto';
import { newRoomSecret, roomVerifier } from '../../src/protocol/sealed-room';
import { openDm } from '../../src/chat/dm';
import { newIdentity } from '../../src/chat/identity';
import { until, type Recorder } from './helpers/engine';
import { usingNats } from './helpers/using-nats';
import { loadCluster } from '../../src/chat/cluster/load';

describe('relays sharing a room through JetStream', () => {
  const { h, nats } = usingNats();

  const send = (r: Recorder, texts: string[]) => {
    for (const t of texts) r.client.send({ kind: 'text', text: t });
  };

  it('members on two relays see the same messages under the same seqs, and a later relay serves the history', async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const ann = await h.client(r1.address(), 'ann', { wantsRoster: false });
    const bob = await h.client(r2.address(), 'bob', { wantsRoster: false });
    const a = Array.from({ length: 10 }, (_, i) => `ann ${i}`);
    const b = Array.from({ length: 10 }, (_, i) => `bob ${i}`);
    send(ann, a);
    send(bob, b);
    await until(() => ann.messages.length >= 20 && bob.messages.length >= 20, 15_000, 'both members to see all 20 messages');
    assert.deepEqual(bob.texts(), ann.texts(), 'the same messages in the same order on both relays');
    assert.deepEqual(ann.messages.map((m) => m.seq), Array.from({ length: 20 }, (_, i) => i + 1), 'seqs 1..20, each once');
    assert.deepEqual(ann.messages.filter((m) => m.sender.name === 'ann').map((m) => m.text), a, "ann's own in the order she sent them");
    assert.equal(r1.stats().headSeq, 20);
    assert.equal(r2.stats().headSeq, 20);

    // A third relay, started now: its member is backfilled from the stream, the same room.
    const r3 = await h.relay({ cluster });
    assert.equal(r3.stats().headSeq, 20, 'the new relay read the room back from its stream');
    const cat = await h.client(r3.address(), 'cat', { wantsRoster: false });
    await until(() => cat.messages.length >= 20, 10_000, 'the backfill on the third relay');
    assert.deepEqual(cat.texts(), ann.texts());
    cat.client.send({ kind: 'text', text: 'cat was here' });
    await until(() => ann.messages.length === 21 && bob.messages.length === 21, 10_000, "cat's message on the other relays");
    assert.equal(ann.messages[20].seq, 21);
    assert.equal(bob.messages[20].text, 'cat was here');
  });

  it('a sealed room made on one relay is joined on another with its secret, and only with it; the roster spans the relays', async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const secret = newRoomSecret(nodeCrypto);
    const ann = await h.client(r1.address(), 'ann', { room: 'vault', create: true, roomSecret: secret });
    const bob = await h.client(r2.address(), 'bob', { room: 'vault', roomSecret: secret });
    await assert.rejects(h.client(r2.address(), 'eve', { room: 'vault', roomSecret: newRoomSecret(nodeCrypto) }), (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && /not this room's/.test(e.message));
    await assert.rejects(h.client(r2.address(), 'eve', { room: 'nowhere' }), (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && /no room nowhere/.test(e.message));
    ann.client.send({ kind: 'text', text: 'sealed hello' });
    await until(() => bob.messages.length === 1, 10_000, "ann's message at bob, on the other relay");
    assert.equal(bob.messages[0].text, 'sealed hello');
    assert.equal(bob.messages[0].verified, true, 'signed by ann, checked by bob');
    await until(() => ann.client.members.some((m) => m.name === 'bob') && bob.client.members.some((m) => m.name === 'ann'), 10_000, 'each to see the other in the roster');
    const bobSeen = ann.client.members.find((m) => m.name === 'bob')!;
    assert.equal(bobSeen.fingerprint, bob.client.members.find((m) => m.name === 'bob')?.fingerprint, "bob's key fingerprint the same on both relays");
    assert.ok(bobSeen.fingerprint, 'a remote member shows its key');
    const listed = await ann.client.rooms();
    assert.ok(listed.some((r) => r.name === 'vault' && r.sealed), 'the room is listed sealed');
  });

  it('a DM between members of two relays: the key is found across the cluster, the peer is told, and they talk', async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const [a, b] = [newIdentity(nodeCrypto).identity, newIdentity(nodeCrypto).identity];
    const bob = await h.client(r2.address(), 'bob', { identity: b });
    const heard: { room: string; name: string }[] = [];
    bob.client.on('dmOpened', (dm) => heard.push(dm));
    const ann = await h.client(r1.address(), 'ann', { identity: a });
    const annOpts = await openDm(ann.client, a, b.publicKey, nodeCrypto); // bob's key: he joined r2 only
    const annDm = await h.client(r1.address(), 'ann', { identity: a, ...annOpts });
    await until(() => heard.length === 1, 10_000, 'bob, on the other relay, told of the DM');
    assert.equal(heard[0].room, annOpts.room);
    assert.equal(heard[0].name, 'ann');
    const bobDm = await h.client(r2.address(), 'bob', { identity: b, ...(await openDm(bob.client, b, a.publicKey, nodeCrypto)) });
    annDm.client.send({ kind: 'text', text: 'psst' });
    await until(() => bobDm.messages.length === 1, 10_000, 'the DM at bob');
    assert.equal(bobDm.messages[0].text, 'psst');
    assert.ok(bobDm.messages[0].verified);
  });

  it('typing and seen reach members on the other relay', async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const ann = await h.client(r1.address(), 'ann', { room: 'chatty', create: true, activity: true });
    const bob = await h.client(r2.address(), 'bob', { room: 'chatty', activity: true });
    const typing: string[] = [];
    const seen: [string, number][] = [];
    ann.client.on('typing', (id) => typing.push(id));
    ann.client.on('seen', (id, seq) => seen.push([id, seq]));
    bob.client.send({ kind: 'text', text: 'one' });
    await until(() => ann.messages.length === 1 && bob.messages.length === 1, 10_000, "bob's message at both");
    bob.client.typing();
    bob.client.seen(1);
    await until(() => typing.length > 0 && seen.length > 0, 10_000, "bob's typing and seen at ann, on the other relay");
    const bobId = ann.messages[0].sender.id;
    assert.equal(typing[0], bobId);
    assert.deepEqual(seen[0], [bobId, 1]);
  });

  it('a relay that joins the cluster later is told to members already in, who fail over to it', async () => {
    const cluster = { servers: nats.urls };
    const a = await h.relay({ cluster });
    const ann = await h.client(a.address(), 'ann', { room: 'later', create: true });
    const b = await h.relay({ cluster }); // after ann's Welcome: she hears of it from a
    const bob = await h.client(b.address(), 'bob', { room: 'later' });
    await until(() => ann.client.relays.includes(`127.0.0.1:${b.address().port}`), 10_000, 'ann to learn of the relay that came after her');
    await a.close();
    bob.client.send({ kind: 'text', text: 'still here?' });
    await until(() => ann.messages.some((m) => m.text === 'still here?'), 15_000, "bob's message at ann, moved to the other relay");
  });

  it("a record in the stream that is not a member's message is skipped: members hear one is lost, and the room goes on", async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const ann = await h.client(r1.address(), 'ann', { room: 'junk', create: true });
    const bob = await h.client(r2.address(), 'bob', { room: 'junk' });
    ann.client.send({ kind: 'text', text: 'one' });
    await until(() => bob.messages.length === 1, 10_000, "'one' at bob");
    // Someone with NATS access writes bytes that are no record onto the room's subject.
    const { Cluster } = loadCluster();
    const c = await Cluster.connect({ servers: nats.urls });
    h.track(() => c.dispose());
    const hdrs = (await import('@nats-io/transport-node')).headers();
    hdrs.set('Wudp-Msg-Id', '1');
    await c.js.publish('wudp.junk.msg.00112233aabbccdd', new TextEncoder().encode('not a record'), { headers: hdrs });
    ann.client.send({ kind: 'text', text: 'three' });
    await until(() => [ann, bob].every((r) => r.messages.length === 2 && r.lost.length === 1), 10_000, "'three' at both, and one message said lost");
    assert.deepEqual(bob.messages.map((m) => [m.seq, m.text]), [[1, 'one'], [3, 'three']]);
  });

  it('a relay started for a sealed default room will not join a cluster whose default room is open', async () => {
    await h.relay({ cluster: { servers: nats.urls } });
    const verifier = roomVerifier(nodeCrypto, newRoomSecret(nodeCrypto));
    await assert.rejects(h.relay({ cluster: { servers: nats.urls }, roomVerifier: verifier }), (e: unknown) => e instanceof ChatError && e.code === 'BAD_OPTION' && /default room is open/.test(e.message));
  });

  it('a cluster nobody answers at fails the start with a clear error', async () => {
    await assert.rejects(
      h.relay({ cluster: { servers: ['nats://127.0.0.1:9'] } }),
      (e: unknown) => e instanceof ChatError && e.code === 'UNREACHABLE' && /No NATS server answered at nats:\/\/127\.0\.0\.1:9/.test(e.message),
    );
  });

  it('three replicas asked of a single NATS server: the start fails saying so', async () => {
    await assert.rejects(h.relay({ cluster: { servers: nats.urls, replicas: 3 } }), (e: unknown) => e instanceof ChatError && e.code === 'REFUSED' && /need a NATS cluster of 3 servers/.test(e.message));
  });

  it('options a cluster cannot have are refused before anything starts', async () => {
    await assert.rejects(h.relay({ cluster: { servers: nats.urls }, legacyBridge: true }), (e: unknown) => e instanceof ChatError && e.code === 'BAD_OPTION' && /original clients/.test(e.message));
    await assert.rejects(h.relay({ cluster: { servers: nats.urls, replicas: 2 as 1 } }), (e: unknown) => e instanceof ChatError && e.code === 'BAD_OPTION' && /1 or 3 replicas/.test(e.message));
  });
});
