// Files across a cluster (issue 15) at their limits, against a real nats-server: the object store
// WUDP_files full (the oldest file goes, as in a relay's own store), the object store away for a while
// (the relay says so, keeps trying, and the file reaches the cluster once it is back), and the store's
// own rules: the first complete upload of an id is the cluster's, a marker does not outlive its minutes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { FileBody, RoomMessage } from '../../src/chat';
import { ChatError } from '../../src/chat/errors';
import { Cluster, SharedFiles, STALE_MARKER_MS } from '../../src/chat/cluster/index';
import { FILE_SLOT_BYTES } from '../../src/protocol/files';
import { until } from './helpers/engine';
import { usingNats } from './helpers/using-nats';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fileOf = (m: RoomMessage[], name: string): FileBody['file'] | undefined =>
  m.map((x) => (x.kind === 'file' ? (x as unknown as FileBody).file : undefined)).find((f) => f?.name === name);
const MiB = 1024 * 1024;

describe('files across a cluster at their limits', () => {
  const { h, nats } = usingNats();

  // First: the relay that first uses WUDP_files makes it, here with a 1 MiB cap.
  it("when the cluster's file store is full, the oldest file goes to make room", { timeout: 90_000 }, async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster, limits: { fileStoreBytes: 1 * MiB } }); // the bucket's cap: the first relay to use it makes it
    const r2 = await h.relay({ cluster });
    const ann = await h.client(r1.address(), 'ann', { wantsRoster: false });
    const bob = await h.client(r2.address(), 'bob', { wantsRoster: false });
    const sent = [randomBytes(400_000), randomBytes(400_000), randomBytes(400_000)];
    for (const [i, bytes] of sent.entries()) {
      await ann.client.sendFile({ bytes, name: `f${i}` }).done;
      await until(() => fileOf(bob.messages, `f${i}`) !== undefined, 15_000, `bob to see f${i}`);
      assert.equal(sha(await bob.client.fetchFile(fileOf(bob.messages, `f${i}`)!).done), sha(bytes), `f${i} through the other relay`);
    }
    // r2 keeps its own copies; a third relay has only the cluster's.
    const r3 = await h.relay({ cluster });
    const cat = await h.client(r3.address(), 'cat', { wantsRoster: false });
    assert.equal(sha(await cat.client.fetchFile(fileOf(bob.messages, 'f2')!).done), sha(sent[2]), 'the newest is in the cluster');
    await assert.rejects(cat.client.fetchFile(fileOf(bob.messages, 'f0')!).done, (e: ChatError) => e.code === 'FILE_GONE', 'the oldest made room');
  });

  it('SharedFiles: a marker, then the chunks; the first complete upload of an id is kept; an old marker is nothing', async () => {
    const cluster = await Cluster.connect({ servers: nats.urls });
    h.track(() => cluster.dispose());
    const files = await SharedFiles.open(cluster, { replicas: 1, maxBytes: 8 * MiB });
    const [ann, eve] = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
    const id = randomBytes(16).toString('hex');
    assert.deepEqual(await files.state('r', id), { state: 'absent' });
    const rev = await files.mark('r', id, ann);
    assert.ok(rev !== undefined);
    assert.equal((await files.state('r', id)).state, 'pending');
    assert.equal(await files.mark('r', id, eve), undefined, "eve cannot take over ann's upload");
    const data = randomBytes(2 * FILE_SLOT_BYTES + 100);
    await files.put({ room: 'r', id, chunks: 3, last: 100, owner: ann }, data, rev);
    const got = await files.get('r', id, 5000);
    assert.ok(got && got.data.equals(data) && got.meta.chunks === 3 && got.meta.owner === ann);
    assert.equal(await files.mark('r', id, eve), undefined, 'a complete file is not replaced');
    assert.equal(await files.get('other room', id, 5000), undefined, 'a file of another room is not this one');
    const old = randomBytes(16).toString('hex');
    await files.mark('r', old, ann, Date.now() - STALE_MARKER_MS - 1000);
    assert.equal((await files.state('r', old)).state, 'absent', 'a marker whose relay died long ago');
  });

  it('the object store away: the relay says so and keeps trying; the file reaches the cluster once it is back', { timeout: 90_000 }, async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const warnings: string[] = [];
    r1.on('warning', (e) => warnings.push(e.message));
    const ann = await h.client(r1.address(), 'ann', { wantsRoster: false });
    const bob = await h.client(r2.address(), 'bob', { wantsRoster: false });
    await ann.client.sendFile({ bytes: randomBytes(1000), name: 'first' }).done; // the bucket is open at r1
    const nc = await connect({ servers: nats.urls, timeout: 2000 });
    h.track(() => nc.close());
    const jsm = await jetstreamManager(nc, { timeout: 2000 });
    await until(() => fileOf(bob.messages, 'first') !== undefined, 15_000, 'the first file message');
    await bob.client.fetchFile(fileOf(bob.messages, 'first')!).done;
    await jsm.streams.delete('OBJ_WUDP_files'); // the cluster's files gone, as if NATS lost them
    const bytes = randomBytes(200_000);
    await ann.client.sendFile({ bytes, name: 'later' }).done; // taken by r1 at once, as ever
    await until(() => warnings.some((w) => /could not be put into the cluster .*trying again/.test(w)), 15_000, 'r1 to say the file is not in the cluster yet');
    const os = await new Objm(jetstream(nc, { timeout: 2000 })).create('WUDP_files', { storage: StorageType.File, replicas: 1, max_bytes: 64 * MiB });
    let listed = 0;
    const deadline = Date.now() + 30_000;
    while (listed === 0 && Date.now() < deadline) {
      listed = (await os.list()).filter((o) => o.size > 0).length;
      if (listed === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(listed, 1, 'r1 put the file into the store once it was back');
    await until(() => fileOf(bob.messages, 'later') !== undefined, 15_000, 'the later file message');
    assert.equal(sha(await bob.client.fetchFile(fileOf(bob.messages, 'later')!).done), sha(bytes));
  });
});
