// The sending half of a client: each message split into fragments, at most `window` fragments in
// flight, each retransmitted on its own probe timeout until the relay acknowledges it. A message is
// delivered once the relay answers with its seq (it has sequenced, and with a store, written it).
// It takes its RTT samples from the acks itself (Karn's rule: fragments sent once only).
import { encode } from '../../protocol/codec';
import { fragmentData, fragmentWire } from '../../protocol/fragments';
import type { MessageHead, SendableBody } from '../../protocol/packets';
import type { OutgoingMessage } from '../types';
import type { RttEstimator } from './rtt';

/** How far past the oldest unacknowledged msgId a client may send. The relay remembers the last 256
 * msgIds per sender for de-duplication; a window of consecutive ids well inside that means any
 * retransmission is of an id the relay still knows, so nothing is ever sequenced twice. */
export const MAX_MESSAGES_IN_FLIGHT = 32;

interface Frag {
  buf: Buffer;
  sentAt: number; // 0: not sent yet (or to be resent at once)
  tries: number;
  acked: boolean;
}

interface Entry {
  out: OutgoingMessage;
  frags: Frag[];
}

/** The signature block for message `msgId` (client/signatures.ts signWire, bound to the room). */
export type Signer = (msgId: number, head: MessageHead, text: Buffer) => Buffer;

/** A sealed room's: the head and bytes message `msgId` carries instead of its body (client/room-seal.ts). */
export type ContentSealer = (msgId: number, body: SendableBody) => { head: MessageHead; text: Buffer };

const MAX_PAUSE_MS = 60_000;

export class Outbox {
  private readonly entries = new Map<number, Entry>(); // in send order
  private inFlight = 0;
  /** The relay asked us to slow down (its per-member message rate): nothing goes out before this. */
  private pausedUntil = 0;
  retransmits = 0;

  constructor(
    private readonly maxFragmentsInFlight: number,
    private readonly rtt: RttEstimator,
  ) {}

  /** SlowDown: hold every fragment, new or due again, for `ms` from `now`; they go out then. At most
   * a minute: a pause of weeks would stop sending for good, and a relay still busy says so again.
   * Returns the pause taken. */
  pause(now: number, ms: number): number {
    const taken = Math.min(ms, MAX_PAUSE_MS);
    this.pausedUntil = now + taken;
    return taken;
  }

  /** Signs each message for the room it is sent to (the room is part of what is signed). */
  private signer: Signer | undefined;
  private sealer: ContentSealer | undefined;

  add(clientId: Buffer, out: OutgoingMessage): void {
    this.clientId = clientId;
    this.entries.set(out.msgId, { out, frags: this.signer ? this.fragments(out, this.signer) : [] });
  }

  private clientId: Buffer = Buffer.alloc(0);

  /** Messages are signed for one room: once it is known (the first Welcome), and again for a new
   * room (a relay that started over), every message not yet delivered is made anew. Until then
   * nothing is sent, as nothing is before a Welcome. */
  signFor(signer: Signer, sealer?: ContentSealer): OutgoingMessage[] {
    this.signer = signer;
    this.sealer = sealer;
    const unsendable: OutgoingMessage[] = [];
    for (const e of this.entries.values()) {
      if (e.out.state === 'failed') continue;
      this.release(e);
      try {
        e.frags = this.fragments(e.out, signer);
      } catch (err) {
        // One kept from before that this room cannot carry (too long to be sealed): failed, said why.
        e.frags = [];
        Object.assign(e.out, { state: 'failed', error: (err as Error).message });
        unsendable.push(e.out);
      }
    }
    return unsendable;
  }

  get signing(): boolean {
    return this.signer !== undefined;
  }

  private fragments(out: OutgoingMessage, signer: Signer): Frag[] {
    const sign = (head: MessageHead, text: Buffer) => signer(out.msgId, head, text);
    // Sealed before it is signed: the signature covers the bytes the relay keeps.
    const sealed = this.sealer?.(out.msgId, out.body);
    const packets = sealed ? fragmentWire(this.clientId, out.msgId, sealed.head, sealed.text, sign) : fragmentData(this.clientId, out.msgId, out.body, sign);
    return packets.map((p) => ({ buf: encode(p), sentAt: 0, tries: 0, acked: false }));
  }

  get(msgId: number): OutgoingMessage | undefined {
    return this.entries.get(msgId)?.out;
  }

  /** Every message not delivered yet, oldest first. */
  pending(): OutgoingMessage[] {
    return [...this.entries.values()].map((e) => e.out);
  }

  /** The oldest msgId still waiting to be sequenced. */
  oldest(): number | undefined {
    for (const e of this.entries.values()) if (e.out.state !== 'failed') return e.out.msgId;
    return undefined;
  }

  get busy(): boolean {
    for (const e of this.entries.values()) if (e.out.state !== 'failed') return true;
    return false;
  }

