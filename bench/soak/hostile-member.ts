// One of the hostile member's identities: a bare socket on the hostile's own loopback address that
// joins as a protocol 2 member (Hello, Retry, Hello with the cookie and the handshake, Welcome),
// pings to keep its lease, rejoins after a relay restart, and counts every byte the relay sends it.
// It never repairs, acknowledges or delivers anything. Hostile as it is, it is a real member: what it
// sends is sealed in its session, so the relay's limits, not its authentication, are what it tests.
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { ClientSecurity } from '../../src/chat/client/secure';
import { newIdentity } from '../../src/chat/identity';
import { fragmentData } from '../../src/protocol/fragments';
import { signWire } from '../../src/chat/client/signatures';
import { encode } from '../../src/protocol/codec';
import { nodeCrypto } from '../../src/protocol/crypto';
import { PacketType, RefuseReason, type Packet } from '../../src/protocol/packets';
import { frame } from '../../src/protocol/v2';
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
export async function openSocket(host: string, counters: Counters, onMessage?: (buf: Buffer) => string): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => undefined); // ICMP from a relay that was just killed: nothing to do
  socket.on('message', (buf) => {
    counters.bytesIn += buf.length;
    counters.datagramsIn++;
    try {
      const type = onMessage ? onMessage(buf) : buf.length >= 3 && buf[0] === 0xf9 ? 'unknown' : 'plain';
      counters.received[type] = (counters.received[type] ?? 0) + 1;
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

/** Every hostile member's device key (one install, many sessions). */
export const device = newIdentity(nodeCrypto).identity;

export class HostileMember {
  clientId = randomBytes(8);
  private secure: ClientSecurity;
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
  ) {
    this.secure = this.session();
  }

  private session(): ClientSecurity {
    return new ClientSecurity({ crypto: nodeCrypto, identity: device, relayAddress: `${this.relay.host}:${this.relay.port}` }, this.clientId);
  }

  static async open(relay: Address, host: string, name: string, counters: Counters, churn = false): Promise<HostileMember> {
    const m = new HostileMember(relay, name, counters, churn);
    m.socket = await openSocket(host, counters, (buf) => m.receive(buf));
    return m;
  }

  hello(cookie: Buffer = Buffer.alloc(0)): void {
    this.lastHelloAt = Date.now();
    this.send(this.secure.hello({ type: PacketType.Hello, clientId: this.clientId, name: this.name, flags: 1, roomId: 0n, lastSeq: 0, firstUnacked: this.nextMsgId, cookie }));
  }

  takeMsgId(): number {
    return this.nextMsgId++;
  }

  /** A one-fragment text message, encoded and signed for the room it joined, as a real member's. */
  data(msgId: number, text: string): Buffer {
    const [d] = fragmentData(this.clientId, msgId, { kind: 'text', text }, (head, bytes) => signWire(device.signingKey, this.roomId, this.clientId, msgId, head, bytes));
    return encode(d);
  }

  private roomId = 0n;

  /** Id churn on the same source port: the relay sees another client take over the address. */
  newIdentity(name: string): void {
    this.clientId = randomBytes(8);
    this.secure = this.session();
    this.name = name;
    this.joined = false;
  }

  /** Pings once a second while joined; says Hello again every 500 ms while not (after a restart). */
  keepAlive(): void {
    const now = Date.now();
    if (this.joined && now - this.lastPingAt >= 1000) {
      this.lastPingAt = now;
      this.sendPacket(encode({ type: PacketType.Ping, nonce: now >>> 0 }));
    } else if (!this.joined && !this.churn && now - this.lastHelloAt >= 500) {
      this.hello();
    }
  }

  /** A packet (its v1 encoding) sealed in this member's session; before its first Welcome, as it is
   * (the relay then answers it as a stranger's). Returns the bytes sent. */
  sendPacket(packet: Buffer): number {
    const buf = this.secure.seal(packet) ?? packet;
    this.send(buf);
    return buf.length;
  }

  private send(buf: Buffer): void {
    if (!this.closed) this.socket.send(buf, this.relay.port, this.relay.host);
  }

  /** Opens what the relay sent and acts on it; returns the packet type's name for the counters. */
  private receive(buf: Buffer): string {
    if (buf.length < 3 || buf[0] !== 0xf9) return 'plain';
    const f = frame(buf);
    if (f.kind === 'welcome') {
      void this.secure.welcome(buf, f.sessionId, f.relay).then((out) => out.kind === 'packet' && this.handle(out.packet));
      return 'Welcome';
    }
    const p = f.kind === 'clear' ? f.packet : f.kind === 'sealed' ? this.secure.open(buf, f.sessionId) : undefined;
    if (!p) return 'unopened';
    this.handle(p);
    return PacketType[p.type] ?? 'unknown';
  }

  private handle(p: Packet): void {
    switch (p.type) {
      case PacketType.Retry:
        if (!this.joined) this.hello(p.cookie);
        return;
      case PacketType.Welcome: {
        if (this.joined) return;
        this.joined = true;
        this.roomId = p.roomId;
        this.headSeq = Math.max(this.headSeq, p.headSeq);
        if (this.churn) this.counters.churnAdmitted++;
        else if (this.everJoined) this.counters.rejoins++;
        this.everJoined = true;
        return;
      }
      case PacketType.Msg:
        this.headSeq = Math.max(this.headSeq, p.seq);
        return;
      case PacketType.Pong:
        this.headSeq = Math.max(this.headSeq, p.headSeq);
        return;
      case PacketType.Ack:
        if (p.msgId < this.lateBelow && p.seq !== 0) this.counters.lateAckedWithSeq++;
        return;
      case PacketType.NotJoined:
        this.joined = false;
        return;
      case PacketType.Refused: {
        const reason = RefuseReason[p.reason] ?? `reason ${p.reason}`;
        this.counters.refused[reason] = (this.counters.refused[reason] ?? 0) + 1;
        if (p.msgId === 0) {
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
