// Issue 9 in the extension, the parts that run without VS Code: a clicked vscode:// link read back as
// the link it was, the question a clicked link asks (naming the room, the relay and its key), what
// Start Server says about who can join, and a ChatSession pointed at a sealed relay with the room's
// keys (setServer) joins it, and without them stays out with the relay's reason and does not retry.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError } from '../../src/chat';
import { ChatSession, type Logger } from '../../src/extension/chatSession';
import { MemoryHistory } from '../../src/extension/history';
import { joinQuestion, linkFromUri, serverRunning } from '../../src/extension/inviteLinks';
import { nodeCrypto } from '../../src/protocol/crypto';
import { displayFingerprint, fingerprint } from '../../src/protocol/fingerprint';
import { formatVscodeInvite, parseInvite } from '../../src/protocol/invite';
import { newRoomSecret, roomVerifier } from '../../src/protocol/sealed-room';
import { FAST_CLIENT, Harness } from './helpers/engine';

const fp = fingerprint(nodeCrypto, new Uint8Array(32).fill(3));
const invite = { relays: [{ host: '192.0.2.7', port: 2410 }], room: 'main', fingerprints: [fp], secret: new Uint8Array(32).fill(9) };

describe('invite links in the extension', () => {
  test('a clicked vscode:// link, as the URI handler gets it (query and fragment decoded), reads back as the same invite', () => {
    const link = formatVscodeInvite(invite, 'vscode-insiders');
    const u = new URL(link);
    const parts = { scheme: 'vscode-insiders', authority: u.host, path: u.pathname, query: decodeURIComponent(u.search.slice(1)), fragment: u.hash.slice(1) };
    assert.deepEqual(parseInvite(linkFromUri(parts)), invite);
  });

  test('the question before joining names the room, the relay and its key, and says what a link is', () => {
    const q = joinQuestion(invite);
    assert.ok(q.includes(`the sealed room "main" on the relay at 192.0.2.7:2410, whose key is ${displayFingerprint(fp)}?`), q);
    assert.match(q, /whoever has this link can join and read the room/);
    assert.match(joinQuestion({ ...invite, fingerprints: [] }), /whose key the link does not name/);
  });

  test('Start Server says who can join: a sealed room by its link, an open one by its address and why it is open', () => {
    const lives = 'The room lives as long as this window.';
    assert.match(serverRunning({ sealed: true, shared: true, legacy: false, addresses: ['192.0.2.7:2410'] }, lives), /a sealed room\. Colleagues join with its invite link/);
    const open = serverRunning({ sealed: false, shared: true, legacy: true, addresses: ['192.0.2.7:2410'] }, lives);
    assert.match(open, /an open room \(whatsudp\.legacy\.enabled is on, and the original chat has no invite links\), so anyone on this network can join at 192\.0\.2\.7:2410/);
    assert.match(serverRunning({ sealed: false, shared: false, legacy: false, addresses: ['127.0.0.1:2410'] }, lives), /for this machine only \(an open room/);
  });
});

describe('a ChatSession and a sealed relay', () => {
  const h = new Harness();
  afterEach(() => h.close());
  const log: Logger = { info: () => undefined, warn: () => undefined };

  async function session(server: { host: string; port: number }) {
    const s = await ChatSession.open({ server, name: 'ann', storage: new MemoryHistory(), log, maxMessages: 100, timers: FAST_CLIENT });
    h.track(() => s.dispose());
    return s;
  }

  test("joins with the room's keys; without them it is refused with the reason and stays out", async () => {
    const secret = newRoomSecret(nodeCrypto);
    const relay = await h.relay({ roomVerifier: roomVerifier(nodeCrypto, secret) });
    const outsider = await session(relay.address());
    const err = await outsider.connect().then(
      () => assert.fail('joined without the link'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChatError && err.code === 'REFUSED' && /this room is sealed: you need its invite link/.test(err.message), String(err));
    assert.equal(outsider.connection.state, 'offline');

    const member = await session(relay.address());
    member.setServer(relay.address(), { secret, fingerprints: [relay.fingerprint] });
    await member.connect();
    assert.equal(member.connection.state, 'connected');
    assert.equal(relay.members().length, 1);
  });

  test("the link's key fingerprint is checked: a relay with another key is not joined", async () => {
    const secret = newRoomSecret(nodeCrypto);
    const relay = await h.relay({ roomVerifier: roomVerifier(nodeCrypto, secret) });
    const s = await session(relay.address());
    s.setServer(relay.address(), { secret, fingerprints: [fp] });
    const err = await s.connect().then(
      () => assert.fail('joined a relay whose key the link does not name'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChatError && err.code === 'RELAY_KEY_CHANGED', String(err));
  });
});
