// The client's clocks: one alarm for the earliest deadline, and the heartbeat that keeps the lease
// and tells whether the relay still answers.
import { randomBytes } from 'node:crypto';

/** One setTimeout, moved earlier when something falls due sooner, never later. */
export class Alarm {
  private timer: NodeJS.Timeout | undefined;
  private at = Infinity;

  constructor(private readonly fire: () => void) {}

  set(at: number): void {
    if (at === Infinity || (this.timer && at >= this.at)) return;
    clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = Infinity;
      this.fire();
    }, Math.max(0, at - Date.now()));
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}

/** Pings every period while idle; an unanswered ping is retried on the probe timeout. `misses`
 * counts probe timeouts in a row (pings or data) without a word from the relay. */
export class Heartbeat {
  private pingAt = 0;
  private nonce = 0;
  misses = 0;

  constructor(public periodMs: number) {}

  /** Joined: the next ping is a period from now. */
  restart(now: number): void {
    this.pingAt = now;
    this.nonce = 0;
    this.misses = 0;
  }

  /** Anything from the relay proves it is there. */
  heard(): void {
    this.misses = 0;
  }

  /** When the next ping falls due. */
  deadline(pto: (tries: number) => number): number {
    return this.nonce !== 0 ? this.pingAt + pto(this.misses) : this.pingAt + this.periodMs;
  }

  /** The nonce of a ping to send now, if one is due; `expired` when the last one went unanswered. */
  due(now: number, pto: (tries: number) => number): { nonce?: number; expired: boolean } {
    if (now < this.deadline(pto)) return { expired: false };
    const expired = this.nonce !== 0;
    this.nonce = (randomBytes(4).readUInt32BE() || 1) >>> 0;
    this.pingAt = now;
    return { nonce: this.nonce, expired };
  }

  /** A Pong: the RTT sample if it answers our outstanding ping. */
  pong(nonce: number, now: number): number | undefined {
    if (nonce === 0 || nonce !== this.nonce) return undefined;
    this.nonce = 0;
    return now - this.pingAt;
  }
}
