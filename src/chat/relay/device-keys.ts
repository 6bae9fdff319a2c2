// The devices' certified X25519 keys the relay has seen (issue 11: Hello extension 5), so that a
// member can find an offline peer's key and open a direct message with it. A key is kept only once its
// certificate (the device key's signature) checks; the relay cannot make one, and a member checks it
// again before use. Bounded: beyond MAX_DEVICE_KEYS the least recently seen is forgotten.
import * as fs from 'node:fs';
import type { Crypto } from '../../protocol/crypto';
import { replaceFileSync } from '../fs';
import { checkDhCertificate } from '../identity/device';

/** With a store: the devices' certified DH keys, so a DM can be opened with a device after a restart. */
export const DH_KEYS_FILE = 'dhkeys.json';

export const MAX_DEVICE_KEYS = 65536;

export interface DeviceDh {
  x25519: Uint8Array;
  certificate: Uint8Array;
}

export class DeviceKeys {
  /** By device key (hex), least recently seen first. */
  private readonly byDevice = new Map<string, DeviceDh>();
  /** Called when a new or changed key is kept (the store writes dhkeys.json). */
  onChange: (() => void) | undefined;

  constructor(
    private readonly crypto: Crypto,
    private readonly max = MAX_DEVICE_KEYS,
  ) {}

  get size(): number {
    return this.byDevice.size;
  }

  /** Keeps `dh` for `device` if its certificate checks (a key already kept costs no signature check). */
  offer(device: Uint8Array, dh: DeviceDh): boolean {
    const hex = Buffer.from(device).toString('hex');
    const known = this.byDevice.get(hex);
    if (known && Buffer.from(known.x25519).equals(dh.x25519) && Buffer.from(known.certificate).equals(dh.certificate)) {
      this.byDevice.delete(hex);
      this.byDevice.set(hex, known);
      return true;
    }
    if (!checkDhCertificate(this.crypto, device, dh.x25519, dh.certificate)) return false;
    this.byDevice.delete(hex);
    this.byDevice.set(hex, { x25519: Uint8Array.from(dh.x25519), certificate: Uint8Array.from(dh.certificate) });
    while (this.byDevice.size > this.max) this.byDevice.delete(this.byDevice.keys().next().value!);
    this.onChange?.();
    return true;
  }

  get(device: Uint8Array): DeviceDh | undefined {
    return this.byDevice.get(Buffer.from(device).toString('hex'));
  }

  /** Every key, as dhkeys.json keeps them: base64url, least recently seen first. */
  toJson(): { device: string; x25519: string; certificate: string }[] {
    return [...this.byDevice].map(([hex, k]) => ({ device: Buffer.from(hex, 'hex').toString('base64url'), x25519: Buffer.from(k.x25519).toString('base64url'), certificate: Buffer.from(k.certificate).toString('base64url') }));
  }

  /** Loads what toJson wrote; an entry that does not check is skipped (counted). */
  load(entries: unknown): number {
    let skipped = 0;
    if (!Array.isArray(entries)) return 0;
    const saved = this.onChange;
    this.onChange = undefined;
    for (const e of entries as Record<string, unknown>[]) {
      const b = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64url') : Buffer.alloc(0));
      const device = b(e?.device);
      if (device.length !== 32 || !this.offer(device, { x25519: b(e?.x25519), certificate: b(e?.certificate) })) skipped++;
    }
    this.onChange = saved;
    return skipped;
  }
}

/** DIR/dhkeys.json (0600): read at start, written at most once a second after a key was learnt. */
export class DeviceKeysFile {
  private dirty = false;
  private savedAt = 0;

  constructor(
    private readonly file: string,
    private readonly keys: DeviceKeys,
    private readonly fsync: boolean,
  ) {}

  /** Reads the file into the keys; returns what the operator should hear (damage, keys dropped). */
  load(): string[] {
    const notices: string[] = [];
    try {
      const skipped = this.keys.load(JSON.parse(fs.readFileSync(this.file, 'utf8')));
      if (skipped > 0) notices.push(`${skipped} device keys in ${this.file} did not check and were dropped.`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') notices.push(`${this.file} cannot be read (${(err as Error).message}): devices' DH keys are learnt again from their Hellos.`);
    }
    this.keys.onChange = () => (this.dirty = true);
    return notices;
  }

  /** Writes the keys if one was learnt (and a second has passed, unless `now` is the last call). Throws
   * when the file cannot be written; it is tried again at the next call. */
  save(now: number, last = false): void {
    if (!this.dirty || (!last && now - this.savedAt < 1000)) return;
    this.savedAt = now;
    replaceFileSync(this.file, JSON.stringify(this.keys.toJson()) + '\n', { fsync: this.fsync });
    this.dirty = false;
  }
}
