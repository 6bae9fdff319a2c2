// What a browser found: each answer is a sighting (one relay, one address, one interface, one way),
// and sightings of one relay id are one relay however many interfaces and ways it was seen on. Pure.
import { TXT_VERSION, type AnnouncedRoom, type SeenInfo } from './info';

export type FoundVia = 'mdns' | 'broadcast';

export interface Sighting {
  host: string;
  port: number;
  /** The interface it answered on: eth0, wlan0. */
  interface: string;
  via: FoundVia;
  info: SeenInfo;
}

export interface RelayAddress {
  host: string;
  port: number;
  interface: string;
  via: FoundVia[];
}

/** A relay as it is listed: where to reach it first, then everything else it told. */
export interface FoundRelay {
  /** The relay's announced id (16 hex digits); absent only for a relay that sent none. */
  id?: string;
  /** The address it was first found at, and the interface it answered on. */
  host: string;
  port: number;
  interface: string;
  /** Every address it answered at, the first one included. */
  addresses: RelayAddress[];
  via: FoundVia[];
  name?: string;
  rooms: AnnouncedRoom[];
  sealed: AnnouncedRoom[];
  /** The relay key's fingerprint; null when it announced none (an older relay). */
  fingerprint?: string;
  /** It has more rooms than it could announce. */
  more: boolean;
  /** Its TXT version when not ours: only the address could be read. */
  version?: number;
}

const union = <T>(a: readonly T[], b: readonly T[]): T[] => [...new Set([...a, ...b])];

/** Whether a holds everything b does, so an answer that had to be cut (a small probe) does not
 * replace the whole one. */
function fuller(a: SeenInfo, b: SeenInfo): boolean {
  const size = (i: SeenInfo): number => (i.name ? 1 : 0) + (i.fingerprint ? 1 : 0) + i.rooms.length + i.sealed.length + (i.version ? 1 : 0);
  return size(a) >= size(b);
}

/** The relays in the order they were first seen; one per id (or per address when a relay has no id). */
export function mergeSightings(sightings: readonly Sighting[]): FoundRelay[] {
  const byKey = new Map<string, { relay: FoundRelay; info: SeenInfo }>();
  for (const s of sightings) {
    const key = s.info.id ?? `${s.host}:${s.port}`;
    const entry = byKey.get(key);
    if (!entry) {
      byKey.set(key, { relay: fromInfo(s, s.info), info: s.info });
      continue;
    }
    const { relay } = entry;
    relay.via = union(relay.via, [s.via]);
    const at = relay.addresses.find((a) => a.host === s.host && a.port === s.port && a.interface === s.interface);
    if (at) at.via = union(at.via, [s.via]);
    else relay.addresses.push({ host: s.host, port: s.port, interface: s.interface, via: [s.via] });
    if (!fuller(entry.info, s.info)) {
      entry.info = s.info;
      Object.assign(relay, described(s.info));
    }
  }
  return [...byKey.values()].map((e) => e.relay);
}

function described(info: SeenInfo): Pick<FoundRelay, 'name' | 'rooms' | 'sealed' | 'fingerprint' | 'more' | 'version'> {
  return {
    name: info.name,
    rooms: info.rooms,
    sealed: info.sealed,
    fingerprint: info.fingerprint,
    more: info.more === true,
    version: info.version === undefined || info.version === TXT_VERSION ? undefined : info.version,
  };
}

function fromInfo(s: Sighting, info: SeenInfo): FoundRelay {
  return {
    id: info.id,
    host: s.host,
    port: s.port,
    interface: s.interface,
    addresses: [{ host: s.host, port: s.port, interface: s.interface, via: [s.via] }],
    via: [s.via],
    ...described(info),
  };
}
