// `whatsudp chat` through a `whatsudp relay` process, as people and scripts use them: lines in, the
// room's messages out in room order and each once, backfill for a late joiner, hostile text made
// visible, and exit codes that tell a script whether its lines reached the room.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatClient } from '../../src/chat/client/client';
import { parseAddress } from '../../src/chat/validate';
import type { SendableBody } from '../../src/protocol/packets';
import { CLI, cliBuilt, spawnCli, startRelay, stopAll, type Proc } from './helpers/cli-proc';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;
const engines: ChatClient[] = [];
const JOINED = /^\* joined the room at /;

/** A chat process that has joined (stdin left open unless `input` is given, then ended). */
async function joinedChat(address: string, name: string, extra: string[] = []): Promise<Proc> {
  const p = spawnCli(['chat', '--name', name, '--server', address, ...extra]);
  await p.waitForLine('stderr', JOINED, 5000);
  return p;
}

/** Posts from the engine itself: the way to send what a terminal line cannot (several lines, a snippet). */
async function post(address: string, name: string, bodies: SendableBody[]): Promise<void> {
  const c = new ChatClient({ server: parseAddress(address), name });
  engines.push(c);
  await c.start();
  for (const b of bodies) c.send(b);
  assert.deepEqual(await c.flush(5000), []);
  await c.close();
}

afterEach(async () => {
  await Promise.all(engines.splice(0).map((c) => c.close()));
  await stopAll();
});
after(stopAll);

