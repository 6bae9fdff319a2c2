// Start Server in a cluster (issue 15), inside VS Code: with whatsudp.server.cluster pointing at a real
// nats-server the room is kept in JetStream (a colleague's message lands in the room's stream, and the
// notification says the room outlives the window); a bad setting or a NATS nobody answers at is an
// error notification that names what to fix, and no server runs.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { parseAddress } from '../../src/chat';
import { freePorts, NatsFixture } from '../unit/helpers/nats';
import { extensionApi, notificationsSince, Peer, Settings, waitFor } from './helpers';

describe('WhatsUDP server in a cluster (issue 15)', function () {
  this.timeout(60_000);
  let api: WhatsUdpApi;
  let nats: NatsFixture | undefined;
  const settings = new Settings();
  const peers: Peer[] = [];

  before(async () => {
    api = await extensionApi();
    await settings.set('name', 'alice');
    await settings.set('server.port', 0);
    await settings.set('server.share', 'local');
  });

  afterEach(async () => {
    for (const p of peers.splice(0)) await p.close();
    if (api.serverAddress()) await vscode.commands.executeCommand('whatsudp.stopServer');
    await settings.set('server.cluster', undefined);
    await settings.set('server.clusterReplicas', undefined);
  });

  after(async () => {
    await settings.restore();
    await nats?.stop();
  });

  it('a NATS server nobody answers at: "could not join its cluster" naming it, and no server runs', async () => {
    const url = `nats://127.0.0.1:${(await freePorts(1))[0]}`;
    await settings.set('server.cluster', url);
    const seen = notificationsSince(api);
    await vscode.commands.executeCommand('whatsudp.startServer');
    assert.equal(api.serverAddress(), undefined, 'no server runs');
    assert.ok(seen().some((n) => n.startsWith(`WhatsUDP server could not join its cluster: No NATS server answered at ${url}`)), seen().join(' | '));
  });

  it('credentials in the address, or 2 replicas: an error naming the setting, and no server runs', async () => {
    await settings.set('server.cluster', 'nats://relay:s3cret@127.0.0.1:4222');
    let seen = notificationsSince(api);
    await vscode.commands.executeCommand('whatsudp.startServer');
    assert.equal(api.serverAddress(), undefined);
    assert.ok(seen().some((n) => n.startsWith('The setting whatsudp.server.cluster cannot be used: Put the NATS credentials')), seen().join(' | '));
    assert.ok(!seen().some((n) => n.includes('s3cret')), 'the password is not shown back');

    await settings.set('server.cluster', 'nats://127.0.0.1:4222');
    await settings.set('server.clusterReplicas', 2);
    seen = notificationsSince(api);
    await vscode.commands.executeCommand('whatsudp.startServer');
    assert.equal(api.serverAddress(), undefined);
    assert.ok(seen().some((n) => n.startsWith('The setting whatsudp.server.clusterReplicas must be 1')), seen().join(' | '));
  });

  it('with a real nats-server the room is kept in JetStream and outlives the window', async () => {
    nats = await NatsFixture.single();
    await settings.set('server.cluster', nats.urls[0]);
    const seen = notificationsSince(api);
    await vscode.commands.executeCommand('whatsudp.startServer');
    const address = api.serverAddress();
    assert.ok(address, `a server runs; saw: ${seen().join(' | ')}`);
    assert.ok(seen().some((n) => n.includes(`The room is kept in NATS ${nats!.urls[0]} (room streams of 1 replica), so it outlives this window.`)), seen().join(' | '));

    const carol = await new Peer(parseAddress(address), 'carol').start();
    peers.push(carol);
    carol.say('kept in the stream');
    await waitFor('carol\'s message back from the relay', () => carol.messages.some((m) => m.text === 'kept in the stream'));
    const nc = await connect({ servers: nats.urls, timeout: 3000 });
    try {
      const info = await (await jetstreamManager(nc)).streams.info('WUDP_main');
      assert.ok(info.state.messages >= 1, `the room's stream holds the message (${info.state.messages})`);
    } finally {
      await nc.close();
    }
  });
});
