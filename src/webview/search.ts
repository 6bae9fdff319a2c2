// Search over the conversation's data, not its DOM: the list is virtualized, so most rows are not in
// the page. A hit is a message (the count reads "3 of 17 messages"); every place its words match is
// marked once its row is drawn (highlight.ts). Matching ignores case; each message's folded text is
// computed once per item object and kept, so a keystroke over 10,000 messages is 10,000 `includes`.
// Pure (no DOM): unit-tested in plain Node.
import type { ChatItem } from '../common/messages';
import { searchParts } from './shown-text';

/** A longer query is cut: it bounds the work one keystroke can cause. */
export const MAX_QUERY_CHARS = 200;

/** `text` in lower case, one UTF-16 unit for one, so offsets in the folded text are offsets in the
 * original (a character whose lower case is longer, such as "İ", is kept as it is). */
export function fold(text: string): string {
  const lower = text.toLowerCase();
  if (lower.length === text.length) return lower; // lower-casing only ever lengthens
  let out = '';
  for (const ch of text) {
    const l = ch.toLowerCase();
    out += l.length === ch.length ? l : ch;
  }
  return out;
}

/** The query as searched: one line (a pasted line break is a space), folded, cut to MAX_QUERY_CHARS. */
export function needleOf(query: string): string {
  return fold(query.replace(/[\r\n]+/g, ' ').slice(0, MAX_QUERY_CHARS));
}

/** Where `needle` (from needleOf) occurs in `text`: [start, end) offsets, in order, not overlapping. */
export function findRanges(text: string, needle: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (needle === '') return out;
  const hay = fold(text);
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + needle.length)) out.push([at, at + needle.length]);
  return out;
}

/** `ranges` (from findRanges over the joined text of several text nodes of these lengths) cut at the
 * nodes' edges: for each node, the [start, end) pieces inside it, in its own offsets. One pass over
 * both lists, so a long message with thousands of hits stays linear. */
export function piecesPerNode(lengths: readonly number[], ranges: ReadonlyArray<[number, number]>): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  let start = 0;
  let r = 0;
  for (const length of lengths) {
    const end = start + length;
    const inside: Array<[number, number]> = [];
    for (let k = r; k < ranges.length && ranges[k][0] < end; k++) {
      const [a, b] = ranges[k];
      if (b > start) inside.push([Math.max(a, start) - start, Math.min(b, end) - start]);
      if (b <= end) r = k + 1; // ends in this node: no later node needs it
    }
    out.push(inside);
    start = end;
  }
  return out;
}

export class Search {
  private readonly folded = new WeakMap<ChatItem, string>();
  private needle = '';
  /** Indexes of the matching items, in conversation order. */
  private hits: number[] = [];
  /** Position in `hits` of the current one (-1: none), and which message it is. */
  private at = -1;
  private atKey: string | undefined;

  get query(): string {
    return this.needle;
  }

  get count(): number {
    return this.hits.length;
  }

  /** The current hit's item key. */
  get current(): string | undefined {
    return this.atKey;
  }

  /** The current hit's index in the items last searched. */
  get currentIndex(): number | undefined {
    return this.at >= 0 ? this.hits[this.at] : undefined;
  }

  /** "3 of 17", "No results", or '' with no query. */
  get counter(): string {
    if (this.needle === '') return '';
    return this.hits.length === 0 ? 'No results' : `${this.at + 1} of ${this.hits.length}`;
  }

  /** Whether `item` matches `needle` (from needleOf). */
  matches(item: ChatItem, needle: string): boolean {
    return needle !== '' && this.hay(item).includes(needle);
  }

  /** Folds the text of items not folded yet, newest first, until `enough()`; true once all are.
   * Run in slices while the box is open, so the first keystroke over a long history finds it ready
   * (10,000 messages with code and links take a few hundred ms the first time, a few ms after). */
  warm(items: readonly ChatItem[], enough: () => boolean): boolean {
    for (let i = items.length - 1; i >= 0; i--) {
      if (this.folded.has(items[i])) continue;
      if (enough()) return false;
      this.hay(items[i]);
    }
    return true;
  }

  private hay(item: ChatItem): string {
    let hay = this.folded.get(item);
    if (hay === undefined) {
      // Parts are joined by a line break, which a needle never holds: no match spans two parts.
      hay = searchParts(item).map(fold).join('\n');
      this.folded.set(item, hay);
    }
    return hay;
  }

  /** A new query. The current hit is the last one at or above item `readerAt` (the bottom of what the
   * reader sees), so searching from the newest messages starts at the newest hit; else the first. */
  setQuery(query: string, items: readonly ChatItem[], readerAt: number): void {
    this.needle = needleOf(query);
    this.collect(items);
    let at = -1;
    for (let k = 0; k < this.hits.length && this.hits[k] <= readerAt; k++) at = k;
    this.point(items, this.hits.length === 0 ? -1 : Math.max(at, 0));
  }

  /** The conversation changed (new messages, replaced ones): the same query, and the same current
   * message while it is there; else the next hit after where it was. */
  refresh(items: readonly ChatItem[]): void {
    const old = this.at >= 0 ? this.hits[this.at] : 0;
    const key = this.atKey;
    this.collect(items);
    let at = this.hits.findIndex((i) => items[i].key === key);
    if (at < 0) at = this.hits.findIndex((i) => i >= old);
    if (at < 0) at = this.hits.length - 1;
    this.point(items, at);
  }

  /** Next (+1, toward newer messages) or previous (-1), wrapping around. */
  step(items: readonly ChatItem[], direction: 1 | -1): void {
    const n = this.hits.length;
    if (n === 0) return;
    this.point(items, (this.at + direction + n) % n);
  }

  clear(): void {
    this.needle = '';
    this.hits = [];
    this.point([], -1);
  }

  private collect(items: readonly ChatItem[]): void {
    const hits: number[] = [];
    if (this.needle !== '') for (let i = 0; i < items.length; i++) if (this.matches(items[i], this.needle)) hits.push(i);
    this.hits = hits;
  }

  private point(items: readonly ChatItem[], at: number): void {
    this.at = at;
    this.atKey = at >= 0 ? items[this.hits[at]].key : undefined;
  }
}
