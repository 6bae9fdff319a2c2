// Replacing a file whole (src/chat/fs.ts), as the relay's store and the extension's history do: the
// reader finds the old content or the new, and a failed write leaves no temporary file behind.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { replaceFile, replaceFileSync } from '../../src/chat/fs';

const dir = mkdtempSync(path.join(tmpdir(), 'whatsudp-replace-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const variants = [
  ['replaceFile', (file: string, content: string, fsync?: boolean) => replaceFile(file, content, { fsync })],
  // A throw inside the executor becomes a rejection, as the async variant's would be.
  ['replaceFileSync', (file: string, content: string, fsync?: boolean) => new Promise<void>((resolve) => resolve(replaceFileSync(file, content, { fsync })))],
] as const;

for (const [name, replace] of variants) {
  describe(name, () => {
    it('creates a file, then replaces it whole, with or without fsync', async () => {
      const file = path.join(dir, `${name}.json`);
      await replace(file, '{"a":1}');
      assert.equal(readFileSync(file, 'utf8'), '{"a":1}');
      await replace(file, 'x'.repeat(1 << 20), true);
      assert.equal(readFileSync(file, 'utf8').length, 1 << 20);
      await replace(file, '');
      assert.equal(readFileSync(file, 'utf8'), '');
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    });

    it('fails without touching the target or leaving a temporary file', async () => {
      const target = path.join(dir, `${name}-taken`);
      mkdirSync(target);
      writeFileSync(path.join(target, 'inside'), 'kept');
      await assert.rejects(replace(target, 'new'), /EISDIR|EEXIST|ENOTEMPTY|EPERM/);
      assert.equal(readFileSync(path.join(target, 'inside'), 'utf8'), 'kept');
      await assert.rejects(replace(path.join(dir, 'missing', 'file'), 'new'), /ENOENT/);
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    });
  });
}
