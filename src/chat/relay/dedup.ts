// Which (sender, msgId) pairs the room has sequenced, and as which seq: a retransmission of a message
// already sequenced is answered with its seq, never sequenced twice. Per sender, a table of
// PER_SENDER slots indexed by msgId: a client never has a msgId PER_SENDER or more past one it may
// still resend (it stays 32 ahead at most), so each slot holds the newest id of its residue and
// everything a client can resend is found there. Two typed arrays per sender, nothing per message.
//
// A slot that holds a NEWER id than the one asked about answers "settled, seq forgotten": the sender
// has got PER_SENDER ids past it, which an honest client (window 32) does only once that id was
// sequenced or refused. So a retransmission however late is never sequenced again, and this holds
// across the member's rejoins and the relay's restarts (the table is per sender and rebuilt from the
// store), which the member's expected msgId alone would not.

/** msgIds remembered per sender (a power of two). */
export const PER_SENDER = 256;
/** What seqOf says of an id settled too long ago to know its seq: never sequence it again. */
export const FORGOTTEN = -1;
/** Senders remembered; beyond it, the one first seen longest ago is forgotten. */
export const SENDERS = 16384;

class SenderIds {
  readonly ids = new Uint32Array(PER_SENDER);
  readonly seqs = new Uint32Array(PER_SENDER);
}

export class Dedup {
  private readonly senders = new Map<string, SenderIds>();

  constructor(private readonly maxSenders = SENDERS) {}

  /** The seq of `msgId` from this sender; FORGOTTEN if it was settled (sequenced or refused) so long
   * ago that its seq is no longer kept; 0 if it was never sequenced. */
  seqOf(senderHex: string, msgId: number): number {
    const t = this.senders.get(senderHex);
    if (!t) return 0;
    const i = msgId & (PER_SENDER - 1);
    const id = t.ids[i];
    return id === msgId ? t.seqs[i] : id > msgId ? FORGOTTEN : 0;
  }

  remember(senderHex: string, msgId: number, seq: number): void {
    let t = this.senders.get(senderHex);
    if (!t) {
      if (this.senders.size >= this.maxSenders) this.senders.delete(this.senders.keys().next().value!);
      t = new SenderIds();
      this.senders.set(senderHex, t);
    }
    const i = msgId & (PER_SENDER - 1);
    if (t.ids[i] > msgId) return; // a newer id settled this slot: the older one stays FORGOTTEN
    t.ids[i] = msgId;
    t.seqs[i] = seq;
  }
}
