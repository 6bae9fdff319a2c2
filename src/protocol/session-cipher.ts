// Sealing and opening one datagram of an authenticated session. The datagram is
//
//   prefix (the codec's clear header: magic, version, type, session id) | packet number (u64) | AES-256-GCM(payload) | tag (16)
//
// with everything before the ciphertext as the AD, so no byte of it can be changed unnoticed. The
// nonce is the direction's IV XOR the packet number (as in TLS 1.3 and QUIC): keys are per session and
// per direction, and the sender never reuses a number, so a nonce never repeats under one key.
// The sender owns its counter and the receiver its replay window: the caller only chooses the prefix.
//
// Small on purpose: the relay holds one sealer and one opener per member, thousands of them. The IV
// is kept as three numbers and the nonce made in one scratch array for all (seal and open are
// synchronous, and both backends copy the nonce), since every typed array costs a few hundred bytes
// however short it is.
import { CryptoError, KEY_BYTES, NONCE_BYTES, TAG_BYTES, type Aead, type Bytes, type Crypto } from './crypto';
import type { DirectionKey } from './handshake';
import { DEFAULT_BLOCKS, ReplayWindow } from './replay-window';

export const PACKET_NUMBER_BYTES = 8;
/** Bytes a sealed datagram adds to its payload, besides the caller's prefix. */
export const SEAL_OVERHEAD = PACKET_NUMBER_BYTES + TAG_BYTES;
/**
 * RFC 9001 section 6.6: AES-GCM's confidentiality limit is 2^23 packets per key. A sender asks for a
 * new handshake after half of that, and refuses to seal past it.
 */
export const REKEY_AFTER_PACKETS = 2 ** 22;
export const REJECT_AFTER_PACKETS = 2 ** 23;

/** Big-endian 32-bit words of `bytes` (int32, so they stay small integers in V8). */
function wordsOf(bytes: Bytes, what: string, length: number): number[] {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) throw new CryptoError(`${what} must be ${length} bytes`);
  const out = new Array<number>(length / 4); // exactly as long: push() would grow it to 17
  for (let i = 0; i < length; i += 4) out[i / 4] = (bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3];
  return out;
}

function putWord(out: Uint8Array, at: number, w: number): void {
  out[at] = w >>> 24;
  out[at + 1] = w >>> 16;
  out[at + 2] = w >>> 8;
  out[at + 3] = w;
}

const NONCE = new Uint8Array(NONCE_BYTES);

/** The nonce for `pn`: the IV with the packet number XORed into its last 8 bytes (in the shared scratch). */
function nonceOf(iv: readonly number[], pn: number): Uint8Array {
  putWord(NONCE, 0, iv[0]);
  putWord(NONCE, 4, iv[1] ^ Math.floor(pn / 2 ** 32));
  putWord(NONCE, 8, iv[2] ^ pn);
  return NONCE;
}

const KEY = new Uint8Array(KEY_BYTES);

/** An AEAD set up from a key kept as words (both backends copy the key, so the scratch is wiped after). */
function aeadOf(c: Crypto, words: readonly number[]): Aead {
  for (let i = 0; i < words.length; i++) putWord(KEY, 4 * i, words[i]);
  try {
    return c.aes256gcm(KEY);
  } finally {
    KEY.fill(0);
  }
}

export interface SealerOptions {
  /**
   * Keep the key as eight numbers too, so that the AEAD set up from it (node:crypto's KeyObject and
   * the AEAD's closures, about 1 KB with what they hold natively) can be let go while the sealer is
   * idle (`letGoIfIdle`) and set up again at its next seal (~1.5 µs). For the relay's thousands.
   */
  compact?: boolean;
  /** Called when a compact sealer sets its AEAD up: whoever let it go may want to again. */
  onSetUp?: (s: SessionSealer) => void;
}

export class SessionSealer {
  private aead: Aead | undefined;
  private readonly key: number[] | undefined;
  private readonly iv: number[];
  private next: number;
  private sealedSinceLook = false;
  private readonly onSetUp: ((s: SessionSealer) => void) | undefined;

