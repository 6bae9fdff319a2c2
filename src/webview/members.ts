// The member list: who is in the room, online or away. Same-name members carry an id tag and
// members without a verified id are marked "unverified" (see people.ts); a member whose key you
// verified (safety codes compared) has a check mark, and each other member with a key a Verify button.
import type { MemberView } from '../common/messages';
import { el, icon, srOnly } from './dom';
import { visibleControls } from './markup';
import { colorClass, isLegacyId, keyStatus, NEW_KEY_TITLE, UNVERIFIED_TITLE, verifiedTitle, verifyTitle, type People } from './people';
import { button, tag } from './toolkit';

/** A circle with a check cut out of it (fill-rule evenodd, media/chat.css), and a shield. */
const VERIFIED_ICON = 'M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zM6.9 11.1 4.1 8.3l.7-.7 2.1 2.1 4.3-4.3.7.7z';
const SHIELD_ICON = 'M8 1 2.5 3v4.2c0 3.4 2.3 6.4 5.5 7.8 3.2-1.4 5.5-4.4 5.5-7.8V3zm4.5 6.2c0 2.8-1.8 5.3-4.5 6.7-2.7-1.4-4.5-3.9-4.5-6.7V3.7L8 2.1l4.5 1.6z';

export class MemberList {
  readonly element = el('aside', 'members');
  private readonly heading = el('h2', 'members-heading', 'Members');
  private readonly list = el('ul', 'member-list');
  private members: MemberView[] = [];

  constructor(
    private readonly people: People,
    /** The Verify button of a member's row (its session id). */
    private readonly verify?: (id: string) => void,
  ) {
    this.element.id = 'members';
    this.element.setAttribute('aria-label', 'Members');
    this.element.append(this.heading, this.list);
  }

  get count(): number {
    return this.members.length;
  }

  update(members: readonly MemberView[]): void {
    this.members = members.slice().sort(
      (a, b) =>
        Number(b.self) - Number(a.self) ||
        Number(a.presence === 'away') - Number(b.presence === 'away') ||
        a.name.localeCompare(b.name) ||
        a.id.localeCompare(b.id),
    );
    this.people.addMembers(this.members);
    this.heading.textContent = `Members (${this.members.length})`;
    const ownKey = this.members.find((m) => m.self)?.fingerprint;
    this.list.replaceChildren(...this.members.map((m) => this.item(m, ownKey)));
  }

  /** Member labels as shown: "alex" or, when two share a name, "alex #3fa2". */
  names(): string[] {
    return [...this.list.querySelectorAll('.who')].map((n) => n.textContent ?? '');
  }

  private item(m: MemberView, ownKey: string | undefined): HTMLLIElement {
    const li = el('li', `member ${m.presence}`);
    const dot = el('span', 'presence');
    dot.setAttribute('aria-hidden', 'true');
    const label = el('span', 'who');
    label.append(el('span', `name ${colorClass(m.id, m.name)}`, m.name));
    const idTag = this.people.memberTag(m);
    if (idTag) label.append(' ', el('span', 'id-tag', idTag));
    li.append(dot, label);
    if (m.self) li.append(el('span', 'you', '(you)'));
    if (isLegacyId(m.id)) li.append(tag('unverified', UNVERIFIED_TITLE));
    const status = keyStatus(m, ownKey);
    if (status.newKey) li.append(tag('new key', NEW_KEY_TITLE));
    if (status.verified) li.append(this.verifiedMark(m.name));
    li.append(srOnly(m.presence === 'online' ? ', online' : ', away'));
    const key = m.fingerprint ? `, key ${m.fingerprint.match(/.{1,4}/g)!.join(' ')}` : '';
    li.title = `${visibleControls(m.name)}${idTag && !m.fingerprint ? ` (${m.id})` : ''}: ${m.presence}${key}${status.verified ? ', verified' : ''}`;
    if (status.canVerify && this.verify) li.append(this.verifyButton(m, status.verified));
    return li;
  }

  /** A check that says "verified" to a screen reader (the name before it is the member's). */
  private verifiedMark(name: string): HTMLElement {
    const mark = el('span', 'verified-mark');
    mark.setAttribute('role', 'img');
    mark.setAttribute('aria-label', 'verified');
    mark.title = verifiedTitle(visibleControls(name));
    mark.append(icon(VERIFIED_ICON, 'icon verified-icon'));
    return mark;
  }

  private verifyButton(m: MemberView, verified: boolean): HTMLElement {
    const title = verifyTitle(visibleControls(m.name), verified);
    const b = button('', 'toolbar', title);
    b.classList.add('member-verify');
    b.setAttribute('aria-label', title);
    b.append(icon(SHIELD_ICON, 'icon'));
    const id = m.id;
    b.addEventListener('click', () => this.verify?.(id));
    return b;
  }
}

/** Labels (as MemberList.names() gives them) of the members shown with the verified mark, for the
 * render report. */
export function verifiedLabels(root: ParentNode): string[] {
  return [...root.querySelectorAll('.member')].filter((li) => li.querySelector('.verified-mark')).map((li) => li.querySelector('.who')?.textContent ?? '');
}
