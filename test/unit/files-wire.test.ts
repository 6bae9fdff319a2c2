// Issue 14's wire: the file packets round-trip and refuse what they cannot be; a FileChunk travels only
// in a BULK frame; a chunk's AEAD binds its file, index and count.
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { decode, encode, ProtocolError } from '../../src/protocol/codec';
import { loadNobleCrypto, nodeCrypto } from '../../src/protocol/crypto';
import { chunkCount, FILE_CHUNK_BYTES, FILE_SLOT_BYTES, FileCipher, MAX_FILE_BYTES, MAX_FILE_CHUNKS } from '../../src/protocol/files';
import { FileState, MAX_DATAGRAM, PacketType as T, type Packet } from '../../src/protocol/packets';
import { decodeInner } from '../../src/protocol/v2';

const fileId = Buffer.alloc(16, 0xab);

const samples: Packet[] = [
  { type: T.FileChunk, fileId, chunks: MAX_FILE_CHUNKS, index: MAX_FILE_CHUNKS - 1, data: Buffer.alloc(FILE_SLOT_BYTES, 1) },
  { type: T.FileChunk, fileId, chunks: 1, index: 0, data: Buffer.alloc(16, 2) },
  { type: T.FileAck, fileId, ranges: [{ from: 0, count: 3 }, { from: 7, count: 1 }] },
  { type: T.FileGet, fileId, ranges: [] },
  { type: T.FileGet, fileId, ranges: Array.from({ length: 64 }, (_, i) => ({ from: i * 10, count: 5 })) },
  { type: T.FileStatus, fileId, state: FileState.Partial, chunks: 40, missing: [{ from: 2, count: 38 }], detail: '' },
  { type: T.FileStatus, fileId, state: FileState.Gone, chunks: 0, missing: [], detail: 'the relay no longer has this file' },
  { type: T.FileCancel, fileId },
];

test('every file packet round-trips and fits a datagram', () => {
  for (const p of samples) {
    const buf = encode(p);
    assert.ok(buf.length <= MAX_DATAGRAM - 35, `${T[p.type]} is ${buf.length} bytes`);
    assert.deepEqual(decode(buf), p);
  }
});

test('file packets that cannot be are refused, both ways', () => {
  const bad: Packet[] = [
    { type: T.FileChunk, fileId, chunks: 2, index: 2, data: Buffer.alloc(20) },
    { type: T.FileChunk, fileId, chunks: MAX_FILE_CHUNKS + 1, index: 0, data: Buffer.alloc(20) },
    { type: T.FileChunk, fileId, chunks: 1, index: 0, data: Buffer.alloc(FILE_SLOT_BYTES + 1) },
    { type: T.FileChunk, fileId, chunks: 1, index: 0, data: Buffer.alloc(15) },
    { type: T.FileChunk, fileId: Buffer.alloc(15), chunks: 1, index: 0, data: Buffer.alloc(20) },
    { type: T.FileAck, fileId, ranges: [] },
    { type: T.FileGet, fileId, ranges: [{ from: MAX_FILE_CHUNKS - 1, count: 2 }] },
    { type: T.FileGet, fileId, ranges: Array.from({ length: 65 }, () => ({ from: 0, count: 1 })) },
    { type: T.FileStatus, fileId, state: FileState.Complete, chunks: 4, missing: [{ from: 0, count: 1 }], detail: '' },
  ];
  for (const p of bad) assert.throws(() => encode(p), ProtocolError, JSON.stringify(p).slice(0, 80));
  // Decoding: a state that does not exist, a chunk index past the count, trailing bytes.
  const status = encode(samples[6]);
  status[3 + 16] = 9;
  assert.throws(() => decode(status), /state 9/);
  const chunk = encode(samples[1]);
  chunk.writeUInt32BE(1, 3 + 16 + 4);
  assert.throws(() => decode(chunk), /chunk 1 of 1/);
  assert.throws(() => decode(Buffer.concat([encode(samples[7]), Buffer.from([0])])), ProtocolError);
});

test('a FileChunk only in a BULK frame, and a BULK frame only with a FileChunk', () => {
  assert.equal(decodeInner(encode(samples[1]), true).type, T.FileChunk);
  assert.throws(() => decodeInner(encode(samples[1]), false), /outside a BULK/);
  assert.throws(() => decodeInner(encode(samples[3]), true), /inside a BULK/);
});

test('chunks of a file open only as themselves, on both crypto backends', async () => {
  const noble = await loadNobleCrypto();
  for (const c of [nodeCrypto, noble]) {
    const key = Buffer.alloc(32, 9);
    const size = 3 * FILE_CHUNK_BYTES + 100;
    const plain = Buffer.from(Array.from({ length: size }, (_, i) => i % 251));
    const a = new FileCipher(c, key, fileId, size);
    assert.equal(a.chunks, 4);
    const sealed = [0, 1, 2, 3].map((i) => a.seal(plain, i));
    assert.deepEqual(sealed.map((s) => s.length), [FILE_SLOT_BYTES, FILE_SLOT_BYTES, FILE_SLOT_BYTES, 116]);
    assert.deepEqual(Buffer.concat(sealed.map((s, i) => a.open(s, i)!)), plain);
    // Moved to another index, another file, cut, or altered: none opens.
    assert.equal(a.open(sealed[1], 2), undefined);
    assert.equal(new FileCipher(c, key, Buffer.alloc(16, 1), size).open(sealed[0], 0), undefined);
    assert.equal(new FileCipher(c, key, fileId, size + FILE_CHUNK_BYTES).open(sealed[0], 0), undefined, 'another chunk count');
    const altered = Buffer.from(sealed[2]);
    altered[5] ^= 1;
    assert.equal(a.open(altered, 2), undefined);
    // The same key and chunk give the same bytes on both backends.
    assert.deepEqual(Buffer.from(new FileCipher(nodeCrypto, key, fileId, size).seal(plain, 3)), Buffer.from(new FileCipher(noble, key, fileId, size).seal(plain, 3)));
  }
  assert.equal(chunkCount(0), 1);
  assert.equal(chunkCount(MAX_FILE_BYTES), MAX_FILE_CHUNKS);
  assert.throws(() => chunkCount(MAX_FILE_BYTES + 1));
});

test('known answer: a chunk is AES-256-GCM(key, 0000 | u64 index, "whatsudp file chunk v1" 0 | fileId | index | count)', async () => {
  // Computed apart from FileCipher, from the layout in docs/PROTOCOL.md "Files": another
  // implementation that gets these bytes reads and writes the same chunks.
  const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const id = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
  const plain = Buffer.from(Array.from({ length: FILE_CHUNK_BYTES + 5 }, (_, i) => i % 256));
  for (const c of [nodeCrypto, await loadNobleCrypto()]) {
    const f = new FileCipher(c, key, id, plain.length);
    const first = Buffer.from(f.seal(plain, 0));
    assert.equal(first.length, FILE_SLOT_BYTES);
    assert.equal(createHash('sha256').update(first).digest('hex'), '491219fb519ae210e4886bd11b24e420de80d34c8b0428482eafd6e48841a0d4');
    assert.equal(Buffer.from(f.seal(plain, 1)).toString('hex'), '15d7bdff40fba4509f2a40bad8de170125a1e9951b');
  }
});
