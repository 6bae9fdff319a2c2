// One room of a relay (issue 11): its ordered log (Room), its members, its intake, its activity, its
// heartbeat and, if sealed, its gate. The relay (relay.ts) owns the socket, the strangers, the cookies
// and the sessions, and routes each member's datagram here by its session; everything below the
// routing is per room, so a busy room cannot starve another beyond the per-host and per-address
// buckets in front. From a member's packet down: check and order (the intake), sequence, fan out.
import { encode } from '../../protocol/codec';
import { HelloFlags, PacketType, RefuseReason, type Data, type Hello, type Packet } from '../../protocol/packets';
import { DEFAULT_ROOM, RoomFlags, type RoomEntry } from '../../protocol/rooms';
import type { Address, RelayEvents, RelayLimits, RelayTimers, RoomInfo } from '../types';
import { equalBytes } from '../../protocol/crypto';
import { KIND_REKEY } from '../../protocol/kinds';
import type { RekeyFields } from '../../protocol/rekey';
import { Activity } from './activity';
import { RepairBudget } from './budget';
import type { Entry } from './door';
import type { RoomGate } from './gate';
import { Heartbeat } from './heartbeat';
import type { Hosts } from './hosts';
import { Intake, type Ready, type Step } from './intake';
import type { LegacyBridge } from './legacy-bridge';
import { checkRekey, rotate } from './rekey';
import { Members, toMember, type Directory, type MemberState } from './members';
import { resendPlan, resumePoint } from './repair';
import type { Room } from './room';
import type { SequencedMessage, Sender } from './sequenced';
import { NotStoredError } from './store';
import type { Wire } from './wire';
import type { ClusterRoom } from './cluster-room';
import { SharedRoster } from './cluster-roster';
import { quietly } from './quietly';

/** How a room tells the relay's host what happens in it (the relay's protected emit, passed on). */
export interface RoomEvents {
  emit<K extends keyof RelayEvents>(event: K, ...args: RelayEvents[K]): void;
  listens(event: keyof RelayEvents): boolean;
}

/** What every room of a relay shares: the relay's wire, limits, directory and events. */
export interface RoomContext {
  readonly wire: Wire;
  readonly limits: Required<RelayLimits>;
  readonly timers: Required<RelayTimers>;
  readonly hosts: Hosts;
  readonly directory: Directory;
  /** The intakes' relay-wide count of pending bytes. */
  readonly pending: { pendingBytes: number };
  readonly events: RoomEvents;
  /** The main room's seed broadcast (--legacy-broadcast): only the default room has one. */
  readonly legacy?: { bridge: LegacyBridge; port: number };
}

/** Who may do what in a room: its creator's device key, a DM room's two keys. */
export interface RoomOwners {
  creator?: Uint8Array;
  dmKeys?: Uint8Array;
}

export class RoomHost {
  readonly joined: Members;
  private readonly intake: Intake;
  private readonly activity: Activity;
  private readonly heartbeat: Heartbeat;
  /** Members joined before the room last rolled over and not since (empty but for a moment every 2^32 messages). */
  private beforeRoll: Set<MemberState> | undefined;
  private storeRefusing = false;
  /** Writes what the store keeps of the room (room-info.json: its verifier, creator, DM keys), with a
   * store; call it after the gate changes (a rekey). Throws a ChatError when it cannot be written. */
  persist: () => void = () => undefined;
  /** A clustered room's stream (issue 15): messages are sequenced there, and fanned out as followed. */
  private cluster: ClusterRoom | undefined;
  /** The relay's other relays of the cluster, told to each member after its Welcome (packet Relays). */
  private relays: (() => Buffer | undefined) | undefined;
  /** A clustered room's members on every relay. */
  private shared: SharedRoster | undefined;

