// The invite link `whatsudp relay --sealed` prints: the relay's address as members reach it, its key's
// fingerprint (which pins the key before the first contact), the room, and the secret after "#".
import os from 'node:os';
import type { Address } from '../chat';
import { formatInvite } from '../protocol/invite';

/** `relay --sealed` seals the relay's default room (other rooms are made by members: chat --create);
 * discovery names it the same. */
export const INVITE_ROOM = 'main';

/**
 * The link, and a note when its host had to be chosen: a relay on every interface (0.0.0.0, ::) is
 * reached by one of this machine's addresses, not by the wildcard.
 */
export function inviteLine(bound: Address, fingerprint: string, secret: Uint8Array, interfaces = os.networkInterfaces()): { link: string; note?: string } {
  let host = bound.host;
  let note: string | undefined;
  if (host === '0.0.0.0' || host === '::') {
    const lan = Object.values(interfaces)
      .flatMap((list) => list ?? [])
      .filter((a) => !a.internal && a.family === 'IPv4')
      .map((a) => a.address);
    host = lan[0] ?? (host === '::' ? '::1' : '127.0.0.1');
    note = lan.length > 1 ? `the invite link names ${host}, one of this machine's addresses (${lan.join(', ')}); members on another network can join with --server HOST:PORT beside --invite` : undefined;
  }
  return { link: formatInvite({ relays: [{ host, port: bound.port }], room: INVITE_ROOM, fingerprints: [fingerprint], secret }), ...(note ? { note } : {}) };
}
