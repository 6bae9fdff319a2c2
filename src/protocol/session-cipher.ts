// Sealing and opening one datagram of an authenticated session. The datagram is
//
//   prefix (the codec's clear header: magic, version, type, session id) | packet number (u64) | AES-256-GCM(payload) | tag (16)
//
// with everything before the ciphertext as the AD, so no byte of it can be changed unnoticed. The
// nonce is the direction's IV XOR the packet number (as in TLS 1.3 and QUIC): keys are per session and
// per direction, and the sender never reuses a number, so a nonce never repeats under one key.
// The sender owns its counter and the receiver its replay window: the caller only chooses the prefix.
import { CryptoError, NONCE_BYTES, TAG_BYTES, type Aead, type Bytes, type Crypto } from './crypto';
import type { DirectionKey } from './handshake';
import { ReplayWindow } from './replay-window';

export const PACKET_NUMBER_BYTES = 8;
/** Bytes a sealed datagram adds to its payload, besides the caller's prefix. */
export const SEAL_OVERHEAD = PACKET_NUMBER_BYTES + TAG_BYTES;
/**
 * RFC 9001 section 6.6: AES-GCM's confidentiality limit is 2^23 packets per key. A sender asks for a
 * new handshake after half of that, and refuses to seal past it.
 */
export const REKEY_AFTER_PACKETS = 2 ** 22;
export const REJECT_AFTER_PACKETS = 2 ** 23;

/** The nonce for `pn`: the IV with the packet number XORed into its last 8 bytes, into `out`. */
function nonceInto(out: Uint8Array, iv: Bytes, pn: number): Uint8Array {
  out.set(iv);
  const hi = Math.floor(pn / 2 ** 32);
  const lo = pn >>> 0;
  for (let i = 0; i < 4; i++) {
    out[4 + i] ^= (hi >>> (24 - 8 * i)) & 0xff;
    out[8 + i] ^= (lo >>> (24 - 8 * i)) & 0xff;
  }
  return out;
}

export class SessionSealer {
  private readonly aead: Aead;
  private readonly iv: Bytes;
  private readonly nonce = new Uint8Array(NONCE_BYTES);
  private next: number;

  /** `firstPacketNumber` is 0 in a session; tests of the limits start near them. */
  constructor(c: Crypto, key: DirectionKey, firstPacketNumber = 0) {
    this.aead = c.aes256gcm(key.key);
    this.iv = Uint8Array.from(key.iv);
    this.next = firstPacketNumber;
  }

  get packetsSealed(): number {
    return this.next;
  }

  /** True once the session should be replaced by a new handshake (long before it must be). */
  get wantsRekey(): boolean {
    return this.next >= REKEY_AFTER_PACKETS;
  }

  /** prefix | packet number | ciphertext | tag, ready to send. */
  seal(prefix: Bytes, payload: Bytes): Buffer {
    const pn = this.next;
    if (pn >= REJECT_AFTER_PACKETS) throw new CryptoError('This session has sealed its 2^23 packets: make a new handshake.');
    this.next++;
    const header = Buffer.allocUnsafe(prefix.length + PACKET_NUMBER_BYTES);
    header.set(prefix);
    header.writeUInt32BE(Math.floor(pn / 2 ** 32), prefix.length);
    header.writeUInt32BE(pn >>> 0, prefix.length + 4);
    return Buffer.concat([header, this.aead.seal(nonceInto(this.nonce, this.iv, pn), payload, header)]);
  }
}

export type OpenFailure = 'truncated' | 'too-old' | 'replayed' | 'forged';
export type Opened = { ok: true; payload: Bytes; packetNumber: number } | { ok: false; reason: OpenFailure };

export interface OpenerCounts {
  opened: number;
  truncated: number;
  tooOld: number;
  replayed: number;
  /** Failed authentication: forged, corrupted, or for another session. */
  forged: number;
}

export class SessionOpener {
  private readonly aead: Aead;
  private readonly iv: Bytes;
  private readonly nonce = new Uint8Array(NONCE_BYTES);
  private readonly window = new ReplayWindow();
  readonly counts: OpenerCounts = { opened: 0, truncated: 0, tooOld: 0, replayed: 0, forged: 0 };

  constructor(c: Crypto, key: DirectionKey) {
    this.aead = c.aes256gcm(key.key);
    this.iv = Uint8Array.from(key.iv);
  }

  /** The payload of a datagram sealed by the peer's SessionSealer with a prefix of `prefixLength` bytes. */
  open(datagram: Bytes, prefixLength: number): Opened {
    const headerLength = prefixLength + PACKET_NUMBER_BYTES;
    if (datagram.length < headerLength + TAG_BYTES) return this.fail('truncated');
    const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.length);
    const hi = view.getUint32(prefixLength);
    const pn = hi * 2 ** 32 + view.getUint32(prefixLength + 4);
    // A number the sender can never use is no packet of this session.
    if (pn >= REJECT_AFTER_PACKETS) return this.fail('forged');
    const verdict = this.window.check(pn);
    if (verdict === 'too-old') return this.fail('tooOld');
    if (verdict === 'replayed') return this.fail('replayed');
    const payload = this.aead.open(nonceInto(this.nonce, this.iv, pn), datagram.subarray(headerLength), datagram.subarray(0, headerLength));
    if (!payload) return this.fail('forged');
    this.window.accept(pn);
    this.counts.opened++;
    return { ok: true, payload, packetNumber: pn };
  }

  private fail(what: keyof OpenerCounts): Opened {
    this.counts[what]++;
    const reason: OpenFailure = what === 'tooOld' ? 'too-old' : (what as OpenFailure);
    return { ok: false, reason };
  }
}
