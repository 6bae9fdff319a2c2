// The relay's sending side: every datagram it sends goes through here, counted, and to an address
// that has not proved itself only within its amplification budget.
import type * as dgram from 'node:dgram';
import type { RelayStats } from '../types';
import type { MemberState } from './members';
import type { RelaySession } from './sessions';
import type { Stranger } from './strangers';

export type Counters = Omit<RelayStats, 'members' | 'headSeq'>;

export class Wire {
  readonly counters: Counters = { datagramsIn: 0, datagramsOut: 0, bytesIn: 0, bytesOut: 0, malformed: 0, legacyIn: 0, legacyDropped: 0, rateLimited: 0, retransmitsServed: 0, unauthenticated: 0 };

  /** Set when the relay closes: what is still under way then (a cluster's append or lookup answering
   * late, a follower's last record) sends nothing, instead of throwing at a closed socket. */
  closed = false;

  constructor(
    private readonly socket: dgram.Socket,
    /** Seals a packet for a protocol 2 member's session. */
    private readonly seal: (s: RelaySession, packet: Buffer) => Buffer,
  ) {}

  /** To a member: its address is validated; sealed when it is in a protocol 2 session. No callback
   * and an IP literal (resolved at once by the socket's lookup), so a fan-out is one sendmsg per
   * member and nothing to wait for. */
  send(packet: Buffer, m: MemberState): void {
    if (this.closed) return;
    const buf = m.session ? this.seal(m.session, packet) : packet;
    this.counters.datagramsOut++;
    this.counters.bytesOut += buf.length;
    this.socket.send(buf, m.port, m.host);
  }

  /** A datagram already sealed for a member (a file chunk in a BULK frame). */
  sendBulk(buf: Buffer, m: MemberState): void {
    if (this.closed) return;
    this.counters.datagramsOut++;
    this.counters.bytesOut += buf.length;
    this.socket.send(buf, m.port, m.host);
  }

  /** To an address; to an unvalidated one (a stranger) only within the amplification budget. */
  sendTo(buf: Buffer, host: string, port: number, stranger?: Stranger): void {
    if (this.closed || (stranger && !stranger.mayReceive(buf.length))) return;
    this.counters.datagramsOut++;
    this.counters.bytesOut += buf.length;
    this.socket.send(buf, port, host);
  }
}
