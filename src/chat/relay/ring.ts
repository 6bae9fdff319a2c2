// The relay's history ring: the room's recent messages by seq, bounded in count and bytes, for gap
// repair and backfill. A slot holds a message's datagrams exactly as they were fanned out, so a
// resend costs no encoding; a message nobody has needed the datagrams of yet (a seed line in a room
// without members, or one read back from the store) is held as something that can encode them, and
// is replaced by them the first time they are asked for.
//
// Made for the relay's per-message path: a fixed array indexed by seq (no Map), the seqs and sizes
// in typed arrays, and, once encoded, nothing per message but the datagram itself. Everything the
// ring keeps is what the garbage collector copies and promotes, for every message the relay takes in.

import { ownBytes } from '../../protocol/bytes';

/** A message whose datagrams are made when first needed. */
export interface Encodable {
  frags(): Buffer[];
}

type Held = Buffer | Buffer[] | Encodable;

export class HistoryRing {
  private readonly held: (Held | undefined)[];
  private readonly seqs: Float64Array; // u32 seqs, exactly (a Float64Array holds them without a box)
  private readonly sizes: Float64Array;
  private first = 1; // lowest seq that may still be held (or next when empty)
  private next = 1; // one past the newest seq pushed
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {
    this.held = new Array<Held | undefined>(maxMessages).fill(undefined);
    this.seqs = new Float64Array(maxMessages);
    this.sizes = new Float64Array(maxMessages);
  }

  /** Lowest seq that can still be sent again. */
  get firstSeq(): number {
    return this.first;
  }

  /** Messages held (seqs missing from a damaged store are not counted). */
  get size(): number {
    return this.count;
  }

  /** Bytes held, as pushed. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Adds the newest message, whose datagrams take `bytes`. Seqs only grow; a gap (seqs lost with a
   * damaged store) stays a gap. */
  push(seq: number, bytes: number, message: Held): void {
    if (seq < this.next && this.count > 0) throw new RangeError(`history: seq ${seq} after ${this.next - 1}`);
    // When even the newest held is outside the window ending at seq, nothing held stays.
    if (this.count === 0 || seq - this.next >= this.maxMessages - 1) this.clear(seq);
    while (seq - this.first >= this.maxMessages) this.evictFirst();
    const i = seq % this.maxMessages;
    this.held[i] = message;
    this.seqs[i] = seq;
    this.sizes[i] = bytes;
    this.count++;
    this.bytes += bytes;
    this.next = seq + 1;
    while (this.bytes > this.maxBytes && this.count > 1) this.evictFirst();
  }

  has(seq: number): boolean {
    return this.slot(seq) >= 0;
  }

  /** The datagrams of `seq`, encoded now if they never were. */
  get(seq: number): Buffer[] | undefined {
    const i = this.slot(seq);
    if (i < 0) return undefined;
    const h = this.held[i]!;
    if (Buffer.isBuffer(h)) return [h];
    if (Array.isArray(h)) return h;
    // Kept for as long as the seq is held: each in memory of its own, not a view pinning a shared pool.
    const frags = h.frags().map(ownBytes);
    this.held[i] = frags.length === 1 ? frags[0] : frags;
    return frags;
  }

  /** Forgets everything before `seq` (a restarted relay begins its ring at the stored tail). */
  startAt(seq: number): void {
    if (this.count === 0) this.first = this.next = seq;
  }

  private slot(seq: number): number {
    if (seq < this.first || seq >= this.next) return -1;
    const i = seq % this.maxMessages;
    return this.held[i] !== undefined && this.seqs[i] === seq ? i : -1;
  }

  /** Starts over at `seq`, holding nothing. */
  private clear(seq: number): void {
    if (this.count > 0) this.held.fill(undefined);
    this.count = 0;
    this.bytes = 0;
    this.first = seq;
  }

  private evictFirst(): void {
    const i = this.first % this.maxMessages;
    if (this.held[i] !== undefined && this.seqs[i] === this.first) {
      this.held[i] = undefined;
      this.count--;
      this.bytes -= this.sizes[i];
    }
    this.first++;
  }
}
