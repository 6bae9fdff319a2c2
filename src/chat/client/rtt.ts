// RTT estimation and the probe timeout, as RFC 9002 (sections 5 and 6.2) defines them. The relay
// acknowledges at once, so its ack delay is ~0 and max_ack_delay (25 ms) serves as the PTO's floor.
// One estimator per client, handed to each part that times a request (the join, the outbox, the
// inbox, the heartbeat, the roster): each feeds it its own samples and asks it for its timeout.
export class RttEstimator {
  private srtt: number;
  private rttvar: number;
  private sampled = false;
  /** RFC 9002's pto_count: probe timeouts in a row without a word from the relay. */
  private expiries = 0;
  latest = 0;

  constructor(
    initialRttMs: number,
    private readonly floorMs: number,
    private readonly maxMs: number,
  ) {
    this.srtt = initialRttMs;
    this.rttvar = initialRttMs / 2;
  }

  sample(ms: number): void {
    this.latest = ms;
    if (!this.sampled) {
      this.sampled = true;
      this.srtt = ms;
      this.rttvar = ms / 2;
      return;
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
    this.srtt = 0.875 * this.srtt + 0.125 * ms;
  }

  get smoothed(): number {
    return this.srtt;
  }

  /** A probe timeout passed with nothing heard from the relay: the next one is twice as long. */
  expired(): void {
    this.expiries++;
  }

  /** Anything from the relay proves it is there: back to the base timeout. Doubling per request
   * instead would leave one unlucky message backing off for seconds while acks for others flow. */
  heard(): void {
    this.expiries = 0;
  }

  /** Probe timeouts in a row with nothing heard (the client counts the relay lost after enough). */
  get silentProbes(): number {
    return this.expiries;
  }

  /** The probe timeout, doubled for each expiry in a row (or for `expiries` given, as the first
   * join counts its own Hellos), capped. */
  pto(expiries = this.expiries): number {
    const base = Math.max(this.floorMs, this.srtt + Math.max(4 * this.rttvar, 1));
    return Math.min(this.maxMs, base * 2 ** Math.min(expiries, 16));
  }
}
