// How the relay takes in members' messages: reassembly within limits, de-duplication, and the
// per-sender order (a message waits, bounded, for its sender's earlier one). What it decides goes out
// through the relay's callbacks, so this file holds the rules and none of the I/O.
import { textProblem } from '../../common/message';
import { decodeUtf8 } from '../../protocol/bytes';
import { Assembly, bodyOf } from '../../protocol/fragments';
import { PacketType, RefuseReason, type Data, type MessageBody, type Packet } from '../../protocol/packets';
import type { MemberState } from './members';
import type { Room, SequencedMessage } from './room';
import { NotStoredError } from './store';
import type { RelayLimits } from '../types';

/** Messages a member may have waiting for an earlier one; an honest client has at most 32 in flight. */
const MAX_HELD = 64;

export interface IntakeDeps {
  room: Room;
  limits: Required<RelayLimits>;
  send(m: MemberState, p: Packet): void;
  slowDown(m: MemberState, now: number): void;
  publish(s: SequencedMessage, now: number): void;
  overLimit(): void;
}

export class Intake {
  private pendingBytes = 0;

  constructor(private readonly d: IntakeDeps) {}

  /** One Data fragment from member `m`. Throws ProtocolError for a malformed one (after refusing it). */
  data(p: Data, m: MemberState, now: number): void {
    const { room } = this.d;
    if (!p.clientId.equals(m.clientId)) return this.d.send(m, { type: PacketType.NotJoined, epoch: room.epoch });
    const ack = (seq: number) => this.d.send(m, { type: PacketType.Ack, msgId: p.msgId, fragIndex: p.fragIndex, seq, epoch: room.epoch });
    const done = room.seqOf(m.hex, p.msgId);
    if (done) {
      ack(done);
      if (p.msgId === m.expect) this.release(m, m.expect + 1, now);
      return;
    }
    if (m.held?.has(p.msgId)) return ack(0);
    if (p.msgId > m.expect && (m.held?.size ?? 0) >= MAX_HELD) return; // it will come again
    if (p.fragCount === 1 && p.head) {
      // One datagram, the common case: no reassembly, no copy.
      if (!m.messages.take(now)) return this.d.slowDown(m, now);
      if (p.head.totalBytes !== p.chunk.length) return this.refuse(m, p.msgId, `The message says ${p.head.totalBytes} bytes but carries ${p.chunk.length}.`, now);
      return this.complete(p.msgId, m, bodyOf(p.head, decodeUtf8(p.chunk, 'message text')), p.chunk, now, ack);
    }
    let entry = m.assemblies?.get(p.msgId);
    if (!entry) {
      if (!m.messages.take(now)) return this.d.slowDown(m, now);
      m.assemblies ??= new Map();
      if (p.fragCount > 1 && (m.assemblies.size >= this.d.limits.pendingMessagesPerMember || this.pendingBytes >= this.d.limits.pendingBytes)) {
        this.d.overLimit();
        return this.d.slowDown(m, now);
      }
      entry = { asm: new Assembly(p.fragCount), started: now };
      m.assemblies.set(p.msgId, entry);
    }
    const before = entry.asm.bytes;
    try {
      entry.asm.add(p.fragIndex, p.fragCount, p.head, p.chunk);
    } catch (err) {
      this.refuse(m, p.msgId, (err as Error).message, now);
      throw err;
    }
    this.pendingBytes += entry.asm.bytes - before;
    if (!entry.asm.complete) return ack(0);
    const { body, text } = entry.asm.body();
    this.forget(m, p.msgId);
    this.complete(p.msgId, m, body, text, now, ack);
  }

  /** A whole message: sequenced now if it is the sender's next, else held for its predecessors. */
  private complete(msgId: number, m: MemberState, body: MessageBody, text: Buffer, now: number, ack: (seq: number) => void): void {
    const problem = textProblem(body.text, text.length);
    if (problem) return this.refuse(m, msgId, problem.message, now);
    if (msgId > m.expect) {
      (m.held ??= new Map()).set(msgId, { body, since: now });
      return ack(0);
    }
    this.sequence(m, msgId, body, now, text);
    if (msgId === m.expect) this.release(m, msgId + 1, now);
  }

  /** Moves the member's expected msgId to `expect` and sequences the held messages that now follow.
   * Ids already sequenced are skipped: after a rejoin the client may name as its first unacknowledged
   * a message whose only loss was its ack, and waiting for it to arrive as new would stall the sender. */
  release(m: MemberState, expect: number, now: number): void {
    m.expect = expect;
    while (this.d.room.seqOf(m.hex, m.expect) !== 0) m.expect++;
    const late = [...(m.held?.keys() ?? [])].filter((id) => id < expect).sort((a, b) => a - b);
    for (const id of late) {
      this.sequence(m, id, m.held!.get(id)!.body, now);
      m.held!.delete(id);
    }
    for (let h = m.held?.get(m.expect); h; h = m.held?.get(m.expect)) {
      m.held!.delete(m.expect);
      this.sequence(m, m.expect, h.body, now);
      m.expect++;
      while (this.d.room.seqOf(m.hex, m.expect) !== 0) m.expect++;
    }
  }

  /** Drops what a member had half sent or waiting (it left). */
  forgetAll(m: MemberState): void {
    for (const id of [...(m.assemblies?.keys() ?? [])]) this.forget(m, id);
    m.held?.clear();
  }

  /** Ages a member's partial messages, and sequences held ones whose predecessor never came. */
  expire(m: MemberState, now: number, reassemblyMs: number): void {
    if (m.assemblies) {
      for (const [id, e] of m.assemblies) if (now - e.started > reassemblyMs) this.forget(m, id);
    }
    if (m.held?.size) {
      // A safety valve only: the sender's Hello or a refusal normally moves `expect`. If the
      // predecessor still never came, sequence what waits rather than lose it.
      const oldest = Math.min(...m.held.keys());
      if (now - m.held.get(oldest)!.since > reassemblyMs) this.release(m, oldest, now);
    }
  }

  /** Sequences and fans out. The sender is a member and gets its copy too: that copy, which carries
   * its msgId and the seq, is its acknowledgement. If the copy is lost, the sender's retransmission
   * meets the de-duplication table and gets an explicit Ack with the seq. */
  private sequence(m: MemberState, msgId: number, body: MessageBody, now: number, text?: Buffer): void {
    let s: SequencedMessage;
    try {
      s = this.d.room.sequence(m.hex, m.name, false, msgId, body, now, text);
    } catch (err) {
      if (!(err instanceof NotStoredError)) throw err;
      // Not on disk, so not acknowledged and no seq used: the sender shows why and can send it again.
      return this.d.send(m, { type: PacketType.Refused, reason: RefuseReason.NotStored, msgId, detail: err.message });
    }
    this.d.publish(s, now);
  }

  private refuse(m: MemberState, msgId: number, detail: string, now: number): void {
    this.forget(m, msgId);
    this.d.send(m, { type: PacketType.Refused, reason: RefuseReason.Malformed, msgId, detail });
    if (msgId === m.expect) this.release(m, m.expect + 1, now); // its successors need not wait for it
  }

  private forget(m: MemberState, msgId: number): void {
    const entry = m.assemblies?.get(msgId);
    if (!entry) return;
    this.pendingBytes -= entry.asm.bytes;
    m.assemblies!.delete(msgId);
  }
}
