// Option parsing without processes: what each option becomes, and a table of mistakes with the one
// line each must produce.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, parseChatArgs, parseRelayArgs } from '../../src/cli/args';
import { exitCodeFor } from '../../src/cli/session';
import { ChatError } from '../../src/chat/errors';
import { defaultIdentityPath } from '../../src/chat/identity';
import { nodeCrypto } from '../../src/protocol/crypto';
import { fingerprint } from '../../src/protocol/fingerprint';

describe('cli args: relay', () => {
  it('leaves everything not given to the relay\'s defaults', () => {
    assert.deepEqual(parseRelayArgs([]), { options: { limits: {}, timers: {} }, log: false, announce: false, sealed: false, identity: defaultIdentityPath() });
  });

  it('maps every option onto RelayOptions', () => {
    const { options, log } = parseRelayArgs([
      '--host', '[::1]', '--port', '0', '--legacy-broadcast', '255.255.255.255', '--reuse-port',
      '--store', '/tmp/x', '--fsync', '--log', '--max-members', '10', '--rate', '5', '--burst', '7',
      '--address-rate', '100', '--address-burst', '200', '--history', '50', '--history-bytes', '4096',
      '--backfill', '0', '--pending-messages', '2', '--pending-bytes', '9000', '--heartbeat-ms', '1000',
      '--lease-beats', '4', '--reassembly-ms', '2000', '--cookie-ms', '5000',
    ]);
    assert.equal(log, true);
    assert.deepEqual(options, {
      host: '::1',
      port: 0,
      store: '/tmp/x',
      fsync: true,
      legacyBridge: true,
      legacyBroadcast: '255.255.255.255',
      reusePort: true,
      limits: {
        maxMembers: 10, memberMessagesPerSecond: 5, memberBurst: 7, addressPacketsPerSecond: 100,
        addressBurst: 200, historyMessages: 50, historyBytes: 4096, backfillMessages: 0,
        pendingMessagesPerMember: 2, pendingBytes: 9000,
      },
      timers: { heartbeatMs: 1000, leaseBeats: 4, reassemblyMs: 2000, cookieMs: 5000 },
    });
  });

  it('takes seed lines only with --legacy-bridge, which --legacy-broadcast implies', () => {
    assert.equal(parseRelayArgs([]).options.legacyBridge, undefined, 'off by default');
    assert.equal(parseRelayArgs(['--legacy-bridge']).options.legacyBridge, true);
    assert.equal(parseRelayArgs(['--legacy-broadcast', '192.168.1.255']).options.legacyBridge, true);
    assert.equal(parseRelayArgs(['--legacy-bridge']).options.reusePort, undefined, 'the bridge alone does not share the port');
  });

  const mistakes: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--legacy-bridge=yes'], /--legacy-bridge' does not take an argument/],
    [['--port'], /--port.*argument missing/],
    [['--port', '70000'], /--port must be a whole number from 0 to 65535, not "70000"/],
    [['--port', '-1'], /--port/],
    [['--port', 'abc'], /--port must be a whole number/],
    [['--rate', '0'], /--rate must be a whole number of at least 1, not "0"/],
    [['--legacy-broadcast', 'everyone'], /--legacy-broadcast must be an IPv4 address/],
    [['--fsync'], /--fsync needs --store/],
    [['--store-bytes', '2000000'], /--store-bytes needs --store/],
    [['--log=yes'], /--log' does not take an argument/],
    [['extra'], /Unexpected argument 'extra'/],
  ];
  for (const [args, message] of mistakes) {
    it(`refuses ${args.join(' ')} with one line`, () => {
      assert.throws(() => parseRelayArgs(args), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    });
  }
});

