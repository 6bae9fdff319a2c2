// /send, /get and /cancel as the chat carries them out (src/cli/file-commands.ts), over an engine
// that does what the design says sendFile and fetchFile do, so that every outcome (saved, numbered,
// gone, corrupt, cancelled, refused) is checked without a network: what is said, what is on disk.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatError } from '../../src/chat';
import type { FileInfo } from '../../src/common/message';
import { FileCommands } from '../../src/cli/file-commands';
import type { RoomsChat } from '../../src/cli/rooms-chat';
import type { Io } from '../../src/cli/session';

const root = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-file-commands-'));
after(() => rmSync(root, { recursive: true, force: true }));
let made = 0;
const freshDir = (): string => {
  const dir = path.join(root, `d${made++}`);
  mkdirSync(dir);
  return dir;
};

type Outcome = { bytes: Buffer } | { error: ChatError } | 'hang';
interface Progressing {
  onProgress?(done: number, total: number): void;
}
interface Sent {
  file: { bytes: Uint8Array; name: string; mime?: string; width?: number; height?: number; caption?: string };
}

/** An engine as the design describes it: progress, then the bytes or a ChatError; cancel rejects. */
function fakeEngine(fetched: Map<string, Outcome>) {
  const sent: Sent[] = [];
  const transfer = <T>(outcome: () => Outcome, opts: Progressing | undefined, total: number, value: (b: Buffer) => T) => {
    let reject: (e: Error) => void = () => undefined;
    const done = new Promise<T>((res, rej) => {
      reject = rej;
      setImmediate(() => {
        const o = outcome();
        opts?.onProgress?.(0, total);
        if (o === 'hang') return;
        opts?.onProgress?.(total, total);
        if ('error' in o) rej(o.error);
        else res(value(o.bytes));
      });
    });
    return { id: 'x', done, cancel: () => reject(new ChatError('CANCELLED', 'Cancelled.')) };
  };
  return {
    sent,
    sendFile(file: Sent['file'], opts?: Progressing) {
      sent.push({ file });
      return transfer(() => (file.name === 'stuck.bin' ? 'hang' : { bytes: Buffer.from(file.bytes) }), opts, file.bytes.length, () => ({ msgId: 1 }));
    },
    fetchFile(file: FileInfo, opts?: Progressing) {
      return transfer(() => fetched.get(file.id) ?? 'hang', opts, file.size, (b) => b);
    },
  };
}

function setup(files: Record<number, FileInfo>, fetched = new Map<string, Outcome>()) {
  const lines: string[] = [];
  let problems = 0;
  const io: Io = { stdin: process.stdin, out: (t) => lines.push(`out: ${t}`), err: (t) => lines.push(t) };
  const engine = fakeEngine(fetched);
  const room = { client: engine, label: 'main', fileAt: (seq: number) => files[seq] ?? (seq === 1 ? 'not a file' : undefined) };
  const chat = { current: room } as unknown as RoomsChat;
  const commands = new FileCommands(chat, io, () => false, () => problems++);
  return { commands, lines, engine, problems: () => problems };
}

const info = (id: string, name: string, size: number): FileInfo => ({ id, key: 'k', name, size, sha256: '0'.repeat(64), mime: 'application/octet-stream' });

