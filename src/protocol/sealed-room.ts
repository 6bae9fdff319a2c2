// Sealed rooms (issue 9): members share a 32-byte room secret (from the invite link) that the relay
// never sees. From it, by HKDF-SHA256:
//   - a join key, an Ed25519 key whose public half (the verifier) the relay keeps: a member proves it
//     knows the secret by signing its handshake's hello hash (the client's half of the transcript,
//     handshake.ts clientHelloHash), which the relay can check but not forge, replay into another
//     session, or turn back into the secret;
//   - a content key per key epoch, for AES-256-GCM over the message content.
// The relay sequences and stores sealed content it cannot read. Nonces are RANDOM (96 bits), never
// derived from msgId: a msgId restarts when a member's device or state is new, and a repeated nonce
// under one GCM key would give away both messages and the key's authenticator. Random nonces are
// safe for 2^32 messages per key (NIST SP 800-38D 8.3), far beyond a room's epoch.
import { CryptoError, KEY_BYTES, NONCE_BYTES, TAG_BYTES, checkLength, type Aead, type Bytes, type Crypto, type SigningKey } from './crypto';
import { MEMBER_ID_BYTES } from './fingerprint';

export const ROOM_SECRET_BYTES = 32;
const EPOCH_BYTES = 4;
/** What sealing adds to the content: epoch, nonce, tag. */
export const ROOM_SEAL_OVERHEAD = EPOCH_BYTES + NONCE_BYTES + TAG_BYTES; // 32

const utf8 = (s: string) => new TextEncoder().encode(s);
const u32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);

export function newRoomSecret(c: Crypto): Bytes {
  return c.random(ROOM_SECRET_BYTES);
}

function joinKey(c: Crypto, secret: Bytes): SigningKey {
  checkLength('A room secret', secret, ROOM_SECRET_BYTES);
  return c.signingKey(c.hkdfSha256(secret, new Uint8Array(0), utf8('whatsudp room join v1'), KEY_BYTES));
}

/** The 32 bytes a relay keeps to admit members of a sealed room. It cannot read the room with them. */
export function roomVerifier(c: Crypto, secret: Bytes): Bytes {
  return joinKey(c, secret).publicKey;
}

const proofInput = (transcriptHash: Bytes, devicePublicKey: Bytes) => new Uint8Array([...utf8('whatsudp room join proof v1\0'), ...transcriptHash, ...devicePublicKey]);

/** A member's proof that it holds the room secret, bound to its handshake (PendingHandshake.helloHash,
 * which the relay computes as clientHelloHash) and device key: it travels in that handshake's Hello. */
export function joinProof(c: Crypto, secret: Bytes, transcriptHash: Bytes, devicePublicKey: Bytes): Bytes {
  return joinKey(c, secret).sign(proofInput(transcriptHash, devicePublicKey));
}

/** The relay's check of a join proof against the verifier it keeps. */
export function checkJoinProof(c: Crypto, verifier: Bytes, transcriptHash: Bytes, devicePublicKey: Bytes, proof: Bytes): boolean {
  if (verifier.length !== KEY_BYTES) return false;
  return c.verifyKey(verifier).verify(proofInput(transcriptHash, devicePublicKey), proof);
}

const rekeyProofInput = (rekey: Bytes) => new Uint8Array([...utf8('whatsudp rekey proof v1\0'), ...rekey]);

/** A key rotation's proof that its author holds the secret being replaced (rekey.ts): the join key's
 * signature over the rekey's fields, checkable by the relay (with the verifier it keeps) and by every
 * member, so nobody without the room's current secret (a relay, a removed member) can hand members a
 * key of its own choosing. Its label keeps it apart from a join proof. */
export function rekeyProof(c: Crypto, secret: Bytes, rekey: Bytes): Bytes {
  return joinKey(c, secret).sign(rekeyProofInput(rekey));
}

export function checkRekeyProof(c: Crypto, verifier: Bytes, rekey: Bytes, proof: Bytes): boolean {
  if (verifier.length !== KEY_BYTES) return false;
  return c.verifyKey(verifier).verify(rekeyProofInput(rekey), proof);
}

/** What the sealed content is bound to, and the relay sees in clear: a message moved to another room, author or msgId does not open. */
export interface RoomHeader {
  roomId: bigint;
  author: Bytes;
  msgId: number;
}

const CONTENT_LABEL = utf8('whatsudp room content v1\0');

function roomAd(h: RoomHeader, epoch: number): Uint8Array {
  if (h.author.length !== MEMBER_ID_BYTES) throw new CryptoError(`An author id is ${MEMBER_ID_BYTES} bytes, not ${h.author.length}`);
  const label = CONTENT_LABEL;
  const out = new Uint8Array(label.length + 8 + MEMBER_ID_BYTES + 4 + EPOCH_BYTES);
  out.set(label);
  const view = new DataView(out.buffer);
  view.setBigUint64(label.length, BigInt.asUintN(64, h.roomId));
  out.set(h.author, label.length + 8);
  view.setUint32(label.length + 8 + MEMBER_ID_BYTES, h.msgId);
  view.setUint32(label.length + 12 + MEMBER_ID_BYTES, epoch);
  return out;
}

/** Seals and opens content with one epoch's key; opens only content sealed with the same secret and epoch. */
export class RoomKey {
  private readonly aead: Aead;

  constructor(
    private readonly c: Crypto,
    secret: Bytes,
    readonly epoch: number,
  ) {
    checkLength('A room secret', secret, ROOM_SECRET_BYTES);
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff) throw new CryptoError(`A key epoch is a u32, not ${epoch}`);
    this.aead = c.aes256gcm(c.hkdfSha256(secret, new Uint8Array(0), new Uint8Array([...utf8('whatsudp room key v1\0'), ...u32(epoch)]), KEY_BYTES));
  }

  /** epoch (u32) | random nonce (12) | ciphertext | tag. */
  seal(header: RoomHeader, content: Bytes): Uint8Array {
    const nonce = this.c.random(NONCE_BYTES);
    const sealed = this.aead.seal(nonce, content, roomAd(header, this.epoch));
    const out = new Uint8Array(EPOCH_BYTES + NONCE_BYTES + sealed.length);
    out.set(u32(this.epoch));
    out.set(nonce, EPOCH_BYTES);
    out.set(sealed, EPOCH_BYTES + NONCE_BYTES);
    return out;
  }

  /** The content, or undefined if it was not sealed under this key for this header (or was changed). */
  open(header: RoomHeader, sealed: Bytes): Uint8Array | undefined {
    if (sealed.length < ROOM_SEAL_OVERHEAD || sealedEpoch(sealed) !== this.epoch) return undefined;
    return this.aead.open(sealed.subarray(EPOCH_BYTES, EPOCH_BYTES + NONCE_BYTES), sealed.subarray(EPOCH_BYTES + NONCE_BYTES), roomAd(header, this.epoch));
  }
}

/** Which epoch's key sealed this content (read before choosing the key), or undefined if too short. */
export function sealedEpoch(sealed: Bytes): number | undefined {
  if (sealed.length < ROOM_SEAL_OVERHEAD) return undefined;
  return new DataView(sealed.buffer, sealed.byteOffset, EPOCH_BYTES).getUint32(0);
}
