// One of the hostile member's identities: a bare socket on the hostile's own loopback address that
// joins (Hello, Retry, Hello with the cookie), pings to keep its lease, rejoins after a relay restart,
// and counts every byte the relay sends it. It never repairs, acknowledges or delivers anything.
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { decode, encode } from '../../src/protocol/codec';
import { PacketType, RefuseReason } from '../../src/protocol/packets';
import type { Address } from '../../src/chat/types';

/** What the relay sent the hostile, over all its sockets. */
export interface Counters {
  bytesIn: number;
  datagramsIn: number;
  /** Datagrams received, by packet type. */
  received: Record<string, number>;
  /** Refused answers, by reason. */
  refused: Record<string, number>;
  /** Role members that got in again after the relay restarted. */
  rejoins: number;
  churnAdmitted: number;
  churnRefused: number;
  /** Acks with a seq for late retransmissions: the relay answered them from memory. */
  lateAckedWithSeq: number;
}

/** A socket bound to `host` whose every received byte is counted. */
export async function openSocket(host: string, counters: Counters, onMessage?: (buf: Buffer) => void): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => undefined); // ICMP from a relay that was just killed: nothing to do
  socket.on('message', (buf) => {
    counters.bytesIn += buf.length;
    counters.datagramsIn++;
    const type = buf.length >= 3 && buf[0] === 0xf9 ? (PacketType[buf[2]] ?? 'unknown') : 'plain';
    counters.received[type] = (counters.received[type] ?? 0) + 1;
    try {
      onMessage?.(buf);
    } catch {
      counters.received.undecodable = (counters.received.undecodable ?? 0) + 1;
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  try {
    socket.setRecvBufferSize(4 * 1024 * 1024);
  } catch {
    // the default will do; what overflows is not counted, so the amplification figure is a floor
  }
  return socket;
}

export class HostileMember {
  clientId = randomBytes(8);
  joined = false;
  everJoined = false;
  /** Its Hello was refused (a full room, a per-host cap). */
  refused = false;
  headSeq = 0;
  nextMsgId = 1;
  /** Acks for msgIds below this are answers to late retransmissions. */
  lateBelow = 0;
  socket!: dgram.Socket;
  private lastHelloAt = 0;
  private lastPingAt = 0;
  private closed = false;

  private constructor(
    private readonly relay: Address,
    public name: string,
    private readonly counters: Counters,
    /** A churned identity: it joins once and never comes back after a restart. */
    private readonly churn: boolean,
  ) {}

  static async open(relay: Address, host: string, name: string, counters: Counters, churn = false): Promise<HostileMember> {
    const m = new HostileMember(relay, name, counters, churn);
    m.socket = await openSocket(host, counters, (buf) => m.receive(buf));
    return m;
  }

  hello(cookie: Buffer = Buffer.alloc(0)): void {
    this.lastHelloAt = Date.now();
    this.send(encode({ type: PacketType.Hello, clientId: this.clientId, name: this.name, flags: 1, roomId: 0n, lastSeq: 0, firstUnacked: this.nextMsgId, cookie }));
  }

  takeMsgId(): number {
    return this.nextMsgId++;
  }

  /** Id churn on the same source port: the relay sees another client take over the address. */
  newIdentity(name: string): void {
    this.clientId = randomBytes(8);
    this.name = name;
    this.joined = false;
  }

  /** Pings once a second while joined; says Hello again every 500 ms while not (after a restart). */
  keepAlive(): void {
    const now = Date.now();
    if (this.joined && now - this.lastPingAt >= 1000) {
      this.lastPingAt = now;
      this.send(encode({ type: PacketType.Ping, nonce: now >>> 0 }));
    } else if (!this.joined && !this.churn && now - this.lastHelloAt >= 500) {
      this.hello();
    }
  }

  private send(buf: Buffer): void {
    if (!this.closed) this.socket.send(buf, this.relay.port, this.relay.host);
  }

  private receive(buf: Buffer): void {
    if (buf.length < 3 || buf[0] !== 0xf9) return;
    switch (buf[2] as PacketType) {
      case PacketType.Retry: {
        const p = decode(buf);
        if (p.type === PacketType.Retry && !this.joined) this.hello(p.cookie);
        return;
      }
      case PacketType.Welcome: {
        const p = decode(buf);
        if (p.type !== PacketType.Welcome || this.joined) return;
        this.joined = true;
        this.headSeq = Math.max(this.headSeq, p.headSeq);
        if (this.churn) this.counters.churnAdmitted++;
        else if (this.everJoined) this.counters.rejoins++;
        this.everJoined = true;
        return;
      }
      case PacketType.Msg:
        if (buf.length >= 7) this.headSeq = Math.max(this.headSeq, buf.readUInt32BE(3));
        return;
      case PacketType.Pong: // nonce epoch headSeq
        if (buf.length >= 15) this.headSeq = Math.max(this.headSeq, buf.readUInt32BE(11));
        return;
      case PacketType.Ack: // msgId fragIndex seq
        if (buf.length >= 13 && buf.readUInt32BE(3) < this.lateBelow && buf.readUInt32BE(9) !== 0) this.counters.lateAckedWithSeq++;
        return;
      case PacketType.NotJoined:
        this.joined = false;
        return;
      case PacketType.Refused: {
        const reason = RefuseReason[buf[3]] ?? `reason ${buf[3]}`;
        this.counters.refused[reason] = (this.counters.refused[reason] ?? 0) + 1;
        if (buf.length >= 8 && buf.readUInt32BE(4) === 0) {
          this.refused = true; // it was the Hello
          if (this.churn) this.counters.churnRefused++;
        }
        return;
      }
      default:
        return;
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