describe('whatsudp chat', { skip, timeout: 60_000 }, () => {
  it('two members exchange lines: each sees every line in room order, once', async () => {
    const { address } = await startRelay();
    const ann = await joinedChat(address, 'ann');
    const bob = await joinedChat(address, 'bob');
    await ann.waitForLine('stderr', '* bob joined');
    const expected = ['ann: one', 'bob: two', 'ann: three', 'bob: four'];
    for (const line of expected) {
      const [who, text] = line.split(': ');
      (who === 'ann' ? ann : bob).write(`${text}\n`);
      await ann.waitForLine('stdout', line);
      await bob.waitForLine('stdout', line);
    }
    ann.end();
    bob.end();
    assert.equal((await ann.exitWithin(10_000)).code, 0);
    assert.equal((await bob.exitWithin(10_000)).code, 0);
    assert.deepEqual(ann.stdout, expected);
    assert.deepEqual(bob.stdout, expected);
  });

  it("printf 'hi\\nthere\\n' | whatsudp chat --name ann: exits 0 and the room has both lines", async () => {
    const { address } = await startRelay();
    const bob = await joinedChat(address, 'bob');
    // Written and closed at once, before the join completes: the lines must be queued, not dropped.
    const ann = spawnCli(['chat', '--name', 'ann', '--server', address]);
    ann.end('hi\n\n   \nthere\n');
    const exit = await ann.exitWithin(15_000);
    assert.equal(exit.code, 0, ann.stderr.join('\n'));
    assert.deepEqual(ann.stdout, ['ann: hi', 'ann: there']);
    await bob.waitForCount(/^ann: /, 2);
    await new Promise((r) => setTimeout(r, 200)); // room for a wrong extra line to show up
    assert.deepEqual(bob.stdout, ['ann: hi', 'ann: there'], 'each once, and empty lines are not sent');
  });

  it('a late joiner gets the backfill, with every field in --json', async () => {
    const { address } = await startRelay();
    const ann = spawnCli(['chat', '--name', 'ann', '--server', address]);
    ann.end('first\nsecond\n');
    assert.equal((await ann.exitWithin(15_000)).code, 0);
    await post(address, 'eve', [{ kind: 'snippet', text: 'x = 1\n', path: 'a.py', startLine: 3, endLine: 3, language: 'python' }]);
    const cy = await joinedChat(address, 'cy', ['--json']);
    const lines = await cy.waitForCount(/^\{/, 3);
    const got = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(got.map((m) => [m.seq, m.text, m.backfill, m.kind]), [
      [1, 'first', true, 'text'],
      [2, 'second', true, 'text'],
      [3, 'x = 1\n', true, 'snippet'],
    ]);
    for (const m of got) {
      assert.deepEqual(Object.keys(m), ['seq', 'time', 'msgId', 'sender', 'kind', 'text', 'path', 'startLine', 'endLine', 'language', 'reason', 'backfill', 'verified', 'fingerprint', 'replyTo', 'to', 'emoji', 'remove', 'room', 'file']);
      assert.equal(typeof m.time, 'number');
      assert.equal(typeof m.msgId, 'number');
      const sender = m.sender as Record<string, unknown>;
      assert.match(String(sender.id), /^[0-9a-f]{16}$/);
      assert.equal(sender.legacy, false);
    }
    assert.deepEqual([got[0].path, got[2].path, got[2].startLine, got[2].endLine, got[2].language], [null, 'a.py', 3, 3, 'python']);
    // Signed by each author's device key and checked by cy: ann's two runs of one identity share a fingerprint.
    assert.deepEqual(got.map((m) => m.verified), [true, true, true]);
    assert.ok(got.every((m) => /^[a-z2-7]{52}$/.test(String(m.fingerprint))), got.map((m) => m.fingerprint).join(', '));
    assert.equal(got[0].fingerprint, got[1].fingerprint);
    assert.notEqual(got[0].fingerprint, got[2].fingerprint, "eve's key is not ann's");
    cy.write('live\n');
    const live = JSON.parse(await cy.waitForLine('stdout', /"text":"live"/)) as Record<string, unknown>;
    assert.deepEqual([live.seq, live.backfill, (live.sender as { name: string }).name], [4, false, 'cy']);
  });

  it('shows several lines indented, snippets under their place, and peers\' control characters as escapes', async () => {
    const { address } = await startRelay();
    const ann = await joinedChat(address, 'ann');
    await post(address, 'eve', [
      { kind: 'text', text: 'line one\nline two\r\n\tindented' },
      { kind: 'text', text: 'clear\u001b[2J\u001b]0;title\u0007 bell \u009b31m red \u202eevil' },
      { kind: 'snippet', text: 'def f():\n    return 1\n', path: 'src/f.py', startLine: 10, endLine: 11, language: 'python' },
    ]);
    await ann.waitForLine('stdout', /^ {2}return 1$|^ {6}return 1$/);
    assert.deepEqual(ann.stdout, [
      'eve: line one',
      '  line two',
      '  \tindented',
      'eve: clear\\x1b[2J\\x1b]0;title\\x07 bell \\x9b31m red \\u202eevil',
      'eve: [src/f.py:10-11]',
      '  def f():',
      '      return 1',
    ]);
    assert.doesNotMatch(ann.stdout.join('\n'), /[\u001b\u0007\u009b\u202e]/u);
  });

  it('end of input with the relay gone: code 5, each undelivered line named', async () => {
    const { relay, address } = await startRelay();
    const ann = await joinedChat(address, 'ann', ['--wait-ms', '1500']);
    relay.signal('SIGKILL');
    await relay.exitWithin(5000);
    ann.end('lost words\nmore lost words\n');
    const exit = await ann.exitWithin(10_000);
    assert.equal(exit.code, 5);
    const err = ann.stderr.join('\n');
    assert.match(err, /^whatsudp: not delivered: "lost words"/m);
    assert.match(err, /^whatsudp: not delivered: "more lost words"/m);
    assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
  });

  it('a line over 64 KiB: one error line, the other lines still go, and code 5', async () => {
    const { address } = await startRelay();
    const bob = await joinedChat(address, 'bob');
    const ann = spawnCli(['chat', '--name', 'ann', '--server', address]);
    ann.end(`before\n${'x'.repeat(64 * 1024 + 1)}\nafter\n`);
    const exit = await ann.exitWithin(15_000);
    assert.equal(exit.code, 5);
    assert.deepEqual(ann.stderr.filter((l) => l.startsWith('whatsudp:')), ['whatsudp: line 2 not sent: The message is 65,537 bytes; the limit is 65,536 bytes (64 KiB).']);
    await bob.waitForCount(/^ann: /, 2);
    assert.deepEqual(bob.stdout, ['ann: before', 'ann: after']);
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} leaves the room (others see it at once) and exits ${code}`, async () => {
      const { address } = await startRelay();
      const bob = await joinedChat(address, 'bob');
      const ann = await joinedChat(address, 'ann');
      await bob.waitForLine('stderr', '* ann joined');
      ann.signal(signal);
      assert.equal((await ann.exitWithin(5000)).code, code);
      // A Leave, not a lease timeout (which would take 15 s with the default timers).
      await bob.waitForLine('stderr', '* ann left', 3000);
    });
  }

  it('rejoins by itself when the relay comes back, and says so', async (t) => {
    // The same relay: the same config folder, so the same key (a relay with another key is refused).
    const home = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-relay-home-'));
    t.after(() => rmSync(home, { recursive: true, force: true }));
    const first = await startRelay([], { configHome: home });
    const port = first.address.split(':')[1];
    const ann = await joinedChat(first.address, 'ann');
    ann.write('before\n');
    await ann.waitForLine('stdout', 'ann: before');
    first.relay.signal('SIGTERM');
    await first.relay.exitWithin(5000);
    const second = await startRelay(['--port', port], { configHome: home });
    assert.equal(second.address, first.address);
    const from = ann.stderr.length;
    await ann.waitForLine('stderr', '* back in the room', 20_000, from);
    ann.write('after\n');
    await ann.waitForLine('stdout', 'ann: after', 5000);
    ann.end();
    assert.equal((await ann.exitWithin(10_000)).code, 0);
  });
});

describe('whatsudp relay --log', { skip, timeout: 30_000 }, () => {
  it('prints each message after the address line, joins and leaves on stderr', async () => {
    const { relay, address } = await startRelay(['--log']);
    const ann = spawnCli(['chat', '--name', 'ann', '--server', address]);
    ann.end('hello\u001b[31m\nsecond\n');
    assert.equal((await ann.exitWithin(15_000)).code, 0);
    await relay.waitForLine('stdout', 'ann: second');
    assert.deepEqual(relay.stdout, [address, 'ann: hello\\x1b[31m', 'ann: second']);
    await relay.waitForLine('stderr', /^\* ann joined from 127\.0\.0\.1:\d+$/);
    await relay.waitForLine('stderr', '* ann left');
  });
});
