// The relay's side of the seed's plain-text chat: reading `name: text` datagrams, re-broadcasting
// room messages as plain text, and not mistaking its own broadcasts for new messages when they come
// back through the port it shares.
import { decodeLegacy, encodeLegacy, type LegacyMessage } from '../protocol/legacy';
import type { RoomMessage } from './types';

const ECHO_MS = 2000; // how long to recognise our own broadcast coming back

export class LegacyBridge {
  private readonly echoes = new Map<string, number>();

  constructor(private readonly broadcast: string | undefined) {}

  /** A seed datagram as a message, or undefined for our own broadcast coming back. Throws ProtocolError. */
  read(buf: Buffer): LegacyMessage | undefined {
    const key = buf.toString('latin1');
    if (this.echoes.delete(key)) return undefined;
    return decodeLegacy(buf);
  }

  /** The datagrams to broadcast for a room message (none without a broadcast address). */
  pieces(m: RoomMessage, now: number): Buffer[] {
    if (!this.broadcast) return [];
    const out = encodeLegacy(m.sender.name, m.text);
    for (const piece of out) this.echoes.set(piece.toString('latin1'), now + ECHO_MS);
    return out;
  }

  get address(): string | undefined {
    return this.broadcast;
  }

  expire(now: number): void {
    for (const [echo, until] of this.echoes) if (until < now) this.echoes.delete(echo);
  }
}
