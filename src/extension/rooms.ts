// Sealed rooms in the extension (issue 9): the links of rooms this profile joined, and the secret of
// the room its own shared server makes, in VS Code's SecretStorage (never in settings or in a file),
// and joining from a link: pasted in the palette or clicked (the URI handler).
import * as vscode from 'vscode';
import { type Address, formatAddress } from '../chat';
import { pinAddress } from '../chat/identity';
import type { Crypto } from '../protocol/crypto';
import { formatInvite, InviteError, parseInvite, type Invite } from '../protocol/invite';
import { newRoomSecret, ROOM_SECRET_BYTES } from '../protocol/sealed-room';
import type { RoomKeys } from './chatSession';
import { joinQuestion, linkFromUri } from './inviteLinks';
import type { Notifier } from './notify';

const ROOM_PREFIX = 'whatsudp.room.';
const SERVER_ROOM = 'whatsudp.server.roomSecret';
/** (issue 9) Its secret since the last Rotate Room Key; the relay still starts from the first (SERVER_ROOM). */
const SERVER_ROOM_NOW = 'whatsudp.server.roomSecret.current';

export class RoomSecrets {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: Notifier['log'],
  ) {}

  /** The keys of the sealed room joined at this address, if one was joined by link. */
  async forServer(server: Address): Promise<RoomKeys | undefined> {
    const text = await this.read(ROOM_PREFIX + pinAddress(formatAddress(server)));
    if (!text) return undefined;
    try {
      const inv = parseInvite(text);
      return { secret: inv.secret, fingerprints: inv.fingerprints, relays: inv.relays };
    } catch (err) {
      this.log.warn(`The invite link kept for ${formatAddress(server)} cannot be read (${(err as Error).message}): join from its link again.`);
      return undefined;
    }
  }

  /** Keeps the link for its relay's address: the room's secret is in it. */
  async remember(inv: Invite): Promise<void> {
    try {
      await this.secrets.store(ROOM_PREFIX + pinAddress(formatAddress(inv.relays[0])), formatInvite(inv));
    } catch (err) {
      this.log.warn(`Cannot keep the room's link in VS Code's secret storage (${(err as Error).message}): this window joins, and a restart needs the link again.`);
    }
  }

  /** (issue 11) A named sealed room's keys on `server` (created here, joined by link, or a DM's). */
  async forRoom(server: Address, room: string): Promise<RoomKeys | undefined> {
    const text = await this.read(roomKeysId(server, room));
    if (!text) return undefined;
    try {
      const k = JSON.parse(text) as { secret?: unknown; fingerprints?: unknown; relays?: unknown };
      const secret = typeof k.secret === 'string' ? Buffer.from(k.secret, 'base64url') : undefined;
      if (secret?.length !== ROOM_SECRET_BYTES || !Array.isArray(k.fingerprints)) throw new Error('not a room secret');
      const relays = Array.isArray(k.relays) ? k.relays.filter((r): r is Address => typeof (r as Address)?.host === 'string' && Number.isInteger((r as Address)?.port)) : [];
      return { secret: Uint8Array.from(secret), fingerprints: k.fingerprints.filter((f): f is string => typeof f === 'string'), ...(relays.length ? { relays } : {}) };
    } catch (err) {
      this.log.warn(`The keys kept for room ${room} at ${formatAddress(server)} cannot be read (${(err as Error).message}).`);
      return undefined;
    }
  }

  async rememberRoom(server: Address, room: string, keys: RoomKeys): Promise<void> {
    try {
      await this.secrets.store(roomKeysId(server, room), JSON.stringify({ secret: Buffer.from(keys.secret).toString('base64url'), fingerprints: keys.fingerprints, ...(keys.relays ? { relays: keys.relays } : {}) }));
    } catch (err) {
      this.log.warn(`Cannot keep room ${room}'s secret in VS Code's secret storage (${(err as Error).message}): a restart needs its link again.`);
    }
  }

  /** The secret of the sealed room this window's server makes: the same across restarts, so the
   * links given out keep working; a secret for this window only if the secret storage fails. */
  async serverSecret(crypto: Crypto): Promise<Uint8Array> {
    const kept = await this.read(SERVER_ROOM);
    const bytes = kept ? Buffer.from(kept, 'base64url') : undefined;
    if (bytes?.length === ROOM_SECRET_BYTES) return Uint8Array.from(bytes);
    const secret = newRoomSecret(crypto);
    try {
      await this.secrets.store(SERVER_ROOM, Buffer.from(secret).toString('base64url'));
    } catch (err) {
      this.log.warn(`Cannot keep the server's room secret in VS Code's secret storage (${(err as Error).message}): its invite link lasts as long as this window.`);
    }
    return secret;
  }

  /** The server's sealed room's secret since its key was last rotated here, if it was. */
  async serverCurrentSecret(): Promise<Uint8Array | undefined> {
    const kept = await this.read(SERVER_ROOM_NOW);
    const bytes = kept ? Buffer.from(kept, 'base64url') : undefined;
    return bytes?.length === ROOM_SECRET_BYTES ? Uint8Array.from(bytes) : undefined;
  }

  async rememberServerSecret(secret: Uint8Array): Promise<void> {
    try {
      await this.secrets.store(SERVER_ROOM_NOW, Buffer.from(secret).toString('base64url'));
    } catch (err) {
      this.log.warn(`Cannot keep the server room's new secret in VS Code's secret storage (${(err as Error).message}): after a restart, Copy Invite Link gives a link that lets no one new in; rotate again then.`);
    }
  }

  private async read(key: string): Promise<string | undefined> {
    try {
      return (await this.secrets.get(key)) ?? undefined;
    } catch (err) {
      this.log.warn(`Cannot read VS Code's secret storage: ${(err as Error).message}`);
      return undefined;
    }
  }
}

