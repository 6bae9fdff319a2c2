// Runs an extension's mocha suite inside a real VS Code: code-server on 127.0.0.1 plus headless Debian
// Chromium driven by playwright-core. The suite's run() runs in the server's Node extension host; its
// console lines come back through window.codeAutomationLog, its result through window.codeAutomationExit.
// Also a CLI: node test/runner/run-suite.mjs --extension <dir> --tests <index.js> [--workspace <dir>]
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ensureTools, repoRoot } from '../../scripts/tools.mjs';
import { startCodeServer } from './code-server.mjs';
import { keysOf, pressKeys } from './keys.mjs';
import { createSandbox, fillWorkspace } from './sandbox.mjs';

export const SCREENSHOT_PREFIX = 'WHATSUDP_SCREENSHOT ';
const HOST_EXITED = /Extension Host Process exited with code: (\S+), signal: (\S+)/;
const HOST_EXIT_GRACE_MS = 5_000;
// The workbench's own chatter that reaches codeAutomationLog too; hidden unless verbose (still parsed).
const NOISE = [
  /^Ignoring fetching additional builtin extensions/, /^Updating additional builtin extensions cache/,
  /^\[AccountPolicyGate\]/, /^\[AgentHost:remote\]/, /^\[reconnection-grace-time\]/, /^\[Service Worker\] registered/,
  /^Creating a socket \(/, /^Resolv(ing|ed) connection token/, /^Creation of workbench contribution/,
  /Timed out waiting for authentication provider 'github'/,
  /^\s+at .*https?:\/\/127\.0\.0\.1:\d+\/stable-\w+\/static\/out\/vs\//, // the workbench's own stack frames
];
const CHROMIUM = process.env.WHATSUDP_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/**
 * @param {{ extensionPath: string, testsPath: string, workspace?: string, timeoutMs?: number,
 *           env?: Record<string, string>, onLine?: (line: string) => void, screenshotDir?: string,
 *           verbose?: boolean }} opts
 * @returns {Promise<{ ok: boolean, reason?: string, passing: number, failing: number, pending: number, ms: number }>}
 */
export async function runSuite(opts) {
  const started = Date.now();
  const onLine = opts.onLine ?? ((line) => console.log(line));
  const timeoutMs = opts.timeoutMs ?? Number(process.env.WHATSUDP_TEST_TIMEOUT_MS ?? 10 * 60_000);
  const screenshotDir = path.resolve(opts.screenshotDir ?? path.join(repoRoot, 'test-results', 'screenshots'));
  const tools = await ensureTools({ log: onLine });
  const sandbox = createSandbox();
  const workspace = opts.workspace ?? sandbox.workspace;
  if (!opts.workspace) fillWorkspace(workspace);

  const counts = { passing: 0, failing: 0, pending: 0, sawSummary: false };
  let server;
  let context;
  let finish;
  let hostExit; // { code, signal } from code-server's log
  const finished = new Promise((resolve) => {
    finish = resolve; // first caller wins: { code } from the suite, or { reason } for any failure
  });
  const timer = setTimeout(() => finish({ reason: `timed out after ${timeoutMs / 1000} s` }), timeoutMs);
  const onSignal = (sig) => finish({ reason: `interrupted by ${sig}` });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    server = await startCodeServer({
      ...tools,
      sandbox,
      env: { WHATSUDP_TEST_WORKSPACE: workspace, WHATSUDP_SCREENSHOT_DIR: screenshotDir, WHATSUDP_KEYS: '1', ...opts.env },
      onLog: (line) => {
        if (opts.verbose) onLine(`[code-server] ${line}`);
        const m = HOST_EXITED.exec(line);
        if (!m) return;
        // The host also exits after a finished suite, just before codeAutomationExit arrives; a crashed
        // host is reported there as 0 too, so give the result a moment and decide below.
        hostExit = { code: m[1], signal: m[2].replace(/\.$/, '') };
        setTimeout(() => finish({ hostOnly: true }), HOST_EXIT_GRACE_MS).unref();
      },
    });
    const origin = `http://127.0.0.1:${server.port}`;
    const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${path.resolve(p)}`;
    const payload = [
      ['extensionDevelopmentPath', remote(opts.extensionPath)],
      ['extensionTestsPath', remote(opts.testsPath)],
      ['skipWelcome', 'true'],
    ];
    const url = `${origin}/?folder=${encodeURIComponent(path.resolve(workspace))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

    context = await chromium.launchPersistentContext(sandbox.chromium, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      env: { ...process.env, ...sandbox.env },
      viewport: { width: 1280, height: 800 },
      // We stop Chromium ourselves in `finally`; Playwright's own handlers would exit the process first.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    const blocked = new Set();
    await context.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.hostname === '127.0.0.1') return route.continue();
      if (!blocked.has(u.origin)) {
        blocked.add(u.origin);
        if (opts.verbose) onLine(`[runner] blocked a request to ${u.origin}`);
      }
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('crash', () => finish({ reason: 'the workbench page crashed' }));
    context.on('close', () => finish({ reason: 'Chromium closed' }));

    let shots = Promise.resolve();
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      // Mocha colours its output when CI is set, whatever `color: false` says: drop the escapes.
      const text = stripAnsi(formatConsole(Array.isArray(args) ? args : [args]));
      for (const line of text.split('\n')) {
        if (opts.verbose || !NOISE.some((re) => re.test(line))) onLine(line);
        readSummary(line, counts);
        const name = screenshotName(line);
        if (name) shots = shots.then(() => screenshot(page, screenshotDir, name, onLine));
        const keys = keysOf(line); // keys.mjs: a test's keystrokes, in turn with the screenshots
        if (keys) shots = shots.then(() => pressKeys(page, keys, onLine));
      }
    });
    await page.exposeFunction('codeAutomationExit', (code) => finish({ code }));
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });

    const end = await finished;
    await shots;
    return { ok: true, ...verdict(end, hostExit, counts), ...pick(counts), ms: Date.now() - started };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err), ...pick(counts), ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await context?.close().catch(() => {});
    await server?.stop();
    sandbox.remove();
  }
}

