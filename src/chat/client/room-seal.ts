// A sealed room's content, on the client only (issue 9): what a member sends is sealed with the room's
// key before it is signed, and what it receives is opened after its signature checked out, so the
// relay sequences, stores and backfills what it cannot read. The header the relay needs (room,
// author session, msgId) is bound as associated data: content moved to another room, author or msgId
// does not open. A message that does not open is a placeholder that says so, never garbage.
//
// Key rotation (rekey.ts): a member holds the room's secret by epoch (the invite link's, and each one
// a rekey wrapped to it since, kept in its keyring), seals with the newest and opens any epoch it
// holds, so history stays readable. A rekey counts only with a proof made with the secret it
// replaces (sealed-room.ts rekeyProof). A link's secret comes without its epoch (a link made after a
// rotation is the new secret's): it is filed under its epoch once a rekey proven with it comes, and
// until then content whose epoch is not filed is tried with every secret held (a handful at most).
import type { PlaceholderBody } from '../../common/message';
import type { Crypto } from '../../protocol/crypto';
import { unwrapSecret, wrapSecret } from '../../protocol/key-wrap';
import { KIND_REKEY } from '../../protocol/kinds';
import type { MessageBody, MessageHead, SendableBody } from '../../protocol/packets';
import { formatRekey, parseRekey, rekeySigned, rekeyWrapAd, type RekeyFields } from '../../protocol/rekey';
import { decodeContent, encodeContent, SEALED_KIND, sealedBytes, sealedText } from '../../protocol/sealed-content';
import { checkRekeyProof, rekeyProof, RoomKey, roomVerifier, sealedEpoch } from '../../protocol/sealed-room';
import { ChatError } from '../errors';
import type { DeviceIdentity } from '../identity/device';
import type { Keyring } from '../identity/keyring';
import type { RoomMessage } from '../types';

/** What a member without the room's key (or with another room's) is shown. */
export const cannotOpen = (): PlaceholderBody => ({ kind: 'placeholder', text: '', reason: "can't read this message: it was sealed with a key you don't have" });

/** Throws ProtocolError when a message is too long to be sealed (sealing takes a third more room). */
export function checkSealable(body: SendableBody): void {
  encodeContent(body);
}

/** Whether a message's head says its bytes are sealed content. */
export const isSealed = (h: MessageHead): boolean => h.kind === 'other' && h.code === SEALED_KIND;
/** Whether a message is a rekey (never sealed: the relay acts on it). */
export const isRekey = (h: MessageHead): boolean => h.kind === 'other' && h.code === KIND_REKEY;

export interface RoomSealOptions {
  /** The room's name (what a rekey's wraps are bound to). */
  room: string;
  /** This device: its X25519 key opens the wraps a rekey names it in. */
  identity?: DeviceIdentity;
  /** Where epochs learnt from rekeys are kept (0600 / SecretStorage); in memory only without one. */
  keyring?: Keyring;
}

/** Unopened messages remembered for their delivery, at most (a relay that never fills the gap before them). */
const MAX_UNOPENED = 1024;

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Held {
  secret: Uint8Array;
  verifier: string;
  verifierBytes: Uint8Array;
  /** Undefined for a link's secret until a rekey made with it says its epoch. */
  epoch?: number;
}

export class RoomSeal {
  private readonly held: Held[] = [];
  private readonly keys = new Map<string, RoomKey>(); // secret hex | epoch
  /** Rekeys this member is sending, by the body object handed to the outbox (rotation.ts). */
  private readonly rekeys = new WeakMap<SendableBody, Buffer>();
  /** The room's newest epoch a rekey said (0 until one): a rotation makes the next. */
  private roomEpoch = 0;
  /** The device keys the newest rekey read kept: a next rotation keeps them too unless told otherwise
   * (members offline at the time are not in the roster). */
  private kept: Uint8Array[] = [];

  constructor(
    private readonly crypto: Crypto,
    secret: Uint8Array,
    private readonly o: RoomSealOptions = { room: '' },
  ) {
    this.hold(secret, undefined);
    this.ringName = `room:${this.held[0].verifier}`;
  }

  /** A seal with the epochs the keyring holds for the room of this link's secret. */
  static load(crypto: Crypto, secret: Uint8Array, o: RoomSealOptions): RoomSeal {
    const seal = new RoomSeal(crypto, secret, o);
    seal.ringName = o.keyring?.roomHolding(secret) ?? seal.ringName;
    for (const e of o.keyring?.secrets(seal.ringName) ?? []) seal.hold(e.secret, e.epoch);
    return seal;
  }

