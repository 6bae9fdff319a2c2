// encode / decode / encodingLength for every WhatsUDP packet: pure functions over bytes. Each packet
// type's body has one entry below with its three parts (as in mafintosh/dns-packet); shared parts
// are in parts.ts. encode sizes the packet by summing its parts' lengths, allocates once and writes.
import { ProtocolError, Reader, Writer } from './bytes';
import { dataHeaderLength, ENVELOPE_BYTES, fieldLength, head, MAX_DETAIL_BYTES, MAX_NAME_BYTES, msgHeaderLength, ROSTER_HEADER_BYTES, rosterEntry, strLength, truncateUtf8 } from './parts';
import { CLIENT_ID_BYTES, COOKIE_BYTES, DEVICE_KEY_BYTES, DH_CERTIFICATE_BYTES, MAGIC, MAX_DATAGRAM, VERSION, PacketType, type MessageHead, type Packet, type RosterEntry } from './packets';
import { FILE_BODIES } from './file-codec';
import { RELAYS_BODY } from './relays-codec';
import { MAX_ROOM_NAME_BYTES, roomEntry, type RoomEntry } from './rooms';

export { ProtocolError } from './bytes';
export { MAX_NAME_BYTES, truncateUtf8 } from './parts';

/** Enough fragments for MAX_TEXT_BYTES even with the largest headers. */
export const MAX_FRAGMENTS = 128;

type PacketOf<T extends PacketType> = Extract<Packet, { type: T }>;

/** One packet type's body (everything after the envelope): its size, how to write it, how to read it. */
interface Body<P extends Packet> {
  length(p: P): number;
  write(w: Writer, p: P): void;
  read(r: Reader): P;
}

const fixed = <P extends Packet>(length: number, write: (w: Writer, p: P) => void, read: (r: Reader) => P): Body<P> => ({ length: () => length, write, read });

function checkFragments(index: number, count: number, what: string): void {
  if (count === 0 || count > MAX_FRAGMENTS || index >= count) throw new ProtocolError(`Cannot decode ${what} (fragment ${index} of ${count})`);
}

function readRange(r: Reader, type: PacketType.Resend | PacketType.Gone): PacketOf<PacketType.Resend | PacketType.Gone> {
  const fromSeq = r.u32('fromSeq');
  const toSeq = r.u32('toSeq');
  if (fromSeq === 0 || toSeq < fromSeq) throw new ProtocolError(`Cannot decode ${PacketType[type]} (bad range ${fromSeq}-${toSeq})`);
  return { type, fromSeq, toSeq };
}

const refusedDetail = (detail: string): Buffer => truncateUtf8(Buffer.from(detail, 'utf8'), MAX_DETAIL_BYTES);

