// Which relays serve the cluster's rooms (issue 15): each relay writes where its members reach it and its
// long-term key to the KV bucket WUDP_relays, refreshed within the bucket's TTL, and watches the bucket.
// A relay tells its members the others (packet Relays), so that failing over never meets an unpinned key.
import { StorageType } from '@nats-io/jetstream';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import { TypedEmitter } from '../emitter';
import type { Cluster } from './connect';

export const RELAYS_BUCKET = 'WUDP_relays';

/** One relay: where its members reach it, and its Ed25519 public key (base64url of 32 bytes). */
export interface RelayAd {
  host: string;
  port: number;
  key: string;
}

const KEY = /^[A-Za-z0-9_-]{43}$/;

export function decodeAd(text: string): RelayAd | undefined {
  try {
    const v = JSON.parse(text) as Partial<RelayAd>;
    if (typeof v.host !== 'string' || v.host === '' || v.host.length > 253) return undefined;
    if (typeof v.port !== 'number' || !Number.isInteger(v.port) || v.port < 1 || v.port > 0xffff) return undefined;
    if (typeof v.key !== 'string' || !KEY.test(v.key)) return undefined;
    return { host: v.host, port: v.port, key: v.key };
  } catch {
    return undefined;
  }
}

interface DirectoryEvents {
  warning: [error: Error];
}

export class RelayDirectory extends TypedEmitter<DirectoryEvents> {
  private readonly relays = new Map<string, { ad: RelayAd; until: number }>();
  private readonly timer: NodeJS.Timeout;
  private disposed = false;

  private constructor(private readonly kv: KV, private readonly watcher: QueuedIterator<KvWatchEntry>, private readonly own: RelayAd | undefined, private readonly ttlMs: number) {
    super();
    void this.watch();
    this.timer = setInterval(() => void this.refresh(), Math.max(10, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  /** Opens (or makes) the bucket and, with `own`, announces this relay in it. */
  static async open(cluster: Cluster, own: RelayAd | undefined, opts: { replicas?: number; ttlMs?: number } = {}): Promise<RelayDirectory> {
    const ttlMs = opts.ttlMs ?? 15_000;
    const kv = await cluster.bucket(RELAYS_BUCKET, { history: 1, ttl: ttlMs, replicas: opts.replicas ?? 1, storage: StorageType.Memory });
    const watcher = await kv.watch();
    const d = new RelayDirectory(kv, watcher, own, ttlMs);
    await d.refresh();
    return d;
  }

  /** The other relays heard of within the TTL (this one left out). */
  others(): RelayAd[] {
    const now = Date.now();
    const out: RelayAd[] = [];
    for (const [k, r] of this.relays) if (r.until > now && k !== this.own?.key) out.push(r.ad);
    return out;
  }

  private async refresh(): Promise<void> {
    if (this.disposed || !this.own) return;
    try {
      await this.kv.put(this.own.key, JSON.stringify(this.own));
    } catch (e) {
      this.emit('warning', new Error(`Cannot announce this relay to the cluster: ${(e as Error).message}`));
    }
  }

  private async watch(): Promise<void> {
    try {
      for await (const e of this.watcher) {
        if (e.operation !== 'PUT') {
          this.relays.delete(e.key);
          continue;
        }
        const ad = decodeAd(e.string());
        if (ad && ad.key === e.key) this.relays.set(e.key, { ad, until: Date.now() + this.ttlMs });
      }
    } catch (e) {
      if (!this.disposed) this.emit('warning', new Error(`Stopped watching the cluster's relays: ${(e as Error).message}`));
    }
  }

  /** Stops announcing; this relay's entry is removed now (else it expires by TTL). Safe twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearInterval(this.timer);
    this.watcher.stop();
    if (this.own) await this.kv.delete(this.own.key).catch(() => undefined);
    this.removeAllListeners();
  }
}
