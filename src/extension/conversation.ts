// The conversation as this window keeps it: history from disk merged with what the relay sends,
// without duplicates (by seq within a room; own messages by msgId until the room sequences them),
// and the keys the webview knows each row by. Pure bookkeeping: no sockets, no timers, no `vscode`.
import type { OutgoingMessage, RoomMessage } from '../chat';
import type { ChatItem } from '../common/messages';
import type { PersistedState, StoredEntry } from './history';
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
  private readonly ownPending = new Map<number, StoredEntry>(); // msgId -> own message not yet sequenced
  private noticeCount = 0;
  /** The room whose seqs get the short `s:<seq>` keys. */
  roomId: string | undefined;

  constructor(
    private readonly clientId: string,
    saved: PersistedState,
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
    }
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
    // Sequence numbers start over in a new room, so the old messages get keys of their own.
    if (hadOld) this.addNotice('The relay started a new room: the messages above are from the earlier one.', 'info');
    return hadOld;
  }

  /** Merges a room message. Returns undefined for a duplicate; `entry` is set for a new row. */
  addMessage(m: RoomMessage, roomId: string): (Change & { entry?: StoredEntry }) | undefined {
    this.enterRoom(roomId);
    const id = `${roomId}:${m.seq}`;
    if (this.seen.has(id)) return undefined;
    this.seen.add(id);
    const own = m.sender.id === this.clientId;
    const pending = own ? this.ownPending.get(m.msgId) : undefined;
    if (pending) {
      const oldKey = this.keyOf(pending);
      Object.assign(pending, { roomId, seq: m.seq, time: m.time, state: 'delivered' as const, error: undefined });
      this.ownPending.delete(m.msgId);
      return { items: [], replaces: [{ oldKey, item: this.view(pending) }] };
    }
    const entry: StoredEntry = { roomId, seq: m.seq, time: m.time, sender: { ...m.sender }, body: messageBody(m), msgId: m.msgId, own };
    if (own) entry.state = 'delivered';
    this.rows.push(entry);
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
      this.ownPending.delete(o.msgId);
    }
    const item = this.view(e);
    return item.key === oldKey ? { items: [item], replaces: [] } : { items: [], replaces: [{ oldKey, item }] };
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
  }

  /** Keeps at least the newest `keep` rows; trims in batches so a full history does not splice per message. */
  trim(keep: number): void {
    if (this.rows.length <= keep + 50) return;
    for (const r of this.rows.splice(0, this.rows.length - keep)) {
      // Pending own messages stay in ownPending: they still go out and are still persisted.
      if (!isNotice(r) && r.roomId !== undefined) this.seen.delete(`${r.roomId}:${r.seq}`);
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
    return isNotice(r) ? { type: 'notice', key: r.key, time: r.time, text: r.text, tone: r.tone } : itemOf(r, this.keyOf(r));
  }
}
