// Measure 1: messages per second that reach every member of a room, from one sender that keeps 16
// messages in flight, against two bare node:dgram fan-outs with the same load (closed-loop.ts: the
// load, and how the three are interleaved): one that does protocol 2's per-recipient authentication
// and nothing else (it opens each datagram under the sender's session and seals it for each member
// under that member's, with the relay's sealer: the target's baseline), and one with no crypto at
// all (what protocol 2 costs, beside it). The relay and each baseline run in a process of their own;
// the sender and the members live in this (the load generator's) process, and they are bare sockets
// that only count: with the relay and the sealed baseline they open every datagram as a client
// must, so the load generator costs the same on those two sides. clientsOnce repeats ours with real
// ChatClients, to show what the client side costs.
import { randomBytes } from 'node:crypto';
import { compare, interleaved, window, type Comparison, type Run, type Side } from './closed-loop';
import { bindLoopbackSockets, targetsOf } from './lib/sockets';
import type { Address, RelayLimits } from '../src/chat/types';
import type { Child } from './lib/child';
import { withChildren } from './lib/child';
import { profiled, profiling } from './lib/profiling';
import { encode } from '../src/protocol/codec';
import { MESSAGE_AUTH_BYTES, PacketType, type MessageHead } from '../src/protocol/packets';
import { closeMembers, createMembers, joinAll, type RawMember } from './raw-member';
import type { HexKey } from './roles/bare';
import { openRoom, text64 } from './room';

export { IN_FLIGHT, type Run } from './closed-loop';
/** Ours against the sealed bare fan-out (the target's baseline), and against the crypto-free one. */
export interface ThroughputResult extends Comparison {
  plain: Comparison;
  /** The crypto backend of the relay and the sealed baseline (both choose it with selectCrypto). */
  backend: string;
  /** With --profile: the sealed baseline's profile, beside ours (`profile`). */
  sealedProfile?: string;
}

/** The relay's rate limits, raised so that they do not cap a benchmark of its speed. */
export const UNLIMITED: RelayLimits = { memberMessagesPerSecond: 1e6, memberBurst: 1e6, addressPacketsPerSecond: 1e6, addressBurst: 1e6, membersPerHost: 1e6 };

type Start = typeof import('./lib/child').Child.start;

/** Our relay, with members that only count (raw-protocol sockets), so the relay is what is measured. */
async function oursSide(start: Start, size: number): Promise<Side> {
  const relay = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0, limits: UNLIMITED });
  const members = await createMembers(relay.info.address, size);
  try {
    await joinAll(members);
  } catch (err) {
    await closeMembers(members);
    throw err;
  }
  const send = dataSender(members[0]);
  let n = 0;
  const side: Side = {
    server: relay,
    counts: members.map(() => 0),
    watcher: 1,
    send: () => send(n++),
    // Listeners send nothing else: a heartbeat between windows keeps their leases.
    beforeWindow: () => members.forEach((m) => m.ping()),
    writeOff: true,
    close: () => closeMembers(members),
  };
  countArrivals(side, members);
  return side;
}

/** Each member's Msg datagrams counted on its side; the watcher's also tell the closed loop. */
function countArrivals(side: Side, members: RawMember[]): void {
  members.forEach((m, i) => (m.onMsg = () => side.counts[i]++));
  members[side.watcher].onMsg = () => {
    side.counts[side.watcher]++;
    side.onWatched?.();
  };
}

/** Sends message n as a one-fragment Data with msgId n + 1 (the member joined expecting msgId 1),
 * copied from one of 64 encoded templates with the msgId written in, then sealed in the member's
 * session: the sealed baseline's sender does the same with a prepared Msg, so neither pays an encode
 * per message, and both pay one seal. */
export function dataSender(member: RawMember): (n: number) => void {
  // Signed once, for msgId 0 (the relay checks the key is the sender's, not the signature; these
  // members do not read what they get), so the datagrams are as large as a real member's.
  const templates = Array.from({ length: 64 }, (_, i) => member.data(0, text64(i)));
  return (n) => {
    const packet = templates[n % 64]; // sealing copies it, so the kernel never holds the template
    packet.writeUInt32BE((n + 1) >>> 0, MSG_ID_AT);
    member.sendSealed(packet);
  };
}

/** Where a Data packet's msgId is: after the envelope (3 bytes) and the clientId (8). */
const MSG_ID_AT = 3 + 8;
/** Where a Msg's seq is: right after the envelope. */
const SEQ_AT = 3;

const hexKey = (): HexKey => ({ key: randomBytes(32).toString('hex'), iv: randomBytes(12).toString('hex') });
const bytesOf = (k: HexKey) => ({ key: Buffer.from(k.key, 'hex'), iv: Buffer.from(k.iv, 'hex') });

/** The sealed bare baseline: the members are the relay's RawMembers, keyed by hand (there is no
 * handshake to a bare fan-out), so they open every datagram exactly as they do the relay's. The
 * sender seals a prepared Msg (what the relay's members get), which the fan-out opens and seals again
 * for each member. */
