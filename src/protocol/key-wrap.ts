// A secret wrapped to one device's static X25519 key (issue 9: a sealed room's new secret after a
// rotation, for each member that keeps its place). ECIES in its plainest form, from the Crypto
// interface only: a fresh ephemeral X25519 key per wrap, HKDF-SHA256 over the agreement (salted with
// both public keys, so the key is bound to this sender and this recipient), AES-256-GCM with the
// caller's associated data (a room's rotation binds room name, epoch and recipient device key, so a
// wrap moved to another room, epoch or member does not open). The AES key is new each time, so a
// random nonce is only belt and braces.
//
//   wrapped = ephemeral X25519 public (32) | nonce (12) | AES-256-GCM(secret) (32) | tag (16) = 92 bytes
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES, checkLength, CryptoError, type Bytes, type Crypto, type DhKey } from './crypto';

const utf8 = (s: string) => new TextEncoder().encode(s);
const INFO = utf8('whatsudp key wrap v1');
export const WRAPPED_SECRET_BYTES = KEY_BYTES + NONCE_BYTES + KEY_BYTES + TAG_BYTES; // 92

function wrapKey(c: Crypto, shared: Bytes, ephemeralPublic: Bytes, recipientPublic: Bytes): Bytes {
  const salt = new Uint8Array(2 * KEY_BYTES);
  salt.set(ephemeralPublic);
  salt.set(recipientPublic, KEY_BYTES);
  return c.hkdfSha256(shared, salt, INFO, KEY_BYTES);
}

/** `secret` (32 bytes) readable only with the X25519 secret behind `recipientX25519`, bound to `ad`. */
export function wrapSecret(c: Crypto, recipientX25519: Bytes, secret: Bytes, ad: Bytes): Uint8Array {
  checkLength('An X25519 key', recipientX25519, KEY_BYTES);
  checkLength('A wrapped secret', secret, KEY_BYTES);
  const ephemeral = c.dhKey(c.random(KEY_BYTES));
  const key = wrapKey(c, ephemeral.agree(recipientX25519), ephemeral.publicKey, recipientX25519);
  const nonce = c.random(NONCE_BYTES);
  const out = new Uint8Array(WRAPPED_SECRET_BYTES);
  out.set(ephemeral.publicKey);
  out.set(nonce, KEY_BYTES);
  out.set(c.aes256gcm(key).seal(nonce, secret, ad), KEY_BYTES + NONCE_BYTES);
  return out;
}

/** The secret, or undefined when `wrapped` is not for this key and `ad`, or was changed. Never throws
 * for bad input: a hostile wrap (wrong length, a low-order ephemeral key) is simply one that does not open. */
export function unwrapSecret(c: Crypto, myDhKey: DhKey, wrapped: Bytes, ad: Bytes): Uint8Array | undefined {
  if (!(wrapped instanceof Uint8Array) || wrapped.length !== WRAPPED_SECRET_BYTES) return undefined;
  const ephemeralPublic = wrapped.subarray(0, KEY_BYTES);
  let shared: Bytes;
  try {
    shared = myDhKey.agree(ephemeralPublic);
  } catch (err) {
    if (err instanceof CryptoError) return undefined;
    throw err;
  }
  const key = wrapKey(c, shared, ephemeralPublic, myDhKey.publicKey);
  const opened = c.aes256gcm(key).open(wrapped.subarray(KEY_BYTES, KEY_BYTES + NONCE_BYTES), wrapped.subarray(KEY_BYTES + NONCE_BYTES), ad);
  return opened && opened.length === KEY_BYTES ? Uint8Array.from(opened) : undefined;
}
