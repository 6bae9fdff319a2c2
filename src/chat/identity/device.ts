// A device's identity: a long-term Ed25519 key (it signs handshakes and messages, and its public half
// is who the device is) and a separate X25519 key for what must be encrypted to the device (direct
// messages, a sealed room's new secret after a rotation), certified by an Ed25519 signature. It is a
// separate key because node:crypto cannot turn an Ed25519 key into an X25519 one (only @noble
// can), and because using one key for two algorithms is a known way to get cross-protocol attacks.
// A relay's long-term key is the same kind of identity, kept like an SSH host key.
import { memberId, fingerprint } from '../../protocol/fingerprint';
import type { Bytes, Crypto, DhKey, SigningKey } from '../../protocol/crypto';
import { IdentityError, type TextStore } from './store';

export interface DeviceIdentity {
  readonly signingKey: SigningKey;
  /** The Ed25519 public key: who this device is. */
  readonly publicKey: Bytes;
  readonly dhKey: DhKey;
  /** The device key's signature over the X25519 public key (checkDhCertificate). */
  readonly dhCertificate: Bytes;
  /** The 8-byte clientId on the wire. */
  readonly memberId: Bytes;
  readonly fingerprint: string;
}

const FORMAT = 'whatsudp-identity';
const VERSION = 1;
const utf8 = (s: string) => new TextEncoder().encode(s);
const certInput = (x25519Public: Bytes) => new Uint8Array([...utf8('whatsudp x25519 key v1\0'), ...x25519Public]);

export function checkDhCertificate(c: Crypto, devicePublicKey: Bytes, x25519Public: Bytes, certificate: Bytes): boolean {
  return c.verifyKey(devicePublicKey).verify(certInput(x25519Public), certificate);
}

function fromSecrets(c: Crypto, ed25519: Bytes, x25519: Bytes): DeviceIdentity {
  const signingKey = c.signingKey(ed25519);
  const dhKey = c.dhKey(x25519);
  return {
    signingKey,
    publicKey: signingKey.publicKey,
    dhKey,
    dhCertificate: signingKey.sign(certInput(dhKey.publicKey)),
    memberId: memberId(c, signingKey.publicKey),
    fingerprint: fingerprint(c, signingKey.publicKey),
  };
}

/** A new identity and its stored form (JSON with both 32-byte secrets in base64url). */
export function newIdentity(c: Crypto): { identity: DeviceIdentity; text: string } {
  const [ed25519, x25519] = [c.random(32), c.random(32)];
  const text = `${JSON.stringify({ format: FORMAT, version: VERSION, ed25519: b64(ed25519), x25519: b64(x25519) })}\n`;
  return { identity: fromSecrets(c, ed25519, x25519), text };
}

export function parseIdentity(c: Crypto, text: string, where: string): DeviceIdentity {
  const corrupt = (why: string) => new IdentityError('CORRUPT', `${where} is not a WhatsUDP identity (${why}). Move it away to make a new one; people who pinned the old key will be told it changed.`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw corrupt('not JSON');
  }
  if (typeof data !== 'object' || data === null || (data as { format?: unknown }).format !== FORMAT) throw corrupt('no "format": "whatsudp-identity"');
  const { version, ed25519, x25519 } = data as Record<string, unknown>;
  if (version !== VERSION) throw corrupt(`version ${String(version)}, this WhatsUDP reads ${VERSION}`);
  const key = (v: unknown, name: string) => {
    const bytes = typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v) ? Buffer.from(v, 'base64url') : undefined;
    if (!bytes || bytes.length !== 32) throw corrupt(`a bad ${name} key`);
    return Uint8Array.from(bytes);
  };
  return fromSecrets(c, key(ed25519, 'ed25519'), key(x25519, 'x25519'));
}

/** The identity in `store`, made and stored on first use. */
export async function loadOrCreateIdentity(c: Crypto, store: TextStore): Promise<{ identity: DeviceIdentity; created: boolean }> {
  const existing = await store.get();
  if (existing !== undefined) return { identity: parseIdentity(c, existing, store.where), created: false };
  const fresh = newIdentity(c);
  if (!store.create) {
    await store.set(fresh.text);
    return { identity: fresh.identity, created: true };
  }
  const stored = await store.create(fresh.text);
  if (stored === fresh.text) return { identity: fresh.identity, created: true };
  return { identity: parseIdentity(c, stored, store.where), created: false }; // another process was first
}

const b64 = (b: Bytes) => Buffer.from(b).toString('base64url');
