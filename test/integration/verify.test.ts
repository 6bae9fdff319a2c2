// Verify Member in the real VS Code (issue 8): from bob's row in the member list, the safety code step
// opens; "Mark as Verified" puts a check, labelled "verified", beside bob in the panel, and it stays his
// when he comes back (the mark belongs to this device's pins). Someone else calling themselves bob is
// tagged "new key" and is not verified. From the palette the command asks whom, and "Remove
// Verification" takes the check away. The lists are answered with the quick input's own commands,
// what the arrow keys and Enter do.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { type Address, ChatClient } from '../../src/chat';
import { newIdentity, type DeviceIdentity } from '../../src/chat/identity';
import { shortFingerprint } from '../../src/common/keys';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { nodeCrypto } from '../../src/protocol/crypto';
import { closeChatTab, extensionApi, notificationsSince, reportWhere, resetTheme, screenshot, Settings, startServer, waitFor } from './helpers';

describe('WhatsUDP Verify Member', function () {
  this.timeout(90_000);
  let api: WhatsUdpApi;
  let server: Address;
  const settings = new Settings();
  const clients: ChatClient[] = [];
  const bobKey: DeviceIdentity = newIdentity(nodeCrypto).identity;

  async function join(name: string, identity: DeviceIdentity): Promise<ChatClient> {
    const client = new ChatClient({ server, name, identity });
    clients.push(client);
    await client.start();
    return client;
  }

  /** Moves down `steps` rows in the open list and accepts the row, as the arrow keys and Enter do. */
  async function choose(step: string, steps: number): Promise<void> {
    await waitFor(`Verify's ${step} list`, () => api.verifyStep() === step);
    for (let i = 0; i < steps; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await waitFor(`Verify's ${step} list to close`, () => api.verifyStep() !== step);
  }

  before(async () => {
    api = await extensionApi();
    // The chat alone in the window, wide enough for its member list (the screenshots show the check).
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await settings.set('name', 'alice');
    server = await startServer(api, settings);
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await closeChatTab();
    await vscode.commands.executeCommand('whatsudp.stopServer');
    await settings.restore();
    await resetTheme();
  });

  it("the Verify button on bob's row shows the safety code, and Mark as Verified puts a check beside him", async () => {
    const bob = await join('bob', bobKey);
    await vscode.commands.executeCommand('whatsudp.openChat');
    // Earlier suites had other bobs in this window: his label may carry his key's tag ("bob key ...").
    const isBob = (label: string) => label === 'bob' || label.startsWith('bob ');
    await reportWhere(api, 'bob in the member list, not verified', (r) => r.memberNames.some(isBob) && (r.verifiedMembers ?? []).length === 0);
    const seen = notificationsSince(api);

    api.panel.receive({ type: 'verify', id: bob.clientId }); // what bob's Verify button posts
    await waitFor('the safety code step', () => api.verifyStep() === 'code');
    await screenshot('verify-code-dark', 'Default Dark Modern');
    await choose('code', 1); // "Not Now" first, then "Mark as Verified"

    const report = await reportWhere(api, 'bob verified in the member list', (r) => (r.verifiedMembers ?? []).some(isBob));
    assert.equal(report.verifiedMembers!.length, 1, JSON.stringify(report.verifiedMembers));
    assert.ok(seen().some((n) => n.startsWith("bob's key (") && n.includes('is marked as verified')), seen().join(' | '));
    await screenshot('verify-marked-light', 'Default Light Modern');

    // The mark is the device's: bob leaving and coming back (a new session, the same key) keeps it.
    await bob.close();
    await reportWhere(api, 'bob gone', (r) => !r.memberNames.some(isBob));
    await join('bob', bobKey);
    await reportWhere(api, 'bob back, still verified', (r) => (r.verifiedMembers ?? []).some(isBob));
  });

  it('someone else calling themselves bob is tagged new key and not verified', async () => {
    const impostor = newIdentity(nodeCrypto).identity;
    await join('bob', impostor);
    const report = await reportWhere(api, 'two bobs, one verified', (r) => r.memberNames.filter((n) => n.startsWith('bob')).length === 2 && (r.verifiedMembers ?? []).length === 1);
    // Two bobs are told apart by their keys' tags; the check is on the real one's.
    assert.ok(report.verifiedMembers![0].includes(shortFingerprint(bobKey.fingerprint)), JSON.stringify(report.verifiedMembers));
    assert.ok(!report.verifiedMembers![0].includes(shortFingerprint(impostor.fingerprint)));
  });

  it('from the palette it asks whom, and Remove Verification takes the check away', async () => {
    const session = await api.session();
    await waitFor('both bobs in the session', () => session.members.filter((m) => m.name === 'bob').length >= 2);
    // Rows are sorted by name, then key: find the real bob's row.
    const bobs = [...new Set(session.members.filter((m) => m.name === 'bob').map((m) => m.fingerprint!))].sort();
    const row = bobs.indexOf(bobKey.fingerprint);
    assert.ok(row >= 0);
    const seen = notificationsSince(api);

    void vscode.commands.executeCommand('whatsudp.verifyMember');
    await choose('member', row);
    await choose('code', 1); // "Keep Verified" first, then "Remove Verification"
    await reportWhere(api, 'no check left', (r) => (r.verifiedMembers ?? []).length === 0 && r.memberNames.filter((n) => n.startsWith('bob')).length === 2);
    assert.ok(seen().some((n) => n.includes('is no longer marked as verified')), seen().join(' | '));
  });
});
