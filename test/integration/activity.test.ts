// "ann is typing…" and "Seen by" in the chat panel (issue 13), in a real VS Code: engine clients that
// asked for activity (as a panel does) type and read, and the panel's line under the list says so,
// read back from its DOM through the render report; what the panel's person sees and types reaches
// them. The composer is typed into with real keys (WHATSUDP_KEYS, test/runner/keys.mjs).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ChatClient, formatAddress, Relay, type RoomMessage } from '../../src/chat';
import type { RenderReport } from '../../src/common/messages';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { closeChatTab, extensionApi, reportWhere, resetTheme, screenshot, Settings, sleep, waitFor } from './helpers';

/** A colleague's panel, as far as the room can tell: it asks for activity and records what it hears. */
class ActivePeer {
  readonly client: ChatClient;
  readonly messages: RoomMessage[] = [];
  readonly typing: string[] = [];
  readonly seen: Array<{ id: string; seq: number }> = [];

  constructor(server: { host: string; port: number }, readonly name: string) {
    this.client = new ChatClient({ server, name, activity: true });
    this.client.on('message', (m) => this.messages.push(m));
    this.client.on('typing', (id) => this.typing.push(id));
    this.client.on('seen', (id, seq) => this.seen.push({ id, seq }));
  }

  say(text: string): void {
    this.client.send({ kind: 'text', text });
  }

  /** Waits for its own message to come back sequenced, and returns its seq. */
  async said(text: string): Promise<number> {
    this.say(text);
    const m = await waitFor(`"${text}" back at ${this.name}`, () => this.messages.find((x) => x.text === text));
    return m.seq;
  }
}

function keys(...list: string[]): void {
  console.log(`WHATSUDP_KEYS ${JSON.stringify(list)}`);
}

describe('WhatsUDP panel: who is typing and who has seen', function () {
  this.timeout(90_000);
  let api: WhatsUdpApi;
  let relay: Relay | undefined;
  let me = '';
  const peers: ActivePeer[] = [];
  const settings = new Settings();
  const until = (what: string, check: (r: RenderReport) => boolean) => reportWhere(api, what, check, 15_000);

  before(async () => {
    api = await extensionApi();
    relay = await Relay.start({ host: '127.0.0.1', port: 0 });
    await settings.set('name', 'alice');
    await vscode.commands.executeCommand('whatsudp.clearHistory');
    await settings.set('relayAddress', formatAddress(relay.address()));
    await vscode.commands.executeCommand('whatsudp.reconnect');
    const session = await api.session();
    me = session.clientId;
    await waitFor('the chat to join the test relay', () =>
      session.connection.state === 'connected' && formatAddress(session.server) === formatAddress(relay!.address()));
    for (const name of ['bob', 'ann']) {
      const p = new ActivePeer(relay.address(), name);
      peers.push(p);
      await p.client.start();
    }
    await waitFor('bob and ann in the room', () => ['bob', 'ann'].every((n) => session.members.some((m) => m.name === n)));
  });

  after(async () => {
    await closeChatTab();
    await vscode.commands.executeCommand('whatsudp.clearHistory');
    await settings.restore();
    await resetTheme();
    for (const p of peers) await p.client.close();
    await relay?.close();
  });

  it('a message shown in the open panel is seen: the others hear how far alice has seen', async () => {
    const [bob] = peers;
    await vscode.commands.executeCommand('whatsudp.openChat');
    const seq = await bob.said('is the build green?');
    await until('the message in the panel', (r) => r.lastRows.includes('bob: is the build green?'));
    console.log(`window focused: ${vscode.window.state.focused}`);
    await waitFor("alice's read at bob", () => bob.seen.some((s) => s.id === me && s.seq >= seq));
  });

  it('"bob is typing…" shows under the list, names two typists, goes when their message arrives and fades by itself', async () => {
    const [bob, ann] = peers;
    bob.client.typing();
    await until('bob typing', (r) => r.typing === 'bob is typing…');
    ann.client.typing();
    await until('both typing', (r) => r.typing === 'bob and ann are typing…');
    await screenshot('typing-dark', 'Default Dark Modern');
    bob.say('yes, all green');
    const r = await until("bob's message", (x) => x.lastRows.includes('bob: yes, all green'));
    assert.equal(r.typing, 'ann is typing…', 'bob is done typing the moment his message shows');
    await until('ann faded after a few seconds', (x) => x.typing === '');
  });

  it('"Seen by" under the newest message names the members who have seen it, with all of them in its tooltip', async () => {
    const [bob, ann] = peers;
    const session = await api.session();
    session.send('merging now');
    await until('my message in the panel', (r) => r.lastRows.includes('alice: merging now'));
    const seq = await waitFor('my message sequenced at bob', () => bob.messages.find((m) => m.text === 'merging now')?.seq);
    await until('nobody has seen it yet', (x) => x.seenBy === undefined);
    let r: RenderReport;
    bob.client.seen(seq);
    r = await until('seen by bob', (x) => x.seenBy?.text === 'Seen by bob');
    assert.equal(r.seenBy!.title, 'Seen by bob');
    ann.client.seen(seq);
    r = await until('seen by both', (x) => /^Seen by (bob, ann|ann, bob)$/.test(x.seenBy?.text ?? ''));
    assert.equal(r.seenBy!.title, r.seenBy!.text);
    await screenshot('seen-by-dark', 'Default Dark Modern');
    await screenshot('seen-by-light', 'Default Light Modern');
    bob.say('thanks');
    await until("the line follows the newest message (bob's): ann has not seen it", (x) => x.lastRows.includes('bob: thanks') && x.seenBy === undefined);
  });

  it('typing in the composer tells the others; with whatsudp.readReceipts off, what alice sees is not told', async function () {
    // Only a runner that presses keys can type (the code-server runner sets WHATSUDP_KEYS).
    if (process.env.WHATSUDP_KEYS !== '1') this.skip();
    const [bob] = peers;
    await vscode.commands.executeCommand('whatsudp.openChat');
    await until('the composer focused', (r) => r.focus === 'composer');
    const before = bob.typing.length;
    keys('type:on my way');
    await waitFor("alice's typing at bob", () => bob.typing.slice(before).includes(me));
    await until('the draft typed', (r) => r.draft === 'on my way');
    keys('Enter');

    await settings.set('readReceipts', false);
    const heard = bob.seen.length;
    const seq = await bob.said('one more');
    await until('the message in the panel', (x) => x.lastRows.includes('bob: one more'));
    await sleep(1500); // a read would have come back by now (it did within this in the first test)
    assert.deepEqual(bob.seen.slice(heard).filter((s) => s.id === me && s.seq >= seq), [], 'no read told');
  });
});
