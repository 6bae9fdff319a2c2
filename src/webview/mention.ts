// Mention autocomplete's rules: the "@query" being typed at the caret, the member names it offers,
// and the text once one is chosen. Pure (no DOM), unit-tested in plain Node.
//
// A mention is written "@" and the whole name, spaces included ("@Ann Lee"): that is what the
// extension looks for when it decides a message mentions you (src/extension/views.ts `mentions`:
// "@name", any case, not after a letter, digit, "_", "@" or ".", and not followed by a letter, digit
// or "_"). So the query may hold spaces too, as long as some name still starts with it.
import type { MemberView } from '../common/messages';
import { MAX_NAME_CHARS } from '../common/message';
import { visibleControls } from './markup';
import { fold } from './search';

/** Names offered at most. */
export const MAX_CANDIDATES = 8;

// Before "@": what views.ts `mentions` refuses there (so "ann@example.com" offers nothing).
const NOT_BEFORE = /[\p{L}\p{N}_@.]/u;

export interface MentionQuery {
  /** Offset of the "@". */
  start: number;
  /** What follows it up to the caret. */
  query: string;
}

/** The mention being typed at `caret`, if any: an "@" that may start one, then up to a name's length
 * of text on the same line, not starting with a space. */
export function mentionQuery(text: string, caret: number): MentionQuery | undefined {
  // A name is at most MAX_NAME_CHARS characters, each at most two UTF-16 units.
  const from = Math.max(0, caret - 2 * MAX_NAME_CHARS - 1);
  const at = text.lastIndexOf('@', caret - 1);
  if (at < from || at < 0) return undefined;
  const query = text.slice(at + 1, caret);
  if (/[\n\r]/.test(query) || /^\s/.test(query) || [...query].length > MAX_NAME_CHARS) return undefined;
  if (at > 0) {
    const low = text.charCodeAt(at - 1) >= 0xdc00 && text.charCodeAt(at - 1) <= 0xdfff;
    if (NOT_BEFORE.test(text.slice(low ? Math.max(0, at - 2) : at - 1, at))) return undefined;
  }
  return { start: at, query };
}

/** The members a query offers, best first: names that start with it, then names with a later word
 * that does (any case); online before away. Left out: yourself, and a name that is not drawn as it is
 * written (a control or invisible character, which a legacy sender's unchecked name can hold), since
 * the text box would show it plainly while it says something else. Each name once, however many
 * members share it (the mention reaches them all). */
export function mentionCandidates(members: readonly MemberView[], query: string): string[] {
  const q = fold(query);
  const seen = new Set<string>();
  const ranked: Array<{ name: string; rank: number }> = [];
  for (const m of members) {
    if (m.self || seen.has(m.name) || m.name === '' || visibleControls(m.name) !== m.name) continue;
    const name = fold(m.name);
    const rank = name.startsWith(q) ? 0 : !/\s/.test(q) && name.split(/\s+/).slice(1).some((w) => w.startsWith(q)) ? 1 : -1;
    if (rank < 0) continue;
    seen.add(m.name);
    ranked.push({ name: m.name, rank: rank * 2 + (m.presence === 'away' ? 1 : 0) });
  }
  ranked.sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
  return ranked.slice(0, MAX_CANDIDATES).map((r) => r.name);
}

/** The text with the typed "@query" replaced by "@name " and where the caret goes (after the space;
 * a space already there is used rather than doubled). */
export function insertMention(text: string, q: MentionQuery, name: string): { text: string; caret: number } {
  const end = q.start + 1 + q.query.length;
  const after = text.slice(end);
  const spaced = /^[ \t]/.test(after);
  const head = `${text.slice(0, q.start)}@${name}${spaced ? '' : ' '}`;
  return { text: head + after, caret: head.length + (spaced ? 1 : 0) };
}
