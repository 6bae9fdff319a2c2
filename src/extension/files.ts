// Files in VS Code (issue 14), the host's side: Save... of a received file (a save dialog whose name
// is safeFileName of the sender's, never a path of theirs), images fetched by themselves (images
// only, up to 16 MiB: fetchFile checks every chunk and the SHA-256, then the bytes are sniffed again)
// into a cache under globalStorage that the webview reads through asWebviewUri, and sending (from the
// composer or Send File...) with a cancellable progress notification. Nothing is opened or run: after
// a save, a notification offers "Reveal in File Explorer" and nothing else.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ChatError } from '../chat';
import { safeFileName } from '../common/filename';
import { isInlineImageType, sniffImage } from '../common/image-type';
import { type FileInfo, fileSizeProblem, MAX_FILE_BYTES } from '../common/message';
import type { FileStateView, HostToWebview } from '../common/messages';
import type { ChatSession } from './chatSession';
import type { Notifier } from './notify';

/** What a panel gives for a file of its room: its session, its webview, its way to post. */
export interface FilePanel {
  session: ChatSession;
  webview: vscode.Webview;
  post(msg: HostToWebview): void;
}

/** A file to send, as the composer or Send File... has it. */
export interface OutgoingFile {
  bytes: Uint8Array;
  name: string;
  mime: string;
  width?: number;
  height?: number;
  caption?: string;
}

interface Running {
  cancel(): void;
  panels: Set<FilePanel>;
}

/** The image cache's size; past it the least recently shown images go (they are fetched again if needed). */
const CACHE_BYTES = 256 * 1024 * 1024;

