// Joining from the extension's side (issue G in docs/BENCHMARKS.md): the window joins through one
// ChatSession, and connect() is called from several places that can overlap (a changed relay address,
// the Reconnect command, Start/Stop Server, the retry timer). However they overlap, the window must
// end up in the room as one client: a second client with the same client id pushes the first one
// out of the room, over and over, and a 10,000-message backfill then took minutes instead of 0.3 s.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import type { Address } from '../../src/chat';
import { ChatSession } from '../../src/extension/chatSession';
import { MemoryHistory, type PersistedState } from '../../src/extension/history';
import { Harness, until } from './helpers/engine';

const MESSAGES = 2000;
const h = new Harness();
after(() => h.close());

/** UDP sockets this process holds open. */
const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
const quiet = { info: () => {}, warn: () => {} };

/** A relay holding MESSAGES messages from dana, the way a busy room looks to a window that joins late. */
async function busyRoom(): Promise<Address> {
  const relay = await h.relay({ limits: { backfillMessages: MESSAGES, memberMessagesPerSecond: 100_000, memberBurst: 100_000 } });
  const dana = await h.client(relay.address(), 'dana');
  for (let i = 1; i <= MESSAGES; i++) dana.client.send({ kind: 'text', text: `message ${i}` });
  assert.deepEqual(await dana.client.flush(20_000), [], 'the relay took every message');
  return relay.address();
}

/** Something that listens and never answers: a relay that is gone, as a join sees it. */
async function silentRelay(): Promise<{ address: Address; heard: () => number }> {
  const socket = dgram.createSocket('udp4');
  let heard = 0;
  socket.on('message', () => heard++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  h.track(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { address: { host: '127.0.0.1', port: socket.address().port }, heard: () => heard };
}

/** The session as App.createSession makes it (the engine's own timers), and what it shows. */
async function openSession(server: Address): Promise<{ session: ChatSession; messages: () => number }> {
  // Opened before its socket count is taken by the caller; disposed by the harness if a test fails midway.
  const session = await ChatSession.open({ server, name: 'alice', storage: new MemoryHistory(), log: quiet, maxMessages: 2 * MESSAGES });
  h.track(() => session.dispose());
  let messages = 0;
  session.on('items', (items) => (messages += items.filter((i) => i.type === 'message').length));
  return { session, messages: () => messages };
}

async function assertOneClientThenNone(session: ChatSession, messages: () => number, baseline: number): Promise<void> {
  await until(() => messages() >= MESSAGES, 20_000, `all ${MESSAGES} messages in the session (have ${messages()})`);
  assert.equal(session.connection.state, 'connected');
  assert.equal(messages(), MESSAGES, 'each message once');
  // Sockets of replaced clients close a moment after their close() resolves.
  await until(() => sockets() === baseline + 1, 2000, `one socket for the window (have ${sockets() - baseline})`);
  await session.dispose();
  await until(() => sockets() === baseline, 2000, `no socket left after dispose (have ${sockets() - baseline})`);
}

test('Reconnect right after a changed relay address: one client joins, and the backfill arrives at once', async () => {
  const room = await busyRoom();
  const baseline = sockets();
  const { session, messages } = await openSession(room);
  // The settings listener and the Reconnect command, in the same turn: the second connect() closes
  // the first client while it is still opening its socket.
  const first = session.connect();
  const second = session.connect();
  await Promise.all([first, second]);
  await assertOneClientThenNone(session, messages, baseline);
});

test('a new relay while a join to a gone one is still under way: one client joins the new one', async () => {
  const [room, gone] = await Promise.all([busyRoom(), silentRelay()]);
  const baseline = sockets();
  const { session, messages } = await openSession(gone.address);
  // Stop Server sends the chat back to an address where no relay answers; it keeps trying there.
  const hopeless = session.connect().catch(() => undefined);
  await until(() => gone.heard() > 0, 2000, 'the join to the gone relay under way');
  // Then a relay address is set and Reconnect is run, while the old client is still closing.
  session.setServer(room);
  await Promise.all([session.connect(), session.connect(), hopeless]);
  await assertOneClientThenNone(session, messages, baseline);
});

test('in-memory history reads the conversation when asked, not for every message', async () => {
  const storage = new MemoryHistory();
  let reads = 0;
  let entries = 0;
  const read = (): PersistedState => {
    reads++;
    return { version: 1, entries: Array.from({ length: entries }, (_, i) => ({ time: i, sender: { id: '0'.repeat(16), name: 'dana', legacy: false }, body: { kind: 'text' as const, text: `m${i}` }, msgId: i + 1, own: false })) };
  };
  while (entries < 1000) {
    entries++; // one more message arrived, and the session asks for a save
    storage.schedule(read);
  }
  assert.equal(reads, 0, 'scheduling a save copies nothing');
  assert.equal((await storage.load()).entries.length, 1000, 'a reload finds the newest state');
  assert.equal(reads, 1);
  await storage.flush();
  assert.equal(reads, 1, 'nothing new to take');
  entries++;
  storage.schedule(read);
  await storage.dispose();
  assert.equal(reads, 2, 'dispose takes the last state');
  assert.equal(storage.state.entries.length, 1001);
});
