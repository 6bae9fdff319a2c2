// The chat panel with a long history: a relay holding 10,000 messages, the chat joining it and
// backfilling them all, the panel reopened on that history and then given one more message. Asserts
// only what a user sees (the whole history is there, the new message arrives); the render times the
// webview reports are printed on one WHATSUDP_BENCH line for bench/panel.ts (measure 6), not asserted.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ChatClient, formatAddress, Relay } from '../../src/chat';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { closeChatTab, extensionApi, reportWhere, Settings, waitFor } from './helpers';

const MESSAGES = 10_000;

// The driver of benchmark measure 6 (bench/panel.ts sets WHATSUDP_BENCH_PANEL=1 and runs it alone, in
// a fresh window). It is not part of `npm test`: run there after the other suites, the 10,000-message
// backfill sometimes crawls (two 64-message Resend windows per 5 s, each apparently finishing only
// after a retransmission timeout; see G in docs/BENCHMARKS.md). Until that is understood, a pass or
// fail here would say more about the suites before it than about the panel.
const describeBench = process.env.WHATSUDP_BENCH_PANEL === '1' ? describe : undefined;

describeBench?.('WhatsUDP panel scale', function () {
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
    await settings.set('relayAddress', formatAddress(relay!.address()));
    await vscode.commands.executeCommand('whatsudp.reconnect');
    const session = await api.session();
    await waitFor('the chat to join the relay', () => session.connection.state === 'connected' && formatAddress(session.server) === formatAddress(relay!.address()));
    const messages = () => session.snapshot().items.filter((i) => i.type === 'message').length;
    let seen = '';
    const probe = () => {
      seen = JSON.stringify({ messages: messages(), state: session.connection.state, items: session.snapshot().items.length });
      return messages() >= MESSAGES || undefined;
    };
    await waitFor(`${MESSAGES} messages in the session`, probe, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; the session had ${seen}`);
    });

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
    const figures = { snapshotRenderMs: round(snap.snapshotRenderMs), appendRenderMs: round(appended.appendRenderMs), itemCount: snap.itemCount };
    console.log(`WHATSUDP_BENCH panel ${JSON.stringify(figures)}`);
  });
});
