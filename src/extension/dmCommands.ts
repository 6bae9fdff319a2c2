// Direct messages in VS Code (issue 11): "WhatsUDP: Direct Message..." (or a person's row in the
// sidebar) opens a DM room with that person's device: a sealed room only the two device keys may
// join, whose secret both sides compute alone (src/chat/dm.ts), so the relay reads nothing. Its panel
// is titled "DM name"; it is listed under Direct Messages.
import * as vscode from 'vscode';
import { ChatError, type Member } from '../chat';
import { openDm } from '../chat/dm';
import { shortFingerprint } from '../common/keys';
import { nodeCrypto } from '../protocol/crypto';
import { dmKeys, dmRoomName } from '../protocol/dm';
import type { ChatSession } from './chatSession';
import { guarded } from './notify';
import { join, type RoomApp } from './roomCommands';

export interface DmApp extends RoomApp {
  session(): Promise<ChatSession>;
}

export function registerDmCommands(app: DmApp): vscode.Disposable[] {
  return [
    // From the palette it asks whom; a person's row in the sidebar passes the member.
    vscode.commands.registerCommand('whatsudp.directMessage', guarded(app.notifier, 'Opening a direct message', (who: unknown) => directMessage(app, who))),
  ];
}

/** Everyone who can be written to: others in the default room and in the joined rooms, with a key. */
function people(main: ChatSession, app: DmApp): Member[] {
  const self = Buffer.from(main.deviceIdentity.publicKey).toString('base64url');
  const all = [main, ...app.hub.list.map((e) => e.session)].flatMap((s) => s.verifyContext().members);
  const byKey = new Map<string, Member>();
  for (const m of all) if (m.key && m.key !== self && !byKey.has(m.key)) byKey.set(m.key, m);
  return [...byKey.values()].sort((a, b) => a.name.localeCompare(b.name));
}

async function directMessage(app: DmApp, who: unknown): Promise<void> {
  const main = await app.startChat(true);
  if (!main) return;
  const list = people(main, app);
  const given = typeof who === 'string' ? who : (who as { m?: { id?: string } } | undefined)?.m?.id;
  let peer = given !== undefined ? list.find((m) => m.id === given || m.key === given) : undefined;
  if (given !== undefined && !peer) return app.notifier.warn('That person is no longer in a room you are in, so their device key is not at hand: a direct message opens with someone present.');
  if (!peer) {
    if (list.length === 0) return app.notifier.info('Nobody else is in your rooms now: a direct message opens with someone present.');
    const picked = await vscode.window.showQuickPick(
      list.map((m) => ({ label: m.name, description: m.fingerprint ? shortFingerprint(m.fingerprint) : '', m })),
      { title: 'WhatsUDP: Direct Message', placeHolder: 'Whom to write to (told apart by key when names look alike)' },
    );
    if (!picked) return;
    peer = picked.m;
  }
  const key = Buffer.from(peer.key!, 'base64url');
  let opts;
  try {
    opts = await openDm(main, main.deviceIdentity, key, nodeCrypto);
  } catch (err) {
    if (err instanceof ChatError) return app.notifier.error(`Cannot open a direct message with ${peer.name}: ${err.message}`);
    throw err;
  }
  if (app.hub.entry(opts.room)) return void vscode.commands.executeCommand('whatsudp.openRoom', opts.room);
  const keys = { secret: opts.roomSecret, fingerprints: [] };
  await app.rooms.rememberRoom(main.server, opts.room, keys);
  await join(app, opts.room, { dm: { peer: peer.name, key: peer.key! } }, keys);
}

/** The name of the DM room between this device and `peerKey` (base64url): to recognise a DM the
 * relay lists as one with someone known. */
export function dmRoomWith(myKey: Uint8Array, peerKey: string): string | undefined {
  try {
    const [lo, hi] = dmKeys(myKey, Buffer.from(peerKey, 'base64url'));
    return dmRoomName(nodeCrypto, lo, hi);
  } catch {
    return undefined; // this device's own key, or one that is no key: no DM with it
  }
}
