// A sealed room's key rotation at the relay (issue 9): the relay reads a rekey (protocol/rekey.ts, a
// message it can read: not content-sealed), checks that its sender is the room's creator or an admin
// it named, and once it is sequenced: proofs must check against the new verifier, a member the rekey
// keeps may still prove an older one (it may have been offline, and must be able to join to read
// the rekey), and everyone else is dropped (Refused, reason Removed). The relay never sees a secret.
import { equalBytes } from '../../protocol/crypto';
import { parseRekey, rekeySigned, type RekeyFields } from '../../protocol/rekey';
import { RotationState, type RoomGate } from './gate';

/** Who may rotate: the room's creator (room-host.ts RoomOwners); a DM room is never rotated. */
interface Owners {
  creator?: Uint8Array;
  dmKeys?: Uint8Array;
}

export const NOT_ALLOWED_DETAIL = "only the room's creator or its admins rotate its key";

export type RekeyVerdict = { ok: true; fields: RekeyFields } | { ok: false; detail: string };

/** Whether `author` (its session's device key) may send this rekey to this room. */
export function checkRekey(gate: RoomGate | undefined, owners: Owners, author: Uint8Array | undefined, text: string, room: string): RekeyVerdict {
  if (!gate) return { ok: false, detail: 'an open room has no key to rotate' };
  if (owners.dmKeys) return { ok: false, detail: "a direct message's key is made from its two members' keys: it is not rotated" };
  const admins = gate.rotation?.admins ?? [];
  const allowed = author !== undefined && ((owners.creator !== undefined && equalBytes(owners.creator, author)) || admins.some((a) => equalBytes(a, author)));
  if (!allowed) return { ok: false, detail: NOT_ALLOWED_DETAIL };
  const fields = parseRekey(text);
  if (!fields) return { ok: false, detail: 'a key change that is not one (its fields do not decode)' };
  if (!fields.proof || !gate.provesRekey(rekeySigned(room, fields), fields.proof)) return { ok: false, detail: "a key change not proven with the room's current key" };
  if (fields.epoch <= (gate.rotation?.epoch ?? 0)) return { ok: false, detail: `the room's key changed meanwhile (epoch ${gate.rotation?.epoch ?? 0}): read the room and rotate again` };
  return { ok: true, fields };
}

/** The gate after a sequenced rekey: the new verifier, the old ones for the kept, and the admins:
 * only the creator names them (a creator's rekey that names none, and an admin's, leave the list as
 * it was), and an admin the rekey does not keep is one no more. */
export function rotate(gate: RoomGate, fields: RekeyFields, byCreator: boolean): void {
  const before = gate.rotation;
  const older = [...(before?.older ?? []), gate.current];
  const kept = fields.keep.map((k) => k.key);
  const named = byCreator && fields.admins?.length ? fields.admins : (before?.admins ?? []);
  const admins = named.filter((a) => kept.some((k) => equalBytes(k, a)));
  gate.rotation = new RotationState(fields.epoch, older, kept, admins);
  gate.replace(fields.verifier);
}
