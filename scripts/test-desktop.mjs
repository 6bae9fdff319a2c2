// `npm run test:desktop`: the same integration suite (out/test/integration) in desktop VS Code through
// @vscode/test-electron, which downloads VS Code into .vscode-test/ on first use. It needs the internet
// and, on Linux, a display (`xvfb-run -a npm run test:desktop` on a server). On a machine without
// either it fails with the reason, bounded in time. VSCODE_EXECUTABLE=/path/to/code skips the download.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { runTests } from '@vscode/test-electron';
import { createSandbox, fillWorkspace } from '../test/runner/sandbox.mjs';
import { readSummary, stripAnsi } from '../test/runner/run-suite.mjs';
import { runCommand } from './proc.mjs';
import { node24, repoRoot } from './tools.mjs';

const TIMEOUT_MS = Number(process.env.WHATSUDP_DESKTOP_TIMEOUT_MS ?? 15 * 60_000);
const DOWNLOAD_IDLE_MS = 30_000;
const node = node24().bin;
const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const counts = { passing: 0, failing: 0, pending: 0, sawSummary: false };

function fail(message) {
  console.error(`test:desktop: ${message}`);
  console.log(`${counts.passing} passed, ${Math.max(counts.failing, 1)} failed`);
  process.exit(1);
}

if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  fail('no display (DISPLAY is unset). Run it under a virtual one: `xvfb-run -a npm run test:desktop` (Debian: apt-get install xvfb).\n' +
    'Without a display or internet, `npm test` runs the same suite in code-server instead.');
}

for (const [label, args] of [['node esbuild.mjs', ['esbuild.mjs']], ['tsc -p . --outDir out', [tsc, '-p', '.', '--outDir', 'out']]]) {
  console.log(`$ ${label}`);
  const res = await runCommand(node, args, { cwd: repoRoot, timeoutMs: 5 * 60_000 });
  if (res.code !== 0) fail(`\`${label}\` failed`);
}
const testsPath = path.join(repoRoot, 'out', 'test', 'integration', 'index.js');
if (!existsSync(testsPath)) fail('out/test/integration/index.js is missing');

const sandbox = createSandbox();
fillWorkspace(sandbox.workspace);
// Echo VS Code's output and read mocha's summary from it.
let partial = '';
const stdout = new Writable({
  write(chunk, _enc, done) {
    process.stdout.write(chunk);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) readSummary(stripAnsi(line), counts);
    done();
  },
});
// A download that stalls, or a VS Code that never ends, must not hang the command.
const timer = setTimeout(() => {
  sandbox.remove();
  fail(`no result within ${TIMEOUT_MS / 1000} s (WHATSUDP_DESKTOP_TIMEOUT_MS); is VS Code downloadable from here?`);
}, TIMEOUT_MS);

try {
  await runTests({
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: testsPath,
    vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || undefined,
    cachePath: path.join(repoRoot, '.vscode-test'),
    timeout: DOWNLOAD_IDLE_MS,
    launchArgs: [sandbox.workspace, '--disable-extensions', '--skip-welcome', '--skip-release-notes', '--disable-workspace-trust'],
    extensionTestsEnv: { WHATSUDP_TEST_WORKSPACE: sandbox.workspace },
    stdout,
  });
  clearTimeout(timer);
  sandbox.remove();
  if (!counts.sawSummary || counts.failing > 0) fail('the suite did not report all tests passing');
  console.log(`${counts.passing} passed, 0 failed`);
} catch (err) {
  clearTimeout(timer);
  sandbox.remove();
  const msg = err instanceof Error ? err.message : String(err);
  const offline = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENETUNREACH|ETIMEDOUT|timeout|getaddrinfo|socket hang up/i.test(msg);
  fail(offline
    ? `cannot download VS Code (${msg}). This machine seems offline: use \`npm test\` (code-server) or set VSCODE_EXECUTABLE.`
    : `the suite failed: ${msg}`);
}
