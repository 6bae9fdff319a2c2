// What "WhatsUDP: Verify Member..." shows, without `vscode` (unit-tested): the people in the room
// who can be verified (one row per name and key, however many windows they have open), and the
// safety code step with its choices. The command itself is verify.ts.
import type { Member } from '../chat';
import { controlPattern } from '../common/control';
import { shortFingerprint, safetyCodeRows } from '../common/keys';
import { visibleName } from '../common/names';

const CONTROLS = controlPattern({ bidi: 'all' }, 'g');

/** A member's name as one plain line: controls as their code points, invisibles written out (the
 * relay refuses such names; this is for one that got through anyway). */
const plain = (name: string): string => visibleName(name.replace(CONTROLS, (ch) => `\\u{${(ch.codePointAt(0) as number).toString(16)}}`));

/** One person's device in the room: a name with a key, and the sessions that show it. */
export interface Candidate {
  name: string;
  /** The device key, base64url (as the member list carries it). */
  key: string;
  fingerprint: string;
  /** Its key is verified under this name. */
  verified: boolean;
  /** Its name was seen before with other keys: a new device of theirs, or someone else. */
  newKey: boolean;
  sessions: string[];
}

/** Members with a key, but not this window and not this device's other windows (ownKey). */
export function candidates(members: readonly Member[], self: string, ownKey: string, verified: ReadonlySet<string>, flagged: ReadonlySet<string>): Candidate[] {
  const byPair = new Map<string, Candidate>();
  for (const m of members) {
    if (!m.key || !m.fingerprint || m.id === self || m.key === ownKey) continue;
    const pair = `${m.key} ${m.name}`;
    const c = byPair.get(pair);
    if (c) {
      c.sessions.push(m.id);
      c.verified &&= verified.has(m.id);
      c.newKey ||= flagged.has(m.id);
    } else {
      byPair.set(pair, { name: m.name, key: m.key, fingerprint: m.fingerprint, verified: verified.has(m.id), newKey: flagged.has(m.id), sessions: [m.id] });
    }
  }
  return [...byPair.values()].sort((a, b) => a.name.localeCompare(b.name) || a.fingerprint.localeCompare(b.fingerprint));
}

/** A row of the member pick: the name (peer text made plain), its short key and its mark. */
export function candidateItem(c: Candidate): { label: string; description: string; detail: string } {
  const mark = c.verified ? '$(verified-filled) verified' : c.newKey ? '$(warning) new key: this name was seen before with another key' : 'not verified yet';
  return { label: plain(c.name), description: `key ${shortFingerprint(c.fingerprint)}`, detail: mark };
}

export type VerifyChoice = 'mark' | 'unmark' | 'keep';

export interface ChoiceItem {
  label: string;
  description?: string;
  detail?: string;
  choice: VerifyChoice;
}

/** The safety code step: the code alone in the title, where it fits on one line (three groups of
 * four, as read aloud), what it is and what to do in the placeholder; the harmless choice comes first,
 * so a stray Enter changes nothing. */
export function codeStep(c: Candidate, code: string): { title: string; placeholder: string; items: ChoiceItem[] } {
  const name = plain(c.name);
  const key = shortFingerprint(c.fingerprint);
  const items: ChoiceItem[] = c.verified
    ? [
        { label: 'Keep Verified', description: `${name}'s key ${key} stays verified`, choice: 'keep' },
        { label: 'Remove Verification', description: 'the code did not match, or you are not sure', detail: `${name} keeps their key, shown as not verified`, choice: 'unmark' },
      ]
    : [
        { label: 'Not Now', description: 'compare the code later', choice: 'keep' },
        { label: 'Mark as Verified', description: `${name} read out the same code`, detail: `${name}'s key ${key} gets a verified mark on this device, in every room`, choice: 'mark' },
      ];
  return {
    title: safetyCodeRows(code).join(' · '),
    placeholder: `Your safety code with ${name}, above: read it aloud together. Is theirs the same?`,
    items,
  };
}

/** What is said once the choice is made. */
export function doneText(c: Candidate, choice: VerifyChoice): string | undefined {
  const name = plain(c.name);
  if (choice === 'mark') return `${name}'s key (${shortFingerprint(c.fingerprint)}) is marked as verified.`;
  if (choice === 'unmark') return `${name}'s key (${shortFingerprint(c.fingerprint)}) is no longer marked as verified.`;
  return undefined;
}
