// `whatsudp relay --cluster ...` parsed without processes (issue 15): what each flag and each source of
// credentials becomes, a table of mistakes with the one usage line each must produce (exit 2), secrets
// never taken from the command line, exit 10 for a NATS that cannot be used, and the cluster bundle's
// errors known as the CLI's own (dist/cluster.js carries its own copy of ChatError).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError, parseRelayArgs } from '../../src/cli/args';
import { EXIT, RELAY_HELP } from '../../src/cli/help';
import { clusterLine, relayExitCode } from '../../src/cli/relay-command';
import { ChatError } from '../../src/chat/errors';
import { clusterSetup } from '../../src/chat/cluster-setup';

const dir = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-cluster-args-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CREDS = [
  '-----BEGIN NATS USER JWT-----', 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.x', '------END NATS USER JWT------', '',
  '-----BEGIN USER NKEY SEED-----', 'SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4', '------END USER NKEY SEED------', '',
].join('\n');
const credsFile = path.join(dir, 'relay.creds');
writeFileSync(credsFile, CREDS, { mode: 0o600 });
chmodSync(credsFile, 0o600);

const relay = (args: string[], env: NodeJS.ProcessEnv = {}) => parseRelayArgs(args, env);
const URL1 = 'nats://127.0.0.1:4222';

describe('relay --cluster: what each flag becomes', () => {
  it('--cluster takes one or several NATS servers into RelayOptions.cluster; without it there is none', () => {
    assert.equal(relay([]).options.cluster, undefined);
    assert.deepEqual(relay(['--cluster', URL1]).options.cluster, { servers: [URL1] });
    assert.deepEqual(relay(['--cluster', ` ${URL1}, nats://10.0.0.2:4222 ,tls://nats.example:4443`]).options.cluster, {
      servers: [URL1, 'nats://10.0.0.2:4222', 'tls://nats.example:4443'],
    });
  });

  it('--cluster-replicas 1 or 3, --advertise HOST:PORT (IPv6 in brackets), --cluster-creds FILE', () => {
    const c = relay(['--cluster', URL1, '--cluster-replicas', '3', '--advertise', '192.0.2.10:2410', '--cluster-creds', credsFile]).options.cluster;
    assert.deepEqual(c, { servers: [URL1], replicas: 3, advertise: { host: '192.0.2.10', port: 2410 }, auth: { kind: 'creds', file: credsFile } });
    assert.equal(relay(['--cluster', URL1, '--cluster-replicas', '1']).options.cluster?.replicas, 1);
    assert.deepEqual(relay(['--cluster', URL1, '--advertise', '[2001:db8::1]:2411']).options.cluster?.advertise, { host: '2001:db8::1', port: 2411 });
  });

  it('a relative creds path is made absolute (the relay may change folder; the note names the file)', () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      assert.deepEqual(relay(['--cluster', URL1, '--cluster-creds', 'relay.creds']).options.cluster?.auth, { kind: 'creds', file: credsFile });
    } finally {
      process.chdir(cwd);
    }
  });

  it('credentials from the environment: user and password, or a token; empty variables count as unset', () => {
    assert.deepEqual(relay(['--cluster', URL1], { WHATSUDP_NATS_USER: 'relay', WHATSUDP_NATS_PASSWORD: 's3cret' }).options.cluster?.auth, { kind: 'password', user: 'relay', pass: 's3cret' });
    assert.deepEqual(relay(['--cluster', URL1], { WHATSUDP_NATS_TOKEN: 't0ken' }).options.cluster?.auth, { kind: 'token', token: 't0ken' });
    assert.equal(relay(['--cluster', URL1], { WHATSUDP_NATS_TOKEN: '', WHATSUDP_NATS_USER: '' }).options.cluster?.auth, undefined);
    // Without --cluster the environment is not read at all: a stray variable stops no plain relay.
    assert.equal(relay([], { WHATSUDP_NATS_USER: 'relay' }).options.cluster, undefined);
  });

  it('the other relay options still apply beside it (--store keeps the key and a sealed room\'s verifier)', () => {
    const { options, sealed } = relay(['--cluster', URL1, '--store', '/tmp/x', '--sealed', '--host', '0.0.0.0', '--advertise', '192.0.2.10:2410']);
    assert.equal(options.store, '/tmp/x');
    assert.equal(options.host, '0.0.0.0');
    assert.equal(sealed, true);
    assert.deepEqual(options.cluster?.advertise, { host: '192.0.2.10', port: 2410 });
  });

  it('a creds file other users can read is a note, not a refusal', () => {
    const open = path.join(dir, 'open.creds');
    writeFileSync(open, CREDS);
    chmodSync(open, 0o644);
    const r = relay(['--cluster', URL1, '--cluster-creds', open]);
    assert.deepEqual(r.options.cluster?.auth, { kind: 'creds', file: open });
    assert.deepEqual(r.notes, [`the NATS creds file ${open} can be read by other users of this machine: chmod 600 it.`]);
    assert.equal(relay(['--cluster', URL1, '--cluster-creds', credsFile]).notes, undefined);
  });
});

