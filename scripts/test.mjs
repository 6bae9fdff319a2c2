// `npm test`: typecheck, lint, build, compile the tests, run the unit tests (node:test on Node 24) and the
// integration suite (mocha inside a real VS Code: code-server + headless Chromium, see test/runner/).
// Stops at the first failing step. The last line is always `N passed, N failed` over all tests run.
//   --unit         build + compile + unit tests only
//   --integration  build + compile + integration tests only
import { readdirSync, readFileSync, rmSync, mkdtempSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from './proc.mjs';
import { ensureTools, node24, repoRoot } from './tools.mjs';

const argv = process.argv.slice(2);
const only = argv.includes('--unit') ? 'unit' : argv.includes('--integration') ? 'integration' : undefined;
const STEP_TIMEOUT_MS = Number(process.env.WHATSUDP_STEP_TIMEOUT_MS ?? 10 * 60_000);
const node = node24().bin;
const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const env = { ...process.env, PATH: `${node24().binDir}${path.delimiter}${process.env.PATH ?? ''}` };
const totals = { passed: 0, failed: 0 };

/** Runs a command as one step of the test; throws StepFailure when it fails. */
async function command(label, args, timeoutMs = STEP_TIMEOUT_MS) {
  console.log(`$ ${label}`);
  const res = await runCommand(node, args, { cwd: repoRoot, env, timeoutMs });
  if (res.code !== 0) throw new Error(`\`${label}\` failed (${res.signal ?? `exit ${res.code}`})`);
}

const steps = [
  {
    name: 'typecheck',
    when: !only,
    run: async () => {
      await command('tsc -p . --noEmit', [tsc, '-p', '.', '--noEmit']);
      await command('tsc -p src/webview --noEmit', [tsc, '-p', 'src/webview', '--noEmit']);
    },
  },
  {
    // ESLint with typescript-eslint's recommended type-checked rules (eslint.config.mjs says why a rule
    // is changed). A finding fails the test command like a failing test.
    name: 'lint',
    when: !only,
    run: () => command('eslint .', [path.join(repoRoot, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.']),
  },
  // The unit tests run the CLI bundle as child processes, so even --unit builds first.
  { name: 'build bundles', when: true, run: () => command('node esbuild.mjs', ['esbuild.mjs']) },
  {
    name: 'compile tests',
    when: true,
    run: async () => {
      await command('tsc -p . --outDir out', [tsc, '-p', '.', '--outDir', 'out']);
      pruneStaleTests();
    },
  },
  { name: 'unit tests', when: only !== 'integration', run: unitTests },
  { name: 'integration tests', when: only !== 'unit', run: integrationTests },
];

async function unitTests() {
  const dir = path.join(repoRoot, 'out', 'test', 'unit');
  const files = existsSync(dir) ? findTests(dir) : [];
  if (files.length === 0) throw new Error('no unit test files (out/test/unit/**/*.test.js)');
  // spec for people on stdout, TAP into a file for the counts.
  const tapDir = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-unit-'));
  const tap = path.join(tapDir, 'unit.tap');
  try {
    const args = ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files.map((f) => path.relative(repoRoot, f))];
    console.log(`$ node --test --test-reporter=spec out/test/unit/**/*.test.js  (${files.length} files, Node 24)`);
    const res = await runCommand(node, args, { cwd: repoRoot, env, timeoutMs: STEP_TIMEOUT_MS });
    const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
    const count = (key) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    totals.passed += count('pass');
    totals.failed += count('fail') + count('cancelled');
    if (res.code !== 0) throw new Error(`unit tests failed (${res.signal ?? `exit ${res.code}`})`);
    if (count('pass') === 0) throw new Error('no unit test ran');
  } finally {
    rmSync(tapDir, { recursive: true, force: true });
  }
}

/** Removes compiled tests whose .ts is gone, so a deleted test does not run on from a stale .js. */
function pruneStaleTests() {
  const outTest = path.join(repoRoot, 'out', 'test');
  if (!existsSync(outTest)) return;
  for (const e of readdirSync(outTest, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('.js')) continue;
    const js = path.join(e.parentPath, e.name);
    const ts = path.join(repoRoot, path.relative(path.join(repoRoot, 'out'), js)).replace(/\.js$/, '.ts');
    if (!existsSync(ts)) {
      rmSync(js, { force: true });
      rmSync(`${js}.map`, { force: true });
    }
  }
}

function findTests(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.js'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

async function integrationTests() {
  const testsPath = path.join(repoRoot, 'out', 'test', 'integration', 'index.js');
  if (!existsSync(testsPath)) throw new Error('out/test/integration/index.js is missing');
  if (!existsSync(path.join(repoRoot, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: the build did not make it');
  if (!existsSync('/usr/bin/chromium')) {
    throw new Error('/usr/bin/chromium is missing: run `sudo bash scripts/setup-system.sh` (Debian package chromium)');
  }
  await ensureTools(); // throws with the reason when code-server cannot be installed
  // Imported here so that `--unit` does not need playwright-core to load.
  const { runSuite } = await import('../test/runner/run-suite.mjs');
  const result = await runSuite({
    extensionPath: repoRoot,
    testsPath,
    verbose: process.env.WHATSUDP_TEST_VERBOSE === '1',
  });
  totals.passed += result.passing;
  totals.failed += result.failing;
  console.log(`integration: ${result.passing} passing, ${result.failing} failing, ${(result.ms / 1000).toFixed(1)} s`);
  if (!result.ok) {
    throw new Error(`integration tests failed: ${result.reason}`);
  }
}

let failure;
for (const step of steps.filter((s) => s.when)) {
  console.log(`\n=== ${step.name} ===`);
  const t0 = Date.now();
  try {
    await step.run();
    console.log(`--- ${step.name}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failure = `${step.name}: ${err instanceof Error ? err.message : err}`;
    break;
  }
}
// A run that broke without a failing test (typecheck, timeout, crashed host) must not read "0 failed".
if (failure && totals.failed === 0) totals.failed = 1;
console.log('');
console.log(failure ? `test: FAILED at ${failure}` : 'test: all steps passed');
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exitCode = failure ? 1 : 0;
