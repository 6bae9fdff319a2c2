// What a user expects across a VS Code window reload, which the integration suite cannot test
// (reloading kills its extension host). A reload is simulated the way the extension lives through
// one: deactivate disposes the ChatSession (which flushes and releases its FileHistory), then
// activate opens a new FileHistory on the same global-storage folder and a new ChatSession on it,
// exactly as App.createSession does, minus vscode.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Address } from '../../src/chat';
import { ChatSession, type Logger } from '../../src/extension/chatSession';
import { FileHistory } from '../../src/extension/history';
import { FAST_CLIENT, Harness, until } from './helpers/engine';

// The engine's fast test timers, with retransmissions capped lower: a window then notices a dead
// relay (maxProbes unanswered probes) in about a second instead of six.
const TIMERS = { ...FAST_CLIENT, ptoMaxMs: 200 };
const h = new Harness();
const dirs: string[] = [];
after(async () => {
  await h.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(label: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `whatsudp-${label}-`));
  dirs.push(dir);
  return dir;
}

/** The output channel, as lines a test can search. */
function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) };
}

interface Window {
  session: ChatSession;
  log: ReturnType<typeof recordingLog>;
}

/** What activate + createSession do: the history in the storage folder, then the session on it. */
async function openWindow(storageDir: string, server: Address, maxMessages = 5000): Promise<Window> {
  const log = recordingLog();
  const storage = await FileHistory.open(storageDir, undefined, log);
  // A reload in the same process must get the folder back: the old window released its lock.
  assert.ok(storage, 'the reloaded window owns the history folder');
  const session = await ChatSession.open({ server, name: 'me', storage, log, maxMessages, timers: TIMERS });
  h.track(() => session.dispose()); // safe twice: a test that fails midway still closes its socket
  return { session, log };
}

/** deactivate (dispose: Leave, close, flush the history), then activate on the same folder. */
async function reload(win: Window, storageDir: string, server: Address, maxMessages?: number): Promise<Window> {
  await win.session.dispose();
  return openWindow(storageDir, server, maxMessages);
}

/** The conversation's message rows as the panel would show them. */
function rows(session: ChatSession) {
  return session
    .snapshot()
    .items.flatMap((i) => (i.type === 'message' ? [{ text: i.body.text, seq: i.seq, own: i.own, state: i.state }] : []));
}
const texts = (session: ChatSession) => rows(session).map((r) => r.text);
const has = (session: ChatSession, text: string, state?: string) =>
  rows(session).some((r) => r.text === text && (state === undefined || r.state === state));

function assertSeqOrder(session: ChatSession, what: string): void {
  const seqs = rows(session).map((r) => r.seq);
  assert.ok(seqs.every((s, i) => s !== undefined && (i === 0 || s > seqs[i - 1]!)), `${what}: seqs increase (${seqs.join(',')})`);
}

