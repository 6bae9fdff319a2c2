// Signatures on messages: the author's device key signs one canonical encoding of everything a reader
// sees, so that every member (and a late joiner reading the backfill) can check who wrote it, whatever
// the relay did. The relay's own fields (seq, time, name) are not signed: it assigns them.
//
// The encoding is a label, then fields as tag (u8) | length (u32) | value in ascending tag order, an
// absent field left out. A later field gets a new tag, so old signatures stay valid and no two
// different messages share an encoding.
import type { MessageBody } from '../common/message';
import type { MessageHead } from './packets';
import { wireOf } from './kinds';
import { CryptoError, type Bytes, type SigningKey, type VerifyKey } from './crypto';

const LABEL = 'whatsudp v2 message';
export const AUTHOR_ID_BYTES = 8;

const enum Tag {
  RoomId = 1,
  Author = 2,
  MsgId = 3,
  Kind = 4,
  Text = 5,
  Path = 6,
  StartLine = 7,
  EndLine = 8,
  Language = 9,
}
/** Tags from here up are for fields added later (e.g. a reply-to or an edit). */
export const FIRST_EXTRA_TAG = 16;

export interface SignedMessage {
  /** The room's u64 id (Welcome's roomId): a signature from one room is no good in another. */
  roomId: bigint;
  /** The author's 8-byte member id, derived from the device key that signs (see identity/ids). */
  author: Bytes;
  msgId: number;
  body: MessageBody;
  /** Later fields, each with its own tag >= FIRST_EXTRA_TAG, in ascending order. */
  extra?: ReadonlyArray<{ tag: number; value: Bytes }>;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const u32 = (n: number) => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CryptoError(`${n} is not a u32`);
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
};
const u64 = (n: bigint) => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, n));
  return out;
};

/** A message as it travels: its head (kind code, a snippet's place) and its bytes as they are, so
 * that any kind, one this version does not know included, is signed and checked alike. */
export interface SignedWire {
  roomId: bigint;
  author: Bytes;
  msgId: number;
  head: MessageHead;
  /** The message bytes (a text's UTF-8). */
  text: Bytes;
}

/** The bytes that are signed (label included). */
export function messageSigningInput(m: SignedMessage): Uint8Array {
  const { body } = m;
  if (body.kind === 'placeholder') throw new CryptoError('A placeholder is not a message anyone signs');
  const { head, text } = wireOf(body);
  return wireSigningInput({ roomId: m.roomId, author: m.author, msgId: m.msgId, head, text }, m.extra);
}

/** The same bytes, from a message as it travels (what a client signs when sending and checks on receipt). */
export function wireSigningInput(m: SignedWire, extra?: SignedMessage['extra']): Uint8Array {
  if (m.author.length !== AUTHOR_ID_BYTES) throw new CryptoError(`An author id is ${AUTHOR_ID_BYTES} bytes, not ${m.author.length}`);
  const h = m.head;
  const code = h.kind === 'text' ? 1 : h.kind === 'snippet' ? 2 : h.code;
  const fields: Array<[number, Bytes]> = [
    [Tag.RoomId, u64(m.roomId)],
    [Tag.Author, m.author],
    [Tag.MsgId, u32(m.msgId)],
    [Tag.Kind, new Uint8Array([code])],
    [Tag.Text, m.text],
  ];
  if (h.kind === 'snippet') {
    fields.push([Tag.Path, utf8(h.path)], [Tag.StartLine, u32(h.startLine)], [Tag.EndLine, u32(h.endLine)], [Tag.Language, utf8(h.language)]);
  }
  let last = FIRST_EXTRA_TAG - 1;
  for (const { tag, value } of extra ?? []) {
    if (!Number.isInteger(tag) || tag <= last || tag > 0xff) throw new CryptoError(`Extra field tags must be ascending from ${FIRST_EXTRA_TAG} to 255 (got ${tag})`);
    fields.push([tag, value]);
    last = tag;
  }
  const label = utf8(LABEL);
  const out = new Uint8Array(label.length + 1 + fields.reduce((n, [, v]) => n + 5 + v.length, 0));
  out.set(label);
  let at = label.length + 1; // a 0 byte ends the label
  for (const [tag, value] of fields) {
    out[at] = tag;
    out.set(u32(value.length), at + 1);
    out.set(value, at + 5);
    at += 5 + value.length;
  }
  return out;
}

export function signMessage(key: SigningKey, m: SignedMessage): Bytes {
  return key.sign(messageSigningInput(m));
}

/** False for a wrong signature and for a message that cannot be encoded (never throws). */
export function verifyMessage(key: VerifyKey, m: SignedMessage, signature: Bytes): boolean {
  let input: Uint8Array;
  try {
    input = messageSigningInput(m);
  } catch {
    return false;
  }
  return key.verify(input, signature);
}
