// Issue 8: the member list carries each member's device key, as the member's handshake proved it to
// the relay, so the panel and scripts can tell apart people who share a name, and see two windows of
// one device as one person.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { newIdentity } from '../../src/chat/identity';
import { nodeCrypto } from '../../src/protocol/crypto';
import { Harness, until } from './helpers/engine';

let h: Harness;
afterEach(() => h?.close());

test("every member's fingerprint is its device key's: the same for two runs of one device, another for another device under the same name", async () => {
  h = new Harness();
  const relay = await h.relay();
  const [laptop, other] = [newIdentity(nodeCrypto).identity, newIdentity(nodeCrypto).identity];
  const watcher = await h.client(relay.address(), 'watcher');
  await h.client(relay.address(), 'ann', { identity: laptop });
  await h.client(relay.address(), 'ann', { identity: laptop }); // a second window of the same device
  await h.client(relay.address(), 'ann', { identity: other }); // someone else who picked the name
  await until(() => watcher.client.members.filter((m) => m.name === 'ann').length === 3, 5000, 'the three anns in the member list');
  const anns = watcher.client.members.filter((m) => m.name === 'ann');
  assert.deepEqual(anns.map((m) => m.fingerprint).sort(), [laptop.fingerprint, laptop.fingerprint, other.fingerprint].sort());
  assert.equal(new Set(anns.map((m) => m.id)).size, 3, 'three sessions');
  assert.deepEqual(relay.members().filter((m) => m.name === 'ann').map((m) => m.fingerprint).sort(), anns.map((m) => m.fingerprint).sort(), 'the relay says the same');
});
