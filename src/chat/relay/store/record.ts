// One stored message on disk, and the scan that reads them back. A record is length-prefixed binary,
// so its size is its content's size (JSON escapes a control character into six bytes), and its header
// and body each carry a CRC-32, so damage is found, never read as a different message or seq.
//
//   magic u32 | body length u32 | crc32(magic, length) u32 | body | crc32(body) u32
//   body: seq u32, time f64, senderId 8, flags u8, msgId u32, name u8+bytes,
//         [snippet: path u16+bytes, startLine u32, endLine u32, language u8+bytes], [later kind: kind u8],
//         [signed: the author's key 32 + signature 64], text u32+bytes
// (flags: 1 legacy, 2 snippet, 4 later kind, 8 signed; a record from before signatures has no 8.)
import { crc32 } from 'node:zlib';
import { MAX_LANGUAGE_BYTES, MAX_PATH_BYTES, MAX_TEXT_BYTES, type SendableBody } from '../../../common/message';

/** A message's body as the relay keeps it: a kind it does not know is its kind byte and its bytes
 * (UTF-8, as every kind's are), sequenced and forwarded unchanged (docs/PROTOCOL.md, "Message kinds"). */
export type StoredBody = SendableBody | { kind: 'other'; code: number; text: string };

export interface StoredMessage {
  seq: number;
  time: number;
  senderId: string; // hex
  legacy: boolean;
  name: string;
  msgId: number;
  body: StoredBody;
  /** The author's signature block (MESSAGE_AUTH_BYTES), kept so a restart forwards it unchanged. */
  auth?: Buffer;
}

/** 0xF9 never starts UTF-8, so message text cannot imitate the start of a record. */
export const RECORD_MAGIC = Buffer.from([0xf9, 0x57, 0x53, 0x52]); // \xF9 W S R
export const HEADER_BYTES = 12;
const TRAILER_BYTES = 4;
const FIXED_BODY = 4 + 8 + 8 + 1 + 4 + 1 + 4;
const SNIPPET_BODY = 2 + 4 + 4 + 1;
const OTHER_BODY = 1;
const AUTH_BYTES = 96; // MESSAGE_AUTH_BYTES (src/protocol/packets.ts)
/** The largest body a relay writes; a header claiming more is damage, not a long message. */
export const MAX_BODY_BYTES = FIXED_BODY + 255 + SNIPPET_BODY + MAX_PATH_BYTES + MAX_LANGUAGE_BYTES + AUTH_BYTES + MAX_TEXT_BYTES;
export const MAX_RECORD_BYTES = HEADER_BYTES + MAX_BODY_BYTES + TRAILER_BYTES;
/** The smallest record (one-character name and text); for estimating how many a damaged stretch held. */
export const MIN_RECORD_BYTES = HEADER_BYTES + FIXED_BODY + 2 + TRAILER_BYTES;

const LEGACY = 1;
const SNIPPET = 2;
const OTHER = 4;
const SIGNED = 8;

export function encodeRecord(m: StoredMessage): Buffer {
  const name = Buffer.from(m.name, 'utf8');
  const text = Buffer.from(m.body.text, 'utf8');
  const snippet = m.body.kind === 'snippet' ? { path: Buffer.from(m.body.path, 'utf8'), language: Buffer.from(m.body.language, 'utf8') } : undefined;
  if (name.length > 255 || (snippet && (snippet.path.length > MAX_PATH_BYTES || snippet.language.length > MAX_LANGUAGE_BYTES))) {
    throw new RangeError('A stored message has a name, path or language longer than the protocol allows');
  }
  const other = m.body.kind === 'other' ? m.body.code : undefined;
  if (m.auth && m.auth.length !== AUTH_BYTES) throw new RangeError(`A stored message has a signature block of ${m.auth.length} bytes`);
  const bodyBytes =
    FIXED_BODY + name.length + text.length + (snippet ? SNIPPET_BODY + snippet.path.length + snippet.language.length : 0) + (other === undefined ? 0 : OTHER_BODY) + (m.auth ? AUTH_BYTES : 0);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + bodyBytes + TRAILER_BYTES);
  RECORD_MAGIC.copy(buf, 0);
  buf.writeUInt32BE(bodyBytes, 4);
  buf.writeUInt32BE(crc32(buf.subarray(0, 8)), 8);
  let o = HEADER_BYTES;
  o = buf.writeUInt32BE(m.seq, o);
  o = buf.writeDoubleBE(m.time, o);
  o += Buffer.from(m.senderId.padStart(16, '0'), 'hex').copy(buf, o, 0, 8);
  o = buf.writeUInt8((m.legacy ? LEGACY : 0) | (snippet ? SNIPPET : 0) | (other === undefined ? 0 : OTHER) | (m.auth ? SIGNED : 0), o);
  o = buf.writeUInt32BE(m.msgId >>> 0, o);
  o = buf.writeUInt8(name.length, o);
  o += name.copy(buf, o);
  if (snippet && m.body.kind === 'snippet') {
    o = buf.writeUInt16BE(snippet.path.length, o);
    o += snippet.path.copy(buf, o);
    o = buf.writeUInt32BE(m.body.startLine >>> 0, o);
    o = buf.writeUInt32BE(m.body.endLine >>> 0, o);
    o = buf.writeUInt8(snippet.language.length, o);
    o += snippet.language.copy(buf, o);
  }
  if (other !== undefined) o = buf.writeUInt8(other, o);
  if (m.auth) o += m.auth.copy(buf, o);
  o = buf.writeUInt32BE(text.length, o);
  o += text.copy(buf, o);
  buf.writeUInt32BE(crc32(buf.subarray(HEADER_BYTES, o)), o);
  return buf;
}

