// The conversation as a virtualized list: all items live in an array, but only the rows in view
// (plus OVERSCAN pixels each way) are in the DOM, between two spacers whose heights stand for the
// rest. Heights start as estimates and are replaced by measurements whenever a row is mounted.
// We keep the scroll position ourselves (overflow-anchor is off): pinned to the bottom while the
// reader is there, otherwise anchored to the row at the top of the view, so late measurements and
// new messages never move what the reader is looking at.
import type { ChatItem, WebviewToHost } from '../common/messages';
import { el } from './dom';
import { estimateHeight, Metrics } from './estimate';
import { Heights } from './heights';
import { Items } from './items';
import type { People } from './people';
import { RowWindow } from './row-window';
import { continues, rowAction, type RowOptions } from './rows';
import { quoteOf } from './thread-text';
import { isChatItem, validItems } from './valid';

const OVERSCAN = 600; // px each way: enough for a fast wheel flick between two frames
const BOTTOM_SLACK = 8; // px: fractional scroll positions still count as "at the bottom"

export interface Anchor {
  key: string;
  delta: number; // the row's top minus the view's top, in px
}

export interface TimelineHooks {
  /** The reader clicked Retry, a snippet header or a link in a row. */
  action(msg: WebviewToHost): void;
  /** A property, not a method: it is handed on as a callback. */
  error: (message: string) => void;
  /** The reader scrolled or the pinned/new-messages state changed (save state, update the jump button). */
  moved(pinned: boolean, unseen: number): void;
  /** Applied to each row as it is drawn, and again on redecorate() (search marks). */
  decorate?: (row: HTMLElement, item: ChatItem) => void;
  /** A row's own control was clicked (data-command: reply, react, a chip, a quote...): row-actions.ts. */
  command?: (command: string, item: ChatItem, control: HTMLElement) => void;
}

