// Measure 1: messages per second that reach every member of a room, from one sender that keeps 16
// messages in flight (sent, not yet seen by a designated member), against a bare node:dgram fan-out
// with the same load. The relay and the baseline each run in a process of their own; the sender and
// the members live in this (the load generator's) process in both cases, and in both cases they are
// bare sockets that only count, so that the load generator is never the bottleneck on two cores.
// clientsOnce repeats ours with real ChatClients, to show what the client side costs on top.
import { bindLoopbackSockets, targetsOf } from './lib/sockets';
import type { Address, RelayLimits } from '../src/chat/types';
import type { Child } from './lib/child';
import { withChildren } from './lib/child';
import { profiled, profiling } from './lib/profiling';
import { median, round, sleep } from './lib/stats';
import { encode } from '../src/protocol/codec';
import { PacketType } from '../src/protocol/packets';
import { closeMembers, createMembers, joinAll, type RawMember } from './raw-member';
import { openRoom, text64 } from './room';

export const IN_FLIGHT = 16;
/** The relay's rate limits, raised so that they do not cap a benchmark of its speed. */
export const UNLIMITED: RelayLimits = { memberMessagesPerSecond: 1e6, memberBurst: 1e6, addressPacketsPerSecond: 1e6, addressBurst: 1e6 };

export interface Run {
  perSecond: number;
  delivered: number;
  seconds: number;
  lost: number; // bare only: datagrams the kernel dropped (written off so the loop goes on)
  relayCpu: number; // share of one core used by the relay (or baseline) process
  loadCpu: number; // ... and by the load generator
}

export interface Load {
  send(n: number): void;
  counts: number[];
  watcher: number; // index in counts of the designated member
  onWatched(fn: () => void): void;
}

/** Keeps IN_FLIGHT messages in flight for warmupMs + ms and counts what reached every member. */
export async function closedLoop(load: Load, server: Child, warmupMs: number, ms: number, writeOff: boolean): Promise<Run> {
  let sent = 0;
  let writtenOff = 0;
  let running = true;
  const topUp = () => {
    while (running && sent - load.counts[load.watcher] - writtenOff < IN_FLIGHT) load.send(sent++);
  };
  load.onWatched(topUp);
  // A datagram the kernel drops never arrives: after two watchdog periods without progress, write
  // it off. The check runs after the poll phase (setImmediate), so datagrams that merely waited for
  // this process to be scheduled again are counted first, not written off.
  let last = -1;
  let stalled = 0;
  const watchdog = setInterval(
    () =>
      setImmediate(() => {
        const seen = load.counts[load.watcher];
        stalled = seen === last && sent - seen - writtenOff > 0 ? stalled + 1 : 0;
        last = seen;
        if (writeOff && stalled >= 2) {
          writtenOff = sent - seen;
          stalled = 0;
          topUp();
        }
      }),
    50,
  );
  topUp();
  await sleep(warmupMs);
  const min0 = Math.min(...load.counts);
  const lost0 = writtenOff;
  await server.request('cpuStart');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ms);
  const min1 = Math.min(...load.counts);
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const relayCpu = await server.request<{ coreShare: number }>('cpuStop');
  running = false;
  clearInterval(watchdog);
  const seconds = (t1 - t0) / 1000;
  return {
    perSecond: (min1 - min0) / seconds,
    delivered: min1 - min0,
    seconds,
    lost: writtenOff - lost0,
    relayCpu: relayCpu.coreShare,
    loadCpu: (cpu.user + cpu.system) / 1000 / (t1 - t0),
  };
}

/** Our relay, with members that only count (raw-protocol sockets), so the relay is what is measured. */
export async function oursOnce(size: number, warmupMs: number, ms: number, profileAs?: string): Promise<Run> {
  return withChildren(async (start) => {
    const relay = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0, limits: UNLIMITED });
    const members = await createMembers(relay.info.address, size);
    try {
      await joinAll(members);
      const counts = members.map(() => 0);
      members.forEach((m, i) => (m.onMsg = () => counts[i]++));
      const load: Load = {
        send: dataSender(members[0]),
        counts,
        watcher: 1,
        onWatched: (fn) => {
          members[1].onMsg = () => {
            counts[1]++;
            fn();
          };
        },
      };
      if (!profileAs) return await closedLoop(load, relay, warmupMs, ms, true);
      let run: Run | undefined;
      await profiled(relay, profileAs, async () => (run = await closedLoop(load, relay, warmupMs, ms, true)));
      return run!;
    } finally {
      await closeMembers(members);
    }
  });
}

