// Issue 14, the relay's file limits and hostile file packets: chunks over a member's --file-rate are
// dropped before opening and never cost the chat its datagram allowance; a FileGet is answered with
// what fits the member's outgoing file bytes; a member's fifth upload at once is refused; only the
// uploader cancels an upload; and file packets in the wrong frame or direction are malformed, counted,
// and leave the relay serving; file work beyond its queue drops the oldest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decode, encode } from '../../src/protocol/codec';
import { FileStore } from '../../src/chat/relay/file-store';
import { RelayFiles } from '../../src/chat/relay/files';
import { FILE_SLOT_BYTES } from '../../src/protocol/files';
import { FileState, PacketType as T, type FileChunk, type FileStatus } from '../../src/protocol/packets';
import type { RelayLimits } from '../../src/chat';
import { Harness, sleep, until } from './helpers/engine';
import { RawV2 } from './helpers/raw-v2';

const slot = (fill: number, bytes = FILE_SLOT_BYTES) => Buffer.alloc(bytes, fill);
const chunk = (fileId: Buffer, chunks: number, index: number): FileChunk => ({ type: T.FileChunk, fileId, chunks, index, data: slot(index % 256, index === chunks - 1 ? 50 : FILE_SLOT_BYTES) });
const statusOf = (raw: RawV2, id: Buffer, from: number) => raw.next((p) => p.type === T.FileStatus && p.fileId.equals(id), 3000, from) as Promise<FileStatus>;
const ackedOf = (raw: RawV2, id: Buffer): number => raw.got.reduce((n, p) => n + (p.type === T.FileAck && p.fileId.equals(id) ? p.ranges.reduce((k, r) => k + r.count, 0) : 0), 0);

async function setup(limits: RelayLimits = {}) {
  const h = new Harness();
  const relay = await h.relay({ limits });
  const seen: string[] = [];
  relay.on('message', (m) => seen.push(m.text));
  const member = async () => {
    const raw = await RawV2.open(relay.address());
    h.track(() => raw.close());
    assert.equal((await raw.join()).type, T.Welcome);
    return raw;
  };
  return { h, relay, seen, member };
}

test("chunks over a member's file rate are dropped unopened, and the chat's own datagram rate is untouched", async () => {
  // A burst of 8 KiB of file bytes, and an address allowed 20 datagrams at once: 60 chunks would
  // exhaust the address's allowance many times over if they were charged to it.
  const { h, relay, seen, member } = await setup({ fileBytesPerSecond: 2048, fileBurstBytes: 8192, addressPacketsPerSecond: 5, addressBurst: 20 });
  try {
    const ann = await member();
    const id = randomBytes(16);
    const limited = relay.stats().rateLimited;
    for (let i = 0; i < 60; i++) ann.sendRaw(ann.secure.sealBulk(encode(chunk(id, 100, i)))!);
    await until(() => relay.stats().rateLimited - limited >= 50, 3000, 'most chunks dropped over the file rate');
    await sleep(100);
    const acked = ackedOf(ann, id);
    assert.ok(acked >= 1 && acked <= 8, `only what fits 8 KiB (and 2 KiB/s) is stored: ${acked}`);
    for (let n = 1; n <= 5; n++) ann.send(ann.message(n, { kind: 'text', text: `chat ${n}` })[0]);
    await until(() => seen.length === 5, 3000, 'the five messages after the flood of chunks');
  } finally {
    await h.close();
  }
});

test("a FileGet is answered with what fits the member's outgoing file bytes; it asks again for the rest", async () => {
  const { h, member } = await setup({ fileBurstBytes: 8192, fileBytesPerSecond: 1 << 20 });
  try {
    const ann = await member();
    const bob = await member();
    const id = randomBytes(16);
    for (let i = 0; i < 40; i++) {
      ann.sendRaw(ann.secure.sealBulk(encode(chunk(id, 40, i)))!);
      if (i % 6 === 5) await sleep(20); // within ann's 8 KiB burst, refilled at 1 MiB/s
    }
    await until(() => ann.got.some((p) => p.type === T.FileStatus && p.fileId.equals(id) && p.state === FileState.Complete), 3000, 'the upload complete');
    const from = bob.got.length;
    bob.send({ type: T.FileGet, fileId: id, ranges: [{ from: 0, count: 40 }] });
    await until(() => bob.got.slice(from).some((p) => p.type === T.FileChunk), 3000, 'some chunks');
    await sleep(100);
    const first = bob.got.slice(from).filter((p) => p.type === T.FileChunk).length;
    assert.ok(first >= 5 && first <= 8, `8 KiB of chunks, not 40: ${first}`);
    await sleep(50); // refilled
    const at = bob.got.length;
    bob.send({ type: T.FileGet, fileId: id, ranges: [{ from: first, count: 40 - first }] });
    await until(() => bob.got.slice(at).some((p) => p.type === T.FileChunk), 3000, 'more after asking again');
  } finally {
    await h.close();
  }
});

