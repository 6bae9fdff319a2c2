// Issue 14, the relay's file store on its own and on a full disk: an idle partial upload goes before
// an older finished file; a damaged entry on disk is dropped with a notice at start, never a crash, and
// the good ones next to it stay; a disk that fills mid-upload refuses that upload with why, and the
// chat (and the next upload, once there is room) goes on.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore, IDLE_UPLOAD_MS } from '../../src/chat/relay/file-store';
import { newIdentity } from '../../src/chat/identity';
import { nodeCrypto } from '../../src/protocol/crypto';
import { FILE_SLOT_BYTES } from '../../src/protocol/files';
import { encode } from '../../src/protocol/codec';
import { FileState, PacketType as T, type FileChunk, type FileStatus } from '../../src/protocol/packets';
import { parseAddress } from '../../src/chat';
import { spawnCli, startRelay } from './helpers/cli-proc';
import { Harness, sleep, until } from './helpers/engine';
import { RawV2 } from './helpers/raw-v2';

const dirs: string[] = [];
const mounts: string[] = [];
after(() => {
  for (const m of mounts) execFileSync('umount', [m]);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'whatsudp-files-'));
  dirs.push(d);
  return d;
}
/** A FileChunk sealed in a BULK datagram, as a client's upload sends it. */
const sendBulk = (raw: RawV2, p: FileChunk) => raw.sendRaw(raw.secure.sealBulk(encode(p))!);
const slot = (fill: number, bytes = FILE_SLOT_BYTES) => Buffer.alloc(bytes, fill);
const hex = () => randomBytes(16).toString('hex');

test('an idle partial upload is pushed out before an older finished file', () => {
  const store = new FileStore({ capBytes: 3 * 10 * FILE_SLOT_BYTES });
  const t0 = 1_000_000;
  const done = store.create('main', hex(), 10, 'ann', t0) as ReturnType<FileStore['get']> & object;
  for (let i = 0; i < 10; i++) store.put(done, i, slot(i, i === 9 ? 30 : FILE_SLOT_BYTES), t0);
  assert.ok(store.complete(done));
  const idle = store.create('main', hex(), 10, 'bob', t0 + 1) as ReturnType<FileStore['get']> & object;
  store.put(idle, 0, slot(1), t0 + 1);
  const busy = store.create('main', hex(), 10, 'cy', t0 + 2) as ReturnType<FileStore['get']> & object;
  const now = t0 + IDLE_UPLOAD_MS + 10;
  store.put(busy, 0, slot(2), now);
  const next = store.create('main', hex(), 10, 'dan', now);
  assert.notEqual(typeof next, 'string');
  assert.ok(store.get('main', done.id), 'the finished file stays');
  assert.equal(store.get('main', idle.id), undefined, 'the idle partial upload went');
  assert.ok(store.get('main', busy.id), 'an upload still going stays');
  assert.equal(store.bytes, 3 * 10 * FILE_SLOT_BYTES);
  assert.equal(store.uploadsOf('bob', now), 0);
  assert.equal(store.uploadsOf('cy', now), 1);
});

