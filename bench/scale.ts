// Measure 5: one relay with 1,000 and then 5,000 members joined and heartbeating (raw-protocol
// members without the member list, spread over 16 loopback addresses). In the relay's own process:
// memory per member (RSS and heap after a forced GC), CPU share while the members only heartbeat,
// and the time to fan one message out to all of them.
//
// Memory baseline: a warm-up cohort joins and leaves first, so that one-off costs (JIT-compiled
// code, the young generation growing to its working size, libuv's first send requests) are in the
// baseline and not charged to the members. The cold figure (from a relay nobody had joined yet) is
// reported beside it.
//
// Each reading is taken twice: after an ordinary GC, and then after a memory-reducing one (V8's
// "last resort" GC, which also gives back the young generation the joins grew and the pages V8
// keeps for reuse). After a burst of joins V8 keeps tens of MiB that no member holds (the young
// generation alone grew to 64 MiB in a join of 5,000): the first figure charges them to the
// members, the second is what the members themselves hold.
import type { Address } from '../src/chat/types';
import { withChildren } from './lib/child';
import { profiled } from './lib/profiling';
import { median, round, sleep, waitFor } from './lib/stats';
import { closeMembers, createMembers, joinAll, type RawMember } from './raw-member';

export interface ScaleStep {
  members: number;
  joinMs: number;
  rssPerMemberBytes: number; // (RSS now - warm baseline) / members
  coldRssPerMemberBytes: number; // (RSS now - RSS of the fresh relay) / members
  heapPerMemberBytes: number; // (heapUsed + external) now - warm baseline, / members
  /** The same after a memory-reducing GC (now and at the warm baseline): what the members hold. */
  reduced: { rssPerMemberBytes: number; heapPerMemberBytes: number; rssMiB: number };
  /** V8's young generation (committed) at the ordinary reading: the memory-reducing GC gives most of it back. */
  youngMiB: number;
  /** Where the RSS growth since the warm baseline sits: V8's heap as committed, and the rest (malloc). */
  rssGrowth: { heapTotalMiB: number; externalMiB: number; otherMiB: number };
  rssMiB: number;
  idle: { seconds: number; coreShare: number; pings: number; pongs: number; heartbeatMs: number; pingsPerSecond: number };
  /** Inside the relay: the Data datagram's arrival to its last Msg handed to the kernel. */
  relayFanoutMs: number[];
  /** In the load generator: send until the last member socket was read (includes reading 1 per member). */
  endToEndMs: number[];
  reached: number[]; // members that got each message (should be all)
  relayMembers: number;
  profile?: string;
  /** The same heartbeats answered by a bare node:dgram echo (one 19-byte reply each), same duration. */
  bareIdle?: { coreShare: number; pings: number };
}

export interface ScaleResult {
  baseline: { coldRssMiB: number; warmRssMiB: number; warmup: number };
  steps: ScaleStep[];
  /** RSS and heap growth per member between the first and the last step: what one more member costs. */
  marginal?: { fromMembers: number; toMembers: number; rssPerMemberBytes: number; heapPerMemberBytes: number };
}

const HOSTS = Array.from({ length: 16 }, (_, i) => `127.0.0.${10 + i}`);
const WARMUP_MEMBERS = 500;

interface Mem {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  spaces: Record<string, { size: number; used: number }>;
}

const perMember = (now: Mem, base: Mem, n: number) => ({
  rss: round((now.rss - base.rss) / n, 0),
  heap: round((now.heapUsed + now.external - base.heapUsed - base.external) / n, 0),
});

/** Pings each member once per the heartbeat period the relay gave it (its Welcome, then its Pongs),
 * the members' phases spread evenly over the period as a room's would be, from one 10 ms timer. */
function heartbeat(members: RawMember[], to?: Address, periodMs?: number): { stop(): void; pings(): number; perSecond(): number } {
  let sent = 0;
  const t0 = performance.now();
  const period = (m: RawMember) => periodMs ?? m.heartbeatMs;
  const next = members.map((m, i) => t0 + (i / members.length) * period(m));
  const timer = setInterval(() => {
    const now = performance.now();
    for (let i = 0; i < members.length; i++) {
      if (next[i] > now) continue;
      members[i].ping(to);
      sent++;
      next[i] += period(members[i]);
    }
  }, 10);
  return { stop: () => clearInterval(timer), pings: () => sent, perSecond: () => members.reduce((n, m) => n + 1000 / period(m), 0) };
}