const failure = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class FileHost {
  /** Where fetched images are kept, by SHA-256 (the webview may read this folder). */
  readonly cacheDir: vscode.Uri;
  /** Transfers in progress, by file id (one per file: a second fetch joins the first). */
  private readonly running = new Map<string, Running>();
  /** A test's answer to the next save dialog (the integration test; users get the dialog). */
  nextSaveUri: vscode.Uri | undefined;

  constructor(storage: vscode.Uri, private readonly notifier: Notifier) {
    this.cacheDir = vscode.Uri.joinPath(storage, 'images');
  }

  /** The integration test answers the next save dialog with this path. */
  answerNextSave(fsPath: string): void {
    this.nextSaveUri = vscode.Uri.file(fsPath);
  }

  private post(panels: Iterable<FilePanel>, id: string, state: FileStateView): void {
    for (const p of panels) p.post({ type: 'file', id, state });
  }

  /** An image row came into the panel: its cached copy, or fetch it (images only, up to 16 MiB). */
  async image(panel: FilePanel, key: string): Promise<void> {
    const file = panel.session.fileAt(key);
    if (!file || !isInlineImageType(file.mime) || file.size > MAX_FILE_BYTES || file.width === undefined) return;
    const cached = vscode.Uri.joinPath(this.cacheDir, file.sha256); // 64 hex digits, checked on receipt
    if (await exists(cached.fsPath)) {
      const now = new Date();
      await fsp.utimes(cached.fsPath, now, now).catch(() => undefined); // shown again: the last to go
      return this.post([panel], file.id, { phase: 'done', src: panel.webview.asWebviewUri(cached).toString() });
    }
    const going = this.running.get(file.id);
    if (going) return void going.panels.add(panel);
    const fetched = await this.fetch(panel, file, 'fetching');
    if (!fetched) return;
    const [bytes, panels] = fetched;
    if (!sniffImage(bytes)) return this.post(panels, file.id, { phase: 'failed', text: 'Not shown: its bytes are not a png, jpeg, gif or webp image. Save… still saves it.' });
    await this.keep(file.sha256, bytes);
    for (const p of panels) this.post([p], file.id, { phase: 'done', src: p.webview.asWebviewUri(cached).toString() });
  }

  /** Writes an image into the cache under its SHA-256 (0600, in a 0700 folder; whole or not at all). */
  private async keep(sha256: string, bytes: Uint8Array): Promise<void> {
    const cached = vscode.Uri.joinPath(this.cacheDir, sha256);
    await fsp.mkdir(this.cacheDir.fsPath, { recursive: true, mode: 0o700 });
    const tmp = `${cached.fsPath}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await fsp.writeFile(tmp, bytes, { mode: 0o600 });
    await fsp.rename(tmp, cached.fsPath);
    await this.prune().catch((err: unknown) => this.notifier.log.warn('Pruning the image cache failed', err));
  }

  /** Keeps the cache under CACHE_BYTES: the least recently shown images go first. */
  private async prune(): Promise<void> {
    const dir = this.cacheDir.fsPath;
    const names = (await fsp.readdir(dir)).filter((n) => /^[0-9a-f]{64}$/.test(n));
    const files = await Promise.all(names.map(async (n) => ({ p: path.join(dir, n), s: await fsp.stat(path.join(dir, n)) })));
    let total = files.reduce((t, f) => t + f.s.size, 0);
    for (const f of files.sort((a, b) => a.s.mtimeMs - b.s.mtimeMs)) {
      if (total <= CACHE_BYTES) break;
      await fsp.rm(f.p, { force: true });
      total -= f.s.size;
    }
  }

  /** Fetches a file, telling the panels its progress; undefined when it failed or was cancelled (said in the row). */
  private async fetch(panel: FilePanel, file: FileInfo, phase: 'fetching' | 'saving'): Promise<[Buffer, Set<FilePanel>] | undefined> {
    const entry: Running = { cancel: () => undefined, panels: new Set([panel]) };
    this.running.set(file.id, entry);
    let last = 0;
    try {
      const t = panel.session.fetchFile(file, {
        onProgress: (done, total) => {
          if (done !== total && Date.now() - last < 200) return; // a row redrawn 5 times a second is enough
          last = Date.now();
          this.post(entry.panels, file.id, { phase, done, total });
        },
      });
      entry.cancel = () => t.cancel();
      this.post(entry.panels, file.id, { phase, done: 0, total: file.size });
      return [await t.done, entry.panels];
    } catch (err) {
      const cancelled = err instanceof ChatError && err.code === 'CANCELLED';
      this.post(entry.panels, file.id, cancelled ? { phase: 'cancelled' } : { phase: 'failed', text: failure(err) });
      if (!(err instanceof ChatError)) this.notifier.log.warn(`Fetching ${file.id} failed`, err);
      return undefined;
    } finally {
      if (this.running.get(file.id) === entry) this.running.delete(file.id);
    }
  }

  /** Save... of the file at `key`: where, then its bytes (the cached image's, or fetched), written there. */
  async save(panel: FilePanel, key: string): Promise<vscode.Uri | undefined> {
    const file = panel.session.fileAt(key);
    if (!file) return undefined;
    const name = safeFileName(file.name);
    const target = this.nextSaveUri ?? (await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(await downloads(), name)), saveLabel: 'Save', title: `Save ${name}` }));
    this.nextSaveUri = undefined;
    if (!target) return undefined;
    this.running.get(file.id)?.cancel(); // one transfer per file: Save goes first
    const cached = vscode.Uri.joinPath(this.cacheDir, file.sha256);
    const bytes = isInlineImageType(file.mime) && (await exists(cached.fsPath)) ? await fsp.readFile(cached.fsPath) : (await this.fetch(panel, file, 'saving'))?.[0];
    if (!bytes) return undefined;
    await vscode.workspace.fs.writeFile(target, bytes);
    const where = path.basename(target.fsPath);
    this.post([panel], file.id, { phase: 'done', text: `Saved as ${where}.` });
    this.notifier.info(`Saved ${where}.`, { 'Reveal in File Explorer': () => vscode.commands.executeCommand('revealFileInOS', target) });
    return target;
  }

  /** Cancel in a row: that file's transfer stops (the row says so). */
  cancel(id: string): void {
    this.running.get(id)?.cancel();
  }

  /** Sends a file to a room: progress in a notification with Cancel (and in the panel, if given). */
  async send(session: ChatSession, file: OutgoingFile, panel?: FilePanel): Promise<void> {
    const tooBig = fileSizeProblem(file.name, file.bytes.length);
    if (tooBig) return this.notifier.warn(tooBig);
    const upId = `up:${Date.now()}:${Math.random().toString(36).slice(2)}`;
    const tell = (state: FileStateView): void => panel?.post({ type: 'file', id: upId, state: { ...state, name: file.name, upload: true } });
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Sending ${file.name}`, cancellable: true }, async (progress, token) => {
      let shown = 0;
      try {
        const t = session.sendFile({ bytes: file.bytes, name: file.name, mime: file.mime, width: file.width, height: file.height, caption: file.caption }, {
          onProgress: (done, total) => {
            const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
            if (pct > shown) progress.report({ increment: pct - shown, message: `${pct}%` });
            shown = Math.max(shown, pct);
            tell({ phase: 'sending', done, total });
          },
        });
        const cancel = token.onCancellationRequested(() => t.cancel());
        this.running.set(upId, { cancel: () => t.cancel(), panels: new Set(panel ? [panel] : []) });
        tell({ phase: 'sending', done: 0, total: file.bytes.length });
        try {
          const sent = await t.done;
          // The sender's own image is shown from the bytes it has, not fetched back from the relay.
          if (sent.body.kind === 'file' && sniffImage(file.bytes)) await this.keep(sent.body.file.sha256, file.bytes).catch(() => undefined);
          tell({ phase: 'done' });
        } finally {
          cancel.dispose();
          this.running.delete(upId);
        }
      } catch (err) {
        if (err instanceof ChatError && err.code === 'CANCELLED') return tell({ phase: 'cancelled' });
        tell({ phase: 'failed', text: failure(err) });
        this.notifier.report(err, `Sending ${file.name}`);
      }
    });
  }
}

/** What the composer posted, checked (the bytes decide whether it is an image; never SVG); undefined if malformed. */
export function outgoingFromPanel(msg: { name: unknown; mime: unknown; data: unknown; width?: unknown; height?: unknown; caption: unknown }): OutgoingFile | undefined {
  if (typeof msg.name !== 'string' || typeof msg.data !== 'string' || typeof msg.mime !== 'string') return undefined;
  const bytes = Buffer.from(msg.data, 'base64');
  const image = sniffImage(bytes);
  const sized = typeof msg.width === 'number' && typeof msg.height === 'number' && image !== undefined;
  const plainType = /^[\w.+-]+\/[\w.+-]+$/.test(msg.mime) && !isInlineImageType(msg.mime) && !/svg/i.test(msg.mime);
  const mime = image ?? (plainType ? msg.mime : 'application/octet-stream');
  return { bytes, name: safeFileName(msg.name), mime, ...(sized ? { width: msg.width as number, height: msg.height as number } : {}), caption: typeof msg.caption === 'string' ? msg.caption : '' };
}

async function exists(p: string): Promise<boolean> {
  return fsp.stat(p).then((s) => s.isFile(), () => false);
}

/** The user's Downloads folder if there is one, else their home. */
async function downloads(): Promise<string> {
  const d = path.join(os.homedir(), 'Downloads');
  return fsp.stat(d).then((s) => (s.isDirectory() ? d : os.homedir()), () => os.homedir());
}