// The mapped type makes this table exhaustive: a new PacketType does not compile without its body.
const BODIES: { [T in PacketType]: Body<PacketOf<T>> } = {
  [PacketType.Hello]: {
    length: (p) => CLIENT_ID_BYTES + strLength(p.name, MAX_NAME_BYTES, 'name') + 1 + 8 + 4 + 4 + 1 + p.cookie.length,
    write: (w, p) => w.bytes(p.clientId).text(p.name).u8(p.flags).u64(p.roomId).u32(p.lastSeq).u32(p.firstUnacked).str(p.cookie),
    read(r) {
      const type = PacketType.Hello;
      const clientId = r.bytes(CLIENT_ID_BYTES, 'clientId');
      const name = r.str('name', MAX_NAME_BYTES);
      const flags = r.u8('flags');
      const roomId = r.u64('roomId');
      const lastSeq = r.u32('lastSeq');
      const firstUnacked = r.u32('firstUnacked');
      const n = r.u8('cookie');
      if (n !== 0 && n !== COOKIE_BYTES) throw new ProtocolError(`Cannot decode Hello (cookie of ${n} bytes)`);
      return { type, clientId, name, flags, roomId, lastSeq, firstUnacked, cookie: r.bytes(n, 'cookie') };
    },
  },
  [PacketType.Retry]: {
    length: (p) => 1 + p.cookie.length,
    write: (w, p) => w.str(p.cookie),
    read(r) {
      const n = r.u8('cookie');
      if (n !== COOKIE_BYTES) throw new ProtocolError(`Cannot decode Retry (cookie of ${n} bytes)`);
      return { type: PacketType.Retry, cookie: r.bytes(n, 'cookie') };
    },
  },
  [PacketType.Welcome]: fixed(
    8 + 4 * 7,
    (w, p) => w.u64(p.roomId).u32(p.epoch).u32(p.headSeq).u32(p.fromSeq).u32(p.lostCount).u32(p.memberId).u32(p.rosterVersion).u32(p.heartbeatMs),
    (r) => ({
      type: PacketType.Welcome, roomId: r.u64('roomId'), epoch: r.u32('epoch'), headSeq: r.u32('headSeq'), fromSeq: r.u32('fromSeq'),
      lostCount: r.u32('lostCount'), memberId: r.u32('memberId'), rosterVersion: r.u32('rosterVersion'), heartbeatMs: r.u32('heartbeatMs'),
    }),
  ),
  [PacketType.Data]: {
    length: (p) => dataHeaderLength(p.head) - ENVELOPE_BYTES + p.chunk.length,
    write(w, p) {
      w.bytes(p.clientId).u32(p.msgId).u16(p.fragIndex).u16(p.fragCount);
      if (p.head) head.write(w, p.head);
      w.bytes(p.chunk);
    },
    read(r) {
      const type = PacketType.Data;
      const clientId = r.bytes(CLIENT_ID_BYTES, 'clientId');
      const msgId = r.u32('msgId');
      const fragIndex = r.u16('fragIndex');
      const fragCount = r.u16('fragCount');
      checkFragments(fragIndex, fragCount, 'Data');
      // Two literal shapes rather than a spread: this runs for every message the relay takes in.
      if (fragIndex !== 0) return { type, clientId, msgId, fragIndex, fragCount, chunk: r.rest() };
      const h: MessageHead = head.read(r);
      return { type, clientId, msgId, fragIndex, fragCount, head: h, chunk: r.rest() };
    },
  },
  [PacketType.Ack]: fixed(
    14,
    (w, p) => w.u32(p.msgId).u16(p.fragIndex).u32(p.seq).u32(p.epoch),
    (r) => ({ type: PacketType.Ack, msgId: r.u32('msgId'), fragIndex: r.u16('fragIndex'), seq: r.u32('seq'), epoch: r.u32('epoch') }),
  ),
  [PacketType.Msg]: {
    length: (p) => msgHeaderLength(fieldLength(p.name, MAX_NAME_BYTES, 'name'), p.head) - ENVELOPE_BYTES + p.chunk.length,
    write(w, p) {
      w.u32(p.seq).f64(p.time).bytes(p.senderId).u8(p.senderFlags).text(p.name).u32(p.msgId).u16(p.fragIndex).u16(p.fragCount);
      if (p.head) head.write(w, p.head);
      w.bytes(p.chunk);
    },
    read(r) {
      const type = PacketType.Msg;
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
      if (fragIndex !== 0) return { type, seq, time, senderId, senderFlags, name, msgId, fragIndex, fragCount, chunk: r.rest() };
      let h: MessageHead;
      try {
        h = head.read(r);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        return { type, seq, time, senderId, senderFlags, name, msgId, fragIndex, fragCount, chunk: r.rest(), undecodable: err.message };
      }
      return { type, seq, time, senderId, senderFlags, name, msgId, fragIndex, fragCount, head: h, chunk: r.rest() };
    },
  },
  [PacketType.Resend]: fixed(8, (w, p) => w.u32(p.fromSeq).u32(p.toSeq), (r) => readRange(r, PacketType.Resend) as PacketOf<PacketType.Resend>),
  [PacketType.Gone]: fixed(8, (w, p) => w.u32(p.fromSeq).u32(p.toSeq), (r) => readRange(r, PacketType.Gone) as PacketOf<PacketType.Gone>),
  [PacketType.Ping]: fixed(4, (w, p) => w.u32(p.nonce), (r) => ({ type: PacketType.Ping, nonce: r.u32('nonce') })),
  [PacketType.Pong]: fixed(
    20,
    (w, p) => w.u32(p.nonce).u32(p.epoch).u32(p.headSeq).u32(p.rosterVersion).u32(p.heartbeatMs),
    (r) => ({ type: PacketType.Pong, nonce: r.u32('nonce'), epoch: r.u32('epoch'), headSeq: r.u32('headSeq'), rosterVersion: r.u32('rosterVersion'), heartbeatMs: r.u32('heartbeatMs') }),
  ),
  [PacketType.RosterRequest]: fixed(4, (w, p) => w.u32(p.version), (r) => ({ type: PacketType.RosterRequest, version: r.u32('version') })),
  [PacketType.Roster]: {
    length: (p) => ROSTER_HEADER_BYTES - ENVELOPE_BYTES + p.entries.reduce((n, e) => n + rosterEntry.encodingLength(e), 0),
    write(w, p) {
      w.u32(p.version).u16(p.page).u16(p.pageCount).u16(p.entries.length);
      for (const e of p.entries) rosterEntry.write(w, e);
    },
    read(r) {
      const version = r.u32('version');
      const page = r.u16('page');
      const pageCount = r.u16('pageCount');
      if (pageCount === 0 || page >= pageCount) throw new ProtocolError(`Cannot decode Roster (page ${page} of ${pageCount})`);
      const count = r.u16('count');
      const entries: RosterEntry[] = [];
      for (let i = 0; i < count; i++) entries.push(rosterEntry.read(r));
      return { type: PacketType.Roster, version, page, pageCount, entries };
    },
  },
  [PacketType.Leave]: fixed(CLIENT_ID_BYTES, (w, p) => w.bytes(p.clientId), (r) => ({ type: PacketType.Leave, clientId: r.bytes(CLIENT_ID_BYTES, 'clientId') })),
  [PacketType.NotJoined]: fixed(4, (w, p) => w.u32(p.epoch), (r) => ({ type: PacketType.NotJoined, epoch: r.u32('epoch') })),
  [PacketType.Refused]: {
    // A detail over its limit is cut (on a character boundary), not refused: it is prose for a person.
    length: (p) => 1 + 4 + 1 + refusedDetail(p.detail).length,
    write: (w, p) => w.u8(p.reason).u32(p.msgId).str(refusedDetail(p.detail)),
    read: (r) => ({ type: PacketType.Refused, reason: r.u8('reason'), msgId: r.u32('msgId'), detail: r.str('detail', MAX_DETAIL_BYTES) }),
  },
  [PacketType.SlowDown]: fixed(4, (w, p) => w.u32(p.retryAfterMs), (r) => ({ type: PacketType.SlowDown, retryAfterMs: r.u32('retryAfterMs') })),
  [PacketType.Typing]: fixed(CLIENT_ID_BYTES, (w, p) => w.bytes(p.clientId), (r) => ({ type: PacketType.Typing, clientId: r.bytes(CLIENT_ID_BYTES, 'clientId') })),
  [PacketType.SeenCount]: fixed(8, (w, p) => w.u32(p.seq).u32(p.count), (r) => ({ type: PacketType.SeenCount, seq: r.u32('seq'), count: r.u32('count') })),
  [PacketType.Seen]: fixed(
    CLIENT_ID_BYTES + 4,
    (w, p) => w.bytes(p.clientId).u32(p.seq),
    (r) => ({ type: PacketType.Seen, clientId: r.bytes(CLIENT_ID_BYTES, 'clientId'), seq: r.u32('seq') }),
  ),
  [PacketType.RoomsRequest]: fixed(0, () => undefined, () => ({ type: PacketType.RoomsRequest })),
  [PacketType.Rooms]: {
    length: (p) => 2 + 2 + p.entries.reduce((n, e) => n + roomEntry.encodingLength(e), 0),
    write(w, p) {
      w.u8(p.page).u8(p.pageCount).u16(p.entries.length);
      for (const e of p.entries) roomEntry.write(w, e);
    },
    read(r) {
      const page = r.u8('page');
      const pageCount = r.u8('pageCount');
      if (pageCount === 0 || page >= pageCount) throw new ProtocolError(`Cannot decode Rooms (page ${page} of ${pageCount})`);
      const count = r.u16('count');
      const entries: RoomEntry[] = [];
      for (let i = 0; i < count; i++) entries.push(roomEntry.read(r));
      return { type: PacketType.Rooms, page, pageCount, entries };
    },
  },
  [PacketType.DmOpened]: {
    length: (p) => strLength(p.room, MAX_ROOM_NAME_BYTES, 'room') + DEVICE_KEY_BYTES + strLength(p.byName, MAX_NAME_BYTES, 'byName'),
    write: (w, p) => w.text(p.room).bytes(checkKey(p.byKey)).text(p.byName),
    read: (r) => ({ type: PacketType.DmOpened, room: r.str('room', MAX_ROOM_NAME_BYTES), byKey: r.bytes(DEVICE_KEY_BYTES, 'byKey'), byName: r.str('byName', MAX_NAME_BYTES) }),
  },
  [PacketType.KeyRequest]: fixed(DEVICE_KEY_BYTES, (w, p) => w.bytes(checkKey(p.deviceKey)), (r) => ({ type: PacketType.KeyRequest, deviceKey: r.bytes(DEVICE_KEY_BYTES, 'deviceKey') })),
  [PacketType.Key]: {
    length: (p) => DEVICE_KEY_BYTES + 1 + (p.found ? DEVICE_KEY_BYTES + DH_CERTIFICATE_BYTES : 0),
    write(w, p) {
      w.bytes(checkKey(p.deviceKey)).u8(p.found ? 1 : 0);
      if (!p.found) return;
      if (p.found.x25519.length !== DEVICE_KEY_BYTES || p.found.certificate.length !== DH_CERTIFICATE_BYTES) throw new ProtocolError('Cannot encode Key (an X25519 key is 32 bytes, its certificate 64)');
      w.bytes(p.found.x25519).bytes(p.found.certificate);
    },
    read(r) {
      const deviceKey = r.bytes(DEVICE_KEY_BYTES, 'deviceKey');
      const found = r.u8('found');
      if (found > 1) throw new ProtocolError(`Cannot decode Key (found ${found})`);
      if (found === 0) return { type: PacketType.Key, deviceKey };
      return { type: PacketType.Key, deviceKey, found: { x25519: r.bytes(DEVICE_KEY_BYTES, 'x25519'), certificate: r.bytes(DH_CERTIFICATE_BYTES, 'certificate') } };
    },
  },
  ...FILE_BODIES,
  [PacketType.Relays]: RELAYS_BODY,
};

