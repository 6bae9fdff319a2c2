// Splitting a message into datagrams of at most MAX_PACKET bytes, and putting it back together.
// Pure: the caller owns the clock (reassembly deadlines) and the sockets.
import { checkUtf8, decodeUtf8, ProtocolError } from './bytes';
import { fragmentOverhead, MAX_FRAGMENTS } from './codec';
import { bodyOf, wireOf } from './kinds';
import { SEALED_KIND, sealedPlaceholder } from './sealed-content';
import { MAX_PACKET, MAX_TEXT_BYTES, PacketType, type Data, type MessageBody, type MessageHead, type Msg, type SendableBody } from './packets';

/** The body a head and its text make: a kind this version does not know is a placeholder, in its
 * seq's place, so the conversation goes on past it. */
export function bodyFromHead(head: MessageHead, text: string): MessageBody {
  return head.kind === 'other' && head.code === SEALED_KIND ? sealedPlaceholder() : bodyOf(head, text);
}

/** How `textBytes` of text split: the room in fragment 0 (after the head) and in each later one. */
interface Split {
  count: number;
  room0: number;
  roomN: number;
}

function splitOf(textBytes: number, overhead0: number, overheadN: number): Split {
  const room0 = MAX_PACKET - overhead0;
  const roomN = MAX_PACKET - overheadN;
  if (room0 < 1 || roomN < 1) throw new ProtocolError('Cannot encode message (headers leave no room for text)');
  const count = textBytes <= room0 ? 1 : 1 + Math.ceil((textBytes - room0) / roomN);
  if (count > MAX_FRAGMENTS) throw new ProtocolError(`Cannot encode message (${count} fragments, over ${MAX_FRAGMENTS})`);
  return { count, room0, roomN };
}

/** The chunk of fragment `i`. */
const chunkOf = (text: Buffer, s: Split, i: number): Buffer => (i === 0 ? text.subarray(0, s.room0) : text.subarray(s.room0 + (i - 1) * s.roomN, s.room0 + i * s.roomN));

/** A body's message bytes (a later kind's are its fields). */
export function textBytes(body: SendableBody): Buffer {
  return wireOf(body).text;
}

/** The Data datagrams of a message, as packets; `sign` makes its signature block (protocol 2: every
 * member's message is signed) from the head without one and the text bytes. */
export function fragmentData(clientId: Buffer, msgId: number, body: SendableBody, sign?: (head: MessageHead, text: Buffer) => Buffer): Data[] {
  const { head, text } = wireOf(body);
  return fragmentWire(clientId, msgId, head, text, sign);
}

/** The same for a message already in its wire form: a head and its bytes (a sealed room's content). */
export function fragmentWire(clientId: Buffer, msgId: number, head: MessageHead, text: Buffer, sign?: (head: MessageHead, text: Buffer) => Buffer): Data[] {
  if (sign) head.auth = sign(head, text);
  const s = splitOf(text.length, fragmentOverhead(PacketType.Data, head), fragmentOverhead(PacketType.Data, undefined));
  const out: Data[] = [];
  for (let i = 0; i < s.count; i++) {
    const chunk = chunkOf(text, s, i);
    out.push(i === 0 ? { type: PacketType.Data, clientId, msgId, fragIndex: 0, fragCount: s.count, head, chunk } : { type: PacketType.Data, clientId, msgId, fragIndex: i, fragCount: s.count, chunk });
  }
  return out;
}

export type MsgMeta = Pick<Msg, 'seq' | 'time' | 'senderId' | 'senderFlags' | 'name' | 'msgId'>;

/** The Msg datagrams of a message, as packets. `nameBytes` is the UTF-8 length of meta.name. */
export function fragmentMsg(meta: MsgMeta, head: MessageHead, text: Buffer, nameBytes = Buffer.byteLength(meta.name, 'utf8')): Msg[] {
  const s = splitOf(text.length, fragmentOverhead(PacketType.Msg, head, nameBytes), fragmentOverhead(PacketType.Msg, undefined, nameBytes));
  const { seq, time, senderId, senderFlags, name, msgId } = meta;
  const out: Msg[] = [];
  for (let i = 0; i < s.count; i++) {
    const chunk = chunkOf(text, s, i);
    out.push(
      i === 0
        ? { type: PacketType.Msg, seq, time, senderId, senderFlags, name, msgId, fragIndex: 0, fragCount: s.count, head, chunk }
        : { type: PacketType.Msg, seq, time, senderId, senderFlags, name, msgId, fragIndex: i, fragCount: s.count, chunk },
    );
  }
  return out;
}

/** The bytes a message's Msg datagrams take in all, computed from the codec's parts without
 * encoding them: what the relay's history counts before (and whether or not) it encodes them. */
export function msgFragmentsLength(nameBytes: number, head: MessageHead, textLength: number): number {
  const overhead0 = fragmentOverhead(PacketType.Msg, head, nameBytes);
  if (overhead0 + textLength <= MAX_PACKET) return overhead0 + textLength; // one datagram, the common case
  const overheadN = fragmentOverhead(PacketType.Msg, undefined, nameBytes);
  return textLength + overhead0 + (splitOf(textLength, overhead0, overheadN).count - 1) * overheadN;
}

/** One message being put back together from its fragments. */
export class Assembly {
  private readonly chunks: (Buffer | undefined)[];
  private head: MessageHead | undefined;
  private received = 0;
  bytes = 0;

  constructor(readonly fragCount: number) {
    this.chunks = new Array<Buffer | undefined>(fragCount);
  }

  /** Adds a fragment; returns false if it was a duplicate. Throws if it contradicts the others. */
  add(fragIndex: number, fragCount: number, head: MessageHead | undefined, chunk: Buffer): boolean {
    if (fragCount !== this.fragCount) throw new ProtocolError(`Cannot reassemble message (fragment count ${fragCount}, expected ${this.fragCount})`);
    if (this.chunks[fragIndex]) return false;
    if (head) {
      if (head.totalBytes < chunk.length) throw new ProtocolError('Cannot reassemble message (first fragment longer than the message)');
      // The signature block is a view of the datagram, which is not ours to keep either.
      this.head = head.auth ? { ...head, auth: Buffer.from(head.auth) } : head;
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

  /** The whole message's head and text bytes, once complete, checked to be UTF-8 (not decoded:
   * a relay passes the bytes on and decodes them only if something needs the string). */
  text(): { head: MessageHead; text: Buffer } {
    if (!this.complete || !this.head) throw new ProtocolError('Cannot reassemble message (fragments missing)');
    const text = Buffer.concat(this.chunks as Buffer[]);
    if (text.length !== this.head.totalBytes) {
      throw new ProtocolError(`Cannot reassemble message (${text.length} bytes, header says ${this.head.totalBytes})`);
    }
    checkUtf8(text, 'message text');
    return { head: this.head, text };
  }

  /** The whole message, once complete. */
  body(): { body: MessageBody; text: Buffer } {
    const { head, text } = this.text();
    return { body: bodyFromHead(head, decodeUtf8(text, 'message text')), text };
  }
}
