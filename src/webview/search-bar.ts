// The search box: Ctrl+F / Cmd+F (or the toolbar's button) opens it, Enter and F3 go to the next
// match, Shift+Enter and Shift+F3 to the previous one, Escape closes it and gives the keyboard back to
// the composer. It searches the data (search.ts), so it finds messages whose rows are not drawn, and
// marks the drawn rows only (highlight.ts): a keystroke costs a pass over the data and the marks of
// the rows in view, never a redraw of the list.
import type { ChatItem, SearchReport } from '../common/messages';
import { el, icon, srOnly } from './dom';
import { markHits } from './highlight';
import { bodyText } from './render-text';
import { rowText } from './report';
import { Search, needleOf } from './search';
import type { Timeline } from './timeline';
import { button, setDisabled } from './toolkit';

/** The current hit's message is read out up to this many characters. */
const SPOKEN_CHARS = 200;

/** Typing waits this long for the next key before searching (10,000 messages take a few ms). */
const DEBOUNCE_MS = 100;

const ICON = {
  search: 'M6.5 1a5.5 5.5 0 0 1 4.4 8.8l3.6 3.6-.7.7-3.6-3.6A5.5 5.5 0 1 1 6.5 1zm0 1a4.5 4.5 0 1 0 0 9 4.5 4.5 0 0 0 0-9z',
  up: 'M8 3.5 12.5 8l-.7.7L8.5 5.4V14h-1V5.4L4.2 8.7l-.7-.7z',
  down: 'M8 12.5 3.5 8l.7-.7L7.5 10.6V2h1v8.6l3.3-3.3.7.7z',
  close: 'M8 7.3 12.6 2.7l.7.7L8.7 8l4.6 4.6-.7.7L8 8.7l-4.6 4.6-.7-.7L7.3 8 2.7 3.4l.7-.7z',
} as const;

const MOD = /Mac|iPhone|iPad/.test(navigator.platform) ? 'Cmd' : 'Ctrl';

function iconButton(path: string, label: string, title: string): HTMLElement {
  const b = button('', 'toolbar', title);
  b.setAttribute('aria-label', label);
  b.append(icon(path));
  return b;
}

/** The toolbar's button that opens the search box. */
export function searchButton(open: () => void): HTMLElement {
  const b = iconButton(ICON.search, 'Search messages', `Search messages (${MOD}+F)`);
  b.classList.add('search-open');
  b.addEventListener('click', open);
  return b;
}

export class SearchBar {
  readonly element = el('div', 'searchbar');
  private readonly input = el('input', 'search-input');
  private readonly counter = el('span', 'search-count');
  private readonly prev = iconButton(ICON.up, 'Previous match', 'Previous match (Shift+Enter)');
  private readonly next = iconButton(ICON.down, 'Next match', 'Next match (Enter)');
  private readonly search = new Search();
  private pending: ReturnType<typeof setTimeout> | undefined;
  private warming: ReturnType<typeof setTimeout> | undefined;
  private lastMs: number | undefined;

