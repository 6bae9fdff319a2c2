// The words of replies, reactions, edits and deletes as the panel shows them (issue 13): a reply's
// quote, the composer's "Replying to", a reaction chip's tooltip and spoken label, which actions a row
// offers. Pure (no DOM): unit-tested in plain Node; row-extras.ts draws them.
import type { ChatItem, ReactionView } from '../common/messages';
import { visibleName } from '../common/names';
import { placeholderText, snippetTitle } from './shown-text';

type Message = Extract<ChatItem, { type: 'message' }>;

/** What a reply's quote shows: the original's author and first line, or that it is not kept here. */
export type Quote = { key: string; name: string; text: string } | { key: string; missing: true };

/** The chips' emoji a reader can pick from the toolbar. */
export const PICKER_EMOJI = ['👍', '❤️', '😂', '🎉', '👀', '✅'] as const;

export const QUOTE_CHARS = 80;
export const DELETED_TEXT = 'This message was deleted.';
export const MISSING_QUOTE = 'a message older than the history kept here';

/** The quote of `original` (undefined when the panel does not have it) for a reply that names `key`. */
export function quoteOf(key: string, original: ChatItem | undefined): Quote {
  if (!original || original.type !== 'message') return { key, missing: true };
  return { key, name: visibleName(original.sender.name), text: firstLine(original) };
}

/** A message's first line, clipped: what a quote and the composer's "Replying to" show. */
export function firstLine(m: Message): string {
  if (m.deleted) return DELETED_TEXT;
  const b = m.body;
  if (b.kind === 'placeholder') return placeholderText(b);
  const text = b.kind === 'snippet' ? snippetTitle(b) : (b.text.split('\n').find((l) => l.trim() !== '') ?? '').trim();
  const chars = [...text];
  return chars.length > QUOTE_CHARS ? `${chars.slice(0, QUOTE_CHARS - 1).join('')}…` : text;
}

export function sameQuote(a: Quote | undefined, b: Quote | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.key === b.key && ('missing' in a ? 'missing' in b : !('missing' in b) && a.name === b.name && a.text === b.text);
}

/** "ann, eve and 3 others" */
export function whoText(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => visibleName(n));
  const more = names.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} other${more === 1 ? '' : 's'}`;
  return shown.length <= 1 ? shown.join('') : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** A chip's tooltip and spoken label. */
export function chipLabels(r: ReactionView): { title: string; aria: string } {
  const title = `${whoText(r.names)} reacted with ${r.emoji}`;
  const action = r.mine ? 'click to take yours back' : 'click to add yours';
  return { title, aria: `${r.emoji} ${r.names.length}: ${title}; ${action}` };
}

/** The commands a message row offers, in toolbar order. */
export function rowCommands(m: Message): string[] {
  if (!m.respond) return [];
  if (!m.mine) return ['react', 'reply'];
  // A snippet's code came from a file: it is taken back, not rewritten in the message box.
  return m.body.kind === 'text' ? ['react', 'reply', 'edit', 'delete'] : ['react', 'reply', 'delete'];
}
