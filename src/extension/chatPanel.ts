// The chat panel: a webview that shows what the ChatSession holds. The host owns the conversation;
// the webview keeps nothing across hiding (retainContextWhenHidden is off, which saves memory) and
// asks for a full snapshot with `ready` each time it loads.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ChatItem, HostToWebview, RenderReport, Snapshot, WebviewToHost } from '../common/messages';
import type { ChatSession, SessionEvents } from './chatSession';
import { Disposable } from './dispose';
import { type FilePanel, type FileHost, outgoingFromPanel } from './files';
import type { Notifier } from './notify';
import { SeenGate } from './seenGate';
import * as settings from './settings';

export const VIEW_TYPE = 'whatsudp.chat';
const INSPECT_TIMEOUT_MS = 10_000;

/** What the panel asks of the rest of the extension. */
export interface PanelActions {
  /** `session`: the room's whose panel asked (the default room's if absent). */
  openSnippet(key: string, panelColumn: vscode.ViewColumn | undefined, session?: ChatSession): unknown;
  changeName(): unknown;
  reconnect(): unknown;
  /** Verify Member for this session (the member list's Verify button). */
  verify(memberId: string): unknown;
  serverInfo(): Snapshot['server'];
  /** (issue 14) Save..., images, Cancel and sending files; without it a panel shows files but does nothing with them. */
  files?: FileHost;
}

/** Subscribes to a session event for as long as the returned Disposable lives. */
function listen<K extends keyof SessionEvents>(
  session: ChatSession,
  event: K,
  fn: (...args: SessionEvents[K]) => void,
): vscode.Disposable {
  session.on(event, fn);
  return new vscode.Disposable(() => session.off(event, fn));
}

export class ChatPanel extends Disposable {
  private ready = false;
  private focusOnReady = false;
  private nextRequest = 1;
  /** New items waiting for the end of this turn of the event loop, to go to the webview as one post. */
  private pendingItems: ChatItem[] = [];
  private flushing: NodeJS.Immediate | undefined;
  private readonly requests = new Map<number, { resolve(r: RenderReport): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private readonly _onDidDispose = this._register(new vscode.EventEmitter<void>());
  private readonly seen: SeenGate;
  readonly onDidDispose = this._onDidDispose.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly session: ChatSession,
    private readonly extensionUri: vscode.Uri,
    private readonly actions: PanelActions,
    private readonly notifier: Notifier,
  ) {
    super();
    const webview = panel.webview;
    webview.options = {
      enableScripts: true,
      // The image cache (issue 14): fetched, checked and sniffed images only, named by their SHA-256.
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media'), ...(actions.files ? [actions.files.cacheDir] : [])],
    };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    webview.html = this.html(webview);
    this._register(webview.onDidReceiveMessage((msg: WebviewToHost) => this.receive(msg)));
    this._register(
      panel.onDidChangeViewState(() => {
        // A hidden webview is torn down; it says `ready` again when it comes back.
        if (!panel.visible) this.ready = false;
        session.setVisible(panel.visible);
      }),
    );
    this._register(panel.onDidDispose(() => this.release()));
    session.setVisible(panel.visible);

    const s = session;
    this._register(listen(s, 'items', (items, replaces) => this.queueItems(items, replaces)));
    this._register(listen(s, 'reset', () => this.postSnapshot()));
    this._register(listen(s, 'cleared', () => this.post({ type: 'cleared' })));
    this._register(listen(s, 'members', (members) => this.post({ type: 'members', members })));
    this._register(listen(s, 'connection', (connection) => this.post({ type: 'connection', connection })));
    this._register(listen(s, 'self', (self) => this.post({ type: 'self', self })));
    this._register(listen(s, 'typing', (id) => this.post({ type: 'typing', id })));
    this._register(listen(s, 'seen', (id, seq) => this.post({ type: 'seen', id, seq })));
    this._register(listen(s, 'seenCount', (seq, count) => this.post({ type: 'seenCount', seq, count })));
    this.seen = this._register(new SeenGate((seq) => s.seen(seq), () => this.visible, settings.readReceipts));
  }

  get visible(): boolean {
    return !this.isDisposed && this.panel.visible;
  }

  reveal(preserveFocus = false): void {
    this.focusOnReady = !preserveFocus;
    this.panel.reveal(undefined, preserveFocus);
    if (!preserveFocus && this.ready) this.post({ type: 'focusComposer' });
  }

  /** The one way to the webview. Before `ready` there is nobody to read it: the snapshot covers it.
   * Items queued before this message go first, so the webview sees everything in order. */
  post(msg: HostToWebview): void {
    if (msg.type !== 'items') this.flushItems();
    if (!this.ready || this.isDisposed) return;
    this.panel.webview.postMessage(msg).then(undefined, (err: unknown) => this.notifier.log.warn('Posting to the chat panel failed', err));
  }

  /** A backfill or a burst delivers many messages in one turn of the event loop (every datagram read in
   * one poll); posting each alone made the webview lay out 10,000 times for a 10,000-message backfill.
   * New items are sent together at the end of the turn, which adds no delay. A batch that replaces
   * items goes alone, after what is queued: the webview applies replacements before additions. */
  private queueItems(items: ChatItem[], replaces: { oldKey: string; item: ChatItem }[]): void {
    if (replaces.length > 0) {
      this.flushItems();
      this.post({ type: 'items', items, replaces });
      return;
    }
    this.pendingItems.push(...items);
    this.flushing ??= setImmediate(() => this.flushItems());
  }

