// Client failover (issue 15) with plain relays, no cluster: a client given several relays moves to the
// next when its relay goes silent, and says where it went; a first join goes round them too; with one
// relay it rejoins that one as it always did. The clustered half (one room across relays, nothing lost
// or shown twice) is client-failover-cluster.test.ts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Harness, until } from './helpers/engine';

describe('client failover between relays', () => {
  const h = new Harness();
  after(() => h.close());

  it('a silent relay: the client moves to the next one, rejoins, says so, and sends what was not delivered there', async () => {
    const a = await h.relay();
    const b = await h.relay();
    const ann = await h.client(a.address(), 'ann', { wantsRoster: false, servers: [b.address()] });
    const warnings: string[] = [];
    ann.client.on('warning', (e) => warnings.push(e.message));
    const where = (r: typeof a) => `127.0.0.1:${r.address().port}`;
    assert.deepEqual(ann.client.relays, [where(a), where(b)]);
    for (let i = 0; i < 3; i++) ann.client.send({ kind: 'text', text: `before ${i}` });
    await until(() => ann.messages.length === 3, 5000, 'the first three messages at relay A');

    await a.close(); // silent from now on
    for (let i = 0; i < 3; i++) ann.client.send({ kind: 'text', text: `after ${i}` });
    await until(() => warnings.some((w) => w.includes('moved to')), 10_000, 'the client to move to relay B');
    assert.ok(warnings.includes(`relay ${where(a)} is silent; moved to ${where(b)}`), warnings.join(' | '));
    assert.deepEqual(ann.client.relays, [where(b), where(a)], 'B is the relay in use now');
    assert.equal(ann.client.connection.state, 'connected');
    assert.ok(ann.states.includes('reconnecting'), 'the user saw the relay go');
    // Plain relays each keep a room of their own: B is a new room, and the three not delivered go there.
    const left = await ann.client.flush(5000);
    assert.deepEqual(left, [], 'every message delivered');
    await until(() => ann.messages.length === 6, 5000, 'the three later messages back from relay B');
    assert.deepEqual(ann.texts().slice(3), ['ann: after 0', 'ann: after 1', 'ann: after 2']);
    assert.equal(b.stats().headSeq, 3, 'B sequenced exactly the three sent after A went silent');
  });

  it('the first join goes round the relays: one that never answers is passed over', async () => {
    // A UDP port that takes Hellos and answers none, as a relay that hangs.
    const mute = dgram.createSocket('udp4');
    await new Promise<void>((r) => mute.bind(0, '127.0.0.1', () => r()));
    h.track(() => new Promise<void>((r) => mute.close(() => r())));
    const b = await h.relay();
    const dead = { host: '127.0.0.1', port: mute.address().port };
    const ann = await h.client(dead, 'ann', { wantsRoster: false, servers: [b.address()], timers: { joinTimeoutMs: 10_000 } });
    assert.equal(ann.client.connection.state, 'connected');
    assert.equal(ann.client.relays[0], `127.0.0.1:${b.address().port}`);
    assert.equal(b.stats().members, 1);
  });

  it('with one relay nothing moves: a silent relay is rejoined, as before', async () => {
    const a = await h.relay();
    const port = a.address().port;
    const ann = await h.client(a.address(), 'ann', { wantsRoster: false });
    const warnings: string[] = [];
    ann.client.on('warning', (e) => warnings.push(e.message));
    await a.close();
    await until(() => ann.states.includes('offline'), 10_000, 'the client to say the relay is offline');
    assert.deepEqual(ann.client.relays, [`127.0.0.1:${port}`]);
    assert.ok(!warnings.some((w) => w.includes('moved')), warnings.join(' | '));
    // The same relay back on its port: the client is in again.
    await h.relay({ port });
    await until(() => ann.client.connection.state === 'connected', 10_000, 'the client back in at the same relay');
  });
});
