// Measure 1: messages per second that reach every member of a room, from one sender that keeps 16
// messages in flight, against a bare node:dgram fan-out with the same load (closed-loop.ts: the load,
// and how the two are interleaved). The relay and the baseline each run in a process of their own;
// the sender and the members live in this (the load generator's) process in both cases, and in both
// cases they are bare sockets that only count, so that the load generator costs the same small amount
// on both sides. clientsOnce repeats ours with real ChatClients, to show what the client side costs.
import { compare, paired, window, type Comparison, type Run, type Side } from './closed-loop';
import { bindLoopbackSockets, targetsOf } from './lib/sockets';
import type { Address, RelayLimits } from '../src/chat/types';
import type { Child } from './lib/child';
import { withChildren } from './lib/child';
import { profiled, profiling } from './lib/profiling';
import { encode } from '../src/protocol/codec';
import { PacketType } from '../src/protocol/packets';
import { closeMembers, createMembers, joinAll, type RawMember } from './raw-member';
import { openRoom, text64 } from './room';

export { IN_FLIGHT, type Run } from './closed-loop';
export type ThroughputResult = Comparison;

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
  members.forEach((m, i) => (m.onMsg = () => side.counts[i]++));
  members[side.watcher].onMsg = () => {
    side.counts[side.watcher]++;
    side.onWatched?.();
  };
  return side;
}

/** Sends message n as a one-fragment Data with msgId n + 1 (the member joined expecting msgId 1),
 * copied from one of 64 encoded templates with the msgId written in: the bare baseline's sender
 * sends 64 prepared payloads, so this one must not pay an encode per message either, or the load
 * generator's cost would differ between the two sides. */
export function dataSender(member: RawMember): (n: number) => void {
  const templates = Array.from({ length: 64 }, (_, i) => {
    const chunk = Buffer.from(text64(i));
    return encode({ type: PacketType.Data, clientId: member.clientId, msgId: 0, fragIndex: 0, fragCount: 1, head: { kind: 'text', totalBytes: chunk.length }, chunk });
  });
  return (n) => {
    const datagram = Buffer.from(templates[n % 64]); // a copy: a send the kernel defers keeps its buffer
    datagram.writeUInt32BE((n + 1) >>> 0, MSG_ID_AT);
    member.send(datagram);
  };
}

/** Where a Data packet's msgId is: after the envelope (3 bytes) and the clientId (8). */
const MSG_ID_AT = 3 + 8;

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

/** Ours and bare for `rounds` interleaved pairs of windows of `ms` after `warmupMs` of warm-up each,
 * and, when profiling, ours once more in a window of its own. */
export async function throughput(size: number, rounds: number, warmupMs: number, ms: number): Promise<ThroughputResult> {
  const result = await withChildren(async (start) => {
    const sides: Side[] = [];
    try {
      const ours = await oursSide(start, size);
      sides.push(ours);
      const bare = await bareSide(start, size);
      sides.push(bare);
      return compare(size, await paired(ours, bare, rounds, warmupMs, ms));
    } finally {
      await Promise.all(sides.map((s) => s.close()));
    }
  });
  if (profiling()) {
    result.profile = `throughput-${size}`;
    await withChildren(async (start) => {
      const ours = await oursSide(start, size);
      try {
        await window(ours, warmupMs, 0);
        await profiled(ours.server, result.profile!, () => window(ours, 100, ms));
      } finally {
        await ours.close();
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
