// The relay's bounded memory of recent room messages, for gap repair and backfill. Each entry gives
// the encoded datagrams exactly as they were fanned out (encoded once, when first needed), so a
// resend costs no encoding.
export interface HistoryEntry {
  seq: number;
  frags(): Buffer[];
  /** Bytes the entry holds (an estimate until it is encoded): what the ring's byte bound counts. */
  bytes: number;
}

export class HistoryRing {
  private readonly entries = new Map<number, HistoryEntry>();
  private first = 1; // lowest seq still held (or head+1 when empty)
  private bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  /** Lowest seq that can still be sent again. */
  get firstSeq(): number {
    return this.first;
  }

  get size(): number {
    return this.entries.size;
  }

  push(entry: HistoryEntry): void {
    const { seq, bytes } = entry;
    if (this.entries.size === 0) this.first = seq;
    this.entries.set(seq, entry);
    this.bytes += bytes;
    while (this.entries.size > this.maxMessages || (this.bytes > this.maxBytes && this.entries.size > 1)) {
      const old = this.entries.get(this.first);
      if (old) {
        this.bytes -= old.bytes;
        this.entries.delete(this.first);
      }
      this.first++;
    }
  }

  get(seq: number): HistoryEntry | undefined {
    return this.entries.get(seq);
  }

  /** Forgets everything before `seq` (a restarted relay begins its ring at the stored tail). */
  startAt(seq: number): void {
    if (this.entries.size === 0) this.first = seq;
  }
}
