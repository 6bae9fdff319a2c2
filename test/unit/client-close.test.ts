// A client closed while it is still opening its socket must not join after all: a window that
// replaced its client would otherwise keep a zombie member that pushes the new one out of the room.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ChatClient, ChatError } from '../../src/chat';
import { FAST_CLIENT, Harness } from './helpers/engine';

const h = new Harness();
after(() => h.close());

test('a client closed before its socket opened never joins the room', { timeout: 10_000 }, async () => {
  const relay = await h.relay();
  const client = new ChatClient({ server: relay.address(), name: 'zombie', timers: FAST_CLIENT });
  const started = client.start();
  await client.close();
  await assert.rejects(started, (err: unknown) => err instanceof ChatError && err.code === 'CLOSED');
  // Give a stray Hello time to arrive, then look: nobody joined.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(relay.members(), []);
});
