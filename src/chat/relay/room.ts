// The room's ordered log: assigns seqs, remembers which (sender, msgId) pairs are already sequenced,
// keeps the history ring and, with a store, writes each message to disk before anyone hears of it.
import { randomBytes } from 'node:crypto';
import type { MessageHead } from '../../protocol/packets';
import { Dedup } from './dedup';
import { HistoryRing } from './ring';
import { SequencedMessage, ZERO_HEX, ZERO_ID, type Sender } from './sequenced';
import { RoomStore, type StoredMessage } from './store';
import { NotStoredError } from './store/files';

export { SequencedMessage, ZERO_ID } from './sequenced';

/** Seqs are u32 on the wire: after this one the room starts over rather than wrap (see roll). */
export const LAST_SEQ = 0xffffffff;

export class Room {
  roomId: bigint;
  epoch = randomBytes(4).readUInt32BE() || 1;
  private head = 0;
  private ring: HistoryRing;
  private readonly seen = new Dedup();
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
      const sender: Sender = { hex: m.legacy ? ZERO_HEX : m.senderId, clientId: m.legacy ? ZERO_ID : Buffer.from(m.senderId, 'hex'), name: m.name };
      const s = SequencedMessage.fromBody(m.seq, m.time, sender, m.legacy, m.msgId, m.body, m.auth);
      this.ring.push(s.seq, s.bytes, s);
      if (!m.legacy) this.seen.remember(m.senderId, m.msgId, m.seq);
    }
  }

  get headSeq(): number {
    return this.head;
  }

  get firstSeq(): number {
    return this.ring.firstSeq;
  }

  /** The seq of a message already sequenced, FORGOTTEN (dedup.ts) if settled long ago, or 0. */
  seqOf(senderHex: string, msgId: number): number {
    return this.seen.seqOf(senderHex, msgId);
  }

  /** Sequences a message whose text is `text` (UTF-8, checked): stores it (throws NotStoredError,
   * and uses no seq, if it cannot), rings it, and returns it for the fan-out. */
  sequence(sender: Sender, legacy: boolean, msgId: number, head: MessageHead, text: Buffer, now: number): SequencedMessage {
    // Rolled over just after the last seq (below), or here if that roll could not be stored.
    if (this.head >= LAST_SEQ) this.roll();
    const seq = this.head + 1;
    const s = new SequencedMessage(seq, now, sender, legacy, msgId, head, text);
    if (this.store) {
      const stored: StoredMessage = { seq, time: now, senderId: sender.hex, legacy, name: sender.name, msgId, body: s.storedBody(), ...(head.auth ? { auth: head.auth } : {}) };
      this.store.append(stored);
    }
    this.head = seq;
    this.ring.push(seq, s.bytes, s);
    this.store?.forgetBefore(this.ring.firstSeq);
    if (!legacy) this.seen.remember(sender.hex, msgId, seq);
    // The room starts over as soon as its last seq is used, not when the next message comes: that
    // message was signed for this room, and its author must sign it again for the new one (relay.ts
    // sends members who have not rejoined since a roll-over to join again).
    if (this.head >= LAST_SEQ) {
      try {
        this.roll();
      } catch (err) {
        if (!(err instanceof NotStoredError)) throw err; // tried again at the next message
      }
    }
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

  /** A message another process sequenced (a clustered room's stream, cluster-room.ts): kept as if
   * sequenced here, after what is already held. One at or below the head is one already held. */
  adopt(s: SequencedMessage): boolean {
    if (s.seq <= this.head) return false;
    this.head = s.seq;
    this.ring.push(s.seq, s.bytes, s);
    if (!s.legacy) this.seen.remember(s.senderHex, s.msgId, s.seq);
    return true;
  }

  /** The datagrams of a message in the history (encoded now if they never were), for a resend. */
  history(seq: number): Buffer[] | undefined {
    return this.ring.get(seq);
  }

  /** Whether the history holds `seq`. */
  holds(seq: number): boolean {
    return this.ring.has(seq);
  }

  /** The datagrams of a message just sequenced, for its fan-out: from then on the history keeps them
   * alone, not the message they were made from. */
  datagrams(s: SequencedMessage): Buffer[] {
    return this.ring.get(s.seq) ?? s.frags();
  }

  close(): void {
    this.store?.close();
  }
}
