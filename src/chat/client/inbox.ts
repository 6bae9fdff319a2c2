// The receiving half of a client: puts room messages back together, delivers them in seq order
// exactly once, and says which seqs to ask the relay for again (gaps, a lost tail, backfill).
import { placeholder } from '../../common/message';
import { decodeUtf8 } from '../../protocol/bytes';
import { Assembly, bodyFromHead } from '../../protocol/fragments';
import { SenderFlags, type MessageBody, type MessageHead, type Msg } from '../../protocol/packets';
import type { Check } from './signatures';
import type { RoomMessage } from '../types';
import type { RttEstimator } from './rtt';
import { DeliveredIds } from './repeats';

const ASK_WINDOW = 64; // seqs asked for at a time, so backfill comes in bounded bursts
const MAX_AHEAD = 4096; // messages held out of order; further ones are asked for again later
/** A seq asked for is taken as lost once the answer for a seq this far past it, asked no later, has
 * come: the relay answers a Resend in seq order (RFC 9002's kPacketThreshold, for reordering). */
const REORDER_THRESHOLD = 3;
/** The largest time a Date holds, in ms either side of 1970. */
const MAX_TIME = 8.64e15;
/** Times a seq's fragments may contradict each other before it is taken as a message that does not decode. */
const MAX_CONTRADICTIONS = 3;

interface Ask {
  at: number;
  tries: number;
  /** A later seq asked no later has been answered: this answer was lost, ask again now. */
  lost: boolean;
}

interface Partial {
  asm: Assembly;
  first: Msg;
}

export class Inbox {
  next = 1; // the next seq to deliver
  head = 0; // the highest seq known to exist
  private readonly ready = new Map<number, RoomMessage>();
  private readonly partial = new Map<number, Partial>();
  private readonly asked = new Map<number, Ask>();
  /** Seqs whose fragments contradicted each other, and how often. */
  private readonly spoiled = new Map<number, number>();
  /** Seqs ready as placeholders: they prove nothing about their (author, msgId), so never hide another. */
  private readonly placeholders = new Set<number>();
  /** What was shown, by (author, msgId): a repeat of it (issue 15) fills its seq and is not shown again. */
  private readonly shown = new DeliveredIds();
  /** Repeats filled in so far (a cluster stored a message twice). */
  repeats = 0;
  /** When the last answer to a Resend came: while answers still come, the rest are on their way. */
  private answeredAt = 0;

  constructor(
    private readonly rtt: RttEstimator,
    /** A message that could not be decoded, shown as a placeholder: reported too. */
    private readonly warn: (err: Error) => void = () => undefined,
    /** Checks a whole message's signature (the link knows the room); without it nothing is verified. */
    private readonly check?: (first: Msg, head: MessageHead, text: Buffer) => Check & { body?: MessageBody },
  ) {}

  /** Starts delivering at `from` (a new room, a backfill point, or past lost messages). */
  reset(from: number): void {
    this.next = from;
    for (const seq of [...this.ready.keys(), ...this.partial.keys(), ...this.asked.keys(), ...this.spoiled.keys()]) {
      if (seq < from) {
        this.ready.delete(seq);
        this.partial.delete(seq);
        this.asked.delete(seq);
        this.spoiled.delete(seq);
        this.placeholders.delete(seq);
      }
    }
    this.head = Math.max(this.head, from - 1);
  }

  clear(): void {
    this.ready.clear();
    this.partial.clear();
    this.asked.clear();
    this.spoiled.clear();
    this.placeholders.clear();
    this.shown.clear(); // another room: its (author, msgId)s are its own
    this.head = 0;
  }

  knowHead(seq: number): void {
    if (seq > this.head) this.head = seq;
  }

