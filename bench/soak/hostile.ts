// The soak's hostile member: everything issue 10 found, at once, all from one loopback address of its
// own (so per-host limits apply to it and to no honest member), each stream at the rate the relay's
// default limits allow one host. It speaks the protocol with bare sockets, reads only what it needs
// from the replies, and counts what the relay sent it (the amplification it got).
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { encode } from '../../src/protocol/codec';
import { fragmentData } from '../../src/protocol/fragments';
import { PacketType, type Data } from '../../src/protocol/packets';
import type { Address } from '../../src/chat/types';
import { seededRandom } from '../../test/unit/helpers/random';
import { device, HostileMember, openSocket, type Counters } from './hostile-member';

/** Datagrams or messages a second for each stream. */
export interface HostileRates {
  /** Resend requests sweeping the whole history (amplification). */
  resend: number;
  /** RosterRequests for the whole member list (amplification). */
  roster: number;
  /** New (client id, source port) pairs joining: half from a new port, half a new id on an old one. */
  churnJoins: number;
  /** Messages whose first PARTIAL_FRAGMENTS fragments come and the rest never (pending memory). */
  partial: number;
  /** Complete messages behind a predecessor that never completes (memory held for per-sender order). */
  held: number;
  /** Seed-format lines full of control characters (disk growth: 6x as JSON). */
  seed: number;
  /** New messages in order, the ones `late` retransmits later. */
  fresh: number;
  /** Retransmissions of msgIds sequenced LATE_BEHIND or more msgIds ago (de-duplication). */
  late: number;
  /** Random malformed datagrams, half from a member, half from a stranger. */
  malformed: number;
}

export type Stream = keyof HostileRates;
export const PARTIAL_FRAGMENTS = 4;
const HELD_CYCLE = 40; // one never-completed message, then 39 complete ones held behind it
const LATE_BEHIND = 300; // beyond the relay's 256 (sender, msgId) pairs of de-duplication memory
const CHURN_SOCKETS = 64; // source ports of churned ids open at once
const SEED_SOCKETS = 8;

/** At the limits one host gets by default: each message stream at the member rate (50/s), churn 100
 * joins/s, 200 malformed/s, and the two amplification requests share what is left of the host's
 * 2,000 datagrams/s. */
export function hostileRates(memberRate: number, addressRate: number): HostileRates {
  const fixed = { churnJoins: 100, partial: memberRate, held: memberRate, seed: memberRate, fresh: memberRate, late: memberRate, malformed: 200 };
  const datagrams = 2 * fixed.churnJoins + PARTIAL_FRAGMENTS * fixed.partial + fixed.held + fixed.seed + fixed.fresh + fixed.late + fixed.malformed + 4; // + pings
  const rest = Math.max(0, addressRate - datagrams);
  return { resend: Math.floor(rest / 2), roster: Math.floor(rest / 2), ...fixed };
}

/** Datagrams a second all streams together send. */
export function hostileDatagramRate(r: HostileRates): number {
  return r.resend + r.roster + 2 * r.churnJoins + PARTIAL_FRAGMENTS * r.partial + r.held + r.seed + r.fresh + r.late + r.malformed;
}

export interface HostileStats extends Counters {
  seconds: number;
  host: string;
  rates: HostileRates;
  /** Datagrams sent per stream. */
  sent: Record<Stream, number>;
  bytesOut: number;
  /** The role members (flooder, fragmenter, holder, repeater) that got in at the start. */
  roleMembers: number;
  /** Each role member's client id (hex), so a finding can name the behaviour that caused it. */
  ids: Record<string, string>;
}

const controlText = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(i % 32)).join('');

