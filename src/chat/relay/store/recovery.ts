// Reading a store back when it may be damaged, with no I/O: the segments' reader feeds records and
// damaged stretches in file order, this decides which records to believe and what the head is.
//
// The relay gives seqs one after another, so a healthy store reads n, n+1, n+2... A record whose seq
// breaks that run is believed only when the record after it continues from it: one wrong seq can
// neither make every later record look old (and be dropped) nor throw the head far ahead. Seqs whose
// records are missing or damaged are never given again: they are holes, which members are told are
// gone. A record cut short at the end of a file was never acknowledged (the write did not complete),
// so it is dropped without a hole.
import { MIN_RECORD_BYTES } from './record';

export interface Hole {
  from: number;
  to: number;
}

interface Damage {
  /** Records known to be damaged (their extent was readable). */
  records: number;
  /** Bytes in which no record could be made out: how many they held is estimated. */
  bytes: number;
}

export class Recovery<T extends { seq: number }> {
  private last = 0;
  private pending: { rec: T; bytes: number; afterDamage: boolean } | undefined;
  /** Damage read since the last believed record: at the end of the store, it may have held the head. */
  private since: Damage = { records: 0, bytes: 0 };
  private believedBytes = 0;
  private believed = 0;
  readonly holes: Hole[] = [];
  /** Damaged stretches and records whose seq did not fit. */
  damaged = 0;
  /** Records cut short at the end of a file (writes that never completed). */
  torn = 0;

  constructor(private readonly accept: (rec: T) => void) {}

  record(rec: T, bytes: number): void {
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      if (rec.seq === p.rec.seq + 1 && p.rec.seq > this.last) this.believe(p.rec, p.bytes);
      else this.damagedRecord();
    }
    if (this.last > 0 && rec.seq === this.last + 1) return this.believe(rec, bytes);
    if (this.last > 0 && rec.seq <= this.last) return this.damagedRecord();
    this.pending = { rec, bytes, afterDamage: this.since.records + this.since.bytes > 0 };
  }

  /** One record that cannot be believed: its body is damaged, or its seq does not fit. */
  damagedRecord(): void {
    this.damaged++;
    this.since.records++;
  }

  /** A stretch of `bytes` in which no record can be made out. */
  damage(bytes: number): void {
    this.damaged++;
    this.since.bytes += bytes;
  }

  tornRecord(): void {
    this.torn++;
  }

  /** Ends the read; returns the head: the highest seq that may have been given, never less than
   * `floor` (what the segment files say was given before their first record). */
  finish(floor = 0): number {
    const p = this.pending;
    this.pending = undefined;
    // An unconfirmed last record is believed when it is the only one, or when damage lies between it
    // and the last believed record (so missing seqs are expected); otherwise its seq is the damage.
    if (p && (this.last === 0 || p.afterDamage)) this.believe(p.rec, p.bytes);
    else if (p) this.damagedRecord();
    if (this.since.records + this.since.bytes > 0 && this.last > 0) {
      // Damage after the last readable record may have held acknowledged messages. Their seqs must
      // not be given again, so count generously: each damaged record, and as many records of the
      // average size as fit in the bytes where none could be made out.
      const average = this.believed > 0 ? this.believedBytes / this.believed : MIN_RECORD_BYTES;
      const n = Math.max(1, this.since.records + Math.ceil(this.since.bytes / average));
      this.holes.push({ from: this.last + 1, to: this.last + n });
      this.last += n;
    }
    return Math.max(this.last, floor);
  }

  /** How many seqs the holes cover. */
  get missing(): number {
    return this.holes.reduce((n, h) => n + h.to - h.from + 1, 0);
  }

  private believe(rec: T, bytes: number): void {
    if (this.last > 0 && rec.seq > this.last + 1) this.holes.push({ from: this.last + 1, to: rec.seq - 1 });
    this.last = rec.seq;
    this.since = { records: 0, bytes: 0 };
    this.believed++;
    this.believedBytes += bytes;
    this.accept(rec);
  }
}

/** The newest records, at most `maxCount` and about `maxBytes`: what a restarted relay's history
 * can hold, so reading a large store back needs no more memory than the history itself. */
export class Newest<T> {
  private items: { item: T; bytes: number }[] = [];
  private start = 0;
  private bytes = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {}

  push(item: T, bytes: number): void {
    this.items.push({ item, bytes });
    this.bytes += bytes;
    while (this.items.length - this.start > this.maxCount || (this.bytes > this.maxBytes && this.items.length - this.start > 1)) {
      this.bytes -= this.items[this.start].bytes;
      this.start++;
    }
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  list(): T[] {
    return this.items.slice(this.start).map((e) => e.item);
  }
}
