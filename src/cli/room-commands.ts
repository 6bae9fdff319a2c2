// The room commands of `whatsudp chat` (issue 11): /rooms, /join, /create, /dm, /leave, carried out
// on the relay the chat is on. Each says on stderr what it did or why it could not; a command that
// could not do what it asked counts as a line not sent (exit 5), as an unknown command does.
import { ChatError, formatAddress, normalizeName, type RoomInfo } from '../chat';
import { openDm } from '../chat/dm';
import { pinAddress } from '../chat/identity';
import { nodeCrypto } from '../protocol/crypto';
import { dmRoomName } from '../protocol/dm';
import type { Invite } from '../protocol/invite';
import { isDmRoom } from '../protocol/rooms';
import { newRoomSecret } from '../protocol/sealed-room';
import type { RoomCommand } from './commands';
import { escapeName } from './format';
import type { JoinedRoom, RoomSpec } from './room-view';
import { identityOf, knownMembers, memberKey, pinnedFingerprint, printInvite, type RoomsChat } from './rooms-chat';
import { rotate } from './rotate-command';
import { errorLine } from './session';

/** Carries out one room command; false when it could not (said on stderr). */
export async function runRoomCommand(chat: RoomsChat, c: RoomCommand): Promise<boolean> {
  const say = (text: string): void => chat.io.err(text);
  switch (c.kind) {
    case 'rooms':
      return listRooms(chat);
    case 'join': {
      const joined = chat.find(c.room);
      if (joined) return goTo(chat, joined);
      if (c.invite) return joinByLink(chat, c.invite);
      if (isDmRoom(c.room)) {
        const peer = (await dmPeers(chat)).get(c.room);
        if (peer) return openDirect(chat, peer.name, peer.key);
        say(`whatsudp: ${c.room} is a direct message with no one this device has seen: "/dm NAME" opens yours with someone`);
        return false;
      }
      return enter(chat, { room: c.room });
    }
    case 'create': {
      if (chat.find(c.room)) return goTo(chat, chat.find(c.room)!);
      const spec: RoomSpec = { room: c.room, create: true, ...(c.sealed ? { roomSecret: newRoomSecret(nodeCrypto) } : {}) };
      if (!(await enter(chat, spec))) return false;
      if (!c.sealed) return true;
      const made = chat.current;
      if (await sealedInvite(chat, made)) return true;
      await chat.drop(made, true);
      chat.io.err(`* left ${made.name}; lines go to ${escapeName(chat.current.label)}`);
      return false;
    }
    case 'dm':
      return openDirect(chat, c.who);
    case 'rotate':
      return rotate(chat, c.remove, c.admin);
    case 'leave': {
      const room = c.room === undefined ? chat.current : chat.find(c.room);
      if (!room) return (say(`whatsudp: you are not in room ${c.room ?? ''}`), false);
      if (chat.rooms.length === 1) return (say('whatsudp: this is the only room you are in: end the chat with Ctrl-D (end of input) or Ctrl-C'), false);
      const undelivered = await room.settle(chat.args.waitMs);
      const wasCurrent = room === chat.current;
      await chat.drop(room, true);
      say(`* left ${escapeName(room.label)}${wasCurrent ? `; lines go to ${escapeName(chat.current.label)} now` : ''}`);
      return undelivered === 0;
    }
    default: {
      const _exhaustive: never = c;
      return _exhaustive;
    }
  }
}

/** A sealed room's link names its relay: this chat joins rooms of its own relay only (a link to
 * another is for `chat --invite`). The link's fingerprints are checked as --invite checks them. */
async function joinByLink(chat: RoomsChat, invite: Invite): Promise<boolean> {
  const here = pinAddress(formatAddress(chat.args.server));
  if (!invite.relays.some((a) => pinAddress(formatAddress(a)) === here)) {
    chat.io.err(`whatsudp: that link is for the relay at ${invite.relays.map(formatAddress).join(', ')}, and this chat is on ${here}: join it with whatsudp chat --invite LINK`);
    return false;
  }
  // Said here rather than found by the join: a changed relay key ends the whole chat (exit 8).
  const pinned = await pinnedFingerprint(chat.args);
  if (pinned && invite.fingerprints.length > 0 && !invite.fingerprints.includes(pinned)) {
    chat.io.err(`whatsudp: that link names another key than the one of the relay at ${here} (${pinned.slice(0, 16)}...): it is not this relay's room, or the relay is not who it says`);
    return false;
  }
  return enter(chat, { room: invite.room, roomSecret: invite.secret, relayFingerprints: invite.fingerprints });
}


function goTo(chat: RoomsChat, room: JoinedRoom): boolean {
  if (room === chat.current) chat.io.err(`* you are in ${escapeName(room.label)} already; lines go there`);
  else {
    chat.focus(room);
    chat.io.err(`* lines go to ${escapeName(room.label)} now`);
  }
  return true;
}

/** Joins a room and makes it current; a refusal puts the lines back where they went. */
async function enter(chat: RoomsChat, spec: RoomSpec): Promise<boolean> {
  const before = chat.current;
  const room = chat.enter(spec);
  chat.focus(room);
  try {
    await room.client.start();
    return true;
  } catch (err) {
    await chat.drop(room, false);
    if (chat.current !== before && chat.rooms.includes(before)) chat.focus(before);
    const what = spec.peer !== undefined ? `a direct message with ${escapeName(spec.peer)}` : `room ${spec.room}`;
    const hint = !spec.roomSecret && err instanceof ChatError && err.code === 'REFUSED' && /sealed/.test(err.message) ? '; /join LINK joins it with its invite link' : '';
    chat.io.err(`whatsudp: cannot join ${what}: ${errorLine(err).replace(/^whatsudp: /, '')} (lines still go to ${escapeName(chat.current.label)}${hint})`);
    return false;
  }
}


