// encode / decode / encodingLength for every WhatsUDP packet: pure functions over bytes.
import { ProtocolError, Reader, Writer } from './bytes';
import {
  CLIENT_ID_BYTES,
  COOKIE_BYTES,
  MAGIC,
  MAX_DATAGRAM,
  MAX_LANGUAGE_BYTES,
  MAX_PATH_BYTES,
  MAX_TEXT_BYTES,
  VERSION,
  PacketType,
  type MessageHead,
  type Packet,
  type RosterEntry,
} from './packets';

export { ProtocolError } from './bytes';

/** Names are at most 32 characters; in UTF-8 that is at most 128 bytes. */
export const MAX_NAME_BYTES = 128;
const MAX_DETAIL_BYTES = 255;
/** Enough fragments for MAX_TEXT_BYTES even with the largest headers. */
export const MAX_FRAGMENTS = 128;

const KIND_TEXT = 1;
const KIND_SNIPPET = 2;

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

function headLength(head: MessageHead | undefined, path?: Buffer, lang?: Buffer): number {
  if (!head) return 0;
  return head.kind === 'text' ? 5 : 5 + 2 + path!.length + 8 + 1 + lang!.length;
}

function writeHead(w: Writer, head: MessageHead, path?: Buffer, lang?: Buffer): void {
  if (head.kind === 'text') {
    w.u8(KIND_TEXT).u32(head.totalBytes);
  } else {
    w.u8(KIND_SNIPPET).u32(head.totalBytes).str(path!, true).u32(head.startLine).u32(head.endLine).str(lang!);
  }
}

function readHead(r: Reader): MessageHead {
  const kind = r.u8('kind');
  const totalBytes = r.u32('totalBytes');
  if (totalBytes > MAX_TEXT_BYTES) throw new ProtocolError(`Cannot decode message (text of ${totalBytes} bytes, over ${MAX_TEXT_BYTES})`);
  if (kind === KIND_TEXT) return { kind: 'text', totalBytes };
  if (kind !== KIND_SNIPPET) throw new ProtocolError(`Cannot decode message (unknown kind ${kind})`);
  const path = r.str('path', MAX_PATH_BYTES, true);
  const startLine = r.u32('startLine');
  const endLine = r.u32('endLine');
  if (startLine < 1 || endLine < startLine) throw new ProtocolError(`Cannot decode message (bad line range ${startLine}-${endLine})`);
  const language = r.str('language', MAX_LANGUAGE_BYTES);
  return { kind: 'snippet', totalBytes, path, startLine, endLine, language };
}

function checkFragments(index: number, count: number, what: string): void {
  if (count === 0 || count > MAX_FRAGMENTS || index >= count) {
    throw new ProtocolError(`Cannot decode ${what} (fragment ${index} of ${count})`);
  }
}

function checkLength(b: Buffer, max: number, what: string): Buffer {
  if (b.length > max) throw new ProtocolError(`Cannot encode ${what} (${b.length} bytes, over ${max})`);
  return b;
}

/** Encodes a packet. Throws ProtocolError when a field is out of range; never yields a datagram over MAX_DATAGRAM. */
export function encode(p: Packet): Buffer {
  const out = encodeUnchecked(p);
  if (out.length > MAX_DATAGRAM) throw new ProtocolError(`Cannot encode packet type ${p.type} (${out.length} bytes, over ${MAX_DATAGRAM})`);
  return out;
}

