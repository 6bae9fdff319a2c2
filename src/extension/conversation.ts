// The conversation as this window keeps it: history from disk merged with what the relay sends,
// without duplicates (by seq within a room; own messages by msgId until the room sequences them),
// and the keys the webview knows each row by. Pure bookkeeping: no sockets, no timers, no `vscode`.
import type { OutgoingMessage, RoomMessage } from '../chat';
import { isAction } from '../common/message';
import type { ChatItem } from '../common/messages';
import type { PersistedState, StoredEntry } from './history';
import { ThreadState } from './threadState';
import { messageBody, itemOf } from './views';

interface Notice {
  notice: true;
  key: string;
  time: number;
  text: string;
  tone: 'info' | 'warning';
}
type Row = StoredEntry | Notice;

/** What a change looks like to the webview: new rows, and rows replaced under a new key. */
export interface Change {
  items: ChatItem[];
  replaces: { oldKey: string; item: ChatItem }[];
}

const isNotice = (r: Row): r is Notice => 'notice' in r;

export class Conversation {
  private rows: Row[] = [];
  private readonly seen = new Set<string>(); // `${roomId}:${seq}` of every message in rows
  private readonly bySeq = new Map<string, StoredEntry>(); // the same, to the row
  /** Replies, reactions, edits and deletes of the current room. */
  private thread: ThreadState;
  private readonly ownPending = new Map<number, StoredEntry>(); // msgId -> own message not yet sequenced
  private noticeCount = 0;
  /** The room whose seqs get the short `s:<seq>` keys. */
  roomId: string | undefined;

  constructor(
    private readonly clientId: string,
    saved: PersistedState,
    /** This device's key (base64url): its own checked messages offer Edit and Delete. */
    private readonly selfKey?: string,
  ) {
    this.roomId = saved.resume?.roomId;
    for (const e of saved.entries) {
      if (e.roomId !== undefined && e.seq !== undefined) {
        if (this.seen.has(`${e.roomId}:${e.seq}`)) continue;
        this.seen.add(`${e.roomId}:${e.seq}`);
      } else if (e.own && e.state !== 'delivered') {
        // Typed before the reload and never sequenced: the next client sends it again (same msgId).
        if (e.state === 'sending') e.state = 'queued';
        this.ownPending.set(e.msgId, e);
      } else {
        continue; // not sequenced and not own: nothing to key it by
      }
      this.rows.push(e);
      if (e.roomId !== undefined && e.seq !== undefined) this.bySeq.set(`${e.roomId}:${e.seq}`, e);
    }
    const room = saved.resume?.roomId;
    const inRoom = room === undefined ? [] : this.rows.filter((r): r is StoredEntry => !isNotice(r) && r.roomId === room);
    this.thread = new ThreadState(inRoom, saved.resume?.lastSeq ?? 0);
  }

  /** Own messages still to be delivered, oldest first. */
  pending(): StoredEntry[] {
    return [...this.ownPending.values()];
  }

  /** Enters a room; true when keys changed (a new room after an old one) and views need a snapshot. */
  enterRoom(roomId: string): boolean {
    if (roomId === this.roomId) return false;
    const hadOld = this.roomId !== undefined && this.rows.some((r) => !isNotice(r) && r.roomId === this.roomId);
    this.roomId = roomId;
    // The rows already kept from this room (saved before the room was known) are what its actions refer to.
    this.thread = new ThreadState(this.rows.filter((r): r is StoredEntry => !isNotice(r) && r.roomId === roomId), 0);
    // Sequence numbers start over in a new room, so the old messages get keys of their own.
    if (hadOld) this.addNotice('The relay started a new room: the messages above are from the earlier one.', 'info');
    return hadOld;
  }

  /** Merges a room message. Returns undefined for a duplicate; `entry` is set for a new row. A reply,
   * reaction, edit or delete is no row of its own: it changes the row it refers to, or is `ignored`. */
  addMessage(m: RoomMessage, roomId: string): (Change & { entry?: StoredEntry; ignored?: string }) | undefined {
    this.enterRoom(roomId);
    const fresh = this.thread.take(m);
    if (isAction(m)) {
      if (!fresh) return undefined;
      const r = this.thread.apply(m, (seq) => this.bySeq.get(`${roomId}:${seq}`));
      return 'ignored' in r ? { items: [], replaces: [], ignored: r.ignored } : { items: [this.view(r.changed)], replaces: [] };
    }
    const id = `${roomId}:${m.seq}`;
    if (this.seen.has(id)) return this.signed(this.bySeq.get(id), m);
    this.seen.add(id);
    const own = m.sender.id === this.clientId;
    const pending = own ? this.ownPending.get(m.msgId) : undefined;
    if (pending) {
      const oldKey = this.keyOf(pending);
      Object.assign(pending, { roomId, seq: m.seq, time: m.time, state: 'delivered' as const, error: undefined, key: m.sender.key, verified: m.verified });
      this.ownPending.delete(m.msgId);
      this.bySeq.set(id, pending);
      return { items: [], replaces: [{ oldKey, item: this.view(pending) }] };
    }
    const { id: senderId, name, legacy } = m.sender;
    const entry: StoredEntry = { roomId, seq: m.seq, time: m.time, sender: { id: senderId, name, legacy }, body: messageBody(m), msgId: m.msgId, own };
    if (m.sender.key !== undefined) Object.assign(entry, { key: m.sender.key, verified: m.verified });
    if (own) entry.state = 'delivered';
    this.rows.push(entry);
    this.bySeq.set(id, entry);
    return { items: [this.view(entry)], replaces: [], entry };
  }