  constructor(
    readonly name: string,
    readonly room: Room,
    private readonly ctx: RoomContext,
    /** A sealed room's gate (H14's rekey calls its replace()); undefined for an open room. */
    readonly gate: RoomGate | undefined,
    readonly owners: RoomOwners = {},
  ) {
    this.joined = new Members(ctx.limits, ctx.hosts, ctx.directory, this);
    this.intake = new Intake(ctx.limits, (hex, msgId) => room.seqOf(hex, msgId), () => room.epoch, ctx.pending);
    this.activity = new Activity((packet, m) => ctx.wire.send(packet, m), () => this.joined.all(), () => this.room.headSeq);
    this.heartbeat = new Heartbeat(this.joined, room, ctx.wire, ctx.timers.heartbeatMs);
  }

  /** This room as the Rooms list shows it. */
  info(): RoomInfo {
    return { name: this.name, sealed: this.gate !== undefined, dm: this.owners.dmKeys !== undefined, members: this.joined.size, headSeq: this.room.headSeq };
  }

  entry(): RoomEntry {
    const i = this.info();
    return { name: i.name, flags: (i.sealed ? RoomFlags.Sealed : 0) | (i.dm ? RoomFlags.Dm : 0), members: i.members, headSeq: i.headSeq };
  }

  close(): void {
    this.heartbeat.dispose();
    this.room.close();
    void this.cluster?.close();
  }

  /** Makes this a clustered room: sequenced by its stream, fanned out as followed (cluster-room.ts);
   * `relays` is the Relays packet for its members, or undefined while there is no other relay. */
  clustered(cluster: ClusterRoom, relays: () => Buffer | undefined): void {
    this.cluster = cluster;
    this.relays = relays;
    const warn = quietly((message: string) => this.ctx.events.emit('warning', new Error(message)));
    if (cluster.presence) this.shared = new SharedRoster(cluster.presence, cluster.relayId, this.joined, warn);
    this.activity.share = (act) => cluster.shareActivity(act);
    cluster.onActivity((act) => this.activity.remote(act));
    cluster.attach((s) => {
      if (!this.room.adopt(s)) return;
      this.fanOut(s, Date.now());
      this.followedRekey(s);
    });
  }

  /** A clustered room's rekey, as followed: every relay checks it against its gate (the relay that
   * appended it did too, before) and rotates alike, since all follow one stream in one order. */
  private followedRekey(s: SequencedMessage): void {
    const head = s.head;
    if (!this.gate || head.kind !== 'other' || head.code !== KIND_REKEY) return;
    const author = s.signature?.subarray(0, 32);
    const verdict = checkRekey(this.gate, this.owners, author, s.text().toString('utf8'), this.name);
    if (verdict.ok) this.rotated(verdict.fields, author);
    else this.ctx.events.emit('warning', new Error(`A key change at seq ${s.seq}${this.where()} was not taken: ${verdict.detail}.`));
  }

  // ---- joining ----

  /** A Hello that came through the door for this room: the room admits the client (new, resumed,
   * renamed or moved), its waiting messages are released, and it is welcomed. True when it is a new member. */
  admit(p: Hello, entry: Entry, from: Address, member: MemberState | undefined, now: number): boolean {
    const admitted = this.joined.admit(p, from, member, now, entry.session);
    if (admitted.replaced) this.gone(admitted.replaced, 'leave'); // another client took over this address
    if (admitted.kind === 'full' || admitted.kind === 'hostFull') {
      const { maxMembers, membersPerHost } = this.ctx.limits;
      entry.refuse(RefuseReason.RoomFull, admitted.kind === 'full' ? `The room is full (${maxMembers} members).` : `Too many members from ${from.host} (${membersPerHost} per host).`);
      return false;
    }
    const m = admitted.member;
    this.beforeRoll?.delete(m);
    m.session = entry.session; // a new handshake replaces the old keys: what was sealed under them is dropped
    if (admitted.kind === 'joined') this.ctx.events.emit('joined', { ...toMember(m), address: { ...from }, room: this.name });
    // The client says where its unsequenced messages begin.
    for (const step of this.intake.release(m, p.firstUnacked)) this.take(step, m, now);
    const heartbeatMs = this.heartbeat.periodMs();
    m.heartbeatMs = heartbeatMs; // a fresh Welcome: the member now pings at this period
    const { roomId, epoch, headSeq } = this.room;
    const resume = resumePoint(p, this.room, this.ctx.limits.backfillMessages);
    entry.answer({ type: PacketType.Welcome, roomId, epoch, headSeq, ...resume, memberId: m.memberId, rosterVersion: this.joined.rosterVersion, heartbeatMs });
    const relays = this.relays?.();
    if (relays) this.ctx.wire.send(relays, m); // a clustered room's other relays, for failover
    this.activity.joined(m, (p.flags & HelloFlags.WantsActivity) !== 0); // after the Welcome: what the others have seen
    return admitted.kind === 'joined';
  }

