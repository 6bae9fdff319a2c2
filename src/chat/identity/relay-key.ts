// A relay's long-term key, kept like an SSH host key: in its store folder when it has one (the room
// and its key move together), else in the user's config folder, made on first start, 0600, so an
// ordinary restart never changes it and members' pins keep matching.
import path from 'node:path';
import type { Crypto } from '../../protocol/crypto';
import { loadOrCreateIdentity, type DeviceIdentity } from './device';
import { configDir, FileStore } from './store';

export const RELAY_KEY_FILE = 'relay-key';

/** Where a relay keeps its key: `storeDir/relay-key`, else `relay-key` in the config folder. */
export const relayKeyPath = (storeDir: string | undefined, env?: NodeJS.ProcessEnv): string => path.join(storeDir ?? configDir(env), RELAY_KEY_FILE);

/** The relay's key in `file`, made there on first use. Throws IdentityError saying what to do. */
export async function loadRelayKey(c: Crypto, file: string): Promise<{ identity: DeviceIdentity; created: boolean }> {
  return loadOrCreateIdentity(c, new FileStore(file));
}
