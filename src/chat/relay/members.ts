// Who is in the room, where they are, and what each address may still be sent. Members are keyed by
// their address (every datagram is looked up by it); strangers are addresses that have not proved
// they can receive, held in a bounded map for the 3x amplification limit and their rate limit.
import { encode } from '../../protocol/codec';
import { Assembly } from '../../protocol/fragments';
import { MAX_DATAGRAM, PacketType, Presence, type MessageBody, type Roster, type RosterEntry } from '../../protocol/packets';
import { TokenBucket } from '../limits';
import type { Member } from '../types';

export interface MemberState {
  memberId: number;
  clientId: Buffer;
  hex: string;
  name: string;
  key: string; // "host|port"
  host: string;
  port: number;
  lastSeen: number;
  /** The heartbeat period this member was last told; its lease is counted in these. */
  heartbeatMs: number;
  presence: Presence;
  wantsRoster: boolean;
  packets: TokenBucket; // datagrams from this address
  messages: TokenBucket; // messages from this member
  assemblies?: Map<number, { asm: Assembly; started: number }>;
  /** The msgId this member's next message must have to be sequenced now (per-sender FIFO). */
  expect: number;
  /** Complete messages that arrived before their predecessor, waiting at most HOLD_MS. */
  held?: Map<number, { body: MessageBody; since: number }>;
  lastSlowDown: number;
}

export interface Stranger {
  packets: TokenBucket;
  messages?: TokenBucket; // for legacy senders, who never become members
  bytesIn: number;
  bytesOut: number;
}

/** RFC 9000 section 8: before validation, send at most 3x what was received from the address. */
export const AMPLIFICATION_FACTOR = 3;

export function addressKey(host: string, port: number): string {
  return `${host}|${port}`;
}

export function toMember(m: MemberState): Member {
  return { memberId: m.memberId, id: m.hex, name: m.name, presence: m.presence === Presence.Away ? 'away' : 'online' };
}

export class Strangers {
  private readonly map = new Map<string, Stranger>();

  constructor(
    private readonly max: number,
    private readonly make: () => Stranger,
  ) {}

  get(key: string): Stranger {
    let s = this.map.get(key);
    if (!s) {
      // Oldest first out: a flood of fresh addresses cannot grow this beyond `max`.
      if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
      s = this.make();
      this.map.set(key, s);
    }
    return s;
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

/** Packs the member list into Roster datagrams of at most MAX_DATAGRAM bytes. */
export function rosterPages(version: number, members: Iterable<MemberState>): Buffer[] {
  const pages: RosterEntry[][] = [[]];
  let size = 13;
  for (const m of members) {
    const entrySize = 4 + 8 + 1 + 1 + Buffer.byteLength(m.name);
    if (size + entrySize > MAX_DATAGRAM) {
      pages.push([]);
      size = 13;
    }
    pages[pages.length - 1].push({ memberId: m.memberId, clientId: m.clientId, name: m.name, presence: m.presence });
    size += entrySize;
  }
  return pages.map((entries, page) => {
    const p: Roster = { type: PacketType.Roster, version, page, pageCount: pages.length, entries };
    return encode(p);
  });
}
