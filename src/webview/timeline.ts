// The conversation as a virtualized list: all items live in an array, but only the rows in view
// (plus OVERSCAN pixels each way) are in the DOM, between two spacers whose heights stand for the
// rest. Heights start as estimates and are replaced by measurements whenever a row is mounted.
// We keep the scroll position ourselves (overflow-anchor is off): pinned to the bottom while the
// reader is there, otherwise anchored to the row at the top of the view, so late measurements and
// new messages never move what the reader is looking at.
import type { ChatItem } from '../common/messages';
import { el } from './dom';
import { estimateHeight, Metrics } from './estimate';
import { Heights } from './heights';
import type { People } from './people';
import { brokenRow, buildRow, continues, sameOptions, type RowOptions } from './rows';

const OVERSCAN = 600; // px each way: enough for a fast wheel flick between two frames
const BOTTOM_SLACK = 8; // px: fractional scroll positions still count as "at the bottom"

export interface Anchor {
  key: string;
  delta: number; // the row's top minus the view's top, in px
}

export interface TimelineHooks {
  action(action: 'retry' | 'openSnippet' | 'openLink', key: string, url: string): void;
  error(message: string): void;
  /** The reader scrolled or the pinned/new-messages state changed (save state, update the jump button). */
  moved(pinned: boolean, unseen: number): void;
}

interface Mounted {
  el: HTMLElement;
  item: ChatItem;
  opts: RowOptions;
}

export class Timeline {
  readonly scroller = el('div', 'scroller');
  private readonly padTop = el('div', 'pad');
  private readonly rows = el('div', 'rows');
  private readonly padBottom = el('div', 'pad');
  private readonly empty = el('div', 'empty', 'No messages yet. Say hello!');
  private items: ChatItem[] = [];
  private readonly keyIndex = new Map<string, number>();
  private readonly heights = new Heights();
  private readonly metrics: Metrics;
  private mounted = new Map<string, Mounted>();
  private start = 0;
  private end = 0;
  private unreadKey: string | undefined;
  private pinned = true;
  private unseen = 0;
  private width = 0;

  constructor(
    private readonly people: People,
    private readonly hooks: TimelineHooks,
  ) {
    this.scroller.tabIndex = 0; // keyboard users scroll the history with the arrow keys
    // role=log for structure, but not live: virtualization mounts old rows while scrolling, and
    // those must not be announced. New messages are announced by a separate live region.
    this.scroller.setAttribute('role', 'log');
    this.scroller.setAttribute('aria-live', 'off');
    this.scroller.setAttribute('aria-label', 'Messages');
    for (const pad of [this.padTop, this.padBottom]) pad.setAttribute('aria-hidden', 'true');
    this.scroller.append(this.padTop, this.rows, this.padBottom, this.empty);
    this.metrics = new Metrics(this.rows);
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.rows.addEventListener('click', (e) => this.onClick(e));
    this.rows.addEventListener('auxclick', (e) => e.preventDefault()); // no middle-click navigation
    new ResizeObserver(() => this.onResize()).observe(this.scroller);
  }

  get length(): number {
    return this.items.length;
  }

  get hasUnread(): boolean {
    return this.unreadKey !== undefined && this.keyIndex.has(this.unreadKey);
  }

  at(i: number): ChatItem {
    return this.items[i];
  }

  /** Replaces everything (a snapshot). `restore` puts the reader back where they were before a reload. */
  reset(items: readonly ChatItem[], unreadKey: string | undefined, restore?: Anchor): void {
    this.items = items.slice();
    this.unreadKey = unreadKey;
    this.keyIndex.clear();
    this.items.forEach((item, i) => this.keyIndex.set(item.key, i));
    this.people.addItems(this.items);
    this.reestimate();
    this.unseen = 0;
    const target = restore && this.keyIndex.get(restore.key);
    const unread = unreadKey === undefined ? undefined : this.keyIndex.get(unreadKey);
    if (target !== undefined && restore) {
      this.pinned = false;
      this.render({ index: target, delta: restore.delta });
    } else if (unread !== undefined && this.heights.total - this.heights.offset(unread) > this.scroller.clientHeight) {
      // More unread than fits: open at the divider rather than at the bottom.
      this.pinned = false;
      this.render({ index: unread, delta: -8 });
    } else {
      this.pinned = true;
      this.render();
    }
  }