export class Hostile {
  private readonly counters: Counters = { bytesIn: 0, datagramsIn: 0, received: {}, refused: {}, rejoins: 0, churnAdmitted: 0, churnRefused: 0, lateAckedWithSeq: 0 };
  private readonly sent = { resend: 0, roster: 0, churnJoins: 0, partial: 0, held: 0, seed: 0, fresh: 0, late: 0, malformed: 0 } as Record<Stream, number>;
  private readonly done = { ...this.sent };
  private bytesOut = 0;
  private readonly rand = seededRandom(66);
  private readonly churn: HostileMember[] = [];
  private seeds: dgram.Socket[] = [];
  private stranger: dgram.Socket | undefined;
  private members: HostileMember[] = [];
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private resendCursor = 1;
  private readonly partialFrags: Data[];
  private readonly heldFrags: { partial: Data; complete: Data };
  private readonly fresh = new Map<number, Buffer>();
  private churnCount = 0;
  private seedCount = 0;

  constructor(
    private readonly relay: Address,
    private readonly host: string,
    readonly rates: HostileRates,
  ) {
    const id = Buffer.alloc(8);
    // The hostile device's key with no real signature: the relay checks that a message is signed with
    // its sender's key, not the signature (its readers do), and these are never meant to be read.
    const keyOnly = () => Buffer.concat([Buffer.from(device.publicKey), Buffer.alloc(64)]);
    this.partialFrags = fragmentData(id, 1, { kind: 'text', text: 'p'.repeat(60_000) }, keyOnly).slice(0, PARTIAL_FRAGMENTS);
    this.heldFrags = {
      partial: fragmentData(id, 1, { kind: 'text', text: 'q'.repeat(60_000) }, keyOnly)[0],
      complete: fragmentData(id, 1, { kind: 'text', text: 'h'.repeat(900) }, keyOnly)[0], // one datagram
    };
  }

  private send(stream: Stream, socket: dgram.Socket, buf: Buffer): void {
    this.sent[stream]++;
    this.bytesOut += buf.length;
    socket.send(buf, this.relay.port, this.relay.host);
  }

  /** A packet as `member`, sealed in its session. */
  private sendAs(stream: Stream, member: HostileMember, packet: Buffer): void {
    this.sent[stream]++;
    this.bytesOut += member.sendPacket(packet);
  }

