// Issue 10, "Port sharing": the relay shares its port only when asked (--reuse-port, or the legacy
// bridge), and then says what the risk is; otherwise a second socket on its port is refused.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { Harness } from './helpers/engine';

let h: Harness;
afterEach(() => h?.close());

const bindShared = (port: number) =>
  new Promise<dgram.Socket>((resolve, reject) => {
    const s = dgram.createSocket({ type: 'udp4', reusePort: true } as dgram.SocketOptions);
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });

test('without --reuse-port no other socket can bind the relay\'s port, and nothing warns', async () => {
  h = new Harness();
  const relay = await h.relay();
  await assert.rejects(bindShared(relay.address().port), /EADDRINUSE/);
  assert.ok(!relay.notices.some((n) => /shared/.test(n)), relay.notices.join(' / '));
});

test('with --reuse-port the relay warns that another process can take a share of its datagrams', async () => {
  h = new Harness();
  const relay = await h.relay({ reusePort: true });
  const notice = relay.notices.find((n) => /SO_REUSEPORT/.test(n));
  assert.ok(notice, `a notice about the shared port: ${relay.notices.join(' / ')}`);
  if (/cannot share/.test(notice)) return; // this Node cannot share: nothing else can bind it either
  assert.match(notice, /any other process .* can bind it too and receive a share of the relay's datagrams/);
  const other = await bindShared(relay.address().port); // what the warning is about
  other.close();
});
