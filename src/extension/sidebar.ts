// The WhatsUDP view in the Activity Bar (movable to the secondary side bar, as any view): the joined
// rooms with their connection and unread count, direct messages, the relay's other rooms, and the
// people of the room in focus with presence and verification. Quiet: it never opens a chat by itself;
// clicking a room opens its panel. Its title bar has Find Relays on My Network, Join Room
// from Link and Start Server; with no chat yet, the view's welcome offers the same (package.json).
import * as vscode from 'vscode';
import type { ConnectionView, MemberView } from '../common/messages';
import { shortFingerprint } from '../common/keys';
import { Disposable } from './dispose';
import { MAIN_ROOM, type RoomInfo } from './roomList';

export const SIDEBAR_VIEW = 'whatsudp.sidebar';

type Node =
  | { kind: 'room'; r: RoomRow }
  | { kind: 'dms' }
  | { kind: 'more' }
  | { kind: 'other'; r: RoomInfo }
  | { kind: 'offer'; o: DmOffer }
  | { kind: 'people' }
  | { kind: 'member'; m: MemberView };

/** A joined room's row: the default room first, then the others as joined, then the DMs. */
export interface RoomRow {
  room: string;
  /** Shown: the room's name, or for a DM the other person's. */
  title: string;
  unread: number;
  muted: boolean;
  sealed: boolean;
  dm: boolean;
  connection: ConnectionView;
}

/** A DM someone opened with this device, not opened here yet: whom it is with, when known. */
export interface DmOffer {
  room: string;
  peer: string;
  /** Their device key (base64url). */
  key: string;
}

export interface SidebarState {
  dmOffers: DmOffer[];
  rooms: RoomRow[];
  /** The relay's rooms not joined here, to join with a click. */
  others: RoomInfo[];
  /** The people of the room in focus (`membersOf`). */
  members: MemberView[];
  membersOf: string;
  /** What the view badge counts: unread of unmuted rooms. */
  unread: number;
}

/** Rooms joined on the relay, direct messages, the relay's other rooms, and the people of the room in
 * focus. Nothing opens by itself: a click on a room opens its panel. */
