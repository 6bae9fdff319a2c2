// Addresses that are not members: they have not proved they can receive (RFC 9000 section 8), or
// they are seed clients, who never join. Each has its rate limit and its amplification budget, in
// a bounded map; the last one asked for is kept at hand, since datagrams come in runs from one.
import { TokenBucket } from '../limits';

/** RFC 9000 section 8: before validation, send at most 3x what was received from the address. */
export const AMPLIFICATION_FACTOR = 3;

export class Stranger {
  readonly packets: TokenBucket;
  /** For seed senders, whose lines are messages. */
  messages: TokenBucket | undefined;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly key: string,
    rate: number,
    burst: number,
    now: number,
  ) {
    this.packets = new TokenBucket(rate, burst, now);
  }

  /** Whether `bytes` more may be sent to it now (and counts them if so). */
  mayReceive(bytes: number): boolean {
    if (this.bytesOut + bytes > AMPLIFICATION_FACTOR * this.bytesIn) return false;
    this.bytesOut += bytes;
    return true;
  }
}

export class Strangers {
  private readonly map = new Map<string, Stranger>();
  private last: { host: string; port: number; s: Stranger } | undefined;

  constructor(
    private readonly max: number,
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  get(host: string, port: number, now: number): Stranger {
    const last = this.last;
    if (last && last.port === port && last.host === host) return last.s;
    const key = `${host}|${port}`;
    let s = this.map.get(key);
    if (!s) {
      // Oldest first out: a flood of fresh addresses cannot grow this beyond `max`.
      if (this.map.size >= this.max) this.delete(this.map.keys().next().value!);
      s = new Stranger(key, this.rate, this.burst, now);
      this.map.set(key, s);
    }
    this.last = { host, port, s };
    return s;
  }

  delete(key: string): void {
    this.map.delete(key);
    if (this.last?.s.key === key) this.last = undefined;
  }

  get size(): number {
    return this.map.size;
  }
}
