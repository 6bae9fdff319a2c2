// Who is in a room, across all its relays: a KV bucket per room, one key per member (its clientId), whose
// value names the member, its presence and the relay it is on. The bucket's TTL (max_age, which NATS
// 2.9 has per bucket) removes what a dead relay can no longer refresh; each relay refreshes its own
// members and watches the bucket, so a member sees everyone in the room whichever relay they joined.
import { StorageType } from '@nats-io/jetstream';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import { TypedEmitter } from '../emitter';
import type { Cluster } from './connect';
import { AUTHOR, checkRoom, presenceBucket } from './names';
import { isWrongLastSequence } from './marks';

export interface PresenceEntry {
  clientId: string;
  name: string;
  presence: 'online' | 'away';
  /** The relay the member is on (its relayId). */
  relay: string;
  /** The member's id on that relay. */
  memberId: number;
  /** Its device key (base64url of 32 bytes), shown beside its name as on the relay it is on. */
  key?: string;
}

export type PresenceChange =
  | { kind: 'here'; entry: PresenceEntry }
  | { kind: 'gone'; clientId: string; why: 'left' | 'expired' };

export interface PresenceOptions {
  room: string;
  /** This relay, as other relays see it in entries. */
  relayId: string;
  /** How long an entry lives without a refresh; the relay refreshes its own at a third of it. */
  ttlMs?: number;
  replicas?: 1 | 3;
}

interface PresenceEvents {
  change: [change: PresenceChange];
  warning: [error: Error];
}

/** An entry as stored: short keys, checked on the way in (another relay wrote it). */
export function encodeEntry(e: PresenceEntry): string {
  return JSON.stringify({ n: e.name, p: e.presence, r: e.relay, m: e.memberId, ...(e.key ? { k: e.key } : {}) });
}

export function decodeEntry(clientId: string, text: string): PresenceEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const o = v as { n?: unknown; p?: unknown; r?: unknown; m?: unknown; k?: unknown } | null;
  if (!o || typeof o !== 'object' || !AUTHOR.test(clientId)) return undefined;
  if (typeof o.n !== 'string' || o.n.length === 0 || o.n.length > 128) return undefined;
  if (o.p !== 'online' && o.p !== 'away') return undefined;
  if (typeof o.r !== 'string' || o.r.length === 0 || o.r.length > 128) return undefined;
  if (typeof o.m !== 'number' || !Number.isInteger(o.m) || o.m < 0 || o.m > 0xffffffff) return undefined;
  if (o.k !== undefined && (typeof o.k !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(o.k))) return undefined;
  return { clientId, name: o.n, presence: o.p, relay: o.r, memberId: o.m, ...(o.k ? { key: o.k } : {}) };
}

export class RoomPresence extends TypedEmitter<PresenceEvents> {
  /** Everyone the bucket says is here, with the local time after which an entry counts as expired. */
  private readonly members = new Map<string, { entry: PresenceEntry; until: number }>();
  /** This relay's own members and the revision of their entry, so it never overwrites another relay's. */
  private readonly own = new Map<string, { entry: PresenceEntry; revision: number }>();
  private readonly timer: NodeJS.Timeout;
  private refreshing = false;
  private disposed = false;

  private constructor(private readonly kv: KV, private readonly watcher: QueuedIterator<KvWatchEntry>, private readonly relayId: string, private readonly ttlMs: number) {
    super();
    void this.watch();
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  static async open(cluster: Cluster, opts: PresenceOptions): Promise<RoomPresence> {
    const ttlMs = opts.ttlMs ?? 15_000;
    const bucket = presenceBucket(checkRoom(opts.room));
    // Presence is rebuilt by refreshes within one TTL, so memory storage is enough even for 3 replicas.
    // Made by another relay first, perhaps with another TTL: theirs rules.
    const kv = await cluster.bucket(bucket, { history: 1, ttl: ttlMs, replicas: opts.replicas ?? 1, storage: StorageType.Memory });
    const watcher = await kv.watch();
    return new RoomPresence(kv, watcher, opts.relayId, ttlMs);
  }

  /** Everyone in the room on every relay, as far as this relay has heard. */
  roster(): PresenceEntry[] {
    return [...this.members.values()].map((m) => m.entry);
  }

  /** A member joined this relay, or changed name or presence: written at once, then kept fresh. */
  async announce(member: Omit<PresenceEntry, 'relay'>): Promise<void> {
    const entry = { ...member, relay: this.relayId };
    const revision = await this.kv.put(member.clientId, encodeEntry(entry));
    this.own.set(member.clientId, { entry, revision });
  }

  /** A member left this relay (or its lease ran out). If it has moved to another relay, that entry stays. */
  async withdraw(clientId: string): Promise<void> {
    const mine = this.own.get(clientId);
    if (!mine) return;
    this.own.delete(clientId);
    await this.kv.delete(clientId, { previousSeq: mine.revision }).catch((e: unknown) => {
      if (!isWrongLastSequence(e)) throw e; // another relay has written it since: the member moved there
    });
  }

  private async watch(): Promise<void> {
    try {
      for await (const e of this.watcher) {
        if (e.operation === 'PUT') {
          const entry = decodeEntry(e.key, e.string());
          if (!entry) {
            this.emit('warning', new Error(`Ignored a presence entry for ${JSON.stringify(e.key)} that is not one.`));
            continue;
          }
          // Local time, not the server's: the relays' clocks need not agree.
          this.members.set(entry.clientId, { entry, until: Date.now() + this.ttlMs });
          this.emit('change', { kind: 'here', entry });
        } else if (this.members.delete(e.key)) {
          this.emit('change', { kind: 'gone', clientId: e.key, why: 'left' });
        }
      }
    } catch (e) {
      if (!this.disposed) this.emit('warning', new Error(`Stopped watching presence: ${(e as Error).message}`));
    }
  }

  /** Drops entries nobody refreshed (NATS removes them too, silently), and refreshes this relay's own. */
  private tick(): void {
    const now = Date.now();
    for (const [clientId, m] of this.members) {
      if (m.until <= now) {
        this.members.delete(clientId);
        this.emit('change', { kind: 'gone', clientId, why: 'expired' });
      }
    }
    if (!this.refreshing) void this.refresh();
  }

  private async refresh(): Promise<void> {
    this.refreshing = true;
    try {
      for (const [clientId, mine] of [...this.own]) {
        if (this.disposed) return;
        try {
          mine.revision = await this.kv.update(clientId, encodeEntry(mine.entry), mine.revision);
        } catch (e) {
          if (!isWrongLastSequence(e)) throw e;
          // Another relay wrote this member since (it moved there), or NATS expired it: write it afresh
          // only if nobody else holds it.
          this.own.delete(clientId);
          const current = await this.kv.get(clientId);
          if (!current || current.operation !== 'PUT') await this.announce(mine.entry);
        }
      }
    } catch (e) {
      this.emit('warning', new Error(`Cannot refresh presence: ${(e as Error).message}`));
    } finally {
      this.refreshing = false;
    }
  }

  /** Stops watching and refreshing; this relay's entries expire by TTL (withdraw them first to be prompt). Safe twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearInterval(this.timer);
    this.watcher.stop();
    this.removeAllListeners();
  }
}
