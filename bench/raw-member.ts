// A member that speaks protocol 2 with a bare socket and no client logic: it joins (Hello, Retry,
// Hello with the cookie and the handshake, Welcome), pings when told, can send one-fragment messages,
// and only counts what the relay sends it. Every datagram from the relay is opened under the session,
// as a client must (that is the client's real cost); only the decoding is left out: a Msg's seq and a
// Pong's heartbeat are read from their fixed places in the opened packet. Cheap enough to run
// thousands, or to load a relay without the client's own logic getting in the way. It never asks for
// repairs, so it belongs on a lossless path. A member can also be keyed by hand (`keyed`), for the
// sealed bare baseline, which has no handshake.
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { newIdentity, type DeviceIdentity } from '../src/chat/identity';
import { encode } from '../src/protocol/codec';
import { nodeCrypto, type Crypto } from '../src/protocol/crypto';
import { finishHandshake, startHandshake, type DirectionKey, type PendingHandshake, type RelayAuth } from '../src/protocol/handshake';
import { PacketType, type Data, type Hello, type MessageHead } from '../src/protocol/packets';
import { signWire } from '../src/chat/client/signatures';
import { SessionOpener, SessionSealer } from '../src/protocol/session-cipher';
import { decodeInner, encodeHello, frame, SEALED, SEALED_PREFIX_BYTES, sealedPrefix, WELCOME_PREFIX_BYTES } from '../src/protocol/v2';
import type { Address } from '../src/chat/types';
import { sleep } from './lib/stats';

/** One device key for every member of a run: a key is made once per install, a session per process. */
let device: DeviceIdentity | undefined;
const sharedDevice = () => (device ??= newIdentity(nodeCrypto).identity);

export class RawMember {
  /** The session id, which is the member's clientId on the wire. */
  readonly clientId = randomBytes(8);
  joined = false;
  msgs = 0; // Msg datagrams received (opened)
  pongs = 0;
  lastSeq = 0;
  /** Datagrams that did not open or frame: on a lossless loopback path, a sign something is wrong. */
  bad = 0;
  /** The heartbeat period the relay asked for, in Welcome and then in every Pong (it grows with the room). */
  heartbeatMs = 5000;
  /** Called for every Msg datagram, with its seq (read from its fixed place, not decoded). */
  onMsg: ((seq: number) => void) | undefined;
  private nextMsgId = 1;
  /** The room of the Welcome: what messages are signed for. */
  private roomId = 0n;
  private pingNonce = 1;
  private readonly crypto: Crypto = nodeCrypto;
  private readonly prefix = sealedPrefix(this.clientId);
  private pending: { cookie: Buffer; hs: PendingHandshake } | undefined;
  private sealer: SessionSealer | undefined;
  private opener: SessionOpener | undefined;

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

  /** A session set up by hand, with no relay: what the sealed bare baseline's members use. */
  keyed(send: DirectionKey, receive: DirectionKey): void {
    this.sealer = new SessionSealer(this.crypto, send);
    this.opener = new SessionOpener(this.crypto, receive);
    this.joined = true;
  }

  /** A Hello: without a cookie it asks for one; with one it carries the handshake (the same one again
   * for the same cookie, so a retransmitted Hello gets the relay's first answer). */
  hello(cookie: Buffer = Buffer.alloc(0)): void {
    const h: Hello = { type: PacketType.Hello, clientId: this.clientId, name: this.name, flags: 0, roomId: 0n, lastSeq: 0, firstUnacked: this.nextMsgId, cookie };
    if (cookie.length === 0) return this.send(encodeHello(h));
    const relayAddress = `${this.server.host}:${this.server.port}`;
    if (!this.pending?.cookie.equals(cookie)) this.pending = { cookie: Buffer.from(cookie), hs: startHandshake(this.crypto, sharedDevice().signingKey, { relayAddress, cookie }, this.clientId) };
    this.send(encodeHello(h, { relayAddress, client: this.pending.hs.hello }));
  }