function checkKey(key: Buffer): Buffer {
  if (key.length !== DEVICE_KEY_BYTES) throw new ProtocolError(`Cannot encode a device key of ${key.length} bytes (32)`);
  return key;
}

function codecFor<P extends Packet>(p: P): Body<P> {
  const body = BODIES[p.type] as Body<P> | undefined;
  if (!body) throw new ProtocolError(`Cannot encode unknown packet ${p.type}`);
  return body;
}

/** The size of a packet once encoded, summed from its parts. Throws ProtocolError for a field over its limit. */
export function encodingLength(p: Packet): number {
  return ENVELOPE_BYTES + codecFor(p).length(p);
}

/** Encodes a packet. Throws ProtocolError when a field is out of range; never yields a datagram over MAX_DATAGRAM. */
export function encode(p: Packet): Buffer {
  const body = codecFor(p);
  const size = ENVELOPE_BYTES + body.length(p);
  if (size > MAX_DATAGRAM) throw new ProtocolError(`Cannot encode packet type ${p.type} (${size} bytes, over ${MAX_DATAGRAM})`);
  const w = new Writer(size).u8(MAGIC).u8(VERSION).u8(p.type);
  body.write(w, p);
  return w.done();
}

/** Bytes a Data or Msg packet takes besides its chunk, from the same parts encode uses. */
export function fragmentOverhead(type: PacketType.Data | PacketType.Msg, h: MessageHead | undefined, nameBytes = 0): number {
  return type === PacketType.Data ? dataHeaderLength(h) : msgHeaderLength(nameBytes, h);
}

