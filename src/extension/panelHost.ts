// One chat panel per room (issue 11): a tab each, side by side, each with its own scroll, draft and
// history. Open Chat reveals the default room's panel if it exists, and after a reload VS Code hands
// it back through the serializer (the panel returns where the user left it). The other rooms' panels
// (view type whatsudp.room) are not restored after a reload: the sidebar opens them again.
import * as vscode from 'vscode';
import type { RenderReport, WebviewToHost } from '../common/messages';
import type { ChatSession } from './chatSession';
import { ChatPanel, type PanelActions, VIEW_TYPE } from './chatPanel';
import { Disposable } from './dispose';
import type { Notifier } from './notify';
import { MAIN_ROOM, panelTitle } from './roomList';
import { verifyMember } from './verify';

/** The view type of a room's panel other than the default room's. */
export const ROOM_VIEW_TYPE = 'whatsudp.room';

export class PanelHost extends Disposable {
  private current: ChatPanel | undefined;
  /** The other rooms' panels, by room name. */
  private readonly rooms = new Map<string, ChatPanel>();
  private readonly _onDidChangeRoomPanel = this._register(new vscode.EventEmitter<string>());
  /** A room's panel opened, closed, showed, hid or took the focus (the room's name). */
  readonly onDidChangeRoomPanel = this._onDidChangeRoomPanel.event;
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
    // A room's panel from before a reload: closed, its room's row in the sidebar opens it again.
    this._register(vscode.window.registerWebviewPanelSerializer(ROOM_VIEW_TYPE, { deserializeWebviewPanel: (panel: vscode.WebviewPanel) => Promise.resolve(panel.dispose()) }));
  }

  /** The panel of a room other than the default one, if open. */
  roomPanel(room: string): ChatPanel | undefined {
    return this.rooms.get(room);
  }

  /** Opens a room's own panel beside the editor, or reveals it (`session`: that room's). */
  openRoom(room: string, session: ChatSession, dmPeer?: string, preserveFocus = false): ChatPanel {
    if (room === MAIN_ROOM) throw new Error('The default room opens with open().');
    let chat = this.rooms.get(room);
    if (!chat) {
      const panel = vscode.window.createWebviewPanel(ROOM_VIEW_TYPE, panelTitle(room, dmPeer), { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, { enableScripts: true, retainContextWhenHidden: false });
      const opened = new ChatPanel(panel, session, this.extensionUri, { ...this.actions, ...this.roomActions(session) }, this.notifier);
      chat = opened;
      this.rooms.set(room, opened);
      const state = panel.onDidChangeViewState(() => this._onDidChangeRoomPanel.fire(room));
      opened.onDidDispose(() => {
        state.dispose();
        if (this.rooms.get(room) === opened) this.rooms.delete(room);
        this._onDidChangeRoomPanel.fire(room);
      });
    }
    chat.reveal(preserveFocus);
    this._onDidChangeRoomPanel.fire(room);
    return chat;
  }

  /** What a room's panel does differently from the default room's: its Reconnect rejoins that room,
   * a snippet it shows is looked up in that room's conversation, and Verify picks among its members. */
  private roomActions(session: ChatSession): Pick<PanelActions, 'reconnect' | 'openSnippet' | 'verify'> {
    return {
      // Its member list's Verify button: the member is one of this room's sessions.
      verify: (memberId) => verifyMember({ notifier: this.notifier, session: () => Promise.resolve(session) }, memberId).catch((err: unknown) => this.notifier.report(err, 'Verifying a member')),
      reconnect: () => session.connect().catch((err: unknown) => this.notifier.report(err, `Rejoining room ${session.roomName}`)),
      openSnippet: (key, column) => this.actions.openSnippet(key, column, session),
    };
  }

  /** Closes a room's panel (the room was left). */
  closeRoom(room: string): void {
    this.rooms.get(room)?.dispose();
  }

  /** The room whose panel has the focus, if one has. */
  get activeRoom(): string | undefined {
    if (this.current?.panel.active) return MAIN_ROOM;
    for (const [room, chat] of this.rooms) if (chat.panel.active) return room;
    return undefined;
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
    for (const chat of this.rooms.values()) chat.release();
    super.dispose();
  }
}
