// Files across a cluster (issue 15) on a 3-server NATS cluster with 3 replicas: the server leading the
// object store's stream is killed (SIGKILL, by PID) after a file went in, and a member of a relay that
// never had the file still fetches it byte for byte. Without nats-server this fails with the install command.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { FileBody, RoomMessage } from '../../src/chat';
import { Harness, until } from './helpers/engine';
import { NatsFixture } from './helpers/nats';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fileOf = (m: RoomMessage[], name: string): FileBody['file'] | undefined =>
  m.map((x) => (x.kind === 'file' ? (x as unknown as FileBody).file : undefined)).find((f) => f?.name === name);

/** The object store stream's leader and replica count, bounded. */
async function filesStream(nats: NatsFixture): Promise<{ leader: string | undefined; replicas: number }> {
  const nc = await connect({ servers: nats.urls, timeout: 2000 });
  try {
    const info = await (await jetstreamManager(nc, { timeout: 2000 })).streams.info('OBJ_WUDP_files');
    return { leader: info.cluster?.leader, replicas: info.config.num_replicas };
  } finally {
    await nc.close();
  }
}

describe('files on a 3-server NATS cluster', () => {
  const h = new Harness();
  let nats: NatsFixture | undefined;
  after(async () => {
    await h.close();
    await nats?.stop();
  });

  it("the object store's leader killed after the upload: a relay that never had the file still serves it", { timeout: 120_000 }, async () => {
    nats = await NatsFixture.cluster();
    const cluster = { servers: nats.urls, replicas: 3 as const };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const ann = await h.client(r1.address(), 'ann', { wantsRoster: false });
    const bob = await h.client(r2.address(), 'bob', { wantsRoster: false });
    const bytes = randomBytes(500_000);
    await ann.client.sendFile({ bytes, name: 'plan.pdf', mime: 'application/pdf' }).done;
    await until(() => fileOf(bob.messages, 'plan.pdf') !== undefined, 15_000, 'bob to see the file message');
    const info = fileOf(bob.messages, 'plan.pdf')!;
    assert.equal(sha(await bob.client.fetchFile(info).done), sha(bytes), 'through the other relay');
    const before = await filesStream(nats);
    assert.equal(before.replicas, 3, 'the object store has the rooms\' replicas');
    // A third relay, which never had the file: it can only come from the cluster.
    const r3 = await h.relay({ cluster });
    const cat = await h.client(r3.address(), 'cat', { wantsRoster: false });
    const killed = before.leader ?? nats.servers[0].name;
    await nats.kill(killed);
    // The file's copies outlive the server once the stream has another leader. (A fetch asked during the
    // election may be refused with "cannot reach the cluster's files just now": on a loaded 2-core CI
    // machine the election can outlast the relay's 15 s lookup.)
    const deadline = Date.now() + 60_000;
    for (;;) {
      const now = await filesStream(nats).catch(() => undefined);
      if (now?.leader && now.leader !== killed) break;
      if (Date.now() > deadline) throw new Error(`the object store found no new leader within 60 s of ${killed}'s death`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const got = await cat.client.fetchFile(info).done;
    assert.equal(sha(got), sha(bytes), `the file after ${killed} died`);
  });
});
