// What an upload and a download share: the link they go over, their one timer, the promise the
// caller waits on, progress at most ~10 times a second, and cancelling (cancel() or an AbortSignal).
import type { Crypto } from '../../protocol/crypto';
import type { FileChunk, FileRange, FileStatus, Packet } from '../../protocol/packets';
import { ChatError } from '../errors';
import type { Pipe } from './pipe';

/** What a transfer needs from the client's link. */
export interface FileLink {
  crypto(): Crypto;
  /** Whether the client is joined (a transfer waits through an outage). */
  joined(): boolean;
  /** Sends a packet sealed for the relay (dropped when not joined). */
  send(p: Packet): void;
  /** Sends a file chunk in a BULK datagram. */
  sendBulk(p: FileChunk): void;
  /** The link's smoothed RTT, a transfer's first estimate. */
  rtt(): number;
}

export interface TransferOptions {
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
}

/** A transfer the caller holds: `done` settles once; cancel() rejects it with ChatError CANCELLED. */
export interface FileTransfer<T> {
  readonly id: string;
  readonly done: Promise<T>;
  cancel(): void;
}

const PROGRESS_EVERY_MS = 100;
/** While the client is not joined, how often a transfer looks again (a rejoin also wakes it). */
const IDLE_MS = 250;
/** A relay that says nothing about a file for this long while joined does not take files (a version
 * from before issue 14 ignores the packets): the transfer fails instead of waiting for ever. */
export const NO_ANSWER_MS = 20_000;

export abstract class Transfer<T> implements FileTransfer<T> {
  readonly done: Promise<T>;
  private resolve!: (v: T) => void;
  private reject!: (e: Error) => void;
  private timer: NodeJS.Timeout | undefined;
  private progressAt = 0;
  /** Whether the relay has said anything about this file; since when we have waited for it, joined. */
  private heard = false;
  private waitingSince: number | undefined;
  settled = false;
  protected abstract readonly pipe: Pipe;

  constructor(
    readonly id: string,
    readonly fileId: Buffer,
    protected readonly link: FileLink,
    protected readonly size: number,
    private readonly opts: TransferOptions,
    private readonly ended: (t: Transfer<T>) => void,
  ) {
    this.done = new Promise<T>((resolve, reject) => [this.resolve, this.reject] = [resolve, reject]);
    this.done.catch(() => undefined); // the caller's to handle; never an unhandled rejection here
    if (opts.signal?.aborted) queueMicrotask(() => this.cancel());
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => this.cancel();

  cancel(): void {
    if (this.settled) return;
    this.cancelled();
    this.fail(new ChatError('CANCELLED', `The transfer of ${this.label()} was cancelled.`));
  }

  abstract onStatus(s: FileStatus, now: number): void;
  abstract onAck(ranges: FileRange[], now: number): void;
  abstract onChunk(p: FileChunk, now: number): void;
  /** The client joined again (after an outage, or a relay restart). */
  abstract rejoined(now: number): void;
  protected abstract label(): string;
  protected abstract step(now: number): number | undefined;
  protected cancelled(): void {}

  /** Runs the transfer now and re-arms its timer. */
  wake(now = Date.now()): void {
    if (this.settled) return;
    clearTimeout(this.timer);
    let at: number | undefined;
    if (!this.link.joined()) this.waitingSince = undefined;
    else if (!this.heard && now - (this.waitingSince ??= now) > NO_ANSWER_MS) {
      return this.fail(new ChatError('REFUSED', `The relay did not answer about ${this.label()}: it may be a version that does not take files.`));
    }
    try {
      at = this.link.joined() ? this.step(now) : now + IDLE_MS;
      if (at !== undefined && !this.heard) at = Math.min(at, (this.waitingSince ?? now) + NO_ANSWER_MS + 1);
    } catch (err) {
      return this.fail(err instanceof Error ? err : new Error(String(err)));
    }
    if (this.settled) return;
    if (at !== undefined) this.timer = setTimeout(() => this.wake(), Math.max(0, at - Date.now()));
  }

  /** The relay said something about this file (an ack, a chunk, a status). */
  protected answered(): void {
    this.heard = true;
  }

  protected progress(done: number, force = false): void {
    const now = Date.now();
    if (!this.opts.onProgress || (!force && now - this.progressAt < PROGRESS_EVERY_MS)) return;
    this.progressAt = now;
    try {
      this.opts.onProgress(Math.min(done, this.size), this.size);
    } catch {
      // a listener that throws must not stop the transfer
    }
  }

  protected succeed(v: T): void {
    if (this.settled) return;
    this.finish();
    this.resolve(v);
  }

  /** Ends the transfer with `err` (the client closing, or what went wrong). */
  fail(err: Error): void {
    if (this.settled) return;
    this.finish();
    this.reject(err);
  }

  private finish(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.opts.signal?.removeEventListener('abort', this.onAbort); // a long-lived signal keeps no transfer
    this.ended(this);
  }
}

/** Chunk indices as ranges, in order (`indices` sorted or not). */
export function toRanges(indices: number[]): FileRange[] {
  const sorted = [...indices].sort((a, b) => a - b);
  const out: FileRange[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && last.from + last.count === i && last.count < 0xffff) last.count++;
    else if (!last || last.from + last.count <= i) out.push({ from: i, count: 1 });
  }
  return out;
}
