// Ephemeral member activity (issue 13): who is typing, and how far each member has seen the room
// (shown to a person, not merely received). Like presence, it is member state: never stored, never
// sequenced, forgotten when the member leaves. Only members whose Hello asked for it (a panel) get it.
// Bounded: a member's typing is passed on at most once a second, and "seen" is passed on per member only
// in rooms of up to SEEN_ROOM_MAX members (larger rooms would make every read a fan-out to hundreds).
import { encode } from '../../protocol/codec';
import { PacketType, TYPING_EVERY_MS } from '../../protocol/packets';
import type { MemberState } from './members';

/** Rooms up to this size pass on each member's "seen" to the others (issue 13: "seen by" up to 50). */
export const SEEN_ROOM_MAX = 50;

export class Activity {
  /** Members that asked for Typing and Seen. */
  private readonly wants = new Set<MemberState>();
  private readonly typedAt = new Map<MemberState, number>();
  private readonly seenSeq = new Map<MemberState, number>();

  constructor(
    private readonly send: (packet: Buffer, to: MemberState) => void,
    private readonly members: () => readonly MemberState[],
    private readonly headSeq: () => number,
  ) {}

  /** A member joined (or joined again): whether it wants activity, and if so, where the others are. */
  joined(m: MemberState, wants: boolean): void {
    if (!wants) return void this.wants.delete(m);
    this.wants.add(m);
    if (this.members().length > SEEN_ROOM_MAX) return;
    for (const [other, seq] of this.seenSeq) if (other !== m) this.send(encode({ type: PacketType.Seen, clientId: other.clientId, seq }), m);
  }

  left(m: MemberState): void {
    this.wants.delete(m);
    this.typedAt.delete(m);
    this.seenSeq.delete(m);
  }

  typing(m: MemberState, now: number): void {
    if (now - (this.typedAt.get(m) ?? -Infinity) < TYPING_EVERY_MS) return;
    this.typedAt.set(m, now);
    this.toOthers(m, encode({ type: PacketType.Typing, clientId: m.clientId }));
  }

  seen(m: MemberState, seq: number): void {
    const upTo = Math.min(seq, this.headSeq()); // nobody has seen what is not there
    if (upTo <= (this.seenSeq.get(m) ?? 0)) return;
    this.seenSeq.set(m, upTo);
    if (this.members().length <= SEEN_ROOM_MAX) this.toOthers(m, encode({ type: PacketType.Seen, clientId: m.clientId, seq: upTo }));
  }

  /** The room started over (a roll-over): what was seen was of the old room. */
  clear(): void {
    this.seenSeq.clear();
  }

  private toOthers(m: MemberState, packet: Buffer): void {
    for (const other of this.wants) if (other !== m) this.send(packet, other);
  }
}
