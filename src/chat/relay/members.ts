// Who is in the room and where: the one owner of the relay's member records. It creates them when a
// Hello is admitted, finds them by the address of every datagram, moves, renames and drops them,
// keeps their presence and leases and the roster's version, and packs the roster into pages.
import { ownBytes } from '../../protocol/bytes';
import { encode } from '../../protocol/codec';
import { ROSTER_HEADER_BYTES, rosterEntry } from '../../protocol/parts';
import { nodeCrypto } from '../../protocol/crypto';
import { fingerprint } from '../../protocol/fingerprint';
import { HelloFlags, MAX_PACKET, PacketType, Presence, ROSTER_KEY_BYTES, type Hello, type RosterEntry } from '../../protocol/packets';
import { RELAY_LIMITS, TokenBucket } from '../limits';
import { hostLimitsOf, Hosts, type HostState } from './hosts';
import type { Address, Member } from '../types';
import type { RepairBudget } from './budget';
import { newPending, type IntakeMember, type Pending } from './intake';
import type { RelaySession } from './sessions';
import type { Packet } from '../../protocol/packets';

/** A room's idle members ping at most 1000/10 = 100 times a second in all: the heartbeat period is the
 * configured one up to 500 members, then grows with the room (50 s at 5,000). */
export const HEARTBEAT_MS_PER_MEMBER = 10;

export interface MemberState extends IntakeMember {
  readonly memberId: number;
  readonly clientId: Buffer;
  readonly hex: string;
  name: string;
  host: string;
  port: number;
  lastSeen: number;
  /** The heartbeat period this member was last told; its lease is counted in these. */
  heartbeatMs: number;
  presence: Presence;
  wantsRoster: boolean;
  readonly packets: TokenBucket; // datagrams from this address
  readonly messages: TokenBucket; // messages from this member
  /** The host it sends from: the rates and member count all its addresses share. */
  hostState: HostState;
  readonly pending: Pending; // the intake's: reassembly and per-sender order
  lastSlowDown: number;
  /** Its protocol 2 session: every datagram from it must open under it, every one to it is sealed.
   * None for a protocol 1 member (accepted while the protocol changes over, see docs/PROTOCOL.md). */
  session?: RelaySession;
  /** Its byte budget for repairs and roster pages, made at its first request. */
  repair?: RepairBudget;
  /** Its file byte buckets, each way (issue 14), made at its first file packet. */
  files?: { in: TokenBucket; out: TokenBucket };
  /** The next member whose port number is the same (on another host): the lookup's chain. */
  samePort: MemberState | undefined;
  /** Where it is in the list every fan-out walks. */
  index: number;
  /** The room it is in (a session is in one room); undefined only for a Members of its own (tests). */
  room: MemberRoom | undefined;
}

/** A member's room as the relay's front routes to it (room-host.ts's RoomHost is one). */
export interface MemberRoom {
  readonly name: string;
  readonly joined: Members;
  memberPacket(p: Packet, m: MemberState, now: number): void;
  sendPages(pages: Buffer[], m: MemberState, now: number): void;
  slowDown(m: MemberState, now: number): void;
  drop(m: MemberState, reason: 'leave' | 'timeout'): void;
}

/** Where every member of the relay is, whatever its room: by address (asked for every datagram) and
 * by session id. Shared by the rooms' Members, so an address or a session is in one room at a time. */
export class Directory {
  readonly byPort = new Map<number, MemberState>();
  readonly byClient = new Map<string, MemberState>();

  /** The member at an address: by port number (a Map of numbers), then the host, with no key string to build. */
  at(host: string, port: number): MemberState | undefined {
    for (let m = this.byPort.get(port); m; m = m.samePort) if (m.host === host) return m;
    return undefined;
  }

  /** The member whose clientId (a protocol 2 session id) is `hex`. */
  client(hex: string): MemberState | undefined {
    return this.byClient.get(hex);
  }
}

export interface MemberLimits {
  maxMembers: number;
  /** Members from one host (an IPv6 /64 counts as one): one process cannot fill the room. */
  membersPerHost: number;
  addressPacketsPerSecond: number;
  addressBurst: number;
  memberMessagesPerSecond: number;
  memberBurst: number;
}

/** What a Hello comes to. `replaced` is another client that had this address: it has been dropped. */
export type Admission =
  | { kind: 'full'; replaced?: MemberState }
  | { kind: 'hostFull'; replaced?: MemberState }
  | { kind: 'joined'; member: MemberState; replaced?: MemberState }
  | { kind: 'known'; member: MemberState; replaced?: MemberState };

