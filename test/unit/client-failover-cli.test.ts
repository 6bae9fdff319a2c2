// `whatsudp chat --server A,B,...` (issue 15): the first relay is joined and the others are where the
// chat goes when its relay goes silent; an invite naming several relays gives them all. Parsed as a
// user types it, and end to end through relay processes: killed mid-chat, the chat moves on, says so,
// and every line it read reaches the room once.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseChatArgs, UsageError } from '../../src/cli/args';
import { CLI, cliBuilt, spawnCli, startRelay, stopAll } from './helpers/cli-proc';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;
after(stopAll);

describe('chat --server with several relays', () => {
  it('takes a comma list: the first is joined, the rest are failover candidates; one keeps meaning one', () => {
    const a = parseChatArgs(['--name', 'ann', '--server', '127.0.0.1:2410, [::1]:2411,relay.lan']);
    assert.deepEqual(a.server, { host: '127.0.0.1', port: 2410 });
    assert.deepEqual(a.servers, [{ host: '::1', port: 2411 }, { host: 'relay.lan', port: 2410 }]);
    assert.equal(parseChatArgs(['--name', 'ann', '--server', '127.0.0.1:9']).servers, undefined);
    assert.equal(parseChatArgs(['--name', 'ann']).servers, undefined);
    const usage = (args: string[], re: RegExp) => assert.throws(() => parseChatArgs(['--name', 'ann', ...args]), (e: unknown) => e instanceof UsageError && re.test(e.message), args.join(' '));
    usage(['--server', '127.0.0.1:1,'], /an empty address in the list/);
    usage(['--server', '127.0.0.1:1,127.0.0.1:0'], /not 0/);
    usage(['--server', '127.0.0.1:1,:x'], /^--server: /);
    usage(['--legacy', '--server', '127.0.0.1:1,127.0.0.1:2'], /--legacy takes one --server/);
  });

  it('an invite naming several relays: the first joined, the others candidates; with --server, all the link names after it', () => {
    const link = `whatsudp://192.0.2.1:2410,[2001:db8::1]:2411/main#v1.${Buffer.alloc(32, 5).toString('base64url')}`;
    const a = parseChatArgs(['--name', 'ann', '--invite', link]);
    assert.deepEqual(a.server, { host: '192.0.2.1', port: 2410 });
    assert.deepEqual(a.servers, [{ host: '2001:db8::1', port: 2411 }]);
    const b = parseChatArgs(['--name', 'ann', '--invite', link, '--server', '127.0.0.1:7']);
    assert.deepEqual(b.server, { host: '127.0.0.1', port: 7 });
    assert.deepEqual(b.servers, [{ host: '192.0.2.1', port: 2410 }, { host: '2001:db8::1', port: 2411 }]);
  });

  it('end to end: the relay killed mid-chat, the chat moves to the next, says so, and every line is in the room once', { skip }, async () => {
    const { relay: r1, address: a1 } = await startRelay(['--heartbeat-ms', '300']);
    const { address: a2 } = await startRelay(['--heartbeat-ms', '300']);
    const chat = spawnCli(['chat', '--name', 'ann', '--seq', '--server', `${a1},${a2}`]);
    await chat.waitForLine('stderr', `* joined the room at ${a1} as ann`, 5000);
    chat.write('one\n');
    await chat.waitForLine('stdout', '#1 ann: one', 5000);
    r1.signal('SIGKILL');
    chat.write('two\n');
    await chat.waitForLine('stderr', `whatsudp: warning: relay ${a1} is silent; moved to ${a2}`, 15_000);
    // Relays of their own (no cluster): the second is a new room, where 'two' is its first message.
    await chat.waitForLine('stdout', '#1 ann: two', 5000);
    chat.end('three\n');
    const exit = await chat.exitWithin(15_000);
    assert.equal(exit.code, 0, chat.stderr.join('\n'));
    assert.deepEqual(chat.stdout, ['#1 ann: one', '#1 ann: two', '#2 ann: three']);
    assert.match(chat.stderr.join('\n'), new RegExp(`\\* lost the relay \\(relay ${a1.replace(/\./g, '\\.')} is silent; trying`));
  });
});
