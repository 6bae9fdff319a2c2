// The receiver's memory of which packet numbers it has accepted, as in RFC 6479 (and WireGuard): a
// ring of 64 32-bit blocks, 2,048 bits. One block is kept clear for the newest numbers, so the window
// is 2,016 packets: a number that far behind the newest is refused as too old, one seen before as a
// replay. Datagrams that UDP reorders by less than that are all accepted, once each.
//
// check() comes before decryption and accept() after it succeeds, so a forged datagram (which fails
// to open) can neither move the window nor mark a number as used.

const BLOCK_BITS = 32;
const BLOCKS = 64;
export const REPLAY_WINDOW = (BLOCKS - 1) * BLOCK_BITS; // 2016

export type ReplayVerdict = 'new' | 'replayed' | 'too-old';

export class ReplayWindow {
  private readonly bits = new Uint32Array(BLOCKS);
  private top = -1; // the highest packet number accepted so far

  get highest(): number {
    return this.top;
  }

  check(pn: number): ReplayVerdict {
    if (pn > this.top) return 'new';
    if (this.top - pn >= REPLAY_WINDOW) return 'too-old';
    return this.bits[blockOf(pn)] & bitOf(pn) ? 'replayed' : 'new';
  }

  /** Marks `pn` as used; call only after check() said 'new' and the datagram opened. */
  accept(pn: number): void {
    if (pn > this.top) {
      const from = Math.floor(this.top / BLOCK_BITS); // -1 before the first packet
      const to = Math.floor(pn / BLOCK_BITS);
      for (let b = 1, n = Math.min(to - from, BLOCKS); b <= n; b++) this.bits[mod(from + b, BLOCKS)] = 0;
      this.top = pn;
    }
    this.bits[blockOf(pn)] |= bitOf(pn);
  }
}

const mod = (a: number, m: number) => ((a % m) + m) % m;
const blockOf = (pn: number) => mod(Math.floor(pn / BLOCK_BITS), BLOCKS);
const bitOf = (pn: number) => (1 << pn % BLOCK_BITS) >>> 0;
