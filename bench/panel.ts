// Measure 6: a long history in the chat, in the real VS Code of the integration suite: code-server
// with the production build of the extension, its workbench in headless Debian Chromium, driven by
// test/runner/run-suite.mjs. The suite runs the chat suite and then test/integration/panel-scale.test.ts,
// in one window as `npm test` does (issue G made the backfill crawl only after the chat suite): a
// relay holding 10,000 messages, the chat backfilling them (backfillMs: from the session pointing at
// the relay, when the join starts, to the last message in the extension host), the panel reopened on that history (one snapshot), then one more
// message (one append). The render figures are what the webview itself reports (handling plus style
// and layout). The test prints all of them on a WHATSUDP_BENCH line.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { productionBuild } from './extension';
import { median, round } from './lib/stats';

export const CHROMIUM = process.env.WHATSUDP_CHROMIUM ?? '/usr/bin/chromium';
const BENCH_LINE = /WHATSUDP_BENCH panel (\{.*\})\s*$/;
const SUITE_TIMEOUT_MS = 300_000;
/** The suites that run, in this order, in one window. */
const GREP = '^WhatsUDP (chat|panel scale) ';

export interface PanelRun {
  backfillMs: number;
  /** The same end, timed from writing whatsudp.relayAddress (adds VS Code's round trip for a setting). */
  fromSettingMs: number;
  snapshotRenderMs: number;
  appendRenderMs: number;
  itemCount: number;
  suiteMs: number;
}

export interface PanelResult {
  where: string;
  runs: PanelRun[];
  backfill: { medianMs: number; fromSettingMedianMs: number };
  snapshot: { medianMs: number };
  append: { medianMs: number };
  itemCount: number;
}

interface SuiteResult {
  ok: boolean;
  reason?: string;
  passing: number;
  failing: number;
  ms: number;
}
type RunSuite = (opts: { extensionPath: string; testsPath: string; env?: Record<string, string>; onLine?: (line: string) => void; timeoutMs?: number }) => Promise<SuiteResult>;

/** Why the panel cannot be measured here, or undefined. Never installs anything. */
export async function panelUnavailable(root: string): Promise<string | undefined> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (Debian package chromium; scripts/setup-system.sh installs it)`;
  if (!existsSync(path.join(root, 'node_modules', 'playwright-core'))) return 'playwright-core is not installed (npm ci)';
  if (!existsSync(path.join(root, 'test', 'runner', 'run-suite.mjs'))) return 'the integration runner test/runner/run-suite.mjs is missing';
  if (!existsSync(path.join(root, 'test', 'integration', 'panel-scale.test.ts'))) return 'test/integration/panel-scale.test.ts is missing';
  // Loaded at run time from the repository (not bundled into the benchmark: it finds its files by its own URL).
  const tools = (await import(pathToFileURL(path.join(root, 'scripts', 'tools.mjs')).href)) as { installedCodeServer: () => unknown };
  if (!tools.installedCodeServer()) return 'code-server is not installed under .vscode-test/tools (`node scripts/tools.mjs` or `npm test` installs it)';
  return undefined;
}

function tsc(root: string, outDir: string): Promise<string | undefined> {
  const bin = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, '-p', root, '--outDir', outDir], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve(err ? `\`tsc -p . --outDir ${path.relative(root, outDir)}\` failed: ${`${stdout}${stderr}`.trim().split('\n').slice(-3).join(' / ') || err.message}` : undefined);
    });
  });
}

/** Builds the production extension and the compiled tests under out/bench/, then runs the suite `runs` times. */
export async function panel(root: string, opts: { runs: number; log?: (line: string) => void }): Promise<PanelResult> {
  const log = opts.log ?? (() => {});
  const stage = path.join(root, 'out', 'bench', 'panel-stage');
  const tests = path.join(root, 'out', 'bench', 'panel-tests'); // inside the repository: mocha resolves from node_modules
  const failedBuild = await productionBuild(root, stage);
  if (failedBuild) throw new Error(failedBuild);
  for (const f of ['package.json', 'media']) cpSync(path.join(root, f), path.join(stage, f), { recursive: true });
  rmSync(tests, { recursive: true, force: true });
  const failedTsc = await tsc(root, tests);
  if (failedTsc) throw new Error(failedTsc);

  const { runSuite } = (await import(pathToFileURL(path.join(root, 'test', 'runner', 'run-suite.mjs')).href)) as { runSuite: RunSuite };
  const runs: PanelRun[] = [];
  for (let i = 0; i < opts.runs; i++) {
    let figures: Omit<PanelRun, 'suiteMs'> | undefined;
    const tail: string[] = [];
    const result = await runSuite({
      extensionPath: stage,
      testsPath: path.join(tests, 'test', 'integration', 'index.js'),
      env: { WHATSUDP_TEST_GREP: GREP },
      timeoutMs: SUITE_TIMEOUT_MS,
      onLine: (line) => {
        tail.push(line);
        if (tail.length > 8) tail.shift();
        const m = BENCH_LINE.exec(line);
        if (m) figures = JSON.parse(m[1]) as Omit<PanelRun, 'suiteMs'>;
      },
    });
    if (!result.ok) throw new Error(`the panel-scale test failed: ${result.reason}; last lines: ${tail.join(' / ')}`);
    if (!figures || typeof figures.backfillMs !== 'number' || typeof figures.snapshotRenderMs !== 'number' || typeof figures.appendRenderMs !== 'number') {
      throw new Error(`the panel-scale test passed but printed no complete WHATSUDP_BENCH line (saw ${JSON.stringify(figures)})`);
    }
    runs.push({ ...figures, suiteMs: result.ms });
    log(`panel: run ${i + 1}/${opts.runs}: backfill ${figures.backfillMs} ms after the chat suite (${figures.fromSettingMs} ms from the setting), snapshot ${figures.snapshotRenderMs} ms, append ${figures.appendRenderMs} ms, ${figures.itemCount} items (suite ${round(result.ms / 1000, 1)} s)`);
  }
  return {
    where: "code-server's webview, Chromium",
    runs,
    backfill: { medianMs: round(median(runs.map((r) => r.backfillMs)), 0), fromSettingMedianMs: round(median(runs.map((r) => r.fromSettingMs)), 0) },
    snapshot: { medianMs: round(median(runs.map((r) => r.snapshotRenderMs)), 1) },
    append: { medianMs: round(median(runs.map((r) => r.appendRenderMs)), 2) },
    itemCount: Math.min(...runs.map((r) => r.itemCount)),
  };
}
