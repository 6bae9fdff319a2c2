// Names are labels, keys are identity. This remembers which device keys have been seen under which
// name (trust on first use) and which of them a person has verified (compared the safety code), so
// that the chat can say "ann (verified)", "ann: a new device or someone else" or "bob, now calling
// himself ann". One person may have several devices, so a name may have several keys. One line each:
//
//   ed25519:BASE64URL(public key) verified|seen NAME
//
// NAME is the rest of the line (names have no control characters). Lines this version does not
// understand are kept as they are.
import { fingerprint } from '../../protocol/fingerprint';
import { equalBytes, type Bytes, type Crypto } from '../../protocol/crypto';
import type { TextStore } from './store';

export interface PinnedKey {
  fingerprint: string;
  verified: boolean;
}

/** A key pinned under a name, as `whatsudp verify` and the Verify command show it. */
export interface NamedKey extends PinnedKey {
  key: Uint8Array;
}

export type MemberPinCheck =
  /** Neither the name nor the key was seen before. */
  | { kind: 'new' }
  /** This key was seen under this name before (`otherNames`: what else it called itself). */
  | { kind: 'known'; verified: boolean; otherNames: string[] }
  /** A known key under a new name; the name is not pinned to anyone else. */
  | { kind: 'renamed'; verified: boolean; previousNames: string[] }
  /** The name belongs to other key(s): a new device of the same person, or someone else. Show it. */
  | { kind: 'conflict'; pinned: PinnedKey[]; keyKnownAs: string[] };

interface Entry {
  raw: string;
  pin?: { key: Bytes; verified: boolean; name: string };
}

export class MemberPins {
  private readonly entries: Entry[];

  constructor(text = '') {
    this.entries = text.split('\n').filter((raw, i, all) => raw !== '' || i < all.length - 1).map(parseLine);
  }

  private get pins() {
    return this.entries.flatMap((e) => (e.pin ? [e.pin] : []));
  }

  check(c: Crypto, name: string, key: Bytes): MemberPinCheck {
    const pins = this.pins;
    const same = pins.find((p) => p.name === name && equalBytes(p.key, key));
    const namesOfKey = pins.filter((p) => equalBytes(p.key, key) && p.name !== name).map((p) => p.name);
    if (same) return { kind: 'known', verified: same.verified, otherNames: namesOfKey };
    const others = pins.filter((p) => p.name === name);
    if (others.length > 0) return { kind: 'conflict', pinned: others.map((p) => ({ fingerprint: fingerprint(c, p.key), verified: p.verified })), keyKnownAs: namesOfKey };
    if (namesOfKey.length > 0) return { kind: 'renamed', verified: pins.some((p) => equalBytes(p.key, key) && p.verified), previousNames: namesOfKey };
    return { kind: 'new' };
  }

  /** Remembers `key` under `name` (seen), unless it is already there; returns whether anything changed. */
  pin(name: string, key: Bytes): boolean {
    if (this.find(name, key)) return false;
    this.entries.push(entry(name, key, false));
    return true;
  }

  /** Marks `key` as verified for `name` (the safety codes matched), pinning it if needed. */
  verify(name: string, key: Bytes): void {
    const at = this.entries.findIndex((e) => e.pin && e.pin.name === name && equalBytes(e.pin.key, key));
    if (at >= 0) this.entries[at] = entry(name, key, true);
    else this.entries.push(entry(name, key, true));
  }

  /** Takes the verified mark off `key` for `name` (it stays pinned, as seen); whether it had one. */
  unverify(name: string, key: Bytes): boolean {
    const at = this.entries.findIndex((e) => e.pin && e.pin.verified && e.pin.name === name && equalBytes(e.pin.key, key));
    if (at >= 0) this.entries[at] = entry(name, key, false);
    return at >= 0;
  }

  /** The keys pinned under `name`, in the order they were first seen. */
  keysOf(c: Crypto, name: string): NamedKey[] {
    return this.pins.filter((p) => p.name === name).map((p) => ({ key: p.key, fingerprint: fingerprint(c, p.key), verified: p.verified }));
  }

  /** Every pinned name, once each, in the order first seen. */
  names(): string[] {
    return [...new Set(this.pins.map((p) => p.name))];
  }

  /** Forgets one key of `name`, or all of them. */
  forget(name: string, key?: Bytes): number {
    const before = this.entries.length;
    const keep = this.entries.filter((e) => !(e.pin && e.pin.name === name && (!key || equalBytes(e.pin.key, key))));
    this.entries.splice(0, this.entries.length, ...keep);
    return before - keep.length;
  }

  toText(): string {
    return this.entries.map((e) => `${e.raw}\n`).join('');
  }

  private find(name: string, key: Bytes) {
    return this.pins.find((p) => p.name === name && equalBytes(p.key, key));
  }
}

function entry(name: string, key: Bytes, verified: boolean): Entry {
  if (/[\r\n]/.test(name)) throw new Error('A pinned name cannot contain a line break');
  return { raw: `ed25519:${Buffer.from(key).toString('base64url')} ${verified ? 'verified' : 'seen'} ${name}`, pin: { key: Uint8Array.from(key), verified, name } };
}

function parseLine(raw: string): Entry {
  const m = /^ed25519:([A-Za-z0-9_-]{43}) (verified|seen) (.+)$/.exec(raw);
  const key = m ? Buffer.from(m[1], 'base64url') : undefined;
  return m && key?.length === 32 ? { raw, pin: { key: Uint8Array.from(key), verified: m[2] === 'verified', name: m[3] } } : { raw };
}

/** Reads the pins, applies `change`, writes them back if it changed anything (a fresh read each time). */
export async function updateMemberPins(store: TextStore, change: (pins: MemberPins) => boolean): Promise<void> {
  const pins = new MemberPins((await store.get()) ?? '');
  if (change(pins)) await store.set(pins.toText());
}
