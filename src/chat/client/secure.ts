// The client's side of protocol 2: the handshake in its Hello, the relay's key checked against the
// pin for the address the user gave, and the session that seals every datagram to the relay and
// opens every one from it. Nothing from the relay is believed unless it opens under the session
// (the Retry's cookie and a NotJoined excepted: they are answers to "who are you", see SECURITY.md).
import type { Crypto } from '../../protocol/crypto';
import { displayFingerprint, fingerprint, parseFingerprint } from '../../protocol/fingerprint';
import { joinProof } from '../../protocol/sealed-room';
import { finishHandshake, startHandshake, type PendingHandshake, type RelayAuth } from '../../protocol/handshake';
import type { Hello, Packet } from '../../protocol/packets';
import { SessionOpener, SessionSealer } from '../../protocol/session-cipher';
import type { HelloExtensions } from '../../protocol/hello-extensions';
import { BULK, bulkPrefix, decodeInner, encodeHello, SEALED_PREFIX_BYTES, sealedPrefix, WELCOME_PREFIX_BYTES } from '../../protocol/v2';
import { RelayKeyChangedError, type ChatError } from '../errors';
import { RelayPins, type DeviceIdentity, type TextStore } from '../identity';
import type { Candidate } from './candidates';

export interface SecureOptions {
  crypto: Crypto;
  identity: DeviceIdentity;
  /** The relay as the user named it (HOST:PORT): what the handshake and the pin are bound to. */
  relayAddress: string;
  pins?: TextStore;
  acceptRelayKey?: string;
  /** A sealed room's secret: each Hello proves it, bound to that handshake (sealed-room.ts joinProof). */
  roomSecret?: Uint8Array;
  /** The fingerprints an invite link names: the relay's key must be one of them (before any pin). */
  relayFingerprints?: string[];
  /** Who named those fingerprints, for the refusal: 'its invite link' unless said (issue 15: 'the
   * relay that named it', for a failover relay learnt from a Relays packet). */
  keyFrom?: string;
  /** The room extensions every Hello with a cookie carries (rooms.ts helloExtensions). */
  extensions?: Omit<HelloExtensions, 'joinProof'>;
}

/** The security of a session with relay candidate `c`: the user's own relays are checked as the first
 * always was (pins, an invite's fingerprints, acceptRelayKey); a relay another one named (issue 15)
 * must present exactly the key it was named with, and match the pins too. */
export function candidateSecurity(c: Candidate, o: Omit<SecureOptions, 'relayAddress' | 'keyFrom'>, sessionId: Buffer): ClientSecurity {
  const named = c.key ? { relayFingerprints: [fingerprint(o.crypto, c.key)], keyFrom: 'the relay that named it', acceptRelayKey: undefined } : {};
  return new ClientSecurity({ ...o, relayAddress: c.where, ...named }, sessionId);
}

/** What a Welcome datagram came to. */
export type WelcomeOutcome =
  | { kind: 'ignored' } // not for our handshake, or it did not check out (counted)
  | { kind: 'packet'; packet: Packet } // the Welcome or Refused inside: the session is in place
  | { kind: 'refused'; error: ChatError }; // the relay's key is not the one pinned for its address

/** Handshakes kept waiting for their Welcome (each costs a signature check when a Welcome comes). */
const MAX_PENDING = 4;
/** Sealed datagrams held while a Welcome's key is checked (a Relays, the first of a backfill). */
const MAX_HELD = 64;

export class ClientSecurity {
  /** Datagrams from the relay's address that did not open (forged, tampered, replayed): dropped. */
  unauthenticated = 0;
  /** Handshakes sent and not yet answered, newest last, one per cookie: a Retry is not authenticated,
   * so a forged one must not throw away the handshake the relay is answering. */
  private pending: { cookie: Buffer; hs: PendingHandshake }[] = [];
  private sealer: SessionSealer | undefined;
  private opener: SessionOpener | undefined;
  private readonly prefix: Buffer;
  private readonly bulkPrefix: Buffer;
  /** Relay keys this client has checked against the pins, so a rejoin does not read the file again. */
  private trusted: Uint8Array | undefined;
  /** Welcomes whose relay key is being checked (the pin file is read), and the sealed datagrams that
   * came meanwhile: the relay sends the next ones (its Relays, issue 15) right after the Welcome, under
   * the session the Welcome brings. Held, not dropped, to be tried again once it is in place. */
  private checking = 0;
  private held: Buffer[] = [];

  constructor(
    private readonly o: SecureOptions,
    readonly sessionId: Buffer,
  ) {
    this.prefix = sealedPrefix(sessionId);
    this.bulkPrefix = bulkPrefix(sessionId);
  }

  /** The Hello to send: with a cookie, it carries the handshake. A Hello sent again with the same
   * cookie repeats the same handshake, so the relay can answer it with the Welcome it already made. */
  hello(h: Hello): Buffer {
    if (h.cookie.length === 0) return encodeHello(h);
    let p = this.pending.find((q) => q.cookie.equals(h.cookie));
    if (!p) {
      p = { cookie: Buffer.from(h.cookie), hs: startHandshake(this.o.crypto, this.o.identity.signingKey, { relayAddress: this.o.relayAddress, cookie: h.cookie }, this.sessionId) };
      this.pending.push(p);
      if (this.pending.length > MAX_PENDING) this.pending.shift();
    }
    const { roomSecret, crypto } = this.o;
    // Signed over the client's half of this handshake: the relay can check it, not reuse it elsewhere.
    const proof = roomSecret ? joinProof(crypto, roomSecret, p.hs.helloHash, this.o.identity.signingKey.publicKey) : undefined;
    return encodeHello(h, { relayAddress: this.o.relayAddress, client: p.hs.hello, ...this.o.extensions, ...(proof ? { joinProof: proof } : {}) });
  }

