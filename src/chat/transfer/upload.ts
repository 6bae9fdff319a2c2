// An upload (issue 14): the file's chunks sealed under its own key and sent in BULK datagrams as the
// window and the pacer allow, until the relay has acked them all and says the file is complete. After
// an outage or a relay restart it asks what the relay still lacks (FileGet with no ranges) and sends
// only that. Then the caller's kind-15 message names the file.
import { FileCipher } from '../../protocol/files';
import { FileState, MAX_FILE_RANGES, PacketType, type FileChunk, type FileRange, type FileStatus } from '../../protocol/packets';
import { ChatError } from '../errors';
import { Transfer, type FileLink, type TransferOptions } from './base';
import { Pipe } from './pipe';

/** How many times the relay may forget an upload (a restart without a store) before we give up. */
const MAX_RESTARTS = 3;

export class Upload<T> extends Transfer<T> {
  protected readonly pipe: Pipe;
  private readonly cipher: FileCipher;
  /** send: chunks go; ask: waiting for the relay's status (after a rejoin, or once all are acked). */
  private phase: 'send' | 'ask' = 'send';
  private askedAt = -Infinity;
  private asks = 0;
  private restarts = 0;

  constructor(
    link: FileLink,
    fileId: Buffer,
    key: Uint8Array,
    private readonly bytes: Uint8Array,
    private readonly name: string,
    opts: TransferOptions,
    private readonly complete: () => T,
    ended: (t: Transfer<T>) => void,
  ) {
    super(fileId.toString('hex'), fileId, link, bytes.length, opts, ended);
    this.cipher = new FileCipher(link.crypto(), key, fileId, bytes.length);
    this.pipe = new Pipe(this.cipher.chunks, { send: (indices) => this.sendChunks(indices) }, link.rtt());
  }

  /** Chunks sent (first time and again), for tests and the bench. */
  get counts(): Pipe['counts'] {
    return this.pipe.counts;
  }

  protected label(): string {
    return this.name;
  }

  private sendChunks(indices: number[]): void {
    for (const index of indices) {
      const data = Buffer.from(this.cipher.seal(this.bytes, index));
      this.link.sendBulk({ type: PacketType.FileChunk, fileId: this.fileId, chunks: this.pipe.chunks, index, data });
    }
  }

  protected step(now: number): number | undefined {
    if (this.phase === 'send' && this.pipe.complete) this.ask(now);
    if (this.phase === 'ask') {
      const wait = this.pipe.rtt.pto(Math.min(this.asks, 6));
      if (now - this.askedAt >= wait) {
        this.asks++;
        this.askedAt = now;
        this.link.send({ type: PacketType.FileGet, fileId: this.fileId, ranges: [] });
      }
      return this.askedAt + this.pipe.rtt.pto(Math.min(this.asks, 6));
    }
    return this.pipe.tick(now);
  }

  private ask(now: number): void {
    this.phase = 'ask';
    this.asks = 0;
    this.askedAt = -Infinity;
    void now;
  }

  onAck(ranges: FileRange[], now: number): void {
    if (this.settled) return;
    this.answered();
    let fresh = false;
    for (const r of ranges) for (let i = r.from; i < r.from + r.count; i++) fresh = this.pipe.ack(i, now) || fresh;
    if (!fresh) return;
    this.progress(this.pipe.acked * 1024, this.pipe.complete);
    this.wake(now);
  }

  onStatus(s: FileStatus, now: number): void {
    if (this.settled) return;
    this.answered();
    switch (s.state) {
      case FileState.Complete:
        this.progress(this.size, true);
        try {
          return this.succeed(this.complete());
        } catch (err) {
          return this.fail(err instanceof Error ? err : new Error(String(err)));
        }
      case FileState.Refused:
        return this.fail(new ChatError('REFUSED', `The relay refused ${this.name}: ${s.detail || 'no reason given'}.`));
      case FileState.Gone:
        // The relay forgot the upload (a restart without a store, or evicted): everything again.
        if (++this.restarts > MAX_RESTARTS) return this.fail(new ChatError('FILE_GONE', `The relay keeps losing ${this.name} while it is uploaded (${s.detail || 'gone'}).`));
        this.pipe.restart([{ from: 0, count: this.pipe.chunks }], this.pipe.chunks);
        break;
      case FileState.Partial: {
        if (this.phase !== 'ask') return; // an answer to a question asked before: the acks say more
        const last = s.missing[s.missing.length - 1];
        this.pipe.restart(s.missing, s.missing.length < MAX_FILE_RANGES || !last ? this.pipe.chunks : last.from + last.count);
        break;
      }
      default:
        return;
    }
    this.phase = 'send';
    this.wake(now);
  }

  onChunk(_p: FileChunk, _now: number): void {}

  rejoined(now: number): void {
    if (this.settled) return;
    this.pipe.restart();
    this.ask(now);
    this.wake(now);
  }

  protected override cancelled(): void {
    this.link.send({ type: PacketType.FileCancel, fileId: this.fileId });
  }
}
