// The WhatsUDP view in the Activity Bar (issues 11 and 12): the room with its unread count, which
// clears when the room is opened from it, and its people with presence; the title bar and the welcome
// offer Find Relays on My Network, Join Room from Link and Start Server. Nothing opens by itself.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Address } from '../../src/chat';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { closeChatTab, extensionApi, Peer, resetTheme, screenshot, Settings, startServer, waitFor, workspaceFile } from './helpers';

describe('WhatsUDP sidebar', function () {
  this.timeout(90_000);
  let api: WhatsUdpApi;
  let server: Address;
  const settings = new Settings();
  const peers: Peer[] = [];
  const room = () => api.sidebarRows()[0];

  before(async () => {
    api = await extensionApi();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await settings.set('name', 'alice');
    server = await startServer(api, settings);
  });

  after(async () => {
    for (const p of peers) await p.close().catch(() => undefined);
    await closeChatTab();
    await vscode.commands.executeCommand('whatsudp.stopServer');
    await settings.restore();
    await resetTheme();
  });

  it('shows the room with its unread count, which clears when the room is opened; and its people', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.whatsudp');
    await vscode.commands.executeCommand('whatsudp.openChat');
    await waitFor('the room in the sidebar, connected', () => room()?.description === 'connected');
    const bob = await new Peer(server, 'bob').start();
    peers.push(bob);
    await waitFor('bob among the people', () => api.sidebarRows().some((r) => r.label === 'bob' || r.label.startsWith('bob ')));
    assert.ok(api.sidebarRows().some((r) => r.label === 'alice (you)'), api.sidebarRows().map((r) => r.label).join(', '));
    // The chat hidden behind an editor: what bob says is unread, in the sidebar as in the status bar.
    const column = (await waitFor('the chat tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview))).group.viewColumn;
    await vscode.window.showTextDocument(workspaceFile('README.md'), { viewColumn: column });
    await waitFor('the panel hidden', () => !api.panel.isVisible);
    bob.say('lunch at noon?');
    bob.say('the usual place');
    await waitFor('2 unread in the sidebar', () => room()?.description === '2 unread · connected');
    assert.ok(!api.panel.isVisible, 'nothing opened by itself');
    await screenshot('sidebar-unread-dark', 'Default Dark Modern');
    // Clicking the room runs its command: Open Chat.
    await vscode.commands.executeCommand('whatsudp.openChat');
    await waitFor('the unread count cleared in the sidebar', () => room()?.description === 'connected');
    await screenshot('sidebar-read-light', 'Default Light Modern');
  });
});
