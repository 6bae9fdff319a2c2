// How `whatsudp discover` shows a relay: one line with its address first (so `cut -d' ' -f1` gives
// something `chat --server` takes), or one JSON object. Names, rooms and interfaces come from the
// network or the system, so they go through the same escapes as peer text. Pure.
import { formatAddress } from '../chat';
import type { AnnouncedRoom, FoundRelay, FoundVia } from '../chat/discovery';
import { escapeName } from './format';

const address = (host: string, port: number): string => formatAddress({ host, port });
const rooms = (list: AnnouncedRoom[]): string => list.map((r) => escapeName(r.name)).join(', ');

export function formatRelay(r: FoundRelay): string {
  const others = r.addresses.filter((a) => !(a.host === r.host && a.port === r.port && a.interface === r.interface));
  const also = others.length > 0 ? ` (also ${others.map((a) => `${address(a.host, a.port)} on ${escapeName(a.interface)}`).join(', ')})` : '';
  const parts = [`${address(r.host, r.port)} on ${escapeName(r.interface)}${also}`];
  if (r.version !== undefined) parts.push(`announces version ${r.version}, newer than this whatsudp: update it to see its rooms`);
  else {
    parts.push(`rooms: ${rooms(r.rooms) || '-'}${r.more ? ' and more' : ''}`);
    if (r.sealed.length > 0) parts.push(`sealed: ${rooms(r.sealed)}`);
    parts.push(`fingerprint: ${r.fingerprint ?? '-'}`);
  }
  if (r.name !== undefined) parts.push(`name: ${escapeName(r.name)}`);
  return parts.join('  ');
}

/** The JSON shape: the same keys for every relay, null where it told nothing. */
export interface RelayJson {
  address: string;
  host: string;
  port: number;
  interface: string;
  addresses: { address: string; interface: string; via: FoundVia[] }[];
  via: FoundVia[];
  id: string | null;
  name: string | null;
  rooms: { name: string; id: string | null }[];
  sealed: { name: string; id: string | null }[];
  fingerprint: string | null;
  more: boolean;
  /** The relay's TXT version when newer than ours (rooms and the rest could not be read). */
  version: number | null;
}

const roomJson = (r: AnnouncedRoom): { name: string; id: string | null } => ({ name: r.name, id: r.id ?? null });

export function relayJson(r: FoundRelay): RelayJson {
  return {
    address: address(r.host, r.port),
    host: r.host,
    port: r.port,
    interface: r.interface,
    addresses: r.addresses.map((a) => ({ address: address(a.host, a.port), interface: a.interface, via: a.via })),
    via: r.via,
    id: r.id ?? null,
    name: r.name ?? null,
    rooms: r.rooms.map(roomJson),
    sealed: r.sealed.map(roomJson),
    fingerprint: r.fingerprint ?? null,
    more: r.more,
    version: r.version ?? null,
  };
}
