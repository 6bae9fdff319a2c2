// What a message row's controls and keys do (issue 13): Reply and Edit go to the composer, a chip or
// the emoji picker posts a reaction, Delete asks first, a quote scrolls to the message it quotes (the
// list is virtualized: the timeline draws it) or says it is not kept. A row with the keyboard takes
// R (reply), E (edit), Delete, + (react), Enter (go to the quoted message), Up/Down (the next row),
// Home/End (the oldest, the newest), Escape (back to the composer), and the context-menu key or a right-click (a menu of the same).
import type { ChatItem, WebviewToHost } from '../common/messages';
import { visibleName } from '../common/names';
import type { Composer } from './composer';
import { el } from './dom';
import { firstLine, PICKER_EMOJI, rowCommands } from './thread-text';
import type { Timeline } from './timeline';

type Message = Extract<ChatItem, { type: 'message' }>;

const TOAST_MS = 4000;
export const NOT_KEPT = 'That message is older than the history kept here.';
const MENU_LABELS: Record<string, string> = { react: 'React…', reply: 'Reply', edit: 'Edit', delete: 'Delete…' };

export class RowActions {
  /** The emoji picker, the delete confirmation or the row's menu: one at a time, over the list. */
  readonly popover = el('div', 'popover');
  readonly toast = el('div', 'toast');
  private toastTimer: ReturnType<typeof setTimeout> | undefined;
  private lastToast = '';
  private popoverFor: string | undefined;

  constructor(
    private readonly timeline: Timeline,
    private readonly composer: Composer,
    private readonly post: (msg: WebviewToHost) => void,
  ) {
    this.popover.hidden = true;
    this.popover.addEventListener('keydown', (e) => this.onPopoverKey(e));
    this.toast.hidden = true;
    this.toast.setAttribute('role', 'status');
    const list = timeline.scroller;
    list.addEventListener('keydown', (e) => this.onListKey(e));
    list.addEventListener('scroll', () => this.closePopover(false), { passive: true });
    list.addEventListener('contextmenu', (e) => {
      const row = (e.target as Element).closest<HTMLElement>('.row');
      const item = row?.dataset.key === undefined ? undefined : timeline.item(row.dataset.key);
      if (!row || item?.type !== 'message' || rowCommands(item).length === 0) return;
      e.preventDefault();
      this.menu(item, row);
    });
    document.addEventListener('mousedown', (e) => {
      if (!this.popover.hidden && !this.popover.contains(e.target as Node)) this.closePopover(false);
    });
  }

  /** The panel's last short message to the reader. */
  get toastText(): string {
    return this.lastToast;
  }

  /** A row's control was clicked (timeline.ts delegates by data-command). */
  readonly command = (command: string, item: ChatItem, control: HTMLElement): void => {
    if (item.type !== 'message') return;
    switch (command) {
      case 'reply':
        return this.reply(item);
      case 'edit':
        return this.edit(item);
      case 'delete':
        return this.confirmDelete(item, control);
      case 'react':
        return this.picker(item, control);
      case 'chip': {
        const r = item.reactions?.find((x) => x.emoji === control.dataset.emoji);
        if (r) this.post({ type: 'react', key: item.key, emoji: r.emoji, remove: r.mine });
        return;
      }
      case 'quote':
        return this.goTo(control.dataset.target ?? '');
    }
  };

  reply(m: Message): void {
    if (!m.respond) return;
    this.composer.setContext({ kind: 'reply', key: m.key, label: `Replying to ${visibleName(m.sender.name)}: ${firstLine(m)}` });
  }

  edit(m: Message): void {
    if (!rowCommands(m).includes('edit')) return;
    this.composer.setContext({ kind: 'edit', key: m.key, label: 'Editing your message' }, m.body.text);
  }

  /** Up in an empty composer: the newest message this device can edit. */
  editLast(): void {
    const list = this.timeline.list;
    for (let i = list.length - 1; i >= 0; i--) {
      const it = list[i];
      if (it.type === 'message' && it.mine && it.body.kind === 'text') return this.edit(it);
    }
  }

  /** Alt+Up in the composer: the keyboard goes to the last message in view. */
  toMessages(): void {
    const key = this.timeline.lastInView();
    if (key !== undefined) this.focusRow(key);
  }

  /** Scrolls to the message at `key` and gives it the keyboard, or says it is not kept. */
  goTo(key: string): void {
    const row = this.timeline.item(key) ? this.focusRow(key) : undefined;
    if (!row) return this.say(NOT_KEPT);
    row.classList.add('flash');
    setTimeout(() => row.classList.remove('flash'), 1500);
  }

  private focusRow(key: string): HTMLElement | undefined {
    const row = this.timeline.showRow(key);
    row?.focus({ preventScroll: true });
    return row;
  }

