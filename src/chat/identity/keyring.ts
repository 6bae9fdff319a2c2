// A device's sealed-room secrets by key epoch (issue 9): after a rotation a member holds the room's
// old secrets and its new one, seals with the newest and opens whatever epoch a message was sealed
// in, so history stays readable. Kept like the identity (store.ts: a 0600 file for the CLI, VS Code's
// secret storage in the extension), as JSON:
//   { "format": "whatsudp-keyring", "version": 1, "rooms": { ROOM: { EPOCH: base64url(secret) } } }
// ROOM is the caller's name for the room (relay and room name; a DM's name is unique already).
// A keyring never loses an epoch: every write merges with what is stored (another process may have
// added one meanwhile), and a second, different secret for an epoch it holds is refused, not taken.
import path from 'node:path';
import { ROOM_SECRET_BYTES } from '../../protocol/sealed-room';
import { configDir, IdentityError, type TextStore } from './store';

const FORMAT = 'whatsudp-keyring';
const VERSION = 1;
const MAX_EPOCH = 0xffffffff;

export const defaultKeyringPath = (env?: NodeJS.ProcessEnv) => path.join(configDir(env), 'keyring');

export interface EpochSecret {
  epoch: number;
  secret: Uint8Array;
}

type Rooms = Map<string, Map<number, Uint8Array>>;

const isEpoch = (n: number) => Number.isInteger(n) && n >= 0 && n <= MAX_EPOCH;
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function parse(text: string | undefined, where: string): Rooms {
  const rooms: Rooms = new Map();
  if (text === undefined) return rooms;
  const corrupt = (why: string) => new IdentityError('CORRUPT', `${where} is not a WhatsUDP keyring (${why}). Move it away; sealed rooms whose key was rotated will then need a new invite link.`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw corrupt('not JSON');
  }
  const d = data as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null || d.format !== FORMAT) throw corrupt('no "format": "whatsudp-keyring"');
  if (d.version !== VERSION) throw corrupt(`version ${String(d.version)}, this WhatsUDP reads ${VERSION}`);
  if (typeof d.rooms !== 'object' || d.rooms === null) throw corrupt('no rooms');
  for (const [room, epochs] of Object.entries(d.rooms as Record<string, unknown>)) {
    if (typeof epochs !== 'object' || epochs === null) throw corrupt(`room ${room} has no epochs`);
    const m = new Map<number, Uint8Array>();
    for (const [e, s] of Object.entries(epochs as Record<string, unknown>)) {
      const epoch = Number(e);
      const secret = typeof s === 'string' && /^[A-Za-z0-9_-]{43}$/.test(s) ? Buffer.from(s, 'base64url') : undefined;
      if (!isEpoch(epoch) || String(epoch) !== e || !secret || secret.length !== ROOM_SECRET_BYTES) throw corrupt(`a bad epoch ${e.slice(0, 12)} in room ${room}`);
      m.set(epoch, Uint8Array.from(secret));
    }
    rooms.set(room, m);
  }
  return rooms;
}

function format(rooms: Rooms): string {
  const out: Record<string, Record<string, string>> = {};
  for (const [room, epochs] of [...rooms].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out[room] = Object.fromEntries([...epochs].sort(([a], [b]) => a - b).map(([e, s]) => [String(e), Buffer.from(s).toString('base64url')]));
  }
  return `${JSON.stringify({ format: FORMAT, version: VERSION, rooms: out }, null, 1)}\n`;
}

export class Keyring {
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: TextStore,
    private rooms: Rooms,
  ) {}

  /** The keyring in `store` (empty if nothing is stored yet). Throws IdentityError for a corrupt one. */
  static async load(store: TextStore): Promise<Keyring> {
    return new Keyring(store, parse(await store.get(), store.where));
  }

  /** The secrets held for `room`, oldest epoch first. */
  secrets(room: string): EpochSecret[] {
    return [...(this.rooms.get(room) ?? [])].sort(([a], [b]) => a - b).map(([epoch, secret]) => ({ epoch, secret: Uint8Array.from(secret) }));
  }

  /** The room holding `secret` under some epoch (the first by name), or undefined: a member that rejoins
   * with a rotation's new secret finds the epochs it kept under the old one. */
  roomHolding(secret: Uint8Array): string | undefined {
    const names = [...this.rooms.keys()].sort();
    return names.find((room) => [...(this.rooms.get(room)?.values() ?? [])].some((s) => same(s, secret)));
  }

  /** The newest epoch's secret for `room`, or undefined if none is held. */
  newest(room: string): EpochSecret | undefined {
    return this.secrets(room).at(-1);
  }

  /**
   * Adds `room`'s secret for `epoch` and stores the keyring. Returns false, changing nothing, when a
   * different secret is already held for that epoch (the first one stays: a rotation cannot be
   * replayed over a secret we have).
   */
  add(room: string, epoch: number, secret: Uint8Array): Promise<boolean> {
    if (!isEpoch(epoch)) throw new RangeError(`A key epoch is a u32, not ${epoch}`);
    if (!(secret instanceof Uint8Array) || secret.length !== ROOM_SECRET_BYTES) throw new RangeError(`A room secret is ${ROOM_SECRET_BYTES} bytes`);
    const held = this.rooms.get(room)?.get(epoch);
    if (held) return Promise.resolve(same(held, secret));
    const step = this.writing.then(async () => {
      const stored = parse(await this.store.get(), this.store.where); // another process's epochs too
      const mine = stored.get(room)?.get(epoch);
      if (mine && !same(mine, secret)) {
        this.rooms = merge(stored, this.rooms);
        return false;
      }
      const next = merge(stored, this.rooms);
      if (!next.has(room)) next.set(room, new Map());
      next.get(room)?.set(epoch, Uint8Array.from(secret));
      await this.store.set(format(next));
      this.rooms = next;
      return true;
    });
    this.writing = step.catch(() => undefined);
    return step;
  }
}

/** Every epoch of both; where both hold one, `a`'s (what is stored wins: it was there first). */
function merge(a: Rooms, b: Rooms): Rooms {
  const out: Rooms = new Map([...a].map(([room, epochs]) => [room, new Map(epochs)]));
  for (const [room, epochs] of b) {
    const m = out.get(room) ?? new Map<number, Uint8Array>();
    for (const [e, s] of epochs) if (!m.has(e)) m.set(e, s);
    out.set(room, m);
  }
  return out;
}