  drop(m: MemberState, reason: 'leave' | 'timeout'): void {
    this.beforeRoll?.delete(m);
    this.activity.left(m);
    if (this.joined.drop(m)) this.gone(m, reason);
  }

  /** A member is no longer one: what it had half sent goes, and the host hears of it. */
  private gone(m: MemberState, reason: 'leave' | 'timeout'): void {
    this.intake.forgetAll(m);
    this.ctx.events.emit('left', { ...toMember(m), reason, room: this.name });
  }

  // ---- a member's packet ----

  /** A member's packet other than the few the relay answers itself (RoomsRequest, KeyRequest). */
  memberPacket(p: Data | Packet, m: MemberState, now: number): void {
    const wire = this.ctx.wire;
    switch (p.type) {
      case PacketType.Data:
        if (this.beforeRoll?.has(m)) return wire.send(encode({ type: PacketType.NotJoined, epoch: this.room.epoch }), m);
        // Checked, reassembled and put in the sender's order by the intake; what it returns is done here.
        for (const step of this.intake.data(p, m, now)) this.take(step, m, now);
        return;
      case PacketType.Resend:
        return this.onResend(m, p.fromSeq, p.toSeq, now);
      case PacketType.Ping:
        return wire.send(this.heartbeat.pong(p.nonce, m), m);
      case PacketType.RosterRequest:
        return this.sendPages(this.joined.rosterPages(), m, now);
      case PacketType.Leave:
        if (p.clientId.equals(m.clientId)) this.drop(m, 'leave');
        return;
      case PacketType.Typing:
        return this.activity.typing(m, now);
      case PacketType.Seen:
        return this.activity.seen(m, p.seq);
      default:
        return;
    }
  }

  /** Pages (a roster, the rooms list) within the member's byte budget, or not at all: it asks again. */
  sendPages(pages: Buffer[], m: MemberState, now: number): void {
    if (!this.budget(m, now).take(pages.reduce((n, b) => n + b.length, 0), 0, now)) return;
    for (const page of pages) this.ctx.wire.send(page, m);
  }

  /** Does what the intake decided for a member's message, in its order. */
  private take(step: Step, m: MemberState, now: number): void {
    switch (step.kind) {
      case 'reply':
        return this.ctx.wire.send(encode(step.packet), m);
      case 'slowDown':
        if (step.pending) this.ctx.wire.counters.rateLimited++;
        return this.slowDown(m, now);
      case 'sequence':
        return this.sequence(m, step.ready, now);
      case 'malformed':
        throw step.error; // after the Refused step: counted and reported like any bad datagram
      default: {
        const _exhaustive: never = step;
        throw new Error(`Unknown intake step ${(_exhaustive as Step).kind}`);
      }
    }
  }

  /** Gives a member's message its seq and fans it out. The sender is a member and gets its copy too:
   * that copy, which carries its msgId and the seq, is its acknowledgement. If the copy is lost, the
   * sender's retransmission meets the de-duplication table and gets an explicit Ack with the seq. */
  private sequence(m: MemberState, r: Ready, now: number): void {
    const room = this.room.roomId;
    // A sealed room's new key (issue 9, rekey.ts): only from its creator or an admin, checked before it has a seq.
    const rekey = r.head.kind === 'other' && r.head.code === KIND_REKEY ? checkRekey(this.gate, this.owners, m.session?.devicePublicKey, r.text.toString('utf8'), this.name) : undefined;
    if (rekey && !rekey.ok) return this.ctx.wire.send(encode({ type: PacketType.Refused, reason: RefuseReason.Malformed, msgId: r.msgId, detail: rekey.detail }), m);
    if (this.cluster) return this.append(this.cluster, m, r, now); // a rekey takes effect as followed, at every relay
    const s = this.stored(() => this.room.sequence(m, false, r.msgId, r.head, r.text, now));
    // Not on disk, so not acknowledged and no seq used: the sender shows why and can send it again.
    if (s instanceof NotStoredError) return this.ctx.wire.send(encode({ type: PacketType.Refused, reason: RefuseReason.NotStored, msgId: r.msgId, detail: s.message }), m);
    this.fanOut(s, now);
    if (rekey?.ok) this.rotated(rekey.fields, m.session?.devicePublicKey);
    // The room rolled over: its members' messages in flight are signed for the old room, so each is
    // sent to join again (and sign them anew) before anything more of theirs is sequenced.
    if (this.room.roomId !== room) {
      this.beforeRoll = new Set(this.joined.all());
      this.activity.clear();
    }
  }

