// Sealed rooms and direct messages made from `whatsudp chat` (issues 9 and 11): `/create x --sealed`
// and `--create --sealed` make the secret in the chat and print the room's invite link once, which a
// second `chat --invite LINK` (or `/join LINK` in a chat) joins; `/dm NAME` opens a sealed room of two
// device keys that the other one finds in /rooms as "dm NAME" and joins with /dm too, and that a third
// member never sees. A person at a terminal (a pty) gets the room commands without --commands.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, cliBuilt, spawnCli, spawnProc, startRelay, stopAll, type Proc } from './helpers/cli-proc';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;
const LINK = /^invite link: (whatsudp:\/\/127\.0\.0\.1:\d+\/(?<room>[a-z0-9._-]+)\?fp=[a-z2-7]{52}#v1\.[A-Za-z0-9_-]{43})$/;

async function joinedChat(address: string, name: string, extra: string[] = []): Promise<Proc> {
  const p = spawnCli(['chat', '--name', name, '--server', address, ...extra]);
  await p.waitForLine('stderr', /^\* joined the /, 5000);
  return p;
}

/** The one invite link a chat printed (it must print exactly one). */
async function linkOf(p: Proc): Promise<string> {
  await p.waitForLine('stderr', LINK, 5000);
  const links = p.stderr.filter((l) => LINK.test(l));
  assert.equal(links.length, 1, 'the link is printed once');
  return LINK.exec(links[0])![1];
}

const dirs: string[] = [];
afterEach(stopAll);
after(async () => {
  await stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('whatsudp chat: sealed rooms and direct messages', { skip, timeout: 90_000 }, () => {
  it('/create x --sealed prints a link that `chat --invite LINK` joins; without it the room is closed', async () => {
    const { address } = await startRelay(['--log']);
    const ann = await joinedChat(address, 'ann', ['--commands']);
    ann.write('/create ops --sealed\n');
    await ann.waitForLine('stderr', /^\* joined the sealed room ops at /);
    const link = await linkOf(ann);
    assert.equal(LINK.exec(`invite link: ${link}`)?.groups?.room, 'ops');

    const without = spawnCli(['chat', '--name', 'eve', '--server', address, '--room', 'ops', '--join-timeout-ms', '3000']);
    without.end('let me in\n');
    assert.equal((await without.exitWithin(10_000)).code, 6, without.stderr.join('\n'));
    assert.match(without.stderr.join('\n'), /sealed: you need its invite link/);

    const bob = await joinedChat(address, 'bob', ['--invite', link, '--json']);
    assert.ok(bob.stderr.some((l) => /^\* joined the sealed room ops at /.test(l)), bob.stderr.join('\n'));
    ann.write('the deploy key is 4321\n');
    const got = JSON.parse(await bob.waitForLine('stdout', /"text":"the deploy key is 4321"/)) as { room: string; verified: boolean };
    assert.deepEqual([got.room, got.verified], ['ops', true]);
    bob.end();
    assert.equal((await bob.exitWithin(15_000)).code, 0);

    // Inside a chat: by name the sealed room is closed (with the hint), by its link it opens.
    const cy = await joinedChat(address, 'cy', ['--commands']);
    cy.write('/join ops\n');
    await cy.waitForLine('stderr', /cannot join room ops: .*sealed.*\(lines still go to main; \/join LINK joins it with its invite link\)/);
    cy.write(`/join ${link}\nhello ops\n`);
    await cy.waitForLine('stderr', /^\* joined the sealed room ops at /);
    await ann.waitForLine('stdout', 'cy: hello ops');
    await cy.waitForLine('stdout', 'ann: the deploy key is 4321'); // the backfill, opened with the link's secret
  });

  it('chat --room x --create --sealed prints the link on stderr, nothing of it on stdout', async () => {
    const { address } = await startRelay();
    const ann = await joinedChat(address, 'ann', ['--room', 'x', '--create', '--sealed']);
    const link = await linkOf(ann);
    assert.ok(!ann.stdout.some((l) => l.includes('whatsudp://')));
    const bob = await joinedChat(address, 'bob', ['--invite', link]);
    bob.write('hello x\n');
    await ann.waitForLine('stdout', 'bob: hello x');
  });

  it('a sealed create of a room that is there already, open, prints no link and sends nothing there', async () => {
    const { address } = await startRelay();
    const bob = await joinedChat(address, 'bob', ['--room', 'design', '--create']);
    const ann = await joinedChat(address, 'ann', ['--commands']);
    ann.write('/create design --sealed\nstill in main\n');
    await ann.waitForLine('stderr', /the relay has an open room design already: it was joined, not made sealed/);
    await ann.waitForLine('stdout', 'ann: still in main');
    const late = spawnCli(['chat', '--name', 'cy', '--server', address, '--room', 'design', '--create', '--sealed']);
    late.end('sealed with a key nobody has\n');
    assert.equal((await late.exitWithin(15_000)).code, 6, late.stderr.join('\n'));
    for (const p of [ann, late]) assert.ok(!p.stderr.some((l) => l.startsWith('invite link:')), p.stderr.join('\n'));
    assert.ok(!bob.stdout.some((l) => /still in main|nobody has|not shown/.test(l)), bob.stdout.join('\n'));
  });

  it('/dm NAME opens a direct message the other finds in /rooms and joins with /dm; a third never sees it', async () => {
    const { address } = await startRelay();
    const ann = await joinedChat(address, 'ann', ['--commands']);
    const bob = await joinedChat(address, 'bob', ['--commands']);
    const cy = await joinedChat(address, 'cy', ['--commands']);
    await bob.waitForLine('stderr', '* cy joined');
    bob.write('/dm nobody\n');
    await bob.waitForLine('stderr', /no one named "nobody" is in main \(members: (ann, cy|cy, ann)\)/);
    bob.write('/dm ann\npsst, ann\n');
    await bob.waitForLine('stderr', /^\* joined the direct message with ann at /);
    await bob.waitForLine('stdout', 'bob: psst, ann');
    // The relay tells ann at once (DmOpened), once, with how to read it.
    await ann.waitForLine('stderr', '* bob opened a direct message with you: /dm bob reads it');

    ann.write('/rooms\n');
    await ann.waitForLine('stderr', /^ {2}dm bob 🔒 +1 member +1 unread +not joined$/);
    cy.write('/rooms\n');
    await cy.waitForLine('stderr', /^rooms on .* \(1\):$/);
    ann.write('/dm bob\n');
    await ann.waitForLine('stdout', 'bob: psst, ann');
    ann.write('hi bob, only you\n');
    await bob.waitForLine('stdout', 'ann: hi bob, only you');
    ann.write('/join main\nto everyone\n');
    await cy.waitForLine('stdout', 'ann: to everyone');
    bob.write('still private\n');
    await ann.waitForLine('stdout', '[dm bob] bob: still private');
    assert.ok(!cy.stdout.some((l) => /psst|only you|still private/.test(l)), cy.stdout.join('\n'));
    await bob.waitForLine('stdout', '[main] ann: to everyone');
    assert.equal(ann.stderr.filter((l) => /opened a direct message/.test(l)).length, 1, 'told once');
    assert.ok(!cy.stderr.some((l) => /opened a direct message/.test(l)), 'cy is not told');
  });

  it('/dm NAME reaches someone away by the key this device saw under NAME; back, they find it in /rooms', async () => {
    const { address } = await startRelay();
    const home = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-bob-'));
    dirs.push(home);
    const ann = await joinedChat(address, 'ann', ['--commands']);
    const bob = spawnCli(['chat', '--name', 'bob', '--server', address], { configHome: home });
    await ann.waitForLine('stderr', '* bob joined');
    bob.end();
    assert.equal((await bob.exitWithin(15_000)).code, 0);
    await ann.waitForLine('stderr', '* bob left');

    ann.write('/dm bob\nwhile you were away\n');
    await ann.waitForLine('stderr', /^\* bob is not in main now: the key seen under that name on this device is [a-z2-7]{8}\.\.\.$/);
    await ann.waitForLine('stdout', 'ann: while you were away');
    const back = spawnCli(['chat', '--name', 'bob', '--server', address, '--commands'], { configHome: home });
    await back.waitForLine('stderr', /^\* joined the room at /);
    back.write('/rooms\n');
    await back.waitForLine('stderr', /^ {2}dm ann 🔒 +1 member +1 unread +not joined$/);
    back.write('/join dm ann\n'); // a label is no room name: said, nothing joined
    await back.waitForLine('stderr', /usage: \/join ROOM/);
    back.write('/dm ann\n');
    await back.waitForLine('stdout', 'ann: while you were away');
  });

  it('at a terminal (a pty) the room commands work without --commands', async () => {
    const { address } = await startRelay();
    const bob = await joinedChat(address, 'bob', ['--room', 'design', '--create']);
    const tty = spawnProc('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} chat --name cy --server ${address}`, '/dev/null']);
    await tty.waitForLine('stdout', /\* joined the room at /, 5000);
    tty.write('/rooms\n');
    await tty.waitForLine('stdout', /^ {2}design +1 member +0 unread +not joined\r?$/);
    tty.write('/join design\n');
    await tty.waitForLine('stdout', /\* joined the room design at /);
    tty.write('from the terminal\n');
    await bob.waitForLine('stdout', 'cy: from the terminal');
    tty.write('\x04'); // end of input at a terminal
    assert.equal((await tty.exitWithin(15_000)).code, 0);
  });
});
