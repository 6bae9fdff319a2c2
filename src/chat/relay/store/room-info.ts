// A store's rooms besides the default one (issue 11): each in DIR/rooms/<first 32 hex of SHA-256 of
// its name>/, its messages as the default room's are in DIR, and beside them room-info.json: its name,
// a sealed room's verifier, its creator's device key and a DM room's two keys (base64url), 0600. The
// relay reads them all back at start, so every room keeps its history and its gate across a restart.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { roomNameProblem } from '../../../protocol/rooms';
import { makeDirs, replaceFile } from './files';

export const ROOMS_DIR = 'rooms';
export const ROOM_INFO_FILE = 'room-info.json';

/** What room-info.json keeps of a room. */
export interface StoredRoomInfo {
  name: string;
  verifier?: Uint8Array;
  creator?: Uint8Array;
  dmKeys?: Uint8Array;
  /** After a key rotation (issue 9, rekey.ts): its epoch, the verifiers before it, who it kept, the admins. */
  rotation?: { epoch: number; older: Uint8Array[]; kept: Uint8Array[]; admins: Uint8Array[] };
}

/** Where a room other than the default one is kept in the store at `storeDir`. */
export const roomDir = (storeDir: string, name: string): string => path.join(storeDir, ROOMS_DIR, createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 32));

const b64 = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('base64url') : undefined);

/** Writes a room's room-info.json (made with its directory, 0700, if new). */
export function writeRoomInfo(dir: string, info: StoredRoomInfo, fsync: boolean): void {
  makeDirs(dir);
  const r = info.rotation;
  const list = (keys: Uint8Array[]) => keys.map((k) => b64(k));
  const rotation = r ? { epoch: r.epoch, older: list(r.older), kept: list(r.kept), admins: list(r.admins) } : undefined;
  const json = { name: info.name, verifier: b64(info.verifier), creator: b64(info.creator), dmKeys: b64(info.dmKeys), rotation };
  replaceFile(path.join(dir, ROOM_INFO_FILE), JSON.stringify(json) + '\n', fsync);
}

function parse(text: string, dir: string): StoredRoomInfo | undefined {
  const j = JSON.parse(text) as Record<string, unknown>;
  const bytes = (v: unknown, n: number): Uint8Array | undefined => {
    if (v === undefined) return undefined;
    const b = typeof v === 'string' ? Buffer.from(v, 'base64url') : Buffer.alloc(0);
    if (b.length !== n) throw new Error('a key of the wrong length');
    return Uint8Array.from(b);
  };
  if (typeof j.name !== 'string' || roomNameProblem(j.name) || path.basename(roomDir('', j.name)) !== path.basename(dir)) return undefined;
  const verifier = bytes(j.verifier, 32);
  const creator = bytes(j.creator, 32);
  const dmKeys = bytes(j.dmKeys, 64);
  const r = j.rotation as Record<string, unknown> | undefined;
  const keys = (v: unknown) => {
    if (!Array.isArray(v)) throw new Error('a rotation without its keys');
    return v.map((k) => bytes(k, 32)!);
  };
  if (r !== undefined && (typeof r !== 'object' || r === null || typeof r.epoch !== 'number' || !Number.isSafeInteger(r.epoch))) throw new Error('a rotation that is not one');
  const rotation = r ? { epoch: r.epoch as number, older: keys(r.older), kept: keys(r.kept), admins: keys(r.admins) } : undefined;
  return { name: j.name, ...(verifier ? { verifier } : {}), ...(creator ? { creator } : {}), ...(dmKeys ? { dmKeys } : {}), ...(rotation ? { rotation } : {}) };
}

/** Every room kept under `storeDir`, with its directory; one notice per directory that cannot be read
 * (it is left as it is, and that room is not served). */
export function readRoomInfos(storeDir: string): { rooms: { dir: string; info: StoredRoomInfo }[]; notices: string[] } {
  const rooms: { dir: string; info: StoredRoomInfo }[] = [];
  const notices: string[] = [];
  const top = path.join(storeDir, ROOMS_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(top);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { rooms, notices };
    throw err;
  }
  for (const name of names.sort()) {
    const dir = path.join(top, name);
    if (!/^[0-9a-f]{32}$/.test(name)) continue;
    let info: StoredRoomInfo | undefined;
    try {
      info = parse(fs.readFileSync(path.join(dir, ROOM_INFO_FILE), 'utf8'), dir);
    } catch {
      info = undefined;
    }
    if (info) rooms.push({ dir, info });
    else notices.push(`${path.join(dir, ROOM_INFO_FILE)} is missing or damaged: that room is not served (its files are left as they are).`);
  }
  return { rooms, notices };
}