  /** New items go to the end (before own messages still waiting for a seq); known keys are replaced. */
  apply(items: readonly ChatItem[], replaces: readonly { oldKey: string; item: ChatItem }[] = []): ChatItem[] {
    const added: ChatItem[] = [];
    const anchor = this.pinned ? undefined : this.anchor();
    for (const { oldKey, item } of replaces) {
      const i = this.keyIndex.get(oldKey) ?? this.keyIndex.get(item.key);
      if (i === undefined) {
        this.insert(item);
        added.push(item);
        continue;
      }
      this.keyIndex.delete(this.items[i].key);
      this.items[i] = item;
      this.keyIndex.set(item.key, i);
    }
    for (const item of items) {
      const i = this.keyIndex.get(item.key);
      if (i !== undefined) this.items[i] = item;
      else {
        this.insert(item);
        added.push(item);
      }
    }
    this.people.addItems(items);
    this.people.addItems(replaces.map((r) => r.item));
    if (!this.pinned) this.unseen += added.length;
    const target = anchor && this.keyIndex.get(anchor.key);
    this.render(target === undefined || !anchor ? undefined : { index: target, delta: anchor.delta });
    return added;
  }

  clear(): void {
    this.reset([], undefined);
  }

  /** Rebuilds rows whose options changed (e.g. a name became ambiguous). */
  refresh(): void {
    this.render();
  }

  scrollToBottom(): void {
    this.pinned = true;
    this.unseen = 0;
    this.render();
  }

  /** Where the reader is, to restore after a reload; undefined when pinned to the bottom. */
  anchor(): Anchor | undefined {
    if (this.pinned || this.items.length === 0) return undefined;
    const top = this.scroller.scrollTop;
    const i = this.heights.indexAt(top);
    return { key: this.items[i].key, delta: this.heights.offset(i) - top };
  }

  /** Row i as the reader sees it: the mounted element, or one built the same way off-screen. */
  rowElement(i: number): HTMLElement {
    const item = this.items[i];
    return this.mounted.get(item.key)?.el ?? this.build(item, this.options(i));
  }

  private insert(item: ChatItem): void {
    let at = this.items.length;
    const pendingOwn = (x: ChatItem): boolean => x.type === 'message' && x.own && x.seq === undefined;
    if (!pendingOwn(item)) while (at > 0 && pendingOwn(this.items[at - 1])) at--;
    this.items.splice(at, 0, item);
    for (let k = at; k < this.items.length; k++) this.keyIndex.set(this.items[k].key, k);
    this.heights.insert(at, this.estimate(at));
  }

  private options(i: number): RowOptions {
    const item = this.items[i];
    const unread = item.key === this.unreadKey;
    return {
      unread,
      continuation: !unread && continues(this.items[i - 1], item),
      idTag: item.type === 'message' ? this.people.senderTag(item.sender) : undefined,
    };
  }

  private estimate(i: number): number {
    const item = this.items[i];
    const unread = item.key === this.unreadKey;
    return estimateHeight(item, !unread && continues(this.items[i - 1], item), unread, this.metrics);
  }

  private reestimate(): void {
    const width = this.scroller.clientWidth;
    if (width !== this.width) {
      this.width = width; // font metrics are probed once per width: the probe forces a layout
      this.metrics.measure(width);
    }
    this.heights.reset(this.items.map((_, i) => this.estimate(i)));
    this.empty.hidden = this.items.length > 0;
  }

  private build(item: ChatItem, opts: RowOptions): HTMLElement {
    try {
      return buildRow(item, opts);
    } catch (err) {
      this.hooks.error(`Could not render ${item.key}: ${err instanceof Error ? err.message : String(err)}`);
      return brokenRow(item.key);
    }
  }

