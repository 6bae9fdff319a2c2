// The crypto interface's types and small helpers, apart from crypto.ts so that the backends can import
// them without a cycle. Callers import everything from './crypto'.

export type Bytes = Uint8Array;

/** A wrong key length, a low-order X25519 key, a backend that cannot do a primitive. */
export class CryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CryptoError';
  }
}

/** An Ed25519 key ready to sign: the key setup (a KeyObject, or noble's expanded scalar) is done once. */
export interface SigningKey {
  /** The 32-byte public key (RFC 8032 encoding). */
  readonly publicKey: Bytes;
  /** A 64-byte signature. Deterministic: the same message gives the same signature. */
  sign(message: Bytes): Bytes;
}

/** An Ed25519 public key ready to verify; keep one per member rather than importing per message. */
export interface VerifyKey {
  readonly publicKey: Bytes;
  /** False for a wrong signature, a signature of the wrong length or a malformed key: never throws. */
  verify(message: Bytes, signature: Bytes): boolean;
}

/** An X25519 secret ready for Diffie-Hellman. */
export interface DhKey {
  readonly publicKey: Bytes;
  /** The 32-byte shared secret. Throws a CryptoError for a low-order peer key (all-zero result, RFC 7748 s6.1). */
  agree(peerPublicKey: Bytes): Bytes;
}

/** AES-256-GCM with one key, 96-bit nonces and 128-bit tags. */
export interface Aead {
  /** ciphertext || 16-byte tag. */
  seal(nonce: Bytes, plaintext: Bytes, ad: Bytes): Bytes;
  /** The plaintext, or undefined when the tag does not match (forged, corrupted, wrong key, nonce or AD). */
  open(nonce: Bytes, sealed: Bytes, ad: Bytes): Bytes | undefined;
}

export type CryptoBackend = 'node:crypto' | '@noble';

export interface Crypto {
  readonly backend: CryptoBackend;
  random(length: number): Bytes;
  sha256(...parts: Bytes[]): Bytes;
  /** RFC 5869 extract-then-expand with SHA-256; `length` at most 255 * 32. */
  hkdfSha256(ikm: Bytes, salt: Bytes, info: Bytes, length: number): Bytes;
  /** Any 32 bytes are an Ed25519 secret (the RFC 8032 seed); `random(32)` makes a new one. */
  signingKey(secret: Bytes): SigningKey;
  verifyKey(publicKey: Bytes): VerifyKey;
  /** Any 32 bytes are an X25519 secret (clamped inside, RFC 7748). */
  dhKey(secret: Bytes): DhKey;
  aes256gcm(key: Bytes): Aead;
}

export const KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

export function checkLength(what: string, bytes: Bytes, length: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new CryptoError(`${what} must be ${length} bytes, not ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
  }
}

export function isAllZero(bytes: Bytes): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/** Constant-time comparison (for fingerprints and verifiers; not needed for tags, which AES-GCM checks). */
export function equalBytes(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false;
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i] ^ b[i];
  return acc === 0;
}