export class Sidebar extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this._register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private state: SidebarState = { dmOffers: [], rooms: [], others: [], members: [], membersOf: MAIN_ROOM, unread: 0 };
  private readonly view: vscode.TreeView<Node>;
  /** The view came into sight (the relay's room list is asked for again then). */
  readonly onDidShow: (fn: () => void) => vscode.Disposable;

  constructor() {
    super();
    this.view = this._register(vscode.window.createTreeView(SIDEBAR_VIEW, { treeDataProvider: this, showCollapseAll: false }));
    this.onDidShow = (fn) => this.view.onDidChangeVisibility((e) => e.visible && fn());
    void vscode.commands.executeCommand('setContext', 'whatsudp.hasRoom', false);
  }

  get visible(): boolean {
    return this.view.visible;
  }

  update(change: Partial<SidebarState>): void {
    const had = this.state.rooms.length > 0;
    this.state = { ...this.state, ...change };
    if (!had && this.state.rooms.length > 0) void vscode.commands.executeCommand('setContext', 'whatsudp.hasRoom', true);
    // The relay every room here is on, beside the view's title.
    this.view.description = this.state.rooms[0]?.connection.relay;
    this.view.badge = this.state.unread > 0 ? { value: this.state.unread, tooltip: unreadText(this.state.unread) } : undefined;
    this.changed.fire(undefined);
  }

  /** Every row as it reads now (rooms, groups, people): for the integration tests. */
  rows(): { label: string; description: string }[] {
    const walk = (nodes: Node[]): Node[] => nodes.flatMap((n) => [n, ...walk(this.getChildren(n))]);
    return walk(this.getChildren()).map((n) => {
      const item = this.getTreeItem(n);
      return { label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''), description: typeof item.description === 'string' ? item.description : '' };
    });
  }

  getChildren(node?: Node): Node[] {
    const s = this.state;
    if (s.rooms.length === 0) return []; // the view's welcome text and buttons show instead
    if (!node) {
      return [
        ...s.rooms.filter((r) => !r.dm).map((r): Node => ({ kind: 'room', r })),
        ...(s.rooms.some((r) => r.dm) || s.dmOffers.length ? [{ kind: 'dms' } as const] : []),
        ...(s.others.length ? [{ kind: 'more' } as const] : []),
        { kind: 'people' },
      ];
    }
    if (node.kind === 'dms') return [...s.rooms.filter((r) => r.dm).map((r): Node => ({ kind: 'room', r })), ...s.dmOffers.map((o): Node => ({ kind: 'offer', o }))];
    if (node.kind === 'more') return s.others.map((r) => ({ kind: 'other', r }));
    if (node.kind === 'people') return sortedMembers(s.members).map((m) => ({ kind: 'member', m }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'room':
        return roomItem(node.r);
      case 'other':
        return otherRoomItem(node.r);
      case 'offer': {
        const item = new vscode.TreeItem(node.o.peer, vscode.TreeItemCollapsibleState.None);
        item.description = 'new · click to open';
        item.iconPath = new vscode.ThemeIcon('mail');
        item.tooltip = `${node.o.peer} opened a direct message with you. Click to open it.`;
        item.command = { command: 'whatsudp.directMessage', title: 'Direct Message...', arguments: [node.o.key] };
        return item;
      }
      case 'dms': {
        const item = new vscode.TreeItem('Direct Messages', vscode.TreeItemCollapsibleState.Expanded);
        const unread = this.state.rooms.filter((r) => r.dm && !r.muted).reduce((n, r) => n + r.unread, 0);
        const offers = this.state.dmOffers.length;
        item.description = [unread > 0 ? `${unread} unread` : '', offers > 0 ? `${offers} new` : ''].filter(Boolean).join(' · ');
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem('More Rooms on This Relay', vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${this.state.others.length}`;
        item.tooltip = 'Rooms on this relay you have not joined: click one to join it.';
        return item;
      }
      case 'people': {
        const online = this.state.members.filter((m) => m.presence === 'online').length;
        const item = new vscode.TreeItem('People', vscode.TreeItemCollapsibleState.Expanded);
        const away = this.state.members.length > online ? `, ${this.state.members.length - online} away` : '';
        const where = this.state.rooms.length > 1 ? ` · in ${this.state.rooms.find((r) => r.room === this.state.membersOf)?.title ?? this.state.membersOf}` : '';
        item.description = `${online} online${away}${where}`;
        return item;
      }
      case 'member':
        return memberItem(node.m);
    }
  }
}

const unreadText = (n: number): string => (n === 1 ? '1 unread message' : `${n} unread messages`);

/** A joined room's row: its name, how it is doing, what is unread; clicking opens its panel. */
export function roomItem(r: RoomRow): vscode.TreeItem {
  const c = r.connection;
  const main = r.room === MAIN_ROOM;
  const item = new vscode.TreeItem(r.title, vscode.TreeItemCollapsibleState.None);
  const state = c.state === 'connected' ? 'connected' : c.state === 'connecting' ? 'connecting…' : `${c.state}: ${c.reason}`;
  item.description = `${r.unread > 0 ? `${r.unread} unread · ` : ''}${r.muted ? 'muted · ' : ''}${state}`;
  item.iconPath = new vscode.ThemeIcon(r.dm ? 'person' : r.sealed ? 'lock' : 'comment-discussion', c.state === 'offline' ? new vscode.ThemeColor('list.warningForeground') : undefined);
  const what = r.dm ? `Direct messages with ${r.title}` : r.sealed ? `Sealed room ${r.room} (only holders of its invite link can join and read)` : `Room ${r.room}`;
  const muted = r.muted ? ' Muted: not counted in the badge or the status bar; a mention still notifies.' : '';
  item.tooltip = `${what} at ${c.relay}: ${state}. ${r.unread > 0 ? unreadText(r.unread) : 'No unread messages'}.${muted} Click to open it.`;
  item.command = main ? { command: 'whatsudp.openChat', title: 'Open Chat' } : { command: 'whatsudp.openRoom', title: 'Open Room', arguments: [r.room] };
  item.contextValue = `room${main ? '-main' : ''}${r.muted ? '-muted' : ''}`;
  return item;
}

/** A room of the relay not joined here: clicking joins it. */
export function otherRoomItem(r: RoomInfo): vscode.TreeItem {
  const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.None);
  item.description = `${r.members === 1 ? '1 member' : `${r.members} members`}${r.sealed ? ' · sealed' : ''}`;
  item.iconPath = new vscode.ThemeIcon(r.sealed ? 'lock' : 'add');
  item.tooltip = r.sealed ? `Sealed room ${r.name}: only its invite link lets you in.` : `Room ${r.name}: click to join.`;
  item.command = { command: 'whatsudp.joinRoom', title: 'Join Room', arguments: [r.name] };
  item.contextValue = 'otherRoom';
  return item;
}

/** A person: online or away, verified or a new key, told apart by key when names look alike. */
export function memberItem(m: MemberView): vscode.TreeItem {
  const item = new vscode.TreeItem(m.self ? `${m.name} (you)` : m.name, vscode.TreeItemCollapsibleState.None);
  const marks = [m.presence === 'away' ? 'away' : '', m.verified ? 'verified' : '', m.newKey ? 'new key' : ''].filter(Boolean);
  item.description = [...marks, m.fingerprint ? shortFingerprint(m.fingerprint) : ''].filter(Boolean).join(' · ');
  item.iconPath = new vscode.ThemeIcon(
    m.verified ? 'verified-filled' : m.newKey ? 'warning' : 'account',
    new vscode.ThemeColor(m.presence === 'online' ? 'charts.green' : 'disabledForeground'),
  );
  item.tooltip = `${m.name}${m.self ? ' (you)' : ''}: ${m.presence}${m.verified ? ', verified' : ''}${m.newKey ? ', a key not seen with this name before' : ''}${m.fingerprint ? `\nKey ${m.fingerprint}` : ''}`;
  item.accessibilityInformation = { label: `${m.name}${m.self ? ', you' : ''}, ${[m.presence, ...marks.filter((x) => x !== 'away')].join(', ')}` };
  item.contextValue = m.self ? 'self' : 'member';
  if (!m.self) item.command = { command: 'whatsudp.verifyMember', title: 'Verify Member...', arguments: [m.id] };
  return item;
}

/** You first, then online before away, then by name. */
export function sortedMembers(list: MemberView[]): MemberView[] {
  return [...list].sort((a, b) => Number(b.self) - Number(a.self) || Number(a.presence === 'away') - Number(b.presence === 'away') || a.name.localeCompare(b.name));
}
