// `npm run package`: a production build (minified, no source maps), then whatsudp-<version>.vsix with
// vsce. No prompts: vsce gets no stdin, so a question it would ask becomes an error, not a hang.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { runCommand } from './proc.mjs';
import { node24, repoRoot } from './tools.mjs';

const TIMEOUT_MS = 5 * 60_000;
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const out = `${pkg.name}-${pkg.version}.vsix`;
const node = node24().bin;
const env = { ...process.env, PATH: `${node24().binDir}${path.delimiter}${process.env.PATH ?? ''}` };

async function step(label, args) {
  console.log(`$ ${label}`);
  const res = await runCommand(node, args, { cwd: repoRoot, env, timeoutMs: TIMEOUT_MS });
  if (res.code !== 0) {
    console.error(`package: \`${label}\` failed (${res.signal ?? `exit ${res.code}`})`);
    process.exit(1);
  }
}

for (const file of ['LICENSE', 'README.md', pkg.icon].filter(Boolean)) {
  if (!existsSync(path.join(repoRoot, file))) {
    console.error(`package: ${file} is missing; vsce needs it`);
    process.exit(1);
  }
}
await step('node esbuild.mjs --production', ['esbuild.mjs', '--production']);
const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
await step(`vsce package --no-dependencies --out ${out}`, [vsce, 'package', '--no-dependencies', '--out', out]);
const bytes = statSync(path.join(repoRoot, out)).size;
console.log(`package: ${out}  ${(bytes / 1024).toFixed(1)} KiB (${bytes} bytes)`);
