// Builds a message body from markup.ts tokens. Every piece of peer text goes in through
// textContent (via el()); the only attribute taken from peer text is a link's href, and the
// tokenizer only makes links of http(s)/mailto. Clicks are handled by the timeline, which posts
// `openLink`/`openSnippet` to the host instead of letting the webview navigate.
import type { MessageBody } from '../common/message';
import { el } from './dom';
import { parseMessage, plainText, visibleControls, type Block } from './markup';

export function renderBody(body: MessageBody, parent: HTMLElement): void {
  if (body.kind === 'snippet') parent.append(renderSnippet(body));
  else renderBlocks(parseMessage(body.text), parent);
}

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
      else {
        const a = el('a', 'link', token.text);
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

// markup.ts turns control characters into Control Pictures ("␛" for ESC). Many fonts have no
// glyph for those, so each is drawn as a small boxed abbreviation ("ESC"), like the glyph itself.
const PICTURES = /[\u2400-\u241f\u2421]/g;
const C0_NAMES = 'NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US'.split(' ');

function appendText(parent: HTMLElement, text: string): void {
  let from = 0;
  for (const m of text.matchAll(PICTURES)) {
    if (m.index > from) parent.append(text.slice(from, m.index));
    const code = m[0].charCodeAt(0) - 0x2400;
    const name = code === 0x21 ? 'DEL' : C0_NAMES[code];
    const ctrl = el('span', 'ctrl', name);
    ctrl.title = `Control character ${name} (U+${(code === 0x21 ? 0x7f : code).toString(16).toUpperCase().padStart(4, '0')}), shown instead of being applied`;
    parent.append(ctrl);
    from = m.index + 1;
  }
  if (from < text.length) parent.append(from === 0 ? text : text.slice(from));
}

/** "src/a.ts:3–9": the same text the header button shows and the report reads. */
export function snippetTitle(body: Extract<MessageBody, { kind: 'snippet' }>): string {
  const lines = body.startLine === body.endLine ? `${body.startLine}` : `${body.startLine}\u2013${body.endLine}`;
  return `${visibleControls(body.path)}:${lines}`;
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
  return body.kind === 'snippet'
    ? `${snippetTitle(body)}\n${visibleControls(body.text)}`
    : plainText(parseMessage(body.text));
}
