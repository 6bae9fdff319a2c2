// The room commands (issue 11, and issue 9's "create a sealed room from the panel"): Create Room...,
// Join Room..., Open Room, Leave Room, Mute Room / Unmute Room. Each room is a session of its own on
// the relay the chat is on; its panel is a tab of its own. Registered by registerRoomCommands.
import * as vscode from 'vscode';
import type { Server } from './server';
import { type Address, ChatError, formatAddress } from '../chat';
import { nodeCrypto } from '../protocol/crypto';
import { formatInvite, formatVscodeInvite, type Invite } from '../protocol/invite';
import { newRoomSecret } from '../protocol/sealed-room';
import type { ChatSession, RoomKeys } from './chatSession';
import { guarded, type Notifier } from './notify';
import type { PanelHost } from './panelHost';
import type { RoomHub } from './roomHub';
import { MAIN_ROOM, normalizeRoomName, roomNameProblem } from './roomList';
import type { RoomSecrets } from './rooms';

/** What the room commands use of the App. */
export interface RoomApp {
  readonly notifier: Notifier;
  readonly hub: RoomHub;
  readonly panels: PanelHost;
  readonly rooms: RoomSecrets;
  /** Joins the default room if not yet (asking for a name): rooms live on the relay it is on. */
  startChat(interactive: boolean): Promise<ChatSession | undefined>;
  openChat(): Promise<void>;
  /** Asks the relay for its rooms again (the sidebar's "More Rooms"). */
  refreshRooms(): Promise<void>;
  /** The pinned key fingerprint of the relay at `server`, once joined there. */
  relayFingerprint(server: Address): Promise<string | undefined>;
  /** The server this window runs, if any (Rotate Room Key of its sealed default room). */
  readonly server: Server;
}

export function registerRoomCommands(app: RoomApp): vscode.Disposable[] {
  const command = (id: string, doing: string, fn: (...args: unknown[]) => unknown) => vscode.commands.registerCommand(id, guarded(app.notifier, doing, fn));
  const named = (x: unknown) => (typeof x === 'string' ? x : undefined);
  return [
    // From the palette each asks; a caller (the sidebar, a test) may pass the room's name and choice.
    command('whatsudp.createRoom', 'Creating a room', (name, kind) => createRoom(app, named(name), kind === 'open' || kind === 'sealed' ? kind : undefined)),
    command('whatsudp.joinRoom', 'Joining a room', (name) => joinRoom(app, named(name))),
    command('whatsudp.openRoom', 'Opening the room', (name) => openRoom(app, named(name) ?? roomOf(name))),
    command('whatsudp.leaveRoom', 'Leaving the room', (name) => leaveRoom(app, named(name) ?? roomOf(name))),
    command('whatsudp.refreshRooms', 'Listing the relay\'s rooms', () => app.refreshRooms()),
    command('whatsudp.muteRoom', 'Muting the room', (name) => muteRoom(app, named(name) ?? roomOf(name), true)),
    command('whatsudp.unmuteRoom', 'Unmuting the room', (name) => muteRoom(app, named(name) ?? roomOf(name), false)),
  ];
}

/** A sidebar row passed to a context-menu command: its room's name. */
function roomOf(node: unknown): string | undefined {
  const r = (node as { r?: { room?: unknown } } | undefined)?.r;
  return typeof r?.room === 'string' ? r.room : undefined;
}

/** Asks for a room name as the user types it (lower-cased), saying a bad one at once. */
async function askRoomName(title: string, prompt: string): Promise<string | undefined> {
  const typed = await vscode.window.showInputBox({
    title,
    prompt,
    placeHolder: 'design-review',
    ignoreFocusOut: true,
    validateInput: (text) => (text.trim() === '' ? undefined : roomNameProblem(normalizeRoomName(text))),
  });
  return typed?.trim() ? normalizeRoomName(typed) : undefined;
}

/** The relay the chat is on, joining the default room first if needed; undefined if that failed. */
async function relayOf(app: RoomApp): Promise<Address | undefined> {
  const main = await app.startChat(true);
  return main?.server;
}

