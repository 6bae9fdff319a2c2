// The original Python chat (test/unit/fixtures, the seed's own code) and ours, with real broadcast:
// each test runs in a network namespace of its own whose loopback carries the default route, so
// 255.255.255.255 stays inside it, and the fixed port 2410 of the seed is free there.
import { afterEach, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CLI, FIXTURES, cliBuilt, spawnCli, spawnProc, stopAll, type Proc } from './helpers/cli-proc';
import { Netns, netnsUnavailable } from './helpers/netns';

const PORT = '2410';
const namespaces: Netns[] = [];

function unavailable(): string | undefined {
  if (!cliBuilt()) return `${CLI} is not built (run node esbuild.mjs)`;
  const ns = netnsUnavailable();
  if (ns) return ns;
  if (spawnSync('python3', ['--version'], { timeout: 5000 }).error) return 'needs python3 to run the seed programs';
  return undefined;
}
const reason = unavailable();

function namespace(t: TestContext): Netns | undefined {
  if (reason) {
    t.skip(reason);
    return undefined;
  }
  const ns = Netns.create();
  namespaces.push(ns);
  return ns;
}

/** The seed's relay, as its author wrote it, on 127.0.0.1:2410 in the namespace. */
async function seedServer(ns: Netns): Promise<Proc> {
  const p = spawnProc('python3', ['-u', path.join(FIXTURES, 'seed_server.py'), PORT], { netns: ns.name, label: 'seed server' });
  await p.waitForLine('stdout', 'Your chats will be recorded here');
  return p;
}

/** A seed client that has typed its username and listens; `address` is where it binds (and sends). */
async function seedClient(ns: Netns, name: string, address = '0.0.0.0'): Promise<Proc> {
  const p = spawnProc('python3', ['-u', path.join(FIXTURES, 'seed_client.py'), PORT, address], { netns: ns.name, label: `seed client ${name}` });
  await p.waitForLine('stdout', 'Welcome to WhatsUDP Messenger!');
  p.write(`${name}\n`);
  return p;
}

