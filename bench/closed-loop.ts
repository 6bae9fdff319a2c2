// The load of measures 1 and 2, and how ours is compared with bare. One sender keeps IN_FLIGHT
// messages in flight (sent, not yet seen by a designated member); what counts is the messages per
// second that reached every member.
//
// The comparison interleaves: both relays are started and warmed up once, then short windows of load
// alternate between them, the side that goes first alternating too. A neighbour on the shared
// machine that takes a core for a while then weighs on both sides of many pairs instead of deciding
// a whole round, and the relays are measured warm, as they run for hours, not in their first second.
import type { Child } from './lib/child';
import { median, round, sleep } from './lib/stats';

export const IN_FLIGHT = 16;
/** Each window first fills the pipeline again after the other side's turn, unmeasured. */
const REFILL_MS = 100;

export interface Run {
  perSecond: number;
  delivered: number;
  seconds: number;
  lost: number; // datagrams the kernel dropped (written off so the loop goes on)
  relayCpu: number; // share of one core used by the relay (or baseline) process
  relayMainCpu?: number; // ... by its main thread alone (Linux), the rest being V8's worker threads
  loadCpu: number; // ... and by the load generator
}

/** A relay (or a bare baseline) in its own process, with its members in this one, ready for load. */
export interface Side {
  server: Child;
  /** Messages each member has had, counted by the members. */
  counts: number[];
  /** The member whose count says a message has arrived. */
  watcher: number;
  /** Sends the next message. */
  send(): void;
  /** Set by a window while it runs: called for every message the watcher gets. */
  onWatched?: () => void;
  /** Called before each window (ours: heartbeats, so that listeners keep their leases). */
  beforeWindow?(): void;
  /** Whether a lost datagram is written off (a bare baseline has no retransmission). */
  writeOff: boolean;
  close(): Promise<void>;
}

/** Keeps IN_FLIGHT messages in flight for warmupMs + ms and counts what reached every member in
 * the last ms. */
export async function window(side: Side, warmupMs: number, ms: number): Promise<Run> {
  side.beforeWindow?.();
  const { counts, watcher } = side;
  const base = counts[watcher]; // what arrived before: the side's earlier windows
  let sent = 0;
  let writtenOff = 0;
  let running = true;
  const topUp = () => {
    while (running && sent - (counts[watcher] - base) - writtenOff < IN_FLIGHT) {
      side.send();
      sent++;
    }
  };
  side.onWatched = topUp;
  // A datagram the kernel drops never arrives: after two watchdog periods without progress, write
  // it off. The check runs after the poll phase (setImmediate), so datagrams that merely waited for
  // this process to be scheduled again are counted first, not written off.
  let last = -1;
  let stalled = 0;
  const watchdog = setInterval(
    () =>
      setImmediate(() => {
        const seen = counts[watcher] - base;
        stalled = seen === last && sent - seen - writtenOff > 0 ? stalled + 1 : 0;
        last = seen;
        if (side.writeOff && stalled >= 2) {
          writtenOff = sent - seen;
          stalled = 0;
          topUp();
        }
      }),
    50,
  );
  topUp();
  await sleep(warmupMs);
  const min0 = Math.min(...counts);
  const lost0 = writtenOff;
  await side.server.request('cpuStart');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ms);
  const min1 = Math.min(...counts);
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const relayCpu = await side.server.request<{ coreShare: number; mainThreadShare?: number }>('cpuStop');
  running = false;
  side.onWatched = undefined;
  clearInterval(watchdog);
  await sleep(20); // what is still in flight lands before the other side's turn
  const seconds = (t1 - t0) / 1000;
  return {
    perSecond: (min1 - min0) / seconds,
    delivered: min1 - min0,
    seconds,
    lost: writtenOff - lost0,
    relayCpu: relayCpu.coreShare,
    relayMainCpu: relayCpu.mainThreadShare,
    loadCpu: (cpu.user + cpu.system) / 1000 / (t1 - t0),
  };
}

export interface Pair {
  ours: Run;
  bare: Run;
}

/** Warms both sides up (warmupMs of load each, not counted), then `rounds` pairs of ms-long windows. */
export async function paired(ours: Side, bare: Side, rounds: number, warmupMs: number, ms: number): Promise<Pair[]> {
  return (await interleaved([bare, ours], rounds, warmupMs, ms)).map(([b, o]) => ({ ours: o, bare: b }));
}

/** Warms every side up in turn, then `rounds` rounds of one ms-long window per side, the side that
 * goes first rotating from round to round. Each round's runs are in the order of `sides`. */
export async function interleaved(sides: Side[], rounds: number, warmupMs: number, ms: number): Promise<Run[][]> {
  for (const s of sides) await window(s, warmupMs, 0);
  const out: Run[][] = [];
  for (let r = 0; r < rounds; r++) {
    const runs = new Array<Run>(sides.length);
    for (let k = 0; k < sides.length; k++) {
      const i = (r + k) % sides.length;
      runs[i] = await window(sides[i], REFILL_MS, ms);
    }
    out.push(runs);
  }
  return out;
}

export interface Comparison {
  size: number;
  rounds: Pair[];
  ours: number; // median msg/s
  bare: number;
  /** The median of the pairs' ratios: each pair shares the neighbours' load of its moment. */
  ratio: number;
  /** Relay-process CPU per message delivered to everyone, in µs (medians). */
  cpuPerMessageUs: { ours: number; bare: number };
  /** The same for the main thread alone, where the platform tells it (Linux). */
  mainThreadCpuPerMessageUs?: { ours: number; bare: number };
  profile?: string;
}

export function compare(size: number, rounds: Pair[]): Comparison {
  const perMessage = (r: Run) => (r.relayCpu * r.seconds * 1e6) / Math.max(1, r.delivered);
  const mainPerMessage = (r: Run) => ((r.relayMainCpu ?? NaN) * r.seconds * 1e6) / Math.max(1, r.delivered);
  const main = (pick: (p: Pair) => Run) => round(median(rounds.map((r) => mainPerMessage(pick(r)))), 1);
  const hasMain = rounds.every((r) => r.ours.relayMainCpu !== undefined && r.bare.relayMainCpu !== undefined);
  return {
    size,
    rounds,
    ours: round(median(rounds.map((r) => r.ours.perSecond)), 0),
    bare: round(median(rounds.map((r) => r.bare.perSecond)), 0),
    ratio: round(median(rounds.map((r) => r.ours.perSecond / r.bare.perSecond)), 3),
    cpuPerMessageUs: { ours: round(median(rounds.map((r) => perMessage(r.ours))), 1), bare: round(median(rounds.map((r) => perMessage(r.bare))), 1) },
    ...(hasMain ? { mainThreadCpuPerMessageUs: { ours: main((p) => p.ours), bare: main((p) => p.bare) } } : {}),
  };
}
