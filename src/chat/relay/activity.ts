// Ephemeral member activity (issue 13): who is typing, and how far each member has seen the room
// (shown to a person, not merely received). Like presence, it is member state: never stored, never
// sequenced, forgotten when the member leaves. Only members whose Hello asked for it (a panel) get it.
// Bounded: a member's typing is passed on at most once a second, and "seen" is passed on per member only
// in rooms of up to SEEN_ROOM_MAX members (larger rooms would make every read a fan-out to hundreds):
// larger rooms get a count instead, "N have seen the newest message", at most once a second.
import { encode } from '../../protocol/codec';
import { PacketType, TYPING_EVERY_MS } from '../../protocol/packets';
import type { MemberState } from './members';

/** Rooms up to this size pass on each member's "seen" to the others (issue 13: "seen by" up to 50). */
export const SEEN_ROOM_MAX = 50;
/** A larger room's count goes out at most this often. */
export const SEEN_COUNT_EVERY_MS = 1000;

/** Typing (no seq) or seen up to `seq`, by a member's clientId: what relays of a cluster pass each other. */
export interface SharedActivity {
  clientId: Buffer;
  seq?: number;
}

export class Activity {
  /** Members that asked for Typing and Seen. */
  private readonly wants = new Set<MemberState>();
  private readonly typedAt = new Map<MemberState, number>();
  private readonly seenSeq = new Map<MemberState, number>();
  /** A larger room: a member's "seen" moved since the count was last sent; and that count. */
  private countDirty = false;
  private countAt = -Infinity;
  private lastCount: { seq: number; count: number } | undefined;

  constructor(
    private readonly send: (packet: Buffer, to: MemberState) => void,
    private readonly members: () => readonly MemberState[],
    private readonly headSeq: () => number,
  ) {}

  /** A member joined (or joined again): whether it wants activity, and if so, where the others are. */
  joined(m: MemberState, wants: boolean): void {
    if (!wants) return void this.wants.delete(m);
    this.wants.add(m);
    if (this.members().length > SEEN_ROOM_MAX) {
      if (this.lastCount) this.send(encode({ type: PacketType.SeenCount, ...this.lastCount }), m);
      return;
    }
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
    this.share?.({ clientId: m.clientId });
  }

  seen(m: MemberState, seq: number): void {
    const upTo = Math.min(seq, this.headSeq()); // nobody has seen what is not there
    if (upTo <= (this.seenSeq.get(m) ?? 0)) return;
    this.seenSeq.set(m, upTo);
    if (this.members().length <= SEEN_ROOM_MAX) {
      this.toOthers(m, encode({ type: PacketType.Seen, clientId: m.clientId, seq: upTo }));
      this.share?.({ clientId: m.clientId, seq: upTo });
    } else this.countDirty = true;
  }

  /** In a clustered room (issue 15): what this relay's members do, for the other relays. */
  share: ((act: SharedActivity) => void) | undefined;

  /** A member of another relay of the cluster is typing (no seq) or has seen up to `seq`: told to those
   * here who asked. A larger room's count stays this relay's own. */
  remote(act: SharedActivity): void {
    if (act.seq !== undefined && this.members().length > SEEN_ROOM_MAX) return;
    const packet = act.seq === undefined ? encode({ type: PacketType.Typing, clientId: act.clientId }) : encode({ type: PacketType.Seen, clientId: act.clientId, seq: Math.min(act.seq, this.headSeq()) });
    for (const m of this.wants) this.send(packet, m);
  }

  /** In a larger room, at most once a second: how many have seen the newest message, to everyone who
   * asked, when it changed. O(members who said what they have seen) per second. */
  countSeen(now: number): void {
    if (!this.countDirty || now - this.countAt < SEEN_COUNT_EVERY_MS || this.members().length <= SEEN_ROOM_MAX) return;
    this.countDirty = false;
    this.countAt = now;
    const seq = this.headSeq();
    let count = 0;
    for (const s of this.seenSeq.values()) if (s >= seq) count++;
    if (this.lastCount?.seq === seq && this.lastCount.count === count) return;
    this.lastCount = { seq, count };
    const packet = encode({ type: PacketType.SeenCount, seq, count });
    for (const m of this.wants) this.send(packet, m);
  }

  /** The room started over (a roll-over): what was seen was of the old room. */
  clear(): void {
    this.seenSeq.clear();
    this.lastCount = undefined;
  }

  private toOthers(m: MemberState, packet: Buffer): void {
    for (const other of this.wants) if (other !== m) this.send(packet, other);
  }
}
