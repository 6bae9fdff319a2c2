// Issue 10, "Limits by port and id, not by host": a host's datagrams and messages are counted
// together, however many ports and client ids it uses, beside each address's and member's own limits.
// Another host keeps its own allowance.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hosts, hostLimitsOf } from '../../src/chat/relay/hosts';
import { PacketType as T, type Packet } from '../../src/protocol/packets';
import { Harness, sleep, until } from './helpers/engine';
import { RawV2, type Address } from './helpers/raw-v2';

let h: Harness;
afterEach(() => h?.close());

/** A bare protocol 2 socket on `host`, with its own session id and device key, for the relay at `relay`. */
async function raw(relay: Address, host: string): Promise<RawV2> {
  const r = await RawV2.open(relay, { host });
  h.track(() => r.close());
  return r;
}

async function join(relay: Address, host: string): Promise<RawV2> {
  const r = await raw(relay, host);
  assert.equal((await r.join({ name: 'm' }, 2000)).type, T.Welcome);
  return r;
}

/** A Hello without a cookie: the relay answers it with a Retry, if it answers at all. */
const hello = (r: RawV2): void => r.hello(Buffer.alloc(0), { name: 'm' });

const text = (r: RawV2, msgId: number): Packet => r.message(msgId, { kind: 'text', text: 'hi' })[0];

test("many sockets on one host get the host's datagram allowance between them, not one each; another host is answered", async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { addressPacketsPerSecond: 1000, addressBurst: 1000, hostPacketsPerSecond: 1, hostPacketBurst: 50 } });
  const socks: RawV2[] = [];
  for (let i = 0; i < 5; i++) socks.push(await raw(relay.address(), '127.0.0.1'));
  for (const s of socks) for (let i = 0; i < 40; i++) hello(s);
  const other = await raw(relay.address(), '127.0.0.2');
  for (let i = 0; i < 5; i++) hello(other);
  await until(() => other.got.filter((p) => p.type === T.Retry).length === 5, 3000, "the other host's five Retries");
  await sleep(200); // the last answers to the first host are in
  const answered = socks.reduce((n, s) => n + s.got.filter((p) => p.type === T.Retry).length, 0);
  // 200 Hellos from five ports: each port's own limit (1,000) would answer all of them.
  assert.ok(answered >= 40 && answered <= 52, `the host's burst of 50 (and its rate of 1/s) answered, not 200: ${answered}`);
});

test("members on one host share the host's message rate: the over-limit ones are slowed down; another host's member is not", async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { memberMessagesPerSecond: 1, memberBurst: 100, hostMessagesPerSecond: 1, hostMessageBurst: 12 } });
  const seen = new Map<string, number>();
  relay.on('message', (m) => seen.set(m.sender.id, (seen.get(m.sender.id) ?? 0) + 1));
  const members: RawV2[] = [];
  for (let i = 0; i < 4; i++) members.push(await join(relay.address(), '127.0.0.1'));
  for (const m of members) for (let id = 1; id <= 10; id++) m.send(text(m, id));
  const colleague = await join(relay.address(), '127.0.0.2');
  for (let id = 1; id <= 10; id++) colleague.send(text(colleague, id));
  const from = (r: RawV2) => seen.get(r.clientId.toString('hex')) ?? 0;
  await until(() => from(colleague) === 10, 3000, "all ten of the other host's messages");
  await sleep(200);
  const fromHost = members.reduce((n, m) => n + from(m), 0);
  // Each member's own burst (100) would let all 40 through.
  assert.ok(fromHost >= 12 && fromHost <= 14, `one host's four members got its burst of 12 messages between them, not 40: ${fromHost}`);
  assert.ok(members.slice(1).some((m) => m.got.some((p) => p.type === T.SlowDown)), 'a member over its host\'s rate is told to slow down');
});

test('a host with members is always tracked; hosts without are forgotten oldest first beyond the cap', () => {
  const hosts = new Hosts(hostLimitsOf({ trackedHosts: 3 }, { addressPacketsPerSecond: 10, addressBurst: 10, memberMessagesPerSecond: 1, memberBurst: 1, trackedHosts: 3 }));
  const member = hosts.of('10.0.0.1', 0);
  hosts.join(member);
  for (let i = 2; i < 100; i++) hosts.of(`10.0.0.${i}`, 0);
  assert.equal(hosts.size, 4, 'three idle hosts and the one with a member');
  assert.equal(hosts.of('10.0.0.1', 0), member, 'the host with a member kept its state (and its spent allowance)');
  assert.equal(hosts.of('2001:db8::1', 0), hosts.of('2001:db8::2', 0), 'one IPv6 /64 is one host');
  hosts.leave(member);
  for (let i = 100; i < 110; i++) hosts.of(`10.0.0.${i}`, 0);
  assert.equal(hosts.size, 3);
  assert.notEqual(hosts.of('10.0.0.1', 0), member, 'forgotten once it had no members and older hosts came');
});

test("a host's rates default to ten members' own, and follow the member limits they scale", () => {
  const l = hostLimitsOf(undefined, { addressPacketsPerSecond: 2000, addressBurst: 4000, memberMessagesPerSecond: 50, memberBurst: 200, trackedHosts: 9 });
  assert.deepEqual(l, { hostPacketsPerSecond: 20000, hostPacketBurst: 40000, hostMessagesPerSecond: 500, hostMessageBurst: 2000, trackedHosts: 9 });
  assert.equal(hostLimitsOf({ hostMessagesPerSecond: 7 }, { addressPacketsPerSecond: 1, addressBurst: 1, memberMessagesPerSecond: 1000, memberBurst: 1, trackedHosts: 1 }).hostMessagesPerSecond, 7);
});
