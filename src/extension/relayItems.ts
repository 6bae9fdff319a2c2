// What "Find Relays on My Network" lists: one row per relay found (however many interfaces it answered
// on), its address first, what it announced after. Names, rooms and interface names come from the
// network or the system, so controls and invisible characters are shown, never obeyed. Pure (no
// vscode), so the unit tests read it as the palette shows it.
import { formatAddress } from '../chat';
import type { FoundRelay } from '../chat/discovery';
import { controlPattern } from '../common/control';
import { visibleName } from '../common/names';

const CONTROLS = controlPattern({ bidi: 'all' }, 'g');

/** Peer-announced text as one line: controls as their code points, invisibles written out. */
function shown(text: string): string {
  return visibleName(text.replace(CONTROLS, (c) => `\\u{${(c.codePointAt(0) as number).toString(16)}}`));
}

export interface RelayItem {
  label: string;
  description: string;
  detail: string;
  /** HOST:PORT to join: what whatsudp.relayAddress is set to. */
  address: string;
}

export function relayItem(r: FoundRelay): RelayItem {
  const address = formatAddress({ host: r.host, port: r.port });
  const others = r.addresses.filter((a) => !(a.host === r.host && a.port === r.port && a.interface === r.interface));
  const also = others.length > 0 ? `, also ${others.map((a) => `${formatAddress(a)} on ${shown(a.interface)}`).join(', ')}` : '';
  const details: string[] = [];
  if (r.version !== undefined) details.push(`announces version ${r.version}, newer than this WhatsUDP: update it to see its rooms`);
  else {
    const rooms = r.rooms.map((room) => shown(room.name)).join(', ');
    details.push(`rooms: ${rooms || 'none announced'}${r.more ? ' and more' : ''}`);
    if (r.sealed.length > 0) details.push(`sealed: ${r.sealed.map((room) => shown(room.name)).join(', ')}`);
    details.push(r.fingerprint ? `key ${r.fingerprint}` : 'no key announced');
  }
  return {
    label: r.name !== undefined ? shown(r.name) : address,
    description: `${address} on ${shown(r.interface)}${also}`,
    detail: details.join(' · '),
    address,
  };
}

/** The rows in the order the relays were first found. */
export const relayItems = (relays: readonly FoundRelay[]): RelayItem[] => relays.map(relayItem);

/** The line under the list while it searches and after. */
export function searchStatus(found: number, searched: readonly string[], searching: boolean): string {
  if (searched.length === 0) return 'This machine has no network interface but loopback: there is nowhere to search.';
  const where = [...new Set(searched.map(shown))].join(', ');
  const count = found === 0 ? 'no relay yet' : `${found} relay${found === 1 ? '' : 's'}`;
  if (searching) return `Searching ${where}: ${count}. Relays are found only when their owner shares them.`;
  return found === 0
    ? `No relay answered on ${where}. Relays are found only when their owner shares them; you can still type an address.`
    : `Search ended on ${where}: ${count}.`;
}
