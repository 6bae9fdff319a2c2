// The relay: one UDP socket, one room. It validates addresses, sequences what members send, fans it
// out, repairs gaps from its history, and keeps members' leases. Bad datagrams become 'warning'
// events; nothing a peer sends can throw out of the receive handler.
import * as dgram from 'node:dgram';
import { decode, encode, isEnvelope, ProtocolError } from '../../protocol/codec';
import { HelloFlags, PacketType, Presence, RefuseReason, type Data, type Hello, type Packet } from '../../protocol/packets';
import { CookieJar } from './cookies';
import { TypedEmitter } from '../emitter';
import { ChatError } from '../errors';
import { RELAY_LIMITS, RELAY_TIMERS, TokenBucket } from '../limits';
import { addressKey, AMPLIFICATION_FACTOR, rosterPages, Strangers, toMember, type MemberState, type Stranger } from './members';
import { Intake } from './intake';
import { LegacyBridge } from './legacy-bridge';
import { bindRelaySocket, checkRelayOptions } from './socket';
import { Room, ZERO_ID, type SequencedMessage } from './room';
import type { Address, Member, RelayEvents, RelayLimits, RelayOptions, RelayStats, RelayTimers } from '../types';
import { nameProblem } from '../validate';

const MAX_RESEND_SPAN = 64; // seqs served per Resend request
/** A room's idle members ping at most 1000/10 = 100 times a second in all: the heartbeat period is the
 * configured one (5 s) up to 500 members, then grows with the room (50 s at 5,000). */
const HEARTBEAT_MS_PER_MEMBER = 10;
const TAIL_BEACON_MS = 30; // after a burst goes quiet, tell members the head so a lost last message is noticed