async function sealedSide(start: Start, size: number): Promise<{ side: Side; backend: string }> {
  const fan = await start<{ address: Address; backend: string }>('sealed-fanout', {});
  const members = await createMembers(fan.info.address, size);
  const upstream = hexKey();
  const down = members.map(() => hexKey());
  members.forEach((m, i) => m.keyed(bytesOf(i === 0 ? upstream : hexKey()), bytesOf(down[i])));
  const targets = members.map((m, i) => ({ ...m.address, sessionId: m.clientId.toString('hex'), ...down[i] }));
  await fan.request('targets', { upstream, targets });
  const sender = members[0];
  const templates = Array.from({ length: 64 }, (_, i) => {
    const chunk = Buffer.from(text64(i));
    // With a signature block, as the relay's Msgs carry, so both sides move the same bytes.
    const head: MessageHead = { kind: 'text', totalBytes: chunk.length, auth: Buffer.alloc(MESSAGE_AUTH_BYTES, 7) };
    return encode({ type: PacketType.Msg, seq: 0, time: Date.now(), senderId: sender.clientId, senderFlags: 0, name: sender.name, msgId: 0, fragIndex: 0, fragCount: 1, head, chunk });
  });
  let n = 0;
  const side: Side = {
    server: fan,
    counts: members.map(() => 0),
    watcher: 1,
    send: () => {
      const packet = templates[n % 64];
      packet.writeUInt32BE(++n >>> 0, SEQ_AT);
      sender.sendSealed(packet);
    },
    writeOff: true,
    close: () => closeMembers(members),
  };
  countArrivals(side, members);
  return { side, backend: fan.info.backend };
}

/** The bare baseline: a datagram in, the same bytes out to every member. */
async function bareSide(start: Start, size: number): Promise<Side> {
  const fan = await start<{ address: { host: string; port: number } }>('bare-fanout', {});
  const sockets = await bindLoopbackSockets(size);
  await fan.request('targets', { targets: targetsOf(sockets) });
  const { host, port } = fan.info.address;
  const payloads = Array.from({ length: 64 }, (_, i) => Buffer.from(text64(i)));
  let n = 0;
  const side: Side = {
    server: fan,
    counts: sockets.map(() => 0),
    watcher: 1,
    send: () => sockets[0].send(payloads[n++ % 64], port, host),
    writeOff: true,
    close: async () => {
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
  sockets.forEach((s, i) =>
    s.on('message', () => {
      side.counts[i]++;
      if (i === side.watcher) side.onWatched?.();
    }),
  );
  return side;
}

/** Ours, sealed bare and plain bare for `rounds` interleaved rounds of windows of `ms` after
 * `warmupMs` of warm-up each, and, when profiling, ours once more in a window of its own. */
export async function throughput(size: number, rounds: number, warmupMs: number, ms: number): Promise<ThroughputResult> {
  const result: ThroughputResult = await withChildren(async (start) => {
    const sides: Side[] = [];
    try {
      const ours = await oursSide(start, size);
      sides.push(ours);
      const sealed = await sealedSide(start, size);
      sides.push(sealed.side);
      const bare = await bareSide(start, size);
      sides.push(bare);
      const runs = await interleaved([bare, sealed.side, ours], rounds, warmupMs, ms);
      const vsSealed = compare(size, runs.map(([, s, o]) => ({ ours: o, bare: s })));
      const vsPlain = compare(size, runs.map(([b, , o]) => ({ ours: o, bare: b })));
      return { ...vsSealed, plain: vsPlain, backend: sealed.backend };
    } finally {
      await Promise.all(sides.map((s) => s.close()));
    }
  });
  if (profiling()) {
    // Ours and the sealed baseline each profiled in a window of its own, so their hot spots compare.
    result.profile = `throughput-${size}`;
    result.sealedProfile = `throughput-${size}-sealed`;
    await withChildren(async (start) => {
      const ours = await oursSide(start, size);
      const sealed = await sealedSide(start, size).catch(async (err: unknown) => {
        await ours.close();
        throw err;
      });
      try {
        for (const [side, name] of [[ours, result.profile!], [sealed.side, result.sealedProfile!]] as const) {
          await window(side, warmupMs, 0);
          await profiled(side.server, name, () => window(side, 100, ms));
        }
      } finally {
        await Promise.all([ours.close(), sealed.side.close()]);
      }
    });
  }
  return result;
}

/** The same load from and to real ChatClients (what a user's client costs sits in the load generator). */
export async function clientsOnce(size: number, warmupMs: number, ms: number): Promise<Run> {
  return withChildren(async (start) => {
    const relay: Child = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0, limits: UNLIMITED });
    const room = await openRoom((relay.info as { address: Address }).address, size);
    try {
      const sender = room.clients[0];
      let n = 0;
      const side: Side = {
        server: relay,
        counts: room.clients.map(() => 0),
        watcher: 1,
        send: () => sender.send({ kind: 'text', text: text64(n++) }),
        writeOff: false,
        close: () => room.close(),
      };
      room.clients.forEach((c, i) =>
        c.on('message', (m) => {
          if (m.sender.id !== sender.clientId) return;
          side.counts[i]++;
          if (i === side.watcher) side.onWatched?.();
        }),
      );
      return await window(side, warmupMs, ms);
    } finally {
      await room.close();
    }
  });
}
