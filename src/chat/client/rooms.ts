// A client's side of rooms (issue 11): which room its Hello asks for and how (the Hello extensions
// room, create, dm and its device's certified DH key), checked before anything is sent.
import type { Crypto } from '../../protocol/crypto';
import type { HelloExtensions } from '../../protocol/hello-extensions';
import { DEFAULT_ROOM, isDmRoom, roomNameProblem } from '../../protocol/rooms';
import { roomVerifier } from '../../protocol/sealed-room';
import { ChatError } from '../errors';
import type { DeviceIdentity } from '../identity';
import type { ClientOptions } from '../types';

/** The room a client asks for: its options checked (BAD_OPTION saying what is wrong). */
export function roomOf(opts: Pick<ClientOptions, 'room' | 'create' | 'dmKeys'>): string {
  const room = opts.room ?? DEFAULT_ROOM;
  const problem = roomNameProblem(room);
  if (problem) throw new ChatError('BAD_OPTION', `${problem}.`);
  if (opts.dmKeys) {
    if (!isDmRoom(room)) throw new ChatError('BAD_OPTION', `Only a direct-message room (its name starts "dm-") names two keys, not the room ${room}.`);
    if (opts.dmKeys.length !== 2 || opts.dmKeys.some((k) => k.length !== 32)) throw new ChatError('BAD_OPTION', 'A direct-message room names two 32-byte device keys.');
  }
  return room;
}

/** Two device keys as the dm extension carries them: sorted ascending bytewise, 64 bytes. */
export function sortedKeys(keys: readonly [Uint8Array, Uint8Array]): Uint8Array {
  const [a, b] = Buffer.compare(Buffer.from(keys[0]), Buffer.from(keys[1])) <= 0 ? keys : [keys[1], keys[0]];
  return Buffer.concat([a, b]);
}

/** What every Hello with a cookie carries besides the handshake and the join proof. A client that asks
 * for no room sends no room extension: it joins the relay's default room, as before rooms. */
export function helloExtensions(crypto: Crypto, identity: DeviceIdentity, opts: ClientOptions): Omit<HelloExtensions, 'joinProof'> {
  const { room, create, roomSecret, dmKeys } = opts;
  return {
    ...(room !== undefined ? { room } : {}),
    ...(create ? { create: roomSecret ? { sealed: true, verifier: roomVerifier(crypto, roomSecret) } : { sealed: false } } : {}),
    ...(dmKeys ? { dmKeys: sortedKeys(dmKeys) } : {}),
    deviceDh: { x25519: identity.dhKey.publicKey, certificate: identity.dhCertificate },
  };
}
