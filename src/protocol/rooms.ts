// Rooms (issue 11): one relay serves many named rooms. Their names, and the Rooms list's entries,
// as pure values and bytes. docs/PROTOCOL.md, "Rooms (issue 11)", is the prose version.
import { ProtocolError, type Reader, type Writer } from './bytes';
import type { RoomEntry } from './packets';
import { strLength } from './parts';

export type { RoomEntry } from './packets';

/** The room a Hello without a room extension joins, and the one the legacy bridge feeds. */
export const DEFAULT_ROOM = 'main';
/** Names starting so are direct messages between two device keys (dm.ts). */
export const DM_PREFIX = 'dm-';
export const MAX_ROOM_NAME_BYTES = 64;
const ROOM_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Why `name` cannot be a room's name, or undefined when it can. */
export function roomNameProblem(name: string): string | undefined {
  if (ROOM_NAME.test(name)) return undefined;
  return `"${name.slice(0, 80)}" cannot be a room name: 1 to 64 of a-z, 0-9, '.', '_' and '-' (lower case), starting with a letter or digit`;
}

export const isDmRoom = (name: string): boolean => name.startsWith(DM_PREFIX);

export enum RoomFlags {
  Sealed = 1,
  Dm = 2,
}


export const roomEntry = {
  encodingLength: (e: RoomEntry): number => strLength(e.name, MAX_ROOM_NAME_BYTES, 'room name') + 1 + 4 + 4,
  write(w: Writer, e: RoomEntry): void {
    w.text(e.name).u8(e.flags).u32(e.members).u32(e.headSeq);
  },
  read(r: Reader): RoomEntry {
    const name = r.str('room name', MAX_ROOM_NAME_BYTES);
    if (roomNameProblem(name)) throw new ProtocolError('Cannot decode Rooms (a room name that cannot be one)');
    return { name, flags: r.u8('flags'), members: r.u32('members'), headSeq: r.u32('headSeq') };
  },
};