/** /dm NAME: the member of the current room of that name (one device key), or the one key seen under
 * that name on this device (the relay passes on their X25519 key if they ever joined it), in a DM
 * room of you two. `knownKey`: the key already (a DM room found in /rooms). */
async function openDirect(chat: RoomsChat, typed: string, knownKey?: string): Promise<boolean> {
  const say = (text: string): void => chat.io.err(text);
  const who = normalizeName(typed) ?? typed;
  const here = chat.current;
  const key = knownKey ?? (await memberKey(chat, who, true));
  if (key === undefined) return false;
  let opts;
  try {
    opts = await openDm(here.client, await identityOf(chat.args), Buffer.from(key, 'base64url'), nodeCrypto);
  } catch (err) {
    if (!(err instanceof ChatError)) throw err;
    say(`whatsudp: cannot open a direct message with ${escapeName(who)}: ${errorLine(err).replace(/^whatsudp: /, '')}`);
    return false;
  }
  const joined = chat.find(opts.room);
  if (joined) return goTo(chat, joined);
  return enter(chat, { ...opts, peer: who });
}

/** The DM rooms this device could have with the members it sees, by room name. */
async function dmPeers(chat: RoomsChat): Promise<Map<string, { name: string; key: string }>> {
  const me = await identityOf(chat.args);
  const mine = Buffer.from(me.publicKey).toString('base64url');
  const out = new Map<string, { name: string; key: string }>();
  const seen = await knownMembers(chat.args);
  const keys = [
    ...seen.names().flatMap((name) => seen.keysOf(nodeCrypto, name).map((k) => ({ name, key: Buffer.from(k.key).toString('base64url') }))),
    ...chat.rooms.flatMap((r) => r.client.members).flatMap((m) => (m.key ? [{ name: m.name, key: m.key }] : [])), // the name they have now wins
  ];
  for (const k of keys) if (k.key !== mine) out.set(dmRoomName(nodeCrypto, me.publicKey, Buffer.from(k.key, 'base64url')), k);
  return out;
}

export interface RoomRow {
  label: string;
  sealed: boolean;
  members: number;
  unread: number;
  state: 'current' | 'joined' | 'not joined';
}

/** /rooms as lines: one room a line, the current one first. */
export function roomsLines(relay: string, rows: RoomRow[]): string[] {
  const order = { current: 0, joined: 1, 'not joined': 2 } as const;
  const sorted = [...rows].sort((a, b) => order[a.state] - order[b.state] || a.label.localeCompare(b.label));
  const width = Math.max(...sorted.map((r) => r.label.length + (r.sealed ? 3 : 0)), 4);
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return [
    `rooms on ${relay} (${rows.length}):`,
    ...sorted.map((r) => `  ${(escapeName(r.label) + (r.sealed ? ' 🔒' : '')).padEnd(width)}  ${plural(r.members, 'member').padEnd(11)}  ${`${r.unread} unread`.padEnd(10)}  ${r.state}`),
  ];
}

async function listRooms(chat: RoomsChat): Promise<boolean> {
  let list: RoomInfo[];
  try {
    list = await chat.current.client.rooms();
  } catch (err) {
    chat.io.err(`whatsudp: cannot list the rooms: ${errorLine(err).replace(/^whatsudp: /, '')}`);
    return false;
  }
  const peers = list.some((r) => r.dm) ? await dmPeers(chat) : new Map<string, { name: string }>();
  const rows = list.map((info): RoomRow => {
    const joined = chat.rooms.find((r) => r.name === info.name);
    const peer = peers.get(info.name);
    const label = joined?.label ?? (info.dm && peer ? `dm ${peer.name}` : info.name);
    const looked = joined === chat.current ? info.headSeq : (joined?.looked ?? chat.looked.get(info.name) ?? 0);
    return { label, sealed: info.sealed, members: info.members, unread: Math.max(0, info.headSeq - looked), state: joined === chat.current ? 'current' : joined ? 'joined' : 'not joined' };
  });
  roomsLines(formatAddress(chat.args.server), rows).forEach((l) => chat.io.err(l));
  return true;
}

/** A sealed room this chat made: its invite link, once, on stderr (the relay keeps no copy of the
 * secret). False, said, when the relay had an open room of that name already: a create of an existing
 * room is a join, and lines sealed with a key nobody else has would reach no one. */
export async function sealedInvite(chat: RoomsChat, room: JoinedRoom, print = true): Promise<boolean> {
  const { io } = chat;
  const secret = room.spec.roomSecret;
  if (!secret) return false;
  const info = (await room.client.rooms().catch(() => undefined))?.find((r) => r.name === room.name);
  if (info && !info.sealed) {
    if (!print) io.err(`whatsudp: the relay's room ${room.name} is open, not a passphrase room: nothing was sent (a room's kind never changes); choose another name`);
    else io.err(`whatsudp: the relay has an open room ${room.name} already: it was joined, not made sealed (a room's kind never changes); choose another name`);
    return false;
  }
  if (!print) return true; // a passphrase room: its members have the passphrase, not a link
  await printInvite(chat, room.name, secret);
  io.err(`* give it only to those who should read ${room.name}: anyone holding it can join and read; it is shown only now, and the relay keeps no copy`);
  return true;
}