export const toMember = (m: MemberState): Member => ({
  memberId: m.memberId, id: m.hex, name: m.name, presence: m.presence === Presence.Away ? 'away' : 'online',
  ...(m.session ? { fingerprint: fingerprint(nodeCrypto, m.session.devicePublicKey), key: Buffer.from(m.session.devicePublicKey).toString('base64url') } : {}),
});

const NO_KEY = Buffer.alloc(ROSTER_KEY_BYTES);

export class Members {
  private readonly list: MemberState[] = [];
  private readonly byPort: Map<number, MemberState>;
  private readonly byClient: Map<string, MemberState>;
  private nextMemberId = 1;
  private version = 1;
  private changed = false;
  private remote: RemoteMember[] = [];

  constructor(
    private readonly limits: MemberLimits,
    /** Per-host state, shared with the relay's check of every datagram. */
    readonly hosts: Hosts = new Hosts(hostLimitsOf(undefined, { ...RELAY_LIMITS, ...limits })),
    /** The relay's directory of every room's members (one of its own unless given). */
    readonly directory: Directory = new Directory(),
    private readonly owner?: MemberRoom,
  ) {
    this.byPort = directory.byPort;
    this.byClient = directory.byClient;
  }

  get size(): number {
    return this.list.length;
  }

  /** Every member, for a fan-out. Not to be changed while walked. */
  all(): readonly MemberState[] {
    return this.list;
  }

  /** The roster's version: it changes at every join, leave, drop, rename or presence change. */
  get rosterVersion(): number {
    return this.version;
  }

  /** Whether the roster changed since the last call (the relay then tells members who want it). */
  takeRosterChange(): boolean {
    const c = this.changed;
    this.changed = false;
    return c;
  }

  /** The member at an address: asked for every datagram, so by port number (a Map of numbers),
   * then the host, with no key string to build. */
  at(host: string, port: number): MemberState | undefined {
    return this.directory.at(host, port);
  }

  /** The member whose clientId (a protocol 2 session id) is `hex`. */
  client(hex: string): MemberState | undefined {
    return this.directory.client(hex);
  }

  /** Admits a Hello from `from` (whose cookie, if it needed one, was good), where `current` is the
   * member already at that address. A known client keeps its record (resumed, renamed or moved
   * from another address); a new one is made a member while there is room. A new member of a
   * protocol 2 `session` keeps its clientId (the session id) in the session's bytes. */
  admit(p: Hello, from: Address, current: MemberState | undefined, now: number, session?: RelaySession): Admission {
    const hex = p.clientId.toString('hex');
    let replaced: MemberState | undefined;
    if (current && current.hex !== hex) {
      this.drop(current); // another client took over this address
      replaced = current;
    }
    let m = current && !replaced ? current : this.byClient.get(hex);
    const wantsRoster = (p.flags & HelloFlags.WantsRoster) !== 0;
    if (m) {
      // The same client from a new address (restarted socket, NAT rebinding): move it.
      if (m.host !== from.host || m.port !== from.port) this.move(m, from);
      if (m.name !== p.name) {
        m.name = p.name;
        this.rosterChanged();
      }
      m.wantsRoster = wantsRoster;
      return { kind: 'known', member: m, replaced };
    }
    if (this.list.length >= this.limits.maxMembers) return { kind: 'full', replaced };
    const hostState = this.hosts.of(from.host, now);
    if (hostState.members >= this.limits.membersPerHost) return { kind: 'hostFull', replaced };
    const l = this.limits;
    const sessionId = session?.id;
    m = {
      memberId: this.nextMemberId++, clientId: sessionId?.equals(p.clientId) ? sessionId : ownBytes(p.clientId), hex, name: p.name, host: from.host, port: from.port,
      lastSeen: now, heartbeatMs: 0, presence: Presence.Online, wantsRoster,
      packets: new TokenBucket(l.addressPacketsPerSecond, l.addressBurst, now),
      messages: new TokenBucket(l.memberMessagesPerSecond, l.memberBurst, now),
      hostState,
      pending: newPending(p.firstUnacked), lastSlowDown: 0, samePort: undefined, index: this.list.length,
      room: this.owner, session: undefined, repair: undefined, // set later, but here from the start: one shape, no spill array
    };
    this.list.push(m);
    this.place(m);
    this.byClient.set(hex, m);
    this.rosterChanged();
    return { kind: 'joined', member: m, replaced };
  }

