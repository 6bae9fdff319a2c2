// Issue 8 in the extension: a relay that comes back at its address with another key is not rejoined
// by itself; the window says so with both fingerprints, and rejoins once the user trusts the new key.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RelayKeyChangedError } from '../../src/chat';
import { MemoryStore, newIdentity } from '../../src/chat/identity';
import { ChatSession } from '../../src/extension/chatSession';
import { MemoryHistory } from '../../src/extension/history';
import { nodeCrypto } from '../../src/protocol/crypto';
import { FAST_CLIENT, Harness, until } from './helpers/engine';

const h = new Harness();
after(() => h.close());
const quiet = { info: () => {}, warn: () => {} };

test('a relay back with another key: the session stays out, says both keys, and rejoins once the new one is trusted', async () => {
  const [first, second] = [newIdentity(nodeCrypto).identity, newIdentity(nodeCrypto).identity];
  const a = await h.relay({ key: first.signingKey });
  const port = a.address().port;
  const pins = new MemoryStore();
  const session = await ChatSession.open({ server: a.address(), name: 'alice', storage: new MemoryHistory(), log: quiet, maxMessages: 100, relayPins: pins, timers: FAST_CLIENT });
  h.track(() => session.dispose());
  const changed: RelayKeyChangedError[] = [];
  session.on('relayKeyChanged', (err) => changed.push(err));
  await session.connect();
  await a.close();
  const b = await h.relay({ port, key: second.signingKey });
  await until(() => changed.length > 0, 10_000, 'the key change, on the rejoin');
  assert.deepEqual([changed[0].pinned, changed[0].presented], [first.fingerprint, second.fingerprint]);
  assert.equal(session.connection.state, 'offline');
  session.trustRelayKey(changed[0].presented);
  await session.connect();
  assert.equal(session.connection.state, 'connected');
  assert.ok(b.members().some((m) => m.name === 'alice'));
  assert.ok(((await pins.get()) ?? '').includes(Buffer.from(second.publicKey).toString('base64url')), 'the new key is the pin now');
});
