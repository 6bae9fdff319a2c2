// Search marks in a drawn row. The row's text nodes are split and the matching pieces moved into
// <mark> elements: no markup is parsed, peer text stays text. The places searched, and the markers
// skipped, are those shown-text.ts reads from the data, so a row search counts is a row it can mark.
import { findRanges, piecesPerNode } from './search';

/** Where a match can be marked: the sender's name and each block of the body (not a code block's
 * language label, and not a snippet's language). */
const PLACES = '.name, .body .para, .body pre, .body .snippet-path';

/** The needle each row's marks are for: rows are rebuilt, never patched, so a row marked for the
 * needle already needs nothing (stepping to the next hit then only moves the outline). */
const markedFor = new WeakMap<HTMLElement, string>();

/** Removes the marks `markHits` put in `row`. */
export function clearMarks(row: HTMLElement): void {
  markedFor.delete(row);
  for (const mark of row.querySelectorAll('mark.hit')) {
    const parent = mark.parentNode;
    mark.replaceWith(...mark.childNodes);
    parent?.normalize();
  }
}

/** Marks every match of `needle` (search.ts needleOf) in `row`, unless they are there already. */
export function markHits(row: HTMLElement, needle: string): void {
  if ((markedFor.get(row) ?? '') === needle) return;
  clearMarks(row);
  if (needle === '') return;
  markedFor.set(row, needle);
  for (const place of row.querySelectorAll<HTMLElement>(PLACES)) {
    const nodes = textNodes(place);
    const ranges = findRanges(nodes.map((n) => n.data).join(''), needle);
    if (ranges.length === 0) continue;
    const pieces = piecesPerNode(nodes.map((n) => n.data.length), ranges);
    nodes.forEach((node, i) => {
      if (pieces[i].length > 0) split(node, pieces[i]);
    });
  }
}

/** The text nodes a reader sees in `place`, in order: not the boxed markers (control pictures,
 * invisibles, "+N marks"), whose labels are not the message's words. */
function textNodes(place: HTMLElement): Text[] {
  const walker = document.createTreeWalker(place, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement?.closest('.ctrl') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const out: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) out.push(n as Text);
  return out;
}

/** Replaces `node` with its text, the [a, b) pieces of it inside marks. The text is the node's own,
 * already as drawn, so it goes straight into text nodes (not through dom.ts el(), which would redraw it). */
function split(node: Text, pieces: ReadonlyArray<[number, number]>): void {
  const text = node.data;
  const out: Node[] = [];
  let from = 0;
  for (const [a, b] of pieces) {
    if (a > from) out.push(document.createTextNode(text.slice(from, a)));
    const mark = document.createElement('mark');
    mark.className = 'hit';
    mark.textContent = text.slice(a, b);
    out.push(mark);
    from = b;
  }
  if (from < text.length) out.push(document.createTextNode(text.slice(from)));
  node.replaceWith(...out);
}
