// The member list as a client sees it: fetched in pages whenever the relay's roster version moves
// (it says so in every Pong), and diffed so the host can say who joined and who left.
import { Presence, type Roster, type RosterEntry } from '../../protocol/packets';
import type { Member } from '../types';

type RosterEvent = 'members' | 'joined' | 'left';

export class ClientRoster {
  list: Member[] = [];
  private version = 0; // of `list`
  private want = 0; // newest version the relay mentioned
  private askedAt = 0;
  private tries = 0;
  private pages = new Map<number, RosterEntry[]>();
  private pagesVersion = 0;
  private pageCount = 0;

  /** The relay's version is `version`: ask for the list if ours is older (or `force` on a rejoin). */
  known(version: number, now: number, request: (v: number) => void, force = false): void {
    if (version === this.version && !force) return;
    if (version === this.want && this.tries > 0 && !force) return; // already asked; retry() handles it
    this.want = version;
    this.askedAt = now;
    this.tries = 1;
    request(version);
  }

  deadline(pto: (tries: number) => number): number | undefined {
    return this.tries > 0 ? this.askedAt + pto(this.tries - 1) : undefined;
  }

  retry(now: number, pto: (tries: number) => number, request: (v: number) => void): void {
    const at = this.deadline(pto);
    if (at === undefined || now < at) return;
    this.tries++;
    this.askedAt = now;
    request(this.want);
  }

  page(p: Roster, emit: (ev: RosterEvent, m?: Member) => void): void {
    if (p.version < this.version) return;
    if (p.version !== this.pagesVersion) {
      this.pages.clear();
      this.pagesVersion = p.version;
      this.pageCount = p.pageCount;
    }
    this.pages.set(p.page, p.entries);
    if (this.pages.size < this.pageCount) return;
    const next: Member[] = [...this.pages.values()].flat().map((e) => ({
      memberId: e.memberId, id: e.clientId.toString('hex'), name: e.name, presence: e.presence === Presence.Away ? 'away' : 'online',
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
      for (const m of next) if (!before.has(m.memberId)) emit('joined', m);
      for (const m of before.values()) if (!after.has(m.memberId)) emit('left', m);
    }
    emit('members');
  }
}
