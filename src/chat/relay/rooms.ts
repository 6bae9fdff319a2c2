// The rooms a relay serves (issue 11), by name: which room a Hello may have (an existing one, a new
// one it asks to create while there are fewer than maxRooms, a DM room only for its two keys), and
// the Rooms list each member may see (a DM room only by its two members).
import type { Crypto } from '../../protocol/crypto';
import { encode } from '../../protocol/codec';
import { MAX_PACKET, PacketType, RefuseReason } from '../../protocol/packets';
import { DEFAULT_ROOM, isDmRoom, roomEntry, RoomFlags, type RoomEntry } from '../../protocol/rooms';
import type { ClusterRoomInfo } from '../cluster/index';
import { ENVELOPE_BYTES } from '../../protocol/parts';
import type { HelloAuth } from '../../protocol/v2';
import type { RoomChoice } from './door';
import { RoomGate } from './gate';
import type { RoomHost, RoomOwners } from './room-host';

/** A Rooms page without entries: envelope, page, pageCount, count. */
const ROOMS_HEADER_BYTES = ENVELOPE_BYTES + 1 + 1 + 2;
/** Pages of a Rooms answer at most (page numbers are a byte); 256 rooms fit in far fewer. */
const MAX_ROOMS_PAGES = 255;

/** Whether `key` (32 bytes) is one of the two in `pair` (64 bytes). */
export function isOneOf(key: Uint8Array, pair: Uint8Array): boolean {
  const k = Buffer.from(key);
  return k.equals(pair.subarray(0, 32)) || k.equals(pair.subarray(32, 64));
}

/** Whether a DM extension's two keys are as the protocol says: different, sorted ascending. */
const sortedPair = (pair: Uint8Array): boolean => Buffer.compare(pair.subarray(0, 32), pair.subarray(32, 64)) < 0;

export type RoomMaker = (name: string, gate: RoomGate | undefined, owners: RoomOwners) => RoomHost;

export class RoomRegistry {
  private readonly byName = new Map<string, RoomHost>();
  /** Rooms created since start, by the host (hostKey) whose member asked. */
  private readonly createdBy = new Map<string, number>();

  constructor(
    readonly main: RoomHost,
    private readonly crypto: Crypto,
    private readonly maxRooms: number,
    private readonly make: RoomMaker,
    /** A DM room's name from its two keys (protocol/dm.ts), when the relay can check it. */
    private readonly dmName?: (pair: Uint8Array) => string,
    /** Rooms the members of one host may create (limits.roomsPerHost). */
    private readonly roomsPerHost = Infinity,
  ) {
    this.byName.set(main.name, main);
  }

  get size(): number {
    return this.byName.size;
  }

  get(name: string): RoomHost | undefined {
    return this.byName.get(name);
  }

  all(): IterableIterator<RoomHost> {
    return this.byName.values();
  }

  /** Which room a Hello that passed the handshake may have, and its gate; nothing is created yet. */
  choose(auth: HelloAuth, host?: string): RoomChoice {
    const name = auth.room ?? DEFAULT_ROOM;
    const device = auth.client.devicePublicKey;
    const existing = this.byName.get(name);
    if (existing) {
      if (existing.owners.dmKeys && !isOneOf(device, existing.owners.dmKeys)) return notYours(name);
      return { ok: true, gate: existing.gate };
    }
    if (!auth.create) return { ok: false, reason: RefuseReason.NoSuchRoom, detail: `there is no room ${name} on this relay` };
    if (isDmRoom(name) || auth.dmKeys) {
      const pair = auth.dmKeys;
      if (!pair || !isDmRoom(name) || !sortedPair(pair) || !auth.create.sealed || (this.dmName && this.dmName(pair) !== name)) {
        return { ok: false, reason: RefuseReason.Malformed, detail: `names starting "dm-" are for direct messages, made from the two members' keys` };
      }
      if (!isOneOf(device, pair)) return notYours(name);
    }
    if (this.byName.size >= this.maxRooms) return { ok: false, reason: RefuseReason.TooManyRooms, detail: `this relay serves as many rooms as it may (${this.maxRooms}): no new one` };
    if (host !== undefined && (this.createdBy.get(host) ?? 0) >= this.roomsPerHost) return { ok: false, reason: RefuseReason.TooManyRooms, detail: `members on your machine have made as many rooms as this relay lets one machine make (${this.roomsPerHost}): no new one` };
    return { ok: true, gate: auth.create.verifier ? new RoomGate(this.crypto, auth.create.verifier) : undefined };
  }

  /** The room `choose` let the Hello have: made now if it is new (its creator: the Hello's key). */
  open(auth: HelloAuth, chosen: RoomChoice & { ok: true }, creatorHost?: string): RoomHost {
    const name = auth.room ?? DEFAULT_ROOM;
    let host = this.byName.get(name);
    if (!host) {
      const owners: RoomOwners = { creator: Uint8Array.from(auth.client.devicePublicKey), ...(auth.dmKeys ? { dmKeys: Uint8Array.from(auth.dmKeys) } : {}) };
      host = this.make(name, chosen.gate, owners);
      this.byName.set(name, host);
      if (creatorHost !== undefined) this.createdBy.set(creatorHost, (this.createdBy.get(creatorHost) ?? 0) + 1);
    }
    return host;
  }

  /** A room this relay's member made in the cluster (cluster-rooms.ts), counted against its host's cap. */
  countCreated(host: string): void {
    this.createdBy.set(host, (this.createdBy.get(host) ?? 0) + 1);
  }

  /** A room read back from the store at start (the room cap is for new rooms only). */
  restore(host: RoomHost): RoomHost {
    this.byName.set(host.name, host);
    return host;
  }

  /** The rooms `device` may see, in Rooms datagrams of at most MAX_PACKET bytes. */
  pagesFor(device: Uint8Array | undefined): Buffer[] {
    const pages: RoomEntry[][] = [[]];
    let size = ROOMS_HEADER_BYTES;
    for (const host of this.listed()) {
      if (host.owners.dmKeys && !(device && isOneOf(device, host.owners.dmKeys))) continue;
      const e = host.entry();
      const n = roomEntry.encodingLength(e);
      if (size + n > MAX_PACKET) {
        if (pages.length >= MAX_ROOMS_PAGES) break;
        pages.push([]);
        size = ROOMS_HEADER_BYTES;
      }
      pages[pages.length - 1].push(e);
      size += n;
    }
    return pages.map((entries, page) => encode({ type: PacketType.Rooms, page, pageCount: pages.length, entries }));
  }

  /** The rooms of a cluster this relay does not serve yet (cluster-rooms.ts): listed too, without members. */
  clusterRooms: (() => ClusterRoomInfo[]) | undefined;

  /** What the Rooms list shows: the rooms served here, then the cluster's others. */
  private *listed(): Iterable<Pick<RoomHost, 'owners' | 'entry'>> {
    yield* this.byName.values();
    for (const r of this.clusterRooms?.() ?? []) {
      const flags = (r.verifier ? RoomFlags.Sealed : 0) | (r.dmKeys ? RoomFlags.Dm : 0);
      yield { owners: r.dmKeys ? { dmKeys: r.dmKeys } : {}, entry: () => ({ name: r.name, flags, members: 0, headSeq: 0 }) };
    }
  }

  close(): void {
    for (const host of this.byName.values()) host.close();
  }
}

const notYours = (name: string): RoomChoice => ({ ok: false, reason: RefuseReason.NotYours, detail: `the room ${name} is a direct message between two others` });
