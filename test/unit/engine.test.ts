import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, MAX_TEXT_BYTES } from '../../src/chat';
import { Harness, seqsInOrder, sleep, until, type Recorder } from './helpers/engine';
import { LossyProxy } from './helpers/proxy';

let h: Harness;
afterEach(() => h?.close());

/** Each client sends `perClient` numbered lines; returns what every client should see, in order per sender. */
function talk(clients: { client: { send: (b: { kind: 'text'; text: string }) => unknown; name: string } }[], perClient: number): void {
  for (let i = 0; i < perClient; i++) for (const c of clients) c.client.send({ kind: 'text', text: `${c.client.name} line ${i}` });
}

function assertRoomView(views: string[][], names: string[], perClient: number): void {
  for (const view of views) {
    assert.equal(view.length, names.length * perClient, 'every message arrives');
    assert.equal(new Set(view).size, view.length, 'each message once');
    for (const name of names) {
      const mine = view.filter((t) => t.startsWith(`${name}: `));
      assert.deepEqual(mine, Array.from({ length: perClient }, (_, i) => `${name}: ${name} line ${i}`), `${name}'s messages in the order sent`);
    }
  }
  for (const view of views.slice(1)) assert.deepEqual(view, views[0], 'every member sees the same room order');
}

test('three clients exchange 600 messages: all arrive once, in the same order everywhere', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { memberBurst: 1000, memberMessagesPerSecond: 1000 } });
  const names = ['ann', 'bob', 'cat'];
  const clients = await Promise.all(names.map((n) => h.client(relay.address(), n)));
  talk(clients, 200);
  await until(() => clients.every((c) => c.messages.length === 600), 10000, '600 messages at every client');
  assertRoomView(clients.map((c) => c.texts()), names, 200);
  for (const c of clients) assert.ok(seqsInOrder(c.messages));
  for (const c of clients) assert.deepEqual(await c.client.flush(1000), [], 'nothing left undelivered');
});

test('through a proxy that drops 20%, duplicates and reorders, nothing is lost, doubled or reordered', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { memberBurst: 1000, memberMessagesPerSecond: 1000 } });
  const proxy = await LossyProxy.start(relay.address(), { drop: 0.2, duplicate: 0.1, reorder: 0.2, seed: 7 });
  h.track(() => proxy.close());
  const names = ['ann', 'bob', 'cat'];
  const clients: Recorder[] = [];
  for (const n of names) clients.push(await h.client(proxy.address, n, { timers: { joinTimeoutMs: 10000 } }));
  talk(clients, 100);
  await until(() => clients.every((c) => c.messages.length === 300), 30000, '300 messages at every client through the lossy proxy');
  assertRoomView(clients.map((c) => c.texts()), names, 100);
  assert.ok(proxy.counts.dropped > 100 && proxy.counts.duplicated > 50 && proxy.counts.reordered > 50, `the proxy really misbehaved: ${JSON.stringify(proxy.counts)}`);
  for (const c of clients) assert.deepEqual((await c.client.flush(10000)).map((o) => o.state), [], 'every message acknowledged');
});

test('a 64 KiB message arrives whole; a larger one is refused before sending', async () => {
  h = new Harness();
  const relay = await h.relay();
  const ann = await h.client(relay.address(), 'ann');
  const bob = await h.client(relay.address(), 'bob');
  const text = '🚀'.repeat(MAX_TEXT_BYTES / 4);
  ann.client.send({ kind: 'text', text });
  await until(() => bob.messages.length === 1, 5000, 'the 64 KiB message');
  assert.equal(bob.messages[0].text, text);
  assert.throws(() => ann.client.send({ kind: 'text', text: text + '!' }), (e: unknown) => e instanceof ChatError && e.code === 'TOO_LARGE' && /65,537 bytes; the limit is 65,536/.test(e.message));
  assert.throws(() => ann.client.send({ kind: 'text', text: ' \n ' }), (e: unknown) => e instanceof ChatError && e.code === 'EMPTY');
});

test('a snippet keeps its path, line range and language', async () => {
  h = new Harness();
  const relay = await h.relay();
  const ann = await h.client(relay.address(), 'ann');
  const body = { kind: 'snippet' as const, text: 'const x = 1;\nconst y = 2;', path: 'src/hello.ts', startLine: 3, endLine: 4, language: 'typescript' };
  ann.client.send(body);
  await until(() => ann.messages.length === 1, 5000, 'own snippet back from the relay');
  const { seq, time, msgId, sender, verified, ...got } = ann.messages[0];
  assert.deepEqual(got, body);
  const { key, fingerprint, ...who } = sender;
  assert.deepEqual(who, { id: ann.client.clientId, name: 'ann', legacy: false });
  assert.ok(verified && key && fingerprint, 'signed by ann and checked');
  assert.ok(seq === 1 && msgId === 1 && Math.abs(time - Date.now()) < 5000);
});

test('a client with no relay gives up after the join timeout with a clear error', async () => {
  h = new Harness();
  const silent = await import('node:dgram').then((d) => d.createSocket('udp4'));
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  h.track(() => new Promise<void>((r) => silent.close(() => r())));
  const started = Date.now();
  await assert.rejects(
    h.client({ host: '127.0.0.1', port: silent.address().port }, 'ann', { timers: { joinTimeoutMs: 600 } }),
    (e: unknown) => e instanceof ChatError && e.code === 'UNREACHABLE' && /No WhatsUDP relay answered at 127\.0\.0\.1:\d+ within 0\.6 s/.test(e.message),
  );
  assert.ok(Date.now() - started < 2000);
});

test('messages typed while the relay is away are kept and sent when it is back', async () => {
  h = new Harness();
  const relay = await h.relay({ port: 0 });
  const port = relay.address().port;
  const ann = await h.client(relay.address(), 'ann');
  await relay.close();
  const offline = ann.client.send({ kind: 'text', text: 'typed while away' });
  await until(() => ann.states.includes('reconnecting') || ann.states.includes('offline'), 8000, 'ann notices the relay is gone');
  assert.notEqual(offline.state, 'delivered');
  await sleep(50);
  const again = await h.relay({ port });
  const bob = await h.client(again.address(), 'bob');
  await until(() => bob.messages.some((m) => m.text === 'typed while away'), 8000, 'the kept message at bob');
  assert.deepEqual(await ann.client.flush(3000), []);
});
