// Which (sender, msgId) pairs the room has sequenced, and as which seq: a retransmission of a message
// already sequenced is answered with its seq, never sequenced twice. Per sender, a table of
// PER_SENDER slots indexed by msgId: a client never has a msgId PER_SENDER or more past one it may
// still resend (it stays 32 ahead at most), so each slot holds the newest id of its residue and
// everything a client can resend is found there. Two typed arrays per sender, nothing per message.

/** msgIds remembered per sender (a power of two). */
export const PER_SENDER = 256;
/** Senders remembered; beyond it, the one first seen longest ago is forgotten. */
export const SENDERS = 16384;

class SenderIds {
  readonly ids = new Uint32Array(PER_SENDER);
  readonly seqs = new Uint32Array(PER_SENDER);
}

export class Dedup {
  private readonly senders = new Map<string, SenderIds>();

  constructor(private readonly maxSenders = SENDERS) {}

  /** The seq of `msgId` from this sender, or 0 if it is not (or no longer) known. */
  seqOf(senderHex: string, msgId: number): number {
    const t = this.senders.get(senderHex);
    if (!t) return 0;
    const i = msgId & (PER_SENDER - 1);
    return t.ids[i] === msgId ? t.seqs[i] : 0;
  }

  remember(senderHex: string, msgId: number, seq: number): void {
    let t = this.senders.get(senderHex);
    if (!t) {
      if (this.senders.size >= this.maxSenders) this.senders.delete(this.senders.keys().next().value!);
      t = new SenderIds();
      this.senders.set(senderHex, t);
    }
    const i = msgId & (PER_SENDER - 1);
    t.ids[i] = msgId;
    t.seqs[i] = seq;
  }
}
