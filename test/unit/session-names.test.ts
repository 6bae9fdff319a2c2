// Issue 8 in the extension: names are labels, keys are identity. A name the window has seen before
// under another device key is flagged in the member list and said in the conversation; the same
// person's device again is not.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberView } from '../../src/common/messages';
import { newIdentity } from '../../src/chat/identity';
import { ChatSession } from '../../src/extension/chatSession';
import { MemoryHistory } from '../../src/extension/history';
import { nodeCrypto } from '../../src/protocol/crypto';
import { FAST_CLIENT, Harness, sleep, until } from './helpers/engine';

const h = new Harness();
after(() => h.close());
const quiet = { info: () => {}, warn: () => {} };

test('a known name under a new key is flagged in the member list and said once in the conversation', async () => {
  const relay = await h.relay();
  let pinned = '';
  const memberPins = { where: 'memory', get: () => Promise.resolve(pinned || undefined), set: (v: string) => Promise.resolve(void (pinned = v)) };
  const session = await ChatSession.open({ server: relay.address(), name: 'alice', storage: new MemoryHistory(), log: quiet, maxMessages: 100, memberPins, timers: FAST_CLIENT });
  h.track(() => session.dispose());
  let members: MemberView[] = [];
  const notices: string[] = [];
  session.on('members', (list) => (members = list));
  session.on('items', (items) => notices.push(...items.flatMap((i) => (i.type === 'notice' ? [i.text] : []))));
  await session.connect();
  const [annKey, otherKey] = [newIdentity(nodeCrypto).identity, newIdentity(nodeCrypto).identity];
  const visit = async (identity: typeof annKey) => {
    const ann = await h.client(relay.address(), 'ann', { identity });
    await until(() => members.some((m) => m.id === ann.client.clientId), 5000, 'ann in the member list');
    return ann;
  };
  const first = await visit(annKey);
  await until(() => pinned.includes(' seen ann'), 5000, 'ann pinned to her key');
  await first.client.close();
  const other = await visit(otherKey);
  await until(() => members.some((m) => m.id === other.client.clientId && m.newKey === true), 5000, 'the other ann flagged');
  assert.equal(notices.filter((n) => /ann is using a key not seen with that name before/.test(n)).length, 1, notices.join('\n'));
  assert.ok(notices.some((n) => n.includes(otherKey.fingerprint.slice(0, 4)) && n.includes(annKey.fingerprint.slice(0, 4))));
  await other.client.close();
  const again = await visit(annKey);
  await sleep(200); // the check runs as the member list arrives: give it time to (wrongly) flag her
  assert.notEqual(members.find((m) => m.id === again.client.clientId)?.newKey, true, 'the real ann is not flagged');
});
