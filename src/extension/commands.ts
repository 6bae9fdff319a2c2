// The commands in the palette (and the editor's context menu). Each is guarded: an error becomes a
// message for the user and a line in the log, never a rejected command or a crashed host.
import * as vscode from 'vscode';
import { ChatError } from '../chat';
import type { ChatSession } from './chatSession';
import { findRelays } from './findRelays';
import { guarded, type Notifier } from './notify';
import { joinFromLink, type LinkJoiner } from './rooms';
import type { PanelHost } from './panelHost';
import type { Server } from './server';
import * as settings from './settings';
import { pathProblem, resolveSnippet, showLines, snippetOf } from './snippets';
import { verifyMember } from './verify';
import { plain } from './views';

/** What the commands act on: the App, as far as they use it. Named here rather than imported, so
 * that app.ts imports this file and never the other way round. */
export interface ChatCommands extends LinkJoiner {
  readonly notifier: Notifier;
  readonly server: Pick<Server, 'start' | 'stop' | 'info'>;
  readonly panels: Pick<PanelHost, 'open'>;
  session(): Promise<ChatSession>;
  startChat(interactive: boolean): Promise<ChatSession | undefined>;
  openChat(): Promise<void>;
  reconnect(): Promise<void>;
}

/** Every command of the extension, registered here and nowhere else. */
export function registerCommands(app: ChatCommands): vscode.Disposable[] {
  const n = app.notifier;
  const command = (id: string, doing: string, fn: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(id, guarded(n, doing, fn));
  return [
    command('whatsudp.openChat', 'Opening the chat', () => app.openChat()),
    command('whatsudp.startServer', 'Starting the server', () => app.server.start()),
    command('whatsudp.stopServer', 'Stopping the server', () => app.server.stop()),
    command('whatsudp.changeName', 'Changing your name', () => changeName(app)),
    command('whatsudp.sendSelection', 'Sending the selection', () => sendSelection(app)),
    command('whatsudp.clearHistory', 'Clearing the history', () => clearHistory(app)),
    command('whatsudp.showLog', 'Showing the log', () => n.log.show()),
    command('whatsudp.reconnect', 'Reconnecting', () => app.reconnect()),
    // From the palette it asks for the link; a caller (a test, another extension) may pass it.
    command('whatsudp.joinRoomFromLink', 'Joining a room from a link', (link) => joinFromLink(app, typeof link === 'string' ? link : undefined)),
    // From the palette it asks whom; the member list's Verify button passes the member's session id.
    command('whatsudp.verifyMember', 'Verifying a member', (memberId) => verifyMember(app, memberId)),
    command('whatsudp.findRelays', 'Finding relays', () => findRelays({ notifier: n, serving: () => app.server.info !== undefined, openChat: () => app.openChat() })),
  ];
}

export async function changeName(app: ChatCommands): Promise<void> {
  const session = await app.session();
  const name = await settings.askName(session.name);
  if (name === undefined || name === session.name) return;
  await settings.updateSetting('name', name);
  // The settings listener renames too; doing it here means the command is done when it returns.
  await session.rename(name);
  app.notifier.info(`You are now "${name}" in the chat.`);
}

async function sendSelection(app: ChatCommands): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    app.notifier.info('Open a file and select some code to send it to the chat.');
    return;
  }
  const session = await app.startChat(true);
  if (!session) return;
  try {
    session.sendBody(snippetOf(editor));
  } catch (err) {
    if (err instanceof ChatError && (err.code === 'TOO_LARGE' || err.code === 'EMPTY')) {
      app.notifier.warn(err.code === 'EMPTY' ? 'The selection is empty: there is nothing to send.' : `The selection is too large to send. ${err.message}`);
      return;
    }
    throw err;
  }
  // The sender sees it go out without losing their place in the editor.
  await app.panels.open(true);
}

async function clearHistory(app: ChatCommands): Promise<void> {
  (await app.session()).clear();
  app.notifier.info('WhatsUDP: the chat history in this window is cleared. Messages still being sent were kept.');
}

/** The webview's `openSnippet`: the file a colleague's snippet names, at its lines, if this workspace has it
 * (`session`: the room's whose panel asked; the default room's if absent). */
export async function openSnippet(app: ChatCommands, key: string, chatColumn: vscode.ViewColumn | undefined, session?: ChatSession): Promise<void> {
  const entry = (session ?? (await app.session())).find(key);
  if (!entry || entry.body.kind !== 'snippet') return;
  const { path, startLine, endLine } = entry.body;
  const shown = plain(path);
  const problem = pathProblem(path);
  if (problem) {
    app.notifier.warn(`Not opening "${shown}": ${problem}. WhatsUDP opens only files inside this workspace.`);
    return;
  }
  const uri = await resolveSnippet(path);
  if (!uri) {
    app.notifier.warn(`"${shown}" is not in this workspace, so the snippet cannot be opened here.`);
    return;
  }
  await showLines(uri, startLine, endLine, chatColumn);
}
