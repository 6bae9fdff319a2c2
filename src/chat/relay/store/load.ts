// Opening a store: the room id, a one-time move from the old messages.jsonl, and the segments read
// back, damaged or not, into the newest messages and the head. A restart always works, whatever was
// written: damage is reported and its seqs become holes, never a reason not to start.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { replaceFile, removeQuietly, syncDir } from './files';
import { JSONL_FILE, readJsonl } from './jsonl';
import { encodeRecord, type StoredMessage } from './record';
import { Newest, Recovery, type Hole } from './recovery';
import { encodeHeader, readHeader, readSegment, SEGMENT_FILE, segmentName, type ScanSink } from './segment';

const ROOM_FILE = 'room.json';

export interface Segment {
  n: number;
  file: string;
  bytes: number;
  /** The highest seq read back from or written to it; 0 when it has none. */
  lastSeq: number;
}

export interface LoadedStore {
  roomId: bigint;
  /** The newest messages, oldest first, within the history's bounds. */
  messages: StoredMessage[];
  headSeq: number;
  segments: Segment[];
  /** Whether the newest segment can take more records (read cleanly up to its head). */
  appendable: boolean;
  /** Lines for the relay's operator: what was damaged, cut short or moved. */
  notices: string[];
  /** Damaged stretches plus writes cut short. */
  skipped: number;
}

export interface Keep {
  messages: number;
  bytes: number;
  fsync: boolean;
}

export function newRoomId(): bigint {
  return randomBytes(8).readBigUInt64BE() || 1n;
}

export function writeRoomFile(dir: string, roomId: bigint, fsync: boolean): void {
  replaceFile(path.join(dir, ROOM_FILE), JSON.stringify({ roomId: roomId.toString(16).padStart(16, '0') }) + '\n', fsync);
}

/** The room's id from room.json; if that is missing or unreadable, from the newest segment that
 * names one (so a damaged room.json does not cost the room), else a new room. */
