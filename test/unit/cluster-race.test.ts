// Two relays sharing a room through JetStream, as members would notice it: every message sent through
// both relays at once, with retransmissions early and late, gets exactly one seq; 200 of 200 arrive at
// both relays' followers in one order, each once; and on a 3-server cluster the room goes on when the
// server leading its stream is killed (SIGKILL, by PID) halfway, a repeat that NATS 2.9 may store then
// being marked alike at both relays.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, RoomLog, type AppendResult, type LogRecord } from '../../src/chat/cluster';
import { NatsFixture } from './helpers/nats';

const AUTHORS = ['a1a1a1a1a1a1a1a1', 'b2b2b2b2b2b2b2b2', 'c3c3c3c3c3c3c3c3', 'd4d4d4d4d4d4d4d4'];
const PER_AUTHOR = 50; // 4 x 50 = 200 messages
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const body = (author: string, msgId: number): Uint8Array => new TextEncoder().encode(`${author}#${msgId}`);

async function until(what: string, ms: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** What each (author, msgId) was told, by whichever relay and however often. */
class Outcomes {
  readonly seqs = new Map<string, Set<number>>();
  readonly results: { key: string; r: AppendResult; retransmission: boolean }[] = [];
  note(author: string, msgId: number, r: AppendResult, retransmission: boolean): void {
    const key = `${author}:${msgId}`;
    this.results.push({ key, r, retransmission });
    if (r.kind !== 'stale') {
      const s = this.seqs.get(key) ?? new Set<number>();
      s.add(r.seq);
      this.seqs.set(key, s);
    }
  }
}

/**
 * Each author's messages go to both relays at once. A relay appends one member's messages in msgId order
 * (it holds a later one until the earlier is sequenced), and tries again when an append fails (a server
 * died under it), as it would on the member's next retransmission. Besides, each message is sent again
 * a moment later through a random relay, out of that order: a retransmission.
 */
async function sendThroughBoth(relays: RoomLog[], out: Outcomes, msgIds: number[]): Promise<void> {
  const append = async (log: RoomLog, author: string, msgId: number, retransmission: boolean): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        out.note(author, msgId, await log.append(author, msgId, body(author, msgId)), retransmission);
        return;
      } catch (e) {
        if (attempt >= 40) throw e;
        await sleep(250);
      }
    }
  };
  const retransmissions: Promise<void>[] = [];
  const inOrder = async (log: RoomLog, author: string): Promise<void> => {
    for (const msgId of msgIds) {
      const again = relays[Math.floor(Math.random() * relays.length)];
      retransmissions.push(sleep(Math.random() * 30).then(() => append(again, author, msgId, true)));
      await append(log, author, msgId, false);
    }
  };
  await Promise.all(relays.flatMap((log) => AUTHORS.map((author) => inOrder(log, author))));
  await Promise.all(retransmissions);
}

const keyOf = (r: { author: string; msgId: number }): string => `${r.author}:${r.msgId}`;

/**
 * What members would notice, at both relays: the followers deliver seq 1..head once each and in order;
 * counting first copies only, each of the `total` messages is there exactly once, in each author's order;
 * a repeat (a NATS 2.9 cluster can store one while a new leader catches up) is judged alike at both relays
 * and points at its first copy; and whatever seq an append was told is one of that message's copies.
 */
function checkRoom(seen: LogRecord[][], out: Outcomes, total: number): number {
  const head = seen[0].length;
  const copies = new Map<string, number[]>();
  for (const r of seen[0]) copies.set(keyOf(r), [...(copies.get(keyOf(r)) ?? []), r.seq]);
  for (const records of seen) {
    assert.deepEqual(records.map((r) => r.seq), Array.from({ length: head }, (_, i) => i + 1), 'seq 1..head, each once, in order');
    const firsts = records.filter((r) => r.firstSeq === r.seq);
    assert.equal(firsts.length, total, 'every message once');
    assert.equal(new Set(firsts.map(keyOf)).size, total, 'no message twice');
    for (const r of records) if (r.firstSeq !== r.seq) assert.equal(r.firstSeq, copies.get(keyOf(r))?.[0], `repeat ${r.seq} points at its first copy`);
    for (const author of AUTHORS) {
      const ids = firsts.filter((r) => r.author === author).map((r) => r.msgId);
      assert.deepEqual(ids, [...ids].sort((x, y) => x - y), `${author}'s messages in the order sent`);
    }
  }
  assert.deepEqual(seen[0].map((r) => [r.seq, r.firstSeq]), seen[1].map((r) => [r.seq, r.firstSeq]), 'both relays judge alike');
  assert.equal(out.seqs.size, total, 'every message was given a seq');
  for (const [key, told] of out.seqs) for (const seq of told) assert.ok(copies.get(key)?.includes(seq), `${key} was told seq ${seq}, which holds it`);
  for (const { key, r } of out.results) {
    // A refusal as stale happens only to a message that has its seq already (through the other relay or
    // an earlier try): nothing an honest member sent is lost to it.
    if (r.kind === 'stale') assert.ok(out.seqs.has(key), `${key} was refused as stale and never sequenced`);
  }
  return head - total;
}

