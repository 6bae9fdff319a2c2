// Two relays on one JetStream (issue 15), end to end as members notice it: members on either relay, each
// behind a lossy proxy (drops, duplicates, reordering both ways), 200 messages sent from both sides at
// once; every member gets all 200, each once, and the same seq is the same message at every member.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkSameRoom, within } from './helpers/cluster-room';
import { usingNats } from './helpers/using-nats';
import { LossyProxy } from './helpers/proxy';

const PER_SENDER = 100; // 2 senders x 100 = 200 messages

describe('two relays on one JetStream, members behind lossy links', () => {
  const { h, nats } = usingNats();

  it('200 messages from members on both relays: every member gets 200/200, in the same order', async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const lossy = { drop: 0.15, duplicate: 0.05, reorder: 0.1 };
    const p1 = await LossyProxy.start(r1.address(), { ...lossy, seed: 1501 });
    const p2 = await LossyProxy.start(r2.address(), { ...lossy, seed: 1502 });
    h.track(() => p1.close());
    h.track(() => p2.close());
    const slow = { timers: { joinTimeoutMs: 20_000 }, wantsRoster: false };
    const ann = await h.client(p1.address, 'ann', slow);
    const cat = await h.client(p1.address, 'cat', slow);
    const bob = await h.client(p2.address, 'bob', slow);
    const dan = await h.client(p2.address, 'dan', slow);
    const members = [ann, cat, bob, dan];

    const sent = new Map<string, string[]>();
    for (const who of [ann, bob]) {
      const texts = Array.from({ length: PER_SENDER }, (_, i) => `${who.client.name} ${i}`);
      sent.set(who.client.name, texts);
    }
    // Both sides at once, interleaved: the stream, not either relay, decides the order.
    for (let i = 0; i < PER_SENDER; i++) {
      ann.client.send({ kind: 'text', text: sent.get('ann')![i] });
      bob.client.send({ kind: 'text', text: sent.get('bob')![i] });
    }
    const total = 2 * PER_SENDER;
    await within(() => members.every((r) => r.messages.length >= total), 90_000, `all ${total} messages at every member`, () => `now ${members.map((r) => `${r.client.name} ${r.messages.length}`).join(', ')}`);
    checkSameRoom(members, sent, total);
    assert.deepEqual(ann.messages.map((m) => m.seq), Array.from({ length: total }, (_, i) => i + 1), 'seqs 1..200: one stream, one seq per message');
    assert.ok(p1.counts.dropped > 0 && p2.counts.dropped > 0, 'the proxies did drop datagrams');
  });
});
