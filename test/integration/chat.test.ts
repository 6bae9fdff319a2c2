// The chat as a user meets it: Start Server, Open Chat, messages both ways with a colleague on the
// engine's client and one on the terminal client, the unread count, mentions, hostile text, and the
// history that outlives the panel. Each check reads what the user would see: the webview's own
// report of what it rendered, the status bar text, the notifications shown.
import * as assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type Address, formatAddress } from '../../src/chat';
import type { WhatsUdpApi } from '../../src/extension/extension';
import {
  chatTab, closeChatTab, extensionApi, notificationsSince, Peer, reportWhere, resetTheme, screenshot, Settings,
  sleep, startServer, waitFor, workspaceFile,
} from './helpers';

const ICON = '$(comment-discussion)';

describe('WhatsUDP chat', function () {
  this.timeout(60_000);
  let api: WhatsUdpApi;
  let server: Address;
  let bob: Peer;
  const settings = new Settings();
  const children: ChildProcessWithoutNullStreams[] = [];

  before(async () => {
    api = await extensionApi();
    await settings.set('name', 'alice');
    await settings.set('notifications', 'mentions');
    const seen = notificationsSince(api);
    server = await startServer(api, settings);
    // Start Server tells where the room is and how long it lives.
    assert.ok(seen().some((n) => n.includes(formatAddress(server)) && n.includes('lives as long as this window')), seen().join(' | '));
    bob = await new Peer(server, 'bob').start();
  });

  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await bob?.close();
    await closeChatTab();
    await vscode.commands.executeCommand('whatsudp.stopServer');
    await settings.restore();
    await resetTheme();
  });

  it('Start Server runs a relay that the chat and a colleague join', async () => {
    const session = await api.session();
    await waitFor('the chat to join the relay', () => session.connection.state === 'connected');
    await waitFor('bob in the member list', () => session.members.some((m) => m.name === 'bob'));
    assert.equal(session.name, 'alice');
  });

  it('Open Chat opens the panel beside the editor, and opening again reveals the same one', async () => {
    await vscode.window.showTextDocument(workspaceFile('src/hello.ts'), { viewColumn: vscode.ViewColumn.One });
    await vscode.commands.executeCommand('whatsudp.openChat');
    await waitFor('the panel to be visible', () => api.panel.isVisible);
    const tab = await waitFor('the chat tab', () => chatTab()); // the tab model follows the panel a moment later
    assert.equal(tab.group.viewColumn, vscode.ViewColumn.Two, 'the chat opens beside the editor');
    await reportWhere(api, 'bob in the panel member list', (r) => r.memberNames.includes('bob'));

    await vscode.commands.executeCommand('whatsudp.openChat');
    const chats = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('whatsudp.chat'));
    assert.equal(chats.length, 1, 'still one chat panel');
  });

  it('messages go both ways and the panel shows them', async () => {
    bob.say('hello alice');
    const open = await reportWhere(api, "bob's message in the panel", (r) => r.lastRows.includes('bob: hello alice'));
    assert.equal(open.roomState, 'open room', 'a room on this machine only is open, and the header says so');
    api.panel.receive({ type: 'send', text: 'hi bob, welcome' }); // what the composer posts
    await waitFor('bob to receive it', () => bob.texts().includes('alice: hi bob, welcome'));
    const report = await reportWhere(api, 'own message in the panel', (r) => r.lastRows.includes('alice: hi bob, welcome'));
    assert.equal(report.activeContent, 0);

    await screenshot('chat-dark', 'Default Dark Modern');
    await screenshot('chat-light', 'Default Light Modern');
  });

  it('hostile messages render as text', async () => {
    const hostile = [
      '<img src=x onerror=alert(1)>',
      '<script>alert(1)</script>',
      '[click me](javascript:alert(1))',
      'javascript:alert(1)',
      '<a href="javascript:alert(1)">x</a>',
      '\u001b[31mred\u001b[0m and \u001b]0;title\u0007',
    ];
    for (const text of hostile) bob.say(text);
    const report = await reportWhere(api, 'all hostile messages rendered', (r) => r.lastRows.some((row) => row.includes('[31m')));
    for (const text of hostile.slice(0, 5)) {
      assert.ok(report.lastRows.includes(`bob: ${text}`), `"${text}" is shown literally; rows: ${JSON.stringify(report.lastRows)}`);
    }
    const escapes = report.lastRows.find((row) => row.includes('red'));
    assert.ok(escapes && !escapes.includes('\u001b') && escapes.includes('[31m'), `terminal escapes are shown, not obeyed: ${escapes}`);
    assert.equal(report.activeContent, 0, 'nothing that can run script is in the page');
  });

  it('counts unread messages while the panel is hidden, notifies mentions, and clears when shown', async () => {
    // Another editor in the chat's column hides the panel.
    const column = (await waitFor('the chat tab', () => chatTab())).group.viewColumn;
    await vscode.window.showTextDocument(workspaceFile('README.md'), { viewColumn: column });
    await waitFor('the panel to be hidden', () => !api.panel.isVisible);
    assert.equal(api.statusBarText(), ICON);

    const seen = notificationsSince(api);
    bob.say('are you there?');
    bob.say('ping @Alice, the build is green');
    await waitFor('the unread count to reach 2', () => api.statusBarText() === `${ICON} 2`);
    await waitFor('a notification for the mention', () => seen().some((n) => n === 'bob: ping @Alice, the build is green'));
    assert.ok(!seen().some((n) => n.includes('are you there?')), 'no notification without a mention (notifications: mentions)');

    await vscode.commands.executeCommand('whatsudp.openChat');
    await waitFor('the panel to be visible again', () => api.panel.isVisible);
    await waitFor('the unread count to clear', () => api.statusBarText() === ICON);
    const report = await reportWhere(api, 'the unread messages in the panel', (r) => r.lastRows.includes('bob: ping @Alice, the build is green'));
    assert.ok(report.hasUnreadDivider, 'the "new messages" divider marks where unread messages begin');
  });

  it('keeps the room and the history when the panel is closed', async () => {
    await closeChatTab();
    await waitFor('the panel to close', () => !api.panel.isOpen);
    bob.say('written while the chat was closed');
    await waitFor('the unread count while closed', () => api.statusBarText() === `${ICON} 1`);
    const session = await api.session();
    assert.equal(session.connection.state, 'connected', 'closing the panel does not leave the room');
    assert.ok(bob.client.members.some((m) => m.name === 'alice'), 'bob still sees alice in the room');

    await vscode.commands.executeCommand('whatsudp.openChat');
    const report = await reportWhere(api, 'the history in the reopened panel', (r) =>
      r.lastRows.includes('bob: written while the chat was closed') && r.itemCount >= 10,
    );
    assert.ok(report.lastRows.includes('alice: hi bob, welcome') || report.itemCount >= 10);
    assert.equal(api.statusBarText(), ICON);
  });

  it('talks with the terminal client', async () => {
    const ext = vscode.extensions.getExtension('whatsudp.whatsudp')!;
    const cli = path.join(ext.extensionPath, 'dist', 'cli.js');
    const child = spawn(process.execPath, [cli, 'chat', '--name', 'carol', '--server', formatAddress(server)], { stdio: 'pipe' });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor('carol to join', () => err.includes('joined the room') || child.exitCode !== null);
    assert.equal(child.exitCode, null, `the terminal client exited early: ${err}`);

    child.stdin.write('hello from the terminal\n');
    await reportWhere(api, "carol's line in the panel", (r) => r.lastRows.includes('carol: hello from the terminal'));
    api.panel.receive({ type: 'send', text: 'hi carol' });
    await waitFor('carol to print it', () => out.includes('alice: hi carol'));

    child.stdin.end(); // end of input: it delivers, leaves and exits 0
    const code = await Promise.race([new Promise<number | null>((r) => child.once('exit', (c) => r(c))), sleep(15_000).then(() => 'timeout')]);
    assert.equal(code, 0, `the terminal client's exit; stderr: ${err}`);
  });

  it('a new whatsudp.name takes effect at once', async () => {
    await settings.set('name', 'alicia');
    await waitFor('bob to see alicia', () => bob.client.members.some((m) => m.name === 'alicia'));
    api.panel.receive({ type: 'send', text: 'new name, same me' });
    await waitFor('bob to receive it from alicia', () => bob.texts().includes('alicia: new name, same me'));
    await settings.set('name', 'alice');
    await waitFor('bob to see alice again', () => bob.client.members.some((m) => m.name === 'alice'));
  });

  it('notifications: off keeps mentions quiet', async () => {
    await settings.set('notifications', 'off');
    await closeChatTab();
    await waitFor('the panel to close', () => !api.panel.isOpen);
    const seen = notificationsSince(api);
    bob.say('@alice are you muted?');
    await waitFor('the unread count', () => api.statusBarText() === `${ICON} 1`);
    await sleep(300);
    assert.deepEqual(seen(), []);
    await settings.set('notifications', 'mentions');
    await vscode.commands.executeCommand('whatsudp.openChat');
  });

  it('Reconnect rejoins the room', async () => {
    const session = await api.session();
    const before = (await api.panel.inspect()).itemCount;
    await vscode.commands.executeCommand('whatsudp.reconnect');
    assert.equal(session.connection.state, 'connected');
    bob.say('still here?');
    const report = await reportWhere(api, 'a message after reconnecting', (r) => r.lastRows.includes('bob: still here?'));
    assert.equal(report.itemCount, before + 1, 'rejoining resumes where it was: nothing shown twice');
  });

  it('Clear History empties the conversation', async () => {
    await vscode.commands.executeCommand('whatsudp.clearHistory');
    await reportWhere(api, 'an empty conversation', (r) => r.itemCount === 0);
    bob.say('after the clear');
    const report = await reportWhere(api, 'the next message', (r) => r.lastRows.includes('bob: after the clear'));
    assert.equal(report.itemCount, 1);
  });
});