async function twoRelays(servers: string[][], room: string, replicas: 1 | 3, disposables: { dispose(): unknown }[]): Promise<{ logs: RoomLog[]; seen: LogRecord[][] }> {
  const logs: RoomLog[] = [];
  const seen: LogRecord[][] = [];
  for (const s of servers) {
    const c = await Cluster.connect({ servers: s, timeoutMs: 2000 });
    disposables.push(c);
    const log = await RoomLog.open(c, { room, replicas, historyMessages: 4096, historyBytes: 64 << 20, duplicateWindowMs: 300 });
    disposables.unshift(log);
    const records: LogRecord[] = [];
    await log.follow(1, (r) => records.push(r));
    logs.push(log);
    seen.push(records);
  }
  return { logs, seen };
}

describe('two relays racing on one NATS server', () => {
  let nats: NatsFixture;
  const open: { dispose(): unknown }[] = [];
  before(async () => {
    nats = await NatsFixture.single();
  });
  after(async () => {
    for (const o of open) await o.dispose();
    await nats?.stop();
  });

  it('gives every message one seq, and 200 of 200 reach both relays in one order', async () => {
    const { logs, seen } = await twoRelays([nats.urls, nats.urls], 'race1', 1, open);
    const out = new Outcomes();
    await sendThroughBoth(logs, out, Array.from({ length: PER_AUTHOR }, (_, i) => i + 1));
    await until('200 records at both relays', 10_000, () => seen.every((s) => s.length >= 200));
    assert.equal((await logs[0].state()).headSeq, 200);
    assert.equal(checkRoom(seen, out, 200), 0, 'one server stores no repeats');
    for (const told of out.seqs.values()) assert.equal(told.size, 1);
    // Retransmissions long after JetStream's duplicate window (300 ms here) still get no second seq.
    await sleep(600);
    const late = new Outcomes();
    await Promise.all(AUTHORS.flatMap((a) => [1, 25, 50].flatMap((id) => logs.map((l) => l.append(a, id, body(a, id)).then((r) => late.note(a, id, r, true))))));
    assert.ok(late.results.every(({ r }) => r.kind !== 'sequenced'), 'no late retransmission was sequenced again');
    assert.ok(late.results.filter(({ key }) => key.endsWith(':50')).every(({ r, key }) => r.kind === 'duplicate' && [...out.seqs.get(key)!][0] === r.seq));
    assert.equal((await logs[0].state()).headSeq, 200);
  });
});

describe('two relays on a 3-server JetStream cluster', () => {
  let nats: NatsFixture;
  const open: { dispose(): unknown }[] = [];
  before(async () => {
    nats = await NatsFixture.cluster();
  });
  after(async () => {
    for (const o of open) await o.dispose();
    await nats?.stop();
  });

  it('goes on when the server leading the room is killed halfway: 200 of 200 at both relays, each once, in one order', async () => {
    // Each relay starts on a different server; the client learns the others from the cluster.
    const { logs, seen } = await twoRelays([[nats.urls[0]], [nats.urls[1]]], 'race3', 3, open);
    const out = new Outcomes();
    const ids = Array.from({ length: PER_AUTHOR }, (_, i) => i + 1);
    await sendThroughBoth(logs, out, ids.slice(0, PER_AUTHOR / 2));
    const c = await Cluster.connect({ servers: [nats.urls[2]], timeoutMs: 2000 });
    const killed = (await c.jsm.streams.info('WUDP_race3')).cluster?.leader ?? '';
    await c.dispose();
    assert.match(killed, /^n[123]$/);
    // The second half is under way when the leader dies.
    const secondHalf = sendThroughBoth(logs, out, ids.slice(PER_AUTHOR / 2));
    await sleep(30);
    await nats.kill(killed);
    await secondHalf;
    const { headSeq } = await logs[0].state();
    assert.ok(headSeq >= 200 && headSeq <= 240, `head ${headSeq}: 200 messages and at most a few repeats`);
    await until(`${headSeq} records at both relays`, 30_000, () => seen.every((s) => s.length >= headSeq));
    checkRoom(seen, out, 200);
  });
});
