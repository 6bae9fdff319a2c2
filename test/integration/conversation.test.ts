// Replies, reactions, edits and deletes in the chat panel (issue 13), driven by real keys (the runner
// presses what a WHATSUDP_KEYS line asks, wherever the focus is: test/runner/keys.mjs) and read back
// from the panel's DOM through its render report. The other members are engine clients; what they
// read is worked out by the same rules as every reader's (src/common/thread.ts).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { formatAddress, Relay } from '../../src/chat';
import type { RenderReport, RowDetail } from '../../src/common/messages';
import { Thread } from '../../src/common/thread';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { closeChatTab, extensionApi, Peer, reportWhere, resetTheme, screenshot, Settings, waitFor } from './helpers';

/** Messages between the original and the newest, so the original is far from the drawn rows. */
const FILLER = 80;

function keys(...list: string[]): void {
  console.log(`WHATSUDP_KEYS ${JSON.stringify(list)}`);
}

/** What `peer` reads of the message at `seq`, by the rules every reader uses. */
function readAt(peer: Peer, seq: number) {
  const t = new Thread();
  for (const m of peer.messages) t.add({ seq: m.seq, sender: m.sender, verified: m.verified, body: m });
  return t.get(seq);
}

describe('WhatsUDP panel replies, reactions, edits and deletes', function () {
  this.timeout(120_000);
  let api: WhatsUdpApi;
  let relay: Relay | undefined;
  let bob: Peer;
  let eve: Peer;
  const settings = new Settings();
  const until = (what: string, check: (r: RenderReport) => boolean) => reportWhere(api, what, check, 15_000);
  const detail = (r: RenderReport, text: string): RowDetail | undefined => {
    const i = r.lastRows.indexOf(text);
    return i < 0 ? undefined : r.lastDetails?.[i];
  };
  const seqOf = (peer: Peer, text: string) => waitFor(`"${text}" at a peer`, () => peer.messages.find((m) => m.text === text)?.seq);

  before(async function () {
    if (process.env.WHATSUDP_KEYS !== '1') this.skip(); // only a runner that presses keys can drive it
    api = await extensionApi();
    relay = await Relay.start({ host: '127.0.0.1', port: 0, limits: { memberMessagesPerSecond: 10_000, memberBurst: 10_000 } });
    await settings.set('name', 'alice');
    await vscode.commands.executeCommand('whatsudp.clearHistory');
    await settings.set('relayAddress', formatAddress(relay.address()));
    await vscode.commands.executeCommand('whatsudp.reconnect');
    const session = await api.session();
    await waitFor('the chat to join the test relay', () =>
      session.connection.state === 'connected' && formatAddress(session.server) === formatAddress(relay!.address()));
    bob = await new Peer(relay.address(), 'bob').start();
    eve = await new Peer(relay.address(), 'eve').start();
    await waitFor('bob and eve in the room', () => ['bob', 'eve'].every((n) => session.members.some((m) => m.name === n)));
    bob.say('ship it today?');
    bob.say('lunch?');
    await vscode.commands.executeCommand('whatsudp.openChat');
    await until('the composer focused, bob\'s messages shown', (r) => r.focus === 'composer' && r.lastRows.includes('bob: lunch?'));
  });

  after(async () => {
    await closeChatTab();
    await vscode.commands.executeCommand('whatsudp.clearHistory');
    await settings.restore();
    await resetTheme();
    for (const p of [bob, eve]) await p?.close();
    await relay?.close();
  });

  it('Reply from the keyboard: the composer says to whom, the reply quotes the original, and bob gets a reply', async () => {
    keys('Alt+ArrowUp'); // into the list: the newest row
    await until('the newest row has the keyboard', (r) => r.focusedRow?.text === 'bob: lunch?');
    keys('ArrowUp', 'r');
    let r = await until('the composer replying to bob', (x) => x.composerContext === 'Replying to bob: ship it today?' && x.focus === 'composer');
    assert.deepEqual(detail(r, 'bob: ship it today?')?.actions, ['react', 'reply'], "bob's message offers no Edit or Delete to alice");
    keys('type:yes, after the review', 'Enter');
    const original = await seqOf(bob, 'ship it today?');
    const reply = await waitFor('bob to get the reply', () => bob.messages.find((m) => m.text === 'yes, after the review'));
    assert.equal(reply.kind === 'text' && reply.replyTo, original, 'it answers the message alice picked');
    r = await until('the reply quoting the original, the composer plain again', (x) =>
      detail(x, 'alice: yes, after the review')?.quote === 'bob: ship it today?' && x.composerContext === '');
    assert.deepEqual(detail(r, 'alice: yes, after the review')?.actions, ['react', 'reply', 'edit', 'delete']);
  });

  it('clicking a quote scrolls to the original, far above the drawn rows', async () => {
    const original = await seqOf(bob, 'ship it today?');
    for (let i = 1; i <= FILLER; i++) bob.say(`filler ${i}`);
    assert.deepEqual(await bob.client.flush(20_000), [], 'the filler reached the relay (eve\'s reply comes after it)');
    eve.client.send({ kind: 'text', text: 'agreed, ship it', replyTo: original });
    await until('eve\'s reply at the bottom', (r) => detail(r, 'eve: agreed, ship it')?.quote === 'bob: ship it today?');
    keys('Alt+ArrowUp');
    await until('eve\'s reply has the keyboard', (r) => r.focusedRow?.text === 'eve: agreed, ship it');
    keys('Enter'); // what a click on its quote does
    const r = await until('the original drawn, in view and focused', (x) => x.focusedRow?.text === 'bob: ship it today?' && x.focusedRow.inView);
    assert.equal(r.focusedRow!.key, `s:${original}`);
  });

  it('React: the picker adds a chip with a count, the tooltip names who; picking it again takes it back', async () => {
    const original = await seqOf(bob, 'ship it today?');
    keys('type:+'); // the original still has the keyboard
    await until('the picker open', (r) => r.popover === 'Pick a reaction');
    keys('Enter'); // 👍, the first
    await waitFor('bob to get alice\'s 👍', () => readAt(bob, original)?.reactions.some((x) => x.emoji === '👍' && x.names.includes('alice')));
    eve.client.send({ kind: 'reaction', text: '', to: original, emoji: '👍', remove: false });
    const r = await until('one chip, 👍 2, alice\'s own', (x) =>
      JSON.stringify(x.focusedRow?.detail.reactions) === JSON.stringify([{ label: '👍2', title: 'alice and eve reacted with 👍', pressed: true }]));
    assert.equal(r.focusedRow?.text, 'bob: ship it today?', 'the row kept the keyboard while it was redrawn');
    await screenshot('conversation-dark', 'Default Dark Modern');
    await screenshot('conversation-light', 'Default Light Modern');
    keys('type:+', 'Enter'); // 👍 is pressed: picking it takes alice's back
    await until('the chip down to eve', (x) => JSON.stringify(x.focusedRow?.detail.reactions) === JSON.stringify([{ label: '👍1', title: 'eve reacted with 👍', pressed: false }]));
    await waitFor('bob to see alice\'s 👍 gone', () => readAt(bob, original)?.reactions.map((x) => x.names.join()).join() === 'eve');

    // A name and a reaction word that are markup stay text, in the chip, its tooltip and its label.
    const mallory = await new Peer(relay!.address(), '<img src=x onerror=alert(1)>').start();
    try {
      mallory.client.send({ kind: 'reaction', text: '', to: original, emoji: '<script>', remove: false });
      const hostile = await until('the hostile chip, as text', (x) =>
        x.focusedRow?.detail.reactions.some((c) => c.label === '<script>1' && c.title === '<img src=x onerror=alert(1)> reacted with <script>') === true);
      assert.equal(hostile.activeContent, 0, 'nothing in the panel can run script');
    } finally {
      await mallory.close();
    }
  });

  it('Edit your own message (Up in an empty composer); bob edits his: both show edited, at bob too', async () => {
    keys('Escape'); // back to the composer
    await until('the composer focused', (r) => r.focus === 'composer');
    keys('type:see you at the review', 'Enter');
    await until('the message sequenced, so it can be edited', (r) => !!detail(r, 'alice: see you at the review')?.actions.includes('edit'));
    bob.say('one more thing'); // the newest row is not alice's: Up finds her last one anyway
    await until('bob\'s new line', (r) => r.lastRows.includes('bob: one more thing'));
    keys('ArrowUp');
    await until('editing it', (r) => r.composerContext === 'Editing your message' && r.draft === 'see you at the review');
    keys(...Array<string>('the review'.length).fill('Backspace'), 'type:lunch', 'Enter');
    const mine = await seqOf(bob, 'see you at the review');
    await waitFor('bob to read the edit', () => readAt(bob, mine)?.text === 'see you at lunch' && readAt(bob, mine)?.edited);
    await until('alice\'s row edited, the composer empty', (x) => detail(x, 'alice: see you at lunch')?.edited === true && x.draft === '');
    const his = await seqOf(bob, 'one more thing');
    const before = (await api.panel.inspect()).itemCount;
    bob.client.send({ kind: 'edit', text: 'one more thing: lunch at 1', to: his });
    eve.client.send({ kind: 'edit', text: 'eve was here', to: his }); // not hers: nothing shows
    eve.say('sync');
    const r = await until('bob\'s edit shown, eve\'s not', (x) => x.lastRows.includes('eve: sync') && detail(x, 'bob: one more thing: lunch at 1')?.edited === true);
    assert.ok(!r.lastRows.some((t) => t.includes('eve was here')));
    assert.equal(r.itemCount, before + 1, 'one row more (sync): none for an edit, taken or not');
  });

  it('Delete your own message after confirming: "This message was deleted." here and at bob', async () => {
    keys('type:oops, wrong room', 'Enter');
    await until('the message sequenced, so it can be deleted', (r) => r.lastRows.at(-1) === 'alice: oops, wrong room' && !!r.lastDetails?.at(-1)?.actions.includes('delete'));
    keys('Alt+ArrowUp', 'End'); // the list may be scrolled up (the quote above): End is the newest
    await until('it has the keyboard', (r) => r.focusedRow?.text === 'alice: oops, wrong room');
    keys('Delete');
    await until('the confirmation open', (r) => r.popover === 'Delete this message for everyone?');
    await screenshot('conversation-delete-dark', 'Default Dark Modern');
    keys('Enter');
    const seq = await seqOf(bob, 'oops, wrong room');
    await waitFor('bob to read it deleted', () => readAt(bob, seq)?.deleted);
    const r = await until('the row deleted', (x) => detail(x, 'alice: This message was deleted.')?.deleted === true);
    assert.deepEqual(detail(r, 'alice: This message was deleted.')?.actions, [], 'nothing more to do with it');
    assert.equal(r.activeContent, 0);
  });

  it('a reply to a message older than the history kept says so when its quote is clicked', async () => {
    const original = await seqOf(bob, 'ship it today?');
    await vscode.commands.executeCommand('whatsudp.clearHistory');
    eve.client.send({ kind: 'text', text: 'about that first one', replyTo: original });
    await until('the reply with a quote of what is not kept', (r) =>
      detail(r, 'eve: about that first one')?.quote === 'Replying to a message older than the history kept here');
    await vscode.commands.executeCommand('whatsudp.openChat');
    await until('the composer has the keyboard', (r) => r.focus === 'composer'); // else the keys go elsewhere
    keys('Alt+ArrowUp');
    await until("eve's reply has the keyboard", (r) => r.focusedRow?.text === 'eve: about that first one');
    keys('Enter');
    await until('the panel saying so', (r) => r.toast === 'That message is older than the history kept here.');
  });
});
