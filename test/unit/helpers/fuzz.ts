// What the client fuzz tests choose from: a seeded stream of choices, mutations of real datagrams,
// and well-formed packets with the values a lying relay would pick.
import { PacketType as T, type Packet } from '../../../src/protocol/packets';
import { seededRandom } from './random';

const U32 = 2 ** 32 - 1;

/** A fuzzer's choices, from one seeded stream. */
export class Dice {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(max: number): number {
    return Math.floor(this.next() * (max + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length - 1)];
  }
  /** A u32 as a hostile relay would choose one: edges more often than not. */
  u32(near = 1): number {
    return this.pick([0, 1, near - 1, near, near + 1, near + 63, near + 4096, 2 ** 31, U32 - 1, U32, this.int(U32)].map((n) => Math.min(U32, Math.max(0, n))));
  }
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(255)));
  }
}

/** A copy of `b` with a few bytes flipped, cut, overwritten or added. */
export function mutate(d: Dice, b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (d.int(3)) {
    case 0:
      for (let i = 0, n = 1 + d.int(3); i < n && out.length > 0; i++) out[d.int(out.length - 1)] ^= 1 << d.int(7);
      return out;
    case 1:
      return out.subarray(0, d.int(out.length));
    case 2:
      if (out.length > 3) out.fill(d.pick([0, 0xff]), 3 + d.int(out.length - 4));
      return out;
    default:
      return Buffer.concat([out, d.bytes(1 + d.int(16))]);
  }
}

/** A well-formed packet with hostile values: what a relay that lies would send. `refusals` includes
 * a Refused of a join: a relay may refuse a rejoin and the client then waits to be asked, so only a
 * relay that proves itself (protocol 2) can be believed there; with protocol 1 anyone can. */
export function hostile(d: Dice, near: number, refusals = true): Packet {
  const seq = d.u32(near) || 1;
  switch (d.int(8)) {
    case 0:
      return { type: T.Gone, fromSeq: seq, toSeq: Math.max(seq, d.u32(near)) };
    case 1:
      return { type: T.Welcome, roomId: BigInt(d.int(3)), epoch: d.u32(), headSeq: d.u32(near), fromSeq: d.u32(near), lostCount: d.u32(), memberId: d.u32(), rosterVersion: d.u32(), heartbeatMs: d.u32() };
    case 2:
      return { type: T.Pong, nonce: d.u32(), epoch: d.u32(), headSeq: d.u32(near), rosterVersion: d.u32(), heartbeatMs: d.u32() };
    case 3:
      return { type: T.Ack, msgId: d.u32(), fragIndex: d.int(3), seq: d.u32(near), epoch: d.u32() };
    case 4:
      return { type: T.Roster, version: d.u32(), page: 0, pageCount: 1 + d.int(65534), entries: [{ memberId: d.u32(), clientId: d.bytes(8), name: 'x', presence: d.int(1), key: d.bytes(32) }] };
    case 5:
      return { type: T.SlowDown, retryAfterMs: d.u32() };
    case 6:
      return { type: T.Refused, reason: d.int(255), msgId: refusals ? d.pick([0, d.u32()]) : 1 + d.int(U32 - 1), detail: 'no' };
    default: {
      const text = d.bytes(d.int(40));
      const head = d.int(1) ? { kind: 'other' as const, code: 3 + d.int(250), totalBytes: text.length } : { kind: 'text' as const, totalBytes: d.u32(text.length) % 70000 };
      return { type: T.Msg, seq: 2 ** 20 + seq, time: d.pick([NaN, 1e300, -1, Date.now()]), senderId: d.bytes(8), senderFlags: d.int(255), name: 'z', msgId: d.u32(), fragIndex: 0, fragCount: 1 + d.int(127), head, chunk: text };
    }
  }
}
