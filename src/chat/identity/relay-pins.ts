// Relay keys pinned per relay address, trust on first use, like SSH's known_hosts: the first key a
// relay presents for an address is kept; a later different key is reported with both fingerprints
// and never replaces the pin by itself (the CLI exits 8). One line per relay:
//
//   HOST:PORT ed25519 BASE64URL(public key)
//
// Lines this version does not understand (comments, a later key type, a hand edit gone wrong) are
// kept as they are when the file is written back.
import { displayFingerprint, fingerprint } from '../../protocol/fingerprint';
import { equalBytes, type Bytes, type Crypto } from '../../protocol/crypto';
import type { TextStore } from './store';

export type RelayPinCheck =
  | { kind: 'new' }
  | { kind: 'match' }
  | { kind: 'changed'; address: string; pinned: string; presented: string; message: string };

interface Line {
  raw: string;
  address?: string;
  key?: Bytes;
}

/** An address as pins compare it: host in lower case, IPv6 in brackets. The caller passes HOST:PORT. */
export const pinAddress = (address: string) => address.trim().toLowerCase();

export class RelayPins {
  private readonly lines: Line[];

  constructor(text = '') {
    this.lines = text.split('\n').filter((raw, i, all) => raw !== '' || i < all.length - 1).map(parseLine);
  }

  key(address: string): Bytes | undefined {
    const a = pinAddress(address);
    return this.lines.find((l) => l.address === a)?.key;
  }

  check(c: Crypto, address: string, presented: Bytes): RelayPinCheck {
    const pinned = this.key(address);
    if (!pinned) return { kind: 'new' };
    if (equalBytes(pinned, presented)) return { kind: 'match' };
    const [was, now] = [fingerprint(c, pinned), fingerprint(c, presented)];
    const message =
      `The relay at ${address} presents a different key than the one pinned for it.\n` +
      `  pinned:    ${displayFingerprint(was)}\n` +
      `  presented: ${displayFingerprint(now)}\n` +
      'Someone may be impersonating the relay, or it was set up again with a new key. Ask its owner for the fingerprint it shows; only if it is the new one, forget the old pin.';
    return { kind: 'changed', address, pinned: was, presented: now, message };
  }

  /** Pins `key` for `address`, replacing a pin there (after the user has confirmed a change). */
  pin(address: string, key: Bytes): void {
    const a = pinAddress(address);
    const line = { raw: `${a} ed25519 ${Buffer.from(key).toString('base64url')}`, address: a, key: Uint8Array.from(key) };
    const at = this.lines.findIndex((l) => l.address === a);
    if (at >= 0) this.lines[at] = line;
    else this.lines.push(line);
  }

  forget(address: string): boolean {
    const a = pinAddress(address);
    const at = this.lines.findIndex((l) => l.address === a);
    if (at >= 0) this.lines.splice(at, 1);
    return at >= 0;
  }

  toText(): string {
    return this.lines.map((l) => `${l.raw}\n`).join('');
  }
}

function parseLine(raw: string): Line {
  const m = /^(\S+) ed25519 ([A-Za-z0-9_-]{43})$/.exec(raw.trim());
  if (!m) return { raw };
  const key = Buffer.from(m[2], 'base64url');
  return key.length === 32 ? { raw, address: pinAddress(m[1]), key: Uint8Array.from(key) } : { raw };
}

/**
 * The client's whole step after a handshake: checks the relay key against the pins in `store`, pins it
 * if the address is new (re-reading the file first, so a pin another process just wrote is kept).
 */
export async function trustRelay(c: Crypto, store: TextStore, address: string, presented: Bytes): Promise<RelayPinCheck> {
  const pins = new RelayPins((await store.get()) ?? '');
  const result = pins.check(c, address, presented);
  if (result.kind === 'new') {
    pins.pin(address, presented);
    await store.set(pins.toText());
  }
  return result;
}
