// What people and the wire call a public key: the member id (8 bytes, the wire's clientId), the
// fingerprint (what a person compares, and what an invite link pins) and the safety code of a pair
// (what two people read to each other, the same on both sides). Each is a domain-separated SHA-256,
// so none can be taken for another.
import type { Bytes, Crypto } from './crypto';

const utf8 = (s: string) => new TextEncoder().encode(s);

export const MEMBER_ID_BYTES = 8;

/** The first 8 bytes of SHA-256("whatsudp id" | public key): the clientId of a v2 member. */
export function memberId(c: Crypto, publicKey: Bytes): Uint8Array {
  return c.sha256(utf8('whatsudp id'), publicKey).slice(0, MEMBER_ID_BYTES);
}

// ---- fingerprints: base32 (RFC 4648, lower case, no padding) of a 256-bit hash ----

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
export const FINGERPRINT_CHARS = 52; // ceil(256 / 5)

export function base32(bytes: Bytes): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/** The bytes of canonical base32 (any case), or undefined if it is not (a stray character or stray low bits). */
export function fromBase32(text: string): Uint8Array | undefined {
  const s = text.toLowerCase();
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of s) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return undefined;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits >= 5 || acc !== 0) return undefined; // not what base32() would write
  return Uint8Array.from(out);
}

/** The fingerprint of a public key: 52 base32 characters of SHA-256("whatsudp fingerprint v1" | key). */
export function fingerprint(c: Crypto, publicKey: Bytes): string {
  return base32(c.sha256(utf8('whatsudp fingerprint v1'), publicKey));
}

/** For people: groups of four, "abcd efgh ..." (13 groups). */
export function displayFingerprint(fp: string): string {
  return fp.match(/.{1,4}/g)?.join(' ') ?? fp;
}

/**
 * A fingerprint as a person or a link may write it (any case, spaces or dashes between groups), in
 * canonical form; undefined if it is not one.
 */
export function parseFingerprint(text: string): string | undefined {
  const s = text.replace(/[\s-]+/g, '').toLowerCase();
  if (s.length !== FINGERPRINT_CHARS) return undefined;
  const bytes = fromBase32(s);
  return bytes && bytes.length === 32 ? s : undefined;
}

// ---- safety codes ----

/** 30 digits for one key: six 40-bit chunks of its hash, each mod 100,000 (as Signal's safety numbers). */
function digitsOf(c: Crypto, publicKey: Bytes): string {
  const h = c.sha256(utf8('whatsudp safety code v1'), publicKey);
  let out = '';
  for (let i = 0; i < 6; i++) {
    let chunk = 0;
    for (let j = 0; j < 5; j++) chunk = chunk * 256 + h[i * 5 + j];
    out += String(chunk % 100000).padStart(5, '0');
  }
  return out;
}

/**
 * The safety code of two keys: 60 digits in 12 groups of 5, the same whichever side computes it (the
 * two halves are sorted). Two people who read the same code to each other hold each other's real keys.
 */
export function safetyCode(c: Crypto, keyA: Bytes, keyB: Bytes): string {
  const halves = [digitsOf(c, keyA), digitsOf(c, keyB)].sort();
  return (halves.join('').match(/.{5}/g) ?? []).join(' ');
}
