// The relays a client may join for its room (issue 15): the one it was started with, the failover
// candidates it was given (ClientOptions.servers: `chat --server A,B`, an invite's relays), and those
// its relay named in a Relays packet, each of those pinned to the key it was named with. Which one
// the client is on now, and which comes next when it goes silent: round the list, in order.
import type { RelayEntry } from '../../protocol/packets';
import { pinAddress } from '../identity';
import type { Address } from '../types';
import { formatAddress } from '../validate';

export interface Candidate {
  address: Address;
  /** HOST:PORT as given or as the relay named it: what the handshake and the pin are bound to. */
  where: string;
  /** Named in a Relays packet: the relay there must present exactly this key (else it is refused
   * as a changed key). Absent for the user's own: their pins, invite fingerprints and
   * acceptRelayKey apply as they always did. */
  key?: Buffer;
}

/** Relays learnt from Relays packets kept at once (a packet holds at most 8; a cluster's relays
 * change). The oldest one learnt goes first, never the one the client is on. */
const MAX_LEARNT = 16;

export class RelayCandidates {
  private readonly list: Candidate[] = [];
  private at = 0;

  constructor(server: Address, servers: readonly Address[] = []) {
    for (const a of [server, ...servers]) this.add({ address: { host: a.host, port: a.port }, where: formatAddress(a) });
  }

  get current(): Candidate {
    return this.list[this.at];
  }

  get size(): number {
    return this.list.length;
  }

  /** Every candidate's HOST:PORT, the current one first. */
  all(): string[] {
    return [...this.list.slice(this.at), ...this.list.slice(0, this.at)].map((c) => c.where);
  }

  /** The same, for messages. */
  describe(): string {
    return this.all().join(', ');
  }

  /** Moves to the next candidate, round the list; undefined (staying) when there is only one. */
  next(): Candidate | undefined {
    if (this.list.length < 2) return undefined;
    this.at = (this.at + 1) % this.list.length;
    return this.current;
  }

  /** The relay's Relays packet: its entries become candidates pinned to their keys. One the user
   * named keeps the user's checks; one named before takes the newer key (the relay's latest word). */
  learn(entries: readonly RelayEntry[]): void {
    for (const e of entries) {
      const address = { host: e.host, port: e.port };
      const where = formatAddress(address);
      const known = this.list.find((c) => pinAddress(c.where) === pinAddress(where));
      if (known) {
        if (known.key) known.key = Buffer.from(e.key);
        continue;
      }
      this.add({ address, where, key: Buffer.from(e.key) });
      this.forgetOldLearnt();
    }
  }

  /** The current candidate cannot be used (its key was refused, its address cannot be reached from
   * here): it leaves the list and the next one is current. False when it is the only one. */
  dropCurrent(): boolean {
    if (this.list.length < 2) return false;
    this.list.splice(this.at, 1);
    this.at %= this.list.length;
    return true;
  }

  private add(c: Candidate): void {
    if (!this.list.some((x) => pinAddress(x.where) === pinAddress(c.where))) this.list.push(c);
  }

  private forgetOldLearnt(): void {
    const learnt = this.list.filter((c) => c.key);
    if (learnt.length <= MAX_LEARNT) return;
    const oldest = learnt.find((c) => c !== this.current);
    if (!oldest) return;
    const i = this.list.indexOf(oldest);
    this.list.splice(i, 1);
    if (i < this.at) this.at--;
  }
}
