// The room log against a real nats-server (JetStream in a temporary folder, stopped by PID): one seq per
// (author, msgId) however often and however late it comes, the history ring's limits, ranges read back with
// what is gone named, a follower that sees every record in order, and credentials (right, wrong, none).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Cluster, RoomLog, type LogRecord } from '../../src/chat/cluster';
import { loadCluster } from '../../src/chat/cluster/load';
import { NatsFixture } from './helpers/nats';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('room log on one NATS server', () => {
  let nats: NatsFixture;
  const open: { dispose(): unknown }[] = [];
  before(async () => {
    nats = await NatsFixture.single({ user: 'relay', pass: 's3cret' });
  });
  after(async () => {
    for (const o of open.reverse()) await o.dispose();
    await nats?.stop();
  });
  const connect = async (): Promise<Cluster> => {
    const c = await Cluster.connect({ servers: nats.urls, auth: { kind: 'password', user: 'relay', pass: 's3cret' }, timeoutMs: 3000 });
    open.push(c);
    return c;
  };
  const room = async (c: Cluster, name: string, historyMessages = 1000, duplicateWindowMs?: number): Promise<RoomLog> => {
    const log = await RoomLog.open(c, { room: name, historyMessages, historyBytes: 16 << 20, duplicateWindowMs });
    open.unshift(log);
    return log;
  };

  it('the cluster code loads on demand, and its bundle (dist/cluster.js) works on its own', async () => {
    const api = loadCluster();
    assert.equal(typeof api.RoomLog.open, 'function');
    // The bundle that the CLI and extension require beside them (npm test builds it first).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built bundle, loaded the way the CLI loads it
    const bundle = require(path.join(__dirname, '..', '..', '..', 'dist', 'cluster.js')) as typeof api;
    const c = await bundle.Cluster.connect({ servers: nats.urls, auth: { kind: 'password', user: 'relay', pass: 's3cret' } });
    open.push(c);
    const log = await bundle.RoomLog.open(c, { room: 'bundle', historyMessages: 10, historyBytes: 1 << 20 });
    open.unshift(log);
    assert.deepEqual(await log.append('abcd', 1, bytes('hi')), { kind: 'sequenced', seq: 1 });
  });

  it('refuses wrong credentials and no credentials with a clear error, and says when nobody answers', async () => {
    await assert.rejects(Cluster.connect({ servers: nats.urls, auth: { kind: 'password', user: 'relay', pass: 'wrong' }, timeoutMs: 3000 }),
      (e: Error & { code?: string }) => e.code === 'REFUSED' && /refused the credentials/.test(e.message));
    await assert.rejects(Cluster.connect({ servers: nats.urls, timeoutMs: 3000 }), (e: Error & { code?: string }) => e.code === 'REFUSED');
    await assert.rejects(Cluster.connect({ servers: ['nats://127.0.0.1:1'], timeoutMs: 1000 }),
      (e: Error & { code?: string }) => e.code === 'UNREACHABLE' && /No NATS server answered at nats:\/\/127\.0\.0\.1:1/.test(e.message));
  });

  it('gives each (author, msgId) one seq: retransmissions get it back, an older msgId is refused', async () => {
    const log = await room(await connect(), 'once');
    assert.match(log.roomId, /^[0-9a-f]{16}$/);
    assert.deepEqual(await log.append('aaaa', 1, bytes('one')), { kind: 'sequenced', seq: 1 });
    assert.deepEqual(await log.append('bbbb', 1, bytes('two')), { kind: 'sequenced', seq: 2 });
    assert.deepEqual(await log.append('aaaa', 1, bytes('one')), { kind: 'duplicate', seq: 1 });
    assert.deepEqual(await log.append('aaaa', 3, bytes('three')), { kind: 'sequenced', seq: 3 });
    // msgId 2 never came before 3 was sequenced: it is refused rather than given a seq out of order.
    assert.deepEqual(await log.append('aaaa', 2, bytes('late')), { kind: 'stale', lastMsgId: 3, lastSeq: 3 });
    assert.equal((await log.state()).headSeq, 3);
  });

  it('a retransmission long after the duplicate window, from a relay that never saw it, still gets no second seq', async () => {
    const first = await room(await connect(), 'late', 1000, 200);
    assert.deepEqual(await first.append('cccc', 7, bytes('x')), { kind: 'sequenced', seq: 1 });
    await new Promise((r) => setTimeout(r, 400)); // past the 200 ms duplicate window
    const other = await room(await connect(), 'late', 1000, 200);
    assert.equal(other.roomId, first.roomId, 'every relay of a room hands out one roomId');
    assert.deepEqual(await other.append('cccc', 7, bytes('x')), { kind: 'duplicate', seq: 1 });
    assert.deepEqual(await other.append('cccc', 6, bytes('y')), { kind: 'stale', lastMsgId: 7, lastSeq: 1 });
    assert.equal((await other.state()).headSeq, 1);
  });

  it('remembers an author the history ring has forgotten, so a late retransmission still gets no seq', async () => {
    const c = await connect();
    const log = await room(c, 'ring', 5, 200);
    assert.deepEqual(await log.append('dddd', 40, bytes('old')), { kind: 'sequenced', seq: 1 });
    for (let i = 1; i <= 10; i++) await log.append('eeee', i, bytes(`e${i}`));
    await new Promise((r) => setTimeout(r, 400));
    const s = await log.state();
    assert.deepEqual([s.firstSeq, s.headSeq, s.messages], [7, 11, 5], 'max_msgs is the ring');
    const fresh = await room(await connect(), 'ring', 5, 200); // no cache: only the marks know dddd
    assert.deepEqual(await fresh.append('dddd', 40, bytes('old')), { kind: 'duplicate', seq: 1 });
    assert.deepEqual(await fresh.append('dddd', 41, bytes('new')), { kind: 'sequenced', seq: 12 });
  });

  it('a relay that opens the room with other history limits applies them, and the room keeps its roomId', async () => {
    const c = await connect();
    const before = await room(c, 'limits', 10);
    const after = await room(c, 'limits', 20);
    assert.equal(after.roomId, before.roomId);
    const info = await c.jsm.streams.info('WUDP_limits');
    assert.deepEqual([info.config.max_msgs, info.config.max_bytes, info.config.num_replicas], [20, 16 << 20, 1]);
  });

  it('reads a range back and names the part the ring has dropped', async () => {
    const log = await room(await connect(), 'read', 10);
    for (let i = 1; i <= 15; i++) await log.append('ffff', i, bytes(`m${i}`));
    const r = await log.read(3, 8);
    assert.deepEqual(r.gone, { fromSeq: 3, toSeq: 5 });
    assert.deepEqual(r.records.map((x) => [x.seq, x.msgId, x.author, text(x.bytes)]), [6, 7, 8].map((n) => [n, n, 'ffff', `m${n}`]));
    assert.equal(r.headSeq, 15);
    const beyond = await log.read(14, 20);
    assert.equal(beyond.gone, undefined, 'seqs past the head have not happened: they are not gone');
    assert.deepEqual(beyond.records.map((x) => x.seq), [14, 15]);
    await assert.rejects(log.read(1, 5000), RangeError);
  });

  it('a follower gets every record from its seq on, in order, once, as they are appended', async () => {
    const c = await connect();
    const log = await room(c, 'follow');
    for (let i = 1; i <= 5; i++) await log.append('abab', i, bytes(`m${i}`));
    const seen: LogRecord[] = [];
    const f = await log.follow(3, (r) => seen.push(r));
    open.unshift(f);
    for (let i = 6; i <= 40; i++) await log.append(i % 2 ? 'abab' : 'cdcd', i, bytes(`m${i}`));
    await until('38 records', 5000, () => (seen.length >= 38 ? true : undefined));
    assert.deepEqual(seen.map((r) => r.seq), Array.from({ length: 38 }, (_, i) => i + 3));
    assert.equal(text(seen[0].bytes), 'm3');
    assert.ok(seen.every((r) => r.time > Date.now() - 60_000 && r.time <= Date.now() + 1000));
    await f.dispose();
    await f.dispose();
  });
});