function encodeUnchecked(p: Packet): Buffer {
  const start = (size: number) => new Writer(3 + size).u8(MAGIC).u8(VERSION).u8(p.type);
  switch (p.type) {
    case PacketType.Hello: {
      const name = checkLength(enc(p.name), MAX_NAME_BYTES, 'name');
      return start(CLIENT_ID_BYTES + 1 + name.length + 1 + 8 + 4 + 4 + 1 + p.cookie.length)
        .bytes(p.clientId).str(name).u8(p.flags).u64(p.roomId).u32(p.lastSeq).u32(p.firstUnacked).str(p.cookie).done();
    }
    case PacketType.Retry:
      return start(1 + p.cookie.length).str(p.cookie).done();
    case PacketType.Welcome:
      return start(8 + 4 * 7).u64(p.roomId).u32(p.epoch).u32(p.headSeq).u32(p.fromSeq).u32(p.lostCount)
        .u32(p.memberId).u32(p.rosterVersion).u32(p.heartbeatMs).done();
    case PacketType.Data: {
      const [path, lang] = headStrings(p.head);
      return start(CLIENT_ID_BYTES + 8 + headLength(p.head, path, lang) + p.chunk.length)
        .bytes(p.clientId).u32(p.msgId).u16(p.fragIndex).u16(p.fragCount)
        .also((w) => p.head && writeHead(w, p.head, path, lang)).bytes(p.chunk).done();
    }
    case PacketType.Ack:
      return start(14).u32(p.msgId).u16(p.fragIndex).u32(p.seq).u32(p.epoch).done();
    case PacketType.Msg: {
      const name = checkLength(enc(p.name), MAX_NAME_BYTES, 'name');
      const [path, lang] = headStrings(p.head);
      return start(4 + 8 + CLIENT_ID_BYTES + 1 + 1 + name.length + 8 + headLength(p.head, path, lang) + p.chunk.length)
        .u32(p.seq).f64(p.time).bytes(p.senderId).u8(p.senderFlags).str(name).u32(p.msgId).u16(p.fragIndex).u16(p.fragCount)
        .also((w) => p.head && writeHead(w, p.head, path, lang)).bytes(p.chunk).done();
    }
    case PacketType.Resend:
    case PacketType.Gone:
      return start(8).u32(p.fromSeq).u32(p.toSeq).done();
    case PacketType.Ping:
      return start(4).u32(p.nonce).done();
    case PacketType.Pong:
      return start(20).u32(p.nonce).u32(p.epoch).u32(p.headSeq).u32(p.rosterVersion).u32(p.heartbeatMs).done();
    case PacketType.RosterRequest:
      return start(4).u32(p.version).done();
    case PacketType.Roster: {
      const names = p.entries.map((e) => checkLength(enc(e.name), MAX_NAME_BYTES, 'name'));
      const size = 4 + 2 + 2 + 2 + names.reduce((n, b) => n + 4 + CLIENT_ID_BYTES + 1 + 1 + b.length, 0);
      const w = start(size).u32(p.version).u16(p.page).u16(p.pageCount).u16(p.entries.length);
      p.entries.forEach((e, i) => w.u32(e.memberId).bytes(e.clientId).u8(e.presence).str(names[i]));
      return w.done();
    }
    case PacketType.Leave:
      return start(CLIENT_ID_BYTES).bytes(p.clientId).done();
    case PacketType.NotJoined:
      return start(4).u32(p.epoch).done();
    case PacketType.Refused: {
      const detail = truncateUtf8(enc(p.detail), MAX_DETAIL_BYTES);
      return start(1 + 4 + 1 + detail.length).u8(p.reason).u32(p.msgId).str(detail).done();
    }
    case PacketType.SlowDown:
      return start(4).u32(p.retryAfterMs).done();
    default: {
      const _exhaustive: never = p;
      throw new ProtocolError(`Cannot encode unknown packet ${(_exhaustive as Packet).type}`);
    }
  }
}

function headStrings(head: MessageHead | undefined): [Buffer?, Buffer?] {
  if (head?.kind !== 'snippet') return [];
  return [checkLength(enc(head.path), MAX_PATH_BYTES, 'path'), checkLength(enc(head.language), MAX_LANGUAGE_BYTES, 'language')];
}

/** Cuts at most `max` bytes without splitting a UTF-8 character. */
export function truncateUtf8(b: Buffer, max: number): Buffer {
  if (b.length <= max) return b;
  let end = max;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}

/** Bytes a Data or Msg packet takes besides its chunk, computed without encoding anything (the relay
 * asks once per message it fans out). */
export function fragmentOverhead(type: PacketType.Data | PacketType.Msg, head: MessageHead | undefined, nameBytes = 0): number {
  const fixed = type === PacketType.Data ? 3 + CLIENT_ID_BYTES + 8 : 3 + 4 + 8 + CLIENT_ID_BYTES + 1 + 1 + nameBytes + 8;
  const [path, lang] = headStrings(head);
  return fixed + headLength(head, path, lang);
}

/** The size of a packet once encoded. */
export function encodingLength(p: Packet): number {
  return encodeUnchecked(p).length;
}

/** Whether a datagram is ours at all (else it may be a seed client's plain text). */
export function isEnvelope(buf: Buffer): boolean {
  return buf.length > 0 && buf[0] === MAGIC;
}

/** Decodes one datagram. Throws ProtocolError saying what is wrong with it. */
export function decode(buf: Buffer): Packet {
  if (buf.length === 0) throw new ProtocolError('Cannot decode packet (empty datagram)');
  if (buf[0] !== MAGIC) throw new ProtocolError(`Cannot decode packet (first byte 0x${buf[0].toString(16)} is not 0xf9)`);
  if (buf.length < 3) throw new ProtocolError('Cannot decode packet (truncated in header)');
  if (buf[1] !== VERSION) throw new ProtocolError(`Cannot decode packet (unsupported version ${buf[1]})`);
  if (buf.length > MAX_DATAGRAM) throw new ProtocolError(`Cannot decode packet (${buf.length} bytes, over ${MAX_DATAGRAM})`);
  const type = buf[2] as PacketType;
  const name = PacketType[type];
  if (name === undefined) throw new ProtocolError(`Cannot decode packet (unknown type ${type})`);
  const r = new Reader(buf, name, 3);
  const p = decodeBody(type, r);
  if (type !== PacketType.Data && type !== PacketType.Msg) r.end();
  return p;
}

