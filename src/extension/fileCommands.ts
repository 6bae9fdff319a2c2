// Send File... (issue 14): from the palette it asks for a file; from the Explorer's context menu or an
// editor tab's ("Send to WhatsUDP Room...") it sends that file. The room is the focused panel's, the
// only one, or picked from a list when several are joined. Refused before reading: a folder, more than
// 16 MiB (both sizes said). An image's width and height are read from its header (png/jpeg/gif/webp),
// so receivers reserve its box; progress goes to a notification with Cancel and to the room's panel.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { imageDimensions, mimeFor } from '../cli/file-meta';
import { fileSizeProblem } from '../common/message';
import type { ChatPanel } from './chatPanel';
import type { ChatSession } from './chatSession';
import type { FileHost } from './files';
import { guarded, type Notifier } from './notify';
import type { PanelHost } from './panelHost';
import type { RoomHub } from './roomHub';
import { MAIN_ROOM } from './roomList';

export interface FileCommandHost {
  readonly notifier: Notifier;
  readonly files: FileHost;
  readonly panels: Pick<PanelHost, 'activeRoom' | 'panel' | 'roomPanel'>;
  readonly hub: Pick<RoomHub, 'list'>;
  startChat(interactive: boolean): Promise<ChatSession | undefined>;
}

export function registerFileCommands(app: FileCommandHost): vscode.Disposable[] {
  const send = guarded(app.notifier, 'Sending a file', (uri: unknown) => sendFile(app, uri instanceof vscode.Uri ? uri : undefined));
  return [vscode.commands.registerCommand('whatsudp.sendFile', send), vscode.commands.registerCommand('whatsudp.sendFileToRoom', send)];
}

/** The room to send to: the focused panel's, the only one, or the person's pick; undefined if none. */
async function pickRoom(app: FileCommandHost): Promise<{ session: ChatSession; panel?: ChatPanel } | undefined> {
  const main = await app.startChat(true);
  if (!main) return undefined;
  const rooms = [{ room: MAIN_ROOM, session: main }, ...app.hub.list.map((e) => ({ room: e.joined.room, session: e.session }))];
  const active = app.panels.activeRoom;
  let room = rooms.find((r) => r.room === active) ?? (rooms.length === 1 ? rooms[0] : undefined);
  if (!room) {
    const picked = await vscode.window.showQuickPick(rooms.map((r) => ({ label: r.room, r })), { placeHolder: 'Send the file to which room?' });
    room = picked?.r;
  }
  if (!room) return undefined;
  return { session: room.session, panel: room.room === MAIN_ROOM ? app.panels.panel : app.panels.roomPanel(room.room) };
}

async function sendFile(app: FileCommandHost, given: vscode.Uri | undefined): Promise<void> {
  const uri = given ?? (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Send', title: 'Send a file to the chat' }))?.[0];
  if (!uri) return;
  const name = path.posix.basename(uri.path) || 'file';
  const stat = await vscode.workspace.fs.stat(uri);
  if (stat.type & vscode.FileType.Directory) return app.notifier.warn(`${name} is a folder: only files can be sent.`);
  const tooBig = fileSizeProblem(name, stat.size);
  if (tooBig) return app.notifier.warn(tooBig);
  const target = await pickRoom(app);
  if (!target) return;
  const bytes = await vscode.workspace.fs.readFile(uri);
  const mime = mimeFor(name);
  const dims = imageDimensions(bytes, mime);
  await app.files.send(target.session, { bytes, name, mime, ...(dims ?? {}) }, target.panel?.filePanel);
}