/** What is at one offset of a segment: a record; one whose header is whole but whose body is
 * damaged (its length is known, so the next record is found at once); the start of one cut short by
 * the end of the file (a write that never completed); or bytes that are not a record. */
export type Scan =
  | { kind: 'record'; message: StoredMessage; bytes: number }
  | { kind: 'damaged'; bytes: number }
  | { kind: 'torn' }
  | { kind: 'bad' };

/** Reads the record at `at`. `buf` ends at the end of the file when `eof`, else more may follow. */
export function scanRecord(buf: Buffer, at: number, eof: boolean): Scan | 'more' {
  const left = buf.length - at;
  if (left < HEADER_BYTES) {
    if (!eof) return 'more';
    const n = Math.min(left, RECORD_MAGIC.length);
    return buf.subarray(at, at + n).equals(RECORD_MAGIC.subarray(0, n)) ? { kind: 'torn' } : { kind: 'bad' };
  }
  if (buf.compare(RECORD_MAGIC, 0, 4, at, at + 4) !== 0) return { kind: 'bad' };
  if (buf.readUInt32BE(at + 8) !== crc32(buf.subarray(at, at + 8))) return { kind: 'bad' };
  const bodyBytes = buf.readUInt32BE(at + 4);
  if (bodyBytes < FIXED_BODY || bodyBytes > MAX_BODY_BYTES) return { kind: 'bad' };
  const total = HEADER_BYTES + bodyBytes + TRAILER_BYTES;
  if (left < total) return eof ? { kind: 'torn' } : 'more';
  const body = buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + bodyBytes);
  if (buf.readUInt32BE(at + HEADER_BYTES + bodyBytes) !== crc32(body)) return { kind: 'damaged', bytes: total };
  const message = decodeBody(body);
  return message ? { kind: 'record', message, bytes: total } : { kind: 'damaged', bytes: total };
}

/** Where the next record might start after `at`, or -1. */
export function nextMagic(buf: Buffer, at: number): number {
  return buf.indexOf(RECORD_MAGIC, at);
}

function decodeBody(b: Buffer): StoredMessage | undefined {
  let o = 0;
  const need = (n: number) => {
    if (o + n > b.length) throw new RangeError('short');
    const at = o;
    o += n;
    return at;
  };
  try {
    const seq = b.readUInt32BE(need(4));
    const time = b.readDoubleBE(need(8));
    const senderId = b.toString('hex', need(8), o);
    const flags = b.readUInt8(need(1));
    const msgId = b.readUInt32BE(need(4));
    const nameLen = b.readUInt8(need(1));
    const name = b.toString('utf8', need(nameLen), o);
    let snippet: Omit<Extract<SendableBody, { kind: 'snippet' }>, 'kind' | 'text'> | undefined;
    if (flags & SNIPPET) {
      const pathLen = b.readUInt16BE(need(2));
      const path = b.toString('utf8', need(pathLen), o);
      const startLine = b.readUInt32BE(need(4));
      const endLine = b.readUInt32BE(need(4));
      const langLen = b.readUInt8(need(1));
      snippet = { path, startLine, endLine, language: b.toString('utf8', need(langLen), o) };
    }
    const code = flags & OTHER ? b.readUInt8(need(1)) : undefined;
    // Its own memory: a copy from Node's pool would pin 8 KiB, a view the whole segment read.
    const auth = flags & SIGNED ? ownCopy(b.subarray(need(AUTH_BYTES), o)) : undefined;
    const textLen = b.readUInt32BE(need(4));
    const text = b.toString('utf8', need(textLen), o);
    if (o !== b.length || seq === 0 || (snippet && code !== undefined)) return undefined;
    const body: StoredBody = code !== undefined ? { kind: 'other', code, text } : snippet ? { kind: 'snippet', text, ...snippet } : { kind: 'text', text };
    return { seq, time, senderId, legacy: (flags & LEGACY) !== 0, name, msgId, body, ...(auth ? { auth } : {}) };
  } catch {
    return undefined;
  }
}

function ownCopy(b: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(b.length);
  b.copy(out);
  return out;
}
