// The one module that knows about @vscode/webview-ui-toolkit. The toolkit was deprecated on
// 2025-01-01 and its repository archived; its community successor is @vscode-elements/elements.
// Everything else asks this file for "a button" or "a text box", so moving kits means rewriting
// these factories (tag names, attribute names) and nothing else.
//
// CSP: the toolkit's FAST elements style themselves through adoptedStyleSheets (constructable
// stylesheets), which `style-src` without 'unsafe-inline' allows. But the badge/tag and
// progress-ring templates contain style="" attributes, which that CSP blocks (a violation is
// logged whenever such a template compiles), and the progress ring forces role="alert", which
// would interrupt screen readers. So tag(), badge() and spinner() are plain elements styled by
// media/chat.css with the same theme variables; buttons and the text area are the toolkit's.
import './csp-nonce'; // must run before the toolkit's modules evaluate
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeTextArea } from '@vscode/webview-ui-toolkit';
import { el } from './dom';

let registered = false;

/** Defines the custom elements once; call before building any UI. */
export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeTextArea());
}

export type ButtonLook = 'primary' | 'secondary' | 'toolbar';

/** A button: a real button to keyboards and screen readers (the toolkit renders a <button> inside). */
export function button(label: string, look: ButtonLook = 'primary', title?: string): HTMLElement {
  const b = document.createElement('vscode-button');
  b.setAttribute('appearance', look === 'toolbar' ? 'icon' : look);
  b.textContent = label;
  if (title) b.title = title;
  return b;
}

export function setDisabled(control: HTMLElement, disabled: boolean): void {
  control.toggleAttribute('disabled', disabled);
}

/** A small label such as "unverified", with a tooltip that says why. */
export function tag(text: string, title: string): HTMLElement {
  const t = el('span', 'tag', text);
  t.title = title;
  return t;
}

/** A count badge (members). */
export function badge(count: number): HTMLElement {
  return el('span', 'badge', String(count));
}

/** A small spinning ring for "connecting"; decorative, the banner text says what happens. */
export function spinner(): Element {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'spinner');
  const arc = document.createElementNS(ns, 'circle');
  for (const [k, v] of [['cx', '8'], ['cy', '8'], ['r', '6.5']]) arc.setAttribute(k, v);
  svg.append(arc);
  return svg;
}

export interface TextBox {
  readonly element: HTMLElement;
  value: string;
  rows: number;
  /** Where the caret is (the selection's end), in UTF-16 units. */
  readonly caret: number;
  /** Sets the text and puts the caret at `caret` (setting `value` alone moves it to the end). */
  setText(text: string, caret: number): void;
  focus(): void;
}

/** A multi-line text box; `input` and `keydown` events bubble out of its shadow DOM to `element`. */
export function textArea(label: string, placeholder: string): TextBox {
  // `control` is the <textarea> inside the toolkit's element (the caret lives there).
  const area = document.createElement('vscode-text-area') as HTMLElement & { value: string; control?: HTMLTextAreaElement };
  area.setAttribute('aria-label', label);
  area.setAttribute('placeholder', placeholder);
  area.setAttribute('resize', 'none');
  return {
    element: area,
    get value() {
      return area.value ?? '';
    },
    set value(v: string) {
      area.value = v;
    },
    get rows() {
      return Number(area.getAttribute('rows') ?? 1);
    },
    set rows(n: number) {
      area.setAttribute('rows', String(n));
    },
    get caret() {
      return area.control?.selectionEnd ?? (area.value ?? '').length;
    },
    setText(text: string, caret: number) {
      area.value = text;
      if (!area.control) return;
      area.control.value = text; // now, not when the toolkit's binding next updates it
      area.control.setSelectionRange(caret, caret);
    },
    focus: () => area.focus(),
  };
}
