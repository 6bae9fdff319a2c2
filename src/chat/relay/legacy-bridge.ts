// The relay's side of the seed's plain-text chat: whether seed lines are taken at all (the bridge is
// off unless asked for: anyone can claim any name in one), re-broadcasting room messages as plain
// text, and not mistaking its own broadcasts for new messages when they come back through the port
// it shares. (Reading a seed line is the protocol's: readLegacy.)
import { networkInterfaces } from 'node:os';
import { encodeLegacy, type LegacyLine } from '../../protocol/legacy';
import type { Address } from '../types';
import { ZERO_HEX, ZERO_ID, type SequencedMessage, type Sender } from './sequenced';

const ECHO_MS = 2000; // how long to recognise our own broadcast coming back

export class LegacyBridge {
  private readonly echoes = new Map<string, number>();
  private msgId = 0;
  /** The sender of seed lines, named as the last one (SequencedMessage copies what it keeps). */
  private readonly sender = { hex: ZERO_HEX, clientId: ZERO_ID, name: '' };
  /** Only a socket bound to the wildcard address hears broadcasts, its own included. */
  private readonly hearsOwn: boolean;
  private readonly local: Set<string>;
  private refusedOnce = false;

  /** `on`: seed lines are taken into the room (--legacy-bridge; --legacy-broadcast implies it). */
  constructor(
    readonly on: boolean,
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

  /** A seed line as a message to sequence: a msgId of the relay's own counting (seed clients
   * have none), and the text as a copy, which the history may keep until a member needs the
   * datagrams (a room of seed clients never does): a few pooled bytes rather than the whole
   * allocation of the datagram it came in. */
  message(line: LegacyLine): { sender: Sender; msgId: number; text: Buffer } {
    this.msgId = (this.msgId + 1) >>> 0 || 1;
    // One string for a name that keeps talking, rather than one per line in the history.
    if (line.name !== this.sender.name) this.sender.name = line.name;
    return { sender: this.sender, msgId: this.msgId, text: Buffer.from(line.text) };
  }

  /** The datagrams to broadcast for a room message (none without a broadcast address): the seed
   * line it came in as, when that is already what encodeLegacy would make. */
  pieces(s: SequencedMessage, now: number, verbatim?: Buffer): Buffer[] {
    // A later kind's bytes are not text for a person (its fields are in them): seed clients get nothing.
    if (!this.broadcast || s.head.kind === 'other') return [];
    const out = verbatim ? [verbatim] : encodeLegacy(s.name, s.text());
    if (this.hearsOwn) for (const piece of out) this.echoes.set(piece.toString('latin1'), now + ECHO_MS);
    return out;
  }

  /** True for the first seed line refused while the bridge is off, and never again: the operator
   * is told once that a seed client tried to talk, not once per line. */
  firstRefusal(): boolean {
    if (this.refusedOnce) return false;
    this.refusedOnce = true;
    return true;
  }

  get address(): string | undefined {
    return this.broadcast;
  }

  expire(now: number): void {
    for (const [echo, until] of this.echoes) if (until < now) this.echoes.delete(echo);
  }
}
