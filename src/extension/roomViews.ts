// What the sidebar, the view badge and the status bar show of the rooms (issue 11), drawn from every
// room's session at most once per turn of the event loop: a backfill in one room can change its
// unread count thousands of times in one turn.
import type { ChatSession } from './chatSession';
import { Disposable } from './dispose';
import { dmRoomWith } from './dmCommands';
import type { PanelHost } from './panelHost';
import type { RoomHub } from './roomHub';
import { MAIN_ROOM, unreadTotal } from './roomList';
import type { DmOffer, RoomRow, Sidebar } from './sidebar';
import type { ChatStatusBar } from './statusBar';

export interface RoomViewParts {
  /** The default room's session, once made. */
  main(): ChatSession | undefined;
  hub: RoomHub;
  panels: PanelHost;
  sidebar: Sidebar;
  statusBar: ChatStatusBar;
  log: { error(message: string, ...args: unknown[]): void };
}

export class RoomViews extends Disposable {
  /** The room whose people the sidebar lists: the one whose panel last had the focus. */
  private focused = MAIN_ROOM;
  private rendering: NodeJS.Immediate | undefined;

  constructor(private readonly p: RoomViewParts) {
    super();
    this._register(p.hub.onDidChange(() => this.refresh()));
    this._register(p.panels.onDidChangeRoomPanel(() => this.focusChanged()));
    this._register(p.panels.onDidChangeVisibility(() => this.focusChanged()));
    this._register({ dispose: () => clearImmediate(this.rendering) });
  }

  /** Draws again at the end of this turn. */
  refresh(): void {
    if (this.isDisposed) return;
    this.rendering ??= setImmediate(() => {
      this.rendering = undefined;
      try {
        this.render();
      } catch (err) {
        this.p.log.error('Showing the rooms failed', err); // never out of a timer into the host
      }
    });
  }

  private render(): void {
    const { hub, sidebar, statusBar } = this.p;
    const main = this.p.main();
    if (!main) return;
    const rows: RoomRow[] = [
      { room: MAIN_ROOM, title: MAIN_ROOM, unread: main.unread, muted: hub.isMuted(MAIN_ROOM), sealed: main.connection.sealed === true, dm: false, connection: main.connection },
      ...hub.list.map(({ joined, session }) => ({
        room: joined.room, title: joined.dm ? joined.dm.peer : joined.room, unread: session.unread, muted: hub.isMuted(joined.room),
        sealed: session.connection.sealed === true, dm: joined.dm !== undefined, connection: session.connection,
      })),
    ];
    const unread = unreadTotal(rows, hub.mutedRooms());
    const focused = hub.entry(this.focused)?.session ?? main;
    statusBar.update({ unread });
    sidebar.update({
      rooms: main.started ? rows : [], others: hub.others, dmOffers: this.dmOffers(main),
      members: focused.members, membersOf: focused === main ? MAIN_ROOM : this.focused, unread,
    });
  }

  /** DMs the relay lists to this device, each matched to a person present in a room here (the DM's
   * name is made from both keys, so it is recognised by trying each key). */
  private dmOffers(main: ChatSession): DmOffer[] {
    const offers = this.p.hub.dmOffers;
    if (offers.length === 0) return [];
    const mine = main.deviceIdentity.publicKey;
    const self = Buffer.from(mine).toString('base64url'); // this device's own windows are no one to write to
    const people = [main, ...this.p.hub.list.map((e) => e.session)].flatMap((s) => s.verifyContext().members).filter((m) => m.key && m.key !== self);
    return offers.flatMap((o) => {
      const m = people.find((p) => dmRoomWith(mine, p.key!) === o.name);
      return m ? [{ room: o.name, peer: m.name, key: m.key! }] : [];
    });
  }

  private focusChanged(): void {
    const active = this.p.panels.activeRoom;
    if (active && active !== this.focused) this.focused = active;
    if (!this.p.hub.entry(this.focused)) this.focused = MAIN_ROOM;
    this.refresh();
  }
}
