// Activation: cheap, because it runs at every startup (onStartupFinished). It registers commands,
// the panel serializer and the status bar item; no socket opens and no history is read until the
// user opens the chat or, having chatted before, rejoins in the background after activation.
import type * as vscode from 'vscode';
import type { RenderReport, WebviewToHost } from '../common/messages';
import { formatInvite } from '../protocol/invite';
import { App } from './app';
import type { ChatSession } from './chatSession';
import { verifyStep } from './verify';

/** What activate() returns: hooks for the integration tests. Harmless for users: they read state or
 * do what the UI already lets a user do. */
export interface WhatsUdpApi {
  /** The chat session (created on first call; no socket until the chat starts). */
  session(): Promise<ChatSession>;
  panel: {
    /** What the webview shows; rejects if the panel is closed or does not answer in 10 s. */
    inspect(): Promise<RenderReport>;
    /** Handles a message as if the panel had posted it: what typing or clicking there does. */
    receive(msg: WebviewToHost): void;
    readonly isOpen: boolean;
    readonly isVisible: boolean;
  };
  /** The status bar text, e.g. "$(comment-discussion) 3"; undefined while the item is hidden. */
  statusBarText(): string | undefined;
  /** Every message shown through window.show*Message, oldest first. */
  readonly notifications: readonly string[];
  /** The address colleagues use while this window runs a server. */
  serverAddress(): string | undefined;
  /** (issue 9) Its sealed room's invite link (what Copy Invite Link copies), while it runs one. */
  serverInvite(): string | undefined;
  /** How long activate() took, in ms (the target is under 50). */
  readonly activationMs: number;
  /** The list Verify Member shows now, 'member' or 'code' (the test answers it with the list's own
   * commands, as keys would), or undefined. */
  verifyStep(): string | undefined;
  /** The sidebar's rows as they read now: the rooms, the groups, the people (empty before the chat starts). */
  sidebarRows(): { label: string; description: string }[];
  /** (issue 14) The next Save... of a file writes to this path instead of showing the save dialog
   * (the test's answer to the dialog, as a user would pick that path). */
  answerNextSave(fsPath: string): void;
  /** (issue 11) The rooms joined besides the default one, and each one's session and panel. */
  rooms: {
    joined(): string[];
    session(room: string): ChatSession | undefined;
    inspect(room: string): Promise<RenderReport>;
    isVisible(room: string): boolean;
  };
}

let app: App | undefined;

export function activate(context: vscode.ExtensionContext): WhatsUdpApi {
  const started = performance.now();
  const a = new App(context);
  app = a;
  context.subscriptions.push(a);
  // Rejoining at startup comes after activation returns, so it never delays the window.
  if (a.hasChatted) setTimeout(() => void a.startChat(false).catch((err: unknown) => a.notifier.log.error('Rejoining failed', err)), 0);
  // `npm start` asks for the chat to be open when the window comes up.
  if (process.env.WHATSUDP_OPEN_CHAT === '1') setTimeout(() => void a.openChat().catch((err: unknown) => a.notifier.log.error('Opening the chat failed', err)), 0);
  const activationMs = performance.now() - started;
  a.notifier.log.info(`Activated in ${activationMs.toFixed(1)} ms`);
  return {
    activationMs,
    session: () => a.session(),
    panel: {
      inspect: () => a.panels.inspect(),
      receive: (msg) => a.panels.receive(msg),
      get isOpen() {
        return a.panels.panel !== undefined;
      },
      get isVisible() {
        return a.panels.visible;
      },
    },
    statusBarText: () => a.statusBar.text,
    notifications: a.notifier.shown,
    serverAddress: () => a.server.info?.address,
    serverInvite: () => (a.server.info?.invite ? formatInvite(a.server.info.invite) : undefined),
    verifyStep,
    sidebarRows: () => a.sidebar.rows(),
    answerNextSave: (fsPath) => a.files.answerNextSave(fsPath),
    rooms: {
      joined: () => a.hub.list.map((e) => e.joined.room),
      session: (room) => a.hub.entry(room)?.session,
      inspect: (room) => a.panels.roomPanel(room)?.inspect() ?? Promise.reject(new Error(`The panel of room ${room} is not open.`)),
      isVisible: (room) => a.panels.roomPanel(room)?.visible === true,
    },
  };
}

export async function deactivate(): Promise<void> {
  await app?.shutdown();
  app = undefined;
}
