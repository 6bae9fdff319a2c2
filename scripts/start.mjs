// `npm start`: build, run a relay on 127.0.0.1:2410 (or reuse a WhatsUDP relay already there), and open
// VS Code with the extension loaded from this folder: the desktop `code` when it is on PATH, otherwise
// code-server at a printed http://127.0.0.1 address. Ctrl+C stops everything this script started.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startCodeServer } from '../test/runner/code-server.mjs';
import { runCommand } from './proc.mjs';
import { ensureTools, node24, repoRoot } from './tools.mjs';

const HOST = '127.0.0.1';
const PORT = 2410;
const stateDir = path.join(repoRoot, '.vscode-test', 'start'); // kept between runs: your name, history, settings
const node = node24().bin;
const cli = path.join(repoRoot, 'dist', 'cli.js');
// The extension opens its chat panel at startup when it sees this (see src/extension).
const OPEN_CHAT_ENV = { WHATSUDP_OPEN_CHAT: '1' };
const stops = [];

async function main() {
  console.log('start: building');
  const build = await runCommand(node, ['esbuild.mjs'], { cwd: repoRoot, timeoutMs: 5 * 60_000 });
  if (build.code !== 0) throw new Error('the build failed');

  await startRelay();

  const code = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' }).stdout.trim();
  if (code) {
    console.log(`start: opening VS Code (${code}) with the extension from ${repoRoot}`);
    const r = spawnSync(code, [`--extensionDevelopmentPath=${repoRoot}`, repoRoot], {
      stdio: 'inherit',
      env: { ...process.env, ...OPEN_CHAT_ENV },
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`\`code\` failed (${r.error?.message ?? `exit ${r.status}`})`);
  } else {
    await openInCodeServer();
  }
  console.log('start: if the chat is not open yet, click the chat icon in the status bar or run "WhatsUDP: Open Chat".');
  console.log('start: running; Ctrl+C stops what this script started.');
}

async function startRelay() {
  const store = path.join(stateDir, 'relay-store');
  mkdirSync(store, { recursive: true });
  const child = spawn(node, [cli, 'relay', '--host', HOST, '--port', String(PORT), '--store', store], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr += c.toString();
    process.stderr.write(`[relay] ${c}`);
  });
  const outcome = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ timeout: true }), 10_000);
    child.stdout.once('data', (c) => {
      clearTimeout(timer);
      resolve({ address: c.toString().split('\n')[0].trim() });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code });
    });
  });
  if (outcome.address) {
    console.log(`start: relay listening on ${outcome.address} (messages kept in ${path.relative(repoRoot, store)})`);
    child.stdout.on('data', () => {}); // keep the pipe drained
    stops.push(async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    });
    return;
  }
  if (outcome.timeout) {
    child.kill('SIGKILL');
    throw new Error('the relay did not start within 10 s');
  }
  if (outcome.exitCode === 4 && (await relayAnswers())) {
    console.log(`start: a WhatsUDP relay already runs on ${HOST}:${PORT}; using it`);
    return;
  }
  throw new Error(`cannot run a relay on ${HOST}:${PORT} (exit ${outcome.exitCode}): ${stderr.trim() || 'no reason given'}`);
}

/** True when a WhatsUDP relay lets us join at HOST:PORT (an empty chat session: join, then leave). */
async function relayAnswers() {
  const res = await runCommand(
    node,
    [cli, 'chat', '--name', 'npm-start-check', '--server', `${HOST}:${PORT}`, '--join-timeout-ms', '3000', '--wait-ms', '1000'],
    { cwd: repoRoot, timeoutMs: 15_000, quiet: true },
  );
  return res.code === 0;
}

async function openInCodeServer() {
  const tools = await ensureTools();
  const dirs = {
    userData: path.join(stateDir, 'user-data'),
    extensions: path.join(stateDir, 'extensions'),
    config: path.join(stateDir, 'code-server.yaml'),
    workspace: repoRoot,
    env: {},
  };
  mkdirSync(dirs.userData, { recursive: true });
  mkdirSync(dirs.extensions, { recursive: true });
  writeFileSync(dirs.config, 'auth: none\ncert: false\n');
  const settings = path.join(dirs.userData, 'User', 'settings.json');
  if (!existsSync(settings)) {
    // First run only: a quiet, offline workbench; later edits in the UI are kept.
    mkdirSync(path.dirname(settings), { recursive: true });
    const quiet = { 'telemetry.telemetryLevel': 'off', 'update.mode': 'none', 'chat.disableAIFeatures': true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden', 'extensions.autoCheckUpdates': false };
    writeFileSync(settings, JSON.stringify(quiet, null, 2) + '\n');
  }
  const server = await startCodeServer({ ...tools, sandbox: dirs, env: OPEN_CHAT_ENV });
  stops.push(() => server.stop());
  const remote = `vscode-remote://${HOST}:${server.port}${repoRoot}`;
  const payload = [['extensionDevelopmentPath', remote], ['skipWelcome', 'true']];
  const url = `http://${HOST}:${server.port}/?folder=${encodeURIComponent(repoRoot)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  console.log(`\nstart: open VS Code in your browser (this machine only):\n\n  ${url}\n`);
}

let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const stop of stops.reverse()) await stop().catch(() => {});
  process.exit(code);
}
process.on('SIGINT', () => {
  console.log('\nstart: stopping');
  void stopAll(0);
});
process.on('SIGTERM', () => void stopAll(0));

try {
  await main();
  if (stops.length === 0) await stopAll(0); // nothing of ours runs (desktop VS Code + an existing relay)
} catch (err) {
  console.error(`start: ${err instanceof Error ? err.message : err}`);
  await stopAll(1);
}
