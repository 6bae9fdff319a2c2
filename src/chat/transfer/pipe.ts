// What a transfer has in flight and what it sends next, for an upload (chunks sent, acked by the
// relay's FileAcks) and a download (chunks requested with FileGet, "acked" by their arrival) alike:
// RFC 9002's loss detection (packet threshold 3, time threshold 9/8 RTT, section 6.1), its probe
// timeout with backoff (6.2), and its NewReno window with pacing (congestion.ts). Lost chunks go again
// before new ones. Plain timing: the owner calls tick() at the deadline it returns.
import { RttEstimator } from '../client/rtt';
import { NewReno, Pacer } from './congestion';

const PACKET_THRESHOLD = 3;
const TIME_THRESHOLD = 9 / 8;
/** kGranularity, ms. */
const GRANULARITY = 1;

interface Sent {
  pn: number;
  at: number;
}

export interface PipeIo {
  /** Puts these chunks on the way (an upload: one FileChunk each; a download: one FileGet). */
  send(indices: number[], now: number): void;
}

export class Pipe {
  readonly cc = new NewReno();
  readonly rtt: RttEstimator;
  private readonly pacer: Pacer;
  /** In flight, in the order sent (a resend moves a chunk to the end). */
  private readonly flight = new Map<number, Sent>();
  private readonly done: Uint8Array;
  private doneCount = 0;
  private readonly retx: number[] = [];
  private cursor = 0;
  private pn = 0;
  private largestAckedPn = -1;
  private lastAckAt = -Infinity;
  private lastSendAt = 0;
  private ptoCount = 0;
  /** Counts for tests and the bench: chunks put on the way, of them again. */
  readonly counts = { sent: 0, resent: 0, ptos: 0 };

  constructor(
    readonly chunks: number,
    private readonly io: PipeIo,
    initialRttMs = 100,
  ) {
    this.done = new Uint8Array(chunks);
    this.rtt = new RttEstimator(initialRttMs, 25, 2000);
    this.pacer = new Pacer(() => this.cc.pacingRate(this.rtt.smoothed));
  }

  get complete(): boolean {
    return this.doneCount === this.chunks;
  }

  get acked(): number {
    return this.doneCount;
  }

  isDone(index: number): boolean {
    return this.done[index] === 1;
  }

  /** Chunk `index` is acknowledged (stored at the relay, or arrived): false if it was already. */
  ack(index: number, now: number): boolean {
    if (index < 0 || index >= this.chunks || this.done[index]) return false;
    this.done[index] = 1;
    this.doneCount++;
    const sent = this.flight.get(index);
    if (sent) {
      this.flight.delete(index);
      this.cc.onAcked(sent.at);
      if (sent.pn > this.largestAckedPn) {
        this.largestAckedPn = sent.pn;
        this.rtt.sample(Math.max(now - sent.at, 0.1)); // RFC 9002 samples on a new largest acked
      }
      this.lastAckAt = now;
      this.ptoCount = 0;
    }
    return true;
  }

  /** Starts over from what is not done (a rejoin: the relay may have lost what was in flight);
   * `missing`, when given, is what the relay says it lacks up to `knownUpTo` (before that, anything
   * not in it is done, and anything in it is not). */
  restart(missing?: { from: number; count: number }[], knownUpTo = 0): void {
    this.cc.forget(this.flight.size);
    this.flight.clear();
    this.retx.length = 0;
    this.cursor = 0;
    this.ptoCount = 0;
    if (!missing) return;
    const lacks = new Uint8Array(this.chunks);
    for (const r of missing) lacks.fill(1, r.from, Math.min(this.chunks, r.from + r.count));
    for (let i = 0; i < Math.min(knownUpTo, this.chunks); i++) {
      const d = lacks[i] ? 0 : 1;
      if (d !== this.done[i]) this.doneCount += d ? 1 : -1;
      this.done[i] = d;
    }
  }

