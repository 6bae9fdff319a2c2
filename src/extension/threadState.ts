// What replies, reactions, edits and deletes did to this window's messages, for one room: the rules
// are src/common/thread.ts's (only the author's checked key edits or deletes, one reaction per key);
// this file keeps their result on the stored entries, so history.json holds the messages as they now
// read (a deleted message's words are gone from the disk too) and a reload shows the same. Pure: no
// sockets, no `vscode`.
import type { RoomMessage } from '../chat';
import { isAction, type ActionBody } from '../common/message';
import { Thread, type Said } from '../common/thread';
import type { StoredEntry } from './history';

/** What an action did: the entry it changed, or why it changed nothing (for the log). */
export type ActionResult = { changed: StoredEntry } | { ignored: string };

export class ThreadState {
  private thread = new Thread();
  /** The highest seq of the room given to the thread: the client delivers a room's seqs in order,
   * so one at or below it is a copy (a backfill after a reload), which must not apply twice. */
  private highest: number;

  /** `entries`: the stored ones of this room, oldest first; `lastSeq`: where the saved state ended. */
  constructor(entries: readonly StoredEntry[], lastSeq: number) {
    this.highest = lastSeq;
    for (const e of entries) if (e.seq !== undefined) this.seed(e, e.seq);
  }

  /** The thread learns a stored message as it now reads, by replaying what made it so. */
  private seed(e: StoredEntry, seq: number): void {
    const author = { name: e.sender.name, key: e.key };
    this.thread.add({ seq, sender: author, verified: e.verified, body: e.body });
    const act = (sender: Said['sender'], body: ActionBody) => this.thread.add({ seq: 0, sender, verified: true, body });
    if (e.edited) act(author, { kind: 'edit', text: e.body.text, to: seq });
    for (const r of e.reactions ?? []) for (const by of r.by) act(by, { kind: 'reaction', text: '', to: seq, emoji: r.emoji, remove: false });
    if (e.deleted) act(author, { kind: 'delete', text: '', to: seq });
  }

  /** Whether `m` is new to the thread (and takes it); a copy of one it had is false. */
  take(m: RoomMessage): boolean {
    if (m.seq <= this.highest) return false;
    this.highest = m.seq;
    if (!isAction(m)) this.thread.add({ seq: m.seq, sender: m.sender, verified: m.verified, body: m });
    return true;
  }

  /** Applies an action taken by take() to the entry it refers to (`find` looks it up by seq). */
  apply(m: RoomMessage & ActionBody, find: (seq: number) => StoredEntry | undefined): ActionResult {
    const c = this.thread.add({ seq: m.seq, sender: m.sender, verified: m.verified, body: m });
    if (c.kind === 'ignored') return { ignored: c.reason };
    if (c.kind !== 'changed') return { ignored: `#${m.seq} is not an action` };
    const e = find(c.seq);
    if (!e) return { ignored: `#${c.seq} is no longer in this window's history` };
    // A backfill replaying the room from before a delete this window kept: the delete stands.
    if (e.deleted) return { ignored: `#${c.seq} was deleted` };
    if (m.kind === 'edit') {
      e.body = { ...e.body, text: c.entry.text } as StoredEntry['body'];
      e.edited = true;
    } else if (m.kind === 'delete') {
      // The words, a snippet's path and what it answered all go: only "deleted" is left.
      e.body = { kind: 'text', text: '' };
      e.deleted = true;
      delete e.reactions;
      delete e.edited;
    } else react(e, m);
    return { changed: e };
  }
}

/** The thread accepted this reaction: the entry's list follows, by key. */
function react(e: StoredEntry, m: RoomMessage & { kind: 'reaction' }): void {
  const key = m.sender.key!; // the thread takes reactions only from a checked key
  const list = (e.reactions ??= []);
  let r = list.find((x) => x.emoji === m.emoji);
  if (!r) list.push((r = { emoji: m.emoji, by: [] }));
  r.by = r.by.filter((b) => b.key !== key);
  if (!m.remove) r.by.push({ name: m.sender.name, key });
  e.reactions = list.filter((x) => x.by.length > 0);
  if (e.reactions.length === 0) delete e.reactions;
}
