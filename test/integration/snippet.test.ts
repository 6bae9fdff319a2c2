// Code snippets: Send Selection puts the selected lines in the room with their path, line range and
// language; a snippet from a colleague opens that file at those lines, and only inside the workspace.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MessageBody } from '../../src/chat';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { closeChatTab, extensionApi, notificationsSince, Peer, reportWhere, Settings, startServer, waitFor, workspaceFile } from './helpers';

describe('WhatsUDP snippets', function () {
  this.timeout(60_000);
  let api: WhatsUdpApi;
  let bob: Peer;
  const settings = new Settings();

  before(async () => {
    api = await extensionApi();
    await settings.set('name', 'alice');
    bob = await new Peer(await startServer(api, settings), 'bob').start();
    await vscode.commands.executeCommand('whatsudp.openChat');
  });

  after(async () => {
    await bob?.close();
    await closeChatTab();
    await vscode.commands.executeCommand('whatsudp.stopServer');
    await settings.restore();
  });

  /** Bob sends a snippet; resolves with the key the panel knows it by. */
  async function snippetFromBob(path: string, startLine: number, endLine: number): Promise<string> {
    const body: MessageBody = { kind: 'snippet', text: `// lines ${startLine}-${endLine}`, path, startLine, endLine, language: 'typescript' };
    bob.client.send(body);
    const session = await api.session();
    const item = await waitFor(`bob's snippet of ${path}`, () =>
      session.snapshot().items.find((i) => i.type === 'message' && i.body.kind === 'snippet' && i.body.path === path && i.body.startLine === startLine),
    );
    return item.key;
  }

  it('Send Selection sends the selected lines as a snippet', async () => {
    const editor = await vscode.window.showTextDocument(workspaceFile('src/hello.ts'), { viewColumn: vscode.ViewColumn.One });
    const end = editor.document.lineAt(4).range.end;
    editor.selection = new vscode.Selection(2, 0, end.line, end.character); // lines 3-5
    await vscode.commands.executeCommand('whatsudp.sendSelection');
    const got = await waitFor('bob to receive the snippet', () => bob.messages.find((m) => m.kind === 'snippet'));
    assert.equal(got.kind, 'snippet');
    if (got.kind !== 'snippet') return;
    assert.equal(got.sender.name, 'alice');
    assert.equal(got.path, 'src/hello.ts');
    assert.equal(got.startLine, 3);
    assert.equal(got.endLine, 5);
    assert.equal(got.language, 'typescript');
    assert.equal(got.text, editor.document.getText(editor.selection));
    await reportWhere(api, 'the snippet in the panel', (r) => r.lastRows.some((row) => row.startsWith('alice: src/hello.ts:3') && row.includes('line03')));
  });

  it("a colleague's snippet opens the file at its lines", async () => {
    const key = await snippetFromBob('src/hello.ts', 10, 12);
    api.panel.receive({ type: 'openSnippet', key }); // what clicking the snippet's header posts
    const editor = await waitFor('hello.ts open at lines 10-12', () => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.uri.path.endsWith('/src/hello.ts') && e.selection.start.line === 9 ? e : undefined;
    });
    assert.equal(editor.selection.end.line, 11);
  });

  it('a snippet path outside the workspace is not opened', async () => {
    const before = vscode.window.activeTextEditor?.document.uri.toString();
    for (const path of ['../../etc/passwd', '/etc/passwd']) {
      const seen = notificationsSince(api);
      api.panel.receive({ type: 'openSnippet', key: await snippetFromBob(path, 1, 2) });
      await waitFor(`a refusal for ${path}`, () => seen().some((n) => n.startsWith(`Not opening "${path}"`)));
    }
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), before, 'no file was opened');
  });

  it('a snippet of a file this workspace does not have says so', async () => {
    const seen = notificationsSince(api);
    api.panel.receive({ type: 'openSnippet', key: await snippetFromBob('src/not-here.ts', 1, 1) });
    await waitFor('a "not in this workspace" message', () => seen().some((n) => n.includes('"src/not-here.ts" is not in this workspace')));
  });
});
