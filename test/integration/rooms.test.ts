// Rooms in a real VS Code (issue 11): several rooms on one relay, a tab per room, each room's unread
// count in the sidebar, the badge and the status bar summing the unmuted ones, opening a room clearing
// its count, a muted room's mention still notifying (naming the room), Leave Room, and a sealed room
// made from the palette that keeps out whoever lacks its secret. Nothing opens by itself.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { type Address, ChatError } from '../../src/chat';
import { openDm } from '../../src/chat/dm';
import { newIdentity } from '../../src/chat/identity';
import { nodeCrypto } from '../../src/protocol/crypto';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { closeChatTab, extensionApi, notificationsSince, Peer, resetTheme, screenshot, Settings, startServer, waitFor, workspaceFile } from './helpers';

/** A room's tab (its panel's view type is whatsudp.room), by title. */
function roomTab(title: string): vscode.Tab | undefined {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('whatsudp.room') && t.label === title);
}

describe('WhatsUDP rooms', function () {
  this.timeout(120_000);
  let api: WhatsUdpApi;
  let server: Address;
  const settings = new Settings();
  const peers: Peer[] = [];
  const row = (label: string) => api.sidebarRows().find((r) => r.label === label || r.label.startsWith(`${label} (`));
  /** Waits for the row `label` to read `description`; a timeout names every row as it read. */
  const rowReads = (what: string, label: string, description: string) =>
    waitFor(what, () => {
      if (row(label)?.description === description) return true;
      throw new Error(`the sidebar reads ${JSON.stringify(api.sidebarRows())}`);
    });
  const peer = async (name: string, room?: string, create = false, more: ConstructorParameters<typeof Peer>[3] = {}) => {
    const p = new Peer(server, name, undefined, { ...more, ...(room ? { room, create } : {}) });
    peers.push(p);
    return p.start();
  };

  before(async () => {
    api = await extensionApi();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await settings.set('name', 'alice');
    server = await startServer(api, settings);
  });

  after(async () => {
    for (const p of peers) await p.close().catch(() => undefined);
    for (const room of api.rooms.joined()) await vscode.commands.executeCommand('whatsudp.leaveRoom', room);
    await vscode.commands.executeCommand('whatsudp.unmuteRoom', 'main');
    await closeChatTab();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('whatsudp.stopServer');
    await settings.restore();
    await resetTheme();
  });

  it('keeps a tab and an unread count per room; opening a room clears its count; a muted room counts for nothing but a mention still notifies', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.whatsudp');
    await vscode.commands.executeCommand('whatsudp.openChat');
    await rowReads('the default room in the sidebar, connected', 'main', 'connected');
    const bob = await peer('bob');
    const carol = await peer('carol', 'design', true);
    await vscode.commands.executeCommand('whatsudp.refreshRooms'); // the sidebar's Refresh Rooms button
    await rowReads('design offered under More Rooms', 'design', '1 member');

    // Join Room... (the sidebar row's click passes the name): its own tab, titled by the room.
    await vscode.commands.executeCommand('whatsudp.joinRoom', 'design');
    await waitFor('the design tab', () => roomTab('WhatsUDP: design'));
    await waitFor('design among the joined rooms, connected', () => api.sidebarRows()[1]?.label === 'design' && api.sidebarRows()[1].description === 'connected');
    assert.deepEqual(api.rooms.joined(), ['design']);

    // Both rooms hidden behind an editor: what is said in each is unread there, and only there.
    await vscode.window.showTextDocument(workspaceFile('README.md'), { viewColumn: vscode.ViewColumn.One });
    await vscode.window.showTextDocument(workspaceFile('README.md'), { viewColumn: vscode.ViewColumn.Two });
    await waitFor('both panels hidden', () => !api.panel.isVisible && !api.rooms.isVisible('design'));
    carol.say('the mockups are up');
    carol.say('comments by friday please');
    bob.say('lunch at noon?');
    await rowReads('2 unread in design', 'design', '2 unread · connected');
    await rowReads('1 unread in main', 'main', '1 unread · connected');
    await waitFor('the status bar sums them', () => api.statusBarText() === '$(comment-discussion) 3');
    assert.ok(!api.panel.isVisible && !api.rooms.isVisible('design'), 'nothing opened by itself');
    assert.ok(!bob.texts().some((t) => t.includes('mockups')), 'bob, in main, got nothing of design');
    await screenshot('sidebar-rooms-dark', 'Default Dark Modern');

    // Muted: out of the badge and the status bar; a mention still notifies, naming the room.
    const shown = notificationsSince(api);
    await vscode.commands.executeCommand('whatsudp.muteRoom', 'design');
    await rowReads('design muted', 'design', '2 unread · muted · connected');
    await waitFor('the status bar counts main only', () => api.statusBarText() === '$(comment-discussion) 1');
    carol.say('@alice can you look at the header?');
    await rowReads('3 unread in design, still muted', 'design', '3 unread · muted · connected');
    const toast = await waitFor('the mention notified', () => shown().find((n) => n.includes('@alice can you look')));
    assert.equal(toast, 'design (muted; a mention still notifies): carol: @alice can you look at the header?');
    carol.say('no rush');
    assert.equal(api.statusBarText(), '$(comment-discussion) 1');

    // Opening the room (its sidebar row's click) shows its messages, not main's, and clears its count.
    await vscode.commands.executeCommand('whatsudp.openRoom', 'design');
    await rowReads('design read', 'design', 'muted · connected');
    const report = await waitFor('the design panel shows carol', async () => {
      const r = await api.rooms.inspect('design');
      return r.lastRows.some((t) => t.includes('no rush')) ? r : undefined;
    });
    assert.ok(report.lastRows.some((t) => t.includes('the mockups are up')), report.lastRows.join(' | '));
    assert.ok(!report.lastRows.some((t) => t.includes('lunch')), 'main\'s message is not in design');
    assert.equal(row('main')?.description, '1 unread · connected', 'main is still unread');
    await screenshot('rooms-design-light', 'Default Light Modern');

    // What alice writes in design reaches carol, not bob.
    api.rooms.session('design')!.send('looking now');
    await waitFor('carol got it', () => carol.texts().includes('alice: looking now'));
    assert.ok(!bob.texts().includes('alice: looking now'));

    // Leave Room: the tab closes, the room is offered again under More Rooms.
    await vscode.commands.executeCommand('whatsudp.leaveRoom', 'design');
    await waitFor('the design tab closed', () => !roomTab('WhatsUDP: design'));
    await rowReads('design offered again', 'design', '1 member');
    assert.deepEqual(api.rooms.joined(), []);
  });

  it('makes a sealed room from the palette: its own tab with the lock, a peer without its secret is refused, and its key rotates', async () => {
    const shown = notificationsSince(api);
    await vscode.commands.executeCommand('whatsudp.createRoom', 'plans', 'sealed');
    await waitFor('the plans tab', () => roomTab('WhatsUDP: plans'));
    await waitFor('the invite offered', () => shown().find((n) => n.startsWith('Sealed room plans is made on')));
    const r = await waitFor('the header says sealed', async () => {
      const x = await api.rooms.inspect('plans');
      return x.roomState === 'sealed' ? x : undefined;
    });
    assert.equal(r.roomState, 'sealed');
    await waitFor('plans in the sidebar', () => api.sidebarRows().some((x) => x.label === 'plans' && x.description === 'connected'));
    const err = await peer('mallory', 'plans').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ChatError && err.code === 'REFUSED' && /sealed/.test(err.message), String(err));
    // Rotate Room Key (issue 9): alice made the room, so the relay takes her rekey; the window keeps the
    // new secret and offers the new link; the room rejoins and carries messages after it.
    await vscode.commands.executeCommand('whatsudp.rotateRoomKey', 'plans', []);
    const rotated = await waitFor('the rotation told', () => shown().find((n) => n.startsWith('The key of plans is rotated')));
    assert.match(rotated, /\(key 1\); 1 member keeps it\. The old invite link lets no one new in/);
    const plans = api.rooms.session('plans')!;
    await plans.connect();
    assert.equal(plans.connection.state, 'connected', 'rejoined after the rotation');
    plans.send('after the rotation');
    await waitFor('it went out under the new key', async () => (await api.rooms.inspect('plans')).lastStates.includes('delivered'));
  });

  it('a direct message: dave opens one, alice finds it under Direct Messages and opens it; only the two can be in it', async () => {
    const { identity } = newIdentity(nodeCrypto);
    const dave = await peer('dave', undefined, false, { identity });
    const alice = await waitFor('dave sees alice with her key', () => dave.client.members.find((m) => m.name === 'alice' && m.key));
    const dm = await openDm(dave.client, identity, Buffer.from(alice.key!, 'base64url'), nodeCrypto);
    const told = notificationsSince(api);
    const daveDm = await peer('dave', dm.room, true, { identity, roomSecret: dm.roomSecret, dmKeys: dm.dmKeys });
    // The relay tells alice's window at once (DmOpened): said, and offered in the sidebar, no refresh asked.
    await waitFor('alice told', () => told().includes('dave opened a direct message with you.'));
    await rowReads('the DM offered under Direct Messages', 'dave', 'new · click to open');
    // Its row's click: Direct Message with dave's key; alice's side computes the same room and secret.
    await vscode.commands.executeCommand('whatsudp.directMessage', Buffer.from(identity.publicKey).toString('base64url'));
    await waitFor('the DM tab', () => roomTab('DM dave'));
    daveDm.say('just between us');
    await waitFor('the DM panel shows it', async () => (await api.rooms.inspect(dm.room)).lastRows.some((t) => t.includes('just between us')));
    api.rooms.session(dm.room)!.send('understood');
    await waitFor('dave got the answer', () => daveDm.texts().includes('alice: understood'));
    assert.ok(!dave.texts().includes('alice: understood'), 'not in the default room');
    await rowReads('the DM joined, under Direct Messages', 'dave', 'connected');
    await screenshot('rooms-dm-dark', 'Default Dark Modern');
    // A third device, even with the room's name and secret, is not one of its two keys.
    const err = await peer('mallory', dm.room, true, { roomSecret: dm.roomSecret, dmKeys: dm.dmKeys }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ChatError && err.code === 'REFUSED', String(err));
  });
});
