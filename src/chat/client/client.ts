// A member of the room: joins (with the relay's address check), sends reliably, delivers the room's
// messages in order exactly once, keeps its lease with heartbeats, and rejoins by itself when the
// relay comes back. One socket and one alarm for the earliest deadline; the parts below own their
// state and their timing (join, outbox, inbox, heartbeat, roster, all timed by one RTT estimator),
// and this class routes datagrams to them and sends what they ask for.
import type * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { decode, encode, type ProtocolError } from '../../protocol/codec';
import { textBytes } from '../../protocol/fragments';
import { textProblem } from '../../common/message';
import { HelloFlags, PacketType, type MessageBody, type Packet, type Welcome } from '../../protocol/packets';
import { TypedEmitter } from '../emitter';
import { ChatError } from '../errors';
import { CLIENT_TIMERS } from '../limits';
import type { ClientEvents, ClientOptions, ClientTimers, ConnectionState, Member, OutgoingMessage, RoomMessage } from '../types';
import { checkName, formatAddress } from '../validate';
import { Inbox } from './inbox';
import { Join } from './join';
import { newOutgoing, Outbox } from './outbox';
import { ClientRoster } from './roster';
import { RttEstimator } from './rtt';
import { openClientSocket } from './socket';
import { Alarm, Heartbeat } from './timing';

export class ChatClient extends TypedEmitter<ClientEvents> {
  readonly clientId: string;
  private readonly id: Buffer;
  private readonly t: Required<ClientTimers>;
  private readonly rtt: RttEstimator;
  private readonly join: Join;
  private readonly inbox: Inbox;
  private readonly outbox: Outbox;
  private readonly heartbeat: Heartbeat;
  private readonly roster: ClientRoster | undefined;
  private readonly alarm = new Alarm(() => this.onTimer());
  private socket: dgram.Socket | undefined;
  private server = { host: '', port: 0 };
  private myName: string;
  private roomId: bigint;
  private epoch = 0;
  private joinHead = 0; // messages up to here are backfill
  private nextId: number;
  private flushWaiters: (() => void)[] = [];

  constructor(private readonly opts: ClientOptions) {
    super();
    this.myName = checkName(opts.name);
    if (opts.clientId !== undefined && !/^[0-9a-f]{16}$/.test(opts.clientId)) throw new ChatError('BAD_OPTION', 'A client id is 16 hex digits.');
    this.clientId = opts.clientId ?? randomBytes(8).toString('hex');
    this.id = Buffer.from(this.clientId, 'hex');
    this.t = { ...CLIENT_TIMERS, ...opts.timers };
    this.rtt = new RttEstimator(this.t.initialRttMs, this.t.ptoFloorMs, this.t.ptoMaxMs);
    this.join = new Join(this.rtt, this.t, formatAddress(opts.server), {
      hello: (cookie) => this.sendHello(cookie),
      state: (s) => this.emit('state', s),
    });
    this.inbox = new Inbox(this.rtt);
    this.outbox = new Outbox(opts.window ?? 64, this.rtt);
    this.heartbeat = new Heartbeat(this.t.heartbeatMs, this.rtt);
    if (opts.wantsRoster !== false) {
      this.roster = new ClientRoster(this.rtt, {
        request: (version) => this.sendRaw({ type: PacketType.RosterRequest, version }),
        members: (list) => this.emit('members', list),
        joined: (m) => this.emit('joined', m),
        left: (m) => this.emit('left', m),
      });
    }
    this.roomId = opts.resume ? BigInt(`0x${opts.resume.roomId}`) : 0n;
    if (opts.resume) this.inbox.reset(opts.resume.lastSeq + 1);
    this.nextId = opts.firstMsgId ?? 1;
    for (const r of opts.restore ?? []) {
      this.outbox.add(this.id, newOutgoing(r.msgId, r.body, r.createdAt));
      this.nextId = Math.max(this.nextId, r.msgId + 1);
    }
  }

  get name(): string {
    return this.myName;
  }

  get connection(): ConnectionState {
    return this.join.connection;
  }

  get members(): Member[] {
    return this.roster?.list ?? [];
  }

  /** Retransmissions so far (for benchmarks and the log). */
  get retransmits(): number {
    return this.outbox.retransmits;
  }

  resumePoint(): { roomId: string; lastSeq: number } | undefined {
    return this.roomId === 0n ? undefined : { roomId: this.roomId.toString(16).padStart(16, '0'), lastSeq: this.inbox.next - 1 };
  }

  nextMsgId(): number {
    return this.nextId;
  }

