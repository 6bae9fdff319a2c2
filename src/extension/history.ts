// The conversation on disk: one JSON file in the extension's global storage, written whole (to a
// temporary file, then renamed, so a crash leaves the old or the new file, never half of one) and
// debounced, so a busy room costs one write per second at most. No `vscode` here: the session and
// its tests use it in plain Node.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { replaceFile, type MessageBody } from '../chat';
import type { DeliveryStateView, SenderView } from '../common/messages';

/** One message of the conversation as kept on disk. */
export interface StoredEntry {
  /** The room the seq belongs to; absent for own messages not yet sequenced. */
  roomId?: string;
  seq?: number;
  time: number;
  sender: SenderView;
  body: MessageBody;
  msgId: number;
  own: boolean;
  state?: DeliveryStateView;
  error?: string;
  /** The key that signed it and whether its signature checked out: who may edit or delete it. */
  key?: string;
  verified?: boolean;
  /** What replies, reactions, edits and deletes did to it (src/common/thread.ts decides): the body
   * holds the current text, so an edited or deleted message's old words are not kept on disk. */
  edited?: boolean;
  deleted?: boolean;
  reactions?: StoredReaction[];
}

/** Who reacted with an emoji, by key (a name proves nothing), in the order they did. */
export interface StoredReaction {
  emoji: string;
  by: { name: string; key: string }[];
}

export interface PersistedState {
  version: 1;
  clientId?: string;
  nextMsgId?: number;
  resume?: { roomId: string; lastSeq: number };
  entries: StoredEntry[];
}

export interface HistoryStorage {
  load(): Promise<PersistedState>;
  /** Asks for a write soon; `read` is called at write time, so the newest state goes out. */
  schedule(read: () => PersistedState): void;
  /** Writes now if a write is due (on dispose and before a reload). */
  flush(): Promise<void>;
  dispose(): Promise<void>;
}

export function emptyState(): PersistedState {
  return { version: 1, entries: [] };
}

const FILE = 'history.json';
const LOCK = 'history.lock';

/** A HistoryStorage in a folder. Only one window at a time owns the folder (a lock file holds the
 * owner's pid): two windows with the same client id would push each other out of the room, and two
 * writers would lose each other's messages. A second window gets `undefined` and chats in memory. */
export class FileHistory implements HistoryStorage {
  private timer: NodeJS.Timeout | undefined;
  private read: (() => PersistedState) | undefined;
  private writing: Promise<void> = Promise.resolve();
  private disposed = false;

  private constructor(
    private readonly dir: string,
    private readonly delayMs: number,
    private readonly log: { warn(message: string): void } | undefined,
  ) {}

  static async open(dir: string, delayMs = 1000, log?: { warn(message: string): void }): Promise<FileHistory | undefined> {
    // The conversation is this user's alone: its folder 0700 (VS Code makes the global storage folder
    // with the default mode), its files 0600 (replaceFile).
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    if (process.platform !== 'win32') {
      await fs.promises.chmod(dir, 0o700);
      await fs.promises.chmod(path.join(dir, FILE), 0o600).catch(() => undefined); // an earlier version's (0644), if any
    }
    // A window reloading may still be shutting down: give its lock a moment to go.
    for (let attempt = 0; attempt < 5; attempt++) {
      if (takeLock(path.join(dir, LOCK))) return new FileHistory(dir, delayMs, log);
      await new Promise((r) => setTimeout(r, 300));
    }
    return undefined;
  }

