// The devices' certified X25519 keys across a cluster (issue 15): a device that joined any relay can be
// found by a member of another, to open a direct message with it. One entry per device in the KV bucket
// WUDP_devicekeys. The relay that reads an entry checks its certificate (the device key's signature) before
// it hands it on, as it does for a key from a Hello: whoever writes to NATS cannot make one.
import { StorageType } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Cluster } from './connect';

export const DEVICE_KEYS_BUCKET = 'WUDP_devicekeys';

export interface SharedDh {
  x25519: Uint8Array;
  certificate: Uint8Array;
}

export class SharedDeviceKeys {
  private constructor(private readonly kv: KV) {}

  static async open(cluster: Cluster, replicas: 1 | 3): Promise<SharedDeviceKeys> {
    const kv = await cluster.bucket(DEVICE_KEYS_BUCKET, { history: 1, replicas, storage: StorageType.File });
    return new SharedDeviceKeys(kv);
  }

  async put(device: Uint8Array, dh: SharedDh): Promise<void> {
    const b = (x: Uint8Array) => Buffer.from(x).toString('base64url');
    await this.kv.put(Buffer.from(device).toString('hex'), JSON.stringify({ x: b(dh.x25519), c: b(dh.certificate) }));
  }

  /** The key stored for `device`, unchecked (the caller checks its certificate), or undefined. */
  async get(device: Uint8Array): Promise<SharedDh | undefined> {
    const e = await this.kv.get(Buffer.from(device).toString('hex'));
    if (!e || e.operation !== 'PUT') return undefined;
    try {
      const o = JSON.parse(e.string()) as { x?: unknown; c?: unknown };
      if (typeof o.x !== 'string' || typeof o.c !== 'string') return undefined;
      return { x25519: Buffer.from(o.x, 'base64url'), certificate: Buffer.from(o.c, 'base64url') };
    } catch {
      return undefined;
    }
  }
}
