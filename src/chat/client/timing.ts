// The client's clocks: one alarm for the earliest deadline, and the heartbeat that keeps the lease
// and tells whether the relay still answers.
import { randomBytes } from 'node:crypto';
import type { RttEstimator } from './rtt';

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

const MIN_PERIOD_MS = 100;
const MAX_PERIOD_MS = 10 * 60_000;

/** Pings every period while idle; an unanswered ping is retried on the probe timeout. What counts
 * the probe timeouts in a row without a word from the relay is the RTT estimator (RFC 9002's
 * pto_count), which every part's timeout doubles with. */
export class Heartbeat {
  private pingAt = 0;
  private nonce = 0;

  constructor(
    public periodMs: number,
    private readonly rtt: RttEstimator,
  ) {}

  /** The period the relay asks for (its Welcome, its Pongs: it sets the pace of its room), held to
   * 100 ms - 10 min: a ping every millisecond would be a flood, and none for weeks would never notice
   * the relay gone. 0 leaves it as it is. */
  ask(ms: number): void {
    if (ms > 0) this.periodMs = Math.min(Math.max(ms, MIN_PERIOD_MS), MAX_PERIOD_MS);
  }

  /** Joined, or given up on the relay: the next ping is a period from now, and the count of silent
   * probes starts again. */
  restart(now: number): void {
    this.pingAt = now;
    this.nonce = 0;
    this.rtt.heard();
  }

  /** When the next ping falls due. */
  deadline(): number {
    return this.nonce !== 0 ? this.pingAt + this.rtt.pto() : this.pingAt + this.periodMs;
  }

  /** The nonce of a ping to send now, if one is due; `expired` when the last one went unanswered. */
  due(now: number): { nonce?: number; expired: boolean } {
    if (now < this.deadline()) return { expired: false };
    const expired = this.nonce !== 0;
    this.nonce = (randomBytes(4).readUInt32BE() || 1) >>> 0;
    this.pingAt = now;
    return { nonce: this.nonce, expired };
  }

  /** A Pong: if it answers our outstanding ping, its round trip is an RTT sample. */
  pong(nonce: number, now: number): void {
    if (nonce === 0 || nonce !== this.nonce) return;
    this.nonce = 0;
    this.rtt.sample(now - this.pingAt);
  }
}