  /** Sends what the window and the pacer allow, declares losses; returns when to be called again
   * (undefined: nothing to do until an ack comes). */
  tick(now: number): number | undefined {
    this.detectLosses(now);
    if (this.flight.size > 0 && now >= this.ptoDeadline()) this.probe(now);
    const room = Math.floor(this.cc.window) - this.cc.inFlight;
    if (room > 0 && this.hasNext()) {
      const out: number[] = [];
      for (let n = this.pacer.take(room, now); n > 0; n--) {
        const i = this.nextIndex();
        if (i === undefined) break;
        out.push(i);
      }
      this.put(out, now);
    }
    let at = Infinity;
    if (this.cc.canSend() && this.hasNext()) at = this.pacer.nextAt(now);
    if (this.flight.size > 0) at = Math.min(at, this.ptoDeadline(), this.lossTime() ?? Infinity);
    return at === Infinity ? undefined : Math.max(at, now);
  }

  private put(out: number[], now: number): void {
    if (out.length === 0) return;
    for (const i of out) {
      if (this.flight.has(i)) this.flight.delete(i);
      this.flight.set(i, { pn: this.pn++, at: now });
    }
    this.counts.sent += out.length;
    this.cc.onSent(out.length);
    this.lastSendAt = now;
    this.io.send(out, now);
  }

  private hasNext(): boolean {
    while (this.retx.length > 0 && this.done[this.retx[0]]) this.retx.shift();
    if (this.retx.length > 0) return true;
    while (this.cursor < this.chunks && (this.done[this.cursor] || this.flight.has(this.cursor))) this.cursor++;
    return this.cursor < this.chunks;
  }

  private nextIndex(): number | undefined {
    if (!this.hasNext()) return undefined;
    if (this.retx.length > 0) {
      this.counts.resent++;
      return this.retx.shift();
    }
    return this.cursor++;
  }

  private lossDelay(): number {
    return Math.max(TIME_THRESHOLD * Math.max(this.rtt.smoothed, this.rtt.latest), GRANULARITY);
  }

  /** When the oldest chunk sent before the largest acked one counts as lost by time. */
  private lossTime(): number | undefined {
    for (const s of this.flight.values()) return s.pn < this.largestAckedPn ? s.at + this.lossDelay() : undefined;
    return undefined;
  }

  private ptoDeadline(): number {
    return this.lastSendAt + this.rtt.pto(this.ptoCount);
  }

  /** RFC 9002 6.1: a chunk sent before the largest acked is lost 3 sends behind it or 9/8 RTT old. */
  private detectLosses(now: number): void {
    const lost: [number, Sent][] = [];
    for (const [i, s] of this.flight) {
      if (s.pn >= this.largestAckedPn) break;
      if (this.largestAckedPn - s.pn >= PACKET_THRESHOLD || now - s.at >= this.lossDelay()) lost.push([i, s]);
    }
    if (lost.length === 0) return;
    for (const [i] of lost) {
      this.flight.delete(i);
      this.retx.push(i);
    }
    const first = lost[0][1].at;
    const last = lost[lost.length - 1][1].at;
    this.cc.onLost(lost.length, last, now);
    // 7.6: losses spanning more than 3 PTOs with no ack in between are persistent congestion.
    if (last - first > NewReno.persistentCongestion(this.rtt.pto(0)) && this.lastAckAt < first) this.cc.onPersistentCongestion();
  }

  /** 6.2: nothing acked for a PTO: the oldest chunk in flight goes again (beyond the window), and the
   * next PTO is twice as long. */
  private probe(now: number): void {
    this.ptoCount = Math.min(this.ptoCount + 1, 8);
    this.counts.ptos++;
    const oldest = this.flight.keys().next().value;
    if (oldest === undefined) return;
    this.flight.delete(oldest);
    this.cc.forget(1);
    this.counts.resent++;
    this.put([oldest], now);
  }
}
