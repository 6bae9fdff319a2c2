// A clicked invite link in a real VS Code (issue 9): the workbench opens the `vscode://whatsudp.whatsudp/join...`
// link, the extension's URI handler asks first, naming the room, the relay and its key, in a notification
// with Join Room and Cancel, and the test presses those buttons with real keys, as a keyboard user does:
// Cancel joins nothing; Join Room joins the sealed room, and messages go both ways.
//
// TESTING-notes: how code-server routes such a link to the extension, and how the question is answered
// (read in code-server 4.139.1's workbench.js, and seen in this suite's screenshots):
// - The scheme is the product's `urlProtocol`, which an extension reads as `vscode.env.uriScheme`: `vscode`
//   on desktop, `code-oss` in code-server. The extension writes its links with `vscode.env.uriScheme`
//   (formatVscodeInvite) and parseInvite reads any scheme before `://whatsudp.whatsudp/join`, so the test
//   opens `code-oss://whatsudp.whatsudp/join?...#v1...` here, and the same test opens `vscode://...` on desktop.
// - `vscode.env.openExternal(uri)` does NOT reach the handler in the web workbench: the main thread opens it
//   with `openExternal: true`, the web URL opener declines anything external, and the default external
//   opener sets the page's location to the URI (the browser's own protocol handler, i.e. desktop VS Code).
//   Tried: the page logs "onBeforeUnload triggered but ignored once", then the workbench's dialog "All done.
//   You can close this tab now." (refused in a test run, so openExternal rejects); the handler never runs.
// - `vscode.commands.executeCommand('vscode.open', uri)` does: it goes to the workbench's opener service
//   without `openExternal`, as a click on the link inside the workbench does (a Markdown preview, a hover, a
//   message's link); the web URL opener matches the product's scheme and gives it to the URL service as
//   trusted, which activates the extension (onUri) and calls its registerUriHandler handler. Trusted, it
//   skips VS Code's own "Allow 'WhatsUDP' extension to open this URI?" dialog, which desktop VS Code shows
//   first for a link from the OS; the extension's own question comes either way.
// - A link from outside the page (a mail, another tab) reaches code-server only through its /callback route,
//   and only for a request the workbench made itself (asExternalUri, for sign-in flows): not tested here.
// - The question was a modal dialog, which no extension test can answer: VS Code's DialogService refuses
//   every dialog when extensionTestsLocationURI is set (a modal's showInformationMessage comes back without
//   a button), on desktop too. So it is a notification with buttons now. The runner's smoke-test-driver flag
//   (needed for the `payload` query) also turns toasts off, so the test opens the notification centre
//   ("notifications.showList", the bell in the status bar), which focuses the newest notification; then
//   Tab reaches Join Room, Tab again Cancel, and Enter presses the focused button (keys pressed in the page by
//   the runner, test/runner/keys.mjs). A screenshot taken after the keys proves they were pressed.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ChatClient, formatAddress, type Member, Relay, type RoomMessage } from '../../src/chat';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { nodeCrypto } from '../../src/protocol/crypto';
import { displayFingerprint } from '../../src/protocol/fingerprint';
import { formatVscodeInvite } from '../../src/protocol/invite';
import { newRoomSecret, roomVerifier } from '../../src/protocol/sealed-room';
import { closeChatTab, extensionApi, notificationsSince, pressKeysShown, reportWhere, Settings, sleep, waitFor } from './helpers';

const PLACEHOLDER_RELAY = '127.0.0.1:2410';

