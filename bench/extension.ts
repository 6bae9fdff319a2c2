// Measure 7: what the extension costs a user before they chat. The production bundles are built with
// the project's own `node esbuild.mjs --production`, run in a staging folder under out/ (src linked
// in) so that dist/, which other work uses, is never rewritten. The .vsix is made there with the same
// vsce command `npm run package` runs. Activation is timed in fresh processes (see roles/activate.ts).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Child } from './lib/child';
import { median, round } from './lib/stats';

export interface Bundle {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface ExtensionResult {
  bundles: Bundle[] | { notMeasured: string };
  vsix: { bytes: number; files?: number } | { notMeasured: string };
  activation: { runs: { requireMs: number; activateMs: number; totalMs: number; ownActivationMs?: number }[]; medianTotalMs: number; medianOwnMs?: number } | { notMeasured: string };
}

const BUNDLES = ['dist/extension.js', 'dist/webview.js', 'dist/cli.js'];

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (b: Buffer) => (output = (output + b.toString()).slice(-4000));
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    const timer = setTimeout(() => {
      output += `\n(stopped after ${timeoutMs / 1000} s)`;
      if (p.pid !== undefined) process.kill(p.pid, 'SIGKILL');
    }, timeoutMs);
    p.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: err.message });
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.trim() });
    });
  });
}

const lastLine = (s: string) => s.split('\n').filter((l) => l.trim()).slice(-3).join(' / ');

/** Builds the production bundles into `stage`; returns why not, or undefined. */
export async function productionBuild(root: string, stage: string): Promise<string | undefined> {
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  symlinkSync(path.join(root, 'src'), path.join(stage, 'src'));
  const r = await run(process.execPath, [path.join(root, 'esbuild.mjs'), '--production'], stage, 120_000);
  if (r.code !== 0) return `\`node esbuild.mjs --production\` failed: ${lastLine(r.output)}`;
  return undefined;
}

async function vsix(root: string, stage: string): Promise<ExtensionResult['vsix']> {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { icon?: string };
  // What scripts/package.mjs checks before it runs vsce.
  const missing = ['LICENSE', 'README.md', pkg.icon].filter((f): f is string => !!f && !existsSync(path.join(root, f)));
  if (missing.length) return { notMeasured: `\`npm run package\` cannot work yet: ${missing.join(', ')} missing` };
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  if (!existsSync(vsce)) return { notMeasured: '@vscode/vsce is not installed (npm ci)' };
  rmSync(path.join(stage, 'src'), { force: true }); // only what would ship
  for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore', 'media']) {
    if (existsSync(path.join(root, f))) cpSync(path.join(root, f), path.join(stage, f), { recursive: true });
  }
  const out = path.join(stage, 'bench.vsix');
  const r = await run(process.execPath, [vsce, 'package', '--no-dependencies', '--out', out], stage, 180_000);
  if (r.code !== 0 || !existsSync(out)) return { notMeasured: `vsce package failed: ${lastLine(r.output)}` };
  const files = /(\d+) files?/.exec(r.output)?.[1];
  return { bytes: statSync(out).size, files: files ? Number(files) : undefined };
}

async function activation(extension: string, runs: number): Promise<ExtensionResult['activation']> {
  const list: { requireMs: number; activateMs: number; totalMs: number; ownActivationMs?: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const c = await Child.start<(typeof list)[number]>('activate', { extension }, { startTimeoutMs: 20_000 });
    list.push(c.info);
    await c.stop();
  }
  const own = list.map((r) => r.ownActivationMs).filter((x): x is number => typeof x === 'number');
  return {
    runs: list.map((r) => ({ requireMs: round(r.requireMs, 2), activateMs: round(r.activateMs, 2), totalMs: round(r.totalMs, 2), ownActivationMs: r.ownActivationMs === undefined ? undefined : round(r.ownActivationMs, 2) })),
    medianTotalMs: round(median(list.map((r) => r.totalMs)), 2),
    medianOwnMs: own.length ? round(median(own), 2) : undefined,
  };
}

export async function extension(root: string, opts: { runs: number; packageVsix: boolean }): Promise<ExtensionResult> {
  const stage = path.join(root, 'out', 'bench', 'stage');
  const failed = await productionBuild(root, stage);
  if (failed) return { bundles: { notMeasured: failed }, vsix: { notMeasured: failed }, activation: { notMeasured: failed } };
  const bundles = BUNDLES.filter((f) => existsSync(path.join(stage, f))).map((f) => {
    const data = readFileSync(path.join(stage, f));
    return { file: f, bytes: data.length, gzipBytes: gzipSync(data).length };
  });
  let act: ExtensionResult['activation'];
  try {
    act = await activation(path.join(stage, 'dist', 'extension.js'), opts.runs);
  } catch (err) {
    act = { notMeasured: `activate() in a stand-in host failed: ${(err as Error).message}` };
  }
  const pkg = opts.packageVsix ? await vsix(root, stage) : { notMeasured: 'skipped with --quick (vsce takes ~10 s)' };
  return { bundles, vsix: pkg, activation: act };
}
