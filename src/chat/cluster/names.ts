// What the cluster calls things in NATS, and the few small values it writes there, as pure functions:
// a room's stream and subjects, its two KV buckets, the de-duplication id, an author's high-water mark.
// Nothing here touches a connection, so every rule is unit-tested on its own.

/** A room's name in the cluster: it becomes part of NATS stream, subject and bucket names. */
export const ROOM_NAME = /^[A-Za-z0-9_-]{1,32}$/;
/** An author token (the relay uses the member's clientId in hex): one NATS subject token. */
export const AUTHOR = /^[A-Za-z0-9_-]{1,64}$/;
/** A roomId as the protocol writes it: a u64 in 16 lower-case hex digits. */
export const ROOM_ID = /^[0-9a-f]{16}$/;

/** The header that carries the author's msgId beside the opaque record bytes. */
export const MSG_ID_HEADER = 'Wudp-Msg-Id';

export function checkRoom(room: string): string {
  if (!ROOM_NAME.test(room)) throw new RangeError(`A cluster room name is 1-32 letters, digits, '-' or '_', not ${JSON.stringify(room)}.`);
  return room;
}

export function checkAuthor(author: string): string {
  if (!AUTHOR.test(author)) throw new RangeError(`An author is 1-64 letters, digits, '-' or '_', not ${JSON.stringify(author)}.`);
  return author;
}

export function checkMsgId(msgId: number): number {
  if (!Number.isInteger(msgId) || msgId < 1 || msgId > 0xffffffff) throw new RangeError(`A msgId is a u32 from 1, not ${msgId}.`);
  return msgId;
}

export const streamName = (room: string): string => `WUDP_${checkRoom(room)}`;
export const roomSubjects = (room: string): string => `wudp.${checkRoom(room)}.msg.*`;
export const authorSubject = (room: string, author: string): string => `wudp.${checkRoom(room)}.msg.${checkAuthor(author)}`;
/** Per-author high-water marks: kept outside the stream, because the ring forgets an author who wrote long ago. */
export const marksBucket = (room: string): string => `WUDP_${checkRoom(room)}_marks`;
export const presenceBucket = (room: string): string => `WUDP_${checkRoom(room)}_presence`;

/** The author a stored message's subject names, or undefined for a subject that is not the room's. */
export function authorOfSubject(room: string, subject: string): string | undefined {
  const prefix = `wudp.${room}.msg.`;
  if (!subject.startsWith(prefix)) return undefined;
  const author = subject.slice(prefix.length);
  return AUTHOR.test(author) ? author : undefined;
}

/** JetStream's Nats-Msg-Id: the same (author, msgId) from any relay is one id in the duplicate window. */
export const dedupeId = (author: string, msgId: number): string => `${author}:${msgId}`;

/** The stream's description carries the roomId, so every relay that opens the room gives members one roomId. */
export const describeRoom = (roomId: string): string => `WhatsUDP room ${roomId}`;

export function roomIdOf(description: string | undefined): string | undefined {
  const m = /^WhatsUDP room ([0-9a-f]{16})$/.exec(description ?? '');
  return m?.[1];
}

/** An author's last sequenced message, as far as the room knows it. */
export interface Mark {
  roomId: string;
  msgId: number;
  seq: number;
}

export const encodeMark = (m: Mark): string => `${m.roomId} ${m.msgId} ${m.seq}`;

/** A mark written by a relay of this room; undefined for anything else (another room's, or garbage). */
export function decodeMark(text: string, roomId: string): Mark | undefined {
  const m = /^([0-9a-f]{16}) ([1-9][0-9]{0,9}) ([1-9][0-9]{0,15})$/.exec(text);
  if (!m || m[1] !== roomId) return undefined;
  const msgId = Number(m[2]);
  const seq = Number(m[3]);
  return msgId <= 0xffffffff && Number.isSafeInteger(seq) ? { roomId, msgId, seq } : undefined;
}

/** The later of two marks (the stream's last record and the bucket's mark can disagree for a moment). */
export function laterMark(a: Mark | undefined, b: Mark | undefined): Mark | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.msgId > a.msgId ? b : a;
}