  /** A packet sealed for the relay; undefined before the first Welcome (nothing else is sent then). */
  seal(packet: Buffer): Buffer | undefined {
    return this.sealer?.seal(this.prefix, packet);
  }

  /** A file chunk sealed for the relay in a BULK datagram; undefined before the first Welcome. */
  sealBulk(packet: Buffer): Buffer | undefined {
    return this.sealer?.seal(this.bulkPrefix, packet);
  }

  /** The packet in a sealed datagram from the relay, or undefined (counted, or held while a Welcome
   * is checked) if it does not open. */
  open(datagram: Buffer, sessionId: Buffer): Packet | undefined {
    const opened = this.opener && sessionId.equals(this.sessionId) ? this.opener.open(datagram, SEALED_PREFIX_BYTES) : undefined;
    if (!opened?.ok) {
      if (this.checking > 0 && this.held.length < MAX_HELD) this.held.push(Buffer.from(datagram));
      else this.unauthenticated++;
      return undefined;
    }
    return decodeInner(opened.payload, datagram[2] === BULK);
  }

  /** A Welcome datagram: the relay's half of the handshake, its key against the pin, then the
   * packet sealed inside under the new keys. Only then does the session replace the old one. */
  async welcome(datagram: Buffer, sessionId: Buffer, relay: RelayAuth): Promise<WelcomeOutcome> {
    if (!sessionId.equals(this.sessionId)) return this.ignore();
    let done: ReturnType<typeof finishHandshake> | undefined;
    for (let i = this.pending.length - 1; i >= 0 && !done?.ok; i--) done = finishHandshake(this.o.crypto, this.pending[i].hs, relay);
    if (!done?.ok) return this.ignore();
    const opener = new SessionOpener(this.o.crypto, done.keys.receive);
    const opened = opener.open(datagram, WELCOME_PREFIX_BYTES);
    if (!opened.ok) return this.ignore();
    const packet = decodeInner(opened.payload);
    let problem: ChatError | undefined;
    this.checking++;
    try {
      problem = await this.checkPin(done.relayPublicKey);
    } finally {
      this.checking--;
    }
    if (problem) return { kind: 'refused', error: problem };
    if (this.sealer && this.pending.length === 0) return { kind: 'ignored' }; // another copy was first
    this.pending = []; // a later join makes a new handshake
    this.sealer = new SessionSealer(this.o.crypto, done.keys.send);
    this.opener = opener;
    return { kind: 'packet', packet };
  }

  /** The datagrams held while Welcomes were checked, to be tried again now that none is (empty while
   * one still is). */
  takeHeld(): Buffer[] {
    if (this.checking > 0) return [];
    const held = this.held;
    this.held = [];
    return held;
  }

  private ignore(): WelcomeOutcome {
    this.unauthenticated++;
    return { kind: 'ignored' };
  }

  /** Trust on first use, per address, as SSH's known_hosts; a changed key is refused with both
   * fingerprints unless the user named the new one (acceptRelayKey), which then replaces the pin. */
  private async checkPin(key: Uint8Array): Promise<ChatError | undefined> {
    const { crypto, pins, relayAddress, acceptRelayKey, relayFingerprints, keyFrom } = this.o;
    if (this.trusted && Buffer.from(this.trusted).equals(key)) return undefined;
    const presented = fingerprint(crypto, key);
    // An invite link names the relay's key: as if pinned before the first contact, so even a first
    // contact with another key is refused (exit 8), and the TOFU pin below is checked as well.
    if (relayFingerprints?.length && !relayFingerprints.includes(presented) && parseFingerprint(acceptRelayKey ?? '') !== presented) {
      const message = keyFrom
        ? `The relay at ${relayAddress} presents another key than the one ${keyFrom} names.\n` +
          `  named:     ${displayFingerprint(relayFingerprints[0])}\n` +
          `  presented: ${displayFingerprint(presented)}\n` +
          'Someone may be impersonating the relay, or another relay has its address now. This relay is not joined.'
        : `The relay at ${relayAddress} presents another key than the one its invite link names.\n` +
          `  in the link: ${displayFingerprint(relayFingerprints[0])}\n` +
          `  presented:   ${displayFingerprint(presented)}\n` +
          'Someone may be impersonating the relay, or the link is for another relay at this address. Ask whoever gave you the link.';
      return new RelayKeyChangedError(message, relayAddress, relayFingerprints[0], presented);
    }
    if (!pins) {
      this.trusted = key;
      return undefined;
    }
    const known = new RelayPins((await pins.get()) ?? '');
    const check = known.check(crypto, relayAddress, key);
    if (check.kind === 'changed' && parseFingerprint(acceptRelayKey ?? '') !== presented) {
      const hint = `If the relay's owner confirms the new key is ${displayFingerprint(presented)}, connect with --accept-relay-key ${presented}.`;
      return new RelayKeyChangedError(`${check.message}\n${hint}`, relayAddress, check.pinned, presented);
    }
    if (check.kind !== 'match') {
      known.pin(relayAddress, key);
      await pins.set(known.toText());
    }
    this.trusted = key;
    return undefined;
  }
}
