// The member list: who is in the room, online or away. Same-name members carry an id tag and
// members without a verified id are marked "unverified" (see people.ts).
import type { MemberView } from '../common/messages';
import { el, srOnly } from './dom';
import { visibleControls } from './markup';
import { colorClass, isLegacyId, NEW_KEY_TITLE, UNVERIFIED_TITLE, type People } from './people';
import { tag } from './toolkit';

export class MemberList {
  readonly element = el('aside', 'members');
  private readonly heading = el('h2', 'members-heading', 'Members');
  private readonly list = el('ul', 'member-list');
  private members: MemberView[] = [];

  constructor(private readonly people: People) {
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
    this.list.replaceChildren(...this.members.map((m) => this.item(m)));
  }

  /** Member labels as shown: "alex" or, when two share a name, "alex #3fa2". */
  names(): string[] {
    return [...this.list.querySelectorAll('.who')].map((n) => n.textContent ?? '');
  }

  private item(m: MemberView): HTMLLIElement {
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
    if (m.newKey) li.append(tag('new key', NEW_KEY_TITLE));
    li.append(srOnly(m.presence === 'online' ? ', online' : ', away'));
    const key = m.fingerprint ? `, key ${m.fingerprint.match(/.{1,4}/g)!.join(' ')}` : '';
    li.title = `${visibleControls(m.name)}${idTag && !m.fingerprint ? ` (${m.id})` : ''}: ${m.presence}${key}`;
    return li;
  }
}
