// Failover (issue 15): when the relay a client is on goes silent, or one it tries does not answer or
// presents another key than it was named with, the client moves to the next relay of its room. It
// keeps what the join needs to resume (the roomId, the last seq, the outbox: the link's), so moving is
// only this: another endpoint (address, socket, a new session), and the join started again there.
import type { Address } from '../types';
import { RelayCandidates, type Candidate } from './candidates';
import type { RelayEndpoint } from './endpoint';
import type { Join } from './join';
import type { ClientSecurity } from './secure';

export interface FailoverHost {
  readonly join: Join;
  readonly ep: RelayEndpoint;
  /** The session's checks for a relay (the link knows the identity, the pins, the room). */
  security(c: Candidate): ClientSecurity;
  warn(err: Error): void;
  /** The relay changed: re-arm the alarm. */
  moved(now: number): void;
}

export class Failover {
  readonly candidates: RelayCandidates;
  /** Changing relays (resolving, opening a socket): no Hello goes out meanwhile. */
  moving = false;
  /** The relay that went silent, until another one welcomes us (said then), and how many relays were
   * tried since: each round of all of them unanswered doubles the wait between Hellos once more. */
  private outage: { from: string; tried: number } | undefined;

  constructor(
    server: Address,
    servers: readonly Address[] | undefined,
    private readonly bind: Partial<Address> | undefined,
    private readonly host: FailoverHost,
  ) {
    this.candidates = new RelayCandidates(server, servers);
  }

  /** Whether there is anywhere to move to. */
  get possible(): boolean {
    return this.candidates.size > 1;
  }

  get where(): string {
    return this.candidates.current.where;
  }

  /** Moves to the next relay of the room, or with `drop`, drops this one for good and moves on. The
   * join starts again there, resuming: the same roomId and last seq, what was not acknowledged sent
   * again under the same msgIds (the cluster takes each (author, msgId) once). */
  moveOn(now: number, reason: string, drop = false): void {
    const { join, ep } = this.host;
    const c = this.candidates;
    const from = c.current.where;
    const to = drop ? (c.dropCurrent() ? c.current : undefined) : c.next();
    if (!to) return;
    if (join.joinedOnce) this.outage ??= { from, tried: 0 };
    const outage = this.outage;
    if (outage && ++outage.tried % c.size === 0) join.offline(`No relay of this room answers (${c.describe()}); still trying.`);
    const backoff = outage ? Math.floor(outage.tried / c.size) : 0;
    const why = `${reason}; trying ${to.where}`;
    const state = join.joinedOnce ? 'reconnecting' : 'connecting';
    this.moving = true;
    join.start(state, why, now, backoff, join.connection.state === 'offline'); // nothing sent while moving
    ep.connect(to.address, this.bind, this.host.security(to)).then(
      () => {
        this.moving = false;
        if (join.phase === 'closed') return void ep.close(); // closed meanwhile: the new socket too
        if (join.phase !== 'joining') return;
        join.where = to.where;
        join.start(state, why, Date.now(), backoff, true);
        this.host.moved(Date.now());
      },
      (err: unknown) => {
        // Not reachable from here (a name that does not resolve, another address family): said, dropped.
        this.moving = false;
        this.host.warn(new Error(`Cannot reach the relay at ${to.where}: ${(err as Error).message}`));
        if (join.phase === 'joining') this.moveOn(Date.now(), `${to.where} cannot be reached`, true);
      },
    );
  }

  /** The relay we are on welcomed us: if the client moved here from a silent one, the warning that
   * says so ("relay A is silent; moved to B"). */
  welcomed(): Error | undefined {
    const here = this.candidates.current.where;
    const moved = this.outage && this.outage.from !== here ? new Error(`relay ${this.outage.from} is silent; moved to ${here}`) : undefined;
    this.outage = undefined;
    return moved;
  }
}
