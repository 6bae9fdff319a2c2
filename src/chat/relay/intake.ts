// How the relay takes in members' messages: reassembly within limits, de-duplication, and the
// per-sender order (a message waits, bounded, for its sender's earlier one). Each call returns the
// steps for the relay to take, in order (reply, slow down, sequence): the rules live here, the I/O
// and the sequencing in relay.ts, so the path from a Data datagram to its fan-out reads top to bottom.
import { textProblem } from '../../common/message';
import { checkUtf8, hasVisibleAscii, ProtocolError } from '../../protocol/bytes';
import { Assembly } from '../../protocol/fragments';
import { MAX_TEXT_BYTES, PacketType, RefuseReason, type Data, type MessageHead, type Packet } from '../../protocol/packets';
import type { TokenBucket } from '../limits';
import { takeMessage } from './hosts';
import { FORGOTTEN } from './dedup';

/** Messages a member may have waiting for an earlier one; an honest client has at most 32 in flight. */
export const MAX_HELD = 64;

/** What the intake keeps per member. */
export interface Pending {
  /** The msgId this member's next message must have to be sequenced now (per-sender FIFO). */
  expect: number;
  /** Messages partly received, by msgId (`cost`: what it is counted as, see FRAGMENT_COST). */
  assemblies?: Map<number, { asm: Assembly; started: number; cost: number }>;
  /** Complete messages that arrived before their predecessor. */
  held?: Map<number, Ready & { since: number; cost: number }>;
  /** Bytes of the two above, counted against memberPendingBytes. */
  bytes?: number;
}

/** The member as the intake sees it. */
export interface IntakeMember {
  readonly hex: string;
  readonly clientId: Buffer;
  readonly messages: TokenBucket;
  /** Its host's rates, shared by all the host's members (none in the intake's own tests). */
  readonly hostState?: { readonly messages: TokenBucket };
  readonly pending: Pending;
  /** Its protocol 2 session: the device key its handshake proved, which must sign its messages. */
  readonly session?: { readonly devicePublicKey: Uint8Array };
}

/** A whole message, checked, ready for a seq. */
export interface Ready {
  msgId: number;
  head: MessageHead;
  text: Buffer;
}

export type Step =
  /** To the sender: an Ack, a Refused or a NotJoined. */
  | { kind: 'reply'; packet: Packet }
  /** The sender is over a limit: tell it to slow down (`pending`: the relay-wide reassembly limit). */
  | { kind: 'slowDown'; pending: boolean }
  /** Give this message the next seq and fan it out. */
  | { kind: 'sequence'; ready: Ready }
  /** The fragment was bad (after the Refused step for it): count it and report it. */
  | { kind: 'malformed'; error: ProtocolError };

export interface IntakeLimits {
  pendingMessagesPerMember: number;
  pendingBytes: number;
  memberPendingBytes: number;
}

/** What a kept fragment costs beyond its text: its Buffer, the slot it sits in, the datagram of a
 * held one-datagram message. Counting text alone undercounted the memory by half. */
export const FRAGMENT_COST = 256;

const SLOW_DOWN: Step = { kind: 'slowDown', pending: false };
/** Over a byte cap: the datagram is dropped unacknowledged (it will come again) and the sender slowed. */
const FULL: Step = { kind: 'slowDown', pending: true };
const NONE: Step[] = [];

export const newPending = (expect: number): Pending => ({ expect });

export class Intake {

  constructor(
    private readonly limits: IntakeLimits,
    /** The seq of a message already sequenced, FORGOTTEN, or 0 (the room's de-duplication table). */
    private readonly seqOf: (senderHex: string, msgId: number) => number,
    private readonly epoch: () => number,
    /** Bytes of partly received and waiting messages across the relay: shared by every room's intake. */
    private readonly total: { pendingBytes: number } = { pendingBytes: 0 },
  ) {}

