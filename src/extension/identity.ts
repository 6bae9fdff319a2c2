// This VS Code profile's device identity and the relay keys it has pinned. The device key is kept in
// VS Code's SecretStorage (the OS keychain on desktop; in code-server, the server's storage); the pins
// and the key of a relay started here are files in the extension's global storage folder.
import path from 'node:path';
import type * as vscode from 'vscode';
import { FileStore, loadOrCreateIdentity, newIdentity, type DeviceIdentity, type TextStore } from '../chat/identity';
import { selectCrypto } from '../protocol/crypto';
import type { Logger } from './chatSession';

const SECRET_KEY = 'whatsudp.identity';

/** SecretStorage as the engine's small get/set interface. */
export function secretStore(secrets: vscode.SecretStorage, key = SECRET_KEY): TextStore {
  return {
    where: "VS Code's secret storage",
    get: async () => (await secrets.get(key)) ?? undefined,
    set: async (value) => {
      await secrets.store(key, value);
    },
  };
}

export interface Keys {
  identity: DeviceIdentity;
  relayPins: TextStore;
  memberPins: TextStore;
}

/** The device identity (made on first use) and the pin file. If the secret storage cannot be used, a
 * key for this window only, said in the log: the chat still works, and relays see a new device. */
export async function loadKeys(secrets: vscode.SecretStorage, storageDir: string, log: Logger): Promise<Keys> {
  const { crypto, fallbackReason } = await selectCrypto();
  if (fallbackReason) log.warn(`Crypto: ${fallbackReason}`);
  const relayPins = new FileStore(path.join(storageDir, 'known_relays'));
  const memberPins = new FileStore(path.join(storageDir, 'known_members'));
  try {
    const { identity, created } = await loadOrCreateIdentity(crypto, secretStore(secrets));
    log.info(`${created ? 'Made this device\'s key' : 'Device key'}: ${identity.fingerprint}`);
    return { identity, relayPins, memberPins };
  } catch (err) {
    log.warn(`Cannot use the device key in VS Code's secret storage (${(err as Error).message}): using a key for this window only.`);
    return { identity: newIdentity(crypto).identity, relayPins, memberPins };
  }
}
