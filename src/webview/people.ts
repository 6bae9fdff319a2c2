// Who is who: names can collide (two "alex"), look alike ("alex" and Cyrillic "аlex"), and legacy
// senders can claim any name. We count, per name skeleton (UTS #39: names that look the same have
// the same skeleton), the distinct identities seen in the conversation and the member list; when
// there is more than one, verified people get a short id tag ("#3fa2") so readers can tell them apart.
import type { ChatItem, MemberView, SenderView } from '../common/messages';
import { shortFingerprint } from '../common/keys';
import { skeleton } from '../common/names';

/** All legacy senders share one identity: their id is zeros and their name is only a claim. */
const LEGACY = 'legacy';

export function isLegacyId(id: string): boolean {
  return /^0+$/.test(id);
}

export class People {
  private byName = new Map<string, Set<string>>();
  /** Sessions whose name was seen before with other keys (the member list says which). */
  private readonly newKeys = new Set<string>();
  /** Skeletons are worth caching: a conversation has few names and many messages. */
  private readonly skeletons = new Map<string, string>();

  clear(): void {
    this.byName.clear();
  }

  private key(name: string): string {
    let k = this.skeletons.get(name);
    if (k === undefined) {
      k = skeleton(name);
      if (this.skeletons.size > 10_000) this.skeletons.clear();
      this.skeletons.set(name, k);
    }
    return k;
  }

  addItems(items: readonly ChatItem[]): void {
    for (const item of items) {
      if (item.type === 'message') this.add(item.sender.name, item.sender.legacy ? LEGACY : item.sender.id);
    }
  }

  /** Members count by session id, as message senders do (a message names its sender's session, not
   * its key): one person in two windows is two here, and their tags then show the same key. */
  addMembers(members: readonly MemberView[]): void {
    for (const m of members) {
      this.add(m.name, isLegacyId(m.id) ? LEGACY : m.id);
      if (m.newKey) this.newKeys.add(m.id);
      else this.newKeys.delete(m.id); // verified since: settled
    }
  }

  /** Whether this session's name was seen before with another key (its messages are marked too). */
  hasNewKey(id: string): boolean {
    return this.newKeys.has(id);
  }

  private add(name: string, identity: string): void {
    const key = this.key(name);
    let ids = this.byName.get(key);
    if (!ids) this.byName.set(key, (ids = new Set()));
    ids.add(identity);
  }

  /** "#3fa2" when this name is shared by more than one identity and the sender is verified. */
  tagFor(name: string, id: string, legacy: boolean): string | undefined {
    if (legacy || isLegacyId(id)) return undefined;
    const ids = this.byName.get(this.key(name));
    return ids && ids.size > 1 ? `#${id.slice(0, 4)}` : undefined;
  }

  /** A member's tag when its name is shared or looks like another's: its key's short fingerprint. */
  memberTag(m: Pick<MemberView, 'name' | 'id' | 'fingerprint'>): string | undefined {
    if (!m.fingerprint) return this.tagFor(m.name, m.id, false);
    if (isLegacyId(m.id)) return undefined;
    const ids = this.byName.get(this.key(m.name));
    return ids && ids.size > 1 ? `key ${shortFingerprint(m.fingerprint)}` : undefined;
  }

  senderTag(sender: SenderView): string | undefined {
    return this.tagFor(sender.name, sender.id, sender.legacy);
  }
}

/** One of a few theme-aware colors per sender, so a busy room is easier to follow. */
export function colorClass(id: string, name: string): string {
  const key = isLegacyId(id) ? name : id;
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return `who-${Math.abs(h) % 4}`;
}

/** What a member's row says about its key. Verified only when the host says so and no new key is
 * flagged (a verified name under a key never seen with it is someone to check, not someone checked);
 * Verify is offered for everyone else who has a key, never for yourself (this window, or another
 * window of this device: `ownKey`, its fingerprint) or a legacy sender. */
export function keyStatus(m: Pick<MemberView, 'id' | 'self' | 'fingerprint' | 'newKey' | 'verified'>, ownKey?: string): { verified: boolean; newKey: boolean; canVerify: boolean } {
  const newKey = m.newKey === true;
  const verified = m.verified === true && !newKey;
  return { verified, newKey, canVerify: !m.self && !!m.fingerprint && m.fingerprint !== ownKey && !isLegacyId(m.id) };
}

export const verifiedTitle = (name: string): string => `Verified: you compared safety codes with ${name}, and this key is theirs.`;

export const verifyTitle = (name: string, verified: boolean): string =>
  verified ? `Verify ${name}: see your safety code again, or remove the verification` : `Verify ${name}: compare your safety code with theirs`;

export const NEW_KEY_TITLE = 'This name was seen before with another key: a new device of theirs, or someone else. Compare the key in the tooltip with them.';

export const UNVERIFIED_TITLE =
  'Sent by an original (legacy) chat client: the name is not verified and anyone on the network could use it.';

/** A mark beside a sender's name: the tag's text, its tooltip, and what a screen reader says after it. */
export interface SenderMark {
  label: string;
  title: string;
  spoken: string;
}

const UNVERIFIED: SenderMark = { label: 'unverified', title: UNVERIFIED_TITLE, spoken: ': the sender\'s name is not proven' };

const NEW_KEY: SenderMark = { label: 'new key', title: NEW_KEY_TITLE, spoken: ': this name was seen before with another key' };

/** The marks a message's sender gets in the panel. A legacy (seed) sender's name is only a claim, so
 * its row says so; so does one whose name was seen before with another key. Nobody is marked
 * verified, since no message is signed yet. */
export function senderMarks(sender: Pick<SenderView, 'legacy'>, newKey = false): SenderMark[] {
  return sender.legacy ? [UNVERIFIED] : newKey ? [NEW_KEY] : [];
}
