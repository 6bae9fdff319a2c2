// The relay's store as members meet it: a full disk refuses messages (the sender sees why and can
// retry) and loses or reorders nothing acknowledged; a damaged store restarts and its lost seqs reach
// members as lost, not as a stall; seed lines full of control characters keep the store within
// --store-bytes; and a room whose seqs run out rolls over instead of wrapping.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAddress, type OutgoingMessage } from '../../src/chat';
import { RoomStore } from '../../src/chat/relay/store';
import { spawnCli, startRelay } from './helpers/cli-proc';
import { Harness, sleep, until } from './helpers/engine';

const h = new Harness();
const dirs: string[] = [];
const mounts: string[] = [];
after(async () => {
  await h.close();
  for (const m of mounts) execFileSync('umount', [m]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'whatsudp-store-'));
  dirs.push(d);
  return d;
}
/** A 256 KiB tmpfs of its own, or why there cannot be one here. */
function smallDisk(): string | { skip: string } {
  const dir = tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return { skip: `cannot mount a small tmpfs here (${String((err as Error).message).split('\n')[0]})` };
  }
  mounts.push(dir);
  return dir;
}
const segmentsOf = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.seg')).map((n) => path.join(dir, n));
const storeBytes = (dir: string) => segmentsOf(dir).reduce((n, f) => n + statSync(f).size, 0);
const TIMERS = ['--heartbeat-ms', '300'];

