// The default room's key rotation in a store (issue 9). A sealed default room (`relay --sealed`, the
// extension's Start Server) keeps its first verifier in `room-verifier` (room-verifier.ts), which is
// what its invite link was made for; after a rotation the relay also writes DIR/room-rotation.json
// (0600): the current verifier, the older ones, who the last rekey kept, the admins and the epoch,
// so a restart neither lets the old link in again nor locks the kept members out. Other rooms keep
// the same in their room-info.json (store/room-info.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { equalBytes } from '../../protocol/crypto';
import { RotationState, type RoomGate } from './gate';
import { replaceFile } from './store/files';

export const MAIN_ROTATION_FILE = 'room-rotation.json';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** Writes the gate's rotation beside the store's default room (nothing before a rotation). */
export function saveMainRotation(storeDir: string, gate: RoomGate, fsync: boolean): void {
  const r = gate.rotation;
  if (!r) return;
  const json = { verifier: b64(gate.current), epoch: r.epoch, older: r.older.map(b64), kept: r.kept.map(b64), admins: r.admins.map(b64) };
  replaceFile(path.join(storeDir, MAIN_ROTATION_FILE), `${JSON.stringify(json)}\n`, fsync);
}

/** Puts the stored rotation back on the gate of the default room, whose first verifier it was made
 * with. Returns a notice when the file is there and cannot be used (then the gate is as it was made). */
export function loadMainRotation(storeDir: string, gate: RoomGate): string | undefined {
  const file = path.join(storeDir, MAIN_ROTATION_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `${file} cannot be read (${(err as Error).message}): the sealed room's key rotation is forgotten, so its first invite link works again.`;
  }
  const bad = `${file} is damaged: the sealed room's key rotation is forgotten, so its first invite link works again. Rotate the key again.`;
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const key = (v: unknown): Uint8Array => {
      const b = typeof v === 'string' ? Buffer.from(v, 'base64url') : Buffer.alloc(0);
      if (b.length !== 32) throw new Error('not a key');
      return Uint8Array.from(b);
    };
    const keys = (v: unknown): Uint8Array[] => {
      if (!Array.isArray(v)) throw new Error('not a list');
      return v.map(key);
    };
    const epoch = j.epoch;
    if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 1 || epoch > 0xffffffff) return bad;
    const older = keys(j.older);
    // Made for this room: its first verifier (the one the room was started with) is among the older ones.
    if (!older.some((v) => equalBytes(v, gate.current))) return `${file} is another sealed room's (its verifiers do not include this room's): it is ignored.`;
    const current = key(j.verifier);
    const state = new RotationState(epoch, older, keys(j.kept), keys(j.admins));
    gate.replace(current);
    gate.rotation = state;
    return undefined;
  } catch {
    return bad;
  }
}
