// A room that outlives a machine (issue 15), as its members notice it: on a 3-server NATS cluster with
// 3 replicas, the server leading the room's stream is killed (SIGKILL, by PID) mid-conversation and the
// room goes on, every message delivered once and in order at every member; and when the relay a member
// is on is killed (kill -9, a `whatsudp relay --cluster` child process), the member goes on through the
// room's other relay within seconds, nothing lost, duplicated or reordered. Without nats-server these
// tests fail with the install command.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { OutgoingMessage } from '../../src/chat';
import { CLI, cliBuilt, startRelay, stopAll } from './helpers/cli-proc';
import { checkSameRoom, within } from './helpers/cluster-room';
import { Harness, sleep, until, type Recorder } from './helpers/engine';
import { NatsFixture } from './helpers/nats';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;

/** The server leading `stream`'s replicas now (the one whose death costs an election), bounded. */
async function streamLeader(nats: NatsFixture, stream: string): Promise<string> {
  const nc = await connect({ servers: nats.urls, timeout: 2000 });
  try {
    const info = await (await jetstreamManager(nc, { timeout: 2000 })).streams.info(stream);
    return info.cluster?.leader ?? nats.servers[0].name;
  } finally {
    await nc.close();
  }
}

/** `who` sends its `texts`, one every `gapMs`, calling `midway` once half are sent. */
async function converse(who: Recorder, texts: string[], gapMs: number, midway?: () => Promise<void>): Promise<OutgoingMessage[]> {
  const out: OutgoingMessage[] = [];
  for (const [i, text] of texts.entries()) {
    if (i === texts.length / 2) await midway?.();
    out.push(who.client.send({ kind: 'text', text }));
    await sleep(gapMs);
  }
  return out;
}

const lines = (name: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${name} ${i}`);

describe('a NATS server of three dies mid-conversation', () => {
  const h = new Harness();
  let nats: NatsFixture | undefined;
  after(async () => {
    await h.close();
    await nats?.stop();
  });

  it('replicas 3, the stream leader killed: the room goes on, every message once and in order at every member', async () => {
    nats = await NatsFixture.cluster();
    const cluster = { servers: nats.urls, replicas: 3 as const };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const opts = { wantsRoster: false };
    const ann = await h.client(r1.address(), 'ann', opts);
    const cat = await h.client(r1.address(), 'cat', opts);
    const bob = await h.client(r2.address(), 'bob', opts);
    const members = [ann, cat, bob];
    const said: string[] = []; // what the relays told their operator: shown if the room stops
    for (const [i, r] of [r1, r2].entries()) {
      r.on('warning', (e) => said.push(`r${i + 1} warning: ${e.message}`));
      r.on('store', (e) => said.push(`r${i + 1} store: ${e.detail}`));
    }
    const sent = new Map([['ann', lines('ann', 100)], ['bob', lines('bob', 100)]]);
    let killed = '';
    const kill = async () => {
      killed = await streamLeader(nats!, 'WUDP_main');
      await nats!.kill(killed);
    };
    const [annOut, bobOut] = await Promise.all([converse(ann, sent.get('ann')!, 15, kill), converse(bob, sent.get('bob')!, 15)]);
    assert.ok(killed, 'a NATS server was killed halfway');
    const stream = async () => {
      const nc = await connect({ servers: nats!.urls, timeout: 2000 });
      try {
        const si = await (await jetstreamManager(nc, { timeout: 3000 })).streams.info('WUDP_main');
        return `stream ${si.state.first_seq}..${si.state.last_seq} (${si.state.messages}), leader ${si.cluster?.leader}`;
      } catch (e) {
        return `stream info: ${(e as Error).message}`;
      } finally {
        await nc.close();
      }
    };
    const states = () => [...annOut, ...bobOut].reduce((n, o) => n.set(o.state, (n.get(o.state) ?? 0) + 1), new Map<string, number>());
    const counts = () => members.map((r) => `${r.client.name} ${r.messages.length}`).join(', ');
    // A message refused to its sender (failed) will not come: stop waiting, and say so below.
    await within(() => members.every((r) => r.messages.length >= 200) || states().has('failed'), 60_000, `all 200 messages at every member after ${killed} died`, async () => `now ${counts()}; senders' messages ${[...states()].map(([k, v]) => `${v} ${k}`).join(', ')}; ${await stream()}; the relays said: ${said.slice(0, 8).join(' | ') || 'nothing'}`);
    assert.ok(!states().has('failed'), `no message refused to its sender while ${killed} was gone (${[...states()].map(([k, v]) => `${v} ${k}`).join(', ')}; the relays said: ${said.join(' | ')})`);
    await sleep(500); // a copy delivered twice would show by now
    checkSameRoom(members, sent, 200);
    const notDelivered = [...annOut, ...bobOut].filter((o) => o.state !== 'delivered');
    assert.deepEqual(notDelivered.map((o) => `${o.state}`), [], 'every message acknowledged to its sender');
  });
});

describe('the relay a member is on is killed (kill -9)', { skip }, () => {
  const h = new Harness();
  let nats: NatsFixture | undefined;
  after(async () => {
    await h.close();
    await stopAll();
    await nats?.stop();
  });

  it('the member goes on through the other relay within 15 s: nothing lost, duplicated or reordered', async () => {
    nats = await NatsFixture.single();
    const a = await startRelay(['--cluster', nats.urls[0]]);
    const b = await startRelay(['--cluster', nats.urls[0]]);
    const addr = (s: string) => {
      const i = s.lastIndexOf(':');
      return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
    };
    const ann = await h.client(addr(a.address), 'ann', { servers: [addr(b.address)], wantsRoster: false });
    const bob = await h.client(addr(b.address), 'bob', { wantsRoster: false });
    const sent = new Map([['ann', lines('ann', 40)], ['bob', lines('bob', 40)]]);
    let killedAt = 0;
    const kill = async () => {
      // Half of ann's messages acknowledged first: the relay dies in a conversation, not before it.
      await until(() => ann.messages.filter((m) => m.sender.name === 'ann').length >= 20, 10_000, "ann's first 20 messages back");
      a.relay.signal('SIGKILL');
      killedAt = Date.now();
      await a.relay.exitWithin(5000);
    };
    const [annOut, bobOut] = await Promise.all([converse(ann, sent.get('ann')!, 50, kill), converse(bob, sent.get('bob')!, 50)]);
    await within(() => ann.messages.length >= 80 && bob.messages.length >= 80, Math.max(1000, killedAt + 15_000 - Date.now()), "ann to have all 80 messages within 15 s of her relay's death, through the other relay", () => `ann ${ann.messages.length}, bob ${bob.messages.length}`);
    await until(() => [...annOut, ...bobOut].every((o) => o.state === 'delivered'), 5000, 'every message acknowledged to its sender');
    await sleep(500); // a copy delivered twice would show by now
    checkSameRoom([ann, bob], sent, 80);
    assert.deepEqual(ann.messages.map((m) => m.seq), Array.from({ length: 80 }, (_, i) => i + 1), 'seqs 1..80 at ann: one room, resumed where it was');
  });
});