function decodeBody(type: PacketType, r: Reader): Packet {
  switch (type) {
    case PacketType.Hello: {
      const clientId = r.bytes(CLIENT_ID_BYTES, 'clientId');
      const name = r.str('name', MAX_NAME_BYTES);
      const flags = r.u8('flags');
      const roomId = r.u64('roomId');
      const lastSeq = r.u32('lastSeq');
      const firstUnacked = r.u32('firstUnacked');
      const n = r.u8('cookie');
      if (n !== 0 && n !== COOKIE_BYTES) throw new ProtocolError(`Cannot decode Hello (cookie of ${n} bytes)`);
      return { type, clientId, name, flags, roomId, lastSeq, firstUnacked, cookie: r.bytes(n, 'cookie') };
    }
    case PacketType.Retry: {
      const n = r.u8('cookie');
      if (n !== COOKIE_BYTES) throw new ProtocolError(`Cannot decode Retry (cookie of ${n} bytes)`);
      return { type, cookie: r.bytes(n, 'cookie') };
    }
    case PacketType.Welcome:
      return {
        type, roomId: r.u64('roomId'), epoch: r.u32('epoch'), headSeq: r.u32('headSeq'), fromSeq: r.u32('fromSeq'),
        lostCount: r.u32('lostCount'), memberId: r.u32('memberId'), rosterVersion: r.u32('rosterVersion'), heartbeatMs: r.u32('heartbeatMs'),
      };
    case PacketType.Data: {
      const clientId = r.bytes(CLIENT_ID_BYTES, 'clientId');
      const msgId = r.u32('msgId');
      const fragIndex = r.u16('fragIndex');
      const fragCount = r.u16('fragCount');
      checkFragments(fragIndex, fragCount, 'Data');
      const head = fragIndex === 0 ? readHead(r) : undefined;
      return { type, clientId, msgId, fragIndex, fragCount, ...(head && { head }), chunk: r.rest() };
    }
    case PacketType.Ack:
      return { type, msgId: r.u32('msgId'), fragIndex: r.u16('fragIndex'), seq: r.u32('seq'), epoch: r.u32('epoch') };
    case PacketType.Msg: {
      const seq = r.u32('seq');
      if (seq === 0) throw new ProtocolError('Cannot decode Msg (seq 0)');
      const time = r.f64('time');
      const senderId = r.bytes(CLIENT_ID_BYTES, 'senderId');
      const senderFlags = r.u8('senderFlags');
      const name = r.str('name', MAX_NAME_BYTES);
      const msgId = r.u32('msgId');
      const fragIndex = r.u16('fragIndex');
      const fragCount = r.u16('fragCount');
      checkFragments(fragIndex, fragCount, 'Msg');
      const head = fragIndex === 0 ? readHead(r) : undefined;
      return { type, seq, time, senderId, senderFlags, name, msgId, fragIndex, fragCount, ...(head && { head }), chunk: r.rest() };
    }
    case PacketType.Resend:
    case PacketType.Gone: {
      const fromSeq = r.u32('fromSeq');
      const toSeq = r.u32('toSeq');
      if (fromSeq === 0 || toSeq < fromSeq) throw new ProtocolError(`Cannot decode ${PacketType[type]} (bad range ${fromSeq}-${toSeq})`);
      return { type, fromSeq, toSeq };
    }
    case PacketType.Ping:
      return { type, nonce: r.u32('nonce') };
    case PacketType.Pong:
      return { type, nonce: r.u32('nonce'), epoch: r.u32('epoch'), headSeq: r.u32('headSeq'), rosterVersion: r.u32('rosterVersion'), heartbeatMs: r.u32('heartbeatMs') };
    case PacketType.RosterRequest:
      return { type, version: r.u32('version') };
    case PacketType.Roster: {
      const version = r.u32('version');
      const page = r.u16('page');
      const pageCount = r.u16('pageCount');
      if (pageCount === 0 || page >= pageCount) throw new ProtocolError(`Cannot decode Roster (page ${page} of ${pageCount})`);
      const count = r.u16('count');
      const entries: RosterEntry[] = [];
      for (let i = 0; i < count; i++) {
        entries.push({ memberId: r.u32('memberId'), clientId: r.bytes(CLIENT_ID_BYTES, 'clientId'), presence: r.u8('presence'), name: r.str('name', MAX_NAME_BYTES) });
      }
      return { type, version, page, pageCount, entries };
    }
    case PacketType.Leave:
      return { type, clientId: r.bytes(CLIENT_ID_BYTES, 'clientId') };
    case PacketType.NotJoined:
      return { type, epoch: r.u32('epoch') };
    case PacketType.Refused:
      return { type, reason: r.u8('reason'), msgId: r.u32('msgId'), detail: r.str('detail', MAX_DETAIL_BYTES) };
    case PacketType.SlowDown:
      return { type, retryAfterMs: r.u32('retryAfterMs') };
    default: {
      const _exhaustive: never = type;
      throw new ProtocolError(`Cannot decode packet (unknown type ${_exhaustive as number})`);
    }
  }
}
