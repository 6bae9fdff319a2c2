// The defaults the engine runs with, taken from the options tables (options.ts, where each limit and
// timer is written once), and the token bucket that enforces the rates.
import { CLIENT_TIMER_OPTIONS, defaultsOf, RELAY_LIMIT_OPTIONS, RELAY_TIMER_OPTIONS } from './options';
import type { ClientTimers, RelayLimits, RelayTimers } from './types';

export const RELAY_LIMITS: Required<RelayLimits> = defaultsOf(RELAY_LIMIT_OPTIONS);
export const RELAY_TIMERS: Required<RelayTimers> = defaultsOf(RELAY_TIMER_OPTIONS);
export const CLIENT_TIMERS: Required<ClientTimers> = defaultsOf(CLIENT_TIMER_OPTIONS);

/** A token bucket: `rate` tokens a second, holding at most `burst`. Stores two numbers, no timer. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number, n = 1): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Gives back `n` tokens (never above the burst). */
  give(now: number, n: number): void {
    this.take(now, 0);
    this.tokens = Math.min(this.burst, this.tokens + n);
  }

  /** ms until `n` tokens are there. */
  waitMs(n = 1): number {
    return Math.max(0, Math.ceil(((n - this.tokens) * 1000) / this.rate));
  }
}
