// Direct messages (issue 11): a DM is a sealed room of exactly two device keys whose name and secret
// both sides compute alone, so neither has to send the other an invite link.
//   - Its name is dm- and 26 base32 characters (130 bits) of SHA-256 over a label and the two Ed25519
//     device keys in ascending byte order: the same for both sides, and the relay can check that a
//     Hello's dm extension names the room it asks for.
//   - Its secret is HKDF-SHA256 over the X25519 agreement of one side's certified static DH key with the
//     other's (device.ts says why that key is separate), salted with the two device keys: the relay,
//     which passes the DH keys on, cannot compute it; a third key gets another secret.
// From the secret come the usual verifier, join proof and content keys (sealed-room.ts).
import { CryptoError, KEY_BYTES, checkLength, type Bytes, type Crypto, type DhKey } from './crypto';
import { base32 } from './fingerprint';
import { ROOM_SECRET_BYTES } from './sealed-room';

export const DM_NAME_PREFIX = 'dm-';
const DM_NAME_CHARS = 26;

const utf8 = (s: string) => new TextEncoder().encode(s);

function compareBytes(a: Bytes, b: Bytes): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** The two device keys in the order the wire and every derivation use: ascending bytewise. Throws a
 * CryptoError for a key that is not 32 bytes, or for the same key twice (a DM with yourself). */
export function dmKeys(keyA: Bytes, keyB: Bytes): [Uint8Array, Uint8Array] {
  checkLength('A device key', keyA, KEY_BYTES);
  checkLength('A device key', keyB, KEY_BYTES);
  const order = compareBytes(keyA, keyB);
  if (order === 0) throw new CryptoError('A direct message needs two different device keys');
  return order < 0 ? [Uint8Array.from(keyA), Uint8Array.from(keyB)] : [Uint8Array.from(keyB), Uint8Array.from(keyA)];
}

/** The room name of the DM between two device keys, in either order: dm- and 26 base32 characters. */
export function dmRoomName(c: Crypto, keyA: Bytes, keyB: Bytes): string {
  const [lo, hi] = dmKeys(keyA, keyB);
  return DM_NAME_PREFIX + base32(c.sha256(utf8('whatsudp dm room v1\0'), lo, hi)).slice(0, DM_NAME_CHARS);
}

/** The DM's room secret, the same on both sides: `myDhKey` is this device's static X25519 key, `peerX25519`
 * the other's (its certificate checked by the caller), keyA/keyB the two device keys in any order.
 * Throws a CryptoError for a low-order peer key. */
export function dmSecret(c: Crypto, myDhKey: DhKey, peerX25519: Bytes, keyA: Bytes, keyB: Bytes): Uint8Array {
  checkLength('An X25519 key', peerX25519, KEY_BYTES);
  const [lo, hi] = dmKeys(keyA, keyB);
  const salt = new Uint8Array(2 * KEY_BYTES);
  salt.set(lo);
  salt.set(hi, KEY_BYTES);
  return c.hkdfSha256(myDhKey.agree(peerX25519), salt, utf8('whatsudp dm secret v1'), ROOM_SECRET_BYTES);
}
