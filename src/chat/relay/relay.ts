// The relay: one UDP socket, one room. It validates addresses, sequences what members send, fans it
// out, repairs gaps from its history, and keeps members' leases. Bad datagrams become 'warning'
// events; nothing a peer sends can throw out of the receive handler. From the socket handler down,
// a datagram goes: look up the sender, rate limit, decode, check and order (the intake), sequence
// (the room), fan out.
import type * as dgram from 'node:dgram';
import { decode, encode, isEnvelope, ProtocolError } from '../../protocol/codec';
import { selectCrypto } from '../../protocol/crypto';
import { encodeClear, frame, isV2, type HelloAuth } from '../../protocol/v2';
import { readLegacy } from '../../protocol/legacy';
import { DEFAULT_PORT, HelloFlags, PacketType, RefuseReason, type Data, type Hello, type Packet } from '../../protocol/packets';
import { TypedEmitter } from '../emitter';
import { ChatError } from '../errors';
import { RELAY_LIMITS, RELAY_TIMERS, TokenBucket } from '../limits';
import type { Address, Member, RelayEvents, RelayLimits, RelayOptions, RelayStats, RelayTimers } from '../types';
import { RepairBudget } from './budget';
import { CookieJar } from './cookies';
import { Door } from './door';
import { RoomGate } from './gate';
import { Activity } from './activity';
import { Intake, type Ready, type Step } from './intake';
import { LegacyBridge } from './legacy-bridge';
import { Heartbeat } from './heartbeat';
import { Members, toMember, type MemberState } from './members';
import { resendPlan, resumePoint } from './repair';
import { Room } from './room';
import type { SequencedMessage } from './sequenced';
import { bindRelaySocket, checkRelayOptions } from './socket';
import { NotStoredError } from './store';
import { relayKey, RelaySessions } from './sessions';
import { Strangers, type Stranger } from './strangers';
import { hostLimitsOf, Hosts, takeMessage } from './hosts';
import { Wire } from './wire';

