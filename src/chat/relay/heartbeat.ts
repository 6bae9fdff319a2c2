// What the relay tells members about the room without being asked, and the period they ping at:
// Pongs with the head seq, the roster version and the heartbeat period; a beacon after a burst goes
// quiet, so that a lost last message is noticed; and one when the roster changed.
import { encode } from '../../protocol/codec';
import { PacketType } from '../../protocol/packets';
import type { MemberState, Members } from './members';
import type { Room } from './room';
import type { Wire } from './wire';

/** After a burst goes quiet, tell members the head so a lost last message is noticed. */
export const TAIL_BEACON_MS = 30;

export class Heartbeat {
  private lastFanout = 0;
  private tail: NodeJS.Timeout | undefined;

  constructor(
    private readonly joined: Members,
    private readonly room: Room,
    private readonly wire: Wire,
    private readonly configuredMs: number,
  ) {}

  /** The heartbeat period for the room as it is now. */
  periodMs(): number {
    return this.joined.heartbeatMs(this.configuredMs);
  }

  /** A Pong for `m` (or for every member, a beacon), telling the current heartbeat period. */
  pong(nonce: number, m?: MemberState): Buffer {
    const heartbeatMs = this.periodMs();
    if (m) m.heartbeatMs = Math.max(m.heartbeatMs, heartbeatMs);
    return encode({ type: PacketType.Pong, nonce, epoch: this.room.epoch, headSeq: this.room.headSeq, rosterVersion: this.joined.rosterVersion, heartbeatMs });
  }

  /** A message went out: a beacon follows once the room has been quiet for TAIL_BEACON_MS. One timer
   * for a whole burst, not one per message. */
  fannedOut(now: number): void {
    this.lastFanout = now;
    this.tail ??= setTimeout(() => this.tailBeacon(), TAIL_BEACON_MS);
  }

  /** An unsolicited Pong: the head (so a lost last message is noticed) and the roster version. */
  beacon(rosterOnly: boolean): void {
    const pong = this.pong(0);
    const heartbeatMs = this.periodMs();
    for (const m of this.joined.all()) {
      if (rosterOnly && !m.wantsRoster) continue;
      m.heartbeatMs = Math.max(m.heartbeatMs, heartbeatMs);
      this.wire.send(pong, m);
    }
  }

  dispose(): void {
    clearTimeout(this.tail);
  }

  private tailBeacon(): void {
    this.tail = undefined;
    const quiet = Date.now() - this.lastFanout;
    if (quiet < TAIL_BEACON_MS) {
      this.tail = setTimeout(() => this.tailBeacon(), TAIL_BEACON_MS - quiet);
      return;
    }
    this.beacon(false);
  }
}
