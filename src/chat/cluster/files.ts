// Files across a cluster (issue 15, docs/CLUSTER.md "Files"): a file completely uploaded at any relay is
// put into the JetStream object store WUDP_files, so a member on another relay, or after a failover, can
// fetch it. The object holds the stored chunks as the relay has them, the sender's ciphertext (the key is
// only in the kind-15 message), one after the other: every chunk but the last FILE_SLOT_BYTES long.
// An object is named after its room and file id. Just before the chunks go in, a marker (an empty object,
// "pending") says they are on their way, so a relay asked for the file a moment later waits instead of
// saying it is gone. The first complete upload of an id wins: a later one (another member who learnt the
// id) does not replace it. The bucket is capped in bytes (the first relay's --file-store-bytes); when it
// is full the oldest files go, as in a relay's own file store.
import { createHash } from 'node:crypto';
import { StorageType } from '@nats-io/jetstream';
import { Objm, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import { FILE_SLOT_BYTES, MAX_FILE_CHUNKS } from '../../protocol/files';
import type { Cluster } from './connect';

export const FILES_BUCKET = 'WUDP_files';

/** What a relay needs to keep a shared file as if it had been uploaded to it. */
export interface SharedFileMeta {
  room: string;
  id: string; // 32 hex
  chunks: number;
  /** Stored length of the last chunk. */
  last: number;
  /** The uploader's device key (hex). */
  owner: string;
}

export type SharedFileState =
  | { state: 'absent'; revision?: number }
  | { state: 'pending'; owner: string; since: number; revision: number }
  | { state: 'here'; meta: SharedFileMeta; revision: number };

/** A marker older than this is a relay that died between the marker and the chunks. */
export const STALE_MARKER_MS = 120_000;

const objectName = (room: string, id: string): string => `${createHash('sha256').update(room).digest('hex').slice(0, 32)}.${id}`;

/** The stored length of a file of `chunks` chunks whose last one is `last` bytes. */
export const sharedSize = (chunks: number, last: number): number => (chunks - 1) * FILE_SLOT_BYTES + last;

function metaOf(info: ObjectInfo, room: string, id: string): SharedFileMeta | undefined {
  const m = info.metadata ?? {};
  const chunks = Number(m.chunks);
  const last = Number(m.last);
  if (m.room !== room || m.id !== id || typeof m.owner !== 'string' || !/^[0-9a-f]{64}$/.test(m.owner)) return undefined;
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > MAX_FILE_CHUNKS || !Number.isInteger(last) || last < 16 || last > FILE_SLOT_BYTES) return undefined;
  if (info.size !== sharedSize(chunks, last)) return undefined;
  return { room, id, chunks, last, owner: m.owner };
}

/** A file the bucket could never hold: putting it again is no use. */
export class TooBig extends Error {
  override readonly name = 'TooBig';
}

export class SharedFiles {
  private constructor(private readonly os: ObjectStore) {}

  /** Opens the bucket, making it (with these replicas and this byte cap) if no relay has yet. */
  static async open(cluster: Cluster, o: { replicas: 1 | 3; maxBytes: number }): Promise<SharedFiles> {
    const objm = new Objm(cluster.js);
    const os = await objm.create(FILES_BUCKET, { replicas: o.replicas, max_bytes: o.maxBytes, storage: StorageType.File, description: 'WhatsUDP files (ciphertext chunks)' });
    return new SharedFiles(os);
  }

  /** Whether the cluster has the file, is about to, or not. A NATS error is thrown. */
  async state(room: string, id: string, now = Date.now()): Promise<SharedFileState> {
    const info = await this.os.info(objectName(room, id));
    if (!info) return { state: 'absent' };
    const absent = { state: 'absent', revision: info.revision } as const;
    if (info.deleted) return absent;
    const m = info.metadata ?? {};
    if (m.pending === '1') {
      const since = Number(m.since);
      if (!Number.isFinite(since) || now - since > STALE_MARKER_MS || typeof m.owner !== 'string') return absent;
      return { state: 'pending', owner: m.owner, since, revision: info.revision };
    }
    const meta = metaOf(info, room, id);
    return meta ? { state: 'here', meta, revision: info.revision } : absent;
  }

  /** Says the file is on its way from `owner`. Its revision (for put), or undefined when the cluster
   * already has this id (complete, or on its way from another member). */
  async mark(room: string, id: string, owner: string, now = Date.now()): Promise<number | undefined> {
    const s = await this.state(room, id, now);
    if (s.state === 'here' || (s.state === 'pending' && s.owner !== owner)) return undefined;
    const put = await this.os.putBlob({ name: objectName(room, id), metadata: { pending: '1', owner, since: String(now), room, id } }, new Uint8Array(0), { previousRevision: s.revision ?? 0 });
    return put.revision;
  }

  /** Puts the file's stored chunks, replacing the marker whose revision is `after` (so it replaces
   * nothing else). When the bucket is full, the oldest files go first. */
  async put(meta: SharedFileMeta, data: Uint8Array, after: number): Promise<void> {
    if (data.length !== sharedSize(meta.chunks, meta.last)) throw new Error(`${data.length} bytes are not ${meta.chunks} chunks`);
    const name = objectName(meta.room, meta.id);
    const metadata = { room: meta.room, id: meta.id, chunks: String(meta.chunks), last: String(meta.last), owner: meta.owner };
    try {
      await this.os.putBlob({ name, metadata }, data, { previousRevision: after });
    } catch (err) {
      if (!/maximum bytes/i.test((err as Error).message)) throw err;
      if (!(await this.makeRoom(data.length, name))) throw new TooBig(`the cluster's file store is smaller than this file (${data.length} bytes)`);
      await this.os.putBlob({ name, metadata }, data, { previousRevision: after });
    }
  }

  /** The file's meta and stored chunks, or undefined when the cluster does not have it (complete). The
   * whole is checked against its SHA-256 digest by the NATS client; `timeoutMs` bounds the wait. */
  async get(room: string, id: string, timeoutMs: number): Promise<{ meta: SharedFileMeta; data: Buffer } | undefined> {
    const s = await this.state(room, id);
    if (s.state !== 'here') return undefined;
    const r = await this.os.get(objectName(room, id));
    if (!r) return undefined;
    const meta = metaOf(r.info, room, id);
    const reader = r.data.getReader();
    if (!meta) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    const parts: Uint8Array[] = [];
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the file did not come from the cluster within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      for (;;) {
        const { done, value } = await Promise.race([reader.read(), late]);
        if (done) break;
        parts.push(value);
      }
      await Promise.race([r.error.then((e) => { if (e) throw e; }), late]);
    } catch (err) {
      await reader.cancel().catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    const data = Buffer.concat(parts);
    return data.length === sharedSize(meta.chunks, meta.last) ? { meta, data } : undefined;
  }

  /** Deletes the oldest files until `bytes` more fit; false when they never would. */
  private async makeRoom(bytes: number, keep: string): Promise<boolean> {
    const status = await this.os.status();
    const max = status.streamInfo.config.max_bytes;
    const need = bytes + Math.ceil(bytes / 65_536) * 256 + 4096; // the chunk messages' own bytes, roughly
    if (max > 0 && need > max) return false;
    let used = status.streamInfo.state.bytes;
    const oldest = (await this.os.list()).filter((i) => !i.deleted && i.name !== keep).sort((a, b) => Date.parse(a.mtime) - Date.parse(b.mtime));
    for (const o of oldest) {
      if (max <= 0 || used + need <= max) break;
      await this.os.delete(o.name);
      used -= o.size;
    }
    return true;
  }
}
