// Issue 14: a transfer survives a relay restart (resuming with what the relay lacks, not starting
// over), can be cancelled on either side, refuses a file altered at the relay, and in a sealed room
// leaves the relay nothing it can read.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FileBody, FileInfo, Relay, RoomMessage } from '../../src/chat';
import { ChatError } from '../../src/chat/errors';
import { nodeCrypto } from '../../src/protocol/crypto';
import { FILE_SLOT_BYTES } from '../../src/protocol/files';
import { newRoomSecret } from '../../src/protocol/sealed-room';
import { Harness, until } from './helpers/engine';

const h = new Harness();
after(() => h.close());

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fileOf = (m: RoomMessage[]): FileInfo | undefined => m.map((x) => (x.kind === 'file' ? (x as unknown as FileBody).file : undefined)).find(Boolean);

function tempStore(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whatsudp-xfer-'));
  h.track(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

test('an upload interrupted by a relay restart resumes from what the relay lacks and completes', { timeout: 120_000 }, async () => {
  const store = tempStore();
  let relay: Relay = await h.relay({ store });
  const port = relay.address().port;
  const ann = await h.client(relay.address(), 'ann', { wantsRoster: false });
  const bob = await h.client(relay.address(), 'bob', { wantsRoster: false });
  const bytes = randomBytes(4 * 1024 * 1024);
  const chunks = bytes.length / 1024;
  let restarting: Promise<void> | undefined;
  const up = ann.client.sendFile({ bytes, name: 'data.bin' }, {
    onProgress: (done) => {
      if (done >= bytes.length * 0.4 && !restarting) restarting = relay.close().then(async () => void (relay = await h.relay({ store, port })));
    },
  });
  const sent = await up.done;
  assert.ok(restarting, 'the relay was restarted during the upload');
  await restarting;
  assert.equal(sent.body.kind, 'file');
  const counts = (up as unknown as { counts: { sent: number } }).counts;
  assert.ok(counts.sent < chunks * 1.5, `chunks sent ${counts.sent} for ${chunks}: what was stored before the restart was not sent again`);
  await until(() => fileOf(bob.messages) !== undefined, 30_000, 'bob to see the file');
  assert.equal(sha(await bob.client.fetchFile(fileOf(bob.messages)!).done), sha(bytes));
});

test('cancel on either side: CANCELLED, the relay drops a cancelled upload, and the client goes on', { timeout: 120_000 }, async () => {
  const relay = await h.relay();
  const ann = await h.client(relay.address(), 'ann', { wantsRoster: false });
  const bob = await h.client(relay.address(), 'bob', { wantsRoster: false });
  const bytes = randomBytes(2 * 1024 * 1024);
  const up = ann.client.sendFile({ bytes, name: 'half.bin' }, { onProgress: (d) => d > bytes.length / 10 && up.cancel() });
  await assert.rejects(up.done, (e: ChatError) => e.code === 'CANCELLED');
  const stale = { id: up.id, key: randomBytes(32).toString('base64url'), name: 'half.bin', size: bytes.length, sha256: sha(bytes), mime: 'application/octet-stream' };
  // The relay drops the partial upload when the FileCancel comes: until then it says it has part of it.
  let said = '';
  for (let i = 0; i < 50 && !/no longer has/.test(said); i++) {
    said = await bob.client.fetchFile(stale).done.then(() => 'fetched', (e: ChatError) => `${e.code} ${e.message}`);
    if (!/no longer has/.test(said)) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(said, /^FILE_GONE The relay no longer has half\.bin/);
  assert.equal(fileOf(bob.messages), undefined, 'no message names a cancelled file');

  const whole = await ann.client.sendFile({ bytes, name: 'whole.bin' }).done;
  assert.equal(whole.body.kind, 'file');
  await until(() => fileOf(bob.messages) !== undefined, 10_000, 'bob to see the file');
  const ctl = new AbortController();
  const down = bob.client.fetchFile(fileOf(bob.messages)!, { signal: ctl.signal, onProgress: (d) => d > bytes.length / 10 && ctl.abort() });
  await assert.rejects(down.done, (e: ChatError) => e.code === 'CANCELLED');
  assert.equal(sha(await bob.client.fetchFile(fileOf(bob.messages)!).done), sha(bytes), 'a fetch after a cancel works');
});

test('a chunk altered in the relay store makes the fetch CORRUPT with nothing returned; in a sealed room the store holds no plaintext', { timeout: 120_000 }, async () => {
  const store = tempStore();
  const relay = await h.relay({ store });
  const secret = newRoomSecret(nodeCrypto);
  const ann = await h.client(relay.address(), 'ann', { wantsRoster: false, room: 'vault', create: true, roomSecret: secret });
  const bob = await h.client(relay.address(), 'bob', { wantsRoster: false, room: 'vault', roomSecret: secret });
  const marker = Buffer.from('PLAINTEXT-MARKER-0123456789');
  const bytes = Buffer.concat(Array.from({ length: 400 }, () => marker)); // ~10 KiB of a known pattern
  const sent = await ann.client.sendFile({ bytes, name: 'secret.txt', mime: 'text/plain' }).done;
  assert.equal(sent.body.kind, 'file');
  await until(() => fileOf(bob.messages) !== undefined, 10_000, 'bob to see the file');
  const info = fileOf(bob.messages)!;
  // Nothing the relay keeps, the file store or the history, holds the file's bytes or its key.
  for (const f of filesUnder(store)) {
    const content = fs.readFileSync(f);
    assert.equal(content.indexOf(marker.subarray(0, 16)), -1, `${f} holds the file's plaintext`);
    assert.equal(content.indexOf(Buffer.from(info.key)), -1, `${f} holds the file's key`);
  }
  assert.equal(sha(await bob.client.fetchFile(info).done), sha(bytes));
  // Chunks that open but a whole that is not what the signed message says: refused too.
  await assert.rejects(bob.client.fetchFile({ ...info, sha256: sha(Buffer.from('other')) }).done, (e: ChatError) => e.code === 'CORRUPT' && /SHA-256/.test(e.message));
  const data = filesUnder(store).find((f) => f.endsWith(`${info.id}.data`));
  assert.ok(data, 'the relay stored the file on disk');
  const fd = fs.openSync(data, 'r+');
  const at = 3 * FILE_SLOT_BYTES + 100;
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, at);
  fs.writeSync(fd, Buffer.from([b[0] ^ 0xff]), 0, 1, at);
  fs.closeSync(fd);
  await assert.rejects(bob.client.fetchFile(info).done, (e: ChatError) => e.code === 'CORRUPT' && /secret\.txt/.test(e.message));
});
