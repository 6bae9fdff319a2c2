// The broadcast probe, for networks that drop multicast: a browser sends a Probe to each of its
// interfaces' directed-broadcast addresses on PROBE_PORT, and every announcing relay there answers
// with its port and its TXT strings (info.ts). Pure encode/decode, bounds-checked like the chat
// protocol's, with the size rule that keeps a forged source address from being flooded.
import { ProtocolError, Reader } from '../../protocol/bytes';
import { DEFAULT_PORT } from '../../protocol/packets';

/** The probe's own port. Never 2410 (the original Python clients bind it and crash on any datagram
 * that is not UTF-8) nor a relay's port: below the ephemeral range (32768+), so `--port 0` cannot take it. */
export const PROBE_PORT = 24100;

/** The original chat's fixed port (relay and clients alike); nothing of discovery goes there. */
export const LEGACY_PORT = DEFAULT_PORT;

const MAGIC = 0xf9; // never starts UTF-8 text, as in the chat envelope
const FAMILY = 0x44; // 'D': discovery, where the chat envelope has its version
export const PROBE_VERSION = 1;
const TYPE_PROBE = 1;
const TYPE_ANSWER = 2;
export const NONCE_BYTES = 8;
const HEADER_BYTES = 4 + NONCE_BYTES;

/** What our browsers send: padded so that an answer may be up to 3x this, enough for dozens of rooms. */
export const PROBE_BYTES = 256;
/** A shorter probe gets no answer: 3x it would not hold the answer's header and the relay's id. */
export const MIN_PROBE_BYTES = 64;
/** No datagram of ours is larger (the chat protocol's limit, below the IPv6 minimum MTU). */
const MAX_DATAGRAM = 1200;
/** RFC 9000 section 8's factor: the probe proves nothing about its source address. */
export const AMPLIFICATION = 3;

export type Discovery =
  | { type: 'probe'; version: number; nonce: Buffer; bytes: number }
  | { type: 'answer'; version: number; nonce: Buffer; port: number; txt: Buffer[] };

export function encodeProbe(nonce: Uint8Array, bytes = PROBE_BYTES): Buffer {
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`A probe nonce is ${NONCE_BYTES} bytes`);
  const buf = Buffer.alloc(Math.max(HEADER_BYTES, Math.min(bytes, MAX_DATAGRAM)));
  buf.set([MAGIC, FAMILY, PROBE_VERSION, TYPE_PROBE]);
  buf.set(nonce, 4);
  return buf;
}

/** The most an answer to a probe of `probeBytes` may take. */
export function answerBudget(probeBytes: number): number {
  return probeBytes < MIN_PROBE_BYTES ? 0 : Math.min(AMPLIFICATION * probeBytes, MAX_DATAGRAM);
}

/** The answer, keeping the TXT strings in order while they fit in `budget` bytes; undefined when not
 * even the first two (txtvers and id) do. */
export function encodeAnswer(nonce: Uint8Array, port: number, txt: readonly string[], budget: number): Buffer | undefined {
  const parts: Buffer[] = [];
  let size = HEADER_BYTES + 2;
  let kept = 0;
  for (const s of txt) {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 255 || size + 1 + b.length > budget) break;
    parts.push(Buffer.from([b.length]), b);
    size += 1 + b.length;
    kept++;
  }
  if (kept < Math.min(2, txt.length) || size > budget) return undefined;
  const head = Buffer.alloc(HEADER_BYTES + 2);
  head.set([MAGIC, FAMILY, PROBE_VERSION, TYPE_ANSWER]);
  head.set(nonce, 4);
  head.writeUInt16BE(port, HEADER_BYTES);
  return Buffer.concat([head, ...parts]);
}

/** Decodes a datagram that came to a discovery socket; throws ProtocolError for anything else. A later
 * version keeps bytes 0-11 where they are, so a probe of any version can be answered in version 1. */
export function decodeDiscovery(buf: Buffer): Discovery {
  const r = new Reader(buf, 'discovery datagram');
  if (r.u8('magic') !== MAGIC || r.u8('family') !== FAMILY) throw new ProtocolError('Cannot decode discovery datagram (not a WhatsUDP probe or answer)');
  const version = r.u8('version');
  if (version === 0) throw new ProtocolError('Cannot decode discovery datagram (version 0)');
  const type = r.u8('type');
  const nonce = Buffer.from(r.bytes(NONCE_BYTES, 'nonce'));
  switch (type) {
    case TYPE_PROBE:
      return { type: 'probe', version, nonce, bytes: buf.length };
    case TYPE_ANSWER: {
      if (version !== PROBE_VERSION) throw new ProtocolError(`Cannot decode discovery answer (unsupported version ${version})`);
      const port = r.u16('port');
      if (port === 0) throw new ProtocolError('Cannot decode discovery answer (port 0)');
      const txt: Buffer[] = [];
      while (r.offset < buf.length) {
        const n = r.u8('txt length');
        txt.push(Buffer.from(r.bytes(n, 'txt')));
      }
      return { type: 'answer', version, nonce, port, txt };
    }
    default:
      throw new ProtocolError(`Cannot decode discovery datagram (unknown type ${type})`);
  }
}