  /** One Data fragment from member `m`. */
  data(p: Data, m: IntakeMember, now: number): Step[] {
    const q = m.pending;
    if (!p.clientId.equals(m.clientId)) return [reply({ type: PacketType.NotJoined, epoch: this.epoch() })];
    const done = this.seqOf(m.hex, p.msgId);
    // Settled so long ago that its seq is forgotten (see dedup.ts): received, and never sequenced again.
    if (done === FORGOTTEN) return [reply(this.ack(p, 0))];
    if (done) {
      const ack = reply(this.ack(p, done));
      return p.msgId === q.expect ? [ack, ...this.release(m, q.expect + 1)] : [ack];
    }
    if (q.held?.has(p.msgId)) return [reply(this.ack(p, 0))];
    if (p.msgId > q.expect && (q.held?.size ?? 0) >= MAX_HELD) return NONE; // it will come again
    if (p.fragCount === 1 && p.head) {
      // One datagram, the common case: no reassembly, no copy; the text stays bytes.
      if (p.msgId > q.expect && !this.fits(q, p.chunk.length + FRAGMENT_COST)) return [FULL]; // it would be held
      if (!takeMessage(m.messages, m.hostState?.messages, now)) return [SLOW_DOWN];
      if (p.head.totalBytes !== p.chunk.length) return this.refuse(m, p.msgId, `The message says ${p.head.totalBytes} bytes but carries ${p.chunk.length}.`);
      try {
        checkUtf8(p.chunk, 'message text');
      } catch (err) {
        return this.malformed(m, p.msgId, err);
      }
      return this.complete(m, { msgId: p.msgId, head: p.head, text: p.chunk }, p, now);
    }
    let entry = q.assemblies?.get(p.msgId);
    // Every new fragment must fit both caps (exact: checked before it is kept, not when a message starts).
    const fresh = !entry || (p.fragIndex < p.fragCount && !entry.asm.has(p.fragIndex));
    if (fresh && !this.fits(q, p.chunk.length + FRAGMENT_COST)) return [FULL];
    if (!entry) {
      q.assemblies ??= new Map();
      if (p.fragCount > 1 && q.assemblies.size >= this.limits.pendingMessagesPerMember) return [FULL];
      if (!takeMessage(m.messages, m.hostState?.messages, now)) return [SLOW_DOWN];
      entry = { asm: new Assembly(p.fragCount), started: now, cost: 0 };
      q.assemblies.set(p.msgId, entry);
    }
    let added: boolean;
    const before = entry.asm.bytes;
    try {
      added = entry.asm.add(p.fragIndex, p.fragCount, p.head, p.chunk);
    } catch (err) {
      this.count(q, entry, entry.asm.bytes - before); // forget() takes back all it holds
      return this.malformed(m, p.msgId, err);
    }
    if (added) this.count(q, entry, p.chunk.length + FRAGMENT_COST);
    if (!entry.asm.complete) return [reply(this.ack(p, 0))];
    let whole: { head: MessageHead; text: Buffer };
    try {
      whole = entry.asm.text();
    } catch (err) {
      return this.malformed(m, p.msgId, err);
    }
    // Its bytes stay counted if it is held (it was within the caps as fragments); else forgotten.
    const cost = entry.cost;
    q.assemblies!.delete(p.msgId);
    this.uncount(q, cost);
    return this.complete(m, { msgId: p.msgId, head: whole.head, text: whole.text }, p, now, cost);
  }

  /** Whether `n` more bytes fit this member's cap and the relay's. */
  private fits(q: Pending, n: number): boolean {
    return (q.bytes ?? 0) + n <= this.limits.memberPendingBytes && this.total.pendingBytes + n <= this.limits.pendingBytes;
  }

  private count(q: Pending, entry: { cost: number }, n: number): void {
    entry.cost += n;
    q.bytes = (q.bytes ?? 0) + n;
    this.total.pendingBytes += n;
  }

  private uncount(q: Pending, n: number): void {
    q.bytes = (q.bytes ?? 0) - n;
    this.total.pendingBytes -= n;
  }

  /** A fragment or message that cannot be right: refused to the sender, then reported. */
  private malformed(m: IntakeMember, msgId: number, err: unknown): Step[] {
    if (!(err instanceof ProtocolError)) throw err;
    return [...this.refuse(m, msgId, err.message), { kind: 'malformed', error: err }];
  }