  /** Joins the room. Rejects with ChatError UNREACHABLE if no relay answers in joinTimeoutMs. */
  async start(): Promise<void> {
    if (this.join.phase !== 'idle' || this.socket) throw new ChatError('BAD_OPTION', 'This client was already started.');
    const { socket, relay } = await openClientSocket(this.opts.server, this.opts.bind);
    this.socket = socket;
    this.server = relay;
    socket.on('message', (buf, rinfo) => this.receive(buf, rinfo));
    socket.on('error', (err) => this.emit('warning', err));
    const joined = this.join.begin(Date.now());
    this.reschedule(Date.now());
    return joined;
  }

  send(body: MessageBody): OutgoingMessage {
    if (this.join.phase === 'closed') throw new ChatError('CLOSED', 'This chat client is closed.');
    const problem = textProblem(body.text);
    if (problem) throw new ChatError(problem.code, problem.message);
    const out = newOutgoing(this.nextId, body, Date.now());
    try {
      textBytes(body);
      this.outbox.add(this.id, out);
    } catch (err) {
      throw new ChatError('TOO_LARGE', (err as ProtocolError).message);
    }
    this.nextId = (this.nextId + 1) >>> 0 || 1;
    this.emit('delivery', { ...out });
    if (this.join.phase === 'joined') this.pump();
    return out;
  }

  pending(): OutgoingMessage[] {
    return this.outbox.pending().map((o) => ({ ...o }));
  }

  retry(msgId: number): OutgoingMessage | undefined {
    const old = this.outbox.get(msgId);
    if (!old || old.state !== 'failed') return undefined;
    this.outbox.remove(msgId);
    return this.send(old.body);
  }

  async rename(name: string): Promise<void> {
    this.myName = checkName(name);
    if (this.join.phase !== 'joined') return;
    this.join.start('connecting', '', Date.now());
    this.reschedule(Date.now());
  }

