// The relay's side of the seed's plain-text chat: re-broadcasting room messages as plain text, and
// not mistaking its own broadcasts for new messages when they come back through the port it shares.
// (Reading a seed line is the protocol's: readLegacy.)
import { networkInterfaces } from 'node:os';
import { encodeLegacy } from '../../protocol/legacy';
import type { Address } from '../types';
import type { SequencedMessage } from './sequenced';

const ECHO_MS = 2000; // how long to recognise our own broadcast coming back

export class LegacyBridge {
  private readonly echoes = new Map<string, number>();
  /** Only a socket bound to the wildcard address hears broadcasts, its own included. */
  private readonly hearsOwn: boolean;
  private readonly local: Set<string>;

  constructor(
    private readonly broadcast: string | undefined,
    private readonly bound: Address,
  ) {
    this.hearsOwn = broadcast !== undefined && (bound.host === '0.0.0.0' || bound.host === '::');
    // Our own broadcast comes back from one of this machine's addresses (inside a namespace routed
    // over lo, from 0.0.0.0), on our own port.
    this.local = new Set(['0.0.0.0', ...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address))]);
  }

  /** Whether a datagram is our own broadcast coming back (then it is not a message). A line is
   * taken for our echo only if it could be one: same bytes as a recent broadcast, from this machine,
   * from our port; a seed user who repeats a line from elsewhere is never silenced. */
  isOwnEcho(buf: Buffer, host: string, port: number): boolean {
    return this.hearsOwn && port === this.bound.port && this.local.has(host) && this.echoes.delete(buf.toString('latin1'));
  }

  /** The datagrams to broadcast for a room message (none without a broadcast address): the seed
   * line it came in as, when that is already what encodeLegacy would make. */
  pieces(s: SequencedMessage, now: number, verbatim?: Buffer): Buffer[] {
    if (!this.broadcast) return [];
    const out = verbatim ? [verbatim] : encodeLegacy(s.name, s.text());
    if (this.hearsOwn) for (const piece of out) this.echoes.set(piece.toString('latin1'), now + ECHO_MS);
    return out;
  }

  get address(): string | undefined {
    return this.broadcast;
  }

  expire(now: number): void {
    for (const [echo, until] of this.echoes) if (until < now) this.echoes.delete(echo);
  }
}