  async load(): Promise<PersistedState> {
    let text: string;
    try {
      text = await fs.promises.readFile(path.join(this.dir, FILE), 'utf8');
    } catch {
      return emptyState(); // first run
    }
    let problem: string;
    try {
      const parsed = JSON.parse(text) as Partial<PersistedState>;
      if (parsed.version === 1 && Array.isArray(parsed.entries)) return { ...emptyState(), ...parsed, entries: parsed.entries.filter(isEntry).map(withReactions) };
      problem = `it is not a version 1 history (version ${String(parsed.version)})`;
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    // Unreadable or of another version: it must not stop the chat, and must not be overwritten by the
    // next save either. Keep it aside under a name no later failure reuses, and say where it went.
    const aside = path.join(this.dir, `${FILE}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await fs.promises.rename(path.join(this.dir, FILE), aside).catch(() => undefined);
    this.log?.warn(`The chat history could not be read (${problem}); starting with an empty conversation. The old file is kept as ${aside}.`);
    return emptyState();
  }

  schedule(read: () => PersistedState): void {
    if (this.disposed) return;
    this.read = read;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delayMs);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const read = this.read;
    this.read = undefined;
    if (!read) return this.writing;
    // Writes run one after another so an older state never lands after a newer one.
    this.writing = this.writing.then(() => this.write(read())).catch(() => undefined);
    return this.writing;
  }

  private async write(state: PersistedState): Promise<void> {
    await replaceFile(path.join(this.dir, FILE), JSON.stringify(state));
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.flush();
    this.disposed = true;
    try {
      const lock = path.join(this.dir, LOCK);
      if (fs.readFileSync(lock, 'utf8').trim() === String(process.pid)) fs.unlinkSync(lock);
    } catch {
      // Already gone.
    }
  }
}

/** Takes the lock file unless a live process other than this one holds it. */
function takeLock(file: string): boolean {
  for (let i = 0; i < 2; i++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return true;
    } catch {
      let holder: number;
      try {
        holder = Number(fs.readFileSync(file, 'utf8').trim());
      } catch {
        continue; // removed meanwhile: try again
      }
      if (holder === process.pid) return true;
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) return false;
      fs.rmSync(file, { force: true }); // left behind by a crashed window
    }
  }
  return false;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isEntry(e: unknown): e is StoredEntry {
  const x = e as StoredEntry;
  return (
    typeof x === 'object' && x !== null && typeof x.time === 'number' && typeof x.msgId === 'number' &&
    typeof x.sender?.name === 'string' && typeof x.body?.text === 'string' &&
    (x.body.kind !== 'placeholder' || typeof x.body.reason === 'string')
  );
}

const isReaction = (r: unknown): r is StoredReaction => {
  const x = r as StoredReaction;
  return typeof x?.emoji === 'string' && Array.isArray(x.by) && x.by.every((b) => typeof b?.name === 'string' && typeof b.key === 'string');
};

/** An entry whose reactions are not what this version wrote keeps its message and loses them. */
function withReactions(e: StoredEntry): StoredEntry {
  if (e.reactions === undefined || (Array.isArray(e.reactions) && e.reactions.every(isReaction))) return e;
  const { reactions: _bad, ...rest } = e;
  return rest;
}

/** Keeps history in memory only: for a second window, and for tests. Like FileHistory it reads the
 * state when it is asked for, not at each schedule(): copying the whole conversation for every
 * arriving message made a 10,000-message backfill quadratic (over a minute instead of 0.3 s). */
export class MemoryHistory implements HistoryStorage {
  private saved: PersistedState = emptyState();
  private read: (() => PersistedState) | undefined;

  /** What a reload would find. */
  get state(): PersistedState {
    this.take();
    return this.saved;
  }
  set state(state: PersistedState) {
    this.read = undefined;
    this.saved = state;
  }
  load(): Promise<PersistedState> {
    return Promise.resolve(structuredClone(this.state));
  }
  schedule(read: () => PersistedState): void {
    this.read = read;
  }
  flush(): Promise<void> {
    this.take();
    return Promise.resolve();
  }
  dispose(): Promise<void> {
    this.take(); // the session's last state, before the session lets go of it
    return Promise.resolve();
  }
  private take(): void {
    if (!this.read) return;
    this.saved = structuredClone(this.read());
    this.read = undefined;
  }
}
