// Search and mention autocomplete in the chat panel, driven by real keys: the runner presses what a
// test prints on a WHATSUDP_KEYS line (test/runner/keys.mjs) wherever the focus is, so Ctrl+F has to
// get through VS Code to the webview as a user's does. What the panel then shows is read back from
// its DOM through the render report (the search box's count, the current hit's row, its marks, the
// composer's text and the names offered).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { formatAddress, Relay } from '../../src/chat';
import type { RenderReport } from '../../src/common/messages';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { closeChatTab, extensionApi, Peer, reportWhere, resetTheme, screenshot, Settings, waitFor } from './helpers';

/** Rows of filler between the two hits: far more than the panel draws around the view. */
const FILLER = 300;
/** Messages added for the last test: search is on the data, so this many must stay quick. */
const BULK = 10_000;
const round = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 100) / 100);

/** Has the runner press `keys` in the page ("type:text" types text); see test/runner/keys.mjs. */
function keys(...list: string[]): void {
  console.log(`WHATSUDP_KEYS ${JSON.stringify(list)}`);
}

describe('WhatsUDP panel search and mentions', function () {
  this.timeout(90_000);
  let api: WhatsUdpApi;
  let relay: Relay | undefined;
  const peers: Peer[] = [];
  const settings = new Settings();
  const until = (what: string, check: (r: RenderReport) => boolean) => reportWhere(api, what, check, 15_000);

  before(async function () {
    // Only a runner that presses keys can drive this suite (the code-server runner sets WHATSUDP_KEYS).
    if (process.env.WHATSUDP_KEYS !== '1') this.skip();
    api = await extensionApi();
    relay = await Relay.start({ host: '127.0.0.1', port: 0, limits: { memberMessagesPerSecond: 10_000, memberBurst: 10_000 } });
    await settings.set('name', 'alice');
    await vscode.commands.executeCommand('whatsudp.clearHistory');
    await settings.set('relayAddress', formatAddress(relay.address()));
    await vscode.commands.executeCommand('whatsudp.reconnect');
    const session = await api.session();
    await waitFor('the chat to join the test relay', () =>
      session.connection.state === 'connected' && formatAddress(session.server) === formatAddress(relay!.address()));
    const bob = await new Peer(relay.address(), 'bob').start();
    const ann = await new Peer(relay.address(), 'Ann Lee').start();
    peers.push(bob, ann);
    await waitFor('bob and Ann Lee in the room', () => ['bob', 'Ann Lee'].every((n) => session.members.some((m) => m.name === n)));
    bob.say('the Deploy key is in vault 7');
    for (let i = 1; i <= FILLER; i++) bob.say(`filler line ${i}`);
    bob.say('last deploy went fine');
    assert.deepEqual(await bob.client.flush(20_000), [], 'every message reached the relay');
    await waitFor('all messages in the session', () => session.snapshot().items.filter((i) => i.type === 'message').length >= FILLER + 2, 20_000);
  });

  after(async () => {
    await closeChatTab();
    await vscode.commands.executeCommand('whatsudp.clearHistory');
    await settings.restore();
    await resetTheme();
    for (const p of peers) await p.close();
    await relay?.close();
  });

  it('Ctrl+F searches the whole history: a hit far above the drawn rows is scrolled to, drawn and marked', async () => {
    await vscode.commands.executeCommand('whatsudp.openChat');
    await until('the history in the panel, the composer focused', (r) => r.itemCount >= FILLER + 2 && r.focus === 'composer');

    keys('Control+f');
    await until('the search box open and focused', (r) => r.search?.open === true && r.focus === 'search');
    // The panel opens at the first unread message (all 302 arrived while it was closed), so the
    // search starts from the hit at the top, and the newest one is 300 rows below, not drawn.
    // The search runs once typing pauses, maybe before the last key (on a busy machine): wait for the
    // marks of the whole word.
    keys('type:DEPLOY');
    const marked = (x: RenderReport, word: string) => x.search?.current?.inView === true && x.search.current.marks.join() === word;
    let r = await until('two hits, the one in view current, its word marked in its own case', (x) => x.search?.counter === '1 of 2' && marked(x, 'Deploy'));
    assert.equal(r.search!.current!.text, 'bob: the Deploy key is in vault 7');
    assert.equal(r.search!.heard, '1 of 2 matching messages: bob: the Deploy key is in vault 7', 'a screen reader hears the count and the hit');

    keys('Enter'); // next: 300 rows down, never drawn until now
    r = await until('the newest hit current and in view', (x) => x.search?.counter === '2 of 2' && x.search.current?.inView === true);
    assert.equal(r.search!.current!.text, 'bob: last deploy went fine');
    assert.deepEqual(r.search!.current!.marks, ['deploy']);
    await screenshot('search-dark', 'Default Dark Modern');
    await screenshot('search-light', 'Default Light Modern');

    keys('Shift+F3'); // previous, then next again with F3
    await until('Shift+F3 goes back to the first hit', (x) => x.search?.counter === '1 of 2' && x.search.current?.inView === true);
    keys('F3');
    await until('F3 goes to the next hit', (x) => x.search?.counter === '2 of 2' && x.search.current?.inView === true);
    peers[0].say('deploy again tomorrow');
    r = await until('a new matching message counted', (x) => x.search?.counter === '2 of 3');
    assert.equal(r.search!.current!.text, 'bob: last deploy went fine', 'an arrival does not move the current hit');

    keys('Escape');
    r = await until('Escape closes the search and gives the keyboard back to the composer', (x) => x.search?.open === false && x.focus === 'composer');
    assert.equal(r.search!.current, undefined, 'no row stays marked');
  });

  it('typing "@" offers member names; Up/Down choose, Tab and Enter insert, Escape closes, and Enter sends once the list is closed', async () => {
    await vscode.commands.executeCommand('whatsudp.openChat'); // the keyboard to the composer
    await until('the composer focused', (r) => r.focus === 'composer');
    keys('type:hi @an');
    await until('Ann Lee offered', (r) => JSON.stringify(r.mentions) === JSON.stringify(['Ann Lee']));
    await screenshot('mention-dark', 'Default Dark Modern');
    await screenshot('mention-light', 'Default Light Modern');
    keys('Tab');
    await until('the name inserted', (r) => r.draft === 'hi @Ann Lee ' && r.mentions?.length === 0);
    keys('type:and @');
    await until('everyone else offered', (r) => JSON.stringify(r.mentions) === JSON.stringify(['Ann Lee', 'bob']));
    keys('ArrowDown', 'Enter'); // Enter accepts while the list is open
    await until('bob inserted, nothing sent', (r) => r.draft === 'hi @Ann Lee and @bob ' && r.mentions?.length === 0);
    keys('type:look @');
    await until('the list open again', (r) => r.mentions?.length === 2);
    keys('Escape');
    await until('Escape closes the list and keeps the text', (r) => r.mentions?.length === 0 && r.draft === 'hi @Ann Lee and @bob look @');
    keys('Backspace', 'Backspace', 'Enter');
    const ann = peers[1];
    await waitFor('Ann Lee to receive the message', () => ann.texts().includes('alice: hi @Ann Lee and @bob look'));
    await until('the composer empty again', (r) => r.draft === '');
  });

  it('searches 10,000 more messages: every hit counted, the next one drawn and marked; the time goes to the bench line', async () => {
    await settings.set('history.maxMessages', 20_000);
    const bob = peers[0];
    const before = (await api.panel.inspect()).itemCount;
    for (let i = 1; i <= BULK; i++) bob.say(i % 1000 === 0 ? `bulk ${i} quartz` : `bulk ${i}`);
    assert.deepEqual(await bob.client.flush(30_000), [], 'every message reached the relay');
    await reportWhere(api, `${BULK} more messages in the panel`, (r) => r.itemCount >= before + BULK, 30_000);

    keys('Control+f', 'type:Quartz'); // the box opens with the last query selected: typing replaces it
    const first = await until('ten hits, one current, drawn and marked', (r) =>
      /^\d+ of 10$/.test(r.search?.counter ?? '') && r.search?.current?.inView === true && r.search.current.marks.join() === 'quartz');
    const n = Number(first.search!.counter.split(' ')[0]);
    keys('Enter');
    const next = await until('the next hit', (r) => r.search?.counter === `${(n % 10) + 1} of 10` && r.search.current?.inView === true);
    assert.match(next.search!.current!.text, /^bob: bulk \d+000 quartz$/);
    console.log(`WHATSUDP_BENCH search ${JSON.stringify({ items: next.itemCount, typedMs: round(first.search!.ms), stepMs: round(next.search!.ms) })}`);
    keys('Escape');
    await until('the search closed', (r) => r.search?.open === false);
  });
});

