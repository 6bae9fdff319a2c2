// A client's file transfers (issue 14): each upload and download by file id, the relay's file
// packets routed to them, woken when the client joins again, failed when it closes.
import { fileSizeProblem, type FileInfo } from '../../common/message';
import { PacketType, type Packet } from '../../protocol/packets';
import { ChatError } from '../errors';
import type { FileLink, FileTransfer, TransferOptions } from './base';
import { Download } from './download';
import { Upload } from './upload';

export interface FileToSend {
  bytes: Uint8Array;
  name: string;
  mime?: string;
  width?: number;
  height?: number;
  caption?: string;
}

export class FileTransfers {
  private readonly uploads = new Map<string, Upload<unknown>>();
  private readonly downloads = new Map<string, Download>();

  constructor(private readonly link: FileLink) {}

  /** Starts an upload; `check` throws for a file whose message could not be sent (before anything is),
   * `complete` makes the result (the kind-15 message) once the relay has it all. */
  upload<T>(file: FileToSend, opts: TransferOptions, check: (info: FileInfo) => void, complete: (info: FileInfo) => T): FileTransfer<T> {
    const tooBig = fileSizeProblem(file.name, file.bytes.length);
    if (tooBig) throw new ChatError('TOO_LARGE', tooBig);
    const crypto = this.link.crypto();
    const fileId = Buffer.from(crypto.random(16));
    const key = crypto.random(32);
    const info: FileInfo = {
      id: fileId.toString('hex'), key: Buffer.from(key).toString('base64url'), name: file.name, size: file.bytes.length,
      sha256: Buffer.from(crypto.sha256(file.bytes)).toString('hex'), mime: file.mime ?? 'application/octet-stream',
      ...(file.width !== undefined && file.height !== undefined ? { width: file.width, height: file.height } : {}),
    };
    check(info);
    const up: Upload<T> = new Upload<T>(this.link, fileId, key, file.bytes, file.name, opts, () => complete(info), (t) => this.uploads.delete(t.id));
    this.uploads.set(up.id, up as Upload<unknown>);
    queueMicrotask(() => up.wake());
    return up;
  }

  download(file: FileInfo, opts: TransferOptions): FileTransfer<Buffer> {
    const down = new Download(this.link, file, opts, (t) => {
      if (this.downloads.get(t.id) === t) this.downloads.delete(t.id);
    });
    this.downloads.get(file.id)?.cancel(); // one fetch of a file at a time
    this.downloads.set(down.id, down);
    queueMicrotask(() => down.wake());
    return down;
  }

  /** A file packet from the relay. */
  onPacket(p: Packet, now: number): void {
    if (p.type !== PacketType.FileAck && p.type !== PacketType.FileStatus && p.type !== PacketType.FileChunk) return;
    const id = p.fileId.toString('hex');
    const up = this.uploads.get(id);
    const down = this.downloads.get(id);
    if (p.type === PacketType.FileAck) up?.onAck(p.ranges, now);
    else if (p.type === PacketType.FileChunk) down?.onChunk(p, now);
    else (up ?? down)?.onStatus(p, now);
  }

  rejoined(now: number): void {
    for (const t of this.all()) t.rejoined(now);
  }

  close(): void {
    for (const t of this.all()) t.fail(new ChatError('CLOSED', 'The chat client was closed during a file transfer.'));
  }

  private all(): (Upload<unknown> | Download)[] {
    return [...this.uploads.values(), ...this.downloads.values()];
  }
}