test('a damaged file entry on disk is dropped with a notice; the good one beside it loads with its chunks', () => {
  const dir = tempDir();
  const first = new FileStore({ dir, capBytes: 1 << 20 });
  const good = first.create('main', hex(), 3, 'ann', 1) as ReturnType<FileStore['get']> & object;
  first.put(good, 0, slot(7), 1);
  first.put(good, 2, slot(9, 40), 1);
  const bad = first.create('main', hex(), 2, 'ann', 2) as ReturnType<FileStore['get']> & object;
  first.put(bad, 0, slot(1), 2);
  const cut = first.create('main', hex(), 2, 'ann', 3) as ReturnType<FileStore['get']> & object;
  first.close();
  const roomDir = path.dirname(fs.readdirSync(dir, { recursive: true }).map(String).find((n) => n.endsWith(`${good.id}.json`))!);
  // One names a chunk past its count; one's description is not JSON.
  fs.appendFileSync(path.join(dir, roomDir, `${bad.id}.idx`), Buffer.from([0, 0, 0, 5]));
  fs.writeFileSync(path.join(dir, roomDir, `${cut.id}.json`), '{"room":');
  const second = new FileStore({ dir, capBytes: 1 << 20 });
  const notices = second.load();
  assert.equal(notices.length, 2, notices.join('\n'));
  assert.ok(notices.some((n) => n.includes(bad.id) && /chunk 5 of 2/.test(n)), notices.join('\n'));
  assert.equal(second.get('main', bad.id), undefined);
  assert.equal(second.get('main', cut.id), undefined);
  assert.ok(!fs.existsSync(path.join(dir, roomDir, `${bad.id}.idx`)), 'its files are removed');
  const back = second.get('main', good.id)!;
  assert.deepEqual(second.missing(back, 64), [{ from: 1, count: 1 }]);
  assert.deepEqual(second.read(back, 0), slot(7));
  assert.deepEqual(second.read(back, 2), slot(9, 40));
  second.close();
});

/** A 256 KiB tmpfs of its own, or why there cannot be one here. */
function smallDisk(): string | { skip: string } {
  const dir = tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return { skip: `cannot mount a small tmpfs here (${String((err as Error).message).split('\n')[0]})` };
  }
  mounts.push(dir);
  return dir;
}

test("a full disk refuses the upload that filled it (the relay's disk is full); the chat and a smaller file go on", async (t) => {
  const disk = smallDisk();
  if (typeof disk !== 'string') return t.skip(disk.skip);
  const h = new Harness();
  try {
    const relay = await h.relay({ store: path.join(disk, 'store') });
    const seen: string[] = [];
    relay.on('message', (m) => seen.push(m.text));
    const ann = await RawV2.open(relay.address(), { identity: newIdentity(nodeCrypto).identity });
    h.track(() => ann.close());
    assert.equal((await ann.join()).type, T.Welcome);
    const big = randomBytes(16);
    const chunks = 400; // 416,000 bytes on a 256 KiB disk
    let from = ann.got.length;
    let refused: FileStatus | undefined;
    for (let i = 0; i < chunks && !refused; i++) {
      sendBulk(ann, { type: T.FileChunk, fileId: big, chunks, index: i, data: slot(i % 256) });
      if (i % 16 === 15) {
        await sleep(5);
        refused = ann.got.slice(from).find((p): p is FileStatus => p.type === T.FileStatus && p.fileId.equals(big));
      }
    }
    refused ??= (await ann.next((p) => p.type === T.FileStatus && p.fileId.equals(big), 3000, from)) as FileStatus;
    assert.equal(refused.state, FileState.Refused);
    assert.equal(refused.detail, "the relay's disk is full");
    // What was written of it is gone (the space is free again): asking for it says gone.
    await sleep(50);
    from = ann.got.length;
    ann.send({ type: T.FileGet, fileId: big, ranges: [] });
    assert.equal(((await ann.next((p) => p.type === T.FileStatus, 3000, from)) as FileStatus).state, FileState.Gone);
    // The chat goes on, and so does a file that fits.
    ann.send(ann.message(1, { kind: 'text', text: 'still here' })[0]);
    await until(() => seen.includes('still here'), 3000, 'the message after the full disk');
    const small = randomBytes(16);
    from = ann.got.length;
    sendBulk(ann, { type: T.FileChunk, fileId: small, chunks: 2, index: 0, data: slot(1) });
    sendBulk(ann, { type: T.FileChunk, fileId: small, chunks: 2, index: 1, data: slot(2, 16) });
    const status = (await ann.next((p) => p.type === T.FileStatus && p.fileId.equals(small), 3000, from)) as FileStatus;
    assert.equal(status.state, FileState.Complete, status.detail);
  } finally {
    await h.close();
  }
});

