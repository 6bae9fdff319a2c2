// Row heights and their running sums for the virtualized timeline: where row i starts, which row
// is at a given scroll offset, and edits that keep the sums right. Pure (no DOM), unit-tested.
//
// Offsets are recomputed lazily from the lowest changed row. Appends touch only the tail, so an
// append stays O(1); a measured row in the middle costs one pass over the rows below it (10,000
// additions, a few microseconds), which is cheaper than keeping a tree in step.

export class Heights {
  private heights: number[] = [];
  private offsets: number[] = [0]; // offsets[i] = top of row i; offsets[n] = total
  private validUpTo = 0; // offsets[0..validUpTo] are correct

  get length(): number {
    return this.heights.length;
  }

  reset(heights: number[]): void {
    this.heights = heights.slice();
    this.offsets = new Array<number>(heights.length + 1);
    this.offsets[0] = 0;
    this.validUpTo = 0;
  }

  /** Sets row i's height; returns whether it changed by more than rounding noise. */
  set(i: number, h: number): boolean {
    if (Math.abs(this.heights[i] - h) < 0.5) return false;
    this.heights[i] = h;
    this.invalidate(i);
    return true;
  }

  push(h: number): void {
    this.heights.push(h);
    this.offsets.push(0);
    this.invalidate(this.heights.length - 1);
  }

  insert(i: number, h: number): void {
    this.heights.splice(i, 0, h);
    this.offsets.push(0);
    this.invalidate(i);
  }

  remove(i: number): void {
    this.heights.splice(i, 1);
    this.offsets.pop();
    this.invalidate(i);
  }

  /** Top of row i (i may equal length: the total height). */
  offset(i: number): number {
    if (i > this.validUpTo) {
      for (let k = this.validUpTo; k < i; k++) this.offsets[k + 1] = this.offsets[k] + this.heights[k];
      this.validUpTo = i;
    }
    return this.offsets[i];
  }

  get total(): number {
    return this.offset(this.heights.length);
  }

  /** The row that contains offset y (clamped to the rows that exist; 0 when there are none). */
  indexAt(y: number): number {
    const n = this.heights.length;
    if (n === 0) return 0;
    this.offset(n);
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] <= y) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Rows [start, end) that intersect [top, bottom). */
  range(top: number, bottom: number): [number, number] {
    const n = this.heights.length;
    if (n === 0) return [0, 0];
    const start = this.indexAt(Math.max(0, top));
    let end = this.indexAt(Math.max(0, bottom)) + 1;
    if (end > n) end = n;
    return [start, end];
  }

  private invalidate(i: number): void {
    if (i < this.validUpTo) this.validUpTo = i;
  }
}
