// Relays found across a network, end to end: `whatsudp relay --announce` in one network namespace,
// `whatsudp discover` in another, joined by veth pairs (directly, or through a bridge in a third
// namespace that can drop multicast). Nothing runs on the machine's own interfaces. Needs root for
// the namespaces; without it these are reported as skipped, with the reason.
import { afterEach, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CLI, FIXTURES, cliBuilt, spawnCli, spawnProc, stopAll, type Proc } from './helpers/cli-proc';
import { Lab } from './helpers/discovery-net';
import { netnsUnavailable } from './helpers/netns';
import type { RelayJson } from '../../src/cli/discover-format';

function unavailable(): string | undefined {
  if (!cliBuilt()) return `${CLI} is not built (run node esbuild.mjs)`;
  return netnsUnavailable();
}
const reason = unavailable();
const labs: Lab[] = [];

function lab(t: TestContext): Lab | undefined {
  if (reason) {
    t.skip(reason);
    return undefined;
  }
  const l = new Lab();
  labs.push(l);
  return l;
}

afterEach(async () => {
  await stopAll();
  for (const l of labs.splice(0)) l.delete();
});

const ADDRESS_LINE = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/;

/** `whatsudp relay --port 0 ...` in `ns`; with --announce, once it says where it announces. */
async function relay(ns: string, args: string[]): Promise<{ proc: Proc; port: number }> {
  const proc = spawnCli(['relay', '--port', '0', ...args], { netns: ns });
  const line = await proc.waitForLine('stdout', ADDRESS_LINE);
  if (args.includes('--announce')) await proc.waitForLine('stderr', /^\* announced on /);
  return { proc, port: Number(ADDRESS_LINE.exec(line)?.[2]) };
}

/** `whatsudp discover --json` in `ns`: what it listed, and its exit. Within 5 s by design (2 s here). */
async function discover(ns: string, extra: string[] = []): Promise<{ relays: RelayJson[]; proc: Proc }> {
  const proc = spawnCli(['discover', '--json', '--timeout-ms', '2000', ...extra], { netns: ns });
  const exit = await proc.exitWithin(8000);
  assert.equal(exit.code, 0, `discover exits 0 whether or not it found any\n${proc.stderr.join('\n')}`);
  return { relays: proc.stdout.map((l) => JSON.parse(l) as RelayJson), proc };
}

/** Two namespaces, relay side 192.0.2.1 and browser side 192.0.2.2, on one veth with a multicast route. */
function pair(l: Lab): { r: string; b: string } {
  const r = l.ns('relay');
  const b = l.ns('browse');
  l.link({ ns: r, dev: 'wr0', cidr: '192.0.2.1/24' }, { ns: b, dev: 'wb0', cidr: '192.0.2.2/24' });
  return { r, b };
}

