// Measure 2: the relay in legacy mode against what the seed relay does, with the seed's kind of load,
// inside a network namespace of our own (broadcast never leaves it). As in the seed, the relay binds
// 127.0.0.1:PORT and every client binds 0.0.0.0:PORT with SO_REUSEPORT and hears the relay's
// broadcasts there; a client sends plain `name: text` datagrams from that socket to 127.0.0.1:PORT.
// One sender keeps 16 in flight (sent, not yet heard back by a designated client); what counts is
// the messages per second that reached every client. Two rooms: the sender and one listener (where
// the relay's own cost per message weighs most), and ten clients. The whole measure runs in a
// helper process started inside the namespace; the relays it starts there are processes of their own.
import * as dgram from 'node:dgram';
import type { Role } from './roles/role';
import { Child, withChildren } from './lib/child';
import { enableProfiles, profileDir, profiled } from './lib/profiling';
import { median, round } from './lib/stats';
import { closedLoop, UNLIMITED, type Load, type Run } from './throughput';
import { withNetns } from './netns';

const PORT = 2410; // the seed's port: free inside a fresh namespace
const BROADCAST = '255.255.255.255';

export interface LegacyResult {
  size: number;
  rounds: { ours: Run; bare: Run }[];
  ours: number;
  bare: number;
  ratio: number;
  cpuPerMessageUs: { ours: number; bare: number };
  profile?: string;
}

async function seedClients(size: number): Promise<dgram.Socket[]> {
  return Promise.all(
    Array.from({ length: size }, () => {
      const s = dgram.createSocket({ type: 'udp4', reuseAddr: true, reusePort: true } as dgram.SocketOptions);
      return new Promise<dgram.Socket>((resolve, reject) => {
        s.once('error', reject);
        s.bind(PORT, '0.0.0.0', () => {
          s.setBroadcast(true);
          resolve(s);
        });
      });
    }),
  );
}

async function once(kind: 'ours' | 'bare', size: number, warmupMs: number, ms: number, profileAs?: string): Promise<Run> {
  return withChildren(async (start) => {
    const relay: Child =
      kind === 'ours'
        ? await start('relay', { host: '127.0.0.1', port: PORT, legacyBroadcast: BROADCAST, limits: UNLIMITED })
        : await start('bare-broadcast', { host: '127.0.0.1', port: PORT, broadcast: BROADCAST });
    const clients = await seedClients(size);
    const line = (n: number) => Buffer.from(`seed: ${`${n} `.padEnd(58, 'x')}`); // 64 bytes, like measure 1
    try {
      const counts = clients.map(() => 0);
      clients.forEach((s, i) => s.on('message', () => counts[i]++));
      // Every line differs: the relay takes a line identical to one it broadcast in the last 2 s for
      // its own echo (see docs/BENCHMARKS.md), which repeated payloads would trip.
      const load: Load = {
        send: (n) => clients[0].send(line(n), PORT, '127.0.0.1'),
        counts,
        watcher: 1,
        onWatched: (fn) => clients[1].on('message', fn),
      };
      let run!: Run;
      if (profileAs) await profiled(relay, profileAs, async () => (run = await closedLoop(load, relay, warmupMs, ms, true)));
      else run = await closedLoop(load, relay, warmupMs, ms, true);
      if (run.delivered === 0) throw new Error(`no broadcast from the ${kind} relay reached the clients`);
      return run;
    } finally {
      await Promise.all(clients.map((s) => new Promise<void>((r) => s.close(() => r()))));
    }
  });
}

/** The role that runs inside the namespace: `run` alternates bare and ours and compares the medians. */
export function legacyBenchRole(): Promise<Role> {
  return Promise.resolve({
    info: {},
    handlers: {
      run: async (a: { size: number; rounds: number; warmupMs: number; ms: number; profileDir?: string }): Promise<LegacyResult> => {
        const rounds: { ours: Run; bare: Run }[] = [];
        for (let r = 0; r < a.rounds; r++) {
          // Which side goes first alternates, so that neither always meets what the other left behind.
          const [first, second] = r % 2 === 0 ? (['bare', 'ours'] as const) : (['ours', 'bare'] as const);
          const one = await once(first, a.size, a.warmupMs, a.ms);
          const other = await once(second, a.size, a.warmupMs, a.ms);
          rounds.push(first === 'bare' ? { bare: one, ours: other } : { ours: one, bare: other });
        }
        const ours = median(rounds.map((r) => r.ours.perSecond));
        const bare = median(rounds.map((r) => r.bare.perSecond));
        const perMessage = (r: Run) => (r.relayCpu * r.seconds * 1e6) / Math.max(1, r.delivered);
        let profile: string | undefined;
        if (a.profileDir) {
          enableProfiles(a.profileDir);
          profile = `legacy-${a.size}`;
          await once('ours', a.size, a.warmupMs, a.ms, profile);
        }
        return {
          size: a.size,
          rounds,
          ours: round(ours, 0),
          bare: round(bare, 0),
          // Each round runs bare and ours back to back: their ratio shares the neighbours' load of the
          // moment, so the median of the rounds' ratios is steadier than the ratio of the two medians.
          ratio: round(median(rounds.map((r) => r.ours.perSecond / r.bare.perSecond)), 3),
          cpuPerMessageUs: { ours: round(median(rounds.map((r) => perMessage(r.ours))), 1), bare: round(median(rounds.map((r) => perMessage(r.bare))), 1) },
          profile,
        };
      },
    },
    close: () => undefined,
  });
}

/** From the load generator: a namespace, the role inside it, a result for each room size (number of
 * clients, the sender included), and the namespace gone. */
export async function legacy(sizes: number[], rounds: number, warmupMs: number, ms: number): Promise<LegacyResult[]> {
  return withNetns(async (ns) => {
    const inside = await Child.start('legacy-bench', {}, { prefix: ['ip', 'netns', 'exec', ns] });
    try {
      const out: LegacyResult[] = [];
      for (const size of sizes) out.push(await inside.request<LegacyResult>('run', { size, rounds, warmupMs, ms, profileDir: profileDir() }, (rounds + 1) * (warmupMs + ms + 20_000) * 2));
      return out;
    } finally {
      await inside.stop();
    }
  });
}