async function createRoom(app: RoomApp, given?: string, kind?: 'sealed' | 'open'): Promise<void> {
  const name = given !== undefined ? normalizeRoomName(given) : await askRoomName('WhatsUDP: Create Room', 'A name for the new room (lower case: a-z, 0-9, ".", "_", "-").');
  if (!name) return;
  const problem = roomNameProblem(name);
  if (problem) return app.notifier.error(problem);
  const sealedPick = { label: 'Sealed', description: 'only holders of its invite link can join and read; the relay cannot read it' };
  const openPick = { label: 'Open', description: 'anyone who reaches the relay can join and read' };
  const picked = kind ?? (await vscode.window.showQuickPick([sealedPick, openPick], { title: `WhatsUDP: Create Room "${name}"` }).then((p) => (p === openPick ? 'open' : p ? 'sealed' : undefined)));
  if (!picked) return;
  const relay = await relayOf(app);
  if (!relay) return;
  if (app.hub.entry(name)) return app.notifier.info(`You are in room ${name} already.`, { 'Open Room': () => openRoom(app, name) });
  // Sealed: this window makes the secret; the relay only ever sees the verifier derived from it.
  const keys: RoomKeys | undefined = picked === 'sealed' ? { secret: newRoomSecret(nodeCrypto), fingerprints: [] } : undefined;
  await join(app, name, { created: true }, keys);
  if (!keys) return app.notifier.info(`Room ${name} is open on ${formatAddress(relay)}: colleagues join it with "WhatsUDP: Join Room..." or from the sidebar.`);
  const fp = await app.relayFingerprint(relay);
  const withFp: RoomKeys = { secret: keys.secret, fingerprints: fp ? [fp] : [] };
  await app.rooms.rememberRoom(relay, name, withFp);
  const inv: Invite = { relays: [{ host: relay.host, port: relay.port }], room: name, fingerprints: withFp.fingerprints, secret: keys.secret };
  app.notifier.info(`Sealed room ${name} is made on ${formatAddress(relay)}. Give its invite link only to those who should read it: anyone holding it can.`, inviteActions(inv));
}

/** Copy buttons for a room's link: it carries the secret, so it is copied when asked, never shown. */
export function inviteActions(inv: Invite): Record<string, () => unknown> {
  return {
    'Copy Invite Link': () => vscode.env.clipboard.writeText(formatInvite(inv)),
    'Copy VS Code Link': () => vscode.env.clipboard.writeText(formatVscodeInvite(inv, vscode.env.uriScheme)),
  };
}

async function joinRoom(app: RoomApp, given?: string): Promise<void> {
  const name = given !== undefined ? normalizeRoomName(given) : await askRoomName('WhatsUDP: Join Room', 'The name of a room on the relay the chat is on (a sealed room needs its link: "Join Room from Link").');
  if (!name) return;
  if (name === MAIN_ROOM) return app.openChat();
  const problem = roomNameProblem(name);
  if (problem) return app.notifier.error(problem);
  if (!(await relayOf(app))) return;
  await join(app, name, {});
}

/** Joins and opens the room's panel; a refusal is said with the relay's reason. */
export async function join(app: RoomApp, room: string, spec: { created?: boolean; dm?: { peer: string; key: string } }, keys?: RoomKeys): Promise<void> {
  try {
    await app.hub.join({ room, ...spec }, keys);
  } catch (err) {
    if (err instanceof ChatError) {
      const sealedHint = err.message.includes('sealed') ? { 'Join Room from Link': () => vscode.commands.executeCommand('whatsudp.joinRoomFromLink') } : undefined;
      app.notifier.error(`Cannot join room ${room}: ${err.message}`, sealedHint);
      return;
    }
    throw err;
  }
  void app.refreshRooms();
  await openRoom(app, room);
}

async function openRoom(app: RoomApp, room: string | undefined): Promise<void> {
  if (room === undefined || room === MAIN_ROOM) return app.openChat();
  const e = app.hub.entry(room);
  if (!e) return app.notifier.warn(`You are not in room ${room}: join it first ("WhatsUDP: Join Room...").`);
  app.panels.openRoom(room, e.session, e.joined.dm?.peer);
}

async function pickJoined(app: RoomApp, title: string, filter?: (room: string) => boolean): Promise<string | undefined> {
  const joined = app.hub.list.map((e) => ({ label: e.joined.dm ? `DM ${e.joined.dm.peer}` : e.joined.room, room: e.joined.room }));
  // Leave offers the rooms besides the default one; Mute and Unmute (a filter) offer the default one too.
  const items = filter ? [{ label: MAIN_ROOM, room: MAIN_ROOM }, ...joined].filter((i) => filter(i.room)) : joined;
  if (items.length === 0) {
    app.notifier.info(filter ? 'There is no room to do that to.' : 'You are in no room besides the default one.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title }))?.room;
}

async function leaveRoom(app: RoomApp, given?: string): Promise<void> {
  const room = given ?? (await pickJoined(app, 'WhatsUDP: Leave Room'));
  if (!room) return;
  if (room === MAIN_ROOM) return app.notifier.info('The default room is where the chat lives on this relay: it is not left, only muted ("WhatsUDP: Mute Room").');
  app.panels.closeRoom(room);
  await app.hub.leave(room);
  void app.refreshRooms();
  app.notifier.info(`You left room ${room}. Its conversation stays on this machine; join it again to read on.`);
}

async function muteRoom(app: RoomApp, given: string | undefined, muted: boolean): Promise<void> {
  const room = given ?? (await pickJoined(app, muted ? 'WhatsUDP: Mute Room' : 'WhatsUDP: Unmute Room', (r) => app.hub.isMuted(r) !== muted));
  if (!room) return;
  await app.hub.setMuted(room, muted);
}
