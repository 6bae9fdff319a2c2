// Rate limiting and the defaults of every limit and timer, in one place so docs/PROTOCOL.md can cite them.
import type { ClientTimers, RelayLimits, RelayTimers } from './types';

export const RELAY_LIMITS: Required<RelayLimits> = {
  maxMembers: 4096,
  memberMessagesPerSecond: 50,
  memberBurst: 200,
  addressPacketsPerSecond: 2000,
  addressBurst: 4000,
  pendingMessagesPerMember: 8,
  pendingBytes: 32 * 1024 * 1024,
  historyMessages: 4096,
  historyBytes: 64 * 1024 * 1024,
  backfillMessages: 200,
  unvalidatedAddresses: 65536,
};

export const RELAY_TIMERS: Required<RelayTimers> = {
  heartbeatMs: 5000,
  leaseBeats: 3,
  reassemblyMs: 10000,
  cookieMs: 60000,
};

export const CLIENT_TIMERS: Required<ClientTimers> = {
  joinTimeoutMs: 5000,
  heartbeatMs: 5000,
  ptoFloorMs: 25,
  ptoMaxMs: 1000,
  initialRttMs: 333,
  maxProbes: 10,
  rejoinMinMs: 250,
  rejoinMaxMs: 5000,
};

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

  /** ms until `n` tokens are there. */
  waitMs(n = 1): number {
    return Math.max(0, Math.ceil(((n - this.tokens) * 1000) / this.rate));
  }
}

export function positiveOption(value: number | undefined, fallback: number, what: string, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${what} must be a number of at least ${min}, not ${value}`);
  return value;
}