  /** The keyring's name for this room: the verifier of the first secret it was joined with (found again
   * by any secret of the room it holds, so a rejoin with a rotation's new link keeps the old epochs). */
  private ringName: string;

  /** The device keys the newest rekey this member read kept. */
  get lastKept(): Uint8Array[] {
    return this.kept.map((k) => Uint8Array.from(k));
  }

  /** The secret this member holds for `epoch`, if any. */
  secretOf(epoch: number): Uint8Array | undefined {
    const h = this.held.find((x) => x.epoch === epoch);
    return h && Uint8Array.from(h.secret);
  }

  /** Whether `key` is this member's own device key. */
  isMine(key: Uint8Array): boolean {
    return this.o.identity !== undefined && b64(key) === b64(this.o.identity.publicKey);
  }

  /** The newest epoch this member can seal with (a link's secret of unknown epoch counts as 0). */
  get epoch(): number {
    return Math.max(0, ...this.held.map((h) => h.epoch ?? 0));
  }

  /** The room's newest epoch as far as this member has read. */
  get latestEpoch(): number {
    return Math.max(this.roomEpoch, this.epoch);
  }

  private hold(secret: Uint8Array, epoch: number | undefined): void {
    const verifierBytes = roomVerifier(this.crypto, secret);
    const verifier = b64(verifierBytes);
    const same = this.held.find((h) => h.verifier === verifier);
    if (same) same.epoch ??= epoch;
    else this.held.push({ secret: Uint8Array.from(secret), verifier, verifierBytes, epoch });
  }

  private key(secret: Uint8Array, epoch: number): RoomKey {
    const id = `${hex(secret)}|${epoch}`;
    let k = this.keys.get(id);
    if (!k) this.keys.set(id, (k = new RoomKey(this.crypto, secret, epoch)));
    return k;
  }

  private newest(): Held {
    return this.held.reduce((a, b) => ((b.epoch ?? 0) > (a.epoch ?? 0) ? b : a));
  }

  /** The head and message bytes that carry `body` sealed, for this room, author and msgId; a rekey
   * this member sends (prepareRekey) as it is, unsealed. */
  seal(roomId: bigint, author: Buffer, msgId: number, body: SendableBody): { head: MessageHead; text: Buffer } {
    const rekey = this.rekeys.get(body);
    if (rekey) return { head: { kind: 'other', code: KIND_REKEY, totalBytes: rekey.length }, text: rekey };
    const h = this.newest();
    const text = sealedText(this.key(h.secret, h.epoch ?? 0).seal({ roomId, author, msgId }, encodeContent(body)));
    return { head: { kind: 'other', code: SEALED_KIND, totalBytes: text.length }, text };
  }

  /** The message in sealed bytes, or why it cannot be shown. */
  open(roomId: bigint, author: Buffer, msgId: number, text: Buffer): MessageBody {
    const sealed = sealedBytes(text);
    const epoch = sealed && sealedEpoch(sealed);
    if (!sealed || epoch === undefined) return cannotOpen();
    const filed = this.held.filter((h) => h.epoch === epoch);
    const others = this.held.filter((h) => h.epoch !== epoch);
    for (const h of [...filed, ...others]) {
      const content = this.key(h.secret, epoch).open({ roomId, author, msgId }, sealed);
      if (!content) continue;
      try {
        return decodeContent(content);
      } catch {
        return cannotOpen(); // sealed by a member who holds the key and wrote nonsense: still not shown
      }
    }
    return cannotOpen();
  }

  /** Sealed messages that did not open when they were put together, by seq: opened again when they are
   * delivered (in seq order), since one sealed under a new epoch may be complete before the rekey
   * that brings its key (loss, a backfill repaired out of order). */
  private readonly unopened = new Map<number, { roomId: bigint; author: Buffer; msgId: number; text: Buffer }>();

  /** open(), remembering a message that does not open for reopen() at its delivery. */
  openAt(seq: number, roomId: bigint, author: Buffer, msgId: number, text: Buffer): MessageBody {
    const body = this.open(roomId, author, msgId, text);
    if (body.kind === 'placeholder') {
      if (this.unopened.size >= MAX_UNOPENED) this.unopened.delete(this.unopened.keys().next().value!);
      this.unopened.set(seq, { roomId, author, msgId, text });
    }
    return body;
  }

