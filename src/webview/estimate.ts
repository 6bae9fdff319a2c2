// Height estimates for rows that have not been mounted yet. They only decide the scrollbar's size
// and where an unvisited row is assumed to be; every mounted row is measured and the timeline's
// anchoring hides the correction. So: cheap (10,000 of them per snapshot) and roughly right.
import type { ChatItem } from '../common/messages';
import { imageBox } from './image-box';

/** Font metrics probed from the live DOM, so estimates follow the user's font size. */
export class Metrics {
  lineHeight = 20;
  charWidth = 7;
  codeLineHeight = 18;
  codeCharWidth = 7.5;
  textWidth = 400;

  constructor(private readonly host: HTMLElement) {}

  measure(scrollerWidth: number): void {
    const sample = 'The quick brown fox jumps over the lazy dog 0123456789';
    const probe = document.createElement('div');
    probe.className = 'row msg probe';
    const text = document.createElement('span');
    text.className = 'para';
    text.textContent = sample;
    const code = document.createElement('code');
    code.className = 'code';
    code.textContent = sample;
    probe.append(text, document.createElement('br'), code);
    this.host.append(probe);
    const t = text.getBoundingClientRect();
    const c = code.getBoundingClientRect();
    probe.remove();
    if (t.width > 0) this.charWidth = t.width / sample.length;
    if (c.width > 0) this.codeCharWidth = c.width / sample.length;
    const style = getComputedStyle(this.host);
    this.lineHeight = parseFloat(style.lineHeight) || t.height || 20;
    this.codeLineHeight = c.height || this.lineHeight;
    // Row padding and the delivery-state column take about 110px of the scroller.
    this.textWidth = Math.max(120, scrollerWidth - 110);
  }
}

/** Wrapped line count of `text` at `perLine` characters per line. */
function lineCount(text: string, perLine: number): number {
  let lines = 0;
  let from = 0;
  for (;;) {
    const nl = text.indexOf('\n', from);
    const len = (nl < 0 ? text.length : nl) - from;
    lines += Math.max(1, Math.ceil(len / perLine));
    if (nl < 0) return lines;
    from = nl + 1;
  }
}

export function estimateHeight(item: ChatItem, continuation: boolean, unread: boolean, m: Metrics): number {
  let h = 4 + (unread ? 28 : 0); // row padding, divider
  if (item.type === 'notice') return h + m.lineHeight + 4;
  if (!continuation) h += 6 + m.lineHeight; // name and time
  if (item.state === 'failed') h += 32; // error and Retry
  if (item.reply) h += m.lineHeight + 6; // the quote
  if (item.reactions?.length) h += 28; // the chips
  if (item.deleted) return h + m.lineHeight;
  if (item.edited) h += m.lineHeight; // the (edited) label
  const body = item.body;
  if (body.kind === 'file') {
    // The image's box is known before its bytes (the row is drawn at that size from the start).
    const box = imageBox(body.file, Math.min(m.textWidth, 320));
    const caption = body.text ? lineCount(body.text, Math.max(10, Math.floor(m.textWidth / m.charWidth))) * m.lineHeight : 0;
    return h + (box ? box.height + 4 : 0) + 32 + m.lineHeight + caption; // the bar with Save..., the status line
  }
  if (body.kind === 'snippet') {
    const perLine = Math.max(10, Math.floor((m.textWidth - 20) / m.codeCharWidth));
    return h + m.lineHeight + 22 + lineCount(body.text, perLine) * m.codeLineHeight;
  }
  const perLine = Math.max(10, Math.floor(m.textWidth / m.charWidth));
  const fences = body.text.includes('```') ? 24 : 0;
  return h + fences + lineCount(body.text, perLine) * m.lineHeight;
}