  private flushItems(): void {
    clearImmediate(this.flushing);
    this.flushing = undefined;
    if (this.pendingItems.length === 0) return;
    const items = this.pendingItems;
    this.pendingItems = [];
    this.post({ type: 'items', items });
  }

  serverChanged(): void {
    this.post({ type: 'server', server: this.actions.serverInfo() });
  }

  /** Asks the webview what it shows (tests and the benchmark): resolves with its report. */
  inspect(): Promise<RenderReport> {
    if (this.isDisposed) return Promise.reject(new Error('The chat panel is closed.'));
    const id = this.nextRequest++;
    return new Promise<RenderReport>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(id);
        reject(new Error(`The chat panel did not answer within ${INSPECT_TIMEOUT_MS / 1000} s.`));
      }, INSPECT_TIMEOUT_MS);
      this.requests.set(id, { resolve, reject, timer });
      this.post({ type: 'inspect', id }); // if not ready yet, sent on `ready`
    });
  }

  private postSnapshot(): void {
    this.post({ type: 'snapshot', snapshot: { ...this.session.snapshot(), server: this.actions.serverInfo() } });
  }

  /** Everything the webview posts comes in here (tests feed it the same way: see WhatsUdpApi). */
  receive(msg: WebviewToHost): void {
    try {
      this.handle(msg);
    } catch (err) {
      this.notifier.report(err, 'The chat panel');
    }
  }

  private handle(msg: WebviewToHost): void {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.session.setVisible(this.panel.visible);
        this.postSnapshot();
        for (const id of this.requests.keys()) this.post({ type: 'inspect', id });
        if (this.focusOnReady) this.post({ type: 'focusComposer' });
        this.focusOnReady = false;
        return;
      case 'send':
        this.session.send(msg.text, typeof msg.replyTo === 'string' ? msg.replyTo : undefined); // TOO_LARGE / EMPTY become a message via receive()
        return;
      case 'react':
        this.session.react(msg.key, msg.emoji, msg.remove === true);
        return;
      case 'edit':
        this.session.edit(msg.key, msg.text);
        return;
      case 'delete':
        this.session.delete(msg.key);
        return;
      case 'retry':
        this.session.retry(msg.key);
        return;
      case 'typing':
        if (settings.typingIndicator()) this.session.typing();
        return;
      case 'seen':
        this.seen.shown(msg.seq);
        return;
      case 'openSnippet':
        void this.actions.openSnippet(msg.key, this.panel.viewColumn);
        return;
      case 'openLink':
        this.openLink(msg.url);
        return;
      case 'changeName':
        void this.actions.changeName();
        return;
      case 'reconnect':
        void this.actions.reconnect();
        return;
      case 'verify':
        if (typeof msg.id === 'string') void this.actions.verify(msg.id);
        return;
      case 'report': {
        const request = this.requests.get(msg.id);
        if (!request) return;
        clearTimeout(request.timer);
        this.requests.delete(msg.id);
        request.resolve(msg.report);
        return;
      }
      case 'error':
        this.notifier.log.error(`Chat panel: ${msg.message}`);
        return;
      case 'fileImage':
        if (typeof msg.key === 'string') void this.actions.files?.image(this.filePanel, msg.key).catch((err: unknown) => this.notifier.log.warn('Showing an image failed', err));
        return;
      case 'fileSave':
        if (typeof msg.key === 'string') void this.actions.files?.save(this.filePanel, msg.key).catch((err: unknown) => this.notifier.report(err, 'Saving the file'));
        return;
      case 'fileCancel':
        if (typeof msg.id === 'string') this.actions.files?.cancel(msg.id);
        return;
      case 'sendFile': {
        const file = outgoingFromPanel(msg);
        if (file) void this.actions.files?.send(this.session, file, this.filePanel);
        return;
      }
      default: {
        const _exhaustive: never = msg;
        this.notifier.log.warn(`Unknown message from the chat panel: ${JSON.stringify(_exhaustive)}`);
      }
    }
  }

  get filePanel(): FilePanel {
    return { session: this.session, webview: this.panel.webview, post: (m) => this.post(m) };
  }

  /** Links in messages are peer text: only web and mail links leave VS Code, never command: or file:. */
  private openLink(url: string): void {
    let uri: vscode.Uri;
    try {
      uri = vscode.Uri.parse(url, true);
    } catch {
      return;
    }
    if (uri.scheme === 'http' || uri.scheme === 'https' || uri.scheme === 'mailto') void vscode.env.openExternal(uri);
    else this.notifier.log.warn(`Not opening a ${uri.scheme}: link from the chat.`);
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('hex');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'chat.css'));
    const csp = [
      `default-src 'none'`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      // Images only from the extension and the image cache (issue 14): no data: or blob: URLs.
      `img-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${style.toString()}">
<title>WhatsUDP</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  /** Closes the panel (the user's Close, or a second panel restored). */
  override dispose(): void {
    if (this.isDisposed) return;
    this.release();
    this.panel.dispose();
  }

  /** Lets go of the panel without closing it: on shutdown, so VS Code can restore it after a reload. */
  release(): void {
    if (this.isDisposed) return;
    for (const request of this.requests.values()) {
      clearTimeout(request.timer);
      request.reject(new Error('The chat panel was closed before it answered.'));
    }
    this.requests.clear();
    clearImmediate(this.flushing);
    this.pendingItems = [];
    this.session.setVisible(false);
    this._onDidDispose.fire();
    super.dispose();
  }
}
