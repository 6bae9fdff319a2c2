// The file system side of /send and /get (src/cli/file-io.ts): what /send refuses before anything is
// sent, and how /get saves: never over an existing file, "name (1).ext" instead, and nothing left
// behind when saving fails.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readForSending, saveNew } from '../../src/cli/file-io';

const root = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-files-io-'));
after(() => rmSync(root, { recursive: true, force: true }));
let made = 0;
const freshDir = (): string => {
  const dir = path.join(root, `d${made++}`);
  mkdirSync(dir);
  return dir;
};
const MAX = 16 * 1024 * 1024;
chmodSync(root, 0o755); // another user (below) must reach the folders in it

/** Runs `call` (a call of file-io.ts's exports) as a user who is not root: root reads and writes
 * everything, so a permission refusal can only be seen as someone else. The child loads the module as
 * the user running the tests, then (when that is root) becomes nobody (65534) before the call, so
 * wherever the clone is, only the call runs with less. Its JSON result or error. */
function asOtherUser(call: string): { ok?: unknown; error?: string } {
  const fileIo = require.resolve('../../src/cli/file-io');
  const drop = process.getuid?.() === 0 ? 'process.setgid(65534); process.setuid(65534);' : '';
  const script = `const io = require(${JSON.stringify(fileIo)}); ${drop} (${call}).then((ok) => console.log(JSON.stringify({ ok })), (e) => console.log(JSON.stringify({ error: String(e.message) })));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { ok?: unknown; error?: string };
}

describe('readForSending', () => {
  it('reads a file and names it by the last part of its path', async () => {
    const dir = freshDir();
    writeFileSync(path.join(dir, 'report.pdf'), 'PDF');
    const got = await readForSending(path.join(dir, 'report.pdf'), 'report.pdf', MAX);
    assert.ok('bytes' in got);
    assert.equal(got.name, 'report.pdf');
    assert.equal(got.bytes.toString(), 'PDF');
  });

  it('refuses a missing path, a folder, a device, and more than the limit (both sizes)', async () => {
    const dir = freshDir();
    assert.deepEqual(await readForSending(path.join(dir, 'nope.txt'), 'nope.txt', MAX), { error: 'there is no file nope.txt' });
    assert.deepEqual(await readForSending(dir, 'd', MAX), { error: 'd is a folder (/send sends one file)' });
    assert.deepEqual(await readForSending('/dev/null', '/dev/null', MAX), { error: '/dev/null is not a regular file' });
    const big = path.join(dir, 'x.iso');
    writeFileSync(big, '');
    // A sparse file: its size is what counts, and it is refused before a byte of it is read.
    const fd = await import('node:fs/promises').then((fs) => fs.open(big, 'r+'));
    await fd.truncate(700 * 1024 * 1024);
    await fd.close();
    assert.deepEqual(await readForSending(big, 'x.iso', MAX), { error: 'x.iso is 700.0 MiB; files can be at most 16 MiB' });
    writeFileSync(big, Buffer.alloc(MAX));
    assert.ok('bytes' in (await readForSending(big, 'x.iso', MAX)), 'exactly 16 MiB is allowed');
    writeFileSync(big, Buffer.alloc(MAX + 1));
    assert.deepEqual(await readForSending(big, 'x.iso', MAX), { error: 'x.iso is 16,777,217 bytes; files can be at most 16,777,216 bytes (16 MiB)' });
  });

  it('refuses a file it may not read', () => {
    const dir = freshDir();
    chmodSync(dir, 0o755);
    const file = path.join(dir, 'secret.txt');
    writeFileSync(file, 'x');
    chmodSync(file, 0o000);
    assert.deepEqual(asOtherUser(`io.readForSending(${JSON.stringify(file)}, 'secret.txt', ${MAX})`), { ok: { error: 'secret.txt cannot be read (permission denied)' } });
  });
});

describe('saveNew', () => {
  it('saves under the name, then "name (1).ext", "name (2).ext": never over a file', async () => {
    const dir = freshDir();
    writeFileSync(path.join(dir, 'report.pdf'), 'theirs');
    const first = await saveNew({ dir, name: 'report.pdf' }, Buffer.from('one'));
    const second = await saveNew({ dir, name: 'report.pdf' }, Buffer.from('two'));
    assert.equal(path.basename(first), 'report (1).pdf');
    assert.equal(path.basename(second), 'report (2).pdf');
    assert.equal(readFileSync(path.join(dir, 'report.pdf'), 'utf8'), 'theirs', 'the file that was there is untouched');
    assert.equal(readFileSync(first, 'utf8'), 'one');
    assert.equal(readFileSync(second, 'utf8'), 'two');
    assert.deepEqual(readdirSync(dir).sort(), ['report (1).pdf', 'report (2).pdf', 'report.pdf'], 'no temporary file left');
    assert.equal(statSync(first).mode & 0o111, 0, 'never executable');
  });

  it('saves an empty file, and many at once each under its own name', async () => {
    const dir = freshDir();
    const paths = await Promise.all(Array.from({ length: 12 }, (_, i) => saveNew({ dir, name: 'a.txt' }, Buffer.from(String(i)))));
    assert.equal(new Set(paths).size, 12);
    const contents = paths.map((p) => readFileSync(p, 'utf8')).sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(contents, Array.from({ length: 12 }, (_, i) => String(i)));
    const empty = await saveNew({ dir, name: 'empty' }, new Uint8Array(0));
    assert.equal(statSync(empty).size, 0);
  });

  it('leaves nothing behind when it cannot save', () => {
    const dir = freshDir();
    chmodSync(dir, 0o555);
    assert.match(asOtherUser(`io.saveNew({ dir: ${JSON.stringify(dir)}, name: 'x.bin' }, Buffer.from('x'))`).error ?? 'saved', /EACCES/);
    chmodSync(dir, 0o700);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('leaves nothing behind when the name cannot be made (too long for the file system)', async () => {
    const dir = freshDir();
    await assert.rejects(saveNew({ dir, name: `${'n'.repeat(300)}.bin` }, Buffer.from('x')), /ENAMETOOLONG/);
    assert.deepEqual(readdirSync(dir), []);
  });
});
