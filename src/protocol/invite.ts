// Invite links to a sealed room, in two spellings of one payload:
//
//   whatsudp://HOST:PORT[,HOST:PORT...]/ROOM?fp=FINGERPRINT[&fp=...]#v1.BASE64URL(room secret)
//   vscode://whatsudp.whatsudp/join?relays=HOST:PORT[,...]&room=ROOM&fp=FINGERPRINT#v1.BASE64URL(room secret)
//
// The secret travels in the fragment, which browsers and most chat tools do not send to servers. `fp`
// pins the relay key (TOFU needs none, so it may be absent). Each malformed kind of link gets its own
// code and a sentence that says what to fix.
import { parseFingerprint } from './fingerprint';
import { ROOM_SECRET_BYTES } from './sealed-room';

export interface InviteAddress {
  host: string;
  port: number;
}

export interface Invite {
  relays: InviteAddress[];
  room: string;
  /** Canonical relay fingerprints; a relay whose key has one of them is the right one. */
  fingerprints: string[];
  secret: Uint8Array;
}

export type InviteErrorCode = 'not-an-invite' | 'bad-address' | 'bad-room' | 'bad-fingerprint' | 'missing-fragment' | 'unknown-version' | 'bad-base64' | 'wrong-length';

export class InviteError extends Error {
  constructor(
    readonly code: InviteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InviteError';
  }
}

const VERSION = 'v1';
const ROOM = /^[A-Za-z0-9._~-]{1,64}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}(?:%[A-Za-z0-9._~-]+)?$/;
const VSCODE_AUTHORITY = 'whatsudp.whatsudp';

const formatAddress = (a: InviteAddress) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

export function formatInvite(inv: Invite): string {
  check(inv);
  const fps = inv.fingerprints.map((f) => `fp=${f}`).join('&');
  return `whatsudp://${inv.relays.map(formatAddress).join(',')}/${inv.room}${fps ? `?${fps}` : ''}#${secretText(inv.secret)}`;
}

/** The same invite as a link that opens VS Code (`uriScheme` is vscode.env.uriScheme: vscode, vscode-insiders, ...). */
export function formatVscodeInvite(inv: Invite, uriScheme = 'vscode'): string {
  check(inv);
  const q = [`relays=${encodeURIComponent(inv.relays.map(formatAddress).join(','))}`, `room=${inv.room}`, ...inv.fingerprints.map((f) => `fp=${f}`)];
  return `${uriScheme}://${VSCODE_AUTHORITY}/join?${q.join('&')}#${secretText(inv.secret)}`;
}

export function parseInvite(link: string): Invite {
  const text = link.trim();
  const hash = text.indexOf('#');
  const beforeHash = hash < 0 ? text : text.slice(0, hash);
  let relays: string;
  let room: string;
  let query: URLSearchParams;
  const plain = /^whatsudp:\/\/([^/?#]*)\/([^?#]*)(?:\?([^#]*))?$/i.exec(beforeHash);
  const vscode = /^[a-z][a-z0-9+.-]*:\/\/whatsudp\.whatsudp\/join\?([^#]*)$/i.exec(beforeHash);
  if (plain) {
    [relays, room, query] = [plain[1], plain[2], new URLSearchParams(plain[3] ?? '')];
  } else if (vscode) {
    query = new URLSearchParams(vscode[1]);
    [relays, room] = [query.get('relays') ?? '', query.get('room') ?? ''];
  } else {
    throw new InviteError('not-an-invite', 'This is not a WhatsUDP invite: it starts whatsudp://HOST:PORT/ROOM or vscode://whatsudp.whatsudp/join?...');
  }
  return { relays: parseRelays(relays), room: parseRoom(room), fingerprints: query.getAll('fp').map(parseFp), secret: parseSecret(hash < 0 ? undefined : text.slice(hash + 1)) };
}

function parseRelays(text: string): InviteAddress[] {
  if (text === '') throw new InviteError('bad-address', 'The invite names no relay: it needs HOST:PORT before the room.');
  return text.split(',').map(parseAddress);
}

function parseAddress(text: string): InviteAddress {
  const bad = (why: string) => new InviteError('bad-address', `"${text}" in the invite is not a relay address: ${why}`);
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) throw bad('write HOST:PORT, or [IPv6]:PORT.');
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw bad('the port must be 1 to 65535.');
  if (m[1] !== undefined ? !IPV6.test(host) || !host.includes(':') : !HOSTNAME.test(host)) throw bad('the host is not a host name or IP address.');
  return { host: host.toLowerCase(), port };
}

function parseRoom(text: string): string {
  if (!ROOM.test(text)) throw new InviteError('bad-room', `"${text}" is not a room name: 1 to 64 letters, digits, ".", "_", "~" or "-".`);
  return text;
}

function parseFp(text: string): string {
  const fp = parseFingerprint(text);
  if (!fp) throw new InviteError('bad-fingerprint', `"${text}" is not a relay fingerprint (52 characters, a-z and 2-7).`);
  return fp;
}

function parseSecret(fragment: string | undefined): Uint8Array {
  if (fragment === undefined || fragment === '') {
    throw new InviteError('missing-fragment', 'The invite has lost its secret, the part after "#" (some apps cut it off): copy the whole link again.');
  }
  const dot = fragment.indexOf('.');
  const version = dot < 0 ? fragment : fragment.slice(0, dot);
  if (version !== VERSION || dot < 0) {
    throw new InviteError('unknown-version', `The invite's secret is of version "${version.slice(0, 16)}", which this WhatsUDP does not know (it reads ${VERSION}): update WhatsUDP or ask for a new link.`);
  }
  const b64 = fragment.slice(dot + 1);
  const bytes = /^[A-Za-z0-9_-]*$/.test(b64) && b64.length % 4 !== 1 ? Buffer.from(b64, 'base64url') : undefined;
  if (!bytes || bytes.toString('base64url') !== b64) throw new InviteError('bad-base64', "The invite's secret is damaged (not base64url): copy the whole link again.");
  if (bytes.length !== ROOM_SECRET_BYTES) throw new InviteError('wrong-length', `The invite's secret is ${bytes.length} bytes, not ${ROOM_SECRET_BYTES}: copy the whole link again.`);
  return Uint8Array.from(bytes);
}

function secretText(secret: Uint8Array): string {
  return `${VERSION}.${Buffer.from(secret).toString('base64url')}`;
}

/** The formatters refuse what the parser would refuse, so a link we write always reads back. */
function check(inv: Invite): void {
  if (inv.relays.length === 0) throw new InviteError('bad-address', 'An invite needs at least one relay address.');
  for (const a of inv.relays) parseAddress(formatAddress(a));
  parseRoom(inv.room);
  for (const f of inv.fingerprints) if (parseFp(f) !== f) throw new InviteError('bad-fingerprint', `Write fingerprint "${f}" in its canonical form.`);
  if (inv.secret.length !== ROOM_SECRET_BYTES) throw new InviteError('wrong-length', `A room secret is ${ROOM_SECRET_BYTES} bytes, not ${inv.secret.length}.`);
}
