// The join as a state machine: Hello, the relay's Retry with a cookie that proves our address, Hello
// again, Welcome. Hellos are retried on the probe timeout while first joining, then with a capped
// backoff while the relay is away. It owns the connection state the user sees and settles the first
// join's promise. No socket and no timer: the client sends what it asks for, feeds it the relay's
// answers, and calls due() at its deadline.
import { ChatError } from '../errors';
import type { ConnectionState } from '../types';
import type { RttEstimator } from './rtt';

export type JoinPhase = 'idle' | 'joining' | 'joined' | 'closed';

export interface JoinTimers {
  joinTimeoutMs: number;
  rejoinMinMs: number;
  rejoinMaxMs: number;
}

export interface JoinIo {
  /** Send a Hello carrying this cookie (empty until the relay's Retry). */
  hello(cookie: Buffer): void;
  state(s: ConnectionState): void;
}

/** Hellos unanswered while reconnecting before the user is told the relay is offline, and (with
 * failover candidates, issue 15) before the client moves on to the next relay. */
const TRIES_BEFORE_OFFLINE = 3;

export class Join {
  phase: JoinPhase = 'idle';
  connection: ConnectionState = { state: 'connecting' };
  private cookie = Buffer.alloc(0);
  private helloAt = 0;
  private tries = 0;
  private everJoined = false;
  /** Doublings added to the rejoin backoff: one per round of every candidate relay gone unanswered. */
  private backoff = 0;
  private first: { resolve: () => void; reject: (e: Error) => void; giveUpAt: number } | undefined;

  constructor(
    private readonly rtt: RttEstimator,
    private readonly t: JoinTimers,
    /** The relay's address as the user wrote it (the candidate joined now, with failover), for messages. */
    public where: string,
    private readonly io: JoinIo,
  ) {}

  /** The first join: resolves on Welcome; rejects with UNREACHABLE when no relay answers within
   * joinTimeoutMs, REFUSED when the relay will not have us, CLOSED when closed first. */
  begin(now: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.first = { resolve, reject, giveUpAt: now + this.t.joinTimeoutMs };
      this.start('connecting', '', now);
    });
  }

  /** (Re)joins now: a rename, a relay restart, or a relay gone silent. `backoff` doubles the rejoin
   * delays that many times more (failover: rounds of candidates that did not answer); `quiet` leaves
   * the state the user sees as it is (the client only moved on to another relay). */
  start(state: 'connecting' | 'reconnecting', reason: string, now: number, backoff = 0, quiet = false): void {
    this.phase = 'joining';
    this.tries = 0;
    this.backoff = backoff;
    if (this.everJoined && !quiet) this.setState(state === 'reconnecting' ? { state: 'reconnecting', reason } : { state: 'connecting' });
    this.sendHello(now);
  }

  /** The relay's Retry: progress, and an RTT sample timed from the latest Hello. If the answer was
   * to an earlier one the sample is too small, which the PTO floor bounds; a 1 s guess is worse. */
  retry(cookie: Buffer, now: number): void {
    if (this.phase !== 'joining') return;
    this.rtt.sample(now - this.helloAt);
    this.cookie = Buffer.from(cookie);
    this.tries = 0;
    this.sendHello(now);
  }

  /** Whether this client was in the room once (a join now is a rejoin). */
  get joinedOnce(): boolean {
    return this.everJoined;
  }

  /** Whether a Welcome now is the answer to our join (a late duplicate is not). */
  get welcomes(): boolean {
    return this.phase === 'joining';
  }

  /** The Welcome came (the client has set up the room it names): joined. */
  welcomed(now: number, connected: Extract<ConnectionState, { state: 'connected' }>): void {
    this.rtt.sample(now - this.helloAt);
    this.phase = 'joined';
    this.everJoined = true;
    this.setState(connected);
    this.first?.resolve();
    this.first = undefined;
  }

  /** The relay refused the join (a bad name, a full room). The first join fails: true, the client
   * closes. Later, the user is told and nothing is retried until asked. */
  refused(detail: string): boolean {
    // Only an answer to a Hello: while joined there is none, and a relay that says so anyway must not
    // leave the client idle and deaf until the user reconnects.
    if (this.phase !== 'joining') return false;
    const message = `The relay refused to let us join: ${detail}`;
    if (this.first) {
      this.first.reject(new ChatError('REFUSED', message));
      this.first = undefined;
      return true;
    }
    this.phase = 'idle';
    this.setState({ state: 'offline', reason: message });
    return false;
  }

  /** The join cannot go on (the relay's key is not the one pinned): the first join fails with `err`
   * (true: the client closes); later, the user is told and nothing is retried until asked. */
  fail(err: ChatError): boolean {
    if (this.first) {
      this.first.reject(err);
      this.first = undefined;
      return true;
    }
    this.phase = 'idle';
    this.setState({ state: 'offline', reason: err.message });
    return false;
  }

  /** Whether the relay being joined has let enough Hellos go unanswered, the next one due now, to try
   * another relay instead (failover, issue 15). Never once the first join's time is up. */
  moveDue(now: number): boolean {
    if (this.phase !== 'joining' || (this.first && now >= this.first.giveUpAt)) return false;
    return this.tries >= TRIES_BEFORE_OFFLINE && now >= this.helloAt + this.helloDelay();
  }

  /** No relay of several answers (a round of them went by): the user is told, the client still tries. */
  offline(reason: string): void {
    if (this.phase === 'joining' && this.everJoined && this.connection.state === 'reconnecting') this.setState({ state: 'offline', reason });
  }

  /** When a Hello is due again or the first join gives up; Infinity when not joining. */
  deadline(): number {
    if (this.phase !== 'joining') return Infinity;
    return Math.min(this.helloAt + this.helloDelay(), this.first?.giveUpAt ?? Infinity);
  }

  /** At the deadline: a Hello again, or (true) the first join gave up: the client closes. */
  due(now: number): boolean {
    if (this.phase !== 'joining') return false;
    if (this.first && now >= this.first.giveUpAt) {
      this.first.reject(new ChatError('UNREACHABLE', `No WhatsUDP relay answered at ${this.where} within ${this.t.joinTimeoutMs / 1000} s: is it running, and is that the right address?`));
      this.first = undefined;
      return true;
    }
    if (now < this.helloAt + this.helloDelay()) return false;
    if (this.everJoined && this.tries >= TRIES_BEFORE_OFFLINE && this.connection.state === 'reconnecting') {
      this.setState({ state: 'offline', reason: `The relay at ${this.where} does not answer; still trying.` });
    }
    this.sendHello(now);
    return false;
  }

  /** Closing: nothing more is sent or taken; the first join, if pending, fails. */
  close(): void {
    this.phase = 'closed';
    this.first?.reject(new ChatError('CLOSED', 'The chat client was closed before it joined.'));
    this.first = undefined;
  }

  /** Closed: the socket too, which is when the user is told. */
  closed(): void {
    this.setState({ state: 'closed' });
  }

  private sendHello(now: number): void {
    this.helloAt = now;
    this.tries++;
    this.io.hello(this.cookie);
  }

  /** Join retries: the probe timeout, doubling, while first joining; then a capped backoff while the
   * relay is away, as a relay that is down for minutes should not be asked every second. */
  private helloDelay(): number {
    if (!this.everJoined) return this.rtt.pto(this.tries - 1);
    return Math.min(this.t.rejoinMaxMs, this.t.rejoinMinMs * 2 ** Math.min(this.tries - 1 + this.backoff, 16));
  }

  private setState(s: ConnectionState): void {
    this.connection = s;
    this.io.state(s);
  }
}
