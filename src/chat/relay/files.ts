// What the relay does with files (issue 14, docs/PROTOCOL.md "Files"): it stores the chunks a member
// uploads, acks them, answers a member's requests for chunks of a file in its own room, and says when a
// file is gone or refused. File work runs after the chat: chunks are queued and handled in setImmediate
// batches, so the chat's datagrams read in the same turn of the event loop go first, and each member's
// file bytes have a bucket of their own each way (--file-rate), apart from its chat allowance.
import { encode } from '../../protocol/codec';
import { FILE_SLOT_BYTES } from '../../protocol/files';
import { FileState, MAX_FILE_RANGES, PacketType, type FileCancel, type FileChunk, type FileGet, type FileRange } from '../../protocol/packets';
import { TokenBucket } from '../limits';
import type { FileStore, StoredFile } from './file-store';
import type { MemberState } from './members';
import type { Wire } from './wire';

/** Chunks one FileGet may ask for: a window's worth; the client asks again for more. */
export const MAX_CHUNKS_PER_GET = 256;
/** Datagrams of file work waiting behind the chat; beyond it the oldest is dropped (the sender resends). */
const QUEUE_LIMIT = 2048;
/** How long one batch of file work may hold the event loop. */
const BATCH_MS = 4;
/** How long chunks of an upload the disk refused are refused too: those already on their way would
 * start it over and fill the disk again. */
const REFUSED_MS = 5000;
/** Uploads in progress at once from one host (its members together). */
export const UPLOADS_PER_HOST = 16;

/** Files being looked for in the cluster at once (each up to 17 MB in memory while it is copied), and
 * members waiting for each. */
const MAX_LOOKUPS = 4;
const MAX_WAITING = 32;
const GONE = 'the relay no longer has this file';

export type Found = 'here' | 'absent' | { refused: string };

/** In a cluster (issue 15, cluster-files.ts): where a complete upload is shared, and where a file this
 * relay lacks is looked for. */
export interface SharedFileStore {
  /** An upload just completed here; the uploader is not kept waiting on what this does. */
  completed(f: StoredFile): void;
  /** Looks a file up in the cluster and keeps it in this relay's file store: 'here' once it is there,
   * 'absent', or why it cannot be had now (a sentence). */
  find(room: string, id: string): Promise<Found>;
  close(): Promise<void>;
}

export interface FileLimits {
  fileBytesPerSecond: number;
  fileBurstBytes: number;
  uploadsPerMember: number;
}

export class RelayFiles {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;
  /** Acks waiting for the end of this batch, per member and file. */
  private readonly acks = new Map<MemberState, Map<string, { fileId: Buffer; ranges: FileRange[] }>>();
  /** Uploads refused for a full disk a moment ago (room \0 id), oldest first. */
  private readonly refused = new Map<string, { detail: string; until: number }>();
  /** The cluster's files, when the relay is in one. */
  shared: SharedFileStore | undefined;
  /** Files being looked for in the cluster (room \0 id), with the FileGets waiting for the answer. */
  private readonly looking = new Map<string, { p: FileGet; m: MemberState }[]>();

  constructor(
    private readonly store: FileStore,
    private readonly wire: Wire,
    private readonly sealBulk: (m: MemberState, packet: Buffer) => Buffer | undefined,
    private readonly limits: FileLimits,
    private readonly warn: (message: string) => void,
  ) {}

  /** Whether a BULK datagram of `bytes` from this member may be opened (its file bucket in). */
  admit(m: MemberState, bytes: number, now: number): boolean {
    return this.budget(m, now).in.take(now, bytes);
  }

  /** A member's file packet, queued behind the chat. */
  packet(p: FileChunk | FileGet | FileCancel, m: MemberState, now: number): void {
    if (this.queue.length >= QUEUE_LIMIT) {
      this.queue.shift(); // the oldest goes: its sender sees the later ones acked and resends it soonest
      this.wire.counters.rateLimited++;
    }
    this.enqueue(() => this.handle(p, m, now));
  }

