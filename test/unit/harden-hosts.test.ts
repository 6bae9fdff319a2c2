// Issue 10, "Limits by port and id, not by host": members are capped per source host (an IPv6 /64
// counts as one), so one process with many ports and client ids cannot fill the room.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostKey } from '../../src/chat/relay/hosts';
import { PacketType as T } from '../../src/protocol/packets';
import { Harness } from './helpers/engine';
import { RawV2 } from './helpers/raw-v2';

let h: Harness;
afterEach(() => h?.close());

/** Joins from `host` on a fresh socket with a fresh session id and device key: 'welcome' or the
 * refusal's text. */
async function join(relay: { host: string; port: number }, host: string): Promise<string> {
  const m = await RawV2.open(relay, { host });
  h.track(() => m.close());
  const answer = await m.join({ name: 'm' }, 2000);
  return answer.type === T.Refused ? answer.detail : 'welcome';
}

test('one host gets --members-per-host members however many ports and ids it uses; another host still gets in', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { membersPerHost: 3 } });
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await join(relay.address(), '127.0.0.1'));
  assert.deepEqual(answers.slice(0, 3), ['welcome', 'welcome', 'welcome']);
  for (const a of answers.slice(3)) assert.match(a, /Too many members from 127\.0\.0\.1 \(3 per host\)/);
  assert.equal(await join(relay.address(), '127.0.0.2'), 'welcome', 'a colleague on another host is not refused');
  assert.equal(relay.stats().members, 4);
});

test('an IPv6 source is counted by its /64; IPv4 and IPv4-mapped by address', () => {
  assert.equal(hostKey('2001:db8:1:2:aaaa::1'), hostKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
  assert.notEqual(hostKey('2001:db8:1:2::1'), hostKey('2001:db8:1:3::1'));
  assert.equal(hostKey('::1'), '0:0:0:0::/64');
  assert.equal(hostKey('fe80::1%eth0'), hostKey('fe80::2'));
  assert.equal(hostKey('::ffff:10.0.0.7'), '10.0.0.7');
  assert.equal(hostKey('10.0.0.7'), '10.0.0.7');
  assert.equal(hostKey('2001:0db8:0001:0002:0:0:0:1'), hostKey('2001:db8:1:2::9'));
});
