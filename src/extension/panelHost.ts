// Keeps at most one chat panel: Open Chat reveals it if it exists, and after a reload VS Code hands
// the old one back through the serializer (the panel returns where the user left it).
import * as vscode from 'vscode';
import type { RenderReport, WebviewToHost } from '../common/messages';
import type { ChatSession } from './chatSession';
import { ChatPanel, type PanelActions, VIEW_TYPE } from './chatPanel';
import { Disposable } from './dispose';
import type { Notifier } from './notify';

export class PanelHost extends Disposable {
  private current: ChatPanel | undefined;
  private readonly _onDidChangeVisibility = this._register(new vscode.EventEmitter<boolean>());
  /** Fires with the panel's visibility whenever it changes (and false when it closes). */
  readonly onDidChangeVisibility = this._onDidChangeVisibility.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly session: () => Promise<ChatSession>,
    private readonly actions: PanelActions,
    private readonly notifier: Notifier,
  ) {
    super();
    this._register(
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
          try {
            if (this.current) panel.dispose(); // a second one restored: one chat per window
            else this.adopt(panel, await this.session());
          } catch (err) {
            panel.dispose();
            notifier.report(err, 'Restoring the chat panel');
          }
        },
      }),
    );
  }

  get visible(): boolean {
    return this.current?.visible ?? false;
  }

  get panel(): ChatPanel | undefined {
    return this.current;
  }

  /** Opens the chat beside the editor, or reveals it. */
  async open(preserveFocus = false): Promise<ChatPanel> {
    if (this.current) {
      this.current.reveal(preserveFocus);
      return this.current;
    }
    const session = await this.session();
    if (this.current) return this.current; // opened meanwhile
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      'WhatsUDP',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { enableScripts: true, retainContextWhenHidden: false },
    );
    const chat = this.adopt(panel, session);
    chat.reveal(preserveFocus);
    return chat;
  }

  inspect(): Promise<RenderReport> {
    return this.current ? this.current.inspect() : Promise.reject(new Error('The chat panel is not open.'));
  }

  /** Handles `msg` as if the webview had posted it (a test hook: what a click in the panel does). */
  receive(msg: WebviewToHost): void {
    if (!this.current) throw new Error('The chat panel is not open.');
    this.current.receive(msg);
  }

  serverChanged(): void {
    this.current?.serverChanged();
  }

  private adopt(panel: vscode.WebviewPanel, session: ChatSession): ChatPanel {
    const chat = new ChatPanel(panel, session, this.extensionUri, this.actions, this.notifier);
    this.current = chat;
    const visibility = panel.onDidChangeViewState(() => this._onDidChangeVisibility.fire(panel.visible));
    chat.onDidDispose(() => {
      visibility.dispose();
      if (this.current === chat) this.current = undefined;
      this._onDidChangeVisibility.fire(false);
    });
    this._onDidChangeVisibility.fire(panel.visible);
    return chat;
  }

  override dispose(): void {
    this.current?.release(); // not dispose(): a window reloading restores the panel
    super.dispose();
  }
}