function readRoomId(dir: string, files: { file: string }[], fsync: boolean, notices: string[]): bigint {
  const file = path.join(dir, ROOM_FILE);
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'utf8');
    const parsed = JSON.parse(text) as { roomId?: unknown };
    if (typeof parsed.roomId === 'string' && /^[0-9a-f]{16}$/.test(parsed.roomId)) return BigInt(`0x${parsed.roomId}`);
  } catch (err) {
    if (text === undefined && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let roomId: bigint | undefined;
  for (const { file: seg } of [...files].reverse()) {
    roomId = readHeader(seg)?.roomId;
    if (roomId !== undefined) break;
  }
  if (text !== undefined) notices.push(`${ROOM_FILE} in ${dir} was damaged; ${roomId !== undefined ? 'the room id was read from the messages' : 'a new room begins'}.`);
  roomId ??= newRoomId();
  writeRoomFile(dir, roomId, fsync);
  return roomId;
}

export function loadStore(dir: string, keep: Keep): LoadedStore {
  const notices: string[] = [];
  let files = listSegments(dir);
  const roomId = readRoomId(dir, files, keep.fsync, notices);
  const jsonl = path.join(dir, JSONL_FILE);
  if (fs.existsSync(jsonl)) {
    // Segments beside it mean the move finished and only the removal was interrupted.
    if (files.length === 0) notices.push(...migrate(dir, jsonl, roomId, keep));
    removeQuietly(jsonl);
    files = listSegments(dir);
  }

  const segments: Segment[] = [];
  const newest = new Newest<StoredMessage>(keep.messages, 2 * keep.bytes);
  let current: Segment | undefined;
  const recovery = new Recovery<{ seq: number; m: StoredMessage; seg: Segment }>((r) => {
    r.seg.lastSeq = r.seq;
    newest.push(r.m, r.m.body.text.length);
  });
  const sink: ScanSink = {
    record: (m, bytes) => recovery.record({ seq: m.seq, m, seg: current! }, bytes),
    damagedRecord: () => recovery.damagedRecord(),
    damage: (bytes) => recovery.damage(bytes),
    torn: () => recovery.tornRecord(),
  };
  let floor = 0;
  let last: ReturnType<typeof readSegment> | undefined;
  for (const { n, file } of files) {
    current = { n, file, bytes: 0, lastSeq: 0 };
    last = readSegment(file, sink);
    if (last.header && last.header.roomId !== roomId) {
      removeQuietly(file); // left by a room that rolled over (its seqs were used up)
      last = undefined;
      continue;
    }
    current.bytes = last.size;
    floor = Math.max(floor, last.header?.base ?? 0);
    segments.push(current);
  }
  const headSeq = recovery.finish(floor);
  const tail = segments.at(-1);
  if (tail && last?.torn) {
    // The write a crash cut short was never acknowledged: drop it so appends follow whole records.
    try {
      fs.truncateSync(tail.file, last.goodEnd);
      tail.bytes = last.goodEnd;
      last.torn = false;
    } catch {
      // left as it is: a new segment takes the appends
    }
  }
  const appendable = !!tail && !!last && !!last.header && !last.damaged && !last.torn && (tail.lastSeq || last.header.base) === headSeq;
  if (recovery.torn > 0) notices.push(`The store had ${recovery.torn} write(s) cut short by a stop; they were never acknowledged and are dropped.`);
  if (recovery.damaged > 0) notices.push(damageNotice(recovery.damaged, recovery.missing, recovery.holes));
  return { roomId, messages: newest.list(), headSeq, segments, appendable, notices, skipped: recovery.damaged + recovery.torn };
}

function damageNotice(stretches: number, missing: number, holes: Hole[]): string {
  const ranges = holes.slice(0, 5).map((h) => (h.from === h.to ? `${h.from}` : `${h.from}-${h.to}`));
  const which = missing > 0 ? `: ${missing} message(s) could not be read (seq ${ranges.join(', ')}${holes.length > 5 ? ', ...' : ''}) and members are told they are lost` : ' (no message was lost)';
  return `The store has ${stretches} damaged part(s)${which}.`;
}

export function listSegments(dir: string): { n: number; file: string }[] {
  return fs
    .readdirSync(dir)
    .map((name) => ({ match: SEGMENT_FILE.exec(name), name }))
    .filter((e) => e.match)
    .map((e) => ({ n: Number(e.match![1]), file: path.join(dir, e.name) }))
    .sort((a, b) => a.n - b.n);
}

/** Reads the old log (streaming), keeps what the history would, and writes it as the first segment.
 * The segment says the head the log reached, so seqs the log's damaged tail may have used stay used. */
function migrate(dir: string, jsonl: string, roomId: bigint, keep: Keep): string[] {
  const newest = new Newest<StoredMessage>(keep.messages, 2 * keep.bytes);
  const recovery = new Recovery<StoredMessage>((m) => newest.push(m, m.body.text.length));
  readJsonl(jsonl, {
    record: (m, bytes) => recovery.record(m, bytes),
    damagedRecord: () => recovery.damagedRecord(),
    damage: (bytes) => recovery.damage(bytes),
    torn: () => recovery.tornRecord(),
  });
  const head = recovery.finish();
  const records: Buffer[] = [encodeHeader({ roomId, base: head })];
  let kept = 0;
  for (const m of newest.list()) {
    try {
      records.push(encodeRecord(m));
      kept++;
    } catch {
      recovery.damaged++; // a line no relay could have written (a name longer than names may be)
    }
  }
  replaceFile(path.join(dir, segmentName(1)), Buffer.concat(records), true);
  syncDir(dir);
  const notices = [`Moved the store in ${dir} from ${JSONL_FILE} to the current format, keeping the newest ${kept} message(s).`];
  if (recovery.torn > 0) notices.push(`${JSONL_FILE} had a last line cut short by a stop; it was never acknowledged and is dropped.`);
  if (recovery.damaged > 0) notices.push(damageNotice(recovery.damaged, recovery.missing, recovery.holes));
  return notices;
}