/** Sends message n as a one-fragment Data with msgId n + 1 (the member joined expecting msgId 1),
 * copied from one of 64 encoded templates with the msgId written in: the bare baseline's sender
 * sends 64 prepared payloads, so this one must not pay an encode per message either, or the load
 * generator's cost would differ between the two sides of a round. */
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

/** The same load from and to real ChatClients (what a user's client costs sits in the load generator). */
export async function clientsOnce(size: number, warmupMs: number, ms: number): Promise<Run> {
  return withChildren(async (start) => {
    const relay = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0, limits: UNLIMITED });
    const room = await openRoom(relay.info.address, size);
    try {
      const sender = room.clients[0];
      const counts = room.clients.map(() => 0);
      room.clients.forEach((c, i) =>
        c.on('message', (m) => {
          if (m.sender.id === sender.clientId) counts[i]++;
        }),
      );
      const load: Load = {
        send: (n) => sender.send({ kind: 'text', text: text64(n) }),
        counts,
        watcher: 1,
        onWatched: (fn) => room.clients[1].on('message', fn),
      };
      return await closedLoop(load, relay, warmupMs, ms, false);
    } finally {
      await room.close();
    }
  });
}

export async function bareOnce(size: number, warmupMs: number, ms: number): Promise<Run> {
  return withChildren(async (start) => {
    const fan = await start<{ address: { host: string; port: number } }>('bare-fanout', {});
    const sockets = await bindLoopbackSockets(size);
    try {
      await fan.request('targets', { targets: targetsOf(sockets) });
      const counts = sockets.map(() => 0);
      sockets.forEach((s, i) => s.on('message', () => counts[i]++));
      const { host, port } = fan.info.address;
      const payloads = Array.from({ length: 64 }, (_, i) => Buffer.from(text64(i)));
      const load: Load = {
        send: (n) => sockets[0].send(payloads[n % 64], port, host),
        counts,
        watcher: 1,
        onWatched: (fn) => sockets[1].on('message', fn),
      };
      return await closedLoop(load, fan, warmupMs, ms, true);
    } finally {
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    }
  });
}

export interface ThroughputResult {
  size: number;
  rounds: { ours: Run; bare: Run }[];
  ours: number; // median msg/s
  bare: number;
  ratio: number;
  /** Relay-process CPU per message delivered to everyone, in µs (medians): less sensitive to neighbours. */
  cpuPerMessageUs: { ours: number; bare: number };
  profile?: string;
}

/** Runs ours and bare for `rounds` paired rounds (fresh processes each time) and compares them. */
export async function throughput(size: number, rounds: number, warmupMs: number, ms: number): Promise<ThroughputResult> {
  const out: { ours: Run; bare: Run }[] = [];
  for (let r = 0; r < rounds; r++) {
    // Which side goes first alternates, so that neither always meets what the other left behind.
    if (r % 2 === 0) {
      const bare = await bareOnce(size, warmupMs, ms);
      out.push({ bare, ours: await oursOnce(size, warmupMs, ms) });
    } else {
      const ours = await oursOnce(size, warmupMs, ms);
      out.push({ ours, bare: await bareOnce(size, warmupMs, ms) });
    }
  }
  const ours = median(out.map((r) => r.ours.perSecond));
  const bare = median(out.map((r) => r.bare.perSecond));
  const perMessage = (r: Run) => (r.relayCpu * r.seconds * 1e6) / Math.max(1, r.delivered);
  let profile: string | undefined;
  if (profiling()) {
    profile = `throughput-${size}`;
    await oursOnce(size, warmupMs, ms, profile);
  }
  return {
    size,
    rounds: out,
    ours: round(ours, 0),
    bare: round(bare, 0),
    // Each round runs bare and ours back to back: their ratio shares the neighbours' load of the
    // moment, so the median of the rounds' ratios is steadier than the ratio of the two medians.
    ratio: round(median(out.map((r) => r.ours.perSecond / r.bare.perSecond)), 3),
    cpuPerMessageUs: { ours: round(median(out.map((r) => perMessage(r.ours))), 1), bare: round(median(out.map((r) => perMessage(r.bare))), 1) },
    profile,
  };
}
