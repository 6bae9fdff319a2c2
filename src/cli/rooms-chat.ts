// The rooms one `whatsudp chat` is in (issue 11), which one its lines go to, and what it reads of
// this device's files for them: its identity (for DMs) and the key pinned for its relay (for links).
import path from 'node:path';
import { formatAddress } from '../chat';
import { FileStore, loadOrCreateIdentity, MemberPins, pinAddress, RelayPins, type DeviceIdentity } from '../chat/identity';
import { nodeCrypto } from '../protocol/crypto';
import { fingerprint } from '../protocol/fingerprint';
import { formatInvite } from '../protocol/invite';
import type { Keyring } from '../chat/identity/keyring';
import type { ChatArgs } from './args';
import { escapeName } from './format';
import { JoinedRoom, type RoomHost, type RoomSpec } from './room-view';
import { bounded, type Io } from './session';

/** The rooms a chat is in, and which one its lines go to. */
export class RoomsChat {
  rooms: JoinedRoom[] = [];
  current!: JoinedRoom;
  /** For rooms left: the newest seq read there, so /rooms counts what came since. */
  readonly looked = new Map<string, number>();
  /** Who opened a DM with this device, by name (the relay's DmOpened): /dm NAME finds them there too. */
  readonly openedBy = new Map<string, string>();
  /** Sealed rooms' secrets by epoch (identity/keyring.ts), shared by every room of the chat. */
  keyring?: Keyring;

  constructor(
    readonly args: ChatArgs,
    readonly io: Io,
    private readonly host: RoomHost,
  ) {}

  enter(spec: RoomSpec): JoinedRoom {
    const room = new JoinedRoom(this.args, spec, this.io, this.host, this.keyring);
    this.rooms.push(room);
    return room;
  }

  /** Makes `room` the one lines go to; what it printed so far counts as read. */
  focus(room: JoinedRoom): void {
    this.current = room;
    room.looked = room.printedSeq;
  }

  async drop(room: JoinedRoom, leave: boolean): Promise<void> {
    this.rooms = this.rooms.filter((r) => r !== room);
    this.looked.set(room.name, room.looked);
    if (this.current === room && this.rooms.length > 0) this.focus(this.rooms[0]);
    await bounded(room.client.close({ leave }), 2000);
  }

  find(name: string): JoinedRoom | undefined {
    return this.rooms.find((r) => r.name === name || r.label === name);
  }
}

export function identityOf(args: ChatArgs): Promise<DeviceIdentity> {
  return loadOrCreateIdentity(nodeCrypto, new FileStore(args.identity)).then((x) => x.identity);
}

/** The fingerprint of the key pinned for the chat's relay (known_relays beside the identity). */
export async function pinnedFingerprint(args: ChatArgs): Promise<string | undefined> {
  const pins = new FileStore(path.join(path.dirname(args.identity), 'known_relays'));
  const key = new RelayPins((await pins.get().catch(() => undefined)) ?? '').key(pinAddress(formatAddress(args.server)));
  return key ? fingerprint(nodeCrypto, key) : undefined;
}

/** The keys seen under each name on this device (known_members beside the identity, `chat` pins
 * every member it meets): who a direct message can be opened with while they are away. */
export async function knownMembers(args: ChatArgs): Promise<MemberPins> {
  const store = new FileStore(path.join(path.dirname(args.identity), 'known_members'));
  return new MemberPins((await store.get().catch(() => undefined)) ?? '');
}

/** The device key (base64url) of the one member of the current room named `who`, not this device;
 * with `away`, else of the one key seen under that name on this device. Undefined, said, when no one
 * or several devices have that name. */
export async function memberKey(chat: RoomsChat, who: string, away = false): Promise<string | undefined> {
  const here = chat.current;
  const mine = Buffer.from((await identityOf(chat.args)).publicKey).toString('base64url');
  const others = here.client.members.filter((m) => m.id !== here.client.clientId && m.key !== mine);
  const named = others.filter((m) => m.name === who);
  let keys = [...new Set(named.map((m) => m.key).filter((k): k is string => k !== undefined))];
  let fps = named.map((m) => m.fingerprint?.slice(0, 8) ?? '?');
  const opened = chat.openedBy.get(who);
  if (keys.length === 0 && away && opened !== undefined) return opened; // they just opened a DM with us
  const seen = keys.length === 0 && away ? (await knownMembers(chat.args)).keysOf(nodeCrypto, who).filter((k) => Buffer.from(k.key).toString('base64url') !== mine) : [];
  if (seen.length > 0) {
    keys = seen.map((k) => Buffer.from(k.key).toString('base64url'));
    fps = seen.map((k) => k.fingerprint.slice(0, 8));
    if (keys.length === 1) chat.io.err(`* ${escapeName(who)} is not in ${escapeName(here.label)} now: the key seen under that name on this device is ${fps[0]}...`);
  }
  if (keys.length === 0) {
    const names = [...new Set(others.map((m) => escapeName(m.name)))].slice(0, 10);
    const elsewhere = away ? ', and no one of that name has been seen on this device' : '';
    chat.io.err(`whatsudp: no one named "${escapeName(who)}" is in ${escapeName(here.label)}${names.length ? ` (members: ${names.join(', ')})` : ' (no one else is there)'}${elsewhere}`);
  } else if (keys.length > 1) {
    chat.io.err(`whatsudp: "${escapeName(who)}" is ambiguous: ${keys.length} devices ${seen.length ? 'seen on this device' : `in ${escapeName(here.label)}`} have that name (keys ${[...new Set(fps)].join(', ')}); "whatsudp verify ${escapeName(who)}" tells them apart`);
  }
  return keys.length === 1 ? keys[0] : undefined;
}

/** A sealed room's invite link, on stderr as "invite link: ...": this relay as the chat reaches it,
 * the key pinned for it, the room and its secret. */
export async function printInvite(chat: RoomsChat, room: string, secret: Uint8Array): Promise<void> {
  const { args, io } = chat;
  const pinned = await pinnedFingerprint(args);
  io.err(`invite link: ${formatInvite({ relays: [{ host: args.server.host, port: args.server.port }], room, fingerprints: pinned ? [pinned] : [], secret })}`);
}
