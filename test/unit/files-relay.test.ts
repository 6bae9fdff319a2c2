// Issue 14, the relay's side: it stores what a member uploads and acks it, hands the chunks to another
// member of the same room, says when a file is gone, keeps files under their own cap (the oldest go,
// the text history stays), keeps acked chunks through a restart, and refuses what is not a member's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { newIdentity } from '../../src/chat/identity';
import { nodeCrypto } from '../../src/protocol/crypto';
import { encode } from '../../src/protocol/codec';
import { FILE_SLOT_BYTES } from '../../src/protocol/files';
import { FileState, PacketType as T, type FileStatus } from '../../src/protocol/packets';
import { Harness, sleep, until } from './helpers/engine';
import { RawV2 } from './helpers/raw-v2';

const MiB = 1024 * 1024;
/** A file's stored chunks: full slots, then a short last one. */
const blob = (chunks: number, seed = 1): Buffer[] => Array.from({ length: chunks }, (_, i) => Buffer.alloc(i === chunks - 1 ? 100 : FILE_SLOT_BYTES, (i * 7 + seed) % 256));
const statusOf = (raw: RawV2, id: Buffer, from: number) => raw.next((p) => p.type === T.FileStatus && p.fileId.equals(id), 3000, from) as Promise<FileStatus>;

async function member(relay: { address(): { host: string; port: number } }, identity = newIdentity(nodeCrypto).identity): Promise<RawV2> {
  const raw = await RawV2.open(relay.address(), { identity });
  const w = await raw.join();
  assert.equal(w.type, T.Welcome);
  return raw;
}

async function upload(raw: RawV2, id: Buffer, chunks: Buffer[], which = chunks.map((_, i) => i)): Promise<void> {
  for (const i of which) {
    raw.sendBulk({ type: T.FileChunk, fileId: id, chunks: chunks.length, index: i, data: chunks[i] });
    if (i % 32 === 31) await sleep(2); // a window's worth at a time, as a sender's controller would
  }
}

async function download(raw: RawV2, id: Buffer, chunks: number): Promise<Buffer[]> {
  const got = new Map<number, Buffer>();
  // A window of 32 at a time, as a receiver's controller would: a socket's receive buffer holds ~90.
  for (let start = 0; start < chunks; start += 32) {
    const from = raw.got.length;
    const count = Math.min(32, chunks - start);
    raw.send({ type: T.FileGet, fileId: id, ranges: [{ from: start, count }] });
    await until(() => {
      for (const p of raw.got.slice(from)) if (p.type === T.FileChunk && p.fileId.equals(id)) got.set(p.index, p.data);
      return got.size === start + count;
    }, 5000, `chunks ${start}-${start + count - 1}`);
  }
  return [...got.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d);
}

test('an upload is acked and completed, and another member of the room gets it back byte for byte', async () => {
  const h = new Harness();
  try {
    const relay = await h.relay();
    const ann = await member(relay);
    const bob = await member(relay);
    h.track(() => ann.close());
    h.track(() => bob.close());
    const id = randomBytes(16);
    const chunks = blob(40);
    const from = ann.got.length;
    await upload(ann, id, chunks);
    const done = await statusOf(ann, id, from);
    assert.equal(done.state, FileState.Complete);
    const acked = new Set<number>();
    for (const p of ann.got.slice(from)) if (p.type === T.FileAck) for (const r of p.ranges) for (let i = r.from; i < r.from + r.count; i++) acked.add(i);
    assert.equal(acked.size, 40, 'every chunk acked');
    assert.deepEqual(Buffer.concat(await download(bob, id, 40)), Buffer.concat(chunks));
    // Unknown: gone, said.
    const at = bob.got.length;
    bob.send({ type: T.FileGet, fileId: randomBytes(16), ranges: [{ from: 0, count: 1 }] });
    const gone = (await bob.next((p) => p.type === T.FileStatus, 3000, at)) as FileStatus;
    assert.equal(gone.state, FileState.Gone);
    assert.match(gone.detail, /no longer has/);
  } finally {
    await h.close();
  }
});

test("another member cannot write into an upload in progress, and a FileChunk outside a BULK frame is refused", async () => {
  const h = new Harness();
  try {
    const relay = await h.relay();
    const ann = await member(relay);
    const mallory = await member(relay);
    h.track(() => ann.close());
    h.track(() => mallory.close());
    const id = randomBytes(16);
    const chunks = blob(4);
    await upload(ann, id, chunks, [0, 1]);
    await until(() => ann.got.some((p) => p.type === T.FileAck), 3000, 'an ack');
    const from = mallory.got.length;
    mallory.sendBulk({ type: T.FileChunk, fileId: id, chunks: 4, index: 2, data: Buffer.alloc(FILE_SLOT_BYTES, 0xee) });
    const refused = await statusOf(mallory, id, from);
    assert.equal(refused.state, FileState.Refused);
    assert.match(refused.detail, /another member/);
    // The same chunk in an ordinary sealed datagram: malformed, dropped.
    const malformed = relay.stats().malformed;
    mallory.send({ type: T.FileChunk, fileId: id, chunks: 4, index: 3, data: chunks[3] });
    await until(() => relay.stats().malformed > malformed, 3000, 'counted as malformed');
    // Ann finishes; what was stored is hers.
    const at = ann.got.length;
    await upload(ann, id, chunks, [2, 3]);
    assert.equal((await statusOf(ann, id, at)).state, FileState.Complete);
    assert.deepEqual(Buffer.concat(await download(mallory, id, 4)), Buffer.concat(chunks));
  } finally {
    await h.close();
  }
});

