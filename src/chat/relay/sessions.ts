// The relay's side of protocol 2: its long-term key, the handshake it answers, and each member's
// session keys. A member's every datagram opens under its session or is dropped and counted; every
// datagram to it is sealed. Public-key work only ever follows a good cookie (relay.ts checks it first).
import path from 'node:path';
import { KEY_BYTES, type Crypto, type SigningKey } from '../../protocol/crypto';
import { ownBytes } from '../../protocol/bytes';
import { fingerprint } from '../../protocol/fingerprint';
import { answerHandshake, SESSION_ID_BYTES, type ClientAuth, type DirectionKey } from '../../protocol/handshake';
import { RecentCiphers, SessionOpener, SessionSealer } from '../../protocol/session-cipher';
import { BULK, decodeInner, SEALED_PREFIX_BYTES, sealedPrefix, welcomePrefix } from '../../protocol/v2';
import type { Packet } from '../../protocol/packets';
import { ChatError } from '../errors';
import { IdentityError, loadRelayKey } from '../identity';

/** Blocks of 32 in a member's replay window at the relay: 224 packets (a client keeps 2,016). */
export const RELAY_WINDOW_BLOCKS = 8;
/** Members whose openers keep AES set up between their datagrams: the room's recent talkers. */
export const RECENT_OPENERS = 32;
/** A member's sealer that was not used between two looks at least this far apart lets its AES go. */
export const SEALER_IDLE_MS = 10_000;

/**
 * The sealers that hold their AES set up. Every 1,024 seals or 64 set-ups it looks whether 10 s have
 * passed since it last swept, and if so every sealer not used since then lets its AES go (set up
 * again at its next seal). A room that talks keeps them all; in a big room that only heartbeats
 * (a ping per member every 10-50 s) most members hold ~1 KB less.
 */
class HeldSealers {
  private held: SessionSealer[] = [];
  private events = 0;
  private lastSweep: number;

  constructor(private readonly clock: () => number) {
    this.lastSweep = clock();
  }

  get size(): number {
    return this.held.length;
  }

  readonly setUp = (s: SessionSealer): void => {
    this.held.push(s);
    this.event(16);
  };

  event(weight = 1): void {
    this.events += weight;
    if (this.events < 1024) return;
    this.events = 0;
    if (this.clock() - this.lastSweep >= SEALER_IDLE_MS) this.sweep();
  }

  sweep(): void {
    this.lastSweep = this.clock();
    this.held = this.held.filter((s) => s.letGoIfIdle());
  }
}

/**
 * One member's session. The relay holds thousands, so each is a handful of objects: its bytes (the
 * sealed prefix with the session id in it, the device key, the handshake's ephemeral key) share one
 * allocation of their own, whose views are made when asked for, except the two used per datagram;
 * the opener sets AES up when a datagram comes, unless the member is one of the room's recent talkers
 * (a member sends the relay little), and the sealer keeps its AES set up while the fan-out seals to
 * it, letting it go when the member idles (HeldSealers).
 */
export class RelaySession {
  /** The clear prefix of every sealed datagram to it (magic, version, type, session id), made once:
   * the fan-out seals one per member. The first bytes of the session's own allocation. */
  readonly prefix: Buffer;
  /** The device key its handshake proved (every message it sends must be signed by it). */
  readonly devicePublicKey: Buffer;
  readonly sealer: SessionSealer;
  readonly opener: SessionOpener;
  /** The Welcome (or Refused) sealed for this handshake, sent again to a retransmitted Hello until
   * the client's first sealed datagram shows it has the keys (then it is let go: ~200 bytes a member). */
  answer: Buffer | undefined = undefined;

  constructor(
    crypto: Crypto,
    sessionId: Uint8Array,
    devicePublicKey: Uint8Array,
    ephemeral: Uint8Array,
    keys: { send: DirectionKey; receive: DirectionKey },
    shared: { recent?: RecentCiphers; onSetUp?: (s: SessionSealer) => void } = {},
  ) {
    const own = Buffer.allocUnsafeSlow(SEALED_PREFIX_BYTES + 2 * KEY_BYTES);
    sealedPrefix(sessionId).copy(own);
    own.set(devicePublicKey, SEALED_PREFIX_BYTES);
    own.set(ephemeral, SEALED_PREFIX_BYTES + KEY_BYTES);
    this.prefix = own.subarray(0, SEALED_PREFIX_BYTES);
    this.devicePublicKey = own.subarray(SEALED_PREFIX_BYTES, SEALED_PREFIX_BYTES + KEY_BYTES);
    this.sealer = new SessionSealer(crypto, keys.send, 0, { compact: true, onSetUp: shared.onSetUp });
    this.opener = new SessionOpener(crypto, keys.receive, { compact: true, recent: shared.recent, windowBlocks: RELAY_WINDOW_BLOCKS });
  }

