// What a client asks the relay besides the room's traffic (issue 11): its rooms (RoomsRequest, answered
// in Rooms pages) and a device's certified X25519 key (KeyRequest, answered by Key). Each question is
// asked again while unanswered (datagrams get lost), and given up after a bounded wait with a
// sentence: the relay did not answer, or is one that serves a single room.
import type { Crypto } from '../../protocol/crypto';
import { PacketType, type Key, type Packet, type Rooms } from '../../protocol/packets';
import { RoomFlags, type RoomEntry } from '../../protocol/rooms';
import { ChatError } from '../errors';
import { checkDhCertificate } from '../identity/device';
import type { RoomInfo } from '../types';

/** How long a question waits for its answer, and how often it is asked again meanwhile. */
export const QUERY_TIMEOUT_MS = 3000;
export const QUERY_RETRY_MS = 400;

interface Waiting<T> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

class Question<T> {
  readonly waiting: Waiting<T>[] = [];
  private readonly retry: NodeJS.Timeout;
  private readonly giveUp: NodeJS.Timeout;

  constructor(ask: () => void, timeoutMs: number, retryMs: number, onTimeout: () => void) {
    ask();
    this.retry = setInterval(ask, retryMs);
    this.giveUp = setTimeout(onTimeout, timeoutMs);
    this.retry.unref();
  }

  settle(f: (w: Waiting<T>) => void): void {
    clearInterval(this.retry);
    clearTimeout(this.giveUp);
    for (const w of this.waiting.splice(0)) f(w);
  }
}

export const roomInfo = (e: RoomEntry): RoomInfo => ({ name: e.name, sealed: (e.flags & RoomFlags.Sealed) !== 0, dm: (e.flags & RoomFlags.Dm) !== 0, members: e.members, headSeq: e.headSeq });

export class RelayQueries {
  private rooms: (Question<RoomInfo[]> & { pages: (RoomEntry[] | undefined)[] }) | undefined;
  private readonly keys = new Map<string, Question<{ x25519: Uint8Array } | undefined>>();

  constructor(
    private readonly send: (p: Packet) => boolean,
    private readonly crypto: () => Crypto | undefined,
    private readonly where: string,
    private readonly timeoutMs = QUERY_TIMEOUT_MS,
    private readonly retryMs = QUERY_RETRY_MS,
  ) {}

  /** The relay's rooms (a DM room only if this device is one of its two). */
  listRooms(): Promise<RoomInfo[]> {
    return new Promise((resolve, reject) => {
      if (!this.rooms) {
        const q = new Question<RoomInfo[]>(() => this.ask({ type: PacketType.RoomsRequest }), this.timeoutMs, this.retryMs, () => {
          this.rooms = undefined;
          q.settle((w) => w.reject(new ChatError('UNREACHABLE', `The relay at ${this.where} did not list its rooms within ${this.timeoutMs / 1000} s: it may be an older one that serves a single room.`)));
        });
        this.rooms = Object.assign(q, { pages: [] as (RoomEntry[] | undefined)[] });
      }
      this.rooms.waiting.push({ resolve, reject });
    });
  }

  /** A device's X25519 key, its certificate checked; undefined when the relay has not seen it. */
  keyOf(device: Uint8Array): Promise<{ x25519: Uint8Array } | undefined> {
    if (device.length !== 32) return Promise.reject(new ChatError('BAD_OPTION', 'A device key is 32 bytes.'));
    const hex = Buffer.from(device).toString('hex');
    return new Promise((resolve, reject) => {
      let q = this.keys.get(hex);
      if (!q) {
        const asked = new Question<{ x25519: Uint8Array } | undefined>(() => this.ask({ type: PacketType.KeyRequest, deviceKey: Buffer.from(device) }), this.timeoutMs, this.retryMs, () => {
          this.keys.delete(hex);
          asked.settle((w) => w.reject(new ChatError('UNREACHABLE', `The relay at ${this.where} did not answer for a device key within ${this.timeoutMs / 1000} s: it may be an older one without direct messages.`)));
        });
        q = asked;
        this.keys.set(hex, q);
      }
      q.waiting.push({ resolve, reject });
    });
  }

  /** A Rooms page: once every page of one answer is in, the rooms are the answer. */
  onRooms(p: Rooms): void {
    const q = this.rooms;
    if (!q) return;
    if (q.pages.length !== p.pageCount) q.pages = new Array<RoomEntry[] | undefined>(p.pageCount).fill(undefined);
    q.pages[p.page] = p.entries;
    if (q.pages.some((page) => page === undefined)) return;
    this.rooms = undefined;
    const list = q.pages.flatMap((page) => page!.map(roomInfo));
    q.settle((w) => w.resolve(list));
  }

  /** A Key answer: believed only if the device key's certificate over the X25519 key checks. */
  onKey(p: Key): void {
    const hex = p.deviceKey.toString('hex');
    const q = this.keys.get(hex);
    const crypto = this.crypto();
    if (!q || !crypto) return;
    this.keys.delete(hex);
    if (!p.found) return q.settle((w) => w.resolve(undefined));
    if (!checkDhCertificate(crypto, p.deviceKey, p.found.x25519, p.found.certificate)) {
      return q.settle((w) => w.reject(new ChatError('REFUSED', `The relay at ${this.where} answered with a device key whose certificate does not check: it is not that device's.`)));
    }
    const x25519 = Uint8Array.from(p.found.x25519);
    q.settle((w) => w.resolve({ x25519 }));
  }

  /** Closing: every question waiting fails. */
  close(): void {
    const closed = () => new ChatError('CLOSED', 'The chat client was closed before the relay answered.');
    this.rooms?.settle((w) => w.reject(closed()));
    this.rooms = undefined;
    for (const q of this.keys.values()) q.settle((w) => w.reject(closed()));
    this.keys.clear();
  }

  private ask(p: Packet): void {
    this.send(p);
  }
}
