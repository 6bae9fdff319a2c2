// Names are labels, keys are identity: members checked against the device's name pins (trust on
// first use, src/chat/identity/member-pins.ts) as the member list shows them. A name seen for the
// first time is pinned to its key; a known name under a key never seen for it is reported, every
// time, and not pinned: it may be the same person's new device, or someone else.
import { shortFingerprint } from '../../common/keys';
import type { Crypto } from '../../protocol/crypto';
import type { Member } from '../types';
import { MemberPins, updateMemberPins, type PinnedKey } from './member-pins';
import type { TextStore } from './store';

export interface NameConflict {
  member: Member;
  /** The keys this name was seen with before. */
  pinned: PinnedKey[];
}

/** Checks `members` (those with a key), pins the new ones, and returns those whose name belongs to
 * other keys, the sessions whose key is pinned under their name (`known`) and those among them whose
 * key was verified there (Verify: the safety codes matched). `self` (this session's id) is skipped. */
export async function checkNames(c: Crypto, store: TextStore, members: readonly Member[], self: string): Promise<{ conflicts: NameConflict[]; known: string[]; verified: string[] }> {
  const withKeys = members.filter((m) => m.key && m.id !== self);
  if (withKeys.length === 0) return { conflicts: [], known: [], verified: [] };
  const pins = new MemberPins((await store.get()) ?? '');
  const conflicts: NameConflict[] = [];
  const known: string[] = [];
  const verified: string[] = [];
  let changed = false;
  for (const m of withKeys) {
    const key = Buffer.from(m.key!, 'base64url');
    const check = pins.check(c, m.name, key);
    if (check.kind === 'conflict') conflicts.push({ member: m, pinned: check.pinned });
    else if (check.kind !== 'known') changed = pins.pin(m.name, key) || changed;
    else {
      known.push(m.id);
      if (check.verified) verified.push(m.id);
    }
  }
  if (changed) await store.set(pins.toText());
  return { conflicts, known, verified };
}

/** The sentence a conflict is told in (the CLI escapes it for the terminal). */
export function conflictText({ member, pinned }: NameConflict): string {
  const before = pinned.map((p) => shortFingerprint(p.fingerprint)).join(', ');
  return `${member.name} is using a key not seen with that name before (key ${shortFingerprint(member.fingerprint!)}; before: ${before}): a new device of theirs, or someone else`;
}

/**
 * Checks each member list as it comes, one check at a time (each reads and may write the pin file),
 * and reports each session whose name conflicts once: the CLI and the extension both watch this way.
 */
export class NameWatch {
  private readonly seen = new Set<string>();
  private verifiedNow = new Set<string>();
  private chain = Promise.resolve();

  constructor(
    private readonly crypto: Crypto,
    private readonly store: TextStore,
    private readonly self: string,
    private readonly report: (conflicts: NameConflict[]) => void,
    private readonly failed: (err: Error) => void,
    /** What `verified` or `flagged` say changed without a new conflict (someone ran Verify). */
    private readonly marksChanged?: () => void,
  ) {}

  /** Sessions reported so far, less those whose key was pinned under their name since (Verify). */
  get flagged(): ReadonlySet<string> {
    return this.seen;
  }

  /** Sessions of the last list checked whose key is verified under their name. */
  get verified(): ReadonlySet<string> {
    return this.verifiedNow;
  }

  check(members: readonly Member[]): void {
    this.chain = this.chain
      .then(async () => {
        const { conflicts, known, verified } = await checkNames(this.crypto, this.store, members, this.self);
        const fresh = conflicts.filter((c) => !this.seen.has(c.member.id));
        for (const c of fresh) this.seen.add(c.member.id);
        // A flagged session whose key is now pinned under its name was verified (it is never pinned
        // otherwise): settled, no longer a new key.
        let changed = known.filter((id) => this.seen.delete(id)).length > 0;
        const before = this.verifiedNow;
        this.verifiedNow = new Set(verified);
        changed ||= before.size !== verified.length || verified.some((id) => !before.has(id));
        if (fresh.length > 0) this.report(fresh);
        if (changed) this.marksChanged?.();
      })
      .catch((err: unknown) => this.failed(err instanceof Error ? err : new Error(String(err))));
  }

  /** Resolves once every check asked for so far is done (never rejects: failures go to `failed`). */
  settled(): Promise<void> {
    return this.chain;
  }

  /**
   * Changes the pins (Verify marks or unmarks a key) in turn with the checks, so that a check reading
   * the file meanwhile cannot write back a copy without the change; then checks `members` again, so the
   * marks follow. Rejects if the change cannot be written.
   */
  async update(change: (pins: MemberPins) => boolean, members: readonly Member[]): Promise<void> {
    const changed = this.chain.then(() => updateMemberPins(this.store, change));
    this.chain = changed.catch(() => undefined);
    await changed;
    this.check(members);
    await this.settled();
  }
}
