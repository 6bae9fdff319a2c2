// Rotating a sealed room's key (issue 9): its creator (or an admin it named) sends a rekey (rekey.ts)
// with a new secret wrapped to every member that stays; the relay, which checks who sent it, then
// admits proofs under the new secret's verifier only (and the old one from the members kept), and
// drops the members left out. What the rotating member gets back is the new secret, for a new invite
// link: the old link no longer lets anyone new in.
import { fingerprint } from '../protocol/fingerprint';
import { selectCrypto } from '../protocol/crypto';
import type { ChatClient } from './client/client';
import { ProtocolError } from '../protocol/bytes';
import { ChatError } from './errors';
import type { OutgoingMessage } from './types';

export interface RotateOptions {
  /** Members to remove, by fingerprint (or device key, base64url). Everyone else in the room now, and
   * everyone the last rotation kept, stays; a member offline now who joined since the last rotation
   * (or ever, before the first) stays only if named in `keep`. */
  remove?: string[];
  /** Device keys to keep besides the members in the room now: people offline, who must have joined
   * this relay once (the relay passes their X25519 key on). */
  keep?: Uint8Array[];
  /** Device keys that may rotate the key too. */
  admins?: Uint8Array[];
  /** How long to wait for the relay to sequence the rekey (default 10 s). */
  timeoutMs?: number;
}

export interface Rotation {
  epoch: number;
  /** The new secret: the room's new invite link carries it. */
  secret: Uint8Array;
  /** Fingerprints of the members kept (this device included). */
  kept: string[];
  /** Fingerprints of the members removed, those asked for and those the relay knows no key for. */
  removed: string[];
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');

type Rotating = Pick<ChatClient, 'roomSeal' | 'members' | 'send' | 'on' | 'off'> & {
  deviceKeyOf(key: Uint8Array): Promise<{ x25519: Uint8Array } | undefined>;
};

/** Rotates the key of the sealed room `client` is joined to. Rejects with ChatError BAD_OPTION for an
 * open room, REFUSED when the relay refuses the rekey (not the room's creator or admin), UNREACHABLE
 * when it does not answer in time. */
export async function rotateRoomKey(client: Rotating, opts: RotateOptions = {}): Promise<Rotation> {
  const seal = client.roomSeal;
  if (!seal) throw new ChatError('BAD_OPTION', "Only a sealed room's key can be rotated: this room is open.");
  const { crypto } = await selectCrypto();
  const removing = new Set(opts.remove ?? []);
  const gone = (key: Uint8Array) => removing.has(fingerprint(crypto, key)) || removing.has(b64(key));
  const candidates = new Map<string, Uint8Array>();
  for (const k of seal.lastKept) candidates.set(b64(k), k);
  for (const m of client.members) if (m.key) candidates.set(m.key, Uint8Array.from(Buffer.from(m.key, 'base64url')));
  for (const k of opts.keep ?? []) candidates.set(b64(k), Uint8Array.from(k));
  const keep: { key: Uint8Array; x25519: Uint8Array }[] = [];
  const removed: string[] = [];
  for (const key of candidates.values()) {
    if (seal.isMine(key)) continue;
    const dh = gone(key) ? undefined : await client.deviceKeyOf(key);
    if (dh) keep.push({ key, x25519: dh.x25519 });
    else removed.push(fingerprint(crypto, key));
  }
  let prepared: ReturnType<typeof seal.prepareRekey>;
  try {
    prepared = seal.prepareRekey(keep, opts.admins);
  } catch (err) {
    if (err instanceof ProtocolError) throw new ChatError('TOO_LARGE', `The new key cannot go to ${keep.length + 1} members in one message: ${err.message}.`);
    throw err;
  }
  const { body, fields, secret } = prepared;
  await sequenced(client, body, opts.timeoutMs ?? 10_000);
  // Our copy of the rekey comes back just after the relay says it is sequenced. If another rekey for
  // this epoch came first (only a relay that does not check who rotates lets two in), members took
  // that one: say so rather than hand out a link to a key nobody uses.
  const until = Date.now() + TAKEN_WAIT_MS;
  while (!seal.secretOf(fields.epoch) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  const taken = seal.secretOf(fields.epoch);
  if (taken && !Buffer.from(taken).equals(Buffer.from(secret))) {
    throw new ChatError('REFUSED', `Someone else changed the room's key at the same time (epoch ${fields.epoch}), and the room uses theirs: rotate again.`);
  }
  return { epoch: fields.epoch, secret, kept: fields.keep.map((k) => fingerprint(crypto, k.key)), removed };
}

/** How long to wait for our own rekey to come back after it was sequenced (it is on its way already). */
const TAKEN_WAIT_MS = 2000;

/** Sends the rekey and waits until the relay sequenced it (or refused it). */
function sequenced(client: Rotating, body: Parameters<ChatClient['send']>[0], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let msgId = -1;
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off('delivery', onDelivery);
      if (err) reject(err);
      else resolve();
    };
    const onDelivery = (o: OutgoingMessage) => {
      if (o.msgId !== msgId) return;
      if (o.state === 'delivered') done();
      else if (o.state === 'failed') done(new ChatError('REFUSED', `The relay refused the new key: ${o.error ?? 'no reason given'}.`));
    };
    const timer = setTimeout(() => done(new ChatError('UNREACHABLE', `The relay did not take the new key within ${timeoutMs / 1000} s; the room keeps its old one.`)), timeoutMs);
    client.on('delivery', onDelivery);
    try {
      msgId = client.send(body).msgId;
    } catch (err) {
      done(err as Error);
    }
  });
}