/** What a seed client printed, without its prompt and the cursor-up it writes after each line it sends. */
function seen(p: Proc): string[] {
  return p.stdout.map((l) => l.replace(/^Input username: /, '').replace(/\u001b\[F/g, '')).filter((l) => l !== '' && l !== 'Welcome to WhatsUDP Messenger!');
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
const count = (lines: string[], line: string): number => lines.filter((l) => l === line).length;

// Multi-byte characters (3 and 4 bytes) placed so that cutting at 1024 bytes would split one.
const LONG = `${'a'.repeat(1016)}日本語🎉${'ü'.repeat(700)}🎉 end`;

afterEach(async () => {
  await stopAll();
  for (const ns of namespaces.splice(0)) ns.delete();
});

describe('legacy interop: whatsudp chat --legacy with the seed relay and seed clients', { timeout: 60_000 }, () => {
  it('each side sees the other; our own line is shown once; long lines do not crash the seed', async (t) => {
    const ns = namespace(t);
    if (!ns) return;
    const server = await seedServer(ns);
    const sam = await seedClient(ns, 'sam');
    const ann = spawnCli(['chat', '--legacy', '--name', 'ann', '--server', `127.0.0.1:${PORT}`, '--wait-ms', '3000'], { netns: ns.name });
    await ann.waitForLine('stderr', /^\* sending to 127\.0\.0\.1:2410 as ann/);
    assert.deepEqual(ann.stderr.filter((l) => l.startsWith('whatsudp:')), [], 'no note: SO_REUSEPORT works here');

    sam.write('hello ann\n');
    // Every line of the original chat is unverified, our own echo too: anyone can send any name.
    await ann.waitForLine('stdout', 'sam [unverified]: hello ann');
    ann.write('hello sam\n');
    await until(() => seen(sam).includes('ann: hello sam'), 'sam to see ann');
    await ann.waitForLine('stdout', 'ann [unverified]: hello sam');

    ann.write(`${LONG}\nafter the long one\n`);
    await until(() => seen(sam).includes('ann: after the long one'), 'the line after the long one');
    const pieces = seen(sam).filter((l) => l.startsWith('ann: ') && !['ann: hello sam', 'ann: after the long one'].includes(l));
    assert.ok(pieces.length >= 2, `split into pieces: ${pieces.length}`);
    assert.equal(pieces.map((l) => l.slice('ann: '.length)).join(''), LONG);
    assert.doesNotMatch(server.stderr.join('\n') + sam.stderr.join('\n'), /Traceback|UnicodeDecodeError/);

    ann.end();
    assert.equal((await ann.exitWithin(10_000)).code, 0);
    await settle();
    assert.equal(count(ann.stdout, 'ann [unverified]: hello sam'), 1, 'own echo once');
    assert.equal(count(ann.stdout, 'sam [unverified]: hello ann'), 1);
    assert.equal(count(seen(sam), 'ann: hello sam'), 1);
    assert.equal(ann.stdout.filter((l) => l.startsWith('ann [unverified]: ')).length, 2 + pieces.length, 'each own datagram once');
  });

  it('--json marks seed messages legacy and not verified', async (t) => {
    const ns = namespace(t);
    if (!ns) return;
    await seedServer(ns);
    const sam = await seedClient(ns, 'sam');
    const ann = spawnCli(['chat', '--legacy', '--json', '--name', 'ann', '--server', `127.0.0.1:${PORT}`], { netns: ns.name });
    await ann.waitForLine('stderr', /^\* sending to /);
    sam.write('hi \u00e9\n');
    const m = JSON.parse(await ann.waitForLine('stdout', /"text":"hi é"/)) as { sender: unknown; seq: unknown; verified: unknown; fingerprint: unknown };
    assert.deepEqual(m.sender, { id: '0000000000000000', name: 'sam', legacy: true });
    assert.equal(m.seq, null);
    assert.deepEqual([m.verified, m.fingerprint], [false, null]);
  });
});

describe('legacy interop: our relay with --legacy-broadcast, seed clients and our clients', { timeout: 60_000 }, () => {
  it('seed lines reach our clients marked legacy, ours reach the seed clients, long ones split cleanly', async (t) => {
    const ns = namespace(t);
    if (!ns) return;
    const relay = spawnCli(['relay', '--port', PORT, '--legacy-broadcast', '255.255.255.255'], { netns: ns.name });
    await relay.waitForLine('stdout', `127.0.0.1:${PORT}`);
    const sam = await seedClient(ns, 'sam');
    const sue = await seedClient(ns, 'sue');
    const ann = spawnCli(['chat', '--json', '--name', 'ann', '--server', `127.0.0.1:${PORT}`], { netns: ns.name });
    const bob = spawnCli(['chat', '--name', 'bob', '--server', `127.0.0.1:${PORT}`], { netns: ns.name });
    await ann.waitForLine('stderr', /^\* joined the room/);
    await bob.waitForLine('stderr', /^\* joined the room/);

    sam.write('hello from the seed\n');
    const fromSam = JSON.parse(await ann.waitForLine('stdout', /hello from the seed/)) as { sender: { name: string; legacy: boolean; id: string } };
    assert.deepEqual(fromSam.sender, { id: '0000000000000000', name: 'sam', legacy: true });
    await bob.waitForLine('stdout', 'sam [unverified]: hello from the seed');
    await until(() => seen(sue).includes('sam: hello from the seed'), 'sue to see sam');

    bob.write('hello seeds\n');
    await until(() => seen(sam).includes('bob: hello seeds') && seen(sue).includes('bob: hello seeds'), 'the seeds to see bob');

    bob.write(`${LONG}\nlast\n`);
    await until(() => seen(sam).includes('bob: last') && seen(sue).includes('bob: last'), 'the line after the long one');
    await bob.waitForLine('stdout', 'bob: last');
    for (const seed of [sam, sue]) {
      const pieces = seen(seed).filter((l) => l.startsWith('bob: ') && l !== 'bob: hello seeds' && l !== 'bob: last');
      assert.ok(pieces.length >= 2, `split into pieces: ${pieces.length}`);
      assert.equal(pieces.map((l) => l.slice('bob: '.length)).join(''), LONG);
      assert.doesNotMatch(seed.stderr.join('\n'), /Traceback|UnicodeDecodeError/);
    }

    await settle();
    // Our clients see the long message whole, once; nothing came back from the relay's own broadcasts.
    const texts = ann.stdout.map((l) => (JSON.parse(l) as { text: string }).text);
    assert.deepEqual(texts, ['hello from the seed', 'hello seeds', LONG, 'last']);
    assert.deepEqual(bob.stdout.filter((l) => l.startsWith('bob: ') || l.startsWith('sam [unverified]: ')).map((l) => l.slice(0, 30)), [
      'sam [unverified]: hello from t', 'bob: hello seeds', `bob: ${LONG.slice(0, 25)}`, 'bob: last',
    ]);
    for (const seed of [sam, sue]) assert.equal(count(seen(seed), 'sam: hello from the seed'), 1);
  });

  it('a relay listening on 0.0.0.0 hears its own broadcasts and does not post them again', async (t) => {
    const ns = namespace(t);
    if (!ns) return;
    const relay = spawnCli(['relay', '--host', '0.0.0.0', '--port', PORT, '--legacy-broadcast', '255.255.255.255', '--log'], { netns: ns.name });
    await relay.waitForLine('stdout', `0.0.0.0:${PORT}`);
    // A seed client bound to the broadcast address itself: it hears the broadcasts but, unlike one on
    // 0.0.0.0, takes none of the unicast meant for the relay (so the relay alone shares 0.0.0.0:2410).
    const sam = await seedClient(ns, 'sam', '255.255.255.255');
    const ann = spawnCli(['chat', '--json', '--name', 'ann', '--server', `127.0.0.1:${PORT}`], { netns: ns.name });
    await ann.waitForLine('stderr', /^\* joined the room/);
    ann.write('one\ntwo\n');
    await until(() => seen(sam).includes('ann: two'), 'the broadcast');
    await settle();
    await settle();
    assert.deepEqual(seen(sam).filter((l) => l.startsWith('ann: ')), ['ann: one', 'ann: two']);
    const got = ann.stdout.map((l) => JSON.parse(l) as { text: string; sender: { legacy: boolean } });
    assert.deepEqual(got.map((m) => [m.text, m.sender.legacy]), [['one', false], ['two', false]]);
    assert.deepEqual(relay.stdout, [`0.0.0.0:${PORT}`, 'ann: one', 'ann: two']);
  });
});
