// Issue 9: files that hold secrets or history are their owner's alone, 0600 in folders of 0700: the
// relay's store (segments, room.json), its key and its sealed room's verifier, the CLI's identity and
// pins, the extension's history in its global storage; a store or history an earlier version wrote
// world-readable is tightened when it is opened again.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileHistory } from '../../src/extension/history';
import { spawnCli, startRelay, stopAll } from './helpers/cli-proc';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-modes-'));
  dirs.push(d);
  return d;
};
after(async () => {
  await stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

/** Every file and folder under `dir` with its mode, for a message that shows all of them. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { '.': mode(dir) };
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) out[name] = mode(path.join(dir, name));
  return out;
}

const skip = process.platform === 'win32' ? 'POSIX modes' : false;

test('after a sealed relay with --store and a chat: the store, its key and verifier, the identity and pins are 0600 in 0700 folders', { skip }, async () => {
  const root = tmp();
  const store = path.join(root, 'store'); // made by the relay
  const home = path.join(root, 'config');
  const { relay, address } = await startRelay(['--sealed', '--store', store]);
  const link = await relay.waitForLine('stdout', /^whatsudp:/, 5000);
  const p = spawnCli(['chat', '--name', 'ann', '--invite', link, '--join-timeout-ms', '3000'], { configHome: home });
  p.end('a line for the store\n');
  assert.equal((await p.exitWithin(10_000)).code, 0, p.stderr.join('\n'));
  await relay.stop();
  assert.ok(address);

  const want = (dir: string, files: string[]) => {
    const seen = modes(dir);
    for (const f of files) assert.ok(f in seen, `${f} in ${JSON.stringify(seen)}`);
    for (const [name, m] of Object.entries(seen)) assert.equal(m, statSync(path.join(dir, name)).isDirectory() ? '700' : '600', `${name}: ${JSON.stringify(seen)}`);
  };
  want(store, ['relay-key', 'room-verifier', 'room.json', '0000000001.seg']);
  want(path.join(home, 'whatsudp'), ['identity', 'known_relays']);
});

test('a store written world-readable by an earlier version is tightened at start', { skip }, async () => {
  const store = tmp();
  const first = await startRelay(['--store', store]);
  await first.relay.stop();
  for (const name of readdirSync(store)) if (name !== 'relay-key') chmodSync(path.join(store, name), 0o644);
  const again = await startRelay(['--store', store]);
  await again.relay.stop();
  for (const name of ['room.json', ...readdirSync(store).filter((n) => n.endsWith('.seg'))]) assert.equal(mode(path.join(store, name)), '600', name);
});

test("the extension's history and its folder are the user's alone, an earlier version's file included", { skip }, async () => {
  const dir = path.join(tmp(), 'globalStorage');
  mkdirSync(dir, { mode: 0o755 });
  writeFileSync(path.join(dir, 'history.json'), JSON.stringify({ version: 1, entries: [] }), { mode: 0o644 });
  chmodSync(path.join(dir, 'history.json'), 0o644);
  const history = await FileHistory.open(dir, 10);
  assert.ok(history);
  assert.equal(mode(path.join(dir, 'history.json')), '600', 'the old file, before any write');
  history.schedule(() => ({ version: 1, entries: [] }));
  await history.flush();
  const seen = modes(dir);
  await history.dispose();
  assert.deepEqual(seen, { '.': '700', 'history.json': '600', 'history.lock': '600' });
});
