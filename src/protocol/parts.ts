// The parts that several packets share, each with its encodingLength, write and read (as in
// mafintosh/dns-packet): strings with a length in front, the message head, a roster entry, and the
// headers of the two packets that carry message text. A packet's size is the sum of its parts'
// lengths, so nothing is encoded just to be measured.
import { ProtocolError, Reader, utf8Length, Writer } from './bytes';
import { CLIENT_ID_BYTES, MAX_LANGUAGE_BYTES, MAX_PATH_BYTES, MAX_TEXT_BYTES, MESSAGE_AUTH_BYTES, ROSTER_KEY_BYTES, type MessageHead, type RosterEntry } from './packets';

/** Names are at most 32 characters; in UTF-8 that is at most 128 bytes. */
export const MAX_NAME_BYTES = 128;
export const MAX_DETAIL_BYTES = 255;
/** magic, version, type. */
export const ENVELOPE_BYTES = 3;

const KIND_TEXT = 1;
const KIND_SNIPPET = 2;

/** The UTF-8 length of a string field, refused when over its limit. */
export function fieldLength(s: string, max: number, what: string): number {
  const n = utf8Length(s);
  if (n > max) throw new ProtocolError(`Cannot encode ${what} (${n} bytes, over ${max})`);
  return n;
}

/** A str8 (or str16) field: its length byte(s) and its bytes. */
export const strLength = (s: string, max: number, what: string, wide = false): number => (wide ? 2 : 1) + fieldLength(s, max, what);

/** Cuts at most `max` bytes without splitting a UTF-8 character. */
export function truncateUtf8(b: Buffer, max: number): Buffer {
  if (b.length <= max) return b;
  let end = max;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}

/** What fragment 0 of a message carries before its text: kind, totalBytes, and a snippet's place. */
export const head = {
  encodingLength(h: MessageHead | undefined): number {
    if (!h) return 0;
    if (h.kind === 'other' && (h.code === KIND_TEXT || h.code === KIND_SNIPPET || !(h.code >= 0 && h.code <= 255))) {
      throw new ProtocolError(`Cannot encode message (kind ${h.code} is not a later kind)`);
    }
    if (h.auth && h.auth.length !== MESSAGE_AUTH_BYTES) throw new ProtocolError(`Cannot encode message (a signature block of ${h.auth.length} bytes)`);
    const auth = 1 + (h.auth ? MESSAGE_AUTH_BYTES : 0);
    if (h.kind !== 'snippet') return 5 + auth;
    return 5 + strLength(h.path, MAX_PATH_BYTES, 'path', true) + 8 + strLength(h.language, MAX_LANGUAGE_BYTES, 'language') + auth;
  },
  write(w: Writer, h: MessageHead): void {
    if (h.kind === 'text') w.u8(KIND_TEXT).u32(h.totalBytes);
    else if (h.kind === 'other') w.u8(h.code).u32(h.totalBytes);
    else w.u8(KIND_SNIPPET).u32(h.totalBytes).text(h.path, true).u32(h.startLine).u32(h.endLine).text(h.language);
    if (h.auth) w.u8(AUTH_ED25519).bytes(h.auth);
    else w.u8(AUTH_NONE);
  },
  read(r: Reader): MessageHead {
    const kind = r.u8('kind');
    const totalBytes = r.u32('totalBytes');
    if (totalBytes > MAX_TEXT_BYTES) throw new ProtocolError(`Cannot decode message (text of ${totalBytes} bytes, over ${MAX_TEXT_BYTES})`);
    if (kind === KIND_TEXT) return withAuth(r, { kind: 'text', totalBytes });
    // A later kind: skipped, never refused (its fields, if any, are in its message bytes).
    if (kind !== KIND_SNIPPET) return withAuth(r, { kind: 'other', code: kind, totalBytes });
    const path = r.str('path', MAX_PATH_BYTES, true);
    const startLine = r.u32('startLine');
    const endLine = r.u32('endLine');
    if (startLine < 1 || endLine < startLine) throw new ProtocolError(`Cannot decode message (bad line range ${startLine}-${endLine})`);
    const language = r.str('language', MAX_LANGUAGE_BYTES);
    return withAuth(r, { kind: 'snippet', totalBytes, path, startLine, endLine, language });
  },
};

/** The head's last byte says whether the author's signature block follows (every member's message
 * has one; a seed line the relay sequenced has none). Other values are refused: a later way of
 * signing would be a new value, which this version cannot check. */
const AUTH_NONE = 0;
const AUTH_ED25519 = 1;

function withAuth(r: Reader, h: MessageHead): MessageHead {
  const how = r.u8('signature');
  if (how === AUTH_NONE) return h;
  if (how !== AUTH_ED25519) throw new ProtocolError(`Cannot decode message (signature type ${how})`);
  h.auth = r.bytes(MESSAGE_AUTH_BYTES, 'signature');
  return h;
}

/** One member in a Roster page: memberId, clientId, presence, name. */
export const rosterEntry = {
  encodingLength: (e: Pick<RosterEntry, 'name'>): number => 4 + CLIENT_ID_BYTES + 1 + strLength(e.name, MAX_NAME_BYTES, 'name') + ROSTER_KEY_BYTES,
  write(w: Writer, e: RosterEntry): void {
    if (e.key.length !== ROSTER_KEY_BYTES) throw new ProtocolError(`Cannot encode Roster (a key of ${e.key.length} bytes)`);
    w.u32(e.memberId).bytes(e.clientId).u8(e.presence).text(e.name).bytes(e.key);
  },
  read: (r: Reader): RosterEntry => ({
    memberId: r.u32('memberId'), clientId: r.bytes(CLIENT_ID_BYTES, 'clientId'), presence: r.u8('presence'), name: r.str('name', MAX_NAME_BYTES), key: r.bytes(ROSTER_KEY_BYTES, 'key'),
  }),
};

/** A Roster page without entries: envelope, version, page, pageCount, count. */
export const ROSTER_HEADER_BYTES = ENVELOPE_BYTES + 4 + 2 + 2 + 2;

/** Data before its chunk: envelope, clientId, msgId, fragIndex, fragCount, head. */
export const dataHeaderLength = (h: MessageHead | undefined): number => ENVELOPE_BYTES + CLIENT_ID_BYTES + 4 + 2 + 2 + head.encodingLength(h);

/** Msg before its chunk: envelope, seq, time, senderId, senderFlags, name, msgId, fragIndex, fragCount, head. */
export const msgHeaderLength = (nameBytes: number, h: MessageHead | undefined): number =>
  ENVELOPE_BYTES + 4 + 8 + CLIENT_ID_BYTES + 1 + 1 + nameBytes + 4 + 2 + 2 + head.encodingLength(h);
