// Measure 2: the relay in legacy mode against what the seed relay does, with the seed's kind of load,
// inside a network namespace of our own (broadcast never leaves it). As in the seed, a relay binds
// 127.0.0.1:PORT and every client binds 0.0.0.0:PORT with SO_REUSEPORT and hears the relay's
// broadcasts there; a client sends plain `name: text` datagrams from that socket to 127.0.0.1:PORT.
// One sender keeps 16 in flight, in windows interleaved with bare's as in measure 1 (closed-loop.ts);
// ours listens on the seed's port and bare on the next, so that both can be up at once. Two rooms: the
// sender and one listener (where the relay's own cost per message weighs most), and ten clients. The
// whole measure runs in a helper process started inside the namespace; the relays it starts there are
// processes of their own.
import * as dgram from 'node:dgram';
import type { Role } from './roles/role';
import { compare, paired, window, type Comparison, type Side } from './closed-loop';
import { Child, withChildren } from './lib/child';
import { enableProfiles, profileDir, profiled } from './lib/profiling';
import { UNLIMITED } from './throughput';
import { withNetns } from './netns';

const PORT = 2410; // the seed's port: free inside a fresh namespace
const BROADCAST = '255.255.255.255';

export type LegacyResult = Comparison;

type Start = typeof Child.start;

async function seedClients(size: number, port: number): Promise<dgram.Socket[]> {
  return Promise.all(
    Array.from({ length: size }, () => {
      const s = dgram.createSocket({ type: 'udp4', reuseAddr: true, reusePort: true } as dgram.SocketOptions);
      return new Promise<dgram.Socket>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, '0.0.0.0', () => {
          s.setBroadcast(true);
          resolve(s);
        });
      });
    }),
  );
}

/** A relay of the kind on `port` with `size` seed clients, one of them sending `seed: <n> xxx…`. */
async function side(start: Start, kind: 'ours' | 'bare', size: number, port: number): Promise<Side> {
  const relay =
    kind === 'ours'
      ? await start('relay', { host: '127.0.0.1', port, legacyBroadcast: BROADCAST, limits: UNLIMITED })
      : await start('bare-broadcast', { host: '127.0.0.1', port, broadcast: BROADCAST });
  const clients = await seedClients(size, port);
  // 64 bytes, like measure 1. Every line differs: a relay bound to the wildcard address takes a line
  // identical to one it broadcast in the last 2 s for its own echo (see docs/BENCHMARKS.md).
  const line = (n: number) => Buffer.from(`seed: ${`${n} `.padEnd(58, 'x')}`);
  let n = 0;
  const s: Side = {
    server: relay,
    counts: clients.map(() => 0),
    watcher: 1,
    send: () => clients[0].send(line(n++), port, '127.0.0.1'),
    writeOff: true,
    close: async () => {
      await Promise.all(clients.map((c) => new Promise<void>((r) => c.close(() => r()))));
    },
  };
  clients.forEach((c, i) =>
    c.on('message', () => {
      s.counts[i]++;
      if (i === s.watcher) s.onWatched?.();
    }),
  );
  return s;
}

/** The role that runs inside the namespace: `run` compares ours and bare for one room size. */
export function legacyBenchRole(): Promise<Role> {
  return Promise.resolve({
    info: {},
    handlers: {
      run: async (a: { size: number; rounds: number; warmupMs: number; ms: number; profileDir?: string }): Promise<LegacyResult> => {
        const result = await withChildren(async (start) => {
          const sides: Side[] = [];
          try {
            const ours = await side(start, 'ours', a.size, PORT);
            sides.push(ours);
            const bare = await side(start, 'bare', a.size, PORT + 1);
            sides.push(bare);
            const rounds = await paired(ours, bare, a.rounds, a.warmupMs, a.ms);
            if (rounds.some((r) => r.ours.delivered === 0)) throw new Error('no broadcast from our relay reached the clients');
            return compare(a.size, rounds);
          } finally {
            await Promise.all(sides.map((s) => s.close()));
          }
        });
        if (a.profileDir) {
          enableProfiles(a.profileDir);
          result.profile = `legacy-${a.size}`;
          await withChildren(async (start) => {
            const ours = await side(start, 'ours', a.size, PORT);
            try {
              await window(ours, a.warmupMs, 0);
              await profiled(ours.server, result.profile!, () => window(ours, 100, a.ms));
            } finally {
              await ours.close();
            }
          });
        }
        return result;
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
      for (const size of sizes) {
        const budget = 2 * (rounds * (ms + 300) + 4 * warmupMs + 30_000);
        out.push(await inside.request<LegacyResult>('run', { size, rounds, warmupMs, ms, profileDir: profileDir() }, budget));
      }
      return out;
    } finally {
      await inside.stop();
    }
  });
}
