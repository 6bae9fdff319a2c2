// The relay's room on disk: records appended to numbered segment files, each message written (and
// with fsync, flushed) before it is acknowledged. A completed write() is in the kernel's page cache,
// so a relay killed with SIGKILL loses nothing it acknowledged; a write that fails leaves nothing
// behind and throws NotStoredError, so the message is refused and its seq is not used.
//
// Bounded while running: segments are at most an eighth of the store's bytes, the oldest go once the
// history has moved past them or the store would exceed its bytes, and a restart reads back only
// what the history holds.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChatError } from '../errors';
import { keepPrivate, makeDirs, NotStoredError, removeQuietly, syncDir, writeAll } from './store/files';
import { loadStore, newRoomId, writeRoomFile, type Segment } from './store/load';
import { encodeRecord, MAX_RECORD_BYTES, type StoredMessage } from './store/record';
import { encodeHeader, segmentName } from './store/segment';

/** The files of a store that hold the room (its id, its messages, an old store's messages.jsonl). */
const STORE_FILE = /^(\d{10}\.seg|room\.json|messages\.jsonl)$/;

export { NotStoredError } from './store/files';
export type { StoredMessage } from './store/record';

export interface StoreOptions {
  /** What a restart reads back: the history's bounds. */
  keepMessages: number;
  keepBytes: number;
  /** Most bytes the segment files may take. */
  storeBytes: number;
  fsync: boolean;
}

export interface LoadedRoom {
  roomId: bigint;
  /** The newest messages, oldest first. Seqs missing between them (or up to headSeq) are lost. */
  messages: StoredMessage[];
  headSeq: number;
  /** Damaged stretches and writes cut short that the read skipped. */
  skipped: number;
  /** One line each for the operator: damage found, a cut-short write dropped, an old store moved. */
  notices: string[];
}

/** A segment is an eighth of the store, so dropping the oldest frees little history at a time. */
const SEGMENTS_PER_STORE = 8;

export class RoomStore {
  private fd: number | undefined; // the newest segment, open for appends
  private nextN: number;
  private total: number;
  private readonly segmentBytes: number;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly opts: StoreOptions,
    private segments: Segment[],
    private head: number,
    private roomId: bigint,
  ) {
    this.nextN = (segments.at(-1)?.n ?? 0) + 1;
    this.total = segments.reduce((n, s) => n + s.bytes, 0);
    this.segmentBytes = Math.max(MAX_RECORD_BYTES, Math.floor(opts.storeBytes / SEGMENTS_PER_STORE));
  }

  /** Opens (creating if needed) the store in `dir` and reads back what the history can hold. */
  static open(dir: string, opts: StoreOptions): { store: RoomStore; room: LoadedRoom } {
    try {
      makeDirs(dir);
      const loaded = loadStore(dir, { messages: opts.keepMessages, bytes: opts.keepBytes, fsync: opts.fsync });
      keepPrivate(dir, (name) => STORE_FILE.test(name));
      const store = new RoomStore(dir, opts, loaded.segments, loaded.headSeq, loaded.roomId);
      const tail = loaded.segments.at(-1);
      if (tail && loaded.appendable) store.fd = fs.openSync(tail.file, 'r+');
      const { roomId, messages, headSeq, skipped, notices } = loaded;
      return { store, room: { roomId, messages, headSeq, skipped, notices } };
    } catch (err) {
      if (err instanceof ChatError) throw err;
      throw new ChatError('STORE', `Cannot use the store in ${dir}: ${(err as Error).message}`);
    }
  }

  /** Bytes the segment files take now. */
  get bytes(): number {
    return this.total;
  }

  /** Writes `m` (whose seq must follow the last one's) before it may be acknowledged. Throws
   * NotStoredError when the disk refuses: then nothing of `m` is on disk and its seq is free. */
  append(m: StoredMessage): void {
    if (this.closed) throw new ChatError('STORE', 'The store is closed.');
    const rec = encodeRecord(m);
    const tail = this.segments.at(-1);
    if (this.fd !== undefined && tail && tail.lastSeq > 0 && tail.bytes + rec.length > this.segmentBytes) this.closeSegment();
    const seg = this.fd !== undefined && tail ? tail : this.newSegment();
    this.makeRoom(rec.length);
    try {
      writeAll(this.fd!, rec, seg.bytes);
      if (this.opts.fsync) fs.fsyncSync(this.fd!);
    } catch (err) {
      this.undo(seg);
      throw new NotStoredError(err as NodeJS.ErrnoException);
    }
    seg.bytes += rec.length;
    seg.lastSeq = m.seq;
    this.total += rec.length;
    this.head = m.seq;
  }

  /** The history has moved past `seq`: segments holding only older messages go. */
  forgetBefore(seq: number): void {
    while (this.segments.length > 1 && this.segments[0].lastSeq < seq && this.dropOldest());
  }

  /** Starts the room over under a new id (its seqs are used up). The old segments go; a crash
   * halfway leaves segments naming the old room, which the next start removes. */
  roll(): bigint {
    const roomId = newRoomId();
    try {
      writeRoomFile(this.dir, roomId, this.opts.fsync);
    } catch (err) {
      throw new NotStoredError(err as NodeJS.ErrnoException);
    }
    this.closeSegment();
    for (const s of this.segments) removeQuietly(s.file);
    this.segments = [];
    this.total = 0;
    this.head = 0;
    this.roomId = roomId;
    return roomId;
  }

  close(): void {
    this.closeSegment();
    this.closed = true;
  }

  /** A new segment for appends. Its header records the head, so no later start can give a seq
   * again even if every record before it is gone. */
  private newSegment(): Segment {
    this.closeSegment();
    const seg: Segment = { n: this.nextN++, file: path.join(this.dir, segmentName(this.nextN - 1)), bytes: 0, lastSeq: 0 };
    const header = encodeHeader({ roomId: this.roomId, base: this.head });
    try {
      this.fd = fs.openSync(seg.file, 'wx', 0o600);
      writeAll(this.fd, header, 0);
      if (this.opts.fsync) fs.fsyncSync(this.fd);
    } catch (err) {
      this.closeSegment();
      removeQuietly(seg.file);
      throw new NotStoredError(err as NodeJS.ErrnoException);
    }
    if (this.opts.fsync) syncDir(this.dir);
    seg.bytes = header.length;
    this.segments.push(seg);
    this.total += header.length;
    return seg;
  }

  /** Drops the oldest segments until `bytes` more fit in the store. The segment being written stays. */
  private makeRoom(bytes: number): void {
    while (this.segments.length > 1 && this.total + bytes > this.opts.storeBytes && this.dropOldest());
  }

  private dropOldest(): boolean {
    const s = this.segments[0];
    if (!removeQuietly(s.file)) return false;
    this.segments.shift();
    this.total -= s.bytes;
    return true;
  }

  /** After a failed write: cut the segment back to its last whole record. If even that fails, the
   * segment is left as it is (its torn end is dropped at the next start) and appends move on. */
  private undo(seg: Segment): void {
    try {
      fs.ftruncateSync(this.fd!, seg.bytes);
    } catch {
      this.closeSegment();
    }
  }

  private closeSegment(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // nothing more can be done with it
    }
    this.fd = undefined;
  }
}
