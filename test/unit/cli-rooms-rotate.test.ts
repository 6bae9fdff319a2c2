// /rotate in `whatsudp chat` (issue 9): the creator of a sealed room gives it a new key without a
// member, and prints the new invite link; the member left out is shut out, the others read on; the
// old link lets no one new in, the new one does; anyone but the creator is refused, saying why. A
// member kept keeps the new key in its keyring, so it reads on when it comes back with the old link.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lineToCommand } from '../../src/cli/commands';
import { CLI, cliBuilt, spawnCli, startRelay, stopAll, type Proc } from './helpers/cli-proc';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;
const LINK = /^invite link: (whatsudp:\/\/\S+)$/;

async function joinedChat(address: string, name: string, extra: string[] = [], configHome?: string): Promise<Proc> {
  const p = spawnCli(['chat', '--name', name, '--server', address, ...extra], configHome ? { configHome } : {});
  await p.waitForLine('stderr', /^\* joined the /, 5000);
  return p;
}

const dirs: string[] = [];
afterEach(stopAll);
after(async () => {
  await stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('/rotate', { skip, timeout: 90_000 }, () => {
  it('reads /rotate and /rotate --remove NAME', () => {
    assert.deepEqual(lineToCommand('/rotate', true), { room: { kind: 'rotate' } });
    assert.deepEqual(lineToCommand('/rotate --remove Ann Lee', true), { room: { kind: 'rotate', remove: 'Ann Lee' } });
    assert.deepEqual(lineToCommand('/rotate --admin bob', true), { room: { kind: 'rotate', admin: 'bob' } });
    assert.match((lineToCommand('/rotate cy', true) as { error: string }).error, /^usage: \/rotate \[--remove NAME \| --admin NAME\]/);
  });

  it('the creator removes a member: a new link, the member shut out, the others read on', async () => {
    const { address } = await startRelay();
    const ann = await joinedChat(address, 'ann', ['--room', 'ops', '--create', '--sealed', '--commands']);
    const first = LINK.exec(await ann.waitForLine('stderr', LINK))![1];
    const bob = await joinedChat(address, 'bob', ['--invite', first, '--commands']);
    const cy = await joinedChat(address, 'cy', ['--invite', first]);
    await ann.waitForLine('stderr', '* cy joined');

    bob.write('/rotate\n');
    await bob.waitForLine('stderr', /cannot rotate the key of ops: .*only the room's creator or its admins rotate its key/);

    ann.write('/rotate --remove cy\n');
    await ann.waitForLine('stderr', /^\* ops has a new key \(epoch \d+\): 2 members kept; removed 1 /);
    const links = ann.stderr.filter((l) => LINK.test(l));
    assert.equal(links.length, 2);
    const second = LINK.exec(links[1])![1];
    assert.notEqual(second, first);
    await cy.waitForLine('stderr', /you were removed from this sealed room/, 10_000);
    await bob.waitForLine('stdout', /^\* ann changed the room's key \(epoch \d+\): /);

    ann.write('after the rotation\n');
    await bob.waitForLine('stdout', 'ann: after the rotation');
    assert.ok(!cy.stdout.some((l) => l.includes('after the rotation')), cy.stdout.join('\n'));

    const old = spawnCli(['chat', '--name', 'eve', '--invite', first, '--join-timeout-ms', '3000']);
    old.end('hi\n');
    assert.equal((await old.exitWithin(10_000)).code, 6, old.stderr.join('\n'));
    const dan = await joinedChat(address, 'dan', ['--invite', second]);
    await dan.waitForLine('stdout', 'ann: after the rotation'); // the backfill, opened with the new secret
  });

  it('/rotate --admin NAME lets NAME rotate too, through the creator\'s later rotations, until removed', async () => {
    const { address } = await startRelay();
    const ann = await joinedChat(address, 'ann', ['--room', 'ops', '--create', '--sealed', '--commands']);
    const first = LINK.exec(await ann.waitForLine('stderr', LINK))![1];
    const home = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-bob-'));
    dirs.push(home);
    const bob = await joinedChat(address, 'bob', ['--invite', first, '--commands'], home);
    await ann.waitForLine('stderr', '* bob joined');
    ann.write('/rotate --admin bob\n');
    await ann.waitForLine('stderr', '* bob may now rotate the key of ops too (if you made it: an admin\'s word on admins does not count)');
    await bob.waitForLine('stdout', /^\* ann changed the room's key \(epoch 1\): /);
    ann.write('/rotate\n'); // the creator's rotation that names none keeps bob an admin
    await bob.waitForLine('stdout', /^\* ann changed the room's key \(epoch 2\): /);
    bob.write('/rotate\n');
    await bob.waitForLine('stderr', /^\* ops has a new key \(epoch 3\): 2 members kept/);
    ann.write('/rotate --remove bob\n');
    await bob.waitForLine('stderr', /you were removed from this sealed room/, 10_000);
    await ann.waitForLine('stderr', /^\* ops has a new key \(epoch 4\): /); // its link is printed just before
    // Back with the newest link (which lets anyone holding it in), the same device is an admin no more.
    const back = await joinedChat(address, 'bob', ['--invite', LINK.exec(ann.stderr.filter((l) => LINK.test(l)).at(-1)!)![1], '--commands'], home);
    back.write('/rotate\n');
    await back.waitForLine('stderr', /cannot rotate the key of ops: .*only the room's creator or its admins/);
  });

  it("relay --sealed: the identity that ran it rotates the default room from a chat; a member cannot", async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-owner-'));
    dirs.push(home);
    const { relay } = await startRelay(['--sealed'], { configHome: home });
    const first = await relay.waitForLine('stdout', /^whatsudp:/);
    const owner = spawnCli(['chat', '--name', 'owner', '--invite', first, '--commands'], { configHome: home });
    await owner.waitForLine('stderr', /^\* joined the sealed room main at /);
    const bob = spawnCli(['chat', '--name', 'bob', '--invite', first, '--commands']);
    await owner.waitForLine('stderr', '* bob joined'); // a rotation keeps the members it knows of
    bob.write('/rotate\n');
    await bob.waitForLine('stderr', /cannot rotate the key of main: .*only the room's creator or its admins/);
    owner.write('/rotate\n');
    await owner.waitForLine('stderr', /^\* main has a new key \(epoch \d+\): /);
    const next = LINK.exec(owner.stderr.find((l) => LINK.test(l))!)![1];
    const cy = await joinedChat(first.replace(/^whatsudp:\/\/([^/]+)\/.*$/, '$1'), 'cy', ['--invite', next]);
    cy.write('with the new link\n');
    await bob.waitForLine('stdout', 'cy: with the new link');
  });

  it('a member kept through a rotation keeps the new key (keyring, 0600): back with the first link, it reads on', async () => {
    // A backfill of one message: the rekey is not in it when bob comes back, only what followed it.
    const { address } = await startRelay(['--backfill', '1']);
    const ann = await joinedChat(address, 'ann', ['--room', 'ops', '--create', '--sealed', '--commands']);
    const first = LINK.exec(await ann.waitForLine('stderr', LINK))![1];
    const home = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-bob-'));
    dirs.push(home);
    const bob = spawnCli(['chat', '--name', 'bob', '--invite', first], { configHome: home });
    await ann.waitForLine('stderr', '* bob joined');
    ann.write('/rotate\nafter the rotation\n');
    await bob.waitForLine('stdout', 'ann: after the rotation');
    bob.end();
    assert.equal((await bob.exitWithin(15_000)).code, 0);
    assert.deepEqual(readdirSync(path.join(home, 'whatsudp')).filter((f) => f.endsWith('.tmp')), [], 'no write left half done');
    assert.equal(statSync(path.join(home, 'whatsudp', 'keyring')).mode & 0o777, 0o600);

    const back = spawnCli(['chat', '--name', 'bob', '--invite', first], { configHome: home });
    await back.waitForLine('stdout', 'ann: after the rotation');
    assert.ok(!back.stdout.some((l) => /not shown/.test(l)), back.stdout.join('\n'));
  });
});
