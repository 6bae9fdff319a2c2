// The seed's wire format: one UTF-8 datagram `name: text`, at most 1024 bytes (its recvfrom size).
import { checkUtf8, hasVisibleAscii, ProtocolError } from './bytes';
import { MAGIC, MAX_NAME_CHARS } from './packets';
import { controlClass } from '../common/control';

export const LEGACY_MAX_BYTES = 1024;
const SEPARATOR = ': ';
const COLON = 0x3a;
const SPACE = 0x20;
// Controls and the separators that break lines: a claimed name must not carry them into our room.
const NAME_JUNK = new RegExp(`[${controlClass()}:]`, 'gu');

export interface LegacyMessage {
  name: string;
  text: string;
}

/** A seed datagram as the relay takes it: the cleaned name, the text as the UTF-8 bytes it came in
 * (checked, not decoded), and whether the datagram is already exactly what encodeLegacy would make
 * of them, so that it can be broadcast as it is. */
export interface LegacyLine {
  name: string;
  text: Buffer;
  verbatim: boolean;
}

/** Whether bytes [0, end) are a name that cleaning leaves as it is: printable ASCII without ':',
 * no space at either end, at most MAX_NAME_CHARS. The common case, checked without a string. */
function plainAsciiName(buf: Buffer, end: number): boolean {
  if (end > MAX_NAME_CHARS || buf[0] === 0x20 || buf[end - 1] === 0x20) return false;
  for (let i = 0; i < end; i++) {
    const b = buf[i];
    if (b < 0x20 || b > 0x7e || b === COLON) return false;
  }
  return true;
}

/** Where the first ': ' is, or -1. ': ' is ASCII, and no byte of a multi-byte UTF-8 character is
 * ASCII: the byte offset is where the string splits. (A loop over the few bytes of a name costs
 * less than Buffer.indexOf's call into C++, and this runs for every seed line.) */
function separatorAt(buf: Buffer): number {
  for (let i = 0; i + 1 < buf.length; i++) if (buf[i] === COLON && buf[i + 1] === SPACE) return i;
  return -1;
}

/** Parses a seed datagram. The seed always sends `username: message`, so anything without that
 * shape is noise, not a message. The name is whatever the sender claimed, cleaned to fit our rules. */
export function readLegacy(buf: Buffer): LegacyLine {
  if (buf.length === 0) throw new ProtocolError('Cannot decode legacy datagram (empty)');
  if (buf[0] === MAGIC) throw new ProtocolError('Cannot decode legacy datagram (it is a WhatsUDP envelope)');
  checkUtf8(buf, 'legacy datagram');
  const at = separatorAt(buf);
  if (at <= 0) throw new ProtocolError('Cannot decode legacy datagram (no "name: " in front)');
  const plain = plainAsciiName(buf, at);
  const raw = buf.toString(plain ? 'latin1' : 'utf8', 0, at);
  const name = plain ? raw : [...raw.replace(NAME_JUNK, '').trim()].slice(0, MAX_NAME_CHARS).join('');
  if (name === '') throw new ProtocolError('Cannot decode legacy datagram (no name)');
  const from = at + SEPARATOR.length;
  const text = buf.subarray(from);
  if (!hasVisibleAscii(buf, from) && text.toString('utf8').trim() === '') throw new ProtocolError('Cannot decode legacy datagram (no text)');
  return { name, text, verbatim: name === raw && buf.length <= LEGACY_MAX_BYTES };
}

/** A seed datagram as strings (the seed client's side). */
export function decodeLegacy(buf: Buffer): LegacyMessage {
  const line = readLegacy(buf);
  return { name: line.name, text: line.text.toString('utf8') };
}

/** Encodes `name: text` as seed datagrams, splitting long text on UTF-8 character boundaries so
 * that every piece decodes on its own (the seed's decoder crashes on a split character). `text`
 * may be given as its UTF-8 bytes. */
export function encodeLegacy(name: string, text: string | Buffer, maxBytes = LEGACY_MAX_BYTES): Buffer[] {
  const prefix = Buffer.from(name + SEPARATOR, 'utf8');
  const room = maxBytes - prefix.length;
  if (room < 4) throw new ProtocolError(`Cannot encode legacy datagram (name too long for ${maxBytes} bytes)`);
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const out: Buffer[] = [];
  let at = 0;
  do {
    let end = Math.min(at + room, body.length);
    // Step back from a continuation byte so the piece ends on a character boundary.
    while (end < body.length && end > at && (body[end] & 0xc0) === 0x80) end--;
    out.push(Buffer.concat([prefix, body.subarray(at, end)]));
    at = end;
  } while (at < body.length);
  return out;
}