export class Relay extends TypedEmitter<RelayEvents> {
  readonly notices: string[] = [];
  private readonly limits: Required<RelayLimits>;
  private readonly timers: Required<RelayTimers>;
  private readonly byAddress = new Map<string, MemberState>();
  private readonly byClient = new Map<string, MemberState>();
  private readonly strangers: Strangers;
  private readonly cookies: CookieJar;
  private readonly counters: RelayStats = { members: 0, headSeq: 0, datagramsIn: 0, datagramsOut: 0, bytesIn: 0, bytesOut: 0, malformed: 0, legacyIn: 0, rateLimited: 0, retransmitsServed: 0 };
  private readonly legacy: LegacyBridge;
  private readonly intake: Intake;
  private nextMemberId = 1;
  private rosterVersion = 1;
  private rosterDirty = false;
  private legacyMsgId = 0;
  private lastFanout = 0;
  private tick: NodeJS.Timeout | undefined;
  private sweptAt = 0;
  private tail: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly room: Room,
    opts: RelayOptions,
    private readonly bound: Address,
  ) {
    super();
    this.limits = { ...RELAY_LIMITS, ...opts.limits };
    this.timers = { ...RELAY_TIMERS, ...opts.timers };
    this.cookies = new CookieJar(this.timers.cookieMs);
    this.legacy = new LegacyBridge(opts.legacyBroadcast, bound);
    this.intake = new Intake({
      room,
      limits: this.limits,
      send: (m, p) => this.sendTo(encode(p), m.host, m.port),
      slowDown: (m, now) => this.slowDown(m, now),
      publish: (s, now) => this.publish(s, now),
      overLimit: () => this.counters.rateLimited++,
    });
    const now = Date.now();
    this.strangers = new Strangers(this.limits.unvalidatedAddresses, () => ({
      packets: new TokenBucket(this.limits.addressPacketsPerSecond, this.limits.addressBurst, now),
      bytesIn: 0,
      bytesOut: 0,
    }));
    socket.on('message', (buf, rinfo) => this.receive(buf, rinfo));
    socket.on('error', (err) => this.emit('warning', err));
    this.tick = setInterval(() => this.onTick(), Math.max(10, Math.min(250, this.timers.heartbeatMs / 4)));
    this.tick.unref();
  }

  /** Binds and starts a relay. Rejects with a ChatError saying what to do. */
  static async start(opts: RelayOptions = {}): Promise<Relay> {
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port ?? 2410;
    checkRelayOptions(opts);
    const room = new Room({
      storeDir: opts.store,
      fsync: opts.fsync ?? false,
      historyMessages: opts.limits?.historyMessages ?? RELAY_LIMITS.historyMessages,
      historyBytes: opts.limits?.historyBytes ?? RELAY_LIMITS.historyBytes,
      storeBytes: opts.limits?.storeBytes,
    });
    const notices: string[] = [];
    notices.push(...room.storeNotices);
    let socket: dgram.Socket;
    try {
      socket = await bindRelaySocket(host, port, opts, notices);
    } catch (err) {
      room.close();
      throw err;
    }
    const a = socket.address();
    const relay = new Relay(socket, room, opts, { host: a.address, port: a.port });
    relay.notices.push(...notices);
    return relay;
  }

  address(): Address {
    return { ...this.bound };
  }

  stats(): RelayStats {
    return { ...this.counters, members: this.byAddress.size, headSeq: this.room.headSeq };
  }

  /** The member list, for a host that shows it (the extension, `relay --log`). */
  members(): Member[] {
    return [...this.byAddress.values()].map(toMember);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tick);
    clearTimeout(this.tail);
    this.room.close();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    this.removeAllListeners();
  }

  private warn(message: string): void {
    this.emit('warning', new Error(message));
  }

  private receive(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const now = Date.now();
    this.counters.datagramsIn++;
    this.counters.bytesIn += buf.length;
    const key = addressKey(rinfo.address, rinfo.port);
    const member = this.byAddress.get(key);
    const stranger = member ? undefined : this.strangers.get(key);
    if (stranger) stranger.bytesIn += buf.length;
    if (!(member ?? stranger!).packets.take(now)) {
      this.counters.rateLimited++;
      if (member) this.slowDown(member, now);
      return;
    }
    try {
      if (!isEnvelope(buf)) return this.onLegacy(buf, { host: rinfo.address, port: rinfo.port }, key, stranger, now);
      const p = decode(buf);
      if (member) {
        member.lastSeen = now;
        if (member.presence === Presence.Away) this.setPresence(member, Presence.Online);
      }
      this.dispatch(p, key, rinfo, member, stranger, now);
    } catch (err) {
      // Nothing one datagram does may stop the relay: a bad packet is counted, and anything else
      // (a store that cannot be written, a listener that throws, a bug) is reported and survived.
      if (err instanceof ProtocolError) this.counters.malformed++;
      const what = err instanceof ProtocolError || err instanceof ChatError ? (err as Error).message : `Internal error: ${String((err as Error)?.stack ?? err)}`;
      this.warn(`${what} (datagram from ${rinfo.address}:${rinfo.port})`);
    }
  }

  private dispatch(p: Packet, key: string, rinfo: dgram.RemoteInfo, member: MemberState | undefined, stranger: Stranger | undefined, now: number): void {
    switch (p.type) {
      case PacketType.Hello:
        return this.onHello(p, key, rinfo, member, stranger, now);
      case PacketType.Data:
      case PacketType.Resend:
      case PacketType.Ping:
      case PacketType.RosterRequest:
      case PacketType.Leave:
        if (!member) return this.sendTo(encode({ type: PacketType.NotJoined, epoch: this.room.epoch }), rinfo.address, rinfo.port, stranger);
        return this.onMemberPacket(p, member, now);
      case PacketType.Retry:
      case PacketType.Welcome:
      case PacketType.Ack:
      case PacketType.Msg:
      case PacketType.Gone:
      case PacketType.Pong:
      case PacketType.Roster:
      case PacketType.NotJoined:
      case PacketType.Refused:
      case PacketType.SlowDown:
        throw new ProtocolError(`Unexpected ${PacketType[p.type]} packet (only a relay sends those)`);
      default: {
        const _exhaustive: never = p;
        throw new ProtocolError(`Unexpected packet ${(_exhaustive as Packet).type}`);
      }
    }
  }

  private onMemberPacket(p: Data | Packet, m: MemberState, now: number): void {
    switch (p.type) {
      case PacketType.Data:
        return this.intake.data(p, m, now);
      case PacketType.Resend:
        return this.onResend(m, p.fromSeq, p.toSeq);
      case PacketType.Ping:
        return this.sendTo(this.pong(p.nonce, m), m.host, m.port);
      case PacketType.RosterRequest:
        for (const page of rosterPages(this.rosterVersion, this.byAddress.values())) this.sendTo(page, m.host, m.port);
        return;
      case PacketType.Leave:
        if (p.clientId.equals(m.clientId)) this.drop(m, 'leave');
        return;
      default:
        return;
    }
  }

  private onHello(p: Hello, key: string, rinfo: dgram.RemoteInfo, member: MemberState | undefined, stranger: Stranger | undefined, now: number): void {
    const { address: host, port } = rinfo;
    if (!member) {
      if (p.cookie.length === 0 || !this.cookies.check(key, p.cookie, now)) {
        return this.sendTo(encode({ type: PacketType.Retry, cookie: this.cookies.mint(key, now) }), host, port, stranger);
      }
    }
    const refuse = (reason: RefuseReason, detail: string) => this.sendTo(encode({ type: PacketType.Refused, reason, msgId: 0, detail }), host, port);
    const problem = nameProblem(p.name);
    if (problem) return refuse(RefuseReason.BadName, problem);
    const hex = p.clientId.toString('hex');
    let m = member && member.hex === hex ? member : undefined;
    if (member && !m) this.drop(member, 'leave'); // another client took over this address
    const elsewhere = this.byClient.get(hex);
    if (!m && elsewhere) {
      // The same client from a new address (restarted socket, NAT rebinding): move it.
      this.byAddress.delete(elsewhere.key);
      Object.assign(elsewhere, { key, host, port });
      this.byAddress.set(key, elsewhere);
      m = elsewhere;
    }
    if (!m) {
      if (this.byAddress.size >= this.limits.maxMembers) return refuse(RefuseReason.RoomFull, `The room is full (${this.limits.maxMembers} members).`);
      m = {
        memberId: this.nextMemberId++, clientId: Buffer.from(p.clientId), hex, name: p.name, key, host, port, lastSeen: now, heartbeatMs: 0,
        presence: Presence.Online, wantsRoster: (p.flags & HelloFlags.WantsRoster) !== 0,
        packets: new TokenBucket(this.limits.addressPacketsPerSecond, this.limits.addressBurst, now),
        messages: new TokenBucket(this.limits.memberMessagesPerSecond, this.limits.memberBurst, now), lastSlowDown: 0,
        expect: p.firstUnacked,
      };
      this.byAddress.set(key, m);
      this.byClient.set(hex, m);
      this.strangers.delete(key);
      this.rosterChanged();
      this.emit('joined', { ...toMember(m), address: { host, port } });
    } else if (m.name !== p.name) {
      m.name = p.name;
      this.rosterChanged();
    }
    m.wantsRoster = (p.flags & HelloFlags.WantsRoster) !== 0;
    this.intake.release(m, p.firstUnacked, now); // the client says where its unsequenced messages begin
    const heartbeatMs = this.heartbeatMs();
    m.heartbeatMs = heartbeatMs; // a fresh Welcome: the member now pings at this period
    this.sendTo(encode({ type: PacketType.Welcome, roomId: this.room.roomId, epoch: this.room.epoch, headSeq: this.room.headSeq, ...this.resumePoint(p), memberId: m.memberId, rosterVersion: this.rosterVersion, heartbeatMs }), host, port);
  }

  /** Where a joining client should start: just after what it has, or the recent history. */
  private resumePoint(p: Hello): { fromSeq: number; lostCount: number } {
    const head = this.room.headSeq;
    const first = this.room.firstSeq;
    if (p.roomId === this.room.roomId && p.lastSeq > 0 && p.lastSeq <= head) {
      const from = p.lastSeq + 1;
      return from >= first ? { fromSeq: from, lostCount: 0 } : { fromSeq: first, lostCount: first - from };
    }
    return { fromSeq: Math.max(first, head - this.limits.backfillMessages + 1, 1), lostCount: 0 };
  }

  private onLegacy(buf: Buffer, from: Address, key: string, stranger: Stranger | undefined, now: number): void {
    const seed = this.legacy.read(buf, from);
    if (!seed) return; // our own broadcast, back through the port we share
    const { name, text } = seed;
    this.counters.legacyIn++;
    const s = stranger ?? this.strangers.get(key);
    s.messages ??= new TokenBucket(this.limits.memberMessagesPerSecond, this.limits.memberBurst, now);
    if (!s.messages.take(now)) {
      this.counters.rateLimited++;
      return;
    }
    this.legacyMsgId = (this.legacyMsgId + 1) >>> 0 || 1;
    this.publish(this.room.sequence(ZERO_ID.toString('hex'), name, true, this.legacyMsgId, { kind: 'text', text }, now), now);
  }

  private publish(s: SequencedMessage, now: number): void {
    if (this.byAddress.size > 0) {
      const frags = s.frags();
      for (const m of this.byAddress.values()) for (const f of frags) this.sendTo(f, m.host, m.port);
    }
    this.lastFanout = now;
    this.tail ??= setTimeout(() => this.tailBeacon(), TAIL_BEACON_MS);
    for (const piece of this.legacy.pieces(s.message, now)) this.sendTo(piece, this.legacy.address!, this.bound.port);
    this.emit('message', s.message);
  }

  private tailBeacon(): void {
    this.tail = undefined;
    const quiet = Date.now() - this.lastFanout;
    if (quiet < TAIL_BEACON_MS) {
      this.tail = setTimeout(() => this.tailBeacon(), TAIL_BEACON_MS - quiet);
      return;
    }
    this.beacon(false);
  }

  /** The heartbeat period for the room as it is now. */
  private heartbeatMs(): number {
    return Math.max(this.timers.heartbeatMs, this.byAddress.size * HEARTBEAT_MS_PER_MEMBER);
  }

  /** A Pong for `m` (or for every member, a beacon), telling the current heartbeat period. */
  private pong(nonce: number, m?: MemberState): Buffer {
    const heartbeatMs = this.heartbeatMs();
    if (m) m.heartbeatMs = Math.max(m.heartbeatMs, heartbeatMs);
    return encode({ type: PacketType.Pong, nonce, epoch: this.room.epoch, headSeq: this.room.headSeq, rosterVersion: this.rosterVersion, heartbeatMs });
  }

  /** An unsolicited Pong: the head (so a lost last message is noticed) and the roster version. */
  private beacon(rosterOnly: boolean): void {
    const pong = this.pong(0);
    const heartbeatMs = this.heartbeatMs();
    for (const m of this.byAddress.values()) {
      if (rosterOnly && !m.wantsRoster) continue;
      m.heartbeatMs = Math.max(m.heartbeatMs, heartbeatMs);
      this.sendTo(pong, m.host, m.port);
    }
  }

  private onResend(m: MemberState, fromSeq: number, toSeq: number): void {
    const to = Math.min(toSeq, this.room.headSeq, fromSeq + MAX_RESEND_SPAN - 1);
    const first = this.room.firstSeq;
    if (fromSeq < first) this.sendTo(encode({ type: PacketType.Gone, fromSeq, toSeq: Math.min(first - 1, toSeq) }), m.host, m.port);
    for (let seq = Math.max(fromSeq, first); seq <= to; seq++) {
      const frags = this.room.history(seq);
      if (!frags) {
        // Missing inside the history: lost with a damaged store. Saying so keeps the member from waiting forever.
        let end = seq;
        while (end < to && !this.room.history(end + 1)) end++;
        this.sendTo(encode({ type: PacketType.Gone, fromSeq: seq, toSeq: end }), m.host, m.port);
        seq = end;
        continue;
      }
      this.counters.retransmitsServed++;
      for (const f of frags) this.sendTo(f, m.host, m.port);
    }
  }

  private slowDown(m: MemberState, now: number): void {
    if (now - m.lastSlowDown < 1000) return;
    m.lastSlowDown = now;
    this.sendTo(encode({ type: PacketType.SlowDown, retryAfterMs: Math.max(m.messages.waitMs(), 50) }), m.host, m.port);
  }

  /** Sends a datagram; to an unvalidated address only within the amplification budget. */
  private sendTo(buf: Buffer, host: string, port: number, stranger?: Stranger): void {
    if (stranger) {
      if (stranger.bytesOut + buf.length > AMPLIFICATION_FACTOR * stranger.bytesIn) return;
      stranger.bytesOut += buf.length;
    }
    this.counters.datagramsOut++;
    this.counters.bytesOut += buf.length;
    this.socket.send(buf, port, host);
  }

  private setPresence(m: MemberState, presence: Presence): void {
    m.presence = presence;
    this.rosterChanged();
  }

  private rosterChanged(): void {
    this.rosterVersion = (this.rosterVersion + 1) >>> 0 || 1;
    this.rosterDirty = true;
  }

  private drop(m: MemberState, reason: 'leave' | 'timeout'): void {
    if (this.byAddress.get(m.key) !== m) return;
    this.intake.forgetAll(m);
    this.byAddress.delete(m.key);
    this.byClient.delete(m.hex);
    this.rosterChanged();
    this.emit('left', { ...toMember(m), reason });
  }

  private onTick(): void {
    const now = Date.now();
    this.legacy.expire(now);
    if (this.rosterDirty) {
      this.rosterDirty = false;
      this.beacon(true);
    }
    // Leases are counted in heartbeat periods, so a sweep every quarter period (at most every
    // second) is precise enough; sweeping thousands of idle members four times a second is not free.
    if (now - this.sweptAt < Math.min(1000, this.heartbeatMs() / 4)) return;
    this.sweptAt = now;
    for (const m of this.byAddress.values()) {
      // Counted in the period this member was told: when the room grows it pings less often.
      const silent = now - m.lastSeen;
      if (silent > m.heartbeatMs * this.timers.leaseBeats) this.drop(m, 'timeout');
      else if (silent > m.heartbeatMs * 1.5 && m.presence === Presence.Online) this.setPresence(m, Presence.Away);
      this.intake.expire(m, now, this.timers.reassemblyMs);
    }
  }
}