test("a member's fifth upload at once is refused with why; only the uploader can cancel one", async () => {
  const { h, member } = await setup();
  try {
    const ann = await member();
    const mallory = await member();
    const ids = Array.from({ length: 5 }, () => randomBytes(16));
    for (const id of ids.slice(0, 4)) ann.sendRaw(ann.secure.sealBulk(encode(chunk(id, 3, 0)))!);
    await until(() => ids.slice(0, 4).every((id) => ackedOf(ann, id) === 1), 3000, 'four uploads begun');
    let from = ann.got.length;
    ann.sendRaw(ann.secure.sealBulk(encode(chunk(ids[4], 3, 0)))!);
    const refused = await statusOf(ann, ids[4], from);
    assert.equal(refused.state, FileState.Refused);
    assert.match(refused.detail, /at most 4 uploads at once/);
    // Someone else's cancel does nothing; the uploader's deletes it, and its slot is free again.
    mallory.send({ type: T.FileCancel, fileId: ids[0] });
    await sleep(100);
    from = ann.got.length;
    ann.send({ type: T.FileGet, fileId: ids[0], ranges: [] });
    assert.equal((await statusOf(ann, ids[0], from)).state, FileState.Partial, "mallory's cancel did nothing");
    ann.send({ type: T.FileCancel, fileId: ids[0] });
    await sleep(100);
    from = ann.got.length;
    ann.send({ type: T.FileGet, fileId: ids[0], ranges: [] });
    assert.equal((await statusOf(ann, ids[0], from)).state, FileState.Gone, "ann's cancel deleted it");
    from = ann.got.length;
    ann.sendRaw(ann.secure.sealBulk(encode(chunk(ids[4], 3, 0)))!);
    await until(() => ackedOf(ann, ids[4]) === 1, 3000, 'the fifth upload, now that one ended');
  } finally {
    await h.close();
  }
});

test('file packets in the wrong frame or direction are malformed and counted; bytes that do not open are dropped; the relay serves on', async () => {
  const { h, relay, seen, member } = await setup();
  try {
    const ann = await member();
    const id = randomBytes(16);
    const before = relay.stats();
    const wrong: Buffer[] = [
      ann.secure.sealBulk(encode({ type: T.FileGet, fileId: id, ranges: [] }))!, // only a FileChunk in BULK
      ann.secure.seal(encode({ type: T.FileAck, fileId: id, ranges: [{ from: 0, count: 1 }] }))!, // a relay's packet
      ann.secure.seal(encode({ type: T.FileStatus, fileId: id, state: FileState.Complete, chunks: 1, missing: [], detail: '' }))!,
    ];
    // A chunk whose length is wrong for its index, sealed properly: refused with why, not stored.
    const short = { ...chunk(id, 3, 0), data: slot(1, 500) };
    for (const b of wrong) ann.sendRaw(b);
    await until(() => relay.stats().malformed - before.malformed === 3, 3000, 'three malformed');
    let from = ann.got.length;
    ann.sendRaw(ann.secure.sealBulk(encode(short))!);
    const refused = await statusOf(ann, id, from);
    assert.equal(refused.state, FileState.Refused);
    assert.match(refused.detail, /chunk 0 is 500 bytes, not 1040/);
    // Garbage after a BULK prefix, and a BULK datagram cut short: they do not open.
    const sealed = ann.secure.sealBulk(encode(chunk(id, 1, 0)))!;
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] ^= 1;
    ann.sendRaw(flipped);
    ann.sendRaw(sealed.subarray(0, 40));
    ann.sendRaw(Buffer.concat([sealed.subarray(0, 11), randomBytes(600)]));
    await until(() => relay.stats().unauthenticated + relay.stats().malformed - before.unauthenticated - before.malformed >= 6, 3000, 'all counted');
    from = ann.got.length;
    ann.send({ type: T.FileGet, fileId: id, ranges: [] });
    assert.equal((await statusOf(ann, id, from)).state, FileState.Gone, 'nothing of it was stored');
    ann.send(ann.message(1, { kind: 'text', text: 'still serving' })[0]);
    await until(() => seen.includes('still serving'), 3000, 'the chat after it all');
  } finally {
    await h.close();
  }
});

test('file work beyond the queue drops the oldest, so the newest packets are still answered', async () => {
  const answered: string[] = [];
  const wire = { counters: { rateLimited: 0 }, send: (p: Buffer) => answered.push((decode(p) as FileStatus).fileId.toString('hex')), sendBulk: () => {} };
  type Args = ConstructorParameters<typeof RelayFiles>;
  const files = new RelayFiles(new FileStore({ capBytes: 1 << 20 }), wire as unknown as Args[1], () => undefined, { fileBytesPerSecond: 1e9, fileBurstBytes: 1e9, uploadsPerMember: 4 }, () => {});
  const member = {} as Parameters<typeof files.packet>[1]; // no session: each packet is answered 'refused'
  const ids = Array.from({ length: 2100 }, () => randomBytes(16));
  for (const fileId of ids) files.packet({ type: T.FileCancel, fileId }, member, Date.now());
  await until(() => answered.length >= 2048, 5000, 'the queued file work answered');
  await sleep(50);
  assert.equal(answered.length, 2048);
  assert.equal(wire.counters.rateLimited, 2100 - 2048);
  assert.ok(!answered.includes(ids[0].toString('hex')), 'the oldest was dropped');
  assert.equal(answered[answered.length - 1], ids[ids.length - 1].toString('hex'), 'the newest was answered');
  files.close();
});
