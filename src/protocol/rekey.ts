// A sealed room's key rotation as it travels (issue 9): a message of kind 14 (kinds.ts KIND_REKEY)
// whose bytes are a JSON object, signed by its author like every message and NOT content-sealed, so
// the relay can read what it must act on:
//   { "epoch": u32, "verifier": b64url(32), "keep": [{ "key": b64url(32), "wrap": b64url(92) }], "admins"?: [b64url(32)],
//     "proof": b64url(64) }
// `verifier` is the new secret's (sealed-room.ts roomVerifier): the relay admits proofs under it from
// then on. `keep` names every member that stays, with the new secret wrapped to its certified X25519
// key (key-wrap.ts) under rekeyWrapAd; a member not named is removed. `admins` are further device
// keys the creator lets rotate the key. `proof` is the replaced secret's join key's signature over the
// room name and the other fields (rekeySigned): only a holder of the room's current key makes one.
// The relay sees who stays and who goes, never the secret.
import type { PlaceholderBody } from '../common/message';
import { MAX_TEXT_BYTES } from '../common/message';
import { ProtocolError } from './bytes';
import { KEY_BYTES, SIGNATURE_BYTES } from './crypto';
import { WRAPPED_SECRET_BYTES } from './key-wrap';

export interface RekeyFields {
  epoch: number;
  verifier: Uint8Array;
  keep: { key: Uint8Array; wrap: Uint8Array }[];
  admins?: Uint8Array[];
  /** sealed-room.ts rekeyProof with the secret being replaced, over rekeySigned(...) of the rest. */
  proof?: Uint8Array;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const utf8 = (s: string) => new TextEncoder().encode(s);

/** The associated data a kept member's wrap is bound to: the room's name, the epoch and the
 * recipient's device key, so a wrap moved to another room, epoch or member does not open. */
export function rekeyWrapAd(room: string, epoch: number, recipient: Uint8Array): Uint8Array {
  const name = utf8(`whatsudp rekey v1\0${room}\0`);
  const out = new Uint8Array(name.length + 4 + recipient.length);
  out.set(name);
  new DataView(out.buffer).setUint32(name.length, epoch);
  out.set(recipient, name.length + 4);
  return out;
}

/** What a rekey's proof signs: the room's name and the fields but the proof, as formatRekey writes them. */
export function rekeySigned(room: string, f: RekeyFields): Uint8Array {
  const { proof: _proof, ...rest } = f;
  return new Uint8Array([...utf8(`${room}\0`), ...formatRekey(rest)]);
}

/** The message bytes of a rekey. Throws ProtocolError for fields that cannot be sent. */
export function formatRekey(f: RekeyFields): Buffer {
  const problem = fieldsProblem(f);
  if (problem) throw new ProtocolError(`Cannot encode rekey (${problem})`);
  const json = {
    epoch: f.epoch,
    verifier: b64(f.verifier),
    keep: f.keep.map((k) => ({ key: b64(k.key), wrap: b64(k.wrap) })),
    ...(f.admins?.length ? { admins: f.admins.map(b64) } : {}),
    ...(f.proof ? { proof: b64(f.proof) } : {}),
  };
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  if (text.length > MAX_TEXT_BYTES) throw new ProtocolError(`Cannot encode rekey (${f.keep.length} members kept take ${text.length} bytes, over ${MAX_TEXT_BYTES})`);
  return text;
}

function bytesOf(v: unknown, length: number): Uint8Array | undefined {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_-]*$/.test(v)) return undefined;
  const b = Buffer.from(v, 'base64url');
  return b.length === length && b.toString('base64url') === v ? Uint8Array.from(b) : undefined;
}

/** The fields of a rekey's message bytes, or undefined when they are not a well-formed rekey. Never throws. */
export function parseRekey(text: string): RekeyFields | undefined {
  let d: unknown;
  try {
    d = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return undefined;
  const o = d as Record<string, unknown>;
  const verifier = bytesOf(o.verifier, KEY_BYTES);
  if (!verifier || !Array.isArray(o.keep) || (o.admins !== undefined && !Array.isArray(o.admins))) return undefined;
  const keep: RekeyFields['keep'] = [];
  for (const k of o.keep as unknown[]) {
    const e = typeof k === 'object' && k !== null ? (k as Record<string, unknown>) : {};
    const key = bytesOf(e.key, KEY_BYTES);
    const wrap = bytesOf(e.wrap, WRAPPED_SECRET_BYTES);
    if (!key || !wrap) return undefined;
    keep.push({ key, wrap });
  }
  const admins: Uint8Array[] = [];
  for (const a of (o.admins as unknown[] | undefined) ?? []) {
    const key = bytesOf(a, KEY_BYTES);
    if (!key) return undefined;
    admins.push(key);
  }
  const proof = o.proof === undefined ? undefined : bytesOf(o.proof, SIGNATURE_BYTES);
  if (o.proof !== undefined && !proof) return undefined;
  const f: RekeyFields = { epoch: o.epoch as number, verifier, keep, ...(admins.length ? { admins } : {}), ...(proof ? { proof } : {}) };
  return fieldsProblem(f) ? undefined : f;
}

function fieldsProblem(f: RekeyFields): string | undefined {
  if (!Number.isInteger(f.epoch) || f.epoch < 1 || f.epoch > 0xffffffff) return `epoch ${String(f.epoch)} is not 1 to 2^32-1`;
  if (f.verifier.length !== KEY_BYTES) return 'a verifier is 32 bytes';
  if (f.keep.length === 0) return 'it keeps nobody';
  const seen = new Set<string>();
  for (const k of f.keep) {
    if (k.key.length !== KEY_BYTES || k.wrap.length !== WRAPPED_SECRET_BYTES) return 'a kept member is a 32-byte key and a 92-byte wrap';
    if (seen.has(b64(k.key))) return 'a member kept twice';
    seen.add(b64(k.key));
  }
  if (f.admins?.some((a) => a.length !== KEY_BYTES)) return 'an admin is a 32-byte key';
  if (f.proof && f.proof.length !== SIGNATURE_BYTES) return 'a proof is 64 bytes';
  return undefined;
}

/** What a rekey is shown as in the room (by any client: it holds no words of its author's). */
export function rekeyNotice(text: string): PlaceholderBody {
  const f = parseRekey(text);
  if (!f) return { kind: 'placeholder', text: '', reason: 'a key change that could not be decoded', code: 14 };
  const kept = f.keep.length === 1 ? '1 member keeps' : `${f.keep.length} members keep`;
  return { kind: 'placeholder', text: '', reason: `changed the room's key (epoch ${f.epoch}): ${kept} access, anyone else can't read what follows`, code: 14 };
}
