// A sealed room's gate (issue 9): the relay keeps only the room's verifier, never its secret, and lets
// in a member whose Hello carries a join proof that checks against it. The door asks only after the
// cookie and the handshake checked out, so a stranger costs it no signature check here.
import type { Crypto } from '../../protocol/crypto';
import { clientHelloHash } from '../../protocol/handshake';
import { checkJoinProof } from '../../protocol/sealed-room';
import type { HelloAuth } from '../../protocol/v2';
import { ChatError } from '../errors';

export type GateVerdict = { ok: true } | { ok: false; detail: string };

/** What a member without the link is told (Refused, reason Sealed); `whatsudp chat` exits 6 with it. */
export const SEALED_DETAIL = 'this room is sealed: you need its invite link';
export const WRONG_SECRET_DETAIL = "this room is sealed, and your invite link is not this room's: ask for its link again";

export class RoomGate {
  private verifier: Uint8Array;

  constructor(
    private readonly crypto: Crypto,
    verifier: Uint8Array,
  ) {
    this.verifier = RoomGate.checked(verifier);
  }

  /** The room's verifier now (persisted in a store's room.json). */
  get current(): Uint8Array {
    return this.verifier;
  }

  /** A new verifier (the room's key was rotated, issue 9): proofs from then on must check against it. */
  replace(verifier: Uint8Array): void {
    this.verifier = RoomGate.checked(verifier);
  }

  private static checked(verifier: Uint8Array): Uint8Array {
    if (verifier.length !== 32) throw new ChatError('BAD_OPTION', `A sealed room's verifier is 32 bytes, not ${verifier.length}.`);
    return Uint8Array.from(verifier);
  }

  /** Whether the Hello proves the room's secret for this very handshake (its cookie, address,
   * session, device and ephemeral key), so a proof seen once cannot be used in another. */
  admits(auth: HelloAuth, cookie: Uint8Array): GateVerdict {
    if (!auth.joinProof) return { ok: false, detail: SEALED_DETAIL };
    const helloHash = clientHelloHash(this.crypto, { relayAddress: auth.relayAddress, cookie }, auth.client);
    if (!checkJoinProof(this.crypto, this.verifier, helloHash, auth.client.devicePublicKey, auth.joinProof)) return { ok: false, detail: WRONG_SECRET_DETAIL };
    return { ok: true };
  }
}
