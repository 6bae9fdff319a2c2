// The strip above the conversation: where we are connected, whether this window hosts the relay,
// who we are (click to change the name) and the member-list toggle; below it, a banner that only
// appears when the connection is not simply "connected".
import type { ConnectionView } from '../common/messages';
import { el, icon, ICONS } from './dom';
import { visibleControls } from './markup';
import { badge, button, setDisabled, spinner } from './toolkit';

export interface HeaderHooks {
  changeName(): void;
  reconnect(): void;
  toggleMembers(): void;
}

export class Header {
  readonly element = el('header', 'topbar');
  readonly banner = el('div', 'banner');
  private readonly dot = el('span', 'conn-dot');
  private readonly relay = el('span', 'relay');
  /** A lock and "sealed", or "open room": who can join and read (issue 9). */
  private readonly roomState = el('span', 'room-state');
  private readonly server = el('span', 'server');
  private readonly nameButton: HTMLElement;
  private readonly nameText = el('span', 'self-name');
  private readonly membersButton: HTMLElement;
  private readonly count = badge(0);
  private readonly bannerText = el('span', 'banner-text');
  private readonly bannerSpinner = spinner();
  private readonly reconnect: HTMLElement;

  constructor(hooks: HeaderHooks) {
    this.dot.setAttribute('aria-hidden', 'true');
    this.nameButton = button('', 'toolbar', 'Change your name in the room');
    this.nameButton.append(icon(ICONS.pencil, 'icon name-icon'), this.nameText);
    this.nameButton.addEventListener('click', () => hooks.changeName());
    this.membersButton = button('Members ', 'toolbar', 'Show or hide the member list');
    this.membersButton.append(this.count);
    this.membersButton.setAttribute('aria-controls', 'members');
    this.membersButton.addEventListener('click', () => hooks.toggleMembers());
    this.element.append(this.dot, this.relay, this.roomState, this.server, el('span', 'spacer'), this.nameButton, this.membersButton);

    this.banner.setAttribute('role', 'status');
    this.reconnect = button('Reconnect', 'secondary', 'Try to reach the relay again now');
    this.reconnect.addEventListener('click', () => {
      setDisabled(this.reconnect, true); // one click is enough; the next connection state re-enables it
      hooks.reconnect();
    });
    this.banner.append(this.bannerSpinner, this.bannerText, this.reconnect);
    this.banner.hidden = true;
  }

  setSelf(name: string): void {
    this.nameText.textContent = visibleControls(name);
    this.nameButton.setAttribute('aria-label', `Change name (now ${visibleControls(name)})`);
  }

  setServer(server: { address: string; shared: boolean } | undefined): void {
    this.server.textContent = server
      ? `· hosting relay on ${server.address}${server.shared ? ' (shared on your network)' : ' (this machine only)'}`
      : '';
  }

  setMembers(count: number, open: boolean): void {
    this.count.textContent = String(count);
    this.membersButton.setAttribute('aria-expanded', String(open));
  }

  setConnection(c: ConnectionView): void {
    this.dot.className = `conn-dot ${c.state}`;
    this.relay.textContent = visibleControls(c.relay);
    this.relay.title = `Relay ${visibleControls(c.relay)}: ${c.state}`;
    this.roomState.replaceChildren(...(c.sealed ? [icon(ICONS.lock, 'icon'), 'sealed'] : ['open room']));
    this.roomState.className = `room-state ${c.sealed ? 'sealed' : 'open'}`;
    this.roomState.title = c.sealed
      ? 'Sealed room: only people with its invite link can join, and messages are sealed end to end: the relay cannot read them.'
      : 'Open room: anyone who can reach the relay can join, and the relay can read the messages (datagrams are still authenticated and encrypted on the way).';
    const text = bannerMessage(c);
    this.banner.hidden = text === '';
    this.banner.className = `banner ${c.state}`;
    this.bannerText.textContent = text;
    this.bannerSpinner.toggleAttribute('hidden', c.state !== 'connecting' && c.state !== 'reconnecting');
    this.reconnect.hidden = c.state !== 'offline';
    setDisabled(this.reconnect, false);
  }

  /** The banner as the reader sees it ('' when hidden), for the render report. */
  get bannerShown(): string {
    return this.banner.hidden ? '' : (this.bannerText.textContent ?? '');
  }
}

/** A reason as a sentence: a full stop added only where it has no end mark of its own. */
function sentence(reason: string): string {
  const r = reason.trim();
  return /[.!?…]$/.test(r) ? r : `${r}.`;
}

function bannerMessage(c: ConnectionView): string {
  const relay = visibleControls(c.relay);
  switch (c.state) {
    case 'connected':
      return '';
    case 'connecting':
      return `Connecting to ${relay}…`;
    case 'reconnecting':
      return `Connection to ${relay} lost (${visibleControls(c.reason)}). Reconnecting…`;
    case 'offline':
      return `Offline: ${sentence(visibleControls(c.reason))} Messages you send wait until you reconnect.`;
    default: {
      const _exhaustive: never = c;
      return _exhaustive;
    }
  }
}
