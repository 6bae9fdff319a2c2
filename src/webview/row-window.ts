// The rows that are actually in the DOM: a contiguous slice [start, end) of the conversation.
// Rows are reused while their item and options are unchanged, and measured after each mount.
import type { ChatItem } from '../common/messages';
import { el } from './dom';
import type { Heights } from './heights';
import { brokenRow, buildRow, sameOptions, type RowOptions } from './rows';

interface Mounted {
  el: HTMLElement;
  item: ChatItem;
  opts: RowOptions;
}

export class RowWindow {
  readonly element = el('div', 'rows');
  private mounted = new Map<string, Mounted>();
  start = 0;
  end = 0;
  /** Applied to each row as it is built (search marks): kept rows keep it, `redecorate` reapplies it. */
  decorate: ((row: HTMLElement, item: ChatItem) => void) | undefined;

  constructor(private readonly error: (message: string) => void) {}

  /** Shows rows [start, end); `row(i)` gives each one's item and options. */
  mount(start: number, end: number, row: (i: number) => { item: ChatItem; opts: RowOptions }): void {
    const next = new Map<string, Mounted>();
    for (let i = start; i < end; i++) {
      const { item, opts } = row(i);
      const old = this.mounted.get(item.key);
      const keep = old && old.item === item && sameOptions(old.opts, opts);
      next.set(item.key, keep ? old : { el: this.decorated(this.build(item, opts), item), item, opts });
    }
    // Remove what leaves first, so rows that stay are never moved: moving a node re-styles and
    // re-lays it out (and reconnects toolkit elements), which made every append cost the whole window.
    for (const [key, m] of this.mounted) if (next.get(key)?.el !== m.el) m.el.remove();
    let k = 0;
    for (const { el: rowEl } of next.values()) {
      const at = this.element.children[k++];
      if (at !== rowEl) this.element.insertBefore(rowEl, at ?? null);
    }
    this.mounted = next;
    this.start = start;
    this.end = end;
  }

  /** Applies `decorate` to every mounted row again (the search changed). */
  redecorate(): void {
    for (const m of this.mounted.values()) this.decorated(m.el, m.item);
  }

  /** Records the mounted rows' real heights; true if any differed from what `heights` had. */
  measure(heights: Heights): boolean {
    let changed = false;
    const rows = this.element.children;
    for (let k = 0; k < rows.length; k++) {
      if (heights.set(this.start + k, rows[k].getBoundingClientRect().height)) changed = true;
    }
    return changed;
  }

  /** The mounted row for an item, or one built the same way off-screen (for the render report). */
  rowFor(item: ChatItem, opts: RowOptions): HTMLElement {
    return this.mounted.get(item.key)?.el ?? this.build(item, opts);
  }

  private decorated(row: HTMLElement, item: ChatItem): HTMLElement {
    try {
      this.decorate?.(row, item);
    } catch (err) {
      this.error(`Could not mark ${item.key}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return row;
  }

  private build(item: ChatItem, opts: RowOptions): HTMLElement {
    try {
      return buildRow(item, opts);
    } catch (err) {
      this.error(`Could not render ${item.key}: ${err instanceof Error ? err.message : String(err)}`);
      return brokenRow(item.key);
    }
  }
}