describe('cli args: chat', () => {
  it('has defaults for all but the name', () => {
    assert.deepEqual(parseChatArgs(['--name', 'ann']), {
      name: 'ann', server: { host: '127.0.0.1', port: 2410 }, json: false, legacy: false, commands: false, seq: false, room: 'main', create: false, sealed: false, waitMs: 10000, joinTimeoutMs: 5000, identity: defaultIdentityPath(),
    });
  });

  it('takes --commands and --seq, which mean nothing to the original chat (--legacy)', () => {
    const a = parseChatArgs(['--name', 'ann', '--commands', '--seq']);
    assert.deepEqual([a.commands, a.seq], [true, true]);
    assert.throws(() => parseChatArgs(['--name', 'ann', '--legacy', '--seq']), (err: unknown) => err instanceof UsageError && /--seq is for WhatsUDP rooms/.test(err.message));
  });

  it('takes --identity FILE and --accept-relay-key FP in any spacing, refusing what is not a fingerprint', () => {
    const fp = fingerprint(nodeCrypto, nodeCrypto.signingKey(nodeCrypto.random(32)).publicKey);
    const a = parseChatArgs(['--name', 'a', '--identity', '/tmp/k', '--accept-relay-key', fp.toUpperCase().replace(/(.{4})/g, '$1 ')]);
    assert.deepEqual([a.identity, a.acceptRelayKey], ['/tmp/k', fp]);
    assert.throws(() => parseChatArgs(['--name', 'a', '--accept-relay-key', 'abc']), (err: unknown) => err instanceof UsageError && /fingerprint/.test(err.message));
    assert.throws(() => parseChatArgs(['--name', 'a', '--identity', '']), UsageError);
  });

  it('brings a typed name to its normal form, and still refuses hidden characters', () => {
    assert.equal(parseChatArgs(['--name', '  ann\u00a0lee ']).name, 'ann lee');
    assert.throws(() => parseChatArgs(['--name', 'a\u200bnn']), (err: unknown) => err instanceof UsageError && /ZWSP|invisible|zero/i.test(err.message));
  });

  it('takes HOST:PORT, [v6]:PORT and a bare host', () => {
    assert.deepEqual(parseChatArgs(['--name', 'a', '--server', '[::1]:9']).server, { host: '::1', port: 9 });
    assert.deepEqual(parseChatArgs(['--name', 'a', '--server', 'relay.lan']).server, { host: 'relay.lan', port: 2410 });
    const a = parseChatArgs(['--name', 'a', '--server', '10.0.0.1:5', '--json', '--legacy', '--wait-ms', '0', '--join-timeout-ms', '200']);
    assert.deepEqual([a.server, a.json, a.legacy, a.waitMs, a.joinTimeoutMs], [{ host: '10.0.0.1', port: 5 }, true, true, 0, 200]);
  });

  const mistakes: [string[], RegExp][] = [
    [[], /--name NAME is required/],
    [['--name', ''], /--name: A name cannot be empty/],
    [['--name', 'a:b'], /--name: A name cannot contain ":"/],
    [['--name', 'x'.repeat(33)], /--name: A name is at most 32 characters/],
    [['--name', 'a\u001bb'], /--name: A name cannot contain control characters/],
    [['--name', 'a', '--server', '::1'], /--server: Write an IPv6 address in brackets/],
    [['--name', 'a', '--server', '1.2.3.4:99999'], /--server: The port must be a whole number/],
    [['--name', 'a', '--server', '1.2.3.4:0'], /--server needs the relay's port/],
    [['--name', 'a', '--legacy', '--server', '[::1]:5'], /--legacy needs an IPv4 relay address/],
    [['--name', 'a', '--wait-ms', 'soon'], /--wait-ms must be a whole number/],
    [['--name', 'a', '--join-timeout-ms', '5'], /--join-timeout-ms must be a whole number from 100/],
    [['--name', 'a', '--nmae', 'b'], /Unknown option '--nmae'/],
  ];
  for (const [args, message] of mistakes) {
    it(`refuses ${JSON.stringify(args)} with one line`, () => {
      assert.throws(() => parseChatArgs(args), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    });
  }
});

describe('cli exit codes', () => {
  it('maps each error a user can meet to its documented code', () => {
    assert.equal(exitCodeFor(new UsageError('x')), 2);
    assert.equal(exitCodeFor(new ChatError('BAD_OPTION', 'x')), 2);
    assert.equal(exitCodeFor(new ChatError('UNREACHABLE', 'x')), 3);
    assert.equal(exitCodeFor(new ChatError('BAD_ADDRESS', 'x'), true), 3);
    assert.equal(exitCodeFor(new ChatError('BAD_ADDRESS', 'x')), 4);
    assert.equal(exitCodeFor(new ChatError('PORT_IN_USE', 'x')), 4);
    assert.equal(exitCodeFor(new ChatError('TOO_LARGE', 'x')), 5);
    assert.equal(exitCodeFor(new ChatError('REFUSED', 'x')), 6);
    assert.equal(exitCodeFor(new ChatError('STORE', 'x')), 7);
    assert.equal(exitCodeFor(new Error('bug')), 1);
  });
});