/** Every sign of failure, the most telling first. */
function verdict(end, hostExit, counts) {
  const reasons = [
    end.reason,
    counts.failing > 0 && `${counts.failing} failing`,
    end.code !== undefined && end.code !== 0 && `the suite's run() failed (exit ${end.code})`,
    hostExit && (hostExit.code !== '0' || hostExit.signal !== 'null') &&
      `the extension host exited (code ${hostExit.code}, signal ${hostExit.signal})`,
    !counts.sawSummary && 'mocha printed no "N passing" line (did the extension host crash?)',
    counts.passing === 0 && 'no test ran',
    end.hostOnly && 'the extension host exited before the suite reported its result',
  ].filter(Boolean);
  return reasons.length ? { ok: false, reason: reasons[0] } : {};
}

function pick({ passing, failing, pending }) {
  return { passing, failing, pending };
}

/** console.log's own formatting: mocha's reporter passes '%s' format strings and their values. */
export function formatConsole(args) {
  const show = (v) => (typeof v === 'string' ? v : typeof v === 'object' && v !== null ? safeJson(v) : String(v));
  if (typeof args[0] !== 'string' || !args[0].includes('%')) return args.map(show).join(' ');
  let next = 1;
  const head = args[0].replace(/%[sdifjoOc%]/g, (spec) => {
    if (spec === '%%') return '%';
    if (next >= args.length) return spec;
    const value = args[next++];
    if (spec === '%c') return ''; // CSS
    if (spec === '%d' || spec === '%i') return String(Number.parseInt(String(value), 10));
    if (spec === '%f') return String(Number(value));
    return show(value);
  });
  return [head, ...args.slice(next).map(show)].join(' ');
}

function safeJson(v) {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

export function stripAnsi(text) {
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

/** Reads mocha's summary lines ("  3 passing (1s)", "  1 failing", "  2 pending"). */
export function readSummary(line, counts) {
  const m = /^\s*(\d+) (passing|failing|pending)\b/.exec(line);
  if (!m) return;
  counts[m[2]] = Number(m[1]);
  if (m[2] === 'passing') counts.sawSummary = true;
}

/** The name in a `WHATSUDP_SCREENSHOT <name>` line, reduced to a safe file name. */
export function screenshotName(line) {
  const at = line.indexOf(SCREENSHOT_PREFIX);
  if (at < 0) return undefined;
  const name = line.slice(at + SCREENSHOT_PREFIX.length).trim().replace(/[^\w.-]+/g, '_');
  return name || undefined;
}

async function screenshot(page, dir, name, onLine) {
  try {
    mkdirSync(dir, { recursive: true });
    // Both pictures from one moment: the webview alone, when exactly one is on screen (the chat panel)...
    const webviews = page.locator('iframe.webview.ready:visible');
    const crop = (await webviews.count()) === 1 ? await webviews.screenshot({ timeout: 15_000 }) : undefined;
    const full = await page.screenshot({ fullPage: true, timeout: 15_000 });
    if (crop) writeWhole(path.join(dir, `${name}.webview.png`), crop);
    // ...and the whole window, written last: a test that waits for <name>.png may move on once it exists.
    const file = path.join(dir, `${name}.png`);
    writeWhole(file, full);
    onLine(`[runner] screenshot ${path.relative(process.cwd(), file)}${crop ? ' (+ .webview.png)' : ''}`);
  } catch (err) {
    onLine(`[runner] screenshot ${name} failed: ${err instanceof Error ? err.message : err}`);
  }
}

/** Written whole, then renamed: whoever waits for the file never sees half a picture. */
function writeWhole(file, data) {
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const extensionPath = arg('extension') ?? repoRoot;
  const testsPath = arg('tests') ?? path.join(repoRoot, 'out', 'test', 'integration', 'index.js');
  const result = await runSuite({ extensionPath, testsPath, workspace: arg('workspace'), verbose: process.argv.includes('--verbose') });
  console.log(result.ok ? `integration: ok (${result.ms} ms)` : `integration: FAILED: ${result.reason}`);
  console.log(`${result.passing} passed, ${result.ok ? 0 : Math.max(result.failing, 1)} failed`);
  process.exitCode = result.ok ? 0 : 1;
}
