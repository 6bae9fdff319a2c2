// What a relay tells the network about itself, as DNS-SD TXT strings (RFC 6763 section 6): the same
// `key=value` list in the mDNS TXT record and in the answer to a broadcast probe, so there is one
// rule for both. Pure: no sockets. Versioned by `txtvers`; a browser ignores keys it does not know,
// so a later relay adds keys (and the identity work fills `fp`) without breaking older browsers.
import { ChatError } from '../errors';

/** The DNS-SD service type (RFC 6763 section 7): `<instance>._whatsudp._udp.local`. */
export const SERVICE_TYPE = '_whatsudp._udp.local';

/** `txtvers` of this format. A larger one means keys changed meaning: the address is still listed,
 * the rest is not read. New keys alone do not change it. */
export const TXT_VERSION = 1;

/** RFC 6763 section 6.1: one TXT string holds at most 255 bytes. */
const MAX_STRING_BYTES = 255;
/** A DNS label, and so an instance name, holds at most 63 bytes. */
export const MAX_NAME_BYTES = 63;

/** The room-name grammar of invite links (protocol/invite.ts): no `,`, `@` or space, so lists need no quoting. */
const ROOM_NAME = /^[A-Za-z0-9._~-]{1,64}$/;
const ROOM_ID = /^[0-9a-f]{16}$/;
const RELAY_ID = /^[0-9a-f]{16}$/;
const FINGERPRINT = /^[a-z2-7]{52}$/;

export interface AnnouncedRoom {
  /** What people call it (the invite-link grammar). */
  name: string;
  /** The room's id (16 hex digits) where the relay has one to give. */
  id?: string;
}

/** What a relay announces. Its address and port travel beside this (SRV and A records, the answer's
 * source address and port field). */
export interface RelayInfo {
  /** 16 hex digits, random for each announcement: two sightings with one id are one relay. */
  id: string;
  /** For people: the machine's host name unless the caller gives another. */
  name: string;
  /** Rooms anyone may join. */
  rooms: AnnouncedRoom[];
  /** Sealed rooms whose owner allows them to be listed, by name (the others are not announced at all). */
  sealed: AnnouncedRoom[];
  /** The relay key's fingerprint (52 base32 characters): which relay it is, before joining. */
  fingerprint?: string;
  /** The relay had more rooms than fit. */
  more?: boolean;
}

/** What a browser read: like RelayInfo, but anything may be missing, and `version` says whether the
 * rest could be read at all. */
export interface SeenInfo extends Partial<Omit<RelayInfo, 'rooms' | 'sealed'>> {
  version?: number;
  rooms: AnnouncedRoom[];
  sealed: AnnouncedRoom[];
}

/** Throws ChatError BAD_OPTION for what a caller must not announce; returns the info as it will be sent. */
export function checkRelayInfo(info: RelayInfo): RelayInfo {
  if (!RELAY_ID.test(info.id)) throw new ChatError('BAD_OPTION', `A relay id is 16 hex digits, not "${info.id}".`);
  for (const room of [...info.rooms, ...info.sealed]) {
    if (!ROOM_NAME.test(room.name)) throw new ChatError('BAD_OPTION', `A room name is 1-64 letters, digits, ".", "_", "~" or "-", not "${room.name}".`);
    if (room.id !== undefined && !ROOM_ID.test(room.id)) throw new ChatError('BAD_OPTION', `A room id is 16 hex digits, not "${room.id}".`);
  }
  if (info.fingerprint !== undefined && !FINGERPRINT.test(info.fingerprint)) {
    throw new ChatError('BAD_OPTION', `A relay fingerprint is 52 characters a-z and 2-7, not "${info.fingerprint}".`);
  }
  return { ...info, name: clipUtf8(info.name.trim() || 'relay', MAX_NAME_BYTES) };
}

/** The longest prefix of `s` that fits in `max` UTF-8 bytes, cut between characters. */
export function clipUtf8(s: string, max: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

const roomText = (r: AnnouncedRoom): string => (r.id ? `${r.name}@${r.id}` : r.name);

/** Room entries joined by `,` within one TXT string; what does not fit is dropped, and reported. */
function roomList(key: string, rooms: AnnouncedRoom[]): { text?: string; dropped: boolean } {
  let text = `${key}=`;
  let n = 0;
  for (const r of rooms) {
    const next = `${text}${n > 0 ? ',' : ''}${roomText(r)}`;
    if (Buffer.byteLength(next) > MAX_STRING_BYTES) return { text: n > 0 ? text : undefined, dropped: true };
    text = next;
    n++;
  }
  return { text: n > 0 ? text : undefined, dropped: false };
}

/** The TXT strings, most important first: a probe answer that must stay small keeps a prefix of them. */
export function encodeTxt(info: RelayInfo): string[] {
  const rooms = roomList('rooms', info.rooms);
  const sealed = roomList('sealed', info.sealed);
  const out = [`txtvers=${TXT_VERSION}`, `id=${info.id}`];
  if (info.fingerprint) out.push(`fp=${info.fingerprint}`);
  if (rooms.text) out.push(rooms.text);
  if (sealed.text) out.push(sealed.text);
  if (info.more || rooms.dropped || sealed.dropped) out.push('more=1');
  out.push(`name=${clipUtf8(info.name, MAX_NAME_BYTES)}`);
  return out;
}

function parseRooms(value: string): AnnouncedRoom[] {
  const out: AnnouncedRoom[] = [];
  for (const entry of value.split(',')) {
    const at = entry.indexOf('@');
    const name = at < 0 ? entry : entry.slice(0, at);
    const id = at < 0 ? undefined : entry.slice(at + 1).toLowerCase();
    if (!ROOM_NAME.test(name) || (id !== undefined && !ROOM_ID.test(id))) continue; // one bad entry is not all bad
    out.push(id === undefined ? { name } : { name, id });
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads TXT strings from anyone on the network: unknown keys, bad values and bad UTF-8 are skipped,
 * the first of a repeated key counts (RFC 6763 section 6.4), and nothing here throws. */
export function decodeTxt(strings: readonly (string | Uint8Array)[]): SeenInfo {
  const seen = new Map<string, string>();
  for (const s of strings) {
    let text: string;
    try {
      text = typeof s === 'string' ? s : utf8.decode(s);
    } catch {
      continue;
    }
    const eq = text.indexOf('=');
    const key = (eq < 0 ? text : text.slice(0, eq)).toLowerCase();
    if (key !== '' && !seen.has(key)) seen.set(key, eq < 0 ? '' : text.slice(eq + 1));
  }
  const out: SeenInfo = { rooms: [], sealed: [] };
  const version = Number(seen.get('txtvers'));
  if (Number.isInteger(version) && version > 0) out.version = version;
  const id = seen.get('id')?.toLowerCase();
  if (id !== undefined && RELAY_ID.test(id)) out.id = id; // the id still merges sightings of a newer relay
  if (out.version !== TXT_VERSION) return out;
  const name = seen.get('name');
  if (name) out.name = clipUtf8(name, MAX_NAME_BYTES);
  const fp = seen.get('fp')?.toLowerCase();
  if (fp !== undefined && FINGERPRINT.test(fp)) out.fingerprint = fp;
  out.rooms = parseRooms(seen.get('rooms') ?? '');
  out.sealed = parseRooms(seen.get('sealed') ?? '');
  if (seen.get('more') === '1') out.more = true;
  return out;
}