test('kill -9 mid-upload: every chunk the relay acked is there after the restart, and the file finishes byte for byte', async () => {
  const h = new Harness();
  const store = tempDir();
  try {
    const first = await startRelay(['--store', store, '--heartbeat-ms', '300']);
    h.track(() => first.relay.stop());
    const server = parseAddress(first.address);
    const identity = newIdentity(nodeCrypto).identity;
    let ann = await RawV2.open(server, { identity });
    assert.equal((await ann.join()).type, T.Welcome);
    const id = randomBytes(16);
    const chunks = Array.from({ length: 400 }, (_, i) => slot((i * 13) % 256, i === 399 ? 77 : FILE_SLOT_BYTES));
    for (let i = 0; i < 300; i++) {
      sendBulk(ann, { type: T.FileChunk, fileId: id, chunks: 400, index: i, data: chunks[i] });
      if (i % 32 === 31) await sleep(2);
    }
    await until(() => ann.got.some((p) => p.type === T.FileAck), 3000, 'some acks');
    first.relay.signal('SIGKILL'); // while chunks may still be on their way
    await first.relay.exitWithin(3000);
    await ann.close();
    const acked = new Set<number>();
    for (const p of ann.got) if (p.type === T.FileAck) for (const r of p.ranges) for (let i = r.from; i < r.from + r.count; i++) acked.add(i);

    const second = spawnCli(['relay', '--host', server.host, '--port', String(server.port), '--store', store, '--heartbeat-ms', '300']);
    h.track(() => second.stop());
    await second.waitForLine('stdout', `${server.host}:${server.port}`, 5000);
    ann = await RawV2.open(server, { identity });
    h.track(() => ann.close());
    assert.equal((await ann.join()).type, T.Welcome);
    let status: FileStatus | undefined;
    for (let round = 0; round < 10; round++) {
      const from = ann.got.length;
      ann.send({ type: T.FileGet, fileId: id, ranges: [] });
      status = (await ann.next((p) => p.type === T.FileStatus && p.fileId.equals(id), 3000, from)) as FileStatus;
      if (status.state !== FileState.Partial) break;
      const missing: number[] = [];
      for (const r of status.missing) for (let i = r.from; i < r.from + r.count; i++) missing.push(i);
      if (round === 0) assert.deepEqual(missing.filter((i) => acked.has(i)), [], `acked before the kill, missing after it (${acked.size} acked)`);
      for (const [n, i] of missing.entries()) {
        sendBulk(ann, { type: T.FileChunk, fileId: id, chunks: 400, index: i, data: chunks[i] });
        if (n % 32 === 31) await sleep(2);
      }
      await sleep(50);
    }
    assert.equal(status?.state, FileState.Complete);
    const bob = await RawV2.open(server);
    h.track(() => bob.close());
    assert.equal((await bob.join()).type, T.Welcome);
    const got = new Map<number, Buffer>();
    for (let round = 0; round < 30 && got.size < 400; round++) {
      // The first 64 chunks not here yet (a window that fits a socket buffer on a busy machine), asked for
      // as ranges; what a full socket buffer drops anyway is asked for again.
      const want = chunks.map((_, i) => i).filter((i) => !got.has(i)).slice(0, 64);
      const ranges: { from: number; count: number }[] = [];
      for (const i of want) {
        const last = ranges[ranges.length - 1];
        if (last && last.from + last.count === i) last.count++;
        else ranges.push({ from: i, count: 1 });
      }
      const from = bob.got.length;
      bob.send({ type: T.FileGet, fileId: id, ranges: ranges.slice(0, 64) });
      const take = () => {
        for (const p of bob.got.slice(from)) if (p.type === T.FileChunk) got.set(p.index, p.data);
        return want.every((i) => got.has(i));
      };
      await until(take, 1500, 'the chunks asked for').catch(() => undefined);
    }
    assert.equal(got.size, 400);
    assert.ok(chunks.every((c, i) => c.equals(got.get(i)!)), 'every chunk as uploaded, those from before the kill too');
  } finally {
    await h.close();
  }
});
