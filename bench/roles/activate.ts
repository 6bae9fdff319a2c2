// Activation time outside VS Code: a fresh process requires the production dist/extension.js with a
// stand-in `vscode` module (injected through Module._load) and calls activate(). The stand-in
// answers every API the extension touches with inert objects, settings with their defaults and
// globalState with nothing (a first-time user). This times the extension's own work (loading its
// bundle, building its parts); VS Code's share (the extension host, reading package.json) is not in it.
import { createRequire } from 'node:module';
import Module from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Role } from './role';

/** Anything: callable, constructible, every property another Anything, never a thenable. */
function anything(name: string): any {
  const props = new Map<PropertyKey, unknown>(); // beside the function, whose own `name` is read-only
  return new Proxy(function () {}, {
    get(_t, prop) {
      if (props.has(prop)) return props.get(prop);
      if (prop === 'then') return undefined;
      if (prop === Symbol.toPrimitive) return () => name;
      if (prop === Symbol.iterator) return function* () {};
      if (prop === 'dispose') return () => undefined;
      const child = anything(`${name}.${String(prop)}`);
      props.set(prop, child);
      return child;
    },
    set(_t, prop, value) {
      props.set(prop, value);
      return true;
    },
    apply: () => anything(`${name}()`),
    construct: () => anything(`new ${name}`),
  });
}

function fakeUri(fsPath: string): any {
  return { fsPath, path: fsPath, scheme: 'file', toString: () => `file://${fsPath}`, with: () => fakeUri(fsPath) };
}

function fakeVscode(): any {
  class Disposable {
    constructor(private readonly fn: () => void = () => undefined) {}
    static from(...ds: { dispose(): unknown }[]) {
      return new Disposable(() => ds.forEach((d) => d.dispose()));
    }
    dispose() {
      this.fn();
    }
  }
  class EventEmitter<T> {
    private listeners: ((e: T) => void)[] = [];
    event = (l: (e: T) => void) => {
      this.listeners.push(l);
      return new Disposable(() => (this.listeners = this.listeners.filter((x) => x !== l)));
    };
    fire(e: T) {
      for (const l of this.listeners) l(e);
    }
    dispose() {
      this.listeners = [];
    }
  }
  const subscription = () => new Disposable();
  const api = {
    Disposable,
    EventEmitter,
    Uri: { file: fakeUri, parse: (s: string) => fakeUri(s), joinPath: (u: { fsPath: string }, ...p: string[]) => fakeUri(path.join(u.fsPath, ...p)) },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    ThemeColor: class {
      constructor(readonly id: string) {}
    },
    workspace: {
      getConfiguration: () => ({ get: (_k: string, d?: unknown) => d, has: () => false, inspect: () => undefined, update: async () => undefined }),
      onDidChangeConfiguration: subscription,
      workspaceFolders: undefined,
    },
    window: {
      createOutputChannel: () => anything('outputChannel'),
      createStatusBarItem: () => anything('statusBarItem'),
      registerWebviewPanelSerializer: subscription,
      showInformationMessage: async () => undefined,
      showWarningMessage: async () => undefined,
      showErrorMessage: async () => undefined,
    },
    commands: { registerCommand: subscription, executeCommand: async () => undefined },
  };
  const base = anything('vscode');
  return new Proxy(api, { get: (t: any, p) => (p in t ? t[p] : base[p]) });
}

export async function activateRole(opts: { extension: string }): Promise<Role> {
  const storage = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-bench-activate-'));
  const vscode = fakeVscode();
  const M = Module as unknown as { _load: (req: string, ...rest: unknown[]) => unknown };
  const load = M._load;
  M._load = function (req: string, ...rest: unknown[]) {
    return req === 'vscode' ? vscode : load.call(this, req, ...rest);
  };
  const memento = () => ({ get: () => undefined, update: async () => undefined, keys: () => [], setKeysForSync: () => undefined });
  const context = {
    subscriptions: [] as { dispose(): unknown }[],
    globalState: memento(),
    workspaceState: memento(),
    globalStorageUri: fakeUri(storage),
    storageUri: fakeUri(storage),
    logUri: fakeUri(storage),
    extensionUri: fakeUri(path.dirname(path.dirname(opts.extension))),
    extensionPath: path.dirname(path.dirname(opts.extension)),
    extensionMode: 1,
    secrets: anything('secrets'),
    environmentVariableCollection: anything('environmentVariableCollection'),
    asAbsolutePath: (p: string) => path.join(path.dirname(path.dirname(opts.extension)), p),
  };
  const require = createRequire(import.meta.url);
  const t0 = performance.now();
  const ext = require(opts.extension) as { activate(c: unknown): { activationMs?: number } | undefined; deactivate?(): unknown };
  const t1 = performance.now();
  const api = ext.activate(context);
  const t2 = performance.now();
  return {
    info: { requireMs: t1 - t0, activateMs: t2 - t1, totalMs: t2 - t0, ownActivationMs: api?.activationMs },
    handlers: {},
    close: async () => {
      for (const d of context.subscriptions) d.dispose();
      await ext.deactivate?.();
      rmSync(storage, { recursive: true, force: true });
    },
  };
}