test('history survives a reload, and the relay fills in what was missed without duplicates', async () => {
  const relay = await h.relay();
  const server = relay.address();
  const dir = tempDir('history');
  const peer = await h.client(server, 'peer');
  let win = await openWindow(dir, server);
  await win.session.connect();

  // Alternate peer and own messages, each seen before the next, so the expected order is fixed.
  for (const [who, text] of [['peer', 'p1'], ['me', 'm1'], ['peer', 'p2'], ['me', 'm2']] as const) {
    if (who === 'peer') peer.client.send({ kind: 'text', text });
    else win.session.send(text);
    await until(() => has(win.session, text, who === 'me' ? 'delivered' : undefined), 5000, `${text} in the conversation`);
  }
  const before = rows(win.session);
  assert.deepEqual(before.map((r) => r.text), ['p1', 'm1', 'p2', 'm2']);

  // The peer keeps talking while the window reloads: the relay sequences these with nobody from this window in.
  await win.session.dispose();
  peer.client.send({ kind: 'text', text: 'p3' });
  peer.client.send({ kind: 'text', text: 'p4' });
  assert.deepEqual(await peer.client.flush(5000), [], 'the relay took p3 and p4');

  win = await openWindow(dir, server);
  // Straight from disk, before any socket: the same rows, in the same order, own ones delivered.
  assert.deepEqual(rows(win.session), before, 'the reloaded conversation is the one before the reload');
  assert.ok(rows(win.session).filter((r) => r.own).every((r) => r.state === 'delivered'), 'own messages stay delivered');

  await win.session.connect();
  await until(() => has(win.session, 'p4'), 5000, 'the messages sent during the reload');
  // One more round trip, so a late duplicate from the backfill would have arrived by now.
  peer.client.send({ kind: 'text', text: 'p5' });
  await until(() => has(win.session, 'p5'), 5000, 'a message after the rejoin');
  assert.deepEqual(texts(win.session), ['p1', 'm1', 'p2', 'm2', 'p3', 'p4', 'p5'], 'old and missed messages, each once');
  assertSeqOrder(win.session, 'after the rejoin');

  // The saved resume point can lag the saved rows (an own message acknowledged before its echo came
  // back), so the relay may resend rows the window has. The extreme, no resume point at all, makes
  // the relay backfill everything: the conversation must still add each message once.
  await win.session.dispose();
  const file = path.join(dir, 'history.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), resume: undefined }));
  win = await openWindow(dir, server);
  await win.session.connect();
  peer.client.send({ kind: 'text', text: 'p6' });
  await until(() => has(win.session, 'p6'), 5000, 'a message after a full backfill');
  assert.deepEqual(texts(win.session), ['p1', 'm1', 'p2', 'm2', 'p3', 'p4', 'p5', 'p6'], 'the full backfill adds nothing twice');
  assertSeqOrder(win.session, 'after a full backfill');
});

test('messages typed while the relay is down survive a reload and go out once when it is back', async () => {
  const store = tempDir('store');
  const first = await h.relay({ store });
  const server = first.address();
  const dir = tempDir('queued');
  const peer = await h.client(server, 'peer');
  let win = await openWindow(dir, server);
  await win.session.connect();
  win.session.send('hello');
  await until(() => has(win.session, 'hello', 'delivered'), 5000, 'a first message delivered');

  await first.close();
  await until(() => win.session.connection.state !== 'connected', 10000, 'the window to notice the relay is gone');
  win.session.send('q1');
  win.session.send('q2');
  assert.deepEqual(rows(win.session).filter((r) => r.text.startsWith('q')).map((r) => r.state), ['queued', 'queued']);

  win = await reload(win, dir, server);
  assert.deepEqual(
    rows(win.session).map((r) => [r.text, r.state]),
    [['hello', 'delivered'], ['q1', 'queued'], ['q2', 'queued']],
    'the unsent messages are still there after the reload, still waiting',
  );

  // The same relay comes back: same port, same store, so the same room and the same de-duplication.
  await h.relay({ port: server.port, store });
  await win.session.connect();
  await until(() => has(win.session, 'q1', 'delivered') && has(win.session, 'q2', 'delivered'), 8000, 'q1 and q2 delivered');
  await until(() => peer.messages.some((m) => m.text === 'q2'), 8000, 'the peer to get q2');
  // A round trip after them, so a second copy of either would have reached both sides by now.
  peer.client.send({ kind: 'text', text: 'after' });
  await until(() => has(win.session, 'after'), 5000, 'a message after the resend');
  assert.deepEqual(peer.messages.map((m) => m.text).filter((t) => t.startsWith('q')), ['q1', 'q2'], 'the peer got each once');
  assert.deepEqual(texts(win.session), ['hello', 'q1', 'q2', 'after'], 'one row per message, no duplicates');
  assertSeqOrder(win.session, 'after the resend');
});

test('the history cap keeps only the newest maxMessages across a reload', async () => {
  const cap = 5;
  const relay = await h.relay();
  const server = relay.address();
  const dir = tempDir('cap');
  const peer = await h.client(server, 'peer');
  let win = await openWindow(dir, server, cap);
  await win.session.connect();
  for (let i = 1; i <= 4; i++) {
    peer.client.send({ kind: 'text', text: `p${i}` });
    await until(() => has(win.session, `p${i}`), 5000, `p${i}`);
    win.session.send(`m${i}`);
    await until(() => has(win.session, `m${i}`, 'delivered'), 5000, `m${i} delivered`);
  }
  const before = rows(win.session);
  assert.equal(before.length, 8, 'the open window shows them all (it keeps at least 200 in memory)');

  win = await reload(win, dir, server, cap);
  assert.deepEqual(rows(win.session), before.slice(-cap), `only the newest ${cap} are kept`);

  // Rejoining resumes after the newest: the trimmed ones do not come back through the backfill.
  await win.session.connect();
  peer.client.send({ kind: 'text', text: 'after' });
  await until(() => has(win.session, 'after'), 5000, 'a message after the rejoin');
  assert.deepEqual(texts(win.session), [...before.slice(-cap).map((r) => r.text), 'after']);
});

/** Writes a history file cut off mid-JSON, as a crash or a full disk could leave it. */
function damagedHistory(dir: string): string {
  const entry = { roomId: '0123456789abcdef', seq: 1, time: 1, sender: { id: 'aaaaaaaaaaaaaaaa', name: 'peer', legacy: false }, body: { kind: 'text', text: 'hi' }, msgId: 1, own: false };
  const whole = JSON.stringify({ version: 1, clientId: '00112233aabbccdd', entries: [entry, entry] });
  const file = path.join(dir, 'history.json');
  writeFileSync(file, whole.slice(0, Math.floor(whole.length / 2)));
  return file;
}

test('a damaged history file does not stop the chat: the window starts empty and keeps the file aside', async () => {
  const relay = await h.relay();
  const server = relay.address();
  const dir = tempDir('damaged');
  const file = damagedHistory(dir);
  const cut = readFileSync(file, 'utf8');

  const win = await openWindow(dir, server);
  assert.deepEqual(rows(win.session), [], 'an empty conversation');
  const kept = readdirSync(dir).filter((f) => f.startsWith('history.json.damaged-'));
  assert.equal(kept.length, 1, `the damaged file is kept for whoever wants to look: ${readdirSync(dir).join(', ')}`);
  assert.equal(readFileSync(path.join(dir, kept[0]), 'utf8'), cut);
  assert.ok(win.log.lines.some((l) => l.startsWith('warn') && l.includes(kept[0])), `the log says where it went: ${win.log.lines.join(' | ')}`);

  // And the window works: it joins, sends, and writes a good history on the next reload.
  await win.session.connect();
  win.session.send('fresh start');
  await until(() => has(win.session, 'fresh start', 'delivered'), 5000, 'a message delivered');
  const next = await reload(win, dir, server);
  assert.deepEqual(texts(next.session), ['fresh start']);
  assert.ok(existsSync(file));
});