describe('discovery across namespaces', { timeout: 60_000 }, () => {
  it('finds a relay in another namespace over mDNS, with its interface and rooms', async (t) => {
    const l = lab(t);
    if (!l) return;
    const { r, b } = pair(l);
    const { proc, port } = await relay(r, ['--host', '0.0.0.0', '--announce', '--log']);
    const keyLine = await proc.waitForLine('stderr', /key fingerprint is/);
    const fingerprint = /fingerprint is ([a-z2-7 ]+) \(/.exec(keyLine)![1].replace(/ /g, '');
    const { relays } = await discover(b);
    assert.equal(relays.length, 1, JSON.stringify(relays));
    const [found] = relays;
    assert.equal(found.address, `192.0.2.1:${port}`);
    assert.equal(found.interface, 'wb0');
    assert.ok(found.via.includes('mdns'), `found over mDNS: ${found.via.join(', ')}`);
    // The relay's own key, so whoever finds it knows which relay it is before joining.
    assert.deepEqual([found.rooms, found.sealed, found.fingerprint], [[{ name: 'main', id: null }], [], fingerprint]);

    const lines = spawnCli(['discover', '--timeout-ms', '1500'], { netns: b });
    assert.equal((await lines.exitWithin(8000)).code, 0);
    assert.deepEqual(lines.stdout.map((s) => s.split('  ')[0]), [`192.0.2.1:${port} on wb0`]);
    assert.match(lines.stdout[0], new RegExp(`  fingerprint: ${fingerprint}  `));
    assert.match(lines.stderr.join('\n'), /^\* 1 relay found on wb0 in \d+ ms$/m);
  });

  it('finds it by the broadcast probe when the network drops multicast', async (t) => {
    const l = lab(t);
    if (!l) return;
    const r = l.ns('relay');
    const b = l.ns('browse');
    l.switched([{ ns: r, dev: 'wr0', cidr: '192.0.2.1/24' }, { ns: b, dev: 'wb0', cidr: '192.0.2.2/24' }], { multicast: false });
    const { port } = await relay(r, ['--host', '0.0.0.0', '--announce']);
    const { relays } = await discover(b);
    assert.deepEqual(relays.map((x) => [x.address, x.interface, x.via]), [[`192.0.2.1:${port}`, 'wb0', ['broadcast']]], 'found, and by broadcast alone: the switch dropped mDNS');
    assert.deepEqual(relays[0].rooms, [{ name: 'main', id: null }]);
  });

  it('does not find a relay without --announce, nor one on loopback', async (t) => {
    const l = lab(t);
    if (!l) return;
    const { r, b } = pair(l);
    await relay(r, ['--host', '0.0.0.0']); // --host alone never announces
    await relay(r, ['--host', '127.0.0.1']);
    const refused = spawnCli(['relay', '--port', '0', '--announce'], { netns: r });
    assert.equal((await refused.exitWithin(5000)).code, 2);
    assert.match(refused.stderr.join('\n'), /--announce: a relay on 127\.0\.0\.1 can only be reached from this machine/);
    const fromOther = await discover(b);
    assert.deepEqual(fromOther.relays, []);
    assert.match(fromOther.proc.stderr.join('\n'), /no relay answered on wb0 within \d+ ms \(relays are found only when started with --announce\)/);
    assert.deepEqual((await discover(r)).relays, [], 'nor from its own namespace');
  });

  it('lists a relay on two interfaces once, and one bound to an address only there', async (t) => {
    const l = lab(t);
    if (!l) return;
    const { r, b } = pair(l);
    l.link({ ns: r, dev: 'wr1', cidr: '198.51.100.1/24' }, { ns: b, dev: 'wb1', cidr: '198.51.100.2/24' }, false);
    const both = await relay(r, ['--host', '0.0.0.0', '--announce']);
    assert.ok(both.proc.stderr.some((s) => s.startsWith('* announced on wr0, wr1') || s.startsWith('* announced on wr1, wr0')), both.proc.stderr.join('\n'));
    const one = await relay(r, ['--host', '198.51.100.1', '--announce']);
    const { relays, proc } = await discover(b);
    assert.equal(relays.length, 2, `${JSON.stringify(relays)}\n${proc.stderr.join('\n')}`);
    const wide = relays.find((x) => x.port === both.port);
    const narrow = relays.find((x) => x.port === one.port);
    assert.deepEqual(wide?.addresses.map((a) => `${a.address} ${a.interface}`).sort(), [`192.0.2.1:${both.port} wb0`, `198.51.100.1:${both.port} wb1`]);
    assert.deepEqual(narrow?.addresses.map((a) => `${a.address} ${a.interface}`), [`198.51.100.1:${one.port} wb1`]);
    const only = await discover(b, ['--interface', 'wb0']);
    assert.deepEqual(only.relays.map((x) => x.address), [`192.0.2.1:${both.port}`], '--interface searches there only');
  });

  it('a browser that keeps running hears a relay come and say goodbye', async (t) => {
    const l = lab(t);
    if (!l) return;
    const { r, b } = pair(l);
    // The engine's RelayBrowser, as the extension's Find Relays will use it, run inside the namespace.
    const engine = path.resolve(__dirname, '../../src/chat/discovery');
    const script = `const { RelayBrowser } = require(${JSON.stringify(engine)});
      RelayBrowser.start().then((b) => {
        for (const e of ['found', 'lost']) b.on(e, (r) => console.log(e + ' ' + r.host + ':' + r.port));
        console.log('browsing');
        process.on('SIGTERM', () => b.close().then(() => process.exit(0)));
      });`;
    const browser = spawnProc(process.execPath, ['-e', script], { netns: b, label: 'RelayBrowser' });
    await browser.waitForLine('stdout', 'browsing');
    const { proc, port } = await relay(r, ['--host', '0.0.0.0', '--announce']);
    await browser.waitForLine('stdout', `found 192.0.2.1:${port}`, 5000);
    proc.signal('SIGTERM');
    assert.equal((await proc.exitWithin(5000)).code, 143);
    await browser.waitForLine('stdout', `lost 192.0.2.1:${port}`, 5000);
  });

  it("the original Python client on port 2410 keeps running while relays announce and are looked for", async (t) => {
    const l = lab(t);
    if (!l) return;
    if (spawnSync('python3', ['--version'], { timeout: 5000 }).error) return t.skip('needs python3 to run the seed client');
    const { r, b } = pair(l);
    const seeds = await Promise.all([r, b].map(async (ns) => {
      const p = spawnProc('python3', ['-u', path.join(FIXTURES, 'seed_client.py'), '2410', '0.0.0.0'], { netns: ns, label: `seed client in ${ns}` });
      await p.waitForLine('stdout', 'Welcome to WhatsUDP Messenger!');
      p.write('sam\n');
      return p;
    }));
    await relay(r, ['--host', '0.0.0.0', '--announce']);
    const [fromB, fromR] = await Promise.all([discover(b), discover(r)]);
    assert.equal(fromB.relays.length, 1);
    assert.equal(fromR.relays.length, 1);
    for (const seed of seeds) {
      seed.write('still here\n');
      // The seed writes a cursor-up (ESC [F) from another thread after each line it sends: it may land
      // anywhere in the line it prints.
      await seed.waitForLine('stdout', /sam: still here/);
      assert.doesNotMatch(seed.stderr.join('\n'), /Traceback|UnicodeDecodeError/);
      const heard = seed.stdout.map((s) => s.replace(/\u001b\[F/g, '')).filter((s) => !/Welcome to WhatsUDP|^$|^(Input username: )?sam: still here$/.test(s));
      assert.deepEqual(heard, [], 'no datagram of discovery reached port 2410');
    }
  });
});
