// Segment files: a header naming the room, then records. Read back in chunks (a store is never one
// string in memory), reporting to a sink what each stretch of the file is.
import * as fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { MAX_RECORD_BYTES, nextMagic, RECORD_MAGIC, scanRecord, type StoredMessage } from './record';

const SEGMENT_MAGIC = Buffer.from('WUDPSEG1', 'latin1');
export const SEGMENT_HEADER_BYTES = 24; // magic 8, roomId u64, base seq u32, crc32 u32
const CHUNK_BYTES = 1024 * 1024;

/** `0000000042.seg`: numbered in the order they were made (seqs restart when a room rolls over). */
export const segmentName = (n: number): string => `${String(n).padStart(10, '0')}.seg`;
export const SEGMENT_FILE = /^(\d{10})\.seg$/;

export interface SegmentHeader {
  roomId: bigint;
  /** The room's head when the segment was made: every seq up to it was given before. */
  base: number;
}

export function encodeHeader(h: SegmentHeader): Buffer {
  const buf = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(buf, 0);
  buf.writeBigUInt64BE(h.roomId, 8);
  buf.writeUInt32BE(h.base, 16);
  buf.writeUInt32BE(crc32(buf.subarray(0, 20)), 20);
  return buf;
}

export function decodeHeader(buf: Buffer): SegmentHeader | undefined {
  if (buf.length < SEGMENT_HEADER_BYTES || !buf.subarray(0, 8).equals(SEGMENT_MAGIC)) return undefined;
  if (buf.readUInt32BE(20) !== crc32(buf.subarray(0, 20))) return undefined;
  return { roomId: buf.readBigUInt64BE(8), base: buf.readUInt32BE(16) };
}

/** A segment's header alone, or undefined when it is unreadable. */
export function readHeader(file: string): SegmentHeader | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(SEGMENT_HEADER_BYTES);
      return decodeHeader(buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

export interface ScanSink {
  record(m: StoredMessage, bytes: number): void;
  /** One record whose body is damaged. */
  damagedRecord(bytes: number): void;
  /** `bytes` in which no record can be made out. */
  damage(bytes: number): void;
  torn(): void;
}

export interface SegmentRead {
  /** undefined when the header is damaged (the records after it are read all the same). */
  header: SegmentHeader | undefined;
  /** Where the last readable record ends: a torn record after it may be cut off here. */
  goodEnd: number;
  size: number;
  torn: boolean;
  damaged: boolean;
}

/** Reads a segment from start to end, in chunks, telling `sink` what each stretch is. */
export function readSegment(file: string, sink: ScanSink): SegmentRead {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(SEGMENT_HEADER_BYTES);
    const got = fs.readSync(fd, head, 0, head.length, 0);
    const header = decodeHeader(head.subarray(0, got));
    const out: SegmentRead = { header, goodEnd: Math.min(size, SEGMENT_HEADER_BYTES), size, torn: false, damaged: false };
    if (!header) {
      out.damaged = true;
      sink.damage(Math.min(size, SEGMENT_HEADER_BYTES));
    }
    let buf = Buffer.alloc(0);
    let bufAt = SEGMENT_HEADER_BYTES; // file offset of buf[0]
    let pos = 0;
    let eof = size <= SEGMENT_HEADER_BYTES;
    let damageAt = -1;
    const endDamage = (at: number) => {
      if (damageAt < 0) return;
      out.damaged = true;
      sink.damage(at - damageAt);
      damageAt = -1;
    };
    for (;;) {
      if (!eof && buf.length - pos < MAX_RECORD_BYTES) {
        const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
        const n = fs.readSync(fd, chunk, 0, CHUNK_BYTES, bufAt + buf.length);
        bufAt += pos;
        buf = Buffer.concat([buf.subarray(pos), chunk.subarray(0, n)]);
        pos = 0;
        eof = n === 0 || bufAt + buf.length >= size;
      }
      if (pos >= buf.length && eof) break;
      const r = scanRecord(buf, pos, eof);
      if (r === 'more') continue;
      if (r.kind === 'record') {
        endDamage(bufAt + pos);
        sink.record(r.message, r.bytes);
        pos += r.bytes;
        out.goodEnd = bufAt + pos;
      } else if (r.kind === 'damaged') {
        endDamage(bufAt + pos);
        out.damaged = true;
        sink.damagedRecord(r.bytes);
        pos += r.bytes;
      } else if (r.kind === 'torn') {
        endDamage(bufAt + pos);
        out.torn = true;
        sink.torn();
        break;
      } else {
        if (damageAt < 0) damageAt = bufAt + pos;
        const next = nextMagic(buf, pos + 1);
        // Without a record start in what is read so far, keep the last bytes: one may begin there.
        pos = next >= 0 ? next : eof ? buf.length : Math.max(pos + 1, buf.length - (RECORD_MAGIC.length - 1));
      }
    }
    endDamage(bufAt + buf.length);
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