  private render(target?: { index: number; delta: number }): void {
    this.empty.hidden = this.items.length > 0;
    // Without a layout box (panel hidden) there is nothing to measure; onResize renders later.
    if (this.scroller.clientWidth === 0) return;
    let anchor = target ?? (this.pinned ? undefined : this.topAnchor());
    for (let pass = 0; pass < 4; pass++) {
      const viewH = this.scroller.clientHeight;
      const top = anchor
        ? this.heights.offset(anchor.index) - anchor.delta
        : this.pinned
          ? this.heights.total - viewH
          : this.scroller.scrollTop;
      const [start, end] = this.heights.range(top - OVERSCAN, top + viewH + OVERSCAN);
      const sameRange = start === this.start && end === this.end;
      this.mount(start, end);
      const changed = this.measure();
      this.padTop.style.height = `${this.heights.offset(start)}px`;
      this.padBottom.style.height = `${this.heights.total - this.heights.offset(end)}px`;
      if (anchor) this.scroller.scrollTop = this.heights.offset(anchor.index) - anchor.delta;
      else if (this.pinned) this.scroller.scrollTop = this.scroller.scrollHeight;
      if (!changed && sameRange) break;
      anchor ??= this.pinned ? undefined : this.topAnchor();
    }
    this.hooks.moved(this.pinned, this.unseen);
  }

  private topAnchor(): { index: number; delta: number } | undefined {
    if (this.items.length === 0) return undefined;
    const top = this.scroller.scrollTop;
    const index = this.heights.indexAt(top);
    return { index, delta: this.heights.offset(index) - top };
  }

  private mount(start: number, end: number): void {
    const next = new Map<string, Mounted>();
    const active = document.activeElement;
    const hadFocus = active !== null && this.rows.contains(active);
    for (let i = start; i < end; i++) {
      const item = this.items[i];
      const opts = this.options(i);
      const old = this.mounted.get(item.key);
      const keep = old && old.item === item && sameOptions(old.opts, opts);
      next.set(item.key, keep ? old : { el: this.build(item, opts), item, opts });
    }
    // Remove what leaves first, so rows that stay are never moved: moving a node re-styles and
    // re-lays it out (and reconnects toolkit elements), which made every append cost the whole window.
    for (const [key, m] of this.mounted) if (next.get(key)?.el !== m.el) m.el.remove();
    let k = 0;
    for (const { el: row } of next.values()) {
      const at = this.rows.children[k++];
      if (at !== row) this.rows.insertBefore(row, at ?? null);
    }
    this.mounted = next;
    this.start = start;
    this.end = end;
    // The focused link or button scrolled out and was unmounted: keep focus in the list.
    if (hadFocus && !active.isConnected) this.scroller.focus({ preventScroll: true });
  }

  private measure(): boolean {
    let changed = false;
    const rows = this.rows.children;
    for (let k = 0; k < rows.length; k++) {
      if (this.heights.set(this.start + k, rows[k].getBoundingClientRect().height)) changed = true;
    }
    return changed;
  }

  private onScroll(): void {
    const s = this.scroller;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight <= BOTTOM_SLACK;
    if (atBottom) this.unseen = 0;
    this.pinned = atBottom;
    this.render();
  }

  private onResize(): void {
    if (this.scroller.clientWidth === 0) return;
    if (Math.abs(this.scroller.clientWidth - this.width) > 1) {
      // Wrapping changes with the width: measured heights no longer hold, start from estimates.
      const anchor = this.anchor();
      this.reestimate();
      const index = anchor && this.keyIndex.get(anchor.key);
      this.render(index === undefined || !anchor ? undefined : { index, delta: anchor.delta });
    } else this.render();
  }

  private onClick(e: MouseEvent): void {
    const target = (e.target as Element).closest<HTMLElement>('[data-action]');
    if ((e.target as Element).closest('a')) e.preventDefault(); // the webview itself never navigates
    const key = target?.closest<HTMLElement>('.row')?.dataset.key;
    if (!target || !key || target.hasAttribute('disabled')) return;
    const action = target.dataset.action;
    if (action === 'retry' || action === 'openSnippet') this.hooks.action(action, key, '');
    else if (action === 'openLink') this.hooks.action(action, key, target.getAttribute('href') ?? '');
  }
}
