// The chat panel with a long history: a relay holding 10,000 messages, the chat joining it and
// backfilling them all, the panel reopened on that history and then given one more message. Asserts
// only what a user sees (the whole history is there, the new message arrives); how long the backfill
// and the renders took is printed on one WHATSUDP_BENCH line for bench/panel.ts (measure 6), not asserted.
//
// It runs after the chat suite (files run in name order), in the window that suite leaves behind: its
// server stopped, the chat still trying the default relay address. That is where the backfill used
// to crawl (issue G in docs/BENCHMARKS.md): the relay address setting and Reconnect each started a
// join, and the window ended up with two clients under one client id, pushing each other out.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ChatClient, formatAddress, Relay } from '../../src/chat';
import type { ChatItem, ConnectionView } from '../../src/common/messages';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { closeChatTab, extensionApi, reportWhere, Settings, waitFor } from './helpers';

const MESSAGES = 10_000;
/** The backfill takes about half a second here; with issue G it took 25 s and more (up to minutes). */
const BACKFILL_TIMEOUT_MS = 15_000;

describe('WhatsUDP panel scale', function () {
  this.timeout(150_000);
  let api: WhatsUdpApi;
  let relay: Relay | undefined;
  let dana: ChatClient | undefined;
  const settings = new Settings();

  before(async () => {
    api = await extensionApi();
    relay = await Relay.start({
      host: '127.0.0.1',
      port: 0,
      limits: {
        backfillMessages: MESSAGES,
        historyMessages: 2 * MESSAGES,
        memberMessagesPerSecond: 100_000,
        memberBurst: 100_000,
        addressPacketsPerSecond: 1_000_000,
        addressBurst: 1_000_000,
      },
    });
    dana = new ChatClient({ server: relay.address(), name: 'dana' });
    await dana.start();
    for (let i = 1; i <= MESSAGES; i++) dana.send({ kind: 'text', text: `message ${i}` });
    const undelivered = await dana.flush(30_000);
    assert.equal(undelivered.length, 0, `${undelivered.length} of ${MESSAGES} messages were not delivered to the relay`);
  });

  after(async () => {
    await closeChatTab();
    await vscode.commands.executeCommand('whatsudp.clearHistory'); // the next suites start from a short history
    await settings.restore();
    await dana?.close();
    await relay?.close();
  });

  it('the panel shows a 10,000-message history, and one more message after it', async () => {
    await settings.set('name', 'alice');
    await settings.set('history.maxMessages', 2 * MESSAGES);
    await vscode.commands.executeCommand('whatsudp.clearHistory');
    const session = await api.session();
    // Counted as they arrive (reading a 10,000-item snapshot every poll would slow what is measured).
    // The backfill is timed from the moment the session points at the relay (the join starts); the
    // time from writing the setting, which adds VS Code's round trip for it, is reported beside it.
    const address = formatAddress(relay!.address());
    let messages = 0;
    let joinAt: number | undefined;
    let doneAt: number | undefined;
    const count = (items: ChatItem[]) => {
      messages += items.filter((i) => i.type === 'message').length;
      if (messages >= MESSAGES) doneAt ??= performance.now();
    };
    const joining = (c: ConnectionView) => {
      if (c.relay === address) joinAt ??= performance.now();
    };
    session.on('items', count);
    session.on('connection', joining);
    // What a user does: the colleague's address in the setting, then Reconnect (two joins at once).
    const started = performance.now();
    await settings.set('relayAddress', address);
    await vscode.commands.executeCommand('whatsudp.reconnect');
    try {
      await waitFor(`${MESSAGES} messages in the session`, () => doneAt !== undefined, BACKFILL_TIMEOUT_MS).catch((err: Error) => {
        throw new Error(`${err.message}; the session had ${messages} messages and was ${session.connection.state} to ${formatAddress(session.server)}`);
      });
    } finally {
      session.off('items', count);
      session.off('connection', joining);
    }
    assert.equal(session.connection.state, 'connected');
    assert.equal(formatAddress(session.server), formatAddress(relay!.address()));
    assert.equal(session.snapshot().items.filter((i) => i.type === 'message').length, MESSAGES, 'every message once');

    // A fresh webview, so it renders the whole history as one snapshot.
    await closeChatTab();
    await waitFor('the panel to close', () => !api.panel.isOpen);
    await vscode.commands.executeCommand('whatsudp.openChat');
    const snap = await reportWhere(api, 'the whole history in the panel', (r) => r.itemCount >= MESSAGES && r.snapshotRenderMs !== undefined, 30_000);
    assert.ok(snap.itemCount >= MESSAGES, `the panel shows ${snap.itemCount} items`);
    assert.ok(snap.lastRows.includes(`dana: message ${MESSAGES}`), `the last message is at the bottom: ${snap.lastRows.join(' | ')}`);

    dana!.send({ kind: 'text', text: 'one more' });
    const appended = await reportWhere(api, 'the new message in the panel', (r) => r.lastRows.includes('dana: one more') && r.appendRenderMs !== undefined);
    assert.equal(appended.itemCount, snap.itemCount + 1);

    const round = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 100) / 100);
    const backfillMs = doneAt! - (joinAt ?? started);
    const figures = { backfillMs: round(backfillMs), fromSettingMs: round(doneAt! - started), snapshotRenderMs: round(snap.snapshotRenderMs), appendRenderMs: round(appended.appendRenderMs), itemCount: snap.itemCount };
    console.log(`WHATSUDP_BENCH panel ${JSON.stringify(figures)}`);
  });
});
