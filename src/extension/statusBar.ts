// The status bar item: `$(comment-discussion) 3` while messages from others wait unread, a click
// away from the chat. Shown once the user has chatted in any window (a globalState flag), so a user
// who installed the extension and never used it sees nothing.
import * as vscode from 'vscode';
import type { ConnectionView } from '../common/messages';
import { Disposable } from './dispose';

export class ChatStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('whatsudp.status', vscode.StatusBarAlignment.Right, 100));
  private unread = 0;
  private connection: ConnectionView | undefined;
  private name = '';
  private shown = false;
  private rendering: NodeJS.Immediate | undefined;

  constructor() {
    super();
    this.item.name = 'WhatsUDP';
    this.item.command = 'whatsudp.openChat';
    this.render();
    this._register({ dispose: () => clearImmediate(this.rendering) });
  }

  show(): void {
    this.shown = true;
    this.item.show();
  }

  /** What the item says now, or undefined while hidden (for the tests). */
  get text(): string | undefined {
    return this.shown ? this.itemText() : undefined;
  }

  /** Rendered once per turn of the event loop: a backfill can count thousands of unread messages in
   * one turn, and each render sets four properties of the item, each of them work for the extension host. */
  update(change: { unread?: number; connection?: ConnectionView; name?: string }): void {
    if (change.unread !== undefined) this.unread = change.unread;
    if (change.connection) this.connection = change.connection;
    if (change.name !== undefined) this.name = change.name;
    if (this.isDisposed) return;
    this.rendering ??= setImmediate(() => {
      this.rendering = undefined;
      this.render();
    });
  }

  private itemText(): string {
    return `$(comment-discussion)${this.unread > 0 ? ` ${this.unread}` : ''}`;
  }

  private render(): void {
    this.item.text = this.itemText();
    const c = this.connection;
    const as = this.name ? ` as ${this.name}` : '';
    const state = !c
      ? 'not connected'
      : c.state === 'connected'
        ? `connected to ${c.relay}${as}`
        : c.state === 'connecting'
          ? `connecting to ${c.relay}…`
          : `${c.state === 'reconnecting' ? 'reconnecting to' : 'offline from'} ${c.relay}: ${c.reason}`;
    const count = this.unread === 1 ? '1 unread message' : this.unread ? `${this.unread} unread messages` : 'no unread messages';
    this.item.tooltip = `WhatsUDP: ${state}. ${count}. Click to open the chat.`;
    this.item.accessibilityInformation = { label: `WhatsUDP chat, ${count}, ${state}` };
    // Offline is worth a glance, not an alarm: the warning colour only while messages cannot move.
    this.item.backgroundColor = c && c.state === 'offline' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }
}
