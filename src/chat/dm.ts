// Opening a direct message (issue 11): the room both device keys name (protocol/dm.ts), sealed with a
// secret both compute alone from their certified X25519 keys, so nobody sends anyone a link. The
// peer's X25519 key comes from the relay (KeyRequest: every Hello carries the device's key and its
// certificate, which the client checks), so a DM can be opened with someone offline, as long as
// they have joined this relay once. A relay that hands out a wrong key cannot make the certificate
// check out; one that hands out none leaves the DM unopened, said so.
import { selectCrypto, type Crypto } from '../protocol/crypto';
import { dmKeys, dmRoomName, dmSecret } from '../protocol/dm';
import { ChatError } from './errors';
import type { DeviceIdentity } from './identity/device';
import { fingerprint } from '../protocol/fingerprint';
import type { ClientOptions } from './types';

/** What openDm needs of a client joined to the relay (ChatClient.deviceKeyOf). */
export interface DeviceKeys {
  deviceKeyOf(key: Uint8Array): Promise<{ x25519: Uint8Array } | undefined>;
}

export type DmOptions = Required<Pick<ClientOptions, 'room' | 'create' | 'roomSecret' | 'dmKeys'>>;

/** The options of a ChatClient for the DM between `identity` and `peerDeviceKey` (its Ed25519 key) on
 * the relay `client` is joined to. Rejects with ChatError BAD_OPTION for a DM with yourself, and
 * UNREACHABLE when the relay knows no key for the peer (they never joined it). */
export async function openDm(client: DeviceKeys, identity: DeviceIdentity, peerDeviceKey: Uint8Array, crypto?: Crypto): Promise<DmOptions> {
  const c = crypto ?? (await selectCrypto()).crypto;
  if (peerDeviceKey.length !== 32) throw new ChatError('BAD_OPTION', 'A device key is 32 bytes.');
  if (Buffer.from(peerDeviceKey).equals(Buffer.from(identity.publicKey))) throw new ChatError('BAD_OPTION', 'A direct message is with someone else, not with this device.');
  const peer = await client.deviceKeyOf(peerDeviceKey);
  if (!peer) {
    throw new ChatError('UNREACHABLE', `The relay knows no key to open a direct message with ${fingerprint(c, peerDeviceKey).slice(0, 16)}...: they have to join this relay once first.`);
  }
  const [lo, hi] = dmKeys(identity.publicKey, peerDeviceKey);
  return {
    room: dmRoomName(c, lo, hi),
    create: true,
    roomSecret: dmSecret(c, identity.dhKey, peer.x25519, lo, hi),
    dmKeys: [lo, hi],
  };
}
