// The room's ordered log: assigns seqs, remembers which (sender, msgId) pairs are already sequenced,
// keeps the history ring and, with a store, writes each message to disk before anyone hears of it.
import { randomBytes } from 'node:crypto';
import { encode } from '../../protocol/codec';
import { fragmentMsg } from '../../protocol/fragments';
import { SenderFlags, type MessageBody } from '../../protocol/packets';
import { HistoryRing } from './history';
import { RoomStore, type StoredMessage } from './store';
import type { RoomMessage } from '../types';

/** How many recent msgIds per sender are remembered for de-duplication. A client never has more
 * than CLIENT_MAX_IN_FLIGHT messages unacknowledged, so anything it can still resend is in here. */
const DEDUP_PER_SENDER = 256;
const DEDUP_SENDERS = 16384;
export const ZERO_ID = Buffer.alloc(8);

/** A sequenced message, whose datagrams are encoded the first time something needs them: a fan-out
 * to a member or a resend. A room of seed clients alone never needs them. */
export class SequencedMessage {
  private encoded: Buffer[] | undefined;
  readonly bytes: number;

  constructor(
    readonly seq: number,
    readonly message: RoomMessage,
    private text: Buffer | undefined,
  ) {
    // Text plus room for the headers of each datagram: the ring's byte bound counts this.
    this.bytes = (text?.length ?? Buffer.byteLength(message.text)) + 64 * (1 + Math.floor((text?.length ?? message.text.length) / 1100));
  }

  frags(): Buffer[] {
    if (!this.encoded) {
      this.encoded = encodeFrags(this.message, this.text);
      this.text = undefined;
    }
    return this.encoded;
  }
}

/** Seqs are u32 on the wire: after this one the room starts over rather than wrap (see roll). */
export const LAST_SEQ = 0xffffffff;

export class Room {
  roomId: bigint;
  epoch = randomBytes(4).readUInt32BE() || 1;
  private head = 0;
  private ring: HistoryRing;
  private readonly seen = new Map<string, Map<number, number>>(); // sender hex -> msgId -> seq
  private readonly store: RoomStore | undefined;
  readonly skippedOnLoad: number;
  /** What the store found at start (damage, writes cut short, an old store moved), one line each. */
  readonly storeNotices: string[] = [];

  constructor(private readonly opts: { storeDir?: string; fsync: boolean; historyMessages: number; historyBytes: number; storeBytes?: number }) {
    this.ring = new HistoryRing(opts.historyMessages, opts.historyBytes);
    if (!opts.storeDir) {
      this.roomId = randomBytes(8).readBigUInt64BE() || 1n;
      this.skippedOnLoad = 0;
      return;
    }
    const storeBytes = opts.storeBytes ?? 2 * opts.historyBytes;
    const { store, room } = RoomStore.open(opts.storeDir, { keepMessages: opts.historyMessages, keepBytes: opts.historyBytes, storeBytes, fsync: opts.fsync });
    this.store = store;
    this.roomId = room.roomId;
    this.skippedOnLoad = room.skipped;
    this.storeNotices = room.notices;
    this.head = room.headSeq;
    this.ring.startAt(room.messages[0]?.seq ?? room.headSeq + 1);
    for (const m of room.messages) {
      const message: RoomMessage = { ...m.body, seq: m.seq, time: m.time, msgId: m.msgId, sender: { id: m.senderId, name: m.name, legacy: m.legacy } };
      this.ring.push(new SequencedMessage(m.seq, message, undefined));
      if (!m.legacy) this.remember(m.senderId, m.msgId, m.seq);
    }
  }

  get headSeq(): number {
    return this.head;
  }

  get firstSeq(): number {
    return this.ring.firstSeq;
  }

  /** The seq of a message already sequenced, or 0. */
  seqOf(senderHex: string, msgId: number): number {
    return this.seen.get(senderHex)?.get(msgId) ?? 0;
  }

  /** Sequences a message: stores it (throws ChatError STORE if it cannot), rings it, and returns
   * the datagrams to fan out. Encoding happens once here, not once per member. */
  sequence(senderHex: string, name: string, legacy: boolean, msgId: number, body: MessageBody, now: number, text?: Buffer): SequencedMessage {
    if (this.head >= LAST_SEQ) this.roll();
    const seq = this.head + 1;
    const message: RoomMessage = { ...body, seq, time: now, msgId, sender: { id: senderHex, name, legacy } };
    const s = new SequencedMessage(seq, message, text);
    if (this.store) {
      const stored: StoredMessage = { seq, time: now, senderId: senderHex, legacy, name, msgId, body };
      this.store.append(stored);
    }
    this.head = seq;
    this.ring.push(s);
    this.store?.forgetBefore(this.ring.firstSeq);
    if (!legacy) this.remember(senderHex, msgId, seq);
    return s;
  }

  /** The seqs are used up: the room starts over as a new room (new id and epoch, seqs from 1),
   * which members notice at the next Pong and rejoin, as after a restart. No seq is given twice in
   * one room. The de-duplication table stays, so a resent message is not sequenced again. Throws
   * NotStoredError (and nothing changes) when the store cannot record the new room. */
  private roll(): void {
    this.roomId = this.store?.roll() ?? (randomBytes(8).readBigUInt64BE() || 1n);
    this.epoch = randomBytes(4).readUInt32BE() || 1;
    this.head = 0;
    this.ring = new HistoryRing(this.opts.historyMessages, this.opts.historyBytes);
  }

  history(seq: number): Buffer[] | undefined {
    return this.ring.get(seq)?.frags();
  }

  private remember(senderHex: string, msgId: number, seq: number): void {
    let ids = this.seen.get(senderHex);
    if (!ids) {
      if (this.seen.size >= DEDUP_SENDERS) this.seen.delete(this.seen.keys().next().value!);
      ids = new Map();
      this.seen.set(senderHex, ids);
    }
    ids.set(msgId, seq);
    if (ids.size > DEDUP_PER_SENDER) ids.delete(ids.keys().next().value!);
  }

  close(): void {
    this.store?.close();
  }
}

/** `text` is the message's UTF-8 when the caller has it already (as received), saving a re-encode. */
function encodeFrags(m: RoomMessage, text?: Buffer): Buffer[] {
  const senderId = m.sender.legacy ? ZERO_ID : Buffer.from(m.sender.id, 'hex');
  const meta = { seq: m.seq, time: m.time, senderId, senderFlags: m.sender.legacy ? SenderFlags.Legacy : 0, name: m.sender.name, msgId: m.msgId };
  return fragmentMsg(meta, m, text).map(encode);
}