  /** Takes one Msg fragment; returns the messages that can now be delivered, in order. */
  accept(p: Msg, now = Date.now()): RoomMessage[] {
    // A seq beyond what this inbox holds says nothing it can use (the relay's Pong says its head): a
    // forged one must not make the client ask for seqs the room does not have, for ever.
    if (p.seq < this.next + MAX_AHEAD) this.knowHead(p.seq);
    const ask = this.asked.get(p.seq);
    if (ask) {
      // The answer to a Resend sent once (Karn's rule) is an RTT sample: for a member that only
      // listens, the probe timeout would otherwise rest on the round trip of its join for long.
      if (ask.tries === 1 && p.fragIndex === 0) this.rtt.sample(now - ask.at);
      this.answeredAt = now;
      this.lostBefore(p.seq, ask.at);
    }
    if (p.seq < this.next || this.ready.has(p.seq) || p.seq >= this.next + MAX_AHEAD) return [];
    // Every seq is used up: a message that does not decode is a placeholder in its place, never
    // asked for again and again while everything after it waits.
    if (p.undecodable !== undefined) return this.settle(p, placeholder.undecodable(), p.undecodable);
    let part = this.partial.get(p.seq);
    const fresh = !part;
    if (!part) {
      part = { asm: new Assembly(p.fragCount), first: p };
      this.partial.set(p.seq, part);
    }
    try {
      part.asm.add(p.fragIndex, p.fragCount, p.head, p.chunk);
    } catch (err) {
      // Fragments that contradict each other start again from the next copy (asked for again), so a
      // bad one, forged or garbled, cannot hold the seq for ever; one that contradicts itself, or a
      // seq that keeps contradicting itself, is a message that does not decode.
      this.partial.delete(p.seq);
      const times = (this.spoiled.get(p.seq) ?? 0) + 1;
      this.spoiled.set(p.seq, times);
      if (fresh || times >= MAX_CONTRADICTIONS) return this.settle(p, placeholder.undecodable(), (err as Error).message);
      throw err; // the caller reports it
    }
    if (!part.asm.complete) return [];
    let whole: { head: MessageHead; text: Buffer };
    let body: MessageBody;
    try {
      whole = part.asm.text();
      body = bodyFromHead(whole.head, decodeUtf8(whole.text, 'message text'));
    } catch (err) {
      return this.settle(part.first, placeholder.undecodable(), (err as Error).message);
    }
    const f = part.first;
    // A seed line the relay took in clear is shown as unverified; every member's message must carry
    // its author's signature, checked before it is shown, however it came (live or backfill).
    if (!this.check || (f.senderFlags & SenderFlags.Legacy) !== 0) return this.settle(f, body);
    const c = this.check(f, whole.head, whole.text);
    if (!c.ok) return this.settle(f, c.reason === 'unsigned' ? placeholder.unsigned() : placeholder.forged(), `from ${f.senderId.toString('hex')}, ${c.reason}`);
    return this.settle(f, (c.ok && c.body) || body, undefined, c); // c.body: a sealed room's content, opened
  }

  /** Seq `f.seq` is `body`: ready, and what can now be delivered. `problem` says why it is a placeholder. */
  private settle(f: Msg, body: MessageBody, problem?: string, signer?: { key: string; fingerprint: string }): RoomMessage[] {
    this.partial.delete(f.seq);
    if (problem !== undefined) {
      this.placeholders.add(f.seq);
      this.warn(new Error(`Seq ${f.seq} is shown as a placeholder: ${problem}`));
    }
    this.ready.set(f.seq, {
      // A time no Date can hold (NaN, 1e300) would throw where it is shown.
      ...body, seq: f.seq, time: Math.abs(f.time) <= MAX_TIME ? f.time : 0, msgId: f.msgId,
      sender: { id: f.senderId.toString('hex'), name: f.name, legacy: (f.senderFlags & SenderFlags.Legacy) !== 0, ...(signer ? { key: signer.key, fingerprint: signer.fingerprint } : {}) },
      verified: !!signer,
    });
    return this.drain();
  }

