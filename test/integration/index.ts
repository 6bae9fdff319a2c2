// The mocha entry that VS Code calls in the extension host (extensionTestsPath): runs every *.test.js
// beside this file. Used unchanged by the code-server runner (test/runner) and by @vscode/test-electron.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec', // prints the "N passing / N failing" summary that the runners read
    timeout: 30_000,
    color: false,
    // WHATSUDP_TEST_GREP="some title" runs only the matching tests while working on them.
    grep: process.env.WHATSUDP_TEST_GREP || undefined,
  });
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));

  return new Promise((resolve, reject) => {
    if (files.length === 0) {
      reject(new Error(`no *.test.js files in ${__dirname}`));
      return;
    }
    try {
      const runner = mocha.run((failures) => {
        const ran = runner.stats?.tests ?? 0;
        if (failures > 0) reject(new Error(`${failures} of ${ran} integration tests failed`));
        else if (ran === 0) reject(new Error('no integration test ran'));
        else resolve();
      });
    } catch (err) {
      // A test file that throws while loading lands here.
      console.error(err);
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
