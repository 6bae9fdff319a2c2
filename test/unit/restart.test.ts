// A relay killed with SIGKILL mid-conversation and restarted on the same store loses nothing it
// acknowledged; its members notice the new epoch, rejoin by themselves and resend what was not.
// Also while the store's segments turn over and every write is flushed (--fsync).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAddress } from '../../src/chat';
import { spawnCli, startRelay } from './helpers/cli-proc';
import { Harness, seqsInOrder, sleep, until } from './helpers/engine';

const h = new Harness();
const stores: string[] = [];
after(async () => {
  await h.close();
  for (const store of stores) rmSync(store, { recursive: true, force: true });
});

for (const [label, extra, pad] of [
  ['', [], 0],
  // ~600 KB into 1 MiB: the 128 KiB segments turn over while it runs, each write flushed. (Within the
  // store's bytes, so a member that falls behind under load can still be repaired from it.)
  [' (--fsync, a small --store-bytes)', ['--fsync', '--store-bytes', '1048576'], 3000],
] as const) {
  test(`a relay SIGKILLed and restarted on its store loses nothing it acknowledged${label}`, async () => {
    const store = mkdtempSync(path.join(tmpdir(), 'whatsudp-store-'));
    stores.push(store);
    const timers = ['--heartbeat-ms', '300', '--rate', '1000', '--burst', '1000', ...extra];
    const text = (i: number) => `line ${i}${' '.repeat(pad)}`;
    const first = await startRelay(['--store', store, ...timers]);
    const server = parseAddress(first.address);
    const ann = await h.client(server, 'ann');
    const bob = await h.client(server, 'bob');
    const acknowledged = new Set<string>();
    ann.client.on('delivery', (o) => o.state === 'delivered' && acknowledged.add(o.body.text));

    const total = 200;
    let sent = 0;
    const sender = (async () => {
      for (; sent < total; sent++) {
        ann.client.send({ kind: 'text', text: text(sent) });
        await sleep(sent % 10 === 0 ? 5 : 0);
      }
    })();
    await until(() => acknowledged.size >= 60, 10000, '60 acknowledged messages');
    first.relay.signal('SIGKILL');
    const killed = await first.relay.exitWithin(3000);
    assert.equal(killed.signal, 'SIGKILL');
    const ackedBeforeKill = new Set(acknowledged);

    const second = spawnCli(['relay', '--host', server.host, '--port', String(server.port), '--store', store, ...timers]);
    h.track(() => second.stop());
    await second.waitForLine('stdout', `${server.host}:${server.port}`, 5000);
    await sender;

    await until(() => bob.messages.length >= total, 20000, `all ${total} messages at bob after the restart (${bob.messages.length} so far, lost ${bob.lost.join('+') || 0})`);
    assert.deepEqual(await ann.client.flush(10000), [], 'everything ann sent is acknowledged in the end');
    const texts = bob.messages.map((m) => m.text);
    assert.deepEqual(texts, Array.from({ length: total }, (_, i) => text(i)), 'all once, in the order sent');
    assert.ok(seqsInOrder(bob.messages), 'seqs continue across the restart without gaps');
    for (const t of ackedBeforeKill) assert.ok(texts.includes(t), `acknowledged before the kill: ${t.trim()}`);
    assert.ok(ann.states.includes('reconnecting') || ann.states.includes('offline'), `ann noticed the restart: ${ann.states.join(',')}`);
    assert.ok(bob.states.includes('reconnecting') || bob.states.includes('offline'), `bob noticed the restart: ${bob.states.join(',')}`);
    assert.ok(ackedBeforeKill.size >= 60 && ackedBeforeKill.size < total, 'the kill really came mid-conversation');
    assert.deepEqual(second.stderr.filter((l) => /damaged|cut short/.test(l)), [], 'a kill leaves nothing damaged');
    const segments = readdirSync(store).filter((n) => n.endsWith('.seg'));
    const bytes = segments.reduce((n, f) => n + statSync(path.join(store, f)).size, 0);
    if (pad > 0) assert.ok(bytes <= 1048576 && segments.length >= 4, `${bytes} bytes in ${segments.join(' ')}: segments turned over`);

    // A late joiner after the restart still gets the newest history from the store.
    const late = await h.client(server, 'late');
    await until(() => late.messages.at(-1)?.text === text(total - 1), 5000, 'backfill from the restarted relay');
    assert.ok(late.messages.length >= Math.min(total, 50) && seqsInOrder(late.messages), `${late.messages.length} messages of backfill, in order`);
  });
}
