// Entry point of every helper process: `node child.mjs ROLE OPTIONS_JSON`. It starts the role,
// says `ready` over IPC, answers requests ({id, cmd, args} -> {id, ok, result | error}) and exits
// when asked to close or when the load generator goes away.
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import type { Role } from './roles/role';
import { bareBroadcastRole, bareEchoRole, bareFanoutRole, sealedFanoutRole } from './roles/bare';
import { proxyRole } from './roles/proxy';
import { relayRole } from './roles/relay';
import { legacyBenchRole } from './legacy';
import { activateRole } from './roles/activate';
import { floodRole } from './roles/flood';
import { chatPairRole } from './roles/chat-pair';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each role takes its own options, which the parent built for it
const roles: Record<string, (opts: any) => Promise<Role>> = {
  relay: relayRole,
  'bare-fanout': bareFanoutRole,
  'sealed-fanout': sealedFanoutRole,
  'bare-broadcast': bareBroadcastRole,
  'bare-echo': bareEchoRole,
  proxy: proxyRole,
  'legacy-bench': legacyBenchRole,
  activate: activateRole,
  flood: floodRole,
  'chat-pair': chatPairRole,
};

const send = (m: unknown) => process.send?.(m);
const [roleName, optsJson] = process.argv.slice(2);

/** CPU time of this process between cpuStart and cpuStop, as a share of one core. */
let cpuFrom: { usage: NodeJS.CpuUsage; at: number; mainMs: number | undefined } | undefined;

/** CPU ms of the main thread alone (Linux: its /proc stat, in clock ticks of 10 ms): process.cpuUsage()
 * counts V8's worker threads too, which a profile of the main thread does not show. */
function mainThreadMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, at USER_HZ 100
  } catch {
    return undefined;
  }
}
let profiler: Session | undefined;

function memory(args?: { reduce?: boolean }) {
  const gc = (globalThis as { gc?: (o?: { type: string; execution: string; flavor: string }) => void }).gc;
  if (gc && args?.reduce) gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  else if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  // V8's heap space by space (committed and used): the young generation grows and shrinks on its own.
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]));
  return { gc: gc !== undefined, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, spaces };
}

async function main(): Promise<void> {
  const make = roles[roleName];
  if (!make) throw new Error(`unknown role ${roleName}`);
  const role = await make(JSON.parse(optsJson ?? '{}'));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each request carries its own arguments, which the parent built for it
  const handlers: Record<string, (args: any) => unknown> = {
    ...role.handlers,
    mem: memory,
    cpuStart: () => {
      cpuFrom = { usage: process.cpuUsage(), at: performance.now(), mainMs: mainThreadMs() };
      return true;
    },
    cpuStop: () => {
      if (!cpuFrom) throw new Error('cpuStop before cpuStart');
      const d = process.cpuUsage(cpuFrom.usage);
      const wallMs = performance.now() - cpuFrom.at;
      const main = mainThreadMs();
      const mainThreadShare = main !== undefined && cpuFrom.mainMs !== undefined ? (main - cpuFrom.mainMs) / wallMs : undefined;
      return { userMs: d.user / 1000, systemMs: d.system / 1000, wallMs, coreShare: (d.user + d.system) / 1000 / wallMs, mainThreadShare };
    },
    // A CPU profile of one phase (e.g. only the idle heartbeating), written where the caller says.
    profileStart: async () => {
      profiler ??= new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
      await profiler.post('Profiler.start');
      return true;
    },
    profileStop: async (args: { file: string }) => {
      if (!profiler) throw new Error('profileStop before profileStart');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      writeFileSync(args.file, JSON.stringify(profile));
      return args.file;
    },
    // A heap snapshot after a GC, for finding what a member costs (open it in Chrome DevTools).
    heapSnapshot: (args: { file: string }) => {
      (globalThis as { gc?: () => void }).gc?.();
      return writeHeapSnapshot(args.file);
    },
    close: async () => {
      await role.close();
      setImmediate(() => process.exit(0));
      return true;
    },
  };
  process.on('message', async (m: { id: number; cmd: string; args: unknown }) => {
    const h = handlers[m.cmd];
    try {
      if (!h) throw new Error(`unknown request ${m.cmd}`);
      send({ id: m.id, ok: true, result: await h(m.args) });
    } catch (err) {
      send({ id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  });
  send({ ready: true, info: role.info });
}

process.on('disconnect', () => process.exit(0));
main().catch((err) => {
  send({ error: err instanceof Error ? err.message : String(err) });
  setTimeout(() => process.exit(1), 100);
});