  /** Marks a fragment acknowledged (an RTT sample if it was sent once). Until an ack carries the
   * seq, the message's last outstanding fragment stays outstanding: the relay may be holding the
   * message for an earlier one, and if its later "sequenced" ack is lost, resending that fragment is
   * how we ask again. With a seq, the message is delivered: returned. */
  ack(msgId: number, fragIndex: number, seq: number, now: number): OutgoingMessage | undefined {
    const e = this.entries.get(msgId);
    const f = e?.frags[fragIndex];
    if (e && f && !f.acked && f.sentAt !== 0) {
      if (f.tries === 1) this.rtt.sample(now - f.sentAt);
      if (seq === 0 && e.frags.every((g) => g === f || g.acked)) {
        f.sentAt = now; // ask again after a probe timeout, not at once
      } else {
        f.acked = true;
        this.inFlight--;
      }
    }
    return seq !== 0 ? this.delivered(msgId, seq) : undefined;
  }

  /** The relay sequenced the message (our copy of it came back): it is delivered. The copy is an RTT
   * sample only for a one-datagram message sent once, where it answers that very datagram. */
  sequenced(msgId: number, seq: number, now: number): OutgoingMessage | undefined {
    const e = this.entries.get(msgId);
    if (!e) return undefined;
    const f = e.frags[0];
    if (e.frags.length === 1 && f.tries === 1 && f.sentAt > 0) this.rtt.sample(now - f.sentAt);
    return this.delivered(msgId, seq);
  }

  /** The relay sequenced the message: it leaves the outbox. */
  delivered(msgId: number, seq: number): OutgoingMessage | undefined {
    const e = this.entries.get(msgId);
    if (!e) return undefined;
    this.release(e);
    this.entries.delete(msgId);
    Object.assign(e.out, { state: 'delivered', seq, error: undefined });
    return e.out;
  }

  fail(msgId: number, error: string): OutgoingMessage | undefined {
    const e = this.entries.get(msgId);
    if (!e || e.out.state === 'failed') return undefined;
    this.release(e);
    Object.assign(e.out, { state: 'failed', error });
    return e.out;
  }

  /** Drops a failed message so it can be sent again as a new one. */
  remove(msgId: number): void {
    const e = this.entries.get(msgId);
    if (e) this.release(e);
    this.entries.delete(msgId);
  }

  private release(e: Entry): void {
    for (const f of e.frags) {
      if (!f.acked && f.sentAt > 0) this.inFlight--;
      f.acked = true;
    }
  }

  /** After a rejoin: every fragment of every message not yet delivered goes out again at once, with
   * fresh timers, the acknowledged ones too: a seq-0 ack is not kept by the relay through its
   * reassembly timeout or a restart, so after an outage it may hold none of them. */
  rewind(): void {
    for (const e of this.entries.values()) {
      if (e.out.state === 'failed') continue;
      for (const f of e.frags) {
        if (!f.acked && f.sentAt > 0) this.inFlight--;
        Object.assign(f, { acked: false, sentAt: 0, tries: 0 });
      }
    }
  }

  /** The unacknowledged fragments of the messages that may be in flight: msgIds less than
   * MAX_MESSAGES_IN_FLIGHT past the oldest unacknowledged one (not merely the oldest 32 pending:
   * while one message's ack keeps getting lost, hundreds of later ones could otherwise pass it). */
  private *inWindow(): Generator<[Entry, Frag]> {
    const oldest = this.oldest();
    if (oldest === undefined) return;
    for (const e of this.entries.values()) {
      if (e.out.state === 'failed') continue;
      if (e.out.msgId - oldest >= MAX_MESSAGES_IN_FLIGHT) return;
      for (const f of e.frags) if (!f.acked) yield [e, f];
    }
  }

  /** Fragments to send now: expired ones again, then new ones while the window allows.
   * `changed` collects messages whose state moved from queued to sending. */
  due(now: number, changed: OutgoingMessage[]): Buffer[] {
    const out: Buffer[] = [];
    if (now < this.pausedUntil) return out;
    const pto = this.rtt.pto();
    for (const [e, f] of this.inWindow()) {
      if (f.sentAt === 0) {
        if (this.inFlight >= this.maxFragmentsInFlight) continue;
        this.inFlight++;
      } else if (now < f.sentAt + pto) {
        continue;
      } else {
        this.retransmits++;
      }
      f.sentAt = now;
      f.tries++;
      out.push(f.buf);
      if (e.out.state !== 'sending') {
        e.out.state = 'sending';
        changed.push(e.out);
      }
    }
    return out;
  }

  /** When the next fragment falls due: a retransmission, or now if there is room for a new one
   * (not before a pause ends). */
  nextDeadline(now: number): number | undefined {
    let at: number | undefined;
    const pto = this.rtt.pto();
    for (const [, f] of this.inWindow()) {
      const t = f.sentAt === 0 ? (this.inFlight < this.maxFragmentsInFlight ? now : undefined) : f.sentAt + pto;
      if (t !== undefined) at = at === undefined ? t : Math.min(at, t);
    }
    return at === undefined ? undefined : Math.max(at, this.pausedUntil);
  }
}

export function newOutgoing(msgId: number, body: SendableBody, createdAt: number): OutgoingMessage {
  return { msgId, body, state: 'queued', createdAt };
}
