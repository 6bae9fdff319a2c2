// Congestion control for a file transfer (issue 14): RFC 9002's NewReno (section 7, appendix B), over
// chunks instead of bytes (every chunk but a file's last is the same 1040 bytes), with pacing (7.7).
// Pure: the caller says what was sent, acknowledged and lost, and when; this says how many chunks may
// be in flight and when the next may go. An upload's chunks are "sent" and acked by the relay's
// FileAcks; a download's are "sent" as FileGet requests and acked by the chunks arriving.

/** RFC 9002 kInitialWindow and kMinimumWindow, in chunks. */
export const INITIAL_WINDOW = 10;
export const MINIMUM_WINDOW = 2;
/** kLossReductionFactor. */
const LOSS_REDUCTION = 0.5;
/** kPersistentCongestionThreshold. */
const PERSISTENT_THRESHOLD = 3;
/** Pacing: N = 1.25 (RFC 9002 7.7), and the burst a pacer lets go at once (the initial window). */
const PACING_GAIN = 1.25;
const MAX_BURST = INITIAL_WINDOW;
/** Largest window, in chunks: more in flight would only overflow the relay's bulk queue (512). */
export const MAXIMUM_WINDOW = 256;

export class NewReno {
  /** congestion_window, in chunks (fractional in congestion avoidance). */
  window = INITIAL_WINDOW;
  ssthresh = Infinity;
  /** congestion_recovery_start_time: packets sent before it do not change the window. */
  private recoveryStart = -Infinity;
  inFlight = 0;
  /** Counts for tests and the bench. */
  readonly counts = { lossEvents: 0, persistent: 0 };

  get inSlowStart(): boolean {
    return this.window < this.ssthresh;
  }

  /** Whether another chunk may be put in flight now (pacing aside). */
  canSend(): boolean {
    return this.inFlight < Math.floor(this.window);
  }

  onSent(n = 1): void {
    this.inFlight += n;
  }

  /** A chunk sent at `sentAt` was acknowledged (OnPacketsAcked, one chunk). */
  onAcked(sentAt: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (sentAt <= this.recoveryStart) return; // no growth during recovery
    if (this.inSlowStart) this.window += 1;
    else this.window += 1 / this.window;
    this.window = Math.min(this.window, MAXIMUM_WINDOW);
  }

  /** Chunks were declared lost; `latestSentAt` is when the newest of them was sent. The window is
   * halved once per recovery period: losses of chunks sent before it began do not halve it again. */
  onLost(n: number, latestSentAt: number, now: number): void {
    this.inFlight = Math.max(0, this.inFlight - n);
    if (latestSentAt <= this.recoveryStart) return;
    this.recoveryStart = now;
    this.counts.lossEvents++;
    this.ssthresh = Math.max(this.window * LOSS_REDUCTION, MINIMUM_WINDOW);
    this.window = this.ssthresh;
  }

  /** Everything sent over a span longer than persistentCongestion() was lost: back to the minimum. */
  onPersistentCongestion(): void {
    this.counts.persistent++;
    this.window = MINIMUM_WINDOW;
    this.recoveryStart = -Infinity;
  }

  /** Chunks no longer tracked (a transfer starting over after a rejoin): out of flight, window kept. */
  forget(n: number): void {
    this.inFlight = Math.max(0, this.inFlight - n);
  }

  /** The span of losses that is persistent congestion (RFC 9002 7.6.1), for a PTO without backoff. */
  static persistentCongestion(pto: number): number {
    return pto * PERSISTENT_THRESHOLD;
  }

  /** Chunks per millisecond the pacer lets go: N * window / smoothed_rtt. */
  pacingRate(srttMs: number): number {
    return (PACING_GAIN * this.window) / Math.max(srttMs, 0.1);
  }
}

/** A token bucket over the pacing rate: `take` says how many chunks may go now, `nextAt` when one can. */
export class Pacer {
  private tokens = MAX_BURST;
  private at: number | undefined;

  constructor(private readonly rate: () => number) {}

  private refill(now: number): void {
    if (this.at !== undefined) this.tokens = Math.min(MAX_BURST, this.tokens + (now - this.at) * this.rate());
    this.at = now;
  }

  /** How many of `wanted` chunks may go now (the tokens are spent). */
  take(wanted: number, now: number): number {
    this.refill(now);
    const n = Math.max(0, Math.min(wanted, Math.floor(this.tokens)));
    this.tokens -= n;
    return n;
  }

  /** When the next whole token is there. */
  nextAt(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? now : now + (1 - this.tokens) / Math.max(this.rate(), 1e-6);
  }
}
