// `npm run soak`: the bounded soak of issue 10. Two runs of the same room, one of honest members only
// and one with the hostile member doing everything at once, each with a kill -9 and a restart of the
// relay halfway. Prints the table (a missed target reads NO and the soak FAILED, exit 1) and writes
// the figures to bench-results/soak.json. Options: --seconds=N per run (default 40), --hostile-only.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { table, type Row } from './lib/report';
import { latencyRow, runRows } from './soak/checks';
import { runSoak, type Caps, type SoakRun } from './soak/run';

const argv = process.argv.slice(2);
const seconds = Number(argv.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 40);
const hostileOnly = argv.includes('--hostile-only');
const root = process.cwd();
const here = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
/** Small enough that forty seconds of the hostile reach every cap. */
const caps: Caps = { history: 8192, historyBytes: 4 * MiB, pendingBytes: 2 * MiB };
const base = { cli: path.join(root, 'dist', 'cli.js'), seconds, members: 8, perSecond: 4, caps, drainMs: 15_000, log: (l: string) => console.log(`  ${l}`) };

const started = Date.now();
console.log(`soak: ${os.availableParallelism()} cores, Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${base.members} honest members at ${base.perSecond} msg/s each, ${seconds} s per run`);
const runs: SoakRun[] = [];
const rows: Row[] = [];
let failure: string | undefined;
try {
  if (!hostileOnly) {
    console.log('- honest members only');
    runs.push(await runSoak(base));
  }
  console.log('- with the hostile member');
  runs.push(await runSoak({ ...base, hostileScript: path.join(here, 'hostile.mjs') }));
} catch (err) {
  failure = err instanceof Error ? err.message : String(err);
}
for (const r of runs) rows.push(...runRows(r));
const quiet = runs.find((r) => !r.hostile);
const loud = runs.find((r) => r.hostile);
if (quiet && loud) rows.push(latencyRow(quiet, loud));

console.log(`\n${table(rows)}\n`);
const missed = rows.filter((r) => r.met === false).map((r) => r.measure);
if (failure) missed.push(`the soak could not finish: ${failure}`);
const out = { date: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 1000), loadavgAtEnd: os.loadavg(), caps, table: rows, runs, failure };
mkdirSync(path.join(root, 'bench-results'), { recursive: true });
writeFileSync(path.join(root, 'bench-results', 'soak.json'), JSON.stringify(out, null, 2) + '\n');
console.log(missed.length ? `soak: FAILED: ${missed.join('; ')}` : 'soak: passed (every check met)');
console.log(`wrote bench-results/soak.json in ${out.seconds} s`);
process.exitCode = missed.length ? 1 : 0;