  /** A heartbeat, sealed to the relay, or (for the crypto-free bare baseline) a protocol 1 Ping to `to`. */
  ping(to?: Address): void {
    const ping = encode({ type: PacketType.Ping, nonce: this.pingNonce++ });
    if (to) this.send(ping, to);
    else this.sendSealed(ping);
  }

  leave(): void {
    this.sendSealed(encode({ type: PacketType.Leave, clientId: this.clientId }));
    this.joined = false;
  }

  /** Sends a one-fragment text message (the caller keeps it under ~1 KB). */
  say(text: string): void {
    this.sendSealed(this.data(this.nextMsgId++, text));
  }

  /** A one-fragment text message, encoded, signed as every member's message is (the relay refuses one
   * that is not): the signing is the sender's cost, not the relay's. */
  data(msgId: number, text: string): Buffer {
    const chunk = Buffer.from(text, 'utf8');
    const head: MessageHead = { kind: 'text', totalBytes: chunk.length };
    head.auth = signWire(sharedDevice().signingKey, this.roomId, this.clientId, msgId, head, chunk);
    const p: Data = { type: PacketType.Data, clientId: this.clientId, msgId, fragIndex: 0, fragCount: 1, head, chunk };
    return encode(p);
  }

  /** A packet's whole protocol 1 encoding, sealed in the session (dropped before there is one). */
  sendSealed(packet: Buffer, to: Address = this.server): void {
    if (this.sealer) this.send(this.sealer.seal(this.prefix, packet), to);
  }

  send(buf: Buffer, to: Address = this.server): void {
    this.socket.send(buf, to.port, to.host);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private receive(buf: Buffer): void {
    if (buf.length < 3) return void this.bad++;
    if (buf[1] === 1 && (buf[2] as PacketType) === PacketType.Pong) return void this.pongs++; // the bare echo's answer
    if (buf[2] === SEALED) {
      const opened = this.opener?.open(buf, SEALED_PREFIX_BYTES);
      if (!opened?.ok) return void this.bad++;
      return this.inner(Buffer.from(opened.payload.buffer, opened.payload.byteOffset, opened.payload.length));
    }
    try {
      const f = frame(buf);
      if (f.kind === 'clear' && f.packet.type === PacketType.Retry && !this.joined) this.hello(f.packet.cookie);
      else if (f.kind === 'welcome' && this.pending) this.welcome(buf, this.pending.hs, f.relay);
      else if (f.kind !== 'clear') this.bad++;
    } catch {
      this.bad++;
    }
  }

  /** The relay's half of the handshake: its signature, the keys, then the Welcome sealed inside. */
  private welcome(buf: Buffer, hs: PendingHandshake, relay: RelayAuth): void {
    const done = finishHandshake(this.crypto, hs, relay);
    if (!done.ok) return void this.bad++;
    const opener = new SessionOpener(this.crypto, done.keys.receive);
    const opened = opener.open(buf, WELCOME_PREFIX_BYTES);
    if (!opened.ok) return void this.bad++;
    const p = decodeInner(opened.payload); // once per join: decoded in full
    if (p.type !== PacketType.Welcome) return; // Refused: not joined
    this.roomId = p.roomId;
    this.sealer = new SessionSealer(this.crypto, done.keys.send);
    this.opener = opener;
    this.pending = undefined;
    if (p.heartbeatMs > 0) this.heartbeatMs = p.heartbeatMs;
    this.joined = true;
  }

  /** An opened packet: a Msg is counted by its seq, a Pong's heartbeat taken; nothing else is read. */
  private inner(p: Buffer): void {
    const type = p[2] as PacketType;
    if (type === PacketType.Msg) {
      this.msgs++;
      this.lastSeq = p.readUInt32BE(3);
      this.onMsg?.(this.lastSeq);
    } else if (type === PacketType.Pong) {
      this.pongs++;
      if (p.length >= 23) this.heartbeatMs = p.readUInt32BE(19) || this.heartbeatMs; // nonce epoch headSeq rosterVersion heartbeatMs
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
