// Sealed rooms in a real VS Code (issue 9): "WhatsUDP: Join Room from Link" with a link to a sealed room
// joins it (the room's secret proved, the link's key checked), messages go both ways sealed, and the
// relay's address becomes whatsudp.relayAddress; without the link the same relay turns the chat away.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ChatClient, formatAddress, Relay, type RoomMessage } from '../../src/chat';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { nodeCrypto } from '../../src/protocol/crypto';
import { formatInvite } from '../../src/protocol/invite';
import { newRoomSecret, roomVerifier } from '../../src/protocol/sealed-room';
import { closeChatTab, extensionApi, notificationsSince, reportWhere, Settings, waitFor } from './helpers';

describe('WhatsUDP sealed rooms', function () {
  this.timeout(60_000);
  let api: WhatsUdpApi;
  let relay: Relay;
  let bob: ChatClient;
  const bobSaw: RoomMessage[] = [];
  const settings = new Settings();
  const secret = newRoomSecret(nodeCrypto);

  before(async () => {
    api = await extensionApi();
    if (api.serverAddress()) await vscode.commands.executeCommand('whatsudp.stopServer');
    await settings.set('name', 'alice');
    await settings.set('relayAddress', '127.0.0.1:2410'); // put back afterwards: joining a link sets it
    relay = await Relay.start({ port: 0, roomVerifier: roomVerifier(nodeCrypto, secret) });
    bob = new ChatClient({ server: relay.address(), name: 'bob', roomSecret: secret });
    bob.on('message', (m) => bobSaw.push(m));
    await bob.start();
  });

  after(async () => {
    await bob?.close();
    await closeChatTab();
    await settings.restore();
    await relay?.close();
  });

  it('the relay turns away a chat that has only its address, saying the room is sealed', async () => {
    const outsider = new ChatClient({ server: relay.address(), name: 'eve' });
    await assert.rejects(outsider.start(), /this room is sealed: you need its invite link/);
    await outsider.close();
  });

  it('Join Room from Link joins the sealed room, and messages go both ways', async () => {
    const link = formatInvite({ relays: [relay.address()], room: 'main', fingerprints: [relay.fingerprint], secret });
    const seen = notificationsSince(api);
    await vscode.commands.executeCommand('whatsudp.joinRoomFromLink', link);
    const session = await api.session();
    await waitFor('the chat to join the sealed room', () => session.connection.state === 'connected' && session.server.port === relay.address().port, 15_000);
    assert.equal(vscode.workspace.getConfiguration('whatsudp').get('relayAddress'), formatAddress(relay.address()));
    assert.ok(!seen().some((n) => n.includes('cannot be used')), seen().join(' | '));

    bob.send({ kind: 'text', text: 'only the room reads this' });
    const report = await reportWhere(api, "bob's sealed message in the panel", (r) => r.lastRows.some((row) => /^bob( #[0-9a-f]+)?: only the room reads this$/.test(row)));
    assert.equal(report.roomState, 'sealed', 'the header shows the lock and says the room is sealed');
    api.panel.receive({ type: 'send', text: 'and this too' });
    await waitFor('bob to read alice', () => bobSaw.some((m) => m.sender.name === 'alice' && m.text === 'and this too'));
  });
});
