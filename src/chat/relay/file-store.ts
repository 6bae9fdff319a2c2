// The relay's file store (issue 14): the chunks of files members upload, apart from the rooms' text
// history and under a byte cap of its own (--file-store-bytes), so files never push messages out. The
// oldest files go first when a new one needs room. In memory, or with --store on disk under
// DIR/files/<room hash>/<file id>.{json,data,idx}: a chunk is written at index * FILE_SLOT_BYTES and its
// index appended to .idx before it is acked, so after a crash (kill -9 included) the relay knows exactly
// which chunks it acked, and an upload resumes where it was.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FILE_SLOT_BYTES } from '../../protocol/files';
import type { FileRange } from '../../protocol/packets';
import { makeDirs, removeQuietly, writeAll } from './store/files';

/** A partial upload idle this long is the first to go when room is needed. */
export const IDLE_UPLOAD_MS = 10 * 60_000;

export interface StoredFile {
  readonly room: string;
  readonly id: string; // 32 hex
  readonly chunks: number;
  /** The device key (hex) of the member who uploads it. */
  readonly owner: string;
  readonly created: number;
  touched: number;
  readonly have: Uint8Array; // one bit per chunk
  haveCount: number;
  /** Stored length of the last chunk, once it is here. */
  lastLength: number;
  /** In memory: the chunks at their slots. On disk: undefined. */
  data: Buffer | undefined;
  /** The address it came from (for the uploads per host), unknown after a restart. */
  host?: string;
}

export type PutResult = { ok: true; stored: boolean; complete: boolean } | { ok: false; detail: string };

const roomHash = (room: string): string => crypto.createHash('sha256').update(room).digest('hex').slice(0, 32);
const slotBytes = (chunks: number): number => chunks * FILE_SLOT_BYTES;

export class FileStore {
  private readonly files = new Map<string, StoredFile>(); // room \0 id, oldest first
  private reserved = 0;
  private readonly fds = new Map<string, { data: number; idx: number }>(); // open files, most recent last

  constructor(
    private readonly o: { dir?: string; capBytes: number },
  ) {}

  /** Bytes the kept files may take (each counts its whole size from its first chunk on). */
  get bytes(): number {
    return this.reserved;
  }

  get count(): number {
    return this.files.size;
  }

  has(f: StoredFile, index: number): boolean {
    return (f.have[index >> 3] & (1 << (index & 7))) !== 0;
  }

  complete(f: StoredFile): boolean {
    return f.haveCount === f.chunks;
  }

  get(room: string, id: string): StoredFile | undefined {
    return this.files.get(`${room}\0${id}`);
  }

  /** Uploads of this owner that are still partial and not idle. */
  uploadsOf(owner: string, now: number): number {
    let n = 0;
    for (const f of this.files.values()) if (f.owner === owner && !this.complete(f) && now - f.touched < IDLE_UPLOAD_MS) n++;
    return n;
  }

  /** Uploads from this host that are still partial and not idle. */
  uploadsFrom(host: string, now: number): number {
    let n = 0;
    for (const f of this.files.values()) if (f.host === host && !this.complete(f) && now - f.touched < IDLE_UPLOAD_MS) n++;
    return n;
  }

  /** A new file, making room by dropping the oldest (idle partial uploads first); undefined with why
   * when it cannot fit at all. */
  create(room: string, id: string, chunks: number, owner: string, now: number, host?: string): StoredFile | string {
    const need = slotBytes(chunks);
    if (need > this.o.capBytes) return `the relay keeps at most ${this.o.capBytes} bytes of files`;
    const idle = [...this.files.values()].filter((f) => !this.complete(f) && now - f.touched >= IDLE_UPLOAD_MS);
    for (const f of [...idle, ...this.files.values()]) {
      if (this.reserved + need <= this.o.capBytes) break;
      if (this.files.has(`${f.room}\0${f.id}`)) this.remove(f);
    }
    const f: StoredFile = { room, id, chunks, owner, created: now, touched: now, have: new Uint8Array(Math.ceil(chunks / 8)), haveCount: 0, lastLength: 0, data: undefined, host };
    if (this.o.dir) {
      const dir = path.join(this.o.dir, roomHash(room));
      makeDirs(dir);
      fs.writeFileSync(path.join(dir, `${id}.json`), JSON.stringify({ room, id, chunks, owner, created: now }), { mode: 0o600 });
    } else f.data = Buffer.allocUnsafe(need);
    this.files.set(`${room}\0${id}`, f);
    this.reserved += need;
    return f;
  }

  /** Stores chunk `index` (written, and on disk its index logged, before this returns). Throws the
   * file system's error (a full disk) with nothing acked. */
  put(f: StoredFile, index: number, data: Buffer, now: number): boolean {
    f.touched = now;
    if (this.has(f, index)) return false;
    if (f.data) data.copy(f.data, index * FILE_SLOT_BYTES);
    else {
      const fd = this.open(f);
      writeAll(fd.data, data, index * FILE_SLOT_BYTES);
      const entry = Buffer.allocUnsafe(4);
      entry.writeUInt32BE(index);
      if (fs.writeSync(fd.idx, entry) !== entry.length) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    }
    this.mark(f, index);
    if (index === f.chunks - 1) f.lastLength = data.length;
    if (this.complete(f)) this.close(f);
    return true;
  }

