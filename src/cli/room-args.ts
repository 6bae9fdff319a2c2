// `whatsudp chat`'s room flags (issue 11): --room NAME, --create, --sealed, --passphrase-file, checked against each
// other and against --invite and --legacy, so a mistake is one line and exit 2 before anything starts.
import { readFileSync } from 'node:fs';
import { passphraseProblem } from '../chat/passphrase';
import { DEFAULT_ROOM, isDmRoom, roomNameProblem } from '../protocol/rooms';
import type { Invite } from '../protocol/invite';
import { typedRoom } from './commands';

export interface RoomArgs {
  /** The room to join first: --room (lower-cased), the invite's room, or the relay's default room. */
  room: string;
  /** --create: make the room if the relay has none of that name. */
  create: boolean;
  /** --sealed (with --create): this chat makes the room's secret and prints its invite link. */
  sealed: boolean;
  /** What was made of --room, for stderr (it was lower-cased). */
  note?: string;
}

/** The room flags' meaning, or the sentence of a UsageError (thrown by the caller, which owns it). */
export function roomArgs(v: { room?: string; create: boolean; sealed: boolean; legacy: boolean }, invite: Invite | undefined): RoomArgs | { error: string } {
  const { create, sealed, legacy } = v;
  if (legacy && (v.room !== undefined || create || sealed)) return { error: `${v.room !== undefined ? '--room' : create ? '--create' : '--sealed'} is for WhatsUDP relays: the original chat has one room` };
  if (sealed && !create) return { error: '--sealed makes a new room: give it with --create --room NAME (to join a sealed room, use --invite LINK)' };
  if (invite && (create || sealed)) return { error: `--invite joins the link's room; ${create ? '--create' : '--sealed'} makes a new one: give one or the other` };
  if (v.room === undefined) {
    if (create) return { error: '--create needs --room NAME: the room to make' };
    // A link may spell a room in capitals or with "~": no relay has such a room.
    if (invite && roomNameProblem(invite.room)) return { error: `--invite: ${roomNameProblem(invite.room) ?? ''}` };
    return { room: invite?.room ?? DEFAULT_ROOM, create, sealed };
  }
  const typed = typedRoom(v.room);
  if ('error' in typed) return { error: `--room: ${typed.error}` };
  const { room } = typed;
  if (isDmRoom(room)) return { error: `--room: names starting "dm-" are direct messages: "/dm NAME" in a chat opens one` };
  if (invite && invite.room !== room) return { error: `--room ${room} is not the invite's room (${invite.room})` };
  if (create && room === DEFAULT_ROOM) return { error: `--create: ${DEFAULT_ROOM} is the relay's default room, there already` };
  const note = room !== v.room ? `room names are lower case: joining ${room}` : undefined;
  return { room, create, sealed, ...(note ? { note } : {}) };
}

/** --passphrase-file's passphrase (the file's text, its last line end dropped), read and checked, or the
 * sentence of a UsageError saying what is wrong. */
export function passphraseOf(file: string | undefined, v: { invite: boolean; sealed: boolean; legacy: boolean; room: string | undefined }): { passphrase?: string } | { error: string } {
  if (file === undefined) return {};
  if (file === '') return { error: '--passphrase-file needs a file name' };
  if (v.invite || v.sealed || v.legacy) return { error: `--passphrase-file derives a room's secret from a passphrase; ${v.invite ? '--invite carries the secret' : v.sealed ? '--sealed makes a random one' : '--legacy has no sealed rooms'}: give one or the other` };
  if (v.room === undefined) return { error: "--passphrase-file needs --room NAME: the room's name is part of what the passphrase is mixed with" };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { error: `--passphrase-file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  const passphrase = text.replace(/\r?\n$/, '');
  const problem = passphraseProblem(passphrase);
  return problem ? { error: `--passphrase-file: ${problem}` } : { passphrase };
}
