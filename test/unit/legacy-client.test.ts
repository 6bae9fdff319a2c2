// The seed-compatible client against a stand-in seed relay on loopback: a plain UDP socket that
// receives `name: text` and "broadcasts" by sending back to the client's listening port. The real
// Python seed, with real broadcast, is in legacy-interop.test.ts (inside a network namespace).
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { LegacyClient, type LegacyMessage } from '../../src/chat/legacy/client';
import { nodeHasReusePort } from '../../src/chat/net';
import { ChatError } from '../../src/chat/errors';

const LOOPBACK = '127.0.0.1';
const sockets: dgram.Socket[] = [];
const clients: LegacyClient[] = [];

async function udp(port = 0, reusePort = false): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reusePort });
  sockets.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, LOOPBACK, () => resolve());
  });
  return s;
}

/** A stand-in seed relay, and a client of it listening on its own loopback port. */
async function setup(name = 'ann') {
  const server = await udp();
  const received: Buffer[] = [];
  server.on('message', (buf) => received.push(buf));
  const client = new LegacyClient({ server: { host: LOOPBACK, port: server.address().port }, name, listen: { host: LOOPBACK, port: 0 } });
  clients.push(client);
  await client.start();
  const messages: LegacyMessage[] = [];
  const warnings: Error[] = [];
  client.on('message', (m) => messages.push(m));
  client.on('warning', (w) => warnings.push(w));
  const broadcast = (data: Buffer | string): Promise<void> =>
    new Promise((resolve) => server.send(data, client.address().port, LOOPBACK, () => resolve()));
  return { server, received, client, messages, warnings, broadcast };
}

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const settle = (ms = 100): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
after(() => {
  for (const s of sockets.splice(0)) s.close();
});

describe('legacy client', () => {
  it('sends plain "name: text" in UTF-8 and shows its own line once, from the echo', async () => {
    const t = await setup();
    t.client.send('héllo');
    await until(() => t.received.length === 1, 'the datagram at the relay');
    assert.equal(t.received[0].toString('utf8'), 'ann: héllo');
    assert.equal(t.messages.length, 0, 'nothing is shown before the relay echoes it');
    await t.broadcast(t.received[0]);
    await t.broadcast(t.received[0]); // the same broadcast again, as through a second interface
    await until(() => t.messages.length >= 1, 'the echo');
    await settle();
    assert.deepEqual(t.messages.map((m) => [m.name, m.text, m.own]), [['ann', 'héllo', true]]);
    assert.equal(t.client.unechoed(), 0);
  });

  it('shows each echo of a line sent twice, and other members\' repeated lines each time', async () => {
    const t = await setup();
    t.client.send('ok');
    t.client.send('ok');
    await until(() => t.received.length === 2, 'both datagrams');
    await t.broadcast('ann: ok');
    await t.broadcast('ann: ok');
    await t.broadcast('bob: +1');
    await t.broadcast('bob: +1');
    await until(() => t.messages.length === 4, 'four messages');
    assert.deepEqual(t.messages.map((m) => `${m.name}: ${m.text} ${m.own}`), ['ann: ok true', 'ann: ok true', 'bob: +1 false', 'bob: +1 false']);
  });

  it('splits a long line into datagrams of at most 1024 bytes on character boundaries', async () => {
    const t = await setup();
    // 3-byte and 4-byte characters placed so that naive 1024-byte cuts would split them.
    const text = 'a'.repeat(1017) + '日本語🎉'.repeat(200) + ' end';
    const count = t.client.send(text);
    await until(() => t.received.length === count, 'every piece');
    assert.ok(count >= 3);
    const strict = new TextDecoder('utf-8', { fatal: true });
    const pieces = t.received.map((d) => {
      assert.ok(d.length <= 1024, `a datagram of ${d.length} bytes`);
      const s = strict.decode(d); // throws on a split character, as the seed's decode() would
      assert.ok(s.startsWith('ann: '));
      return s.slice('ann: '.length);
    });
    assert.equal(pieces.join(''), text);
  });

  it('refuses empty and over-long messages before sending anything', async () => {
    const t = await setup();
    assert.throws(() => t.client.send('   '), (e: unknown) => e instanceof ChatError && e.code === 'EMPTY');
    assert.throws(() => t.client.send('x'.repeat(64 * 1024 + 1)), (e: unknown) => e instanceof ChatError && e.code === 'TOO_LARGE');
    await settle(50);
    assert.equal(t.received.length, 0);
  });

  it('turns datagrams that are not seed text into warnings, and skips empty seed lines silently', async () => {
    const t = await setup();
    await t.broadcast(Buffer.from([0x62, 0x3a, 0x20, 0xc3])); // "b: " and half a character
    await t.broadcast(Buffer.from([0xf9, 1, 2, 3])); // a WhatsUDP envelope
    await t.broadcast('bob: '); // a seed user pressing Enter
    await t.broadcast('bob: still here');
    await until(() => t.messages.length === 1, 'the good line');
    assert.equal(t.messages[0].text, 'still here');
    assert.equal(t.warnings.length, 2);
    for (const w of t.warnings) assert.match(w.message, /^Ignored a datagram from 127\.0\.0\.1:\d+: /);
  });

  it('reports whether its datagrams came back within a bound', async () => {
    const t = await setup();
    t.client.send('one');
    const started = Date.now();
    assert.equal(await t.client.waitForEchoes(150), false);
    assert.ok(Date.now() - started < 1000);
    assert.equal(t.client.unechoed(), 1);
    const waiting = t.client.waitForEchoes(2000);
    await t.broadcast('ann: one');
    assert.equal(await waiting, true);
  });

  it('shares its port with other SO_REUSEPORT listeners, as seed clients on one machine do', { skip: !nodeHasReusePort() && 'this Node has no reusePort' }, async () => {
    const other = await udp(0, true);
    const port = other.address().port;
    const client = new LegacyClient({ server: { host: LOOPBACK, port: 9 }, name: 'ann', listen: { host: LOOPBACK, port } });
    clients.push(client);
    await client.start();
    assert.deepEqual(client.notices, []);
    assert.equal(client.address().port, port);
  });

  it('says PORT_IN_USE when the port is held without sharing', async () => {
    const holder = await udp();
    const port = holder.address().port;
    const client = new LegacyClient({ server: { host: LOOPBACK, port }, name: 'ann', listen: { host: LOOPBACK } });
    clients.push(client);
    await assert.rejects(client.start(), (e: unknown) => e instanceof ChatError && e.code === 'PORT_IN_USE' && e.message.includes(String(port)));
  });

  it('refuses a bad name, closes safely twice, and refuses to send once closed', async () => {
    assert.throws(() => new LegacyClient({ server: { host: LOOPBACK, port: 1 }, name: 'a:b' }), (e: unknown) => e instanceof ChatError && e.code === 'BAD_OPTION');
    const t = await setup();
    await t.client.close();
    await t.client.close();
    assert.throws(() => t.client.send('late'), (e: unknown) => e instanceof ChatError && e.code === 'CLOSED');
  });

  it('knows which Node versions have dgram reusePort', () => {
    assert.equal(nodeHasReusePort('20.20.2'), false);
    assert.equal(nodeHasReusePort('22.11.0'), false);
    assert.equal(nodeHasReusePort('22.12.0'), true);
    assert.equal(nodeHasReusePort('23.0.0'), false);
    assert.equal(nodeHasReusePort('23.1.0'), true);
    assert.equal(nodeHasReusePort('24.21.0'), true);
  });
});
