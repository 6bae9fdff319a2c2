// /send, /get and /cancel in `whatsudp chat` (issue 14). /send reads a file (refusing a folder, a
// missing or unreadable path, or more than 16 MiB, before anything is sent), tells its type and an
// image's size, and hands it to the engine, which uploads it to the relay and then sends the message
// that names it. /get fetches a file message's bytes (the engine checks every chunk and the SHA-256)
// and saves them under the sender's name made safe, never over an existing file, never half. Both
// run beside the chat: lines and other commands go on while a transfer does. Nothing is opened or run.
import os from 'node:os';
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { ChatError } from '../chat';
import { MAX_FILE_BYTES, type FileInfo } from '../common/message';
import { safeFileName } from '../common/filename';
import type { FileCommand } from './commands';
import { formatBytes, imageDimensions, mimeFor } from './file-meta';
import { readForSending, saveNew, type SaveTarget } from './file-io';
import { escapeName } from './format';
import { Progress } from './progress';
import type { RoomsChat } from './rooms-chat';
import { sleep, type Io } from './session';

interface Running {
  cancel(): void;
  done: Promise<void>;
}

// How often the end of input looks at the transfers it waits for.
const IDLE_POLL_MS = 250;

/** `~` and `~/x` as a shell would have them (a line typed in the chat reaches no shell). */
export function expandHome(typed: string): string {
  return typed === '~' || typed.startsWith('~/') ? path.join(os.homedir(), typed.slice(1)) : typed;
}

/** Why a transfer ended without its file, as the rest of a line. */
function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return escapeName(text.replace(/\s*\n\s*/g, ' ').replace(/\.$/, ''));
}

export class FileCommands {
  private readonly running = new Set<Running>();
  /** When a transfer last moved (its progress, or its start). */
  private moved = Date.now();

  constructor(
    private readonly chat: RoomsChat,
    private readonly io: Io,
    /** The chat is ending: transfers it cancels are not reported one by one. */
    private readonly over: () => boolean,
    /** A command that did not do what it said: counted as a line not sent (exit code 5). */
    private readonly problem: () => void,
  ) {}

  /** Starts the command; resolves once it is started (a transfer goes on beside the chat). */
  async run(c: FileCommand): Promise<void> {
    switch (c.kind) {
      case 'send':
        return this.send(c.path, c.caption);
      case 'get':
        return this.get(c.seq, c.dest);
      case 'cancel':
        if (this.running.size === 0) this.io.err('whatsudp: /cancel: no /send or /get is going on');
        return this.cancelAll();
      default: {
        const _exhaustive: never = c;
        return _exhaustive;
      }
    }
  }

  /** Resolves when no transfer is left (each ends by itself: done, failed, or cancelled). */
  async idle(): Promise<void> {
    for (let i = 0; i < 100 && this.running.size > 0; i++) await Promise.all([...this.running].map((r) => r.done));
  }

  /** The end of input: waits for the transfers as long as they move; after `stuckMs` without any
   * progress (the relay gone for good) they are cancelled, and said as not sent or not saved. */
  async finish(stuckMs: number): Promise<void> {
    while (this.running.size > 0) {
      if (Date.now() - this.moved > stuckMs) {
        this.cancelAll();
        return this.idle();
      }
      await Promise.race([this.idle(), sleep(IDLE_POLL_MS)]);
    }
  }

  /** The engine's onProgress, also noting that a transfer moved. */
  private progress(p: Progress): (done: number, total: number) => void {
    this.moved = Date.now();
    return (done, total) => {
      this.moved = Date.now();
      p.update(done, total);
    };
  }

  cancelAll(): void {
    for (const r of this.running) r.cancel();
  }

  private fail(line: string): void {
    if (!this.over()) this.io.err(`whatsudp: ${line}`);
    this.problem();
  }

  private track(cancel: () => void, done: Promise<void>): void {
    const r: Running = { cancel, done: done.finally(() => this.running.delete(r)) };
    this.running.add(r);
  }

  private async send(typed: string, caption: string): Promise<void> {
    const room = this.chat.current;
    const read = await readForSending(expandHome(typed), escapeName(typed), MAX_FILE_BYTES);
    if ('error' in read) return this.fail(`/send: ${read.error}; nothing sent`);
    const { bytes, name } = read;
    const mime = mimeFor(name);
    const progress = new Progress(this.io, 'sending', escapeName(name));
    try {
      const transfer = room.client.sendFile({ bytes, name, mime, ...imageDimensions(bytes, mime), ...(caption !== '' ? { caption } : {}) }, { onProgress: this.progress(progress) });
      this.track(
        () => transfer.cancel(),
        transfer.done.then(
          () => progress.end(),
          (err: unknown) => {
            progress.end();
            this.fail(`/send: ${escapeName(name)} not sent: ${reason(err)}`);
          },
        ),
      );
    } catch (err) {
      progress.end();
      this.fail(`/send: ${escapeName(name)} not sent: ${reason(err)}`);
    }
  }

  private async get(seq: number, dest: string | undefined): Promise<void> {
    const room = this.chat.current;
    const file = room.fileAt(seq);
    if (file === 'not a file') return this.fail(`/get: #${seq} in ${escapeName(room.label)} is not a file`);
    if (file === undefined) return this.fail(`/get: this chat has seen no file #${seq} in ${escapeName(room.label)} (SEQ: the number after "/get" in the file's line)`);
    const target = await saveTarget(dest === undefined ? undefined : expandHome(dest), file);
    if ('error' in target) return this.fail(`/get: ${target.error}; nothing saved`);
    const shown = escapeName(file.name);
    const progress = new Progress(this.io, 'getting', shown);
    const transfer = room.client.fetchFile(file, { onProgress: this.progress(progress) });
    const saved = transfer.done.then(async (bytes) => {
      progress.end();
      const where = await saveNew(target, bytes);
      if (!this.over()) this.io.err(`* saved ${shown} (${formatBytes(bytes.length)}) as ${escapeName(where)}`);
    });
    this.track(
      () => transfer.cancel(),
      saved.catch((err: unknown) => {
        progress.end();
        const why = err instanceof ChatError ? reason(err) : `cannot save it: ${reason(err)}`;
        this.fail(`/get: #${seq} ${shown} not saved: ${why}`);
      }),
    );
  }
}

/** Where /get saves: a folder (the file's safe name in it) or a file's path (numbered if taken). */
export async function saveTarget(dest: string | undefined, file: Pick<FileInfo, 'name'>): Promise<SaveTarget | { error: string }> {
  const where = path.resolve(dest ?? '.');
  const shown = escapeName(dest ?? where);
  const st = await stat(where).catch((err: NodeJS.ErrnoException) => err);
  if (!(st instanceof Error)) {
    if (st.isDirectory()) return { dir: where, name: safeFileName(file.name) };
    return { dir: path.dirname(where), name: path.basename(where) }; // a file: "name (1).ext" beside it
  }
  if (st.code !== 'ENOENT') return { error: `cannot use ${shown} (${st.code ?? st.message})` };
  if (/[/\\]$/.test(dest ?? '')) return { error: `there is no folder ${shown}` };
  const dir = path.dirname(where);
  const parent = await stat(dir).catch(() => undefined);
  if (!parent?.isDirectory()) return { error: `there is no folder ${escapeName(dir)}` };
  return { dir, name: path.basename(where) };
}
