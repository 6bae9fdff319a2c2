// RTT estimation and the probe timeout, as RFC 9002 (sections 5 and 6.2) defines them. The relay
// acknowledges at once, so its ack delay is ~0 and max_ack_delay (25 ms) serves as the PTO's floor.
export class RttEstimator {
  private srtt: number;
  private rttvar: number;
  private sampled = false;
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

  /** The probe timeout after `expiries` expiries in a row: doubled each time, capped. */
  pto(expiries = 0): number {
    const base = Math.max(this.floorMs, this.srtt + Math.max(4 * this.rttvar, 1));
    return Math.min(this.maxMs, base * 2 ** Math.min(expiries, 16));
  }
}