export class Relay extends TypedEmitter<RelayEvents> {
  readonly notices: string[] = [];
  private readonly limits: Required<RelayLimits>;
  private readonly timers: Required<RelayTimers>;
  private readonly joined: Members;
  private readonly strangers: Strangers;
  private readonly cookies: CookieJar;
  private readonly intake: Intake;
  /** Members joined before the room last rolled over and not since (empty but for a moment every 2^32 messages). */
  private beforeRoll: Set<MemberState> | undefined;
  /** Who is typing and how far each member has seen: ephemeral, for members that asked for it. */
  private readonly activity: Activity;
  private readonly legacy: LegacyBridge;
  private readonly wire: Wire;
  private readonly sessions: RelaySessions;
  private readonly door: Door;
  private readonly heartbeat: Heartbeat;
  private tick: NodeJS.Timeout | undefined;
  private sweptAt = 0;
  private closed = false;
  private storeRefusing = false;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly room: Room,
    opts: RelayOptions,
    private readonly bound: Address,
    sessions: RelaySessions,
    gate: RoomGate | undefined,
  ) {
    super();
    const limits = (this.limits = { ...RELAY_LIMITS, ...opts.limits });
    this.timers = { ...RELAY_TIMERS, ...opts.timers };
    this.joined = new Members(limits, new Hosts(hostLimitsOf(opts.limits, limits)));
    this.strangers = new Strangers(limits.unvalidatedAddresses, limits.addressPacketsPerSecond, limits.addressBurst);
    this.cookies = new CookieJar(this.timers.cookieMs);
    this.intake = new Intake(limits, (hex, msgId) => room.seqOf(hex, msgId), () => room.epoch);
    this.legacy = new LegacyBridge(opts.legacyBridge === true || opts.legacyBroadcast !== undefined, opts.legacyBroadcast, bound);
    this.sessions = sessions;
    this.wire = new Wire(socket, (session, packet) => sessions.seal(session, packet));
    this.activity = new Activity((packet, m) => this.wire.send(packet, m), () => this.joined.all(), () => this.room.headSeq);
    this.door = new Door(this.cookies, sessions, this.joined, this.wire, (message) => this.warn(message), gate);
    this.heartbeat = new Heartbeat(this.joined, room, this.wire, this.timers.heartbeatMs);
    socket.on('message', (buf, rinfo) => this.receive(buf, rinfo));
    socket.on('error', (err) => this.emit('warning', err));
    this.tick = setInterval(() => this.onTick(), Math.max(10, Math.min(250, this.timers.heartbeatMs / 4)));
    this.tick.unref();
  }

  /** Binds and starts a relay. Rejects with a ChatError saying what to do. */
  static async start(opts: RelayOptions = {}): Promise<Relay> {
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port ?? DEFAULT_PORT;
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
    let sessions: RelaySessions;
    let gate: RoomGate | undefined;
    try {
      const { crypto } = await selectCrypto();
      if (opts.roomVerifier) gate = new RoomGate(crypto, opts.roomVerifier);
      sessions = new RelaySessions(crypto, opts.key ?? (opts.keyFile ? await relayKey(crypto, opts.keyFile, opts.store) : crypto.signingKey(crypto.random(32))));
      socket = await bindRelaySocket(host, port, opts, notices);
    } catch (err) {
      room.close();
      throw err;
    }
    const a = socket.address();
    const relay = new Relay(socket, room, opts, { host: a.address, port: a.port }, sessions, gate);
    relay.notices.push(...notices);
    return relay;
  }

  address(): Address {
    return { ...this.bound };
  }

  /** The relay's long-term public key, which clients pin (protocol 2). */
  get publicKey(): Uint8Array {
    return this.sessions.publicKey;
  }

  /** Its fingerprint (52 base32 characters), what people compare and discovery announces. */
  get fingerprint(): string {
    return this.sessions.fingerprint;
  }

  stats(): RelayStats {
    return { ...this.wire.counters, members: this.joined.size, headSeq: this.room.headSeq };
  }

  /** The member list, for a host that shows it (the extension, `relay --log`). */
  members(): Member[] {
    return this.joined.all().map(toMember);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tick);
    this.heartbeat.dispose();
    this.room.close();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    this.removeAllListeners();
  }

  // ---- a datagram, top to bottom ----

  private receive(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const now = Date.now();
    this.wire.counters.datagramsIn++;
    this.wire.counters.bytesIn += buf.length;
    const { address: host, port } = rinfo;
    const member = this.joined.at(host, port);
    const stranger = member ? undefined : this.strangers.get(host, port, now);
    if (stranger) stranger.bytesIn += buf.length;
    if (!this.joined.hosts.of(host, now).packets.take(now) || !(member ?? stranger!).packets.take(now)) {
      // Over its host's or its address's datagram rate: dropped before it is even decoded.
      this.wire.counters.rateLimited++;
      if (member) this.slowDown(member, now);
      return;
    }
    try {
      if (!isEnvelope(buf)) return this.onSeedLine(buf, rinfo, stranger ?? this.strangers.get(host, port, now), now);
      if (isV2(buf)) return this.receiveV2(buf, rinfo, member, stranger, now);
      const p = decode(buf);
      // A protocol 2 member's address: only what opens under its session counts.
      if (member?.session) return void this.wire.counters.unauthenticated++;
      if (member) this.joined.heard(member, now);
      this.dispatch(p, rinfo, member, stranger, now);
    } catch (err) {
      // Nothing one datagram does may stop the relay: a bad packet is counted, and anything else
      // (a store that cannot be written, a listener that throws, a bug) is reported and survived.
      if (err instanceof ProtocolError) this.wire.counters.malformed++;
      const what = err instanceof ProtocolError || err instanceof ChatError ? err.message : `Internal error: ${String((err as Error)?.stack ?? err)}`;
      this.warn(`${what} (datagram from ${host}:${port})`);
    }
  }

  private dispatch(p: Packet, from: dgram.RemoteInfo, member: MemberState | undefined, stranger: Stranger | undefined, now: number): void {
    switch (p.type) {
      case PacketType.Hello:
        return this.door.upgrade(from, stranger);
      case PacketType.Data:
      case PacketType.Resend:
      case PacketType.Ping:
      case PacketType.RosterRequest:
      case PacketType.Leave:
      case PacketType.Typing:
      case PacketType.Seen:
        if (!member) return this.wire.sendTo(encode({ type: PacketType.NotJoined, epoch: this.room.epoch }), from.address, from.port, stranger);
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
      case PacketType.SeenCount:
        throw new ProtocolError(`Unexpected ${PacketType[p.type]} packet (only a relay sends those)`);
      default: {
        const _exhaustive: never = p;
        throw new ProtocolError(`Unexpected packet ${(_exhaustive as Packet).type}`);
      }
    }
  }

  /** A protocol 2 datagram: a Hello (the handshake), or a member's sealed datagram, which is acted on
   * only once it opens under the member's session: a forged, tampered or replayed one is counted and
   * dropped, whatever address it claims to come from. */
  private receiveV2(buf: Buffer, from: dgram.RemoteInfo, member: MemberState | undefined, stranger: Stranger | undefined, now: number): void {
    const f = frame(buf);
    if (f.kind === 'hello') return this.onHello(f.hello, from, member, stranger, now, f.auth);
    if (f.kind !== 'sealed') throw new ProtocolError('Unexpected relay packet (only a relay sends those)');
    // The member at this address, as nearly always; else by its session id (it moved, or is forged).
    const m = member?.clientId.equals(f.sessionId) ? member : this.joined.client(f.sessionId.toString('hex'));
    const notJoined = () => this.wire.sendTo(encodeClear({ type: PacketType.NotJoined, epoch: this.room.epoch }), from.address, from.port, stranger);
    if (!m?.session) return notJoined(); // a relay restart, or a session long gone: join again
    const p = this.sessions.open(m.session, buf);
    if (!p) return void this.wire.counters.unauthenticated++;
    // Its session, from another address: it joins again from there, and the cookie of that join
    // proves the address is its own. Until then nothing is sent there but this (within 3x).
    if (m !== member) return notJoined();
    this.joined.heard(m, now);
    this.dispatch(p, from, m, undefined, now);
  }

  private onMemberPacket(p: Data | Packet, m: MemberState, now: number): void {
    switch (p.type) {
      case PacketType.Data:
        if (this.beforeRoll?.has(m)) return this.wire.send(encode({ type: PacketType.NotJoined, epoch: this.room.epoch }), m);
        // Checked, reassembled and put in the sender's order by the intake; what it returns is done here.
        for (const step of this.intake.data(p, m, now)) this.take(step, m, now);
        return;
      case PacketType.Resend:
        return this.onResend(m, p.fromSeq, p.toSeq, now);
      case PacketType.Ping:
        return this.wire.send(this.heartbeat.pong(p.nonce, m), m);
      case PacketType.RosterRequest: {
        // Within the member's byte budget, or not at all: it asks again when its beacon says so.
        const pages = this.joined.rosterPages();
        if (!this.budget(m, now).take(pages.reduce((n, b) => n + b.length, 0), 0, now)) return;
        for (const page of pages) this.wire.send(page, m);
        return;
      }
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

  /** Does what the intake decided for a member's message, in its order. */
  private take(step: Step, m: MemberState, now: number): void {
    switch (step.kind) {
      case 'reply':
        return this.wire.send(encode(step.packet), m);
      case 'slowDown':
        if (step.pending) this.wire.counters.rateLimited++;
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
    const s = this.stored(() => this.room.sequence(m, false, r.msgId, r.head, r.text, now));
    // Not on disk, so not acknowledged and no seq used: the sender shows why and can send it again.
    if (s instanceof NotStoredError) return this.wire.send(encode({ type: PacketType.Refused, reason: RefuseReason.NotStored, msgId: r.msgId, detail: s.message }), m);
    this.fanOut(s, now);
    // The room rolled over: its members' messages in flight are signed for the old room, so each is
    // sent to join again (and sign them anew) before anything more of theirs is sequenced.
    if (this.room.roomId !== room) {
      this.beforeRoll = new Set(this.joined.all());
      this.activity.clear();
    }
  }

  /** The same datagrams to every member, the seed broadcast, and the 'message' event. `seedLine` is
   * the datagram a seed message came in as, when it can be broadcast as it is. */
  private fanOut(s: SequencedMessage, now: number, seedLine?: Buffer): void {
    const members = this.joined.all();
    if (members.length > 0) {
      const frags = this.room.datagrams(s);
      if (frags.length === 1) for (let i = 0; i < members.length; i++) this.wire.send(frags[0], members[i]);
      else for (const m of members) for (const f of frags) this.wire.send(f, m);
    }
    this.heartbeat.fannedOut(now);
    if (this.legacy.address) for (const piece of this.legacy.pieces(s, now, seedLine)) this.wire.sendTo(piece, this.legacy.address, this.bound.port);
    if (this.listens('message')) this.emit('message', s.message());
  }

  /** A seed client's `name: text`: a message from an unverified name, sequenced like any other
   * when the bridge is on; else counted and dropped (what is not seed text at all is malformed). */
  private onSeedLine(buf: Buffer, from: dgram.RemoteInfo, s: Stranger, now: number): void {
    if (this.legacy.isOwnEcho(buf, from.address, from.port)) return;
    const line = readLegacy(buf);
    if (!this.legacy.on) {
      this.wire.counters.legacyDropped++;
      if (this.legacy.firstRefusal()) this.emit('legacyDropped', { host: from.address, port: from.port });
      return;
    }
    this.wire.counters.legacyIn++;
    s.messages ??= new TokenBucket(this.limits.memberMessagesPerSecond, this.limits.memberBurst, now);
    if (!takeMessage(s.messages, this.joined.hosts.of(from.address, now).messages, now)) {
      this.wire.counters.rateLimited++;
      return;
    }
    const m = this.legacy.message(line);
    const seq = this.stored(() => this.room.sequence(m.sender, true, m.msgId, { kind: 'text', totalBytes: m.text.length }, m.text, now));
    if (seq instanceof NotStoredError) return; // a seed client cannot be told; its line is not kept
    this.fanOut(seq, now, line.verbatim ? buf : undefined);
  }

  // ---- joining ----

  /** A Hello: through the door (cookie, handshake, session, name), then the room admits the client
   * (new, resumed, renamed or moved), its waiting messages are released, and it is welcomed, every
   * answer sealed under its new session. */
  private onHello(p: Hello, from: dgram.RemoteInfo, member: MemberState | undefined, stranger: Stranger | undefined, now: number, signed?: HelloAuth): void {
    const entry = this.door.enter(p, from, member, stranger, now, signed);
    if (!entry) return;
    const { address: host, port } = from;
    const admitted = this.joined.admit(p, { host, port }, member, now, entry.session);
    if (admitted.replaced) this.gone(admitted.replaced, 'leave'); // another client took over this address
    if (admitted.kind === 'full') return entry.refuse(RefuseReason.RoomFull, `The room is full (${this.limits.maxMembers} members).`);
    if (admitted.kind === 'hostFull') return entry.refuse(RefuseReason.RoomFull, `Too many members from ${host} (${this.limits.membersPerHost} per host).`);
    const m = admitted.member;
    this.beforeRoll?.delete(m);
    m.session = entry.session; // a new handshake replaces the old keys: what was sealed under them is dropped
    if (admitted.kind === 'joined') {
      this.strangers.delete(`${host}|${port}`);
      this.emit('joined', { ...toMember(m), address: { host, port } });
    }
    // The client says where its unsequenced messages begin.
    for (const step of this.intake.release(m, p.firstUnacked)) this.take(step, m, now);
    const heartbeatMs = this.heartbeat.periodMs();
    m.heartbeatMs = heartbeatMs; // a fresh Welcome: the member now pings at this period
    const { roomId, epoch, headSeq } = this.room;
    const resume = resumePoint(p, this.room, this.limits.backfillMessages);
    entry.answer({ type: PacketType.Welcome, roomId, epoch, headSeq, ...resume, memberId: m.memberId, rosterVersion: this.joined.rosterVersion, heartbeatMs });
    this.activity.joined(m, (p.flags & HelloFlags.WantsActivity) !== 0); // after the Welcome: what the others have seen
  }

  private drop(m: MemberState, reason: 'leave' | 'timeout'): void {
    this.beforeRoll?.delete(m);
    this.activity.left(m);
    if (this.joined.drop(m)) this.gone(m, reason);
  }

  /** A member is no longer one: what it had half sent goes, and the host hears of it. */
  private gone(m: MemberState, reason: 'leave' | 'timeout'): void {
    this.intake.forgetAll(m);
    this.emit('left', { ...toMember(m), reason });
  }

  // ---- repair, slowing down, leases ----

  /** Repairs within the member's byte budget (budget.ts); what does not fit now is asked for again. */
  private onResend(m: MemberState, fromSeq: number, toSeq: number, now: number): void {
    const budget = this.budget(m, now);
    budget.resend(fromSeq, now);
    for (const part of resendPlan(this.room, fromSeq, toSeq)) {
      if (part.kind === 'gone') this.wire.send(encode({ type: PacketType.Gone, fromSeq: part.fromSeq, toSeq: part.toSeq }), m);
      else {
        let bytes = 0;
        for (const f of part.frags) bytes += f.length;
        if (!budget.take(bytes, part.seq, now)) return;
        this.wire.counters.retransmitsServed++;
        for (const f of part.frags) this.wire.send(f, m);
      }
    }
  }

  private budget(m: MemberState, now: number): RepairBudget {
    return (m.repair ??= new RepairBudget(this.limits, now));
  }

  private slowDown(m: MemberState, now: number): void {
    if (now - m.lastSlowDown < 1000) return;
    m.lastSlowDown = now;
    this.wire.send(encode({ type: PacketType.SlowDown, retryAfterMs: Math.max(m.messages.waitMs(), 50) }), m);
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
      if (!this.storeRefusing) {
        this.storeRefusing = true;
        const detail = `the store cannot write (${err.failure.code ?? err.failure.message}): messages are refused, and their senders told, until it can`;
        this.emit('store', { writing: false, detail });
      }
      return err;
    }
    if (this.storeRefusing) {
      this.storeRefusing = false;
      this.emit('store', { writing: true, detail: 'the store writes again: messages are kept and acknowledged' });
    }
    return s;
  }

  private warn(message: string): void {
    this.emit('warning', new Error(message));
  }

  private onTick(): void {
    const now = Date.now();
    this.legacy.expire(now);
    this.activity.countSeen(now);
    if (this.joined.takeRosterChange()) this.heartbeat.beacon(true);
    // Leases are counted in heartbeat periods, so a sweep every quarter period (at most every
    // second) is precise enough; sweeping thousands of idle members four times a second is not free.
    if (now - this.sweptAt < Math.min(1000, this.heartbeat.periodMs() / 4)) return;
    this.sweptAt = now;
    for (const m of this.joined.expired(now, this.timers.leaseBeats)) this.drop(m, 'timeout');
    for (const m of [...this.joined.all()]) {
      try {
        for (const step of this.intake.expire(m, now, this.timers.reassemblyMs)) this.take(step, m, now);
      } catch (err) {
        this.warn(err instanceof ChatError ? err.message : `Internal error: ${String((err as Error)?.stack ?? err)}`);
      }
    }
  }
}
