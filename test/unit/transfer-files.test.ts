// Issue 14, the client's side: ChatClient.sendFile uploads a file to the relay and names it in a
// kind-15 message; fetchFile gets it back, every chunk and the whole checked. Through a real relay,
// and the lossy proxy the reliability tests use.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import type { FileBody, RoomMessage } from '../../src/chat';
import { ChatError } from '../../src/chat/errors';
import { Harness, seqsInOrder, until } from './helpers/engine';
import { LossyProxy } from './helpers/proxy';

const h = new Harness();
after(() => h.close());

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fileOf = (m: RoomMessage[]): FileBody['file'] | undefined => m.map((x) => (x.kind === 'file' ? (x as unknown as FileBody).file : undefined)).find(Boolean);

test('a 16 MiB file through a relay with 10% loss arrives intact while two members chat in order', { timeout: 300_000 }, async () => {
  const relay = await h.relay();
  const proxy = await LossyProxy.start(relay.address(), { drop: 0.1, seed: 14 });
  h.track(() => proxy.close());
  const slow = { ptoFloorMs: 100, joinTimeoutMs: 10_000 };
  const ann = await h.client(proxy.address, 'ann', { wantsRoster: false, timers: slow });
  const bob = await h.client(proxy.address, 'bob', { wantsRoster: false, timers: slow });
  const bytes = randomBytes(16 * 1024 * 1024);
  const progress: number[] = [];
  const up = ann.client.sendFile({ bytes, name: 'big.bin', caption: 'sixteen' }, { onProgress: (d) => progress.push(d) });
  // The chat goes on meanwhile: 40 messages each way, each delivered, in order.
  const chat = (async () => {
    for (let i = 0; i < 40; i++) {
      ann.client.send({ kind: 'text', text: `ann ${i}` });
      bob.client.send({ kind: 'text', text: `bob ${i}` });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const sent = await up.done;
  await chat;
  assert.equal(sent.body.kind, 'file');
  await until(() => fileOf(bob.messages) !== undefined, 60_000, 'bob to see the file message');
  const info = fileOf(bob.messages)!;
  assert.equal(info.size, bytes.length);
  assert.equal(info.name, 'big.bin');
  const got = await bob.client.fetchFile(info).done;
  assert.equal(sha(got), sha(bytes));
  assert.ok(progress.length > 0 && progress[progress.length - 1] === bytes.length, 'progress reached the whole file');
  await until(() => bob.messages.filter((m) => m.text.startsWith('ann ')).length === 40 && ann.messages.filter((m) => m.text.startsWith('bob ')).length === 40, 60_000, 'every chat message');
  for (const r of [ann, bob]) {
    assert.ok(seqsInOrder(r.messages));
    const theirs = r.messages.filter((m) => /^(ann|bob) \d+$/.test(m.text) && m.sender.name !== r.client.name);
    assert.deepEqual(theirs.map((m) => Number(m.text.split(' ')[1])), [...Array(40).keys()]);
  }
});

test('a fetch of a file the relay does not have says FILE_GONE with its sentence; a file over 16 MiB is refused before anything is sent', async () => {
  const relay = await h.relay();
  const ann = await h.client(relay.address(), 'ann', { wantsRoster: false });
  const info = { id: randomBytes(16).toString('hex'), key: randomBytes(32).toString('base64url'), name: 'report.pdf', size: 5000, sha256: 'a'.repeat(64), mime: 'application/pdf' };
  await assert.rejects(ann.client.fetchFile(info).done, (e: ChatError) => e.code === 'FILE_GONE' && e.message === "The relay no longer has report.pdf (it keeps files up to its file store's size).");
  assert.throws(() => ann.client.sendFile({ bytes: new Uint8Array(16 * 1024 * 1024 + 1), name: 'x.iso' }), (e: ChatError) => e.code === 'TOO_LARGE' && e.message === 'x.iso is 16,777,217 bytes; files can be at most 16,777,216 bytes (16 MiB).');
});

test('an empty file and an image arrive with their caption and box; the receiver sees the message before fetching', async () => {
  const relay = await h.relay();
  const ann = await h.client(relay.address(), 'ann', { wantsRoster: false });
  const bob = await h.client(relay.address(), 'bob', { wantsRoster: false });
  await ann.client.sendFile({ bytes: new Uint8Array(0), name: 'empty.txt', mime: 'text/plain' }).done;
  const png = randomBytes(3000);
  await ann.client.sendFile({ bytes: png, name: 'chart.png', mime: 'image/png', width: 640, height: 480, caption: 'the chart' }).done;
  await until(() => bob.messages.filter((m) => m.kind === 'file').length === 2, 10_000, 'both file messages');
  const [empty, image] = bob.messages.filter((m) => m.kind === 'file') as unknown as (RoomMessage & FileBody)[];
  assert.equal(empty.file.size, 0);
  assert.equal((await bob.client.fetchFile(empty.file).done).length, 0);
  assert.equal(image.text, 'the chart');
  assert.deepEqual([image.file.width, image.file.height, image.file.mime], [640, 480, 'image/png']);
  assert.equal(sha(await bob.client.fetchFile(image.file).done), sha(png));
});

test('a relay that never answers about a file (chunks dropped on the way) makes sendFile fail, not wait for ever', { timeout: 60_000 }, async () => {
  const relay = await h.relay();
  // A forwarder that drops every BULK datagram (type byte 0x41 after MAGIC and version): the relay
  // never sees a chunk, as a relay from before files would never answer one.
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  h.track(() => new Promise<void>((r) => front.close(() => back.close(() => r()))));
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', r));
  let client: dgram.RemoteInfo | undefined;
  let dropped = 0;
  front.on('message', (b, rinfo) => {
    client = rinfo;
    if (b[2] === 0x41) dropped++;
    else back.send(b, relay.address().port, relay.address().host);
  });
  back.on('message', (b) => client && front.send(b, client.port, client.address));
  const ann = await h.client({ host: '127.0.0.1', port: front.address().port }, 'ann', { wantsRoster: false });
  await assert.rejects(ann.client.sendFile({ bytes: randomBytes(5000), name: 'lost.bin' }).done, (e: ChatError) => e.code === 'REFUSED' && /did not answer about lost\.bin/.test(e.message));
  assert.ok(dropped > 0);
  const m = ann.client.send({ kind: 'text', text: 'still here' });
  await until(() => ann.messages.some((x) => x.text === 'still here'), 5000, 'the chat to go on');
  assert.ok(m);
});