  /** A message about to be delivered: if it did not open when it was put together, tried again now
   * that every earlier seq (a rekey among them) has been read. */
  reopen(m: RoomMessage): RoomMessage {
    const u = this.unopened.get(m.seq);
    if (!u) return m;
    this.unopened.delete(m.seq);
    if (u.msgId !== m.msgId || u.author.toString('hex') !== m.sender.id) return m; // another room's seq (the relay started over)
    const body = this.open(u.roomId, u.author, u.msgId, u.text);
    if (body.kind === 'placeholder') return m;
    const { seq, time, msgId, sender, verified } = m;
    return { ...body, seq, time, msgId, sender, verified };
  }

  /**
   * A rekey read in the room (its signature checked): if proven with the secret it replaces, its secret
   * unwrapped if it names this member, checked against its verifier, and kept (keyring too). Returns
   * the new epoch's secret when this member got one. Never throws for bad input.
   */
  async rekey(text: string): Promise<{ epoch: number; secret: Uint8Array } | undefined> {
    const f = parseRekey(text);
    if (!f?.proof) return undefined;
    // Made by a holder of the secret it replaces (the epoch before, or a link's secret whose epoch is
    // not known yet): a relay, a stranger it let in or a member removed earlier cannot make one.
    const signed = rekeySigned(this.o.room, f);
    const proof = f.proof;
    const replaced = this.held.find((h) => (h.epoch === undefined || h.epoch === f.epoch - 1) && checkRekeyProof(this.crypto, h.verifierBytes, signed, proof));
    if (!replaced) return undefined;
    const filed = replaced.epoch === undefined;
    replaced.epoch = f.epoch - 1;
    const verifier = b64(f.verifier);
    const same = this.held.find((h) => h.epoch === f.epoch);
    if (same) return same.verifier === verifier ? { epoch: f.epoch, secret: same.secret } : undefined; // the first for an epoch stays
    if (f.epoch >= this.roomEpoch) this.kept = f.keep.map((k) => k.key);
    this.roomEpoch = Math.max(this.roomEpoch, f.epoch);
    let secret = this.held.find((h) => h.verifier === verifier)?.secret;
    const me = this.o.identity;
    const mine = me && f.keep.find((k) => b64(k.key) === b64(me.publicKey));
    if (!secret && me && mine) {
      const opened = unwrapSecret(this.crypto, me.dhKey, mine.wrap, rekeyWrapAd(this.o.room, f.epoch, me.publicKey));
      // A wrap whose secret is not the one the relay now checks proofs against is not the room's key.
      if (opened && b64(roomVerifier(this.crypto, opened)) === verifier) secret = opened;
    }
    // Held before anything is awaited: the messages delivered next may be sealed with it.
    if (secret) this.hold(secret, f.epoch);
    if (filed) await this.o.keyring?.add(this.ringName, replaced.epoch, replaced.secret); // a restart knows its epoch too
    if (!secret) return undefined;
    await this.o.keyring?.add(this.ringName, f.epoch, secret);
    return { epoch: f.epoch, secret };
  }


  /**
   * A rekey to send: a new secret for the next epoch wrapped to each member in `keep` (device key and
   * certified X25519 key; this member is added), and the body to hand the client's send(): this seal
   * carries it as the rekey, unsealed. The secret is held once the rekey comes back sequenced (rekey()):
   * a rekey the relay refuses leaves nothing sealed with a key nobody else got.
   */
  prepareRekey(keep: { key: Uint8Array; x25519: Uint8Array }[], admins?: Uint8Array[]): { body: SendableBody; fields: RekeyFields; secret: Uint8Array } {
    const me = this.o.identity;
    if (!me) throw new Error('A rotation needs the device identity');
    const current = this.newest();
    if (current.epoch !== undefined && current.epoch < this.latestEpoch) throw new ChatError('REFUSED', `This device no longer holds the room's newest key (epoch ${this.latestEpoch}): it was not kept by the last rotation.`);
    const epoch = this.latestEpoch + 1;
    const secret = this.crypto.random(32);
    const all = [{ key: me.publicKey, x25519: me.dhKey.publicKey }, ...keep.filter((k) => b64(k.key) !== b64(me.publicKey))];
    const unique = [...new Map(all.map((k) => [b64(k.key), k])).values()];
    const fields: RekeyFields = {
      epoch,
      verifier: roomVerifier(this.crypto, secret),
      keep: unique.map((k) => ({ key: Uint8Array.from(k.key), wrap: wrapSecret(this.crypto, k.x25519, secret, rekeyWrapAd(this.o.room, epoch, k.key)) })),
      ...(admins?.length ? { admins } : {}),
    };
    fields.proof = rekeyProof(this.crypto, current.secret, rekeySigned(this.o.room, fields));
    const body: SendableBody = { kind: 'text', text: "changed the room's key" };
    this.rekeys.set(body, formatRekey(fields));
    return { body, fields, secret };
  }
}
