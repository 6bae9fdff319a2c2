// Builds a message body from markup.ts tokens. Every piece of peer text goes in through
// textContent (via el()); the only attribute taken from peer text is a link's href, and the
// tokenizer only makes links of http(s)/mailto. Clicks are handled by the timeline, which posts
// `openLink`/`openSnippet` to the host instead of letting the webview navigate.
import { fileText } from './files';
import type { MessageBody } from '../common/message';
import { el } from './dom';
import { parseMessage, plainText, visibleControls, type Block } from './markup';
import { pieces, readable } from './markers';
import { placeholderText, snippetTitle } from './shown-text'; // where search reads them too

export function renderBody(body: MessageBody, parent: HTMLElement): void {
  if (body.kind === 'snippet') parent.append(renderSnippet(body));
  else if (body.kind === 'placeholder') parent.append(el('div', 'placeholder-text', placeholderText(body)));
  else renderBlocks(parseMessage(body.text), parent);
}

export { placeholderText };

export function renderBlocks(blocks: readonly Block[], parent: HTMLElement): void {
  for (const block of blocks) {
    if (block.kind === 'fence') {
      parent.append(codeBlock(block.text, block.info));
      continue;
    }
    const p = el('div', 'para');
    for (const token of block.inlines) {
      if (token.kind === 'text') appendText(p, token.text);
      else if (token.kind === 'code') appendText(p.appendChild(el('code', 'inline-code')), token.text);
      else if (token.kind === 'suspect') {
        // Shown as the text it is, every invisible character in it drawn as a marker.
        const span = el('span', 'suspect-link');
        span.title = token.why;
        appendText(span, token.text, true);
        p.append(span);
      } else {
        const a = el('a', 'link');
        appendText(a, token.text); // a path can carry a tower of marks too
        a.href = token.href;
        a.title = token.href;
        a.dataset.action = 'openLink';
        p.append(a);
      }
    }
    parent.append(p);
  }
}

function codeBlock(text: string, info: string): HTMLElement {
  const box = el('div', 'fence');
  if (info) box.append(el('div', 'fence-info', info));
  box.append(codeElement(text));
  return box;
}

function codeElement(text: string): HTMLPreElement {
  const pre = el('pre', 'code');
  appendText(pre.appendChild(el('code')), text);
  return pre;
}

// Markers (markers.ts) are small boxed labels: "ESC" for a control character (many fonts have no
// glyph for its picture), "ZWSP" for an invisible one in a declined link, "+27,990 marks" for a
// tower of combining marks.
function appendText(parent: HTMLElement, text: string, reveal = false): void {
  for (const piece of pieces(text, reveal)) {
    if (piece.kind === 'text') {
      parent.append(piece.text);
      continue;
    }
    const marker = el('span', `ctrl ${piece.why}`, piece.label);
    marker.title = piece.title;
    parent.append(marker);
  }
}

function renderSnippet(body: Extract<MessageBody, { kind: 'snippet' }>): HTMLElement {
  const box = el('div', 'fence snippet');
  const head = el('button', 'snippet-head');
  head.type = 'button';
  head.dataset.action = 'openSnippet';
  head.title = `Open ${snippetTitle(body)} in the editor`;
  head.append(el('span', 'snippet-path', snippetTitle(body)));
  if (body.language) head.append(el('span', 'snippet-lang', body.language));
  box.append(head, codeElement(visibleControls(body.text)));
  return box;
}

/** The body as a reader hears it: used by the live region. */
export function bodyText(body: MessageBody): string {
  if (body.kind === 'placeholder') return placeholderText(body);
  if (body.kind === 'file') return fileText(body);
  return body.kind === 'snippet'
    ? `${snippetTitle(body)}\n${readable(visibleControls(body.text))}`
    : plainText(parseMessage(body.text));
}
