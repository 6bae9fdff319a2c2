// Files in a cluster (issue 15, docs/CLUSTER.md "Files"): a clustered relay's side of the object store
// WUDP_files (src/chat/cluster/files.ts). An upload completed here goes into the relay's own file store
// first, as on a relay of its own (the uploader's acks and its "complete" never wait on NATS), and then
// into the cluster, one file at a time, tried again while NATS is away. A FileGet for a file this relay
// does not have is looked up in the cluster; the file is copied into the relay's own store, complete,
// and served from there as any file.
import type { SharedFiles } from '../cluster/index';
import { FILE_SLOT_BYTES } from '../../protocol/files';
import type { RelayCluster } from './cluster-relay';
import { quietly } from './quietly';
import type { FileStore, StoredFile } from './file-store';
import type { Found, SharedFileStore } from './files';

/** How long a lookup may take, all told: under the 20 s a client waits for a first answer. */
const FIND_MS = 15_000;
/** How often a file on its way to the cluster (its marker there, not its chunks yet) is looked at. */
const POLL_MS = 200;
/** Files waiting to be put into the cluster; beyond it the oldest is given up (and said). */
const MAX_OUTBOX = 256;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** How long stopping the relay waits for the files still being put. */
const CLOSE_MS = 5000;

/** After a NATS error in a lookup (a stream electing its leader, a reconnect), the wait before trying again. */
const AGAIN_MS = 500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `fn`, tried again after an error while `deadline` allows; the last error thrown. */
async function retrying<T>(deadline: number, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() + AGAIN_MS >= deadline) throw err;
      await sleep(AGAIN_MS);
    }
  }
}

interface Outgoing {
  f: StoredFile;
  /** The marker's revision (undefined: the cluster has the id already); started at once on completion. */
  marker: Promise<number | undefined> | undefined;
}

export class ClusterFiles implements SharedFileStore {
  private opened: Promise<SharedFiles> | undefined;
  private readonly outbox = new Map<string, Outgoing>(); // room \0 id, oldest first
  private pumping = false;
  /** The last put failed (NATS away): stopping does not wait for the outbox then. */
  private failing = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly warn: (message: string) => void;

  constructor(
    private readonly cluster: RelayCluster,
    private readonly store: FileStore,
    /** The bucket's byte cap when this relay makes it (--file-store-bytes). */
    private readonly maxBytes: number,
    warn: (message: string) => void,
  ) {
    this.warn = quietly(warn);
  }

  completed(f: StoredFile): void {
    if (this.closed) return;
    if (this.outbox.size >= MAX_OUTBOX) {
      const [oldest, o] = this.outbox.entries().next().value!;
      this.outbox.delete(oldest);
      this.warn(`Too many files are waiting for the cluster: ${o.f.id} is kept by this relay only.`);
    }
    const marker = this.files().then((s) => s.mark(f.room, f.id, f.owner));
    marker.catch(() => undefined); // tried again by the pump
    this.outbox.set(`${f.room}\0${f.id}`, { f, marker });
    void this.pump();
  }

  async find(room: string, id: string): Promise<Found> {
    if (this.closed) return 'absent';
    const deadline = Date.now() + FIND_MS;
    const s = await retrying(deadline, () => this.files());
    for (;;) {
      const st = await retrying(deadline, () => s.state(room, id));
      if (st.state === 'absent') return 'absent';
      if (st.state === 'here') break;
      if (Date.now() + POLL_MS > deadline) return { refused: 'the file is still on its way to the cluster: try again in a moment' };
      await sleep(POLL_MS);
    }
    const got = await retrying(deadline, () => s.get(room, id, Math.max(1000, deadline - Date.now())));
    if (!got || this.closed) return 'absent';
    if (this.store.get(room, id)) return 'here'; // an upload of it began here meanwhile
    const { chunks, owner } = got.meta;
    const now = Date.now();
    const f = this.store.create(room, id, chunks, owner, now);
    if (typeof f === 'string') return { refused: f };
    try {
      for (let i = 0; i < chunks; i++) this.store.put(f, i, got.data.subarray(i * FILE_SLOT_BYTES, Math.min(got.data.length, (i + 1) * FILE_SLOT_BYTES)), now);
    } catch (err) {
      this.store.remove(f);
      return { refused: `the relay could not store it (${(err as Error).message})` };
    }
    return 'here';
  }

  async close(): Promise<void> {
    const deadline = Date.now() + CLOSE_MS;
    while (this.outbox.size > 0 && !this.failing && Date.now() < deadline) await sleep(50);
    if (this.outbox.size > 0) this.warn(`${this.outbox.size} file(s) uploaded here were not put into the cluster before the relay stopped: members of other relays cannot fetch them.`);
    this.closed = true;
    this.outbox.clear();
    this.wake?.();
  }

  /** The bucket, opened (or made) at first use, again after a failure. */
  private files(): Promise<SharedFiles> {
    if (!this.opened) {
      const c = this.cluster;
      const opened = c.api.SharedFiles.open(c.cluster, { replicas: c.roomOptions.replicas, maxBytes: this.maxBytes });
      this.opened = opened;
      opened.catch(() => {
        if (this.opened === opened) this.opened = undefined;
      });
    }
    return this.opened;
  }

  /** Puts the outbox into the cluster, oldest first, waiting longer after each failure. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let delay = RETRY_MIN_MS;
    for (let next = this.outbox.entries().next(); !this.closed && !next.done; next = this.outbox.entries().next()) {
      const [key, o] = next.value;
      try {
        await this.share(o);
        this.outbox.delete(key);
        this.failing = false;
        delay = RETRY_MIN_MS;
      } catch (err) {
        const e = err as Error;
        if (e.name === 'TooBig' || /wrong last sequence/i.test(e.message)) {
          this.outbox.delete(key); // never fits; or another member's upload of this id is the cluster's
          if (e.name === 'TooBig') this.warn(`A file uploaded here is kept by this relay only: ${e.message}.`);
          continue;
        }
        this.failing = true;
        o.marker = undefined;
        this.warn(`A file could not be put into the cluster (${e.message}): trying again; members of other relays cannot fetch it until then.`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          this.wake = () => (clearTimeout(t), resolve());
        });
        this.wake = undefined;
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
    this.pumping = false;
  }

  private async share(o: Outgoing): Promise<void> {
    const { f } = o;
    if (this.store.get(f.room, f.id) !== f || !this.store.complete(f)) return; // gone from here meanwhile
    const s = await this.files();
    const after = await (o.marker ?? s.mark(f.room, f.id, f.owner));
    if (after === undefined) return; // the cluster has this id already
    const data = Buffer.allocUnsafe((f.chunks - 1) * FILE_SLOT_BYTES + f.lastLength);
    for (let i = 0; i < f.chunks; i++) {
      const chunk = this.store.read(f, i);
      if (!chunk) return this.warn(`A file uploaded here could not be read back to put it into the cluster (${f.id}).`);
      chunk.copy(data, i * FILE_SLOT_BYTES);
    }
    await s.put({ room: f.room, id: f.id, chunks: f.chunks, last: f.lastLength, owner: f.owner }, data, after);
  }
}
