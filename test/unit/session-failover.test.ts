// Issue 15 in the extension: a window that joined a sealed room by an invite link naming several relays of a
// cluster starts at the first; when that relay is gone, the window's chat goes on at another the link named,
// with its history and nothing lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatSession } from '../../src/extension/chatSession';
import { MemoryHistory } from '../../src/extension/history';
import { nodeCrypto } from '../../src/protocol/crypto';
import { newRoomSecret, roomVerifier } from '../../src/protocol/sealed-room';
import { FAST_CLIENT, until } from './helpers/engine';
import { usingNats } from './helpers/using-nats';

const { h, nats } = usingNats();
const quiet = { info: () => {}, warn: () => {} };
/** The texts of the window's conversation, as its panel shows them. */
const texts = (s: ChatSession): string[] => s.snapshot().items.flatMap((i) => (i.type === 'message' && i.body.kind === 'text' ? [i.body.text] : []));

test("a link's other relays: the window's chat moves to one when its relay is gone, and goes on", async () => {
  const secret = newRoomSecret(nodeCrypto);
  const sealed = { roomVerifier: roomVerifier(nodeCrypto, secret), cluster: { servers: nats.urls } };
  const a = await h.relay(sealed);
  // b tells the cluster an address where nothing answers: the window can reach it only as the link names it.
  const b = await h.relay({ ...sealed, cluster: { ...sealed.cluster, advertise: { host: '127.0.0.1', port: 9 } } });
  const session = await ChatSession.open({ server: a.address(), name: 'ann', storage: new MemoryHistory(), log: quiet, maxMessages: 100, timers: FAST_CLIENT });
  h.track(() => session.dispose());
  // As a clicked link names them: both relays and both keys. (The relays learnt after joining are the
  // engine's own; this is what a window knows before it has joined anything.)
  session.setServer(a.address(), { secret, fingerprints: [a.fingerprint, b.fingerprint], relays: [a.address(), b.address()] });
  await session.connect();
  const bob = await h.client(b.address(), 'bob', { roomSecret: secret });
  bob.client.send({ kind: 'text', text: 'before' });
  await until(() => texts(session).includes('before'), 10_000, "'before' in the window");
  await a.close(); // the window's relay goes away (as a closed laptop's would)
  bob.client.send({ kind: 'text', text: 'after' });
  await until(() => texts(session).includes('after'), 15_000, "'after' in the window, through the other relay");
  assert.equal(session.connection.state, 'connected');
  assert.equal(session.connection.relay, `127.0.0.1:${b.address().port}`, 'the window says which relay it is on now');
  assert.ok(b.members().some((m) => m.name === 'ann'), 'the window is a member at the other relay');
  assert.deepEqual(texts(session), ['before', 'after'], 'each once, in order');
});
