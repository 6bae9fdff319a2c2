// Splitting a message into datagrams of at most MAX_DATAGRAM bytes, and putting it back together.
// Pure: the caller owns the clock (reassembly deadlines) and the sockets.
import { ProtocolError } from './bytes';
import { fragmentOverhead, MAX_FRAGMENTS } from './codec';
import { decodeUtf8 } from './bytes';
import { MAX_DATAGRAM, MAX_TEXT_BYTES, PacketType, type Data, type MessageBody, type MessageHead, type Msg } from './packets';

export function headOf(body: MessageBody, totalBytes: number): MessageHead {
  return body.kind === 'text'
    ? { kind: 'text', totalBytes }
    : { kind: 'snippet', totalBytes, path: body.path, startLine: body.startLine, endLine: body.endLine, language: body.language };
}

export function bodyOf(head: MessageHead, text: string): MessageBody {
  return head.kind === 'text'
    ? { kind: 'text', text }
    : { kind: 'snippet', text, path: head.path, startLine: head.startLine, endLine: head.endLine, language: head.language };
}

/** Splits `text` so that each packet built by `make` stays within MAX_DATAGRAM. */
function split<P extends Data | Msg>(
  text: Buffer,
  head: MessageHead,
  overhead: (head: MessageHead | undefined) => number,
  make: (i: number, n: number, head: MessageHead | undefined, chunk: Buffer) => P,
): P[] {
  const room0 = MAX_DATAGRAM - overhead(head);
  const roomN = MAX_DATAGRAM - overhead(undefined);
  if (room0 < 1 || roomN < 1) throw new ProtocolError('Cannot encode message (headers leave no room for text)');
  const count = text.length <= room0 ? 1 : 1 + Math.ceil((text.length - room0) / roomN);
  if (count > MAX_FRAGMENTS) throw new ProtocolError(`Cannot encode message (${count} fragments, over ${MAX_FRAGMENTS})`);
  const out: P[] = [make(0, count, head, text.subarray(0, room0))];
  for (let i = 1, at = room0; i < count; i++, at += roomN) out.push(make(i, count, undefined, text.subarray(at, at + roomN)));
  return out;
}

export function textBytes(body: MessageBody): Buffer {
  const text = Buffer.from(body.text, 'utf8');
  if (text.length > MAX_TEXT_BYTES) throw new ProtocolError(`Cannot encode message (${text.length} bytes of text, over ${MAX_TEXT_BYTES})`);
  return text;
}

export function fragmentData(clientId: Buffer, msgId: number, body: MessageBody): Data[] {
  const text = textBytes(body);
  const make = (fragIndex: number, fragCount: number, head: MessageHead | undefined, chunk: Buffer): Data =>
    ({ type: PacketType.Data, clientId, msgId, fragIndex, fragCount, ...(head && { head }), chunk });
  return split(text, headOf(body, text.length), (h) => fragmentOverhead(PacketType.Data, h), make);
}

export type MsgMeta = Pick<Msg, 'seq' | 'time' | 'senderId' | 'senderFlags' | 'name' | 'msgId'>;

export function fragmentMsg(meta: MsgMeta, body: MessageBody, text = textBytes(body)): Msg[] {
  const nameBytes = Buffer.byteLength(meta.name, 'utf8');
  const make = (fragIndex: number, fragCount: number, head: MessageHead | undefined, chunk: Buffer): Msg =>
    ({ type: PacketType.Msg, ...meta, fragIndex, fragCount, ...(head && { head }), chunk });
  return split(text, headOf(body, text.length), (h) => fragmentOverhead(PacketType.Msg, h, nameBytes), make);
}

/** One message being put back together from its fragments. */
export class Assembly {
  private readonly chunks: (Buffer | undefined)[];
  private head: MessageHead | undefined;
  private received = 0;
  bytes = 0;

  constructor(readonly fragCount: number) {
    this.chunks = new Array(fragCount);
  }

  /** Adds a fragment; returns false if it was a duplicate. Throws if it contradicts the others. */
  add(fragIndex: number, fragCount: number, head: MessageHead | undefined, chunk: Buffer): boolean {
    if (fragCount !== this.fragCount) throw new ProtocolError(`Cannot reassemble message (fragment count ${fragCount}, expected ${this.fragCount})`);
    if (this.chunks[fragIndex]) return false;
    if (head) {
      if (head.totalBytes < chunk.length) throw new ProtocolError('Cannot reassemble message (first fragment longer than the message)');
      this.head = head;
    }
    this.chunks[fragIndex] = Buffer.from(chunk); // copy: the datagram's buffer is not ours to keep
    this.received++;
    this.bytes += chunk.length;
    if (this.bytes > MAX_TEXT_BYTES) throw new ProtocolError(`Cannot reassemble message (over ${MAX_TEXT_BYTES} bytes)`);
    return true;
  }

  has(fragIndex: number): boolean {
    return this.chunks[fragIndex] !== undefined;
  }

  get complete(): boolean {
    return this.received === this.fragCount;
  }

  /** The whole message, once complete. */
  body(): { body: MessageBody; text: Buffer } {
    if (!this.complete || !this.head) throw new ProtocolError('Cannot reassemble message (fragments missing)');
    const text = Buffer.concat(this.chunks as Buffer[]);
    if (text.length !== this.head.totalBytes) {
      throw new ProtocolError(`Cannot reassemble message (${text.length} bytes, header says ${this.head.totalBytes})`);
    }
    return { body: bodyOf(this.head, decodeUtf8(text, 'message text')), text };
  }
}