  /** Stored chunk `index`, or undefined when it is not here (or cannot be read back). */
  read(f: StoredFile, index: number): Buffer | undefined {
    if (!this.has(f, index)) return undefined;
    const length = index === f.chunks - 1 ? f.lastLength : FILE_SLOT_BYTES;
    if (f.data) return f.data.subarray(index * FILE_SLOT_BYTES, index * FILE_SLOT_BYTES + length);
    try {
      const out = Buffer.allocUnsafe(length);
      const n = fs.readSync(this.open(f).data, out, 0, length, index * FILE_SLOT_BYTES);
      return n === length ? out : undefined;
    } catch {
      return undefined;
    }
  }

  /** The first `max` ranges of chunks not here yet. */
  missing(f: StoredFile, max: number): FileRange[] {
    const out: FileRange[] = [];
    for (let i = 0; i < f.chunks && out.length < max; i++) {
      if (this.has(f, i)) continue;
      let n = 1;
      while (i + n < f.chunks && n < 0xffff && !this.has(f, i + n)) n++;
      out.push({ from: i, count: n });
      i += n - 1;
    }
    return out;
  }

  remove(f: StoredFile): void {
    if (!this.files.delete(`${f.room}\0${f.id}`)) return;
    this.reserved -= slotBytes(f.chunks);
    f.data = undefined;
    this.close(f);
    if (!this.o.dir) return;
    const base = path.join(this.o.dir, roomHash(f.room), f.id);
    for (const ext of ['.json', '.data', '.idx']) removeQuietly(base + ext);
  }

  close(f?: StoredFile): void {
    for (const [key, fd] of this.fds) {
      if (f && key !== `${f.room}\0${f.id}`) continue;
      fs.closeSync(fd.data);
      fs.closeSync(fd.idx);
      this.fds.delete(key);
    }
  }

  /** Reads the files a store keeps back, oldest first; what cannot be read is dropped and said. */
  load(): string[] {
    const notices: string[] = [];
    const dir = this.o.dir;
    if (!dir || !fs.existsSync(dir)) return notices;
    const found: StoredFile[] = [];
    for (const sub of fs.readdirSync(dir)) {
      const roomDir = path.join(dir, sub);
      if (!fs.statSync(roomDir).isDirectory()) continue;
      for (const name of fs.readdirSync(roomDir).filter((n) => n.endsWith('.json'))) {
        const base = path.join(roomDir, name.slice(0, -5));
        try {
          found.push(this.loadOne(base, sub));
        } catch (err) {
          notices.push(`A stored file (${base}) could not be read back and was dropped: ${(err as Error).message}`);
          for (const ext of ['.json', '.data', '.idx']) removeQuietly(base + ext);
        }
      }
    }
    for (const f of found.sort((a, b) => a.created - b.created)) {
      this.files.set(`${f.room}\0${f.id}`, f);
      this.reserved += slotBytes(f.chunks);
    }
    return notices;
  }

  private loadOne(base: string, sub: string): StoredFile {
    const meta = JSON.parse(fs.readFileSync(`${base}.json`, 'utf8')) as Record<string, unknown>;
    const { room, id, chunks, owner, created } = meta;
    if (typeof room !== 'string' || roomHash(room) !== sub || typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id) || `${id}` !== path.basename(base)) throw new Error('its description does not match where it is');
    if (typeof chunks !== 'number' || !Number.isInteger(chunks) || chunks < 1 || typeof owner !== 'string' || typeof created !== 'number') throw new Error('its description is damaged');
    const f: StoredFile = { room, id, chunks, owner, created, touched: created, have: new Uint8Array(Math.ceil(chunks / 8)), haveCount: 0, lastLength: 0, data: undefined };
    const idx = fs.existsSync(`${base}.idx`) ? fs.readFileSync(`${base}.idx`) : Buffer.alloc(0);
    const size = fs.existsSync(`${base}.data`) ? fs.statSync(`${base}.data`).size : 0;
    for (let at = 0; at + 4 <= idx.length; at += 4) {
      const index = idx.readUInt32BE(at);
      if (index >= chunks) throw new Error(`it names chunk ${index} of ${chunks}`);
      if (!this.has(f, index)) this.mark(f, index);
    }
    if (this.has(f, chunks - 1)) {
      f.lastLength = size - (chunks - 1) * FILE_SLOT_BYTES;
      if (f.lastLength < 16 || f.lastLength > FILE_SLOT_BYTES) throw new Error('its last chunk is cut short');
    }
    return f;
  }

  private mark(f: StoredFile, index: number): void {
    f.have[index >> 3] |= 1 << (index & 7);
    f.haveCount++;
  }

  /** The file's open descriptors; a few are kept open (the most recently used). */
  private open(f: StoredFile): { data: number; idx: number } {
    const key = `${f.room}\0${f.id}`;
    let fd = this.fds.get(key);
    if (fd) {
      this.fds.delete(key);
      this.fds.set(key, fd);
      return fd;
    }
    const base = path.join(this.o.dir!, roomHash(f.room), f.id);
    fd = { data: fs.openSync(`${base}.data`, 'a+', 0o600), idx: fs.openSync(`${base}.idx`, 'a', 0o600) };
    // 'a+' would append whatever the position: reopen for writing at offsets.
    fs.closeSync(fd.data);
    fd.data = fs.openSync(`${base}.data`, 'r+');
    this.fds.set(key, fd);
    if (this.fds.size > 16) {
      const [oldest, old] = this.fds.entries().next().value as [string, { data: number; idx: number }];
      fs.closeSync(old.data);
      fs.closeSync(old.idx);
      this.fds.delete(oldest);
    }
    return fd;
  }
}
