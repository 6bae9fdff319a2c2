// `whatsudp chat` in rooms (issue 11): --room joins one of the relay's rooms (a missing one exits 6
// with the relay's reason), --create makes it, and inside a chat /join, /create, /rooms and /leave
// move between rooms: lines go to the current room, the others' messages print after "[ROOM] ",
// and --json says each message's room.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, parseChatArgs } from '../../src/cli/args';
import { lineToCommand } from '../../src/cli/commands';
import { roomsLines } from '../../src/cli/room-commands';
import { CLI, cliBuilt, spawnCli, startRelay, stopAll, type Proc } from './helpers/cli-proc';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;

async function joinedChat(address: string, name: string, extra: string[] = [], joined = /^\* joined the /): Promise<Proc> {
  const p = spawnCli(['chat', '--name', name, '--server', address, ...extra]);
  await p.waitForLine('stderr', joined, 5000);
  return p;
}

afterEach(stopAll);
after(stopAll);

describe('room commands and flags, as values', () => {
  it('reads /rooms, /join, /create, /dm and /leave only with commands on, room names lower-cased', () => {
    assert.deepEqual(lineToCommand('/join Design', true), { room: { kind: 'join', room: 'design' } });
    assert.deepEqual(lineToCommand('/join design', false), { send: { kind: 'text', text: '/join design' } }, 'piped lines stay messages');
    assert.deepEqual(lineToCommand('/create ops --sealed', true), { room: { kind: 'create', room: 'ops', sealed: true } });
    assert.deepEqual(lineToCommand('/create --sealed ops', true), { room: { kind: 'create', room: 'ops', sealed: true } });
    assert.deepEqual(lineToCommand('/create ops', true), { room: { kind: 'create', room: 'ops', sealed: false } });
    assert.deepEqual(lineToCommand('/dm Ann Lee', true), { room: { kind: 'dm', who: 'Ann Lee' } });
    assert.deepEqual(lineToCommand('/rooms', true), { room: { kind: 'rooms' } });
    assert.deepEqual(lineToCommand('/leave', true), { room: { kind: 'leave' } });
    assert.deepEqual(lineToCommand('/leave ops', true), { room: { kind: 'leave', room: 'ops' } });
    for (const bad of ['/join', '/join a b', '/create', '/create a b', '/create a --sealed --sealed', '/dm', '/rooms x', '/leave a b']) {
      assert.match((lineToCommand(bad, true) as { error: string }).error, /^usage: /, bad);
    }
    assert.match((lineToCommand('/join no/such', true) as { error: string }).error, /cannot be a room name/);
    const link = 'whatsudp://127.0.0.1:2410/ops#v1.' + Buffer.alloc(32, 7).toString('base64url');
    const byLink = lineToCommand(`/join ${link}`, true) as { room: { kind: string; room: string; invite?: { secret: Uint8Array } } };
    assert.deepEqual([byLink.room.kind, byLink.room.room, byLink.room.invite?.secret.length], ['join', 'ops', 32]);
    assert.match((lineToCommand('/join whatsudp://127.0.0.1:2410/ops', true) as { error: string }).error, /^\/join: The invite has lost its secret/);
  });

  it('takes --room, --create and --sealed, refusing what cannot go together', () => {
    const a = parseChatArgs(['--name', 'ann', '--room', 'Design', '--create', '--sealed']);
    assert.deepEqual([a.room, a.create, a.sealed], ['design', true, true]);
    assert.match(a.note ?? '', /room names are lower case: joining design/);
    assert.equal(parseChatArgs(['--name', 'ann']).room, 'main');
    const bad: [string[], RegExp][] = [
      [['--sealed', '--room', 'x'], /--sealed makes a new room: give it with --create/],
      [['--create'], /--create needs --room NAME/],
      [['--room', 'a b'], /--room: "a b" cannot be a room name/],
      [['--room', 'dm-abc'], /direct messages/],
      [['--room', 'x', '--legacy'], /--room is for WhatsUDP relays/],
    ];
    for (const [args, message] of bad) assert.throws(() => parseChatArgs(['--name', 'ann', ...args]), (e: unknown) => e instanceof UsageError && message.test(e.message), args.join(' '));
  });

  it('lists rooms current first, a lock for a sealed one, members and unread', () => {
    const lines = roomsLines('127.0.0.1:2410', [
      { label: 'main', sealed: false, members: 3, unread: 2, state: 'joined' },
      { label: 'ops', sealed: true, members: 1, unread: 0, state: 'current' },
      { label: 'dm bob', sealed: true, members: 2, unread: 5, state: 'not joined' },
    ]);
    assert.deepEqual(lines, [
      'rooms on 127.0.0.1:2410 (3):',
      '  ops 🔒     1 member     0 unread    current',
      '  main       3 members    2 unread    joined',
      '  dm bob 🔒  2 members    5 unread    not joined',
    ]);
  });
});

