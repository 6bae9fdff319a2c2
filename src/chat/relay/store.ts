// The relay's log on disk: one JSON line per sequenced message, appended (and optionally fsynced)
// before the message is acknowledged, so a relay killed with SIGKILL loses nothing it acknowledged:
// a completed write() is in the kernel's page cache even if the process dies the next instant.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ChatError } from '../errors';
import type { MessageBody } from '../../protocol/packets';

export interface StoredMessage {
  seq: number;
  time: number;
  senderId: string; // hex
  legacy: boolean;
  name: string;
  msgId: number;
  body: MessageBody;
}

export interface LoadedRoom {
  roomId: bigint;
  /** The newest messages, oldest first (at most `keep`). */
  messages: StoredMessage[];
  headSeq: number;
  /** Lines that could not be read (a torn last line after a crash, or damage). */
  skipped: number;
}

const LOG = 'messages.jsonl';
const ROOM = 'room.json';

export class RoomStore {
  private fd: number | undefined;

  private constructor(
    private readonly dir: string,
    private readonly fsync: boolean,
  ) {}

  /** Opens (creating if needed) the store in `dir` and reads back the newest `keep` messages.
   * When the log holds far more than that, it is rewritten with just those, so it stays bounded. */
  static open(dir: string, keep: number, fsync: boolean): { store: RoomStore; room: LoadedRoom } {
    const store = new RoomStore(dir, fsync);
    try {
      makeDirs(dir);
      const room = store.load(keep);
      store.fd = fs.openSync(path.join(dir, LOG), 'a');
      return { store, room };
    } catch (err) {
      if (err instanceof ChatError) throw err;
      throw new ChatError('STORE', `Cannot use the store in ${dir}: ${(err as Error).message}`);
    }
  }

  private load(keep: number): LoadedRoom {
    const roomFile = path.join(this.dir, ROOM);
    let roomId: bigint;
    if (fs.existsSync(roomFile)) {
      const parsed = JSON.parse(fs.readFileSync(roomFile, 'utf8')) as { roomId?: string };
      if (typeof parsed.roomId !== 'string' || !/^[0-9a-f]{16}$/.test(parsed.roomId)) {
        throw new ChatError('STORE', `The store in ${this.dir} is damaged (${ROOM} has no room id).`);
      }
      roomId = BigInt(`0x${parsed.roomId}`);
    } else {
      roomId = randomBytes(8).readBigUInt64BE() || 1n;
      writeAtomic(roomFile, JSON.stringify({ roomId: roomId.toString(16).padStart(16, '0') }) + '\n');
    }
    const logFile = path.join(this.dir, LOG);
    const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    const messages: StoredMessage[] = [];
    let skipped = 0;
    let lines = 0;
    let headSeq = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      lines++;
      const m = parseLine(line);
      if (!m || m.seq <= headSeq) {
        skipped++;
        continue;
      }
      headSeq = m.seq;
      messages.push(m);
      if (messages.length > 2 * keep) messages.splice(0, messages.length - keep);
    }
    if (messages.length > keep) messages.splice(0, messages.length - keep);
    if (lines > 2 * keep || skipped > 0) {
      writeAtomic(logFile, messages.map((m) => JSON.stringify(m) + '\n').join(''));
    }
    return { roomId, messages, headSeq, skipped };
  }

  append(m: StoredMessage): void {
    if (this.fd === undefined) throw new ChatError('STORE', 'The store is closed.');
    fs.writeSync(this.fd, JSON.stringify(m) + '\n');
    if (this.fsync) fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** `mkdir -p`, one level at a time: Node's recursive mkdirSync never returns for some paths
 * (a directory under /proc), and a relay that hangs at start is worse than one clear error. */
function makeDirs(dir: string): void {
  const abs = path.resolve(dir);
  const parent = path.dirname(abs);
  if (parent !== abs && !fs.existsSync(parent)) makeDirs(parent);
  try {
    fs.mkdirSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (!fs.statSync(abs).isDirectory()) throw new Error(`${abs} is not a directory`);
}

function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function parseLine(line: string): StoredMessage | undefined {
  try {
    const m = JSON.parse(line) as StoredMessage;
    const ok =
      Number.isInteger(m.seq) && m.seq > 0 && typeof m.time === 'number' && typeof m.senderId === 'string' &&
      typeof m.name === 'string' && Number.isInteger(m.msgId) && typeof m.body?.text === 'string' &&
      (m.body.kind === 'text' || m.body.kind === 'snippet');
    return ok ? m : undefined;
  } catch {
    return undefined; // a torn last line: the append that was cut short was never acknowledged
  }
}
