// The test suite's short soak (issue 10; `npm run soak` is the long one, with latency): honest members
// chat while the hostile member does everything at once from 127.0.0.66, and the relay (the CLI, on a
// store) is killed with SIGKILL halfway and restarted. Every honest message must arrive once and in
// order, nothing acknowledged may be lost, no retransmission may be sequenced twice, and the relay's
// memory and store must stay under their caps. No latency ratios here: those belong to the benchmark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runRows } from '../../bench/soak/checks';
import { runSoak } from '../../bench/soak/run';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
// Compiled beside this file's own bench/ output: hostile-proc.ts imports its options type.
const HOSTILE = path.join(__dirname, '..', '..', 'bench', 'soak', 'hostile-main.js');
const KiB = 1024;

test('a short soak: with the hostile member at its limits and a kill -9, honest messages all arrive, nothing acknowledged is lost, caps hold', { timeout: 40_000 }, async () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build it first with \`node esbuild.mjs\``);
  assert.ok(existsSync(HOSTILE), `${HOSTILE} is missing: compile with \`tsc -p . --outDir out\``);
  const r = await runSoak({
    cli: CLI,
    hostileScript: HOSTILE,
    seconds: 8,
    members: 4,
    perSecond: 5,
    // Caps small enough that eight seconds of the hostile press against them.
    caps: { history: 4096, historyBytes: 1024 * KiB, pendingBytes: 512 * KiB },
    drainMs: 8000,
  });
  const s = r.hostileStats;
  assert.ok(s, 'the hostile member reported what it did');
  assert.ok(s.roleMembers >= 1 && s.sent.seed > 0 && s.sent.resend + s.sent.roster > 0 && s.sent.partial > 0, `the hostile member was really at it: ${JSON.stringify(s.sent)}`);
  assert.ok(r.honest.sent >= 4 * 5 * 6, `the honest members chatted all along: ${r.honest.sent} messages`);
  const failed = runRows(r).filter((row) => row.met === false).map((row) => `${row.measure}: ${row.value} (target ${row.target})`);
  assert.deepEqual(failed, []);
});