describe('whatsudp chat in rooms', { skip, timeout: 90_000 }, () => {
  it('a room the relay does not have exits 6 with its reason; --create makes it', async () => {
    const { address } = await startRelay();
    const lost = spawnCli(['chat', '--name', 'ann', '--server', address, '--room', 'nosuch']);
    lost.end('hi\n');
    assert.equal((await lost.exitWithin(10_000)).code, 6, lost.stderr.join('\n'));
    assert.match(lost.stderr.join('\n'), /there is no room nosuch on this relay/);
    const maker = spawnCli(['chat', '--name', 'ann', '--server', address, '--room', 'nosuch', '--create', '--json']);
    maker.end('first\n');
    assert.equal((await maker.exitWithin(10_000)).code, 0, maker.stderr.join('\n'));
    assert.match(maker.stderr.join('\n'), /^\* joined the room nosuch at /m);
    assert.equal((JSON.parse(maker.stdout[0]) as { room: string }).room, 'nosuch');
  });

  it('with --commands: /create and /join move lines between rooms; others print after [ROOM]; --json has the room', async () => {
    const { relay, address } = await startRelay(['--log']);
    const ann = await joinedChat(address, 'ann', ['--commands']);
    const cy = await joinedChat(address, 'cy', ['--json']); // in main
    ann.write('/create design\n');
    await ann.waitForLine('stderr', /^\* joined the room design at /);
    const bob = await joinedChat(address, 'bob', ['--room', 'design', '--json', '--commands']);
    ann.write('in design\n');
    await bob.waitForLine('stdout', /"text":"in design"/);
    assert.equal((JSON.parse(bob.stdout.find((l) => l.includes('in design'))!) as { room: string }).room, 'design');
    assert.ok(!cy.stdout.some((l) => l.includes('in design')), 'the main room did not get it');

    await relay.waitForLine('stdout', '[design] ann: in design');
    await relay.waitForLine('stderr', /^\[design\] \* bob joined from /);
    cy.write('from main\n');
    await ann.waitForLine('stdout', '[main] cy: from main');
    assert.equal((JSON.parse(await cy.waitForLine('stdout', /"text":"from main"/)) as { room: string }).room, 'main');
    assert.ok(!bob.stdout.some((l) => l.includes('from main')), 'design did not get it');
    await relay.waitForLine('stdout', 'cy: from main'); // the default room as before rooms

    ann.write('/rooms\n');
    await ann.waitForLine('stderr', /^rooms on 127\.0\.0\.1:\d+ \(2\):$/);
    await ann.waitForLine('stderr', /^ {2}design +2 members +0 unread +current$/);
    await ann.waitForLine('stderr', /^ {2}main +2 members +1 unread +joined$/);

    ann.write('/join main\nback in main\n');
    await ann.waitForLine('stderr', '* lines go to main now');
    await cy.waitForLine('stdout', /"text":"back in main"/);
    bob.write('bob in design\n');
    await ann.waitForLine('stdout', '[design] bob: bob in design');
    assert.ok(!cy.stdout.some((l) => l.includes('bob in design')));
    assert.ok(ann.stdout.includes('ann: back in main'), ann.stdout.join('\n'));

    ann.write('/join nosuch\nstill main\n');
    await ann.waitForLine('stderr', /cannot join room nosuch: .*there is no room nosuch on this relay \(lines still go to main\)/);
    await cy.waitForLine('stdout', /"text":"still main"/);

    ann.write('/join\n');
    assert.match(await ann.waitForLine('stderr', /usage: \/join ROOM/), /^whatsudp: line \d+ not sent: usage: \/join ROOM$/, 'a mistake, not an internal error');

    ann.write('/leave design\n');
    await ann.waitForLine('stderr', '* left design');
    await bob.waitForLine('stderr', '* ann left');
    ann.end();
    assert.equal((await ann.exitWithin(15_000)).code, 5, 'the failed /join counts as a line not sent');
  });
});
