// A message the room has sequenced, as the relay keeps it: the text as the UTF-8 bytes it arrived
// in, and its datagrams encoded the first time something needs them (a fan-out to a member, or a
// resend). The string and the RoomMessage are made only for whoever asks (a 'message' listener, the
// store, the seed broadcast): a relay that only forwards never decodes the text.
import { encode } from '../../protocol/codec';
import { nodeCrypto } from '../../protocol/crypto';
import { fingerprint } from '../../protocol/fingerprint';
import { bodyFromHead, fragmentMsg, msgFragmentsLength } from '../../protocol/fragments';
import { wireOf } from '../../protocol/kinds';
import { msgHeaderLength } from '../../protocol/parts';
import { MESSAGE_AUTH_BYTES, PacketType, SenderFlags, type MessageBody, type MessageHead } from '../../protocol/packets';
import type { RoomMessage } from '../types';
import type { StoredBody } from './store/record';
import type { Encodable } from './ring';

/** Who sent a message: a member (MemberState has these fields) or a seed client's claimed name. */
export interface Sender {
  readonly hex: string;
  readonly clientId: Buffer;
  readonly name: string;
}

export const ZERO_ID = Buffer.alloc(8);

/** A signature block's length, for measuring a header (never sent). */
const NO_AUTH = Buffer.alloc(MESSAGE_AUTH_BYTES);
export const ZERO_HEX = ZERO_ID.toString('hex');

export class SequencedMessage implements Encodable {
  readonly bytes: number;
  // Copied, not the Sender itself: a member's name can change before the datagrams are encoded.
  readonly senderHex: string;
  readonly senderId: Buffer;
  readonly name: string;
  private readonly nameBytes: number;
  private encoded: Buffer[] | undefined;
  /** Until encoded; afterwards the text is read back out of the datagrams. */
  private textBytes: Buffer | undefined;
  /** A snippet's or a later kind's head, without its signature block. */
  private readonly extra: MessageHead | undefined;
  /** The author's signature block until the datagrams are encoded (it is a view of the datagram it
   * came in); afterwards it is read back out of fragment 0, so the history keeps no second copy and
   * pins no datagram. */
  private authView: Buffer | undefined;
  private readonly signed: boolean;
  private readonly textLength: number;

  constructor(
    readonly seq: number,
    readonly time: number,
    sender: Sender,
    readonly legacy: boolean,
    readonly msgId: number,
    head: MessageHead,
    text: Buffer,
  ) {
    // A plain text's head is all in the text's length: not kept, so the history holds one object
    // less per message (what the garbage collector copies and promotes). A snippet's, or a later
    // kind's (sequenced and forwarded unchanged), is.
    this.signed = head.auth !== undefined;
    this.authView = head.auth;
    this.extra = head.kind === 'text' ? undefined : head.auth ? { ...head, auth: undefined } : head;
    this.senderHex = sender.hex;
    this.senderId = sender.clientId;
    this.name = sender.name;
    this.textBytes = text;
    this.textLength = text.length;
    this.nameBytes = Buffer.byteLength(sender.name, 'utf8');
    this.bytes = msgFragmentsLength(this.nameBytes, head, text.length);
  }

  /** kind, totalBytes and a snippet's place: what fragment 0 carries before the text. */
  get head(): MessageHead {
    const bare: MessageHead = this.extra ?? { kind: 'text', totalBytes: this.textLength };
    return this.signed ? { ...bare, auth: this.authView ?? this.authFromDatagram(bare) } : bare;
  }

  /** The signature block where fragment 0 carries it: the last bytes of its header. */
  private authFromDatagram(bare: MessageHead): Buffer {
    const end = msgHeaderLength(this.nameBytes, { ...bare, auth: NO_AUTH });
    return this.encoded![0].subarray(end - MESSAGE_AUTH_BYTES, end);
  }

  /** Made from a stored message (at start): the text is encoded once here. */
  static fromBody(seq: number, time: number, sender: Sender, legacy: boolean, msgId: number, body: StoredBody, auth?: Buffer): SequencedMessage {
    let head: MessageHead;
    let text: Buffer;
    if (body.kind === 'other') {
      text = Buffer.from(body.text, 'utf8');
      head = { kind: 'other', code: body.code, totalBytes: text.length };
    } else {
      ({ head, text } = wireOf(body));
    }
    if (auth) head.auth = auth;
    return new SequencedMessage(seq, time, sender, legacy, msgId, head, text);
  }

  /** The author's signature block, as the store keeps it. */
  get signature(): Buffer | undefined {
    return this.head.auth;
  }

  /** The datagrams, the same for every member and every resend. */
  frags(): Buffer[] {
    if (!this.encoded) {
      const text = this.textBytes!;
      const senderFlags = this.legacy ? SenderFlags.Legacy : 0;
      const head = this.head;
      if (this.bytes === msgHeaderLength(this.nameBytes, head) + text.length) {
        // It fits one datagram (most messages do): one packet, no split.
        const { seq, time, senderId, name, msgId } = this;
        this.encoded = [encode({ type: PacketType.Msg, seq, time, senderId, senderFlags, name, msgId, fragIndex: 0, fragCount: 1, head, chunk: text })];
      } else {
        const meta = { seq: this.seq, time: this.time, senderId: this.senderId, senderFlags, name: this.name, msgId: this.msgId };
        this.encoded = fragmentMsg(meta, head, text, this.nameBytes).map(encode);
      }
      this.textBytes = undefined; // the datagrams hold it now, and the signature block
      this.authView = undefined;
    }
    return this.encoded;
  }

  /** The text's UTF-8 bytes. */
  text(): Buffer {
    if (this.textBytes) return this.textBytes;
    const frags = this.encoded!;
    const first = msgHeaderLength(this.nameBytes, this.head);
    if (frags.length === 1) return frags[0].subarray(first);
    const rest = msgHeaderLength(this.nameBytes, undefined);
    return Buffer.concat(frags.map((f, i) => f.subarray(i === 0 ? first : rest)));
  }

  /** As members see it: a later kind is a placeholder. */
  body(): MessageBody {
    return bodyFromHead(this.head, this.text().toString('utf8'));
  }

  /** As the store keeps it: a later kind with its bytes, so a restart forwards it unchanged. */
  storedBody(): StoredBody {
    const head = this.head;
    if (head.kind !== 'other') return this.body() as StoredBody;
    return { kind: 'other', code: head.code, text: this.text().toString('utf8') };
  }

  /** The message as the engine's users see it (made anew on each call: nothing keeps it). */
  message(): RoomMessage {
    const auth = this.signature;
    const key = auth ? { key: auth.toString('base64url', 0, 32), fingerprint: fingerprint(nodeCrypto, auth.subarray(0, 32)) } : {};
    // verified: false, always: the relay forwards signatures (it checked only that the key is the
    // sender's session's); its members check them.
    return { ...this.body(), seq: this.seq, time: this.time, msgId: this.msgId, sender: { id: this.senderHex, name: this.name, legacy: this.legacy, ...key }, verified: false };
  }
}
