// File messages in the panel (issue 14): a row with an icon, the name (cleaned as a saved file would
// be named), the size, Save..., the transfer's progress and Cancel, and a clear line when the relay no
// longer has the file or it arrived altered. An image is shown inline: its box is sized from the
// width and height in the message before any byte arrives (the list does not jump, and heights.ts's
// estimate uses the same box), and the host fills it with a cached copy it fetched, checked and
// sniffed. Nothing is opened or run: Save... asks the host, which asks where.
import { safeFileName } from '../common/filename';
import { type FileBody, fileSizeText } from '../common/message';
import type { FileRowReport, FileStateView, WebviewToHost } from '../common/messages';
import { el, icon } from './dom';
import { imageBox } from './image-box';
import { button } from './toolkit';

const FILE_ICON = 'M3.5 1.5h6l3 3v10h-9zm1 1v11h7V5.5H9V2.5zm5.5.4V4.5h1.6z';

/** Each file's transfer as the host last told it, by file id: rows are rebuilt, the states stay. */
const states = new Map<string, FileStateView>();
/** Image files this panel already asked the host for (once each per load). */
const asked = new Set<string>();

let post: (m: WebviewToHost) => void = () => undefined;
/** How rows ask the host for an image's bytes (main.ts sets it once). */
export function setFilePost(p: (m: WebviewToHost) => void): void {
  post = p;
}

/** Draws a file body into `parent`; `key` is its row's. */
export function renderFile(key: string, body: FileBody, parent: HTMLElement): void {
  const f = body.file;
  const box = el('div', 'file');
  box.dataset.fileId = f.id;
  const dims = imageBox(f);
  if (dims) {
    const frame = el('button', 'file-image');
    frame.type = 'button';
    frame.dataset.action = 'fileView';
    frame.title = 'Show larger';
    frame.style.width = `${dims.width}px`;
    frame.style.aspectRatio = `${f.width} / ${f.height}`;
    box.append(frame);
    if (!asked.has(f.id) && states.get(f.id)?.src === undefined) {
      asked.add(f.id);
      post({ type: 'fileImage', key });
    }
  }
  const bar = el('div', 'file-bar');
  bar.append(icon(FILE_ICON, 'icon file-icon'), el('span', 'file-name', safeFileName(f.name)), el('span', 'file-size', fileSizeText(f.size)));
  const save = button('Save…', 'secondary', `Save ${safeFileName(f.name)} to a folder you choose`);
  save.dataset.action = 'fileSave';
  const cancel = button('Cancel', 'secondary', 'Stop this transfer');
  cancel.dataset.action = 'fileCancel';
  cancel.classList.add('file-cancel');
  bar.append(save, cancel);
  const status = el('div', 'file-status');
  status.setAttribute('aria-live', 'polite');
  box.append(bar, status);
  parent.append(box);
  paint(box, states.get(f.id));
}

function paint(box: HTMLElement, s: FileStateView | undefined): void {
  const status = box.querySelector<HTMLElement>('.file-status');
  const cancel = box.querySelector<HTMLElement>('.file-cancel');
  const busy = s !== undefined && (s.phase === 'fetching' || s.phase === 'saving' || s.phase === 'sending');
  if (cancel) cancel.hidden = !busy;
  if (status) status.textContent = statusText(s);
  const frame = box.querySelector<HTMLElement>('.file-image');
  if (frame && s?.src && !frame.querySelector('img')) {
    const img = el('img');
    img.alt = box.querySelector('.file-name')?.textContent ?? 'image';
    img.src = s.src;
    frame.append(img);
  }
  if (frame) frame.classList.toggle('failed', s?.phase === 'failed' && !s.src);
}

function statusText(s: FileStateView | undefined): string {
  if (!s) return '';
  const pct = s.total ? ` ${Math.floor((100 * (s.done ?? 0)) / s.total)}%` : '';
  switch (s.phase) {
    case 'fetching':
      return `Downloading…${pct}`;
    case 'saving':
      return `Saving…${pct}`;
    case 'sending':
      return `Sending…${pct}`;
    case 'done':
      return s.text ?? '';
    case 'failed':
      return s.text ?? 'The transfer failed.';
    case 'cancelled':
      return 'Cancelled.';
  }
}

/** The host says where a file stands: kept for rows built later, and drawn in the rows shown now. */
export function setFileState(id: string, s: FileStateView, root: ParentNode): void {
  states.set(id, s);
  for (const box of root.querySelectorAll<HTMLElement>('.file')) if (box.dataset.fileId === id) paint(box, s);
}

/** A new snapshot: images are asked for again as their rows are drawn. */
export function forgetAsked(): void {
  asked.clear();
}

/** What a reader hears for a file: its kind, name and size, then the caption. */
export function fileText(body: FileBody): string {
  const what = imageBox(body.file) ? 'Image' : 'File';
  return `${what} ${safeFileName(body.file.name)} (${fileSizeText(body.file.size)})${body.text ? ` ${body.text}` : ''}`;
}

/** The file rows in `root`, for the render report. */
export function fileReports(root: ParentNode): FileRowReport[] {
  return [...root.querySelectorAll<HTMLElement>('.file')].map((box) => {
    const frame = box.querySelector<HTMLElement>('.file-image');
    const img = frame?.querySelector('img');
    const r = frame?.getBoundingClientRect();
    return {
      key: box.closest<HTMLElement>('.row')?.dataset.key ?? '',
      name: box.querySelector('.file-name')?.textContent ?? '',
      size: box.querySelector('.file-size')?.textContent ?? '',
      image: frame !== null && frame !== undefined,
      ...(r ? { box: { width: Math.round(r.width), height: Math.round(r.height) } } : {}),
      loaded: img !== null && img !== undefined && img.complete && img.naturalWidth > 0,
      status: box.querySelector('.file-status')?.textContent ?? '',
    };
  });
}

/** Click on an inline image: a larger view over the panel; a click or Escape closes it. */
export function showLarger(frame: HTMLElement): void {
  const img = frame.querySelector('img');
  if (!img) return;
  const overlay = el('div', 'image-overlay');
  overlay.setAttribute('role', 'dialog');
  overlay.setAttribute('aria-label', img.alt);
  overlay.tabIndex = -1;
  const big = el('img');
  big.src = img.src;
  big.alt = img.alt;
  overlay.append(big);
  const close = (): void => overlay.remove();
  overlay.addEventListener('click', close);
  overlay.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });
  document.body.append(overlay);
  overlay.focus();
}
