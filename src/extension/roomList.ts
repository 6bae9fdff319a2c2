// Rooms in the extension (issue 11), as plain values: which rooms this profile joined on which relay,
// which it muted, what the sidebar and the status bar count, what a panel's tab is titled, and where
// a room's history lives. No `vscode` and no sockets: the RoomHub keeps these and its tests read them.
import { createHash } from 'node:crypto';
import * as path from 'node:path';

/** The default room: what a Hello without a room extension joins (the chat before rooms). */
export const MAIN_ROOM = 'main';
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

import type { RoomInfo } from '../chat';
export type { RoomInfo };

/** A room this profile joined, kept in globalState so a restart rejoins it. */
export interface JoinedRoom {
  /** The relay's address as the user gave it (formatAddress). */
  relay: string;
  room: string;
  /** Made by this profile: rejoining may make it again (a relay without a store forgot it). */
  created?: boolean;
  /** A direct message: the other person's name and device key (base64url). */
  dm?: { peer: string; key: string };
}

/** What people type, made a room name: trimmed and lower-cased (the name rule is lower case). */
export function normalizeRoomName(typed: string): string {
  return typed.trim().toLowerCase();
}

/** Why `name` cannot be a room to create or join by name here, or undefined. */
export function roomNameProblem(name: string): string | undefined {
  if (!NAME.test(name)) return `"${name.slice(0, 80)}" cannot be a room name: 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit (what you type is lower-cased)`;
  if (name.startsWith('dm-')) return 'Room names starting with "dm-" are kept for direct messages: use "WhatsUDP: Direct Message..." for those.';
  return undefined;
}

/** The room's key in maps and in globalState: relay and room, which no room name can blur (no space). */
export const roomKey = (relay: string, room: string): string => `${relay.trim().toLowerCase()} ${room}`;

/** The joined list after joining `r` (once per relay and room; a newer entry replaces an older). */
export function withRoom(list: readonly JoinedRoom[], r: JoinedRoom): JoinedRoom[] {
  return [...list.filter((x) => roomKey(x.relay, x.room) !== roomKey(r.relay, r.room)), r];
}

export function withoutRoom(list: readonly JoinedRoom[], relay: string, room: string): JoinedRoom[] {
  return list.filter((x) => roomKey(x.relay, x.room) !== roomKey(relay, room));
}

/** Only well-formed entries: globalState may hold what an older or newer version wrote. */
export function joinedRooms(saved: unknown): JoinedRoom[] {
  if (!Array.isArray(saved)) return [];
  return saved.flatMap((x: unknown) => {
    const r = x as Partial<JoinedRoom> | null;
    if (!r || typeof r.relay !== 'string' || typeof r.room !== 'string' || !NAME.test(r.room) || r.room === MAIN_ROOM) return [];
    const dm = r.dm && typeof r.dm.peer === 'string' && typeof r.dm.key === 'string' ? { dm: { peer: r.dm.peer, key: r.dm.key } } : {};
    return [{ relay: r.relay, room: r.room, ...(r.created === true ? { created: true } : {}), ...dm }];
  });
}

/** The unread count the view badge and the status bar show: muted rooms are not counted. */
export function unreadTotal(rooms: readonly { room: string; unread: number }[], muted: ReadonlySet<string>): number {
  return rooms.reduce((sum, r) => sum + (muted.has(r.room) ? 0 : r.unread), 0);
}

/** A panel's tab title: the default room keeps the extension's name (as before rooms). */
export function panelTitle(room: string, dmPeer?: string): string {
  if (dmPeer !== undefined) return `DM ${dmPeer}`;
  return room === MAIN_ROOM ? 'WhatsUDP' : `WhatsUDP: ${room}`;
}

/** The folder of a room's history: beside the default room's (which stays where it always was), one
 * per relay and room, named by a hash so no name makes a path. */
export function roomHistoryDir(storageDir: string, relay: string, room: string): string {
  const id = createHash('sha256').update(roomKey(relay, room)).digest('hex').slice(0, 32);
  return path.join(storageDir, 'rooms', id);
}

/** The relay's rooms this profile has not joined, to offer in the sidebar (DMs of others are never
 * listed by the relay; one's own DMs show under Direct Messages once opened). */
export function otherRooms(list: readonly RoomInfo[], joined: ReadonlySet<string>): RoomInfo[] {
  return list.filter((r) => !r.dm && r.name !== MAIN_ROOM && !joined.has(r.name)).sort((a, b) => a.name.localeCompare(b.name));
}
