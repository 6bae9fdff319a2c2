// The words of a message as the panel draws them, for search: the sender's name and each block of
// the body, with markers (control pictures, invisibles, dropped marks) left out, exactly as
// highlight.ts reads them back from a row's text nodes, so what search counts is what it can mark.
// Pure (no DOM), so plain Node tests see the same text.
import type { MessageBody } from '../common/message';
import type { ChatItem } from '../common/messages';
import { visibleName } from '../common/names';
import { parseMessage, visibleControls } from './markup';
import { pieces } from './markers';

/** "src/a.ts:3–9": the snippet's header as the panel shows it (render-text.ts draws it). */
export function snippetTitle(body: Extract<MessageBody, { kind: 'snippet' }>): string {
  const lines = body.startLine === body.endLine ? `${body.startLine}` : `${body.startLine}\u2013${body.endLine}`;
  return `${visibleControls(body.path)}:${lines}`;
}

/** What stands in the place of a message this version cannot show: why, never peer text. */
export const placeholderText = (body: Extract<MessageBody, { kind: 'placeholder' }>): string => `Not shown: ${body.reason}.`;

/** The text pieces of `text` as render-text.ts draws them, without its markers. */
export function drawnText(text: string, reveal = false): string {
  let out = '';
  for (const p of pieces(text, reveal)) if (p.kind === 'text') out += p.text;
  return out;
}

/** What a search looks in, one string per place a match can be marked: the name, then each block
 * (paragraph, code block, snippet header, snippet code). A notice, a deleted message (its row says
 * only that it was deleted) and a placeholder's body (it holds no words of anyone's) have none. */
export function searchParts(item: ChatItem): string[] {
  if (item.type !== 'message' || item.deleted) return [];
  const parts = [visibleControls(visibleName(item.sender.name))];
  const body = item.body;
  if (body.kind === 'snippet') parts.push(visibleControls(snippetTitle(body)), drawnText(visibleControls(body.text)));
  else if (body.kind === 'text') {
    for (const block of parseMessage(body.text)) {
      parts.push(block.kind === 'fence' ? drawnText(block.text) : block.inlines.map((t) => drawnText(t.text, t.kind === 'suspect')).join(''));
    }
  }
  return parts;
}