  /** An own message changed state; undefined when it is not (or no longer) pending. */
  applyDelivery(o: OutgoingMessage): Change | undefined {
    const e = this.ownPending.get(o.msgId);
    if (!e) return undefined; // already sequenced through its room message
    const oldKey = this.keyOf(e);
    e.state = o.state;
    e.error = o.error;
    if (o.state === 'delivered' && o.seq !== undefined && this.roomId !== undefined) {
      e.roomId = this.roomId;
      e.seq = o.seq;
      this.seen.add(`${this.roomId}:${o.seq}`);
      this.bySeq.set(`${this.roomId}:${o.seq}`, e);
      this.ownPending.delete(o.msgId);
    }
    const item = this.view(e);
    return item.key === oldKey ? { items: [item], replaces: [] } : { items: [], replaces: [{ oldKey, item }] };
  }

  /** An own message sequenced through its delivery first learns its key when it comes back. */
  private signed(e: StoredEntry | undefined, m: RoomMessage): Change | undefined {
    if (!e || e.key !== undefined || m.sender.key === undefined) return undefined;
    Object.assign(e, { key: m.sender.key, verified: m.verified });
    return { items: [this.view(e)], replaces: [] };
  }

  /** The sequenced message of the current room shown under `key`, for a reply or an action to refer to. */
  target(key: string): StoredEntry | undefined {
    const e = this.find(key);
    return e && e.seq !== undefined && e.roomId === this.roomId ? e : undefined;
  }

  /** Written by this device's key, its signature checked, and still there: it may edit or delete it. */
  isMine(e: StoredEntry): boolean {
    return e.verified === true && e.key !== undefined && e.key === this.selfKey && !e.deleted;
  }

  /** A message this window just wrote. */
  addOwn(entry: StoredEntry): ChatItem {
    this.ownPending.set(entry.msgId, entry);
    this.rows.push(entry);
    return this.view(entry);
  }

  /** A failed own message goes out again under a new msgId (the engine never reuses one); its row stays put. */
  renumber(entry: StoredEntry, msgId: number, state: StoredEntry['state']): Change {
    const oldKey = this.keyOf(entry);
    this.ownPending.delete(entry.msgId);
    Object.assign(entry, { msgId, state, error: undefined });
    this.ownPending.set(msgId, entry);
    return { items: [], replaces: [{ oldKey, item: this.view(entry) }] };
  }

  /** Its client went away: whatever was on its way waits for the next one. */
  requeue(): void {
    for (const e of this.ownPending.values()) if (e.state !== 'failed') e.state = 'queued';
  }

  addNotice(text: string, tone: Notice['tone']): ChatItem {
    const n: Notice = { notice: true, key: `n:${++this.noticeCount}`, time: Date.now(), text, tone };
    this.rows.push(n);
    return this.view(n);
  }

  /** Forgets everything except own messages still on their way. */
  clear(): void {
    this.rows = this.rows.filter((r) => !isNotice(r) && this.ownPending.get(r.msgId) === r);
    this.bySeq.clear();
  }

  /** Keeps at least the newest `keep` rows; trims in batches so a full history does not splice per message. */
  trim(keep: number): void {
    if (this.rows.length <= keep + 50) return;
    for (const r of this.rows.splice(0, this.rows.length - keep)) {
      // Pending own messages stay in ownPending: they still go out and are still persisted.
      if (!isNotice(r) && r.roomId !== undefined) {
        this.seen.delete(`${r.roomId}:${r.seq}`);
        this.bySeq.delete(`${r.roomId}:${r.seq}`);
      }
    }
  }

  items(): ChatItem[] {
    return this.rows.map((r) => this.view(r));
  }

  find(key: string): StoredEntry | undefined {
    return this.rows.find((r): r is StoredEntry => !isNotice(r) && this.keyOf(r) === key);
  }

  /** The newest `max` messages plus every pending own one (those must go out after a reload). */
  entries(max: number): StoredEntry[] {
    const messages = this.rows.filter((r): r is StoredEntry => !isNotice(r));
    const kept = max > 0 ? messages.slice(-max) : [];
    const keptSet = new Set(kept);
    return [...kept, ...this.pending().filter((e) => !keptSet.has(e))];
  }

  private keyOf(e: StoredEntry): string {
    if (e.roomId === undefined || e.seq === undefined) return `o:${this.clientId}:${e.msgId}`;
    return e.roomId === this.roomId ? `s:${e.seq}` : `r:${e.roomId}:${e.seq}`;
  }

  private view(r: Row): ChatItem {
    if (isNotice(r)) return { type: 'notice', key: r.key, time: r.time, text: r.text, tone: r.tone };
    // A reply's original is in the reply's room (a pending reply's is in the current one).
    const to = r.body.kind === 'text' ? r.body.replyTo : undefined;
    const room = r.roomId ?? this.roomId;
    const replyKey = to === undefined || room === undefined ? undefined : this.keyOf({ ...r, roomId: room, seq: to });
    return itemOf(r, this.keyOf(r), {
      replyKey, current: r.roomId !== undefined && r.roomId === this.roomId, selfKey: this.selfKey, mine: this.isMine(r),
    });
  }
}
