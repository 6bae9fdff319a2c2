// Start Server's cluster settings (issue 15) as the extension reads them, without VS Code: empty means a
// relay of its own whatever else is set; each bad value is a problem naming the setting to open and one
// sentence to show (nothing thrown, nothing started); credentials from the environment or a .creds file.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterSummary, readClusterSettings } from '../../src/extension/clusterSettings';

const dir = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-cluster-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const creds = path.join(dir, 'relay.creds');
writeFileSync(creds, '-----BEGIN NATS USER JWT-----\neyJ.e30.x\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\nSUAX\n------END USER NKEY SEED------\n', { mode: 0o600 });

const URL1 = 'nats://127.0.0.1:4222';
/** A settings reader over a plain object, as `workspace.getConfiguration('whatsudp').get` answers. */
const settings = (values: Record<string, unknown>) => (key: string): unknown => values[key];

function problemOf(values: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, legacy = false) {
  const r = readClusterSettings(settings(values), legacy, env);
  assert.ok('problem' in r, `a problem, not ${JSON.stringify(r)}`);
  assert.doesNotMatch(r.problem.message, /\n/);
  return r.problem;
}

describe('Start Server: the cluster settings', () => {
  it('whatsudp.server.cluster empty (the default): no cluster, whatever the others say', () => {
    assert.deepEqual(readClusterSettings(settings({}), false, {}), {});
    assert.deepEqual(readClusterSettings(settings({ 'server.cluster': '  ', 'server.clusterReplicas': 2, 'server.advertise': 'nonsense' }), true, { WHATSUDP_NATS_USER: 'u' }), {});
  });

  it('servers, replicas, advertise and a creds file become RelayOptions.cluster', () => {
    const r = readClusterSettings(settings({ 'server.cluster': `${URL1}, nats://10.0.0.2:4222`, 'server.clusterReplicas': 3, 'server.clusterCredentials': creds, 'server.advertise': '192.0.2.10:2410' }), false, {});
    assert.ok('cluster' in r && r.cluster);
    assert.deepEqual(r.cluster.options, { servers: [URL1, 'nats://10.0.0.2:4222'], replicas: 3, advertise: { host: '192.0.2.10', port: 2410 }, auth: { kind: 'creds', file: creds } });
    assert.equal(clusterSummary(r.cluster), `NATS ${URL1}, nats://10.0.0.2:4222 (room streams of 3 replicas)`);
  });

  it('user and password or a token come from VS Code\'s environment', () => {
    const pw = readClusterSettings(settings({ 'server.cluster': URL1 }), false, { WHATSUDP_NATS_USER: 'relay', WHATSUDP_NATS_PASSWORD: 's3cret' });
    assert.ok('cluster' in pw);
    assert.deepEqual(pw.cluster?.options.auth, { kind: 'password', user: 'relay', pass: 's3cret' });
    const token = readClusterSettings(settings({ 'server.cluster': URL1 }), false, { WHATSUDP_NATS_TOKEN: 't0ken' });
    assert.ok('cluster' in token);
    assert.deepEqual(token.cluster?.options.auth, { kind: 'token', token: 't0ken' });
  });

  const bad: [string, Record<string, unknown>, NodeJS.ProcessEnv, string, RegExp][] = [
    ['a password in the address', { 'server.cluster': 'nats://relay:s3cret@127.0.0.1:4222' }, {}, 'whatsudp.server.cluster', /^The setting whatsudp\.server\.cluster cannot be used: Put the NATS credentials for 127\.0\.0\.1:4222 in a creds file or the environment/],
    ['not a NATS address', { 'server.cluster': '127.0.0.1:4222' }, {}, 'whatsudp.server.cluster', /^The setting whatsudp\.server\.cluster cannot be used: .*NATS server address/],
    ['2 replicas', { 'server.cluster': URL1, 'server.clusterReplicas': 2 }, {}, 'whatsudp.server.clusterReplicas', /^The setting whatsudp\.server\.clusterReplicas must be 1 \(one NATS server\) or 3/],
    ['a relative creds path', { 'server.cluster': URL1, 'server.clusterCredentials': 'relay.creds' }, {}, 'whatsudp.server.clusterCredentials', /^The setting whatsudp\.server\.clusterCredentials must be the full path of a NATS \.creds file/],
    ['a missing creds file', { 'server.cluster': URL1, 'server.clusterCredentials': path.join(dir, 'gone.creds') }, {}, 'whatsudp.server.clusterCredentials', /^The setting whatsudp\.server\.clusterCredentials cannot be used: cannot read the NATS creds file .*gone\.creds \(ENOENT\)/],
    ['a creds file and a token', { 'server.cluster': URL1, 'server.clusterCredentials': creds }, { WHATSUDP_NATS_TOKEN: 't' }, 'whatsudp.server.clusterCredentials', /^The setting whatsudp\.server\.clusterCredentials and WHATSUDP_NATS_TOKEN cannot go together/],
    ['a user without a password', { 'server.cluster': URL1 }, { WHATSUDP_NATS_USER: 'relay' }, 'whatsudp.server.cluster', /^WhatsUDP server: WHATSUDP_NATS_USER is set without WHATSUDP_NATS_PASSWORD: set both .*\(in VS Code's environment: set them where VS Code is started from, or use whatsudp\.server\.clusterCredentials\)\.$/],
    ['advertise on every interface', { 'server.cluster': URL1, 'server.advertise': '0.0.0.0:2410' }, {}, 'whatsudp.server.advertise', /^The setting whatsudp\.server\.advertise 0\.0\.0\.0:2410 means every interface/],
    ['advertise without a port', { 'server.cluster': URL1, 'server.advertise': 'relay1.example' }, {}, 'whatsudp.server.advertise', /^The setting whatsudp\.server\.advertise must be the HOST:PORT members reach this relay at/],
  ];
  for (const [what, values, env, setting, message] of bad) {
    it(`${what}: a problem naming ${setting}`, () => {
      const p = problemOf(values, env);
      assert.equal(p.setting, setting);
      assert.match(p.message, message);
      assert.doesNotMatch(p.message, /s3cret/);
    });
  }

  it('with the legacy bridge on: a problem naming whatsudp.legacy.enabled (the cluster cannot take its lines)', () => {
    const p = problemOf({ 'server.cluster': URL1 }, {}, true);
    assert.equal(p.setting, 'whatsudp.legacy.enabled');
    assert.match(p.message, /whatsudp\.legacy\.enabled cannot be on with whatsudp\.server\.cluster/);
  });

  it('a setting of the wrong type (edited by hand in settings.json) is read as empty or refused, never thrown', () => {
    assert.deepEqual(readClusterSettings(settings({ 'server.cluster': 42 }), false, {}), {});
    assert.equal(problemOf({ 'server.cluster': URL1, 'server.clusterReplicas': 'many' }).setting, 'whatsudp.server.clusterReplicas');
    const r = readClusterSettings(settings({ 'server.cluster': URL1, 'server.clusterReplicas': { n: 3 }, 'server.advertise': ['x'] }), false, {});
    assert.ok('cluster' in r);
    assert.deepEqual(r.cluster?.options, { servers: [URL1] });
  });
});