  /** Any datagram from a member renews its lease, and brings it back if it was away. */
  heard(m: MemberState, now: number): void {
    m.lastSeen = now;
    if (m.presence === Presence.Away) this.setPresence(m, Presence.Online);
  }

  /** Removes a member; false if it was not (or no longer) one. */
  drop(m: MemberState): boolean {
    if (this.list[m.index] !== m) return false;
    const last = this.list.pop()!;
    if (last !== m) {
      this.list[m.index] = last;
      last.index = m.index;
    }
    this.unplace(m);
    this.byClient.delete(m.hex);
    this.rosterChanged();
    return true;
  }

  /** Members whose lease ran out (counted in the period each was last told: when the room grows it
   * pings less often), after marking those silent for 1.5 periods away. The caller drops them. */
  expired(now: number, leaseBeats: number): MemberState[] {
    const out: MemberState[] = [];
    for (const m of this.list) {
      const silent = now - m.lastSeen;
      if (silent > m.heartbeatMs * leaseBeats) out.push(m);
      else if (silent > m.heartbeatMs * 1.5 && m.presence === Presence.Online) this.setPresence(m, Presence.Away);
    }
    return out;
  }

  /** The heartbeat period for the room as it is now. */
  heartbeatMs(configured: number): number {
    return Math.max(configured, this.list.length * HEARTBEAT_MS_PER_MEMBER);
  }

  /** The member list in Roster datagrams: this relay's members, then the cluster's others. */
  rosterPages(): Buffer[] {
    if (this.remote.length === 0) return rosterPages(this.version, this.list);
    const here = new Set(this.list.map((m) => m.hex));
    return rosterPages(this.version, [...this.list, ...this.remote.filter((r) => !here.has(r.hex))]);
  }

  /** The room's members on the cluster's other relays (issue 15): in the roster, not members here. */
  setRemote(members: RemoteMember[]): void {
    this.remote = members;
    this.rosterChanged();
  }

  private setPresence(m: MemberState, presence: Presence): void {
    m.presence = presence;
    this.rosterChanged();
  }

  private rosterChanged(): void {
    this.version = (this.version + 1) >>> 0 || 1;
    this.changed = true;
  }

  private move(m: MemberState, to: Address): void {
    this.unplace(m);
    m.host = to.host;
    m.port = to.port;
    this.place(m);
  }

  private place(m: MemberState): void {
    m.hostState = this.hosts.of(m.host, Date.now());
    this.hosts.join(m.hostState);
    m.samePort = this.byPort.get(m.port);
    this.byPort.set(m.port, m);
  }

  private unplace(m: MemberState): void {
    this.hosts.leave(m.hostState);
    const first = this.byPort.get(m.port);
    if (first === m) {
      if (m.samePort) this.byPort.set(m.port, m.samePort);
      else this.byPort.delete(m.port);
    } else {
      let prev = first;
      while (prev && prev.samePort !== m) prev = prev.samePort;
      if (prev) prev.samePort = m.samePort;
    }
    m.samePort = undefined;
  }
}

/** What the roster shows of a member: one of this relay's, or (RemoteMember) one on another relay of the cluster. */
export type RosterMember = Pick<MemberState, 'memberId' | 'clientId' | 'name' | 'presence'> & { session?: { devicePublicKey: Uint8Array } };

/** A member of the room on another relay of its cluster (issue 15), as its shared presence says. */
export type RemoteMember = RosterMember & { hex: string };

/** Packs members into Roster datagrams of at most MAX_PACKET bytes, sizes from the codec's parts. */
export function rosterPages(version: number, members: Iterable<RosterMember>): Buffer[] {
  const pages: RosterEntry[][] = [[]];
  let size = ROSTER_HEADER_BYTES;
  for (const m of members) {
    const key = m.session ? Buffer.from(m.session.devicePublicKey) : NO_KEY;
    const entry: RosterEntry = { memberId: m.memberId, clientId: m.clientId, name: m.name, presence: m.presence, key };
    const entrySize = rosterEntry.encodingLength(entry);
    if (size + entrySize > MAX_PACKET) {
      pages.push([]);
      size = ROSTER_HEADER_BYTES;
    }
    pages[pages.length - 1].push(entry);
    size += entrySize;
  }
  return pages.map((entries, page) => encode({ type: PacketType.Roster, version, page, pageCount: pages.length, entries }));
}
