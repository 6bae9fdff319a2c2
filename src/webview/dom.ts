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
  pencil: 'M11.9 1.5 14.5 4.1 5.4 13.2 2 14l.8-3.4zm0 1.4-8.2 8.2-.4 1.6 1.6-.4 8.2-8.2z',
  check: 'M6.3 11.3 2.9 7.9l.7-.7 2.7 2.7 6.1-6.1.7.7z',
  clock: 'M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zm0 12a5.5 5.5 0 1 1 0-11 5.5 5.5 0 0 1 0 11zM8.5 4h-1v4.3l3 1.8.5-.8-2.5-1.5z',
  error: 'M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zM8.6 11.5H7.4v-1.2h1.2zm0-2.4H7.4V4.5h1.2z',
} as const;
