// What replies, reactions, edits and deletes do to the messages they refer to, as every surface shows
// it (the panel, the extension's history, the CLI): pure, no Node or DOM types. Messages come in seq
// order; an action applies to an earlier message of the same room. Only the author may edit or delete:
// the signing key of the edit must be the original's (a name proves nothing), and both must have been
// verified. A reaction counts once per person (per key; a seed sender has none and cannot react).
import { isAction, type MessageBody } from './message';

/** A message as the thread needs it. */
export interface Said {
  seq: number;
  sender: { name: string; key?: string };
  verified?: boolean;
  body: MessageBody;
}

export interface Reaction {
  emoji: string;
  /** Who reacted with it, by name, in the order they did. */
  names: string[];
}

/** A message as it now reads. */
export interface Entry {
  seq: number;
  author: string;
  key?: string;
  verified: boolean;
  /** The current text: the last edit's, or the original's. */
  text: string;
  edited: boolean;
  deleted: boolean;
  reactions: Reaction[];
}

/** What an incoming message did. */
export type Change =
  /** A message to show (a text, a reply, a snippet, a placeholder). */
  | { kind: 'message' }
  /** An action that changed message `seq`, now `entry`. */
  | { kind: 'changed'; seq: number; entry: Entry; action: 'edit' | 'delete' | 'reaction' }
  /** An action that changes nothing, and why (for a person). */
  | { kind: 'ignored'; seq: number; reason: string };

/** Messages remembered for actions to refer to; older ones are "older than the history kept". */
export const THREAD_KEEP = 10_000;

export class Thread {
  /** Each message, with who reacted how (emoji -> key -> name, in the order they did). */
  private readonly entries = new Map<number, Entry & { who: Map<string, Map<string, string>> }>();

  constructor(private readonly keep = THREAD_KEEP) {}

  get(seq: number): Entry | undefined {
    return this.entries.get(seq);
  }

  /** Takes the next message of the room. */
  add(m: Said): Change {
    const b = m.body;
    if (!isAction(b)) {
      this.entries.set(m.seq, {
        seq: m.seq, author: m.sender.name, key: m.sender.key, verified: m.verified === true, text: b.text, edited: false, deleted: false, reactions: [], who: new Map(),
      });
      if (this.entries.size > this.keep) this.entries.delete(this.entries.keys().next().value!);
      return { kind: 'message' };
    }
    const e = this.entries.get(b.to);
    if (!e) return { kind: 'ignored', seq: b.to, reason: `#${b.to} is older than the history kept here` };
    if (e.deleted) return { kind: 'ignored', seq: b.to, reason: `#${b.to} was deleted` };
    if (b.kind === 'reaction') {
      const by = m.sender.key;
      if (!by || m.verified !== true) return { kind: 'ignored', seq: b.to, reason: 'a reaction from someone whose key is not known' };
      const people = e.who.get(b.emoji) ?? new Map<string, string>();
      if (b.remove !== people.has(by)) return { kind: 'ignored', seq: b.to, reason: b.remove ? 'a reaction that was not there' : 'a reaction already there' };
      if (b.remove) people.delete(by);
      else people.set(by, m.sender.name);
      if (people.size > 0) e.who.set(b.emoji, people);
      else e.who.delete(b.emoji);
      e.reactions = [...e.who].map(([emoji, p]) => ({ emoji, names: [...p.values()] }));
      return { kind: 'changed', seq: b.to, entry: this.view(e), action: 'reaction' };
    }
    // An edit or a delete: only by the author's device key, both messages signed and checked.
    if (!e.verified || m.verified !== true || !e.key || e.key !== m.sender.key) {
      return { kind: 'ignored', seq: b.to, reason: `only the author of #${b.to} can ${b.kind} it` };
    }
    if (b.kind === 'edit') Object.assign(e, { text: b.text, edited: true });
    else {
      Object.assign(e, { text: '', deleted: true, reactions: [] });
      e.who.clear();
    }
    return { kind: 'changed', seq: b.to, entry: this.view(e), action: b.kind };
  }

  private view(e: Entry & { who: unknown }): Entry {
    const { who: _who, ...rest } = e;
    return { ...rest, reactions: rest.reactions.map((r) => ({ emoji: r.emoji, names: [...r.names] })) };
  }
}