  /** A clustered room's message goes to its stream; the fan-out of what is followed acknowledges it. A
   * retransmission the stream already has is acknowledged here once its seq is known. */
  private append(cluster: ClusterRoom, m: MemberState, r: Ready, now: number): void {
    // Answered later: only while it is still this room's member (it may have left, or moved relay).
    const here = () => this.joined.client(m.hex) === m && m.room === this;
    const refuse = (detail: string): void => {
      if (here()) this.ctx.wire.send(encode({ type: PacketType.Refused, reason: RefuseReason.NotStored, msgId: r.msgId, detail }), m);
    };
    const appending = cluster.append(m, r.msgId, r.head, r.text, now);
    if (appending === 'busy') return; // being appended: its fan-out acknowledges it
    if (appending === 'full') return refuse('the relay\'s cluster is not keeping up (too many messages wait for it); send it again later');
    appending.then(
      (result) => {
        this.storeWrites(true, undefined);
        if (result.kind === 'sequenced') return;
        const seq = this.room.seqOf(m.hex, r.msgId);
        if (seq > 0 && here()) this.ctx.wire.send(encode({ type: PacketType.Ack, msgId: r.msgId, fragIndex: 0, seq, epoch: this.room.epoch }), m);
      },
      (err: unknown) => {
        const why = (err as Error).message;
        this.storeWrites(false, `the cluster does not take messages${this.where()} (${why}): messages are refused, and their senders told, until it does`);
        refuse(`the relay's cluster cannot take messages now (${why}); send it again later`);
      },
    ).catch((e: unknown) => this.ctx.events.emit('warning', e instanceof Error ? e : new Error(String(e)))); // a listener that threw: said, not an unhandled rejection
  }

  private where(): string {
    return this.name === DEFAULT_ROOM ? '' : ` (room ${this.name})`;
  }

  /** Tells the host once when messages start being refused (a full disk, a cluster without a quorum), and once when they are kept again. */
  private storeWrites(writing: boolean, detail: string | undefined): void {
    if (this.storeRefusing !== writing) return;
    this.storeRefusing = !writing;
    this.ctx.events.emit('store', { writing, detail: detail ?? `the store writes again${this.where()}: messages are kept and acknowledged` });
  }

  /** A rekey was sequenced: the gate moves to the new verifier, and each member it leaves out is told
   * to join again (NotJoined), which its old proof no longer does (Refused, reason Removed). */
  private rotated(fields: RekeyFields, by: Uint8Array | undefined): void {
    const gate = this.gate!;
    const creator = this.owners.creator;
    rotate(gate, fields, creator !== undefined && by !== undefined && equalBytes(creator, by));
    try {
      this.persist(); // with a store: the new verifier and who may still prove an older one survive a restart
    } catch (err) {
      this.ctx.events.emit('warning', new Error(`The room ${this.name}'s new key could not be stored (${(err as Error).message}): a restart would forget the rotation.`));
    }
    for (const x of [...this.joined.all()]) {
      if (x.session && gate.rotation?.keeps(x.session.devicePublicKey)) continue;
      this.ctx.wire.send(encode({ type: PacketType.NotJoined, epoch: this.room.epoch }), x);
      this.drop(x, 'leave');
    }
  }

