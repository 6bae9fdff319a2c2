// Issue 10, "Long outage": a message the relay has partly acknowledged (some fragments acked with
// seq 0) must still complete after an outage longer than the relay's reassembly timeout, when the
// relay has forgotten the fragments it acknowledged.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { Harness, until } from './helpers/engine';

let h: Harness;
afterEach(() => h?.close());

/** A proxy on 127.0.0.1 that forwards both ways unless `down`; `onData` may drop a datagram of a
 * message's fragment. Protocol 2 seals every datagram, so the proxy, like anyone on the path, cannot
 * read them: it tells a message's last fragment from the full ones (1200 bytes) and from Hellos,
 * acks and pings (under 400) by its size. */
async function outageProxy(target: { port: number }, onData: (lastFragment: boolean) => boolean) {
  const front = dgram.createSocket('udp4');
  const up = dgram.createSocket('udp4');
  await Promise.all([new Promise<void>((r) => front.bind(0, '127.0.0.1', r)), new Promise<void>((r) => up.bind(0, '127.0.0.1', r))]);
  const state = { down: false, client: undefined as dgram.RemoteInfo | undefined };
  front.on('message', (buf, rinfo) => {
    state.client = rinfo;
    const drop = buf.length > 400 && onData(buf.length < 1100);
    if (!state.down && !drop) up.send(buf, target.port, '127.0.0.1');
  });
  up.on('message', (buf) => {
    if (!state.down && state.client) front.send(buf, state.client.port, state.client.address);
  });
  h.track(() => new Promise<void>((r) => front.close(() => up.close(() => r()))));
  return { state, address: { host: '127.0.0.1', port: front.address().port } };
}

test('a message partly acknowledged before an outage longer than the reassembly timeout completes after it', { timeout: 20_000 }, async () => {
  h = new Harness();
  const relay = await h.relay({ timers: { reassemblyMs: 400 } });
  const ann = await h.client(relay.address(), 'ann');
  let cut: boolean | undefined = false;
  const proxy = await outageProxy(relay.address(), (lastFragment) => {
    // The last fragment is lost while the first two are acknowledged; then the link goes down for
    // longer than the relay's reassembly timeout and than it takes bob to count the relay lost.
    if (!lastFragment || cut === undefined) return false;
    if (!cut) {
      cut = true;
      setTimeout(() => (proxy.state.down = true), 150);
      setTimeout(() => ((proxy.state.down = false), (cut = undefined)), 2000);
    }
    return true;
  });
  const bob = await h.client(proxy.address, 'bob', { timers: { maxProbes: 3, ptoMaxMs: 100 } });
  const text = 'x'.repeat(3000); // three fragments
  bob.client.send({ kind: 'text', text });
  await until(() => proxy.state.down, 2000, 'the outage');
  await until(() => cut === undefined, 3000, 'the link back');
  await until(() => ann.messages.some((m) => m.text === text), 5000, 'bob\'s message at ann after the outage');
  assert.deepEqual(await bob.client.flush(2000), [], 'bob sees it delivered');
  assert.equal(ann.messages.filter((m) => m.text === text).length, 1, 'once');
});
