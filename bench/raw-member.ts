// A member that speaks the protocol with a bare socket and no client logic: it joins (Hello, Retry,
// Hello with the cookie, Welcome), pings when told, can send one-fragment messages, and only counts
// what the relay sends it. Cheap enough to run thousands, or to load a relay without the client's own
// cost getting in the way. It never asks for repairs, so it belongs on a lossless path.
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { decode, encode } from '../src/protocol/codec';
import { PacketType, type Data } from '../src/protocol/packets';
import type { Address } from '../src/chat/types';
import { sleep } from './lib/stats';

export class RawMember {
  readonly clientId = randomBytes(8);
  joined = false;
  msgs = 0; // Msg datagrams received
  pongs = 0;
  lastSeq = 0;
  /** The heartbeat period the relay asked for, in Welcome and then in every Pong (it grows with the room). */
  heartbeatMs = 5000;
  /** Called for every Msg datagram, with its seq (read from its fixed place, not decoded). */
  onMsg: ((seq: number) => void) | undefined;
  private nextMsgId = 1;
  private pingNonce = 1;

  private constructor(
    readonly socket: dgram.Socket,
    readonly server: Address,
    readonly name: string,
  ) {
    socket.on('message', (buf) => this.receive(buf));
    socket.on('error', () => undefined); // a closed peer's ICMP: nothing to do
  }

  static async create(server: Address, name: string, host = '127.0.0.1'): Promise<RawMember> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new RawMember(socket, server, name);
  }

  get address(): Address {
    const a = this.socket.address();
    return { host: a.address, port: a.port };
  }

  hello(cookie: Buffer = Buffer.alloc(0)): void {
    this.send(encode({ type: PacketType.Hello, clientId: this.clientId, name: this.name, flags: 0, roomId: 0n, lastSeq: 0, firstUnacked: this.nextMsgId, cookie }));
  }

  /** A heartbeat, to the relay or (for the bare baseline) to `to`. */
  ping(to?: Address): void {
    this.send(encode({ type: PacketType.Ping, nonce: this.pingNonce++ }), to);
  }

  leave(): void {
    this.send(encode({ type: PacketType.Leave, clientId: this.clientId }));
    this.joined = false;
  }

  /** Sends a one-fragment text message (the caller keeps it under ~1 KB). */
  say(text: string): void {
    const chunk = Buffer.from(text, 'utf8');
    const p: Data = { type: PacketType.Data, clientId: this.clientId, msgId: this.nextMsgId++, fragIndex: 0, fragCount: 1, head: { kind: 'text', totalBytes: chunk.length }, chunk };
    this.send(encode(p));
  }

  send(buf: Buffer, to: Address = this.server): void {
    this.socket.send(buf, to.port, to.host);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private receive(buf: Buffer): void {
    const type = buf[2] as PacketType;
    if (type === PacketType.Msg) {
      this.msgs++;
      this.lastSeq = buf.readUInt32BE(3);
      this.onMsg?.(this.lastSeq);
    } else if (type === PacketType.Pong) {
      this.pongs++;
      if (buf.length >= 23) this.heartbeatMs = buf.readUInt32BE(19) || this.heartbeatMs; // nonce epoch headSeq rosterVersion heartbeatMs
    } else if (type === PacketType.Retry && !this.joined) {
      const p = decode(buf);
      if (p.type === PacketType.Retry) this.hello(p.cookie);
    } else if (type === PacketType.Welcome) {
      const p = decode(buf);
      if (p.type === PacketType.Welcome && p.heartbeatMs > 0) this.heartbeatMs = p.heartbeatMs;
      this.joined = true;
    }
  }
}

/** Binds `n` members, spreading them over `hosts` (loopback addresses), `batch` binds at a time. */
export async function createMembers(server: Address, n: number, hosts: string[] = ['127.0.0.1'], batch = 500): Promise<RawMember[]> {
  const out: RawMember[] = [];
  try {
    for (let i = 0; i < n; i += batch) {
      const count = Math.min(batch, n - i);
      out.push(...(await Promise.all(Array.from({ length: count }, (_, j) => RawMember.create(server, `m${i + j}`, hosts[(i + j) % hosts.length])))));
    }
  } catch (err) {
    await closeMembers(out);
    throw err;
  }
  return out;
}

/** Joins everyone, `batch` handshakes at a time, saying Hello again to those not in after 500 ms. */
export async function joinAll(members: RawMember[], batch = 250, tries = 10): Promise<void> {
  for (let i = 0; i < members.length; i += batch) {
    const group = members.slice(i, i + batch);
    for (let t = 0; t < tries; t++) {
      const waiting = group.filter((m) => !m.joined);
      if (waiting.length === 0) break;
      for (const m of waiting) m.hello();
      const deadline = performance.now() + 500;
      while (group.some((m) => !m.joined) && performance.now() < deadline) await sleep(2);
    }
    const missing = group.filter((m) => !m.joined).length;
    if (missing > 0) throw new Error(`${missing} of ${group.length} members could not join`);
  }
}

export async function closeMembers(members: RawMember[]): Promise<void> {
  await Promise.all(members.map((m) => m.close()));
}
