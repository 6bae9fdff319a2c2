// Files pasted or dropped into the composer (issue 14): shown above the box (an image as a small
// preview drawn on a canvas, any other file by its name and size), each with a remove button, and
// sent with the next Send, the box's text as the first one's caption. An image is one only if its
// bytes say png, jpeg, gif or webp (never SVG, whatever the clipboard calls it): its natural width
// and height go with it, so a receiver reserves its box. Over 16 MiB is refused at once, both sizes.
import { safeFileName } from '../common/filename';
import { sniffImage } from '../common/image-type';
import { fileSizeProblem, fileSizeText, MAX_FILE_BYTES } from '../common/message';
import type { FileStateView, WebviewToHost } from '../common/messages';
import { el } from './dom';

interface Pending {
  name: string;
  mime: string;
  bytes: Uint8Array;
  width?: number;
  height?: number;
  element: HTMLElement;
}

const PREVIEW_SIDE = 96;

/** Base64 of bytes, in slices (a 16 MiB spread into one call would overflow the stack). */
function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export class Attachments {
  readonly element = el('div', 'attachments');
  private pending: Pending[] = [];

  constructor(private readonly changed: (problem?: string) => void) {
    this.element.hidden = true;
  }

  get count(): number {
    return this.pending.length;
  }

  get names(): string[] {
    return this.pending.map((p) => p.name);
  }

  /** Files from a paste or a drop; true when there were any (the event is then ours). */
  takeFrom(data: DataTransfer | null): boolean {
    const files = data ? [...data.files] : [];
    for (const f of files) void this.add(f);
    return files.length > 0;
  }

  private async add(file: File): Promise<void> {
    const name = safeFileName(file.name || 'pasted');
    const tooBig = fileSizeProblem(name, file.size);
    if (tooBig || file.size > MAX_FILE_BYTES) return this.changed(tooBig);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const image = sniffImage(bytes);
    const p: Pending = { name: image && !/\.[A-Za-z0-9]+$/.test(name) ? `${name}.${image.slice(6)}` : name, mime: image ?? (file.type && !file.type.includes('svg') ? file.type : 'application/octet-stream'), bytes, element: el('div', 'attachment') };
    if (image) {
      try {
        const bitmap = await createImageBitmap(new Blob([bytes], { type: image }));
        [p.width, p.height] = [bitmap.width, bitmap.height];
        const scale = Math.min(1, PREVIEW_SIDE / Math.max(bitmap.width, bitmap.height));
        const canvas = el('canvas', 'attachment-preview');
        canvas.width = Math.max(1, Math.round(bitmap.width * scale));
        canvas.height = Math.max(1, Math.round(bitmap.height * scale));
        canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        bitmap.close();
        p.element.append(canvas);
      } catch {
        p.mime = 'application/octet-stream'; // the header said image but it does not decode: a file
      }
    }
    const remove = el('button', 'attachment-remove', '×');
    remove.type = 'button';
    remove.title = `Remove ${p.name}`;
    remove.setAttribute('aria-label', `Remove ${p.name}`);
    remove.addEventListener('click', () => this.remove(p));
    p.element.append(el('span', 'attachment-name', p.name), el('span', 'attachment-size', fileSizeText(bytes.length)), remove);
    this.pending.push(p);
    this.element.append(p.element);
    this.element.hidden = false;
    this.changed();
  }

  private remove(p: Pending): void {
    this.pending = this.pending.filter((x) => x !== p);
    p.element.remove();
    this.element.hidden = this.pending.length === 0 && this.uploads.size === 0;
    this.changed();
  }

  private readonly uploads = new Map<string, HTMLElement>();

  /** An upload's progress, under the box: "Sending name… 40%" with Cancel; gone when it is sent. */
  showUpload(id: string, s: FileStateView, post: (m: WebviewToHost) => void): void {
    let line = this.uploads.get(id);
    if (s.phase === 'done' || s.phase === 'cancelled') {
      line?.remove();
      this.uploads.delete(id);
      this.element.hidden = this.pending.length === 0 && this.uploads.size === 0;
      return;
    }
    if (!line) {
      line = el('div', 'attachment upload');
      this.uploads.set(id, line);
      this.element.append(line);
      this.element.hidden = false;
    }
    const pct = s.total ? ` ${Math.floor((100 * (s.done ?? 0)) / s.total)}%` : '';
    const text = s.phase === 'failed' ? `${s.name ?? 'A file'} was not sent: ${s.text ?? 'the transfer failed'}` : `Sending ${s.name ?? ''}…${pct}`;
    const close = el('button', 'attachment-remove', '×');
    close.type = 'button';
    const label = s.phase === 'failed' ? 'Dismiss' : 'Cancel sending';
    close.title = label;
    close.setAttribute('aria-label', label);
    close.addEventListener('click', () => (s.phase === 'failed' ? this.showUpload(id, { phase: 'done' }, post) : post({ type: 'fileCancel', id })));
    line.replaceChildren(el('span', 'attachment-name', text), close);
  }

  /** Sends every attachment (the first with `caption`) and empties the list. */
  send(caption: string, post: (m: WebviewToHost) => void): void {
    this.pending.forEach((p, i) => {
      post({ type: 'sendFile', name: p.name, mime: p.mime, data: base64(p.bytes), ...(p.width && p.height ? { width: p.width, height: p.height } : {}), caption: i === 0 ? caption : '' });
    });
    for (const p of this.pending) p.element.remove();
    this.pending = [];
    this.element.hidden = this.uploads.size === 0;
    this.changed();
  }
}