  /** A seed client's line, into this (the default) room: false if the store refused it. */
  seedLine(sender: Sender, msgId: number, text: Buffer, now: number, verbatim: Buffer | undefined): boolean {
    const s = this.stored(() => this.room.sequence(sender, true, msgId, { kind: 'text', totalBytes: text.length }, text, now));
    if (s instanceof NotStoredError) return false; // a seed client cannot be told; its line is not kept
    this.fanOut(s, now, verbatim);
    return true;
  }

  /** The same datagrams to every member, the seed broadcast, and the 'message' event. `seedLine` is
   * the datagram a seed message came in as, when it can be broadcast as it is. */
  private fanOut(s: SequencedMessage, now: number, seedLine?: Buffer): void {
    const { wire, legacy, events } = this.ctx;
    const members = this.joined.all();
    if (members.length > 0) {
      const frags = this.room.datagrams(s);
      if (frags.length === 1) for (let i = 0; i < members.length; i++) wire.send(frags[0], members[i]);
      else for (const m of members) for (const f of frags) wire.send(f, m);
    }
    this.heartbeat.fannedOut(now);
    if (legacy?.bridge.address) for (const piece of legacy.bridge.pieces(s, now, seedLine)) wire.sendTo(piece, legacy.bridge.address, legacy.port);
    if (events.listens('message')) events.emit('message', { ...s.message(), room: this.name });
  }

  // ---- repair, slowing down, leases ----

  /** Repairs within the member's byte budget (budget.ts); what does not fit now is asked for again. */
  private onResend(m: MemberState, fromSeq: number, toSeq: number, now: number): void {
    const budget = this.budget(m, now);
    budget.resend(fromSeq, now);
    for (const part of resendPlan(this.room, fromSeq, toSeq)) {
      if (part.kind === 'gone') this.ctx.wire.send(encode({ type: PacketType.Gone, fromSeq: part.fromSeq, toSeq: part.toSeq }), m);
      else {
        let bytes = 0;
        for (const f of part.frags) bytes += f.length;
        if (!budget.take(bytes, part.seq, now)) return;
        this.ctx.wire.counters.retransmitsServed++;
        for (const f of part.frags) this.ctx.wire.send(f, m);
      }
    }
  }

  private budget(m: MemberState, now: number): RepairBudget {
    return (m.repair ??= new RepairBudget(this.ctx.limits, now));
  }

  slowDown(m: MemberState, now: number): void {
    if (now - m.lastSlowDown < 1000) return;
    m.lastSlowDown = now;
    this.ctx.wire.send(encode({ type: PacketType.SlowDown, retryAfterMs: Math.max(m.messages.waitMs(), 50) }), m);
  }

  /** Sequences a message (`room.sequence`), or returns why the store refused it. The operator hears
   * once when the store starts refusing writes (a full disk), not once per message, and once when it
   * writes again. */
  private stored(sequence: () => SequencedMessage): SequencedMessage | NotStoredError {
    let s: SequencedMessage;
    try {
      s = sequence();
    } catch (err) {
      if (!(err instanceof NotStoredError)) throw err;
      this.storeWrites(false, `the store cannot write${this.where()} (${err.failure.code ?? err.failure.message}): messages are refused, and their senders told, until it can`);
      return err;
    }
    this.storeWrites(true, undefined);
    return s;
  }

  /** The relay's tick: the seen count, a roster beacon, and (`sweep`) leases and reassembly. */
  tick(now: number, sweep: boolean, warn: (err: unknown) => void): void {
    this.activity.countSeen(now);
    if (this.joined.takeRosterChange()) {
      this.heartbeat.beacon(true);
      this.shared?.sync();
    }
    if (!sweep) return;
    for (const m of this.joined.expired(now, this.ctx.timers.leaseBeats)) this.drop(m, 'timeout');
    for (const m of [...this.joined.all()]) {
      try {
        for (const step of this.intake.expire(m, now, this.ctx.timers.reassemblyMs)) this.take(step, m, now);
      } catch (err) {
        warn(err);
      }
    }
  }

  /** How often this room's members ping (the relay sweeps leases at a quarter of the shortest). */
  periodMs(): number {
    return this.heartbeat.periodMs();
  }
}
