// The client's clocks: one alarm for the earliest deadline, and the heartbeat that keeps the lease
// and tells whether the relay still answers.
import { randomBytes } from 'node:crypto';

/** One setTimeout, moved earlier when something falls due sooner, never later. It fires through
 * setImmediate: a timer runs before the event loop polls its sockets, so after the process was busy
 * (an extension host) a timer would judge acks and answers lost that wait unread in the socket.
 * Deciding after the poll phase lets them in first. */
export class Alarm {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private at = Infinity;

  constructor(private readonly fire: () => void) {}

  set(at: number): void {
    if (at === Infinity || this.immediate || (this.timer && at >= this.at)) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
    // Due now (a window of backfill to ask for): after this poll phase, not a timer tick later.
    if (at <= Date.now()) return this.soon();
    this.at = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = Infinity;
      this.soon();
    }, at - Date.now());
  }

  private soon(): void {
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.fire();
    });
  }

  clear(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
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
