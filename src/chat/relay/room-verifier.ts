// A relay's sealed room (issue 9), made by its owner (`whatsudp relay --sealed`): a new secret once,
// whose invite link is printed once, and only the verifier kept. With a store folder the verifier is
// kept there beside relay-key (0600), so a restart keeps the same room and the links given out; the
// secret itself is never written anywhere by the relay.
import path from 'node:path';
import type { Crypto } from '../../protocol/crypto';
import { newRoomSecret, roomVerifier } from '../../protocol/sealed-room';
import { ChatError } from '../errors';
import { FileStore, IdentityError } from '../identity';

export const ROOM_VERIFIER_FILE = 'room-verifier';
const HEADER = 'whatsudp room verifier v1';

export interface SealedRoom {
  verifier: Uint8Array;
  /** Only when the room is made now: the one time its link can be printed. */
  secret?: Uint8Array;
  /** Where the verifier is kept; undefined when the room lives as long as the process. */
  file?: string;
  /** For a room made now with a store: writes the verifier there. Called once the relay listens, so
   * a relay that never started leaves no room whose link nobody saw. */
  keep?: () => Promise<void>;
}

/** The sealed room kept in `storeDir`, or a new one (kept there by `keep`); a new one for this process without a store. */
export async function sealedRoom(crypto: Crypto, storeDir: string | undefined): Promise<SealedRoom> {
  const secret = newRoomSecret(crypto);
  const verifier = roomVerifier(crypto, secret);
  if (storeDir === undefined) return { verifier, secret };
  const file = path.join(storeDir, ROOM_VERIFIER_FILE);
  const store = new FileStore(file);
  const kept = await stored(() => store.get());
  if (kept !== undefined) return { verifier: parseVerifier(kept, file), file };
  const text = formatVerifier(verifier);
  const keep = async (): Promise<void> => {
    // Two relays started on one store at once: the first one's room is the room, and the other stops.
    if ((await stored(() => store.create(text))) !== text) throw new ChatError('STORE', `Another relay made a sealed room in ${file} at the same time: start this one again to use it.`);
  };
  return { verifier, secret, file, keep };
}

async function stored<T>(io: () => Promise<T>): Promise<T> {
  try {
    return await io();
  } catch (err) {
    if (err instanceof IdentityError) throw new ChatError('STORE', `The sealed room's verifier: ${err.message}`);
    throw err;
  }
}

export function formatVerifier(verifier: Uint8Array): string {
  return `${HEADER} ${Buffer.from(verifier).toString('base64url')}\n`;
}

function parseVerifier(text: string, file: string): Uint8Array {
  const m = new RegExp(`^${HEADER} ([A-Za-z0-9_-]{43})\\s*$`).exec(text);
  if (!m) throw new ChatError('STORE', `${file} is not a sealed room's verifier: move it away to make a new sealed room (with a new invite link).`);
  return Uint8Array.from(Buffer.from(m[1], 'base64url'));
}
