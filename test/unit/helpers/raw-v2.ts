// A member with a bare socket that speaks protocol 2 and nothing more: it joins (Hello, Retry, Hello
// with the cookie and the handshake, Welcome), then sends whatever packet a test hands it, sealed in
// its session, and keeps every packet the relay sends it, opened. For tests that must say things no
// ChatClient would (a Resend for the whole history, Data out of order, a flood), as a real member.
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { ClientSecurity } from '../../../src/chat/client/secure';
import { newIdentity, type DeviceIdentity } from '../../../src/chat/identity';
import { encode } from '../../../src/protocol/codec';
import { nodeCrypto } from '../../../src/protocol/crypto';
import { fragmentData } from '../../../src/protocol/fragments';
import { PacketType, type Data, type Hello, type Packet, type Refused, type SendableBody, type Welcome } from '../../../src/protocol/packets';
import { signWire } from '../../../src/chat/client/signatures';
import { frame } from '../../../src/protocol/v2';

export interface Address {
  host: string;
  port: number;
}

export class RawV2 {
  /** Every packet the relay sent, opened, in arrival order (the Retry and the Welcome included). */
  readonly got: Packet[] = [];
  /** Datagrams from the relay that did not open or frame: a sign something is wrong. */
  readonly bad: Buffer[] = [];
  readonly secure: ClientSecurity;

  private constructor(
    readonly sock: dgram.Socket,
    readonly relay: Address,
    readonly clientId: Buffer,
    readonly identity: DeviceIdentity,
  ) {
    this.secure = new ClientSecurity({ crypto: nodeCrypto, identity, relayAddress: `${relay.host}:${relay.port}` }, clientId);
    sock.on('message', (b) => this.receive(b));
    sock.on('error', () => undefined);
  }

  /** A socket on 127.0.0.1 (or `host`) with a fresh session id and, unless given, a fresh device key. */
  static async open(relay: Address, opts: { host?: string; clientId?: Buffer; identity?: DeviceIdentity } = {}): Promise<RawV2> {
    const sock = dgram.createSocket(relay.host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((r) => sock.bind(0, opts.host ?? '127.0.0.1', r));
    return new RawV2(sock, relay, opts.clientId ?? randomBytes(8), opts.identity ?? newIdentity(nodeCrypto).identity);
  }

  get address(): Address {
    const a = this.sock.address();
    return { host: a.address, port: a.port };
  }

  /** A Hello: without a cookie it asks for one; with one it carries the handshake. */
  hello(cookie: Buffer, fields: Partial<Hello> = {}): void {
    const h: Hello = { type: PacketType.Hello, clientId: this.clientId, name: 'raw', flags: 0, roomId: 0n, lastSeq: 0, firstUnacked: 1, ...fields, cookie };
    this.sendRaw(this.secure.hello(h));
  }

  /** Joins and resolves with the relay's answer: its Welcome, or its Refused. */
  async join(fields: Partial<Hello> = {}, ms = 3000): Promise<Welcome | Refused> {
    const from = this.got.length;
    this.hello(Buffer.alloc(0), fields);
    const retry = await this.next((p) => p.type === PacketType.Retry, ms, from);
    if (retry.type !== PacketType.Retry) throw new Error('unreachable');
    const after = this.got.length;
    this.hello(retry.cookie, fields);
    const answer = await this.next((p) => p.type === PacketType.Welcome || (p.type === PacketType.Refused && p.msgId === 0), ms, after);
    return answer as Welcome | Refused;
  }

  /** The room of the last Welcome: what this member's messages are signed for. */
  roomId = 0n;

  /** A message's Data fragments, signed by this member's device key for the room it joined, as a
   * ChatClient sends them (`roomId` for a signature made for another room). */
  message(msgId: number, body: SendableBody, roomId = this.roomId): Data[] {
    return fragmentData(this.clientId, msgId, body, (head, text) => signWire(this.identity.signingKey, roomId, this.clientId, msgId, head, text));
  }

  /** A packet sealed in the session (after join). */
  send(p: Packet): void {
    const sealed = this.secure.seal(encode(p));
    if (!sealed) throw new Error('Not joined: nothing is sealed before the Welcome');
    this.sendRaw(sealed);
  }

  /** A FileChunk sealed in a BULK datagram (issue 14). */
  sendBulk(p: Packet): void {
    const sealed = this.secure.sealBulk(encode(p));
    if (!sealed) throw new Error('Not joined: nothing is sealed before the Welcome');
    this.sendRaw(sealed);
  }

  sendRaw(buf: Buffer, to: Address = this.relay): void {
    this.sock.send(buf, to.port, to.host);
  }

  /** The first packet from index `from` on that matches, waiting at most `ms`. */
  async next(match: (p: Packet) => boolean, ms = 3000, from = 0): Promise<Packet> {
    const end = Date.now() + ms;
    for (;;) {
      const found = this.got.slice(from).find(match);
      if (found) return found;
      if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for a packet from the relay (got ${this.got.slice(from).map((p) => PacketType[p.type]).join(', ') || 'nothing'})`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }

  private receive(b: Buffer): void {
    try {
      const f = frame(b);
      if (f.kind === 'clear') this.got.push(f.packet);
      else if (f.kind === 'sealed') {
        const p = this.secure.open(b, f.sessionId);
        if (p) this.got.push(p);
        else this.bad.push(b);
      } else if (f.kind === 'welcome') {
        void this.secure.welcome(b, f.sessionId, f.relay).then((out) => {
          if (out.kind !== 'packet') return this.bad.push(b);
          if (out.packet.type === PacketType.Welcome) this.roomId = out.packet.roomId;
          return this.got.push(out.packet);
        });
      } else this.bad.push(b);
    } catch {
      this.bad.push(b);
    }
  }
}
