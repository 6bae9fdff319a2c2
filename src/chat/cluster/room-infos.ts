// What every relay of a cluster must know of a room before it lets anyone in (issue 15): its name, a sealed
// room's verifier (never its secret), who made it, a DM room's two keys. One entry per room in the KV bucket
// WUDP_rooms, written once by the relay whose member made the room (create: the first one wins), watched by
// every relay, so a room made on one relay can be joined on any and is listed by all.
import { StorageType } from '@nats-io/jetstream';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import { TypedEmitter } from '../emitter';
import type { Cluster } from './connect';

export const ROOMS_BUCKET = 'WUDP_rooms';

/** A sealed room's key rotations so far (issue 9): what every relay's gate must hold. */
export interface ClusterRotation {
  epoch: number;
  older: Uint8Array[];
  kept: Uint8Array[];
  admins: Uint8Array[];
}

export interface ClusterRoomInfo {
  name: string;
  verifier?: Uint8Array;
  creator?: Uint8Array;
  dmKeys?: Uint8Array;
  rotation?: ClusterRotation;
}

/** At most this many keys in a rotation's lists (a room's members, its older verifiers). */
const MAX_KEYS = 4096;

const b64 = (b: Uint8Array | undefined): string | undefined => (b ? Buffer.from(b).toString('base64url') : undefined);

function bytes(v: unknown, n: number): Uint8Array | undefined | null {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return null;
  const b = Buffer.from(v, 'base64url');
  return b.length === n && b.toString('base64url') === v ? Uint8Array.from(b) : null;
}

export function encodeRoomInfo(i: ClusterRoomInfo): string {
  const r = i.rotation;
  const rotation = r ? { e: r.epoch, o: r.older.map(b64), k: r.kept.map(b64), a: r.admins.map(b64) } : undefined;
  return JSON.stringify({ n: i.name, v: b64(i.verifier), c: b64(i.creator), d: b64(i.dmKeys), r: rotation });
}

function keys(v: unknown): Uint8Array[] | null {
  if (!Array.isArray(v) || v.length > MAX_KEYS) return null;
  const out: Uint8Array[] = [];
  for (const k of v) {
    const b = bytes(k, 32);
    if (!b) return null;
    out.push(b);
  }
  return out;
}

function rotationOf(v: unknown): ClusterRotation | undefined | null {
  if (v === undefined) return undefined;
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (typeof o.e !== 'number' || !Number.isInteger(o.e) || o.e < 1) return null;
  const older = keys(o.o);
  const kept = keys(o.k);
  const admins = keys(o.a);
  if (!older || !kept || !admins) return null;
  return { epoch: o.e, older, kept, admins };
}

/** An entry another relay wrote, checked: undefined if it is not one. */
export function decodeRoomInfo(text: string): ClusterRoomInfo | undefined {
  let o: { n?: unknown; v?: unknown; c?: unknown; d?: unknown; r?: unknown } | null;
  try {
    o = JSON.parse(text) as typeof o;
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object' || typeof o.n !== 'string' || o.n.length === 0 || o.n.length > 64) return undefined;
  const verifier = bytes(o.v, 32);
  const creator = bytes(o.c, 32);
  const dmKeys = bytes(o.d, 64);
  const rotation = rotationOf(o.r);
  if (verifier === null || creator === null || dmKeys === null || rotation === null || (rotation && !verifier)) return undefined;
  return { name: o.n, ...(verifier ? { verifier } : {}), ...(creator ? { creator } : {}), ...(dmKeys ? { dmKeys } : {}), ...(rotation ? { rotation } : {}) };
}

interface RoomInfosEvents {
  warning: [error: Error];
}

export class RoomInfos extends TypedEmitter<RoomInfosEvents> {
  /** Every room of the cluster, by its key (its stream's name), as watched. */
  private readonly rooms = new Map<string, ClusterRoomInfo>();
  private disposed = false;

  private constructor(private readonly kv: KV, private readonly watcher: QueuedIterator<KvWatchEntry>) {
    super();
    void this.watch();
  }

  static async open(cluster: Cluster, replicas: 1 | 3): Promise<RoomInfos> {
    const kv = await cluster.bucket(ROOMS_BUCKET, { history: 1, replicas, storage: StorageType.File });
    return new RoomInfos(kv, await kv.watch());
  }

  /** The room stored under `key`, read from the bucket (not the watched copy: a room made a moment ago counts). */
  async get(key: string): Promise<ClusterRoomInfo | undefined> {
    const e = await this.kv.get(key);
    if (!e || e.operation !== 'PUT') return undefined;
    const info = decodeRoomInfo(e.string());
    if (!info) throw new Error(`The cluster's entry for the room ${key} is not one a relay wrote.`);
    return info;
  }

  /** Writes a new room unless one is there already; either way returns the room as the cluster has it. */
  async create(key: string, info: ClusterRoomInfo): Promise<ClusterRoomInfo> {
    try {
      await this.kv.create(key, encodeRoomInfo(info));
      return info;
    } catch (e) {
      const there = await this.get(key);
      if (!there) throw e;
      return there;
    }
  }

  /** Writes a room's entry as it is now (after a key rotation: every relay that follows it writes the same). */
  async put(key: string, info: ClusterRoomInfo): Promise<void> {
    await this.kv.put(key, encodeRoomInfo(info));
  }

  /** Every room of the cluster the watch has seen. */
  all(): IterableIterator<ClusterRoomInfo> {
    return this.rooms.values();
  }

  private async watch(): Promise<void> {
    try {
      for await (const e of this.watcher) {
        const info = e.operation === 'PUT' ? decodeRoomInfo(e.string()) : undefined;
        if (info) this.rooms.set(e.key, info);
        else this.rooms.delete(e.key);
      }
    } catch (e) {
      if (!this.disposed) this.emit('warning', new Error(`Stopped watching the cluster's rooms: ${(e as Error).message}`));
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.watcher.stop();
    this.removeAllListeners();
  }
}
