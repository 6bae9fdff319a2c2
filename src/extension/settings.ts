// Reads the `whatsudp.*` settings. A bad value becomes a SettingProblem that names the setting,
// so the message the user sees says which one to fix and how.
import * as os from 'node:os';
import * as vscode from 'vscode';
import { type Address, ChatError, checkPort, DEFAULT_PORT, nameProblem, normalizeName, parseAddress } from '../chat';
import { readClusterSettings, type ClusterSettings } from './clusterSettings';

export const SECTION = 'whatsudp';

export type Share = 'ask' | 'local' | 'network';
export type NotifyPolicy = 'mentions' | 'all' | 'off';

export class SettingProblem extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = 'SettingProblem';
  }
}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

export function relayAddress(): Address {
  const text = config().get<string>('relayAddress', `127.0.0.1:${DEFAULT_PORT}`);
  try {
    return parseAddress(text);
  } catch (err) {
    const why = err instanceof ChatError ? err.message : String(err);
    throw new SettingProblem('whatsudp.relayAddress', `The setting whatsudp.relayAddress is not a relay address. ${why}`);
  }
}

/** The name to chat under: the setting, or else the OS user name; undefined when neither is usable. */
export function chatName(): { name?: string; problem?: SettingProblem } {
  const configured = normalizeName(config().get<string>('name', ''));
  if (configured) {
    const problem = nameProblem(configured);
    if (!problem) return { name: configured };
    return { problem: new SettingProblem('whatsudp.name', `The setting whatsudp.name is not a usable name. ${problem}`) };
  }
  let user = '';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the user picks a name instead.
  }
  user = normalizeName(user);
  return user && !nameProblem(user) ? { name: user } : {};
}

export function serverPort(): number {
  const value = config().get<number>('server.port', DEFAULT_PORT);
  try {
    return checkPort(value);
  } catch {
    throw new SettingProblem('whatsudp.server.port', `The setting whatsudp.server.port must be a whole number from 0 to 65535, not "${value}".`);
  }
}

/** Start Server's cluster (issue 15): none while whatsudp.server.cluster is empty, else its options or what to fix. */
export function serverCluster(): ClusterSettings {
  const c = config();
  return readClusterSettings((key) => c.get(key), legacyEnabled());
}

export function share(): Share {
  const value = config().get<string>('server.share', 'ask');
  return value === 'local' || value === 'network' ? value : 'ask';
}

/** Whether the relay started here takes the original Python chat's datagrams (the legacy bridge):
 * off by default, since anyone on the network can claim any name in one. */
export function legacyEnabled(): boolean {
  return config().get<boolean>('legacy.enabled', false) === true;
}

/** The address the relay started here re-broadcasts to for the original Python clients, if any. */
export function legacyBroadcast(): string | undefined {
  if (!legacyEnabled()) return undefined;
  const address = config().get<string>('legacy.broadcastAddress', '').trim();
  return address || undefined;
}

/** Whether a relay shared on the network announces itself, so colleagues find it (Find Relays). */
export function discoveryAnnounce(): boolean {
  return config().get<boolean>('discovery.announce', true) !== false;
}

export function notifyPolicy(): NotifyPolicy {
  const value = config().get<string>('notifications', 'mentions');
  return value === 'all' || value === 'off' ? value : 'mentions';
}

export function maxMessages(): number {
  const value = config().get<number>('history.maxMessages', 5000);
  return Number.isInteger(value) && value >= 0 ? Math.min(value, 100_000) : 5000;
}

/** Whether this window tells the room how far its person has seen (others' "seen" is shown either way). */
export function readReceipts(): boolean {
  return config().get<boolean>('readReceipts', true) !== false;
}

/** Whether this window tells the room when its person is typing (others' typing is shown either way). */
export function typingIndicator(): boolean {
  return config().get<boolean>('typingIndicator', true) !== false;
}

/** Writes a setting where it takes effect: the most specific scope that already sets it, else the user settings. */
export async function updateSetting(key: string, value: unknown): Promise<void> {
  const c = config();
  const seen = c.inspect(key);
  // The settings are window-scoped (no folder values), so the workspace is the only scope above the user's.
  const target = seen?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await c.update(key, value, target);
}

export function openSettings(key?: string): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', key ?? SECTION);
}

/** Asks for a chat name, checked as the relay will check it; undefined if the user cancels. */
export async function askName(value: string, why?: string): Promise<string | undefined> {
  const name = await vscode.window.showInputBox({
    title: 'WhatsUDP: your name in the chat',
    prompt: `${why ? `${why} ` : ''}1–32 characters, no ":". Saved as whatsudp.name.`,
    value,
    validateInput: (v) => nameProblem(normalizeName(v)),
    ignoreFocusOut: true,
  });
  return name === undefined ? undefined : normalizeName(name);
}
