// `whatsudp relay --cluster` as a child process against real nats-servers (issue 15): a chat's message goes
// through the relay into JetStream and comes back; credentials come from the environment; and a NATS that
// cannot be used (nothing listening, wrong password, no JetStream) stops the relay at start with one line
// and exit 10. Without nats-server these tests fail with the install command, never pass.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, cliBuilt, spawnCli, startRelay, stopAll, type Proc } from './helpers/cli-proc';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePorts, NatsFixture, natsServerBinary } from './helpers/nats';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;
const AUTH = { user: 'relay', pass: 'pw-7f3a9c' };
const AUTH_ENV = { WHATSUDP_NATS_USER: AUTH.user, WHATSUDP_NATS_PASSWORD: AUTH.pass };

/** Runs `fn` (which spawns) with these variables in the environment the child inherits, then puts it back. */
function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function exitOf(p: Proc, ms = 15_000) {
  p.end();
  const exit = await p.exitWithin(ms);
  return { ...exit, stdout: p.stdout, stderr: p.stderr };
}

after(() => stopAll());

describe('whatsudp relay --cluster against nats-server', { skip }, () => {
  let nats: NatsFixture;
  before(async () => {
    nats = await NatsFixture.single(AUTH);
  });
  after(() => nats?.stop());

  it('a chat\'s message goes through the clustered relay and comes back; the relay says it is clustered', async () => {
    const { relay, address } = await withEnv(AUTH_ENV, () => startRelay(['--cluster', nats.urls[0]]));
    const note = await relay.waitForLine('stderr', /^whatsudp: note: clustered through NATS /, 5000);
    assert.equal(note, `whatsudp: note: clustered through NATS ${nats.urls[0]} (room streams of 1 replica, as user relay); members fail over to it at ${address}`);
    assert.ok(!relay.stderr.join('\n').includes(AUTH.pass), 'the password is never printed');

    const chat = spawnCli(['chat', '--name', 'ann', '--server', address]);
    chat.end('hello through jetstream\n');
    const exit = await chat.exitWithin(20_000);
    assert.equal(exit.code, 0, chat.stderr.join('\n'));
    assert.deepEqual(chat.stdout, ['ann: hello through jetstream']);
    // The message is in the room's stream, not only in the relay's memory.
    const nc = await connect({ servers: nats.urls, user: AUTH.user, pass: AUTH.pass, timeout: 3000 });
    try {
      const info = await (await jetstreamManager(nc)).streams.info('WUDP_main');
      assert.equal(info.state.messages, 1);
    } finally {
      await nc.close();
    }

    // A member who joins later gets it as backfill: the room's history is the stream.
    const bob = spawnCli(['chat', '--name', 'bob', '--server', address]);
    await bob.waitForLine('stdout', 'ann: hello through jetstream', 10_000);
    const bobExit = await exitOf(bob, 20_000);
    assert.equal(bobExit.code, 0, bob.stderr.join('\n'));
    relay.signal('SIGTERM');
    assert.equal((await relay.exitWithin(5000)).code, 143);
  });

  it('a wrong password: exit 10 and one line saying NATS refused the credentials, not the password', async () => {
    const r = await withEnv({ ...AUTH_ENV, WHATSUDP_NATS_PASSWORD: 'not-the-pw' }, () => exitOf(spawnCli(['relay', '--port', '0', '--cluster', nats.urls[0]])));
    assert.equal(r.code, 10, r.stderr.join('\n'));
    assert.deepEqual(r.stdout, [], 'no address line: the relay never served');
    assert.equal(r.stderr.length, 1, r.stderr.join('\n'));
    assert.match(r.stderr[0], new RegExp(`^whatsudp: The NATS server at ${nats.urls[0]} refused the credentials`));
    assert.ok(!r.stderr[0].includes('not-the-pw'));
  });
});

describe('whatsudp relay --cluster with a token from the environment', { skip }, () => {
  let nats: NatsFixture;
  before(async () => {
    nats = await NatsFixture.single({ token: 'tk-51d0e2' });
  });
  after(() => nats?.stop());

  it('WHATSUDP_NATS_TOKEN lets it in; without it the server refuses (exit 10)', async () => {
    const { relay } = await withEnv({ WHATSUDP_NATS_TOKEN: 'tk-51d0e2' }, () => startRelay(['--cluster', nats.urls[0]]));
    await relay.waitForLine('stderr', /^whatsudp: note: clustered through NATS .*\(room streams of 1 replica, with a token\)/, 5000);
    assert.ok(!relay.stderr.join('\n').includes('tk-51d0e2'));
    await relay.stop();
    const r = await exitOf(spawnCli(['relay', '--port', '0', '--cluster', nats.urls[0]]));
    assert.equal(r.code, 10, r.stderr.join('\n'));
    assert.match(r.stderr[0], /refused the credentials/);
  });
});

describe('whatsudp relay --cluster: a NATS it cannot use', { skip }, () => {
  it('nothing listens at the address: exit 10 and one line naming it', async () => {
    const url = `nats://127.0.0.1:${(await freePorts(1))[0]}`;
    const r = await exitOf(spawnCli(['relay', '--port', '0', '--cluster', url]));
    assert.equal(r.code, 10, r.stderr.join('\n'));
    assert.deepEqual(r.stdout, []);
    assert.deepEqual(r.stderr, [`whatsudp: No NATS server answered at ${url} (connection refused).`]);
  });

  it('a NATS server without JetStream: exit 10 and how to start it with JetStream', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-nojs-'));
    let child: ChildProcess | undefined;
    try {
      child = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir], { stdio: 'ignore' });
      const deadline = Date.now() + 10_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline) {
        const file = readdirSync(dir).find((f) => f.endsWith('.ports'));
        try {
          url = file ? (JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { nats: string[] }).nats[0] : undefined;
        } catch {
          url = undefined; // written but not complete yet
        }
        if (!url) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(url, 'nats-server without JetStream listens');
      const r = await exitOf(spawnCli(['relay', '--port', '0', '--cluster', url]));
      assert.equal(r.code, 10, r.stderr.join('\n'));
      assert.deepEqual(r.stderr, [`whatsudp: The NATS server at ${url} has no JetStream for this account: start it with -js (or jetstream {} in its config).`]);
    } finally {
      if (child?.pid !== undefined && child.exitCode === null) {
        const gone = new Promise((resolve) => child?.once('exit', resolve));
        process.kill(child.pid, 'SIGKILL');
        await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 3000))]);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