  private say(text: string): void {
    this.lastToast = text;
    this.toast.textContent = text;
    this.toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => (this.toast.hidden = true), TOAST_MS);
  }

  private onListKey(e: KeyboardEvent): void {
    if (e.isComposing || e.ctrlKey || e.metaKey) return;
    const target = e.target as HTMLElement;
    if (target === this.timeline.scroller) {
      if (e.key === 'Enter') this.toMessages();
      return;
    }
    if (!target.classList.contains('row') || target.dataset.key === undefined) return;
    const item = this.timeline.item(target.dataset.key);
    if (item?.type !== 'message') return;
    const commands = rowCommands(item);
    const run = (): boolean => {
      switch (e.key) {
        case 'ArrowUp':
        case 'ArrowDown': {
          const next = this.timeline.neighbour(item.key, e.key === 'ArrowUp' ? -1 : 1);
          if (next !== undefined) this.focusRow(next);
          return true;
        }
        case 'Home':
        case 'End': {
          const edge = this.timeline.edge(e.key === 'Home' ? 1 : -1);
          if (edge !== undefined) this.focusRow(edge);
          return true;
        }
        case 'Escape':
          this.composer.focus();
          return true;
        case 'Enter':
          if (item.reply) this.goTo(item.reply.key);
          return item.reply !== undefined;
        case 'ContextMenu':
          this.menu(item, target);
          return true;
        case 'F10':
          if (e.shiftKey) this.menu(item, target);
          return e.shiftKey;
      }
      const key = e.altKey ? '' : e.key.toLowerCase();
      const command = key === 'r' ? 'reply' : key === 'e' ? 'edit' : key === '+' || key === '=' ? 'react' : key === 'delete' || key === 'backspace' ? 'delete' : '';
      if (!commands.includes(command)) return false;
      this.command(command, item, target);
      return true;
    };
    if (run()) {
      e.preventDefault();
      e.stopPropagation();
    }
  }

  private picker(m: Message, anchor: HTMLElement): void {
    const mine = new Set((m.reactions ?? []).filter((r) => r.mine).map((r) => r.emoji));
    const buttons = PICKER_EMOJI.map((emoji) => {
      const b = this.popButton(emoji, () => this.post({ type: 'react', key: m.key, emoji, remove: mine.has(emoji) }));
      b.classList.add('pick');
      b.setAttribute('aria-pressed', String(mine.has(emoji)));
      b.setAttribute('aria-label', mine.has(emoji) ? `Take back ${emoji}` : `React with ${emoji}`);
      return b;
    });
    this.openPopover(m.key, anchor, 'Pick a reaction', buttons);
  }

  private confirmDelete(m: Message, anchor: HTMLElement): void {
    const yes = this.popButton('Delete', () => this.post({ type: 'delete', key: m.key }));
    yes.classList.add('danger');
    this.openPopover(m.key, anchor, 'Delete this message for everyone?', [el('span', 'popover-text', 'Delete this message for everyone?'), yes, this.popButton('Cancel', () => undefined)]);
  }

  private menu(m: Message, anchor: HTMLElement): void {
    const row = anchor.closest<HTMLElement>('.row') ?? anchor;
    const items = rowCommands(m).map((c) => this.popButton(MENU_LABELS[c], () => this.command(c, m, row), false));
    this.openPopover(m.key, row, 'Message actions', items, 'menu');
  }

  /** A button of the popover: it runs `fn` and closes it (unless `fn` opened another). */
  private popButton(label: string, fn: () => void, close = true): HTMLButtonElement {
    const b = el('button', 'pop-button', label);
    b.type = 'button';
    b.addEventListener('click', () => {
      if (close) this.closePopover(true);
      else this.popover.hidden = true;
      fn();
    });
    return b;
  }

  private openPopover(key: string, anchor: HTMLElement, label: string, content: HTMLElement[], role = 'dialog'): void {
    this.popoverFor = key;
    this.popover.setAttribute('role', role);
    this.popover.setAttribute('aria-label', label);
    this.popover.replaceChildren(...content);
    this.popover.hidden = false;
    const box = this.popover.parentElement?.getBoundingClientRect();
    const at = anchor.getBoundingClientRect();
    if (box) {
      const below = at.bottom - box.top + 2;
      const h = this.popover.offsetHeight;
      this.popover.style.top = `${below + h > box.height ? Math.max(0, at.top - box.top - h - 2) : below}px`;
      this.popover.style.right = `${Math.max(4, box.right - at.right)}px`;
    }
    this.popover.querySelector<HTMLElement>('button')?.focus();
  }

  /** Closes the popover; `refocus` gives the keyboard back to its row. */
  private closePopover(refocus: boolean): void {
    if (this.popover.hidden) return;
    const hadFocus = this.popover.contains(document.activeElement);
    this.popover.hidden = true;
    const key = this.popoverFor;
    this.popoverFor = undefined;
    if (refocus && hadFocus && key !== undefined) this.focusRow(key);
  }

  private onPopoverKey(e: KeyboardEvent): void {
    const buttons = [...this.popover.querySelectorAll<HTMLElement>('button')];
    const at = buttons.indexOf(document.activeElement as HTMLElement);
    const move = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 0;
    if (e.key === 'Escape') {
      const key = this.popoverFor;
      this.closePopover(false);
      if (key !== undefined) this.focusRow(key);
    } else if (move !== 0 && buttons.length > 0) buttons[(at + move + buttons.length) % buttons.length].focus();
    else if (e.key === 'Tab') {
      if (buttons.length > 0) buttons[(at + (e.shiftKey ? -1 : 1) + buttons.length) % buttons.length].focus();
    } else return;
    e.preventDefault();
    e.stopPropagation();
  }
}
