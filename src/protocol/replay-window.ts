// The receiver's memory of which packet numbers it has accepted, as in RFC 6479 (and WireGuard): a
// ring of 32-bit blocks, 64 of them (2,048 bits) unless the receiver asks for fewer. One block is kept
// clear for the newest numbers, so the window is 2,016 packets: a number that far behind the newest
// is refused as too old, one seen before as a replay. Datagrams that UDP reorders by less than that
// are all accepted, once each. The relay keeps a smaller ring per member (members send it little; a
// few thousand of them each holding 2,048 bits would be a quarter of what a member costs it).
//
// check() comes before decryption and accept() after it succeeds, so a forged datagram (which fails
// to open) can neither move the window nor mark a number as used.

const BLOCK_BITS = 32;
export const DEFAULT_BLOCKS = 64;
export const REPLAY_WINDOW = (DEFAULT_BLOCKS - 1) * BLOCK_BITS; // 2016

export type ReplayVerdict = 'new' | 'replayed' | 'too-old';

export class ReplayWindow {
  // Plain numbers (int32), not a Uint32Array: a typed array costs a few hundred bytes more than its
  // bits, which for a small ring is most of it.
  private readonly bits: number[];
  private top = -1; // the highest packet number accepted so far

  constructor(blocks = DEFAULT_BLOCKS) {
    if (!Number.isInteger(blocks) || blocks < 2) throw new RangeError(`A replay window needs at least 2 blocks, not ${blocks}`);
    this.bits = new Array<number>(blocks).fill(0);
  }

  /** How far behind the newest a number may be and still be accepted (once). */
  get size(): number {
    return (this.bits.length - 1) * BLOCK_BITS;
  }

  get highest(): number {
    return this.top;
  }

  check(pn: number): ReplayVerdict {
    if (pn > this.top) return 'new';
    if (this.top - pn >= this.size) return 'too-old';
    return this.bits[this.blockOf(pn)] & bitOf(pn) ? 'replayed' : 'new';
  }

  /** Marks `pn` as used; call only after check() said 'new' and the datagram opened. */
  accept(pn: number): void {
    const blocks = this.bits.length;
    if (pn > this.top) {
      const from = Math.floor(this.top / BLOCK_BITS); // -1 before the first packet
      const to = Math.floor(pn / BLOCK_BITS);
      for (let b = 1, n = Math.min(to - from, blocks); b <= n; b++) this.bits[mod(from + b, blocks)] = 0;
      this.top = pn;
    }
    const at = this.blockOf(pn);
    this.bits[at] = this.bits[at] | bitOf(pn);
  }

  private blockOf(pn: number): number {
    return mod(Math.floor(pn / BLOCK_BITS), this.bits.length);
  }
}

const mod = (a: number, m: number) => ((a % m) + m) % m;
const bitOf = (pn: number) => 1 << pn % BLOCK_BITS; // an int32: bit 31 is negative, as | and & treat it