const roomKeysId = (server: Address, room: string): string => `whatsudp.roomKeys.${pinAddress(formatAddress(server))} ${room}`;

/** What joining from a link needs of the App. */
export interface LinkJoiner {
  readonly notifier: Notifier;
  joinInvite(inv: Invite): Promise<void>;
}

/** "WhatsUDP: Join Room from Link": either form of link, pasted; a malformed one is said as the user types. */
export async function joinFromLink(app: LinkJoiner, given?: string): Promise<void> {
  const check = (text: string): string | undefined => {
    if (text.trim() === '') return undefined;
    try {
      parseInvite(text);
      return undefined;
    } catch (err) {
      return err instanceof InviteError ? err.message : String(err);
    }
  };
  const link =
    given ??
    (await vscode.window.showInputBox({
      title: 'WhatsUDP: Join Room from Link',
      prompt: 'Paste the invite link (whatsudp://... or vscode://whatsudp.whatsudp/join...) someone gave you.',
      placeHolder: 'whatsudp://HOST:PORT/main?fp=...#v1....',
      ignoreFocusOut: true,
      password: false,
      validateInput: check,
    }));
  if (!link || link.trim() === '') return;
  let inv: Invite;
  try {
    inv = parseInvite(link);
  } catch (err) {
    if (!(err instanceof InviteError)) throw err;
    app.notifier.error(`That invite link cannot be used: ${err.message}`);
    return;
  }
  await app.joinInvite(inv);
}

/** A clicked vscode:// link: asks first, naming the room and the relay, since anyone can make one. A
 * notification with Join Room / Cancel rather than a modal: VS Code answers modal dialogs itself in an
 * extension test run, so a modal's Join could never be tested; a notification's buttons are pressed
 * alike by a user and by the integration test (test/integration/uri-link.test.ts). Anything but
 * Join Room (Cancel, closing it) joins nothing. */
export function handleJoinUri(app: LinkJoiner, uri: vscode.Uri): Promise<void> {
  return Promise.resolve().then(() => askToJoin(app, uri)); // whatever throws reaches the caller's catch
}

function askToJoin(app: LinkJoiner, uri: vscode.Uri): void {
  if (uri.path !== '/join') {
    app.notifier.warn(`WhatsUDP cannot open this link (${uri.path}): only invite links (vscode://whatsudp.whatsudp/join...) open it.`);
    return;
  }
  let inv: Invite;
  try {
    inv = parseInvite(linkFromUri(uri));
  } catch (err) {
    if (!(err instanceof InviteError)) throw err;
    app.notifier.error(`That invite link cannot be used: ${err.message}`);
    return;
  }
  const where = `"${inv.room}" on ${formatAddress(inv.relays[0])}`;
  app.notifier.info(joinQuestion(inv), {
    'Join Room': () => app.joinInvite(inv).catch((err: unknown) => app.notifier.report(err, `Joining ${where}`)),
    Cancel: () => app.notifier.log.info(`Not joining ${where}: Cancel was pressed.`),
  });
}
