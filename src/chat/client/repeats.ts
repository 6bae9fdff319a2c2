// Which (author, msgId) this client has shown in its room, to recognise a repeat (issue 15): a 3-server
// NATS 2.9 cluster may store one message twice, under two seqs (docs/CLUSTER.md). The later copy fills
// its seq and is shown to nobody. Memory is bounded: per author a window of their latest msgIds (an
// author's messages are sequenced in msgId order, and a repeat comes within moments of the first
// copy, so it falls well inside), and a bounded number of authors, the least recently heard forgotten.
// Only what can be proved a repeat is held back: a msgId behind an author's window is shown.
import { ReplayWindow } from '../../protocol/replay-window';

/** 9 blocks of 32 bits: the latest 256 msgIds of an author. */
const WINDOW_BLOCKS = 9;
const MAX_AUTHORS = 4096;

export class DeliveredIds {
  private readonly authors = new Map<string, ReplayWindow>();

  /** Whether `msgId` of `author` was shown already; if not, it is now (remembered as shown). */
  repeat(author: string, msgId: number): boolean {
    let w = this.authors.get(author);
    if (w) this.authors.delete(author); // re-inserted below: the map's order is the least recently heard first
    else w = new ReplayWindow(WINDOW_BLOCKS);
    this.authors.set(author, w);
    if (this.authors.size > MAX_AUTHORS) this.authors.delete(this.authors.keys().next().value as string);
    const verdict = w.check(msgId);
    if (verdict === 'replayed') return true;
    if (verdict === 'new') w.accept(msgId);
    return false;
  }

  clear(): void {
    this.authors.clear();
  }
}