describe('WhatsUDP vscode:// link', function () {
  this.timeout(90_000);
  let api: WhatsUdpApi;
  let relay: Relay;
  let bob: ChatClient;
  const bobSaw: RoomMessage[] = [];
  const joined: Member[] = [];
  const settings = new Settings();
  const secret = newRoomSecret(nodeCrypto);
  let link: string;

  /** Opens the link in the workbench as a click on it does; resolves once the question is recorded. */
  async function openLink(): Promise<{ question: string; opened: Thenable<unknown> }> {
    await vscode.commands.executeCommand('notifications.clearAll'); // so the question is the newest, and alone
    const seen = notificationsSince(api);
    const opened = vscode.commands.executeCommand('vscode.open', vscode.Uri.parse(link));
    const question = await waitFor('the link to ask before joining', () => seen().find((n) => n.startsWith('Join the sealed room')), 15_000);
    return { question, opened };
  }

  /** Presses the question's button with keys: the bell's list focuses the newest notification, then Tab
   * moves to Join Room, Tab again to Cancel; Enter presses it. */
  async function answer(button: 'Join Room' | 'Cancel', shot: string): Promise<void> {
    await sleep(300); // the question is in the workbench already (one ordered channel); let it draw
    await vscode.commands.executeCommand('notifications.showList');
    if (button === 'Join Room') await pressKeysShown('uri-link-question'); // the question, for people to look at
    await pressKeysShown(shot, ...(button === 'Join Room' ? ['Tab'] : ['Tab', 'Tab']), 'Enter');
  }

  before(async function () {
    if (process.env.WHATSUDP_KEYS !== '1') this.skip(); // only a runner that presses keys can answer the question
    api = await extensionApi();
    await closeChatTab(); // an earlier suite's panel would hide whether the link opened one
    if (api.serverAddress()) await vscode.commands.executeCommand('whatsudp.stopServer');
    await settings.set('name', 'alice');
    await settings.set('relayAddress', PLACEHOLDER_RELAY); // put back afterwards: joining a link sets it
    relay = await Relay.start({ host: '127.0.0.1', port: 0, roomVerifier: roomVerifier(nodeCrypto, secret) });
    relay.on('joined', (m) => joined.push(m));
    bob = new ChatClient({ server: relay.address(), name: 'bob', roomSecret: secret });
    bob.on('message', (m) => bobSaw.push(m));
    await bob.start();
    link = formatVscodeInvite({ relays: [relay.address()], room: 'main', fingerprints: [relay.fingerprint], secret }, vscode.env.uriScheme);
  });

  after(async () => {
    await bob?.close();
    await closeChatTab();
    await settings.restore();
    await relay?.close();
  });

  it('a clicked vscode:// link asks first, naming the room, the relay and its key; Cancel joins nothing', async () => {
    assert.match(link, /^[a-z-]+:\/\/whatsudp\.whatsudp\/join\?/);
    const { question, opened } = await openLink();
    assert.ok(question.includes('"main"'), question);
    assert.ok(question.includes(formatAddress(relay.address())), question);
    assert.ok(question.includes(displayFingerprint(relay.fingerprint)), question);
    await answer('Cancel', 'uri-link-cancelled');
    await opened;
    await sleep(2000); // a join would reach the relay in well under this on loopback
    assert.deepEqual(joined.map((m) => m.name), ['bob'], 'nobody but bob joined the relay');
    assert.equal(vscode.workspace.getConfiguration('whatsudp').get('relayAddress'), PLACEHOLDER_RELAY, 'the relay address is unchanged');
    assert.equal(api.panel.isOpen, false, 'no chat panel opened');
  });

  it('a clicked vscode:// link, answered Join Room, joins the sealed room and messages go both ways', async () => {
    const { opened } = await openLink();
    const seen = notificationsSince(api);
    await answer('Join Room', 'uri-link-joined');
    await opened;
    const session = await api.session();
    await waitFor('the chat to join the sealed room', () => session.connection.state === 'connected' && session.server.port === relay.address().port, 15_000);
    assert.ok(joined.some((m) => m.name === 'alice'), 'alice joined the relay');
    assert.equal(vscode.workspace.getConfiguration('whatsudp').get('relayAddress'), formatAddress(relay.address()));
    assert.ok(!seen().some((n) => n.includes('cannot')), seen().join(' | '));

    bob.send({ kind: 'text', text: 'came in by the link' });
    const report = await reportWhere(api, "bob's sealed message in the panel", (r) => r.lastRows.some((row) => /^bob( #[0-9a-f]+)?: came in by the link$/.test(row)), 15_000);
    assert.equal(report.roomState, 'sealed', 'the header shows the room is sealed');
    api.panel.receive({ type: 'send', text: 'and alice answers' });
    await waitFor('bob to read alice', () => bobSaw.some((m) => m.sender.name === 'alice' && m.text === 'and alice answers'));
  });

  it('a clicked vscode:// link whose secret was cut off says so, and asks nothing', async () => {
    const seen = notificationsSince(api);
    const cut = link.slice(0, link.indexOf('#')); // some mail apps drop the part after "#"
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.parse(cut));
    await waitFor('the link to be refused', () => seen().find((n) => n.startsWith('That invite link cannot be used') && n.includes('lost its secret')), 15_000);
    assert.ok(!seen().some((n) => n.startsWith('Join the sealed room')), seen().join(' | '));
  });
});