  /** Opens its sockets and joins its four role members (each as far as the relay lets it). */
  async start(): Promise<void> {
    const names = ['flooder', 'fragmenter', 'holder', 'repeater'];
    this.members = await Promise.all(names.map((n) => HostileMember.open(this.relay, this.host, n, this.counters)));
    this.seeds = await Promise.all(Array.from({ length: SEED_SOCKETS }, () => openSocket(this.host, this.counters)));
    this.stranger = await openSocket(this.host, this.counters);
    for (const m of this.members) m.hello();
    const deadline = Date.now() + 3000;
    while (this.members.some((m) => !m.joined && !m.refused) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.t0 = performance.now();
    this.timer = setInterval(() => this.tick(), 5);
  }

  /** How many of `stream` are due now: paced from the start, with at most 100 ms of backlog caught up. */
  private due(stream: Stream): number {
    const rate = this.rates[stream];
    const target = Math.floor(((performance.now() - this.t0) * rate) / 1000);
    let n = target - this.done[stream];
    const cap = Math.max(1, Math.ceil(rate / 10));
    if (n > cap) {
      this.done[stream] += n - cap;
      n = cap;
    }
    this.done[stream] += Math.max(0, n);
    return Math.max(0, n);
  }

  private tick(): void {
    const [flooder, fragmenter, holder, repeater] = this.members;
    for (const m of this.members) m.keepAlive();
    for (let n = this.due('resend'); n > 0; n--) {
      const head = Math.max(1, flooder.headSeq);
      this.sendAs('resend', flooder, encode({ type: PacketType.Resend, fromSeq: this.resendCursor, toSeq: head }));
      this.resendCursor = this.resendCursor + 64 > head ? 1 : this.resendCursor + 64;
    }
    for (let n = this.due('roster'); n > 0; n--) this.sendAs('roster', flooder, encode({ type: PacketType.RosterRequest, version: 0 }));
    for (let n = this.due('partial'); n > 0; n--) {
      const msgId = fragmenter.takeMsgId();
      for (const f of this.partialFrags) this.sendAs('partial', fragmenter, encode({ ...f, clientId: fragmenter.clientId, msgId }));
    }
    for (let n = this.due('held'); n > 0; n--) {
      const msgId = holder.takeMsgId();
      const f = msgId % HELD_CYCLE === 1 ? this.heldFrags.partial : this.heldFrags.complete;
      this.sendAs('held', holder, encode({ ...f, clientId: holder.clientId, msgId }));
    }
    for (let n = this.due('fresh'); n > 0; n--) {
      const msgId = repeater.takeMsgId();
      const data = repeater.data(msgId, `late retransmission bait ${msgId}`);
      this.fresh.set(msgId, data);
      this.fresh.delete(msgId - 4 * LATE_BEHIND);
      this.sendAs('fresh', repeater, data);
    }
    for (let n = this.due('late'); n > 0; n--) {
      const msgId = repeater.nextMsgId - LATE_BEHIND - Math.floor(this.rand() * LATE_BEHIND);
      const buf = this.fresh.get(msgId);
      if (buf) this.sendAs('late', repeater, buf);
    }
    repeater.lateBelow = repeater.nextMsgId - LATE_BEHIND + 1;
    for (let n = this.due('seed'); n > 0; n--) {
      const line = Buffer.from(`evil${this.seedCount % 10}: ${controlText(1000)}`, 'utf8');
      this.send('seed', this.seeds[this.seedCount++ % this.seeds.length], line);
    }
    for (let n = this.due('churnJoins'); n > 0; n--) this.churnOne();
    for (let n = this.due('malformed'); n > 0; n--) this.send('malformed', this.rand() < 0.5 ? flooder.socket : this.stranger!, this.malformed());
  }

  /** A new id from a new source port, or a new id on a port used before. */
  private churnOne(): void {
    const n = this.churnCount++;
    if (n % 2 === 0 || this.churn.length === 0) {
      void HostileMember.open(this.relay, this.host, `churn${n}`, this.counters, true).then((m) => {
        if (!this.timer) return void m.close();
        this.churn.push(m);
        if (this.churn.length > CHURN_SOCKETS) void this.churn.shift()!.close();
        this.sent.churnJoins++;
        m.hello();
      });
    } else {
      const m = this.churn[Math.floor(this.rand() * this.churn.length)];
      m.newIdentity(`churn${n}`);
      this.sent.churnJoins++;
      m.hello();
    }
  }

  private malformed(): Buffer {
    const r = this.rand;
    const body = randomBytes(Math.floor(r() * 80));
    switch (Math.floor(r() * 5)) {
      case 0: // our envelope, any type, a body of random bytes
        return Buffer.concat([Buffer.from([0xf9, 1, 1 + Math.floor(r() * 20)]), body]);
      case 1: // a version nobody speaks
        return Buffer.concat([Buffer.from([0xf9, 2 + Math.floor(r() * 250), 4]), body]);
      case 2: // a Data header with impossible fragment numbers
        return Buffer.concat([Buffer.from([0xf9, 1, PacketType.Data]), randomBytes(8), Buffer.from([0, 0, 0, 9, 0xff, 0xff, 0, 0]), body]);
      case 3: // not UTF-8, so not a seed line either
        return Buffer.concat([Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), body]);
      default: // a seed line without a name
        return Buffer.from(`no colon here ${body.toString('hex')}`);
    }
  }

  /** Stops sending, closes every socket, and says what it did. */
  async stop(): Promise<HostileStats> {
    clearInterval(this.timer);
    this.timer = undefined;
    const seconds = (performance.now() - this.t0) / 1000;
    const roleMembers = this.members.filter((m) => m.everJoined).length;
    const ids = Object.fromEntries(this.members.map((m) => [m.clientId.toString('hex'), m.name]));
    await Promise.all([...this.members, ...this.churn.splice(0)].map((m) => m.close()));
    const sockets = this.stranger ? [...this.seeds, this.stranger] : this.seeds;
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    return { ...this.counters, seconds, host: this.host, rates: this.rates, sent: { ...this.sent }, bytesOut: this.bytesOut, roleMembers, ids };
  }
}
