// `npm run soak [-- --seconds=N] [-- --hostile-only]`: builds the CLI (the relay under soak runs as
// `node dist/cli.js relay`) and the soak (bench/soak.ts and the hostile member's own process, bundled
// into out/soak/), then runs it on the project's Node 24, bounded in time whatever happens.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { runCommand } from './proc.mjs';
import { node24 } from './tools.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LIMIT_MS = 4 * 60_000; // two runs stop themselves in about two minutes; this is the backstop
const node = node24().bin;

const build = await runCommand(node, ['esbuild.mjs'], { cwd: root, timeoutMs: 120_000 });
if (build.code !== 0) {
  console.error('soak: `node esbuild.mjs` failed; the relay cannot be built');
  process.exit(1);
}
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { soak: 'bench/soak.ts', hostile: 'bench/soak/hostile-main.ts' },
  outdir: 'out/soak',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});

const child = spawn(node, [path.join(root, 'out', 'soak', 'soak.mjs'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', detached: true });
const stop = (signal) => {
  try {
    process.kill(-child.pid, signal); // its process group: the relays and the hostile it started go too
  } catch {
    // already gone
  }
};
const timer = setTimeout(() => {
  console.error(`soak: still running after ${LIMIT_MS / 60_000} minutes; stopping it`);
  stop('SIGTERM');
  setTimeout(() => stop('SIGKILL'), 5_000).unref();
}, LIMIT_MS);
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
child.on('close', (code, signal) => {
  clearTimeout(timer);
  process.exitCode = code ?? (signal ? 1 : 0);
});
