// Activation runs at every startup (onStartupFinished), for users who never open the chat too: it
// must stay cheap. Runs first (files run in name order), so it measures a cold activation.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extensionApi } from './helpers';

describe('WhatsUDP activation', () => {
  it('activates in under 50 ms and registers every command', async () => {
    const api = await extensionApi();
    console.log(`      activate() took ${api.activationMs.toFixed(1)} ms`);
    assert.ok(api.activationMs < 50, `activate() took ${api.activationMs.toFixed(1)} ms`);
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['openChat', 'startServer', 'stopServer', 'changeName', 'sendSelection', 'clearHistory', 'showLog', 'reconnect']) {
      assert.ok(commands.includes(`whatsudp.${id}`), `whatsudp.${id} is registered`);
    }
  });
});
