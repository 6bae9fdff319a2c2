// Typing and "seen" as the extension's window carries them (issue 13): what reaches the other
// window's panel, what its snapshot keeps for a panel that loads later, that a new client says again
// how far its person has seen, and that a member who leaves is forgotten. Two ChatSessions on a real
// relay on 127.0.0.1.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SeenView } from '../../src/common/messages';
import { ChatSession } from '../../src/extension/chatSession';
import { MemoryHistory } from '../../src/extension/history';
import { FAST_CLIENT, Harness, until } from './helpers/engine';

let h: Harness | undefined;
afterEach(() => h?.close());

async function window(server: { host: string; port: number }, name: string) {
  const log = { info: () => undefined, warn: () => undefined };
  const session = await ChatSession.open({ server, name, storage: new MemoryHistory(), log, maxMessages: 500, timers: FAST_CLIENT });
  h!.track(() => session.dispose());
  const typing: string[] = [];
  const seen: SeenView[] = [];
  session.on('typing', (id) => typing.push(id));
  session.on('seen', (id, seq) => seen.push({ id, seq }));
  await session.connect();
  return { session, typing, seen };
}

test("a window's typing and what its person has seen reach the other window, its snapshot keeps the reads, and a reconnect says them again", async () => {
  h = new Harness();
  const relay = await h.relay();
  const ann = await window(relay.address(), 'ann');
  const bob = await window(relay.address(), 'bob');
  await until(() => ann.session.members.length === 2 && bob.session.members.length === 2, 5000, 'both in the room');
  for (const t of ['one', 'two', 'three']) ann.session.send(t);
  await until(() => bob.session.snapshot().items.length === 3, 5000, "ann's messages at bob");

  bob.session.typing();
  bob.session.typing(); // within the second: nothing more
  await until(() => ann.typing.length === 1, 3000, "bob's typing at ann");
  assert.deepEqual(ann.typing, [bob.session.clientId]);

  bob.session.seen(2);
  await until(() => ann.seen.length === 1, 3000, "bob's read at ann");
  assert.deepEqual(ann.session.snapshot().seen, [{ id: bob.session.clientId, seq: 2 }], 'a panel that loads now learns it from the snapshot');
  assert.deepEqual(bob.session.snapshot().seen, [], 'a window does not hear its own reads');

  await bob.session.connect(); // Reconnect: a new client, which says again how far bob has seen
  await until(() => bob.session.connection.state === 'connected', 5000, 'bob back');
  const cy = await window(relay.address(), 'cy');
  await until(() => cy.seen.some((s) => s.id === bob.session.clientId), 5000, "bob's read at cy, who joined after bob's reconnect");
  assert.deepEqual(cy.session.snapshot().seen, [{ id: bob.session.clientId, seq: 2 }]);

  const bobId = bob.session.clientId;
  await bob.session.dispose(); // bob leaves: the relay forgets his reads, and so does ann's window
  await until(() => ann.session.members.some((m) => m.name === 'cy') && !ann.session.members.some((m) => m.id === bobId), 5000, 'bob gone at ann');
  assert.deepEqual(ann.session.snapshot().seen, [], 'bob left: his read is forgotten');
});