export class Timeline {
  readonly scroller = el('div', 'scroller');
  private readonly padTop = el('div', 'pad');
  private readonly window: RowWindow;
  private readonly padBottom = el('div', 'pad');
  private readonly empty = el('div', 'empty', 'No messages yet. Say hello!');
  private readonly items = new Items();
  private readonly heights = new Heights();
  private readonly metrics: Metrics;
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
    this.window = new RowWindow(hooks.error);
    this.window.decorate = hooks.decorate;
    const rows = this.window.element;
    this.scroller.append(this.padTop, rows, this.padBottom, this.empty);
    this.metrics = new Metrics(rows);
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    rows.addEventListener('click', (e) => {
      const control = (e.target as Element).closest<HTMLElement>('[data-command]');
      const key = control?.closest<HTMLElement>('.row')?.dataset.key;
      const item = key === undefined ? undefined : this.item(key);
      if (control && item && !control.hasAttribute('disabled')) return this.hooks.command?.(control.dataset.command ?? '', item, control);
      const msg = rowAction(e);
      if (msg) this.hooks.action(msg);
    });
    rows.addEventListener('auxclick', (e) => e.preventDefault()); // no middle-click navigation
    new ResizeObserver(() => this.onResize()).observe(this.scroller);
  }

  get length(): number {
    return this.items.length;
  }

  get hasUnread(): boolean {
    return this.unreadKey !== undefined && this.items.indexOf(this.unreadKey) !== undefined;
  }

  at(i: number): ChatItem {
    return this.items.at(i);
  }

  get list(): readonly ChatItem[] {
    return this.items.all();
  }

  /** The last item the reader can see (the newest while pinned to the bottom). */
  readerAt(): number {
    if (this.pinned || this.scroller.clientHeight === 0) return this.items.length - 1;
    return this.heights.indexAt(this.scroller.scrollTop + this.scroller.clientHeight - 1);
  }

  /** Brings the item at `key` into view, drawing its row, unless it is wholly in view already. */
  reveal(key: string): void {
    const index = this.items.indexOf(key);
    if (index === undefined || this.scroller.clientWidth === 0) return;
    const [viewTop, viewH] = [this.scroller.scrollTop, this.scroller.clientHeight];
    const top = this.heights.offset(index);
    const h = this.heights.offset(index + 1) - top;
    if (index >= this.window.start && index < this.window.end && top >= viewTop && top + h <= viewTop + viewH) return;
    this.pinned = false;
    this.render({ index, delta: Math.max(0, Math.round((viewH - h) / 2)) });
  }

  /** The item shown under `key`, if the panel has it. */
  item(key: string): ChatItem | undefined {
    const i = this.items.indexOf(key);
    return i === undefined ? undefined : this.items.at(i);
  }

  /** The drawn row of `key`, brought into view first (drawing it if it was not). */
  showRow(key: string): HTMLElement | undefined {
    this.reveal(key);
    return this.window.element.querySelector<HTMLElement>(`.row[data-key="${CSS.escape(key)}"]`) ?? undefined;
  }

  /** The key of the message `step` messages from `key` (notices are skipped), or undefined at an end. */
  neighbour(key: string, step: 1 | -1): string | undefined {
    for (let i = (this.items.indexOf(key) ?? -1) + step; i >= 0 && i < this.items.length; i += step) {
      const it = this.items.at(i);
      if (it.type === 'message') return it.key;
    }
    return undefined;
  }

  /** The first message (`from` 1) or the last (-1). */
  edge(from: 1 | -1): string | undefined {
    const at = from === 1 ? 0 : this.items.length - 1;
    if (at < 0) return undefined;
    const it = this.items.at(at);
    return it.type === 'message' ? it.key : this.neighbour(it.key, from);
  }

  /** The last message row wholly or partly in view (where the keyboard enters the list). */
  lastInView(): string | undefined {
    const at = this.readerAt();
    return at < 0 ? undefined : (this.items.at(at).type === 'message' ? this.items.at(at).key : this.neighbour(this.items.at(at).key, -1));
  }

  /** Decorates the drawn rows again (the search changed). */
  redecorate(): void {
    this.window.redecorate();
  }

  /** Replaces everything (a snapshot). `restore` puts the reader back where they were before a reload. */
  reset(items: readonly unknown[], unreadKey: string | undefined, restore?: Anchor): void {
    this.items.reset(validItems(items, this.hooks.error));
    this.unreadKey = unreadKey;
    this.people.addItems(this.items.all());
    this.reestimate();
    this.unseen = 0;
    const target = this.locate(restore);
    const unread = unreadKey === undefined ? undefined : this.items.indexOf(unreadKey);
    if (target) {
      this.pinned = false;
      this.render(target);
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
  apply(items: readonly unknown[], replaces: readonly { oldKey: string; item: unknown }[] = []): ChatItem[] {
    const added: ChatItem[] = [];
    const anchor = this.pinned ? undefined : this.anchor();
    const upsert = (item: ChatItem, oldKey = item.key): void => {
      if (this.items.replace(oldKey, item)) return; // keeps its place and measured height
      const at = this.items.insert(item);
      this.heights.insert(at, this.estimate(at));
      added.push(item);
    };
    for (const r of replaces) {
      if (isChatItem(r.item)) upsert(r.item, r.oldKey);
      else this.hooks.error(`Ignored a malformed replacement for ${r.oldKey}`);
    }
    const valid = validItems(items, this.hooks.error);
    for (const item of valid) upsert(item);
    this.people.addItems(valid);
    this.people.addItems(replaces.map((r) => r.item).filter(isChatItem));
    if (!this.pinned) this.unseen += added.length;
    this.render(this.locate(anchor));
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
    return { key: this.items.at(i).key, delta: this.heights.offset(i) - top };
  }

  /** Row i as the reader sees it: the mounted element, or one built the same way off-screen. */
  rowElement(i: number): HTMLElement {
    return this.window.rowFor(this.items.at(i), this.options(i));
  }

  private options(i: number): RowOptions {
    const item = this.items.at(i);
    const unread = item.key === this.unreadKey;
    return {
      unread,
      continuation: !unread && continues(this.items.at(i - 1), item),
      idTag: item.type === 'message' ? this.people.senderTag(item.sender) : undefined,
      newKey: item.type === 'message' && this.people.hasNewKey(item.sender.id),
      quote: item.type === 'message' && item.reply ? quoteOf(item.reply.key, this.item(item.reply.key)) : undefined,
    };
  }

  private estimate(i: number): number {
    const item = this.items.at(i);
    const unread = item.key === this.unreadKey;
    return estimateHeight(item, !unread && continues(this.items.at(i - 1), item), unread, this.metrics);
  }

  private reestimate(): void {
    const width = this.scroller.clientWidth;
    if (width !== this.width) {
      this.width = width; // font metrics are probed once per width: the probe forces a layout
      this.metrics.measure(width);
    }
    this.heights.reset(this.items.all().map((_, i) => this.estimate(i)));
    this.empty.hidden = this.items.length > 0;
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
      const sameRange = start === this.window.start && end === this.window.end;
      this.mount(start, end);
      const changed = this.window.measure(this.heights);
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
    const active = document.activeElement;
    const hadFocus = active !== null && this.window.element.contains(active);
    this.window.mount(start, end, (i) => ({ item: this.items.at(i), opts: this.options(i) }));
    // The focused row was rebuilt (a reaction came in): the new one takes the keyboard. Or the focused
    // link or button scrolled out and was unmounted: keep focus in the list.
    if (!hadFocus || active.isConnected) return;
    const key = active instanceof HTMLElement && active.classList.contains('row') ? active.dataset.key : undefined;
    const again = key === undefined ? null : this.window.element.querySelector<HTMLElement>(`.row[data-key="${CSS.escape(key)}"]`);
    (again ?? this.scroller).focus({ preventScroll: true });
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
      this.render(this.locate(anchor));
    } else this.render();
  }

  /** The row at an anchor's key, if it is still there. */
  private locate(a: Anchor | undefined): { index: number; delta: number } | undefined {
    const index = a && this.items.indexOf(a.key);
    return a && index !== undefined ? { index, delta: a.delta } : undefined;
  }
}
