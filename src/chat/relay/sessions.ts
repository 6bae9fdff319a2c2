// The relay's side of protocol 2: its long-term key, the handshake it answers, and each member's
// session keys. A member's every datagram opens under its session or is dropped and counted; every
// datagram to it is sealed. Public-key work only ever follows a good cookie (relay.ts checks it first).
import path from 'node:path';
import { type Crypto, type SigningKey } from '../../protocol/crypto';
import { ownBytes } from '../../protocol/bytes';
import { fingerprint } from '../../protocol/fingerprint';
import { answerHandshake, type ClientAuth } from '../../protocol/handshake';
import { SessionOpener, SessionSealer } from '../../protocol/session-cipher';
import { decodeInner, SEALED_PREFIX_BYTES, sealedPrefix, welcomePrefix } from '../../protocol/v2';
import type { Packet } from '../../protocol/packets';
import { ChatError } from '../errors';
import { IdentityError, loadRelayKey } from '../identity';

export interface RelaySession {
  /** The session id, which is also the member's clientId on the wire. */
  readonly id: Buffer;
  readonly devicePublicKey: Uint8Array;
  /** The client's ephemeral key in this handshake: a Hello that repeats it is a retransmission. */
  readonly ephemeral: Buffer;
  readonly sealer: SessionSealer;
  readonly opener: SessionOpener;
  /** The clear prefix of every sealed datagram to it, made once: the fan-out seals one per member. */
  readonly prefix: Buffer;
  /** The Welcome (or Refused) sealed for this handshake, sent again to a retransmitted Hello until
   * the client's first sealed datagram shows it has the keys (then it is let go: ~200 bytes a member). */
  answer?: Buffer;
}

export type HandshakeResult = { ok: true; session: RelaySession; welcomePrefix: Buffer } | { ok: false; reason: string };

export class RelaySessions {
  constructor(
    private readonly crypto: Crypto,
    private readonly key: SigningKey,
  ) {}

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
    // What a session keeps for its lifetime gets memory of its own (ownBytes): a small Buffer is a
    // slice of a shared 64 KiB pool, and one kept slice keeps its whole pool alive.
    const session: RelaySession = {
      id: ownBytes(Buffer.from(out.sessionId)),
      devicePublicKey: out.clientPublicKey,
      ephemeral: ownBytes(Buffer.from(auth.ephemeralPublicKey)),
      sealer: new SessionSealer(this.crypto, out.keys.send),
      opener: new SessionOpener(this.crypto, out.keys.receive),
      prefix: ownBytes(sealedPrefix(out.sessionId)),
    };
    return { ok: true, session, welcomePrefix: welcomePrefix(session.id, out.reply) };
  }

  /** The first answer of a session (its Welcome, or why it is refused), sealed behind the relay's auth. */
  answer(s: RelaySession, prefix: Buffer, inner: Buffer): Buffer {
    s.answer = s.sealer.seal(prefix, inner);
    return s.answer;
  }

  seal(s: RelaySession, inner: Buffer): Buffer {
    return s.sealer.seal(s.prefix, inner);
  }

  /** The packet in a member's sealed datagram, or undefined when it does not open. A
   * packet that opens but does not decode throws ProtocolError, as any bad datagram does. */
  open(s: RelaySession, datagram: Buffer): Packet | undefined {
    const opened = s.opener.open(datagram, SEALED_PREFIX_BYTES);
    if (!opened.ok) return undefined;
    s.answer = undefined;
    return decodeInner(opened.payload);
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
