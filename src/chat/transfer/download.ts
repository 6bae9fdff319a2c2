// A download (issue 14), receiver-driven: chunks are asked for with FileGet as the window and the
// pacer allow (the window is chunks asked for and not yet come), each is opened with the file's key
// (its seal binds the file id, its index and the chunk count), and the whole is checked against the
// SHA-256 the signed message gave. Anything that does not check out rejects with CORRUPT, and nothing
// of the file is returned.
import { FILE_CHUNK_BYTES, FileCipher } from '../../protocol/files';
import { FileState, PacketType, type FileChunk, type FileRange, type FileStatus } from '../../protocol/packets';
import type { FileInfo } from '../../common/message';
import { ChatError } from '../errors';
import { toRanges, Transfer, type FileLink, type TransferOptions } from './base';
import { Pipe } from './pipe';

export class Download extends Transfer<Buffer> {
  protected readonly pipe: Pipe;
  private readonly cipher: FileCipher;
  private plain: Buffer | undefined;

  constructor(link: FileLink, private readonly file: FileInfo, opts: TransferOptions, ended: (t: Transfer<Buffer>) => void) {
    const fileId = Buffer.from(file.id, 'hex');
    super(file.id, fileId, link, file.size, opts, ended);
    this.cipher = new FileCipher(link.crypto(), Buffer.from(file.key, 'base64url'), fileId, file.size);
    this.plain = Buffer.alloc(file.size);
    this.pipe = new Pipe(this.cipher.chunks, { send: (indices) => this.link.send({ type: PacketType.FileGet, fileId, ranges: toRanges(indices) }) }, link.rtt());
  }

  get counts(): Pipe['counts'] {
    return this.pipe.counts;
  }

  protected label(): string {
    return this.file.name;
  }

  protected step(now: number): number | undefined {
    return this.pipe.tick(now);
  }

  onChunk(p: FileChunk, now: number): void {
    if (this.settled || !this.plain) return;
    this.answered();
    if (p.index >= this.pipe.chunks || this.pipe.isDone(p.index)) return;
    const opened = p.chunks === this.pipe.chunks ? this.cipher.open(p.data, p.index) : undefined;
    if (!opened) return this.corrupt(`chunk ${p.index} does not open with its key`);
    this.plain.set(opened, p.index * FILE_CHUNK_BYTES);
    this.pipe.ack(p.index, now);
    this.progress(Math.min(this.size, this.pipe.acked * FILE_CHUNK_BYTES), this.pipe.complete);
    if (!this.pipe.complete) return this.wake(now);
    const sha = Buffer.from(this.link.crypto().sha256(this.plain)).toString('hex');
    if (sha !== this.file.sha256) return this.corrupt('its SHA-256 is not the one its message gave');
    const out = this.plain;
    this.plain = undefined;
    this.succeed(out);
  }

  private corrupt(why: string): void {
    this.plain = undefined; // nothing of it is kept
    this.fail(new ChatError('CORRUPT', `${this.file.name} did not check out (${why}): the relay's copy was altered or damaged, so nothing was kept.`));
  }

  onStatus(s: FileStatus): void {
    if (this.settled) return;
    this.answered();
    this.plain = s.state === FileState.Complete ? this.plain : undefined;
    if (s.state === FileState.Gone) this.fail(new ChatError('FILE_GONE', `The relay no longer has ${this.file.name} (it keeps files up to its file store's size).`));
    else if (s.state === FileState.Partial) this.fail(new ChatError('FILE_GONE', `The relay has only part of ${this.file.name}: it was never completely uploaded, or the relay lost some of it.`));
    else if (s.state === FileState.Refused) this.fail(new ChatError('REFUSED', `The relay refused to send ${this.file.name}: ${s.detail || 'no reason given'}.`));
  }

  onAck(_r: FileRange[], _now: number): void {}

  rejoined(now: number): void {
    if (this.settled) return;
    this.pipe.restart();
    this.wake(now);
  }
}