  /** The session id, which is also the member's clientId on the wire. */
  get id(): Buffer {
    return this.prefix.subarray(SEALED_PREFIX_BYTES - SESSION_ID_BYTES);
  }

  /** The client's ephemeral key in this handshake: a Hello that repeats it is a retransmission. */
  get ephemeral(): Buffer {
    const at = this.prefix.byteOffset + SEALED_PREFIX_BYTES + KEY_BYTES;
    return Buffer.from(this.prefix.buffer, at, KEY_BYTES);
  }
}

export type HandshakeResult = { ok: true; session: RelaySession; welcomePrefix: Buffer } | { ok: false; reason: string };

export class RelaySessions {
  private readonly recent = new RecentCiphers(RECENT_OPENERS);
  private readonly sealers: HeldSealers;

  constructor(
    private readonly crypto: Crypto,
    private readonly key: SigningKey,
    clock: () => number = Date.now,
  ) {
    this.sealers = new HeldSealers(clock);
  }

  /** Members whose sealer holds its AES set up now (the others set it up at their next datagram). */
  get sealersHeld(): number {
    return this.sealers.size;
  }

  /** Lets go of the AES of every sealer not used since the last sweep (done by itself, see HeldSealers). */
  sweepIdle(): void {
    this.sealers.sweep();
  }

  get publicKey(): Uint8Array {
    return this.key.publicKey;
  }

  get fingerprint(): string {
    return fingerprint(this.crypto, this.key.publicKey);
  }

  /** Checks the client's signature (over the cookie and the address it dialled) and makes the keys. */
  handshake(relayAddress: string, cookie: Buffer, auth: ClientAuth): HandshakeResult {
    const out = answerHandshake(this.crypto, this.key, { relayAddress, cookie }, auth);
    if (!out.ok) return { ok: false, reason: out.reason };
    // What a session keeps for its lifetime is copied into memory of its own: the keys here are views
    // into the Hello datagram, and a small Buffer is a slice of a shared 64 KiB pool (one kept slice
    // keeps its whole pool alive).
    const session = new RelaySession(this.crypto, out.sessionId, out.clientPublicKey, auth.ephemeralPublicKey, out.keys, { recent: this.recent, onSetUp: this.sealers.setUp });
    return { ok: true, session, welcomePrefix: welcomePrefix(session.id, out.reply) };
  }

  /** The first answer of a session (its Welcome, or why it is refused), sealed behind the relay's auth. */
  answer(s: RelaySession, prefix: Buffer, inner: Buffer): Buffer {
    const sealed = s.sealer.seal(prefix, inner);
    s.answer = ownBytes(sealed); // kept until the client's first sealed datagram: not in a shared pool
    return sealed;
  }

  seal(s: RelaySession, inner: Buffer): Buffer {
    this.sealers.event();
    return s.sealer.seal(s.prefix, inner);
  }

  /** A file chunk sealed for a member, in a BULK datagram. */
  sealBulk(s: RelaySession, inner: Buffer): Buffer {
    this.sealers.event();
    const prefix = Buffer.from(s.prefix);
    prefix[2] = BULK;
    return s.sealer.seal(prefix, inner);
  }

  /** The packet in a member's sealed (or BULK) datagram, or undefined when it does not open. A
   * packet that opens but does not decode throws ProtocolError, as any bad datagram does. */
  open(s: RelaySession, datagram: Buffer): Packet | undefined {
    const opened = s.opener.open(datagram, SEALED_PREFIX_BYTES);
    if (!opened.ok) return undefined;
    s.answer = undefined;
    return decodeInner(opened.payload, datagram[2] === BULK);
  }
}

/** The relay's key in `file`, made there on first start. A key in the store folder that cannot be
 * used is the store's problem (exit 7 in the CLI); elsewhere, the setup's. */
export async function relayKey(crypto: Crypto, file: string, store: string | undefined): Promise<SigningKey> {
  try {
    return (await loadRelayKey(crypto, file)).identity.signingKey;
  } catch (err) {
    if (!(err instanceof IdentityError)) throw err;
    const inStore = store !== undefined && path.resolve(path.dirname(file)) === path.resolve(store);
    throw new ChatError(inStore ? 'STORE' : 'BAD_OPTION', `The relay's key: ${err.message}`);
  }
}