test('files have their own cap: a new one pushes the oldest out, never the chat history', async () => {
  const h = new Harness();
  try {
    const relay = await h.relay({ limits: { fileStoreBytes: 1 * MiB } });
    const ann = await member(relay);
    h.track(() => ann.close());
    for (const d of ann.message(1, { kind: 'text', text: 'said before the files' })) ann.send(d);
    await ann.next((p) => p.type === T.Ack || (p.type === T.Msg && p.seq === 1), 3000);
    const [a, b] = [randomBytes(16), randomBytes(16)];
    const chunks = 600; // 624,000 bytes: two do not fit in 1 MiB
    let from = ann.got.length;
    await upload(ann, a, blob(chunks));
    assert.equal((await statusOf(ann, a, from)).state, FileState.Complete);
    from = ann.got.length;
    await upload(ann, b, blob(chunks, 2));
    assert.equal((await statusOf(ann, b, from)).state, FileState.Complete);
    from = ann.got.length;
    ann.send({ type: T.FileGet, fileId: a, ranges: [{ from: 0, count: 1 }] });
    assert.equal((await statusOf(ann, a, from)).state, FileState.Gone, 'the older file went');
    from = ann.got.length;
    ann.send({ type: T.Resend, fromSeq: 1, toSeq: 1 });
    const again = await ann.next((p) => (p.type === T.Msg && p.seq === 1) || p.type === T.Gone, 3000, from);
    assert.equal(again.type, T.Msg, 'the message is still in the history');
    // One larger than the whole cap is refused, with why.
    const big = randomBytes(16);
    from = ann.got.length;
    ann.sendBulk({ type: T.FileChunk, fileId: big, chunks: 1100, index: 0, data: Buffer.alloc(FILE_SLOT_BYTES) });
    const refused = await statusOf(ann, big, from);
    assert.equal(refused.state, FileState.Refused);
    assert.match(refused.detail, /at most 1048576 bytes of files/);
  } finally {
    await h.close();
  }
});

test('chunks acked before a relay restart are still there after it; the upload finishes from what is missing', async () => {
  const h = new Harness();
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'whatsudp-files-'));
  h.track(() => fs.rmSync(store, { recursive: true, force: true }));
  try {
    const identity = newIdentity(nodeCrypto).identity;
    let relay = await h.relay({ store });
    const port = relay.address().port;
    let ann = await member(relay, identity);
    const id = randomBytes(16);
    const chunks = blob(100);
    const half = chunks.map((_, i) => i).filter((i) => i % 2 === 0);
    await upload(ann, id, chunks, half);
    await until(() => {
      let n = 0;
      for (const p of ann.got) if (p.type === T.FileAck) for (const r of p.ranges) n += r.count;
      return n === half.length;
    }, 3000, 'the even chunks acked');
    await ann.close();
    await relay.close();
    relay = await h.relay({ store, port });
    ann = await member(relay, identity);
    h.track(() => ann.close());
    let from = ann.got.length;
    ann.send({ type: T.FileGet, fileId: id, ranges: [] });
    const partial = await statusOf(ann, id, from);
    assert.equal(partial.state, FileState.Partial);
    const missing: number[] = [];
    for (const r of partial.missing) for (let i = r.from; i < r.from + r.count; i++) missing.push(i);
    assert.deepEqual(missing, chunks.map((_, i) => i).filter((i) => i % 2 === 1).slice(0, 64), 'exactly the odd chunks are missing (the first 64 ranges)');
    from = ann.got.length;
    await upload(ann, id, chunks, chunks.map((_, i) => i).filter((i) => i % 2 === 1));
    assert.equal((await statusOf(ann, id, from)).state, FileState.Complete);
    const bob = await member(relay);
    h.track(() => bob.close());
    assert.deepEqual(Buffer.concat(await download(bob, id, 100)), Buffer.concat(chunks));
    const files = fs.readdirSync(path.join(store, 'files'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const e of files) assert.equal(fs.statSync(path.join(e.parentPath, e.name)).mode & 0o077, 0, `${e.name} is private`);
  } finally {
    await h.close();
  }
});

test('a BULK datagram from an address without a session is dropped unopened', async () => {
  const h = new Harness();
  try {
    const relay = await h.relay();
    const ann = await member(relay);
    const stranger = await RawV2.open(relay.address());
    h.track(() => ann.close());
    h.track(() => stranger.close());
    const sealed = ann.secure.sealBulk(encode({ type: T.FileChunk, fileId: randomBytes(16), chunks: 1, index: 0, data: Buffer.alloc(20) }))!;
    const before = relay.stats().unauthenticated;
    stranger.sendRaw(sealed);
    await until(() => relay.stats().unauthenticated > before, 3000, 'counted');
    await sleep(50);
    assert.equal(stranger.got.length, 0, 'nothing sent back to it');
  } finally {
    await h.close();
  }
});
