// The list of member names offered while a mention is typed (mention.ts decides which). The
// keyboard stays in the composer, which moves the choice (Up/Down), accepts it (Tab/Enter) or closes
// the list (Escape); the choice is also said through a polite live region, since focus never moves
// into the list. Names come from the network: they are drawn as text (dom.ts el()).
import { el } from './dom';

export class MentionList {
  readonly element = el('ul', 'mention-list');
  private readonly spoken = el('div', 'sr-only');
  private names: string[] = [];
  private chosen = 0;

  constructor(private readonly pick: (name: string) => void) {
    this.element.id = 'mention-list';
    this.element.setAttribute('role', 'listbox');
    this.element.setAttribute('aria-label', 'Members to mention');
    this.element.hidden = true;
    this.spoken.setAttribute('aria-live', 'polite');
    // mousedown, not click: the text box must keep the focus (and its caret) while a name is picked.
    this.element.addEventListener('mousedown', (e) => {
      const li = (e.target as Element).closest<HTMLElement>('li[data-index]');
      if (!li) return;
      e.preventDefault();
      const name = this.names[Number(li.dataset.index)];
      if (name !== undefined) this.pick(name);
    });
  }

  /** The live region, to be placed in the page once. */
  get announcer(): HTMLElement {
    return this.spoken;
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** The names on offer while open. */
  get shown(): string[] {
    return this.isOpen ? this.names.slice() : [];
  }

  get choice(): string | undefined {
    return this.isOpen ? this.names[this.chosen] : undefined;
  }

  /** Offers `names` (closes when there are none); the first is chosen unless the same one is still there. */
  show(names: string[]): void {
    if (names.length === 0) return this.hide();
    const same = this.isOpen && names.length === this.names.length && names.every((n, i) => n === this.names[i]);
    if (same) return;
    const keep = this.isOpen ? names.indexOf(this.names[this.chosen]) : -1;
    this.names = names;
    this.chosen = Math.max(0, keep);
    this.element.replaceChildren(
      ...names.map((name, i) => {
        const li = el('li', 'mention-option', name);
        li.dataset.index = String(i);
        li.setAttribute('role', 'option');
        return li;
      }),
    );
    this.element.hidden = false;
    this.mark();
  }

  hide(): void {
    if (this.element.hidden) return;
    this.element.hidden = true;
    this.names = [];
    this.element.replaceChildren();
  }

  /** Up (-1) or Down (+1), wrapping around. */
  move(direction: 1 | -1): void {
    if (!this.isOpen) return;
    this.chosen = (this.chosen + direction + this.names.length) % this.names.length;
    this.mark();
  }

  private mark(): void {
    [...this.element.children].forEach((li, i) => {
      li.setAttribute('aria-selected', String(i === this.chosen));
      li.classList.toggle('chosen', i === this.chosen);
    });
    const n = this.names.length;
    this.spoken.textContent = `${this.element.children[this.chosen]?.textContent ?? ''}, ${this.chosen + 1} of ${n}. Tab to insert, Escape to close.`;
  }
}
