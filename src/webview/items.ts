// The conversation's items in display order, findable by key. Order is the host's, with one
// rule of our own: an own message still waiting for its seq stays at the bottom, so messages
// that others sent meanwhile go above it (where the relay will sequence them).
import type { ChatItem } from '../common/messages';

const pendingOwn = (x: ChatItem): boolean => x.type === 'message' && x.own && x.seq === undefined;

export class Items {
  private list: ChatItem[] = [];
  private readonly byKey = new Map<string, number>();

  get length(): number {
    return this.list.length;
  }

  at(i: number): ChatItem {
    return this.list[i];
  }

  indexOf(key: string): number | undefined {
    return this.byKey.get(key);
  }

  all(): readonly ChatItem[] {
    return this.list;
  }

  reset(items: readonly ChatItem[]): void {
    this.list = items.slice();
    this.byKey.clear();
    this.list.forEach((item, i) => this.byKey.set(item.key, i));
  }

  /** Replaces the item at `oldKey` (its key may change, e.g. o:... -> s:...); false if unknown. */
  replace(oldKey: string, item: ChatItem): boolean {
    const i = this.byKey.get(oldKey) ?? this.byKey.get(item.key);
    if (i === undefined) return false;
    this.byKey.delete(this.list[i].key);
    this.list[i] = item;
    this.byKey.set(item.key, i);
    return true;
  }

  /** Adds a new item; returns the index it went to. */
  insert(item: ChatItem): number {
    let at = this.list.length;
    if (!pendingOwn(item)) while (at > 0 && pendingOwn(this.list[at - 1])) at--;
    this.list.splice(at, 0, item);
    for (let k = at; k < this.list.length; k++) this.byKey.set(this.list[k].key, k);
    return at;
  }
}
