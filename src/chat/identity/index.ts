// The door to device identity: keys, where they are kept, and the pins that say whom we trust.
export { checkDhCertificate, loadOrCreateIdentity, newIdentity, parseIdentity, type DeviceIdentity } from './device';
export { MemberPins, updateMemberPins, type MemberPinCheck, type NamedKey, type PinnedKey } from './member-pins';
export { pinAddress, RelayPins, trustRelay, type RelayPinCheck } from './relay-pins';
export { loadRelayKey, RELAY_KEY_FILE, relayKeyPath } from './relay-key';
export { checkNames, conflictText, NameWatch, type NameConflict } from './name-pins';
export {
  configDir,
  defaultIdentityPath,
  defaultMemberPinsPath,
  defaultRelayPinsPath,
  FileStore,
  IdentityError,
  MemoryStore,
  type IdentityErrorCode,
  type TextStore,
} from './store';
