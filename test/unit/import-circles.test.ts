// No import circles anywhere in src/ (the house style: arrows point one way, from the extension down
// to the engine and the protocol). dpdm reads the imports with the TypeScript parser; type-only
// imports count too, since a circle of types is still two files that cannot be read apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCircular, parseDependencyTree } from 'dpdm';

const ROOT = path.resolve(__dirname, '../../..');

/** Every import circle among the .ts files under `dir`, each as "a.ts -> b.ts" (and back to a.ts). */
async function circles(dir: string): Promise<{ files: number; circles: string[] }> {
  const tree = await parseDependencyTree('**/*.ts', { cwd: dir, context: dir, transform: false, skipDynamicImports: false });
  return {
    files: Object.keys(tree).length,
    circles: parseCircular(tree).map((c) => c.map((f) => path.relative(dir, path.resolve(dir, f))).join(' -> ')),
  };
}

test('src/ has no import circles', async () => {
  const found = await circles(path.join(ROOT, 'src'));
  assert.ok(found.files > 50, `the check read all of src/ (${found.files} files)`);
  assert.deepEqual(found.circles, [], 'each circle is listed as the files that import each other');
});

test('the check finds a circle, type-only imports included', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'whatsudp-circle-'));
  try {
    writeFileSync(path.join(dir, 'app.ts'), "import { register } from './commands';\nexport class App {}\nregister(new App());\n");
    writeFileSync(path.join(dir, 'commands.ts'), "import type { App } from './app';\nexport function register(app: App): void {}\n");
    writeFileSync(path.join(dir, 'alone.ts'), "import { App } from './app';\nexport const app = new App();\n");
    const found = (await circles(dir)).circles;
    assert.equal(found.length, 1, found.join(' | '));
    assert.deepEqual(found[0].split(' -> ').sort(), ['app.ts', 'commands.ts'], found[0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
