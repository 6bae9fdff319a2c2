// A throw-away folder for one run: home, XDG folders, TMPDIR, VS Code's user data and extensions,
// code-server's config, Chromium's profile and a small workspace, so nothing touches the real home or /tmp.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Settings that keep a test workbench quiet and offline. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden', // the empty AI chat side bar
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  // The suite's "share on my network" relay must not multicast on this machine's interfaces.
  'whatsudp.discovery.announce': false,
};

export function createSandbox() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-test-'));
  const dirs = {
    root,
    home: path.join(root, 'home'),
    tmp: path.join(root, 'tmp'),
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
    chromium: path.join(root, 'chromium-profile'),
    workspace: path.join(root, 'workspace'),
    config: path.join(root, 'code-server.yaml'),
  };
  for (const d of [dirs.home, dirs.tmp, dirs.userData, dirs.extensions, dirs.chromium, dirs.workspace]) {
    mkdirSync(d, { recursive: true });
  }
  mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  // code-server reads its config file even when every option is on the command line; give it an empty one.
  writeFileSync(dirs.config, 'auth: none\ncert: false\n');

  const xdg = (name) => path.join(root, 'xdg', name);
  const env = {
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    XDG_CONFIG_HOME: xdg('config'),
    XDG_DATA_HOME: xdg('data'),
    XDG_CACHE_HOME: xdg('cache'),
    XDG_STATE_HOME: xdg('state'),
    XDG_RUNTIME_DIR: xdg('runtime'),
  };
  for (const key of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR']) {
    mkdirSync(env[key], { recursive: true, mode: 0o700 });
  }
  return {
    ...dirs,
    env,
    remove() {
      rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}

/** A workspace with a few files, so "Send Selection" and "open snippet file" tests have something to open. */
export function fillWorkspace(dir) {
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  const hello = ['// A sample file for the WhatsUDP integration tests: 30 numbered lines.'];
  for (let i = 2; i <= 30; i++) hello.push(`export const line${String(i).padStart(2, '0')} = ${i}; // line ${i}`);
  writeFileSync(path.join(dir, 'src', 'hello.ts'), hello.join('\n') + '\n');
  writeFileSync(path.join(dir, 'README.md'), '# Test workspace\n\nMade by the WhatsUDP test runner; removed after the run.\n');
  writeFileSync(path.join(dir, 'notes.txt'), 'first line\nsecond line\nthird line\n');
}
