// The rooms members make (issue 11), made and read back: each with its own Room (in memory, or with a
// store in DIR/rooms/<hash>/, store/room-info.ts) and a history bounded by roomHistoryBytes, so that
// up to maxRooms of them stay a bounded share of the relay's memory and disk.
import type { Crypto } from '../../protocol/crypto';
import { RELAY_LIMIT_OPTIONS } from '../options';
import type { RelayLimits } from '../types';
import { RoomGate, RotationState } from './gate';
import { Room } from './room';
import { RoomHost, type RoomContext, type RoomOwners } from './room-host';
import { readRoomInfos, roomDir, writeRoomInfo } from './store/room-info';

/** The least store the options allow (store.ts needs room for a few of the largest records). */
const MIN_STORE_BYTES = RELAY_LIMIT_OPTIONS.storeBytes.min;

export interface RoomsStoreOptions {
  store?: string;
  fsync: boolean;
  limits: Required<RelayLimits>;
}

/** A room a member asked to create (or, `loadedFrom`, one read back from the store); with a store, its
 * room-info.json is written before anything else, and again by `persist` (after a rekey). */
export function makeRoomHost(o: RoomsStoreOptions, ctx: RoomContext, name: string, gate: RoomGate | undefined, owners: RoomOwners, loadedFrom?: string): RoomHost {
  const dir = loadedFrom ?? (o.store ? roomDir(o.store, name) : undefined);
  const save = () => {
    const r = gate?.rotation;
    const rotation = r ? { epoch: r.epoch, older: r.older, kept: r.kept, admins: r.admins } : undefined;
    if (dir) writeRoomInfo(dir, { name, verifier: gate?.current, ...owners, ...(rotation ? { rotation } : {}) }, o.fsync);
  };
  if (!loadedFrom) save();
  const l = o.limits;
  // Its history within roomHistoryBytes, its store within twice that (at least the least store).
  const historyBytes = Math.min(l.historyBytes, l.roomHistoryBytes);
  const room = new Room({ storeDir: dir, fsync: o.fsync, historyMessages: l.historyMessages, historyBytes, storeBytes: Math.max(MIN_STORE_BYTES, 2 * historyBytes) });
  const host = new RoomHost(name, room, ctx, gate, owners);
  host.persist = save;
  return host;
}

/** Every room the store at `store` keeps besides the default one, each given to `restore`; returns what
 * the operator should hear (a room that cannot be read is named and left as it is). */
export function loadRoomHosts(o: RoomsStoreOptions & { store: string }, ctx: RoomContext, crypto: Crypto, restore: (host: RoomHost) => void): string[] {
  const { rooms, notices } = readRoomInfos(o.store);
  for (const { dir, info } of rooms) {
    try {
      const gate = info.verifier ? new RoomGate(crypto, info.verifier) : undefined;
      const r = info.rotation;
      if (gate && r) gate.rotation = new RotationState(r.epoch, r.older, r.kept, r.admins);
      const owners: RoomOwners = { ...(info.creator ? { creator: info.creator } : {}), ...(info.dmKeys ? { dmKeys: info.dmKeys } : {}) };
      const host = makeRoomHost(o, ctx, info.name, gate, owners, dir);
      restore(host);
      notices.push(...host.room.storeNotices.map((n) => `room ${info.name}: ${n}`));
    } catch (err) {
      notices.push(`The room ${info.name} in ${dir} cannot be loaded: ${(err as Error).message}`);
    }
  }
  return notices;
}
