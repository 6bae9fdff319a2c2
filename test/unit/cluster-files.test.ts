// Files across a cluster (issue 15, docs/CLUSTER.md "Files"), against a real nats-server: a file ann
// uploads through one relay is fetched byte for byte by bob on another (the relay he is on looks it up in
// the object store WUDP_files), also once ann's relay has stopped; a sealed room's file is in NATS only as
// ciphertext; a file the cluster never had is "gone", as on a relay of its own.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { FileBody, RoomMessage } from '../../src/chat';
import { ChatError } from '../../src/chat/errors';
import { nodeCrypto } from '../../src/protocol/crypto';
import { newRoomSecret } from '../../src/protocol/sealed-room';
import { until, type Recorder } from './helpers/engine';
import { usingNats } from './helpers/using-nats';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fileOf = (m: RoomMessage[], name: string): FileBody['file'] | undefined =>
  m.map((x) => (x.kind === 'file' ? (x as unknown as FileBody).file : undefined)).find((f) => f?.name === name);

/** Every message the object store's stream holds, as one buffer (what NATS keeps of the files). */
async function objectStoreBytes(urls: string[]): Promise<{ bytes: Buffer; messages: number }> {
  const nc = await connect({ servers: urls, timeout: 2000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000 });
    const si = await jsm.streams.info('OBJ_WUDP_files');
    const parts: Buffer[] = [];
    for (let seq = si.state.first_seq; seq <= si.state.last_seq && seq - si.state.first_seq < 10_000; seq++) {
      const m = await jsm.streams.getMessage('OBJ_WUDP_files', { seq }).catch(() => null); // purged seqs
      if (m) parts.push(Buffer.from(m.data));
    }
    return { bytes: Buffer.concat(parts), messages: parts.length };
  } finally {
    await nc.close();
  }
}

describe('files across relays sharing a room through JetStream', () => {
  const { h, nats } = usingNats();

  const received = async (bob: Recorder, name: string) => {
    await until(() => fileOf(bob.messages, name) !== undefined, 15_000, `bob to see the message naming ${name}`);
    return fileOf(bob.messages, name)!;
  };

  it('a file uploaded through one relay is fetched byte for byte through the other, at once and later', { timeout: 90_000 }, async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const ann = await h.client(r1.address(), 'ann', { wantsRoster: false });
    const bob = await h.client(r2.address(), 'bob', { wantsRoster: false });
    // 2 MiB: many object chunks; bob asks the moment he sees the message, while it may still be on its way.
    const big = randomBytes(2 * 1024 * 1024 + 123);
    await ann.client.sendFile({ bytes: big, name: 'big.bin' }).done;
    const got = await bob.client.fetchFile(await received(bob, 'big.bin')).done;
    assert.equal(got.length, big.length);
    assert.equal(sha(got), sha(big), 'the same bytes on the other relay');
    const small = randomBytes(3000);
    await ann.client.sendFile({ bytes: small, name: 'chart.png', mime: 'image/png', width: 10, height: 10 }).done;
    const info = await received(bob, 'chart.png');
    assert.equal(sha(await bob.client.fetchFile(info).done), sha(small));
    assert.equal(sha(await bob.client.fetchFile(info).done), sha(small), 'again, from the copy the relay now keeps');
  });

  it("a sealed room's file reaches the other relay, and NATS holds only its ciphertext", { timeout: 60_000 }, async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const secret = newRoomSecret(nodeCrypto);
    const ann = await h.client(r1.address(), 'ann', { room: 'vault', create: true, roomSecret: secret, wantsRoster: false });
    const bob = await h.client(r2.address(), 'bob', { room: 'vault', roomSecret: secret, wantsRoster: false });
    const plain = randomBytes(40_000);
    await ann.client.sendFile({ bytes: plain, name: 'secret.pdf', mime: 'application/pdf' }).done;
    const got = await bob.client.fetchFile(await received(bob, 'secret.pdf')).done;
    assert.equal(sha(got), sha(plain));
    const held = await objectStoreBytes(nats.urls);
    assert.ok(held.bytes.length >= plain.length, `the object store holds the file (${held.bytes.length} bytes in ${held.messages} messages)`);
    for (let at = 0; at + 32 <= plain.length; at += 1024) {
      assert.equal(held.bytes.indexOf(plain.subarray(at, at + 32)), -1, `plaintext at ${at} is not in NATS`);
    }
  });

  it('a file the cluster never had is gone, with the sentence a relay of its own gives', { timeout: 30_000 }, async () => {
    const r2 = await h.relay({ cluster: { servers: nats.urls } });
    const bob = await h.client(r2.address(), 'bob', { wantsRoster: false });
    const info = { id: randomBytes(16).toString('hex'), key: randomBytes(32).toString('base64url'), name: 'report.pdf', size: 5000, sha256: 'a'.repeat(64), mime: 'application/pdf' };
    const t0 = Date.now();
    await assert.rejects(bob.client.fetchFile(info).done, (e: ChatError) => e.code === 'FILE_GONE' && e.message === "The relay no longer has report.pdf (it keeps files up to its file store's size).");
    assert.ok(Date.now() - t0 < 10_000, 'answered, not timed out');
  });

  it('ann\'s relay stopped right after her upload: bob still fetches the file through his', { timeout: 60_000 }, async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const ann = await h.client(r1.address(), 'ann', { wantsRoster: false });
    const bob = await h.client(r2.address(), 'bob', { wantsRoster: false });
    const bytes = randomBytes(300_000);
    await ann.client.sendFile({ bytes, name: 'notes.txt', mime: 'text/plain' }).done;
    await until(() => fileOf(ann.messages, 'notes.txt') !== undefined, 15_000, "ann's file message in the room");
    await ann.client.close();
    await r1.close(); // at once: the file may still be on its way into the cluster
    const got = await bob.client.fetchFile(await received(bob, 'notes.txt')).done;
    assert.equal(sha(got), sha(bytes));
  });
});
