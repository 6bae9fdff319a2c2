// The WhatsUDP view in the Activity Bar (movable to the secondary side bar, as any view): the room with
// its connection and unread count, and its people with presence and verification. Quiet: it never opens
// the chat by itself; clicking the room opens it. Its title bar has Find Relays on My Network, Join Room
// from Link and Start Server; with no chat yet, the view's welcome offers the same (package.json).
import * as vscode from 'vscode';
import type { ConnectionView, MemberView } from '../common/messages';
import { shortFingerprint } from '../common/keys';
import { Disposable } from './dispose';

export const SIDEBAR_VIEW = 'whatsudp.sidebar';

type Node = { kind: 'room' } | { kind: 'people' } | { kind: 'member'; m: MemberView };

export interface SidebarState {
  connection?: ConnectionView;
  unread: number;
  members: MemberView[];
  /** Whether the room is sealed (joined by an invite link), when known. */
  sealed?: boolean;
}

/** One room today (one relay serves one room); rooms and direct messages join this list with issue 11. */
export class Sidebar extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this._register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private state: SidebarState = { unread: 0, members: [] };
  private readonly view: vscode.TreeView<Node>;

  constructor() {
    super();
    this.view = this._register(vscode.window.createTreeView(SIDEBAR_VIEW, { treeDataProvider: this, showCollapseAll: false }));
    void vscode.commands.executeCommand('setContext', 'whatsudp.hasRoom', false);
  }

  update(change: Partial<SidebarState>): void {
    this.state = { ...this.state, ...change };
    if (change.connection) void vscode.commands.executeCommand('setContext', 'whatsudp.hasRoom', true);
    this.view.badge = this.state.unread > 0 ? { value: this.state.unread, tooltip: unreadText(this.state.unread) } : undefined;
    this.changed.fire(undefined);
  }

  /** Every row as it reads now (the room, People, each person): for the integration tests. */
  rows(): { label: string; description: string }[] {
    const walk = (nodes: Node[]): Node[] => nodes.flatMap((n) => [n, ...walk(this.getChildren(n))]);
    return walk(this.getChildren()).map((n) => {
      const item = this.getTreeItem(n);
      return { label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''), description: typeof item.description === 'string' ? item.description : '' };
    });
  }

  getChildren(node?: Node): Node[] {
    if (!this.state.connection) return []; // the view's welcome text and buttons show instead
    if (!node) return [{ kind: 'room' }, { kind: 'people' }];
    if (node.kind === 'people') return sortedMembers(this.state.members).map((m) => ({ kind: 'member', m }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'room') return roomItem(this.state);
    if (node.kind === 'people') {
      const online = this.state.members.filter((m) => m.presence === 'online').length;
      const item = new vscode.TreeItem('People', vscode.TreeItemCollapsibleState.Expanded);
      item.description = `${online} online${this.state.members.length > online ? `, ${this.state.members.length - online} away` : ''}`;
      return item;
    }
    return memberItem(node.m);
  }
}

const unreadText = (n: number): string => (n === 1 ? '1 unread message' : `${n} unread messages`);

/** The room's row: where, how it is doing, and what is unread; clicking opens the chat. */
export function roomItem(s: SidebarState): vscode.TreeItem {
  const c = s.connection!;
  const item = new vscode.TreeItem(c.relay, vscode.TreeItemCollapsibleState.None);
  const state = c.state === 'connected' ? 'connected' : c.state === 'connecting' ? 'connecting…' : `${c.state}: ${c.reason}`;
  item.description = `${s.unread > 0 ? `${s.unread} unread · ` : ''}${state}`;
  item.iconPath = new vscode.ThemeIcon(s.sealed ? 'lock' : 'comment-discussion', c.state === 'offline' ? new vscode.ThemeColor('list.warningForeground') : undefined);
  item.tooltip = `${s.sealed ? 'Sealed room (only holders of its invite link can join and read)' : 'Room'} at ${c.relay}: ${state}. ${s.unread > 0 ? unreadText(s.unread) : 'No unread messages'}. Click to open the chat.`;
  item.command = { command: 'whatsudp.openChat', title: 'Open Chat' };
  item.contextValue = 'room';
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
