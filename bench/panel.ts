// Measure 6: the chat panel's render cost, in headless Chromium (Debian's, driven by playwright-core):
// the production dist/webview.js in the page the extension's chatPanel.ts builds (same CSP, #app,
// media/chat.css), served from 127.0.0.1, with a stand-in acquireVsCodeApi that records what the
// webview posts. It gets a snapshot of 10,000 messages, then single-message appends; the figures are
// what the webview itself reports (snapshotRenderMs, appendRenderMs: handling plus style and layout),
// and beside them the time until the next frame, measured from outside.
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { ChatItem, Snapshot } from '../src/common/messages';
import { median, round } from './lib/stats';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

export interface PanelResult {
  items: number;
  snapshot: { runs: { reportedMs: number; frameMs: number }[]; medianMs: number; medianFrameMs: number };
  append: { runs: number; medianMs: number; maxMs: number; medianFrameMs: number };
  errors: string[];
}

const NAMES = ['ana', 'bo', 'chen', 'dara', 'eli', 'femi', 'gus', 'hana', 'ivo', 'jun', 'kai', 'lea', 'mo', 'nia', 'oz', 'pia', 'quinn', 'ravi', 'sol', 'tove'];
const TEXTS = [
  'ok',
  'build is green again 🎉',
  'can someone look at https://example.com/pr/1234 before lunch?',
  'I think the flaky test is the one that binds port 2410 — it races the relay on CI.\nMoving it to port 0 fixes it locally.',
  'pushing the release branch now, please hold merges for ~10 minutes',
  'lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. '.repeat(3),
];

function item(i: number, selfId: string): ChatItem {
  const who = i % NAMES.length;
  const id = who.toString(16).padStart(16, '0');
  const own = id === selfId;
  const body =
    i % 10 === 7
      ? { kind: 'snippet' as const, text: `function f${i}(x: number) {\n  return x * ${i};\n}`, path: `src/file${i % 50}.ts`, startLine: 10, endLine: 12, language: 'typescript' }
      : { kind: 'text' as const, text: `${TEXTS[i % TEXTS.length]} (#${i})` };
  return { type: 'message', key: `s:${i + 1}`, seq: i + 1, time: 1_760_000_000_000 + i * 30_000, sender: { id, name: NAMES[who], legacy: false }, body, own, state: own ? 'delivered' : undefined };
}

export function snapshotOf(count: number): Snapshot {
  const selfId = (0).toString(16).padStart(16, '0');
  return {
    self: { id: selfId, name: NAMES[0] },
    items: Array.from({ length: count }, (_, i) => item(i, selfId)),
    members: NAMES.map((name, i) => ({ memberId: i + 1, id: i.toString(16).padStart(16, '0'), name, presence: 'online', self: i === 0 })),
    connection: { state: 'connected', relay: '127.0.0.1:2410' },
    maxBytes: 65536,
  };
}

/** Why the panel cannot be measured here, or undefined. */
export function panelUnavailable(stageDist: string, root: string): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (Debian package chromium; scripts/setup-system.sh installs it)`;
  if (!existsSync(path.join(stageDist, 'webview.js'))) return 'the production build made no dist/webview.js';
  if (!existsSync(path.join(root, 'node_modules', 'playwright-core'))) return 'playwright-core is not installed (npm ci)';
  return undefined;
}

function page(nonce: string): string {
  // As src/extension/chatPanel.ts builds it, with http://127.0.0.1 standing in for the webview origin.
  const csp = [`default-src 'none'`, `style-src 'self' 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`, `font-src 'self'`, `img-src 'self' data:`].join('; ');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="/chat.css"><title>WhatsUDP</title></head>
<body><div id="app"></div><script nonce="${nonce}" src="/webview.js"></script></body></html>`;
}

