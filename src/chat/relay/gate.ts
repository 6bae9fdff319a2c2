// A sealed room's gate (issue 9): the relay keeps only the room's verifier, never its secret, and lets
// in a member whose Hello carries a join proof that checks against it. The door asks only after the
// cookie and the handshake checked out, so a stranger costs it no signature check here.
import { equalBytes, type Crypto } from '../../protocol/crypto';
import { clientHelloHash } from '../../protocol/handshake';
import { checkJoinProof, checkRekeyProof } from '../../protocol/sealed-room';
import type { HelloAuth } from '../../protocol/v2';
import { ChatError } from '../errors';
import { RefuseReason } from '../../protocol/packets';

/** A refusal's reason is Sealed unless it says otherwise (Removed: the key was rotated without this member). */
export type GateVerdict = { ok: true } | { ok: false; detail: string; reason?: RefuseReason };

/** What a member without the link is told (Refused, reason Sealed); `whatsudp chat` exits 6 with it. */
export const SEALED_DETAIL = 'this room is sealed: you need its invite link';
export const WRONG_SECRET_DETAIL = "this room is sealed, and your invite link is not this room's: ask for its link again";

/** What a rotation (issue 9, rekey.ts) leaves the gate with. */
export class RotationState {
  constructor(
    /** The last rekey's epoch: the next must be later. */
    readonly epoch: number,
    /** Every verifier before the current one. */
    readonly older: Uint8Array[],
    /** The device keys the last rekey kept. */
    readonly kept: Uint8Array[],
    /** Device keys besides the creator that may rotate. */
    readonly admins: Uint8Array[],
  ) {}

  keeps(device: Uint8Array): boolean {
    return this.kept.some((k) => equalBytes(k, device));
  }
}

export const REMOVED_DETAIL = 'you were removed from this sealed room';

export class RoomGate {
  private verifier: Uint8Array;
  /** After a rotation (issue 9, rekey.ts): the verifiers before it, which admit the kept members only. */
  rotation: RotationState | undefined;

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

  /** Whether a rekey's proof is the current secret's (sealed-room.ts rekeyProof): its author holds the key it replaces. */
  provesRekey(signed: Uint8Array, proof: Uint8Array): boolean {
    return checkRekeyProof(this.crypto, this.verifier, signed, proof);
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
    const device = auth.client.devicePublicKey;
    if (checkJoinProof(this.crypto, this.verifier, helloHash, device, auth.joinProof)) return { ok: true };
    // An older secret: a member kept by the last rotation may still join with it (and read the rekey).
    const r = this.rotation;
    if (r?.older.some((v) => checkJoinProof(this.crypto, v, helloHash, device, auth.joinProof!))) {
      return r.keeps(device) ? { ok: true } : { ok: false, detail: REMOVED_DETAIL, reason: RefuseReason.Removed };
    }
    return { ok: false, detail: WRONG_SECRET_DETAIL };
  }
}
