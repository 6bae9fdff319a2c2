// The only way the webview creates elements: a tag from a fixed list, a class from our own code,
// and text through textContent. Nothing here parses HTML, so peer text can never become markup.
import { visibleControls } from './markup';

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = visibleControls(text);
  return node;
}

/** Visually hidden but read by screen readers (the class is defined in media/chat.css). */
export function srOnly(text: string): HTMLSpanElement {
  return el('span', 'sr-only', text);
}

/** A tiny inline SVG icon from path data we ship (codicons are not available under the CSP). */
export function icon(pathData: string, className = 'icon'): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', className);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', pathData);
  svg.append(path);
  return svg;
}

export const ICONS = {
  arrowDown: 'M8 12.5 3.5 8l.7-.7L7.5 10.6V2h1v8.6l3.3-3.3.7.7z',
  lock: 'M8 1.5A3 3 0 0 0 5 4.5V6H4a1 1 0 0 0-1 1v6.5a1 1 0 0 0 1 1h8a1 1 0 0 0 1-1V7a1 1 0 0 0-1-1h-1V4.5a3 3 0 0 0-3-3zm-2 3a2 2 0 1 1 4 0V6H6zM4 7h8v6.5H4z',
  pencil: 'M11.9 1.5 14.5 4.1 5.4 13.2 2 14l.8-3.4zm0 1.4-8.2 8.2-.4 1.6 1.6-.4 8.2-8.2z',
  check: 'M6.3 11.3 2.9 7.9l.7-.7 2.7 2.7 6.1-6.1.7.7z',
  clock: 'M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zm0 12a5.5 5.5 0 1 1 0-11 5.5 5.5 0 0 1 0 11zM8.5 4h-1v4.3l3 1.8.5-.8-2.5-1.5z',
  error: 'M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zM8.6 11.5H7.4v-1.2h1.2zm0-2.4H7.4V4.5h1.2z',
  smile: 'M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zm0 12a5.5 5.5 0 1 1 0-11 5.5 5.5 0 0 1 0 11zM5.8 5.6a.8.8 0 1 0 0 1.6.8.8 0 0 0 0-1.6zm4.4 0a.8.8 0 1 0 0 1.6.8.8 0 0 0 0-1.6zM5.1 9.2l-.8.5A4.3 4.3 0 0 0 8 11.9a4.3 4.3 0 0 0 3.7-2.2l-.8-.5A3.4 3.4 0 0 1 8 10.9a3.4 3.4 0 0 1-2.9-1.7z',
  reply: 'M6.5 3.5 2 8l4.5 4.5.7-.7L3.9 8.5H9a4 4 0 0 1 4 4v.5h1v-.5a5 5 0 0 0-5-5H3.9l3.3-3.3z',
  trash: 'M6 1.5h4v1h3.5v1h-1l-.7 10.5H4.2L3.5 3.5h-1v-1H6zm-1.5 2 .6 9.5h5.8l.6-9.5zM6.5 5h1v6.5h-1zm2 0h1v6.5h-1z',
} as const;