/** Grows one relay through `sizes` (ascending), measuring at each. */
export async function scale(sizes: number[], idleMs: number, fanouts: number): Promise<ScaleResult> {
  return withChildren(async (start) => {
    const max = Math.max(...sizes);
    const relay = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0, limits: { maxMembers: Math.max(max + WARMUP_MEMBERS, 4096), membersPerHost: Math.max(max + WARMUP_MEMBERS, 4096) } });
    const server = relay.info.address;
    const members: RawMember[] = [];
    let beat: ReturnType<typeof heartbeat> | undefined;
    try {
      const cold = await relay.request<Mem>('mem');
      const warmup = await createMembers(server, WARMUP_MEMBERS, HOSTS);
      await joinAll(warmup);
      for (const m of warmup) m.leave();
      await sleep(300);
      await closeMembers(warmup);
      const warm = await relay.request<Mem>('mem');
      const warmReduced = await relay.request<Mem>('mem', { reduce: true });

      const steps: ScaleStep[] = [];
      const mems: Mem[] = [];
      for (const size of sizes) {
        // The members already in keep heartbeating while the next ones join: on a loaded machine a
        // join of 4,000 took over 30 s, and members silent that long are dropped (their lease).
        const fresh = await createMembers(server, size - members.length, HOSTS);
        const j0 = performance.now();
        await joinAll(fresh);
        const joinMs = performance.now() - j0;
        beat?.stop();
        members.push(...fresh);
        beat = heartbeat(members);
        // The relay lengthens the heartbeat as the room grows and says so in each Pong: wait until every
        // member pings at the period the newest one was given (at most one old period), then spread
        // the phases again for it.
        const period = () => members[members.length - 1].heartbeatMs;
        await waitFor(() => members.every((m) => m.heartbeatMs === period()), 2 * 5000 + 1000, 50);
        beat.stop();
        beat = heartbeat(members);
        await sleep(1000); // joins settle: Welcomes out, strangers forgotten, buffers drained
        const mem = await relay.request<Mem>('mem');
        const memReduced = await relay.request<Mem>('mem', { reduce: true });
        mems.push(memReduced);
        const stats = await relay.request<{ members: number }>('stats');

        const pongs0 = members.reduce((n, m) => n + m.pongs, 0);
        const pings0 = beat.pings();
        await relay.request('cpuStart');
        await sleep(idleMs);
        const cpu = await relay.request<{ coreShare: number; wallMs: number }>('cpuStop');
        const idle = {
          seconds: round(cpu.wallMs / 1000, 1),
          coreShare: cpu.coreShare,
          pings: beat.pings() - pings0,
          pongs: members.reduce((n, m) => n + m.pongs, 0) - pongs0,
          heartbeatMs: members[members.length - 1].heartbeatMs,
          pingsPerSecond: round(beat.perSecond(), 0),
        };
        const profile = await profiled(relay, `scale-idle-${size}`, () => sleep(idleMs)); // a separate repeat

        const endToEndMs: number[] = [];
        const reached: number[] = [];
        await relay.request('fanouts'); // forget earlier ones
        for (let k = 0; k < fanouts; k++) {
          const base = members.map((m) => m.msgs);
          let count = 0;
          let lastAt = 0;
          members.forEach((m, i) => {
            m.onMsg = () => {
              if (m.msgs === base[i] + 1) {
                count++;
                lastAt = performance.now();
              }
            };
          });
          const t0 = performance.now();
          members[k].say(`fan-out ${k}`);
          await waitFor(() => count === members.length, 5000, 1);
          endToEndMs.push(round(lastAt - t0, 2));
          reached.push(count);
          await sleep(100); // the tail beacon (a Pong to everyone 30 ms later) passes
        }
        const relayFanoutMs = (await relay.request<number[]>('fanouts')).map((x) => round(x, 2));
        for (const m of members) m.onMsg = undefined;
        steps.push({
          members: size,
          joinMs: round(joinMs, 0),
          rssPerMemberBytes: round((mem.rss - warm.rss) / size, 0),
          coldRssPerMemberBytes: round((mem.rss - cold.rss) / size, 0),
          heapPerMemberBytes: round((mem.heapUsed + mem.external - warm.heapUsed - warm.external) / size, 0),
          reduced: { rssPerMemberBytes: perMember(memReduced, warmReduced, size).rss, heapPerMemberBytes: perMember(memReduced, warmReduced, size).heap, rssMiB: round(memReduced.rss / 2 ** 20, 1) },
          youngMiB: round(mem.spaces.new_space.size / 2 ** 20, 1),
          rssGrowth: {
            heapTotalMiB: round((mem.heapTotal - warm.heapTotal) / 2 ** 20, 2),
            externalMiB: round((mem.external - warm.external) / 2 ** 20, 2),
            otherMiB: round((mem.rss - warm.rss - (mem.heapTotal - warm.heapTotal) - (mem.external - warm.external)) / 2 ** 20, 2),
          },
          rssMiB: round(mem.rss / 2 ** 20, 1),
          idle,
          relayFanoutMs,
          endToEndMs,
          reached,
          relayMembers: stats.members,
          profile,
        });
      }
      // The bare baseline, after the relay has gone: a socket that answers each heartbeat and nothing else.
      beat?.stop();
      beat = undefined;
      await relay.stop();
      const echo = await start<{ address: Address }>('bare-echo', {});
      for (const step of steps) {
        // The same members at the period the relay gave them at that size (they have since been told a longer one).
        const b = heartbeat(members.slice(0, step.members), echo.info.address, step.idle.heartbeatMs);
        await sleep(500);
        const p0 = b.pings();
        await echo.request('cpuStart');
        await sleep(idleMs);
        const cpu = await echo.request<{ coreShare: number }>('cpuStop');
        step.bareIdle = { coreShare: cpu.coreShare, pings: b.pings() - p0 };
        b.stop();
      }
      const [a, b] = [mems[0], mems[mems.length - 1]];
      const span = steps[steps.length - 1].members - steps[0].members;
      const marginal =
        span > 0
          ? { fromMembers: steps[0].members, toMembers: steps[steps.length - 1].members, rssPerMemberBytes: round((b.rss - a.rss) / span, 0), heapPerMemberBytes: round((b.heapUsed + b.external - a.heapUsed - a.external) / span, 0) }
          : undefined;
      return { baseline: { coldRssMiB: round(cold.rss / 2 ** 20, 1), warmRssMiB: round(warm.rss / 2 ** 20, 1), warmup: WARMUP_MEMBERS }, steps, marginal };
    } finally {
      beat?.stop();
      await closeMembers(members);
    }
  });
}

export const fanoutMedian = (xs: number[]): number => median(xs);