  /** Waits until every message is delivered (or failed), at most `timeoutMs`; returns the undelivered. */
  async flush(timeoutMs: number): Promise<OutgoingMessage[]> {
    if (this.outbox.busy) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.flushWaiters.push(done);
      });
    }
    return this.pending();
  }

  async close(opts: { leave?: boolean } = {}): Promise<void> {
    if (this.join.phase === 'closed') return;
    const wasJoined = this.join.phase === 'joined';
    this.join.close();
    this.alarm.clear();
    for (const w of this.flushWaiters.splice(0)) w();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      if (wasJoined && opts.leave !== false) {
        const leave = encode({ type: PacketType.Leave, clientId: this.id });
        await new Promise<void>((resolve) => socket.send(leave, this.server.port, this.server.host, () => resolve()));
      }
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
    this.join.closed();
    this.removeAllListeners();
  }

  // ---- internals ----

  private sendRaw(p: Packet | Buffer): void {
    const buf = Buffer.isBuffer(p) ? p : encode(p);
    this.socket?.send(buf, this.server.port, this.server.host);
  }

  private sendHello(cookie: Buffer): void {
    this.sendRaw({
      type: PacketType.Hello, clientId: this.id, name: this.myName, flags: this.roster ? HelloFlags.WantsRoster : 0,
      roomId: this.roomId, lastSeq: this.roomId === 0n ? 0 : this.inbox.next - 1, cookie,
      firstUnacked: this.outbox.oldest() ?? this.nextId,
    });
  }

  /** decode → the part it is for → what that part now wants sent → the next deadline. */
  private receive(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.join.phase === 'closed' || rinfo.port !== this.server.port || rinfo.address !== this.server.host) return;
    let p: Packet;
    try {
      p = decode(buf);
    } catch (err) {
      this.emit('warning', err as Error);
      return;
    }
    const now = Date.now();
    this.rtt.heard();
    try {
      this.handle(p, now);
    } catch (err) {
      // A bad packet, a listener that throws or a bug: reported, never thrown out of the socket
      // handler, where it would take the whole process (the extension host, the CLI) down.
      this.emit('warning', err instanceof Error ? err : new Error(String(err)));
    }
    this.reschedule(now);
  }

  private handle(p: Packet, now: number): void {
    switch (p.type) {
      case PacketType.Retry:
        return this.join.retry(p.cookie, now);
      case PacketType.Welcome:
        return this.onWelcome(p, now);
      case PacketType.NotJoined:
        if (this.join.phase === 'joined') this.join.start('reconnecting', 'the relay restarted', now);
        return;
      case PacketType.Refused:
        return this.onRefused(p.msgId, p.detail);
      case PacketType.SlowDown:
        this.outbox.pause(now + p.retryAfterMs);
        this.emit('warning', new Error(`The relay asks us to slow down (rate limit): waiting ${p.retryAfterMs} ms.`));
        return;
      default:
        if (this.join.phase === 'joined') this.handleJoined(p, now);
    }
  }

  private handleJoined(p: Packet, now: number): void {
    switch (p.type) {
      case PacketType.Ack: {
        const out = this.outbox.ack(p.msgId, p.fragIndex, p.seq, now);
        if (out) this.delivered(out);
        return this.pump(now);
      }
      case PacketType.Msg: {
        // Our own message back from the relay: it is sequenced, which is what an Ack with a seq says.
        if (p.senderId.equals(this.id)) {
          const out = this.outbox.sequenced(p.msgId, p.seq, now);
          if (out) {
            this.delivered(out);
            this.pump(now);
          }
        }
        return this.deliver(this.inbox.accept(p, now));
      }
      case PacketType.Gone: {
        const { lost, delivered } = this.inbox.gone(p.fromSeq, p.toSeq);
        if (lost > 0) this.emit('lost', lost, { fromSeq: p.fromSeq, toSeq: p.toSeq });
        return this.deliver(delivered);
      }
      case PacketType.Pong: {
        this.heartbeat.pong(p.nonce, now);
        if (p.heartbeatMs > 0) this.heartbeat.periodMs = p.heartbeatMs;
        if (p.epoch !== this.epoch) return this.join.start('reconnecting', 'the relay restarted', now);
        this.inbox.knowHead(p.headSeq);
        this.roster?.known(p.rosterVersion, now);
        return;
      }
      case PacketType.Roster:
        this.roster?.page(p);
        return;
      default:
        return;
    }
  }

  /** Where the room starts for us: a new room from the relay's backfill point, the same one from
   * where we left off (saying what was lost meanwhile). */
  private onWelcome(p: Welcome, now: number): void {
    if (!this.join.welcomes) return;
    const newRoom = p.roomId !== this.roomId;
    const newEpoch = p.epoch !== this.epoch;
    this.roomId = p.roomId;
    this.epoch = p.epoch;
    if (p.heartbeatMs > 0) this.heartbeat.periodMs = p.heartbeatMs; // the relay sets the pace of its room
    if (newRoom) {
      this.inbox.clear();
      this.inbox.reset(p.fromSeq);
      this.joinHead = p.headSeq;
    } else if (p.lostCount > 0) {
      this.emit('lost', p.lostCount, { fromSeq: this.inbox.next, toSeq: p.fromSeq - 1 });
      this.inbox.reset(p.fromSeq);
    }
    this.inbox.knowHead(p.headSeq);
    this.heartbeat.restart(now);
    if (newEpoch || newRoom) this.outbox.rewind();
    this.join.welcomed(now, { state: 'connected', roomId: p.roomId.toString(16).padStart(16, '0'), epoch: p.epoch });
    this.roster?.known(p.rosterVersion, now, true);
    this.pump(now);
  }

  private onRefused(msgId: number, detail: string): void {
    if (msgId !== 0) {
      const out = this.outbox.fail(msgId, detail);
      if (out) this.emit('delivery', { ...out });
      return this.settleFlush();
    }
    if (this.join.refused(detail)) void this.close({ leave: false });
  }

  private deliver(messages: RoomMessage[]): void {
    for (const m of messages) this.emit('message', m, { backfill: m.seq <= this.joinHead });
  }

  private delivered(out: OutgoingMessage): void {
    this.emit('delivery', { ...out });
    this.settleFlush();
  }

  private settleFlush(): void {
    if (!this.outbox.busy) for (const w of this.flushWaiters.splice(0)) w();
  }

  /** Sends what is due now and re-arms the alarm. */
  private pump(now = Date.now()): void {
    if (this.join.phase === 'joined') {
      const changed: OutgoingMessage[] = [];
      for (const buf of this.outbox.due(now, changed)) this.sendRaw(buf);
      for (const o of changed) this.emit('delivery', { ...o });
      for (const r of this.inbox.due(now)) this.sendRaw({ type: PacketType.Resend, ...r });
    }
    this.reschedule(now);
  }

  private reschedule(now: number): void {
    if (this.join.phase === 'closed') return;
    let at = this.join.deadline();
    if (this.join.phase === 'joined') {
      at = Math.min(this.heartbeat.deadline(), this.outbox.nextDeadline(now) ?? Infinity, this.inbox.nextDeadline() ?? Infinity, this.roster?.deadline() ?? Infinity);
    }
    this.alarm.set(Math.max(at, now));
  }

  private onTimer(): void {
    const now = Date.now();
    if (this.join.phase === 'joining') {
      if (this.join.due(now)) return void this.close({ leave: false }); // the first join gave up
    } else if (this.join.phase === 'joined') {
      const before = this.outbox.retransmits;
      const ping = this.heartbeat.due(now);
      if (ping.nonce !== undefined) this.sendRaw({ type: PacketType.Ping, nonce: ping.nonce });
      this.pump(now);
      if (ping.expired || this.outbox.retransmits > before) this.rtt.expired();
      if (this.rtt.silentProbes >= this.t.maxProbes) {
        this.heartbeat.restart(now);
        this.join.start('reconnecting', `no answer from the relay at ${formatAddress(this.opts.server)}`, now);
      } else {
        this.roster?.retry(now);
      }
    }
    this.reschedule(now);
  }
}
