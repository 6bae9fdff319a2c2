// What the extension says about invite links, and the clicked vscode:// link as the text parseInvite
// reads. No `vscode` here, so it is tested in plain Node.
import { formatAddress } from '../chat';
import { displayFingerprint } from '../protocol/fingerprint';
import type { Invite } from '../protocol/invite';

/** A vscode.Uri's parts as the URI handler gets them (query and fragment already decoded). */
export interface UriParts {
  scheme: string;
  authority: string;
  path: string;
  query: string;
  fragment: string;
}

/** The link again, as it was clicked: `vscode://whatsudp.whatsudp/join?relays=...&room=...&fp=...#v1....`. */
export function linkFromUri(u: UriParts): string {
  return `${u.scheme}://${u.authority}${u.path}${u.query ? `?${u.query}` : ''}${u.fragment ? `#${u.fragment}` : ''}`;
}

/** What a clicked link asks before joining: the room, the relay and its key, and what the link is. */
export function joinQuestion(inv: Invite): string {
  const key = inv.fingerprints.length > 0 ? `whose key is ${displayFingerprint(inv.fingerprints[0])}` : 'whose key the link does not name (it is pinned on first contact)';
  return `Join the sealed room "${inv.room}" on the relay at ${formatAddress(inv.relays[0])}, ${key}? Only join rooms from people you know: whoever has this link can join and read the room.`;
}

/** Said once the server runs, by who can join it. */
export function serverRunning(how: { sealed: boolean; shared: boolean; legacy: boolean; addresses: string[] }, lives: string): string {
  if (!how.shared) return `WhatsUDP server running on ${how.addresses[0]}, for this machine only (an open room: only this machine can reach it). ${lives}`;
  if (how.sealed) {
    return `WhatsUDP server running: a sealed room. Colleagues join with its invite link ("Copy Invite Link", then "WhatsUDP: Join Room from Link", or the VS Code link they click); whoever has the link can join and read it. ${lives}`;
  }
  const why = how.legacy ? 'whatsudp.legacy.enabled is on, and the original chat has no invite links' : 'it is not sealed';
  return `WhatsUDP server running: an open room (${why}), so anyone on this network can join at ${how.addresses.join(' or ')}. ${lives}`;
}