export async function panel(root: string, stageDist: string, opts: { snapshots: number; appends: number; items: number }): Promise<PanelResult> {
  const files: Record<string, [string, Buffer]> = {
    '/index.html': ['text/html', Buffer.from(page('bench0nce'))],
    '/webview.js': ['text/javascript', readFileSync(path.join(stageDist, 'webview.js'))],
    '/chat.css': ['text/css', existsSync(path.join(root, 'media', 'chat.css')) ? readFileSync(path.join(root, 'media', 'chat.css')) : Buffer.alloc(0)],
  };
  const server = http.createServer((req, res) => {
    const f = files[new URL(req.url ?? '/', 'http://127.0.0.1').pathname];
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f[0] }).end(f[1]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 30_000 });
  const errors: string[] = [];
  try {
    const snapshot = snapshotOf(opts.items);
    const snapRuns: { reportedMs: number; frameMs: number }[] = [];
    const appends: { reportedMs: number; frameMs: number }[] = [];
    for (let s = 0; s < opts.snapshots; s++) {
      const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
      const p = await context.newPage();
      p.setDefaultTimeout(30_000);
      p.on('pageerror', (e) => errors.length < 5 && errors.push(e.message));
      await p.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
      await p.addInitScript(() => {
        const w = window as unknown as { __posted: unknown[]; acquireVsCodeApi: () => unknown };
        w.__posted = [];
        w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => w.__posted.push(m), getState: () => undefined, setState: () => undefined });
      });
      await p.goto(`http://127.0.0.1:${port}/index.html`);
      await p.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
      // Deliver a message the way the webview receives the host's, time it to the next frame, and ask for the report.
      const deliver = (msg: unknown, id: number) =>
        p.evaluate(
          async ({ msg, id }) => {
            const w = window as unknown as { __posted: { type: string; id?: number; report?: Record<string, number>; message?: string }[] };
            const t0 = performance.now();
            window.dispatchEvent(new MessageEvent('message', { data: msg }));
            await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
            const frameMs = performance.now() - t0;
            window.dispatchEvent(new MessageEvent('message', { data: { type: 'inspect', id } }));
            const report = w.__posted.find((m) => m.type === 'report' && m.id === id)?.report ?? {};
            const errs = w.__posted.filter((m) => m.type === 'error').map((m) => m.message ?? '');
            return { frameMs, report, errs };
          },
          { msg, id },
        );
      const snap = await deliver({ type: 'snapshot', snapshot }, 1);
      errors.push(...snap.errs.slice(0, 5 - errors.length));
      if ((snap.report.itemCount ?? 0) !== opts.items) errors.push(`the panel reports ${snap.report.itemCount} items, not ${opts.items}`);
      if (typeof snap.report.snapshotRenderMs !== 'number') throw new Error('the webview reported no snapshotRenderMs');
      snapRuns.push({ reportedMs: snap.report.snapshotRenderMs, frameMs: snap.frameMs });
      if (s === 0) {
        for (let k = 0; k < opts.appends; k++) {
          const it = { ...item(opts.items + k, snapshot.self.id), key: `s:${opts.items + k + 1}` };
          const a = await deliver({ type: 'items', items: [it] }, 100 + k);
          if (typeof a.report.appendRenderMs !== 'number') throw new Error('the webview reported no appendRenderMs');
          appends.push({ reportedMs: a.report.appendRenderMs, frameMs: a.frameMs });
        }
      }
      await context.close();
    }
    return {
      items: opts.items,
      snapshot: { runs: snapRuns.map((r) => ({ reportedMs: round(r.reportedMs, 1), frameMs: round(r.frameMs, 1) })), medianMs: round(median(snapRuns.map((r) => r.reportedMs)), 1), medianFrameMs: round(median(snapRuns.map((r) => r.frameMs)), 1) },
      append: {
        runs: appends.length,
        medianMs: round(median(appends.map((r) => r.reportedMs)), 2),
        maxMs: round(Math.max(...appends.map((r) => r.reportedMs)), 2),
        medianFrameMs: round(median(appends.map((r) => r.frameMs)), 2),
      },
      errors,
    };
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