  /** `firstPacketNumber` is 0 in a session; tests of the limits start near them. */
  constructor(
    private readonly c: Crypto,
    key: DirectionKey,
    firstPacketNumber = 0,
    o: SealerOptions = {},
  ) {
    if (o.compact) this.key = wordsOf(key.key, 'An AES-256-GCM key', KEY_BYTES);
    else this.aead = c.aes256gcm(key.key);
    this.iv = wordsOf(key.iv, 'An IV', NONCE_BYTES);
    this.next = firstPacketNumber;
    this.onSetUp = o.onSetUp;
  }

  /** Whether the AEAD is set up now (a compact sealer may have let it go). */
  get holdsCipher(): boolean {
    return this.aead !== undefined;
  }

  /** A compact sealer that has not sealed since the last call lets its AEAD go. True if it still holds one. */
  letGoIfIdle(): boolean {
    if (this.key && !this.sealedSinceLook) this.aead = undefined;
    this.sealedSinceLook = false;
    return this.aead !== undefined;
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
    this.sealedSinceLook = true;
    return Buffer.concat([header, this.cipher().seal(nonceOf(this.iv, pn), payload, header)]);
  }

  private cipher(): Aead {
    if (this.aead) return this.aead;
    this.aead = aeadOf(this.c, this.key!);
    this.onSetUp?.(this);
    return this.aead;
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

/**
 * AEADs set up for the compact openers that opened lately, the oldest let go first: a room's few
 * talkers keep theirs, so the compact openers cost their setup only to members who send seldom.
 */
export class RecentCiphers {
  private readonly kept = new Map<object, Aead>();

  constructor(private readonly max: number) {}

  find(owner: object): Aead | undefined {
    return this.kept.get(owner);
  }

  keep(owner: object, a: Aead): Aead {
    if (this.kept.size >= this.max) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(owner, a);
    return a;
  }
}

export interface OpenerOptions {
  /**
   * Keep the key as eight numbers and set AES up when a datagram comes, instead of keeping it set up
   * (node:crypto's KeyObject and the AEAD's closures, about 700 bytes): ~1.5 µs more per datagram
   * opened, unless `recent` still has it. For the relay, which holds thousands of openers that each
   * open little.
   */
  compact?: boolean;
  /** Where a compact opener keeps its AEAD between datagrams, shared with the others. */
  recent?: RecentCiphers;
  /** Blocks of 32 packet numbers in the replay window (see ReplayWindow); 64 unless said. */
  windowBlocks?: number;
}

export class SessionOpener {
  private readonly aead: Aead | undefined;
  private readonly key: number[] | undefined;
  private readonly iv: number[];
  private readonly window: ReplayWindow;
  private readonly recent: RecentCiphers | undefined;
  readonly counts: OpenerCounts = { opened: 0, truncated: 0, tooOld: 0, replayed: 0, forged: 0 };

  constructor(
    private readonly c: Crypto,
    key: DirectionKey,
    o: OpenerOptions = {},
  ) {
    if (o.compact) this.key = wordsOf(key.key, 'An AES-256-GCM key', KEY_BYTES);
    else this.aead = c.aes256gcm(key.key);
    this.iv = wordsOf(key.iv, 'An IV', NONCE_BYTES);
    this.window = new ReplayWindow(o.windowBlocks ?? DEFAULT_BLOCKS);
    this.recent = o.recent;
  }

  /** How far behind the newest datagram an older one is still accepted (once). */
  get windowSize(): number {
    return this.window.size;
  }

  /** The AEAD under this opener's key: kept, or (compact) recent or set up now from the key's words. */
  private cipher(): Aead {
    if (this.aead) return this.aead;
    if (!this.recent) return aeadOf(this.c, this.key!);
    return this.recent.find(this) ?? this.recent.keep(this, aeadOf(this.c, this.key!));
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
    const payload = this.cipher().open(nonceOf(this.iv, pn), datagram.subarray(headerLength), datagram.subarray(0, headerLength));
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