describe('relay store', () => {
  it('a full disk: the sender is told, nothing acknowledged is lost or reordered after a crash, and a retry goes through', async (t) => {
    const disk = smallDisk();
    if (typeof disk !== 'string') return t.skip(disk.skip);
    writeFileSync(path.join(disk, 'filler'), Buffer.alloc(96 * 1024)); // leaves the store ~160 KiB
    const store = path.join(disk, 'store');
    const first = await startRelay(['--store', store, ...TIMERS]);
    const server = parseAddress(first.address);
    const ann = await h.client(server, 'ann');
    const bob = await h.client(server, 'bob');
    const delivered: OutgoingMessage[] = [];
    ann.client.on('delivery', (o) => o.state === 'delivered' && delivered.push({ ...o }));

    const texts = Array.from({ length: 40 }, (_, i) => `${i} ${'x'.repeat(6000)}`);
    const sent = texts.map((text) => ann.client.send({ kind: 'text', text }));
    const undelivered = await ann.client.flush(20_000);
    assert.ok(delivered.length > 0 && undelivered.length > 0, `${delivered.length} delivered, ${undelivered.length} not: the disk should fill midway`);
    for (const o of undelivered) {
      assert.equal(o.state, 'failed', 'no message stays sending');
      assert.match(o.error ?? '', /disk is full/, 'the sender is told why');
    }
    const acked = delivered.map((o) => o.body.text);
    assert.deepEqual(delivered.map((o) => o.seq), acked.map((_, i) => i + 1), 'acknowledged messages took consecutive seqs');
    assert.deepEqual(acked, texts.filter((x) => acked.includes(x)), 'in the order they were sent');
    await until(() => bob.messages.length === acked.length, 5000, 'bob has every acknowledged message');

    first.relay.signal('SIGKILL');
    await first.relay.exitWithin(3000);
    const second = spawnCli(['relay', '--host', server.host, '--port', String(server.port), '--store', store, ...TIMERS]);
    h.track(() => second.stop());
    await second.waitForLine('stdout', `${server.host}:${server.port}`, 5000);

    rmSync(path.join(disk, 'filler')); // space again: what failed can be sent again
    const failedIds = sent.filter((o) => undelivered.some((u) => u.msgId === o.msgId)).map((o) => o.msgId);
    for (const id of failedIds) assert.ok(ann.client.retry(id), `retry ${id}`);
    assert.deepEqual(await ann.client.flush(20_000), [], 'every retry is delivered');

    const late = await h.client(server, 'late');
    await until(() => late.messages.length === texts.length, 10_000, 'the whole room in the late joiner\'s backfill');
    const retried = texts.filter((x) => !acked.includes(x));
    assert.deepEqual(late.messages.map((m) => m.text), [...acked, ...retried], 'nothing acknowledged lost, nothing reordered');
    assert.deepEqual(late.messages.map((m) => m.seq), texts.map((_, i) => i + 1), 'a refused message used no seq');
  });

  it('a full disk: the operator is warned once, not per message, and told when the store writes again', async (t) => {
    const disk = smallDisk();
    if (typeof disk !== 'string') return t.skip(disk.skip);
    writeFileSync(path.join(disk, 'filler'), Buffer.alloc(96 * 1024));
    const { relay, address } = await startRelay(['--store', path.join(disk, 'store'), ...TIMERS]);
    h.track(() => relay.stop());
    const ann = await h.client(parseAddress(address), 'ann');
    const sent = Array.from({ length: 40 }, (_, i) => ann.client.send({ kind: 'text', text: `${i} ${'x'.repeat(6000)}` }));
    const undelivered = await ann.client.flush(20_000);
    assert.ok(undelivered.length > 1, `${undelivered.length} refused: the disk should fill midway, refusing several`);
    const full = /warning: the store cannot write \(ENOSPC\)/;
    await relay.waitForLine('stderr', full, 5000);
    assert.equal(relay.stderr.filter((l) => full.test(l)).length, 1, `one warning for ${undelivered.length} refusals:\n${relay.stderr.join('\n')}`);

    rmSync(path.join(disk, 'filler'));
    const retried = sent.find((o) => o.msgId === undelivered[0].msgId);
    assert.ok(retried && ann.client.retry(retried.msgId));
    const left = await ann.client.flush(20_000);
    assert.ok(!left.some((o) => o.msgId === retried.msgId), 'the retry is kept');
    await relay.waitForLine('stderr', /note: the store writes again/, 5000);
  });

  it('damage in the middle of the store: the relay restarts, members are told what was lost, and nobody stalls', async () => {
    const dir = tempDir();
    const first = await h.relay({ store: dir });
    const ann = await h.client(first.address(), 'ann');
    const texts = Array.from({ length: 30 }, (_, i) => `message ${i + 1}`);
    for (const text of texts) ann.client.send({ kind: 'text', text });
    assert.deepEqual(await ann.client.flush(10_000), []);
    await first.close();

    // Garbage over messages 10 and 11, and one flipped bit in the seq of message 20.
    const [file] = segmentsOf(dir);
    const buf = readFileSync(file);
    const starts: number[] = []; // where each record begins: after the 24-byte segment header, 16 + body each
    for (let i = 24; i < buf.length; ) {
      starts.push(i);
      i += 16 + buf.readUInt32BE(i + 4);
    }
    assert.equal(starts.length, 30);
    buf.fill(0xee, starts[9] + 3, starts[11] - 2);
    buf[starts[19] + 12 + 3] ^= 0x04;
    writeFileSync(file, buf);

    const second = await h.relay({ store: dir });
    assert.match(second.notices.join('\n'), /3 message\(s\) could not be read \(seq 10-11, 20\)/);
    const late = await h.client(second.address(), 'late');
    const lost = () => late.lost.reduce((n, x) => n + x, 0);
    await until(() => late.messages.length === 27 && lost() === 3, 5000, 'every readable message, and the lost ones counted');
    assert.deepEqual(late.messages.map((m) => m.text), texts.filter((_, i) => ![9, 10, 19].includes(i)), 'none renumbered, none dropped after the damage');
    // The room goes on: a new message follows the old head.
    const bob = await h.client(second.address(), 'bob');
    bob.client.send({ kind: 'text', text: 'after' });
    await until(() => late.messages.at(-1)?.text === 'after', 5000, 'a new message after the damage');
    assert.equal(late.messages.at(-1)?.seq, 31);
  });

  it('seed lines full of control characters: the store stays within --store-bytes while running, and restarts', async () => {
    const dir = tempDir();
    const limits = { storeBytes: 1024 * 1024, historyBytes: 256 * 1024, memberMessagesPerSecond: 100_000, memberBurst: 100_000, addressPacketsPerSecond: 100_000, addressBurst: 100_000 };
    const first = await h.relay({ store: dir, limits, legacyBridge: true });
    let sequenced = 0;
    first.on('message', () => sequenced++);
    const seed = dgram.createSocket('udp4');
    h.track(() => new Promise<void>((r) => seed.close(() => r())));
    const line = (i: number) => `seed: ${i} ${'\x01\x02\x1b\x07'.repeat(250)}`; // ~1 KiB, ~6 KiB as JSON
    let most = 0;
    const total = 5000; // ~5 MB: five times the store's bytes
    for (let i = 0; i < total; i += 50) {
      for (let j = i; j < i + 50; j++) seed.send(line(j), first.address().port, '127.0.0.1');
      await until(() => sequenced >= i + 25, 5000, `the relay takes seed lines (${sequenced} of ${i + 50})`);
      most = Math.max(most, storeBytes(dir));
    }
    await sleep(50);
    most = Math.max(most, storeBytes(dir));
    assert.ok(sequenced > total * 0.9, `${sequenced} of ${total} seed lines sequenced`);
    assert.ok(most <= limits.storeBytes, `the store took ${most} bytes; --store-bytes is ${limits.storeBytes}`);
    const head = first.stats().headSeq;
    await first.close();

    const second = await h.relay({ store: dir, limits });
    assert.equal(second.stats().headSeq, head, 'the restart continues from the same head');
    const late = await h.client(second.address(), 'late');
    await until(() => late.messages.length === 200, 5000, 'backfill from the store');
    const last = late.messages.at(-1)!;
    assert.equal(last.seq, head);
    assert.match(last.text, /^\d+ (\x01\x02\x1b\x07){250}$/, 'control characters kept as they were');
  });

  it('a room whose seqs run out rolls over to a new room: no seq wraps, nothing is lost', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const { store, room } = RoomStore.open(dir, { keepMessages: 100, keepBytes: 1 << 20, storeBytes: 1 << 20, fsync: false });
    // A seed line (a member's message would need its author's signature to be shown).
    store.append({ seq: 0xfffffffe, time: Date.now(), senderId: '0000000000000000', legacy: true, name: 'old', msgId: 1, body: { kind: 'text', text: 'before' } });
    store.close();
    const relay = await h.relay({ store: dir });
    const bob = await h.client(relay.address(), 'bob');
    const ann = await h.client(relay.address(), 'ann');
    const rooms = new Set<string>();
    bob.client.on('state', (s) => s.state === 'connected' && rooms.add(s.roomId));
    for (const text of ['one', 'two', 'three']) ann.client.send({ kind: 'text', text });
    assert.deepEqual(await ann.client.flush(10_000), []);
    await until(() => bob.messages.length === 4, 10_000, 'bob has every message across the roll-over');
    assert.deepEqual(bob.messages.map((m) => [m.seq, m.text]), [[0xfffffffe, 'before'], [0xffffffff, 'one'], [1, 'two'], [2, 'three']]);
    assert.ok([...rooms].some((id) => BigInt(`0x${id}`) !== room.roomId), 'bob is in a new room');
    await relay.close();
    const again = await h.relay({ store: dir });
    const late = await h.client(again.address(), 'late');
    await until(() => late.messages.length === 2, 5000, 'the new room after a restart');
    assert.deepEqual(late.messages.map((m) => m.text), ['two', 'three']);
  });
});