  constructor(
    private readonly timeline: Timeline,
    private readonly closed: () => void,
  ) {
    this.element.setAttribute('role', 'search');
    this.element.hidden = true;
    const label = el('label', 'sr-only', 'Search messages');
    this.input.id = label.htmlFor = 'search-input';
    this.input.type = 'text';
    this.input.placeholder = 'Search messages';
    this.input.spellcheck = false;
    this.input.autocomplete = 'off';
    this.counter.setAttribute('role', 'status'); // polite: read after the key that changed it
    this.counter.setAttribute('aria-live', 'polite');
    const close = iconButton(ICON.close, 'Close search', 'Close (Escape)');
    this.prev.addEventListener('click', () => this.step(-1));
    this.next.addEventListener('click', () => this.step(1));
    close.addEventListener('click', () => this.close());
    this.input.addEventListener('input', () => {
      clearTimeout(this.pending);
      this.pending = setTimeout(() => this.run(), DEBOUNCE_MS);
    });
    this.element.addEventListener('keydown', (e) => this.onOwnKey(e));
    this.element.append(label, this.input, this.counter, this.prev, this.next, close);
    this.show();
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  open(): void {
    this.element.hidden = false;
    this.input.focus();
    this.input.select();
    if (this.input.value !== '' && this.search.query === '') this.run();
    this.warmSoon();
  }

  close(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    this.element.hidden = true;
    this.search.clear();
    this.timeline.redecorate();
    this.show();
    this.closed();
  }

  /** Ctrl+F / Cmd+F and F3 anywhere in the panel. */
  onKey(e: KeyboardEvent): void {
    const mod = (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey;
    if (mod && (e.key.toLowerCase() === 'f' || e.code === 'KeyF')) {
      e.preventDefault();
      this.open();
    } else if (e.key === 'F3' && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      if (this.isOpen && this.input.value !== '') this.step(e.shiftKey ? -1 : 1);
      else this.open();
    }
  }

  /** The conversation changed: counts and marks follow, the view stays where the reader has it. */
  itemsChanged(): void {
    if (this.isOpen && this.warming === undefined) this.warmSoon(); // a new snapshot's items
    if (this.search.query === '') return;
    this.search.refresh(this.timeline.list);
    this.show();
    this.timeline.redecorate();
  }

  /** For the timeline: marks a row as it is drawn, and outlines the current hit's. A deleted
   * message is no hit (shown-text.ts), so its name is not marked either. */
  readonly decorate = (row: HTMLElement, item: ChatItem): void => {
    markHits(row, item.type === 'message' && item.deleted ? '' : this.search.query);
    row.classList.toggle('search-current', item.key === this.search.current);
  };

  report(): SearchReport {
    const row = this.timeline.scroller.querySelector<HTMLElement>('.row.search-current');
    let current: SearchReport['current'];
    if (row && this.search.current !== undefined) {
      const r = row.getBoundingClientRect();
      const view = this.timeline.scroller.getBoundingClientRect();
      const marks = [...row.querySelectorAll('mark.hit')].map((m) => m.textContent ?? '');
      current = { key: this.search.current, text: rowText(row), marks, inView: r.top >= view.top - 1 && r.bottom <= view.bottom + 1 };
    }
    return { open: this.isOpen, query: this.input.value, counter: this.search.counter, heard: this.counter.textContent ?? '', current, ms: this.lastMs };
  }

  private onOwnKey(e: KeyboardEvent): void {
    if (e.isComposing || e.keyCode === 229) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.close();
    } else if (e.key === 'Enter' && e.target === this.input) {
      e.preventDefault();
      this.step(e.shiftKey ? -1 : 1);
    }
  }

  /** Prepares the search's text of every message in slices of 8 ms while the box is open. */
  private warmSoon(): void {
    clearTimeout(this.warming);
    const slice = (): void => {
      const end = performance.now() + 8;
      const done = !this.isOpen || this.search.warm(this.timeline.list, () => performance.now() > end);
      this.warming = done ? undefined : setTimeout(slice, 0);
    };
    this.warming = setTimeout(slice, 0);
  }

  /** Searches for what the box holds now. */
  private run(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    this.land(() => this.search.setQuery(this.input.value, this.timeline.list, this.timeline.readerAt()));
  }

  private step(direction: 1 | -1): void {
    // Enter right after typing searches first: the new query's first hit, not the old one's next.
    if (this.pending !== undefined || this.search.query !== needleOf(this.input.value)) this.run();
    else this.land(() => this.search.step(this.timeline.list, direction));
  }

  /** Moves the search (`move`), shows the count and the marks, brings the current hit into view, and
   * keeps how long all that took. */
  private land(move: () => void): void {
    const t0 = performance.now();
    move();
    this.show();
    this.timeline.redecorate();
    if (this.search.current !== undefined) this.timeline.reveal(this.search.current);
    void document.body.offsetHeight; // include style and layout in the measurement
    this.lastMs = performance.now() - t0;
  }

  /** ": bob: the message", cut short, for the current hit. */
  private spokenHit(): string {
    const i = this.search.currentIndex;
    const item = i === undefined ? undefined : this.timeline.list[i];
    if (item?.type !== 'message') return '';
    const said = `${item.sender.name}: ${bodyText(item.body)}`;
    return `: ${said.length > SPOKEN_CHARS ? `${said.slice(0, SPOKEN_CHARS)}…` : said}`;
  }

  private show(): void {
    const text = this.search.counter;
    // Seen as "3 of 17"; heard as "3 of 17 matching messages: bob: the deploy key...", since the
    // outline on the row is not. Only a change is written: a live region would read a rewrite again.
    const spoken = this.search.count > 0 ? ` matching messages${this.spokenHit()}` : '';
    if (this.counter.textContent !== text + spoken) this.counter.replaceChildren(text, ...(spoken ? [srOnly(spoken)] : []));
    this.input.classList.toggle('no-results', text === 'No results');
    setDisabled(this.prev, this.search.count === 0);
    setDisabled(this.next, this.search.count === 0);
  }
}
