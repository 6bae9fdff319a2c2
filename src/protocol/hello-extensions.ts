// What a protocol 2 Hello may carry after its ClientAuth: each as type (u8) | length (u8) | value,
// each type at most once, in type order. A relay skips a type it does not know, so a later client's
// Hello still gets in; a known type with a value that cannot be one makes the Hello malformed.
import { ProtocolError, Reader, Writer } from './bytes';
import { SIGNATURE_BYTES } from './crypto';
import { DEVICE_KEY_BYTES, DH_CERTIFICATE_BYTES } from './packets';
import { MAX_ROOM_NAME_BYTES, roomNameProblem } from './rooms';

export enum HelloExtension {
  /** A sealed room's join proof (src/protocol/sealed-room.ts): 64 bytes. An open room ignores it. */
  JoinProof = 1,
  /** The room to join (UTF-8, 1..64 bytes, rooms.ts). Absent: the relay's default room. */
  Room = 2,
  /** Create the room if it is absent: flags (1 = sealed) and, if sealed, its verifier (32). */
  Create = 3,
  /** A direct-message room's two device keys (64, sorted ascending bytewise). */
  Dm = 4,
  /** The device's static X25519 key (32) and its certificate (64, the device key's signature). */
  DeviceDh = 5,
}

export const CREATE_SEALED = 1;
export const ROOM_VERIFIER_BYTES = 32;

/** The extensions a Hello carries, as values (all optional). */
export interface HelloExtensions {
  /** The proof that the member holds the sealed room's secret, bound to this handshake. */
  joinProof?: Uint8Array;
  room?: string;
  create?: { sealed: boolean; verifier?: Uint8Array };
  dmKeys?: Uint8Array;
  deviceDh?: { x25519: Uint8Array; certificate: Uint8Array };
}

function values(e: HelloExtensions): [HelloExtension, Uint8Array][] {
  const out: [HelloExtension, Uint8Array][] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new ProtocolError(`Cannot encode Hello (${what})`);
  };
  if (e.joinProof) {
    need(e.joinProof.length === SIGNATURE_BYTES, `a join proof is ${SIGNATURE_BYTES} bytes`);
    out.push([HelloExtension.JoinProof, e.joinProof]);
  }
  if (e.room !== undefined) {
    need(roomNameProblem(e.room) === undefined, 'a room name that cannot be one');
    out.push([HelloExtension.Room, Buffer.from(e.room, 'utf8')]);
  }
  if (e.create) {
    const v = e.create.verifier;
    need(e.create.sealed === (v !== undefined) && (!v || v.length === ROOM_VERIFIER_BYTES), 'a sealed room is created with its 32-byte verifier, an open one without');
    out.push([HelloExtension.Create, v ? Buffer.concat([Buffer.of(CREATE_SEALED), v]) : Buffer.of(0)]);
  }
  if (e.dmKeys) {
    need(e.dmKeys.length === 2 * DEVICE_KEY_BYTES, 'a DM names two 32-byte keys');
    out.push([HelloExtension.Dm, e.dmKeys]);
  }
  if (e.deviceDh) {
    need(e.deviceDh.x25519.length === DEVICE_KEY_BYTES && e.deviceDh.certificate.length === DH_CERTIFICATE_BYTES, 'a device DH key is 32 bytes and its certificate 64');
    out.push([HelloExtension.DeviceDh, Buffer.concat([e.deviceDh.x25519, e.deviceDh.certificate])]);
  }
  return out;
}

/** The extensions' bytes, to follow the ClientAuth (empty when there are none). */
export function encodeExtensions(e: HelloExtensions): Buffer {
  const list = values(e);
  const w = new Writer(list.reduce((n, [, v]) => n + 2 + v.length, 0));
  for (const [type, v] of list) w.u8(type).u8(v.length).bytes(v);
  return w.done();
}

/** Reads extensions from `r` to the end of its datagram into `into`. */
export function decodeExtensions(r: Reader, end: number, into: HelloExtensions): void {
  const seen = new Set<number>();
  const bad = (what: string) => new ProtocolError(`Cannot decode Hello (${what})`);
  while (r.offset < end) {
    const type = r.u8('extension type');
    const value = Uint8Array.from(r.bytes(r.u8('extension length'), 'extension'));
    if (seen.has(type)) throw bad(`extension ${type} twice`);
    seen.add(type);
    switch (type as HelloExtension) {
      case HelloExtension.JoinProof:
        if (value.length !== SIGNATURE_BYTES) throw bad(`a join proof is ${SIGNATURE_BYTES} bytes, not ${value.length}`);
        into.joinProof = value;
        break;
      case HelloExtension.Room: {
        if (value.length > MAX_ROOM_NAME_BYTES) throw bad('a room name over 64 bytes');
        const name = new Reader(Buffer.concat([Buffer.of(value.length), value]), 'Hello', 0).str('room', MAX_ROOM_NAME_BYTES);
        if (roomNameProblem(name)) throw bad('a room name that cannot be one');
        into.room = name;
        break;
      }
      case HelloExtension.Create: {
        const sealed = value.length > 0 && (value[0] & CREATE_SEALED) !== 0;
        if (value.length !== (sealed ? 1 + ROOM_VERIFIER_BYTES : 1)) throw bad(`a create extension of ${value.length} bytes`);
        into.create = sealed ? { sealed, verifier: value.slice(1) } : { sealed };
        break;
      }
      case HelloExtension.Dm:
        if (value.length !== 2 * DEVICE_KEY_BYTES) throw bad(`a DM extension of ${value.length} bytes`);
        into.dmKeys = value;
        break;
      case HelloExtension.DeviceDh:
        if (value.length !== DEVICE_KEY_BYTES + DH_CERTIFICATE_BYTES) throw bad(`a device DH key extension of ${value.length} bytes`);
        into.deviceDh = { x25519: value.slice(0, DEVICE_KEY_BYTES), certificate: value.slice(DEVICE_KEY_BYTES) };
        break;
      default:
        break; // a later client's: not ours to read
    }
  }
}
