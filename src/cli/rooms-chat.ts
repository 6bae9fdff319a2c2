// The rooms one `whatsudp chat` is in (issue 11), which one its lines go to, and what it reads of
// this device's files for them: its identity (for DMs) and the key pinned for its relay (for links).
import path from 'node:path';
import { formatAddress } from '../chat';
import { FileStore, loadOrCreateIdentity, pinAddress, RelayPins, type DeviceIdentity } from '../chat/identity';
import { nodeCrypto } from '../protocol/crypto';
import { fingerprint } from '../protocol/fingerprint';
import type { ChatArgs } from './args';
import { JoinedRoom, type RoomHost, type RoomSpec } from './room-view';
import { bounded, type Io } from './session';

/** The rooms a chat is in, and which one its lines go to. */
export class RoomsChat {
  rooms: JoinedRoom[] = [];
  current!: JoinedRoom;
  /** For rooms left: the newest seq read there, so /rooms counts what came since. */
  readonly looked = new Map<string, number>();

  constructor(
    readonly args: ChatArgs,
    readonly io: Io,
    private readonly host: RoomHost,
  ) {}

  enter(spec: RoomSpec): JoinedRoom {
    const room = new JoinedRoom(this.args, spec, this.io, this.host);
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
