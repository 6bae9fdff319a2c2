// A member of the room: joins (with the relay's address check), sends reliably, delivers the room's
// messages in order exactly once, keeps its lease with heartbeats, and rejoins by itself when the
// relay comes back. One socket, one timer armed for the earliest deadline.
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { decode, encode, ProtocolError } from '../../protocol/codec';
import { textBytes } from '../../protocol/fragments';
import { textProblem } from '../../common/message';
import { HelloFlags, PacketType, type MessageBody, type Packet, type Welcome } from '../../protocol/packets';
import { Inbox } from './inbox';
import { newOutgoing, Outbox } from './outbox';
import { TypedEmitter } from '../emitter';
import { ChatError } from '../errors';
import { CLIENT_TIMERS } from '../limits';
import { RttEstimator } from './rtt';
import type { ClientEvents, ClientOptions, ClientTimers, ConnectionState, Member, OutgoingMessage } from '../types';
import { checkName, formatAddress } from '../validate';
import { ClientRoster } from './roster';
import { openClientSocket } from './socket';
import { Alarm, Heartbeat } from './timing';

type Phase = 'idle' | 'joining' | 'joined' | 'closed';

export class ChatClient extends TypedEmitter<ClientEvents> {
  readonly clientId: string;
  private readonly id: Buffer;
  private readonly t: Required<ClientTimers>;
  private readonly rtt: RttEstimator;
  private readonly inbox = new Inbox();
  private readonly outbox: Outbox;
  private readonly roster: ClientRoster | undefined;
  private socket: dgram.Socket | undefined;
  private server = { host: '', port: 0 };
  private myName: string;
  private phase: Phase = 'idle';
  private conn: ConnectionState = { state: 'connecting' };
  private roomId: bigint;
  private epoch = 0;
  private joinHead = 0; // messages up to here are backfill
  private nextId: number;
  private cookie = Buffer.alloc(0);
  private helloAt = 0;
  private helloTries = 0;
  private everJoined = false;
  private readonly heartbeat: Heartbeat;
  private pausedUntil = 0;
  private readonly alarm = new Alarm(() => this.onTimer());
  private firstJoin: { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  private flushWaiters: (() => void)[] = [];

  constructor(private readonly opts: ClientOptions) {
    super();
    this.myName = checkName(opts.name);
    this.t = { ...CLIENT_TIMERS, ...opts.timers };
    this.heartbeat = new Heartbeat(this.t.heartbeatMs);
    this.rtt = new RttEstimator(this.t.initialRttMs, this.t.ptoFloorMs, this.t.ptoMaxMs);
    this.outbox = new Outbox(opts.window ?? 64);
    if (opts.clientId !== undefined && !/^[0-9a-f]{16}$/.test(opts.clientId)) throw new ChatError('BAD_OPTION', 'A client id is 16 hex digits.');
    this.clientId = opts.clientId ?? randomBytes(8).toString('hex');
    this.id = Buffer.from(this.clientId, 'hex');
    this.roomId = opts.resume ? BigInt(`0x${opts.resume.roomId}`) : 0n;
    if (opts.resume) this.inbox.reset(opts.resume.lastSeq + 1);
    this.nextId = opts.firstMsgId ?? 1;
    for (const r of opts.restore ?? []) {
      this.outbox.add(this.id, newOutgoing(r.msgId, r.body, r.createdAt));
      this.nextId = Math.max(this.nextId, r.msgId + 1);
    }
    if (opts.wantsRoster !== false) this.roster = new ClientRoster();
  }

  get name(): string {
    return this.myName;
  }

  get connection(): ConnectionState {
    return this.conn;
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
    if (this.phase !== 'idle') throw new ChatError('BAD_OPTION', 'This client was already started.');
    const { socket, relay } = await openClientSocket(this.opts.server, this.opts.bind);
    this.socket = socket;
    this.server = relay;
    socket.on('message', (buf, rinfo) => this.receive(buf, rinfo));
    socket.on('error', (err) => this.emit('warning', err));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.firstJoin = undefined;
        void this.close({ leave: false });
        reject(new ChatError('UNREACHABLE', `No WhatsUDP relay answered at ${formatAddress(this.opts.server)} within ${this.t.joinTimeoutMs / 1000} s: is it running, and is that the right address?`));
      }, this.t.joinTimeoutMs);
      this.firstJoin = { resolve, reject, timer };
      this.join('connecting');
    });
  }

  send(body: MessageBody): OutgoingMessage {
    if (this.phase === 'closed') throw new ChatError('CLOSED', 'This chat client is closed.');
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
    if (this.phase === 'joined') this.pump();
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
    if (this.phase === 'joined') this.join('connecting');
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
    if (this.phase === 'closed') return;
    const wasJoined = this.phase === 'joined';
    this.phase = 'closed';
    this.alarm.clear();
    if (this.firstJoin) {
      clearTimeout(this.firstJoin.timer);
      this.firstJoin.reject(new ChatError('CLOSED', 'The chat client was closed before it joined.'));
      this.firstJoin = undefined;
    }
    for (const w of this.flushWaiters.splice(0)) w();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      if (wasJoined && opts.leave !== false) {
        await new Promise<void>((resolve) => socket.send(encodeLeave(this.id), this.server.port, this.server.host, () => resolve()));
      }
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
    this.setState({ state: 'closed' });
    this.removeAllListeners();
  }

  // ---- internals ----

  private setState(s: ConnectionState): void {
    this.conn = s;
    this.emit('state', s);
  }

  /** RFC 9002's PTO, doubled for each expiry in a row without a word from the relay and back to the
   * base as soon as anything arrives (its pto_count). Doubling per datagram instead would leave one
   * unlucky message backing off for seconds while acks for others flow and the window behind it stalls. */
  private pto = (): number => this.rtt.pto(this.heartbeat.misses);

  private sendRaw(p: Packet | Buffer): void {
    const buf = Buffer.isBuffer(p) ? p : encode(p);
    this.socket?.send(buf, this.server.port, this.server.host);
  }

  private join(state: 'connecting' | 'reconnecting', reason = ''): void {
    this.phase = 'joining';
    this.helloTries = 0;
    this.helloAt = 0;
    if (this.everJoined) this.setState(state === 'reconnecting' ? { state: 'reconnecting', reason } : { state: 'connecting' });
    this.sendHello(Date.now());
  }

  private sendHello(now: number): void {
    this.helloAt = now;
    this.helloTries++;
    this.sendRaw({
      type: PacketType.Hello, clientId: this.id, name: this.myName, flags: this.roster ? HelloFlags.WantsRoster : 0,
      roomId: this.roomId, lastSeq: this.roomId === 0n ? 0 : this.inbox.next - 1, cookie: this.cookie,
      firstUnacked: this.outbox.oldest() ?? this.nextId,
    });
    this.alarm.set(now + this.helloDelay());
  }

  /** Join retries: the probe timeout while first joining, then a capped backoff while the relay is away. */
  private helloDelay(): number {
    if (!this.everJoined) return this.rtt.pto(this.helloTries - 1);
    return Math.min(this.t.rejoinMaxMs, this.t.rejoinMinMs * 2 ** Math.min(this.helloTries - 1, 16));
  }

  private receive(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.phase === 'closed' || rinfo.port !== this.server.port || rinfo.address !== this.server.host) return;
    let p: Packet;
    try {
      p = decode(buf);
    } catch (err) {
      this.emit('warning', err as Error);
      return;
    }
    const now = Date.now();
    this.heartbeat.heard();
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
        if (this.phase !== 'joining') return;
        // Progress, and an RTT sample timed from the latest Hello: if the answer was to an earlier
        // one the sample is too small, which the PTO floor bounds; waiting on a 1 s guess is worse.
        this.rtt.sample(now - this.helloAt);
        this.cookie = Buffer.from(p.cookie);
        this.helloTries = 0;
        return this.sendHello(now);
      case PacketType.Welcome:
        return this.onWelcome(p, now);
      case PacketType.NotJoined:
        if (this.phase === 'joined') this.join('reconnecting', 'the relay restarted');
        return;
      case PacketType.Refused:
        return this.onRefused(p.msgId, p.detail);
      case PacketType.SlowDown:
        this.pausedUntil = now + p.retryAfterMs;
        this.emit('warning', new Error(`The relay asks us to slow down (rate limit): waiting ${p.retryAfterMs} ms.`));
        return;
      default:
        if (this.phase !== 'joined') return;
        return this.handleJoined(p, now);
    }
  }

  private handleJoined(p: Packet, now: number): void {
    switch (p.type) {
      case PacketType.Ack: {
        const sample = this.outbox.ack(p.msgId, p.fragIndex, p.seq, now);
        if (sample !== undefined) this.rtt.sample(sample);
        if (p.seq !== 0) {
          const out = this.outbox.delivered(p.msgId, p.seq);
          if (out) this.delivered(out);
        }
        return this.pump();
      }
      case PacketType.Msg: {
        // Our own message back from the relay: it is sequenced, which is what an Ack with a seq says.
        if (p.senderId.equals(this.id)) {
          const { out, sample } = this.outbox.sequenced(p.msgId, p.seq, now);
          if (sample !== undefined) this.rtt.sample(sample);
          if (out) {
            this.delivered(out);
            this.pump();
          }
        }
        const delivered = this.inbox.accept(p, now);
        const sample = this.inbox.takeSample();
        if (sample !== undefined) this.rtt.sample(sample);
        return this.deliver(delivered);
      }
      case PacketType.Gone: {
        const { lost, delivered } = this.inbox.gone(p.fromSeq, p.toSeq);
        if (lost > 0) this.emit('lost', lost, { fromSeq: p.fromSeq, toSeq: p.toSeq });
        return this.deliver(delivered);
      }
      case PacketType.Pong: {
        const sample = this.heartbeat.pong(p.nonce, now);
        if (sample !== undefined) this.rtt.sample(sample);
        if (p.heartbeatMs > 0) this.heartbeat.periodMs = p.heartbeatMs;
        if (p.epoch !== this.epoch) return this.join('reconnecting', 'the relay restarted');
        this.inbox.knowHead(p.headSeq);
        this.roster?.known(p.rosterVersion, now, (v) => this.sendRaw({ type: PacketType.RosterRequest, version: v }));
        return;
      }
      case PacketType.Roster:
        this.roster?.page(p, (ev, m) => (ev === 'members' ? this.emit('members', this.roster!.list) : this.emit(ev, m!)));
        return;
      default:
        return;
    }
  }

  private onWelcome(p: Welcome, now: number): void {
    if (this.phase !== 'joining') return;
    this.rtt.sample(now - this.helloAt);
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
    this.phase = 'joined';
    this.everJoined = true;
    this.heartbeat.restart(now);
    if (newEpoch || newRoom) this.outbox.rewind();
    this.setState({ state: 'connected', roomId: p.roomId.toString(16).padStart(16, '0'), epoch: p.epoch });
    this.roster?.known(p.rosterVersion, now, (v) => this.sendRaw({ type: PacketType.RosterRequest, version: v }), true);
    if (this.firstJoin) {
      clearTimeout(this.firstJoin.timer);
      this.firstJoin.resolve();
      this.firstJoin = undefined;
    }
    this.pump();
  }

  private onRefused(msgId: number, detail: string): void {
    if (msgId !== 0) {
      const out = this.outbox.fail(msgId, detail);
      if (out) this.emit('delivery', { ...out });
      return this.settleFlush();
    }
    if (this.firstJoin) {
      clearTimeout(this.firstJoin.timer);
      this.firstJoin.reject(new ChatError('REFUSED', `The relay refused to let us join: ${detail}`));
      this.firstJoin = undefined;
      void this.close({ leave: false });
      return;
    }
    this.phase = 'idle';
    this.setState({ state: 'offline', reason: `The relay refused to let us join: ${detail}` });
  }

  private deliver(messages: ReturnType<Inbox['accept']>): void {
    for (const m of messages) this.emit('message', m, { backfill: m.seq <= this.joinHead });
  }

  private delivered(out: OutgoingMessage): void {
    this.emit('delivery', { ...out });
    this.settleFlush();
  }

  private settleFlush(): void {
    if (!this.outbox.busy) for (const w of this.flushWaiters.splice(0)) w();
  }

  /** Sends what is due now and re-arms the timer. */
  private pump(now = Date.now()): void {
    if (this.phase !== 'joined' || now < this.pausedUntil) return this.reschedule(now);
    const changed: OutgoingMessage[] = [];
    for (const buf of this.outbox.due(now, this.pto, changed)) this.sendRaw(buf);
    for (const o of changed) this.emit('delivery', { ...o });
    for (const r of this.inbox.due(now, this.pto)) this.sendRaw({ type: PacketType.Resend, ...r });
    this.reschedule(now);
  }

  private reschedule(now: number): void {
    if (this.phase === 'closed') return;
    let at = Infinity;
    if (this.phase === 'joining') at = this.helloAt + this.helloDelay();
    if (this.phase === 'joined') {
      at = Math.min(at, this.heartbeat.deadline(this.pto));
      if (now >= this.pausedUntil) {
        at = Math.min(at, this.outbox.nextDeadline(now, this.pto) ?? Infinity, this.inbox.nextDeadline(this.pto) ?? Infinity);
      } else {
        at = Math.min(at, this.pausedUntil);
      }
      at = Math.min(at, this.roster?.deadline(this.pto) ?? Infinity);
    }
    this.alarm.set(Math.max(at, now));
  }

  private onTimer(): void {
    const now = Date.now();
    if (this.phase === 'joining') {
      if (now >= this.helloAt + this.helloDelay()) {
        if (this.everJoined && this.helloTries >= 3 && this.conn.state === 'reconnecting') {
          this.setState({ state: 'offline', reason: `The relay at ${formatAddress(this.opts.server)} does not answer; still trying.` });
        }
        this.sendHello(now);
        return;
      }
    } else if (this.phase === 'joined') {
      const before = this.outbox.retransmits;
      const ping = this.heartbeat.due(now, this.pto);
      if (ping.nonce !== undefined) this.sendRaw({ type: PacketType.Ping, nonce: ping.nonce });
      this.pump(now);
      if (ping.expired || this.outbox.retransmits > before) this.heartbeat.misses++;
      if (this.heartbeat.misses >= this.t.maxProbes) {
        this.heartbeat.restart(now);
        this.join('reconnecting', `no answer from the relay at ${formatAddress(this.opts.server)}`);
        return;
      }
      this.roster?.retry(now, this.pto, (v) => this.sendRaw({ type: PacketType.RosterRequest, version: v }));
    }
    this.reschedule(now);
  }
}

function encodeLeave(id: Buffer): Buffer {
  return encode({ type: PacketType.Leave, clientId: id });
}