  /** The relay no longer has [from, to]: skip them. Returns how many were lost, the seqs skipped, and
   * what follows. A relay answers a Resend with Gone only for seqs asked about, so only those are
   * skipped, and only from the next seq to deliver: a Gone further on is left for when delivery gets
   * there (it is asked again then), so no seq is counted lost twice. The work is bounded by what this
   * inbox holds, never by the span a Gone names: one forged Gone(1, 2^32 - 1) once froze a client for
   * 39 s and moved its resume point past every seq the room will ever have. */
  gone(from: number, to: number): { lost: number; skipped?: { fromSeq: number; toSeq: number }; delivered: RoomMessage[] } {
    let top = 0;
    for (const seq of this.asked.keys()) if (seq > top) top = seq;
    const last = Math.min(to, top);
    if (from > this.next || last < this.next) return { lost: 0, delivered: [] };
    let lost = last - this.next + 1;
    for (const seq of this.ready.keys()) if (seq >= this.next && seq <= last) lost--;
    const skipped = { fromSeq: this.next, toSeq: last };
    this.reset(last + 1);
    return { lost, skipped, delivered: this.drain() };
  }

  private drain(): RoomMessage[] {
    const out: RoomMessage[] = [];
    for (let m = this.ready.get(this.next); m; m = this.ready.get(this.next)) {
      if (this.isRepeat(m)) this.repeats++;
      else out.push(m);
      this.ready.delete(this.next);
      this.asked.delete(this.next);
      this.spoiled.delete(this.next);
      this.placeholders.delete(this.next);
      this.next++;
    }
    return out;
  }

  /** A message whose author and msgId were shown already: a repeat (a seed line's msgId is the
   * relay's, and a placeholder's may be anyone's, so neither counts). */
  private isRepeat(m: RoomMessage): boolean {
    if (m.sender.legacy || this.placeholders.has(m.seq)) return false;
    return this.shown.repeat(m.sender.id, m.msgId);
  }

  /** The answer for `seq` came, to a request made at `at`: what was asked no later and should have come
   * well before it is lost. Only those are asked again, not the whole window. */
  private lostBefore(seq: number, at: number): void {
    for (const [s, a] of this.asked) {
      if (s <= seq - REORDER_THRESHOLD && a.at <= at && !this.ready.has(s)) a.lost = true;
    }
  }

  /** When a missing seq asked for is due again: at once if lost, else a probe timeout after both the
   * request and the last answer. A busy process reads answers late, and a timer measured from the
   * request alone would ask again for a whole window whose answers are waiting unread in the socket:
   * each such request adds a window of duplicates ahead of what is missing, and the backlog grows
   * until a backfill crawls (issue G). */
  private dueAt(a: Ask): number {
    return a.lost ? 0 : Math.max(a.at, this.answeredAt) + this.rtt.pto();
  }

  /** Ranges to ask for now: missing seqs in the window never asked, lost, or past their timeout. */
  due(now: number): { fromSeq: number; toSeq: number }[] {
    const ranges: { fromSeq: number; toSeq: number }[] = [];
    const last = Math.min(this.head, this.next + ASK_WINDOW - 1);
    for (let seq = this.next; seq <= last; seq++) {
      if (this.ready.has(seq)) continue;
      const a = this.asked.get(seq);
      if (a && now < this.dueAt(a)) continue;
      this.asked.set(seq, { at: now, tries: (a?.tries ?? 0) + 1, lost: false });
      const r = ranges[ranges.length - 1];
      if (r && r.toSeq === seq - 1) r.toSeq = seq;
      else ranges.push({ fromSeq: seq, toSeq: seq });
    }
    return ranges;
  }

  /** When the next request falls due, or undefined if nothing is missing. */
  nextDeadline(): number | undefined {
    let at: number | undefined;
    const last = Math.min(this.head, this.next + ASK_WINDOW - 1);
    for (let seq = this.next; seq <= last; seq++) {
      if (this.ready.has(seq)) continue;
      const a = this.asked.get(seq);
      const t = a ? this.dueAt(a) : 0;
      at = at === undefined ? t : Math.min(at, t);
    }
    return at;
  }
}