  private enqueue(job: () => void): void {
    this.queue.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  close(): void {
    this.queue.length = 0;
    this.looking.clear();
    this.store.close();
  }

  private drain(): void {
    const until = Date.now() + BATCH_MS;
    let job: (() => void) | undefined;
    while (Date.now() < until && (job = this.queue.shift())) {
      try {
        job();
      } catch (err) {
        this.warn(`A file packet could not be handled: ${(err as Error).message}`);
      }
    }
    this.flushAcks();
    this.scheduled = this.queue.length > 0;
    if (this.scheduled) setImmediate(() => this.drain());
  }

  /** `looked`: the cluster was asked already (the file came from it). */
  private handle(p: FileChunk | FileGet | FileCancel, m: MemberState, now: number, looked = false): void {
    const room = m.room?.name ?? 'main';
    const id = p.fileId.toString('hex');
    if (!m.session) return this.status(m, p.fileId, FileState.Refused, 0, 'files need protocol 2');
    const f = this.store.get(room, id);
    if (p.type === PacketType.FileChunk) return this.chunk(p, f, m, room, id, now);
    if (p.type === PacketType.FileCancel) {
      if (f && !this.store.complete(f) && f.owner === m.session.devicePublicKey.toString('hex')) this.store.remove(f);
      return;
    }
    if (!f) return this.shared && !looked ? this.lookup(p, m, room, id) : this.status(m, p.fileId, FileState.Gone, 0, GONE);
    if (p.ranges.length === 0 || !this.store.complete(f)) return this.state(m, f, p.fileId);
    let sent = 0;
    const out = this.budget(m, now).out;
    for (const { from, count } of p.ranges) {
      for (let i = from; i < from + count && i < f.chunks && sent < MAX_CHUNKS_PER_GET; i++, sent++) {
        const data = this.store.read(f, i);
        if (!data) continue;
        if (!out.take(now, data.length + 64)) return; // over its rate: it asks again, slower
        const sealed = this.sealBulk(m, encode({ type: PacketType.FileChunk, fileId: p.fileId, chunks: f.chunks, index: i, data }));
        if (sealed) this.wire.sendBulk(sealed, m);
      }
    }
  }

  private chunk(p: FileChunk, found: StoredFile | undefined, m: MemberState, room: string, id: string, now: number): void {
    const owner = m.session!.devicePublicKey.toString('hex');
    if (p.index < p.chunks - 1 && p.data.length !== FILE_SLOT_BYTES) return this.status(m, p.fileId, FileState.Refused, p.chunks, `chunk ${p.index} is ${p.data.length} bytes, not ${FILE_SLOT_BYTES}`);
    let f = found;
    const recent = f ? undefined : this.refused.get(`${room}\0${id}`);
    if (recent && now < recent.until) return this.status(m, p.fileId, FileState.Refused, p.chunks, recent.detail);
    if (!f) {
      if (this.store.uploadsOf(owner, now) >= this.limits.uploadsPerMember) return this.status(m, p.fileId, FileState.Refused, p.chunks, `at most ${this.limits.uploadsPerMember} uploads at once`);
      if (this.store.uploadsFrom(m.host, now) >= UPLOADS_PER_HOST) return this.status(m, p.fileId, FileState.Refused, p.chunks, `at most ${UPLOADS_PER_HOST} uploads at once from one address`);
    }
    if (f && f.chunks !== p.chunks) return this.status(m, p.fileId, FileState.Refused, f.chunks, 'another file has this id');
    if (f && !this.store.complete(f) && f.owner !== owner) return this.status(m, p.fileId, FileState.Refused, f.chunks, 'another member is uploading this file');
    const complete = f !== undefined && this.store.complete(f);
    try {
      if (!f) {
        const made = this.store.create(room, id, p.chunks, owner, now, m.host);
        if (typeof made === 'string') return this.status(m, p.fileId, FileState.Refused, p.chunks, made);
        f = made;
      }
      if (!complete) this.store.put(f, p.index, p.data, now);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (f) this.store.remove(f);
      this.warn(`A file upload could not be stored: ${(err as Error).message}`);
      const detail = code === 'ENOSPC' || code === 'EDQUOT' ? "the relay's disk is full" : 'the relay could not store it';
      this.refused.delete(`${room}\0${id}`);
      this.refused.set(`${room}\0${id}`, { detail, until: now + REFUSED_MS });
      if (this.refused.size > 256) this.refused.delete(this.refused.keys().next().value!);
      return this.status(m, p.fileId, FileState.Refused, p.chunks, detail);
    }
    this.ack(m, p.fileId, id, p.index);
    if (!complete && this.store.complete(f)) {
      this.state(m, f, p.fileId);
      this.shared?.completed(f);
    }
  }

  /** A file this relay lacks, looked for in the cluster; its askers are answered once that is known
   * (nothing meanwhile: a downloader asks again, and waits 20 s for a first answer). */
  private lookup(p: FileGet, m: MemberState, room: string, id: string): void {
    const key = `${room}\0${id}`;
    const waiting = this.looking.get(key);
    if (waiting) return void (waiting.length < MAX_WAITING && waiting.push({ p, m }));
    if (this.looking.size >= MAX_LOOKUPS) return; // it asks again
    this.looking.set(key, [{ p, m }]);
    const answer = (found: Found) => {
      const askers = this.looking.get(key) ?? [];
      this.looking.delete(key);
      for (const a of askers) {
        if (a.m.room?.joined.client(a.m.hex) !== a.m) continue; // it left meanwhile
        if (found === 'here') this.enqueue(() => this.handle(a.p, a.m, Date.now(), true));
        else if (found === 'absent') this.status(a.m, a.p.fileId, FileState.Gone, 0, GONE);
        else this.status(a.m, a.p.fileId, FileState.Refused, 0, found.refused);
      }
    };
    this.shared!.find(room, id).then(answer, (e: unknown) => answer({ refused: `the relay cannot reach the cluster's files just now (${(e as Error).message})` }));
  }

  private ack(m: MemberState, fileId: Buffer, id: string, index: number): void {
    let files = this.acks.get(m);
    if (!files) this.acks.set(m, (files = new Map<string, { fileId: Buffer; ranges: FileRange[] }>()));
    let a = files.get(id);
    if (!a) files.set(id, (a = { fileId, ranges: [] }));
    const last = a.ranges[a.ranges.length - 1];
    if (last && last.from + last.count === index && last.count < 0xffff) last.count++;
    else {
      if (a.ranges.length === MAX_FILE_RANGES) this.sendAck(m, a);
      a.ranges.push({ from: index, count: 1 });
    }
  }

  private flushAcks(): void {
    for (const [m, files] of this.acks) for (const a of files.values()) if (a.ranges.length > 0) this.sendAck(m, a);
    this.acks.clear();
  }

  private sendAck(m: MemberState, a: { fileId: Buffer; ranges: FileRange[] }): void {
    this.wire.send(encode({ type: PacketType.FileAck, fileId: a.fileId, ranges: a.ranges }), m);
    a.ranges = [];
  }

  private state(m: MemberState, f: StoredFile, fileId: Buffer): void {
    if (this.store.complete(f)) return this.status(m, fileId, FileState.Complete, f.chunks, '');
    this.status(m, fileId, FileState.Partial, f.chunks, '', this.store.missing(f, MAX_FILE_RANGES));
  }

  private status(m: MemberState, fileId: Buffer, state: FileState, chunks: number, detail: string, missing: FileRange[] = []): void {
    this.wire.send(encode({ type: PacketType.FileStatus, fileId, state, chunks, missing, detail }), m);
  }

  private budget(m: MemberState, now: number): { in: TokenBucket; out: TokenBucket } {
    return (m.files ??= { in: new TokenBucket(this.limits.fileBytesPerSecond, this.limits.fileBurstBytes, now), out: new TokenBucket(this.limits.fileBytesPerSecond, this.limits.fileBurstBytes, now) });
  }
}
