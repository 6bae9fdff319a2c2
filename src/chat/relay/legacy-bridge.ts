// The relay's side of the seed's plain-text chat: reading `name: text` datagrams, re-broadcasting
// room messages as plain text, and not mistaking its own broadcasts for new messages when they come
// back through the port it shares.
import { networkInterfaces } from 'node:os';
import { decodeLegacy, encodeLegacy, type LegacyMessage } from '../../protocol/legacy';
import type { Address, RoomMessage } from '../types';

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

  /** A seed datagram as a message, or undefined for our own broadcast coming back. Throws ProtocolError.
   * A line is taken for our echo only if it could be one: same bytes as a recent broadcast, from this
   * machine, from our port; a seed user who repeats a line from elsewhere is never silenced. */
  read(buf: Buffer, from: Address): LegacyMessage | undefined {
    if (this.hearsOwn && from.port === this.bound.port && this.local.has(from.host) && this.echoes.delete(buf.toString('latin1'))) return undefined;
    return decodeLegacy(buf);
  }

  /** The datagrams to broadcast for a room message (none without a broadcast address). */
  pieces(m: RoomMessage, now: number): Buffer[] {
    if (!this.broadcast) return [];
    const out = encodeLegacy(m.sender.name, m.text);
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