/** Whether a datagram is ours at all (else it may be a seed client's plain text). */
export function isEnvelope(buf: Buffer): boolean {
  return buf.length > 0 && buf[0] === MAGIC;
}

/** Decodes one datagram. Throws ProtocolError saying what is wrong with it. */
export function decode(buf: Buffer): Packet {
  if (buf.length === 0) throw new ProtocolError('Cannot decode packet (empty datagram)');
  if (buf[0] !== MAGIC) throw new ProtocolError(`Cannot decode packet (first byte 0x${buf[0].toString(16)} is not 0xf9)`);
  if (buf.length < ENVELOPE_BYTES) throw new ProtocolError('Cannot decode packet (truncated in header)');
  if (buf[1] !== VERSION) throw new ProtocolError(`Cannot decode packet (unsupported version ${buf[1]})`);
  if (buf.length > MAX_DATAGRAM) throw new ProtocolError(`Cannot decode packet (${buf.length} bytes, over ${MAX_DATAGRAM})`);
  const type = buf[2] as PacketType;
  const body = BODIES[type] as Body<Packet> | undefined;
  if (!body) throw new ProtocolError(`Cannot decode packet (unknown type ${type})`);
  const r = new Reader(buf, PacketType[type], ENVELOPE_BYTES);
  const p = body.read(r);
  if (type !== PacketType.Data && type !== PacketType.Msg && type !== PacketType.FileChunk) r.end();
  return p;
}
