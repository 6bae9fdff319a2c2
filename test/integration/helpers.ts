// Shared by the integration tests: the extension's test hooks, bounded waits, settings that are put
// back, and peers (engine clients) that are closed after each suite.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type Address, ChatClient, type ClientOptions, parseAddress, type RoomMessage } from '../../src/chat';
import type { RenderReport } from '../../src/common/messages';
import type { WhatsUdpApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'whatsudp.whatsudp';

export async function extensionApi(): Promise<WhatsUdpApi> {
  const ext = vscode.extensions.getExtension<WhatsUdpApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed in this VS Code`);
  return ext.activate();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something truthy; fails naming `what` (and the last value seen). */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last saw: ${describe(last)}`);
    }
    await sleep(100);
  }
}

function describe(v: unknown): string {
  if (v instanceof Error) return v.message;
  try {
    return JSON.stringify(v)?.slice(0, 1000) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Waits until the panel reports something that passes `check`; returns that report. */
export async function reportWhere(api: WhatsUdpApi, what: string, check: (r: RenderReport) => boolean, timeoutMs = 10_000): Promise<RenderReport> {
  let last: RenderReport | undefined;
  try {
    return await waitFor(what, async () => {
      last = await api.panel.inspect();
      return check(last) ? last : undefined;
    }, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; the panel last showed ${describe(last)}`, { cause: err });
  }
}

/** User settings changed for a suite, put back by restore(). */
export class Settings {
  private readonly changed = new Set<string>();

  async set(key: string, value: unknown): Promise<void> {
    this.changed.add(key);
    await vscode.workspace.getConfiguration('whatsudp').update(key, value, vscode.ConfigurationTarget.Global);
  }

  async restore(): Promise<void> {
    for (const key of this.changed) {
      await vscode.workspace.getConfiguration('whatsudp').update(key, undefined, vscode.ConfigurationTarget.Global);
    }
    this.changed.clear();
  }
}

/** Notifications shown from now on. */
export function notificationsSince(api: WhatsUdpApi): () => string[] {
  const start = api.notifications.length;
  return () => api.notifications.slice(start);
}

/** A colleague on the engine's own client, recording what reaches them. Close it in after(). */
export class Peer {
  readonly messages: RoomMessage[] = [];
  readonly client: ChatClient;

  /** `more`: further client options, e.g. a room to join or create (issue 11). */
  constructor(server: Address, name: string, timers?: ClientOptions['timers'], more: Partial<ClientOptions> = {}) {
    this.client = new ChatClient({ ...more, server, name, timers });
    this.client.on('message', (m) => this.messages.push(m));
  }

  texts(): string[] {
    return this.messages.map((m) => `${m.sender.name}: ${m.text}`);
  }

  async start(): Promise<this> {
    await this.client.start();
    return this;
  }

  say(text: string): void {
    this.client.send({ kind: 'text', text });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Starts the relay through the command (port 0, this machine only) and returns its address. */
export async function startServer(api: WhatsUdpApi, settings: Settings): Promise<Address> {
  await settings.set('server.port', 0);
  await settings.set('server.share', 'local');
  await vscode.commands.executeCommand('whatsudp.startServer');
  const address = api.serverAddress();
  if (!address) throw new Error(`Start Server did not start a relay; notifications: ${api.notifications.slice(-3).join(' | ')}`);
  return parseAddress(address);
}

/** The chat panel's tab, if it is open. */
export function chatTab(): vscode.Tab | undefined {
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      if (tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('whatsudp.chat')) return tab;
    }
  }
  return undefined;
}

/** Closes the chat panel as a user would, with its tab's close button. */
export async function closeChatTab(): Promise<void> {
  const tab = chatTab();
  if (tab) await vscode.window.tabGroups.close(tab);
}

export function workspaceFile(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the test runner opened no workspace folder');
  return vscode.Uri.joinPath(folder.uri, ...relative.split('/'));
}

/** Switches the colour theme, waits for it to paint, and asks the runner for a screenshot. */
export async function screenshot(name: string, theme: string): Promise<void> {
  await vscode.workspace.getConfiguration('workbench').update('colorTheme', theme, vscode.ConfigurationTarget.Global);
  await sleep(1000);
  console.log(`WHATSUDP_SCREENSHOT ${name}`);
  await sleep(1500); // the runner takes it asynchronously: keep the screen as it is meanwhile
}

export async function resetTheme(): Promise<void> {
  await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
}

/** Has the runner press `keys` (if any) in the page, wherever the focus is (test/runner/keys.mjs), then
 * take the screenshot `name`; resolves once that picture exists, so the keys have been pressed by then. */
export async function pressKeysShown(name: string, ...keys: string[]): Promise<void> {
  const dir = process.env.WHATSUDP_SCREENSHOT_DIR;
  if (!dir || process.env.WHATSUDP_KEYS !== '1') throw new Error('no runner that presses keys and takes screenshots (WHATSUDP_KEYS, WHATSUDP_SCREENSHOT_DIR)');
  const file = path.join(dir, `${name}.png`);
  fs.rmSync(file, { force: true });
  if (keys.length > 0) console.log(`WHATSUDP_KEYS ${JSON.stringify(keys)}`);
  console.log(`WHATSUDP_SCREENSHOT ${name}`);
  await waitFor(`the runner to press ${keys.join(', ') || 'no keys'} and take ${name}.png`, () => fs.existsSync(file), 20_000);
}
