// Files in `whatsudp chat` (issue 14), through a real relay process: ann /send's a file, bob sees
// its line and /get's it into a folder, byte for byte; a name chosen by a hostile sender lands as a
// plain name inside the chosen folder; a file over 16 MiB is refused before anything is sent.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { ChatClient } from '../../src/chat';
import { lineToCommand } from '../../src/cli/commands';
import { CLI, cliBuilt, spawnCli, startRelay, stopAll, type Proc } from './helpers/cli-proc';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;
const JOINED = /^\* joined the room at /;
const root = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-cli-files-'));
const clients: ChatClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  await stopAll();
});
after(() => rmSync(root, { recursive: true, force: true }));

async function joinedChat(address: string, name: string, extra: string[] = []): Promise<Proc> {
  const p = spawnCli(['chat', '--name', name, '--server', address, ...extra]);
  await p.waitForLine('stderr', JOINED, 5000);
  return p;
}

function folder(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A PNG header of the given size (enough for the receiver's box; not a whole image). */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from([0, 0, 0, 13]), Buffer.from('IHDR'), ihdr, Buffer.alloc(4), randomBytes(3000)]);
}

describe('/send and /get, as lines', () => {
  it('reads a path (quoted when it has spaces), a caption, a seq and a folder', () => {
    assert.deepEqual(lineToCommand('/send report.pdf', true), { file: { kind: 'send', path: 'report.pdf', caption: '' } });
    assert.deepEqual(lineToCommand('/send "my report.pdf"  the numbers', true), { file: { kind: 'send', path: 'my report.pdf', caption: 'the numbers' } });
    assert.deepEqual(lineToCommand("/send '~/a b.png'", true), { file: { kind: 'send', path: '~/a b.png', caption: '' } });
    assert.deepEqual(lineToCommand('/get 12', true), { file: { kind: 'get', seq: 12 } });
    assert.deepEqual(lineToCommand('/get #12 ~/My Files', true), { file: { kind: 'get', seq: 12, dest: '~/My Files' } });
    assert.deepEqual(lineToCommand('/get 12 "/tmp/x y/"', true), { file: { kind: 'get', seq: 12, dest: '/tmp/x y/' } });
    assert.deepEqual(lineToCommand('/cancel', true), { file: { kind: 'cancel' } });
    assert.deepEqual(lineToCommand('/send report.pdf', false), { send: { kind: 'text', text: '/send report.pdf' } }, 'piped lines stay messages');
    assert.deepEqual(lineToCommand('//send x', true), { send: { kind: 'text', text: '/send x' } });
    for (const bad of ['/send', '/send ""', '/get', '/get x', '/get 0', '/cancel now']) assert.match((lineToCommand(bad, true) as { error: string }).error, /^usage: /, bad);
  });
});

describe('whatsudp chat: files', { skip, timeout: 90_000 }, () => {
  it('ann sends a file and an image; bob sees them and saves them, byte for byte, never over a file', async () => {
    const store = folder('store-1');
    const { address } = await startRelay(['--store', store]);
    const ann = await joinedChat(address, 'ann', ['--commands', '--seq']);
    const bob = await joinedChat(address, 'bob', ['--commands', '--seq']);
    const log = await joinedChat(address, 'log', ['--json']);
    const out = folder('out-1');
    const bytes = randomBytes(200 * 1024 + 17);
    const src = path.join(folder('src-1'), 'report 2026.bin');
    writeFileSync(src, bytes);
    const png = pngHeader(800, 600);
    writeFileSync(path.join(path.dirname(src), 'photo.png'), png);

    ann.write(`/send "${src}" the numbers\n`);
    await bob.waitForLine('stdout', '#1 ann: 📎 report 2026.bin (200.0 KiB) — /get 1 to save', 20_000);
    await bob.waitForLine('stdout', '  the numbers');
    await ann.waitForLine('stdout', '#1 ann: 📎 report 2026.bin (200.0 KiB) — /get 1 to save', 5000);
    assert.ok(ann.stderr.some((l) => /^whatsudp: sending report 2026\.bin: 100% \(200\.0 KiB of 200\.0 KiB\)$/.test(l)), ann.stderr.join('\n'));
    ann.write(`/send ${path.join(path.dirname(src), 'photo.png')}\n`);
    await bob.waitForLine('stdout', /^#2 ann: 📎 photo\.png \(\d+\.\d KiB, 800×600\) — \/get 2 to save$/, 20_000);

    bob.write(`/get 1 ${out}\n`);
    await bob.waitForLine('stderr', `* saved report 2026.bin (200.0 KiB) as ${path.join(out, 'report 2026.bin')}`, 20_000);
    assert.deepEqual(readFileSync(path.join(out, 'report 2026.bin')), bytes);
    bob.write(`/get 1 ${out}\n/get 2 ${path.join(out, 'picture.png')}\n`);
    await bob.waitForLine('stderr', `* saved report 2026.bin (200.0 KiB) as ${path.join(out, 'report 2026 (1).bin')}`, 20_000);
    await bob.waitForLine('stderr', /^\* saved photo\.png .* as .*picture\.png$/, 20_000);
    assert.deepEqual(readFileSync(path.join(out, 'report 2026 (1).bin')), bytes);
    assert.deepEqual(readFileSync(path.join(out, 'picture.png')), png);
    assert.deepEqual(readdirSync(out).sort(), ['picture.png', 'report 2026 (1).bin', 'report 2026.bin'], 'nothing else, no temporary file');

    bob.write('/get 9\n/get 1 /no/such/folder/\n');
    await bob.waitForLine('stderr', /^whatsudp: \/get: this chat has seen no file #9 in main/);
    await bob.waitForLine('stderr', 'whatsudp: /get: there is no folder /no/such/folder/; nothing saved');

    const events = (await log.waitForCount(/^\{/, 2, 10_000)).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(events[0].kind, 'file');
    assert.equal(events[0].text, 'the numbers');
    assert.deepEqual(Object.keys(events[0].file as object).sort(), ['mime', 'name', 'sha256', 'size']);
    assert.deepEqual(events[0].file, { name: 'report 2026.bin', size: bytes.length, sha256: (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'), mime: 'application/octet-stream' });
    assert.deepEqual(events[1].file, { name: 'photo.png', size: png.length, sha256: (await import('node:crypto')).createHash('sha256').update(png).digest('hex'), mime: 'image/png', width: 800, height: 600 });
    assert.ok(!JSON.stringify(events).includes('"key"'), 'the file key is never printed');

    ann.end();
    bob.end();
    assert.equal((await ann.exitWithin(15_000)).code, 0);
    assert.equal((await bob.exitWithin(15_000)).code, 5, 'the two /get that could not be done count');
  });

  it('a file over 16 MiB, a folder and a missing path are refused before anything is sent', async () => {
    const store = folder('store-2');
    const { address } = await startRelay(['--store', store]);
    const ann = await joinedChat(address, 'ann', ['--commands', '--seq']);
    const dir = folder('src-2');
    const big = path.join(dir, 'x.iso');
    writeFileSync(big, Buffer.alloc(16 * 1024 * 1024 + 1));
    ann.write(`/send ${big}\n/send ${dir}\n/send ${path.join(dir, 'nope.txt')}\nafter\n`);
    await ann.waitForLine('stderr', `whatsudp: /send: ${big} is 16,777,217 bytes; files can be at most 16,777,216 bytes (16 MiB); nothing sent`);
    await ann.waitForLine('stderr', `whatsudp: /send: ${dir} is a folder (/send sends one file); nothing sent`);
    await ann.waitForLine('stderr', `whatsudp: /send: there is no file ${path.join(dir, 'nope.txt')}; nothing sent`);
    await ann.waitForLine('stdout', '#1 ann: after', 5000);
    ann.end();
    assert.equal((await ann.exitWithin(15_000)).code, 5);
    const files = path.join(store, 'files');
    const stored = existsSync(files) ? readdirSync(files, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : [];
    assert.deepEqual(stored, [], "the relay's file store has nothing");
  });

  it("a hostile sender's names are saved as plain names inside the chosen folder", async () => {
    const { address } = await startRelay();
    const bob = await joinedChat(address, 'bob', ['--commands', '--seq']);
    const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
    const eve = new ChatClient({ server: { host, port }, name: 'eve' });
    clients.push(eve);
    await eve.start();
    const base = folder('hostile');
    const out = folder('hostile/inside/out');
    const names = ['../../x', 'invoice\u202Egnp.exe', '.bashrc', 'CON'];
    for (const name of names) await eve.sendFile({ bytes: Buffer.from(name), name }).done;
    await bob.waitForLine('stdout', '#2 eve: 📎 invoice\\u202egnp.exe (17 B) — /get 2 to save', 10_000);
    await bob.waitForLine('stdout', /^#4 eve: 📎 CON /, 10_000);
    bob.write([1, 2, 3, 4].map((seq) => `/get ${seq} ${out}\n`).join(''));
    await bob.waitForLine('stderr', /^\* saved CON .* as .*_CON$/, 20_000);
    for (let i = 0; i < 200 && readdirSync(out).length < 4; i++) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(readdirSync(out).sort(), ['_CON', 'bashrc', 'invoicegnp.exe', 'x']);
    assert.equal(readFileSync(path.join(out, 'x'), 'utf8'), '../../x');
    assert.deepEqual(readdirSync(base).sort(), ['inside'], 'nothing written outside the chosen folder');
    assert.deepEqual(readdirSync(path.join(base, 'inside')), ['out']);
    bob.end();
    assert.equal((await bob.exitWithin(15_000)).code, 0);
  });
});
