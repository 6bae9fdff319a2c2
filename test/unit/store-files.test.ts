// The relay's store on disk: what a restart reads back after damage, a cut-short write, an old
// messages.jsonl, a long run in little space, and a room that rolls over.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RoomStore, type StoredMessage } from '../../src/chat/relay/store';
import { encodeRecord } from '../../src/chat/relay/store/record';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'whatsudp-store-'));
  dirs.push(d);
  return d;
}

const MiB = 1024 * 1024;
const OPTS = { keepMessages: 4096, keepBytes: 64 * MiB, storeBytes: 128 * MiB, fsync: false };
const msg = (seq: number, text = `message ${seq}`): StoredMessage => ({
  seq, time: 1_700_000_000_000 + seq, senderId: '0123456789abcdef', legacy: false, name: 'ann', msgId: seq, body: { kind: 'text', text },
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function write(dir: string, seqs: number[], opts = OPTS, text?: (seq: number) => string): void {
  const { store } = RoomStore.open(dir, opts);
  for (const s of seqs) store.append(msg(s, text?.(s)));
  store.close();
}
function reopen(dir: string, opts = OPTS) {
  const { store, room } = RoomStore.open(dir, opts);
  store.close();
  return room;
}
const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.seg')).map((n) => path.join(dir, n));
const diskBytes = (dir: string) => segments(dir).reduce((n, f) => n + statSync(f).size, 0);
/** Where message `seq`'s record starts in a store written by `write` with default texts. */
const offsetOf = (seq: number) => 24 + range(1, seq - 1).reduce((n, s) => n + encodeRecord(msg(s)).length, 0);

describe('store on disk', () => {
  it('a restart reads back every message, in order, and continues the seqs', () => {
    const dir = tempDir();
    write(dir, range(1, 300));
    const room = reopen(dir);
    assert.deepEqual(room.messages.map((m) => m.seq), range(1, 300));
    assert.deepEqual(room.messages[41], msg(42));
    assert.equal(room.headSeq, 300);
    assert.deepEqual(room.notices, []);
    write(dir, [301]);
    assert.equal(reopen(dir).headSeq, 301);
  });

  it('garbage in the middle: the restart works, only the messages it hit are missing, and it says so', () => {
    const dir = tempDir();
    write(dir, range(1, 100));
    const [file] = segments(dir);
    const buf = readFileSync(file);
    buf.fill(0x5a, offsetOf(40) + 5, offsetOf(43) + 5); // from inside 40 to inside 43
    writeFileSync(file, buf);
    const room = reopen(dir);
    assert.deepEqual(room.messages.map((m) => m.seq), range(1, 100).filter((s) => s < 40 || s > 43));
    assert.equal(room.headSeq, 100, 'the seqs after it are not renumbered');
    assert.match(room.notices.join('\n'), /damaged.*4 message\(s\) could not be read \(seq 40-43\)/);
  });

  it('a flipped bit in a seq costs that message only, never the acknowledged ones after it', () => {
    const dir = tempDir();
    write(dir, range(1, 100));
    const [file] = segments(dir);
    const buf = readFileSync(file);
    buf[offsetOf(50) + 12] ^= 0x80; // the seq's top byte: 50 would read as 2^31 + 50
    writeFileSync(file, buf);
    const room = reopen(dir);
    assert.deepEqual(room.messages.map((m) => m.seq), range(1, 100).filter((s) => s !== 50));
    assert.equal(room.headSeq, 100);
  });

  it('a write cut short by a crash is dropped (never acknowledged) and appends carry on cleanly', () => {
    const dir = tempDir();
    write(dir, range(1, 10));
    const [file] = segments(dir);
    writeFileSync(file, encodeRecord(msg(11)).subarray(0, 20), { flag: 'a' });
    const room = reopen(dir);
    assert.equal(room.headSeq, 10);
    assert.match(room.notices.join('\n'), /cut short/);
    write(dir, [11, 12]);
    const again = reopen(dir);
    assert.deepEqual(again.messages.map((m) => m.seq), range(1, 12));
    assert.deepEqual(again.notices, [], 'the torn end was cut off, not left between records');
  });

  it('damage in the last record: its seq is not given again', () => {
    const dir = tempDir();
    write(dir, range(1, 10));
    const [file] = segments(dir);
    const buf = readFileSync(file);
    buf[buf.length - 6] ^= 1;
    writeFileSync(file, buf);
    const room = reopen(dir);
    assert.equal(room.messages.at(-1)?.seq, 9);
    assert.equal(room.headSeq, 10);
    write(dir, [11]);
    assert.deepEqual(reopen(dir).messages.map((m) => m.seq), [...range(1, 9), 11]);
  });

  it('a damaged room.json: the room id is read from the messages', () => {
    const dir = tempDir();
    write(dir, range(1, 3));
    const id = reopen(dir).roomId;
    writeFileSync(path.join(dir, 'room.json'), '{"roomId": "zz');
    const room = reopen(dir);
    assert.equal(room.roomId, id);
    assert.equal(room.headSeq, 3);
    assert.match(room.notices.join('\n'), /room\.json.*damaged/);
  });

  it('an old messages.jsonl is moved once into the current format, damage and all', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'room.json'), '{"roomId":"00000000000000aa"}\n');
    const lines = range(1, 60).map((s) => JSON.stringify(msg(s, `line ${s} \x1b[31m\x00`)));
    lines[19] = lines[19].replace('"seq":20', '"seq":1000020'); // a flipped seq
    lines[29] = 'garbage';
    writeFileSync(path.join(dir, 'messages.jsonl'), lines.join('\n') + '\n' + '{"seq":61,"ti');
    const room = reopen(dir);
    assert.equal(room.roomId, 0xaan);
    assert.deepEqual(room.messages.map((m) => m.seq), range(1, 60).filter((s) => s !== 20 && s !== 30));
    assert.equal(room.messages[0].body.text, 'line 1 \x1b[31m\x00');
    assert.equal(room.headSeq, 60);
    assert.match(room.notices.join('\n'), /Moved the store/);
    assert.ok(!existsSync(path.join(dir, 'messages.jsonl')));
    const later = reopen(dir);
    assert.deepEqual(later.messages.map((m) => m.seq), room.messages.map((m) => m.seq));
    assert.deepEqual(later.notices, [], 'moved once');
  });

  it('control characters over many times the store bytes: it stays within them while running, and restarts', () => {
    const dir = tempDir();
    const opts = { ...OPTS, storeBytes: 1 * MiB, keepBytes: 256 * 1024, keepMessages: 4096 };
    const { store } = RoomStore.open(dir, opts);
    const text = (s: number) => `${s}:` + '\x01\x07\x1b\x7f'.repeat(250); // JSON would take ~6x this
    let most = 0;
    for (let s = 1; s <= 6000; s++) {
      store.append(msg(s, text(s)));
      store.forgetBefore(s - 250); // as the history ring turns over
      if (s % 100 === 0) most = Math.max(most, diskBytes(dir));
    }
    store.close();
    assert.ok(most <= opts.storeBytes, `the store took ${most} bytes of ${opts.storeBytes}`);
    assert.ok(diskBytes(dir) < 300 * 1024 * 2, 'segments the history has left are gone');
    const room = reopen(dir, opts);
    assert.equal(room.headSeq, 6000);
    assert.equal(room.messages.at(-1)?.body.text, text(6000));
    assert.ok(room.messages.length >= 200, `${room.messages.length} messages read back`);
  });

  it('a store smaller than the history still keeps the newest within its bytes', () => {
    const dir = tempDir();
    const opts = { ...OPTS, storeBytes: 1 * MiB };
    const { store } = RoomStore.open(dir, opts);
    for (let s = 1; s <= 400; s++) {
      store.append(msg(s, 'x'.repeat(10_000)));
      assert.ok(store.bytes <= opts.storeBytes && diskBytes(dir) === store.bytes, `${store.bytes} bytes after ${s}`);
    }
    store.close();
    const room = reopen(dir, opts);
    assert.equal(room.headSeq, 400);
    assert.equal(room.messages.at(-1)?.seq, 400);
  });

  it('rolling over starts a new room: a new id, no old messages, seqs from 1', () => {
    const dir = tempDir();
    write(dir, [0xfffffffe, 0xffffffff]);
    const { store, room } = RoomStore.open(dir, OPTS);
    assert.equal(room.headSeq, 0xffffffff);
    const id = store.roll();
    assert.notEqual(id, room.roomId);
    store.append(msg(1, 'first of the new room'));
    store.close();
    const next = reopen(dir);
    assert.equal(next.roomId, id);
    assert.deepEqual(next.messages.map((m) => m.body.text), ['first of the new room']);
    assert.equal(next.headSeq, 1);
  });
});