  /** A whole message: sequenced now if it is the sender's next, else held for its predecessors. */
  private complete(m: IntakeMember, r: Ready, p: Data, now: number, cost = r.text.length + FRAGMENT_COST): Step[] {
    const q = m.pending;
    // The one text check, skipped when a byte shows it would pass: the text need not be decoded.
    const plainlyFine = r.text.length <= MAX_TEXT_BYTES && hasVisibleAscii(r.text, 0);
    const problem = plainlyFine ? undefined : textProblem(r.text.toString('utf8'), r.text.length);
    if (problem) return this.refuse(m, r.msgId, problem.message);
    // Signed by the key the member's handshake proved (the signature itself is its readers' to check:
    // a relay that checked it could still lie, so members do, and the relay's time goes to fan-out).
    const key = m.session?.devicePublicKey;
    if (key && !(r.head.auth && r.head.auth.compare(key, 0, key.length, 0, key.length) === 0)) {
      return this.refuse(m, r.msgId, r.head.auth ? "The message is signed with another device's key." : 'The message is not signed (protocol 2 needs every message signed by its author).');
    }
    if (r.msgId > q.expect) {
      const held = { ...r, since: now, cost: 0 };
      (q.held ??= new Map()).set(r.msgId, held);
      this.count(q, held, cost);
      return [reply(this.ack(p, 0))];
    }
    const step: Step = { kind: 'sequence', ready: r };
    return r.msgId === q.expect ? [step, ...this.release(m, r.msgId + 1)] : [step];
  }

  /** Moves the member's expected msgId to `expect`; returns the held messages that now follow, to
   * sequence in this order. Ids already sequenced are skipped: after a rejoin the client may name as
   * its first unacknowledged a message whose only loss was its ack, and waiting for it to arrive as
   * new would stall the sender. */
  release(m: IntakeMember, expect: number): Step[] {
    const q = m.pending;
    q.expect = expect;
    while (this.seqOf(m.hex, q.expect) !== 0) q.expect++;
    if (!q.held?.size) return NONE;
    const out: Step[] = [];
    const late = [...q.held.keys()].filter((id) => id < expect).sort((a, b) => a - b);
    for (const id of late) {
      const h = q.held.get(id)!;
      out.push({ kind: 'sequence', ready: h });
      q.held.delete(id);
      this.uncount(q, h.cost);
    }
    for (let h = q.held.get(q.expect); h; h = q.held.get(q.expect)) {
      q.held.delete(q.expect);
      this.uncount(q, h.cost);
      out.push({ kind: 'sequence', ready: h });
      q.expect++;
      while (this.seqOf(m.hex, q.expect) !== 0) q.expect++;
    }
    return out;
  }

  /** Drops what a member had half sent or waiting (it left). */
  forgetAll(m: IntakeMember): void {
    for (const id of [...(m.pending.assemblies?.keys() ?? [])]) this.forget(m, id);
    for (const h of m.pending.held?.values() ?? []) this.uncount(m.pending, h.cost);
    m.pending.held?.clear();
  }

  /** Ages a member's partial messages; returns held ones whose predecessor never came, to sequence. */
  expire(m: IntakeMember, now: number, reassemblyMs: number): Step[] {
    const q = m.pending;
    if (q.assemblies) {
      for (const [id, e] of q.assemblies) if (now - e.started > reassemblyMs) this.forget(m, id);
    }
    if (!q.held?.size) return NONE;
    // A safety valve only: the sender's Hello or a refusal normally moves `expect`. If the
    // predecessor still never came, sequence what waits rather than lose it.
    const oldest = Math.min(...q.held.keys());
    return now - q.held.get(oldest)!.since > reassemblyMs ? this.release(m, oldest) : NONE;
  }

  /** Bytes of partly received and held messages across the relay, as counted against the caps. */
  get pendingTotal(): number {
    return this.total.pendingBytes;
  }

  private ack(p: Data, seq: number): Packet {
    return { type: PacketType.Ack, msgId: p.msgId, fragIndex: p.fragIndex, seq, epoch: this.epoch() };
  }

  private refuse(m: IntakeMember, msgId: number, detail: string): Step[] {
    this.forget(m, msgId);
    const refused = reply({ type: PacketType.Refused, reason: RefuseReason.Malformed, msgId, detail });
    // Its successors need not wait for it.
    return msgId === m.pending.expect ? [refused, ...this.release(m, msgId + 1)] : [refused];
  }

  private forget(m: IntakeMember, msgId: number): void {
    const entry = m.pending.assemblies?.get(msgId);
    if (!entry) return;
    this.uncount(m.pending, entry.cost);
    m.pending.assemblies!.delete(msgId);
  }
}

const reply = (packet: Packet): Step => ({ kind: 'reply', packet });
