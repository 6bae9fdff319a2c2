// A sealed room's message content on the wire (issue 9): the relay sequences, stores and backfills a
// message of kind 3 (`sealed`) whose bytes are base64url(RoomKey.seal(content)), and cannot read it.
// The content is what the message would otherwise carry: its head (kind, length, a snippet's path,
// lines and language; no signature) and its text. In base64url so that the message bytes stay valid
// UTF-8 text, which every relay checks, at the cost of a third more bytes: a sealed message holds at
// most MAX_SEALED_TEXT_BYTES of text. The author's signature covers the sealed bytes as sent.
import { decodeUtf8, ProtocolError, Reader, Writer } from './bytes';
import type { PlaceholderBody } from '../common/message';
import { MAX_TEXT_BYTES, type MessageHead, type SendableBody } from './packets';
import { head } from './parts';
import { ROOM_SEAL_OVERHEAD } from './sealed-room';
import { bodyOf, wireOf } from './kinds';

/** The kind byte of sealed content: a later kind to every version that cannot open it. */
export const SEALED_KIND = 3;

/** What a sealed message is to whoever does not open it (the relay, its log, a client of another
 * version); a member without the room's key is told more (client/room-seal.ts). */
export const sealedPlaceholder = (): PlaceholderBody => ({ kind: 'placeholder', text: '', reason: "a sealed message (only its room's members can read it)", code: SEALED_KIND });

/** Base64url without padding: 4 characters for 3 bytes. */
const base64Length = (n: number): number => Math.ceil((n * 4) / 3);

/** The message bytes a content of `n` bytes becomes once sealed and written as base64url. */
export const sealedLength = (n: number): number => base64Length(n + ROOM_SEAL_OVERHEAD);

/** The longest text (plain, no snippet fields) a sealed message can carry. */
export const MAX_SEALED_TEXT_BYTES = Math.floor((MAX_TEXT_BYTES * 3) / 4) - ROOM_SEAL_OVERHEAD - head.encodingLength({ kind: 'text', totalBytes: 0 });

/** The content of a message: its head without a signature, then its text. */
export function encodeContent(body: SendableBody): Buffer {
  const { head: h, text } = wireOf(body); // any kind: a reply, a reaction, an edit are sealed alike
  const out = new Writer(head.encodingLength(h) + text.length);
  head.write(out, h);
  out.bytes(text);
  const content = out.done();
  if (sealedLength(content.length) > MAX_TEXT_BYTES) {
    throw new ProtocolError(`Cannot encode message (${text.length} bytes of text: in a sealed room a message holds at most about ${MAX_SEALED_TEXT_BYTES}, as sealing takes a third more room)`);
  }
  return content;
}

/** The message a sealed content holds, once opened. Throws ProtocolError when it is not one. */
export function decodeContent(content: Uint8Array): SendableBody {
  const buf = Buffer.from(content.buffer, content.byteOffset, content.length);
  const r = new Reader(buf, 'sealed content');
  const h: MessageHead = head.read(r);
  const text = r.rest();
  if (h.auth) throw new ProtocolError('Cannot decode sealed content (a signature inside)');
  if (h.totalBytes !== text.length) throw new ProtocolError(`Cannot decode sealed content (${h.totalBytes} bytes said, ${text.length} carried)`);
  const t = decodeUtf8(text, 'sealed content text');
  const b = bodyOf(h, t);
  if (b.kind === 'placeholder') throw new ProtocolError(`Cannot decode sealed content (${b.reason} inside)`);
  return b;
}

/** The message bytes of sealed content (`sealed` is RoomKey.seal's output). */
export const sealedText = (sealed: Uint8Array): Buffer => Buffer.from(Buffer.from(sealed).toString('base64url'), 'latin1');

/** The sealed bytes back from the message bytes, or undefined if they are not base64url. */
export function sealedBytes(text: Buffer): Uint8Array | undefined {
  const s = text.toString('latin1');
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return undefined;
  const bytes = Buffer.from(s, 'base64url');
  return bytes.toString('base64url') === s ? Uint8Array.from(bytes) : undefined;
}