describe('/get', () => {
  it('saves under the safe name in the folder, numbered when taken; says where', async () => {
    const dir = freshDir();
    writeFileSync(path.join(dir, 'x'), 'mine');
    const { commands, lines, problems } = setup({ 2: info('a', '../../x', 5), 3: info('b', 'invoice\u202egnp.exe', 3) }, new Map([['a', { bytes: Buffer.from('hello') }], ['b', { bytes: Buffer.from('abc') }]]));
    await commands.run({ kind: 'get', seq: 2, dest: dir });
    await commands.run({ kind: 'get', seq: 3, dest: dir });
    await commands.idle();
    assert.deepEqual(readdirSync(dir).sort(), ['invoicegnp.exe', 'x', 'x (1)']);
    assert.equal(readFileSync(path.join(dir, 'x'), 'utf8'), 'mine', 'never over a file');
    assert.equal(readFileSync(path.join(dir, 'x (1)'), 'utf8'), 'hello');
    assert.ok(lines.includes(`* saved ../../x (5 B) as ${path.join(dir, 'x (1)')}`), lines.join('\n'));
    assert.ok(lines.includes(`* saved invoice\\u202egnp.exe (3 B) as ${path.join(dir, 'invoicegnp.exe')}`), lines.join('\n'));
    assert.ok(lines.includes('whatsudp: getting ../../x: 100% (5 B of 5 B)'));
    assert.equal(problems(), 0);
  });

  it('saves as a file path given; refuses a missing folder before fetching', async () => {
    const dir = freshDir();
    const { commands, lines, problems } = setup({ 2: info('a', 'r.pdf', 2) }, new Map([['a', { bytes: Buffer.from('ok') }]]));
    await commands.run({ kind: 'get', seq: 2, dest: path.join(dir, 'mine.pdf') });
    await commands.run({ kind: 'get', seq: 2, dest: path.join(dir, 'no', 'such.pdf') });
    await commands.idle();
    assert.deepEqual(readdirSync(dir), ['mine.pdf']);
    assert.ok(lines.includes(`whatsudp: /get: there is no folder ${path.join(dir, 'no')}; nothing saved`), lines.join('\n'));
    assert.equal(problems(), 1);
  });

  it('says gone, corrupt, not a file and unknown in one line each, saving nothing', async () => {
    const dir = freshDir();
    const fetched = new Map<string, Outcome>([
      ['g', { error: new ChatError('FILE_GONE', 'The relay no longer has r.pdf (it keeps files up to its file store\'s size).') }],
      ['c', { error: new ChatError('CORRUPT', 'r.pdf does not check out (its SHA-256 differs).') }],
    ]);
    const { commands, lines, problems } = setup({ 2: info('g', 'r.pdf', 2), 3: info('c', 'r.pdf', 2) }, fetched);
    for (const seq of [1, 2, 3, 9]) await commands.run({ kind: 'get', seq, dest: dir });
    await commands.idle();
    assert.deepEqual(readdirSync(dir), []);
    const said = lines.filter((l) => l.startsWith('whatsudp: /get'));
    assert.deepEqual(said.sort(), [
      'whatsudp: /get: #1 in main is not a file',
      'whatsudp: /get: this chat has seen no file #9 in main (SEQ: the number after "/get" in the file\'s line)',
      "whatsudp: /get: #2 r.pdf not saved: The relay no longer has r.pdf (it keeps files up to its file store's size)",
      'whatsudp: /get: #3 r.pdf not saved: r.pdf does not check out (its SHA-256 differs)',
    ].sort());
    assert.equal(problems(), 4);
  });

  it('/cancel stops a transfer: one line, nothing saved', async () => {
    const dir = freshDir();
    const { commands, lines, problems } = setup({ 2: info('h', 'big.bin', 100) });
    await commands.run({ kind: 'get', seq: 2, dest: dir });
    await commands.run({ kind: 'cancel' });
    await commands.idle();
    assert.deepEqual(readdirSync(dir), []);
    assert.ok(lines.includes('whatsudp: /get: #2 big.bin not saved: Cancelled'), lines.join('\n'));
    await commands.run({ kind: 'cancel' });
    assert.ok(lines.includes('whatsudp: /cancel: no /send or /get is going on'));
    assert.equal(problems(), 1);
  });
});

describe('/send', () => {
  it('hands the engine the bytes, name, type, image size and caption', async () => {
    const dir = freshDir();
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452000000400000003008060000000000000000', 'hex')]);
    writeFileSync(path.join(dir, 'cat.png'), png);
    const { commands, engine, problems } = setup({});
    await commands.run({ kind: 'send', path: path.join(dir, 'cat.png'), caption: 'look' });
    await commands.idle();
    assert.equal(engine.sent.length, 1);
    const { bytes, ...rest } = engine.sent[0].file;
    assert.deepEqual(Buffer.from(bytes), png);
    assert.deepEqual(rest, { name: 'cat.png', mime: 'image/png', width: 64, height: 48, caption: 'look' });
    assert.equal(problems(), 0);
  });

  it('refuses before the engine is asked; a transfer that does not move is given up at the end', async () => {
    const dir = freshDir();
    writeFileSync(path.join(dir, 'stuck.bin'), 'x');
    const { commands, lines, engine, problems } = setup({});
    await commands.run({ kind: 'send', path: dir, caption: '' });
    assert.equal(engine.sent.length, 0);
    assert.ok(lines.includes(`whatsudp: /send: ${dir} is a folder (/send sends one file); nothing sent`));
    await commands.run({ kind: 'send', path: path.join(dir, 'stuck.bin'), caption: '' });
    await commands.finish(300);
    assert.ok(lines.includes('whatsudp: /send: stuck.bin not sent: Cancelled'), lines.join('\n'));
    assert.equal(problems(), 2);
  });
});
