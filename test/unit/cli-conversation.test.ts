// `whatsudp chat` commands (issue 13): at a terminal, or with --commands, "/reply SEQ text",
// "/react SEQ EMOJI", "/edit SEQ text" and "/delete SEQ" act on the room's messages by the seq --seq
// prints; "//" sends a line starting with "/"; an unknown command sends nothing and says so. Piped
// lines stay messages. Text output shows what each did; --json prints each as its own event.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lineToCommand } from '../../src/cli/commands';
import { CLI, cliBuilt, spawnCli, spawnProc, startRelay, stopAll, type Proc } from './helpers/cli-proc';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;
const JOINED = /^\* joined the room at /;

async function joinedChat(address: string, name: string, extra: string[] = []): Promise<Proc> {
  const p = spawnCli(['chat', '--name', name, '--server', address, ...extra]);
  await p.waitForLine('stderr', JOINED, 5000);
  return p;
}

afterEach(stopAll);
after(stopAll);

describe('chat commands, as lines', () => {
  it('reads commands only when they are on; "//" escapes; bad ones say what is wrong', () => {
    assert.deepEqual(lineToCommand('/reply 3 yes', false), { send: { kind: 'text', text: '/reply 3 yes' } }, 'piped lines stay messages');
    assert.deepEqual(lineToCommand('/reply 3 yes, after lunch', true), { send: { kind: 'text', text: 'yes, after lunch', replyTo: 3 } });
    assert.deepEqual(lineToCommand('/react #3 👍', true), { send: { kind: 'reaction', text: '', to: 3, emoji: '👍', remove: false } });
    assert.deepEqual(lineToCommand('/unreact 3 👍', true), { send: { kind: 'reaction', text: '', to: 3, emoji: '👍', remove: true } });
    assert.deepEqual(lineToCommand('/edit 3   fixed  text', true), { send: { kind: 'edit', text: 'fixed  text', to: 3 } });
    assert.deepEqual(lineToCommand('/delete 3', true), { send: { kind: 'delete', text: '', to: 3 } });
    assert.deepEqual(lineToCommand('//etc/hosts is the file', true), { send: { kind: 'text', text: '/etc/hosts is the file' } });
    assert.deepEqual(lineToCommand('/help', true), { help: true });
    for (const bad of ['/reply', '/reply x hi', '/reply 3', '/react 3', '/react 3 a b', '/delete 3 now', '/edit 0x3 a']) {
      assert.match((lineToCommand(bad, true) as { error: string }).error, /^usage: /, bad);
    }
    assert.match((lineToCommand('/shrug', true) as { error: string }).error, /unknown command "\/shrug": nothing sent/);
  });
});

describe('whatsudp chat commands', { skip, timeout: 60_000 }, () => {
  it('with --commands: reply, react, edit and delete by seq; text and --json show what each did', async () => {
    const { address } = await startRelay();
    const ann = await joinedChat(address, 'ann', ['--commands', '--seq']);
    const bob = await joinedChat(address, 'bob', ['--commands', '--seq']);
    const log = await joinedChat(address, 'log', ['--json']);
    ann.write('ship it today?\n');
    await bob.waitForLine('stdout', '#1 ann: ship it today?');
    bob.write('/reply 1 yes, after the review\n/react 1 👍\n/edit 1 bob rewrites it\n/shrug\n');
    await ann.waitForLine('stdout', '#2 bob: yes, after the review');
    await ann.waitForLine('stdout', '  (in reply to #1 ann: ship it today?)');
    await ann.waitForLine('stdout', '#3 * bob reacted 👍 to #1 (ann)');
    await ann.waitForLine('stdout', "#4 * ignored: bob's edit of #1 (only the author of #1 can edit it)");
    await bob.waitForLine('stderr', /unknown command "\/shrug": nothing sent/);
    ann.write('/edit 1 ship it tomorrow?\n/delete 2\n//not a command\n');
    await bob.waitForLine('stdout', '#5 * ann edited #1: ship it tomorrow?');
    await bob.waitForLine('stdout', "#6 * ignored: ann's delete of #2 (only the author of #2 can delete it)");
    await bob.waitForLine('stdout', '#7 ann: /not a command');
    const events = (await log.waitForCount(/^\{/, 7)).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      events.map((e) => [e.seq, e.kind, e.replyTo, e.to, e.emoji, e.remove]),
      [[1, 'text', null, null, null, null], [2, 'text', 1, null, null, null], [3, 'reaction', null, 1, '👍', false], [4, 'edit', null, 1, null, null], [5, 'edit', null, 1, null, null], [6, 'delete', null, 2, null, null], [7, 'text', null, null, null, null]],
    );
    bob.end();
    assert.equal((await bob.exitWithin(15_000)).code, 5, 'the unknown command counts as a line not sent');
  });

  it('at a terminal commands are on without --commands; piped, a "/" line is a message', async () => {
    const { address } = await startRelay();
    const ann = await joinedChat(address, 'ann', ['--seq']);
    ann.write('/react 1 👍\n'); // piped: a message, not a command
    await ann.waitForLine('stdout', '#1 ann: /react 1 👍');
    // A pseudo-terminal (util-linux script(1)) as standard input: a person typing.
    const tty = spawnProc('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} chat --name cy --server ${address} --seq`, '/dev/null']);
    await tty.waitForLine('stdout', /\* joined the room at /, 5000);
    tty.write('/react 1 🎉\n');
    await ann.waitForLine('stdout', '#2 * cy reacted 🎉 to #1 (ann)');
    tty.write('\x04'); // end of input at a terminal
    assert.equal((await tty.exitWithin(15_000)).code, 0);
  });
});
