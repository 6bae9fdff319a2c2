// The relay's history ring: the room's recent messages by seq, bounded in count and bytes, for gap
// repair and backfill. Each entry gives the datagrams exactly as they were fanned out, so a resend
// costs no encoding. A fixed array indexed by seq, not a Map: pushing a message (every message the
// relay sequences) allocates nothing and evicts in place.
export interface HistoryEntry {
  readonly seq: number;
  /** The bytes its datagrams take: what the ring's byte bound counts. */
  readonly bytes: number;
  frags(): Buffer[];
}

export class HistoryRing {
  private readonly slots: (HistoryEntry | undefined)[];
  private first = 1; // lowest seq that may still be held (or next when empty)
  private next = 1; // one past the newest seq pushed
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {
    this.slots = new Array<HistoryEntry | undefined>(maxMessages).fill(undefined);
  }

  /** Lowest seq that can still be sent again. */
  get firstSeq(): number {
    return this.first;
  }

  /** Messages held (seqs missing from a damaged store are not counted). */
  get size(): number {
    return this.count;
  }

  /** Bytes held, as the entries count them. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Adds the newest message. Seqs only grow; a gap (seqs lost with a damaged store) stays a gap. */
  push(entry: HistoryEntry): void {
    const { seq } = entry;
    if (seq < this.next && this.count > 0) throw new RangeError(`history: seq ${seq} after ${this.next - 1}`);
    // When even the newest held is outside the window ending at seq, nothing held stays.
    if (this.count === 0 || seq - this.next >= this.maxMessages - 1) this.clear(seq);
    while (seq - this.first >= this.maxMessages) this.evictFirst();
    this.slots[seq % this.maxMessages] = entry;
    this.count++;
    this.bytes += entry.bytes;
    this.next = seq + 1;
    while (this.bytes > this.maxBytes && this.count > 1) this.evictFirst();
  }

  get(seq: number): HistoryEntry | undefined {
    if (seq < this.first || seq >= this.next) return undefined;
    const e = this.slots[seq % this.maxMessages];
    return e?.seq === seq ? e : undefined;
  }

  /** Forgets everything before `seq` (a restarted relay begins its ring at the stored tail). */
  startAt(seq: number): void {
    if (this.count === 0) this.first = this.next = seq;
  }

  /** Starts over at `seq`, holding nothing. */
  private clear(seq: number): void {
    if (this.count > 0) this.slots.fill(undefined);
    this.count = 0;
    this.bytes = 0;
    this.first = seq;
  }

  private evictFirst(): void {
    const i = this.first % this.maxMessages;
    const e = this.slots[i];
    if (e && e.seq === this.first) {
      this.slots[i] = undefined;
      this.count--;
      this.bytes -= e.bytes;
    }
    this.first++;
  }
}