describe('relay --cluster: mistakes, each one usage line (exit 2)', () => {
  const notCreds = path.join(dir, 'notes.txt');
  writeFileSync(notCreds, 'user=relay\npassword=s3cret\n');
  const mistakes: [string[], NodeJS.ProcessEnv, RegExp][] = [
    // Secrets never on the command line: `ps` shows it to every user of the machine.
    [['--cluster', 'nats://relay:s3cret@127.0.0.1:4222'], {}, /^--cluster: Put the NATS credentials for 127\.0\.0\.1:4222 in a creds file or the environment, not in the address/],
    [['--cluster', 'nats://t0ken@127.0.0.1:4222'], {}, /^--cluster: Put the NATS credentials/],
    [['--cluster', 'http://127.0.0.1:4222'], {}, /^--cluster: http:\/\/127\.0\.0\.1:4222 is not a NATS server address: it must start with nats:\/\//],
    [['--cluster', 'nats://127.0.0.1'], {}, /^--cluster: nats:\/\/127\.0\.0\.1 is not a NATS server address: use nats:\/\/HOST:PORT/],
    [['--cluster', ' , '], {}, /^--cluster: Give the NATS servers as nats:\/\/HOST:PORT/],
    [['--cluster', URL1, '--cluster-replicas', '2'], {}, /^--cluster-replicas must be 1 \(one NATS server\) or 3 \(a cluster of three, which outlives one of them\), not "2"$/],
    [['--cluster', URL1, '--cluster-replicas', 'three'], {}, /^--cluster-replicas must be 1 .* not "three"$/],
    [['--cluster', URL1, '--cluster-replicas', ''], {}, /^--cluster-replicas needs a value$/],
    [['--cluster', URL1, '--advertise', '0.0.0.0:2410'], {}, /^--advertise 0\.0\.0\.0:2410 means every interface, which no member can send to/],
    [['--cluster', URL1, '--advertise', '192.0.2.10'], {}, /^--advertise must be the HOST:PORT members reach this relay at: "192\.0\.2\.10" has no port/],
    [['--cluster', URL1, '--advertise', '192.0.2.10:0'], {}, /^--advertise needs the port members reach this relay at, not 0$/],
    [['--cluster', URL1, '--cluster-creds', path.join(dir, 'missing.creds')], {}, /^--cluster-creds: cannot read the NATS creds file .*missing\.creds \(ENOENT\)$/],
    [['--cluster', URL1, '--cluster-creds', notCreds], {}, /^--cluster-creds: .*notes\.txt is not a NATS \.creds file/],
    [['--cluster', URL1, '--cluster-creds', credsFile], { WHATSUDP_NATS_TOKEN: 't' }, /^--cluster-creds and WHATSUDP_NATS_TOKEN cannot go together: NATS takes one kind of credentials/],
    [['--cluster', URL1, '--cluster-creds', credsFile], { WHATSUDP_NATS_USER: 'u', WHATSUDP_NATS_PASSWORD: 'p' }, /^--cluster-creds and WHATSUDP_NATS_USER and WHATSUDP_NATS_PASSWORD cannot go together/],
    [['--cluster', URL1], { WHATSUDP_NATS_USER: 'relay' }, /^WHATSUDP_NATS_USER is set without WHATSUDP_NATS_PASSWORD: set both/],
    [['--cluster', URL1], { WHATSUDP_NATS_PASSWORD: 's3cret' }, /^WHATSUDP_NATS_PASSWORD is set without WHATSUDP_NATS_USER: set both/],
    [['--cluster', URL1], { WHATSUDP_NATS_TOKEN: 't', WHATSUDP_NATS_USER: 'u', WHATSUDP_NATS_PASSWORD: 'p' }, /^Both WHATSUDP_NATS_TOKEN and WHATSUDP_NATS_USER\/WHATSUDP_NATS_PASSWORD are set/],
    [['--cluster', URL1, '--legacy-bridge'], {}, /^--cluster and --legacy-bridge cannot go together: the original chat's lines carry no id/],
    [['--cluster', URL1, '--legacy-broadcast', '192.168.1.255'], {}, /^--cluster and --legacy-broadcast cannot go together/],
    [['--cluster-replicas', '3'], {}, /^--cluster-replicas is for a clustered relay: add --cluster nats:\/\/HOST:PORT$/],
    [['--advertise', '192.0.2.10:2410'], {}, /^--advertise is for a clustered relay/],
    [['--cluster-creds', credsFile], {}, /^--cluster-creds is for a clustered relay/],
    [['--cluster'], {}, /--cluster/],
  ];
  for (const [args, env, message] of mistakes) {
    it(`${args.join(' ')}${Object.keys(env).length ? ` with ${Object.keys(env).join(', ')}` : ''}`, () => {
      assert.throws(() => relay(args, env), (err: Error) => {
        assert.ok(err instanceof UsageError, `a UsageError (exit 2), not ${err.name}: ${err.message}`);
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /\n/);
        // The one line never repeats a secret it was given.
        assert.doesNotMatch(err.message, /s3cret|t0ken/);
        return true;
      });
    });
  }
});

describe('relay --cluster: exit codes and what the operator is told', () => {
  const clustered = relay(['--cluster', URL1]);
  const plain = relay([]);

  it('NATS unreachable or refusing at start exits 10 (appended: 3 and 6 speak of a relay); the rest keep theirs', () => {
    assert.equal(EXIT.CLUSTER, 10);
    assert.equal(relayExitCode(new ChatError('UNREACHABLE', 'No NATS server answered'), clustered), 10);
    assert.equal(relayExitCode(new ChatError('REFUSED', 'no JetStream'), clustered), 10);
    assert.equal(relayExitCode(new ChatError('BAD_OPTION', 'sealed beside open'), clustered), EXIT.USAGE);
    assert.equal(relayExitCode(new ChatError('PORT_IN_USE', 'x'), clustered), EXIT.CANNOT_LISTEN);
    assert.equal(relayExitCode(new ChatError('UNREACHABLE', 'x'), plain), EXIT.UNREACHABLE, 'a plain relay\'s codes do not change');
  });

  it('the errors of the cluster bundle (its own copy of ChatError) are ChatErrors to the CLI', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built bundle, loaded the way the CLI loads it
    const bundle = require(path.join(__dirname, '..', '..', '..', 'dist', 'cluster.js')) as { parseClusterServers(s: string): string[] };
    let thrown: unknown;
    try {
      bundle.parseClusterServers('nats://u:p@127.0.0.1:4222');
    } catch (err) {
      thrown = err;
    }
    assert.ok(thrown instanceof Error && thrown.constructor !== ChatError, 'a ChatError of another class');
    assert.ok(thrown instanceof ChatError, 'known as a ChatError all the same');
    assert.equal(relayExitCode(thrown, clustered), EXIT.USAGE);
    assert.ok(!(new ChatError('BAD_OPTION', 'x') instanceof UsageError), 'subclass checks are unchanged');
  });

  it('the start line names the servers, the replicas and the advertised address, never a secret', () => {
    const withPassword = { servers: [URL1, 'nats://10.0.0.2:4222'], replicas: 3 as const, auth: { kind: 'password' as const, user: 'relay', pass: 's3cret' } };
    const line = clusterLine(withPassword, { host: '192.0.2.10', port: 2410 });
    assert.equal(line, 'clustered through NATS nats://127.0.0.1:4222,nats://10.0.0.2:4222 (room streams of 3 replicas, as user relay); members fail over to it at 192.0.2.10:2410');
    assert.equal(clusterLine({ servers: [URL1], auth: { kind: 'token', token: 't0ken' } }, undefined), 'clustered through NATS nats://127.0.0.1:4222 (room streams of 1 replica, with a token); no address advertised for failover');
  });

  it('relay --help lists every cluster flag, the environment variables and exit 10', () => {
    for (const s of ['--cluster URLS', '--cluster-replicas N', '--advertise HOST:PORT', '--cluster-creds FILE', 'WHATSUDP_NATS_USER', 'WHATSUDP_NATS_PASSWORD', 'WHATSUDP_NATS_TOKEN', '  10   relay --cluster']) {
      assert.ok(RELAY_HELP.includes(s), `relay --help mentions ${s}`);
    }
  });

  it('Start Server\'s settings go through the same checks, each message naming its setting', () => {
    const names = { servers: 'whatsudp.server.cluster', replicas: 'whatsudp.server.clusterReplicas', creds: 'whatsudp.server.clusterCredentials', advertise: 'whatsudp.server.advertise' };
    assert.deepEqual(clusterSetup({ servers: URL1, replicas: 3, creds: '', advertise: '' }, names, {}).options, { servers: [URL1], replicas: 3 });
    assert.throws(() => clusterSetup({ servers: URL1, replicas: 2 }, names, {}), (e: Error & { field?: string }) => e.field === 'replicas' && /^whatsudp\.server\.clusterReplicas must be 1/.test(e.message));
    assert.throws(() => clusterSetup({ servers: 'nats://a:b@h:1' }, names, {}), (e: Error & { field?: string }) => e.field === 'servers' && /^whatsudp\.server\.cluster: Put the NATS credentials/.test(e.message));
    assert.throws(() => clusterSetup({ servers: URL1 }, names, { WHATSUDP_NATS_USER: 'u' }), (e: Error & { field?: string }) => e.field === 'env');
  });
});
