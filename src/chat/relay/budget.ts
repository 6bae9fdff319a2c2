// What the relay may send one member beyond its share of the room's traffic (repairs, backfill,
// roster pages), in bytes: issue 10 measured 43 MB sent for ten 11-byte Resends. A token bucket of
// bytes per member, with one exception that keeps honest catching-up fast: a Resend that starts past
// everything repaired so far acknowledges it, and those bytes are given back. So a member walking
// forward through a backfill pulls at full speed, and one asking for the same or older seqs again
// (what an amplifier does) is held to the rate. Each member has its own bucket: one over budget is
// slowed, the others are not.
import { TokenBucket } from '../limits';

export interface BudgetLimits {
  repairBytesPerSecond: number;
  repairBurstBytes: number;
}

export class RepairBudget {
  private readonly bucket: TokenBucket;
  /** The highest seq repaired so far, and the bytes sent for repairs not yet acknowledged. */
  private high = 0;
  private owed = 0;

  constructor(
    private readonly limits: BudgetLimits,
    now: number,
  ) {
    this.bucket = new TokenBucket(limits.repairBytesPerSecond, limits.repairBurstBytes, now);
  }

  /** A Resend from `fromSeq`: the member has everything before it. Past all repaired, it is an ack. */
  resend(fromSeq: number, now: number): void {
    if (fromSeq > this.high && this.owed > 0) {
      this.bucket.give(now, this.owed);
      this.owed = 0;
    }
  }

  /** Whether `bytes` more may go out now (taken if so); `seq` is what they repair, 0 for the roster. */
  take(bytes: number, seq: number, now: number): boolean {
    if (!this.bucket.take(now, bytes)) return false;
    if (seq > 0) {
      this.owed += bytes;
      this.high = Math.max(this.high, seq);
    }
    return true;
  }
}
