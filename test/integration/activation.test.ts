// Activation runs at every startup (onStartupFinished), for users who never open the chat too: it
// must stay cheap. Runs first (files run in name order), so it measures a cold activation.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extensionApi } from './helpers';

// The target is 50 ms, and an idle machine measures 3–8 ms. A CI machine busy with other work has
// been seen at 80 ms, so the test fails only where activation clearly does real work (a socket, a
// history read, a join), which costs hundreds of ms or seconds.
const LIMIT_MS = 250;

describe('WhatsUDP activation', () => {
  it('activates cheaply and registers every command', async () => {
    const api = await extensionApi();
    console.log(`      activate() took ${api.activationMs.toFixed(1)} ms (target 50 ms)`);
    assert.ok(api.activationMs < LIMIT_MS, `activate() took ${api.activationMs.toFixed(1)} ms`);
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['openChat', 'startServer', 'stopServer', 'changeName', 'sendSelection', 'clearHistory', 'showLog', 'reconnect']) {
      assert.ok(commands.includes(`whatsudp.${id}`), `whatsudp.${id} is registered`);
    }
  });
});
