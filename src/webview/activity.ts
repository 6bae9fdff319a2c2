// Who is typing and who has seen what (issue 13), without the DOM: the panel's typing line and its
// "Seen by" line (activity-bar.ts) are drawn from these, and the unit tests check them in plain Node.
// Both are ephemeral member state the relay passes on: nothing here is stored.
import type { ChatItem, MemberView } from '../common/messages';

/** A typist is shown this long after their last Typing (a client says it about once a second). */
export const TYPING_SHOWN_MS = 3500;
/** The relay passes "seen" per member only in rooms up to this size (SEEN_ROOM_MAX in the relay). */
export const SEEN_ROOM_MAX = 50;
/** Names spelled out in the "Seen by" line; the tooltip has them all. */
const SEEN_NAMES_SHOWN = 3;

/** The members typing now, in the order they began; each fades TYPING_SHOWN_MS after their last
 * Typing, and at once when their message arrives. */
export class Typists {
  private readonly at = new Map<string, number>();

  typed(id: string, now: number): void {
    this.at.set(id, now); // an existing key keeps its place: the order is who began first
  }

  /** Their message arrived: they are done typing it. True if they were shown. */
  spoke(id: string): boolean {
    return this.at.delete(id);
  }

  clear(): void {
    this.at.clear();
  }

  /** Who is typing at `now` (and forgets those whose time is up). */
  current(now: number): string[] {
    for (const [id, t] of this.at) if (now - t >= TYPING_SHOWN_MS) this.at.delete(id);
    return [...this.at.keys()];
  }

  /** ms from `now` until the next typist fades; undefined when nobody is typing. */
  nextFade(now: number): number | undefined {
    let first: number | undefined;
    for (const t of this.at.values()) first = Math.min(first ?? Infinity, t + TYPING_SHOWN_MS - now);
    return first === undefined ? undefined : Math.max(0, first);
  }
}

/** "ann is typing…", "ann and bob are typing…", "several people are typing…", or '' for nobody. */
export function typingText(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'several people are typing…';
}

/** The newest message the room has sequenced (what "Seen by" is about), if any. */
export function newestSequenced(items: readonly ChatItem[]): Extract<ChatItem, { type: 'message' }> | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it.type === 'message' && it.seq !== undefined && !it.deleted) return it;
  }
  return undefined;
}

/** The names, in member-list order, of the members (other than this window's own session and the
 * message's sender) whose seen seq is at least `seq`. Undefined in rooms over SEEN_ROOM_MAX, where
 * the relay does not pass each member's "seen" on (a count would need an aggregate from the relay). */
export function seenBy(seen: ReadonlyMap<string, number>, seq: number, members: readonly MemberView[], senderId: string): string[] | undefined {
  if (members.length > SEEN_ROOM_MAX) return undefined;
  return members.filter((m) => !m.self && m.id !== senderId && (seen.get(m.id) ?? 0) >= seq).map((m) => m.name);
}

/** A room of more than 50 members: the relay counts, it does not name ("Seen by 12"). */
export function seenCountText(count: number): { text: string; title: string } {
  return { text: `Seen by ${count}`, title: `${count} member${count === 1 ? ' has' : 's have'} seen this message (in a room of more than 50 members, who is not said)` };
}

/** "Seen by ann, bob", "Seen by ann, bob, cy and 2 others"; the tooltip names everyone. '' for nobody. */
export function seenText(names: readonly string[]): { text: string; title: string } {
  if (names.length === 0) return { text: '', title: '' };
  const title = `Seen by ${names.join(', ')}`;
  if (names.length <= SEEN_NAMES_SHOWN) return { text: title, title };
  const more = names.length - SEEN_NAMES_SHOWN;
  return { text: `Seen by ${names.slice(0, SEEN_NAMES_SHOWN).join(', ')} and ${more} other${more === 1 ? '' : 's'}`, title };
}

/** The seq of the newest message at or above index `last` (the last item the reader can see). */
export function newestSeqUpTo(items: readonly ChatItem[], last: number): number | undefined {
  for (let i = Math.min(last, items.length - 1); i >= 0; i--) {
    const it = items[i];
    if (it.type === 'message' && it.seq !== undefined) return it.seq;
  }
  return undefined;
}
