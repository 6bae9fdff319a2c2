// "WhatsUDP: Rotate Room Key" (issue 9): the creator of a sealed room (or an admin it named) gives the
// room a new secret, wrapped by the engine to each member who stays; those left out are dropped by the
// relay and cannot come back with the old link. The rotating window keeps the new secret and offers
// the new invite link to copy (never shown in full).
import * as vscode from 'vscode';
import { ChatError } from '../chat';
import { shortFingerprint } from '../common/keys';
import { guarded } from './notify';
import { inviteActions, type RoomApp } from './roomCommands';
import type { ChatSession } from './chatSession';
import { MAIN_ROOM } from './roomList';

export function registerRotateCommand(app: RoomApp): vscode.Disposable {
  const strings = (x: unknown) => (Array.isArray(x) ? x.filter((y): y is string => typeof y === 'string') : undefined);
  return vscode.commands.registerCommand('whatsudp.rotateRoomKey', guarded(app.notifier, 'Rotating the room key', (room: unknown, remove: unknown, admins: unknown) =>
    rotate(app, typeof room === 'string' ? room : roomOf(room), strings(remove), strings(admins))));
}

/** This window's chat in the default room of the sealed server this window runs, if it is in it. */
async function ownServerRoom(app: RoomApp): Promise<ChatSession | undefined> {
  const info = app.server.info;
  if (!info?.invite) return undefined;
  const main = await app.startChat(false);
  const at = main?.server;
  return main?.connection.sealed && at && at.port === info.local.port && at.host === info.local.host ? main : undefined;
}

function roomOf(node: unknown): string | undefined {
  const r = (node as { r?: { room?: unknown } } | undefined)?.r;
  return typeof r?.room === 'string' ? r.room : undefined;
}

/** `remove`: fingerprints (or keys) to leave out; asked for when not given, and then who else may
 * rotate (`admins`, fingerprints; only the creator's choice counts; none chosen keeps them as they were). */
async function rotate(app: RoomApp, given: string | undefined, remove: string[] | undefined, admins: string[] | undefined): Promise<void> {
  const sealed = app.hub.list.filter((e) => e.session.connection.sealed && !e.joined.dm).map((e) => e.joined.room);
  // The default room of the sealed server this window runs: its creator is this window's identity.
  const own = await ownServerRoom(app);
  const room = given ?? (await vscode.window.showQuickPick(own ? [MAIN_ROOM, ...sealed] : sealed, { title: 'WhatsUDP: Rotate Room Key', placeHolder: 'Which sealed room (one you made, or are an admin of)' }));
  if (!room) return;
  const e = app.hub.entry(room);
  const session = room === MAIN_ROOM ? own : e && e.session.connection.sealed && !e.joined.dm ? e.session : undefined;
  if (!session) {
    const why = room === MAIN_ROOM ? 'the default room is rotated by the window whose server seals it (Start Server, Share on my network)' : `${e ? '' : `you are not in ${room}; `}a DM or an open room has no key to rotate`;
    return app.notifier.warn(`Only a sealed room you are in and made (or are an admin of) can have its key rotated: ${why}.`);
  }
  let out = remove;
  if (!out) {
    const self = Buffer.from(session.deviceIdentity.publicKey).toString('base64url');
    const others = session.verifyContext().members.filter((m) => m.key && m.key !== self && m.fingerprint);
    const picked = await vscode.window.showQuickPick(
      others.map((m) => ({ label: m.name, description: shortFingerprint(m.fingerprint!), fp: m.fingerprint! })),
      { title: `WhatsUDP: Rotate the key of ${room}`, placeHolder: 'Pick whom to remove (none: everyone stays, the old link stops letting anyone new in)', canPickMany: true },
    );
    if (!picked) return;
    out = picked.map((p) => p.fp);
    const staying = others.filter((m) => !out!.includes(m.fingerprint!));
    if (staying.length > 0 && admins === undefined) {
      const chosen = await vscode.window.showQuickPick(
        staying.map((m) => ({ label: m.name, description: shortFingerprint(m.fingerprint!), fp: m.fingerprint! })),
        { title: `WhatsUDP: Who else may rotate the key of ${room}?`, placeHolder: 'Admins (if you made the room); none picked: as they were', canPickMany: true },
      );
      if (!chosen) return;
      admins = chosen.map((c) => c.fp);
    }
  }
  const members = session.verifyContext().members;
  const adminKeys = (admins ?? []).flatMap((fp) => members.filter((m) => m.fingerprint === fp && m.key).map((m) => Uint8Array.from(Buffer.from(m.key!, 'base64url'))));
  let rotation;
  try {
    rotation = await session.rotateKey({ remove: out, ...(adminKeys.length ? { admins: adminKeys } : {}) });
  } catch (err) {
    if (err instanceof ChatError) return app.notifier.error(`The key of ${room} was not rotated: ${err.message}`);
    throw err;
  }
  const fp = await app.relayFingerprint(session.server);
  const keys = { secret: rotation.secret, fingerprints: fp ? [fp] : [] };
  if (room === MAIN_ROOM) {
    // The server's links (Copy Invite Link) and this window's rejoins use the new secret from now on.
    await app.rooms.rememberServerSecret(rotation.secret);
    app.server.keyRotated(rotation.secret);
  } else await app.rooms.rememberRoom(session.server, room, keys);
  const gone = rotation.removed.length ? ` Removed: ${rotation.removed.length === 1 ? '1 member' : `${rotation.removed.length} members`}.` : '';
  app.notifier.info(
    `The key of ${room} is rotated (key ${rotation.epoch}); ${rotation.kept.length === 1 ? '1 member keeps' : `${rotation.kept.length} members keep`} it.${gone} The old invite link lets no one new in: give the new one to whoever should join.`,
    inviteActions(app.server.info?.invite && room === MAIN_ROOM ? app.server.info.invite : { relays: [{ host: session.server.host, port: session.server.port }], room, fingerprints: keys.fingerprints, secret: rotation.secret }),
  );
}
