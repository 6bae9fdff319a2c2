// The member list as a client sees it: fetched in pages whenever the relay's roster version moves
// (it says so in every Pong), and diffed so the host can say who joined and who left.
import { isAllZero, nodeCrypto } from '../../protocol/crypto';
import { fingerprint } from '../../protocol/fingerprint';
import { Presence, type Roster, type RosterEntry } from '../../protocol/packets';
import type { Member } from '../types';
import type { RttEstimator } from './rtt';

export interface RosterIo {
  /** Ask the relay for the list at this version. */
  request(version: number): void;
  /** The whole list is new; */
  members(list: Member[]): void;
  /** and against the one before, these joined and these left. */
  joined(m: Member): void;
  left(m: Member): void;
}

export class ClientRoster {
  list: Member[] = [];
  private version = 0; // of `list`
  private want = 0; // newest version the relay mentioned
  private askedAt = 0;
  private tries = 0;
  private pages = new Map<number, RosterEntry[]>();
  private pagesVersion = 0;
  private pageCount = 0;

  constructor(
    private readonly rtt: RttEstimator,
    private readonly io: RosterIo,
  ) {}

  /** The relay's version is `version`: ask for the list if ours is older (or `force` on a rejoin). */
  known(version: number, now: number, force = false): void {
    if (version === this.version && !force) return;
    if (version === this.want && this.tries > 0 && !force) return; // already asked; retry() handles it
    this.want = version;
    this.askedAt = now;
    this.tries = 1;
    this.io.request(version);
  }

  /** When an unanswered request is asked again (a probe timeout), or undefined. */
  deadline(): number | undefined {
    return this.tries > 0 ? this.askedAt + this.rtt.pto() : undefined;
  }

  retry(now: number): void {
    const at = this.deadline();
    if (at === undefined || now < at) return;
    this.tries++;
    this.askedAt = now;
    this.io.request(this.want);
  }

  page(p: Roster): void {
    if (p.version < this.version) return;
    if (p.version !== this.pagesVersion) {
      this.pages.clear();
      this.pagesVersion = p.version;
      this.pageCount = p.pageCount;
    }
    this.pages.set(p.page, p.entries);
    if (this.pages.size < this.pageCount) return;
    // In page order, whatever order the pages came in.
    const entries = [...this.pages.entries()].sort(([a], [b]) => a - b).flatMap(([, e]) => e);
    const next: Member[] = entries.map((e) => ({
      memberId: e.memberId, id: e.clientId.toString('hex'), name: e.name, presence: e.presence === Presence.Away ? 'away' : 'online',
      ...(isAllZero(e.key) ? {} : { fingerprint: fingerprint(nodeCrypto, e.key), key: e.key.toString('base64url') }),
    }));
    const first = this.version === 0;
    const before = new Map(this.list.map((m) => [m.memberId, m]));
    const after = new Set(next.map((m) => m.memberId));
    this.list = next;
    this.version = p.version;
    this.pages.clear();
    this.pagesVersion = 0;
    if (this.want <= this.version) this.tries = 0;
    if (!first) {
      for (const m of next) if (!before.has(m.memberId)) this.io.joined(m);
      for (const m of before.values()) if (!after.has(m.memberId)) this.io.left(m);
    }
    this.io.members(next);
  }
}
