// `whatsudp relay` and the original Python chat's plain `name: text` datagrams (issue 8): off unless
// asked for, since anyone can claim any name in one. Without --legacy-bridge a seed line reaches
// nobody and the operator is told once how to let it in; with it, the room sees the line marked
// unverified, in text and in --json.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { CLI, cliBuilt, spawnCli, startRelay, stopAll, type Proc } from './helpers/cli-proc';
import { sleep } from './helpers/engine';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;
const sockets: dgram.Socket[] = [];

/** Sends seed datagrams from one socket of its own; returns its port. */
async function seedSays(address: string, lines: string[]): Promise<number> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const port = Number(address.split(':')[1]);
  for (const line of lines) await new Promise<void>((r) => socket.send(Buffer.from(line), port, '127.0.0.1', () => r()));
  return socket.address().port;
}

async function joined(address: string, name: string, extra: string[] = []): Promise<Proc> {
  const p = spawnCli(['chat', '--name', name, '--server', address, ...extra]);
  await p.waitForLine('stderr', /^\* joined the room at /, 5000);
  return p;
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await stopAll();
});
after(stopAll);

describe('whatsudp relay and seed datagrams', { skip, timeout: 60_000 }, () => {
  it('without --legacy-bridge: a seed line reaches no member, and stderr says once how to let it in', async () => {
    const { relay, address } = await startRelay();
    const bob = await joined(address, 'bob');
    const from = await seedSays(address, ['alice: it is me, alice', 'alice: believe me']);
    const note = await relay.waitForLine('stderr', /legacy bridge is off/, 5000);
    assert.match(note, new RegExp(`^whatsudp: note: .*127\\.0\\.0\\.1:${from}.*--legacy-bridge`));
    // A member's line after the seed's arrives alone: the seed lines were never in the room.
    const ann = await joined(address, 'ann');
    ann.write('after\n');
    await bob.waitForLine('stdout', 'ann: after');
    await seedSays(address, ['alice: a third try']);
    await sleep(200);
    assert.deepEqual(bob.stdout, ['ann: after']);
    assert.equal(relay.stderr.filter((l) => /legacy bridge is off/.test(l)).length, 1, `said once: ${relay.stderr.join(' | ')}`);
  });

  it('with --legacy-bridge: the room sees the line as "name [unverified]: text", and --json says legacy, not verified', async () => {
    const { relay, address } = await startRelay(['--legacy-bridge']);
    const bob = await joined(address, 'bob');
    const eve = await joined(address, 'eve', ['--json']);
    await seedSays(address, ['alice: it is me, alice']);
    await bob.waitForLine('stdout', 'alice [unverified]: it is me, alice');
    const m = JSON.parse(await eve.waitForLine('stdout', /it is me/)) as Record<string, unknown>;
    assert.deepEqual(m.sender, { id: '0000000000000000', name: 'alice', legacy: true });
    assert.deepEqual([m.verified, m.fingerprint], [false, null]);
    // A member's own message is not marked in text, and its signature checked out: verified, with its key.
    bob.write('hi alice?\n');
    await bob.waitForLine('stdout', 'bob: hi alice?');
    const own = JSON.parse(await eve.waitForLine('stdout', /hi alice\?/)) as Record<string, unknown>;
    assert.deepEqual([own.verified, /^[a-z2-7]{52}$/.test(String(own.fingerprint)), (own.sender as { legacy: boolean }).legacy], [true, true, false]);
    assert.deepEqual(relay.stderr.filter((l) => /legacy bridge/.test(l)), []);
  });

  it('relay --log marks seed lines too', async () => {
    const { relay, address } = await startRelay(['--legacy-bridge', '--log']);
    await seedSays(address, ['alice: logged']);
    await relay.waitForLine('stdout', 'alice [unverified]: logged');
  });
});
