// The seed's wire format: one UTF-8 datagram `name: text`, at most 1024 bytes (its recvfrom size).
import { ProtocolError, decodeUtf8 } from './bytes';
import { MAGIC, MAX_NAME_CHARS } from './packets';
import { controlClass } from '../common/control';

export const LEGACY_MAX_BYTES = 1024;
const SEPARATOR = ': ';
// Controls and the separators that break lines: a claimed name must not carry them into our room.
const NAME_JUNK = new RegExp(`[${controlClass()}:]`, 'gu');

export interface LegacyMessage {
  name: string;
  text: string;
}

/** Parses a seed datagram. The seed always sends `username: message`, so anything without that
 * shape is noise, not a message. The name is whatever the sender claimed, cleaned to fit our rules. */
export function decodeLegacy(buf: Buffer): LegacyMessage {
  if (buf.length === 0) throw new ProtocolError('Cannot decode legacy datagram (empty)');
  if (buf[0] === MAGIC) throw new ProtocolError('Cannot decode legacy datagram (it is a WhatsUDP envelope)');
  const s = decodeUtf8(buf, 'legacy datagram');
  const at = s.indexOf(SEPARATOR);
  if (at <= 0) throw new ProtocolError('Cannot decode legacy datagram (no "name: " in front)');
  const name = [...s.slice(0, at).replace(NAME_JUNK, '').trim()].slice(0, MAX_NAME_CHARS).join('');
  const text = s.slice(at + SEPARATOR.length);
  if (name === '') throw new ProtocolError('Cannot decode legacy datagram (no name)');
  if (text.trim() === '') throw new ProtocolError('Cannot decode legacy datagram (no text)');
  return { name, text };
}

/** Encodes `name: text` as seed datagrams, splitting long text on UTF-8 character boundaries so
 * that every piece decodes on its own (the seed's decoder crashes on a split character). */
export function encodeLegacy(name: string, text: string, maxBytes = LEGACY_MAX_BYTES): Buffer[] {
  const prefix = Buffer.from(name + SEPARATOR, 'utf8');
  const room = maxBytes - prefix.length;
  if (room < 4) throw new ProtocolError(`Cannot encode legacy datagram (name too long for ${maxBytes} bytes)`);
  const body = Buffer.from(text, 'utf8');
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
